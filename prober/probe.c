/* bordertrace — probe encoding and building (see include/bordertrace/probe.h).
 *
 * The encoding is pure arithmetic over header fields; libnet assembles and
 * sends the packet. Checksums that carry meaning (the ICMP checksum that a
 * load balancer hashes, the UDP checksum that carries our check) are set by
 * us and made valid by two compensation bytes at the start of the payload. */
#include "bordertrace/probe.h"

#include <libnet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bordertrace/bytes.h"
#include "bordertrace/hash.h"
#include "bordertrace/icmp.h"
#include "probe_int.h"

void bt_flow_init(bt_flow *f, bt_method m, uint16_t flow, uint16_t dport, uint32_t secret)
{
	memset(f, 0, sizeof(*f));
	f->method = m;
	f->flow = flow;
	f->secret = secret;
	switch (m) {
	case BT_METHOD_ICMP_PARIS:
		f->icmp_sum = (uint16_t)(BT_PROBE_ICMP_SUM_BASE + flow);
		break;
	case BT_METHOD_UDP_PARIS:
		f->sport = (uint16_t)(BT_PROBE_SPORT_BASE + flow);
		f->dport = dport ? dport : BT_PROBE_UDP_DPORT;
		break;
	case BT_METHOD_TCP_SYN:
		f->sport = (uint16_t)(BT_PROBE_SPORT_BASE + flow);
		f->dport = dport ? dport : BT_PROBE_TCP_DPORT;
		break;
	}
}

uint16_t bt_probe_check(const bt_flow *f, uint32_t dst, uint8_t ttl, uint8_t attempt)
{
	return bt_probe_check_finish(f, bt_mix64(((uint64_t)f->secret << 32) ^ dst), ttl, attempt);
}

void bt_probe_fields_make(const bt_flow *f, uint32_t src, uint32_t dst, uint8_t ttl,
			  uint8_t attempt, bt_probe_fields *out)
{
	uint16_t check = bt_probe_check(f, dst, ttl, attempt);
	uint16_t tag = (uint16_t)((attempt << 8) | ttl);

	memset(out, 0, sizeof(*out));
	bt_probe_filler(out->payload + 2, BT_PROBE_PAYLOAD - 2);
	out->ip_id = tag;

	switch (f->method) {
	case BT_METHOD_ICMP_PARIS: {
		out->echo_seq = tag;
		out->echo_id = check;
		uint8_t hdr[8] = { BT_ICMP_ECHO, 0, 0, 0, (uint8_t)(check >> 8), (uint8_t)check,
				   (uint8_t)(tag >> 8), (uint8_t)tag };
		uint32_t s = bt_sum16(hdr, sizeof(hdr), 0);
		s = bt_sum16(out->payload + 2, BT_PROBE_PAYLOAD - 2, s);
		bt_probe_compensate(s, f->icmp_sum, out->payload);
		break;
	}
	case BT_METHOD_UDP_PARIS: {
		out->udp_sum = check;
		uint16_t ulen = 8 + BT_PROBE_PAYLOAD;
		uint8_t ph[12 + 8];
		memcpy(ph, &src, 4);
		memcpy(ph + 4, &dst, 4);
		ph[8] = 0;
		ph[9] = IPPROTO_UDP;
		ph[10] = (uint8_t)(ulen >> 8);
		ph[11] = (uint8_t)ulen;
		ph[12] = (uint8_t)(f->sport >> 8);
		ph[13] = (uint8_t)f->sport;
		ph[14] = (uint8_t)(f->dport >> 8);
		ph[15] = (uint8_t)f->dport;
		ph[16] = (uint8_t)(ulen >> 8);
		ph[17] = (uint8_t)ulen;
		ph[18] = 0;
		ph[19] = 0;
		uint32_t s = bt_sum16(ph, sizeof(ph), 0);
		s = bt_sum16(out->payload + 2, BT_PROBE_PAYLOAD - 2, s);
		bt_probe_compensate(s, check, out->payload);
		break;
	}
	case BT_METHOD_TCP_SYN:
		out->tcp_seq = ((uint32_t)check << 16) | tag;
		break;
	}
}

/* The raw socket of a LIBNET_RAW4 or LIBNET_RAW6 builder, opened here and
 * not by libnet. libnet 1.1.6 raises a new raw socket's SO_SNDBUF 128 bytes
 * at a time up to 1 MiB, about 6,500 setsockopt calls a socket; Linux clamps
 * each request to net.core.wmem_max and never fails, so the loop ends where
 * one request for 1 MiB does. That one request is made here: the same
 * buffer, and ~8 ms less CPU a run (most of a 100-probes/s round's own
 * work). IPPROTO_RAW means the header is ours (IP_HDRINCL, and IPv6's
 * equivalent), as in libnet's raw modes. */
static int raw_socket(int injection, char *err, size_t errlen)
{
	int v6 = injection == LIBNET_RAW6;
	int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (fd < 0) {
		snprintf(err, errlen, "raw IPv%d socket: %s", v6 ? 6 : 4, strerror(errno));
		return -1;
	}
	int n = 1048576;
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &n, sizeof(n)); /* clamped, as libnet's */
	return fd;
}

bt_probe_builder *bt_probe_builder_open(int injection, const char *device, char *err, size_t errlen)
{
	(void)device; /* the caller binds the socket (bt_probe_builder_fd) */
	char ebuf[LIBNET_ERRBUF_SIZE] = "";
	bt_probe_builder *b = calloc(1, sizeof(*b));
	if (b == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	b->fd = -1;
	if (injection == LIBNET_RAW4 || injection == LIBNET_RAW6) {
		b->fd = raw_socket(injection, err, errlen);
		if (b->fd < 0) {
			free(b);
			return NULL;
		}
	}
	b->l = libnet_init(LIBNET_NONE, NULL, ebuf);
	if (b->l == NULL) {
		snprintf(err, errlen, "%s", ebuf);
		if (b->fd >= 0)
			close(b->fd);
		free(b);
		return NULL;
	}
	b->l4_tag = LIBNET_PTAG_INITIALIZER;
	b->ip_tag = LIBNET_PTAG_INITIALIZER;
	b->tmethod = -1;
	return b;
}

void bt_probe_builder_close(bt_probe_builder *b)
{
	if (b == NULL)
		return;
	libnet_destroy(b->l);
	if (b->fd >= 0)
		close(b->fd);
	free(b);
}

int bt_probe_builder_fd(bt_probe_builder *b)
{
	return b->fd;
}

int bt_probe_build(bt_probe_builder *b, const bt_flow *f, uint32_t src, uint32_t dst,
		   uint8_t ttl, uint8_t attempt, char *err, size_t errlen)
{
	bt_probe_fields pf;
	uint8_t proto;
	uint32_t l4len;

	bt_probe_fields_make(f, src, dst, ttl, attempt, &pf);
	if (b->have_l4 && b->method != (int)f->method) {
		/* A different protocol needs different blocks: start over. */
		libnet_clear_packet(b->l);
		b->l4_tag = b->ip_tag = LIBNET_PTAG_INITIALIZER;
		b->have_l4 = false;
	}
	switch (f->method) {
	case BT_METHOD_ICMP_PARIS:
		proto = IPPROTO_ICMP;
		l4len = LIBNET_ICMPV4_ECHO_H + BT_PROBE_PAYLOAD;
		b->l4_tag = libnet_build_icmpv4_echo(ICMP_ECHO, 0, f->icmp_sum, pf.echo_id,
						     pf.echo_seq, pf.payload, BT_PROBE_PAYLOAD,
						     b->l, b->l4_tag);
		break;
	case BT_METHOD_UDP_PARIS:
		proto = IPPROTO_UDP;
		l4len = LIBNET_UDP_H + BT_PROBE_PAYLOAD;
		b->l4_tag = libnet_build_udp(f->sport, f->dport, (uint16_t)l4len, pf.udp_sum,
					     pf.payload, BT_PROBE_PAYLOAD, b->l, b->l4_tag);
		break;
	case BT_METHOD_TCP_SYN:
	default:
		proto = IPPROTO_TCP;
		l4len = LIBNET_TCP_H;
		/* sum 0: libnet computes the TCP checksum over the pseudo-header. */
		b->l4_tag = libnet_build_tcp(f->sport, f->dport, pf.tcp_seq, 0, TH_SYN, 5840, 0, 0,
					     (uint16_t)l4len, NULL, 0, b->l, b->l4_tag);
		break;
	}
	if (b->l4_tag == -1)
		goto fail;
	b->method = f->method;
	b->have_l4 = true;
	b->ip_tag = libnet_build_ipv4((uint16_t)(LIBNET_IPV4_H + l4len), 0, pf.ip_id, 0, ttl,
				      proto, 0, src, dst, NULL, 0, b->l, b->ip_tag);
	if (b->ip_tag == -1)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "building probe: %s", libnet_geterror(b->l));
	return -1;
}

int bt_probe_copy(bt_probe_builder *b, uint8_t *buf, size_t buflen)
{
	uint8_t *pkt = NULL;
	uint32_t len = 0;
	/* libnet 1.1.6 culls only in link mode; coalescing is what culling
	 * does underneath and works in every mode, LIBNET_NONE included. */
	if (libnet_pblock_coalesce(b->l, &pkt, &len) == -1)
		return -1;
	int r = -1;
	if (len <= buflen) {
		memcpy(buf, pkt, len);
		r = (int)len;
	}
	libnet_adv_free_packet(b->l, pkt);
	return r;
}

/* ---- the fast path: a template from libnet, patched per probe ---- */

/* The IPv4 pseudo-header of a TCP segment (RFC 9293 3.1); ctx: source and
 * destination, network order. */
static inline uint32_t pseudo4_tcp(const void *ctx, size_t tl)
{
	const uint32_t *a = ctx;
	uint8_t ph[12];
	memcpy(ph, &a[0], 4);
	memcpy(ph + 4, &a[1], 4);
	ph[8] = 0;
	ph[9] = IPPROTO_TCP;
	bt_put16(ph + 10, (uint16_t)tl);
	return bt_sum16(ph, sizeof(ph), 0);
}

static int make_template(bt_probe_builder *b, const bt_flow *f, char *err, size_t errlen)
{
	/* Any flow and addresses do: every field they set is patched. */
	if (bt_probe_build(b, f, 0, 0, 1, 1, err, errlen) != 0)
		return -1;
	int n = bt_probe_copy(b, b->tmpl, sizeof(b->tmpl));
	if (n < 20 + 8) {
		snprintf(err, errlen, "building probe: cannot assemble the template");
		return -1;
	}
	b->tlen = (uint16_t)n;
	b->tmethod = (int)f->method;
	return 0;
}

int bt_probe_render(bt_probe_builder *b, const bt_flow *f, uint32_t src, uint32_t dst,
		    uint8_t ttl, uint8_t attempt, uint8_t *buf, char *err, size_t errlen)
{
	if (b->tmethod != (int)f->method && make_template(b, f, err, errlen) != 0)
		return -1;
	bt_probe_fields pf;
	bt_probe_fields_make(f, src, dst, ttl, attempt, &pf);
	memcpy(buf, b->tmpl, b->tlen);
	uint32_t addrs[2] = { src, dst };
	bt_probe_patch_l4(buf + 20, (size_t)b->tlen - 20, f, &pf, pseudo4_tcp, addrs);
	bt_put16(buf + 4, pf.ip_id);
	buf[8] = ttl;
	memcpy(buf + 12, &src, 4);
	memcpy(buf + 16, &dst, 4);
	bt_put16(buf + 10, 0);
	bt_put16(buf + 10, bt_cksum(buf, 20, 0));
	return b->tlen;
}

int bt_probe_emit_to(bt_probe_builder *b, const bt_flow *f, uint32_t src, uint32_t dst, uint8_t ttl,
		     uint8_t attempt, int fd, const struct sockaddr *to, unsigned tolen, char *err, size_t errlen)
{
	uint8_t pkt[BT_PROBE_MAX_LEN];
	int n = bt_probe_render(b, f, src, dst, ttl, attempt, pkt, err, errlen);
	if (n < 0)
		return -1;
	return bt_probe_sendto(fd, pkt, n, to, (socklen_t)tolen, err, errlen);
}

int bt_probe_emit(bt_probe_builder *b, const bt_flow *f, uint32_t src, uint32_t dst,
		  uint8_t ttl, uint8_t attempt, char *err, size_t errlen)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr.s_addr = dst };
	return bt_probe_emit_to(b, f, src, dst, ttl, attempt, b->fd, (const struct sockaddr *)&to, sizeof(to),
				err, errlen);
}

/* ---- matching ---- */

/* Time exceeded or unreachable: the messages that quote our probe. */
static bool icmp_error(const bt_reply *r)
{
	return r->proto == IPPROTO_ICMP &&
	       (r->icmp_type == BT_ICMP_TIME_EXCEEDED || r->icmp_type == BT_ICMP_UNREACH);
}

/* Checks a quoted probe: protocol, flow fields and the keyed check. */
static int match_quote(const bt_flow *f, const bt_reply *r, bt_match *m)
{
	const uint8_t *l4 = r->q_l4;
	uint8_t ttl, attempt;

	switch (f->method) {
	case BT_METHOD_ICMP_PARIS:
		if (r->q_proto != IPPROTO_ICMP || l4[0] != BT_ICMP_ECHO || l4[1] != 0 ||
		    bt_get16(l4 + 2) != f->icmp_sum)
			return -1;
		if (!bt_probe_tag_ok(bt_get16(l4 + 6), &ttl, &attempt) ||
		    bt_get16(l4 + 4) != bt_probe_check(f, r->q_dst, ttl, attempt))
			return -1;
		break;
	case BT_METHOD_UDP_PARIS:
		if (r->q_proto != IPPROTO_UDP || bt_get16(l4) != f->sport || bt_get16(l4 + 2) != f->dport)
			return -1;
		if (!bt_probe_tag_ok(r->q_ip_id, &ttl, &attempt) ||
		    bt_get16(l4 + 6) != bt_probe_check(f, r->q_dst, ttl, attempt))
			return -1;
		break;
	case BT_METHOD_TCP_SYN:
	default: {
		if (r->q_proto != IPPROTO_TCP || bt_get16(l4) != f->sport || bt_get16(l4 + 2) != f->dport)
			return -1;
		uint32_t seq = bt_get32(l4 + 4);
		if (!bt_probe_tag_ok((uint16_t)seq, &ttl, &attempt) ||
		    (seq >> 16) != bt_probe_check(f, r->q_dst, ttl, attempt))
			return -1;
		break;
	}
	}
	m->dst = r->q_dst;
	m->ttl = ttl;
	m->attempt = attempt;
	m->flow = f->flow;
	return 0;
}

int bt_probe_match(const bt_flow *f, const bt_reply *r, bt_match *m)
{
	uint8_t ttl, attempt;

	memset(m, 0, sizeof(*m));
	if (icmp_error(r)) {
		if (!r->quoted || match_quote(f, r, m) != 0)
			return -1;
		if (r->icmp_type == BT_ICMP_TIME_EXCEEDED) {
			m->kind = BT_MATCH_HOP;
		} else if (r->src == r->q_dst &&
			   (r->icmp_code == BT_ICMP_UNREACH_PORT ||
			    (f->method != BT_METHOD_UDP_PARIS && r->icmp_code == BT_ICMP_UNREACH_PROTOCOL))) {
			/* the destination itself said port (or protocol) unreachable */
			m->kind = BT_MATCH_DEST;
		} else {
			m->kind = BT_MATCH_UNREACH;
		}
		return 0;
	}
	if (r->proto == IPPROTO_ICMP && r->icmp_type == BT_ICMP_ECHO_REPLY &&
	    f->method == BT_METHOD_ICMP_PARIS) {
		if (!bt_probe_tag_ok(r->echo_seq, &ttl, &attempt) ||
		    r->echo_id != bt_probe_check(f, r->src, ttl, attempt))
			return -1;
		m->kind = BT_MATCH_DEST;
		m->dst = r->src;
		m->ttl = ttl;
		m->attempt = attempt;
		m->flow = f->flow;
		return 0;
	}
	if (r->proto == IPPROTO_TCP && f->method == BT_METHOD_TCP_SYN) {
		/* RST or SYN-ACK from the destination, acknowledging seq + 1. */
		bool rst = (r->tcp_flags & 0x04) != 0;
		bool synack = (r->tcp_flags & 0x12) == 0x12;
		if ((!rst && !synack) || r->tcp_sport != f->dport || r->tcp_dport != f->sport)
			return -1;
		uint32_t seq = r->tcp_ack - 1;
		if (!bt_probe_tag_ok((uint16_t)seq, &ttl, &attempt) ||
		    (seq >> 16) != bt_probe_check(f, r->src, ttl, attempt))
			return -1;
		m->kind = BT_MATCH_DEST;
		m->dst = r->src;
		m->ttl = ttl;
		m->attempt = attempt;
		m->flow = f->flow;
		return 0;
	}
	return -1;
}

int bt_probe_match_flows(const bt_flow *base, uint16_t nflows, const bt_reply *r, bt_match *m)
{
	uint32_t fieldval;
	bool icmp = base->method == BT_METHOD_ICMP_PARIS;

	if (icmp_error(r) && r->quoted) {
		/* quoted ICMP checksum, or quoted source port */
		fieldval = icmp ? bt_get16(r->q_l4 + 2) : bt_get16(r->q_l4);
	} else if (r->proto == IPPROTO_ICMP && r->icmp_type == BT_ICMP_ECHO_REPLY && icmp) {
		/* An echo reply differs from its request only in the type (8 -> 0),
		 * so the request's checksum is the reply's less 0x0800 (RFC 1624). */
		fieldval = (uint16_t)~bt_fold16((uint32_t)(uint16_t)~r->icmp_sum + 0x0800);
	} else if (r->proto == IPPROTO_TCP) {
		fieldval = r->tcp_dport;
	} else {
		return -1;
	}
	bt_flow f;
	if (bt_probe_flow_of(base, nflows, fieldval, &f) != 0)
		return -1;
	return bt_probe_match(&f, r, m);
}
