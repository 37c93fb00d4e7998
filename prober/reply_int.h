/* bordertrace — what reply.c (IPv4) and reply6.c (IPv6) share: the link
 * layers libpcap hands the engine, and RFC 4884 extension structures.
 * The link-layer step is static inline so that the IPv4 per-reply path
 * compiles as it did before IPv6 shared it. */
#ifndef BT_PROBER_REPLY_INT_H
#define BT_PROBER_REPLY_INT_H

#include <pcap/dlt.h>
#include <stddef.h>
#include <stdint.h>

#include "bordertrace/bytes.h"
#include "bordertrace/reply.h"

#define BT_ETHERTYPE_IPV4 0x0800
#define BT_ETHERTYPE_IPV6 0x86dd

/* Finds the network layer in a frame of link type dlt (DLT_EN10MB with up
 * to two VLAN tags, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW, DLT_IPV4,
 * DLT_IPV6): its offset and its ethertype. DLT_RAW carries no type; it is
 * given as raw_type (the family the caller parses). BT_REPLY_OK, TRUNCATED
 * or OTHER (unknown link type). */
static inline bt_reply_status bt_reply_link(const uint8_t *pkt, size_t caplen, int dlt, uint16_t raw_type,
					    size_t *off, uint16_t *ethertype)
{
	switch (dlt) {
	case DLT_EN10MB:
		if (caplen < 14)
			return BT_REPLY_TRUNCATED;
		*off = 14;
		*ethertype = bt_get16(pkt + 12);
		/* up to two VLAN tags (802.1Q / 802.1ad) */
		for (int i = 0; i < 2 && (*ethertype == 0x8100 || *ethertype == 0x88a8); i++) {
			if (caplen < *off + 4)
				return BT_REPLY_TRUNCATED;
			*ethertype = bt_get16(pkt + *off + 2);
			*off += 4;
		}
		return BT_REPLY_OK;
	case DLT_LINUX_SLL:
		if (caplen < 16)
			return BT_REPLY_TRUNCATED;
		*off = 16;
		*ethertype = bt_get16(pkt + 14);
		return BT_REPLY_OK;
	case DLT_LINUX_SLL2:
		if (caplen < 20)
			return BT_REPLY_TRUNCATED;
		*off = 20;
		*ethertype = bt_get16(pkt);
		return BT_REPLY_OK;
	case DLT_RAW:
		*off = 0;
		*ethertype = raw_type;
		return BT_REPLY_OK;
	case DLT_IPV4:
		*off = 0;
		*ethertype = BT_ETHERTYPE_IPV4;
		return BT_REPLY_OK;
	case DLT_IPV6:
		*off = 0;
		*ethertype = BT_ETHERTYPE_IPV6;
		return BT_REPLY_OK;
	default:
		return BT_REPLY_OTHER;
	}
}

/* Reads a TCP segment's ports, numbers and flags from l4 (a bt_cur) into
 * out, a bt_reply or a bt_reply6 (their TCP fields share names): an
 * expression, BT_REPLY_OK or BT_REPLY_TRUNCATED. */
#define BT_REPLY_READ_TCP(l4, out)                                                       \
	(!bt_cur_has(&(l4), 0, 20) ? BT_REPLY_TRUNCATED                                   \
	 : ((out)->tcp_sport = bt_get16((l4).p), (out)->tcp_dport = bt_get16((l4).p + 2),   \
	    (out)->tcp_seq = bt_get32((l4).p + 4), (out)->tcp_ack = bt_get32((l4).p + 8),   \
	    (out)->tcp_flags = (l4).p[13], BT_REPLY_OK))

/* Parses an RFC 4884 extension structure; keeps the first RFC 4950 MPLS
 * label stack found in mpls[0 .. *count). Broken extensions are ignored
 * (the hop itself is still good), as the RFC asks of receivers that cannot
 * validate them. The same structure follows ICMP and ICMPv6 messages. */
void bt_reply_parse_ext(bt_cur ext, bt_mpls *mpls, uint8_t *count);

#endif
