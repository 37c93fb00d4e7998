/* Unit tests: IPv6 probe encoding and building (libnet, build-only
 * context), IPv6 reply parsing (extension headers, RFC 4884 extensions,
 * link layers, every truncation) and matching, forged and foreign replies
 * included. Replies are made from the very bytes of the rendered probes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <libnet.h>
#include <pcap/dlt.h>
#include <stdlib.h>
#include <string.h>

#include "bordertrace/bytes.h"
#include "bordertrace/icmp.h"
#include "bordertrace/probe.h"
#include "bordertrace/probe6.h"
#include "bordertrace/reply.h"
#include "bordertrace/reply6.h"
#include "forge.h"
#include "prober_test.h"

#define SRC "2001:db8::2"
#define DST "2001:db8:0:3::2"
#define RTR "2001:db8:0:1::2"

static uint8_t src6[16], dst6[16], rtr6[16];

static int setup(void **state)
{
	(void)state;
	inet_pton(AF_INET6, SRC, src6);
	inet_pton(AF_INET6, DST, dst6);
	inet_pton(AF_INET6, RTR, rtr6);
	return 0;
}

/* A probe as the engine sends it (render), from SRC to DST. */
static int build6(bt_method m, uint16_t flow, uint8_t hlim, uint8_t attempt, uint32_t secret, uint8_t *buf)
{
	char err[256];
	bt_flow f;
	bt_flow_init(&f, m, flow, 0, secret);
	bt_probe_builder *b = bt_probe_builder_open(LIBNET_NONE, NULL, err, sizeof(err));
	assert_non_null(b);
	int n = bt_probe6_render(b, &f, src6, dst6, hlim, attempt, buf, err, sizeof(err));
	bt_probe_builder_close(b);
	assert_int_equal(n, BT_PROBE6_LEN);
	return n;
}

static size_t make_err6(uint8_t *out, uint8_t type, uint8_t code, const uint8_t *from,
			const uint8_t *probe, size_t qlen)
{
	return forge_icmp6_error(out, type, code, from, src6, probe, qlen, 1, 0);
}

/* The destination's echo reply to an echo request probe, with a fresh
 * checksum as hosts compute it. */
static size_t make_echo_reply6(uint8_t *r, const uint8_t *probe)
{
	forge_ip6(r, BT_PROBE6_LEN - 40, 58, 61, probe + 24, probe + 8);
	memcpy(r + 40, probe + 40, BT_PROBE6_LEN - 40);
	r[40] = BT_ICMP6_ECHO_REPLY;
	forge_icmp6_sum(r + 40, BT_PROBE6_LEN - 40, probe + 24, probe + 8);
	return BT_PROBE6_LEN;
}

/* The destination's TCP answer (flags) acknowledging seq + ackd. */
static size_t make_tcp6(uint8_t *r, const uint8_t *probe, uint8_t flags, uint32_t ackd)
{
	forge_ip6(r, 20, IPPROTO_TCP, 61, probe + 24, probe + 8);
	memset(r + 40, 0, 20);
	memcpy(r + 40, probe + 42, 2);
	memcpy(r + 42, probe + 40, 2);
	bt_put32(r + 48, bt_get32(probe + 44) + ackd);
	r[52] = 0x50;
	r[53] = flags;
	return 60;
}

static uint32_t pseudo(const uint8_t *p, size_t l4len, uint8_t nh)
{
	uint8_t ph[40] = { 0 };
	memcpy(ph, p + 8, 32);
	bt_put32(ph + 32, (uint32_t)l4len);
	ph[39] = nh;
	return bt_sum16(ph, sizeof(ph), 0);
}

/* Two random 16-byte addresses. */
static void rnd_addrs(uint64_t *x, uint8_t *s, uint8_t *d)
{
	for (int k = 0; k < 16; k += 8) {
		uint64_t r1 = pt_rnd(x), r2 = pt_rnd(x);
		memcpy(s + k, &r1, 8);
		memcpy(d + k, &r2, 8);
	}
}

/* ---- probes ---- */

static void test6_paris_fields_constant(void **state)
{
	(void)state;
	uint8_t a[BT_PROBE_MAX_LEN], b[BT_PROBE_MAX_LEN];
	for (int m = 0; m <= 2; m++) {
		build6((bt_method)m, 7, 1, 1, 99, a);
		for (int hl = 1; hl <= 255; hl += 7) {
			for (int att = 1; att <= BT_PROBE_MAX_ATTEMPTS; att += 3) {
				build6((bt_method)m, 7, (uint8_t)hl, (uint8_t)att, 99, b);
				/* version, traffic class, flow label, payload length, next header */
				assert_memory_equal(a, b, 7);
				assert_int_equal(b[7], hl);
				assert_memory_equal(a + 8, b + 8, 32); /* addresses */
				/* ICMPv6 type/code/checksum, or the two ports */
				assert_memory_equal(a + 40, b + 40, 4);
			}
		}
		assert_int_equal(bt_get32(a) >> 28, 6);
		assert_int_equal((a[0] & 0x0f) << 4 | a[1] >> 4, 0); /* traffic class */
		assert_int_equal(bt_get32(a) & 0xfffff, BT_PROBE6_FLOWLABEL_BASE + 7);
		assert_int_equal(bt_get16(a + 4), BT_PROBE6_LEN - 40);
	}
}

/* The ICMPv6 checksum is the flow's constant for any source and
 * destination (the payload compensates for the pseudo-header). */
static void test6_icmp_checksum_constant(void **state)
{
	(void)state;
	char err[256];
	bt_probe_builder *b = bt_probe_builder_open(LIBNET_NONE, NULL, err, sizeof(err));
	assert_non_null(b);
	uint64_t x = 88;
	for (int i = 0; i < 2000; i++) {
		uint8_t s[16], d[16], p[BT_PROBE_MAX_LEN];
		rnd_addrs(&x, s, d);
		bt_flow f;
		uint16_t flow = (uint16_t)(pt_rnd(&x) % (BT_PROBE_MAX_FLOW + 1));
		bt_flow_init(&f, BT_METHOD_ICMP_PARIS, flow, 0, (uint32_t)pt_rnd(&x));
		uint8_t hl = (uint8_t)(1 + pt_rnd(&x) % 255), att = (uint8_t)(1 + pt_rnd(&x) % 8);
		assert_int_equal(bt_probe6_render(b, &f, s, d, hl, att, p, err, sizeof(err)), BT_PROBE6_LEN);
		assert_int_equal(bt_get16(p + 42), BT_PROBE_ICMP_SUM_BASE + flow);
		assert_int_equal(bt_cksum(p + 40, BT_PROBE6_LEN - 40, pseudo(p, BT_PROBE6_LEN - 40, 58)), 0);
	}
	bt_probe_builder_close(b);
}

static void test6_flow_changes_hashed_fields(void **state)
{
	(void)state;
	uint8_t a[BT_PROBE_MAX_LEN], b[BT_PROBE_MAX_LEN];
	for (int m = 0; m <= 2; m++) {
		build6((bt_method)m, 1, 5, 1, 1, a);
		build6((bt_method)m, 2, 5, 1, 1, b);
		assert_memory_not_equal(a + 1, b + 1, 3); /* flow label */
		assert_memory_not_equal(a + 40, b + 40, 4);
	}
}

/* Every field of every method, checksums verified with the bytes.h sums
 * over the IPv6 pseudo-header. */
static void test6_fields_and_checksums(void **state)
{
	(void)state;
	uint8_t p[BT_PROBE_MAX_LEN];
	bt_flow f;
	uint16_t tag = 2 << 8 | 4;

	build6(BT_METHOD_ICMP_PARIS, 3, 4, 2, 5, p);
	bt_flow_init(&f, BT_METHOD_ICMP_PARIS, 3, 0, 5);
	assert_int_equal(p[6], IPPROTO_ICMPV6);
	assert_int_equal(p[40], BT_ICMP6_ECHO_REQUEST);
	assert_int_equal(p[41], 0);
	assert_int_equal(bt_get16(p + 42), BT_PROBE_ICMP_SUM_BASE + 3);
	assert_int_equal(bt_get16(p + 44), bt_probe6_check(&f, dst6, 4, 2));
	assert_int_equal(bt_get16(p + 46), tag);
	assert_int_equal(bt_cksum(p + 40, 20, pseudo(p, 20, 58)), 0);
	assert_memory_equal(p + 50, "bordertrac", 10);

	build6(BT_METHOD_UDP_PARIS, 3, 4, 2, 5, p);
	bt_flow_init(&f, BT_METHOD_UDP_PARIS, 3, 0, 5);
	assert_int_equal(p[6], IPPROTO_UDP);
	assert_int_equal(bt_get16(p + 40), BT_PROBE_SPORT_BASE + 3);
	assert_int_equal(bt_get16(p + 42), BT_PROBE_UDP_DPORT);
	assert_int_equal(bt_get16(p + 44), 20);
	assert_int_equal(bt_get16(p + 46), bt_probe6_check(&f, dst6, 4, 2));
	assert_int_equal(bt_get16(p + 48), tag);
	assert_int_equal(bt_cksum(p + 40, 20, pseudo(p, 20, IPPROTO_UDP)), 0);
	assert_memory_equal(p + 52, "bordertr", 8);

	build6(BT_METHOD_TCP_SYN, 3, 4, 2, 5, p);
	bt_flow_init(&f, BT_METHOD_TCP_SYN, 3, 0, 5);
	assert_int_equal(p[6], IPPROTO_TCP);
	assert_int_equal(bt_get16(p + 40), BT_PROBE_SPORT_BASE + 3);
	assert_int_equal(bt_get16(p + 42), BT_PROBE_TCP_DPORT);
	assert_int_equal(bt_get32(p + 44), (uint32_t)bt_probe6_check(&f, dst6, 4, 2) << 16 | tag);
	assert_int_equal(p[52], 0x50);
	assert_int_equal(p[53], 0x02); /* SYN */
	assert_int_equal(bt_cksum(p + 40, 20, pseudo(p, 20, IPPROTO_TCP)), 0);

	/* the check: keyed, and every input changes it */
	uint16_t c = bt_probe6_check(&f, dst6, 4, 2);
	assert_int_not_equal(c, 0);
	uint8_t d2[16];
	memcpy(d2, dst6, 16);
	d2[3] ^= 1; /* a bit in the high half */
	assert_int_not_equal(c, bt_probe6_check(&f, d2, 4, 2));
	assert_int_not_equal(c, bt_probe6_check(&f, dst6, 5, 2));
	assert_int_not_equal(c, bt_probe6_check(&f, dst6, 4, 3));
	bt_flow g = f;
	g.secret ^= 1;
	assert_int_not_equal(c, bt_probe6_check(&g, dst6, 4, 2));
}

/* The fast path gives the very bytes libnet builds (with its flow label
 * corrected): random flows, addresses, hop limits, attempts, secrets,
 * methods and families switching back and forth on one builder. */
static void test6_render_equals_libnet(void **state)
{
	(void)state;
	char err[256];
	bt_probe_builder *fast = bt_probe_builder_open(LIBNET_NONE, NULL, err, sizeof(err));
	bt_probe_builder *ref = bt_probe_builder_open(LIBNET_NONE, NULL, err, sizeof(err));
	assert_non_null(fast);
	assert_non_null(ref);
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	for (int i = 0; i < 20000; i++) {
		bt_flow f;
		bt_method m = (bt_method)(pt_rnd(&x) % 3);
		uint16_t dport = pt_rnd(&x) & 1 ? (uint16_t)pt_rnd(&x) : 0;
		bt_flow_init(&f, m, (uint16_t)(pt_rnd(&x) % (BT_PROBE_MAX_FLOW + 1)), dport, (uint32_t)pt_rnd(&x));
		uint8_t s[16], d[16];
		rnd_addrs(&x, s, d);
		uint8_t hl = (uint8_t)(1 + pt_rnd(&x) % 255), att = (uint8_t)(1 + pt_rnd(&x) % BT_PROBE_MAX_ATTEMPTS);
		uint8_t a[BT_PROBE_MAX_LEN], b[256];
		int n = bt_probe6_render(fast, &f, s, d, hl, att, a, err, sizeof(err));
		assert_int_equal(bt_probe6_build(ref, &f, s, d, hl, att, err, sizeof(err)), 0);
		int nb = bt_probe_copy(ref, b, sizeof(b));
		assert_int_equal(n, nb);
		if (memcmp(a, b, (size_t)n) != 0) {
			for (int k = 0; k < n; k++)
				if (a[k] != b[k])
					print_error("method %d byte %d: render %02x libnet %02x\n", m, k, a[k], b[k]);
			fail();
		}
		if (i % 7 == 0) {
			/* an IPv4 probe on the same builders in between */
			uint8_t v4[BT_PROBE_MAX_LEN];
			assert_true(bt_probe_render(fast, &f, 1, 2, hl, att, v4, err, sizeof(err)) > 20);
			assert_int_equal(bt_probe_build(ref, &f, 1, 2, hl, att, err, sizeof(err)), 0);
			assert_int_equal(bt_probe_copy(ref, b, sizeof(b)), bt_probe_render(fast, &f, 1, 2, hl, att, v4, err, sizeof(err)));
			assert_memory_equal(v4, b, 20);
		}
	}
	bt_probe_builder_close(fast);
	bt_probe_builder_close(ref);
}

/* ---- replies and matching ---- */

static void test6_match_time_exceeded_all_methods(void **state)
{
	(void)state;
	uint8_t p[BT_PROBE_MAX_LEN], r[256];
	for (int m = 0; m <= 2; m++) {
		bt_flow f;
		bt_flow_init(&f, (bt_method)m, 9, 0, 1234);
		build6((bt_method)m, 9, 6, 2, 1234, p);
		size_t n = make_err6(r, BT_ICMP6_TIME_EXCEEDED, 0, rtr6, p, BT_PROBE6_LEN);
		bt_reply6 rep;
		assert_int_equal(bt_reply6_parse_ip(r, n, &rep), BT_REPLY_OK);
		assert_true(rep.quoted);
		assert_int_equal(rep.q_hlim, 1);
		assert_int_equal(rep.q_flowlabel, BT_PROBE6_FLOWLABEL_BASE + 9);
		assert_int_equal(rep.q_l4_len, BT_REPLY6_QL4);
		assert_memory_equal(rep.src, rtr6, 16);
		bt_match6 mt;
		assert_int_equal(bt_probe6_match(&f, &rep, &mt), 0);
		assert_int_equal(mt.kind, BT_MATCH_HOP);
		assert_int_equal(mt.hlim, 6);
		assert_int_equal(mt.attempt, 2);
		assert_int_equal(mt.flow, 9);
		assert_memory_equal(mt.dst, dst6, 16);

		/* another secret (another bordertrace run) is foreign */
		bt_flow other;
		bt_flow_init(&other, (bt_method)m, 9, 0, 4321);
		assert_int_equal(bt_probe6_match(&other, &rep, &mt), -1);
		/* another flow of ours, another method: foreign too */
		bt_flow_init(&other, (bt_method)m, 10, 0, 1234);
		assert_int_equal(bt_probe6_match(&other, &rep, &mt), -1);
		bt_flow_init(&other, (bt_method)((m + 1) % 3), 9, 0, 1234);
		assert_int_equal(bt_probe6_match(&other, &rep, &mt), -1);
		/* the IPv4 parser does not take it */
		bt_reply r4;
		assert_int_equal(bt_reply_parse_ip(r, n, &r4), BT_REPLY_OTHER);
	}
}

static void test6_match_dest_and_unreach(void **state)
{
	(void)state;
	uint8_t p[BT_PROBE_MAX_LEN], r[256];
	bt_flow f;
	bt_reply6 rep;
	bt_match6 mt;

	/* every unreachable code, from the destination and from a router:
	 * only port unreachable (4) from the destination is the destination */
	for (int m = 0; m <= 2; m++) {
		bt_flow_init(&f, (bt_method)m, 0, 0, 77);
		build6((bt_method)m, 0, 3, 1, 77, p);
		for (int code = 0; code <= 8; code++) {
			for (int from_dst = 0; from_dst <= 1; from_dst++) {
				size_t n = make_err6(r, BT_ICMP6_UNREACH, (uint8_t)code, from_dst ? dst6 : rtr6, p, BT_PROBE6_LEN);
				assert_int_equal(bt_reply6_parse_ip(r, n, &rep), BT_REPLY_OK);
				assert_int_equal(bt_probe6_match(&f, &rep, &mt), 0);
				bt_match_kind want = from_dst && code == BT_ICMP6_UNREACH_PORT ? BT_MATCH_DEST : BT_MATCH_UNREACH;
				assert_int_equal(mt.kind, want);
				assert_int_equal(mt.hlim, 3);
			}
		}
	}

	/* echo reply: the destination echoes id and seq */
	bt_flow_init(&f, BT_METHOD_ICMP_PARIS, 0, 0, 77);
	build6(BT_METHOD_ICMP_PARIS, 0, 4, 1, 77, p);
	size_t n = make_echo_reply6(r, p);
	assert_int_equal(bt_reply6_parse_ip(r, n, &rep), BT_REPLY_OK);
	assert_int_equal(bt_probe6_match(&f, &rep, &mt), 0);
	assert_int_equal(mt.kind, BT_MATCH_DEST);
	assert_int_equal(mt.hlim, 4);
	assert_memory_equal(mt.dst, dst6, 16);
	/* somebody else's ping reply (another id) is foreign */
	bt_put16(r + 44, (uint16_t)(bt_get16(r + 44) ^ 0x0101));
	assert_int_equal(bt_reply6_parse_ip(r, n, &rep), BT_REPLY_OK);
	assert_int_equal(bt_probe6_match(&f, &rep, &mt), -1);
	/* an echo reply from another address than the one probed: foreign */
	n = make_echo_reply6(r, p);
	r[8 + 15] ^= 1;
	bt_reply6_parse_ip(r, n, &rep);
	assert_int_equal(bt_probe6_match(&f, &rep, &mt), -1);

	/* TCP RST acknowledging seq + 1; SYN-ACK too; a bare ACK, a wrong ack
	 * or the wrong ports are not ours */
	bt_flow_init(&f, BT_METHOD_TCP_SYN, 0, 0, 77);
	build6(BT_METHOD_TCP_SYN, 0, 5, 1, 77, p);
	n = make_tcp6(r, p, 0x14, 1);
	assert_int_equal(bt_reply6_parse_ip(r, n, &rep), BT_REPLY_OK);
	assert_int_equal(rep.proto, IPPROTO_TCP);
	assert_int_equal(bt_probe6_match(&f, &rep, &mt), 0);
	assert_int_equal(mt.kind, BT_MATCH_DEST);
	assert_int_equal(mt.hlim, 5);
	make_tcp6(r, p, 0x12, 1);
	bt_reply6_parse_ip(r, n, &rep);
	assert_int_equal(bt_probe6_match(&f, &rep, &mt), 0);
	make_tcp6(r, p, 0x10, 1);
	bt_reply6_parse_ip(r, n, &rep);
	assert_int_equal(bt_probe6_match(&f, &rep, &mt), -1);
	make_tcp6(r, p, 0x14, 2);
	bt_reply6_parse_ip(r, n, &rep);
	assert_int_equal(bt_probe6_match(&f, &rep, &mt), -1);
	make_tcp6(r, p, 0x14, 1);
	r[41] ^= 1; /* source port */
	bt_reply6_parse_ip(r, n, &rep);
	assert_int_equal(bt_probe6_match(&f, &rep, &mt), -1);
	/* a TCP answer is no reply for an ICMP flow */
	make_tcp6(r, p, 0x14, 1);
	bt_reply6_parse_ip(r, n, &rep);
	bt_flow_init(&f, BT_METHOD_ICMP_PARIS, 0, 0, 77);
	assert_int_equal(bt_probe6_match(&f, &rep, &mt), -1);
}

static void test6_foreign_and_forged(void **state)
{
	(void)state;
	uint8_t p[BT_PROBE_MAX_LEN], r[256], g[256];
	bt_reply6 rep;
	bt_match6 mt;
	for (int m = 0; m <= 2; m++) {
		bt_flow f;
		bt_flow_init(&f, (bt_method)m, 0, 0, 5);
		build6((bt_method)m, 0, 3, 1, 5, p);
		size_t n = make_err6(r, BT_ICMP6_TIME_EXCEEDED, 0, rtr6, p, BT_PROBE6_LEN);
		/* offsets in the reply: quote at 48, its transport at 88 */
		size_t tag_at = m == BT_METHOD_UDP_PARIS ? 88 + 8 : 88 + 6;
		/* the untouched reply matches */
		assert_int_equal(bt_reply6_parse_ip(r, n, &rep), BT_REPLY_OK);
		assert_int_equal(bt_probe6_match(&f, &rep, &mt), 0);
		/* quoted destination changed (either half): the check fails */
		for (size_t at = 48 + 24; at < 48 + 40; at += 5) {
			memcpy(g, r, n);
			g[at] ^= 0x10;
			assert_int_equal(bt_reply6_parse_ip(g, n, &rep), BT_REPLY_OK);
			assert_int_equal(bt_probe6_match(&f, &rep, &mt), -1);
		}
		/* hop limit in the tag changed (a probe we never sent) */
		memcpy(g, r, n);
		g[tag_at + 1] ^= 0x02;
		bt_reply6_parse_ip(g, n, &rep);
		assert_int_equal(bt_probe6_match(&f, &rep, &mt), -1);
		/* hop limit 0, attempt 0, attempt above the maximum */
		memcpy(g, r, n);
		g[tag_at + 1] = 0;
		bt_reply6_parse_ip(g, n, &rep);
		assert_int_equal(bt_probe6_match(&f, &rep, &mt), -1);
		memcpy(g, r, n);
		g[tag_at] = 0;
		bt_reply6_parse_ip(g, n, &rep);
		assert_int_equal(bt_probe6_match(&f, &rep, &mt), -1);
		memcpy(g, r, n);
		g[tag_at] = BT_PROBE_MAX_ATTEMPTS + 1;
		bt_reply6_parse_ip(g, n, &rep);
		assert_int_equal(bt_probe6_match(&f, &rep, &mt), -1);
		/* the check itself changed */
		memcpy(g, r, n);
		g[m == BT_METHOD_UDP_PARIS ? 88 + 7 : 88 + 5] ^= 0x40;
		bt_reply6_parse_ip(g, n, &rep);
		assert_int_equal(bt_probe6_match(&f, &rep, &mt), -1);
		/* the quoted hop limit is the router's business, not ours */
		memcpy(g, r, n);
		g[48 + 7] = 0;
		bt_reply6_parse_ip(g, n, &rep);
		assert_int_equal(bt_probe6_match(&f, &rep, &mt), 0);
	}
	/* another tool's probe: a traceroute6-style UDP probe, an ICMPv6 echo
	 * with another checksum */
	bt_flow f;
	bt_flow_init(&f, BT_METHOD_UDP_PARIS, 0, 0, 5);
	build6(BT_METHOD_UDP_PARIS, 0, 3, 1, 5, p);
	bt_put16(p + 40, 54321);
	bt_put16(p + 42, 33434);
	size_t n = make_err6(r, BT_ICMP6_TIME_EXCEEDED, 0, rtr6, p, BT_PROBE6_LEN);
	bt_reply6_parse_ip(r, n, &rep);
	assert_int_equal(bt_probe6_match(&f, &rep, &mt), -1);
	assert_int_equal(bt_probe6_match_flows(&f, 100, &rep, &mt), -1);
	bt_flow_init(&f, BT_METHOD_ICMP_PARIS, 0, 0, 5);
	build6(BT_METHOD_ICMP_PARIS, 0, 3, 1, 5, p);
	bt_put16(p + 42, 0xbeef);
	n = make_err6(r, BT_ICMP6_TIME_EXCEEDED, 0, rtr6, p, BT_PROBE6_LEN);
	bt_reply6_parse_ip(r, n, &rep);
	assert_int_equal(bt_probe6_match(&f, &rep, &mt), -1);

	/* packet too big, parameter problem, echo request, neighbour
	 * solicitation, router advertisement: not replies */
	build6(BT_METHOD_ICMP_PARIS, 0, 3, 1, 5, p);
	static const uint8_t types[] = { BT_ICMP6_PACKET_TOO_BIG, BT_ICMP6_PARAM_PROB, BT_ICMP6_ECHO_REQUEST, 135, 134 };
	for (size_t i = 0; i < sizeof(types); i++) {
		n = make_err6(r, types[i], 0, rtr6, p, BT_PROBE6_LEN);
		assert_int_equal(bt_reply6_parse_ip(r, n, &rep), BT_REPLY_OTHER);
	}
	/* a UDP datagram */
	n = make_err6(r, BT_ICMP6_TIME_EXCEEDED, 0, rtr6, p, BT_PROBE6_LEN);
	r[6] = IPPROTO_UDP;
	assert_int_equal(bt_reply6_parse_ip(r, n, &rep), BT_REPLY_OTHER);
}

/* Every reply kind cut at every length: never a crash or an over-read
 * (the copy is exactly cut bytes, for ASan), never OK before the bytes a
 * match needs, and the match only on a quote holding what it reads. */
static void test6_truncated_everywhere(void **state)
{
	(void)state;
	uint8_t p[BT_PROBE_MAX_LEN], r[256];
	for (int kind = 0; kind < 6; kind++) {
		static const bt_method km[] = { BT_METHOD_ICMP_PARIS, BT_METHOD_UDP_PARIS, BT_METHOD_TCP_SYN,
						 BT_METHOD_UDP_PARIS, BT_METHOD_ICMP_PARIS, BT_METHOD_TCP_SYN };
		bt_method m = km[kind];
		bt_flow f;
		bt_flow_init(&f, m, 0, 0, 5);
		build6(m, 0, 3, 1, 5, p);
		size_t n, need;
		if (kind < 3) {
			n = make_err6(r, BT_ICMP6_TIME_EXCEEDED, 0, rtr6, p, BT_PROBE6_LEN);
			need = 48 + 40 + 8; /* quote: header and 8 transport bytes */
		} else if (kind == 3) {
			n = make_err6(r, BT_ICMP6_UNREACH, BT_ICMP6_UNREACH_PORT, dst6, p, BT_PROBE6_LEN);
			need = 48 + 40 + 8;
		} else if (kind == 4) {
			n = make_echo_reply6(r, p);
			need = 48;
		} else {
			n = make_tcp6(r, p, 0x14, 1);
			need = 60;
		}
		bt_reply6 rep;
		bt_match6 mt;
		for (size_t cut = 0; cut <= n; cut++) {
			uint8_t *copy = malloc(cut ? cut : 1);
			memcpy(copy, r, cut);
			bt_reply_status s = bt_reply6_parse_ip(copy, cut, &rep);
			if (cut < need) {
				assert_int_equal(s, BT_REPLY_TRUNCATED);
			} else {
				assert_int_equal(s, BT_REPLY_OK);
				/* UDP's tag is 2 bytes into the payload */
				bool enough = m != BT_METHOD_UDP_PARIS || cut >= 48 + 40 + 10;
				assert_int_equal(bt_probe6_match(&f, &rep, &mt), enough ? 0 : -1);
			}
			free(copy);
		}
		/* the payload length says more than was captured: what is there
		 * is read, what is missing is truncated */
		bt_put16(r + 4, 1000);
		assert_int_equal(bt_reply6_parse_ip(r, need - 1, &rep), BT_REPLY_TRUNCATED);
		assert_int_equal(bt_reply6_parse_ip(r, n, &rep), BT_REPLY_OK);
	}
}

static size_t frag_hdr(uint8_t *out, uint8_t next, uint16_t offset8, bool more)
{
	memset(out, 0, 8);
	out[0] = next;
	bt_put16(out + 2, (uint16_t)(offset8 << 3 | (more ? 1 : 0)));
	bt_put32(out + 4, 0x12345678);
	return 8;
}

/* A reply from the router: IPv6 header, then `chain` (extension headers
 * ending with next header 58 at their end), then an ICMPv6 time exceeded
 * quoting the probe. The first header's type is first. */
static size_t with_chain(uint8_t *r, uint8_t first, const uint8_t *chain, size_t clen,
			 const uint8_t *probe, size_t qlen)
{
	uint8_t icmp[256];
	size_t in = make_err6(icmp, BT_ICMP6_TIME_EXCEEDED, 0, rtr6, probe, qlen) - 40;
	forge_ip6(r, (uint16_t)(clen + in), first, 60, rtr6, src6);
	memcpy(r + 40, chain, clen);
	memcpy(r + 40 + clen, icmp + 40, in);
	return 40 + clen + in;
}

static void test6_extension_headers(void **state)
{
	(void)state;
	uint8_t p[BT_PROBE_MAX_LEN], r[512], chain[256];
	bt_reply6 rep;
	bt_match6 mt;
	bt_flow f;
	bt_flow_init(&f, BT_METHOD_UDP_PARIS, 0, 0, 5);
	build6(BT_METHOD_UDP_PARIS, 0, 3, 1, 5, p);

	/* hop-by-hop, destination options, routing, first fragment, then ICMPv6 */
	size_t c = 0;
	c += forge_ip6_ext(chain + c, IPPROTO_DSTOPTS, 0);
	c += forge_ip6_ext(chain + c, IPPROTO_ROUTING, 1);
	c += forge_ip6_ext(chain + c, IPPROTO_FRAGMENT, 0);
	c += frag_hdr(chain + c, IPPROTO_ICMPV6, 0, true);
	size_t n = with_chain(r, IPPROTO_HOPOPTS, chain, c, p, BT_PROBE6_LEN);
	assert_int_equal(bt_reply6_parse_ip(r, n, &rep), BT_REPLY_OK);
	assert_int_equal(rep.proto, IPPROTO_ICMPV6);
	assert_int_equal(bt_probe6_match(&f, &rep, &mt), 0);
	/* every truncation of it */
	for (size_t cut = 0; cut < n; cut++) {
		uint8_t *copy = malloc(cut ? cut : 1);
		memcpy(copy, r, cut);
		bt_reply_status s = bt_reply6_parse_ip(copy, cut, &rep);
		assert_true(s == BT_REPLY_TRUNCATED || (s == BT_REPLY_OK && cut >= 40 + c + 48 + 8));
		free(copy);
	}

	/* a non-first fragment is not a reply */
	c = frag_hdr(chain, IPPROTO_ICMPV6, 3, false);
	n = with_chain(r, IPPROTO_FRAGMENT, chain, c, p, BT_PROBE6_LEN);
	assert_int_equal(bt_reply6_parse_ip(r, n, &rep), BT_REPLY_OTHER);
	/* no next header */
	c = forge_ip6_ext(chain, IPPROTO_NONE, 0);
	n = with_chain(r, IPPROTO_DSTOPTS, chain, c, p, BT_PROBE6_LEN);
	assert_int_equal(bt_reply6_parse_ip(r, n, &rep), BT_REPLY_OTHER);
	/* an unknown next header (or ESP, which hides what follows) */
	c = forge_ip6_ext(chain, 253, 0);
	n = with_chain(r, IPPROTO_DSTOPTS, chain, c, p, BT_PROBE6_LEN);
	assert_int_equal(bt_reply6_parse_ip(r, n, &rep), BT_REPLY_OTHER);
	c = forge_ip6_ext(chain, 50, 0);
	n = with_chain(r, IPPROTO_ROUTING, chain, c, p, BT_PROBE6_LEN);
	assert_int_equal(bt_reply6_parse_ip(r, n, &rep), BT_REPLY_OTHER);
	/* hop-by-hop anywhere but first is malformed */
	c = forge_ip6_ext(chain, IPPROTO_HOPOPTS, 0);
	c += forge_ip6_ext(chain + c, IPPROTO_ICMPV6, 0);
	n = with_chain(r, IPPROTO_DSTOPTS, chain, c, p, BT_PROBE6_LEN);
	assert_int_equal(bt_reply6_parse_ip(r, n, &rep), BT_REPLY_MALFORMED);
	/* a long chain (a "loop" of headers): malformed past the limit, fine at it */
	for (int k = BT_REPLY6_MAX_EXT; k <= BT_REPLY6_MAX_EXT + 1; k++) {
		c = 0;
		for (int i = 0; i < k; i++)
			c += forge_ip6_ext(chain + c, i + 1 < k ? IPPROTO_DSTOPTS : IPPROTO_ICMPV6, 0);
		n = with_chain(r, IPPROTO_DSTOPTS, chain, c, p, BT_PROBE6_LEN);
		assert_int_equal(bt_reply6_parse_ip(r, n, &rep), k <= BT_REPLY6_MAX_EXT ? BT_REPLY_OK : BT_REPLY_MALFORMED);
	}
	/* 255 headers of 8 bytes in a jumbo-free packet: still bounded */
	{
		uint8_t big[40 + 255 * 8];
		forge_ip6(big, 255 * 8, IPPROTO_DSTOPTS, 60, rtr6, src6);
		for (int i = 0; i < 255; i++)
			forge_ip6_ext(big + 40 + 8 * i, IPPROTO_DSTOPTS, 0);
		assert_int_equal(bt_reply6_parse_ip(big, sizeof(big), &rep), BT_REPLY_MALFORMED);
	}
	/* a header running past the payload length: malformed; past the
	 * capture (payload length larger): truncated */
	c = forge_ip6_ext(chain, IPPROTO_ICMPV6, 0);
	n = with_chain(r, IPPROTO_DSTOPTS, chain, c, p, BT_PROBE6_LEN);
	r[41] = 200; /* 1608 bytes */
	assert_int_equal(bt_reply6_parse_ip(r, n, &rep), BT_REPLY_MALFORMED);
	bt_put16(r + 4, 4000);
	assert_int_equal(bt_reply6_parse_ip(r, n, &rep), BT_REPLY_TRUNCATED);

	/* extension headers inside the quote: walked the same way */
	uint8_t q[256];
	memcpy(q, p, 40);
	q[6] = IPPROTO_HOPOPTS;
	c = 40;
	c += forge_ip6_ext(q + c, IPPROTO_FRAGMENT, 0);
	c += frag_hdr(q + c, IPPROTO_UDP, 0, true);
	memcpy(q + c, p + 40, BT_PROBE6_LEN - 40);
	size_t qlen = c + BT_PROBE6_LEN - 40;
	n = make_err6(r, BT_ICMP6_TIME_EXCEEDED, 0, rtr6, q, qlen);
	assert_int_equal(bt_reply6_parse_ip(r, n, &rep), BT_REPLY_OK);
	assert_int_equal(rep.q_proto, IPPROTO_UDP);
	assert_int_equal(bt_probe6_match(&f, &rep, &mt), 0);
	assert_int_equal(mt.hlim, 3);
	/* quote of a non-first fragment: not a reply to us */
	bt_put16(q + 48 + 2, 8 << 3);
	n = make_err6(r, BT_ICMP6_TIME_EXCEEDED, 0, rtr6, q, qlen);
	assert_int_equal(bt_reply6_parse_ip(r, n, &rep), BT_REPLY_OTHER);
	/* quote whose header runs past the quote: truncated */
	bt_put16(q + 48 + 2, 0);
	q[41] = 30;
	n = make_err6(r, BT_ICMP6_TIME_EXCEEDED, 0, rtr6, q, qlen);
	assert_int_equal(bt_reply6_parse_ip(r, n, &rep), BT_REPLY_TRUNCATED);
	/* quote with hop-by-hop second: malformed */
	q[41] = 0;
	q[6] = IPPROTO_DSTOPTS;
	q[40] = IPPROTO_HOPOPTS;
	n = make_err6(r, BT_ICMP6_TIME_EXCEEDED, 0, rtr6, q, qlen);
	assert_int_equal(bt_reply6_parse_ip(r, n, &rep), BT_REPLY_MALFORMED);
	/* quote whose transport is unknown: parses, matches nothing */
	memcpy(q, p, BT_PROBE6_LEN);
	q[6] = 253;
	n = make_err6(r, BT_ICMP6_TIME_EXCEEDED, 0, rtr6, q, BT_PROBE6_LEN);
	assert_int_equal(bt_reply6_parse_ip(r, n, &rep), BT_REPLY_OK);
	assert_int_equal(bt_probe6_match(&f, &rep, &mt), -1);
	/* quote that is not IPv6 */
	q[0] = 0x45;
	n = make_err6(r, BT_ICMP6_TIME_EXCEEDED, 0, rtr6, q, BT_PROBE6_LEN);
	assert_int_equal(bt_reply6_parse_ip(r, n, &rep), BT_REPLY_MALFORMED);
}

/* A time exceeded whose original datagram is padded to 128 bytes, then an
 * RFC 4884 extension with two MPLS labels. */
static size_t make_mpls6(uint8_t *r, const uint8_t *probe, bool rfc4884_len, bool bad_sum)
{
	uint8_t body[128 + 16] = { 0 };
	memcpy(body, probe, BT_PROBE6_LEN);
	forge_mpls_ext(body + 128, bad_sum);
	return forge_icmp6_error(r, BT_ICMP6_TIME_EXCEEDED, 0, rtr6, src6, body, sizeof(body), 1,
				 rfc4884_len ? 128 / 8 : 0);
}

static void test6_mpls_extensions(void **state)
{
	(void)state;
	uint8_t p[BT_PROBE_MAX_LEN], r[512];
	bt_reply6 rep;
	bt_match6 mt;
	bt_flow f;
	for (int m = 0; m <= 2; m++) {
		bt_flow_init(&f, (bt_method)m, 0, 0, 5);
		build6((bt_method)m, 0, 3, 1, 5, p);
		for (int compat = 0; compat <= 1; compat++) {
			size_t n = make_mpls6(r, p, compat == 0, false);
			assert_int_equal(bt_reply6_parse_ip(r, n, &rep), BT_REPLY_OK);
			assert_true(forge_mpls_ok(rep.mpls, rep.mpls_count));
			assert_int_equal(bt_probe6_match(&f, &rep, &mt), 0);
			/* every truncation: no over-read, labels only when whole */
			for (size_t cut = 0; cut < n; cut++) {
				uint8_t *copy = malloc(cut ? cut : 1);
				memcpy(copy, r, cut);
				if (bt_reply6_parse_ip(copy, cut, &rep) == BT_REPLY_OK)
					assert_true(rep.mpls_count == 0 || cut == n);
				free(copy);
			}
		}
	}
	/* bad extension checksum: labels ignored, hop kept */
	size_t n = make_mpls6(r, p, true, true);
	assert_int_equal(bt_reply6_parse_ip(r, n, &rep), BT_REPLY_OK);
	assert_int_equal(rep.mpls_count, 0);
	assert_int_equal(bt_probe6_match(&f, &rep, &mt), 0);
	/* object length running past the end: ignored */
	n = make_mpls6(r, p, true, false);
	bt_put16(r + 48 + 128 + 4, 400);
	bt_put16(r + 48 + 128 + 2, 0); /* "no checksum": the length is what is tested */
	assert_int_equal(bt_reply6_parse_ip(r, n, &rep), BT_REPLY_OK);
	assert_int_equal(rep.mpls_count, 0);
	/* object length 0 and 2 (below its own header): ignored, no loop */
	bt_put16(r + 48 + 128 + 4, 0);
	assert_int_equal(bt_reply6_parse_ip(r, n, &rep), BT_REPLY_OK);
	assert_int_equal(rep.mpls_count, 0);
	/* wrong version */
	n = make_mpls6(r, p, true, false);
	r[48 + 128] = 0x10;
	assert_int_equal(bt_reply6_parse_ip(r, n, &rep), BT_REPLY_OK);
	assert_int_equal(rep.mpls_count, 0);
	/* a length below 128 bytes cannot precede extensions (RFC 4884 4.1);
	 * the quote ends there all the same */
	n = make_mpls6(r, p, true, false);
	r[44] = 8; /* 64 bytes: the whole probe */
	assert_int_equal(bt_reply6_parse_ip(r, n, &rep), BT_REPLY_OK);
	assert_int_equal(rep.mpls_count, 0);
	assert_int_equal(bt_probe6_match(&f, &rep, &mt), 0);
	r[44] = 5; /* 40 bytes: the quote has no transport header */
	assert_int_equal(bt_reply6_parse_ip(r, n, &rep), BT_REPLY_TRUNCATED);
	/* a length past the end: ignored as if unset */
	r[44] = 200;
	assert_int_equal(bt_reply6_parse_ip(r, n, &rep), BT_REPLY_OK);
	assert_int_equal(bt_probe6_match(&f, &rep, &mt), 0);
}

static void test6_link_layers(void **state)
{
	(void)state;
	uint8_t p[BT_PROBE_MAX_LEN], r[256], fr[300];
	bt_reply6 rep;
	build6(BT_METHOD_ICMP_PARIS, 0, 3, 1, 5, p);
	size_t n = make_err6(r, BT_ICMP6_TIME_EXCEEDED, 0, rtr6, p, BT_PROBE6_LEN);
	/* Ethernet, one and two VLAN tags, trailing padding */
	for (int tags = 0; tags <= 2; tags++) {
		memset(fr, 0, sizeof(fr));
		size_t o = 12;
		for (int t = 0; t < tags; t++, o += 4)
			bt_put16(fr + o, t == 0 && tags == 2 ? 0x88a8 : 0x8100);
		bt_put16(fr + o, 0x86dd);
		memcpy(fr + o + 2, r, n);
		assert_int_equal(bt_reply6_parse(fr, o + 2 + n + 6, DLT_EN10MB, &rep), BT_REPLY_OK);
		assert_int_equal(rep.q_hlim, 1);
		/* cut inside the tags */
		assert_int_equal(bt_reply6_parse(fr, 14 + 4 * (size_t)tags - 1 > 13 ? 14 + 4 * (size_t)tags - 1 : 13,
						 DLT_EN10MB, &rep), BT_REPLY_TRUNCATED);
		/* the IPv4 parser leaves it alone */
		bt_reply r4;
		assert_int_equal(bt_reply_parse(fr, o + 2 + n, DLT_EN10MB, &r4), BT_REPLY_OTHER);
	}
	/* Linux cooked v1 and v2, raw, DLT_IPV6 */
	memset(fr, 0, sizeof(fr));
	bt_put16(fr + 14, 0x86dd);
	memcpy(fr + 16, r, n);
	assert_int_equal(bt_reply6_parse(fr, 16 + n, DLT_LINUX_SLL, &rep), BT_REPLY_OK);
	memset(fr, 0, sizeof(fr));
	bt_put16(fr, 0x86dd);
	memcpy(fr + 20, r, n);
	assert_int_equal(bt_reply6_parse(fr, 20 + n, DLT_LINUX_SLL2, &rep), BT_REPLY_OK);
	assert_int_equal(bt_reply6_parse(r, n, DLT_RAW, &rep), BT_REPLY_OK);
	assert_int_equal(bt_reply6_parse(r, n, DLT_IPV6, &rep), BT_REPLY_OK);
	/* IPv4 in DLT_RAW, ARP, short frames, unknown link types */
	uint8_t v4[60] = { 0x45 };
	assert_int_equal(bt_reply6_parse(v4, sizeof(v4), DLT_RAW, &rep), BT_REPLY_OTHER);
	assert_int_equal(bt_reply6_parse(v4, sizeof(v4), DLT_IPV4, &rep), BT_REPLY_OTHER);
	memset(fr, 0, sizeof(fr));
	bt_put16(fr + 12, 0x0806);
	assert_int_equal(bt_reply6_parse(fr, 60, DLT_EN10MB, &rep), BT_REPLY_OTHER);
	bt_put16(fr + 12, 0x0800);
	assert_int_equal(bt_reply6_parse(fr, 60, DLT_EN10MB, &rep), BT_REPLY_OTHER);
	assert_int_equal(bt_reply6_parse(fr, 10, DLT_EN10MB, &rep), BT_REPLY_TRUNCATED);
	assert_int_equal(bt_reply6_parse(fr, 15, DLT_LINUX_SLL, &rep), BT_REPLY_TRUNCATED);
	assert_int_equal(bt_reply6_parse(fr, 19, DLT_LINUX_SLL2, &rep), BT_REPLY_TRUNCATED);
	assert_int_equal(bt_reply6_parse(fr, 60, 9999, &rep), BT_REPLY_OTHER);
	/* a payload length of 0 (jumbogram) is no reply */
	memcpy(fr, r, n);
	bt_put16(fr + 4, 0);
	assert_int_equal(bt_reply6_parse_ip(fr, n, &rep), BT_REPLY_OTHER);
}

/* Several flows in one run: the flow comes from the reply's own fields. */
static void test6_match_flows(void **state)
{
	(void)state;
	uint8_t p[BT_PROBE_MAX_LEN], r[256];
	bt_reply6 rep;
	bt_match6 mt;
	for (int m = 0; m <= 2; m++) {
		bt_flow base;
		bt_flow_init(&base, (bt_method)m, 3, 0, 9);
		build6((bt_method)m, 5, 4, 1, 9, p);
		size_t n = make_err6(r, BT_ICMP6_TIME_EXCEEDED, 0, rtr6, p, BT_PROBE6_LEN);
		assert_int_equal(bt_reply6_parse_ip(r, n, &rep), BT_REPLY_OK);
		assert_int_equal(bt_probe6_match_flows(&base, 4, &rep, &mt), 0);
		assert_int_equal(mt.flow, 5);
		assert_int_equal(mt.hlim, 4);
		/* flow 5 is outside a run of flows 3..4 */
		assert_int_equal(bt_probe6_match_flows(&base, 2, &rep, &mt), -1);
	}
	/* echo reply: the request's checksum recovered from the reply's */
	for (uint16_t flow = 0; flow < 64; flow++) {
		bt_flow base;
		bt_flow_init(&base, BT_METHOD_ICMP_PARIS, 0, 0, 9);
		build6(BT_METHOD_ICMP_PARIS, flow, 7, 2, 9, p);
		size_t n = make_echo_reply6(r, p);
		assert_int_equal(bt_reply6_parse_ip(r, n, &rep), BT_REPLY_OK);
		assert_int_equal(bt_probe6_match_flows(&base, 64, &rep, &mt), 0);
		assert_int_equal(mt.flow, flow);
		assert_int_equal(mt.kind, BT_MATCH_DEST);
		assert_int_equal(mt.hlim, 7);
	}
	/* TCP: from the destination port */
	bt_flow base;
	bt_flow_init(&base, BT_METHOD_TCP_SYN, 0, 0, 9);
	build6(BT_METHOD_TCP_SYN, 11, 2, 1, 9, p);
	size_t n = make_tcp6(r, p, 0x12, 1);
	bt_reply6_parse_ip(r, n, &rep);
	assert_int_equal(bt_probe6_match_flows(&base, 12, &rep, &mt), 0);
	assert_int_equal(mt.flow, 11);
	assert_int_equal(bt_probe6_match_flows(&base, 11, &rep, &mt), -1);
}

static void test6_walk(void **state)
{
	(void)state;
	uint8_t b[64];
	uint8_t nh;
	size_t off;
	/* no extension headers */
	nh = IPPROTO_TCP;
	assert_int_equal(bt_reply6_walk((bt_cur){ b, 0 }, &nh, &off), BT_REPLY_OK);
	assert_int_equal(off, 0);
	/* one routing header of 16 bytes */
	forge_ip6_ext(b, IPPROTO_UDP, 1);
	nh = IPPROTO_ROUTING;
	assert_int_equal(bt_reply6_walk((bt_cur){ b, 16 }, &nh, &off), BT_REPLY_OK);
	assert_int_equal(nh, IPPROTO_UDP);
	assert_int_equal(off, 16);
	for (size_t cut = 0; cut < 16; cut++) {
		nh = IPPROTO_ROUTING;
		assert_int_equal(bt_reply6_walk((bt_cur){ b, cut }, &nh, &off), BT_REPLY_TRUNCATED);
	}
	/* fragment: first, later */
	frag_hdr(b, IPPROTO_TCP, 0, true);
	nh = IPPROTO_FRAGMENT;
	assert_int_equal(bt_reply6_walk((bt_cur){ b, 8 }, &nh, &off), BT_REPLY_OK);
	assert_int_equal(off, 8);
	frag_hdr(b, IPPROTO_TCP, 1, false);
	nh = IPPROTO_FRAGMENT;
	assert_int_equal(bt_reply6_walk((bt_cur){ b, 8 }, &nh, &off), BT_REPLY_OTHER);
	nh = IPPROTO_FRAGMENT;
	assert_int_equal(bt_reply6_walk((bt_cur){ b, 7 }, &nh, &off), BT_REPLY_TRUNCATED);
}

static void test6_random_bytes_never_crash(void **state)
{
	(void)state;
	uint8_t buf[300];
	bt_reply6 rep;
	bt_match6 mt;
	bt_flow fl[3];
	for (int m = 0; m < 3; m++)
		bt_flow_init(&fl[m], (bt_method)m, 0, 0, 1);
	uint64_t x = 42;
	static const uint8_t nhs[] = { 0, 43, 44, 60, 58, 6, 17, 59 };
	for (int i = 0; i < 50000; i++) {
		size_t n = (size_t)(pt_rnd(&x) % sizeof(buf));
		for (size_t k = 0; k < n; k++)
			buf[k] = (uint8_t)pt_rnd(&x);
		if (n > 0)
			buf[0] = (uint8_t)(0x60 | (buf[0] & 0x0f));
		if (n > 7) {
			/* plausible payload lengths and chains, so the walk runs */
			if (i & 1)
				bt_put16(buf + 4, (uint16_t)(n - 40 + (i & 2)));
			buf[6] = nhs[pt_rnd(&x) % sizeof(nhs)];
		}
		for (size_t k = 40; k + 1 < n && (i & 4); k += 8) {
			buf[k] = nhs[pt_rnd(&x) % sizeof(nhs)];
			buf[k + 1] = (uint8_t)(pt_rnd(&x) % 3);
		}
		uint8_t *copy = malloc(n ? n : 1);
		memcpy(copy, buf, n);
		if (bt_reply6_parse_ip(copy, n, &rep) == BT_REPLY_OK) {
			assert_true(rep.mpls_count <= BT_MPLS_MAX);
			assert_true(!rep.quoted || (rep.q_l4_len >= 8 && rep.q_l4_len <= BT_REPLY6_QL4));
			for (int m = 0; m < 3; m++)
				(void)bt_probe6_match_flows(&fl[m], 4096, &rep, &mt);
		}
		free(copy);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test6_paris_fields_constant),
		cmocka_unit_test(test6_icmp_checksum_constant),
		cmocka_unit_test(test6_flow_changes_hashed_fields),
		cmocka_unit_test(test6_fields_and_checksums),
		cmocka_unit_test(test6_render_equals_libnet),
		cmocka_unit_test(test6_match_time_exceeded_all_methods),
		cmocka_unit_test(test6_match_dest_and_unreach),
		cmocka_unit_test(test6_foreign_and_forged),
		cmocka_unit_test(test6_truncated_everywhere),
		cmocka_unit_test(test6_extension_headers),
		cmocka_unit_test(test6_mpls_extensions),
		cmocka_unit_test(test6_link_layers),
		cmocka_unit_test(test6_match_flows),
		cmocka_unit_test(test6_walk),
		cmocka_unit_test(test6_random_bytes_never_crash),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
