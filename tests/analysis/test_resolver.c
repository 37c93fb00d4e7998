/* bordertrace tests — the resolver (analysis/resolver.c, analysis/mmdb.c)
 * over MMDBs built at test time from data/truth.txt by mkmmdb.pl, one per
 * layout (BT_TEST_DB_DIR), and the text tables in BT_TEST_DATA_DIR.
 * The addresses (real public ones among them) are lookup data only: nothing
 * here opens a socket or sends a packet. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "bordertrace/resolver.h"

static char dbdir[512], datadir[512];

static const char *db(const char *layout)
{
	static char paths[8][700];
	static int next;
	char *p = paths[next++ % 8];
	snprintf(p, sizeof(paths[0]), "%s/test-%s.mmdb", dbdir, layout);
	return p;
}

static const char *data(const char *name)
{
	static char paths[8][700];
	static int next;
	char *p = paths[next++ % 8];
	snprintf(p, sizeof(paths[0]), "%s/%s", datadir, name);
	return p;
}

static bt_resolver *open_cfg(const bt_resolver_config *c)
{
	bt_resolver *r = NULL;
	char err[1024];
	if (bt_resolver_open(c, &r, err, sizeof(err)) != 0)
		fail_msg("open: %s", err);
	return r;
}

static bt_resolver *open_dbs(const char *asn_db, const char *country_db)
{
	bt_resolver_config c;
	bt_resolver_config_init(&c);
	c.asn_db = asn_db;
	c.country_db = country_db;
	return open_cfg(&c);
}

static bt_resolution res(bt_resolver *r, const char *addr)
{
	bt_addr a;
	bt_resolution o;
	char err[1024];
	assert_int_equal(bt_addr_parse(addr, &a), 0);
	if (bt_resolver_lookup(r, &a, &o, err, sizeof(err)) != 0)
		fail_msg("lookup %s: %s", addr, err);
	return o;
}

static void expect(bt_resolver *r, const char *addr, const char *cls, uint32_t asn,
		   const char *org, const char *cc, const char *rcc, bt_source src)
{
	bt_resolution o = res(r, addr);
	if (strcmp(bt_addrclass_name(o.cls), cls) != 0)
		fail_msg("%s: class %s, expected %s", addr, bt_addrclass_name(o.cls), cls);
	if (o.asn != asn)
		fail_msg("%s: asn %u, expected %u", addr, o.asn, asn);
	if (org == NULL ? o.org != NULL : (o.org == NULL || strcmp(o.org, org) != 0))
		fail_msg("%s: org '%s', expected '%s'", addr, o.org ? o.org : "(null)",
			 org ? org : "(null)");
	if (strcmp(o.country, cc) != 0 || strcmp(o.reg_country, rcc) != 0)
		fail_msg("%s: country %s/%s, expected %s/%s", addr, o.country, o.reg_country, cc,
			 rcc);
	if (o.source != src)
		fail_msg("%s: source %s, expected %s", addr, bt_source_name(o.source),
			 bt_source_name(src));
}

static void test_geolite2(void **state)
{
	(void)state;
	bt_resolver *r = open_dbs(db("geolite2-asn"), db("geolite2-country"));
	assert_string_equal(bt_mmdb_describe(bt_resolver_asn_db(r)), "geolite2-asn");
	assert_string_equal(bt_mmdb_describe(bt_resolver_country_db(r)), "geolite2-country");
	expect(r, "175.45.176.1", "public", 131279, "Ryugyong-dong", "KP", "KP", BT_SOURCE_ASN_DB);
	expect(r, "219.158.1.1", "public", 4837, "CHINA UNICOM China169 Backbone", "CN", "CN",
	       BT_SOURCE_ASN_DB);
	expect(r, "219.158.96.7", "public", 4808, "China Unicom Beijing", "CN", "CN",
	       BT_SOURCE_ASN_DB);
	/* country and registered country differ, and both are reported */
	expect(r, "188.43.9.9", "public", 20485, "JSC \"TransTeleCom\", Moscow", "RU", "DE",
	       BT_SOURCE_ASN_DB);
	expect(r, "1.0.0.1", "public", 13335, NULL, "AU", "US", BT_SOURCE_ASN_DB);
	/* a record without ASN; an address with no record at all */
	expect(r, "5.5.5.5", "public", 0, NULL, "SE", "SE", BT_SOURCE_NONE);
	expect(r, "9.9.9.9", "public", 0, NULL, "", "", BT_SOURCE_NONE);
	expect(r, "2a01:4f8:1::1", "public", 24940, "Hetzner Online GmbH", "DE", "DE",
	       BT_SOURCE_ASN_DB);
	expect(r, "2001:4860::8888", "public", 15169, "Google LLC", "US", "US", BT_SOURCE_ASN_DB);
	expect(r, "2600::1", "public", 0, NULL, "", "", BT_SOURCE_NONE);
	/* special classes are never looked up, even where the DB has data */
	expect(r, "198.18.1.5", "benchmarking", 0, NULL, "", "", BT_SOURCE_CLASS);
	expect(r, "2001:db8::5", "documentation", 0, NULL, "", "", BT_SOURCE_CLASS);
	expect(r, "10.0.0.1", "private", 0, NULL, "", "", BT_SOURCE_CLASS);
	expect(r, "100.64.3.3", "cgnat", 0, NULL, "", "", BT_SOURCE_CLASS);
	/* IPv4-mapped and NAT64 resolve through the IPv4 address */
	expect(r, "::ffff:8.8.8.8", "public", 15169, "Google LLC", "US", "US", BT_SOURCE_ASN_DB);
	expect(r, "64:ff9b::808:808", "nat64", 15169, "Google LLC", "US", "US", BT_SOURCE_ASN_DB);
	bt_resolution o = res(r, "175.45.176.1");
	char buf[BT_ADDR_STRLEN];
	assert_string_equal(bt_addr_format(&o.prefix, buf, sizeof(buf)), "175.45.176.0");
	assert_int_equal(o.prefix_len, 22);
	assert_int_equal(o.n_origins, 1);
	assert_int_equal(o.origins[0], 131279);
	o = res(r, "64:ff9b::808:808");
	assert_string_equal(bt_addr_format(&o.prefix, buf, sizeof(buf)), "8.8.8.0");
	assert_int_equal(o.prefix_len, 24);
	bt_resolver_close(r);
}

static void test_other_layouts(void **state)
{
	(void)state;
	bt_resolver *r = open_dbs(db("ipinfo"), NULL);
	assert_string_equal(bt_mmdb_describe(bt_resolver_asn_db(r)), "ipinfo");
	expect(r, "175.45.176.1", "public", 131279, "Ryugyong-dong", "KP", "", BT_SOURCE_ASN_DB);
	expect(r, "5.5.5.5", "public", 0, NULL, "SE", "", BT_SOURCE_NONE);
	bt_resolver_close(r);

	r = open_dbs(db("ipinfo-lite"), NULL);
	assert_string_equal(bt_mmdb_describe(bt_resolver_asn_db(r)), "ipinfo");
	/* country_code is taken, not the full-name "country" */
	expect(r, "188.43.9.9", "public", 20485, "JSC \"TransTeleCom\", Moscow", "RU", "",
	       BT_SOURCE_ASN_DB);
	bt_resolver_close(r);

	/* IPinfo given as the country DB still supplies ASNs, and says so */
	r = open_dbs(NULL, db("ipinfo"));
	expect(r, "8.8.8.8", "public", 15169, "Google LLC", "US", "", BT_SOURCE_COUNTRY_DB);
	bt_resolver_close(r);

	r = open_dbs(NULL, db("ip-location-db"));
	assert_string_equal(bt_mmdb_describe(bt_resolver_country_db(r)), "ip-location-db");
	expect(r, "175.45.176.1", "public", 0, NULL, "KP", "", BT_SOURCE_NONE);
	bt_resolver_close(r);

	r = open_dbs(db("geolite2-asn"), db("geolite2-city"));
	assert_string_equal(bt_mmdb_describe(bt_resolver_country_db(r)), "geolite2-country");
	expect(r, "188.43.9.9", "public", 20485, "JSC \"TransTeleCom\", Moscow", "RU", "DE",
	       BT_SOURCE_ASN_DB);
	bt_resolver_close(r);

	r = open_dbs(db("combined"), NULL);
	assert_string_equal(bt_mmdb_describe(bt_resolver_asn_db(r)), "geolite2-country+asn");
	expect(r, "188.43.9.9", "public", 20485, "JSC \"TransTeleCom\", Moscow", "RU", "DE",
	       BT_SOURCE_ASN_DB);
	bt_resolver_close(r);

	/* forcing the layout a database already has is fine */
	bt_resolver_config c;
	bt_resolver_config_init(&c);
	c.asn_db = db("ipinfo");
	c.asn_layout = BT_MMDB_IPINFO;
	r = open_cfg(&c);
	expect(r, "8.8.8.8", "public", 15169, "Google LLC", "US", "", BT_SOURCE_ASN_DB);
	bt_resolver_close(r);
}

static void test_ipv4_tree(void **state)
{
	(void)state;
	/* IPv4-only database: IPv4 found, IPv6 simply unknown (no error) */
	bt_resolver *r = open_dbs(db("geolite2-asn-v4"), NULL);
	expect(r, "175.45.176.1", "public", 131279, "Ryugyong-dong", "", "", BT_SOURCE_ASN_DB);
	expect(r, "2a01:4f8:1::1", "public", 0, NULL, "", "", BT_SOURCE_NONE);
	bt_resolver_close(r);
	/* aliased IPv6 tree: 6to4 2002:0808:0808:: is 8.8.8.8 */
	r = open_dbs(db("geolite2-asn-aliased"), NULL);
	expect(r, "2002:808:808::1", "6to4", 15169, "Google LLC", "", "", BT_SOURCE_ASN_DB);
	expect(r, "8.8.8.8", "public", 15169, "Google LLC", "", "", BT_SOURCE_ASN_DB);
	bt_resolver_close(r);
}

static void test_test_ranges_switch(void **state)
{
	(void)state;
	bt_resolver_config c;
	bt_resolver_config_init(&c);
	c.asn_db = db("geolite2-asn");
	c.country_db = db("geolite2-country");
	c.lookup_test_ranges = true;
	bt_resolver *r = open_cfg(&c);
	expect(r, "198.18.1.5", "benchmarking", 64502, "Lab AS two", "DE", "DE",
	       BT_SOURCE_ASN_DB);
	expect(r, "2001:db8::5", "documentation", 64501, "Lab AS one", "NL", "NL",
	       BT_SOURCE_ASN_DB);
	/* only the test ranges: private space is still not looked up */
	expect(r, "10.0.0.1", "private", 0, NULL, "", "", BT_SOURCE_CLASS);
	bt_resolver_close(r);
}

static void test_pfx2as_and_ixp(void **state)
{
	(void)state;
	const char *tables[] = {data("pfx2as.txt"), data("ranges.csv")};
	const char *ixps[] = {data("ixp.csv")};
	bt_resolver_config c;
	bt_resolver_config_init(&c);
	c.pfx2as = tables;
	c.n_pfx2as = 2;
	c.ixp = ixps;
	c.n_ixp = 1;
	c.asn_db = db("geolite2-asn");
	bt_resolver *r = open_cfg(&c);
	assert_int_equal(bt_resolver_pfx2as_count(r), 13);
	assert_int_equal(bt_resolver_ixp_count(r), 3);
	/* MMDB first by default; the prefix table fills what it lacks */
	expect(r, "175.45.176.1", "public", 131279, "Ryugyong-dong", "", "", BT_SOURCE_ASN_DB);
	expect(r, "9.9.9.9", "public", 19281, NULL, "", "", BT_SOURCE_PFX2AS);
	/* IXP LAN: labelled by the IXP, no AS, whatever BGP and the MMDB say */
	bt_resolution o = res(r, "195.69.145.1");
	assert_int_equal(o.source, BT_SOURCE_IXP);
	assert_string_equal(o.ixp, "AMS-IX");
	assert_int_equal(o.asn, 0);
	assert_int_equal(o.n_origins, 0);
	assert_int_equal(o.prefix_len, 22);
	o = res(r, "2001:7f8:1::a");
	assert_string_equal(o.ixp, "AMS-IX, Amsterdam");
	assert_int_equal(o.asn, 0);
	bt_resolver_close(r);

	c.prefer_pfx2as = true;
	r = open_cfg(&c);
	/* MOAS: every origin kept, the first listed is the primary */
	o = res(r, "175.45.176.1");
	assert_int_equal(o.source, BT_SOURCE_PFX2AS);
	assert_int_equal(o.asn, 4837);
	assert_int_equal(o.n_origins, 2);
	assert_int_equal(o.origins[0], 4837);
	assert_int_equal(o.origins[1], 20485);
	o = res(r, "175.45.178.200");
	assert_int_equal(o.n_origins, 3);
	o = res(r, "175.45.179.1");
	assert_int_equal(o.n_origins, 2);
	assert_int_equal(o.origins[1], 20485);
	/* where the table has nothing, the MMDB still answers */
	expect(r, "188.43.9.9", "public", 20485, "JSC \"TransTeleCom\", Moscow", "", "",
	       BT_SOURCE_PFX2AS);
	expect(r, "8.8.8.8", "public", 15169, "Google LLC", "", "", BT_SOURCE_ASN_DB);
	/* ASN 0 in the table: no AS from the table, the MMDB has none either */
	expect(r, "9.9.9.200", "public", 0, NULL, "", "", BT_SOURCE_NONE);
	expect(r, "1.0.0.1", "public", 13335, "Cloudflare, Inc.", "", "", BT_SOURCE_PFX2AS);
	bt_resolver_close(r);
}

static bool same(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* The cache must never change an answer: compare cached and uncached over
 * many addresses around the networks of the test table, with a tiny cache
 * (collisions and evictions) and a larger one. */
static void compare_cached(unsigned cache_bits)
{
	const char *tables[] = {data("pfx2as.txt"), data("ranges.csv")};
	const char *ixps[] = {data("ixp.csv")};
	bt_resolver_config c;
	bt_resolver_config_init(&c);
	c.pfx2as = tables;
	c.n_pfx2as = 2;
	c.ixp = ixps;
	c.n_ixp = 1;
	c.asn_db = db("geolite2-asn");
	c.country_db = db("geolite2-country");
	c.cache_bits = cache_bits;
	bt_resolver *cached = open_cfg(&c);
	c.cache_bits = 0;
	bt_resolver *plain = open_cfg(&c);
	static const char *const bases[] = {"175.45.176.0", "219.158.96.0", "188.43.0.0",
					    "9.9.9.0",      "195.69.144.0", "1.0.0.0",
					    "10.0.0.0",     "192.0.0.0",    "2a01:4f8::",
					    "2001:7f8:1::", "64:ff9b::808:800", "::ffff:9.9.9.0"};
	srand(3);
	for (int i = 0; i < 100000; i++) {
		bt_addr a;
		bt_addr_parse(bases[(size_t)rand() % (sizeof(bases) / sizeof(bases[0]))], &a);
		int nb = a.family == 2 ? 4 : 16;
		/* vary the last 2 bytes, sometimes the third from last too */
		a.bytes[nb - 1] = (uint8_t)rand();
		if (rand() % 2)
			a.bytes[nb - 2] ^= (uint8_t)(rand() % 8);
		if (rand() % 8 == 0)
			a.bytes[nb - 3] ^= (uint8_t)(rand() % 4);
		bt_resolution x, y;
		char err[512];
		assert_int_equal(bt_resolver_lookup(cached, &a, &x, err, sizeof(err)), 0);
		assert_int_equal(bt_resolver_lookup(plain, &a, &y, err, sizeof(err)), 0);
		char buf[BT_ADDR_STRLEN];
		if (x.cls != y.cls || x.source != y.source || x.asn != y.asn ||
		    x.n_origins != y.n_origins || !same(x.org, y.org) || !same(x.ixp, y.ixp) ||
		    (x.n_origins > 0 && /* origins may be NULL: memcmp(NULL) is UB */
		     memcmp(x.origins, y.origins, x.n_origins * sizeof(uint32_t)) != 0) ||
		    strcmp(x.country, y.country) != 0 || strcmp(x.reg_country, y.reg_country) != 0 ||
		    x.prefix_len != y.prefix_len || !bt_addr_eq(&x.prefix, &y.prefix))
			fail_msg("cache changed the answer for %s",
				 bt_addr_format(&a, buf, sizeof(buf)));
	}
	uint64_t hits, misses;
	bt_resolver_cache_stats(cached, &hits, &misses);
	/* the cache was used, not switched off for a low hit rate */
	if (hits < 20000)
		fail_msg("%u cache bits: %llu hits, %llu misses", cache_bits,
			 (unsigned long long)hits, (unsigned long long)misses);
	bt_resolver_close(cached);
	bt_resolver_close(plain);
}

static void test_cache_consistent(void **state)
{
	(void)state;
	compare_cached(4);
	compare_cached(12);
}

/* With addresses that never recur the cache only costs, and it switches
 * itself off; when they recur again it comes back. */
static void test_cache_switches_off(void **state)
{
	(void)state;
	bt_resolver *r = open_dbs(db("geolite2-asn"), NULL);
	uint64_t h0, m0, h1, m1, h2, m2;
	bt_resolution o;
	char err[512];
	uint32_t x = 12345;
	for (int i = 0; i < 200000; i++) { /* a fresh /24 each time */
		bt_addr a;
		x = x * 1103515245u + 12345u;
		bt_addr_from_v4(&a, htonl(0x01000000u + (x >> 8 << 8) % 0xdf000000u));
		assert_int_equal(bt_resolver_lookup(r, &a, &o, err, sizeof(err)), 0);
	}
	bt_resolver_cache_stats(r, &h0, &m0);
	assert_true(h0 < 2000);
	static const char *const recur[] = {"175.45.176.1", "219.158.96.7", "188.43.1.2",
					    "2a01:4f8::1"};
	for (int i = 0; i < 2000000; i++) {
		if (i == 1500000)
			bt_resolver_cache_stats(r, &h1, &m1);
		res(r, recur[i % 4]);
	}
	bt_resolver_cache_stats(r, &h2, &m2);
	/* back on: the last 500,000 are hits */
	if (h2 - h1 < 499000)
		fail_msg("%llu hits in the last 500,000 lookups", (unsigned long long)(h2 - h1));
	bt_resolver_close(r);
}

static void open_fails(const bt_resolver_config *c, const char *want)
{
	bt_resolver *r = NULL;
	char err[1024];
	assert_int_equal(bt_resolver_open(c, &r, err, sizeof(err)), -1);
	assert_null(r);
	if (strstr(err, want) == NULL)
		fail_msg("error '%s' lacks '%s'", err, want);
}

static void test_bad_databases(void **state)
{
	(void)state;
	bt_resolver_config c;
	bt_resolver_config_init(&c);
	c.asn_db = "/nonexistent/GeoLite2-ASN.mmdb";
	open_fails(&c, "/nonexistent/GeoLite2-ASN.mmdb: cannot open: No such file");

	c.asn_db = data("truth.txt"); /* a text file */
	open_fails(&c, "not a usable MaxMind DB file");

	/* truncated copy of a good database */
	char path[] = "/tmp/bt-test-trunc-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *in = fopen(db("geolite2-asn"), "rb");
	assert_non_null(in);
	char buf[4096];
	size_t n = fread(buf, 1, sizeof(buf), in);
	fclose(in);
	assert_true(n > 200);
	assert_int_equal(write(fd, buf, n / 2), (ssize_t)(n / 2));
	close(fd);
	c.asn_db = path;
	open_fails(&c, "not a usable MaxMind DB file");
	unlink(path);

	c.asn_db = db("bogus");
	open_fails(&c, "none of the expected keys");
	open_fails(&c, "its records have: bar, foo");

	c.asn_db = db("geolite2-country");
	c.asn_layout = BT_MMDB_GEOLITE2_ASN;
	open_fails(&c, "records lack the keys of layout geolite2-asn; they have: continent, "
		       "country, registered_country");
	c.asn_layout = BT_MMDB_AUTO;

	const char *bad_tables[] = {"/nonexistent/pfx2as.txt"};
	c.asn_db = NULL;
	c.pfx2as = bad_tables;
	c.n_pfx2as = 1;
	open_fails(&c, "/nonexistent/pfx2as.txt: No such file or directory");
	c.n_pfx2as = 0;
	c.ixp = bad_tables;
	c.n_ixp = 1;
	open_fails(&c, "/nonexistent/pfx2as.txt: No such file or directory");
}

static void test_bad_record(void **state)
{
	(void)state;
	/* autonomous_system_number stored as a string: numbers are accepted,
	 * anything else is an error naming the file, network and field */
	bt_resolver *r = open_dbs(db("asn-as-string"), NULL);
	expect(r, "8.8.8.8", "public", 15169, "Google LLC", "", "", BT_SOURCE_ASN_DB);
	bt_resolver_close(r);

	bt_addr a;
	bt_resolution o;
	char err[1024];
	bt_addr_parse("8.8.8.8", &a);
	r = open_dbs(db("bad-asn"), NULL);
	assert_int_equal(bt_resolver_lookup(r, &a, &o, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "test-bad-asn.mmdb: record for 8.8.8.8 (network /24): "
				    "field 'autonomous_system_number' is not an AS number"));
	bt_resolver_close(r);

	r = open_dbs(NULL, db("bad-country"));
	assert_int_equal(bt_resolver_lookup(r, &a, &o, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "field 'country.iso_code' is inside something that is "
				    "not a map"));
	bt_resolver_close(r);

	/* a NUL byte inside a string would cut it short unseen: refused */
	r = open_dbs(db("nul-org"), NULL);
	assert_int_equal(bt_resolver_lookup(r, &a, &o, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "test-nul-org.mmdb: record for 8.8.8.8 (network /24): "
				    "field 'autonomous_system_organization' holds a NUL byte"));
	bt_resolver_close(r);
	r = open_dbs(NULL, db("nul-country"));
	assert_int_equal(bt_resolver_lookup(r, &a, &o, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "field 'country.iso_code' holds a NUL byte"));
	bt_resolver_close(r);
}

static void test_bad_address_family(void **state)
{
	(void)state;
	bt_resolver *r = open_dbs(db("geolite2-asn"), NULL);
	bt_addr none;
	bt_resolution o;
	char err[256];
	memset(&none, 0, sizeof(none));
	assert_int_equal(bt_resolver_lookup(r, &none, &o, err, sizeof(err)), 0);
	assert_int_equal(o.cls, BT_CLASS_NONE);
	bt_resolver_close(r);
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
		cmocka_unit_test(test_geolite2),
		cmocka_unit_test(test_other_layouts),
		cmocka_unit_test(test_ipv4_tree),
		cmocka_unit_test(test_test_ranges_switch),
		cmocka_unit_test(test_pfx2as_and_ixp),
		cmocka_unit_test(test_cache_consistent),
		cmocka_unit_test(test_cache_switches_off),
		cmocka_unit_test(test_bad_databases),
		cmocka_unit_test(test_bad_record),
		cmocka_unit_test(test_bad_address_family),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
