/* Unit tests: probe encoding and building (libnet, build-only context),
 * reply parsing and matching, including truncated, malformed and foreign
 * replies. Replies are made from the very bytes of the built probes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <libnet.h>
#include <pcap/dlt.h>
#include <stdlib.h>
#include <string.h>

#include "bordertrace/bytes.h"
#include "bordertrace/icmp.h"
#include "bordertrace/probe.h"
#include "bordertrace/reply.h"
#include "forge.h"

#define SRC "198.18.0.1"
#define DST "198.18.2.2"
#define RTR "198.18.1.2"

static uint32_t ip4(const char *s)
{
	struct in_addr a;
	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static int build(bt_method m, uint16_t flow, uint8_t ttl, uint8_t attempt, uint32_t secret,
		 uint8_t *buf, size_t len)
{
	char err[256];
	bt_flow f;
	bt_flow_init(&f, m, flow, 0, secret);
	bt_probe_builder *b = bt_probe_builder_open(LIBNET_NONE, NULL, err, sizeof(err));
	assert_non_null(b);
	assert_int_equal(bt_probe_build(b, &f, ip4(SRC), ip4(DST), ttl, attempt, err, sizeof(err)), 0);
	int n = bt_probe_copy(b, buf, len);
	bt_probe_builder_close(b);
	assert_true(n > 20);
	return n;
}

/* An ICMP error from `from` quoting the probe (IP header + `qlen` bytes). */
static size_t make_error(uint8_t *out, uint8_t type, uint8_t code, const char *from,
			 const uint8_t *probe, size_t qlen, uint8_t quoted_ttl)
{
	return forge_icmp_error(out, type, code, ip4(from), ip4(SRC), probe, qlen, quoted_ttl);
}

static void test_paris_fields_constant(void **state)
{
	(void)state;
	uint8_t a[128], b[128];
	for (int m = 0; m <= 2; m++) {
		int na = build((bt_method)m, 7, 1, 1, 99, a, sizeof(a));
		int nb = build((bt_method)m, 7, 17, 2, 99, b, sizeof(b));
		assert_int_equal(na, nb);
		/* addresses and protocol */
		assert_memory_equal(a + 9, b + 9, 1);
		assert_memory_equal(a + 12, b + 12, 8);
		/* ICMP: type, code, checksum; UDP/TCP: the two ports */
		assert_memory_equal(a + 20, b + 20, 4);
		/* TTL and tag differ */
		assert_int_equal(a[8], 1);
		assert_int_equal(b[8], 17);
		assert_int_not_equal(bt_get16(a + 4), bt_get16(b + 4));
	}
}

static void test_flow_changes_hashed_fields(void **state)
{
	(void)state;
	uint8_t a[128], b[128];
	for (int m = 0; m <= 2; m++) {
		build((bt_method)m, 1, 5, 1, 1, a, sizeof(a));
		build((bt_method)m, 2, 5, 1, 1, b, sizeof(b));
		assert_memory_not_equal(a + 20, b + 20, 4);
	}
}

static void test_checksums_valid(void **state)
{
	(void)state;
	uint8_t p[128];
	/* ICMP: the checksum is the flow constant and the packet is valid */
	int n = build(BT_METHOD_ICMP_PARIS, 3, 4, 1, 5, p, sizeof(p));
	assert_int_equal(p[9], IPPROTO_ICMP);
	assert_int_equal(bt_get16(p + 22), BT_PROBE_ICMP_SUM_BASE + 3);
	assert_int_equal(bt_cksum(p + 20, (size_t)n - 20, 0), 0);
	assert_int_equal(bt_cksum(p, 20, 0), 0);
	/* UDP: checksum valid over the pseudo-header and equal to the check */
	n = build(BT_METHOD_UDP_PARIS, 3, 4, 1, 5, p, sizeof(p));
	assert_int_equal(p[9], IPPROTO_UDP);
	assert_int_equal(bt_get16(p + 20), BT_PROBE_SPORT_BASE + 3);
	assert_int_equal(bt_get16(p + 22), BT_PROBE_UDP_DPORT);
	uint8_t ph[12] = { 0 };
	memcpy(ph, p + 12, 8);
	ph[9] = IPPROTO_UDP;
	bt_put16(ph + 10, (uint16_t)(n - 20));
	uint32_t s = bt_sum16(ph, sizeof(ph), 0);
	assert_int_equal(bt_cksum(p + 20, (size_t)n - 20, s), 0);
	bt_flow f;
	bt_flow_init(&f, BT_METHOD_UDP_PARIS, 3, 0, 5);
	assert_int_equal(bt_get16(p + 26), bt_probe_check(&f, ip4(DST), 4, 1));
	/* TCP: SYN, libnet's checksum valid */
	n = build(BT_METHOD_TCP_SYN, 3, 4, 1, 5, p, sizeof(p));
	assert_int_equal(p[9], IPPROTO_TCP);
	assert_int_equal(p[33] & 0x3f, 0x02);
	bt_put16(ph + 10, (uint16_t)(n - 20));
	ph[9] = IPPROTO_TCP;
	s = bt_sum16(ph, sizeof(ph), 0);
	assert_int_equal(bt_cksum(p + 20, (size_t)n - 20, s), 0);
}

static void test_match_time_exceeded_all_methods(void **state)
{
	(void)state;
	uint8_t p[128], r[256];
	for (int m = 0; m <= 2; m++) {
		bt_flow f;
		bt_flow_init(&f, (bt_method)m, 9, 0, 1234);
		build((bt_method)m, 9, 6, 2, 1234, p, sizeof(p));
		size_t n = make_error(r, BT_ICMP_TIME_EXCEEDED, BT_ICMP_TIMXCEED_INTRANS, RTR, p, 28, 1);
		bt_reply rep;
		assert_int_equal(bt_reply_parse_ip(r, n, &rep), BT_REPLY_OK);
		assert_true(rep.quoted);
		assert_int_equal(rep.q_ttl, 1);
		bt_match mt;
		assert_int_equal(bt_probe_match(&f, &rep, &mt), 0);
		assert_int_equal(mt.kind, BT_MATCH_HOP);
		assert_int_equal(mt.ttl, 6);
		assert_int_equal(mt.attempt, 2);
		assert_int_equal(mt.dst, ip4(DST));

		/* another secret (another bordertrace run) is foreign */
		bt_flow other;
		bt_flow_init(&other, (bt_method)m, 9, 0, 4321);
		assert_int_equal(bt_probe_match(&other, &rep, &mt), -1);
		/* another flow of ours is foreign too */
		bt_flow_init(&other, (bt_method)m, 10, 0, 1234);
		assert_int_equal(bt_probe_match(&other, &rep, &mt), -1);
	}
}

static void test_match_dest_replies(void **state)
{
	(void)state;
	uint8_t p[128], r[256];
	bt_flow f;
	bt_reply rep;
	bt_match mt;

	/* UDP port unreachable from the destination: completed */
	bt_flow_init(&f, BT_METHOD_UDP_PARIS, 0, 0, 77);
	build(BT_METHOD_UDP_PARIS, 0, 3, 1, 77, p, sizeof(p));
	size_t n = make_error(r, BT_ICMP_UNREACH, BT_ICMP_UNREACH_PORT, DST, p, 28, 1);
	assert_int_equal(bt_reply_parse_ip(r, n, &rep), BT_REPLY_OK);
	assert_int_equal(bt_probe_match(&f, &rep, &mt), 0);
	assert_int_equal(mt.kind, BT_MATCH_DEST);
	/* the same from a router: an unreachable, not the destination */
	n = make_error(r, BT_ICMP_UNREACH, BT_ICMP_UNREACH_PORT, RTR, p, 28, 1);
	assert_int_equal(bt_reply_parse_ip(r, n, &rep), BT_REPLY_OK);
	assert_int_equal(bt_probe_match(&f, &rep, &mt), 0);
	assert_int_equal(mt.kind, BT_MATCH_UNREACH);
	/* host unreachable from a router */
	n = make_error(r, BT_ICMP_UNREACH, BT_ICMP_UNREACH_HOST, RTR, p, 28, 1);
	assert_int_equal(bt_reply_parse_ip(r, n, &rep), BT_REPLY_OK);
	assert_int_equal(bt_probe_match(&f, &rep, &mt), 0);
	assert_int_equal(mt.kind, BT_MATCH_UNREACH);

	/* ICMP echo reply: the destination echoes id and seq */
	bt_flow_init(&f, BT_METHOD_ICMP_PARIS, 0, 0, 77);
	build(BT_METHOD_ICMP_PARIS, 0, 4, 1, 77, p, sizeof(p));
	memset(r, 0, sizeof(r));
	r[0] = 0x45;
	bt_put16(r + 2, 40);
	r[9] = IPPROTO_ICMP;
	memcpy(r + 12, p + 16, 4); /* from the destination */
	memcpy(r + 16, p + 12, 4);
	memcpy(r + 20, p + 20, 20);
	r[20] = BT_ICMP_ECHO_REPLY;
	assert_int_equal(bt_reply_parse_ip(r, 40, &rep), BT_REPLY_OK);
	assert_int_equal(bt_probe_match(&f, &rep, &mt), 0);
	assert_int_equal(mt.kind, BT_MATCH_DEST);
	assert_int_equal(mt.ttl, 4);
	/* somebody else's ping reply (another id) is foreign */
	bt_put16(r + 24, (uint16_t)(bt_get16(r + 24) ^ 0x0101));
	assert_int_equal(bt_reply_parse_ip(r, 40, &rep), BT_REPLY_OK);
	assert_int_equal(bt_probe_match(&f, &rep, &mt), -1);

	/* TCP RST acknowledging seq + 1 */
	bt_flow_init(&f, BT_METHOD_TCP_SYN, 0, 0, 77);
	build(BT_METHOD_TCP_SYN, 0, 5, 1, 77, p, sizeof(p));
	memset(r, 0, sizeof(r));
	r[0] = 0x45;
	bt_put16(r + 2, 40);
	r[9] = IPPROTO_TCP;
	memcpy(r + 12, p + 16, 4);
	memcpy(r + 16, p + 12, 4);
	memcpy(r + 20, p + 22, 2); /* sport = probe dport */
	memcpy(r + 22, p + 20, 2);
	uint32_t seq = ((uint32_t)bt_get16(p + 24) << 16) | bt_get16(p + 26);
	uint32_t ack = htonl(seq + 1);
	memcpy(r + 28, &ack, 4);
	r[32] = 0x50;
	r[33] = 0x14; /* RST, ACK */
	assert_int_equal(bt_reply_parse_ip(r, 40, &rep), BT_REPLY_OK);
	assert_int_equal(bt_probe_match(&f, &rep, &mt), 0);
	assert_int_equal(mt.kind, BT_MATCH_DEST);
	assert_int_equal(mt.ttl, 5);
	/* SYN-ACK works too; a bare ACK does not; a wrong ack is foreign */
	r[33] = 0x12;
	bt_reply_parse_ip(r, 40, &rep);
	assert_int_equal(bt_probe_match(&f, &rep, &mt), 0);
	r[33] = 0x10;
	bt_reply_parse_ip(r, 40, &rep);
	assert_int_equal(bt_probe_match(&f, &rep, &mt), -1);
	r[33] = 0x14;
	ack = htonl(seq + 2);
	memcpy(r + 28, &ack, 4);
	bt_reply_parse_ip(r, 40, &rep);
	assert_int_equal(bt_probe_match(&f, &rep, &mt), -1);
}

static void test_foreign_and_forged(void **state)
{
	(void)state;
	uint8_t p[128], r[256];
	bt_flow f;
	bt_reply rep;
	bt_match mt;
	bt_flow_init(&f, BT_METHOD_ICMP_PARIS, 0, 0, 5);
	build(BT_METHOD_ICMP_PARIS, 0, 3, 1, 5, p, sizeof(p));
	size_t n = make_error(r, BT_ICMP_TIME_EXCEEDED, BT_ICMP_TIMXCEED_INTRANS, RTR, p, 28, 1);

	/* quoted destination changed: the check no longer holds */
	uint8_t g[256];
	memcpy(g, r, n);
	g[28 + 19] ^= 1;
	assert_int_equal(bt_reply_parse_ip(g, n, &rep), BT_REPLY_OK);
	assert_int_equal(bt_probe_match(&f, &rep, &mt), -1);
	/* TTL tag changed (a probe we never sent) */
	memcpy(g, r, n);
	g[28 + 20 + 7] ^= 0x02;
	bt_reply_parse_ip(g, n, &rep);
	assert_int_equal(bt_probe_match(&f, &rep, &mt), -1);
	/* attempt 0 or above the maximum */
	memcpy(g, r, n);
	g[28 + 20 + 6] = 0;
	bt_reply_parse_ip(g, n, &rep);
	assert_int_equal(bt_probe_match(&f, &rep, &mt), -1);
	/* another tool's UDP probe in a time exceeded */
	build(BT_METHOD_UDP_PARIS, 0, 3, 1, 5, p, sizeof(p));
	n = make_error(g, BT_ICMP_TIME_EXCEEDED, BT_ICMP_TIMXCEED_INTRANS, RTR, p, 28, 1);
	bt_reply_parse_ip(g, n, &rep);
	assert_int_equal(bt_probe_match(&f, &rep, &mt), -1);
	/* redirects, echo requests and other types are not replies */
	memcpy(g, r, sizeof(g));
	g[20] = 5; /* redirect */
	assert_int_equal(bt_reply_parse_ip(g, n, &rep), BT_REPLY_OTHER);
	g[20] = BT_ICMP_ECHO;
	assert_int_equal(bt_reply_parse_ip(g, n, &rep), BT_REPLY_OTHER);
	/* a UDP datagram */
	memcpy(g, r, n);
	g[9] = IPPROTO_UDP;
	assert_int_equal(bt_reply_parse_ip(g, n, &rep), BT_REPLY_OTHER);
}

static void test_truncated_everywhere(void **state)
{
	(void)state;
	uint8_t p[128], r[256];
	build(BT_METHOD_UDP_PARIS, 0, 3, 1, 5, p, sizeof(p));
	size_t n = make_error(r, BT_ICMP_TIME_EXCEEDED, BT_ICMP_TIMXCEED_INTRANS, RTR, p, 28, 1);
	bt_reply rep;
	/* Cut at every position: never OK before the quote's 8 bytes are there. */
	for (size_t cut = 0; cut < 20 + 8 + 28; cut++) {
		uint8_t *copy = malloc(cut ? cut : 1);
		memcpy(copy, r, cut);
		bt_reply_status s = bt_reply_parse_ip(copy, cut, &rep);
		assert_int_equal(s, BT_REPLY_TRUNCATED);
		free(copy);
	}
	assert_int_equal(bt_reply_parse_ip(r, n, &rep), BT_REPLY_OK);
	/* the IP total length says more than was captured: still truncated */
	bt_put16(r + 2, 1000);
	assert_int_equal(bt_reply_parse_ip(r, n - 1, &rep), BT_REPLY_TRUNCATED);
}

static void test_malformed(void **state)
{
	(void)state;
	uint8_t p[128], r[256], g[256];
	build(BT_METHOD_ICMP_PARIS, 0, 3, 1, 5, p, sizeof(p));
	size_t n = make_error(r, BT_ICMP_TIME_EXCEEDED, BT_ICMP_TIMXCEED_INTRANS, RTR, p, 28, 1);
	bt_reply rep;
	memcpy(g, r, n);
	g[0] = 0x44; /* IHL 4 */
	assert_int_equal(bt_reply_parse_ip(g, n, &rep), BT_REPLY_MALFORMED);
	memcpy(g, r, n);
	bt_put16(g + 2, 10); /* total length below the header */
	assert_int_equal(bt_reply_parse_ip(g, n, &rep), BT_REPLY_MALFORMED);
	memcpy(g, r, n);
	g[28] = 0x65; /* quoted header claims IPv6 */
	assert_int_equal(bt_reply_parse_ip(g, n, &rep), BT_REPLY_MALFORMED);
	memcpy(g, r, n);
	g[28] = 0x42; /* quoted IHL 2 */
	assert_int_equal(bt_reply_parse_ip(g, n, &rep), BT_REPLY_MALFORMED);
	memcpy(g, r, n);
	g[28] = 0x4f; /* quoted IHL 15: 60 bytes + 8 not there */
	assert_int_equal(bt_reply_parse_ip(g, n, &rep), BT_REPLY_TRUNCATED);
	memcpy(g, r, n);
	g[0] = 0x65; /* not IPv4 at all */
	assert_int_equal(bt_reply_parse_ip(g, n, &rep), BT_REPLY_OTHER);
	memcpy(g, r, n);
	bt_put16(g + 6, 0x0010); /* a non-first fragment */
	assert_int_equal(bt_reply_parse_ip(g, n, &rep), BT_REPLY_OTHER);
}

/* A time exceeded with an RFC 4884 extension carrying two MPLS labels. */
static size_t make_mpls(uint8_t *r, const uint8_t *probe, bool rfc4884_len, bool bad_sum)
{
	uint8_t orig[128] = { 0 };
	memcpy(orig, probe, 28);
	uint8_t ext[16];
	forge_mpls_ext(ext, bad_sum);
	uint8_t body[128 + sizeof(ext)];
	memcpy(body, orig, 128);
	memcpy(body + 128, ext, sizeof(ext));
	size_t n = make_error(r, BT_ICMP_TIME_EXCEEDED, BT_ICMP_TIMXCEED_INTRANS, RTR, body, sizeof(body), 1);
	if (rfc4884_len) {
		r[25] = 128 / 4;
		bt_put16(r + 22, 0);
		bt_put16(r + 22, bt_cksum(r + 20, n - 20, 0));
	}
	return n;
}

static void test_mpls_extensions(void **state)
{
	(void)state;
	uint8_t p[128], r[512];
	bt_reply rep;
	build(BT_METHOD_ICMP_PARIS, 0, 3, 1, 5, p, sizeof(p));
	for (int compat = 0; compat <= 1; compat++) {
		size_t n = make_mpls(r, p, compat == 0, false);
		assert_int_equal(bt_reply_parse_ip(r, n, &rep), BT_REPLY_OK);
		assert_true(forge_mpls_ok(rep.mpls, rep.mpls_count));
		/* the extension never spoils the match */
		bt_flow f;
		bt_match mt;
		bt_flow_init(&f, BT_METHOD_ICMP_PARIS, 0, 0, 5);
		assert_int_equal(bt_probe_match(&f, &rep, &mt), 0);
	}
	/* bad extension checksum: labels ignored, hop kept */
	size_t n = make_mpls(r, p, true, true);
	assert_int_equal(bt_reply_parse_ip(r, n, &rep), BT_REPLY_OK);
	assert_int_equal(rep.mpls_count, 0);
	/* object length running past the end: ignored, no over-read */
	n = make_mpls(r, p, true, false);
	bt_put16(r + 28 + 128 + 4, 400);
	bt_put16(r + 28 + 128 + 2, 0); /* checksum "not computed": the length is what is tested */
	assert_int_equal(bt_reply_parse_ip(r, n, &rep), BT_REPLY_OK);
	assert_int_equal(rep.mpls_count, 0);
}

static void test_link_layers(void **state)
{
	(void)state;
	uint8_t p[128], r[256], f[300];
	bt_reply rep;
	build(BT_METHOD_ICMP_PARIS, 0, 3, 1, 5, p, sizeof(p));
	size_t n = make_error(r, BT_ICMP_TIME_EXCEEDED, BT_ICMP_TIMXCEED_INTRANS, RTR, p, 28, 1);
	/* Ethernet with a VLAN tag and trailing padding */
	memset(f, 0, sizeof(f));
	bt_put16(f + 12, 0x8100);
	bt_put16(f + 16, 0x0800);
	memcpy(f + 18, r, n);
	assert_int_equal(bt_reply_parse(f, 18 + n + 6, DLT_EN10MB, &rep), BT_REPLY_OK);
	assert_int_equal(rep.q_ttl, 1);
	/* Linux cooked v1 and v2 */
	memset(f, 0, sizeof(f));
	bt_put16(f + 14, 0x0800);
	memcpy(f + 16, r, n);
	assert_int_equal(bt_reply_parse(f, 16 + n, DLT_LINUX_SLL, &rep), BT_REPLY_OK);
	memset(f, 0, sizeof(f));
	bt_put16(f, 0x0800);
	memcpy(f + 20, r, n);
	assert_int_equal(bt_reply_parse(f, 20 + n, DLT_LINUX_SLL2, &rep), BT_REPLY_OK);
	assert_int_equal(bt_reply_parse(r, n, DLT_RAW, &rep), BT_REPLY_OK);
	/* ARP, short frames, unknown link types */
	memset(f, 0, sizeof(f));
	bt_put16(f + 12, 0x0806);
	assert_int_equal(bt_reply_parse(f, 60, DLT_EN10MB, &rep), BT_REPLY_OTHER);
	assert_int_equal(bt_reply_parse(f, 10, DLT_EN10MB, &rep), BT_REPLY_TRUNCATED);
	assert_int_equal(bt_reply_parse(f, 10, DLT_LINUX_SLL, &rep), BT_REPLY_TRUNCATED);
	assert_int_equal(bt_reply_parse(f, 60, 9999, &rep), BT_REPLY_OTHER);
}

/* Several flows in one run: the flow comes from the reply's own fields. */
static void test_match_flows(void **state)
{
	(void)state;
	uint8_t p[128], r[256];
	bt_reply rep;
	bt_match mt;
	for (int m = 0; m <= 2; m++) {
		bt_flow base;
		bt_flow_init(&base, (bt_method)m, 3, 0, 9);
		build((bt_method)m, 5, 4, 1, 9, p, sizeof(p));
		size_t n = make_error(r, BT_ICMP_TIME_EXCEEDED, BT_ICMP_TIMXCEED_INTRANS, RTR, p, 28, 1);
		assert_int_equal(bt_reply_parse_ip(r, n, &rep), BT_REPLY_OK);
		assert_int_equal(bt_probe_match_flows(&base, 4, &rep, &mt), 0);
		assert_int_equal(mt.flow, 5);
		assert_int_equal(mt.ttl, 4);
		/* flow 5 is outside a run of flows 3..4 */
		assert_int_equal(bt_probe_match_flows(&base, 2, &rep, &mt), -1);
	}
	/* echo reply: the request's checksum is recovered from the reply's */
	for (uint16_t flow = 0; flow < 64; flow++) {
		bt_flow base;
		bt_flow_init(&base, BT_METHOD_ICMP_PARIS, 0, 0, 9);
		int plen = build(BT_METHOD_ICMP_PARIS, flow, 7, 2, 9, p, sizeof(p));
		memset(r, 0, sizeof(r));
		r[0] = 0x45;
		bt_put16(r + 2, (uint16_t)plen);
		r[9] = IPPROTO_ICMP;
		memcpy(r + 12, p + 16, 4);
		memcpy(r + 16, p + 12, 4);
		memcpy(r + 20, p + 20, (size_t)plen - 20);
		r[20] = BT_ICMP_ECHO_REPLY;
		bt_put16(r + 22, 0);
		bt_put16(r + 22, bt_cksum(r + 20, (size_t)plen - 20, 0)); /* a fresh checksum, as hosts do */
		assert_int_equal(bt_reply_parse_ip(r, (size_t)plen, &rep), BT_REPLY_OK);
		assert_int_equal(bt_probe_match_flows(&base, 64, &rep, &mt), 0);
		assert_int_equal(mt.flow, flow);
		assert_int_equal(mt.kind, BT_MATCH_DEST);
	}
}

static void test_random_bytes_never_crash(void **state)
{
	(void)state;
	uint8_t buf[200];
	bt_reply rep;
	bt_flow fl;
	bt_match mt;
	bt_flow_init(&fl, BT_METHOD_UDP_PARIS, 0, 0, 1);
	srand(42);
	for (int i = 0; i < 20000; i++) {
		size_t n = (size_t)(rand() % (int)sizeof(buf));
		for (size_t k = 0; k < n; k++)
			buf[k] = (uint8_t)rand();
		if (n > 0)
			buf[0] = (uint8_t)(0x40 | (buf[0] & 0x0f));
		if (bt_reply_parse_ip(buf, n, &rep) == BT_REPLY_OK)
			(void)bt_probe_match(&fl, &rep, &mt);
	}
}

/* The engine's fast path (a libnet template, patched) gives the very bytes
 * libnet builds for every field: random flows, addresses, TTLs, attempts,
 * secrets, methods switching back and forth on one builder. */
static void test_render_equals_libnet(void **state)
{
	(void)state;
	char err[256];
	bt_probe_builder *fast = bt_probe_builder_open(LIBNET_NONE, NULL, err, sizeof(err));
	bt_probe_builder *ref = bt_probe_builder_open(LIBNET_NONE, NULL, err, sizeof(err));
	assert_non_null(fast);
	assert_non_null(ref);
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	for (int i = 0; i < 30000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		bt_flow f;
		bt_method m = (bt_method)(x % 3);
		uint16_t dport = (x >> 8) & 1 ? (uint16_t)(x >> 16) : 0;
		bt_flow_init(&f, m, (uint16_t)((x >> 2) % (BT_PROBE_MAX_FLOW + 1)), dport, (uint32_t)(x >> 32));
		uint32_t src = (uint32_t)(x * 0x2545f4914f6cdd1dULL), dst = (uint32_t)(x >> 17) ^ src;
		uint8_t ttl = (uint8_t)(1 + (x >> 40) % 255), att = (uint8_t)(1 + (x >> 50) % BT_PROBE_MAX_ATTEMPTS);
		uint8_t a[BT_PROBE_MAX_LEN], b[256];
		int n = bt_probe_render(fast, &f, src, dst, ttl, att, a, err, sizeof(err));
		assert_int_equal(bt_probe_build(ref, &f, src, dst, ttl, att, err, sizeof(err)), 0);
		int nb = bt_probe_copy(ref, b, sizeof(b));
		assert_int_equal(n, nb);
		if (memcmp(a, b, (size_t)n) != 0) {
			for (int k = 0; k < n; k++)
				if (a[k] != b[k])
					print_error("method %d byte %d: render %02x libnet %02x\n", m, k, a[k], b[k]);
			fail();
		}
	}
	bt_probe_builder_close(fast);
	bt_probe_builder_close(ref);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paris_fields_constant),
		cmocka_unit_test(test_flow_changes_hashed_fields),
		cmocka_unit_test(test_checksums_valid),
		cmocka_unit_test(test_render_equals_libnet),
		cmocka_unit_test(test_match_time_exceeded_all_methods),
		cmocka_unit_test(test_match_dest_replies),
		cmocka_unit_test(test_foreign_and_forged),
		cmocka_unit_test(test_truncated_everywhere),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_mpls_extensions),
		cmocka_unit_test(test_link_layers),
		cmocka_unit_test(test_match_flows),
		cmocka_unit_test(test_random_bytes_never_crash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
