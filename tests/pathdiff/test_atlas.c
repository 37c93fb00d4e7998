/* bordertrace tests — the RIPE Atlas mapper, field by field (doc/atlas.md):
 * what hops.csv does not show (MPLS, quoted TTL, RTT in microseconds,
 * reply size, TCP flags, attempts of duplicate and late replies), the
 * round buckets, the sniffing, and the results that cannot be mapped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "atlas_fast.h"
#include "atlas_json.h"
#include "bordertrace/atlas.h"
#include "bordertrace/input.h"
#include "seen.h"

/* The addresses of "from" texts met, kept from case to case as a reader
 * keeps them from result to result (the mapper parses every text). */
static atlas_froms *froms(void)
{
	static atlas_froms f;
	return &f;
}

static bt_trace *map_ok(const char *json)
{
	bt_trace *t = NULL;
	char err[512] = "";
	int rc = bt_atlas_map(json, strlen(json), 0, &t, err, sizeof(err));
	if (rc != 1)
		fail_msg("not mapped (%d): %s", rc, err);
	return t;
}

#define HEAD "{\"fw\":4790,\"type\":\"traceroute\",\"af\":4,\"prb_id\":6001,\"msm_id\":5001," \
	"\"timestamp\":1506844805,\"endtime\":1506844810,\"dst_addr\":\"198.18.9.1\",\"src_addr\":\"198.18.0.10\","

static void test_reply_fields(void **state)
{
	(void)state;
	bt_trace *t = map_ok(HEAD "\"proto\":\"ICMP\",\"paris_id\":3,\"result\":["
		"{\"hop\":1,\"result\":[{\"from\":\"198.18.2.1\",\"rtt\":5.1236,\"size\":140,\"ttl\":253,\"ittl\":2,"
		"\"icmpext\":{\"version\":2,\"rfc4884\":1,\"obj\":[{\"class\":2,\"type\":1},{\"class\":1,\"type\":1,\"mpls\":["
		"{\"exp\":0,\"label\":24001,\"s\":0,\"ttl\":1},{\"exp\":5,\"label\":16,\"s\":1,\"ttl\":2}]}]}},"
		"{\"from\":\"198.18.2.1\",\"rtt\":5.2,\"size\":140,\"ttl\":253,\"dup\":true},"
		"{\"x\":\"*\"},{\"from\":\"198.18.2.9\",\"late\":1,\"size\":76,\"ttl\":253},{},"
		"{\"from\":\"198.18.2.1\",\"rtt\":5.3,\"size\":140,\"ttl\":253,\"dup\":false}]},"
		"{\"hop\":2,\"result\":[{\"from\":\"198.18.9.1\",\"rtt\":7,\"size\":48,\"ttl\":60}]}]}");
	assert_string_equal(t->vp, "atlas-6001");
	assert_string_equal(t->campaign, "atlas-5001");
	assert_string_equal(t->round, "2017-10-01T08:00:00Z");
	assert_int_equal(t->flow, 3);
	assert_int_equal(t->start_us, INT64_C(1506844805000000));
	assert_int_equal(t->end_us, INT64_C(1506844810000000));
	assert_int_equal(t->hop_count, 6);
	const bt_hop *h = &t->hops[0];
	assert_int_equal(h->rtt_us, 5124);
	assert_int_equal(h->reply_size, 140);
	assert_int_equal(h->reply_ttl, 253);
	assert_int_equal(h->quoted_ttl, 2);
	assert_int_equal(h->icmp_type, 11);
	assert_int_equal(h->mpls_count, 2);
	assert_int_equal(h->mpls[0].label, 24001);
	assert_int_equal(h->mpls[1].tc, 5);
	assert_int_equal(h->mpls[1].s, 1);
	assert_int_equal(h->mpls[1].ttl, 2);
	/* attempts: 1, the dup 1, the timeout 2, the late reply 2, {} nothing,
	 * "dup": false 3 */
	assert_int_equal(t->hops[1].attempt, 1);
	assert_int_equal(t->hops[2].attempt, 2);
	assert_false(bt_addr_is_set(&t->hops[2].addr));
	assert_int_equal(t->hops[3].attempt, 2);
	assert_int_equal(t->hops[3].rtt_us, 0);
	assert_int_equal(t->hops[3].quoted_ttl, 1); /* ittl left out: 1 */
	assert_int_equal(t->hops[4].attempt, 3); /* "dup": false is a packet of its own */
	assert_int_equal(t->hops[5].icmp_type, 0);
	assert_int_equal(t->hops[5].quoted_ttl, 0);
	assert_int_equal(t->probes_sent, 4);
	assert_int_equal(t->stop, BT_STOP_COMPLETED);
	assert_int_equal(t->stop_ttl, 2);
	bt_trace_free(t);
}

static void test_tcp_and_gaplimit(void **state)
{
	(void)state;
	bt_trace *t = map_ok(HEAD "\"proto\":\"TCP\",\"result\":[{\"hop\":1,\"result\":["
		"{\"from\":\"198.18.9.1\",\"rtt\":1,\"size\":40,\"ttl\":63,\"flags\":\"SA\"},"
		"{\"from\":\"198.18.9.1\",\"rtt\":1,\"size\":40,\"ttl\":63}]}]}");
	assert_int_equal(t->method, BT_METHOD_TCP_SYN);
	assert_int_equal(t->flow, 0); /* no paris_id */
	assert_int_equal(t->hops[0].tcp_flags, 0x12);
	assert_int_equal(t->hops[1].tcp_flags, 0x14);
	bt_trace_free(t);
	t = map_ok(HEAD "\"proto\":\"UDP\",\"paris_id\":1,\"result\":[{\"hop\":2,\"result\":[{\"x\":\"*\"}]},"
		   "{\"hop\":255,\"result\":[{\"from\":\"198.18.9.1\",\"rtt\":1,\"size\":40,\"ttl\":63}]}]}");
	assert_int_equal(t->stop, BT_STOP_GAPLIMIT);
	assert_int_equal(t->first_ttl, 2);
	assert_int_equal(t->max_ttl, 255);
	assert_int_equal(t->hop_count, 1);
	bt_trace_free(t);
}

static void test_not_mapped(void **state)
{
	(void)state;
	static const struct {
		const char *json, *why;
	} c[] = {
		{ "{\"fw\":4790,\"type\":\"dns\"}", "a 'dns' result, not a traceroute" },
		{ "{\"fw\":1,\"result\":\"traceroute to ...\"}", "firmware 1 result (before 4400" },
		{ "{\"type\":\"traceroute\",\"result\":[]}", "'fw': no firmware version" },
		{ HEAD "\"proto\":\"GRE\",\"result\":[]}", "'proto': expected ICMP, UDP or TCP" },
		{ HEAD "\"proto\":\"ICMP\",\"paris_id\":-1,\"result\":[]}", "'paris_id': expected 0..65535" },
		{ HEAD "\"proto\":\"ICMP\",\"result\":[{\"hop\":1,\"result\":[{\"from\":\"nowhere\",\"rtt\":1}]}]}",
		  "'from': not an IP address" },
		{ HEAD "\"proto\":\"ICMP\",\"result\":[{\"hop\":1,\"result\":[{\"from\":\"198.18.0.1\"}]}]}",
		  "'rtt': expected a number" },
		{ HEAD "\"proto\":\"ICMP\",\"result\":[{\"hop\":2},{\"hop\":1}]}", "hop 2: neither" },
		{ "{\"fw\":4790,\"type\":\"traceroute\",\"prb_id\":1,\"msm_id\":2,\"timestamp\":1,\"result\":[]}",
		  "no 'dst_addr'" },
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		bt_trace *t = (bt_trace *)1;
		char err[512] = "";
		assert_int_equal(bt_atlas_map(c[i].json, strlen(c[i].json), 0, &t, err, sizeof(err)), 0);
		assert_null(t);
		if (strstr(err, c[i].why) == NULL)
			fail_msg("case %zu: %s", i, err);
	}
	bt_trace *t;
	char err[256];
	assert_int_equal(bt_atlas_map("[1]", 3, 0, &t, err, sizeof(err)), -1);
	assert_int_equal(bt_atlas_map("{\"a\":1,\"a\":2}", 13, 0, &t, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not JSON: duplicate object key"));
}

static void test_rounds_and_sniff(void **state)
{
	(void)state;
	char r[32];
	bt_atlas_round(1506844805, 900, r, sizeof(r));
	assert_string_equal(r, "2017-10-01T08:00:00Z");
	bt_atlas_round(1506845940, 900, r, sizeof(r));
	assert_string_equal(r, "2017-10-01T08:15:00Z");
	bt_atlas_round(1506845940, 86400, r, sizeof(r));
	assert_string_equal(r, "2017-10-01T00:00:00Z");
	static const char *yes[] = { "[", " \n[\n  {\"fw\":1", "[]", "{\"fw\":4790,\"prb_id\":1",
				     "\xef\xbb\xbf{\"msm_id\":1}" };
	static const char *no[] = { "", "{\"format\":\"bordertrace-trace\",\"prb_id\":1}", "[1,2]",
				    "{\"vp\":\"x\"}", "BZh9" };
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		assert_true(bt_atlas_sniff((const uint8_t *)yes[i], strlen(yes[i])));
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_false(bt_atlas_sniff((const uint8_t *)no[i], strlen(no[i])));
}

/* The fast parser's numbers are strtod's, bit for bit: hand-picked and
 * 100,000 pseudo-random decimals of 1 to 15 digits. */
static void test_fast_numbers(void **state)
{
	(void)state;
	jv_arena *a = jv_arena_new();
	assert_non_null(a);
	static const char *nums[] = { "0.1", "20.25", "-0.5", "123456.789012345", "0.000000000000001",
				      "1e-3", "4294967.295", "999999999999999", "-0", "1.7976931348623157e308" };
	char text[96], num[40];
	uint64_t x = 88172645463325252u;
	for (int i = 0; i < 100000 + 10; i++) {
		if (i < 10) {
			snprintf(num, sizeof(num), "%s", nums[i]);
		} else {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			/* DIGITS digits, a point after the first POINT + 1 of them */
			int digits = 2 + (int)(x % 14), point = (int)((x >> 8) % (uint64_t)(digits - 1));
			uint64_t m = (x >> 16) % 1000000000000000u;
			snprintf(num, sizeof(num), "%015llu", (unsigned long long)m);
			num[digits] = '\0';
			if (point > 0 && num[0] == '0')
				num[0] = (char)('1' + x % 9); /* no leading zero */
			memmove(num + point + 2, num + point + 1, (size_t)(digits - point));
			num[point + 1] = '.';
		}
		snprintf(text, sizeof(text), "{\"n\":%s}", num);
		jv *v;
		assert_int_equal(jv_parse_fast(a, text, strlen(text), &v), 1);
		const jv *n = jv_get(v, "n");
		double want = strtod(num, NULL);
		double got = n->kind == JV_INT ? (double)n->u.i : n->u.d;
		if (memcmp(&want, &got, sizeof(got)) != 0 && !(want == 0 && got == 0))
			fail_msg("%s: fast %.17g, strtod %.17g", num, got, want);
	}
	jv_arena_free(a);
}

/* The direct read of the hops (atlas_fast.c) against the mapper: every
 * result it takes gives the record bt_atlas_map gives (the digest covers
 * every field), and what it does not take it leaves (2). Variants of one
 * result: spacing, key order, timeouts, the destination answering or not,
 * each method and family, values out of range, members it does not read. */
static void test_direct_read(void **state)
{
	(void)state;
	static const struct { const char *hops; int taken; } cases[] = {
		{ "[{\"hop\":1,\"result\":[{\"from\":\"198.18.1.1\",\"rtt\":1.5,\"size\":76,\"ttl\":254},{\"x\":\"*\"}]},"
		  "{\"hop\":2,\"result\":[{\"from\":\"198.18.9.1\",\"rtt\":3,\"size\":48,\"ttl\":60}]}]", 1 },
		{ "[ { \"hop\" : 1 , \"result\" : [ { \"ttl\" : 254 , \"rtt\" : 0.125 , \"from\" : \"198.18.1.1\" } ] } ]", 1 },
		{ "[{\"hop\":3,\"result\":[{\"x\":\"*\"},{\"x\":\"*\"},{\"x\":\"*\"}]},{\"hop\":4,\"result\":[{\"x\":\"*\"}]}]", 1 },
		{ "[{\"hop\":1,\"result\":[{\"from\":\"198.18.1.1\",\"rtt\":1.5},{\"from\":\"198.18.1.2\",\"rtt\":2}]}]", 1 },
		{ "[]", 1 },
		{ "[{\"hop\":1,\"result\":[{\"from\":\"198.18.9.1\",\"rtt\":4294967.5}]}]", 0 },
		{ "[{\"hop\":1,\"result\":[{\"from\":\"198.18.9.1\",\"rtt\":1,\"ttl\":256}]}]", 0 },
		{ "[{\"hop\":1,\"result\":[{\"from\":\"198.18.9.1\",\"rtt\":1e0}]}]", 0 },
		{ "[{\"hop\":1,\"result\":[{\"from\":\"198.18.9.1\",\"rtt\":1,\"err\":\"N\"}]}]", 0 },
		{ "[{\"hop\":1,\"result\":[{\"from\":\"198.18.9.1\",\"rtt\":1,\"ittl\":2}]}]", 0 },
		{ "[{\"hop\":1,\"result\":[{\"from\":\"198.18.9.1\",\"rtt\":1,\"rtt\":2}]}]", 0 },
		{ "[{\"hop\":1,\"result\":[{}]}]", 0 },
		{ "[{\"hop\":1,\"result\":[{\"from\":\"198.18.1.1\",\"rtt\":1}]},{\"hop\":3,\"result\":[{\"x\":\"*\"}]}]", 0 },
		{ "[{\"hop\":1,\"result\":[{\"from\":\"198.18.1.1\",\"rtt\":1}]},{\"hop\":255,\"result\":[{\"x\":\"*\"}]}]", 0 },
		{ "[{\"result\":[{\"x\":\"*\"}],\"hop\":1}]", 0 },
		{ "[{\"hop\":1,\"error\":\"sendto failed\"}]", 0 },
		{ "[{\"hop\":1,\"result\":[{\"from\":\"not an address\",\"rtt\":1}]}]", 0 },
		/* runs of "from" texts that differ in one byte, at each length */
		{ "[{\"hop\":1,\"result\":[{\"from\":\"1.2.3.4\",\"rtt\":1},{\"from\":\"1.2.3.5\",\"rtt\":1},"
		  "{\"from\":\"1.2.3.45\",\"rtt\":1},{\"from\":\"1.2.3.46\",\"rtt\":1},{\"from\":\"2.2.3.46\",\"rtt\":1},"
		  "{\"from\":\"198.18.1.1\",\"rtt\":1},{\"from\":\"198.18.1.2\",\"rtt\":1},{\"from\":\"198.18.1.12\",\"rtt\":1},"
		  "{\"from\":\"198.18.11.2\",\"rtt\":1},{\"from\":\"198.18.111.222\",\"rtt\":1},{\"from\":\"198.18.111.223\",\"rtt\":1},"
		  "{\"from\":\"2001:db8::1\",\"rtt\":1},{\"from\":\"2001:db8::2\",\"rtt\":1},"
		  "{\"from\":\"2001:db8:1:2:3:4:5:6\",\"rtt\":1},{\"from\":\"2001:db8:1:2:3:4:5:7\",\"rtt\":1},"
		  "{\"from\":\"2001:db8:1:2:3:4:5:7\",\"rtt\":1},{\"from\":\"3001:db8:1:2:3:4:5:7\",\"rtt\":1}]}]", 1 },
		/* RTTs in microseconds, around the bound and the rounding */
		{ "[{\"hop\":1,\"result\":[{\"from\":\"198.18.9.1\",\"rtt\":4294966.999},{\"from\":\"198.18.9.1\",\"rtt\":0.001},"
		  "{\"from\":\"198.18.9.1\",\"rtt\":12.3456},{\"from\":\"198.18.9.1\",\"rtt\":1.0005},"
		  "{\"from\":\"198.18.9.1\",\"rtt\":0.0005},{\"from\":\"198.18.9.1\",\"rtt\":4294966.9994999},"
		  "{\"from\":\"198.18.9.1\",\"rtt\":0},{\"from\":\"198.18.9.1\",\"rtt\":0.0},{\"from\":\"198.18.9.1\",\"rtt\":123456.78}]}]", 1 },
		{ "[{\"hop\":1,\"result\":[{\"from\":\"198.18.9.1\",\"rtt\":4294967}]}]", 0 },
		{ "[{\"hop\":1,\"result\":[{\"from\":\"198.18.9.1\",\"rtt\":4294967.000}]}]", 0 },
		{ "[{\"hop\":1,\"result\":[{\"from\":\"198.18.9.1\",\"rtt\":4294966.9999999}]}]", 1 },
		{ "[{\"hop\":1,\"result\":[{\"from\":\"198.18.9.1\",\"rtt\":-1.5}]}]", 0 },
		/* the hop's head as Atlas writes it read by its literals: forms
		 * that match them in part */
		{ "[{\"hop\":1,\"result\" :[{\"x\":\"*\"}]},{\"hop\" :2,\"result\":[{\"x\":\"*\"}]}]", 1 },
		{ "[{\"hop\":1 ,\"result\":[{\"x\":\"*\"}]},{\"hop\":2,\"result\": [{\"x\":\"*\"}]}]", 1 },
		{ "[{\"hop\":1,\"results\":[{\"x\":\"*\"}]}]", 0 },
		{ "[{\"hop\":1,\"resul\":[{\"x\":\"*\"}]}]", 0 },
		{ "[{\"hop\":1,\"result\":{\"x\":\"*\"}}]", 0 },
		{ "[{\"hop\":1.0,\"result\":[{\"x\":\"*\"}]}]", 0 },
		{ "[{\"hop\":0,\"result\":[{\"x\":\"*\"}]}]", 0 },
		{ "[{\"hop\":256,\"result\":[{\"x\":\"*\"}]}]", 0 },
		{ "[{\"hop\":-1,\"result\":[{\"x\":\"*\"}]}]", 0 },
		{ "[{\"hop\":\"1\",\"result\":[{\"x\":\"*\"}]}]", 0 },
		{ "[{\"hop\":1,\"result\":[{\"x\":\"*\"}]},{\"hop\":1,\"result\":[{\"x\":\"*\"}]}]", 0 },
	};
	static const char *heads[] = {
		"\"fw\":5080,\"type\":\"traceroute\",\"proto\":\"ICMP\",\"dst_addr\":\"198.18.9.1\"",
		"\"fw\":5080,\"type\":\"traceroute\",\"proto\":\"UDP\",\"dst_addr\":\"198.18.9.1\",\"paris_id\":7",
		"\"fw\":5080,\"type\":\"traceroute\",\"proto\":\"TCP\",\"dst_addr\":\"198.18.9.1\"",
		"\"fw\":5080,\"proto\":\"ICMP\",\"dst_addr\":\"2001:db8::1\",\"af\":6",
		"\"fw\":4000,\"type\":\"traceroute\",\"proto\":\"ICMP\",\"dst_addr\":\"198.18.9.1\"",
	};
	char json[2048];
	for (size_t h = 0; h < sizeof(heads) / sizeof(heads[0]); h++) {
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			for (int order = 0; order < 2; order++) {
				const char *ids = "\"prb_id\":6001,\"msm_id\":5001,\"timestamp\":1506844805,\"endtime\":1506844810";
				if (order == 0)
					snprintf(json, sizeof(json), "{%s,%s,\"result\":%s}", heads[h], ids, cases[i].hops);
				else
					snprintf(json, sizeof(json), "{%s,\"result\":%s,%s}", heads[h], cases[i].hops, ids);
				bt_trace *a = NULL, *b = NULL;
				char ea[512] = "", eb[512] = "";
				int ra = bt_atlas_map(json, strlen(json), 0, &a, ea, sizeof(ea));
				int rb = bt_atlas_map_direct(json, strlen(json), 0, froms(), &b, eb, sizeof(eb));
				if (rb == 2) {
					if (cases[i].taken)
						fail_msg("not taken: %s", json);
				} else {
					if (!cases[i].taken)
						fail_msg("taken: %s", json);
					if (ra != rb || strcmp(ea, eb) != 0)
						fail_msg("%s: mapper %d '%s', direct %d '%s'", json, ra, ea, rb, eb);
					if (ra == 1 && (bt_trace_digest(a) != bt_trace_digest(b) ||
							a->hop_count != b->hop_count || a->stop != b->stop ||
							a->max_ttl != b->max_ttl || a->probes_sent != b->probes_sent))
						fail_msg("%s: another record", json);
				}
				bt_trace_free(a);
				bt_trace_free(b);
			}
		}
	}
	/* addresses: the in-line dotted quad against bt_addr_parse */
	static const struct { const char *from; int taken; } addrs[] = {
		{ "198.18.1.1", 1 }, { "0.0.0.0", 1 }, { "255.255.255.255", 1 }, { "198.18.9.1", 1 },
		{ "2001:db8::1", 1 }, { "::ffff:198.18.1.1", 1 }, { "198.18.1.01", 0 }, { "198.18.1.256", 0 },
		{ "198.18.1", 0 }, { "198.18.1.1.1", 0 }, { "198.18.1.1 ", 0 }, { "198.18..1", 0 },
		{ "1234.1.1.1", 0 }, { "", 0 }, { "198.18.1.-1", 0 },
	};
	for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		snprintf(json, sizeof(json), "{%s,\"prb_id\":1,\"msm_id\":2,\"timestamp\":1506844805,\"result\":"
			 "[{\"hop\":1,\"result\":[{\"from\":\"%s\",\"rtt\":1}]}]}", heads[0], addrs[i].from);
		bt_trace *a = NULL, *b = NULL;
		char ea[512] = "", eb[512] = "";
		int ra = bt_atlas_map(json, strlen(json), 0, &a, ea, sizeof(ea));
		int rb = bt_atlas_map_direct(json, strlen(json), 0, froms(), &b, eb, sizeof(eb));
		if (addrs[i].taken ? rb != 1 || ra != 1 || !bt_addr_eq(&a->hops[0].addr, &b->hops[0].addr) ||
					     bt_trace_digest(a) != bt_trace_digest(b)
				   : rb != 2)
			fail_msg("from '%s': mapper %d '%s', direct %d '%s'", addrs[i].from, ra, ea, rb, eb);
		bt_trace_free(a);
		bt_trace_free(b);
	}
}

/* The graph's fields (what bt_owner_add reads) of the light read and of
 * the full one agree. */
static void assert_graph_same(const bt_trace *s, const bt_trace *f, const char *what)
{
	bool same = bt_addr_eq(&s->dst, &f->dst) && s->first_ttl == f->first_ttl &&
		    s->filled_below_ttl == f->filled_below_ttl && s->hop_count == f->hop_count;
	for (size_t i = 0; same && i < s->hop_count; i++)
		same = s->hops[i].probe_ttl == f->hops[i].probe_ttl &&
		       memcmp(&s->hops[i].addr, &f->hops[i].addr, sizeof(bt_addr)) == 0;
	if (!same)
		fail_msg("light read differs from the mapper: %s", what);
}

/* One result's text through the light read and the mapper: what the
 * light read takes (the object it cuts out of the text), the mapper maps,
 * never skips, to the same graph fields; or refuses as not JSON for a
 * duplicate key (the full read then reports it). 1 taken, 0 not. */
static int light_vs_mapper(bt_trace *s, const char *json, size_t len)
{
	size_t used = 0;
	if (atlas_scan_result(s, froms(), json, len, &used) != 1)
		return 0;
	bt_trace *f = NULL;
	char err[512] = "";
	int rc = bt_atlas_map(json, used, 0, &f, err, sizeof(err));
	if (rc == 1)
		assert_graph_same(s, f, json);
	else if (rc == 0 || strstr(err, "duplicate") == NULL)
		fail_msg("light read took what the mapper does not map (%d: %s): %.*s", rc, err, (int)len, json);
	bt_trace_free(f);
	return rc == 1;
}

/* Variants of a result for the reads without a tree against the mapper:
 * of the head (each member the mapper can skip a result for: missing, of
 * another type, out of range, twice) and of the hops (test_direct_read's);
 * the first three heads (the fourth with a nested member too, for the
 * light read), two ids and four hop lists are the common shape. */
static const char *const heads[] = {
	"\"fw\":5080,\"type\":\"traceroute\",\"proto\":\"ICMP\",\"dst_addr\":\"198.18.9.1\"",
	"\"fw\":5080,\"proto\":\"UDP\",\"dst_addr\":\"2001:db8::1\",\"paris_id\":65535,\"af\":6",
	"\"fw\":4400,\"type\":\"traceroute\",\"proto\":\"TCP\",\"dst_addr\":\"198.18.9.1\",\"paris_id\":0",
	"\"fw\":5080,\"lts\":-1,\"ttr\":12.5,\"x\":[1,{\"a\":null,\"b\":[true,false]}],\"proto\":\"ICMP\",\"dst_addr\":\"198.18.9.1\"",
	/* each below: the mapper skips the result, or it is not plain JSON */
	"\"fw\":4399,\"type\":\"traceroute\",\"proto\":\"ICMP\",\"dst_addr\":\"198.18.9.1\"",
	"\"fw\":5080.0,\"proto\":\"ICMP\",\"dst_addr\":\"198.18.9.1\"",
	"\"type\":\"traceroute\",\"proto\":\"ICMP\",\"dst_addr\":\"198.18.9.1\"",
	"\"fw\":5080,\"type\":\"ping\",\"proto\":\"ICMP\",\"dst_addr\":\"198.18.9.1\"",
	"\"fw\":5080,\"type\":1,\"proto\":\"ICMP\",\"dst_addr\":\"198.18.9.1\"",
	"\"fw\":5080,\"proto\":\"GRE\",\"dst_addr\":\"198.18.9.1\"",
	"\"fw\":5080,\"proto\":\"icmp\",\"dst_addr\":\"198.18.9.1\"",
	"\"fw\":5080,\"dst_addr\":\"198.18.9.1\"",
	"\"fw\":5080,\"proto\":\"ICMP\",\"dst_addr\":\"\",\"dst_name\":\"x.invalid\"",
	"\"fw\":5080,\"proto\":\"ICMP\",\"dst_addr\":\"198.18.9\"",
	"\"fw\":5080,\"proto\":\"ICMP\"",
	"\"fw\":5080,\"proto\":\"ICMP\",\"dst_addr\":null",
	"\"fw\":5080,\"proto\":\"ICMP\",\"dst_addr\":\"198.18.9.1\",\"paris_id\":65536",
	"\"fw\":5080,\"proto\":\"ICMP\",\"dst_addr\":\"198.18.9.1\",\"paris_id\":-1",
	"\"fw\":5080,\"proto\":\"ICMP\",\"dst_addr\":\"198.18.9.1\",\"paris_id\":null",
	"\"fw\":5080,\"proto\":\"ICMP\",\"dst_addr\":\"198.18.9.1\",\"dst_addr\":\"198.18.9.2\"",
	"\"fw\":5080,\"proto\":\"ICMP\",\"dst_addr\":\"198.18.9.1\",\"msm_name\":\"a\\u0041\"",
	"\"fw\":5080,\"proto\":\"ICMP\",\"dst_addr\":\"198.18.9.1\",\"n\":12345678901234567",
};
static const char *const ids[] = {
	"\"prb_id\":6001,\"msm_id\":5001,\"timestamp\":1506844805,\"endtime\":1506844810",
	"\"prb_id\":999999999999,\"msm_id\":0,\"timestamp\":253402300799",
	"\"prb_id\":1000000000000,\"msm_id\":5001,\"timestamp\":1506844805",
	"\"prb_id\":\"6001\",\"msm_id\":5001,\"timestamp\":1506844805",
	"\"prb_id\":6001,\"timestamp\":1506844805",
	"\"prb_id\":6001,\"msm_id\":5001,\"timestamp\":253402300800",
	"\"prb_id\":6001,\"msm_id\":5001,\"timestamp\":-1",
};
static const char *const hops[] = {
	"[{\"hop\":1,\"result\":[{\"from\":\"198.18.1.1\",\"rtt\":1.5,\"size\":76,\"ttl\":254},{\"x\":\"*\"}]},"
	"{\"hop\":2,\"result\":[{\"from\":\"198.18.9.1\",\"rtt\":3,\"size\":48,\"ttl\":60}]}]",
	"[ { \"hop\" : 2 , \"result\" : [ { \"ttl\" : 254 , \"rtt\" : 0.125 , \"from\" : \"198.18.1.1\" } ] } ]",
	"[{\"hop\":3,\"result\":[{\"x\":\"*\"},{\"x\":\"*\"}]},{\"hop\":4,\"result\":[{\"from\":\"2001:db8::9\",\"rtt\":2}]}]",
	"[]",
	"[{\"hop\":1,\"result\":[{\"from\":\"198.18.9.1\",\"rtt\":4294967.5}]}]",
	"[{\"hop\":1,\"result\":[{\"from\":\"198.18.9.1\",\"rtt\":-1}]}]",
	"[{\"hop\":1,\"result\":[{\"from\":\"198.18.9.1\",\"rtt\":1,\"err\":\"N\"}]}]",
	"[{\"hop\":1,\"result\":[{\"from\":\"198.18.9.1\",\"rtt\":1,\"err\":\"?\"}]}]",
	"[{\"hop\":1,\"result\":[{\"from\":\"198.18.9.1\",\"late\":1}]}]",
	"[{\"hop\":1,\"result\":[{}]}]",
	"[{\"hop\":1,\"result\":[{\"from\":\"198.18.1.1\",\"rtt\":1}]},{\"hop\":3,\"result\":[{\"x\":\"*\"}]}]",
	"[{\"hop\":1,\"result\":[{\"from\":\"198.18.1.1\",\"rtt\":1}]},{\"hop\":255,\"result\":[{\"x\":\"*\"}]}]",
	"[{\"hop\":255,\"result\":[{\"x\":\"*\"}]}]",
	"[{\"hop\":1,\"error\":\"sendto failed\"}]",
	"[{\"hop\":1,\"result\":[{\"from\":\"not an address\",\"rtt\":1}]}]",
	"{\"hop\":1}",
	/* the light read's own reading of RTT, size and TTL */
	"[{\"hop\":1,\"result\":[{\"from\":\"198.18.9.1\",\"rtt\":4294966.99999999,\"size\":0,\"ttl\":999999999}]}]",
	"[{\"hop\":1,\"result\":[{\"from\":\"198.18.9.1\",\"rtt\":4294967}]}]",
	"[{\"hop\":1,\"result\":[{\"from\":\"198.18.9.1\",\"rtt\":4294966.999999999999}]}]",
	"[{\"hop\":1,\"result\":[{\"from\":\"198.18.9.1\",\"rtt\":0,\"size\":1.5,\"ttl\":-3}]}]",
	"[{\"hop\":1,\"result\":[{\"from\":\"198.18.9.1\",\"rtt\":1,\"ttl\":1234567890}]}]",
	"[{\"hop\":1,\"result\":[{\"from\":\"198.18.9.1\",\"rtt\":01}]}]",
	"[{\"hop\":1,\"result\":[{\"from\":\"198.18.9.1\",\"rtt\":1,\"size\":076}]}]",
	"[{\"hop\":1,\"result\":[{\"from\":\"198.18.9.1\",\"rtt\":1.}]}]",
	"[{\"hop\":1,\"result\":[{\"from\":\"198.18.9.1\",\"rtt\":1,\"size\":76,\"size\":76}]}]",
	/* timeouts matched by their literals in part; runs of "from"
	 * texts that differ in one byte, at each length */
	"[{\"hop\":1,\"result\":[{\"x\":\"*\" },{\"x\" :\"*\"},{\"x\":\"**\"},{\"x\":\"*\"}]}]",
"[{\"hop\":1,\"result\":[{\"x\":\"*\"{\"x\":\"*\"}]}]", /* the fuzz target's find */
	"[{\"hop\":1,\"result\":[{\"from\":\"1.2.3.4\",\"rtt\":1},{\"from\":\"1.2.3.5\",\"rtt\":1},"
	"{\"from\":\"1.2.3.45\",\"rtt\":1},{\"from\":\"1.2.3.46\",\"rtt\":1},{\"from\":\"2.2.3.46\",\"rtt\":1},"
	"{\"from\":\"198.18.1.1\",\"rtt\":1},{\"from\":\"198.18.1.2\",\"rtt\":1},{\"from\":\"198.18.1.12\",\"rtt\":1},"
	"{\"from\":\"198.18.11.2\",\"rtt\":1},{\"from\":\"198.18.111.222\",\"rtt\":1},{\"from\":\"198.18.111.223\",\"rtt\":1},"
	"{\"from\":\"2001:db8::1\",\"rtt\":1},{\"from\":\"2001:db8::2\",\"rtt\":1},"
	"{\"from\":\"2001:db8:1:2:3:4:5:6\",\"rtt\":1},{\"from\":\"2001:db8:1:2:3:4:5:7\",\"rtt\":1},"
	"{\"from\":\"2001:db8:1:2:3:4:5:7\",\"rtt\":1},{\"from\":\"3001:db8:1:2:3:4:5:7\",\"rtt\":1}]}]",
	/* the hop's head, matched by its literals in part */
	"[{\"hop\":1,\"result\" :[{\"x\":\"*\"}]},{\"hop\" :2,\"result\":[{\"from\":\"198.18.9.1\",\"rtt\":1}]}]",
	"[{\"hop\":1 ,\"result\":[{\"x\":\"*\"}]},{\"hop\":2,\"result\": [{\"x\":\"*\"}]}]",
	"[{\"hop\":1,\"results\":[{\"x\":\"*\"}]}]",
	"[{\"hop\":1,\"result\":{\"x\":\"*\"}}]",
	"[{\"hop\":1.0,\"result\":[{\"x\":\"*\"}]}]",
	"[{\"hop\":0,\"result\":[{\"x\":\"*\"}]}]",
	"[{\"hop\":256,\"result\":[{\"x\":\"*\"}]}]",
	"[{\"hop\":\"1\",\"result\":[{\"x\":\"*\"}]}]",
	"[{\"hop\":1,\"result\":[{\"x\":\"*\"}]},{\"hop\":1,\"result\":[{\"x\":\"*\"}]}]",
};

#define N_OF(v) (sizeof(v) / sizeof((v)[0]))

/* The text json[0, base) with 1 to 3 random bytes changed, removed or
 * doubled (x: the generator's state), into m[4096]: its length. */
static size_t mutate(const char *json, size_t base, char *m, int i, uint64_t *x)
{
	memcpy(m, json, base);
	size_t n = base;
	for (int k = 0; k < 1 + i % 3; k++) {
		*x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17;
		size_t at = (size_t)(*x % n);
		static const char bytes[] = "{}[]\",:0159.-*ex \\";
		char c = bytes[(*x >> 20) % (sizeof(bytes) - 1)];
		if ((*x >> 8) % 3 == 0)
			m[at] = c;
		else if ((*x >> 8) % 3 == 1 && n > 1)
			memmove(m + at, m + at + 1, --n - at);
		else if (n + 1 < 4096)
			memmove(m + at + 1, m + at, n++ - at);
	}
	return n;
}

/* The light read of the graph's pass (atlas_scan_result) against the
 * mapper over variants of the head (each member the mapper can skip a
 * result for: missing, of another type, out of range, twice) and of the
 * hops (test_direct_read's), then 20,000 random mutations of a result. */
static void test_light_read(void **state)
{
	(void)state;
	bt_trace *s = bt_trace_alloc(BT_HOPS_MAX);
	assert_non_null(s);
	char json[4096];
	unsigned taken = 0, all = 0;
	for (size_t h = 0; h < N_OF(heads); h++)
		for (size_t d = 0; d < N_OF(ids); d++)
			for (size_t i = 0; i < N_OF(hops); i++)
				for (int order = 0; order < 2; order++) {
					int n = order == 0 ? snprintf(json, sizeof(json), "{%s,%s,\"result\":%s}", heads[h], ids[d], hops[i])
							   : snprintf(json, sizeof(json), "{\"result\":%s, %s ,%s}", hops[i], ids[d], heads[h]);
					int t = light_vs_mapper(s, json, (size_t)n);
					taken += (unsigned)t;
					all++;
					if (h < 4 && d < 2 && i < 4 && !t)
						fail_msg("light read refused a common result: %s", json);
				}
	assert_true(taken >= 4 * 2 * 4 * 2 && taken < all);
	/* random mutations of a result: a byte changed, removed or doubled */
	int base = snprintf(json, sizeof(json), "{%s,%s,\"result\":%s}", heads[0], ids[0], hops[0]);
	uint64_t x = 2463534242u;
	unsigned kept = 0;
	for (int i = 0; i < 20000; i++) {
		char m[4096];
		size_t n = mutate(json, (size_t)base, m, i, &x);
		kept += (unsigned)light_vs_mapper(s, m, n);
	}
	assert_true(kept > 1000); /* the light read was tried on results it takes */
	bt_trace_free(s);
}

/* One result's text through the read without a tree (bt_atlas_map_head)
 * and the mapper: what it takes, the mapper maps to the same record or
 * skips for the same reason (never refuses). 1 taken, 0 not. */
static int head_vs_mapper(const char *json, size_t len)
{
	bt_trace *a = NULL, *b = NULL;
	char ea[512] = "", eb[512] = "";
	int rb = bt_atlas_map_head(json, len, 0, froms(), &b, eb, sizeof(eb));
	if (rb == 2)
		return 0;
	int ra = bt_atlas_map(json, len, 0, &a, ea, sizeof(ea));
	if (ra != rb || strcmp(ea, eb) != 0)
		fail_msg("%.*s: mapper %d '%s', head read %d '%s'", (int)len, json, ra, ea, rb, eb);
	if (ra == 1 && (bt_trace_digest(a) != bt_trace_digest(b) || a->hop_count != b->hop_count ||
			a->stop != b->stop || a->max_ttl != b->max_ttl || a->probes_sent != b->probes_sent ||
			!bt_addr_eq(&a->src, &b->src) || !bt_addr_eq(&a->dst, &b->dst) || a->flow != b->flow ||
			a->method != b->method || a->start_us != b->start_us || a->end_us != b->end_us ||
			strcmp(a->vp, b->vp) != 0 || strcmp(a->campaign, b->campaign) != 0 ||
			strcmp(a->round, b->round) != 0))
		fail_msg("%.*s: another record", (int)len, json);
	bt_trace_free(a);
	bt_trace_free(b);
	return 1;
}

/* The full read's head without a tree (atlas_read_result) against the
 * mapper: the light read's variants, those of the members only the full
 * read reads (endtime, src_addr, from, dst_name, the scalars it passes
 * over), key orders and spacing, then 20,000 random mutations of a result
 * as Atlas writes it. */
static void test_head_read(void **state)
{
	(void)state;
	static const char *const more_heads[] = {
		/* the common shape: the first two are taken */
		"\"fw\":5080,\"mver\":\"2.6.2\",\"lts\":5,\"dst_name\":\"198.18.9.1\",\"dst_addr\":\"198.18.9.1\","
		"\"src_addr\":\"198.18.0.7\",\"proto\":\"ICMP\",\"af\":4,\"size\":48,\"paris_id\":3,\"msm_name\":\"Traceroute\","
		"\"from\":\"198.18.0.1\",\"type\":\"traceroute\",\"group_id\":5001,\"bundle\":1,\"stored_timestamp\":1506844900,\"ttr\":1.5",
		" \"fw\" : 5080 ,\n\"dst_addr\"\t: \"2001:db8::9\" , \"proto\" :\"TCP\", \"src_addr\" : \"2001:db8::7\" ",
		"\"fw\":5080,\"proto\":\"UDP\",\"dst_addr\":\"198.18.9.1\",\"src_addr\":\"not an address\",\"from\":\"2001:db8::5\"",
		"\"fw\":5080,\"proto\":\"ICMP\",\"dst_addr\":\"198.18.9.1\",\"src_addr\":12,\"from\":\"198.18.0.1\"",
		"\"fw\":5080,\"proto\":\"ICMP\",\"dst_addr\":\"198.18.9.1\",\"src_addr\":null,\"from\":\"bad\"",
		"\"fw\":5080,\"proto\":\"ICMP\",\"dst_addr\":\"198.18.9.1\",\"from\":\"198.18.0.1\",\"src_addr\":"
		"\"198.18.0.1xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"",
		"\"fw\":5080,\"proto\":\"ICMP\",\"dst_addr\":\"198.18.9.1\",\"src_addr\":\"\",\"from\":true",
		"\"fw\":5080,\"proto\":\"ICMP\",\"dst_addr\":\"198.18.9.1\",\"dst_name\":null,\"lts\":-1,\"af\":4.5,\"mver\":false",
		"\"fw\":2147483647,\"proto\":\"ICMP\",\"dst_addr\":\"::ffff:198.18.9.1\",\"paris_id\":0",
		"\"fw\":5080,\"proto\":\"ICMP\",\"dst_addr\":\"198.18.9.1\",\"dst_name\":\"x\",\"dst_addr\":\"198.18.9.1\"",
		/* each below: the tree's (another key, a value not a scalar, a
		 * key twice, not plain JSON), or the mapper skips it */
		"\"fw\":5080,\"proto\":\"ICMP\",\"dst_addr\":\"198.18.9.1\",\"unknown\":1",
		"\"fw\":5080,\"proto\":\"ICMP\",\"dst_addr\":\"198.18.9.1\",\"src_addr\":[\"198.18.0.1\"]",
		"\"fw\":5080,\"proto\":\"ICMP\",\"dst_addr\":\"198.18.9.1\",\"from\":{\"a\":1}",
		"\"fw\":5080,\"proto\":\"ICMP\",\"dst_addr\":\"198.18.9.1\",\"lts\":5,\"lts\":5",
		"\"fw\":5080,\"proto\":\"ICMP\",\"dst_addr\":\"198.18.9.1\",\"dst_name\":\"a\",\"dst_name\":\"a\"",
		"\"fw\":5080,\"proto\":\"ICMP\",\"dst_addr\":\"198.18.9.1\",\"from\":\"198.18.0.1\",\"from\":\"198.18.0.2\"",
		"\"fw\":5080,\"type\":\"traceroute\",\"type\":\"traceroute\",\"proto\":\"ICMP\",\"dst_addr\":\"198.18.9.1\"",
		"\"fw\":5080,\"proto\":\"ICMP\",\"dst_addr\":\"198.18.9.1\",\"msm_name\":\"\\u00e9\"",
		"\"fw\":5080,\"proto\":\"ICMP\",\"dst_addr\":\"198.18.9.1\",\"size\":1e3",
		"\"fw\":5080,\"proto\":\"ICMP\",\"dst_addr\":\"198.18.9.1\",\"dst_name\":[]",
		"\"fw\":5080,\"proto\":\"ICMP\",\"dst_addr\":\"198.18.9.1\",\"bundle\":tru",
		"\"fw\":5080,\"proto\":\"ICMP\",\"dst_addr\":\"198.18.9.1\",\"src_addr\":\"\xc3\xa9\"",
		"\"fw\":5080,\"proto\":\"ICMP \",\"dst_addr\":\"198.18.9.1\"",
		"\"fw\":5080,\"proto\":[\"ICMP\"],\"dst_addr\":\"198.18.9.1\"",
		"\"fw\":5080,\"proto\":\"ICMP\",\"dst_addr\":\"198.18.9.1\",\"type\":\"traceroute2\"",
		"\"fw\":5080,\"proto\":\"ICMP\",\"dst_addr\":\"198.18.9.1 \"",
		"\"fw\":5080,\"proto\":\"ICMP\",\"dst_addr\":\"198.18.9.1\",\"paris_id\":1.0",
		"\"fw\":-1,\"proto\":\"ICMP\",\"dst_addr\":\"198.18.9.1\"",
		"\"fw\":5080,\"proto\":\"ICMP\",\"dst_addr\":\"198.18.9.1\",\"type\":null",
	};
	static const char *const more_ids[] = {
		"\"prb_id\":6001,\"msm_id\":5001,\"timestamp\":1506844805",
		"\"prb_id\":6001,\"msm_id\":5001,\"timestamp\":1506844805,\"endtime\":null",
		"\"prb_id\":6001,\"msm_id\":5001,\"timestamp\":1506844805,\"endtime\":1506844810.5",
		"\"prb_id\":6001,\"msm_id\":5001,\"endtime\":1506844804,\"timestamp\":1506844805",
		"\"endtime\":\"1506844810\",\"prb_id\":6001,\"msm_id\":5001,\"timestamp\":1506844805",
		"\"prb_id\":6001,\"msm_id\":5001,\"timestamp\":1506844805,\"endtime\":253402300800",
		"\"prb_id\":6001,\"msm_id\":5001,\"timestamp\":1506844805,\"endtime\":253402300799",
		"\"prb_id\":6001,\"msm_id\":5001,\"timestamp\":1506844805,\"endtime\":1506844805,\"endtime\":1506844806",
		"\"prb_id\":6001,\"msm_id\":5001,\"timestamp\":1506844805,\"endtime\":[1]",
		"\"prb_id\":6001,\"msm_id\":5001,\"timestamp\":1506844805,\"prb_id\":6001",
		"\"prb_id\":0,\"msm_id\":999999999999,\"timestamp\":0,\"endtime\":0",
		"\"prb_id\":6001,\"msm_id\":5001.5,\"timestamp\":1506844805",
	};
	const char *const *hl[] = { heads, more_heads }, *const *il[] = { ids, more_ids };
	size_t hn[] = { N_OF(heads), N_OF(more_heads) }, in[] = { N_OF(ids), N_OF(more_ids) };
	char json[4096];
	unsigned taken = 0, all = 0;
	for (int hs = 0; hs < 2; hs++)
		for (size_t h = 0; h < hn[hs]; h++)
			for (int is = 0; is < 2; is++)
				for (size_t d = 0; d < in[is]; d++)
					for (size_t i = 0; i < N_OF(hops); i++)
						for (int order = 0; order < 3; order++) {
							const char *H = hl[hs][h], *D = il[is][d];
							int n = order == 0 ? snprintf(json, sizeof(json), "{%s,%s,\"result\":%s}", H, D, hops[i])
								: order == 1 ? snprintf(json, sizeof(json), "{\"result\":%s, %s ,%s}", hops[i], D, H)
									     : snprintf(json, sizeof(json), " {\n %s ,\n \"result\" : %s ,\n %s\n}\n", D, hops[i], H);
							int t = head_vs_mapper(json, (size_t)n);
							taken += (unsigned)t;
							all++;
							if (((hs == 0 && h < 3) || (hs == 1 && h < 2)) && d < 2 && i < 4 && !t)
								fail_msg("head read refused a common result: %s", json);
						}
	assert_true(taken >= 5 * 4 * 4 * 3 && taken < all);
	/* random mutations of a result as Atlas writes it */
	int base = snprintf(json, sizeof(json), "{%s,%s,\"result\":%s}", more_heads[0], ids[0], hops[0]);
	uint64_t x = 88172645463325252u;
	unsigned kept = 0;
	for (int i = 0; i < 20000; i++) {
		char m[4096];
		size_t n = mutate(json, (size_t)base, m, i, &x);
		kept += (unsigned)head_vs_mapper(m, n);
	}
	assert_true(kept > 1000); /* tried on results it takes */
}

/* The graph's pass over every fixture (tests/pathdiff/data/atlas): the
 * reader's light read (bt_input_scan) gives the traces of the full read,
 * in the same order, graph fields alike, and skips what it skips; where
 * the full read stops at bad JSON, the same traces up to there. */
static void test_light_fixtures(void **state)
{
	const char *dir = *state;
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *e;
	unsigned files = 0;
	bt_trace *s = bt_trace_alloc(BT_HOPS_MAX);
	assert_non_null(s);
	while ((e = readdir(d)) != NULL) {
		if (strstr(e->d_name, ".json") == NULL)
			continue;
		char path[4096], err[512], serr[512];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		bt_input *full = bt_input_open(path, NULL, err, sizeof(err));
		bt_input *light = bt_input_open(path, NULL, serr, sizeof(serr));
		assert_non_null(full);
		assert_non_null(light);
		assert_string_equal(bt_input_kind(full), "atlas");
		int rf, rs;
		bt_trace *f, *g;
		do {
			rf = bt_input_next(full, &f, err, sizeof(err));
			rs = bt_input_scan(light, s, &g, serr, sizeof(serr));
			if (rf == 1 && rs != 1)
				fail_msg("%s: light pass ended (%d: %s) before the full read", path, rs, serr);
			if (rf == 0 && rs != 0)
				fail_msg("%s: light pass went on past the end (%d: %s)", path, rs, serr);
			if (rf == 1)
				assert_graph_same(g != NULL ? g : s, f, path);
			if (rf == 1)
				bt_trace_free(f);
			if (rs == 1)
				bt_trace_free(g);
		} while (rf == 1);
		bt_input_close(full);
		bt_input_close(light);
		files++;
	}
	closedir(d);
	bt_trace_free(s);
	assert_true(files >= 8);
}

/* A result with pad bytes of msm_name. */
static void put_result(FILE *f, size_t pad)
{
	fprintf(f, HEAD "\"proto\":\"ICMP\",\"paris_id\":1,\"msm_name\":\"");
	for (size_t i = 0; i < pad; i++)
		fputc('a', f);
	fprintf(f, "\",\"result\":[{\"hop\":1,\"result\":[{\"from\":\"198.18.1.1\",\"rtt\":1.5,"
		   "\"size\":76,\"ttl\":254}]}]}\n");
}

/* Every result of path read (bt_input_next): the count, and rc and err of
 * the last call. */
static unsigned read_all(const char *path, int *rc, char *err, size_t errlen)
{
	bt_input *in = bt_input_open(path, NULL, err, errlen);
	assert_non_null(in);
	unsigned n = 0;
	bt_trace *t;
	while ((*rc = bt_input_next(in, &t, err, errlen)) == 1) {
		bt_trace_free(t);
		n++;
	}
	bt_input_close(in);
	return n;
}

/* The cap on a result (4 MiB) alike for a plain file, which is mapped,
 * and a compressed one, which is read into a buffer: a result just under
 * it read, one over it refused with its line; and a file cut short while
 * mapped refused with its name, the results before the cut as they were. */
static void test_mapped_file(void **state)
{
	(void)state;
	char dir[] = "/tmp/bt-test-atlas-XXXXXX", plain[64], gz[64], err[512];
	int rc;
	assert_non_null(mkdtemp(dir));
	snprintf(plain, sizeof(plain), "%s/caps.jsonl", dir);
	snprintf(gz, sizeof(gz), "%s/caps.jsonl.gz", dir);
	FILE *f = fopen(plain, "w");
	assert_non_null(f);
	for (int i = 0; i < 3000; i++) /* across windows and the buffer's refills */
		put_result(f, (size_t)(i % 7) * 300);
	put_result(f, (4u << 20) - 400); /* line 3001: just under the cap */
	put_result(f, 10);
	put_result(f, 4u << 20); /* line 3003: over it */
	put_result(f, 10);
	assert_int_equal(fclose(f), 0);
	f = fopen(plain, "r");
	gzFile z = gzopen(gz, "wb1");
	assert_non_null(f);
	assert_non_null(z);
	char buf[65536];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		assert_int_equal(gzwrite(z, buf, (unsigned)n), (int)n);
	fclose(f);
	assert_int_equal(gzclose(z), Z_OK);
	const char *paths[] = { plain, gz };
	for (int k = 0; k < 2; k++) {
		char want[200];
		unsigned got = read_all(paths[k], &rc, err, sizeof(err));
		if (got != 3002)
			fail_msg("%s: %u results read (%d: %s)", paths[k], got, rc, err);
		assert_int_equal(rc, -1);
		snprintf(want, sizeof(want), "%s:3003: a result longer than 4194304 bytes (the cap on a result)",
			 paths[k]);
		assert_string_equal(err, want);
	}

	/* 200,000 results of 200-odd bytes, cut at 1 MB while read */
	f = fopen(plain, "w");
	assert_non_null(f);
	for (int i = 0; i < 200000; i++)
		put_result(f, 0);
	long one = ftell(f) / 200000;
	assert_int_equal(fclose(f), 0);
	bt_input *in = bt_input_open(plain, NULL, err, sizeof(err));
	assert_non_null(in);
	bt_trace *t;
	assert_int_equal(bt_input_next(in, &t, err, sizeof(err)), 1);
	bt_trace_free(t);
	assert_int_equal(truncate(plain, 1000000), 0);
	unsigned good = 1;
	while ((rc = bt_input_next(in, &t, err, sizeof(err))) == 1) {
		assert_int_equal(t->hop_count, 1);
		bt_trace_free(t);
		good++;
	}
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, "caps.jsonl:"));
	assert_non_null(strstr(err, ": the file shrank while it was read"));
	if (good > 1000000 / one || good + 10 < 1000000 / one)
		fail_msg("%u results before the cut at result %ld (%s)", good, 1000000 / one, err);
	assert_int_equal(bt_input_next(in, &t, err, sizeof(err)), 0);
	bt_input_close(in);
	unlink(plain);
	unlink(gz);
	rmdir(dir);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reply_fields),
		cmocka_unit_test(test_tcp_and_gaplimit),
		cmocka_unit_test(test_not_mapped),
		cmocka_unit_test(test_rounds_and_sniff),
		cmocka_unit_test(test_fast_numbers),
		cmocka_unit_test(test_direct_read),
		cmocka_unit_test(test_light_read),
		cmocka_unit_test(test_head_read),
		cmocka_unit_test(test_mapped_file),
		cmocka_unit_test_prestate(test_light_fixtures, argc > 1 ? argv[1] : "tests/pathdiff/data/atlas"),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
