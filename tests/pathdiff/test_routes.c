/* Unit tests: a trace's border routes over its flows (analysis/routes.c)
 * on hand-written multipath records: a 3/7 split between two upstreams,
 * per-packet balancing, a flow that skipped a TTL, and records of one flow
 * (the whole trace's route, as bt_path_build gives it). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bordertrace/routes.h"

#define TARGET 131279

/* An entry: "TTL FLOW ASN": a reply from an address of ASN (its country:
 * CN for 4837, RU for 20485, KP for the target, else NL) answering FLOW;
 * ASN 0 is a silent attempt. The trace's own flow is 0. */
static bt_trace *build(const char **spec, size_t n, bt_hopinfo *info, bt_hopinfo *dst)
{
	bt_trace *t = bt_trace_alloc(n);
	assert_non_null(t);
	t->hop_count = n;
	t->first_ttl = 1;
	bt_addr_parse("198.18.7.2", &t->dst);
	memset(info, 0, n * sizeof(*info));
	for (size_t i = 0; i < n; i++) {
		unsigned ttl, flow, asn;
		assert_int_equal(sscanf(spec[i], "%u %u %u", &ttl, &flow, &asn), 3);
		bt_hop *h = &t->hops[i];
		h->probe_ttl = (uint8_t)ttl;
		h->attempt = 1;
		h->has_flow = flow != 0;
		h->flow = (uint16_t)flow;
		if (asn == 0)
			continue;
		char a[32];
		snprintf(a, sizeof(a), "198.18.%u.%zu", asn % 200, i + 1);
		bt_addr_parse(a, &h->addr);
		info[i].kind = BT_HOP_AS;
		info[i].asn = asn;
		info[i].origins[0] = asn;
		info[i].norigins = 1;
		memcpy(info[i].country, asn == 4837 ? "CN" : asn == 20485 ? "RU" : asn == TARGET ? "KP" : "NL", 3);
	}
	memset(dst, 0, sizeof(*dst));
	dst->kind = BT_HOP_AS;
	dst->asn = TARGET;
	memcpy(dst->country, "KP", 3);
	return t;
}

static bt_routes *routes_of(const char **spec, size_t n, bt_path *whole)
{
	bt_hopinfo info[64], dst;
	bt_trace *t = build(spec, n, info, &dst);
	bt_routes *r = bt_routes_new();
	assert_non_null(r);
	bt_path_build(t, info, &dst, whole);
	bt_routes_build(r, t, info, &dst, whole);
	bt_trace_free(t);
	return r;
}

/* The flows of route k at level, by the route index of each flow. */
static unsigned flows_of(const bt_routes *r, int level, uint32_t up)
{
	for (size_t k = 0; k < r->n[level]; k++)
		if (r->r[level][k].c.near_asn == up) {
			unsigned n = 0;
			for (size_t f = 0; f < r->nflows; f++)
				n += r->route[level][f] == (int16_t)k;
			assert_int_equal(n, r->r[level][k].flows);
			return n;
		}
	return 0;
}

/* Ten flows, 3 through AS20485 and 7 through AS4837, into AS131279. */
static void test_split(void **state)
{
	(void)state;
	const char *spec[40];
	char buf[40][32];
	size_t n = 0;
	for (unsigned ttl = 1; ttl <= 4; ttl++)
		for (unsigned f = 0; f < 10; f++, n++) {
			unsigned asn = ttl == 1 ? 64500 : ttl == 2 ? (f == 2 || f == 5 || f == 8 ? 20485 : 4837) : TARGET;
			snprintf(buf[n], sizeof(buf[n]), "%u %u %u", ttl, f, asn);
			spec[n] = buf[n];
		}
	bt_path whole;
	bt_routes *r = routes_of(spec, n, &whole);
	assert_true(r->multi);
	assert_int_equal(r->nflows, 10);
	assert_int_equal(r->n[0], 2);
	assert_int_equal(r->routed[0], 10);
	assert_int_equal(flows_of(r, 0, 4837), 7);
	assert_int_equal(flows_of(r, 0, 20485), 3);
	assert_int_equal(r->r[0][0].c.far_asn, TARGET);
	/* the country level alike: CN 7, RU 3 */
	assert_int_equal(r->n[1], 2);
	assert_int_equal(r->routed[1], 10);
	assert_string_equal(r->r[1][0].c.near_cc, "CN");
	assert_int_equal(r->r[1][0].flows, 7);
	assert_string_equal(r->r[1][1].c.near_cc, "RU");
	assert_int_equal(r->r[1][1].flows, 3);
	bt_routes_free(r);
}

/* Per-packet: flow 0 answered from AS4837 and AS20485 at TTL 2; it is one
 * flow with one route (the last crossing, as for a trace of one flow). */
static void test_per_packet(void **state)
{
	(void)state;
	const char *spec[] = { "1 0 64500", "1 1 64500", "2 0 4837", "2 0 20485", "2 1 4837",
			       "3 0 131279", "3 1 131279" };
	bt_path whole;
	bt_routes *r = routes_of(spec, sizeof(spec) / sizeof(spec[0]), &whole);
	assert_int_equal(r->nflows, 2);
	assert_int_equal(r->routed[0], 2);
	assert_int_equal(flows_of(r, 0, 4837) + flows_of(r, 0, 20485), 2);
	assert_int_equal(flows_of(r, 0, 20485), 1);
	bt_routes_free(r);
}

/* Flow 4 was not probed at TTL 3: its crossing spans an unknown TTL. A
 * flow that never reached the target has no route and is not routed. */
static void test_skipped_ttl(void **state)
{
	(void)state;
	const char *spec[] = { "1 0 64500", "1 4 64500", "1 6 64500", "2 0 4837", "2 4 20485", "2 6 4837",
			       "3 0 4837", "4 0 131279", "4 4 131279" };
	bt_path whole;
	bt_routes *r = routes_of(spec, sizeof(spec) / sizeof(spec[0]), &whole);
	assert_int_equal(r->nflows, 3);
	assert_int_equal(r->routed[0], 2);
	assert_int_equal(r->n[0], 2);
	assert_false(r->r[0][0].c.across_silent);
	assert_int_equal(r->r[0][1].c.near_asn, 20485);
	assert_true(r->r[0][1].c.across_silent);
	assert_int_equal(r->route[0][2], -1); /* flow 6 */
	bt_routes_free(r);
}

/* One flow, several replies a TTL (Atlas's three packets): the whole
 * trace's route, the last crossing into the target. */
static void test_one_flow(void **state)
{
	(void)state;
	const char *spec[] = { "1 0 64500", "2 0 4837", "2 0 20485", "2 0 0", "3 0 131279" };
	bt_path whole;
	bt_routes *r = routes_of(spec, sizeof(spec) / sizeof(spec[0]), &whole);
	assert_false(r->multi);
	assert_int_equal(r->nflows, 1);
	assert_int_equal(r->n[0], 1);
	assert_int_equal(r->r[0][0].flows, 1);
	assert_true(whole.border_as >= 0);
	assert_memory_equal(&r->r[0][0].c, &whole.as_cross[whole.border_as], sizeof(bt_crossing));
	bt_routes_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_per_packet),
		cmocka_unit_test(test_skipped_ttl),
		cmocka_unit_test(test_one_flow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
