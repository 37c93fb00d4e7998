/* bordertrace — IPv6 reply parsing: a captured packet to the fields the
 * IPv6 matcher (probe6.h) and the trace record need. The IPv4 parser is
 * reply.h; both share its statuses and link layers.
 *
 * Normative: RFC 8200 (IPv6 and its extension headers), RFC 4443 (ICMPv6),
 * RFC 9293 (TCP), RFC 4884 (the original-datagram length of time exceeded
 * and destination unreachable, in 64-bit words, and the extension
 * structure), RFC 4950 (MPLS label stack object).
 *
 * Input may be truncated at any position or forged: every read is checked
 * against the bytes remaining. Extension headers (hop-by-hop, routing,
 * fragment, destination options) are walked in the reply and in the quoted
 * probe, at most BT_REPLY6_MAX_EXT of them; a non-first fragment is not a
 * reply. Handles ICMPv6 time exceeded, destination unreachable (every
 * code), echo reply, and TCP segments. */
#ifndef BORDERTRACE_REPLY6_H
#define BORDERTRACE_REPLY6_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bordertrace/bytes.h"
#include "bordertrace/reply.h"
#include "bordertrace/trace.h"

#define BT_REPLY6_MAX_EXT 8 /* extension headers walked before a chain is malformed */
#define BT_REPLY6_QL4 16    /* quoted transport bytes kept (header + start of payload) */

typedef struct bt_reply6 {
	uint8_t src[16], dst[16]; /* reply addresses */
	uint8_t hlim;             /* reply hop limit */
	uint16_t plen;            /* reply payload length */
	uint8_t proto;            /* upper layer after extension headers: 58 or 6 */

	uint8_t icmp_type, icmp_code;
	uint16_t icmp_sum;          /* the reply's ICMPv6 checksum */
	uint16_t echo_id, echo_seq; /* echo reply */

	bool quoted;              /* time exceeded / unreachable quoting a probe */
	uint8_t q_src[16], q_dst[16];
	uint8_t q_hlim, q_proto;  /* q_proto: upper layer after the quote's extension headers */
	uint8_t q_tclass;
	uint32_t q_flowlabel;
	uint8_t q_l4_len;         /* bytes of q_l4 the quote held (8..BT_REPLY6_QL4) */
	uint8_t q_l4[BT_REPLY6_QL4];

	/* TCP segment (proto == IPPROTO_TCP) */
	uint16_t tcp_sport, tcp_dport;
	uint32_t tcp_seq, tcp_ack;
	uint8_t tcp_flags;

	uint8_t mpls_count;
	bt_mpls mpls[BT_MPLS_MAX];
} bt_reply6;

/* Link-layer types as libpcap numbers them (DLT_*: Ethernet with up to two
 * VLAN tags, Linux cooked v1 and v2, raw, IPv6). */
bt_reply_status bt_reply6_parse(const uint8_t *pkt, size_t caplen, int dlt, bt_reply6 *out);
/* Parses starting at an IPv6 header. */
bt_reply_status bt_reply6_parse_ip(const uint8_t *pkt, size_t len, bt_reply6 *out);

/* Walks the extension headers that start at c.p, the first of type *nh:
 * on BT_REPLY_OK, *nh is the upper-layer protocol and *off its offset in c.
 * TRUNCATED: a header runs past c's end; MALFORMED: hop-by-hop not first,
 * or more than BT_REPLY6_MAX_EXT headers; OTHER: a non-first fragment, or
 * no next header (59). */
bt_reply_status bt_reply6_walk(bt_cur c, uint8_t *nh, size_t *off);

#endif
