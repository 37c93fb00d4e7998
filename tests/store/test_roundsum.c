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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_conninfo),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
