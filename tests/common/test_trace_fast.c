/* Differential test: the fast reader (trace_fast.c) against the general one
 * (jansson), and the direct writer against jansson's. Canonical lines must take the fast path and give exactly what
 * the general parser gives; for mutated lines, whenever the fast path
 * accepts, the general parser must accept too, with the same result. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bordertrace/trace.h"

static uint64_t rng = 88172645463325252ULL;
static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

static bt_trace *random_trace(void)
{
	size_t n = rnd() % 20;
	bt_trace *t = bt_trace_alloc(n);
	assert_non_null(t);
	t->version = BT_TRACE_FORMAT_VERSION;
	snprintf(t->vp, sizeof(t->vp), "vp-%u", rnd() % 100);
	snprintf(t->campaign, sizeof(t->campaign), "%s", rnd() % 2 ? "kp" : "");
	snprintf(t->round, sizeof(t->round), "2017-10-01T09:%02u:00Z", rnd() % 60);
	t->method = (bt_method)(rnd() % 3);
	bt_addr_parse(rnd() % 2 ? "198.18.0.2" : "2001:db8::2", &t->src);
	bt_addr_parse(rnd() % 2 ? "198.18.176.1" : "2001:db8:1::1", &t->dst);
	if (rnd() % 8 == 0)
		memset(&t->src, 0, sizeof(t->src));
	t->flow = (uint16_t)(rnd() % 4096);
	t->sport = (uint16_t)rnd();
	t->dport = (uint16_t)rnd();
	t->icmp_sum = (uint16_t)rnd();
	t->start_us = 1506848871000000LL + rnd();
	t->end_us = t->start_us + rnd() % 1000000;
	t->stop = (bt_stop)(1 + rnd() % 5);
	t->first_ttl = (uint8_t)(1 + rnd() % 3);
	t->max_ttl = (uint8_t)(t->first_ttl + n + rnd() % 5);
	t->probes_sent = rnd() % 100;
	t->hop_count = n;
	/* format version 2: a third of the entries share the TTL before them
	 * (attempts non-decreasing), a quarter answer a flow of their own */
	unsigned ttl = t->first_ttl;
	for (size_t i = 0; i < n; i++) {
		bt_hop *h = &t->hops[i];
		bool same = i > 0 && rnd() % 3 == 0;
		ttl += i > 0 && !same;
		h->probe_ttl = (uint8_t)ttl;
		unsigned att = same ? h[-1].attempt + rnd() % 2 : rnd() % 3;
		if (rnd() % 4 == 0) {
			h->has_flow = true;
			h->flow = (uint16_t)(rnd() % 8);
		}
		if (rnd() % 4 == 0) {
			h->attempt = (uint8_t)att;
			continue;
		}
		char a[64];
		snprintf(a, sizeof(a), "198.18.%u.%u", rnd() % 256, rnd() % 256);
		bt_addr_parse(a, &h->addr);
		h->attempt = (uint8_t)(att ? att : 1);
		h->rtt_us = rnd() % 5 == 0 ? rnd() : rnd() % 100000;
		h->reply_ttl = (uint8_t)rnd();
		if (rnd() % 5 == 0) {
			h->tcp_flags = (uint8_t)(1 + rnd() % 255);
		} else {
			h->icmp_type = (uint8_t)(rnd() % 12);
			h->icmp_code = (uint8_t)(rnd() % 4);
		}
		h->quoted_ttl = (uint8_t)(rnd() % 3);
		h->reply_size = (uint16_t)rnd();
		h->mpls_count = (uint8_t)(rnd() % 4 == 0 ? 1 + rnd() % BT_MPLS_MAX : 0);
		for (unsigned k = 0; k < h->mpls_count; k++)
			h->mpls[k] = (bt_mpls){ rnd() % 0x100000, (uint8_t)(rnd() % 8), (uint8_t)(rnd() % 2),
						(uint8_t)rnd() };
	}
	t->stop_ttl = (uint8_t)(rnd() % 2 ? ttl : 0);
	/* split TTL: some of the first TTLs copied, from one up to all */
	if (n > 0 && rnd() % 4 == 0)
		t->filled_below_ttl = (uint8_t)(t->first_ttl + 1 + rnd() % (ttl + 1 - t->first_ttl));
	return t;
}

/* Two traces are the same if they serialise the same (and hold the same
 * filled_below_ttl, in case a writer left it out). */
static void assert_same(const bt_trace *a, const bt_trace *b)
{
	assert_int_equal(a->filled_below_ttl, b->filled_below_ttl);
	char *x = NULL, *y = NULL;
	size_t xl = 0, xc = 0, yl = 0, yc = 0;
	assert_int_equal(bt_trace_to_json(a, &x, &xl, &xc), 0);
	assert_int_equal(bt_trace_to_json(b, &y, &yl, &yc), 0);
	assert_int_equal(xl, yl);
	assert_memory_equal(x, y, xl);
	free(x);
	free(y);
}

static void test_canonical_takes_fast_path(void **state)
{
	(void)state;
	for (int i = 0; i < 3000; i++) {
		bt_trace *t = random_trace();
		char *buf = NULL, err[256];
		size_t len = 0, cap = 0;
		assert_int_equal(bt_trace_to_json(t, &buf, &len, &cap), 0);
		size_t n = len;
		while (n > 0 && buf[n - 1] == '\n')
			n--;
		bt_trace *f = bt_trace_from_json_fast(buf, n);
		bt_trace *g = bt_trace_from_json_general(buf, n, err, sizeof(err));
		assert_non_null(g);
		if (f == NULL)
			fail_msg("fast path refused a canonical line: %.*s", (int)n, buf);
		assert_same(f, g);
		assert_same(f, t);
		bt_trace_free(f);
		bt_trace_free(g);
		bt_trace_free(t);
		free(buf);
	}
}

/* A random trace as a line, without its newline (*n bytes; free it). */
static char *random_line(size_t *n)
{
	bt_trace *t = random_trace();
	char *buf = NULL;
	size_t len = 0, cap = 0;
	assert_int_equal(bt_trace_to_json(t, &buf, &len, &cap), 0);
	bt_trace_free(t);
	*n = len - 1;
	return buf;
}

/* One to three random edits of buf[0, *n): replace, delete, truncate. */
static void mutate(char *buf, size_t *n)
{
	static const char alphabet[] = "0123456789.,:\"{}[]-eEnul \\a/Z";
	int edits = 1 + (int)(rnd() % 3);
	for (int k = 0; k < edits && *n > 0; k++) {
		size_t pos = rnd() % *n;
		switch (rnd() % 3) {
		case 0:
			buf[pos] = alphabet[rnd() % (sizeof(alphabet) - 1)];
			break;
		case 1:
			memmove(buf + pos, buf + pos + 1, *n - pos - 1);
			(*n)--;
			break;
		default:
			*n = pos;
		}
	}
}

static void test_mutations_agree(void **state)
{
	(void)state;
	unsigned accepted = 0;
	for (int i = 0; i < 40000; i++) {
		char err[256];
		size_t n;
		char *buf = random_line(&n);
		/* the same as a version-1 line: whatever its entries */
		if (rnd() % 4 == 0)
			memcpy(strstr(buf, "\"v\":2"), "\"v\":1", 5);
		mutate(buf, &n);
		bt_trace *f = bt_trace_from_json_fast(buf, n);
		if (f != NULL) {
			accepted++;
			bt_trace *g = bt_trace_from_json_general(buf, n, err, sizeof(err));
			if (g == NULL)
				fail_msg("fast accepted what jansson refuses (%s): %.*s", err, (int)n, buf);
			assert_same(f, g);
			bt_trace_free(g);
			bt_trace_free(f);
		}
		free(buf);
	}
	/* some mutations are harmless (a digit for a digit): the check ran */
	assert_true(accepted > 100);
}

/* The light read (bt_trace_scan_fast) gives what the full one gives of
 * the fields it reads: always for canonical lines, and for a mutated line
 * whenever both read it (one it reads and the full read refuses is the
 * full read's to report). */
static void assert_scan_same(const bt_trace *s, const bt_trace *f)
{
	assert_memory_equal(&s->dst, &f->dst, sizeof(s->dst));
	assert_int_equal(s->first_ttl, f->first_ttl);
	assert_int_equal(s->filled_below_ttl, f->filled_below_ttl);
	assert_int_equal(s->hop_count, f->hop_count);
	for (size_t i = 0; i < s->hop_count; i++) {
		assert_int_equal(s->hops[i].probe_ttl, f->hops[i].probe_ttl);
		assert_memory_equal(&s->hops[i].addr, &f->hops[i].addr, sizeof(bt_addr));
	}
}

static void test_scan_agrees(void **state)
{
	(void)state;
	bt_trace *s = bt_trace_alloc(BT_HOPS_MAX);
	assert_non_null(s);
	unsigned both = 0;
	for (int i = 0; i < 20000; i++) {
		char err[256];
		size_t n;
		char *buf = random_line(&n);
		bool mutated = i % 2 == 1;
		if (mutated)
			mutate(buf, &n);
		bool scanned = bt_trace_scan_fast(buf, n, s);
		bt_trace *g = bt_trace_from_json_general(buf, n, err, sizeof(err));
		if (!mutated && !scanned)
			fail_msg("light read refused a canonical line: %.*s", (int)n, buf);
		if (scanned && g != NULL) {
			assert_scan_same(s, g);
			both++;
		}
		bt_trace_free(g);
		free(buf);
	}
	assert_true(both > 10000);
	bt_trace_free(s);
}

/* Ids that break the one id rule (bordertrace/id.h) in the canonical form:
 * the fast reader refuses them too (returns NULL: jansson then says why). */
static void test_fast_refuses_bad_ids(void **state)
{
	(void)state;
	static const char *const bad[] = { "a/b", "=1+1", "+x", "-x", "@x", ".x", "a b" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		bt_trace *t = random_trace();
		char *buf = NULL, line[4096], err[512];
		size_t len = 0, cap = 0;
		assert_int_equal(bt_trace_to_json(t, &buf, &len, &cap), 0);
		const char *v = strstr(buf, "\"vp\":\"");
		const char *e = strchr(v + 6, '"');
		int n = snprintf(line, sizeof(line), "%.*s\"vp\":\"%s%s", (int)(v - buf), buf, bad[i], e);
		while (n > 0 && line[n - 1] == '\n')
			n--;
		bt_trace *f = bt_trace_from_json_fast(line, (size_t)n);
		if (f != NULL)
			fail_msg("fast path accepted vp '%s'", bad[i]);
		assert_null(bt_trace_from_json_general(line, (size_t)n, err, sizeof(err)));
		assert_non_null(strstr(err, "field 'vp'"));
		bt_trace_free(t);
		free(buf);
	}
}

/* The direct writer gives jansson's bytes exactly, appended after what the
 * buffer already holds; strings that need escaping go to jansson. */
static void test_writers_agree(void **state)
{
	(void)state;
	static const uint32_t edge[] = { 0, 1, 9, 10, 99, 100, 999, 1000, 1001, 1010, 1100,
					 123456, 4294967295u, 4294967000u, 1000000 };
	/* ids needing escapes are refused by the id rule: these are the odd ones it allows */
	static const char *odd[] = { "vp'q", "a<b>&c", "x{|}", "~", "A:1;2", "%s%n" };
	for (int i = 0; i < 20000; i++) {
		bt_trace *t = random_trace();
		for (size_t k = 0; k < t->hop_count; k++)
			if (rnd() % 3 == 0)
				t->hops[k].rtt_us = edge[rnd() % (sizeof(edge) / sizeof(edge[0]))];
		if (rnd() % 10 == 0)
			snprintf(t->vp, sizeof(t->vp), "%s", odd[rnd() % (sizeof(odd) / sizeof(odd[0]))]);
		char *x = NULL, *y = NULL;
		size_t xl = 0, xc = 0, yl = 0, yc = 0;
		if (i % 2) { /* something already in the buffer */
			assert_int_equal(bt_trace_to_json(t, &x, &xl, &xc), 0);
			assert_int_equal(bt_trace_to_json_general(t, &y, &yl, &yc), 0);
		}
		assert_int_equal(bt_trace_to_json(t, &x, &xl, &xc), 0);
		assert_int_equal(bt_trace_to_json_general(t, &y, &yl, &yc), 0);
		if (xl != yl || memcmp(x, y, xl) != 0)
			fail_msg("writers differ:\n%s\n%s", x, y);
		/* the optional key, after the hops, exactly when it is set */
		char key[40];
		snprintf(key, sizeof(key), "],\"filled_below_ttl\":%u}\n", t->filled_below_ttl);
		if ((strstr(x, key) != NULL) != (t->filled_below_ttl != 0))
			fail_msg("filled_below_ttl %u written wrongly: %s", t->filled_below_ttl, x);
		assert_int_equal(x[xl], '\0');
		free(x);
		free(y);
		bt_trace_free(t);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_canonical_takes_fast_path),
		cmocka_unit_test(test_mutations_agree),
		cmocka_unit_test(test_writers_agree),
		cmocka_unit_test(test_fast_refuses_bad_ids),
		cmocka_unit_test(test_scan_agrees),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
