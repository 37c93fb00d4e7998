/* bordertrace tests (data only: the addresses here, real public ones among
 * them, are database lookup data; nothing here sends a packet) — MMDB
 * lookups through the networks loaded at open
 * (analysis/mmdb.c) against libmaxminddb's own tree walk
 * (BT_MMDB_TREE_LOOKUPS), over every test database: the found flag, the
 * block length, the record and, for malformed records, the error message
 * must be the same for addresses at and around every network of the
 * tables, IPv4 written in its IPv6 forms (::a.b.c.d, ::ffff:a.b.c.d,
 * 2002:aabb:ccdd::, the places an IPv6 tree aliases its IPv4 part), and
 * random addresses. The addresses (real public ones among them, e.g.
 * 175.45.176.0, 8.8.8.0, 2001:4860::) are database lookup data only:
 * nothing here opens a socket or sends a packet. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "bordertrace/mmdb.h"
#include "bordertrace/resolver.h"

static char dbdir[512], datadir[512];

static void db_path(const char *layout, char *buf, size_t len)
{
	snprintf(buf, len, "%s/test-%s.mmdb", dbdir, layout);
}

static bt_mmdb *open_db(const char *layout, unsigned flags)
{
	char path[700], err[1024];
	bt_mmdb *m = NULL;
	db_path(layout, path, sizeof(path));
	if (bt_mmdb_open_flags(path, BT_MMDB_AUTO, flags, &m, err, sizeof(err)) != 0)
		fail_msg("open %s: %s", path, err);
	return m;
}

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static unsigned compared;

static void same_answer(bt_mmdb *flat, bt_mmdb *tree, const bt_addr *a, const char *db)
{
	const bt_mmdb_record *rf = NULL, *rt = NULL;
	unsigned bf = 999, btr = 999;
	char ef[512] = "", et[512] = "", buf[BT_ADDR_STRLEN];
	int xf = bt_mmdb_lookup(flat, a, &rf, &bf, ef, sizeof(ef));
	int xt = bt_mmdb_lookup(tree, a, &rt, &btr, et, sizeof(et));
	bt_addr_format(a, buf, sizeof(buf));
	if (xf != xt)
		fail_msg("%s %s: flattened says %d, tree %d (%s / %s)", db, buf, xf, xt, ef, et);
	if (xf < 0 && strcmp(ef, et) != 0)
		fail_msg("%s %s: errors differ: '%s' vs '%s'", db, buf, ef, et);
	if (xf >= 0 && bf != btr)
		fail_msg("%s %s: block /%u, tree /%u", db, buf, bf, btr);
	if (xf == 1 && (rf->asn != rt->asn || !same_str(rf->org, rt->org) ||
			strcmp(rf->country, rt->country) != 0 ||
			strcmp(rf->reg_country, rt->reg_country) != 0))
		fail_msg("%s %s: records differ (AS%u vs AS%u)", db, buf, rf->asn, rt->asn);
	compared++;
}

static void v4_of(uint32_t x, bt_addr *a)
{
	bt_addr_from_v4(a, htonl(x));
}

/* x as ::a.b.c.d (form 0), ::ffff:a.b.c.d (1) or 2002:aabb:ccdd::/48 with
 * host bits r (2). */
static void v6_form(uint32_t x, int form, uint64_t r, bt_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = AF_INET6;
	uint8_t b[4] = {(uint8_t)(x >> 24), (uint8_t)(x >> 16), (uint8_t)(x >> 8), (uint8_t)x};
	if (form == 2) {
		a->bytes[0] = 0x20;
		a->bytes[1] = 0x02;
		memcpy(a->bytes + 2, b, 4);
		for (int i = 6; i < 16; i++)
			a->bytes[i] = (uint8_t)(r >> (8 * (i % 8)));
		return;
	}
	if (form == 1)
		a->bytes[10] = a->bytes[11] = 0xff;
	memcpy(a->bytes + 12, b, 4);
}

static void probe_v4(bt_mmdb *flat, bt_mmdb *tree, uint32_t x, const char *db)
{
	bt_addr a;
	v4_of(x, &a);
	same_answer(flat, tree, &a, db);
	for (int form = 0; form < 3; form++) {
		v6_form(x, form, (uint64_t)x * 0x9e3779b97f4a7c15ULL, &a);
		same_answer(flat, tree, &a, db);
	}
}

static void probe_v6(bt_mmdb *flat, bt_mmdb *tree, const uint8_t bytes[16], const char *db)
{
	bt_addr a;
	memset(&a, 0, sizeof(a));
	a.family = AF_INET6;
	memcpy(a.bytes, bytes, 16);
	same_answer(flat, tree, &a, db);
}

/* Addresses at, inside and just outside every network of a table. */
static void probe_table(bt_mmdb *flat, bt_mmdb *tree, const char *table, const char *db)
{
	char path[700], line[256];
	snprintf(path, sizeof(path), "%s/%s", datadir, table);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		char *bar = strchr(line, '|');
		assert_non_null(bar);
		while (bar > line && (bar[-1] == ' ' || bar[-1] == '\t'))
			bar--;
		*bar = '\0';
		bt_addr p;
		unsigned len;
		assert_int_equal(bt_prefix_parse(line, true, &p, &len, NULL), 0);
		if (p.family == AF_INET) {
			uint32_t net = ntohl(bt_addr_v4(&p));
			uint32_t host = len == 32 ? 0 : ~0u >> len;
			uint32_t pts[] = {net, net | host, net - 1, (net | host) + 1,
					  net | (host & 0x5a5a5a5au), net | (host >> 1),
					  (net | (host >> 1)) + 1};
			for (size_t i = 0; i < sizeof(pts) / sizeof(*pts); i++)
				probe_v4(flat, tree, pts[i], db);
		} else {
			uint8_t first[16], last[16];
			memcpy(first, p.bytes, 16);
			memcpy(last, p.bytes, 16);
			for (unsigned bit = len; bit < 128; bit++)
				last[bit / 8] |= (uint8_t)(0x80u >> (bit % 8));
			probe_v6(flat, tree, first, db);
			probe_v6(flat, tree, last, db);
			/* one below first and one above last */
			uint8_t x[16];
			memcpy(x, first, 16);
			for (int i = 15; i >= 0 && x[i]-- == 0; i--)
				;
			probe_v6(flat, tree, x, db);
			memcpy(x, last, 16);
			for (int i = 15; i >= 0 && ++x[i] == 0; i--)
				;
			probe_v6(flat, tree, x, db);
		}
	}
	fclose(f);
}

static void probe_random(bt_mmdb *flat, bt_mmdb *tree, const char *db)
{
	static const uint8_t bases[][4] = {
		{0x00, 0x00, 0x00, 0x00}, {0x20, 0x02, 0x00, 0x00}, {0x20, 0x01, 0x0d, 0xb8},
		{0x20, 0x01, 0x0d, 0xb9}, {0x2a, 0x01, 0x04, 0xf8}, {0x2a, 0x00, 0x00, 0x00},
		{0x20, 0x01, 0x48, 0x60}, {0xff, 0xff, 0xff, 0xff},
	};
	uint64_t s = 0x243f6a8885a308d3ULL;
	for (int i = 0; i < 20000; i++) {
		s = s * 6364136223846793005ULL + 1442695040888963407ULL;
		uint32_t x = (uint32_t)(s >> 32);
		/* half anywhere, half near the tables' networks */
		static const uint32_t near[] = {0xc6336400u, 0xcb007100u, 0xc6120000u, 0x64000000u,
						0x01000000u, 0xaf2db000u, 0xdb9e6000u, 0x08080800u};
		if (i % 2)
			x = near[(s >> 8) % 8] ^ (x & (0xffffffffu >> (8 + (s >> 3) % 24)));
		probe_v4(flat, tree, x, db);
		uint8_t b[16];
		memcpy(b, bases[(s >> 16) % 8], 4);
		for (int k = 4; k < 16; k++) {
			s = s * 6364136223846793005ULL + 1442695040888963407ULL;
			b[k] = (uint8_t)(s >> 56);
		}
		/* often keep the next bytes zero, to stay in ::/96 and the like */
		if (i % 3 == 0)
			memset(b + 4, 0, 8);
		probe_v6(flat, tree, b, db);
	}
}

static void test_flattened_as_tree(void **state)
{
	(void)state;
	static const char *const layouts[] = {
		"geolite2-asn",    "geolite2-asn-v4", "geolite2-asn-aliased", "geolite2-country",
		"geolite2-city",   "ip-location-db",  "ipinfo",               "ipinfo-lite",
		"combined",        "asn-as-string",   "bad-asn",              "bad-country",
		"shared",          "shared-aliased",  "shared-v4",
	};
	for (size_t i = 0; i < sizeof(layouts) / sizeof(*layouts); i++) {
		bt_mmdb *flat = open_db(layouts[i], 0);
		bt_mmdb *tree = open_db(layouts[i], BT_MMDB_TREE_LOOKUPS);
		if (!bt_mmdb_flattened(flat))
			fail_msg("%s: not flattened", layouts[i]);
		assert_false(bt_mmdb_flattened(tree));
		assert_true(bt_mmdb_network_count(flat) > 0);
		assert_int_equal(bt_mmdb_network_count(tree), 0);
		probe_table(flat, tree, "truth.txt", layouts[i]);
		probe_table(flat, tree, "shared.txt", layouts[i]);
		probe_random(flat, tree, layouts[i]);
		bt_mmdb_close(flat);
		bt_mmdb_close(tree);
	}
	assert_true(compared > 500000);
}

static uint32_t look(bt_mmdb *m, const char *s, unsigned *block)
{
	bt_addr a;
	const bt_mmdb_record *r = NULL;
	char err[256];
	assert_int_equal(bt_addr_parse(s, &a), 0);
	int x = bt_mmdb_lookup(m, &a, &r, block, err, sizeof(err));
	assert_true(x >= 0);
	return x ? r->asn : 0;
}

/* The shared table's networks keep the boundaries the tree gives them
 * although they share records (the Perl writer joins sibling networks with
 * equal records, so the two /25s are one /24 and the /9 disappears in its
 * /8, while 1.0.0.0/31 and 1.0.0.2/32 stay apart), and IPv4 answers the
 * same in every IPv6 form. */
static void test_shared_records(void **state)
{
	(void)state;
	static const char *const layouts[] = {"shared", "shared-aliased", "shared-v4"};
	for (size_t i = 0; i < 3; i++) {
		bt_mmdb *m = open_db(layouts[i], 0);
		bool v6 = i < 2, aliased = i == 1;
		unsigned b;
		assert_int_equal(look(m, "198.51.100.1", &b), 64500);
		assert_int_equal(b, 24);
		assert_int_equal(look(m, "198.51.100.200", &b), 64500);
		assert_int_equal(b, 24);
		assert_int_equal(look(m, "203.0.113.65", &b), 64502);
		assert_int_equal(b, 32);
		assert_int_equal(look(m, "203.0.113.66", &b), 64501);
		assert_int_equal(b, 31);
		assert_int_equal(look(m, "203.0.113.1", &b), 64500);
		assert_int_equal(b, 26);
		assert_int_equal(look(m, "100.200.0.1", &b), 64504);
		assert_int_equal(b, 8);
		assert_int_equal(look(m, "1.0.0.2", &b), 64505);
		assert_int_equal(b, 32);
		assert_int_equal(look(m, "1.0.0.1", &b), 64505);
		assert_int_equal(b, 31);
		assert_int_equal(look(m, "1.0.0.3", &b), 0);
		assert_int_equal(b, 32);
		assert_int_equal(look(m, "9.9.9.9", &b), 0);
		if (v6) {
			assert_int_equal(look(m, "2001:db8:1::1", &b), 64507);
			assert_int_equal(b, 128);
			assert_int_equal(look(m, "2001:db8:1::2", &b), 64506);
			assert_int_equal(b, 127);
			assert_int_equal(look(m, "2001:db9:ffff::1", &b), 64500);
			assert_int_equal(b, 32);
			assert_int_equal(look(m, "2a0f:ffff::1", &b), 64508);
			assert_int_equal(b, 12);
			/* IPv4 in the IPv6 tree: ::/96 always, the aliases only
			 * when the writer made them */
			assert_int_equal(look(m, "::203.0.113.65", &b), 64502);
			assert_int_equal(b, 128);
			assert_int_equal(look(m, "::ffff:203.0.113.65", &b), aliased ? 64502 : 0);
			if (aliased)
				assert_int_equal(b, 128);
			assert_int_equal(look(m, "2002:cb00:7141::1", &b), aliased ? 64502 : 0);
			if (aliased)
				assert_int_equal(b, 48);
		} else {
			assert_int_equal(look(m, "2001:db8:1::1", &b), 0);
			assert_int_equal(b, 0);
		}
		bt_mmdb_close(m);
	}
}

/* The resolver answers the same whichever way its MMDBs are read. */
static void test_resolver_same(void **state)
{
	(void)state;
	char asn[700], cc[700];
	db_path("geolite2-asn-aliased", asn, sizeof(asn));
	db_path("geolite2-country", cc, sizeof(cc));
	bt_resolver_config c;
	bt_resolver_config_init(&c);
	c.asn_db = asn;
	c.country_db = cc;
	bt_resolver *flat = NULL, *tree = NULL;
	char err[512];
	assert_int_equal(bt_resolver_open(&c, &flat, err, sizeof(err)), 0);
	c.mmdb_tree_lookups = true;
	assert_int_equal(bt_resolver_open(&c, &tree, err, sizeof(err)), 0);
	assert_true(bt_mmdb_flattened(bt_resolver_asn_db(flat)));
	assert_false(bt_mmdb_flattened(bt_resolver_asn_db(tree)));
	static const char *const bases[] = {"175.45.176.0", "219.158.96.0", "188.43.0.0",
					    "8.8.8.0",      "2a01:4f8::",   "2001:4860::",
					    "64:ff9b::808:800", "::ffff:8.8.8.0", "2002:808:800::"};
	uint64_t s = 99;
	for (int i = 0; i < 50000; i++) {
		bt_addr a;
		s = s * 6364136223846793005ULL + 1442695040888963407ULL;
		bt_addr_parse(bases[(s >> 33) % (sizeof(bases) / sizeof(*bases))], &a);
		int nb = a.family == AF_INET ? 4 : 16;
		a.bytes[nb - 1] = (uint8_t)(s >> 8);
		a.bytes[nb - 2] ^= (uint8_t)((s >> 16) % 8);
		if ((s >> 24) % 8 == 0)
			a.bytes[nb - 3] ^= (uint8_t)((s >> 28) % 4);
		bt_resolution x, y;
		assert_int_equal(bt_resolver_lookup(flat, &a, &x, err, sizeof(err)), 0);
		assert_int_equal(bt_resolver_lookup(tree, &a, &y, err, sizeof(err)), 0);
		char buf[BT_ADDR_STRLEN];
		if (x.cls != y.cls || x.source != y.source || x.asn != y.asn ||
		    !same_str(x.org, y.org) || strcmp(x.country, y.country) != 0 ||
		    strcmp(x.reg_country, y.reg_country) != 0 || x.prefix_len != y.prefix_len ||
		    !bt_addr_eq(&x.prefix, &y.prefix))
			fail_msg("resolver answers differ for %s", bt_addr_format(&a, buf, sizeof(buf)));
	}
	bt_resolver_close(flat);
	bt_resolver_close(tree);
}

int main(void)
{
	const char *d = getenv("BT_TEST_DB_DIR"), *t = getenv("BT_TEST_DATA_DIR");
	if (d == NULL || t == NULL) {
		fprintf(stderr, "BT_TEST_DB_DIR and BT_TEST_DATA_DIR must be set (meson test)\n");
		return 1;
	}
	snprintf(dbdir, sizeof(dbdir), "%s", d);
	snprintf(datadir, sizeof(datadir), "%s", t);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flattened_as_tree),
		cmocka_unit_test(test_shared_records),
		cmocka_unit_test(test_resolver_same),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
