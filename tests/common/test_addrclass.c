/* bordertrace tests — address classes (common/addrclass.c): every class
 * of the IANA registries, the globally reachable exceptions, IPv4-mapped
 * addresses, and that the reported span really has one class throughout.
 * The addresses are data for a pure classifier: nothing here sends a packet. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bordertrace/addrclass.h"

static bt_addrclass cls(const char *s)
{
	bt_addr a;
	assert_int_equal(bt_addr_parse(s, &a), 0);
	return bt_addrclass_of(&a, NULL, NULL, NULL);
}

static void check(const char *addr, const char *name)
{
	bt_addrclass c = cls(addr);
	if (strcmp(bt_addrclass_name(c), name) != 0)
		fail_msg("%s: class %s, expected %s", addr, bt_addrclass_name(c), name);
}

static void test_ipv4_classes(void **state)
{
	(void)state;
	check("8.8.8.8", "public");
	check("10.1.2.3", "private");
	check("172.16.0.1", "private");
	check("172.31.255.255", "private");
	check("172.32.0.0", "public");
	check("192.168.1.1", "private");
	check("100.64.0.1", "cgnat");
	check("100.127.255.255", "cgnat");
	check("100.128.0.0", "public");
	check("127.0.0.1", "loopback");
	check("169.254.1.1", "link-local");
	check("0.0.0.0", "unspecified");
	check("0.1.2.3", "this-network");
	check("192.0.0.1", "ietf-protocol");
	check("192.0.0.8", "dummy");
	check("192.0.0.9", "public");  /* PCP anycast: globally reachable */
	check("192.0.0.10", "public"); /* TURN anycast */
	check("192.0.2.1", "documentation");
	check("198.51.100.7", "documentation");
	check("203.0.113.255", "documentation");
	check("198.18.0.1", "benchmarking");
	check("198.19.255.255", "benchmarking");
	check("198.20.0.0", "public");
	check("224.0.0.1", "multicast");
	check("239.255.255.255", "multicast");
	check("240.0.0.1", "reserved");
	check("255.255.255.254", "reserved");
	check("255.255.255.255", "broadcast");
	check("192.31.196.1", "public");  /* AS112 */
	check("192.175.48.1", "public");
}

static void test_ipv6_classes(void **state)
{
	(void)state;
	check("2a01:4f8::1", "public");
	check("::", "unspecified");
	check("::1", "loopback");
	check("::2", "reserved");
	check("fe80::1", "link-local");
	check("fec0::1", "site-local");
	check("fc00::1", "ula");
	check("fd12:3456::1", "ula");
	check("ff02::1", "multicast");
	check("2001:db8::1", "documentation");
	check("3fff::1", "documentation");
	check("2001:2::1", "benchmarking");
	check("2001::1", "teredo");
	check("2002:808:808::1", "6to4");
	check("64:ff9b::8.8.8.8", "nat64");
	check("64:ff9b:1::1", "nat64-local");
	check("100::1", "discard");
	check("100:0:0:1::1", "dummy");
	check("5f00::1", "srv6");
	check("2001:10::1", "ietf-protocol");
	check("2001:1::1", "public");      /* PCP anycast */
	check("2001:3::1", "public");      /* AMT */
	check("2001:4:112::1", "public");  /* AS112-v6 */
	check("2001:20::1", "public");     /* ORCHIDv2 */
	check("4000::1", "reserved");
	check("::ffff:10.0.0.1", "private"); /* IPv4-mapped: the IPv4 class */
	check("::ffff:8.8.8.8", "public");
}

static void test_flags_and_names(void **state)
{
	(void)state;
	assert_true(bt_addrclass_looked_up(BT_CLASS_PUBLIC));
	assert_true(bt_addrclass_looked_up(BT_CLASS_NAT64));
	assert_true(bt_addrclass_looked_up(BT_CLASS_6TO4));
	assert_false(bt_addrclass_looked_up(BT_CLASS_PRIVATE));
	assert_false(bt_addrclass_looked_up(BT_CLASS_BENCHMARKING));
	assert_true(bt_addrclass_is_test_range(BT_CLASS_BENCHMARKING));
	assert_true(bt_addrclass_is_test_range(BT_CLASS_DOCUMENTATION));
	assert_false(bt_addrclass_is_test_range(BT_CLASS_PRIVATE));
	for (int i = 0; i < BT_CLASS_COUNT; i++) {
		bt_addrclass back;
		assert_true(bt_addrclass_from_name(bt_addrclass_name((bt_addrclass)i), &back));
		assert_int_equal(back, i);
	}
	assert_false(bt_addrclass_from_name("nonsense", &(bt_addrclass){0}));
	bt_addr none;
	memset(&none, 0, sizeof(none));
	assert_int_equal(bt_addrclass_of(&none, NULL, NULL, NULL), BT_CLASS_NONE);
}

static void test_prefix_reported(void **state)
{
	(void)state;
	bt_addr a, p;
	unsigned len, span;
	char buf[BT_ADDR_STRLEN];
	bt_addr_parse("100.100.1.1", &a);
	assert_int_equal(bt_addrclass_of(&a, &p, &len, &span), BT_CLASS_CGNAT);
	assert_string_equal(bt_addr_format(&p, buf, sizeof(buf)), "100.64.0.0");
	assert_int_equal(len, 10);
	assert_int_equal(span, 10);
	/* 192.0.0.7 is in 192.0.0.0/24 but its block must avoid 192.0.0.8/32. */
	bt_addr_parse("192.0.0.7", &a);
	assert_int_equal(bt_addrclass_of(&a, &p, &len, &span), BT_CLASS_IETF_PROTOCOL);
	assert_int_equal(len, 24);
	assert_int_equal(span, 29);
	bt_addr_parse("8.8.8.8", &a);
	bt_addrclass_of(&a, &p, &len, &span);
	assert_int_equal(len, 0);
	assert_int_equal(span, 7); /* 8.0.0.0/7: 8.0.0.0/5 would hold 10/8 */
}

/* Flip host bits below the span: the class must not change. */
static void test_span_is_uniform(void **state)
{
	(void)state;
	srand(7);
	for (int i = 0; i < 200000; i++) {
		bt_addr a;
		memset(&a, 0, sizeof(a));
		bool v6 = i % 2;
		a.family = v6 ? 10 /* AF_INET6 */ : 2 /* AF_INET */;
		unsigned width = v6 ? 128 : 32;
		for (unsigned b = 0; b < width / 8; b++)
			a.bytes[b] = (uint8_t)rand();
		if (v6 && i % 4 == 1) /* aim at the interesting low space too */
			memset(a.bytes, 0, 4);
		unsigned span;
		bt_addrclass c = bt_addrclass_of(&a, NULL, NULL, &span);
		bt_addr b2 = a;
		for (unsigned bit = span; bit < width; bit++)
			if (rand() & 1)
				b2.bytes[bit / 8] ^= (uint8_t)(0x80u >> (bit % 8));
		if (v6 && memcmp(b2.bytes, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0)
			continue; /* mapped addresses take the IPv4 class */
		assert_int_equal(bt_addrclass_of(&b2, NULL, NULL, NULL), c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_classes),
		cmocka_unit_test(test_ipv6_classes),
		cmocka_unit_test(test_flags_and_names),
		cmocka_unit_test(test_prefix_reported),
		cmocka_unit_test(test_span_is_uniform),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
