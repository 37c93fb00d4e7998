/* bordertrace — reply parsing: a captured packet to the fields the matcher
 * and the trace record need.
 *
 * Input may be truncated at any position or forged: every read is checked
 * against the bytes remaining, and a packet that is not a reply we handle is
 * reported as such, never fatal. Handles ICMP time exceeded (RFC 792),
 * destination unreachable, echo reply, TCP segments, and RFC 4884 extension
 * structures carrying an RFC 4950 MPLS label stack. IPv4; IPv6 is reply6.h,
 * with the same statuses. */
#ifndef BORDERTRACE_REPLY_H
#define BORDERTRACE_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bordertrace/addr.h"
#include "bordertrace/trace.h"

typedef enum bt_reply_status {
	BT_REPLY_OK = 0,
	BT_REPLY_TRUNCATED, /* ends before a header or a quoted header does */
	BT_REPLY_MALFORMED, /* lengths or versions that cannot be right */
	BT_REPLY_OTHER,     /* well-formed, but not a reply bordertrace handles */
} bt_reply_status;

typedef struct bt_reply {
	uint32_t src, dst;     /* reply IP addresses, network order */
	uint8_t ttl;           /* reply IP TTL */
	uint16_t ip_len;       /* reply IP total length */
	uint8_t proto;         /* IPPROTO_ICMP or IPPROTO_TCP */

	uint8_t icmp_type, icmp_code;
	uint16_t icmp_sum;          /* the reply's ICMP checksum */
	uint16_t echo_id, echo_seq; /* echo reply */

	bool quoted;           /* time exceeded / unreachable quoting a probe */
	uint32_t q_src, q_dst;
	uint8_t q_ttl, q_proto;
	uint16_t q_ip_id;
	uint8_t q_l4[8];       /* first 8 bytes after the quoted IP header */

	/* TCP segment (proto == IPPROTO_TCP) */
	uint16_t tcp_sport, tcp_dport;
	uint32_t tcp_seq, tcp_ack;
	uint8_t tcp_flags;

	uint8_t mpls_count;
	bt_mpls mpls[BT_MPLS_MAX];
} bt_reply;

/* Link-layer types as libpcap numbers them (DLT_*). */
bt_reply_status bt_reply_parse(const uint8_t *pkt, size_t caplen, int dlt, bt_reply *out);
/* Parses starting at an IPv4 header. */
bt_reply_status bt_reply_parse_ip(const uint8_t *pkt, size_t len, bt_reply *out);
const char *bt_reply_status_name(bt_reply_status s);

#endif
