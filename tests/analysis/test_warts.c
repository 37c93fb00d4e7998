/* bordertrace tests — scamper warts through the input layer
 * (analysis/warts.c, doc/warts.md):
 *  - data/warts/lab-silent.warts, written once by Debian's scamper in the
 *    silent lab (tests/lab/topo/silent.topo: r2 silent), monitor "lab-mon",
 *    cycle 42, list "lablist": icmp-paris with every attempt (-Q, two
 *    replies a TTL), udp-paris, tcp, a classic icmp trace and a ping. Every
 *    field of the mapping is checked against what sc_warts2json prints for
 *    the file; the classic trace and the ping are reported, not read;
 *  - the same file gzip'd gives the same records and places;
 *  - truncated, a bad magic, a garbled record, an overlong record: the
 *    file and byte offset, no trace after the fault;
 *  - traces written here through libscamperfile for what the lab cannot
 *    make: MPLS label stacks, scamper outside Ark (cycle 0: the round is the
 *    start time; no monitor: the host name), a classic UDP trace, a UDP
 *    reply, more than 8 labels, a monitor name breaking the id rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <zlib.h>

#include <cmocka.h>

#include <scamper_addr.h>
#include <scamper_file.h>
#include <scamper_icmpext.h>
#include <scamper_list.h>
#include <scamper_trace.h>

#include "bordertrace/input.h"
#include "bordertrace/warts.h"

#define MAXT 16

typedef struct got {
	bt_trace *t[MAXT];
	char where[MAXT][256];
	size_t n;
	char skip_where[MAXT][256], skip_what[MAXT][160];
	size_t nskip;
	int rc; /* 0 at the end, -1 on error */
	char err[512];
} got;

static void on_skip(void *ctx, const char *where, const char *what)
{
	got *g = ctx;
	assert_true(g->nskip < MAXT);
	snprintf(g->skip_where[g->nskip], sizeof(g->skip_where[0]), "%s", where);
	snprintf(g->skip_what[g->nskip], sizeof(g->skip_what[0]), "%s", what);
	g->nskip++;
}

static void read_all(const char *path, got *g)
{
	memset(g, 0, sizeof(*g));
	bt_input_opts o = { .skipped = on_skip, .skipped_ctx = g };
	bt_input *in = bt_input_open(path, &o, g->err, sizeof(g->err));
	assert_non_null(in);
	assert_string_equal(bt_input_kind(in), "warts");
	bt_trace *t;
	while ((g->rc = bt_input_next(in, &t, g->err, sizeof(g->err))) == 1) {
		assert_true(g->n < MAXT);
		bt_input_where(in, g->where[g->n], sizeof(g->where[0]));
		g->t[g->n++] = t;
	}
	bt_input_close(in);
}

static void got_free(got *g)
{
	for (size_t i = 0; i < g->n; i++)
		bt_trace_free(g->t[i]);
}

static const char *fixture(void)
{
	static char path[1024];
	const char *d = getenv("BT_TEST_DATA_DIR");
	snprintf(path, sizeof(path), "%s/warts/lab-silent.warts", d ? d : "tests/analysis/data");
	return path;
}

static void check_hop(const bt_trace *t, size_t i, unsigned ttl, unsigned attempt, const char *addr,
		      unsigned type, unsigned code)
{
	char buf[BT_ADDR_STRLEN];
	assert_true(i < t->hop_count);
	assert_int_equal(t->hops[i].probe_ttl, ttl);
	assert_int_equal(t->hops[i].attempt, attempt);
	assert_string_equal(bt_addr_format(&t->hops[i].addr, buf, sizeof(buf)), addr ? addr : "");
	if (addr) {
		assert_int_equal(t->hops[i].icmp_type, type);
		assert_int_equal(t->hops[i].icmp_code, code);
	}
}

/* The expected values are sc_warts2json's for the fixture. */
static void check_fixture(const got *g, const char *path)
{
	assert_int_equal(g->rc, 0);
	assert_int_equal(g->n, 3);
	const bt_trace *t = g->t[0];
	char where[300];
	assert_string_equal(t->vp, "lab-mon");
	assert_string_equal(t->campaign, "lablist");
	assert_string_equal(t->round, "c0000000042");
	assert_int_equal(t->method, BT_METHOD_ICMP_PARIS);
	assert_int_equal(t->icmp_sum, 4101);
	assert_int_equal(t->flow, 5);
	assert_int_equal(t->stop, BT_STOP_COMPLETED);
	assert_int_equal(t->stop_ttl, 4);
	assert_int_equal(t->first_ttl, 1);
	assert_int_equal(t->max_ttl, 255);
	assert_int_equal(t->probes_sent, 8);
	assert_int_equal(t->start_us, 1796554581387157LL);
	assert_int_equal(t->hop_count, 7);
	check_hop(t, 0, 1, 1, "198.18.0.1", 11, 0);
	check_hop(t, 1, 1, 2, "198.18.0.1", 11, 0);
	check_hop(t, 2, 2, 2, NULL, 0, 0); /* silent: the attempts made */
	check_hop(t, 3, 3, 1, "198.18.2.2", 11, 0);
	check_hop(t, 5, 4, 1, "198.18.3.2", 0, 0);
	check_hop(t, 6, 4, 2, "198.18.3.2", 0, 0);
	assert_int_equal(t->hops[0].rtt_us, 55);
	assert_int_equal(t->hops[0].reply_ttl, 64);
	assert_int_equal(t->hops[0].reply_size, 72);
	assert_int_equal(t->hops[0].quoted_ttl, 1);
	assert_int_equal(t->hops[5].quoted_ttl, 0); /* an echo reply quotes nothing */
	snprintf(where, sizeof(where), "%s@0", path); /* list + cycle come first */
	assert_true(strncmp(g->where[0], path, strlen(path)) == 0);

	t = g->t[1];
	assert_int_equal(t->method, BT_METHOD_UDP_PARIS);
	assert_int_equal(t->sport, 40002);
	assert_int_equal(t->dport, 33435);
	assert_int_equal(t->flow, 2);
	assert_int_equal(t->hop_count, 4);
	check_hop(t, 3, 4, 1, "198.18.3.2", 3, 3); /* port unreachable from the destination */

	t = g->t[2];
	assert_int_equal(t->method, BT_METHOD_TCP_SYN);
	assert_int_equal(t->sport, 40003);
	assert_int_equal(t->dport, 80);
	assert_int_equal(t->flow, 3);
	check_hop(t, 1, 2, 1, NULL, 0, 0);
	assert_int_equal(t->hops[3].tcp_flags, 20); /* RST+ACK */
	assert_int_equal(t->hops[3].icmp_type, 0);

	assert_int_equal(g->nskip, 2);
	snprintf(where, sizeof(where), "%s@360", path);
	assert_string_equal(g->skip_where[0], where);
	assert_non_null(strstr(g->skip_what[0], "icmp-echo (classic traceroute"));
	snprintf(where, sizeof(where), "%s@719", path);
	assert_string_equal(g->skip_where[1], where);
	assert_string_equal(g->skip_what[1], "a ping object (not a trace)");
}

static void test_fixture(void **state)
{
	(void)state;
	got g;
	read_all(fixture(), &g);
	check_fixture(&g, fixture());
	got_free(&g);
}

/* Reads the fixture whole. */
static uint8_t *slurp(size_t *n)
{
	FILE *f = fopen(fixture(), "rb");
	assert_non_null(f);
	static uint8_t buf[1 << 16];
	*n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return buf;
}

/* A new temporary file (its name into path, "/tmp/bt-warts-XXXXXX") holding
 * b, gzip'd or not. */
static void put(char *path, const uint8_t *b, size_t n, bool gz)
{
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	if (gz) {
		gzFile z = gzopen(path, "wb");
		assert_non_null(z);
		assert_int_equal(gzwrite(z, b, (unsigned)n), (int)n);
		gzclose(z);
		return;
	}
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(b, 1, n, f), n);
	fclose(f);
}

static void test_gzip(void **state)
{
	(void)state;
	size_t n;
	uint8_t *b = slurp(&n);
	char path[] = "/tmp/bt-warts-XXXXXX";
	put(path, b, n, true);
	got g;
	read_all(path, &g);
	check_fixture(&g, path);
	got_free(&g);
	unlink(path);
}

/* A damaged copy of the fixture: the error names the offset given. */
static void damaged(const uint8_t *b, size_t n, const char *want_at, const char *want)
{
	char path[] = "/tmp/bt-warts-XXXXXX", msg[600];
	put(path, b, n, false);
	got g;
	read_all(path, &g);
	assert_int_equal(g.rc, -1);
	snprintf(msg, sizeof(msg), "%s@%s: %s", path, want_at, want);
	if (strncmp(g.err, msg, strlen(msg)) != 0)
		fail_msg("got '%s', want '%s...'", g.err, msg);
	got_free(&g);
	unlink(path);
}

static void test_damaged(void **state)
{
	(void)state;
	size_t n;
	uint8_t *b = slurp(&n), c[1 << 16];
	/* the first trace's record is at 73 (list 43 + cycle 30 bytes) */
	damaged(b, 73 + 100, "73", "truncated warts record");
	damaged(b, 73 + 5, "73", "truncated warts record: 5 of the header's 8 bytes");
	memcpy(c, b, n);
	c[73] = 0x13;
	damaged(c, n, "73", "not a warts record: magic 0x1305 (0x1205 expected)");
	memcpy(c, b, n);
	c[73 + 4] = 0x7f; /* length 2 GB */
	damaged(c, n, "73", "warts record of");
	memcpy(c, b, n);
	c[73 + 8] = 0xff; /* the trace's list id: no such list */
	c[73 + 9] = 0xff;
	damaged(c, n, "73", "malformed warts record (libscamperfile could not read it)");
}

/* ---- traces written here through libscamperfile ---- */

static scamper_trace_hop_t *hop(const char *addr, uint8_t ttl, uint8_t id, uint8_t type, uint8_t code)
{
	scamper_trace_hop_t *h = scamper_trace_hop_alloc();
	struct in_addr a;
	assert_non_null(h);
	inet_pton(AF_INET, addr, &a);
	h->hop_addr = scamper_addr_alloc(SCAMPER_ADDR_TYPE_IPV4, &a);
	h->hop_probe_ttl = ttl;
	h->hop_probe_id = id;
	h->hop_flags = SCAMPER_TRACE_HOP_FLAG_REPLY_TTL;
	h->hop_reply_ttl = (uint8_t)(65 - ttl);
	h->hop_reply_size = 56;
	h->hop_icmp_type = type;
	h->hop_icmp_code = code;
	h->hop_icmp_q_ttl = 1;
	h->hop_rtt.tv_usec = 1000 * ttl;
	return h;
}

/* An icmp-paris trace to 198.18.3.2 of three TTLs, TTL 2 with labels
 * label stack entries. */
static scamper_trace_t *trace3(scamper_list_t *l, scamper_cycle_t *c, int labels)
{
	scamper_trace_t *t = scamper_trace_alloc();
	struct in_addr a;
	assert_non_null(t);
	t->list = scamper_list_use(l);
	t->cycle = scamper_cycle_use(c);
	inet_pton(AF_INET, "198.18.0.2", &a);
	t->src = scamper_addr_alloc(SCAMPER_ADDR_TYPE_IPV4, &a);
	inet_pton(AF_INET, "198.18.3.2", &a);
	t->dst = scamper_addr_alloc(SCAMPER_ADDR_TYPE_IPV4, &a);
	t->start.tv_sec = 1506848871; /* 2017-10-01T09:07:51Z */
	t->type = SCAMPER_TRACE_TYPE_ICMP_ECHO_PARIS;
	t->flags = SCAMPER_TRACE_FLAG_ICMPCSUMDP;
	t->dport = 0x1000 + 7;
	t->attempts = 2;
	t->firsthop = 1;
	t->hoplimit = 32;
	t->stop_reason = SCAMPER_TRACE_STOP_COMPLETED;
	t->probec = 3;
	assert_int_equal(scamper_trace_hops_alloc(t, 3), 0);
	t->hop_count = 3;
	t->hops[0] = hop("198.18.0.1", 1, 1, 11, 0);
	t->hops[1] = hop("198.18.1.2", 2, 1, 11, 0);
	t->hops[2] = hop("198.18.3.2", 3, 1, 0, 0);
	uint8_t d[4 * 10];
	for (int i = 0; i < labels; i++) {
		uint32_t e = (uint32_t)(16 + i) << 12 | 5u << 9 | (i == labels - 1) << 8 | 1;
		d[4 * i] = (uint8_t)(e >> 24);
		d[4 * i + 1] = (uint8_t)(e >> 16);
		d[4 * i + 2] = (uint8_t)(e >> 8);
		d[4 * i + 3] = (uint8_t)e;
	}
	if (labels)
		t->hops[1]->hop_icmpext = scamper_icmpext_alloc(1, 1, (uint16_t)(4 * labels), d);
	return t;
}

/* A new warts file (path: a mkstemp template), open for writing. */
static scamper_file_t *new_warts(char *path)
{
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	scamper_file_t *sf = scamper_file_open(path, 'w', (char *)"warts");
	assert_non_null(sf);
	return sf;
}

/* Writes the traces (and their cycle) to a new warts file; its path. */
static void write_warts(char *path, scamper_cycle_t *c, scamper_trace_t **t, size_t n)
{
	scamper_file_t *sf = new_warts(path);
	assert_int_equal(scamper_file_write_cycle_start(sf, c), 0);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(scamper_file_write_trace(sf, t[i]), 0);
		scamper_trace_free(t[i]);
	}
	scamper_file_close(sf);
}

static scamper_cycle_t *cycle(scamper_list_t *l, uint32_t id, const char *host)
{
	scamper_cycle_t *c = scamper_cycle_alloc(l);
	assert_non_null(c);
	c->id = id;
	c->start_time = 1506848400; /* 2017-10-01T09:00:00Z */
	c->hostname = host ? strdup(host) : NULL;
	return c;
}

/* Writes the traces, reads them back into g, and frees the file, the
 * cycle and the list. */
static void read_written(scamper_list_t *l, scamper_cycle_t *c, scamper_trace_t **t, size_t n, got *g)
{
	char path[] = "/tmp/bt-warts-XXXXXX";
	write_warts(path, c, t, n);
	read_all(path, g);
	unlink(path);
	scamper_cycle_free(c);
	scamper_list_free(l);
}

static void test_written(void **state)
{
	(void)state;
	scamper_list_t *l = scamper_list_alloc(1, "default", NULL, NULL);
	scamper_cycle_t *c = cycle(l, 0, "vp.example");
	scamper_trace_t *t[4] = { trace3(l, c, 3), trace3(l, c, 9), trace3(l, c, 0), trace3(l, c, 0) };
	t[2]->type = SCAMPER_TRACE_TYPE_UDP; /* classic */
	t[3]->hops[2]->hop_flags |= SCAMPER_TRACE_HOP_FLAG_UDP;
	got g;
	read_written(l, c, t, 4, &g);
	assert_int_equal(g.rc, 0);
	assert_int_equal(g.n, 1);
	const bt_trace *b = g.t[0];
	assert_string_equal(b->vp, "vp.example");           /* no monitor: the host name */
	assert_string_equal(b->round, "2017-10-01T09:00:00Z"); /* cycle 0: its start */
	assert_int_equal(b->flow, 7);
	assert_int_equal(b->max_ttl, 32);
	assert_int_equal(b->hops[1].mpls_count, 3);
	assert_int_equal(b->hops[1].mpls[0].label, 16);
	assert_int_equal(b->hops[1].mpls[0].tc, 5);
	assert_int_equal(b->hops[1].mpls[0].s, 0);
	assert_int_equal(b->hops[1].mpls[2].label, 18);
	assert_int_equal(b->hops[1].mpls[2].s, 1);
	assert_int_equal(b->hops[1].mpls[2].ttl, 1);
	assert_int_equal(b->hops[2].rtt_us, 3000);
	assert_int_equal(b->end_us, b->start_us + 3000);
	assert_int_equal(g.nskip, 3);
	assert_string_equal(g.skip_what[0], "a trace with a reply of more than 8 MPLS label stack entries");
	assert_non_null(strstr(g.skip_what[1], "method udp (classic"));
	assert_string_equal(g.skip_what[2], "a trace with a UDP reply (the record holds ICMP and TCP replies)");
	got_free(&g);
}

static void test_monitor(void **state)
{
	(void)state;
	scamper_list_t *l = scamper_list_alloc(3, "team-1", NULL, "ams-nl");
	scamper_cycle_t *c = cycle(l, 5432, "h");
	scamper_trace_t *t[1] = { trace3(l, c, 0) };
	got g;
	read_written(l, c, t, 1, &g);
	assert_int_equal(g.rc, 0);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.t[0]->vp, "ams-nl");
	assert_string_equal(g.t[0]->campaign, "team-1");
	assert_string_equal(g.t[0]->round, "c0000005432");
	got_free(&g);

	l = scamper_list_alloc(3, "team 1", NULL, "ams nl");
	c = cycle(l, 1, NULL);
	t[0] = trace3(l, c, 0);
	read_written(l, c, t, 1, &g);
	assert_int_equal(g.rc, -1);
	assert_int_equal(g.n, 0);
	if (strstr(g.err, "the VP id from the list monitor 'ams nl': contains a space") == NULL)
		fail_msg("%s", g.err);
}

/* One scamper's cycles in one file: cycle 0 started at two times, then
 * cycle 7: three rounds, each trace its own cycle's (the reader keeps the
 * last round id it made: it must follow the cycle). */
static void test_cycles(void **state)
{
	(void)state;
	scamper_list_t *l = scamper_list_alloc(1, "default", NULL, NULL);
	scamper_cycle_t *c[3] = { cycle(l, 0, "vp"), cycle(l, 0, "vp"), cycle(l, 7, "vp") };
	c[1]->start_time += 3600;
	char path[] = "/tmp/bt-warts-XXXXXX";
	scamper_file_t *sf = new_warts(path);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(scamper_file_write_cycle_start(sf, c[i]), 0);
		scamper_trace_t *t = trace3(l, c[i], 0);
		assert_int_equal(scamper_file_write_trace(sf, t), 0);
		scamper_trace_free(t);
	}
	scamper_file_close(sf);
	got g;
	read_all(path, &g);
	unlink(path);
	for (int i = 0; i < 3; i++)
		scamper_cycle_free(c[i]);
	scamper_list_free(l);
	assert_int_equal(g.rc, 0);
	assert_int_equal(g.n, 3);
	assert_string_equal(g.t[0]->round, "2017-10-01T09:00:00Z");
	assert_string_equal(g.t[1]->round, "2017-10-01T10:00:00Z");
	assert_string_equal(g.t[2]->round, "c0000000007");
	got_free(&g);
}

static void test_sniff(void **state)
{
	(void)state;
	static const uint8_t w[] = { 0x12, 0x05, 0x00, 0x01, 0, 0, 0, 9 };
	assert_true(bt_warts_sniff(w, sizeof(w)));
	assert_false(bt_warts_sniff(w, 4));
	assert_false(bt_warts_sniff((const uint8_t *)"{\"format\":1}", 12));
	static const uint8_t t0[] = { 0x12, 0x05, 0x00, 0x00, 0, 0, 0, 9 };
	assert_false(bt_warts_sniff(t0, sizeof(t0)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sniff),
		cmocka_unit_test(test_fixture),
		cmocka_unit_test(test_gzip),
		cmocka_unit_test(test_damaged),
		cmocka_unit_test(test_written),
		cmocka_unit_test(test_monitor),
		cmocka_unit_test(test_cycles),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
