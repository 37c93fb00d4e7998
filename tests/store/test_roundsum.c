/* bordertrace — what the store keeps of a round file (analysis/roundsum.c)
 * and the connection strings it takes (analysis/store.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <cmocka.h>

#include "bordertrace/border_obs.h"
#include "bordertrace/store.h"

static const char *line(char *buf, size_t len, const char *vp, const char *round, const char *start)
{
	snprintf(buf, len,
		 "{\"format\":\"bordertrace-trace\",\"v\":2,\"vp\":\"%s\",\"campaign\":\"c'1\","
		 "\"round\":\"%s\",\"method\":\"icmp-paris\",\"src\":\"198.18.0.2\",\"dst\":\"198.18.3.2\","
		 "\"flow\":0,\"sport\":0,\"dport\":0,\"icmp_sum\":4096,\"start\":\"%s\","
		 "\"end\":\"2026-11-27T05:40:09.000000Z\",\"stop\":\"maxttl\",\"stop_ttl\":0,"
		 "\"first_ttl\":1,\"max_ttl\":1,\"probes_sent\":1,\"hops\":[]}\n", vp, round, start);
	return buf;
}

static void test_summary(void **state)
{
	(void)state;
	char a[600], b[600], file[1300], err[256];
	snprintf(file, sizeof(file), "%s\n%s", line(a, sizeof(a), "v;1", "r1", "2026-11-27T05:40:05.000000Z"),
		 line(b, sizeof(b), "v;1", "r1", "2026-11-27T05:40:01.500000Z"));
	bt_round_summary s;
	assert_int_equal(bt_round_summarize("f", file, strlen(file), &s, err, sizeof(err)), 0);
	assert_string_equal(s.vp, "v;1");
	assert_string_equal(s.campaign, "c'1");
	assert_string_equal(s.round, "r1");
	assert_int_equal(s.traces, 2);
	assert_int_equal(s.raw_bytes, strlen(file));
	assert_true(s.first_start_us < s.last_end_us);
	/* the blob gunzips to the file's bytes */
	char back[1300];
	z_stream z = { 0 };
	assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
	z.next_in = s.gz;
	z.avail_in = (uInt)s.gz_len;
	z.next_out = (Bytef *)back;
	z.avail_out = sizeof(back);
	assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
	assert_int_equal(z.total_out, strlen(file));
	assert_memory_equal(back, file, strlen(file));
	inflateEnd(&z);
	/* the hash is the file's: one byte more, another hash */
	unsigned char h[32];
	memcpy(h, s.sha256, 32);
	bt_round_summary_free(&s);
	strcat(file, "\n");
	assert_int_equal(bt_round_summarize("f", file, strlen(file), &s, err, sizeof(err)), 0);
	assert_memory_not_equal(h, s.sha256, 32);
	bt_round_summary_free(&s);
}

static void expect_error(const char *content, const char *msg)
{
	char err[256];
	bt_round_summary s;
	assert_int_equal(bt_round_summarize("r.jsonl", content, strlen(content), &s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, msg));
	assert_null(s.gz);
}

static void test_refused(void **state)
{
	(void)state;
	char a[600], b[600], file[1300];
	expect_error("", "r.jsonl: no trace in the file");
	expect_error("\n\n", "r.jsonl: no trace in the file");
	expect_error("{\"format\":\"bordertrace-trace\"}\n", "r.jsonl:1: ");
	snprintf(file, sizeof(file), "%s%s", line(a, sizeof(a), "v1", "r1", "2026-11-27T05:40:05.000000Z"),
		 line(b, sizeof(b), "v2", "r1", "2026-11-27T05:40:05.000000Z"));
	expect_error(file, "r.jsonl:2: field 'vp': another vp");
	snprintf(file, sizeof(file), "%s%s", line(a, sizeof(a), "v1", "r1", "2026-11-27T05:40:05.000000Z"),
		 line(b, sizeof(b), "v1", "r2", "2026-11-27T05:40:05.000000Z"));
	expect_error(file, "r.jsonl:2: field 'round': another round");
	expect_error(line(a, sizeof(a), "v1", "", "2026-11-27T05:40:05.000000Z"),
		     "r.jsonl:1: a trace without a vp or round id");
}

static void test_conninfo(void **state)
{
	(void)state;
	char buf[256];
	assert_null(bt_store_conninfo_problem("host=/run/postgresql dbname=bt service=x", buf, sizeof(buf)));
	assert_null(bt_store_conninfo_problem("postgresql://vp1@db.example/bt?sslmode=verify-full", buf, sizeof(buf)));
	assert_non_null(strstr(bt_store_conninfo_problem("host=x password=s3cret", buf, sizeof(buf)), "a password"));
	assert_non_null(strstr(bt_store_conninfo_problem("postgresql://vp1:s3cret@db/bt", buf, sizeof(buf)),
			       "a password"));
	assert_non_null(bt_store_conninfo_problem("host='x", buf, sizeof(buf)));
	assert_non_null(bt_store_conninfo_problem("nosuchkey=1", buf, sizeof(buf)));
}

/* 198.18.N.x is AS N; countries by AS: 1 NL, 2 DE, 3 KP, 4 RU. */
static int fake_resolve(void *ctx, const bt_addr *a, bt_hopres *out, char *err, size_t errlen)
{
	(void)ctx;
	(void)err;
	(void)errlen;
	static const char *const cc[] = { "", "NL", "DE", "KP", "RU" };
	unsigned n = a->bytes[2];
	memset(out, 0, sizeof(*out));
	out->info.kind = BT_HOP_AS;
	out->info.asn = n;
	out->info.norigins = 1;
	out->info.origins[0] = n;
	memcpy(out->info.country, cc[n < 5 ? n : 0], 3);
	return 0;
}

static void obs_line(char *buf, size_t len, unsigned flow, unsigned via)
{
	snprintf(buf, len,
		 "{\"format\":\"bordertrace-trace\",\"v\":2,\"vp\":\"v\",\"campaign\":\"c\","
		 "\"round\":\"r\",\"method\":\"udp-paris\",\"src\":\"198.18.0.2\",\"dst\":\"198.18.3.2\","
		 "\"flow\":%u,\"sport\":%u,\"dport\":33435,\"icmp_sum\":0,"
		 "\"start\":\"2026-11-27T05:40:00.000000Z\",\"end\":\"2026-11-27T05:40:01.000000Z\","
		 "\"stop\":\"completed\",\"stop_ttl\":3,\"first_ttl\":1,\"max_ttl\":32,\"probes_sent\":3,"
		 "\"hops\":[{\"ttl\":1,\"attempt\":1,\"addr\":\"198.18.1.1\",\"rtt_ms\":0.1,\"reply_ttl\":64,"
		 "\"icmp_type\":11,\"icmp_code\":0,\"quoted_ttl\":1,\"size\":56},"
		 "{\"ttl\":2,\"attempt\":1,\"addr\":\"198.18.%u.1\",\"rtt_ms\":0.2,\"reply_ttl\":63,"
		 "\"icmp_type\":11,\"icmp_code\":0,\"quoted_ttl\":1,\"size\":56},"
		 "{\"ttl\":3,\"attempt\":1,\"addr\":\"198.18.3.2\",\"rtt_ms\":0.3,\"reply_ttl\":62,"
		 "\"icmp_type\":3,\"icmp_code\":3,\"size\":56}]}\n",
		 flow, 33434 + flow, via);
}

static const bt_obs *find_obs(const bt_obs_set *s, bool country, uint32_t up)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].country == country && s->v[i].up_asn == up)
			return &s->v[i];
	return NULL;
}

/* Border routes counted by route, traces and distinct flows. */
static void test_border_obs(void **state)
{
	(void)state;
	static const unsigned flows[] = { 0, 1, 1, 7 }, via[] = { 2, 2, 2, 4 };
	char file[8000] = "", l[1000], err[256];
	for (size_t i = 0; i < 4; i++) {
		obs_line(l, sizeof(l), flows[i], via[i]);
		strcat(file, l);
	}
	bt_obs_set s = { 0 };
	assert_int_equal(bt_obs_from_round(&s, "r", file, strlen(file), fake_resolve, NULL, err, sizeof(err)), 0);
	assert_int_equal(s.n, 4);
	const bt_obs *o = find_obs(&s, false, 2);
	assert_non_null(o);
	assert_string_equal(o->target, "AS3");
	assert_int_equal(o->into_asn, 3);
	assert_string_equal(o->up_cc, "DE");
	assert_int_equal(o->traces, 3);
	assert_int_equal(o->flows, 2);
	o = find_obs(&s, true, 4);
	assert_non_null(o);
	assert_string_equal(o->target, "KP");
	assert_string_equal(o->up_cc, "RU");
	assert_string_equal(o->into_cc, "KP");
	assert_int_equal(o->traces, 1);
	assert_int_equal(o->flows, 1);
	bt_obs_set_free(&s);
	assert_int_equal(bt_obs_from_round(&s, "r", "{}\n", 3, fake_resolve, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "r:1: "));
	bt_obs_set_free(&s);
}

/* A multipath record: flows 0, 3 and 5 of one trace, flow 3 through AS 4
 * (RU), the others through AS 2 (DE); flow 5 also answered from AS 2 at
 * TTL 1 twice (per-packet): each flow counts once, under its own route. */
static void test_border_obs_flows(void **state)
{
	(void)state;
#define REPLY(ttl, att, flow, addr) \
	"{\"ttl\":" #ttl ",\"attempt\":" #att "," flow "\"addr\":\"" addr "\",\"rtt_ms\":0.1," \
	"\"reply_ttl\":64,\"icmp_type\":11,\"icmp_code\":0,\"quoted_ttl\":1,\"size\":56}"
	static const char file[] =
		"{\"format\":\"bordertrace-trace\",\"v\":2,\"vp\":\"v\",\"campaign\":\"c\","
		"\"round\":\"r\",\"method\":\"udp-paris\",\"src\":\"198.18.0.2\",\"dst\":\"198.18.3.2\","
		"\"flow\":0,\"sport\":33434,\"dport\":33435,\"icmp_sum\":0,"
		"\"start\":\"2026-11-27T05:40:00.000000Z\",\"end\":\"2026-11-27T05:40:01.000000Z\","
		"\"stop\":\"completed\",\"stop_ttl\":3,\"first_ttl\":1,\"max_ttl\":32,\"probes_sent\":9,"
		"\"hops\":[" REPLY(1, 1, "", "198.18.1.1") "," REPLY(1, 1, "\"flow\":3,", "198.18.1.1") ","
		REPLY(1, 1, "\"flow\":5,", "198.18.1.1") "," REPLY(2, 1, "", "198.18.2.1") ","
		REPLY(2, 1, "\"flow\":3,", "198.18.4.1") "," REPLY(2, 1, "\"flow\":5,", "198.18.2.1") ","
		REPLY(2, 2, "\"flow\":5,", "198.18.2.9") "," REPLY(3, 1, "", "198.18.3.2") ","
		REPLY(3, 1, "\"flow\":3,", "198.18.3.2") "," REPLY(3, 1, "\"flow\":5,", "198.18.3.2") "]}\n";
#undef REPLY
	char err[256];
	bt_obs_set s = { 0 };
	assert_int_equal(bt_obs_from_round(&s, "r", file, strlen(file), fake_resolve, NULL, err, sizeof(err)), 0);
	assert_int_equal(s.n, 4);
	const bt_obs *o = find_obs(&s, false, 2);
	assert_non_null(o);
	assert_int_equal(o->traces, 1);
	assert_int_equal(o->flows, 2);
	o = find_obs(&s, false, 4);
	assert_non_null(o);
	assert_int_equal(o->traces, 1);
	assert_int_equal(o->flows, 1);
	o = find_obs(&s, true, 4);
	assert_non_null(o);
	assert_string_equal(o->up_cc, "RU");
	assert_int_equal(o->flows, 1);
	bt_obs_set_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_conninfo),
		cmocka_unit_test(test_border_obs),
		cmocka_unit_test(test_border_obs_flows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
