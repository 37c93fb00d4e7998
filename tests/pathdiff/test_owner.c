/* bordertrace tests — the interface graph of analysis/owner.c: what makes
 * an edge (consecutive TTLs of one trace, not copied hops), that each
 * address is resolved once a round, that reset forgets a round (but what
 * "renumbered" keeps of it), that the tables grow and stay right, and the
 * heuristic names. The rules'
 * cases, on and off, are tests/pathdiff/test_owner_cli.sh's.
 * Addresses: 198.18.0.0/15 only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "bordertrace/owner.h"

/* 198.18.N.x is AS 64500 + N (N < 10), nobody's (N == 10) or an IXP's
 * (N == 11); asked counts the questions. */
typedef struct resolver {
	unsigned asked;
	bt_hopinfo h;
} resolver;

static const bt_hopinfo *info_of(void *ctx, const bt_addr *a)
{
	resolver *r = ctx;
	r->asked++;
	memset(&r->h, 0, sizeof(r->h));
	unsigned n = a->bytes[2];
	r->h.kind = n == 10 ? BT_HOP_UNKNOWN : n == 11 ? BT_HOP_IXP : BT_HOP_AS;
	r->h.asn = n < 10 ? 64500 + n : 0;
	r->h.norigins = n < 10;
	r->h.origins[0] = r->h.asn;
	return &r->h;
}

/* A trace to dst through hops ("*" silent); TTLs from 1. */
static bt_trace *trace(const char *dst, const char *const *hops, size_t n)
{
	bt_trace *t = bt_trace_alloc(n);
	assert_non_null(t);
	assert_int_equal(bt_addr_parse(dst, &t->dst), 0);
	t->first_ttl = 1;
	t->hop_count = n;
	for (size_t i = 0; i < n; i++) {
		t->hops[i].probe_ttl = (uint8_t)(i + 1);
		if (strcmp(hops[i], "*") != 0)
			assert_int_equal(bt_addr_parse(hops[i], &t->hops[i].addr), 0);
	}
	return t;
}

static void add(bt_owner *o, resolver *r, const char *dst, uint32_t dst_as, const char *const *hops,
		size_t n)
{
	bt_trace *t = trace(dst, hops, n);
	bool failed = false;
	assert_int_equal(bt_owner_add(o, t, dst_as, info_of, r, &failed), 0);
	assert_false(failed);
	bt_trace_free(t);
}

/* The AS bt_owner_apply makes of addr (its origin when no owner). */
static uint32_t owner_of(const bt_owner *o, resolver *r, const char *addr)
{
	bt_addr a;
	assert_int_equal(bt_addr_parse(addr, &a), 0);
	bt_hopinfo h = *info_of(r, &a);
	bt_owner_apply(o, &a, &h);
	return h.asn;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_edges_and_reset(void **state)
{
	(void)state;
	resolver r = { 0 };
	bt_owner *o = bt_owner_new(BT_OWNER_ALL);
	assert_non_null(o);
	/* 198.18.2.9 (AS 64502) between 64502 and 64507: a neighbour-numbered
	 * border, seen twice: each address asked once */
	static const char *const a[] = { "198.18.1.1", "198.18.2.1", "198.18.2.9", "198.18.7.1", "198.18.7.9" };
	add(o, &r, "198.18.7.9", 64507, a, N(a));
	add(o, &r, "198.18.7.9", 64507, a, N(a));
	assert_int_equal(r.asked, 5);
	assert_int_equal(bt_owner_nodes(o), 5);
	assert_int_equal(bt_owner_edges(o), 4);
	/* before the inference nothing is applied */
	assert_int_equal(owner_of(o, &r, "198.18.2.9"), 64502);
	assert_int_equal(bt_owner_infer(o), 0);
	assert_int_equal(owner_of(o, &r, "198.18.2.9"), 64507);
	assert_int_equal(bt_owner_overrides(o), 1);
	/* the next round starts empty */
	bt_owner_reset(o);
	assert_int_equal(bt_owner_nodes(o), 0);
	assert_int_equal(bt_owner_infer(o), 0);
	assert_int_equal(owner_of(o, &r, "198.18.2.9"), 64502);
	bt_owner_free(o);
}

static void test_no_edge_across_silence_or_copies(void **state)
{
	(void)state;
	resolver r = { 0 };
	bt_owner *o = bt_owner_new(BT_OWNER_ALL);
	/* a silent TTL between 198.18.2.9 and 198.18.7.1: no edge, no vote */
	static const char *const a[] = { "198.18.2.1", "198.18.2.9", "*", "198.18.7.1", "198.18.7.9" };
	add(o, &r, "198.18.7.9", 64507, a, N(a));
	assert_int_equal(bt_owner_edges(o), 2);
	assert_int_equal(bt_owner_infer(o), 0);
	assert_int_equal(owner_of(o, &r, "198.18.2.9"), 64502);
	/* hops copied from another trace (below filled_below_ttl 3) are
	 * not this trace's edges */
	bt_owner_reset(o);
	static const char *const b[] = { "198.18.2.1", "198.18.2.9", "198.18.7.1", "198.18.7.9" };
	bt_trace *t = trace("198.18.7.9", b, N(b));
	t->filled_below_ttl = 3;
	bool failed = false;
	assert_int_equal(bt_owner_add(o, t, 64507, info_of, &r, &failed), 0);
	bt_trace_free(t);
	assert_int_equal(bt_owner_nodes(o), 2);
	assert_int_equal(bt_owner_edges(o), 1);
	bt_owner_free(o);
}

/* 256 borders numbered from the upstream's space, each its own: the
 * node table grows past its first size and every one is found again. */
static void test_growth(void **state)
{
	(void)state;
	resolver r = { 0 };
	bt_owner *o = bt_owner_new(BT_OWNER_NEIGHBOUR);
	char p[BT_ADDR_STRLEN], x[BT_ADDR_STRLEN], y[BT_ADDR_STRLEN], d[BT_ADDR_STRLEN];
	for (unsigned k = 0; k < 256; k++) {
		/* 64502's router, 64507's border in 64502's space, 64507 */
		snprintf(p, sizeof(p), "198.18.2.%u", k);
		snprintf(x, sizeof(x), "198.19.2.%u", k);
		snprintf(y, sizeof(y), "198.18.7.%u", k);
		snprintf(d, sizeof(d), "198.19.8.%u", k);
		const char *h[] = { p, x, y };
		add(o, &r, d, 64508, h, 3);
	}
	assert_int_equal(bt_owner_nodes(o), 768);
	assert_int_equal(bt_owner_edges(o), 512);
	assert_int_equal(bt_owner_infer(o), 0);
	assert_int_equal(bt_owner_overrides(o), 256);
	for (unsigned k = 0; k < 256; k++) {
		snprintf(p, sizeof(p), "198.18.2.%u", k);
		snprintf(x, sizeof(x), "198.19.2.%u", k);
		snprintf(y, sizeof(y), "198.18.7.%u", k);
		assert_int_equal(owner_of(o, &r, p), 64502);
		assert_int_equal(owner_of(o, &r, x), 64507);
		assert_int_equal(owner_of(o, &r, y), 64507);
	}
	bt_owner_free(o);
}

/* What reset keeps for "renumbered": the last inferred round, through
 * resets of rounds never inferred (the pipeline resets before and after
 * each round), freed by bt_owner_free. */
static void test_round_kept_for_renumbered(void **state)
{
	(void)state;
	resolver r = { 0 };
	bt_owner *o = bt_owner_new(BT_OWNER_ALL);
	/* r1: AS 64507's border router answers from its own space ... */
	static const char *const a[] = { "198.18.2.1", "198.18.7.5", "198.18.7.6", "198.18.7.60" };
	add(o, &r, "198.18.7.60", 64507, a, N(a));
	assert_int_equal(bt_owner_infer(o), 0);
	bt_owner_reset(o);
	bt_owner_reset(o);
	/* ... a round read without inference (standard input) ... */
	static const char *const b[] = { "198.18.2.1", "198.18.4.5", "198.18.8.1" };
	add(o, &r, "198.18.8.1", 64508, b, N(b));
	bt_owner_reset(o);
	/* ... r2: from 64503's space, between the same hops */
	static const char *const c[] = { "198.18.2.1", "198.18.3.5", "198.18.7.6", "198.18.7.60" };
	add(o, &r, "198.18.7.60", 64507, c, N(c));
	assert_int_equal(bt_owner_infer(o), 0);
	assert_int_equal(owner_of(o, &r, "198.18.3.5"), 64507);
	bt_owner_free(o);
	/* the same r2 with no round before: 64503's */
	o = bt_owner_new(BT_OWNER_ALL);
	add(o, &r, "198.18.7.60", 64507, c, N(c));
	assert_int_equal(bt_owner_infer(o), 0);
	assert_int_equal(owner_of(o, &r, "198.18.3.5"), 64503);
	bt_owner_free(o);
}

static void test_names(void **state)
{
	(void)state;
	assert_int_equal(bt_owner_heuristic_parse("neighbour"), BT_OWNER_NEIGHBOUR);
	assert_int_equal(bt_owner_heuristic_parse("last-hop"), BT_OWNER_LAST_HOP);
	assert_int_equal(bt_owner_heuristic_parse("all"), BT_OWNER_ALL);
	assert_int_equal(bt_owner_heuristic_parse("neighbor"), 0);
	assert_string_equal(bt_owner_heuristic_name(BT_OWNER_IXP), "ixp");
	assert_string_equal(bt_owner_heuristic_name(3), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_edges_and_reset),
		cmocka_unit_test(test_no_edge_across_silence_or_copies),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_round_kept_for_renumbered),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
