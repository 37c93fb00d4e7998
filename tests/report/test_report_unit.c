/* Unit tests of the report's pure parts: escaping, the ranking of target
 * networks and their diversity, the timeline's SVG (labels on every colour,
 * events marked). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bordertrace/diff.h"
#include "report_int.h"

static void test_escape(void **state)
{
	(void)state;
	bt_report_buf b = { 0 };
	bt_rb_esc(&b, "<img src=\"x\" onerror='y'>&\x1b[2J");
	assert_string_equal(b.s, "&lt;img src=&quot;x&quot; onerror=&#39;y&#39;&gt;&amp;[2J");
	b.len = 0;
	char big[3000];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	bt_rb_printf(&b, "<%s>", big); /* longer than the formatting buffer */
	assert_int_equal(b.len, sizeof(big) + 1);
	assert_int_equal(b.s[b.len - 1], '>');
	free(b.s);
}

static void add(bt_diff *d, const char *target, const char *round, const char *up, int n)
{
	static int seq;
	for (int i = 0; i < n; i++) {
		char id[64];
		snprintf(id, sizeof(id), "vp/%s/%s/%d", round, target, seq++);
		bt_diff_obs o = { .target = target, .vp = "vp", .round = round, .trace_id = id,
				  .time_us = 1, .up = { up, "CN" }, .into = { "AS9", "KP" }, .note = { "CN", NULL } };
		assert_int_equal(bt_diff_add(d, &o), 0);
	}
}

/* Three networks: one gains a route (first), one always has two upstreams
 * (second), one has one (third). */
static bt_diff *three(void)
{
	bt_diff_opts o;
	bt_diff_opts_default(&o);
	bt_diff *d = bt_diff_new(&o);
	assert_non_null(d);
	add(d, "198.18.3.0/24", "r1", "AS1", 2);
	add(d, "198.18.3.0/24", "r2", "AS1", 2);
	add(d, "198.18.2.0/24", "r1", "AS1", 1);
	add(d, "198.18.2.0/24", "r1", "AS2", 1);
	add(d, "198.18.2.0/24", "r2", "AS1", 1);
	add(d, "198.18.2.0/24", "r2", "AS2", 1);
	add(d, "198.18.1.0/24", "r1", "AS1", 2);
	add(d, "198.18.1.0/24", "r2", "AS1", 1);
	add(d, "198.18.1.0/24", "r2", "AS2", 1);
	assert_int_equal(bt_diff_finish(d), 0);
	return d;
}

static void test_rank(void **state)
{
	(void)state;
	bt_diff *d = three();
	bt_report_nets ns;
	assert_int_equal(bt_report_nets_make(&ns, d, 1), 0);
	assert_int_equal(ns.n, 3);
	assert_int_equal(ns.nrounds, 2);
	assert_string_equal(ns.rounds[0], "r1");
	assert_string_equal(ns.v[0].key, "198.18.1.0/24");
	assert_int_equal(ns.v[0].nnew, 1);
	assert_int_equal(ns.v[0].last_ups, 2);
	assert_string_equal(ns.v[1].key, "198.18.2.0/24");
	assert_int_equal(ns.v[1].max_ups, 2);
	assert_string_equal(ns.v[2].key, "198.18.3.0/24");
	assert_int_equal(ns.v[2].max_ups, 1);
	assert_int_equal(ns.v[2].rank, 3);
	bt_report_nets_free(&ns);
	bt_diff_free(d);
}

static void test_timeline(void **state)
{
	(void)state;
	bt_diff *d = three();
	bt_report_nets ns;
	assert_int_equal(bt_report_nets_make(&ns, d, 1), 0);
	bt_report_buf b = { 0 };
	bt_report_timeline(&b, &ns.v[0], BT_LEVEL_AS);
	assert_false(b.nomem);
	/* every segment labelled, every colour in the legend, the event marked */
	assert_non_null(strstr(b.s, ">AS1 100%</text>"));
	assert_non_null(strstr(b.s, ">AS2 50%</text>"));
	assert_non_null(strstr(b.s, ">AS2 (CN)</text>"));
	assert_non_null(strstr(b.s, "class=\"evmark\""));
	assert_non_null(strstr(b.s, "new AS2</text>"));
	assert_non_null(strstr(b.s, ">R2</text>"));
	assert_non_null(strstr(b.s, bt_report_colour(1)));
	free(b.s);
	bt_report_nets_free(&ns);
	bt_diff_free(d);
}

/* A round in which no trace entered the network says so, in text. */
static void test_timeline_no_route(void **state)
{
	(void)state;
	bt_diff_opts o;
	bt_diff_opts_default(&o);
	bt_diff *d = bt_diff_new(&o);
	assert_non_null(d);
	add(d, "198.18.1.0/24", "r1", "AS1", 1);
	add(d, "198.18.2.0/24", "r2", "AS1", 1); /* r2 exists, 198.18.1.0/24 has no route in it */
	assert_int_equal(bt_diff_finish(d), 0);
	bt_report_nets ns;
	assert_int_equal(bt_report_nets_make(&ns, d, 1), 0);
	/* 198.18.2.0/24 ranks first: its route is new in r2, after the baseline */
	assert_string_equal(ns.v[0].key, "198.18.2.0/24");
	assert_string_equal(ns.v[1].key, "198.18.1.0/24");
	bt_report_buf b = { 0 };
	bt_report_timeline(&b, &ns.v[1], BT_LEVEL_AS);
	assert_non_null(strstr(b.s, ">no route in</text>"));
	assert_non_null(strstr(b.s, ">AS1 100%</text>"));
	free(b.s);
	bt_report_nets_free(&ns);
	bt_diff_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_rank),
		cmocka_unit_test(test_timeline),
		cmocka_unit_test(test_timeline_no_route),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
