/* bordertrace — unit tests for the JSON Lines form of the trace record
 * (common/trace_json.c): exact round trips, the exact text written, every
 * malformed case the reader must refuse (and what it says), and the file
 * reader's path:line reporting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bordertrace/trace.h"

#define assert_contains(hay, needle)                                          \
	do {                                                                  \
		if (strstr((hay), (needle)) == NULL)                          \
			fail_msg("\"%s\" does not contain \"%s\"", (hay),     \
				 (needle));                                   \
	} while (0)

/* The line bt_trace_to_json must write for sample_v4(): key order, IPv4 as
 * IPv4, rtt in ms with its decimals, the gap, MPLS, no quoted_ttl on the
 * destination's echo reply. */
static const char golden[] =
	"{\"format\":\"bordertrace-trace\",\"v\":2,\"vp\":\"vp-01\","
	"\"campaign\":\"nk-border\",\"round\":\"r0001\",\"method\":\"icmp-paris\","
	"\"src\":\"198.18.0.2\",\"dst\":\"198.18.3.2\",\"flow\":0,\"sport\":0,"
	"\"dport\":0,\"icmp_sum\":4096,\"start\":\"2026-11-27T05:40:00.123456Z\","
	"\"end\":\"2026-11-27T05:40:00.223456Z\",\"stop\":\"completed\","
	"\"stop_ttl\":4,\"first_ttl\":1,\"max_ttl\":32,\"probes_sent\":5,"
	"\"hops\":["
	"{\"ttl\":1,\"attempt\":1,\"addr\":\"198.18.1.1\",\"rtt_ms\":0.123,"
	"\"reply_ttl\":64,\"icmp_type\":11,\"icmp_code\":0,\"quoted_ttl\":1,"
	"\"size\":56},"
	"{\"ttl\":2,\"attempt\":2,\"addr\":null},"
	"{\"ttl\":3,\"attempt\":1,\"addr\":\"198.18.2.1\",\"rtt_ms\":0.2,"
	"\"reply_ttl\":62,\"icmp_type\":11,\"icmp_code\":0,\"quoted_ttl\":1,"
	"\"size\":84,\"mpls\":[{\"label\":16,\"tc\":0,\"s\":1,\"ttl\":1}]},"
	"{\"ttl\":4,\"attempt\":1,\"addr\":\"198.18.3.2\",\"rtt_ms\":0.25,"
	"\"reply_ttl\":61,\"icmp_type\":0,\"icmp_code\":0,\"size\":84}"
	"]}";

static void set_addr(bt_addr *a, const char *s)
{
	assert_int_equal(bt_addr_parse(s, a), 0);
}

static bt_hop *add_hop(bt_trace *t)
{
	assert_int_equal(bt_trace_reserve(t, t->hop_count + 1), 0);
	bt_hop *h = &t->hops[t->hop_count];
	h->probe_ttl = (uint8_t)(t->first_ttl + t->hop_count);
	t->hop_count++;
	return h;
}

static bt_hop *add_reply(bt_trace *t, const char *addr, uint32_t rtt_us,
			 uint8_t reply_ttl, uint8_t type, uint8_t quoted,
			 uint16_t size)
{
	bt_hop *h = add_hop(t);
	h->attempt = 1;
	set_addr(&h->addr, addr);
	h->rtt_us = rtt_us;
	h->reply_ttl = reply_ttl;
	h->icmp_type = type;
	h->quoted_ttl = quoted;
	h->reply_size = size;
	return h;
}

static bt_trace *sample_v4(void)
{
	bt_trace *t = bt_trace_alloc(0);
	assert_non_null(t);
	t->version = BT_TRACE_FORMAT_VERSION;
	strcpy(t->vp, "vp-01");
	strcpy(t->campaign, "nk-border");
	strcpy(t->round, "r0001");
	t->method = BT_METHOD_ICMP_PARIS;
	set_addr(&t->src, "198.18.0.2");
	set_addr(&t->dst, "198.18.3.2");
	t->icmp_sum = 4096;
	t->start_us = 1795758000123456;
	t->end_us = 1795758000223456;
	t->stop = BT_STOP_COMPLETED;
	t->stop_ttl = 4;
	t->first_ttl = 1;
	t->max_ttl = 32;
	t->probes_sent = 5;
	add_reply(t, "198.18.1.1", 123, 64, 11, 1, 56);
	add_hop(t)->attempt = 2; /* a gap */
	bt_hop *h = add_reply(t, "198.18.2.1", 200, 62, 11, 1, 84);
	h->mpls_count = 1;
	h->mpls[0] = (bt_mpls){.label = 16, .tc = 0, .s = 1, .ttl = 1};
	add_reply(t, "198.18.3.2", 250, 61, 0, 0, 84);
	return t;
}

/* IPv6, TCP: tcp_flags on the destination's reply, a full MPLS stack with
 * every field at its maximum, gaps at both ends of the middle, extreme
 * values everywhere. */
static bt_trace *sample_v6_tcp(void)
{
	bt_trace *t = bt_trace_alloc(1);
	assert_non_null(t);
	t->version = BT_TRACE_FORMAT_VERSION;
	strcpy(t->vp, "vp_~!#$%&'()*,:;<>?[]^`{|}"); /* every odd character the id rule allows */
	t->method = BT_METHOD_TCP_SYN;
	set_addr(&t->src, "2001:db8::2");
	set_addr(&t->dst, "2001:db8:3::2");
	t->flow = 65535;
	t->sport = 40000;
	t->dport = 80;
	t->start_us = -1;
	t->end_us = INT64_C(253402300799999999);
	t->stop = BT_STOP_COMPLETED;
	t->stop_ttl = 255;
	t->first_ttl = 250;
	t->max_ttl = 255;
	t->probes_sent = UINT32_MAX;
	bt_hop *h = add_reply(t, "2001:db8:1::1", 0, 0, 3, 0, 65535);
	h->icmp_code = 255;
	h->mpls_count = BT_MPLS_MAX;
	for (unsigned k = 0; k < BT_MPLS_MAX; k++)
		h->mpls[k] = (bt_mpls){.label = 0xFFFFF - k, .tc = 7,
				       .s = k == BT_MPLS_MAX - 1, .ttl = 255};
	add_hop(t)->attempt = 3;
	add_hop(t)->attempt = 0;
	h = add_reply(t, "2001:db8:ffff::1", 1, 255, 255, 255, 0);
	h->attempt = 255;
	h = add_reply(t, "2001:db8:3::2", UINT32_MAX, 58, 0, 0, 60);
	h->tcp_flags = 0x14; /* RST|ACK */
	h->icmp_type = 0;
	return t;
}

static void assert_hop_equal(const bt_hop *a, const bt_hop *b)
{
	assert_int_equal(a->probe_ttl, b->probe_ttl);
	assert_int_equal(a->attempt, b->attempt);
	assert_true(bt_addr_eq(&a->addr, &b->addr));
	assert_int_equal(a->rtt_us, b->rtt_us);
	assert_int_equal(a->reply_ttl, b->reply_ttl);
	assert_int_equal(a->icmp_type, b->icmp_type);
	assert_int_equal(a->icmp_code, b->icmp_code);
	assert_int_equal(a->quoted_ttl, b->quoted_ttl);
	assert_int_equal(a->reply_size, b->reply_size);
	assert_int_equal(a->tcp_flags, b->tcp_flags);
	assert_int_equal(a->has_flow, b->has_flow);
	assert_int_equal(a->flow, b->flow);
	assert_int_equal(a->mpls_count, b->mpls_count);
	for (unsigned k = 0; k < a->mpls_count; k++) {
		assert_int_equal(a->mpls[k].label, b->mpls[k].label);
		assert_int_equal(a->mpls[k].tc, b->mpls[k].tc);
		assert_int_equal(a->mpls[k].s, b->mpls[k].s);
		assert_int_equal(a->mpls[k].ttl, b->mpls[k].ttl);
	}
}

static void assert_trace_equal(const bt_trace *a, const bt_trace *b)
{
	assert_int_equal(a->version, b->version);
	assert_string_equal(a->vp, b->vp);
	assert_string_equal(a->campaign, b->campaign);
	assert_string_equal(a->round, b->round);
	assert_int_equal(a->method, b->method);
	assert_true(bt_addr_eq(&a->src, &b->src));
	assert_true(bt_addr_eq(&a->dst, &b->dst));
	assert_int_equal(a->flow, b->flow);
	assert_int_equal(a->sport, b->sport);
	assert_int_equal(a->dport, b->dport);
	assert_int_equal(a->icmp_sum, b->icmp_sum);
	assert_int_equal(a->start_us, b->start_us);
	assert_int_equal(a->end_us, b->end_us);
	assert_int_equal(a->stop, b->stop);
	assert_int_equal(a->stop_ttl, b->stop_ttl);
	assert_int_equal(a->first_ttl, b->first_ttl);
	assert_int_equal(a->max_ttl, b->max_ttl);
	assert_int_equal(a->probes_sent, b->probes_sent);
	assert_int_equal(a->filled_below_ttl, b->filled_below_ttl);
	assert_int_equal(a->hop_count, b->hop_count);
	for (size_t i = 0; i < a->hop_count; i++)
		assert_hop_equal(&a->hops[i], &b->hops[i]);
}

/* Writes t, reads it back, checks equality, and checks that writing the
 * copy gives the same text. Returns the line (caller frees). */
static char *round_trip(const bt_trace *t)
{
	char *buf = NULL, *buf2 = NULL, err[512] = "";
	size_t len = 0, cap = 0, len2 = 0, cap2 = 0;

	assert_int_equal(bt_trace_to_json(t, &buf, &len, &cap), 0);
	assert_int_equal(strlen(buf), len);
	assert_true(len > 0 && buf[len - 1] == '\n');
	assert_null(memchr(buf, '\n', len - 1)); /* one line */

	bt_trace *back = bt_trace_from_json(buf, len - 1, err, sizeof(err));
	if (back == NULL)
		fail_msg("read back failed: %s\n%s", err, buf);
	assert_trace_equal(t, back);

	assert_int_equal(bt_trace_to_json(back, &buf2, &len2, &cap2), 0);
	assert_string_equal(buf, buf2);
	free(buf2);
	bt_trace_free(back);
	return buf;
}

static void test_golden(void **state)
{
	(void)state;
	bt_trace *t = sample_v4();
	char *line = round_trip(t);
	line[strlen(line) - 1] = '\0';
	assert_string_equal(line, golden);
	free(line);
	bt_trace_free(t);
}

static void test_round_trip_v6_tcp(void **state)
{
	(void)state;
	bt_trace *t = sample_v6_tcp();
	char *line = round_trip(t);
	/* TCP reply: flags instead of ICMP type/code; IPv6 compressed. */
	assert_contains(line, "\"addr\":\"2001:db8:3::2\",\"rtt_ms\":4294967.295,"
			      "\"reply_ttl\":58,\"tcp_flags\":20,\"size\":60}");
	assert_contains(line, "\"rtt_ms\":0.0,");
	assert_contains(line, "\"rtt_ms\":0.001,");
	assert_contains(line, "\"start\":\"1969-12-31T23:59:59.999999Z\"");
	assert_contains(line, "{\"ttl\":252,\"attempt\":0,\"addr\":null}");
	free(line);
	bt_trace_free(t);
}

/* What the prober writes when there is no route: no source, no hops. */
static void test_round_trip_no_hops(void **state)
{
	(void)state;
	bt_trace *t = sample_v4();
	t->hop_count = 0;
	t->stop = BT_STOP_ERROR;
	t->stop_ttl = 0;
	t->method = BT_METHOD_UDP_PARIS;
	memset(&t->src, 0, sizeof(t->src));
	t->vp[0] = t->campaign[0] = t->round[0] = '\0';
	char *line = round_trip(t);
	assert_contains(line, "\"vp\":\"\",\"campaign\":\"\",\"round\":\"\"");
	assert_contains(line, "\"src\":null,\"dst\":\"198.18.3.2\"");
	assert_contains(line, "\"hops\":[]}\n");
	free(line);
	bt_trace_free(t);
}

/* The prober before the field was checked wrote filled_below_ttl on error
 * records without hops: both readers take them (nothing copied). */
static void test_legacy_filled_no_hops(void **state)
{
	(void)state;
	bt_trace *t = sample_v4();
	t->hop_count = 0;
	t->stop = BT_STOP_ERROR;
	t->stop_ttl = 0;
	t->filled_below_ttl = 3;
	char *line = round_trip(t);
	assert_contains(line, "\"hops\":[],\"filled_below_ttl\":3}\n");
	bt_trace *fast = bt_trace_from_json_fast(line, strlen(line) - 1);
	assert_non_null(fast);
	assert_int_equal(fast->filled_below_ttl, 3);
	assert_int_equal(bt_trace_copied_hops(fast), 0);
	bt_trace_free(fast);
	free(line);
	bt_trace_free(t);
}

/* Every rtt survives µs -> ms with 3 decimals -> µs. */
static char *mutate(const char *from, const char *to);

/* Split TTL: the hops below TTL 3 were copied from another trace. The key
 * comes after the hops, where the prober has always written it; a record
 * without it reads as 0 (golden); both writers and both readers agree. */
static void test_round_trip_filled(void **state)
{
	(void)state;
	char err[256] = "";
	bt_trace *t = sample_v4();
	t->filled_below_ttl = 3;
	char *line = round_trip(t);
	assert_contains(line, "\"size\":84}],\"filled_below_ttl\":3}\n");
	size_t n = strlen(line) - 1;
	assert_int_equal(strncmp(line, golden, sizeof(golden) - 3), 0); /* the same up to "]}" */

	bt_trace *f = bt_trace_from_json_fast(line, n);
	assert_non_null(f); /* the canonical form: the fast path reads it */
	assert_trace_equal(t, f);
	bt_trace *g = bt_trace_from_json_general(line, n, err, sizeof(err));
	assert_non_null(g);
	assert_trace_equal(t, g);
	char *j = NULL;
	size_t jl = 0, jc = 0;
	assert_int_equal(bt_trace_to_json_general(t, &j, &jl, &jc), 0);
	assert_string_equal(j, line);
	free(j);
	bt_trace_free(f);
	bt_trace_free(g);

	/* every hop copied is a valid record too */
	t->filled_below_ttl = 5;
	free(round_trip(t));
	free(line);
	bt_trace_free(t);

	/* without the key: 0, and the key anywhere else reads the same */
	bt_trace *plain = bt_trace_from_json(golden, strlen(golden), err, sizeof(err));
	assert_non_null(plain);
	assert_int_equal(plain->filled_below_ttl, 0);
	bt_trace_free(plain);
	char *moved = mutate("\"v\":2,", "\"v\":2,\"filled_below_ttl\":2,");
	bt_trace *m = bt_trace_from_json(moved, strlen(moved), err, sizeof(err));
	if (m == NULL)
		fail_msg("refused %s: %s", moved, err);
	assert_int_equal(m->filled_below_ttl, 2);
	bt_trace_free(m);
	free(moved);
}

static void test_rtt_exact(void **state)
{
	(void)state;
	bt_trace *t = sample_v4();
	char *buf = NULL, err[256];
	size_t len = 0, cap = 0;
	uint32_t x = 2463534242u;
	for (int i = 0; i < 30000; i++) {
		uint32_t rtt;
		if (i < 2000)
			rtt = (uint32_t)i; /* small ones, every value */
		else if (i < 4000)
			rtt = UINT32_MAX - (uint32_t)(i - 2000);
		else {
			x ^= x << 13, x ^= x >> 17, x ^= x << 5;
			rtt = i % 2 ? x : x % 10000000;
		}
		t->hops[0].rtt_us = rtt;
		len = 0;
		assert_int_equal(bt_trace_to_json(t, &buf, &len, &cap), 0);
		bt_trace *back = bt_trace_from_json(buf, len, err, sizeof(err));
		assert_non_null(back);
		if (back->hops[0].rtt_us != rtt)
			fail_msg("rtt %u came back as %u", rtt, back->hops[0].rtt_us);
		bt_trace_free(back);
	}
	free(buf);
	bt_trace_free(t);
}

static void test_append(void **state)
{
	(void)state;
	bt_trace *a = sample_v4(), *b = sample_v6_tcp();
	char *buf = NULL;
	size_t len = 0, cap = 0;
	assert_int_equal(bt_trace_to_json(a, &buf, &len, &cap), 0);
	size_t first = len;
	assert_int_equal(bt_trace_to_json(b, &buf, &len, &cap), 0);
	assert_true(len > first);
	assert_int_equal(strlen(buf), len);
	assert_int_equal(buf[first - 1], '\n');
	assert_int_equal(strncmp(buf, golden, sizeof(golden) - 1), 0);
	assert_int_equal(strncmp(buf + first, "{\"format\"", 9), 0);

	/* A refused trace leaves the buffer as it was. */
	b->stop = BT_STOP_NONE;
	errno = 0;
	assert_int_equal(bt_trace_to_json(b, &buf, &len, &cap), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(strlen(buf), len);
	free(buf);
	bt_trace_free(a);
	bt_trace_free(b);
}

static void test_writer_refuses(void **state)
{
	(void)state;
	bt_trace *t = sample_v4();
	FILE *f = tmpfile();
	assert_non_null(f);

	memset(&t->dst, 0, sizeof(t->dst));
	errno = 0;
	assert_int_equal(bt_trace_write(f, t), -1);
	assert_int_equal(errno, EINVAL);
	set_addr(&t->dst, "198.18.3.2");

	t->hops[2].probe_ttl = 9;
	assert_int_equal(bt_trace_write(f, t), -1);
	assert_int_equal(errno, EINVAL);
	t->hops[2].probe_ttl = 3;

	assert_int_equal(bt_trace_write(f, t), 0);
	fflush(f);
	assert_int_equal(ftell(f), (long)sizeof(golden)); /* line + \n */
	fclose(f);
	bt_trace_free(t);
}

/* ---- malformed input ---- */

/* Returns golden with the first occurrence of from replaced by to. */
static char *mutate(const char *from, const char *to)
{
	const char *p = strstr(golden, from);
	if (p == NULL)
		fail_msg("test bug: \"%s\" not in golden", from);
	size_t pre = (size_t)(p - golden), fl = strlen(from), tl = strlen(to);
	char *s = malloc(sizeof(golden) - fl + tl);
	assert_non_null(s);
	memcpy(s, golden, pre);
	memcpy(s + pre, to, tl);
	strcpy(s + pre + tl, p + fl);
	return s;
}

static void expect_error(const char *line, const char *needle)
{
	char err[512] = "";
	bt_trace *t = bt_trace_from_json(line, strlen(line), err, sizeof(err));
	if (t != NULL)
		fail_msg("accepted: %s", line);
	assert_contains(err, needle);
}

static const struct {
	const char *from, *to, *err;
} cases[] = {
	/* format and version */
	{"\"format\":\"bordertrace-trace\",", "",
	 "field 'format': required field missing"},
	{"\"bordertrace-trace\"", "\"other-trace\"",
	 "field 'format': expected \"bordertrace-trace\", got \"other-trace\""},
	{"\"v\":2", "\"v\":3",
	 "field 'v': unsupported format version 3 (this reader knows versions 1 and 2)"},
	{"\"v\":2", "\"v\":0", "field 'v': unsupported format version 0"},
	{"\"v\":2", "\"v\":\"1\"", "field 'v': expected integer format version, got string"},
	{"\"v\":2", "\"v\":2.0", "field 'v': expected integer format version, got real"},
	{"\"v\":2,", "", "field 'v': required field missing"},
	/* a version we do not know wins over fields we do not understand */
	{"\"v\":2,\"vp\":\"vp-01\"", "\"v\":3,\"vp\":5", "unsupported format version 3"},
	/* missing required fields */
	{"\"vp\":\"vp-01\",", "", "field 'vp': required field missing"},
	{"\"dst\":\"198.18.3.2\",", "", "field 'dst': required field missing"},
	{"\"start\":\"2026-11-27T05:40:00.123456Z\",", "",
	 "field 'start': required field missing"},
	{"\"stop_ttl\":4,", "", "field 'stop_ttl': required field missing"},
	{",\"hops\":[", ",\"xhops\":[", "field 'hops': required field missing"},
	{"{\"ttl\":1,", "{", "field 'hops[0].ttl': required field missing"},
	{"\"attempt\":2,", "", "field 'hops[1].attempt': required field missing"},
	{"\"ttl\":2,\"attempt\":2,\"addr\":null", "\"ttl\":2,\"attempt\":2",
	 "field 'hops[1].addr': required field missing"},
	{"\"rtt_ms\":0.123,", "", "field 'hops[0].rtt_ms': required field missing"},
	{"\"reply_ttl\":64,", "", "field 'hops[0].reply_ttl': required field missing"},
	{"\"icmp_type\":11,", "", "field 'hops[0].icmp_type': required field missing"},
	{"\"icmp_code\":0,", "", "field 'hops[0].icmp_code': required field missing"},
	{",\"size\":56", "", "field 'hops[0].size': required field missing"},
	{"\"label\":16,", "", "field 'hops[2].mpls[0].label': required field missing"},
	/* wrong types */
	{"\"flow\":0", "\"flow\":\"0\"", "field 'flow': expected integer 0..65535, got string"},
	{"\"first_ttl\":1", "\"first_ttl\":1.0",
	 "field 'first_ttl': expected integer 1..255, got real"},
	{"\"probes_sent\":5", "\"probes_sent\":true",
	 "field 'probes_sent': expected integer 0..4294967295, got true"},
	{"\"vp\":\"vp-01\"", "\"vp\":null", "field 'vp': expected string, got null"},
	{"\"method\":\"icmp-paris\"", "\"method\":[]", "field 'method': expected string, got array"},
	{",\"hops\":[", ",\"hops\":{},\"x\":[", "field 'hops': expected array, got object"},
	{"{\"ttl\":2,\"attempt\":2,\"addr\":null}", "[2]",
	 "field 'hops[1]': expected object, got array"},
	{"\"rtt_ms\":0.123", "\"rtt_ms\":\"0.123\"",
	 "field 'hops[0].rtt_ms': expected number of milliseconds 0..4294967.295, got string"},
	{"\"mpls\":[{\"label\":16,\"tc\":0,\"s\":1,\"ttl\":1}]", "\"mpls\":{\"label\":16}",
	 "field 'hops[2].mpls': expected array, got object"},
	{"\"mpls\":[{\"label\":16,\"tc\":0,\"s\":1,\"ttl\":1}]", "\"mpls\":[7]",
	 "field 'hops[2].mpls[0]': expected object, got integer"},
	{"\"s\":1", "\"s\":true", "field 'hops[2].mpls[0].s': expected integer 0..1, got true"},
	/* values out of range */
	{"\"sport\":0", "\"sport\":65536", "field 'sport': expected integer 0..65535, got 65536"},
	{"\"icmp_sum\":4096", "\"icmp_sum\":-1", "field 'icmp_sum': expected integer 0..65535, got -1"},
	{"\"probes_sent\":5", "\"probes_sent\":4294967296",
	 "field 'probes_sent': expected integer 0..4294967295, got 4294967296"},
	{"\"first_ttl\":1", "\"first_ttl\":0", "field 'first_ttl': expected integer 1..255, got 0"},
	{"\"max_ttl\":32", "\"max_ttl\":256", "field 'max_ttl': expected integer 1..255, got 256"},
	{"\"max_ttl\":32", "\"max_ttl\":0", "field 'max_ttl': expected integer 1..255, got 0"},
	{"\"stop_ttl\":4", "\"stop_ttl\":300", "field 'stop_ttl': expected integer 0..255, got 300"},
	{"\"first_ttl\":1,\"max_ttl\":32", "\"first_ttl\":9,\"max_ttl\":8",
	 "field 'max_ttl': 8 is below first_ttl 9"},
	{"\"reply_ttl\":64", "\"reply_ttl\":256",
	 "field 'hops[0].reply_ttl': expected integer 0..255, got 256"},
	{"\"size\":56", "\"size\":70000", "field 'hops[0].size': expected integer 0..65535, got 70000"},
	{"\"attempt\":1", "\"attempt\":0", "field 'hops[0].attempt': expected integer 1..255, got 0"},
	{"\"attempt\":2", "\"attempt\":256", "field 'hops[1].attempt': expected integer 0..255, got 256"},
	{"\"rtt_ms\":0.123", "\"rtt_ms\":-0.001",
	 "field 'hops[0].rtt_ms': expected number of milliseconds 0..4294967.295, got a number out of range"},
	{"\"rtt_ms\":0.123", "\"rtt_ms\":4294967.296", "field 'hops[0].rtt_ms'"},
	{"\"label\":16", "\"label\":1048576",
	 "field 'hops[2].mpls[0].label': expected integer 0..1048575, got 1048576"},
	{"\"tc\":0", "\"tc\":8", "field 'hops[2].mpls[0].tc': expected integer 0..7, got 8"},
	{"\"s\":1", "\"s\":2", "field 'hops[2].mpls[0].s': expected integer 0..1, got 2"},
	{"\"ttl\":1}]", "\"ttl\":-1}]", "field 'hops[2].mpls[0].ttl': expected integer 0..255, got -1"},
	{"\"quoted_ttl\":1", "\"quoted_ttl\":256",
	 "field 'hops[0].quoted_ttl': expected integer 0..255, got 256"},
	{"\"icmp_code\":0", "\"icmp_code\":1000",
	 "field 'hops[0].icmp_code': expected integer 0..255, got 1000"},
	{"\"vp\":\"vp-01\"",
	 "\"vp\":\"0123456789012345678901234567890123456789012345678901234567890123\"",
	 "field 'vp': longer than 63 bytes"},
	/* hop TTLs: range, order, contiguity */
	{"{\"ttl\":1,", "{\"ttl\":0,", "field 'hops[0].ttl': expected integer 1..255, got 0"},
	{"{\"ttl\":1,", "{\"ttl\":256,", "field 'hops[0].ttl': expected integer 1..255, got 256"},
	{"{\"ttl\":1,", "{\"ttl\":\"1\",", "field 'hops[0].ttl': expected integer 1..255, got string"},
	{"{\"ttl\":1,", "{\"ttl\":2,", "field 'hops[0].ttl': expected 1 (first_ttl), got 2"},
	{"{\"ttl\":3,", "{\"ttl\":4,",
	 "field 'hops[2].ttl': expected 2 or 3 (TTL order, none skipped), got 4"},
	{"{\"ttl\":4,", "{\"ttl\":1,",
	 "field 'hops[3].ttl': expected 3 or 4 (TTL order, none skipped), got 1"},
	{"{\"ttl\":4,", "{\"ttl\":5,",
	 "field 'hops[3].ttl': expected 3 or 4 (TTL order, none skipped), got 5"},
	/* version 2: several entries a TTL, attempts in order, a flow each */
	{"{\"ttl\":4,\"attempt\":1", "{\"ttl\":3,\"attempt\":0",
	 "field 'hops[3].attempt': expected integer 1..255, got 0"},
	{"{\"ttl\":3,\"attempt\":1", "{\"ttl\":2,\"attempt\":1",
	 "field 'hops[2].attempt': expected at least 2 (a TTL's entries in attempt order), got 1"},
	{"{\"ttl\":4,\"attempt\":1,", "{\"ttl\":4,\"attempt\":1,\"flow\":65536,",
	 "field 'hops[3].flow': expected integer 0..65535, got 65536"},
	{"{\"ttl\":2,\"attempt\":2,", "{\"ttl\":2,\"attempt\":2,\"flow\":\"7\",",
	 "field 'hops[1].flow': expected integer 0..65535, got string"},
	{"\"max_ttl\":32", "\"max_ttl\":3", "field 'hops[3].ttl': 4 is above max_ttl 3"},
	/* addresses */
	{"\"src\":\"198.18.0.2\"", "\"src\":\"198.18.0.300\"",
	 "field 'src': not an IP address: \"198.18.0.300\""},
	{"\"src\":\"198.18.0.2\"", "\"src\":5",
	 "field 'src': expected IP address string or null, got integer"},
	{"\"dst\":\"198.18.3.2\"", "\"dst\":null",
	 "field 'dst': expected IP address string, got null"},
	{"\"dst\":\"198.18.3.2\"", "\"dst\":\"2001:db8::/32\"",
	 "field 'dst': not an IP address: \"2001:db8::/32\""},
	{"\"addr\":\"198.18.1.1\"", "\"addr\":\"router1\"",
	 "field 'hops[0].addr': not an IP address: \"router1\""},
	{"\"addr\":\"198.18.1.1\"", "\"addr\":3323068673",
	 "field 'hops[0].addr': expected IP address string or null, got integer"},
	{"\"addr\":\"198.18.1.1\"", "\"addr\":\"\"", "field 'hops[0].addr': not an IP address"},
	/* times */
	{"05:40:00.123456Z\",\"end\"", "05:40:00.123456\",\"end\"",
	 "field 'start': expected UTC time like \"2017-10-01T09:07:51.000000Z\", "
	 "got \"2026-11-27T05:40:00.123456\""},
	{"\"end\":\"2026-11-27T05", "\"end\":\"2026-11-31T05", "field 'end': expected UTC time"},
	/* a trace cannot end before it started (a clock or an editor gone wrong) */
	{"\"end\":\"2026-11-27T05:40:00.223456Z\"", "\"end\":\"2026-11-27T05:40:00.123455Z\"",
	 "field 'end': 2026-11-27T05:40:00.123455Z is before start 2026-11-27T05:40:00.123456Z"},
	{"\"end\":\"2026-11-27T05:40:00.223456Z\"", "\"end\":1795758000223456",
	 "field 'end': expected string, got integer"},
	/* names */
	{"\"icmp-paris\"", "\"icmp\"",
	 "field 'method': unknown method \"icmp\" (expected icmp-paris, udp-paris or tcp-syn)"},
	{"\"completed\"", "\"done\"", "field 'stop': unknown stop reason \"done\""},
	{"\"completed\"", "\"none\"", "field 'stop': unknown stop reason \"none\""},
	{"\"completed\"", "\"Completed\"", "field 'stop': unknown stop reason"},
	/* MPLS stack depth */
	{"\"mpls\":[", "\"mpls\":[{},{},{},{},{},{},{},{},",
	 "field 'hops[2].mpls': 9 entries, at most 8"},
	/* what a gap or a TCP reply cannot carry */
	{"\"addr\":null", "\"addr\":null,\"rtt_ms\":1.0",
	 "field 'hops[1].rtt_ms': not allowed on a gap (addr null)"},
	{"\"addr\":null", "\"addr\":null,\"mpls\":[]",
	 "field 'hops[1].mpls': not allowed on a gap (addr null)"},
	{"\"icmp_type\":0,\"icmp_code\":0", "\"tcp_flags\":18,\"icmp_type\":0,\"icmp_code\":0",
	 "field 'hops[3].icmp_type': not allowed with tcp_flags"},
	{"\"icmp_type\":0,\"icmp_code\":0", "\"tcp_flags\":18,\"icmp_code\":0",
	 "field 'hops[3].icmp_code': not allowed with tcp_flags"},
	{"\"icmp_type\":0,\"icmp_code\":0", "\"tcp_flags\":0",
	 "field 'hops[3].tcp_flags': expected integer 1..255, got 0"},
	/* filled_below_ttl (optional): type, range, and within the hops (TTLs 1..4) */
	{"\"size\":84}]}", "\"size\":84}],\"filled_below_ttl\":\"3\"}",
	 "field 'filled_below_ttl': expected integer 1..255, got string"},
	{"\"size\":84}]}", "\"size\":84}],\"filled_below_ttl\":2.0}",
	 "field 'filled_below_ttl': expected integer 1..255, got real"},
	{"\"size\":84}]}", "\"size\":84}],\"filled_below_ttl\":null}",
	 "field 'filled_below_ttl': expected integer 1..255, got null"},
	{"\"size\":84}]}", "\"size\":84}],\"filled_below_ttl\":0}",
	 "field 'filled_below_ttl': expected integer 1..255, got 0"},
	{"\"size\":84}]}", "\"size\":84}],\"filled_below_ttl\":256}",
	 "field 'filled_below_ttl': expected integer 1..255, got 256"},
	{"\"size\":84}]}", "\"size\":84}],\"filled_below_ttl\":1}",
	 "field 'filled_below_ttl': expected first_ttl + 1 .. last hop's TTL + 1 (2..5), got 1"},
	{"\"size\":84}]}", "\"size\":84}],\"filled_below_ttl\":6}",
	 "field 'filled_below_ttl': expected first_ttl + 1 .. last hop's TTL + 1 (2..5), got 6"},
	{"\"size\":84}]}", "\"size\":84}],\"filled_below_ttl\":3,\"filled_below_ttl\":3}",
	 "not JSON: duplicate object key"},
	/* the one id rule (bordertrace/id.h), readers included (issue 13) */
	{"\"vp\":\"vp-01\"", "\"vp\":\"a/b\"", "field 'vp': 'a/b' contains '/'"},
	{"\"vp\":\"vp-01\"", "\"vp\":\"=1+1\"", "field 'vp': '=1+1' starts with a formula character"},
	{"\"campaign\":\"nk-border\"", "\"campaign\":\"-2+3\"", "field 'campaign': '-2+3' starts with a formula"},
	{"\"round\":\"r0001\"", "\"round\":\"@SUM(1)\"", "field 'round': '@SUM(1)' starts with a formula"},
	{"\"vp\":\"vp-01\"", "\"vp\":\"x\\u001b[2J\"", "field 'vp': 'x\\x1b[2J' contains a space, a control"},
	{"\"vp\":\"vp-01\"", "\"vp\":\"vp-\\u00e9\"", "field 'vp': 'vp-\u00e9' contains a space, a control or a non-ASCII"},
	/* JSON itself */
	{"\"flow\":0", "\"flow\":0,\"flow\":1", "not JSON: duplicate object key"},
	{"]}", "]", "not JSON"},
	{"]}", "]}}", "not JSON"},
	{"]}", "]} {}", "not JSON"},
	{"\"vp\":\"vp-01\"", "\"vp\":\"vp\\u0000\"", "not JSON"},
	{"\"vp\":\"vp-01\"", "\"vp\":\"\xff\"", "not JSON"},
};

/* Format version 2: several entries a TTL (Atlas's three packets, warts's
 * every reply, multipath's flows): two addresses at TTL 3, a silent attempt
 * beside a reply, and a reply to another flow, which carries "flow". */
static const char multi[] =
	"{\"format\":\"bordertrace-trace\",\"v\":2,\"vp\":\"atlas-6001\",\"campaign\":\"\","
	"\"round\":\"r0001\",\"method\":\"udp-paris\",\"src\":\"198.18.0.2\","
	"\"dst\":\"198.18.3.2\",\"flow\":3,\"sport\":33437,\"dport\":33435,\"icmp_sum\":0,"
	"\"start\":\"2026-11-27T05:40:00.000000Z\",\"end\":\"2026-11-27T05:40:01.000000Z\","
	"\"stop\":\"completed\",\"stop_ttl\":4,\"first_ttl\":2,\"max_ttl\":32,"
	"\"probes_sent\":9,\"hops\":["
	"{\"ttl\":2,\"attempt\":1,\"addr\":null},"
	"{\"ttl\":2,\"attempt\":2,\"addr\":\"198.18.1.1\",\"rtt_ms\":1.0,\"reply_ttl\":63,"
	"\"icmp_type\":11,\"icmp_code\":0,\"quoted_ttl\":1,\"size\":56},"
	"{\"ttl\":3,\"attempt\":1,\"addr\":\"198.18.2.1\",\"rtt_ms\":2.0,\"reply_ttl\":62,"
	"\"icmp_type\":11,\"icmp_code\":0,\"quoted_ttl\":1,\"size\":56},"
	"{\"ttl\":3,\"attempt\":1,\"flow\":7,\"addr\":\"198.18.2.5\",\"rtt_ms\":2.5,\"reply_ttl\":62,"
	"\"icmp_type\":11,\"icmp_code\":0,\"quoted_ttl\":1,\"size\":56},"
	"{\"ttl\":3,\"attempt\":2,\"addr\":\"198.18.2.5\",\"rtt_ms\":2.25,\"reply_ttl\":62,"
	"\"icmp_type\":11,\"icmp_code\":0,\"quoted_ttl\":1,\"size\":56},"
	"{\"ttl\":4,\"attempt\":1,\"flow\":3,\"addr\":null},"
	"{\"ttl\":4,\"attempt\":3,\"addr\":\"198.18.3.2\",\"rtt_ms\":3.0,\"reply_ttl\":61,"
	"\"icmp_type\":3,\"icmp_code\":3,\"quoted_ttl\":1,\"size\":56}"
	"]}";

static void test_multi_reply(void **state)
{
	(void)state;
	char err[512] = "";
	bt_trace *f = bt_trace_from_json_fast(multi, strlen(multi));
	assert_non_null(f); /* the canonical form */
	bt_trace *g = bt_trace_from_json_general(multi, strlen(multi), err, sizeof(err));
	if (g == NULL)
		fail_msg("refused: %s", err);
	assert_trace_equal(f, g);
	assert_int_equal(g->hop_count, 7);
	assert_int_equal(bt_hop_flow(g, &g->hops[2]), 3);
	assert_false(g->hops[2].has_flow);
	assert_int_equal(bt_hop_flow(g, &g->hops[3]), 7);
	/* a flow written equal to the trace's is kept as written */
	assert_true(g->hops[5].has_flow);
	assert_int_equal(bt_hop_flow(g, &g->hops[5]), 3);
	assert_int_equal(bt_trace_ttl_end(g, 2), 5);
	char *line = round_trip(g);
	line[strlen(line) - 1] = '\0';
	assert_string_equal(line, multi);
	char *j = NULL;
	size_t jl = 0, jc = 0;
	assert_int_equal(bt_trace_to_json_general(g, &j, &jl, &jc), 0);
	j[jl - 1] = '\0';
	assert_string_equal(j, multi);
	free(j);
	free(line);
	/* split TTL counts entries: two at TTL 2 copied */
	g->filled_below_ttl = 3;
	assert_int_equal(bt_trace_copied_hops(g), 2);
	g->filled_below_ttl = 5; /* the last TTL + 1: all copied */
	assert_int_equal(bt_trace_check(g, err, sizeof(err)), 0);
	assert_int_equal(bt_trace_copied_hops(g), 7);
	g->filled_below_ttl = 6;
	assert_int_equal(bt_trace_check(g, err, sizeof(err)), -1);
	assert_string_equal(err, "field 'filled_below_ttl': expected first_ttl + 1 .. last hop's "
				 "TTL + 1 (3..5), got 6");
	bt_trace_free(f);
	bt_trace_free(g);
}

/* Version 1 still reads, as the version-2 record with one entry a TTL; its
 * one rule that version 2 drops (one entry per TTL) still holds for it,
 * and a "flow" on its hops is a key it never had: ignored. */
static void test_version1(void **state)
{
	(void)state;
	char err[512] = "";
	char *v1 = mutate("\"v\":2,", "\"v\":1,");
	bt_trace *want = bt_trace_from_json(golden, strlen(golden), err, sizeof(err));
	assert_non_null(want);
	bt_trace *f = bt_trace_from_json_fast(v1, strlen(v1));
	assert_non_null(f);
	assert_trace_equal(want, f);
	bt_trace *g = bt_trace_from_json_general(v1, strlen(v1), err, sizeof(err));
	assert_non_null(g);
	assert_trace_equal(want, g);
	assert_int_equal(g->version, BT_TRACE_FORMAT_VERSION);
	char *line = round_trip(g); /* written as version 2 */
	line[strlen(line) - 1] = '\0';
	assert_string_equal(line, golden);
	free(line);
	bt_trace_free(f);
	bt_trace_free(g);

	char *two = mutate("{\"ttl\":4,\"attempt\":1", "{\"ttl\":3,\"attempt\":1");
	char *two1 = strdup(two);
	assert_non_null(two1);
	memcpy(strstr(two1, "\"v\":2"), "\"v\":1", 5);
	assert_null(bt_trace_from_json_fast(two1, strlen(two1)));
	assert_null(bt_trace_from_json(two1, strlen(two1), err, sizeof(err)));
	assert_string_equal(err, "field 'hops[3].ttl': expected 4 (first_ttl + 3: hops in TTL "
				 "order, one per TTL), got 3");
	/* the same entries are a valid version-2 record */
	g = bt_trace_from_json(two, strlen(two), err, sizeof(err));
	if (g == NULL)
		fail_msg("refused: %s", err);
	bt_trace_free(g);

	char *flow1 = strdup(v1);
	assert_non_null(flow1);
	char *at = strstr(flow1, "{\"ttl\":4,\"attempt\":1,");
	assert_non_null(at);
	size_t fln = strlen(flow1) + 16;
	char *fl = malloc(fln);
	assert_non_null(fl);
	snprintf(fl, fln, "%.*s{\"ttl\":4,\"attempt\":1,\"flow\":9,%s", (int)(at - flow1), flow1,
		 at + strlen("{\"ttl\":4,\"attempt\":1,"));
	assert_null(bt_trace_from_json_fast(fl, strlen(fl)));
	g = bt_trace_from_json(fl, strlen(fl), err, sizeof(err));
	if (g == NULL)
		fail_msg("refused: %s", err);
	assert_trace_equal(want, g);
	assert_false(g->hops[3].has_flow);
	bt_trace_free(g);
	bt_trace_free(want);
	free(fl);
	free(flow1);
	free(two1);
	free(two);
	free(v1);
}

static void test_malformed(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char *line = mutate(cases[i].from, cases[i].to);
		expect_error(line, cases[i].err);
		free(line);
	}
}

static void test_not_json_or_object(void **state)
{
	(void)state;
	expect_error("", "not JSON");
	expect_error("{", "not JSON");
	expect_error("hello", "not JSON");
	expect_error("{'format':1}", "not JSON");
	expect_error("[1,2]", "not a JSON object (got array)");
	expect_error("42", "not a JSON object (got integer)");
	expect_error("\"trace\"", "not a JSON object (got string)");
	expect_error("null", "not a JSON object (got null)");
	expect_error("{}", "field 'format': required field missing");

	/* Anything after the object: not one JSON value. */
	char *s = malloc(sizeof(golden) + 4);
	assert_non_null(s);
	snprintf(s, sizeof(golden) + 4, "%s {}", golden);
	expect_error(s, "not JSON: end of file expected");
	free(s);

	/* A message that does not fit is cut, never overrun. */
	char err[8];
	memset(err, 'x', sizeof(err));
	assert_null(bt_trace_from_json("[]", 2, err, sizeof(err)));
	assert_int_equal(strlen(err), sizeof(err) - 1);
	assert_null(bt_trace_from_json("[]", 2, NULL, 0));
}

/* Only the first len bytes are the line. */
static void test_length_respected(void **state)
{
	(void)state;
	char err[256];
	size_t n = strlen(golden);
	char *s = malloc(n + 16);
	assert_non_null(s);
	memcpy(s, golden, n);
	memcpy(s + n, "garbage", 8);
	bt_trace *t = bt_trace_from_json(s, n, err, sizeof(err));
	assert_non_null(t);
	bt_trace_free(t);
	assert_null(bt_trace_from_json(s, n - 1, err, sizeof(err)));
	free(s);
}

/* Forward compatibility: keys we do not know are ignored, anywhere. */
static void test_unknown_keys(void **state)
{
	(void)state;
	char err[256] = "";
	char *a = mutate("\"v\":2,", "\"v\":2,\"future\":{\"x\":[1,null]},");
	char *b = mutate("\"size\":56}", "\"size\":56,\"asn\":4837}");
	char *c = mutate("\"ttl\":1}]", "\"ttl\":1,\"ext\":true}]");
	char *d = mutate("\"addr\":null}", "\"addr\":null,\"why\":\"filtered\"}");
	char *lines[] = {a, b, c, d};
	bt_trace *ref = bt_trace_from_json(golden, strlen(golden), err, sizeof(err));
	assert_non_null(ref);
	for (size_t i = 0; i < 4; i++) {
		bt_trace *t = bt_trace_from_json(lines[i], strlen(lines[i]), err,
						 sizeof(err));
		if (t == NULL)
			fail_msg("refused %s: %s", lines[i], err);
		assert_trace_equal(ref, t);
		bt_trace_free(t);
		free(lines[i]);
	}
	bt_trace_free(ref);
}

/* Accepted variants that mean the same record. */
static void test_lenient_forms(void **state)
{
	(void)state;
	char err[256] = "";
	bt_trace *ref = bt_trace_from_json(golden, strlen(golden), err, sizeof(err));
	assert_non_null(ref);

	/* Whitespace, an integer rtt, a fraction past µs, a compressed-differently
	 * address, an empty MPLS list, a fraction-less time. */
	static const struct {
		const char *from, *to;
	} ok[] = {
		{"{\"format\"", " { \"format\" "},
		{"\"rtt_ms\":0.25", "\"rtt_ms\":0.25e0"},
		{"\"rtt_ms\":0.123", "\"rtt_ms\":0.1230004"},
		{"\"rtt_ms\":0.2,", "\"rtt_ms\":2E-1,"},
		{"\"size\":56}", "\"size\":56,\"mpls\":[]}"},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(*ok); i++) {
		char *line = mutate(ok[i].from, ok[i].to);
		bt_trace *t = bt_trace_from_json(line, strlen(line), err, sizeof(err));
		if (t == NULL)
			fail_msg("refused %s: %s", line, err);
		assert_trace_equal(ref, t);
		bt_trace_free(t);
		free(line);
	}

	char *line = mutate("\"rtt_ms\":0.123", "\"rtt_ms\":5");
	bt_trace *t = bt_trace_from_json(line, strlen(line), err, sizeof(err));
	assert_non_null(t);
	assert_int_equal(t->hops[0].rtt_us, 5000);
	bt_trace_free(t);
	free(line);

	line = mutate("\"dst\":\"198.18.3.2\"", "\"dst\":\"2001:0DB8:0:0::0002\"");
	t = bt_trace_from_json(line, strlen(line), err, sizeof(err));
	assert_non_null(t);
	char buf[BT_ADDR_STRLEN];
	assert_string_equal(bt_addr_format(&t->dst, buf, sizeof(buf)), "2001:db8::2");
	bt_trace_free(t);
	free(line);

	line = mutate("\"start\":\"2026-11-27T05:40:00.123456Z\"",
		      "\"start\":\"2026-11-27T05:40:00Z\"");
	t = bt_trace_from_json(line, strlen(line), err, sizeof(err));
	assert_non_null(t);
	assert_int_equal(t->start_us, 1795758000000000);
	bt_trace_free(t);
	free(line);

	line = mutate("\"addr\":null", "\"addr\":null,\"future_gap_note\":[]");
	t = bt_trace_from_json(line, strlen(line), err, sizeof(err));
	assert_non_null(t);
	bt_trace_free(t);
	free(line);
	bt_trace_free(ref);
}

/* ---- file reader ---- */

static char tmpdir[] = "/tmp/bt-test-trace-XXXXXX";

static int setup_dir(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int teardown_dir(void **state)
{
	(void)state;
	return rmdir(tmpdir);
}

static void test_reader_file(void **state)
{
	(void)state;
	char path[256], err[512] = "";
	snprintf(path, sizeof(path), "%s/round.jsonl", tmpdir);

	bt_trace *v6 = sample_v6_tcp();
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%s\n", golden);                  /* 1 */
	fprintf(f, "\n");                            /* 2: blank */
	fprintf(f, "   \t \n");                      /* 3: blank */
	assert_int_equal(bt_trace_write(f, v6), 0);  /* 4 */
	fprintf(f, "%s\r\n", golden);                /* 5: CRLF */
	/* 6: a long line (an unknown key with a large value) */
	fprintf(f, "{\"pad\":\"");
	for (int i = 0; i < 200000; i++)
		fputc('p', f);
	fprintf(f, "\",%s\n", golden + 1);
	fprintf(f, "%.*s\n", (int)strlen(golden) - 2, golden); /* 7: cut short */
	char *bad = mutate("{\"ttl\":4,", "{\"ttl\":6,");
	fprintf(f, "%s\n", bad);                     /* 8 */
	free(bad);
	fprintf(f, "%s", golden);                    /* 9: no final newline */
	fclose(f);

	bt_trace_reader *r = bt_trace_reader_open(path, err, sizeof(err));
	assert_non_null(r);
	bt_trace *ref = bt_trace_from_json(golden, strlen(golden), err, sizeof(err));
	assert_non_null(ref);
	bt_trace *t;

	assert_int_equal(bt_trace_reader_next(r, &t, err, sizeof(err)), 1);
	assert_trace_equal(ref, t);
	bt_trace_free(t);
	assert_int_equal(bt_trace_reader_next(r, &t, err, sizeof(err)), 1);
	assert_trace_equal(v6, t);
	bt_trace_free(t);
	assert_int_equal(bt_trace_reader_next(r, &t, err, sizeof(err)), 1);
	assert_trace_equal(ref, t);
	bt_trace_free(t);
	assert_int_equal(bt_trace_reader_next(r, &t, err, sizeof(err)), 1);
	assert_trace_equal(ref, t);
	bt_trace_free(t);

	char want[400];
	assert_int_equal(bt_trace_reader_next(r, &t, err, sizeof(err)), -1);
	assert_null(t);
	snprintf(want, sizeof(want), "%s:7: not JSON", path);
	assert_contains(err, want);

	/* After a bad line, reading goes on with the next one. */
	assert_int_equal(bt_trace_reader_next(r, &t, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:8: field 'hops[3].ttl': expected 3 or 4", path);
	assert_contains(err, want);

	assert_int_equal(bt_trace_reader_next(r, &t, err, sizeof(err)), 1);
	assert_trace_equal(ref, t);
	bt_trace_free(t);
	assert_int_equal(bt_trace_reader_next(r, &t, err, sizeof(err)), 0);
	assert_int_equal(bt_trace_reader_next(r, &t, err, sizeof(err)), 0);
	bt_trace_reader_close(r);
	bt_trace_free(ref);
	bt_trace_free(v6);
	assert_int_equal(unlink(path), 0);
}

/* The example from the brief: a bad line N reports path:N. */
static void test_reader_line_number(void **state)
{
	(void)state;
	char path[256], err[512] = "", want[400];
	snprintf(path, sizeof(path), "%s/x.jsonl", tmpdir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	/* line 3 filled below TTL 4 (split TTL); line 13 a bad filled_below_ttl,
	 * found only once the hops are read, reported like any other field */
	char *filled = mutate("\"size\":84}]}", "\"size\":84}],\"filled_below_ttl\":4}");
	for (int i = 1; i <= 11; i++)
		fprintf(f, i == 6 ? "\n" : "%s\n", i == 3 ? filled : golden);
	free(filled);
	char *bad = mutate("{\"ttl\":4,", "{\"ttl\":300,");
	fprintf(f, "%s\n", bad);
	free(bad);
	bad = mutate("\"size\":84}]}", "\"size\":84}],\"filled_below_ttl\":9}");
	fprintf(f, "%s\n", bad);
	free(bad);
	fclose(f);

	bt_trace_reader *r = bt_trace_reader_open(path, err, sizeof(err));
	assert_non_null(r);
	bt_trace *t;
	int n = 0, nfilled = 0, rc;
	while ((rc = bt_trace_reader_next(r, &t, err, sizeof(err))) == 1) {
		nfilled += t->filled_below_ttl == 4;
		bt_trace_free(t);
		n++;
	}
	assert_int_equal(n, 10);
	assert_int_equal(nfilled, 1);
	assert_int_equal(rc, -1);
	snprintf(want, sizeof(want),
		 "%s:12: field 'hops[3].ttl': expected integer 1..255, got 300", path);
	assert_string_equal(err, want);
	assert_int_equal(bt_trace_reader_next(r, &t, err, sizeof(err)), -1);
	snprintf(want, sizeof(want),
		 "%s:13: field 'filled_below_ttl': expected first_ttl + 1 .. last hop's TTL + 1 "
		 "(2..5), got 9", path);
	assert_string_equal(err, want);
	assert_int_equal(bt_trace_reader_next(r, &t, err, sizeof(err)), 0);
	bt_trace_reader_close(r);
	assert_int_equal(unlink(path), 0);
}

static void test_reader_open_fail(void **state)
{
	(void)state;
	char err[512] = "";
	assert_null(bt_trace_reader_open("/nonexistent/bt/round.jsonl", err, sizeof(err)));
	assert_contains(err, "/nonexistent/bt/round.jsonl: No such file or directory");

	/* A directory opens, then fails to read: an error with path and line. */
	bt_trace_reader *r = bt_trace_reader_open(tmpdir, err, sizeof(err));
	if (r == NULL) {
		assert_contains(err, tmpdir);
		return;
	}
	bt_trace *t;
	assert_int_equal(bt_trace_reader_next(r, &t, err, sizeof(err)), -1);
	char want[300];
	snprintf(want, sizeof(want), "%s:1: read error: Is a directory", tmpdir);
	assert_string_equal(err, want);
	bt_trace_reader_close(r);
}

static void test_reader_stream(void **state)
{
	(void)state;
	char err[512] = "";
	FILE *f = tmpfile();
	assert_non_null(f);
	bt_trace *t = sample_v4();
	assert_int_equal(bt_trace_write(f, t), 0);
	assert_int_equal(bt_trace_write(f, t), 0);
	fputs("[]\n", f);
	rewind(f);

	bt_trace_reader *r = bt_trace_reader_fdopen(f, "stdin");
	assert_non_null(r);
	bt_trace *got;
	for (int i = 0; i < 2; i++) {
		assert_int_equal(bt_trace_reader_next(r, &got, err, sizeof(err)), 1);
		assert_trace_equal(t, got);
		bt_trace_free(got);
	}
	assert_int_equal(bt_trace_reader_next(r, &got, err, sizeof(err)), -1);
	assert_string_equal(err, "stdin:3: not a JSON object (got array)");
	assert_int_equal(bt_trace_reader_next(r, &got, err, sizeof(err)), 0);
	bt_trace_reader_close(r);
	/* fdopen does not take f: it is still ours to use and close. */
	assert_int_equal(fseek(f, 0, SEEK_SET), 0);
	assert_int_equal(fclose(f), 0);
	bt_trace_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_round_trip_v6_tcp),
		cmocka_unit_test(test_round_trip_no_hops),
		cmocka_unit_test(test_legacy_filled_no_hops),
		cmocka_unit_test(test_round_trip_filled),
		cmocka_unit_test(test_rtt_exact),
		cmocka_unit_test(test_append),
		cmocka_unit_test(test_writer_refuses),
		cmocka_unit_test(test_multi_reply),
		cmocka_unit_test(test_version1),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_not_json_or_object),
		cmocka_unit_test(test_length_respected),
		cmocka_unit_test(test_unknown_keys),
		cmocka_unit_test(test_lenient_forms),
		cmocka_unit_test(test_reader_file),
		cmocka_unit_test(test_reader_line_number),
		cmocka_unit_test(test_reader_open_fail),
		cmocka_unit_test(test_reader_stream),
	};
	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
