/* bordertrace — Internet simulator, replies: what the synthetic Internet
 * sends back for one IPv4 or IPv6 packet the prober wrote into the TUN device.
 *
 * A pure function over byte buffers (plus the routers' token buckets): the
 * serving loop reads a packet, calls bt_sim_answer(), writes the reply if
 * there is one. Replies are what Linux routers and hosts send: ICMP time
 * exceeded (RFC 792) quoting the probe as received, echo reply, ICMP port
 * unreachable, TCP RST+ACK (RFC 9293 3.10.7.1); over IPv6 the ICMPv6 ones
 * (RFC 4443: time exceeded 3/0, echo reply 129, port unreachable 1/4) quoting
 * as much as fits in 1280 bytes. All checksums valid. */
#ifndef BT_SIM_PACKET_H
#define BT_SIM_PACKET_H

#include <stddef.h>
#include <stdint.h>

#include "sim_model.h"

/* Counters the serving loop prints; bt_sim_answer adds to them. */
typedef struct bt_sim_counters {
	uint64_t in;          /* packets read */
	uint64_t out;         /* replies built */
	uint64_t time_exceeded, echo_reply, port_unreach, tcp_rst;
	uint64_t ratelimited; /* time exceeded dropped by a token bucket */
	uint64_t silent;      /* expired at a silent router */
	uint64_t dark;        /* reached a target that does not answer */
	uint64_t noroute;     /* destination is not a target */
	uint64_t ignored;     /* not a probe: other protocols, fragments,
				 malformed, TCP without SYN, ICMP other than echo */
	uint64_t lost;        /* replies the TUN device refused (serve loop) */
	uint64_t in6;         /* of in: IPv6 packets */
	uint64_t unparsed6;   /* of ignored: IPv6 packets whose extension headers
				 it does not walk (fragment, routing, AH, ESP, ...)
				 or that end inside one */
} bt_sim_counters;

/* Biggest IPv4 reply: IP + ICMP headers + the longest quote. */
#define BT_SIM_REPLY4_MAX (20 + 8 + BT_SIM_QUOTE_MAX)
/* Biggest reply of either family: IPv6's minimum MTU (RFC 8200). */
#define BT_SIM_REPLY_MAX (40 + 8 + BT_SIM_QUOTE6_MAX)

/* Answers the packet pkt[0..len) arriving at time now_ns in the given
 * phase. Returns the reply's length (written to out), or 0 when nothing is
 * sent back (the counters say why). */
size_t bt_sim_answer(bt_sim_model *m, unsigned phase, const uint8_t *pkt, size_t len,
		     uint64_t now_ns, uint8_t out[BT_SIM_REPLY_MAX], bt_sim_counters *c);

#endif
