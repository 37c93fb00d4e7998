/* bordertrace — unit tests for the shared address type (common/addr.c):
 * parsing, printing and prefix parsing, including the inputs it must refuse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "bordertrace/addr.h"

static void test_parse_v4(void **state)
{
	(void)state;
	bt_addr a;
	char buf[BT_ADDR_STRLEN];

	assert_int_equal(bt_addr_parse("198.18.0.1", &a), 0);
	assert_int_equal(a.family, AF_INET);
	assert_memory_equal(a.bytes, "\xc6\x12\x00\x01", 4);
	/* IPv4 lives in bytes[0..3], the rest stays zero. */
	for (int i = 4; i < 16; i++)
		assert_int_equal(a.bytes[i], 0);
	assert_string_equal(bt_addr_format(&a, buf, sizeof(buf)), "198.18.0.1");
	assert_int_equal(bt_addr_v4(&a), htonl(0xc6120001));
	assert_true(bt_addr_is_set(&a));
}

static void test_parse_v6(void **state)
{
	(void)state;
	bt_addr a;
	char buf[BT_ADDR_STRLEN];

	assert_int_equal(bt_addr_parse("2001:0db8:0:0::1", &a), 0);
	assert_int_equal(a.family, AF_INET6);
	assert_int_equal(a.bytes[0], 0x20);
	assert_int_equal(a.bytes[15], 0x01);
	/* Printed in canonical compressed form. */
	assert_string_equal(bt_addr_format(&a, buf, sizeof(buf)), "2001:db8::1");

	/* A mapped address stays IPv6: no silent change of family. */
	assert_int_equal(bt_addr_parse("::ffff:198.18.0.1", &a), 0);
	assert_int_equal(a.family, AF_INET6);
}

static void test_parse_bad(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"", "198.18.0", "198.18.0.256", "198.18.0.1.2", "198.18.0.1/32",
		" 198.18.0.1", "198.18.0.1 ", "host.example", "2001:db8::g",
		"2001:db8:::1", "1:2:3:4:5:6:7:8:9", "-1.0.0.0",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		bt_addr a;
		memset(&a, 0xff, sizeof(a));
		assert_int_equal(bt_addr_parse(bad[i], &a), -1);
		/* A failed parse leaves "no address", not garbage. */
		assert_int_equal(a.family, 0);
	}
	bt_addr a;
	assert_int_equal(bt_addr_parse(NULL, &a), -1);
}

static void test_format(void **state)
{
	(void)state;
	bt_addr a;
	char buf[BT_ADDR_STRLEN];

	memset(&a, 0, sizeof(a));
	assert_string_equal(bt_addr_format(&a, buf, sizeof(buf)), "");
	a.family = 99; /* unknown family prints as nothing */
	assert_string_equal(bt_addr_format(&a, buf, sizeof(buf)), "");

	bt_addr_from_v4(&a, htonl(0xcb007105)); /* 203.0.113.5 */
	assert_string_equal(bt_addr_format(&a, buf, sizeof(buf)), "203.0.113.5");
	/* Too small a buffer gives "", never a cut address. */
	char small[8];
	assert_string_equal(bt_addr_format(&a, small, sizeof(small)), "");

	assert_int_equal(bt_addr_parse("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", &a), 0);
	assert_string_equal(bt_addr_format(&a, buf, sizeof(buf)),
			    "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff");
}

static void test_compare(void **state)
{
	(void)state;
	bt_addr a, b, c, none;
	memset(&none, 0, sizeof(none));
	bt_addr_parse("198.18.0.1", &a);
	bt_addr_parse("198.18.0.2", &b);
	bt_addr_parse("2001:db8::1", &c);

	assert_true(bt_addr_eq(&a, &a));
	assert_false(bt_addr_eq(&a, &b));
	assert_true(bt_addr_cmp(&a, &b) < 0);
	assert_true(bt_addr_cmp(&b, &a) > 0);
	assert_int_equal(bt_addr_cmp(&a, &a), 0);
	/* Ordered by family first: no address < IPv4 < IPv6. */
	assert_true(bt_addr_cmp(&none, &a) < 0);
	assert_true(bt_addr_cmp(&a, &c) < 0);
	assert_false(bt_addr_is_set(&none));
}

static void test_prefix(void **state)
{
	(void)state;
	bt_addr a;
	unsigned len;
	const char *why = NULL;
	char buf[BT_ADDR_STRLEN];

	assert_int_equal(bt_prefix_parse("198.18.0.0/15", true, &a, &len, &why), 0);
	assert_int_equal(len, 15);
	assert_string_equal(bt_addr_format(&a, buf, sizeof(buf)), "198.18.0.0");

	assert_int_equal(bt_prefix_parse("2001:db8::/32", true, &a, &len, &why), 0);
	assert_int_equal(len, 32);
	assert_int_equal(a.family, AF_INET6);

	/* A bare address is a host prefix. */
	assert_int_equal(bt_prefix_parse("198.51.100.7", true, &a, &len, &why), 0);
	assert_int_equal(len, 32);
	assert_int_equal(bt_prefix_parse("2001:db8::7", true, &a, &len, &why), 0);
	assert_int_equal(len, 128);

	assert_int_equal(bt_prefix_parse("0.0.0.0/0", true, &a, &len, &why), 0);
	assert_int_equal(len, 0);
	assert_int_equal(bt_prefix_parse("2001:db8::1/128", true, &a, &len, &why), 0);
	assert_int_equal(len, 128);

	/* /0 with host bits: refused when strict. */
	assert_int_equal(bt_prefix_parse("198.18.0.0/0", true, &a, &len, &why), -1);
	/* why may be NULL. */
	assert_int_equal(bt_prefix_parse("198.18.0.0/16", true, &a, &len, NULL), 0);
}

static void test_prefix_host_bits(void **state)
{
	(void)state;
	bt_addr a;
	unsigned len;
	const char *why = NULL;
	char buf[BT_ADDR_STRLEN];

	assert_int_equal(bt_prefix_parse("198.18.1.1/15", true, &a, &len, &why), -1);
	assert_string_equal(why, "host bits set");

	/* Not strict: the host bits are cleared. */
	assert_int_equal(bt_prefix_parse("198.19.255.255/15", false, &a, &len, &why), 0);
	assert_int_equal(len, 15);
	assert_string_equal(bt_addr_format(&a, buf, sizeof(buf)), "198.18.0.0");

	assert_int_equal(bt_prefix_parse("2001:db8::1/32", false, &a, &len, &why), 0);
	assert_string_equal(bt_addr_format(&a, buf, sizeof(buf)), "2001:db8::");
	assert_int_equal(bt_prefix_parse("2001:db8::1/32", true, &a, &len, &why), -1);
	assert_string_equal(why, "host bits set");
}

static void test_prefix_bad(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		const char *why;
	} bad[] = {
		{"", "not an address"},
		{"/24", "not an address"},
		{"198.18.0/24", "not an address"},
		{"example.net/24", "not an address"},
		{"198.18.0.0/", "bad prefix length"},
		{"198.18.0.0/33", "bad prefix length"},
		{"198.18.0.0/-1", "bad prefix length"},
		{"198.18.0.0/+8", "bad prefix length"},
		{"198.18.0.0/ 8", "bad prefix length"},
		{"198.18.0.0/8x", "bad prefix length"},
		{"198.18.0.0/0015", "bad prefix length"},
		{"198.18.0.0/99999999999999999999", "bad prefix length"},
		{"2001:db8::/129", "bad prefix length"},
		{"198.18.0.0/16/16", "bad prefix length"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		bt_addr a;
		unsigned len;
		const char *why = NULL;
		assert_int_equal(bt_prefix_parse(bad[i].in, true, &a, &len, &why), -1);
		assert_non_null(why);
		assert_string_equal(why, bad[i].why);
	}
}

/* IPv4 has its own parser (inet_pton is slow per call): it must accept
 * exactly what inet_pton accepts, with the same bytes. Strings are drawn
 * made of 3 to 5 numbers up to 299, some zero-padded, mostly joined by
 * dots: valid addresses and near-misses (leading zeros, 256, bad parts). */
static void test_parse_v4_matches_inet_pton(void **state)
{
	(void)state;
	static const char *const fixed[] = {
		"0.0.0.0", "255.255.255.255", "01.2.3.4", "1.2.3.04", "1.2.3.0", "1.2.3",
		"1.2.3.4.", ".1.2.3.4", "1..2.3", "256.1.1.1", "1.2.3.1000", "1.2.3.4x",
		"0000.1.1.1", "1.2.3.255", "1.2.3.256", "00.0.0.0", "9.9.9.9",
	};
	static const char seps[] = "......:x ";
	unsigned seed = 7, agree_ok = 0;
	for (size_t i = 0; i < sizeof(fixed) / sizeof(*fixed) + 200000; i++) {
		char s[64];
		if (i < sizeof(fixed) / sizeof(*fixed)) {
			snprintf(s, sizeof(s), "%s", fixed[i]);
		} else {
			/* 3 to 5 parts of 0..299, sometimes zero-padded, mostly
			 * joined by dots */
			size_t o = 0;
			seed = seed * 1103515245u + 12345u;
			unsigned parts = 3 + (seed >> 16) % 3;
			for (unsigned j = 0; j < parts; j++) {
				seed = seed * 1103515245u + 12345u;
				unsigned v = (seed >> 8) % 300, pad = (seed >> 4) % 8 == 0;
				if (j > 0)
					s[o++] = seps[(seed >> 20) % (sizeof(seps) - 1)];
				o += (size_t)snprintf(s + o, sizeof(s) - o, pad ? "0%u" : "%u", v);
			}
		}
		uint8_t want[16] = {0};
		int ok = inet_pton(AF_INET, s, want) == 1;
		/* both dotted-quad paths: SSSE3 (where the CPU has it) and the loop */
		for (int portable = 0; portable < 2; portable++) {
			bt_addr a;
			int r = portable ? bt_addr_parse_portable(s, &a) : bt_addr_parse(s, &a);
			if (ok) {
				agree_ok++;
				if (r != 0 || a.family != AF_INET || memcmp(a.bytes, want, 4) != 0)
					fail_msg("'%s': inet_pton accepts it, bt_addr_parse%s differs", s,
						 portable ? "_portable" : "");
			} else if (r == 0 && a.family == AF_INET) {
				fail_msg("'%s': inet_pton refuses it, bt_addr_parse%s accepts it", s,
					 portable ? "_portable" : "");
			}
		}
	}
	assert_true(agree_ok > 100); /* the draw does reach valid addresses */
}

/* bt_addr_parse_n reads a span inside a longer text (a field of a line,
 * the closing quote after it): it gives what bt_addr_parse gives of the
 * span alone, whatever follows, and refuses a span holding a NUL. */
static void test_parse_n_matches_parse(void **state)
{
	(void)state;
	static const char *const spans[] = {
		"198.51.100.7", "0.0.0.0", "255.255.255.255", "1.2.3.04", "1.2.3", "256.1.1.1",
		"2001:db8::1", "::", "::ffff:198.18.0.1", "2001:db8::g", "", "1.2.3.4x", "x",
		"203.0.113.255", "2001:0db8:0000:0000:0000:0000:0000:0001",
	};
	static const char *const after[] = { "\"", "9", ".5\"", ":1", "" };
	for (size_t i = 0; i < sizeof(spans) / sizeof(*spans); i++)
		for (size_t j = 0; j < sizeof(after) / sizeof(*after); j++) {
			char text[128];
			size_t n = strlen(spans[i]);
			snprintf(text, sizeof(text), "%s%s", spans[i], after[j]);
			bt_addr a, b;
			int want = bt_addr_parse(spans[i], &a), got = bt_addr_parse_n(text, n, &b);
			if (want != got || (want == 0 && memcmp(&a, &b, sizeof(a)) != 0))
				fail_msg("'%s' followed by '%s': %d, bt_addr_parse %d", spans[i], after[j], got,
					 want);
		}
	bt_addr a;
	assert_int_equal(bt_addr_parse_n("1.2.3.4\0.5", 9, &a), -1);
	assert_int_equal(bt_addr_parse_n("198.18.0.1", 10, &a), 0);
	assert_int_equal(a.family, AF_INET);
}

/* Same for IPv6: strings of hex digits, colons and an occasional dot or
 * junk character, in short groups so that valid addresses come up. */
static void test_parse_v6_matches_inet_pton(void **state)
{
	(void)state;
	static const char *const fixed[] = {
		"::", "::1", "1::", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8",
		"1:2:3:4::5:6:7:8", "1:2:3:4:5:6:7:8:9", ":1::2", "1::2:", ":::", "1:::2",
		"12345::", "abcd:EF01::", "::ffff:1.2.3.4", "1::2::3", "1:2:3:4:5:6:7", ":",
		"0:0:0:0:0:0:0:0", "fffff::", "g::", "::0000",
	};
	static const char pieces[][6] = {"0", "1", "ab", "FFFF", "12345", "0db8", "f", "",
					 "1.2", "x", "abcd"};
	static const char seps[][4] = {":", ":", ":", "::", ".", ":::"};
	unsigned seed = 11, ok_count = 0;
	for (size_t i = 0; i < sizeof(fixed) / sizeof(*fixed) + 200000; i++) {
		char s[96];
		if (i < sizeof(fixed) / sizeof(*fixed)) {
			snprintf(s, sizeof(s), "%s", fixed[i]);
		} else {
			size_t o = 0;
			seed = seed * 1103515245u + 12345u;
			unsigned parts = 1 + (seed >> 16) % 9;
			for (unsigned j = 0; j < parts; j++) {
				seed = seed * 1103515245u + 12345u;
				const char *sep = seps[(seed >> 8) % (sizeof(seps) / sizeof(*seps))];
				const char *pc = pieces[(seed >> 20) % (sizeof(pieces) / sizeof(*pieces))];
				o += (size_t)snprintf(s + o, sizeof(s) - o, "%s%s", j ? sep : "", pc);
			}
		}
		uint8_t want[16] = {0};
		int ok = inet_pton(AF_INET6, s, want) == 1;
		bt_addr a;
		int r = bt_addr_parse(s, &a);
		if (ok) {
			ok_count++;
			if (r != 0 || a.family != AF_INET6 || memcmp(a.bytes, want, 16) != 0)
				fail_msg("'%s': inet_pton accepts it, bt_addr_parse differs", s);
		} else if (r == 0 && a.family == AF_INET6) {
			fail_msg("'%s': inet_pton refuses it, bt_addr_parse accepts it", s);
		}
	}
	assert_true(ok_count > 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_v4),
		cmocka_unit_test(test_parse_v4_matches_inet_pton),
		cmocka_unit_test(test_parse_n_matches_parse),
		cmocka_unit_test(test_parse_v6_matches_inet_pton),
		cmocka_unit_test(test_parse_v6),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_compare),
		cmocka_unit_test(test_prefix),
		cmocka_unit_test(test_prefix_host_bits),
		cmocka_unit_test(test_prefix_bad),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
