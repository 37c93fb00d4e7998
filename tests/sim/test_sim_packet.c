/* bordertrace — unit tests of the simulator's pure parts: the model's
 * determinism, ECMP and phase change, the token bucket, and replies checked by
 * the prober's own probe builder, reply parser and matcher (so the two sides
 * are held to one encoding), plus truncated and foreign input. IPv6: probes
 * forged here (the prober has no IPv6 builder yet), replies checked field by
 * field with a checksum written here, against the truth and against the
 * IPv4 twin of each probe. No privileges: libnet builds probes without a
 * socket (LIBNET_NONE). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <libnet.h>
#include <stdlib.h>
#include <string.h>

#include "bordertrace/bytes.h"
#include "bordertrace/icmp.h"
#include "bordertrace/probe.h"
#include "bordertrace/reply.h"
#include "sim_model.h"
#include "sim_packet.h"
#include "sim_sched.h"

#define VP BT_SIM_VP_ADDR

static bt_sim_model *model(double ratelimited)
{
	bt_sim_params p;
	char err[256];
	bt_sim_params_default(&p);
	p.ratelimited = ratelimited;
	bt_sim_model *m = bt_sim_model_new(&p, err, sizeof(err));
	assert_non_null(m);
	return m;
}

/* One probe as the prober sends it; returns its length. */
static size_t probe(bt_method meth, uint16_t flow, uint32_t dst, uint8_t ttl, bt_flow *f, uint8_t *buf)
{
	char err[256];
	bt_flow_init(f, meth, flow, 0, 0x5eed1234);
	bt_probe_builder *b = bt_probe_builder_open(LIBNET_NONE, NULL, err, sizeof(err));
	assert_non_null(b);
	assert_int_equal(bt_probe_build(b, f, htonl(VP), htonl(dst), ttl, 1, err, sizeof(err)), 0);
	int n = bt_probe_copy(b, buf, 1500);
	assert_true(n > 0);
	bt_probe_builder_close(b);
	return (size_t)n;
}

static void test_deterministic(void **state)
{
	(void)state;
	bt_sim_model *a = model(0.1), *b = model(0.1);
	assert_int_equal(a->niface, b->niface);
	assert_memory_equal(a->ifaces, b->ifaces, a->niface * sizeof(*a->ifaces));
	assert_memory_equal(a->pfx_as, b->pfx_as, sizeof(a->pfx_as));
	bt_sim_model_free(a);
	bt_sim_model_free(b);
}

/* Some flow of some target takes another branch than flow 0; every flow
 * keeps its own path; targets outside the plan have no route. */
static void test_ecmp_and_noroute(void **state)
{
	(void)state;
	bt_sim_model *m = model(0);
	uint32_t p0[BT_SIM_MAX_HOPS], p1[BT_SIM_MAX_HOPS];
	bt_sim_flowkey k;
	unsigned differ = 0;
	for (unsigned t = 0; t < 64; t++) {
		uint32_t dst = BT_SIM_TARGET_NET + t * 1021;
		bt_sim_flowkey_prober(&k, 1, VP, dst, 0, 0);
		unsigned n0 = bt_sim_path(m, &k, 0, p0);
		assert_int_equal(bt_sim_path(m, &k, 0, p1), n0);
		assert_memory_equal(p0, p1, n0 * sizeof(p0[0]));
		bt_sim_flowkey_prober(&k, 1, VP, dst, 1, 0);
		unsigned n1 = bt_sim_path(m, &k, 0, p1);
		differ += n0 != n1 || memcmp(p0, p1, n0 * sizeof(p0[0])) != 0;
	}
	assert_true(differ > 0);
	k.dst = 0xC6130101; /* a router address: not a target */
	assert_int_equal(bt_sim_path(m, &k, 0, p0), 0);
	bt_sim_model_free(m);
}

/* Phase 1 moves the moved /24 to AS20485 and leaves AS131279's other /24s. */
static void test_phase(void **state)
{
	(void)state;
	bt_sim_model *m = model(0);
	uint32_t p0[BT_SIM_MAX_HOPS], p1[BT_SIM_MAX_HOPS];
	bt_sim_flowkey k;
	for (unsigned d = 0; d < 4; d++) {
		unsigned pfx = (m->moved_pfx & ~3u) + d;
		bt_sim_flowkey_prober(&k, 0, VP, BT_SIM_TARGET_NET | pfx << 8 | 77, 0, 0);
		unsigned n0 = bt_sim_path(m, &k, 0, p0), n1 = bt_sim_path(m, &k, 1, p1);
		bool same = n0 == n1 && memcmp(p0, p1, n0 * sizeof(p0[0])) == 0;
		assert_int_equal(m->ases[m->pfx_as[pfx]].asn, 131279);
		assert_int_equal(same, pfx != m->moved_pfx);
		bool via_ru = false;
		for (unsigned i = 0; i < n1; i++)
			via_ru |= m->ases[m->routers[m->ifaces[p1[i]].router].as].asn == 20485;
		assert_int_equal(via_ru, pfx == m->moved_pfx);
	}
	bt_sim_model_free(m);
}

static void test_token_bucket(void **state)
{
	(void)state;
	bt_sim_model *m = model(1.0);
	unsigned r = 0;
	while (!(m->routers[r].flags & BT_SIM_RATELIMITED))
		r++;
	uint64_t t = 1000000000ull;
	for (unsigned i = 0; i < m->p.rl_burst; i++)
		assert_true(bt_sim_ratelimit_pass(m, r, t));
	assert_false(bt_sim_ratelimit_pass(m, r, t));
	/* 500/s: one token back after 2 ms, not before. */
	assert_false(bt_sim_ratelimit_pass(m, r, t + 1000000));
	assert_true(bt_sim_ratelimit_pass(m, r, t + 2100000));
	assert_false(bt_sim_ratelimit_pass(m, r, t + 2100000));
	bt_sim_model_free(m);
}

static void check_sums(const uint8_t *rep, size_t n)
{
	assert_int_equal(bt_cksum(rep, 20, 0), 0);
	if (rep[9] == IPPROTO_ICMP) {
		assert_int_equal(bt_cksum(rep + 20, n - 20, 0), 0);
	} else {
		/* TCP: the pseudo-header's addresses, protocol and length */
		uint32_t ph = bt_sum16(rep + 12, 8, IPPROTO_TCP + (uint32_t)(n - 20));
		assert_int_equal(bt_cksum(rep + 20, n - 20, ph), 0);
	}
}

/* Every TTL of a few targets, each method and two flows: the prober's parser
 * and matcher accept each reply, as the hop the truth says. */
static void test_replies_match_truth(void **state)
{
	(void)state;
	bt_sim_model *m = model(0);
	bt_sim_counters c;
	memset(&c, 0, sizeof(c));
	unsigned seen_dest = 0, seen_hop = 0;
	uint8_t buf[1500], rep[BT_SIM_REPLY_MAX];
	for (int meth = 0; meth < 3; meth++) {
		for (uint16_t flow = 0; flow < 2; flow++) {
			for (unsigned t = 0; t < 40; t++) {
				uint32_t dst = BT_SIM_TARGET_NET + t * 1637;
				bt_sim_flowkey k;
				uint32_t path[BT_SIM_MAX_HOPS];
				bt_sim_flowkey_prober(&k, meth, VP, dst, flow, 0);
				unsigned n = bt_sim_path(m, &k, 0, path);
				assert_true(n > 0);
				for (unsigned ttl = 1; ttl <= n + 1; ttl++) {
					bt_flow f;
					size_t len = probe((bt_method)meth, flow, dst, (uint8_t)ttl, &f, buf);
					size_t r = bt_sim_answer(m, 0, buf, len, 1, rep, &c);
					bool silent = ttl <= n && (m->routers[m->ifaces[path[ttl - 1]].router].flags & BT_SIM_SILENT);
					bool dark = ttl > n && !bt_sim_target_answers(m, dst);
					if (silent || dark) {
						assert_int_equal(r, 0);
						continue;
					}
					assert_true(r > 0);
					check_sums(rep, r);
					bt_reply br;
					bt_match mt;
					assert_int_equal(bt_reply_parse_ip(rep, r, &br), BT_REPLY_OK);
					assert_int_equal(bt_probe_match(&f, &br, &mt), 0);
					assert_int_equal(mt.ttl, ttl);
					assert_int_equal(mt.flow, flow);
					assert_int_equal(ntohl(br.src), ttl <= n ? m->ifaces[path[ttl - 1]].addr : dst);
					assert_int_equal(br.ttl, 64 - (ttl - 1));
					if (ttl <= n) {
						assert_int_equal(mt.kind, BT_MATCH_HOP);
						assert_int_equal(br.q_ttl, 1);
						seen_hop++;
					} else {
						assert_int_equal(mt.kind, BT_MATCH_DEST);
						seen_dest++;
					}
				}
			}
		}
	}
	assert_true(seen_hop > 1000 && seen_dest > 100);
	bt_sim_model_free(m);
}

/* A changing Internet (doc/sim.md, "Rounds"): in every round, replies come
 * from the interfaces that round's truth names, renumbered, third-party, IXP
 * and unannounced addresses included; a dark /24 stops answering. */
static void test_rounds_replies(void **state)
{
	(void)state;
	bt_sim_params p;
	char err[256];
	bt_sim_params_default(&p);
	p.ratelimited = 0;
	p.silent = 0;
	p.prefixes = 32, p.ases = 12, p.vps = 3, p.rounds = 8, p.changes = 20, p.noise = 60;
	bt_sim_model *m = bt_sim_model_new(&p, err, sizeof(err));
	assert_non_null(m);
	bt_sim_counters c;
	memset(&c, 0, sizeof(c));
	uint8_t buf[1500], rep[BT_SIM_REPLY_MAX];
	unsigned changed = 0;
	for (unsigned r = 0; r < p.rounds; r++) {
		assert_int_equal(bt_sim_set_round(m, r), 0);
		for (uint32_t dst = BT_SIM_TARGET_NET; dst < BT_SIM_TARGET_NET + 32 * 256; dst += 37) {
			bt_sim_flowkey k;
			uint32_t path[BT_SIM_MAX_HOPS];
			bt_sim_flowkey_prober(&k, 0, VP, dst, 0, 0);
			unsigned n = bt_sim_path(m, &k, 0, path);
			for (unsigned ttl = 1; ttl <= n + 1; ttl++) {
				bt_flow f;
				size_t len = probe(BT_METHOD_ICMP_PARIS, 0, dst, (uint8_t)ttl, &f, buf);
				size_t got = bt_sim_answer(m, 0, buf, len, 1, rep, &c);
				if (ttl > n && !bt_sim_target_answers(m, dst)) {
					assert_int_equal(got, 0);
					continue;
				}
				if (ttl <= n && m->routers[m->ifaces[path[ttl - 1]].router].flags)
					continue; /* a border router that started rate-limiting */
				assert_true(got > 0);
				bt_reply br;
				assert_int_equal(bt_reply_parse_ip(rep, got, &br), BT_REPLY_OK);
				assert_int_equal(ntohl(br.src), ttl <= n ? m->ifaces[path[ttl - 1]].addr : dst);
				changed += ttl <= n && m->if_kind[path[ttl - 1]] != 0;
			}
		}
	}
	assert_true(changed > 0);
	assert_int_equal(bt_sim_set_round(m, p.rounds), -1);
	bt_sim_model_free(m);
}

/* Every truncation of pkt[0..len) is ignored, never answered and never read
 * past its end (each copy is exactly as long: run under ASan to see it). */
static void truncations_ignored(bt_sim_model *m, const uint8_t *pkt, size_t len, bt_sim_counters *c)
{
	uint8_t rep[BT_SIM_REPLY_MAX];
	for (size_t l = 0; l < len; l++) {
		uint8_t *cut = malloc(l ? l : 1);
		memcpy(cut, pkt, l);
		assert_int_equal(bt_sim_answer(m, 0, cut, l, 1, rep, c), 0);
		free(cut);
	}
}

/* Every truncation of a probe, and a few foreign packets, are ignored, never
 * answered and never read past their end (run under ASan to see it). */
static void test_malformed(void **state)
{
	(void)state;
	bt_sim_model *m = model(0);
	bt_sim_counters c;
	memset(&c, 0, sizeof(c));
	uint8_t buf[1500], rep[BT_SIM_REPLY_MAX];
	for (int meth = 0; meth < 3; meth++) {
		bt_flow f;
		size_t len = probe((bt_method)meth, 0, BT_SIM_TARGET_NET + 5, 30, &f, buf);
		truncations_ignored(m, buf, len, &c);
		uint8_t frag[1500];
		memcpy(frag, buf, len);
		frag[6] |= 0x20; /* more fragments */
		assert_int_equal(bt_sim_answer(m, 0, frag, len, 1, rep, &c), 0);
		memcpy(frag, buf, len);
		frag[0] = 0x60; /* IPv6 */
		assert_int_equal(bt_sim_answer(m, 0, frag, len, 1, rep, &c), 0);
		memcpy(frag, buf, len);
		frag[8] = 0;
		assert_int_equal(bt_sim_answer(m, 0, frag, len, 1, rep, &c), 0);
	}
	assert_int_equal(c.out, 0);
	assert_int_equal(c.ignored, c.in);
	bt_sim_model_free(m);
}

/* ---- IPv6 ---- */

static const uint8_t vp6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x51, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0x01 };

/* RFC 1071 written again, apart from bytes.h, so that the simulator's sums
 * are checked by other code: 0 when the checksum in the data holds. */
static uint16_t indep_sum(const uint8_t *p, size_t n, const uint8_t *src, const uint8_t *dst, uint8_t nh)
{
	uint64_t acc = n + nh;
	for (size_t i = 0; i < 16; i += 2)
		acc += (unsigned)src[i] * 256 + src[i + 1] + (unsigned)dst[i] * 256 + dst[i + 1];
	for (size_t i = 0; i < n; i++)
		acc += i % 2 ? p[i] : (unsigned)p[i] * 256;
	while (acc > 0xffff)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)(0xffff - acc);
}

/* An IPv6 probe shaped as a Paris prober's (doc/probing.md's fields, as the
 * IPv4 builder sets them): icmp echo with checksum 0x1000 + flow (two payload
 * bytes compensate), UDP 40000 + flow -> 33435, TCP SYN 40000 + flow -> 80;
 * ext[0..extlen) inserted before the upper layer with first_nh naming it
 * (its own next-header bytes are the caller's). Returns the length. */
static size_t probe6(int meth, unsigned flow, uint32_t dst4, uint8_t hlim, uint32_t label,
		     const uint8_t *ext, size_t extlen, uint8_t *buf, size_t payload)
{
	static const uint8_t nhs[3] = { IPPROTO_ICMPV6, IPPROTO_UDP, IPPROTO_TCP };
	uint8_t dst[16];
	bt_sim_addr6(dst4, dst);
	size_t l4len = (meth == 2 ? 20 : 8) + payload;
	uint8_t *l4 = buf + 40 + extlen;
	memset(buf, 0, 40 + extlen + l4len);
	buf[0] = 0x60;
	buf[1] = (uint8_t)(label >> 16);
	buf[2] = (uint8_t)(label >> 8);
	buf[3] = (uint8_t)label;
	buf[4] = (uint8_t)((extlen + l4len) >> 8);
	buf[5] = (uint8_t)(extlen + l4len);
	buf[6] = extlen ? ext[0] == 0xff ? 0 : ext[0] : nhs[meth];
	buf[7] = hlim;
	memcpy(buf + 8, vp6, 16);
	memcpy(buf + 24, dst, 16);
	if (extlen) {
		memcpy(buf + 40, ext + 1, extlen - 1);
		buf[40 + extlen - 1] = 0; /* last pad byte of the last header */
	}
	for (size_t i = 0; i < payload; i++)
		l4[(meth == 2 ? 20 : 8) + i] = (uint8_t)(i * 7 + hlim);
	if (meth == 0) {
		l4[0] = 128;
		bt_put16(l4 + 4, 0x4242);
		bt_put16(l4 + 6, hlim);
		/* Checksum with the compensation bytes 0, then the bytes that
		 * turn it into 0x1000 + flow (RFC 1624 arithmetic). */
		assert_true(payload >= 2);
		l4[8] = 0, l4[9] = 0;
		uint16_t c0 = indep_sum(l4, l4len, vp6, dst, IPPROTO_ICMPV6);
		uint32_t comp = (uint32_t)(uint16_t)~(0x1000 + flow) + c0;
		comp = (comp & 0xffff) + (comp >> 16);
		bt_put16(l4 + 8, (uint16_t)comp);
		bt_put16(l4 + 2, (uint16_t)(0x1000 + flow));
		assert_int_equal(indep_sum(l4, l4len, vp6, dst, IPPROTO_ICMPV6), 0);
	} else {
		bt_put16(l4, (uint16_t)(40000 + flow));
		bt_put16(l4 + 2, meth == 1 ? 33435 : 80);
		if (meth == 1) {
			bt_put16(l4 + 4, (uint16_t)l4len);
			bt_put16(l4 + 6, indep_sum(l4, l4len, vp6, dst, IPPROTO_UDP));
		} else {
			bt_put32(l4 + 4, 0x11220000u + hlim);
			l4[12] = 5 << 4;
			l4[13] = 0x02;
			bt_put16(l4 + 14, 65535);
			bt_put16(l4 + 16, indep_sum(l4, l4len, vp6, dst, IPPROTO_TCP));
		}
	}
	return 40 + extlen + l4len;
}

/* The hop a probe reaches in the truth: the router interface's twin, or the
 * target's; false when the truth has nothing there (silent, dark). */
static bool truth_hop6(const bt_sim_model *m, int meth, unsigned flow, uint32_t dst, unsigned phase,
		       uint32_t label, unsigned ttl, uint8_t want[16], unsigned *n)
{
	bt_sim_flowkey k;
	uint32_t path[BT_SIM_MAX_HOPS];
	bt_sim_flowkey_prober(&k, meth, VP, dst, flow, 0);
	k.label = label;
	*n = bt_sim_path(m, &k, phase, path);
	assert_true(*n > 0);
	if (ttl <= *n) {
		const bt_sim_iface *f = &m->ifaces[path[ttl - 1]];
		bt_sim_addr6(f->addr, want);
		return !(m->routers[f->router].flags & BT_SIM_SILENT);
	}
	bt_sim_addr6(dst, want);
	return bt_sim_target_answers(m, dst);
}

/* Checks one IPv6 reply to probe pr[0..plen) field by field. */
static void check_reply6(const uint8_t *pr, size_t plen, const uint8_t *rep, size_t r, int meth,
			 unsigned ttl, unsigned n, const uint8_t want[16])
{
	assert_true(r >= 48 && r <= 1280);
	assert_int_equal(rep[0] >> 4, 6);
	assert_int_equal(bt_get16(rep + 4), r - 40);
	assert_memory_equal(rep + 8, want, 16);
	assert_memory_equal(rep + 24, vp6, 16);
	assert_int_equal(rep[7], 64 - (ttl <= n ? ttl - 1 : n));
	const uint8_t *l4 = rep + 40;
	assert_int_equal(indep_sum(l4, r - 40, rep + 8, rep + 24, rep[6]), 0);
	bool error = ttl <= n || meth == 1;
	if (error) {
		assert_int_equal(rep[6], IPPROTO_ICMPV6);
		assert_int_equal(l4[0], ttl <= n ? 3 : 1);
		assert_int_equal(l4[1], ttl <= n ? 0 : 4);
		size_t q = plen < 1232 ? plen : 1232;
		assert_int_equal(r, 48 + q);
		/* The probe as it arrived: only the hop limit differs. */
		assert_int_equal(l4[8 + 7], ttl <= n ? 1 : ttl - n);
		assert_memory_equal(l4 + 8, pr, 7);
		assert_memory_equal(l4 + 16, pr + 8, q - 8);
	} else if (meth == 0) {
		assert_int_equal(rep[6], IPPROTO_ICMPV6);
		assert_int_equal(r, plen);
		assert_int_equal(l4[0], 129);
		assert_memory_equal(l4 + 4, pr + 44, plen - 44);
	} else {
		assert_int_equal(rep[6], IPPROTO_TCP);
		assert_int_equal(r, 60);
		assert_int_equal(bt_get16(l4), bt_get16(pr + 42));
		assert_int_equal(bt_get16(l4 + 2), bt_get16(pr + 40));
		assert_int_equal(bt_get32(l4 + 8), bt_get32(pr + 44) + 1);
		assert_int_equal(l4[13], 0x14);
	}
}

static void test_addr6(void **state)
{
	(void)state;
	bt_sim_model *m = model(0);
	uint8_t a[16], b[16];
	uint32_t v;
	char s[INET6_ADDRSTRLEN];
	bt_sim_addr6(0xC612B205u, a); /* 198.18.178.5 */
	assert_string_equal(inet_ntop(AF_INET6, a, s, sizeof(s)), "2001:db8:18:178::5");
	bt_sim_addr6(0xC613FFFEu, a);
	assert_string_equal(inet_ntop(AF_INET6, a, s, sizeof(s)), "2001:db8:19:255::254");
	assert_int_equal(bt_sim_key_src6(vp6), VP);
	/* One-to-one: every twin goes back, and no two twins are equal. */
	for (uint32_t x = 0; x < 65536; x += 3) {
		uint32_t v4 = 0xC6120000u + x * 2 + (x & 1);
		bt_sim_addr6(v4, a);
		assert_true(bt_sim_addr4(a, &v));
		assert_int_equal(v, v4);
		bt_sim_addr6(v4 + 1, b);
		assert_memory_not_equal(a, b, 16);
	}
	/* Not twins: hex digits above 9, over 255, other bits set, other prefix. */
	static const char *const no[] = { "2001:db8:18:1a0::5", "2001:db8:18:256::1", "2001:db8:18:1::1:5",
					  "2001:db8:300:1::1", "2001:db9:18:1::1", "2001:db8:18:1:1::5" };
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		assert_int_equal(inet_pton(AF_INET6, no[i], a), 1);
		assert_false(bt_sim_addr4(a, &v));
	}
	bt_sim_model_free(m);
}

/* Every TTL of a sample of targets (the moved /24's among them), each
 * method, two flows, both phases: the reply is the truth's hop, built right,
 * and the same hop the IPv4 twin of the probe reaches. */
static void test_replies6_match_truth(void **state)
{
	(void)state;
	bt_sim_model *m = model(0);
	bt_sim_counters c;
	memset(&c, 0, sizeof(c));
	unsigned seen_hop = 0, seen_dest = 0, v4_same = 0, via_ru[2] = { 0, 0 };
	/* AS20485 (AS index 3) numbers its routers 2001:db8:19:3::/64. */
	static const uint8_t ru64[8] = { 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x19, 0x00, 0x03 };
	uint8_t buf[1500], buf4[1500], rep[BT_SIM_REPLY_MAX], rep4[BT_SIM_REPLY_MAX], want[16];
	for (unsigned phase = 0; phase < 2; phase++) {
		for (int meth = 0; meth < 3; meth++) {
			for (unsigned flow = 0; flow < 2; flow++) {
				for (unsigned t = 0; t < 40; t++) {
					uint32_t dst = t < 30 ? BT_SIM_TARGET_NET + t * 2179
							      : BT_SIM_TARGET_NET | m->moved_pfx << 8 | t * 7;
					unsigned n;
					bool moved = (dst >> 8 & 0xff) == m->moved_pfx;
					for (unsigned ttl = 1;; ttl++) {
						bool answers = truth_hop6(m, meth, flow, dst, phase, 0, ttl, want, &n);
						size_t len = probe6(meth, flow, dst, (uint8_t)ttl, 0, NULL, 0, buf, 12);
						size_t r = bt_sim_answer(m, phase, buf, len, 1, rep, &c);
						if (!answers) {
							assert_int_equal(r, 0);
						} else {
							check_reply6(buf, len, rep, r, meth, ttl, n, want);
							seen_hop += ttl <= n;
							seen_dest += ttl > n;
							via_ru[phase] += moved && memcmp(rep + 8, ru64, 8) == 0;
						}
						/* The IPv4 twin of the probe, by the prober's builder. */
						bt_flow f;
						size_t len4 = probe((bt_method)meth, (uint16_t)flow, dst, (uint8_t)ttl, &f, buf4);
						size_t r4 = bt_sim_answer(m, phase, buf4, len4, 1, rep4, &c);
						assert_int_equal(r4 > 0, r > 0);
						if (r4) {
							uint8_t twin[16];
							bt_sim_addr6(bt_get32(rep4 + 12), twin);
							assert_memory_equal(twin, rep + 8, 16);
							v4_same++;
						}
						if (ttl > n)
							break;
					}
				}
			}
		}
	}
	assert_true(seen_hop > 1500 && seen_dest > 200 && v4_same == seen_hop + seen_dest);
	/* The route change shows in the replies: the moved /24 crosses
	 * AS20485 in phase 1 only. */
	assert_int_equal(via_ru[0], 0);
	assert_true(via_ru[1] > 0);
	assert_int_equal(c.ignored, 0);
	assert_int_equal(c.in6, c.in / 2);
	bt_sim_model_free(m);
}

/* ECMP over IPv6: flows of one target spread over branches, each flow keeps
 * its branch, and a non-zero flow label is hashed (0 = the IPv4 branch). */
static void test_ecmp6_flowlabel(void **state)
{
	(void)state;
	bt_sim_model *m = model(0);
	bt_sim_counters c;
	memset(&c, 0, sizeof(c));
	uint8_t buf[1500], rep[BT_SIM_REPLY_MAX], rep2[BT_SIM_REPLY_MAX], want[16];
	unsigned flows_differ = 0, label_differ = 0;
	for (unsigned t = 0; t < 64; t++) {
		uint32_t dst = BT_SIM_TARGET_NET + t * 1021;
		unsigned n;
		truth_hop6(m, 1, 0, dst, 0, 0, 1, want, &n);
		for (unsigned ttl = 1; ttl <= n; ttl++) {
			size_t len = probe6(1, 0, dst, (uint8_t)ttl, 0, NULL, 0, buf, 12);
			size_t r0 = bt_sim_answer(m, 0, buf, len, 1, rep, &c);
			len = probe6(1, 1, dst, (uint8_t)ttl, 0, NULL, 0, buf, 12);
			size_t r1 = bt_sim_answer(m, 0, buf, len, 1, rep2, &c);
			flows_differ += r0 && r1 && memcmp(rep + 8, rep2 + 8, 16) != 0;
			len = probe6(1, 0, dst, (uint8_t)ttl, 0x12345, NULL, 0, buf, 12);
			size_t rl = bt_sim_answer(m, 0, buf, len, 1, rep2, &c);
			bool lab = truth_hop6(m, 1, 0, dst, 0, 0x12345, ttl, want, &n);
			assert_int_equal(rl > 0, lab);
			if (rl) {
				assert_memory_equal(rep2 + 8, want, 16);
				label_differ += r0 && memcmp(rep + 8, rep2 + 8, 16) != 0;
			}
		}
	}
	assert_true(flows_differ > 0);
	assert_true(label_differ > 0);
	bt_sim_model_free(m);
}

/* Hop-by-hop and destination options are skipped (same reply as without);
 * fragment and routing headers, a hop-by-hop header out of place and a
 * chain cut short are dropped and counted; so is every truncation. */
static void test_ext6(void **state)
{
	(void)state;
	bt_sim_model *m = model(0);
	bt_sim_counters c;
	memset(&c, 0, sizeof(c));
	uint8_t buf[1500], rep[BT_SIM_REPLY_MAX], rep2[BT_SIM_REPLY_MAX];
	uint32_t dst = BT_SIM_TARGET_NET + 4242;
	/* ext[0] = the fixed header's next header (0xff = hop-by-hop, 0),
	 * then the headers' bytes. */
	uint8_t hbh_dst[1 + 24] = { 0xff, IPPROTO_DSTOPTS, 0, 1, 4, 0, 0, 0, 0,
				    IPPROTO_UDP, 1, 1, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	for (unsigned ttl = 1; ttl <= 4; ttl++) {
		size_t len = probe6(1, 0, dst, (uint8_t)ttl, 0, NULL, 0, buf, 12);
		size_t r = bt_sim_answer(m, 0, buf, len, 1, rep, &c);
		len = probe6(1, 0, dst, (uint8_t)ttl, 0, hbh_dst, sizeof(hbh_dst) - 1, buf, 12);
		size_t r2 = bt_sim_answer(m, 0, buf, len, 1, rep2, &c);
		assert_int_equal(r > 0, r2 > 0);
		if (r) {
			assert_memory_equal(rep + 8, rep2 + 8, 16);
			assert_int_equal(r2, r + 24); /* the quote holds the options */
		}
	}
	assert_int_equal(c.unparsed6, 0);
	assert_int_equal(c.ignored, 0);
	uint64_t ign = c.ignored;
	uint8_t frag[1 + 8] = { IPPROTO_FRAGMENT, IPPROTO_UDP, 0, 0, 1, 0, 0, 0, 9 };
	uint8_t rout[1 + 8] = { IPPROTO_ROUTING, IPPROTO_UDP, 0, 0, 0, 0, 0, 0, 0 };
	uint8_t hbh_late[1 + 16] = { IPPROTO_DSTOPTS, IPPROTO_HOPOPTS, 0, 1, 4, 0, 0, 0, 0,
				     IPPROTO_UDP, 0, 1, 4, 0, 0, 0, 0 };
	uint8_t too_long[1 + 8] = { 0xff, IPPROTO_UDP, 200, 1, 4, 0, 0, 0, 0 };
	const uint8_t *bad[] = { frag, rout, hbh_late, too_long };
	size_t badlen[] = { sizeof(frag), sizeof(rout), sizeof(hbh_late), sizeof(too_long) };
	for (size_t i = 0; i < 4; i++) {
		size_t len = probe6(1, 0, dst, 30, 0, bad[i], badlen[i] - 1, buf, 12);
		assert_int_equal(bt_sim_answer(m, 0, buf, len, 1, rep, &c), 0);
	}
	assert_int_equal(c.unparsed6, 4);
	assert_int_equal(c.ignored, ign + 4);
	/* Every truncation of a probe with options, and forged lengths. */
	for (int meth = 0; meth < 3; meth++) {
		size_t len = probe6(meth, 0, dst, 30, 0, hbh_dst, sizeof(hbh_dst) - 1, buf, 12);
		truncations_ignored(m, buf, len, &c);
		uint64_t in = c.in, ignored = c.ignored;
		uint8_t x[1500];
		memcpy(x, buf, len);
		bt_put16(x + 4, 0); /* jumbogram */
		assert_int_equal(bt_sim_answer(m, 0, x, len, 1, rep, &c), 0);
		memcpy(x, buf, len);
		bt_put16(x + 4, (uint16_t)(len - 39)); /* longer than the packet */
		assert_int_equal(bt_sim_answer(m, 0, x, len, 1, rep, &c), 0);
		memcpy(x, buf, len);
		x[7] = 0; /* hop limit 0 */
		assert_int_equal(bt_sim_answer(m, 0, x, len, 1, rep, &c), 0);
		assert_int_equal(c.ignored - ignored, c.in - in);
	}
	/* Not probes: a neighbour solicitation, an MLD report behind a
	 * hop-by-hop header (what Linux sends when the device comes up). */
	size_t len = probe6(0, 0, dst, 255, 0, NULL, 0, buf, 12);
	buf[40] = 135;
	uint64_t ignored = c.ignored;
	assert_int_equal(bt_sim_answer(m, 0, buf, len, 1, rep, &c), 0);
	uint8_t hbh_icmp[1 + 8] = { 0xff, IPPROTO_ICMPV6, 0, 5, 2, 0, 0, 1, 0 };
	len = probe6(0, 0, dst, 1, 0, hbh_icmp, sizeof(hbh_icmp) - 1, buf, 12);
	buf[48] = 143;
	assert_int_equal(bt_sim_answer(m, 0, buf, len, 1, rep, &c), 0);
	/* The other family's ICMP: an ICMP (1) "echo" over IPv6, an ICMPv6
	 * (58) one over IPv4. */
	len = probe6(0, 0, dst, 30, 0, NULL, 0, buf, 12);
	buf[6] = IPPROTO_ICMP;
	assert_int_equal(bt_sim_answer(m, 0, buf, len, 1, rep, &c), 0);
	bt_flow f4;
	len = probe(BT_METHOD_ICMP_PARIS, 0, dst, 30, &f4, buf);
	buf[9] = IPPROTO_ICMPV6;
	bt_put16(buf + 10, 0);
	bt_put16(buf + 10, bt_cksum(buf, 20, 0));
	assert_int_equal(bt_sim_answer(m, 0, buf, len, 1, rep, &c), 0);
	buf[20] = BT_ICMP6_ECHO_REQUEST;
	assert_int_equal(bt_sim_answer(m, 0, buf, len, 1, rep, &c), 0);
	assert_int_equal(c.ignored, ignored + 5);
	/* A destination without an IPv4 twin, or a router's: no route. */
	uint64_t noroute = c.noroute;
	len = probe6(1, 0, dst, 30, 0, NULL, 0, buf, 12);
	buf[39] = 0xaa;
	assert_int_equal(bt_sim_answer(m, 0, buf, len, 1, rep, &c), 0);
	len = probe6(1, 0, 0xC6130101u, 30, 0, NULL, 0, buf, 12);
	assert_int_equal(bt_sim_answer(m, 0, buf, len, 1, rep, &c), 0);
	assert_int_equal(c.noroute, noroute + 2);
	assert_int_equal(c.out, 0 + c.time_exceeded + c.port_unreach);
	bt_sim_model_free(m);
}

/* The token bucket over IPv6: the same per-router bucket as IPv4, so that
 * both families drain it together; refilled after 2 ms at 500/s. */
static void test_ratelimit6(void **state)
{
	(void)state;
	bt_sim_model *m = model(1.0);
	bt_sim_counters c;
	memset(&c, 0, sizeof(c));
	uint8_t buf[1500], rep[BT_SIM_REPLY_MAX];
	uint32_t dst = BT_SIM_TARGET_NET + 99;
	bt_flow f;
	/* Hop 1 (the VP gateway) is rate limited in this model. */
	assert_true(m->routers[m->ifaces[m->stages[m->vp_stage].first].router].flags & BT_SIM_RATELIMITED);
	uint64_t t = 1000000000ull;
	size_t len = probe6(0, 0, dst, 1, 0, NULL, 0, buf, 12);
	for (unsigned i = 0; i < m->p.rl_burst - 1; i++)
		assert_true(bt_sim_answer(m, 0, buf, len, t, rep, &c) > 0);
	size_t len4 = probe(BT_METHOD_ICMP_PARIS, 0, dst, 1, &f, buf + 200);
	assert_true(bt_sim_answer(m, 0, buf + 200, len4, t, rep, &c) > 0); /* the last token */
	assert_int_equal(bt_sim_answer(m, 0, buf, len, t, rep, &c), 0);
	assert_int_equal(bt_sim_answer(m, 0, buf + 200, len4, t, rep, &c), 0);
	assert_int_equal(c.ratelimited, 2);
	assert_int_equal(bt_sim_answer(m, 0, buf, len, t + 1000000, rep, &c), 0);
	assert_true(bt_sim_answer(m, 0, buf, len, t + 2100000, rep, &c) > 0);
	assert_int_equal(c.ratelimited, 3);
	bt_sim_model_free(m);
}

/* A big probe: the time exceeded quotes 1232 bytes of it (1280 in all); the
 * target's port unreachable too. */
static void test_quote6_1280(void **state)
{
	(void)state;
	bt_sim_model *m = model(0);
	bt_sim_counters c;
	memset(&c, 0, sizeof(c));
	uint8_t buf[1500], rep[BT_SIM_REPLY_MAX], want[16];
	uint32_t dst = BT_SIM_TARGET_NET + 77;
	unsigned n;
	for (unsigned ttl = 1; ttl < 20; ttl++) {
		bool answers = truth_hop6(m, 1, 0, dst, 0, 0, ttl, want, &n);
		size_t len = probe6(1, 0, dst, (uint8_t)ttl, 0, NULL, 0, buf, 1400);
		size_t r = bt_sim_answer(m, 0, buf, len, 1, rep, &c);
		assert_int_equal(r, answers ? 1280 : 0);
		if (r)
			check_reply6(buf, len, rep, r, 1, ttl, n, want);
		if (ttl > n)
			break;
	}
	assert_true(bt_sim_target_answers(m, dst));
	bt_sim_model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_ecmp_and_noroute),
		cmocka_unit_test(test_phase),
		cmocka_unit_test(test_token_bucket),
		cmocka_unit_test(test_replies_match_truth),
		cmocka_unit_test(test_rounds_replies),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_addr6),
		cmocka_unit_test(test_replies6_match_truth),
		cmocka_unit_test(test_ecmp6_flowlabel),
		cmocka_unit_test(test_ext6),
		cmocka_unit_test(test_quote6_1280),
		cmocka_unit_test(test_ratelimit6),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
