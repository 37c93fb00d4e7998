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
	char err[256];
	assert_int_equal(bt_seen_add(s, "id", a, 3, &first, err, sizeof(err)), BT_SEEN_NEW);
	assert_int_equal(bt_seen_add(s, "id", b, 4, &first, err, sizeof(err)), BT_SEEN_SAME);
	assert_int_equal(first, 99);
	/* one field anywhere in the record makes it another record */
	b->hops[1].rtt_us++;
	assert_int_equal(bt_seen_add(s, "id", b, 4, &first, err, sizeof(err)), BT_SEEN_CONFLICT);
	assert_int_equal(first, 3);
	b->hops[1].rtt_us--;
	b->end_us++;
	assert_int_equal(bt_seen_add(s, "id", b, 5, &first, err, sizeof(err)), BT_SEEN_CONFLICT);
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
	char err[256];
	for (int i = 0; i < 100000; i++) {
		snprintf(id, sizeof(id), "vp/r/%d", i);
		assert_int_equal(bt_seen_add(s, id, t, 0, &first, err, sizeof(err)), BT_SEEN_NEW);
	}
	for (int i = 0; i < 100000; i += 997) {
		snprintf(id, sizeof(id), "vp/r/%d", i);
		assert_int_equal(bt_seen_add(s, id, t, 1, &first, err, sizeof(err)), BT_SEEN_SAME);
	}
	bt_trace_free(t);
	bt_seen_free(s);
}

/* Rounds closed and opened again (seen.h): the reader gives back the
 * first traces of a file, as the pipeline's reads the file again. */
typedef struct file0 {
	bt_seen *s;
	bt_trace *t[4];
	const char *id[4];
} file0;

static long reader(void *ctx, uint32_t file, const char *round, uint64_t limit, char *err, size_t errlen)
{
	(void)err, (void)errlen;
	file0 *f = ctx;
	assert_int_equal(file, 0);
	long n = 0;
	for (; n < 4 && (uint64_t)n < limit; n++)
		if (strcmp(f->t[n]->round, round) == 0)
			bt_seen_rebuild(f->s, f->id[n], f->t[n], file);
	return n;
}

static void test_rounds_closed(void **state)
{
	(void)state;
	file0 f = { .s = bt_seen_new(), .id = { "vp-01/r1/x", "vp-01/r2/x", "vp-01/r1/x", "vp-01/r1/x" } };
	for (int i = 0; i < 4; i++)
		f.t[i] = make();
	strcpy(f.t[1]->round, "r2");
	f.t[3]->end_us++; /* another record of the first trace */
	bt_seen_reread(f.s, reader, &f);
	uint32_t first = 99;
	char err[256];
	bt_seen_result want[4] = { BT_SEEN_NEW, BT_SEEN_NEW, BT_SEEN_SAME, BT_SEEN_CONFLICT };
	for (int i = 0; i < 4; i++) {
		bt_seen_at(f.s, 0, (uint64_t)i + 1);
		assert_int_equal(bt_seen_add(f.s, f.id[i], f.t[i], 0, &first, err, sizeof(err)), want[i]);
	}
	/* r1 closed by r2's trace, opened again (its first trace read again) */
	assert_int_equal(bt_seen_reopened(f.s), 1);
	assert_int_equal(first, 0);
	/* a file that cannot be read again keeps its rounds open */
	bt_seen_pin_file(f.s, 1);
	strcpy(f.t[1]->round, "r3");
	assert_int_equal(bt_seen_add(f.s, "vp-01/r3/x", f.t[1], 1, &first, err, sizeof(err)), BT_SEEN_NEW);
	strcpy(f.t[1]->round, "r4");
	assert_int_equal(bt_seen_add(f.s, "vp-01/r4/x", f.t[1], 0, &first, err, sizeof(err)), BT_SEEN_NEW);
	strcpy(f.t[1]->round, "r3");
	assert_int_equal(bt_seen_add(f.s, "vp-01/r3/x", f.t[1], 1, &first, err, sizeof(err)), BT_SEEN_SAME);
	assert_int_equal(bt_seen_reopened(f.s), 1);
	for (int i = 0; i < 4; i++)
		bt_trace_free(f.t[i]);
	bt_seen_free(f.s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_and_conflict),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_rounds_closed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
