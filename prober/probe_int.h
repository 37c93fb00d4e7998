/* bordertrace — what probe.c (IPv4) and probe6.c (IPv6) share and nobody
 * else sees: the builder's state and the arithmetic both families use the
 * same way. Static inline, so that the IPv4 per-probe path compiles to what
 * it was when all of it lived in probe.c. */
#ifndef BT_PROBER_PROBE_INT_H
#define BT_PROBER_PROBE_INT_H

#include <errno.h>
#include <libnet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "bordertrace/bytes.h"
#include "bordertrace/hash.h"
#include "bordertrace/probe.h"

/* probe6.c marks the blocks and the template it built with this bit, so
 * that an IPv4 build after an IPv6 one (and the reverse) starts over. */
#define BT_PROBE_V6_TAG 0x100

struct bt_probe_builder {
	libnet_t *l;      /* builds only (LIBNET_NONE): the socket is fd */
	int fd;           /* the raw socket (LIBNET_RAW4/RAW6 asked), or -1 */
	libnet_ptag_t l4_tag, ip_tag;
	int method;       /* of the l4 block built (| BT_PROBE_V6_TAG), to rebuild when it changes */
	bool have_l4;
	/* The fast path: libnet's bytes for one probe of tmethod, built once;
	 * bt_probe_render patches the fields that vary. */
	int tmethod;      /* -1: no template yet; | BT_PROBE_V6_TAG for IPv6 */
	uint16_t tlen;
	uint8_t tmpl[BT_PROBE_MAX_LEN];
};

/* The last steps of the keyed check, after the destination has been mixed
 * into x: the flow's hashed fields, then TTL (hop limit) and attempt. */
static inline uint16_t bt_probe_check_finish(const bt_flow *f, uint64_t x, uint8_t ttl, uint8_t attempt)
{
	uint64_t flowword = ((uint64_t)f->method << 48) | ((uint64_t)f->sport << 32) |
			    ((uint64_t)f->dport << 16) | f->icmp_sum;
	x = bt_mix64(x ^ flowword);
	x = bt_mix64(x ^ ((uint64_t)ttl << 8) ^ attempt);
	uint16_t c = (uint16_t)(x >> 40);
	/* 0 in a UDP checksum means "none"; keep it out of the code space. */
	return c ? c : 0x5a5a;
}

/* The two bytes that, added to a block whose ones-complement sum (without
 * checksum and without these bytes) is partial, make its checksum equal want. */
static inline void bt_probe_compensate(uint32_t partial, uint16_t want, uint8_t out[2])
{
	/* Need fold(partial + C) == ~want, so C = ~want - partial = ~want + ~partial. */
	uint16_t c = bt_fold16((uint32_t)(uint16_t)~want + (uint32_t)(uint16_t)~bt_fold16(partial));
	out[0] = (uint8_t)(c >> 8);
	out[1] = (uint8_t)c;
}

/* Recognisable filler, so a capture shows whose probe this is. */
static inline void bt_probe_filler(uint8_t *p, size_t n)
{
	memcpy(p, "bordertrace", n < 11 ? n : 11);
}

/* The tag attempt << 8 | ttl: true when it names a probe we could have sent. */
static inline bool bt_probe_tag_ok(uint16_t tag, uint8_t *ttl, uint8_t *attempt)
{
	*ttl = (uint8_t)tag;
	*attempt = (uint8_t)(tag >> 8);
	return *ttl != 0 && *attempt >= 1 && *attempt <= BT_PROBE_MAX_ATTEMPTS;
}

/* Writes the transport fields a probe's template leaves to patch: the flow
 * constants and the per-probe fields of pf, and for TCP the checksum, over
 * the family's pseudo-header: pseudo(ctx, l4len) gives its unfolded sum
 * (called for TCP only; inlined, as it is a constant here). l4len: the
 * transport header and payload's length. */
static inline void bt_probe_patch_l4(uint8_t *l4, size_t l4len, const bt_flow *f, const bt_probe_fields *pf,
				     uint32_t (*pseudo)(const void *ctx, size_t l4len), const void *ctx)
{
	switch (f->method) {
	case BT_METHOD_ICMP_PARIS:
		bt_put16(l4 + 2, f->icmp_sum);
		bt_put16(l4 + 4, pf->echo_id);
		bt_put16(l4 + 6, pf->echo_seq);
		memcpy(l4 + 8, pf->payload, BT_PROBE_PAYLOAD);
		break;
	case BT_METHOD_UDP_PARIS:
		bt_put16(l4, f->sport);
		bt_put16(l4 + 2, f->dport);
		bt_put16(l4 + 6, pf->udp_sum);
		memcpy(l4 + 8, pf->payload, BT_PROBE_PAYLOAD);
		break;
	case BT_METHOD_TCP_SYN:
	default:
		bt_put16(l4, f->sport);
		bt_put16(l4 + 2, f->dport);
		bt_put16(l4 + 4, (uint16_t)(pf->tcp_seq >> 16));
		bt_put16(l4 + 6, (uint16_t)pf->tcp_seq);
		bt_put16(l4 + 16, 0);
		bt_put16(l4 + 16, bt_cksum(l4, l4len, pseudo(ctx, l4len)));
		break;
	}
}

/* The flow of a run (flows base->flow .. + nflows - 1) whose hashed field
 * (ICMP checksum, or source port) is fieldval: 0 with *f set, or -1 when
 * no flow of the run has it. */
static inline int bt_probe_flow_of(const bt_flow *base, uint16_t nflows, uint32_t fieldval, bt_flow *f)
{
	uint32_t first = base->method == BT_METHOD_ICMP_PARIS ? base->icmp_sum : base->sport;
	if (fieldval < first || fieldval - first >= nflows)
		return -1;
	bt_flow_init(f, base->method, (uint16_t)(base->flow + (fieldval - first)), base->dport, base->secret);
	return 0;
}

/* Sends one rendered probe of n bytes to `to`. Returns n, or -1 with err
 * set and errno kept (EMSGSIZE for a short write). */
static inline int bt_probe_sendto(int fd, const uint8_t *pkt, int n, const struct sockaddr *to, socklen_t tolen,
				  char *err, size_t errlen)
{
	ssize_t w = sendto(fd, pkt, (size_t)n, 0, to, tolen);
	if (w != n) {
		int saved = errno;
		if (w < 0)
			snprintf(err, errlen, "sendto: %s", strerror(saved));
		else
			snprintf(err, errlen, "sendto: %zd of %d bytes written", w, n);
		errno = w < 0 ? saved : EMSGSIZE;
		return -1;
	}
	return n;
}

#endif
