/* bordertrace — unit tests for the text table (common/trace_text.c): the
 * unreachable marker of every ICMP and ICMPv6 code against traceroute's
 * table (doc/cli.md), the exact table printed; and the buffered JSON writer
 * the prober uses (bt_trace_write_buf) giving bt_trace_write's bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bordertrace/icmp.h"
#include "bordertrace/trace.h"
#include "bordertrace/trace_text.h"

/* BSD traceroute's letters for ICMP unreachable codes 0..15; NULL: the
 * destination's port unreachable (no marker) and otherwise "!<3>". */
static const char *const want4[16] = {
	"!N", "!H", "!P", NULL, "!F", "!S", "!U", "!W",
	"!I", "!A", "!Z", "!Q", "!T", "!X", "!V", "!C",
};

static bt_trace *one_hop(const char *dst, const char *from, uint8_t type, uint8_t code)
{
	bt_trace *t = bt_trace_alloc(1);
	assert_non_null(t);
	assert_int_equal(bt_addr_parse(dst, &t->dst), 0);
	t->hop_count = 1;
	t->hops[0].probe_ttl = 1;
	t->hops[0].attempt = 1;
	assert_int_equal(bt_addr_parse(from, &t->hops[0].addr), 0);
	t->hops[0].icmp_type = type;
	t->hops[0].icmp_code = code;
	return t;
}

static const char *marker(const char *dst, const char *from, uint8_t type, uint8_t code, char *buf)
{
	bt_trace *t = one_hop(dst, from, type, code);
	const char *m = bt_hop_marker(t, &t->hops[0], buf, BT_MARKER_LEN);
	static char copy[BT_MARKER_LEN];
	snprintf(copy, sizeof(copy), "%s", m);
	bt_trace_free(t);
	return copy;
}

static void test_markers_v4(void **state)
{
	(void)state;
	char buf[BT_MARKER_LEN], want[BT_MARKER_LEN];
	for (unsigned code = 0; code < 256; code++) {
		/* from a router on the way */
		if (code < 16 && want4[code] != NULL)
			snprintf(want, sizeof(want), "%s", want4[code]);
		else
			snprintf(want, sizeof(want), "!<%u>", code);
		const char *got = marker("198.18.3.2", "198.18.1.1", BT_ICMP_UNREACH, (uint8_t)code, buf);
		if (strcmp(got, want) != 0)
			fail_msg("unreachable code %u from a router: '%s', want '%s'", code, got, want);
		/* from the destination: the same, except port unreachable */
		got = marker("198.18.3.2", "198.18.3.2", BT_ICMP_UNREACH, (uint8_t)code, buf);
		if (strcmp(got, code == BT_ICMP_UNREACH_PORT ? "" : want) != 0)
			fail_msg("unreachable code %u from the destination: '%s'", code, got);
		/* other types never carry a marker */
		assert_string_equal(marker("198.18.3.2", "198.18.1.1", BT_ICMP_TIME_EXCEEDED, (uint8_t)code, buf), "");
		assert_string_equal(marker("198.18.3.2", "198.18.3.2", BT_ICMP_ECHO_REPLY, (uint8_t)code, buf), "");
	}
	/* the display bug this table fixed: protocol unreachable is !P, the
	 * destination's port unreachable is no marker */
	assert_string_equal(marker("198.18.3.2", "198.18.3.2", BT_ICMP_UNREACH, BT_ICMP_UNREACH_PROTOCOL, buf), "!P");
	assert_string_equal(marker("198.18.3.2", "198.18.3.2", BT_ICMP_UNREACH, BT_ICMP_UNREACH_PORT, buf), "");
}

static void test_markers_v6(void **state)
{
	(void)state;
	char buf[BT_MARKER_LEN], want[BT_MARKER_LEN];
	static const char *const want6[] = { "!N", "!X", "!S", "!H" };
	for (unsigned code = 0; code < 256; code++) {
		if (code < 4)
			snprintf(want, sizeof(want), "%s", want6[code]);
		else
			snprintf(want, sizeof(want), "!<%u>", code);
		assert_string_equal(marker("2001:db8::9", "2001:db8::1", BT_ICMP6_UNREACH, (uint8_t)code, buf), want);
		assert_string_equal(marker("2001:db8::9", "2001:db8::9", BT_ICMP6_UNREACH, (uint8_t)code, buf),
				    code == BT_ICMP6_UNREACH_PORT ? "" : want);
		/* ICMPv4's unreachable type means nothing in ICMPv6 */
		assert_string_equal(marker("2001:db8::9", "2001:db8::1", BT_ICMP_UNREACH, (uint8_t)code, buf), "");
	}
}

static void test_tcp_no_marker(void **state)
{
	(void)state;
	char buf[BT_MARKER_LEN];
	bt_trace *t = one_hop("198.18.3.2", "198.18.3.2", 0, 0);
	t->hops[0].tcp_flags = 0x14;
	assert_string_equal(bt_hop_marker(t, &t->hops[0], buf, sizeof(buf)), "");
	bt_trace_free(t);
}

static bt_trace *sample(void)
{
	bt_trace *t = bt_trace_alloc(4);
	assert_non_null(t);
	t->method = BT_METHOD_UDP_PARIS;
	assert_int_equal(bt_addr_parse("198.18.0.2", &t->src), 0);
	assert_int_equal(bt_addr_parse("198.18.3.2", &t->dst), 0);
	t->flow = 3;
	t->sport = 40003;
	t->dport = 33435;
	t->first_ttl = 1;
	t->max_ttl = 32;
	t->stop = BT_STOP_COMPLETED;
	t->stop_ttl = 4;
	t->probes_sent = 6;
	t->start_us = 1800000000000000;
	t->end_us = t->start_us + 1000;
	t->hop_count = 4;
	static const char *const addrs[] = { "198.18.1.1", NULL, "198.18.2.1", "198.18.3.2" };
	static const uint8_t types[] = { BT_ICMP_TIME_EXCEEDED, 0, BT_ICMP_UNREACH, BT_ICMP_UNREACH };
	static const uint8_t codes[] = { 0, 0, BT_ICMP_UNREACH_FILTER_PROHIB, BT_ICMP_UNREACH_PORT };
	for (size_t i = 0; i < 4; i++) {
		bt_hop *h = &t->hops[i];
		h->probe_ttl = (uint8_t)(i + 1);
		h->attempt = addrs[i] ? 1 : 2;
		if (addrs[i] == NULL)
			continue;
		assert_int_equal(bt_addr_parse(addrs[i], &h->addr), 0);
		h->rtt_us = (uint32_t)(1000 * (i + 1) + 234);
		h->reply_ttl = 60;
		h->icmp_type = types[i];
		h->icmp_code = codes[i];
		h->reply_size = 56;
	}
	t->hops[0].mpls_count = 1;
	t->hops[0].mpls[0] = (bt_mpls){ .label = 16001, .s = 1, .ttl = 1 };
	return t;
}

/* The table bt_trace_print_text prints for t is want. */
static void assert_table(const bt_trace *t, const char *want)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	bt_trace_print_text(f, t);
	assert_int_equal(fclose(f), 0);
	assert_string_equal(text, want);
	free(text);
}

static void test_table(void **state)
{
	(void)state;
	static const char want[] =
		"trace to 198.18.3.2 from 198.18.0.2, udp-paris flow 3 (ports 40003 -> 33435)\n"
		"  1  198.18.1.1          1.234 ms  MPLS 16001\n"
		"  2  *\n"
		"  3  198.18.2.1          3.234 ms  !X\n"
		"  4  198.18.3.2          4.234 ms\n"
		"stop: completed at TTL 4, 6 probes\n\n";
	bt_trace *t = sample();
	assert_table(t, want);
	bt_trace_free(t);
}

/* Format version 2: the TTL is printed on a TTL's first entry only, a
 * reply to another flow than the trace's says which. */
static void test_table_multi(void **state)
{
	(void)state;
	static const char want[] =
		"trace to 198.18.3.2 from 198.18.0.2, udp-paris flow 3 (ports 40003 -> 33435)\n"
		"  1  198.18.1.1          1.234 ms  MPLS 16001\n"
		"     198.18.1.5          1.500 ms  flow 7\n"
		"  2  *\n"
		"     *\n"
		"  3  198.18.2.1          3.234 ms  !X\n"
		"  4  198.18.3.2          4.234 ms\n"
		"stop: completed at TTL 4, 6 probes\n\n";
	bt_trace *t = sample();
	assert_int_equal(bt_trace_reserve(t, 6), 0);
	memmove(&t->hops[3], &t->hops[1], 3 * sizeof(bt_hop));
	t->hops[1] = t->hops[0];
	t->hops[1].mpls_count = 0;
	t->hops[1].rtt_us = 1500;
	t->hops[1].has_flow = true;
	t->hops[1].flow = 7;
	assert_int_equal(bt_addr_parse("198.18.1.5", &t->hops[1].addr), 0);
	t->hops[2] = t->hops[3];
	t->hops[2].attempt = 1;
	t->hop_count = 6;
	char err[256];
	if (bt_trace_check(t, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_table(t, want);
	bt_trace_free(t);
}

/* The prober writes through bt_trace_write_buf with one buffer for all its
 * records: the bytes are bt_trace_to_json's, record after record. */
static void test_write_buf(void **state)
{
	(void)state;
	bt_trace *t = sample();
	char *want = NULL, *got = NULL, *buf = NULL, *once = NULL;
	size_t wlen = 0, wcap = 0, glen = 0, onelen = 0, cap = 0;
	assert_int_equal(bt_trace_to_json(t, &want, &wlen, &wcap), 0);
	FILE *f = open_memstream(&got, &glen);
	assert_non_null(f);
	for (int i = 0; i < 3; i++)
		assert_int_equal(bt_trace_write_buf(f, t, &buf, &cap), 0);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(glen, 3 * wlen);
	for (int i = 0; i < 3; i++)
		assert_memory_equal(got + (size_t)i * wlen, want, wlen);
	f = open_memstream(&once, &onelen);
	assert_int_equal(bt_trace_write(f, t), 0);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(onelen, wlen);
	assert_memory_equal(once, want, wlen);
	free(want);
	free(got);
	free(buf);
	free(once);
	bt_trace_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_markers_v4),
		cmocka_unit_test(test_markers_v6),
		cmocka_unit_test(test_tcp_no_marker),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_table_multi),
		cmocka_unit_test(test_write_buf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
