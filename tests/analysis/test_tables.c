/* bordertrace tests — prefix tables and IXP lists (analysis/pfx2as.c,
 * analysis/ixp.c): both formats, MOAS, headers, quoting, every malformed
 * line with its file and line number in the error, files that are not
 * tables, gzip input; repeated and overlapping rows settled by the rule of
 * doc/resolver.md (public tables as downloaded, random rows against the
 * rule applied naively, a generated table of 400,000 rows).
 * The prefixes (real public ones among them) are table data only: nothing
 * here sends a packet. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "bordertrace/ixp.h"
#include "bordertrace/pfx2as.h"

static int parse(const char *s, bt_pfx2as_line *l, const char **why)
{
	*why = "";
	return bt_pfx2as_parse_line(s, strlen(s), false, l, why);
}

static void test_parse_caida(void **state)
{
	(void)state;
	bt_pfx2as_line l;
	const char *why;
	char buf[BT_ADDR_STRLEN];
	assert_int_equal(parse("175.45.176.0\t24\t4837_20485", &l, &why), 1);
	assert_string_equal(bt_addr_format(&l.first, buf, sizeof(buf)), "175.45.176.0");
	assert_string_equal(bt_addr_format(&l.last, buf, sizeof(buf)), "175.45.176.255");
	assert_int_equal(l.len, 24);
	assert_false(l.is_range);
	assert_int_equal(l.n_origins, 2);
	assert_int_equal(l.origins[0], 4837);
	assert_int_equal(l.origins[1], 20485);
	assert_int_equal(parse("1.0.0.0 24 1_2,3", &l, &why), 1); /* spaces, AS set */
	assert_int_equal(l.n_origins, 3);
	assert_int_equal(parse("2001:db8::/32\t64500", &l, &why), 1);
	assert_int_equal(l.len, 32);
	assert_int_equal(parse("9.9.9.128\t25\t0", &l, &why), 1);
	assert_int_equal(l.n_origins, 0); /* ASN 0: unannounced */
	assert_int_equal(parse("  # comment", &l, &why), 0);
	assert_int_equal(parse("", &l, &why), 0);
	assert_int_equal(bt_pfx2as_parse_line("prefix\tlen\tasn", 14, true, &l, &why), 0);
}

static void test_parse_csv(void **state)
{
	(void)state;
	bt_pfx2as_line l;
	const char *why;
	assert_int_equal(parse("1.0.0.0,1.0.0.255,13335,\"Cloudflare, Inc.\"", &l, &why), 1);
	assert_true(l.is_range);
	assert_string_equal(l.org, "Cloudflare, Inc.");
	assert_int_equal(parse("1.0.1.0,1.0.3.255,AS4134,CHINANET, Beijing", &l, &why), 1);
	assert_int_equal(l.origins[0], 4134);
	assert_string_equal(l.org, "CHINANET, Beijing");
	assert_int_equal(parse("1.0.1.0,1.0.3.255,4134", &l, &why), 1);
	assert_string_equal(l.org, "");
	assert_int_equal(parse("2a01::,2a01::ffff,24940,\"say \"\"hi\"\"\"", &l, &why), 1);
	assert_string_equal(l.org, "say \"hi\"");
	const char *h = "start,end,asn,org";
	assert_int_equal(bt_pfx2as_parse_line(h, strlen(h), true, &l, &why), 0);
}

static void test_parse_malformed(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"1.0.0.0\t33\t1",          /* length too long */
		"1.0.0.1\t24\t1",          /* host bits set */
		"1.0.0.0\t24",             /* no ASN */
		"1.0.0.0\t24\tx",          /* bad ASN */
		"1.0.0.0\t24\t1__2",       /* empty origin */
		"1.0.0.0\t24\t99999999999",
		"1.0.0.0\t24\t1\textra\tmore",
		"nonsense\t24\t1",
		"1.0.0.0,1.0.0.255",       /* CSV without ASN */
		"1.0.0.9,1.0.0.1,1",       /* start after end */
		"1.0.0.0,::1,1",           /* mixed families */
		"1.0.0.0,x,1",
		"1.0.0.0,1.0.0.255,1,\"unterminated",
		"start,end,asn,org",       /* a header only on the first line */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bt_pfx2as_line l;
		const char *why = NULL;
		if (parse(bad[i], &l, &why) != -1)
			fail_msg("accepted: %s", bad[i]);
		assert_non_null(why);
	}
}

static const char table[] = "# test\n"
			    "175.45.176.0\t24\t4837_20485\n"
			    "175.45.176.0\t22\t131279\n"
			    "2001:db8::\t32\t64500\n"
			    "1.0.1.0,1.0.3.255,4134,CHINANET\n";

static void test_load_and_lookup(void **state)
{
	(void)state;
	char err[512];
	bt_pfx2as *t = bt_pfx2as_new();
	assert_int_equal(bt_pfx2as_load_buffer(t, "t.txt", table, strlen(table), err, sizeof(err)), 0);
	assert_int_equal(bt_pfx2as_build(t, err, sizeof(err)), 0);
	assert_int_equal(bt_pfx2as_count(t), 4);
	bt_pfx2as_match m;
	bt_addr a;
	unsigned b;
	char buf[BT_ADDR_STRLEN];
	bt_addr_parse("175.45.176.9", &a);
	assert_true(bt_pfx2as_lookup(t, &a, &m, &b));
	assert_int_equal(m.asn, 4837);
	assert_int_equal(m.n_origins, 2);
	assert_int_equal(m.origins[1], 20485);
	assert_int_equal(m.prefix_len, 24);
	assert_int_equal(m.line, 2);
	assert_string_equal(m.file, "t.txt");
	assert_null(m.org);
	bt_addr_parse("175.45.177.9", &a);
	assert_true(bt_pfx2as_lookup(t, &a, &m, &b));
	assert_int_equal(m.asn, 131279);
	assert_int_equal(m.n_origins, 1);
	assert_int_equal(m.prefix_len, 22);
	assert_int_equal(b, 24); /* 175.45.176.0/23 would hold the other /24 */
	bt_addr_parse("1.0.2.1", &a);
	assert_true(bt_pfx2as_lookup(t, &a, &m, &b));
	assert_string_equal(m.org, "CHINANET");
	assert_string_equal(bt_addr_format(&m.prefix, buf, sizeof(buf)), "1.0.2.0");
	assert_int_equal(m.prefix_len, 23);
	bt_addr_parse("2001:db8:5::1", &a);
	assert_true(bt_pfx2as_lookup(t, &a, &m, &b));
	assert_int_equal(m.asn, 64500);
	bt_addr_parse("8.8.8.8", &a);
	assert_false(bt_pfx2as_lookup(t, &a, &m, &b));
	bt_pfx2as_free(t);
}

static void test_load_errors(void **state)
{
	(void)state;
	char err[512];
	bt_pfx2as *t = bt_pfx2as_new();
	const char *bad = "1.0.0.0\t24\t1\n\n1.0.0.0\t24\tAS\n";
	assert_int_equal(bt_pfx2as_load_buffer(t, "bad.txt", bad, strlen(bad), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "bad.txt:3: bad AS number"));
	bt_pfx2as_free(t);

	/* the same prefix in two files: accepted (was refused), the later
	 * file wins, the repeat is counted in its file and described */
	t = bt_pfx2as_new();
	const char *one = "10.0.0.0\t8\t1\n", *two = "# x\n10.0.0.0\t8\t2\n";
	assert_int_equal(bt_pfx2as_load_buffer(t, "a.txt", one, strlen(one), err, sizeof(err)), 0);
	assert_int_equal(bt_pfx2as_load_buffer(t, "b.txt", two, strlen(two), err, sizeof(err)), 0);
	assert_int_equal(bt_pfx2as_build(t, err, sizeof(err)), 0);
	bt_addr a;
	bt_pfx2as_match m;
	bt_addr_parse("10.9.9.9", &a);
	assert_true(bt_pfx2as_lookup(t, &a, &m, NULL));
	assert_int_equal(m.asn, 2);
	assert_string_equal(m.file, "b.txt");
	assert_int_equal(bt_pfx2as_nconflicts(t), 1);
	bt_pfx2as_conflict_describe(t, 0, err, sizeof(err));
	assert_string_equal(err, "b.txt:2: prefix 10.0.0.0/8 (AS 2) duplicates a.txt:1: prefix "
				 "10.0.0.0/8 (AS 1); b.txt:2 wins (the later row)");
	size_t rows, dups, over;
	assert_string_equal(bt_pfx2as_file_stats(t, 1, &rows, &dups, &over), "b.txt");
	assert_true(rows == 1 && dups == 1 && over == 0);
	assert_string_equal(bt_pfx2as_file_stats(t, 0, &rows, &dups, &over), "a.txt");
	assert_true(rows == 1 && dups == 0 && over == 0);
	bt_pfx2as_free(t);

	t = bt_pfx2as_new();
	assert_int_equal(bt_pfx2as_load(t, "/nonexistent/pfx2as", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/pfx2as: No such file or directory"));
	bt_pfx2as_free(t);
}

static void test_gzip(void **state)
{
	(void)state;
	char path[] = "/tmp/bt-test-pfx2as-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	gzFile gz = gzopen(path, "wb");
	assert_non_null(gz);
	gzputs(gz, "175.45.176.0\t22\t131279\n");
	gzclose(gz);
	char err[512];
	bt_pfx2as *t = bt_pfx2as_new();
	assert_int_equal(bt_pfx2as_load(t, path, err, sizeof(err)), 0);
	assert_int_equal(bt_pfx2as_build(t, err, sizeof(err)), 0);
	bt_addr a;
	bt_pfx2as_match m;
	bt_addr_parse("175.45.179.1", &a);
	assert_true(bt_pfx2as_lookup(t, &a, &m, NULL));
	assert_int_equal(m.asn, 131279);
	bt_pfx2as_free(t);
	unlink(path);
}

static void test_ixp(void **state)
{
	(void)state;
	bt_addr p;
	unsigned len;
	char name[BT_IXP_NAME_MAX];
	const char *why = "";
	const char *l1 = "195.69.144.0/22,AMS-IX";
	assert_int_equal(bt_ixp_parse_line(l1, strlen(l1), false, &p, &len, name, &why), 1);
	assert_string_equal(name, "AMS-IX");
	assert_int_equal(len, 22);
	const char *l2 = "2001:7f8:1::/64\t\"AMS-IX, Amsterdam\"";
	assert_int_equal(bt_ixp_parse_line(l2, strlen(l2), false, &p, &len, name, &why), 1);
	assert_string_equal(name, "AMS-IX, Amsterdam");
	const char *l3 = "80.81.192.0/21 DE-CIX Frankfurt";
	assert_int_equal(bt_ixp_parse_line(l3, strlen(l3), false, &p, &len, name, &why), 1);
	assert_string_equal(name, "DE-CIX Frankfurt");
	const char *h = "prefix,name";
	assert_int_equal(bt_ixp_parse_line(h, strlen(h), true, &p, &len, name, &why), 0);
	static const char *const bad[] = {"195.69.144.0/22", "195.69.144.0/33,X",
					  "195.69.144.1/22,X", "x/22,X", "1.2.3.0/24,\"X"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(bt_ixp_parse_line(bad[i], strlen(bad[i]), false, &p, &len,
						   name, &why),
				 -1);

	char err[512];
	bt_ixp *t = bt_ixp_new();
	const char *list = "prefix,name\n195.69.144.0/22,AMS-IX\n\n195.69.144.0/22,Again\n";
	assert_int_equal(bt_ixp_load_buffer(t, "ixp.csv", list, strlen(list), err, sizeof(err)), 0);
	assert_int_equal(bt_ixp_build(t, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "ixp.csv:4: IXP prefix 195.69.144.0/22 duplicates ixp.csv:2"));
	bt_ixp_free(t);

	t = bt_ixp_new();
	const char *badlist = "195.69.144.0/22,AMS-IX\n195.69.144.0/22\n";
	assert_int_equal(bt_ixp_load_buffer(t, "ixp.csv", badlist, strlen(badlist), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "ixp.csv:2: missing IXP name"));
	bt_ixp_free(t);
}

/* CSV tables as spreadsheets and databases write them: a UTF-8 byte order
 * mark before a data line (no header), an RFC 4180 quoted field holding a
 * line end (the record keeps its first line's number, the next its own);
 * an unterminated quote and an over-long name each named as such. */
static void test_csv_as_written(void **state)
{
	(void)state;
	char err[512] = "";
	bt_pfx2as_match m;
	bt_addr a;
	unsigned b;
	bt_pfx2as *t = bt_pfx2as_new();
	const char *caida = "\xef\xbb\xbf" "1.0.0.0\t24\t13335\n";
	if (bt_pfx2as_load_buffer(t, "bom.txt", caida, strlen(caida), err, sizeof(err)) != 0)
		fail_msg("%s", err);
	const char *csv = "\xef\xbb\xbf" "1.0.4.0,1.0.4.255,13335,\"Cloud\r\nflare, \"\"Inc.\"\"\"\r\n"
			  "1.0.5.0,1.0.5.255,4134,CHINANET\r\n";
	if (bt_pfx2as_load_buffer(t, "multi.csv", csv, strlen(csv), err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(bt_pfx2as_build(t, err, sizeof(err)), 0);
	bt_addr_parse("1.0.0.1", &a);
	assert_true(bt_pfx2as_lookup(t, &a, &m, &b));
	assert_int_equal(m.asn, 13335);
	bt_addr_parse("1.0.4.1", &a);
	assert_true(bt_pfx2as_lookup(t, &a, &m, &b));
	assert_string_equal(m.org, "Cloud\r\nflare, \"Inc.\"");
	assert_int_equal(m.line, 1);
	bt_addr_parse("1.0.5.1", &a);
	assert_true(bt_pfx2as_lookup(t, &a, &m, &b));
	assert_int_equal(m.line, 3);
	bt_pfx2as_free(t);

	t = bt_pfx2as_new();
	const char *open = "1.0.0.0,1.0.0.255,1,A\n1.0.1.0,1.0.1.255,2,\"open\n1.0.2.0,1.0.2.255,3,B\n";
	assert_int_equal(bt_pfx2as_load_buffer(t, "open.csv", open, strlen(open), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "open.csv:2: organisation field: unterminated quote"));
	bt_pfx2as_free(t);

	char longer[400];
	snprintf(longer, sizeof(longer), "1.0.0.0,1.0.0.255,1,\"%0300d\"\n", 0);
	t = bt_pfx2as_new();
	assert_int_equal(bt_pfx2as_load_buffer(t, "long.csv", longer, strlen(longer), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "long.csv:1: organisation field: longer than 255 bytes"));
	bt_pfx2as_free(t);

	bt_ixp *x = bt_ixp_new();
	const char *list = "\xef\xbb\xbf" "195.69.144.0/22,\"AMS-IX\nAmsterdam\"\n80.81.192.0/21,DE-CIX\n";
	if (bt_ixp_load_buffer(x, "ixp.csv", list, strlen(list), err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(bt_ixp_build(x, err, sizeof(err)), 0);
	bt_ixp_match im;
	bt_addr_parse("195.69.144.1", &a);
	assert_true(bt_ixp_lookup(x, &a, &im, &b));
	assert_string_equal(im.name, "AMS-IX\nAmsterdam");
	bt_addr_parse("80.81.192.1", &a);
	assert_true(bt_ixp_lookup(x, &a, &im, &b));
	assert_int_equal(im.line, 3);
	bt_ixp_free(x);
}

/* Public tables as they are downloaded. An ip-location-db ASN CSV
 * (start,end,asn,org, no header, orgs with commas unquoted) with a byte
 * order mark, CRLF, two ranges that partly overlap, a range repeated with
 * another AS and an IPv6 part; a CAIDA prefix2as pair (IPv4 with MOAS and
 * AS sets, IPv6). Everything loads; each address gets the answer of the
 * rule; the rows at fault are counted in their files and described. */
static const char public_csv[] =
	"\xef\xbb\xbf" "1.0.0.0,1.0.0.255,13335,Cloudflare, Inc.\r\n"      /* 1 */
	"1.0.4.0,1.0.7.255,38803,Wireless Net\r\n"                          /* 2 */
	"1.0.6.0,1.0.11.255,4134,CHINANET, Backbone\r\n"                    /* 3: overlaps 2 */
	"1.0.16.0,1.0.16.255,2519,ARTERIA\r\n"                              /* 4 */
	"1.0.16.0,1.0.16.255,2520,Again\r\n"                                /* 5: repeats 4 */
	"1.0.64.0,1.0.127.255,18144,Energia\r\n"                            /* 6 */
	"1.0.100.0,1.0.100.255,9999,Inside\r\n"                             /* 7: nested in 6 */
	"2a01:4f8::,2a01:4f8:ffff:ffff:ffff:ffff:ffff:ffff,24940,Hetzner\r\n" /* 8 */
	"2a01:4f8:1::,2a01:4f9:1::,64500,Straddles\r\n";                    /* 9: overlaps 8 */

static const char public_v4[] = "1.0.0.0\t24\t13335\n"
				"175.45.176.0\t22\t131279_4837,20485\n"
				"175.45.176.0\t24\t4837\n";
static const char public_v6[] = "2001:200::\t32\t2500\n"
				"2001:200::\t32\t2501_2502\n";

static uint32_t asn_of(const bt_pfx2as *t, const char *addr)
{
	bt_addr a;
	bt_pfx2as_match m;
	assert_int_equal(bt_addr_parse(addr, &a), 0);
	if (!bt_pfx2as_lookup(t, &a, &m, NULL))
		return UINT32_MAX;
	return m.asn;
}

static void load_public(bt_pfx2as *t)
{
	char err[512] = "";
	if (bt_pfx2as_load_buffer(t, "asn-ipv4.csv", public_csv, strlen(public_csv), err,
				  sizeof(err)) != 0 ||
	    bt_pfx2as_load_buffer(t, "v4.pfx2as", public_v4, strlen(public_v4), err, sizeof(err)) != 0 ||
	    bt_pfx2as_load_buffer(t, "v6.pfx2as", public_v6, strlen(public_v6), err, sizeof(err)) != 0 ||
	    bt_pfx2as_build(t, err, sizeof(err)) != 0)
		fail_msg("%s", err);
}

static void test_public_tables(void **state)
{
	(void)state;
	bt_pfx2as *t = bt_pfx2as_new();
	load_public(t);
	assert_int_equal(asn_of(t, "1.0.0.1"), 13335);
	assert_int_equal(asn_of(t, "1.0.5.255"), 38803);
	assert_int_equal(asn_of(t, "1.0.6.1"), 38803);      /* the smaller range */
	assert_int_equal(asn_of(t, "1.0.8.1"), 4134);
	assert_int_equal(asn_of(t, "1.0.16.1"), 2520);     /* the later row */
	assert_int_equal(asn_of(t, "1.0.100.1"), 9999);    /* nested: no conflict */
	assert_int_equal(asn_of(t, "1.0.101.1"), 18144);
	assert_int_equal(asn_of(t, "2a01:4f8::1"), 24940);
	assert_int_equal(asn_of(t, "2a01:4f8:1::1"), 24940); /* the smaller */
	assert_int_equal(asn_of(t, "2a01:4f9::1"), 64500);
	assert_int_equal(asn_of(t, "175.45.176.1"), 4837);
	assert_int_equal(asn_of(t, "175.45.177.1"), 131279);
	assert_int_equal(asn_of(t, "2001:200::1"), 2501);
	assert_int_equal(asn_of(t, "1.0.12.1"), UINT32_MAX);

	bt_addr a;
	bt_pfx2as_match m;
	bt_addr_parse("175.45.178.1", &a);
	assert_true(bt_pfx2as_lookup(t, &a, &m, NULL));
	assert_int_equal(m.n_origins, 3); /* MOAS and AS set, all kept */
	assert_int_equal(m.origins[2], 20485);
	bt_addr_parse("1.0.9.1", &a);
	assert_true(bt_pfx2as_lookup(t, &a, &m, NULL));
	assert_string_equal(m.org, "CHINANET, Backbone");

	size_t rows, dups, over;
	assert_int_equal(bt_pfx2as_nfiles(t), 3);
	bt_pfx2as_file_stats(t, 0, &rows, &dups, &over);
	assert_true(rows == 9 && dups == 1 && over == 2);
	bt_pfx2as_file_stats(t, 1, &rows, &dups, &over);
	assert_true(rows == 3 && dups == 1 && over == 0); /* 1.0.0.0/24 repeats row 1 */
	bt_pfx2as_file_stats(t, 2, &rows, &dups, &over);
	assert_true(rows == 2 && dups == 1 && over == 0);

	static const char *const want[] = {
		"asn-ipv4.csv:3: range 1.0.6.0-1.0.11.255 (AS 4134) partly overlaps asn-ipv4.csv:2: "
		"range 1.0.4.0-1.0.7.255 (AS 38803); asn-ipv4.csv:2 wins where both hold (the smaller range)",
		"asn-ipv4.csv:5: range 1.0.16.0-1.0.16.255 (AS 2520) duplicates asn-ipv4.csv:4: "
		"range 1.0.16.0-1.0.16.255 (AS 2519); asn-ipv4.csv:5 wins (the later row)",
		"asn-ipv4.csv:9: range 2a01:4f8:1::-2a01:4f9:1:: (AS 64500) partly overlaps asn-ipv4.csv:8: "
		"range 2a01:4f8::-2a01:4f8:ffff:ffff:ffff:ffff:ffff:ffff (AS 24940); asn-ipv4.csv:8 wins "
		"where both hold (the smaller range)",
		"v4.pfx2as:1: prefix 1.0.0.0/24 (AS 13335) duplicates asn-ipv4.csv:1: "
		"range 1.0.0.0-1.0.0.255 (AS 13335); v4.pfx2as:1 wins (the later row)",
		"v6.pfx2as:2: prefix 2001:200::/32 (AS 2501_2502) duplicates v6.pfx2as:1: "
		"prefix 2001:200::/32 (AS 2500); v6.pfx2as:2 wins (the later row)",
	};
	assert_int_equal(bt_pfx2as_nconflicts(t), 5);
	for (size_t i = 0; i < 5; i++) {
		char buf[1024];
		bt_pfx2as_conflict_describe(t, i, buf, sizeof(buf));
		assert_string_equal(buf, want[i]);
	}
	bt_pfx2as_free(t);
}

/* Not a prefix table at all: still an error naming the file (a JSON file,
 * a binary, a header and nothing else, only comments); a malformed row
 * among good ones: an error naming file and line, as before. */
static void test_not_a_table(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		size_t len;
		const char *err;
	} bad[] = {
		{"[{\"start\": \"1.0.0.0\", \"asn\": 1}]\n", 0, "j.json:1: expected prefix<TAB>length<TAB>asn"},
		{"{\"start\":\"1.0.0.0\",\"end\":\"1.0.0.255\",\"asn\":1}\n", 0, "j.json:1: bad start address"},
		{"\x7f" "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0>\0", 20, "j.json: no prefix or range in the file"},
		{"start,end,asn,org\r\n", 0, "j.json: no prefix or range in the file"},
		{"# only\n# comments\n", 0, "j.json: no prefix or range in the file"},
		{"", 0, "j.json: no prefix or range in the file"},
		{"1.0.0.0,1.0.0.255,1,A\n1.0.1.0,1.0.1.999,2,B\n", 0, "j.json:2: bad end address"},
		{"1.0.0.0,1.0.0.255,1,A\n1.0.1.0,1.0.1.255,AS-B,B\n", 0, "j.json:2: bad AS number"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char err[512] = "";
		bt_pfx2as *t = bt_pfx2as_new();
		size_t len = bad[i].len ? bad[i].len : strlen(bad[i].text);
		assert_int_equal(bt_pfx2as_load_buffer(t, "j.json", bad[i].text, len, err, sizeof(err)), -1);
		if (strncmp(err, bad[i].err, strlen(bad[i].err)) != 0)
			fail_msg("case %zu: '%s', want '%s'", i, err, bad[i].err);
		bt_pfx2as_free(t);
	}
}

/* A generated ip-location-db-sized CSV: n adjacent /24 ranges from 1.0.0.0,
 * and after every 1000th one a range of the same size straddling it and
 * the next (so two rows at fault each time: the straddler, and the next
 * range, which starts inside it). */
static void put4(char **p, uint32_t x)
{
	*p += sprintf(*p, "%u.%u.%u.%u", x >> 24, (x >> 16) & 255, (x >> 8) & 255, x & 255);
}

static char *make_csv(size_t n, size_t *len)
{
	char *buf = malloc(n * 48 + 1), *p = buf;
	assert_non_null(buf);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t base = 0x01000000u + i * 256;
		put4(&p, base);
		*p++ = ',';
		put4(&p, base + 255);
		p += sprintf(p, ",%u,AS %u, Inc.\n", 64512 + i % 1000, i);
		if (i % 1000 != 999)
			continue;
		put4(&p, base + 128);
		*p++ = ',';
		put4(&p, base + 383);
		p += sprintf(p, ",%u,Straddling\n", 100000 + i);
	}
	*len = (size_t)(p - buf);
	return buf;
}

/* Loads and builds n generated rows; the CPU time it took. */
static double load_generated(size_t n, bt_pfx2as **out)
{
	size_t len;
	char *csv = make_csv(n, &len), err[512] = "";
	struct rusage u0, u1;
	getrusage(RUSAGE_SELF, &u0);
	bt_pfx2as *t = bt_pfx2as_new();
	if (bt_pfx2as_load_buffer(t, "gen.csv", csv, len, err, sizeof(err)) != 0 ||
	    bt_pfx2as_build(t, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	getrusage(RUSAGE_SELF, &u1);
	free(csv);
	if (out)
		*out = t;
	else
		bt_pfx2as_free(t);
	/* user time: the kernel's share is page faults, which depend on what
	 * the allocator already holds (much under ASan) */
	return (double)(u1.ru_utime.tv_sec - u0.ru_utime.tv_sec) +
	       (double)(u1.ru_utime.tv_usec - u0.ru_utime.tv_usec) / 1e6;
}

/* 400,000 rows (the size of the real file) load with every row at fault
 * counted; loading grows about linearly: four times the rows costs well
 * under the sixteen times of a quadratic load (best of two runs each). */
static void test_large_generated(void **state)
{
	(void)state;
	bt_pfx2as *t;
	double big = load_generated(400000, &t);
	size_t rows, dups, over;
	bt_pfx2as_file_stats(t, 0, &rows, &dups, &over);
	assert_int_equal(rows, 400400);
	assert_int_equal(dups, 0);
	assert_int_equal(over, 799); /* the last straddler has no next range */
	assert_int_equal(bt_pfx2as_nconflicts(t), 799);
	assert_int_equal(asn_of(t, "1.3.231.127"), 64512 + 999);   /* 999th range, its own half */
	assert_int_equal(asn_of(t, "1.3.231.128"), 100999);        /* the straddler, later */
	assert_int_equal(asn_of(t, "1.3.232.127"), 64512);         /* range 1000, later still */
	bt_pfx2as_free(t);
	double b2 = load_generated(400000, NULL);
	big = b2 < big ? b2 : big;
	double small = load_generated(100000, NULL), s2 = load_generated(100000, NULL);
	small = s2 < small ? s2 : small;
	print_message("load: 400,000 rows %.3f s, 100,000 rows %.3f s\n", big, small);
	if (big > 10 * small + 0.05)
		fail_msg("400,000 rows took %.3f s, 100,000 took %.3f s", big, small);
}

/* The rule through the loader: random rows (ranges and CAIDA prefixes, many
 * repeated or overlapping) in two files over a space of 64 IPv4 and 64 IPv6
 * addresses; every address answers with the row the rule picks when applied
 * naively to the rows in file and line order. */
struct trow {
	unsigned lo, hi, file, line;
};

static void put_row(char **p, bool v6, const struct trow *r, uint32_t asn)
{
	const char *base = v6 ? "2001:db8::" : "10.0.0.";
	unsigned size = r->hi - r->lo + 1;
	if ((size & (size - 1)) == 0 && r->lo % size == 0 && asn % 2) { /* a prefix */
		unsigned len = (v6 ? 128 : 32) - (unsigned)__builtin_ctz(size);
		*p += sprintf(*p, v6 ? "%s%x\t%u\t%u\n" : "%s%u\t%u\t%u\n", base, r->lo, len, asn);
	} else {
		*p += sprintf(*p, v6 ? "%s%x,%s%x,%u\n" : "%s%u,%s%u,%u\n", base, r->lo, base, r->hi, asn);
	}
}

static void test_rule_through_loader(void **state)
{
	(void)state;
	srand(45);
	for (int trial = 0; trial < 400; trial++) {
		bool v6 = trial & 1;
		struct trow r[16];
		size_t n = 2 + (size_t)rand() % 15;
		char text[2][16 * 64], *p[2] = { text[0], text[1] };
		unsigned lines[2] = { 0, 0 };
		for (size_t i = 0; i < n; i++) {
			r[i].file = i >= n / 2; /* rows are in file and line order */
			r[i].line = ++lines[r[i].file];
			if (i > 0 && rand() % 4 == 0) {
				r[i].lo = r[i - 1 - (size_t)rand() % i].lo;
				r[i].hi = r[i - 1].lo == r[i].lo ? r[i - 1].hi : r[i].lo + (unsigned)rand() % 8;
			} else {
				r[i].lo = (unsigned)rand() % 64;
				r[i].hi = r[i].lo + (unsigned)rand() % (rand() % 2 ? 8 : 64);
			}
			r[i].hi = r[i].hi > 63 ? 63 : r[i].hi;
			put_row(&p[r[i].file], v6, &r[i], 64500 + (uint32_t)i);
		}
		char err[512] = "";
		bt_pfx2as *t = bt_pfx2as_new();
		if (bt_pfx2as_load_buffer(t, "a", text[0], (size_t)(p[0] - text[0]), err, sizeof(err)) ||
		    bt_pfx2as_load_buffer(t, "b", text[1], (size_t)(p[1] - text[1]), err, sizeof(err)) ||
		    bt_pfx2as_build(t, err, sizeof(err)))
			fail_msg("%s\n%s---\n%s", err, text[0], text[1]);
		for (unsigned x = 0; x < 64; x++) {
			size_t best = SIZE_MAX;
			for (size_t i = 0; i < n; i++)
				if (x >= r[i].lo && x <= r[i].hi &&
				    (best == SIZE_MAX || r[i].hi - r[i].lo <= r[best].hi - r[best].lo))
					best = i;
			char addr[64];
			snprintf(addr, sizeof(addr), v6 ? "2001:db8::%x" : "10.0.0.%u", x);
			bt_addr a;
			bt_pfx2as_match m;
			assert_int_equal(bt_addr_parse(addr, &a), 0);
			bool found = bt_pfx2as_lookup(t, &a, &m, NULL);
			if (found != (best != SIZE_MAX) ||
			    (found && (m.line != r[best].line || strcmp(m.file, best >= n / 2 ? "b" : "a") != 0)))
				fail_msg("trial %d, %s: %s:%u, the rule says row %zu", trial, addr,
					 found ? m.file : "-", found ? m.line : 0, best);
		}
		/* rows at fault, each once, in its own file: a repeat of an
		 * earlier row, or a row starting inside one that starts before
		 * it and ending past it */
		size_t want[2] = { 0, 0 };
		for (size_t j = 0; j < n; j++) {
			bool bad = false;
			for (size_t i = 0; i < n && !bad; i++)
				bad = i != j && ((i < j && r[i].lo == r[j].lo && r[i].hi == r[j].hi) ||
						 (r[i].lo < r[j].lo && r[j].lo <= r[i].hi && r[i].hi < r[j].hi));
			want[r[j].file] += bad;
		}
		for (size_t f = 0; f < 2; f++) {
			size_t rows, dups, over;
			bt_pfx2as_file_stats(t, f, &rows, &dups, &over);
			if (dups + over != want[f])
				fail_msg("trial %d, file %zu: %zu + %zu rows at fault, want %zu", trial, f,
					 dups, over, want[f]);
		}
		bt_pfx2as_free(t);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_caida),
		cmocka_unit_test(test_parse_csv),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_load_and_lookup),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_gzip),
		cmocka_unit_test(test_ixp),
		cmocka_unit_test(test_csv_as_written),
		cmocka_unit_test(test_public_tables),
		cmocka_unit_test(test_not_a_table),
		cmocka_unit_test(test_rule_through_loader),
		cmocka_unit_test(test_large_generated),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
