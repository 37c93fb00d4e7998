/* bordertrace — IPv6 probe encoding, building and matching (see
 * include/bordertrace/probe6.h and doc/probing.md, "IPv6").
 *
 * The same scheme as probe.c with the IPv6 header (RFC 8200) and the IPv6
 * pseudo-header (RFC 8200 section 8.1), which every transport checksum
 * covers, ICMPv6's included (RFC 4443 section 2.3). The builder, the
 * template and the arithmetic are probe.c's (probe_int.h). */
#include "bordertrace/probe6.h"

#include <libnet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "bordertrace/bytes.h"
#include "bordertrace/hash.h"
#include "bordertrace/icmp.h"
#include "probe_int.h"

#define IP6_HDR 40
#define L4_LEN (BT_PROBE6_LEN - IP6_HDR) /* 8 + payload, or a bare TCP header */

uint32_t bt_probe6_flowlabel(const bt_flow *f)
{
	return BT_PROBE6_FLOWLABEL_BASE + f->flow;
}

uint16_t bt_probe6_check(const bt_flow *f, const uint8_t *dst, uint8_t hlim, uint8_t attempt)
{
	uint64_t hi, lo;
	memcpy(&hi, dst, 8);
	memcpy(&lo, dst + 8, 8);
	uint64_t x = bt_mix64(((uint64_t)f->secret << 32) ^ hi);
	return bt_probe_check_finish(f, bt_mix64(x ^ lo), hlim, attempt);
}

/* The unfolded sum of the IPv6 pseudo-header (RFC 8200 section 8.1). */
static uint32_t pseudo6(const uint8_t *src, const uint8_t *dst, uint16_t len, uint8_t nh)
{
	return bt_sum16(dst, 16, bt_sum16(src, 16, 0)) + len + nh;
}

/* The pseudo-header of a TCP segment of the probe at ctx (its addresses
 * already written). */
static inline uint32_t pseudo6_tcp(const void *ctx, size_t tl)
{
	const uint8_t *ip = ctx;
	return pseudo6(ip + 8, ip + 24, (uint16_t)tl, IPPROTO_TCP);
}

void bt_probe6_fields_make(const bt_flow *f, const uint8_t *src, const uint8_t *dst, uint8_t hlim,
			   uint8_t attempt, bt_probe_fields *out)
{
	uint16_t check = bt_probe6_check(f, dst, hlim, attempt);
	uint16_t tag = (uint16_t)((attempt << 8) | hlim);

	memset(out, 0, sizeof(*out));
	switch (f->method) {
	case BT_METHOD_ICMP_PARIS: {
		/* payload: [0..1] compensation, then filler */
		bt_probe_filler(out->payload + 2, BT_PROBE_PAYLOAD - 2);
		out->echo_id = check;
		out->echo_seq = tag;
		uint8_t hdr[8] = { BT_ICMP6_ECHO_REQUEST, 0, 0, 0 };
		bt_put16(hdr + 4, check);
		bt_put16(hdr + 6, tag);
		uint32_t s = pseudo6(src, dst, L4_LEN, IPPROTO_ICMPV6);
		s = bt_sum16(out->payload, BT_PROBE_PAYLOAD, bt_sum16(hdr, sizeof(hdr), s));
		bt_probe_compensate(s, f->icmp_sum, out->payload);
		break;
	}
	case BT_METHOD_UDP_PARIS: {
		/* payload: [0..1] the tag (no IP-ID to carry it), [2..3]
		 * compensation, then filler */
		bt_put16(out->payload, tag);
		bt_probe_filler(out->payload + 4, BT_PROBE_PAYLOAD - 4);
		out->udp_sum = check;
		uint8_t hdr[8];
		bt_put16(hdr, f->sport);
		bt_put16(hdr + 2, f->dport);
		bt_put16(hdr + 4, L4_LEN);
		bt_put16(hdr + 6, 0);
		uint32_t s = pseudo6(src, dst, L4_LEN, IPPROTO_UDP);
		s = bt_sum16(out->payload, BT_PROBE_PAYLOAD, bt_sum16(hdr, sizeof(hdr), s));
		bt_probe_compensate(s, check, out->payload + 2);
		break;
	}
	case BT_METHOD_TCP_SYN:
		out->tcp_seq = ((uint32_t)check << 16) | tag;
		break;
	}
}

static int fail(bt_probe_builder *b, char *err, size_t errlen)
{
	snprintf(err, errlen, "building IPv6 probe: %s", libnet_geterror(b->l));
	return -1;
}

int bt_probe6_build(bt_probe_builder *b, const bt_flow *f, const uint8_t *src, const uint8_t *dst,
		    uint8_t hlim, uint8_t attempt, char *err, size_t errlen)
{
	bt_probe_fields pf;
	uint8_t nh;
	int tagged = BT_PROBE_V6_TAG | (int)f->method;

	bt_probe6_fields_make(f, src, dst, hlim, attempt, &pf);
	if (b->have_l4 && b->method != tagged) {
		/* another method or family needs other blocks: start over */
		libnet_clear_packet(b->l);
		b->l4_tag = b->ip_tag = LIBNET_PTAG_INITIALIZER;
		b->have_l4 = false;
	}
	switch (f->method) {
	case BT_METHOD_ICMP_PARIS:
		nh = IPPROTO_ICMPV6;
		b->l4_tag = libnet_build_icmpv6_echo(BT_ICMP6_ECHO_REQUEST, 0, f->icmp_sum, pf.echo_id,
						     pf.echo_seq, pf.payload, BT_PROBE_PAYLOAD, b->l, b->l4_tag);
		break;
	case BT_METHOD_UDP_PARIS:
		nh = IPPROTO_UDP;
		b->l4_tag = libnet_build_udp(f->sport, f->dport, L4_LEN, pf.udp_sum, pf.payload,
					     BT_PROBE_PAYLOAD, b->l, b->l4_tag);
		break;
	case BT_METHOD_TCP_SYN:
	default:
		nh = IPPROTO_TCP;
		/* sum 0: libnet computes it over the IPv6 pseudo-header */
		b->l4_tag = libnet_build_tcp(f->sport, f->dport, pf.tcp_seq, 0, TH_SYN, 5840, 0, 0,
					     L4_LEN, NULL, 0, b->l, b->l4_tag);
		break;
	}
	if (b->l4_tag == -1)
		return fail(b, err, errlen);
	b->method = tagged;
	b->have_l4 = true;
	struct libnet_in6_addr s6, d6;
	memcpy(&s6, src, 16);
	memcpy(&d6, dst, 16);
	uint32_t fl = bt_probe6_flowlabel(f);
	b->ip_tag = libnet_build_ipv6(0, fl, L4_LEN, nh, hlim, s6, d6, NULL, 0, b->l, b->ip_tag);
	if (b->ip_tag == -1)
		return fail(b, err, errlen);
	/* libnet 1.1.6 writes the label's middle byte as `fl & 0x0FF00 >> 8`
	 * (its low byte): write version, class and label ourselves. */
	libnet_pblock_t *p = libnet_pblock_find(b->l, b->ip_tag);
	if (p == NULL || p->b_len < 4)
		return fail(b, err, errlen);
	bt_put32(p->buf, 6u << 28 | fl);
	return 0;
}

/* ---- the fast path: a template from libnet, patched per probe ---- */

static int make_template6(bt_probe_builder *b, const bt_flow *f, char *err, size_t errlen)
{
	/* Any flow and addresses do: every field they set is patched. */
	static const uint8_t zero[16];
	if (bt_probe6_build(b, f, zero, zero, 1, 1, err, errlen) != 0)
		return -1;
	int n = bt_probe_copy(b, b->tmpl, sizeof(b->tmpl));
	if (n != BT_PROBE6_LEN) {
		snprintf(err, errlen, "building IPv6 probe: cannot assemble the template");
		return -1;
	}
	b->tlen = (uint16_t)n;
	b->tmethod = BT_PROBE_V6_TAG | (int)f->method;
	return 0;
}

int bt_probe6_render(bt_probe_builder *b, const bt_flow *f, const uint8_t *src, const uint8_t *dst,
		     uint8_t hlim, uint8_t attempt, uint8_t *buf, char *err, size_t errlen)
{
	if (b->tmethod != (BT_PROBE_V6_TAG | (int)f->method) && make_template6(b, f, err, errlen) != 0)
		return -1;
	bt_probe_fields pf;
	bt_probe6_fields_make(f, src, dst, hlim, attempt, &pf);
	memcpy(buf, b->tmpl, BT_PROBE6_LEN);
	bt_put32(buf, 6u << 28 | bt_probe6_flowlabel(f));
	buf[7] = hlim;
	memcpy(buf + 8, src, 16);
	memcpy(buf + 24, dst, 16);
	bt_probe_patch_l4(buf + IP6_HDR, L4_LEN, f, &pf, pseudo6_tcp, buf);
	return BT_PROBE6_LEN;
}

int bt_probe6_emit(bt_probe_builder *b, const bt_flow *f, const uint8_t *src, const uint8_t *dst,
		   uint8_t hlim, uint8_t attempt, char *err, size_t errlen)
{
	uint8_t pkt[BT_PROBE_MAX_LEN];
	int n = bt_probe6_render(b, f, src, dst, hlim, attempt, pkt, err, errlen);
	if (n < 0)
		return -1;
	/* IPPROTO_RAW: the kernel routes by sin6_addr and sends our header as
	 * it is (hop limit, flow label); sin6_port must be 0 or the protocol. */
	struct sockaddr_in6 to = { .sin6_family = AF_INET6 };
	memcpy(&to.sin6_addr, dst, 16);
	return bt_probe_sendto(b->fd, pkt, n, (const struct sockaddr *)&to, sizeof(to), err, errlen);
}

/* ---- matching ---- */

static bool icmp6_error(const bt_reply6 *r)
{
	return r->proto == IPPROTO_ICMPV6 &&
	       (r->icmp_type == BT_ICMP6_TIME_EXCEEDED || r->icmp_type == BT_ICMP6_UNREACH);
}

/* The tag and check a quoted probe carries, once its protocol and flow
 * fields are ours. -1 when they are not, or the quote is too short. */
static int quote_fields(const bt_flow *f, const bt_reply6 *r, uint16_t *tag, uint16_t *check)
{
	const uint8_t *l4 = r->q_l4;

	switch (f->method) {
	case BT_METHOD_ICMP_PARIS:
		if (r->q_proto != IPPROTO_ICMPV6 || l4[0] != BT_ICMP6_ECHO_REQUEST || l4[1] != 0 ||
		    bt_get16(l4 + 2) != f->icmp_sum)
			return -1;
		*check = bt_get16(l4 + 4);
		*tag = bt_get16(l4 + 6);
		return 0;
	case BT_METHOD_UDP_PARIS:
		/* the tag is the payload's first two bytes */
		if (r->q_proto != IPPROTO_UDP || r->q_l4_len < 10 || bt_get16(l4) != f->sport ||
		    bt_get16(l4 + 2) != f->dport)
			return -1;
		*check = bt_get16(l4 + 6);
		*tag = bt_get16(l4 + 8);
		return 0;
	case BT_METHOD_TCP_SYN:
	default:
		if (r->q_proto != IPPROTO_TCP || bt_get16(l4) != f->sport || bt_get16(l4 + 2) != f->dport)
			return -1;
		*check = bt_get16(l4 + 4);
		*tag = bt_get16(l4 + 6);
		return 0;
	}
}

/* The tag and check an answer from the destination carries: an echo reply
 * returns id and seq; a TCP RST or SYN-ACK from the probed port
 * acknowledges seq + 1. -1 when it is neither. */
static int answer_fields(const bt_flow *f, const bt_reply6 *r, uint16_t *tag, uint16_t *check)
{
	if (r->proto == IPPROTO_ICMPV6 && r->icmp_type == BT_ICMP6_ECHO_REPLY &&
	    f->method == BT_METHOD_ICMP_PARIS) {
		*check = r->echo_id;
		*tag = r->echo_seq;
		return 0;
	}
	if (r->proto == IPPROTO_TCP && f->method == BT_METHOD_TCP_SYN) {
		bool rst = (r->tcp_flags & 0x04) != 0;
		bool synack = (r->tcp_flags & 0x12) == 0x12;
		if ((!rst && !synack) || r->tcp_sport != f->dport || r->tcp_dport != f->sport)
			return -1;
		uint32_t seq = r->tcp_ack - 1;
		*check = (uint16_t)(seq >> 16);
		*tag = (uint16_t)seq;
		return 0;
	}
	return -1;
}

int bt_probe6_match(const bt_flow *f, const bt_reply6 *r, bt_match6 *m)
{
	uint16_t tag, check;
	const uint8_t *dst;

	memset(m, 0, sizeof(*m));
	if (icmp6_error(r)) {
		if (!r->quoted || quote_fields(f, r, &tag, &check) != 0)
			return -1;
		dst = r->q_dst;
		if (r->icmp_type == BT_ICMP6_TIME_EXCEEDED)
			m->kind = BT_MATCH_HOP;
		else if (r->icmp_code == BT_ICMP6_UNREACH_PORT && memcmp(r->src, r->q_dst, 16) == 0)
			m->kind = BT_MATCH_DEST; /* the destination itself said port unreachable */
		else
			m->kind = BT_MATCH_UNREACH;
	} else {
		if (answer_fields(f, r, &tag, &check) != 0)
			return -1;
		dst = r->src;
		m->kind = BT_MATCH_DEST;
	}
	if (!bt_probe_tag_ok(tag, &m->hlim, &m->attempt) || check != bt_probe6_check(f, dst, m->hlim, m->attempt)) {
		memset(m, 0, sizeof(*m));
		return -1;
	}
	memcpy(m->dst, dst, 16);
	m->flow = f->flow;
	return 0;
}

int bt_probe6_match_flows(const bt_flow *base, uint16_t nflows, const bt_reply6 *r, bt_match6 *m)
{
	uint32_t fieldval;
	bool icmp = base->method == BT_METHOD_ICMP_PARIS;

	if (icmp6_error(r) && r->quoted) {
		/* quoted ICMPv6 checksum, or quoted source port */
		fieldval = icmp ? bt_get16(r->q_l4 + 2) : bt_get16(r->q_l4);
	} else if (r->proto == IPPROTO_ICMPV6 && r->icmp_type == BT_ICMP6_ECHO_REPLY && icmp) {
		/* An echo reply differs from its request only in the type (128 ->
		 * 129; the pseudo-header's addresses swap, which the sum does not
		 * see), so the request's checksum is the reply's plus 0x0100
		 * (RFC 1624): ~(~reply - 0x0100). */
		fieldval = (uint16_t)~bt_fold16((uint32_t)(uint16_t)~r->icmp_sum + 0xfeff);
	} else if (r->proto == IPPROTO_TCP) {
		fieldval = r->tcp_dport;
	} else {
		return -1;
	}
	bt_flow f;
	if (bt_probe_flow_of(base, nflows, fieldval, &f) != 0)
		return -1;
	return bt_probe6_match(&f, r, m);
}
