/* bordertrace — IPv6 probes: the encoding of probe.h written down for IPv6,
 * how they are built and sent, and how replies (reply6.h) are matched.
 *
 * Paris rules as for IPv4: every field a per-flow load balancer hashes stays
 * constant for a flow — addresses, traffic class (0), flow label, next
 * header (the transport itself: no extension headers), ports, and for
 * ICMPv6 echo the type, code and checksum. The flow label is
 * BT_PROBE6_FLOWLABEL_BASE + flow (never 0, which means "unlabelled").
 * IPv6 has no IP-ID; an ICMPv6 error quotes as much of the probe as fits in
 * 1280 bytes (RFC 4443 section 2.4), so the whole 60-byte probe comes back
 * and the payload may carry state:
 *
 *   icmp-paris: checksum = flow constant (payload bytes 0-1 compensate for
 *               the pseudo-header of each source and destination);
 *               id = check; seq = attempt << 8 | hop limit.
 *   udp-paris:  ports = flow constant; UDP checksum = check (payload bytes
 *               2-3 make it valid); payload bytes 0-1 = attempt << 8 | hop
 *               limit.
 *   tcp-syn:    ports = flow constant; seq = check << 16 | attempt << 8 |
 *               hop limit (RST/SYN-ACK acknowledge seq + 1).
 *
 * check is bt_probe6_check: the IPv4 check with the 128-bit destination
 * folded in by the hash. Probes are 60 bytes for every method (40 + 20).
 * Sent on libnet's LIBNET_RAW6 socket (socket(AF_INET6, SOCK_RAW,
 * IPPROTO_RAW): on Linux the header is ours, hop limit and flow label
 * included) with sendto, as IPv4 does; see doc/probing.md, "IPv6". The
 * builder is probe.h's: bt_probe_builder_open(LIBNET_RAW6 or LIBNET_NONE),
 * and bt_probe_builder_close/_fd/_copy work on it. */
#ifndef BORDERTRACE_PROBE6_H
#define BORDERTRACE_PROBE6_H

#include <stddef.h>
#include <stdint.h>

#include "bordertrace/probe.h"
#include "bordertrace/reply6.h"

#define BT_PROBE6_FLOWLABEL_BASE 0x10000 /* flow label = base + flow */
#define BT_PROBE6_LEN 60                 /* every method: IPv6 header + 20 */

/* The flow's IPv6 flow label. */
uint32_t bt_probe6_flowlabel(const bt_flow *f);

/* The integrity check for one probe (dst: 16 bytes). */
uint16_t bt_probe6_check(const bt_flow *f, const uint8_t *dst, uint8_t hlim, uint8_t attempt);

/* Computes every per-probe field, payload compensation included (ip_id is
 * unused and 0). src and dst: 16 bytes each (the ICMPv6 and UDP checksums
 * cover the pseudo-header). */
void bt_probe6_fields_make(const bt_flow *f, const uint8_t *src, const uint8_t *dst, uint8_t hlim,
			   uint8_t attempt, bt_probe_fields *out);

/* Builds (in place, libnet) the probe for (dst, hlim, attempt) from src on a
 * builder (LIBNET_RAW6 or LIBNET_NONE). libnet 1.1.6 writes the flow
 * label's middle byte wrongly (`fl & 0x0FF00 >> 8`); the header block is
 * corrected after libnet builds it. 0, or -1 with err set. Copy the bytes
 * with bt_probe_copy. */
int bt_probe6_build(bt_probe_builder *b, const bt_flow *f, const uint8_t *src, const uint8_t *dst,
		    uint8_t hlim, uint8_t attempt, char *err, size_t errlen);

/* The fast path: libnet's probe of the method built once (the template),
 * patched per probe, checksums computed here: the very bytes of
 * bt_probe6_build (tests compare them). buf holds BT_PROBE_MAX_LEN bytes.
 * Returns the length (BT_PROBE6_LEN), or -1 with err set. */
int bt_probe6_render(bt_probe_builder *b, const bt_flow *f, const uint8_t *src, const uint8_t *dst,
		     uint8_t hlim, uint8_t attempt, uint8_t *buf, char *err, size_t errlen);

/* Renders and sends one probe on the builder's raw IPv6 socket
 * (LIBNET_RAW6). Returns the bytes written, or -1 with err set and errno
 * kept (ENOBUFS and EAGAIN: the queue is full; EINTR: a signal). */
int bt_probe6_emit(bt_probe_builder *b, const bt_flow *f, const uint8_t *src, const uint8_t *dst,
		   uint8_t hlim, uint8_t attempt, char *err, size_t errlen);

/* ---- matching ---- */

typedef struct bt_match6 {
	bt_match_kind kind;
	uint16_t flow;     /* the probe's flow number */
	uint8_t dst[16];   /* the probe's destination */
	uint8_t hlim;      /* the probe's hop limit */
	uint8_t attempt;   /* the probe's attempt number, 1-based */
} bt_match6;

/* Decides whether a parsed IPv6 reply answers one of our probes of flow f:
 * time exceeded is a hop; port unreachable (code 4) from the destination,
 * echo reply, TCP RST or SYN-ACK are the destination; any other
 * unreachable is an unreachable. Returns 0 with *m filled, or -1 when the
 * reply is foreign. Pure. */
int bt_probe6_match(const bt_flow *f, const bt_reply6 *r, bt_match6 *m);

/* The same for a run probing flows base->flow .. base->flow + nflows - 1:
 * the flow is read from the reply's flow fields as for IPv4 (port, or ICMP
 * checksum — for an echo reply recomputed from the reply's own, RFC 1624). */
int bt_probe6_match_flows(const bt_flow *base, uint16_t nflows, const bt_reply6 *r, bt_match6 *m);

#endif
