/* bordertrace — unit tests for the trace record (common/trace.c):
 * alloc/reserve, method and stop names, UTC time stamps and the record
 * invariants (bt_trace_check). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "bordertrace/trace.h"

#define assert_contains(hay, needle)                                          \
	do {                                                                  \
		if (strstr((hay), (needle)) == NULL)                          \
			fail_msg("\"%s\" does not contain \"%s\"", (hay),     \
				 (needle));                                   \
	} while (0)

/* ---- alloc / reserve ---- */

static void test_alloc(void **state)
{
	(void)state;
	bt_trace *t = bt_trace_alloc(4);
	assert_non_null(t);
	assert_non_null(t->hops);
	assert_int_equal(t->hop_count, 0);
	assert_true(t->hop_cap >= 4);
	assert_int_equal(t->stop, BT_STOP_NONE);
	assert_int_equal(t->hops[3].addr.family, 0);
	bt_trace_free(t);

	t = bt_trace_alloc(0);
	assert_non_null(t);
	assert_int_equal(t->hop_count, 0);
	bt_trace_free(t);
	bt_trace_free(NULL);
}

static void test_reserve(void **state)
{
	(void)state;
	bt_trace *t = bt_trace_alloc(2);
	assert_non_null(t);
	t->hops[0].probe_ttl = 1;
	t->hops[1].probe_ttl = 2;
	t->hops[1].rtt_us = 777;
	t->hop_count = 2;

	assert_int_equal(bt_trace_reserve(t, 40), 0);
	assert_true(t->hop_cap >= 40);
	assert_int_equal(t->hop_count, 2);
	/* Old hops kept, new ones zeroed (gaps). */
	assert_int_equal(t->hops[1].rtt_us, 777);
	for (size_t i = 2; i < 40; i++) {
		assert_int_equal(t->hops[i].probe_ttl, 0);
		assert_int_equal(t->hops[i].addr.family, 0);
		assert_int_equal(t->hops[i].mpls_count, 0);
	}
	/* Reserving less never shrinks. */
	bt_hop *before = t->hops;
	assert_int_equal(bt_trace_reserve(t, 3), 0);
	assert_ptr_equal(t->hops, before);
	assert_true(t->hop_cap >= 40);

	assert_int_equal(bt_trace_reserve(t, SIZE_MAX), -1);
	assert_true(t->hop_cap >= 40); /* untouched on failure */
	bt_trace_free(t);
}

/* ---- names ---- */

static void test_method_names(void **state)
{
	(void)state;
	static const struct {
		bt_method m;
		const char *name;
	} tab[] = {
		{BT_METHOD_ICMP_PARIS, "icmp-paris"},
		{BT_METHOD_UDP_PARIS, "udp-paris"},
		{BT_METHOD_TCP_SYN, "tcp-syn"},
	};
	for (size_t i = 0; i < sizeof(tab) / sizeof(*tab); i++) {
		bt_method m;
		assert_string_equal(bt_method_name(tab[i].m), tab[i].name);
		assert_int_equal(bt_method_parse(tab[i].name, &m), 0);
		assert_int_equal(m, tab[i].m);
	}
	bt_method m = BT_METHOD_UDP_PARIS;
	assert_int_equal(bt_method_parse("ICMP-PARIS", &m), -1);
	assert_int_equal(bt_method_parse("icmp", &m), -1);
	assert_int_equal(bt_method_parse("", &m), -1);
	assert_int_equal(m, BT_METHOD_UDP_PARIS); /* untouched */
	assert_null(bt_method_name((bt_method)3));
	assert_null(bt_method_name((bt_method)-1));
}

static void test_stop_names(void **state)
{
	(void)state;
	static const struct {
		bt_stop s;
		const char *name;
	} tab[] = {
		{BT_STOP_NONE, "none"},
		{BT_STOP_COMPLETED, "completed"},
		{BT_STOP_UNREACHABLE, "unreachable"},
		{BT_STOP_GAPLIMIT, "gaplimit"},
		{BT_STOP_MAXTTL, "maxttl"},
		{BT_STOP_ERROR, "error"},
	};
	for (size_t i = 0; i < sizeof(tab) / sizeof(*tab); i++) {
		bt_stop s;
		assert_string_equal(bt_stop_name(tab[i].s), tab[i].name);
		assert_int_equal(bt_stop_parse(tab[i].name, &s), 0);
		assert_int_equal(s, tab[i].s);
	}
	bt_stop s;
	assert_int_equal(bt_stop_parse("done", &s), -1);
	assert_int_equal(bt_stop_parse("completed ", &s), -1);
	assert_null(bt_stop_name((bt_stop)6));
}

/* ---- time ---- */

static void test_time_format(void **state)
{
	(void)state;
	static const struct {
		int64_t us;
		const char *s;
	} tab[] = {
		{0, "1970-01-01T00:00:00.000000Z"},
		{1, "1970-01-01T00:00:00.000001Z"},
		{-1, "1969-12-31T23:59:59.999999Z"},
		{-1000000, "1969-12-31T23:59:59.000000Z"},
		{1506848871000000, "2017-10-01T09:07:51.000000Z"},
		{1795758000123456, "2026-11-27T05:40:00.123456Z"},
		{951868799999999, "2000-02-29T23:59:59.999999Z"},
		{951868800000000, "2000-03-01T00:00:00.000000Z"},
		{4107542399000000, "2100-02-28T23:59:59.000000Z"},
		{4107542400000000, "2100-03-01T00:00:00.000000Z"},
		{INT64_C(-62167219200000000), "0000-01-01T00:00:00.000000Z"},
		{INT64_C(253402300799999999), "9999-12-31T23:59:59.999999Z"},
	};
	char buf[BT_TIME_STRLEN];
	for (size_t i = 0; i < sizeof(tab) / sizeof(*tab); i++) {
		int64_t back;
		assert_non_null(bt_time_format(tab[i].us, buf, sizeof(buf)));
		assert_string_equal(buf, tab[i].s);
		assert_int_equal(bt_time_parse(tab[i].s, &back), 0);
		assert_int_equal(back, tab[i].us);
	}
	/* Outside four-digit years, and too small a buffer: NULL. */
	assert_null(bt_time_format(INT64_C(-62167219200000001), buf, sizeof(buf)));
	assert_null(bt_time_format(INT64_C(253402300800000000), buf, sizeof(buf)));
	assert_null(bt_time_format(INT64_MIN, buf, sizeof(buf)));
	assert_null(bt_time_format(INT64_MAX, buf, sizeof(buf)));
	assert_null(bt_time_format(0, buf, 27));
	assert_non_null(bt_time_format(0, buf, 28));
}

static void test_time_round_trip(void **state)
{
	(void)state;
	char buf[BT_TIME_STRLEN];
	/* A deterministic sweep over a wide range, both signs. */
	uint64_t x = 0x9E3779B97F4A7C15u;
	for (int i = 0; i < 200000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		int64_t us = (int64_t)(x % UINT64_C(300000000000000000)) -
			     INT64_C(50000000000000000);
		int64_t back;
		assert_non_null(bt_time_format(us, buf, sizeof(buf)));
		assert_int_equal(bt_time_parse(buf, &back), 0);
		assert_int_equal(back, us);
	}
}

static void test_time_parse_fraction(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		int64_t us;
	} tab[] = {
		{"2017-10-01T09:07:51Z", 1506848871000000},
		{"2017-10-01T09:07:51.5Z", 1506848871500000},
		{"2017-10-01T09:07:51.12Z", 1506848871120000},
		{"2017-10-01T09:07:51.000001Z", 1506848871000001},
		/* Past microseconds: truncated, never rounded up. */
		{"2017-10-01T09:07:51.0000019Z", 1506848871000001},
		{"2017-10-01T09:07:51.999999999Z", 1506848871999999},
		{"1969-12-31T23:59:59.9999999Z", -1},
	};
	for (size_t i = 0; i < sizeof(tab) / sizeof(*tab); i++) {
		int64_t us = 0;
		assert_int_equal(bt_time_parse(tab[i].s, &us), 0);
		assert_int_equal(us, tab[i].us);
	}
}

static void test_time_parse_bad(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"",
		"2017-10-01",
		"2017-10-01T09:07:51",               /* no zone */
		"2017-10-01T09:07:51.000000",        /* no zone */
		"2017-10-01T09:07:51+00:00",         /* offsets: Z only */
		"2017-10-01T09:07:51.000000+01:00",
		"2017-10-01T09:07:51.000000z",       /* upper-case only */
		"2017-10-01t09:07:51.000000Z",
		"2017-10-01 09:07:51.000000Z",
		"2017-10-01T09:07:51.Z",             /* a dot needs digits */
		"2017-10-01T09:07:51.0000000000Z",   /* 10 digits */
		"2017-10-01T09:07:51.000000Z ",      /* trailing junk */
		"2017-10-01T09:07:51.000000ZZ",
		" 2017-10-01T09:07:51Z",
		"17-10-01T09:07:51Z",
		"+2017-10-01T09:07:51Z",
		"20170-10-01T09:07:51Z",
		"2017-1-01T09:07:51Z",
		"2017-00-01T09:07:51Z",
		"2017-13-01T09:07:51Z",
		"2017-10-00T09:07:51Z",
		"2017-10-32T09:07:51Z",
		"2017-04-31T09:07:51Z",
		"2017-02-29T00:00:00Z",              /* not a leap year */
		"2100-02-29T00:00:00Z",              /* century, not leap */
		"2017-10-01T24:00:00Z",
		"2017-10-01T09:60:00Z",
		"2016-12-31T23:59:60Z",              /* leap second: POSIX time has none */
		"2017-10-01T09:07:5aZ",
		"2017-10-01T09:07:-1Z",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		int64_t us = 42;
		if (bt_time_parse(bad[i], &us) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
	}
	int64_t us;
	assert_int_equal(bt_time_parse(NULL, &us), -1);
	/* Leap days that exist. */
	assert_int_equal(bt_time_parse("2000-02-29T00:00:00Z", &us), 0);
	assert_int_equal(bt_time_parse("2024-02-29T00:00:00Z", &us), 0);
	assert_int_equal(bt_time_parse("0000-02-29T00:00:00Z", &us), 0);
}

/* ---- bt_trace_check ---- */

static bt_trace *valid_trace(void)
{
	bt_trace *t = bt_trace_alloc(3);
	assert_non_null(t);
	t->method = BT_METHOD_UDP_PARIS;
	bt_addr_parse("198.18.0.2", &t->src);
	bt_addr_parse("198.18.3.2", &t->dst);
	t->stop = BT_STOP_GAPLIMIT;
	t->first_ttl = 2;
	t->max_ttl = 4;
	t->hop_count = 3;
	for (unsigned i = 0; i < 3; i++)
		t->hops[i].probe_ttl = (uint8_t)(2 + i);
	bt_addr_parse("198.18.1.1", &t->hops[0].addr);
	t->hops[0].attempt = 1;
	return t;
}

static void check_refused(bt_trace *t, const char *needle)
{
	char err[256] = "";
	assert_int_equal(bt_trace_check(t, err, sizeof(err)), -1);
	assert_contains(err, needle);
	bt_trace_free(t);
}

static void test_check(void **state)
{
	(void)state;
	char err[256] = "";
	bt_trace *t = valid_trace();
	assert_int_equal(bt_trace_check(t, err, sizeof(err)), 0);
	/* err may be NULL. */
	t->stop = BT_STOP_NONE;
	assert_int_equal(bt_trace_check(t, NULL, 0), -1);
	bt_trace_free(t);

	t = valid_trace();
	t->stop = BT_STOP_NONE;
	check_refused(t, "field 'stop'");

	t = valid_trace();
	memset(&t->dst, 0, sizeof(t->dst));
	check_refused(t, "field 'dst': address not set");

	/* No source (no route to the target) is a valid record. */
	t = valid_trace();
	memset(&t->src, 0, sizeof(t->src));
	assert_int_equal(bt_trace_check(t, err, sizeof(err)), 0);
	t->src.family = 3;
	check_refused(t, "field 'src': bad address family 3");

	t = valid_trace();
	t->method = (bt_method)7;
	check_refused(t, "field 'method'");

	t = valid_trace();
	t->hops[2].probe_ttl = 5;
	check_refused(t, "field 'hops[2].ttl': expected 3 or 4 (TTL order, none skipped), got 5");
	/* several entries a TTL (format version 2), attempts in order */
	t = valid_trace();
	t->hops[2].probe_ttl = 3;
	t->hops[1].attempt = 2;
	t->hops[2].attempt = 2;
	assert_int_equal(bt_trace_check(t, err, sizeof(err)), 0);
	t->hops[2].attempt = 1;
	check_refused(t, "field 'hops[2].attempt': expected at least 2 (a TTL's entries in attempt order), got 1");
	t = valid_trace();
	t->hops[0].probe_ttl = 3;
	check_refused(t, "field 'hops[0].ttl': expected 2 (first_ttl), got 3");


	t = valid_trace();
	t->max_ttl = 3;
	check_refused(t, "field 'hops[2].ttl': 4 is above max_ttl 3");

	t = valid_trace();
	t->first_ttl = 0;
	check_refused(t, "field 'first_ttl'");

	t = valid_trace();
	t->hops[0].attempt = 0;
	check_refused(t, "field 'hops[0].attempt'");

	t = valid_trace();
	t->hops[0].tcp_flags = 0x12;
	t->hops[0].icmp_type = 11;
	check_refused(t, "field 'hops[0].tcp_flags'");

	t = valid_trace();
	t->hops[0].mpls_count = BT_MPLS_MAX + 1;
	check_refused(t, "field 'hops[0].mpls': 9 entries");

	t = valid_trace();
	t->hops[0].mpls_count = 1;
	t->hops[0].mpls[0].label = 0x100000;
	check_refused(t, "field 'hops[0].mpls[0]'");

	t = valid_trace();
	memset(t->vp, 'a', BT_ID_MAX);
	check_refused(t, "field 'vp': not NUL-terminated");

	/* the one id rule (bordertrace/id.h): the readers apply it too */
	t = valid_trace();
	strcpy(t->campaign, "caf\xc3\xa9");
	check_refused(t, "field 'campaign': 'caf\xc3\xa9' contains a space, a control or a non-ASCII");

	t = valid_trace();
	strcpy(t->round, "\xed\xa0\x80"); /* a surrogate: shown escaped */
	check_refused(t, "field 'round': '\\xed\\xa0\\x80' contains");

	t = valid_trace();
	strcpy(t->vp, "a/b");
	check_refused(t, "field 'vp': 'a/b' contains '/'");

	t = valid_trace();
	strcpy(t->vp, "=1+1");
	check_refused(t, "field 'vp': '=1+1' starts with a formula character");

	t = valid_trace();
	strcpy(t->round, "2026-11-27T06:08:00Z");
	t->vp[0] = '\0'; /* empty ids: `trace` without --vp */
	t->campaign[0] = '\0';
	assert_int_equal(bt_trace_check(t, err, sizeof(err)), 0);
	bt_trace_free(t);

	t = valid_trace();
	t->start_us = INT64_MAX;
	check_refused(t, "field 'start': time out of range");
}

/* filled_below_ttl (split TTL): the copied hops are a prefix of the hops,
 * the first at least and all of them at most. valid_trace() has TTLs 2..4. */
static void test_check_filled(void **state)
{
	(void)state;
	char err[256] = "";
	static const uint8_t ok[] = { 0, 3, 4, 5 };
	for (size_t i = 0; i < sizeof(ok); i++) {
		bt_trace *t = valid_trace();
		t->filled_below_ttl = ok[i];
		if (bt_trace_check(t, err, sizeof(err)) != 0)
			fail_msg("filled_below_ttl %u refused: %s", ok[i], err);
		assert_int_equal(bt_trace_copied_hops(t), ok[i] ? ok[i] - 2 : 0);
		bt_trace_free(t);
	}
	/* at or below the first TTL (nothing below to copy), or more hops
	 * copied than the trace has */
	static const uint8_t bad[] = { 1, 2, 6, 255 };
	for (size_t i = 0; i < sizeof(bad); i++) {
		char want[128];
		snprintf(want, sizeof(want), "field 'filled_below_ttl': expected first_ttl + 1 .. "
			 "last hop's TTL + 1 (3..5), got %u", bad[i]);
		bt_trace *t = valid_trace();
		t->filled_below_ttl = bad[i];
		check_refused(t, want);
	}
	/* A trace without hops (an error end) may carry it, as the prober
	 * wrote before the field was checked: nothing is copied. */
	bt_trace *t = valid_trace();
	t->hop_count = 0;
	t->filled_below_ttl = 3;
	if (bt_trace_check(t, err, sizeof(err)) != 0)
		fail_msg("filled_below_ttl on a trace without hops refused: %s", err);
	assert_int_equal(bt_trace_copied_hops(t), 0);
	t->filled_below_ttl = 2; /* still not at or below first_ttl */
	check_refused(t, "field 'filled_below_ttl': expected first_ttl + 1 .. last hop's TTL + 1 (3..3), got 2");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alloc),
		cmocka_unit_test(test_reserve),
		cmocka_unit_test(test_method_names),
		cmocka_unit_test(test_stop_names),
		cmocka_unit_test(test_time_format),
		cmocka_unit_test(test_time_round_trip),
		cmocka_unit_test(test_time_parse_fraction),
		cmocka_unit_test(test_time_parse_bad),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_check_filled),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
