/* bordertrace — probe encoding: what a probe carries so that its reply can be
 * matched without per-probe lookup state, and how probes are built (libnet).
 *
 * Paris traceroute: the fields a per-flow load balancer hashes stay constant
 * for one flow — addresses, protocol, ports (UDP/TCP) or ICMP type/code/
 * checksum (ICMP). The per-probe state goes into the fields that are quoted
 * back by ICMP errors (IP header + 8 bytes, RFC 792) and not hashed:
 *
 *   icmp-paris: checksum = flow constant (payload compensates);
 *               seq = attempt << 8 | ttl; id = check; IP-ID = seq.
 *   udp-paris:  ports = flow constant; IP-ID = attempt << 8 | ttl;
 *               UDP checksum = check (payload compensates).
 *   tcp-syn:    ports = flow constant; IP-ID = attempt << 8 | ttl;
 *               seq = check << 16 | attempt << 8 | ttl (RST/SYN-ACK acks seq+1).
 *
 * check is a 16-bit keyed hash of (secret, destination, flow, ttl, attempt):
 * a reply whose quoted fields do not hash to it is foreign (another tool's
 * probe, a forged or stray packet) and is counted, never used. See
 * doc/probing.md. */
#ifndef BORDERTRACE_PROBE_H
#define BORDERTRACE_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bordertrace/addr.h"
#include "bordertrace/reply.h"
#include "bordertrace/trace.h"

#define BT_PROBE_MAX_ATTEMPTS 8
#define BT_PROBE_SPORT_BASE 40000 /* udp/tcp source port = base + flow */
#define BT_PROBE_ICMP_SUM_BASE 0x1000 /* icmp checksum = base + flow */
#define BT_PROBE_MAX_FLOW 4095
#define BT_PROBE_UDP_DPORT 33435
#define BT_PROBE_TCP_DPORT 80
#define BT_PROBE_PAYLOAD 12 /* bytes after the transport header */

/* What stays constant across the probes of one invocation (one flow). */
typedef struct bt_flow {
	bt_method method;
	uint16_t flow;     /* flow number (--flow) */
	uint16_t sport;    /* udp/tcp */
	uint16_t dport;    /* udp/tcp */
	uint16_t icmp_sum; /* icmp-paris */
	uint32_t secret;   /* keys the integrity check */
} bt_flow;

/* Fills sport/dport/icmp_sum from method and flow number; dport 0 = default. */
void bt_flow_init(bt_flow *f, bt_method m, uint16_t flow, uint16_t dport, uint32_t secret);

/* The integrity check for one probe. */
uint16_t bt_probe_check(const bt_flow *f, uint32_t dst, uint8_t ttl, uint8_t attempt);

/* The probe's header fields as they go on the wire (host order). */
typedef struct bt_probe_fields {
	uint16_t ip_id;
	uint16_t echo_id, echo_seq;   /* icmp */
	uint16_t udp_sum;             /* udp */
	uint32_t tcp_seq;             /* tcp */
	uint8_t payload[BT_PROBE_PAYLOAD];
} bt_probe_fields;

/* Computes every per-probe field, payload compensation included. src and dst
 * in network order (the UDP checksum covers the pseudo-header). */
void bt_probe_fields_make(const bt_flow *f, uint32_t src, uint32_t dst, uint8_t ttl,
			  uint8_t attempt, bt_probe_fields *out);

/* A libnet context with the probe's headers built once and modified in place
 * (ptags reused), as libnet's documentation advises for repeated sends. */
typedef struct bt_probe_builder bt_probe_builder;

/* injection: LIBNET_RAW4 or LIBNET_RAW6 to send (the raw socket is opened
 * here, libnet only builds), LIBNET_NONE to build only (tests). device is
 * not used: bind the socket through bt_probe_builder_fd. On error returns
 * NULL with the reason in err. */
bt_probe_builder *bt_probe_builder_open(int injection, const char *device, char *err, size_t errlen);
void bt_probe_builder_close(bt_probe_builder *b);
/* The raw socket's descriptor (to bind to a device), or -1. */
int bt_probe_builder_fd(bt_probe_builder *b);

/* Builds (in place) the probe for (dst, ttl, attempt) from src. 0 or -1. */
int bt_probe_build(bt_probe_builder *b, const bt_flow *f, uint32_t src, uint32_t dst,
		   uint8_t ttl, uint8_t attempt, char *err, size_t errlen);
/* Copies the built packet (IP header first) into buf; returns its length, or
 * -1 if it does not fit or cannot be assembled. For tests and fuzz seeds. */
int bt_probe_copy(bt_probe_builder *b, uint8_t *buf, size_t buflen);

/* The fast path the engine uses. libnet builds one probe of the method once
 * (the template); each probe is that template with the fields that vary
 * patched in and the checksums computed here: the very bytes bt_probe_build
 * gives in a build-only context (tests compare them; in LIBNET_RAW4 mode
 * libnet leaves the IP checksum 0 for the kernel, which fills it in for
 * IP_HDRINCL sockets whatever it was). Sent with sendto as libnet does on
 * Linux (no BSD byte-order fix-ups). buf holds BT_PROBE_MAX_LEN bytes.
 * Returns the length, or -1 with err set. */
#define BT_PROBE_MAX_LEN 64
int bt_probe_render(bt_probe_builder *b, const bt_flow *f, uint32_t src, uint32_t dst,
		    uint8_t ttl, uint8_t attempt, uint8_t *buf, char *err, size_t errlen);
/* Renders and sends one probe on the builder's raw socket (LIBNET_RAW4).
 * Returns the bytes written, or -1 with err set and errno kept (ENOBUFS and
 * EAGAIN mean the queue is full, EINTR a signal). */
int bt_probe_emit(bt_probe_builder *b, const bt_flow *f, uint32_t src, uint32_t dst,
		  uint8_t ttl, uint8_t attempt, char *err, size_t errlen);
/* The same, sent on socket fd to the address to (the packet socket's
 * sockaddr_ll: the probe is whole, the IP header included). */
struct sockaddr;
int bt_probe_emit_to(bt_probe_builder *b, const bt_flow *f, uint32_t src, uint32_t dst, uint8_t ttl,
		     uint8_t attempt, int fd, const struct sockaddr *to, unsigned tolen, char *err, size_t errlen);

/* ---- matching ---- */

typedef enum bt_match_kind {
	BT_MATCH_HOP = 0,   /* ICMP time exceeded from a router */
	BT_MATCH_DEST,      /* the destination answered: echo reply, port
			       unreachable from the destination, TCP RST/SYN-ACK */
	BT_MATCH_UNREACH,   /* ICMP destination unreachable (other) */
} bt_match_kind;

typedef struct bt_match {
	bt_match_kind kind;
	uint16_t flow;     /* the probe's flow number */
	uint32_t dst;      /* the probe's destination (network order) */
	uint8_t ttl;       /* the probe's TTL */
	uint8_t attempt;   /* the probe's attempt number, 1-based */
} bt_match;

/* Decides whether a parsed reply answers one of our probes of flow f.
 * Returns 0 with *m filled, or -1 when the reply is foreign. Pure. */
int bt_probe_match(const bt_flow *f, const bt_reply *r, bt_match *m);

/* The same for a run probing flows base->flow .. base->flow + nflows - 1 at
 * once: the flow is read from the reply's flow fields (port, or ICMP
 * checksum — for an echo reply, recomputed from the reply's own checksum,
 * RFC 1624), then checked as above. */
int bt_probe_match_flows(const bt_flow *base, uint16_t nflows, const bt_reply *r, bt_match *m);

#endif
