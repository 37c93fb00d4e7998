/* bordertrace tests — longest-prefix match (analysis/lpm.c): random tables
 * checked against a naive scan, block lengths checked by flipping host bits,
 * conflicts, the edges of the address space, and ranges shown as prefixes.
 * The prefixes are table data only: nothing here sends a packet. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "bordertrace/lpm.h"

static bt_addr A(const char *s)
{
	bt_addr a;
	assert_int_equal(bt_addr_parse(s, &a), 0);
	return a;
}

static void add(bt_lpm *t, const char *pfx, uint32_t v)
{
	bt_addr p;
	unsigned len;
	assert_int_equal(bt_prefix_parse(pfx, true, &p, &len, NULL), 0);
	assert_int_equal(bt_lpm_add_prefix(t, &p, len, v), 0);
}

static uint32_t look(bt_lpm *t, const char *s, unsigned *block)
{
	bt_addr a = A(s);
	return bt_lpm_lookup(t, &a, block);
}

static void test_nested(void **state)
{
	(void)state;
	bt_lpm *t = bt_lpm_new();
	unsigned b;
	add(t, "10.0.0.0/8", 1);
	add(t, "10.1.0.0/16", 2);
	add(t, "10.1.2.0/24", 3);
	add(t, "0.0.0.0/0", 4);
	add(t, "2001:db8::/32", 5);
	assert_int_equal(bt_lpm_build(t, NULL, NULL), BT_LPM_OK);
	assert_int_equal(look(t, "10.1.2.3", &b), 3);
	assert_int_equal(b, 24);
	assert_int_equal(look(t, "10.1.3.3", &b), 2);
	assert_int_equal(b, 24); /* 10.1.2.0/23 would include the /24 */
	assert_int_equal(look(t, "10.200.0.1", &b), 1);
	assert_int_equal(b, 9);
	assert_int_equal(look(t, "11.0.0.1", &b), 4);
	assert_int_equal(look(t, "255.255.255.255", &b), 4);
	assert_int_equal(look(t, "2001:db8:1::1", &b), 5);
	assert_int_equal(b, 32);
	assert_int_equal(look(t, "2001:db9::1", &b), BT_LPM_NONE);
	assert_int_equal(look(t, "::", &b), BT_LPM_NONE);
	assert_int_equal(look(t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", &b), BT_LPM_NONE);
	assert_int_equal(bt_lpm_count(t), 5);
	bt_lpm_free(t);
}

static void test_conflicts(void **state)
{
	(void)state;
	uint32_t a = 0, b = 0;
	bt_lpm *t = bt_lpm_new();
	add(t, "10.0.0.0/8", 1);
	add(t, "10.0.0.0/8", 2);
	assert_int_equal(bt_lpm_build(t, &a, &b), BT_LPM_DUPLICATE);
	assert_true((a == 1 && b == 2) || (a == 2 && b == 1));
	bt_lpm_free(t);

	t = bt_lpm_new();
	bt_addr f = A("1.0.0.0"), l = A("1.0.0.255"), f2 = A("1.0.0.128"), l2 = A("1.0.1.5");
	assert_int_equal(bt_lpm_add(t, &f, &l, 7), 0);
	assert_int_equal(bt_lpm_add(t, &f2, &l2, 8), 0);
	assert_int_equal(bt_lpm_build(t, &a, &b), BT_LPM_OVERLAP);
	/* bad input to add */
	assert_int_equal(bt_lpm_add(t, &l, &f, 9), -1);
	bt_addr v6 = A("::1");
	assert_int_equal(bt_lpm_add(t, &f, &v6, 9), -1);
	assert_int_equal(bt_lpm_add(t, &f, &l, BT_LPM_NONE), -1);
	bt_addr host = A("1.0.0.1");
	assert_int_equal(bt_lpm_add_prefix(t, &host, 24, 1), -1);
	bt_lpm_free(t);
}

static void test_empty(void **state)
{
	(void)state;
	bt_lpm *t = bt_lpm_new();
	unsigned b = 99;
	assert_int_equal(look(t, "1.2.3.4", &b), BT_LPM_NONE); /* before build */
	assert_int_equal(bt_lpm_build(t, NULL, NULL), BT_LPM_OK);
	assert_int_equal(look(t, "1.2.3.4", &b), BT_LPM_NONE);
	assert_int_equal(b, 0);
	bt_lpm_free(t);
}

/* Distinct mode keeps adjacent equal values apart, so the block is the
 * entry's own prefix (the flattened MMDB reports its networks that way);
 * freeze drops the build input but keeps lookups. */
static void test_distinct_and_freeze(void **state)
{
	(void)state;
	unsigned b;
	for (int distinct = 0; distinct < 2; distinct++) {
		bt_lpm *t = bt_lpm_new();
		bt_lpm_set_distinct(t, distinct);
		add(t, "198.51.100.0/25", 7);
		add(t, "198.51.100.128/25", 7);
		add(t, "2001:db8::/33", 7);
		add(t, "2001:db8:8000::/33", 7);
		assert_int_equal(bt_lpm_build(t, NULL, NULL), BT_LPM_OK);
		assert_int_equal(look(t, "198.51.100.200", &b), 7);
		assert_int_equal(b, distinct ? 25 : 24);
		assert_int_equal(look(t, "2001:db8::1", &b), 7);
		assert_int_equal(b, distinct ? 33 : 32);
		/* empty space is merged either way */
		assert_int_equal(look(t, "198.51.101.1", &b), BT_LPM_NONE);
		assert_int_equal(b, 24);
		bt_lpm_freeze(t);
		assert_int_equal(look(t, "198.51.100.1", &b), 7);
		assert_int_equal(b, distinct ? 25 : 24);
		assert_int_equal(look(t, "2001:db8:8000::1", &b), 7);
		assert_int_equal(bt_lpm_count(t), 4);
		bt_addr p = A("203.0.113.0");
		assert_int_equal(bt_lpm_add_prefix(t, &p, 24, 1), -1);
		assert_int_equal(bt_lpm_build(t, NULL, NULL), BT_LPM_NOMEM);
		bt_lpm_free(t);
	}
	/* a second build after more adds still works (IPv4 starts are
	 * narrowed after each build) */
	bt_lpm *t = bt_lpm_new();
	add(t, "198.51.100.0/24", 1);
	assert_int_equal(bt_lpm_build(t, NULL, NULL), BT_LPM_OK);
	add(t, "198.51.100.64/26", 2);
	add(t, "203.0.113.0/24", 3);
	assert_int_equal(bt_lpm_build(t, NULL, NULL), BT_LPM_OK);
	assert_int_equal(look(t, "198.51.100.65", &b), 2);
	assert_int_equal(b, 26);
	assert_int_equal(look(t, "198.51.100.1", &b), 1);
	assert_int_equal(b, 26);
	assert_int_equal(look(t, "203.0.113.9", &b), 3);
	assert_int_equal(look(t, "255.255.255.255", &b), BT_LPM_NONE);
	bt_lpm_free(t);
}

static void test_range_as_prefix(void **state)
{
	(void)state;
	bt_addr a = A("1.0.2.77"), f = A("1.0.1.0"), l = A("1.0.3.255"), p;
	unsigned len;
	char buf[BT_ADDR_STRLEN];
	bt_lpm_prefix_within(&a, &f, &l, &p, &len);
	assert_string_equal(bt_addr_format(&p, buf, sizeof(buf)), "1.0.2.0");
	assert_int_equal(len, 23);
	a = A("1.0.1.9");
	bt_lpm_prefix_within(&a, &f, &l, &p, &len);
	assert_string_equal(bt_addr_format(&p, buf, sizeof(buf)), "1.0.1.0");
	assert_int_equal(len, 24);
}

/* Random nested prefixes: compare with a scan for the longest containing
 * prefix, and check that the block length holds. The prefixes are drawn
 * in a 32-bit window of the address: all of IPv4, bits 32-63 of IPv6. */
struct pfx {
	uint32_t net;
	unsigned len; /* within the window */
};

/* n distinct prefixes: the bits outside keep from fixed, lengths min..32 */
static void draw(struct pfx *p, size_t n, uint32_t fixed, uint32_t keep, unsigned min)
{
	for (size_t k = 0; k < n;) {
		unsigned len = min + (unsigned)rand() % (33 - min);
		uint32_t net = fixed | ((uint32_t)rand() * 2654435761u & keep);
		net &= len ? ~0u << (32 - len) : 0;
		bool dup = false;
		for (size_t i = 0; i < k && !dup; i++)
			dup = p[i].net == net && p[i].len == len;
		if (!dup) {
			p[k].net = net;
			p[k].len = len;
			k++;
		}
	}
}

static uint32_t naive(const struct pfx *p, size_t n, uint32_t x)
{
	uint32_t best = BT_LPM_NONE;
	int bestlen = -1;
	for (size_t i = 0; i < n; i++) {
		uint32_t m = p[i].len ? ~0u << (32 - p[i].len) : 0;
		if ((x & m) == p[i].net && (int)p[i].len > bestlen) {
			best = (uint32_t)i;
			bestlen = (int)p[i].len;
		}
	}
	return best;
}

static void test_random_v4(void **state)
{
	(void)state;
	enum { N = 3000 };
	struct pfx *p = calloc(N, sizeof(*p));
	bt_lpm *t = bt_lpm_new();
	srand(42);
	draw(p, N, 0x0a000000u, 0x00ffffffu, 8); /* in 10/8: nesting is common */
	for (size_t i = 0; i < N; i++) {
		bt_addr a;
		bt_addr_from_v4(&a, htonl(p[i].net));
		assert_int_equal(bt_lpm_add_prefix(t, &a, p[i].len, (uint32_t)i), 0);
	}
	assert_int_equal(bt_lpm_build(t, NULL, NULL), BT_LPM_OK);
	for (int i = 0; i < 200000; i++) {
		uint32_t x = 0x0a000000u | ((uint32_t)rand() & 0x00ffffffu);
		if (i % 10 == 0)
			x = (uint32_t)rand() * 2654435761u;
		bt_addr a;
		bt_addr_from_v4(&a, htonl(x));
		unsigned b;
		uint32_t v = bt_lpm_lookup(t, &a, &b);
		assert_int_equal(v, naive(p, N, x));
		uint32_t y = x ^ (((uint32_t)rand() * 2654435761u) & (b == 32 ? 0 : (~0u >> b)));
		bt_addr_from_v4(&a, htonl(y));
		assert_int_equal(bt_lpm_lookup(t, &a, NULL), v);
	}
	free(p);
	bt_lpm_free(t);
}

/* 2001:db8::/32 with x as bits 32-63 and low as bits 96-127. */
static bt_addr v6_at(uint32_t x, uint32_t low)
{
	bt_addr a = A("2001:db8::");
	for (int i = 0; i < 4; i++) {
		a.bytes[4 + i] = (uint8_t)(x >> (24 - 8 * i));
		a.bytes[12 + i] = (uint8_t)(low >> (24 - 8 * i));
	}
	return a;
}

/* The same for IPv6, crowded into 2001:db8::/32 as real IPv6 tables crowd
 * into a few /12s: buckets of the index that large get their own index,
 * which the lookups must walk right. Prefixes /32 to /64. */
static void test_random_v6(void **state)
{
	(void)state;
	enum { N = 3000 };
	struct pfx *p = calloc(N, sizeof(*p));
	bt_lpm *t = bt_lpm_new();
	srand(43);
	draw(p, N, 0, ~0u, 0);
	for (size_t i = 0; i < N; i++) {
		bt_addr a = v6_at(p[i].net, 0);
		assert_int_equal(bt_lpm_add_prefix(t, &a, 32 + p[i].len, (uint32_t)i), 0);
	}
	assert_int_equal(bt_lpm_build(t, NULL, NULL), BT_LPM_OK);
	for (int i = 0; i < 200000; i++) {
		uint32_t x = (uint32_t)rand() * 2654435761u;
		bt_addr a = v6_at(x, (uint32_t)rand());
		unsigned b;
		uint32_t v = bt_lpm_lookup(t, &a, &b);
		assert_int_equal(v, naive(p, N, x));
		/* any address in the block has the same answer (blocks here
		 * are /32 to /64) */
		assert_true(b >= 32 && b <= 64);
		uint32_t flip = ((uint32_t)rand() * 2654435761u) & (b == 64 ? 0 : ~0u >> (b - 32));
		bt_addr y = v6_at(x ^ flip, (uint32_t)rand());
		assert_int_equal(bt_lpm_lookup(t, &y, NULL), v);
	}
	free(p);
	bt_lpm_free(t);
}

/* Tolerant builds against the rule applied naively to the rows: random
 * ranges (many duplicates and partial overlaps) in a space of 256
 * addresses, at the bottom, middle and top of IPv4 and IPv6; every address
 * of the space is looked up and compared with "the smallest range holding
 * it, then the one added last"; the block length is checked over the
 * space; the conflicts reported are real and as many as the rows at
 * fault. */
struct row {
	unsigned lo, hi; /* offsets in the space */
	uint32_t value;
};

static uint32_t rule(const struct row *r, size_t n, unsigned x)
{
	size_t best = SIZE_MAX;
	for (size_t i = 0; i < n; i++) {
		if (x < r[i].lo || x > r[i].hi)
			continue;
		/* later rows win ties: >= */
		if (best == SIZE_MAX || r[i].hi - r[i].lo <= r[best].hi - r[best].lo)
			best = i;
	}
	return best == SIZE_MAX ? BT_LPM_NONE : r[best].value;
}

/* Rows at fault: a repeat of an earlier row, or a row starting inside
 * another that starts before it and ending past it. */
static size_t faults(const struct row *r, size_t n)
{
	size_t k = 0;
	for (size_t j = 0; j < n; j++) {
		bool bad = false;
		for (size_t i = 0; i < n && !bad; i++) {
			if (i == j)
				continue;
			bad = (i < j && r[i].lo == r[j].lo && r[i].hi == r[j].hi) ||
			      (r[i].lo < r[j].lo && r[j].lo <= r[i].hi && r[i].hi < r[j].hi);
		}
		k += bad;
	}
	return k;
}

struct seen {
	const struct row *r;
	size_t n, calls;
};

static const struct row *row_of(const struct seen *s, uint32_t v)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->r[i].value == v)
			return &s->r[i];
	fail_msg("value %u reported, never added", v);
	return NULL;
}

static int on_conflict(void *ctx, bt_lpm_conflict kind, uint32_t other, uint32_t value)
{
	struct seen *s = ctx;
	const struct row *a = row_of(s, other), *b = row_of(s, value);
	if (kind == BT_LPM_DUPLICATE)
		assert_true(a->lo == b->lo && a->hi == b->hi && a < b);
	else
		assert_true(kind == BT_LPM_OVERLAP && a->lo < b->lo && b->lo <= a->hi && a->hi < b->hi);
	s->calls++;
	return 0;
}

/* The address at offset x of space `where` (0 bottom, 1 middle, 2 top). */
static bt_addr at(bool v6, int where, unsigned x)
{
	static const char *const base[2][3] = {
		{"0.0.0.0", "10.20.30.0", "255.255.255.0"},
		{"::", "2001:db8:1:2:3:4:5:600", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00"},
	};
	bt_addr a = A(base[v6][where]);
	a.bytes[v6 ? 15 : 3] = (uint8_t)x;
	return a;
}

static void check_space(bt_lpm *t, const struct row *r, size_t n, bool v6, int where,
			bool distinct)
{
	unsigned width = v6 ? 128 : 32;
	uint32_t want[256];
	for (unsigned x = 0; x < 256; x++)
		want[x] = rule(r, n, x);
	for (unsigned x = 0; x < 256; x++) {
		bt_addr a = at(v6, where, x);
		unsigned b;
		uint32_t v = bt_lpm_lookup(t, &a, &b);
		if (v != want[x])
			fail_msg("offset %u: %u, the rule says %u", x, v, want[x]);
		/* the block: the same answer all over it (inside the space) */
		unsigned host = width - b > 8 ? 8 : width - b;
		unsigned lo = x & ~((1u << host) - 1), hi = lo + (1u << host) - 1;
		for (unsigned y = lo; y <= hi; y++)
			assert_int_equal(want[y], v);
		/* and the largest such: its parent holds another answer */
		if (!distinct && b > width - 8) {
			unsigned plo = x & ~((2u << host) - 1);
			bool differs = false;
			for (unsigned y = plo; y < plo + (2u << host); y++)
				differs = differs || want[y] != v;
			assert_true(differs);
		}
	}
}

static void test_tolerant_rule(void **state)
{
	(void)state;
	srand(44);
	for (int trial = 0; trial < 3000; trial++) {
		bool v6 = trial & 1, distinct = trial % 7 == 0;
		int where = (trial / 2) % 3;
		size_t n = 1 + (size_t)rand() % 12;
		struct row r[12];
		for (size_t i = 0; i < n; i++) {
			if (i > 0 && rand() % 4 == 0) {
				r[i] = r[(size_t)rand() % i]; /* a repeat */
			} else {
				unsigned a = (unsigned)rand() % 256, b = (unsigned)rand() % 256;
				if (rand() % 3 == 0) /* short ranges: more nesting */
					b = a + (unsigned)rand() % 8;
				b = b > 255 ? 255 : b;
				r[i].lo = a < b ? a : b;
				r[i].hi = a < b ? b : a;
			}
			/* few distinct values in some trials: equal neighbours merge */
			r[i].value = trial % 3 == 0 ? (uint32_t)rand() % 3 + 100 : (uint32_t)i;
		}
		bt_lpm *t = bt_lpm_new();
		bt_lpm_set_distinct(t, distinct);
		for (size_t i = 0; i < n; i++) {
			bt_addr f = at(v6, where, r[i].lo), l = at(v6, where, r[i].hi);
			assert_int_equal(bt_lpm_add(t, &f, &l, r[i].value), 0);
		}
		struct seen s = { r, n, 0 };
		if (trial % 3 != 0) /* (values must tell the rows apart) */
			assert_int_equal(bt_lpm_build_tolerant(t, on_conflict, &s), BT_LPM_OK);
		else
			assert_int_equal(bt_lpm_build_tolerant(t, NULL, NULL), BT_LPM_OK);
		if (trial % 3 != 0)
			assert_int_equal(s.calls, faults(r, n));
		check_space(t, r, n, v6, where, distinct);
		bt_lpm_free(t);
	}
}

/* The strict build still refuses what the tolerant one settles, and the
 * tolerant one gives nested-only tables the same answers as the strict. */
static void test_tolerant_vs_strict(void **state)
{
	(void)state;
	unsigned b;
	bt_lpm *t = bt_lpm_new();
	bt_addr f = A("1.0.0.0"), l = A("1.0.0.255"), f2 = A("1.0.0.128"), l2 = A("1.0.1.255");
	assert_int_equal(bt_lpm_add(t, &f, &l, 7), 0);
	assert_int_equal(bt_lpm_add(t, &f2, &l2, 8), 0);
	assert_int_equal(bt_lpm_build(t, NULL, NULL), BT_LPM_OVERLAP);
	assert_int_equal(bt_lpm_build_tolerant(t, NULL, NULL), BT_LPM_OK);
	assert_int_equal(look(t, "1.0.0.127", &b), 7);
	assert_int_equal(b, 24);
	assert_int_equal(look(t, "1.0.0.128", &b), 7); /* the smaller range */
	assert_int_equal(b, 24);
	assert_int_equal(look(t, "1.0.1.0", &b), 8);
	assert_int_equal(b, 24);
	bt_lpm_free(t);

	t = bt_lpm_new();
	add(t, "10.0.0.0/8", 1);
	add(t, "10.1.0.0/16", 2);
	add(t, "0.0.0.0/0", 4);
	add(t, "::/0", 5);
	add(t, "2001:db8::/32", 6);
	add(t, "2001:db8::/32", 9); /* the later of the two wins */
	assert_int_equal(bt_lpm_build_tolerant(t, NULL, NULL), BT_LPM_OK);
	assert_int_equal(look(t, "10.1.2.3", &b), 2);
	assert_int_equal(b, 16);
	assert_int_equal(look(t, "10.2.0.0", &b), 1);
	assert_int_equal(look(t, "255.255.255.255", &b), 4);
	assert_int_equal(look(t, "2001:db8::1", &b), 9);
	assert_int_equal(b, 32);
	assert_int_equal(look(t, "ffff::1", &b), 5);
	bt_lpm_free(t);
}

static int count_conflict(void *ctx, bt_lpm_conflict kind, uint32_t other, uint32_t value)
{
	(void)kind;
	(void)other;
	(void)value;
	++*(size_t *)ctx;
	return 0;
}

/* Loading stays O(n log n) when every range overlaps thousands of others
 * (a sweep that compared pairs would take minutes): 400,000 ranges, each
 * starting 256 addresses after the previous and 40,000 addresses long. */
static void test_tolerant_many(void **state)
{
	(void)state;
	enum { N = 400000 };
	bt_lpm *t = bt_lpm_new();
	for (uint32_t i = 0; i < N; i++) {
		bt_addr f, l;
		bt_addr_from_v4(&f, htonl(0x10000000u + i * 256));
		bt_addr_from_v4(&l, htonl(0x10000000u + i * 256 + 40000));
		assert_int_equal(bt_lpm_add(t, &f, &l, i), 0);
	}
	size_t count = 0;
	assert_int_equal(bt_lpm_build_tolerant(t, count_conflict, &count), BT_LPM_OK);
	assert_int_equal(count, N - 1);
	/* equal sizes everywhere: the later (the one starting last) wins */
	bt_addr a;
	bt_addr_from_v4(&a, htonl(0x10000000u + 1000 * 256 + 5));
	assert_int_equal(bt_lpm_lookup(t, &a, NULL), 1000);
	bt_addr_from_v4(&a, htonl(0x10000000u + (N - 1) * 256 + 40000));
	assert_int_equal(bt_lpm_lookup(t, &a, NULL), N - 1);
	bt_lpm_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nested),
		cmocka_unit_test(test_conflicts),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_range_as_prefix),
		cmocka_unit_test(test_distinct_and_freeze),
		cmocka_unit_test(test_random_v4),
		cmocka_unit_test(test_random_v6),
		cmocka_unit_test(test_tolerant_rule),
		cmocka_unit_test(test_tolerant_vs_strict),
		cmocka_unit_test(test_tolerant_many),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
