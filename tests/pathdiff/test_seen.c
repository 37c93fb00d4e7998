/* bordertrace tests — the traces already read (analysis/seen.c): a trace id
 * again with the same record is a duplicate, with any field of the record
 * changed a conflict naming the first file; many ids grow the table and
 * stay apart. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "seen.h"

static bt_trace *make(void)
{
	bt_trace *t = bt_trace_alloc(2);
	assert_non_null(t);
	strcpy(t->vp, "vp-01");
	strcpy(t->round, "r1");
	bt_addr_parse("198.18.3.2", &t->dst);
	t->start_us = 1000;
	t->end_us = 2000;
	t->first_ttl = 1;
	t->max_ttl = 32;
	t->hop_count = 2;
	bt_addr_parse("198.18.1.1", &t->hops[0].addr);
	t->hops[0].probe_ttl = 1;
	t->hops[1].probe_ttl = 2;
	t->hops[1].rtt_us = 200;
	return t;
}

static void test_same_and_conflict(void **state)
{
	(void)state;
	bt_seen *s = bt_seen_new();
	assert_non_null(s);
	bt_trace *a = make(), *b = make();
	uint32_t first = 99;
	assert_int_equal(bt_seen_add(s, "id", a, 3, &first), BT_SEEN_NEW);
	assert_int_equal(bt_seen_add(s, "id", b, 4, &first), BT_SEEN_SAME);
	assert_int_equal(first, 99);
	/* one field anywhere in the record makes it another record */
	b->hops[1].rtt_us++;
	assert_int_equal(bt_seen_add(s, "id", b, 4, &first), BT_SEEN_CONFLICT);
	assert_int_equal(first, 3);
	b->hops[1].rtt_us--;
	b->end_us++;
	assert_int_equal(bt_seen_add(s, "id", b, 5, &first), BT_SEEN_CONFLICT);
	b->end_us--;
	strcpy(b->campaign, "x");
	assert_int_not_equal(bt_trace_digest(a), bt_trace_digest(b));
	b->campaign[0] = '\0';
	assert_int_equal(bt_trace_digest(a), bt_trace_digest(b));
	/* an entry's flow (format version 2) is part of it; a flow written
	 * equal to the trace's is that flow */
	b->hops[0].has_flow = true;
	b->hops[0].flow = 5;
	assert_int_not_equal(bt_trace_digest(a), bt_trace_digest(b));
	b->hops[0].flow = b->flow;
	assert_int_equal(bt_trace_digest(a), bt_trace_digest(b));
	b->hops[0].has_flow = false;
	/* unused hop slots and capacity are no part of the record */
	assert_int_equal(bt_trace_reserve(b, 100), 0);
	assert_int_equal(bt_trace_digest(a), bt_trace_digest(b));
	bt_trace_free(a);
	bt_trace_free(b);
	bt_seen_free(s);
}

static void test_many(void **state)
{
	(void)state;
	bt_seen *s = bt_seen_new();
	bt_trace *t = make();
	char id[32];
	uint32_t first;
	for (int i = 0; i < 100000; i++) {
		snprintf(id, sizeof(id), "vp/r/%d", i);
		assert_int_equal(bt_seen_add(s, id, t, 0, &first), BT_SEEN_NEW);
	}
	for (int i = 0; i < 100000; i += 997) {
		snprintf(id, sizeof(id), "vp/r/%d", i);
		assert_int_equal(bt_seen_add(s, id, t, 1, &first), BT_SEEN_SAME);
	}
	bt_trace_free(t);
	bt_seen_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_and_conflict),
		cmocka_unit_test(test_many),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
