/* bordertrace — unit tests of the simulator's pure parts: the model's
 * determinism, ECMP and phase change, the token bucket, and replies checked by
 * the prober's own probe builder, reply parser and matcher (so the two sides
 * are held to one encoding), plus truncated and foreign input. No
 * privileges: libnet builds probes without a socket (LIBNET_NONE). */
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
#include "bordertrace/probe.h"
#include "bordertrace/reply.h"
#include "sim_model.h"
#include "sim_packet.h"

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
		for (size_t l = 0; l < len; l++) {
			uint8_t *cut = malloc(l ? l : 1);
			memcpy(cut, buf, l);
			assert_int_equal(bt_sim_answer(m, 0, cut, l, 1, rep, &c), 0);
			free(cut);
		}
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_ecmp_and_noroute),
		cmocka_unit_test(test_phase),
		cmocka_unit_test(test_token_bucket),
		cmocka_unit_test(test_replies_match_truth),
		cmocka_unit_test(test_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
