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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
