/* Unit tests of the engine's reply spool (prober/spool.c): records go to
 * an unnamed file and come back as traces.
 *
 * Checked: records round-trip through the buffered writes (more than one
 * buffer); the counting sort gives each input entry its records whatever
 * order they were written in, and traces come out in input order with their
 * hops, MPLS labels and closing fields; an unfinished trace is skipped;
 * split-TTL fills take the hops below a trace's stop from the trace it was
 * filled from, along a chain, and leave gaps when that trace ended at or
 * below the stop; a failed write surfaces as an error of the build (not as
 * silently missing traces), and only records that reached the file count. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../prober/spool.h"

#define NT 6

typedef struct got {
	bt_trace *t[64];
	size_t n;
} got;

static int collect(bt_trace *t, void *arg)
{
	got *g = arg;
	assert_true(g->n < 64);
	g->t[g->n++] = t;
	return 0;
}

static void got_free(got *g)
{
	for (size_t i = 0; i < g->n; i++)
		bt_trace_free(g->t[i]);
	g->n = 0;
}

typedef struct fixture {
	bt_engine_opts o;
	bt_flow flows[1];
	bt_addr input[NT];
	bt_acct acct;
	int cb_failed;
	got g;
	bt_spool s;
	bt_spool_run run;
} fixture;

static void fx_init(fixture *f)
{
	memset(f, 0, sizeof(*f));
	bt_engine_opts_default(&f->o);
	f->o.attempts = 2;
	f->o.vp = "vp1";
	bt_flow_init(&f->flows[0], f->o.method, 0, 0, 1);
	for (int i = 0; i < NT; i++)
		bt_addr_from_v4(&f->input[i], htonl(0xc6120000u + (uint32_t)i + 1)); /* 198.18.0.x */
	char err[256];
	assert_int_equal(bt_spool_open(&f->s, "/tmp", &f->acct, err, sizeof(err)), 0);
	f->run = (bt_spool_run){ .o = &f->o, .fam = &bt_family_v4, .flows = f->flows, .input = f->input,
				 .ninput = NT, .cb = collect, .cbarg = &f->g, .cb_failed = &f->cb_failed,
				 .acct = &f->acct };
}

static void fx_free(fixture *f)
{
	got_free(&f->g);
	bt_spool_close(&f->s, &f->acct);
	assert_int_equal(f->acct.bytes, 0);
}

static void hop(fixture *f, uint32_t in, int slot, uint32_t addr)
{
	bt_reply r = { .src = htonl(addr), .ttl = 60, .ip_len = 56, .proto = 1, .icmp_type = 11 };
	bt_spool_hop(&f->s, in, slot, &r, 1, 1000u * (unsigned)(slot + 1));
}

static void end(fixture *f, uint32_t in, bt_stop stop, int nhops, int back_stop, uint32_t fill)
{
	bt_rec *r = bt_spool_next(&f->s);
	r->in = in;
	r->kind = BT_REC_END;
	r->slot = (uint8_t)back_stop;
	r->a = (uint8_t)stop;
	r->b = (uint8_t)nhops;
	r->u.end.start_us = 1700000000000000 + in;
	r->u.end.dur = 2000;
	r->u.end.probes = 7;
	r->u.end.src = htonl(0xc6120001u);
	r->u.end.fill = fill;
}

static uint32_t hop_addr(const bt_trace *t, int i)
{
	return t->hops[i].addr.family ? ntohl(bt_addr_v4(&t->hops[i].addr)) : 0;
}

/* More than a buffer of records, read back from the file as written. */
static void test_round_trip(void **state)
{
	(void)state;
	fixture f;
	fx_init(&f);
	size_t n = 3 * BT_SPOOL_BUF + 17;
	for (size_t i = 0; i < n; i++)
		hop(&f, (uint32_t)(i % NT), (int)(i % 30), 0xc6130000u + (uint32_t)i);
	bt_spool_flush(&f.s);
	assert_int_equal(f.s.err, 0);
	assert_int_equal(f.s.recs, n);
	for (size_t i = 0; i < n; i++) {
		bt_rec r;
		assert_int_equal(pread(f.s.fd, &r, sizeof(r), (off_t)(i * sizeof(r))), sizeof(r));
		assert_int_equal(r.in, i % NT);
		assert_int_equal(r.kind, BT_REC_HOP);
		assert_int_equal(r.slot, i % 30);
		assert_int_equal(ntohl(r.u.hop.addr), 0xc6130000u + i);
		assert_int_equal(r.u.hop.rtt_us, 1000u * (i % 30 + 1));
		assert_int_equal(r.u.hop.type, 11);
	}
	fx_free(&f);
}

/* Interleaved records of several traces come out as traces in input order;
 * one without a closing record is not delivered. */
static void test_sort_and_build(void **state)
{
	(void)state;
	fixture f;
	fx_init(&f);
	/* traces 4, 0, 2 interleaved; 1 unfinished; 3 and 5 never started */
	for (int s = 0; s < 3; s++) {
		hop(&f, 4, s, 0x0a000400u + (uint32_t)s);
		hop(&f, 0, s, 0x0a000000u + (uint32_t)s);
		hop(&f, 1, s, 0x0a000100u + (uint32_t)s);
		if (s != 1)
			hop(&f, 2, s, 0x0a000200u + (uint32_t)s);
	}
	bt_reply m = { .src = htonl(0x0a000401u), .ttl = 60, .proto = 1, .icmp_type = 11, .mpls_count = 4 };
	for (int k = 0; k < 4; k++)
		m.mpls[k] = (bt_mpls){ .label = 100u + (uint32_t)k, .ttl = 1, .s = k == 3 };
	bt_spool_hop(&f.s, 4, 1, &m, 2, 500); /* again at slot 1: its labels */
	end(&f, 2, BT_STOP_COMPLETED, 3, 0, 0);
	end(&f, 0, BT_STOP_GAPLIMIT, 3, 0, 0);
	end(&f, 4, BT_STOP_MAXTTL, 3, 0, 0);
	char err[256];
	assert_int_equal(bt_spool_assemble(&f.s, &f.run, err, sizeof(err)), 0);
	assert_int_equal(f.g.n, 3);
	const uint32_t order[] = { 0, 2, 4 };
	for (size_t i = 0; i < 3; i++) {
		const bt_trace *t = f.g.t[i];
		assert_true(bt_addr_eq(&t->dst, &f.input[order[i]]));
		assert_string_equal(t->vp, "vp1");
		assert_int_equal(t->hop_count, 3);
		assert_int_equal(t->probes_sent, 7);
		assert_int_equal(t->end_us - t->start_us, 2000);
		assert_int_equal(t->hops[0].probe_ttl, 1);
		assert_int_equal(hop_addr(t, 0), 0x0a000000u + 0x100 * order[i]);
		assert_int_equal(t->hops[2].rtt_us, 3000);
	}
	assert_int_equal(hop_addr(f.g.t[1], 1), 0); /* trace 2: a gap at slot 1 */
	assert_int_equal(f.g.t[1]->hops[1].attempt, f.o.attempts);
	assert_int_equal(f.g.t[1]->stop, BT_STOP_COMPLETED);
	assert_int_equal(f.g.t[1]->stop_ttl, 3);
	assert_int_equal(f.g.t[2]->hops[1].mpls_count, 4);
	assert_int_equal(f.g.t[2]->hops[1].mpls[3].label, 103);
	fx_free(&f);
}

/* Split TTL: trace 1 takes its hops below its stop (index 3) from trace 0;
 * trace 2, stopped at 2 by trace 1, takes them through trace 1 from trace
 * 0; trace 3 was filled from trace 5, which ended at its stop: gaps. */
static void test_fills(void **state)
{
	(void)state;
	fixture f;
	fx_init(&f);
	for (int s = 0; s < 6; s++)
		hop(&f, 0, s, 0x0a000000u + (uint32_t)s);
	for (int s = 3; s < 6; s++)
		hop(&f, 1, s, 0x0a000100u + (uint32_t)s);
	for (int s = 2; s < 5; s++)
		hop(&f, 2, s, 0x0a000200u + (uint32_t)s);
	hop(&f, 3, 4, 0x0a000304u);
	hop(&f, 3, 5, 0x0a000305u);
	hop(&f, 5, 0, 0x0a000500u);
	hop(&f, 5, 1, 0x0a000501u);
	end(&f, 0, BT_STOP_COMPLETED, 6, 0, 0);
	end(&f, 1, BT_STOP_COMPLETED, 6, 3, 0 + 1);
	end(&f, 2, BT_STOP_MAXTTL, 5, 2, 1 + 1);
	end(&f, 3, BT_STOP_COMPLETED, 6, 4, 5 + 1);
	end(&f, 5, BT_STOP_COMPLETED, 2, 0, 0);
	char err[256];
	assert_int_equal(bt_spool_assemble(&f.s, &f.run, err, sizeof(err)), 0);
	assert_int_equal(f.g.n, 5);
	const bt_trace *t1 = f.g.t[1], *t2 = f.g.t[2], *t3 = f.g.t[3];
	for (int s = 0; s < 3; s++)
		assert_int_equal(hop_addr(t1, s), 0x0a000000u + (uint32_t)s);
	for (int s = 3; s < 6; s++)
		assert_int_equal(hop_addr(t1, s), 0x0a000100u + (uint32_t)s);
	assert_int_equal(t1->filled_below_ttl, 4);
	assert_int_equal(hop_addr(t2, 0), 0x0a000000u); /* via 1, from 0 */
	assert_int_equal(hop_addr(t2, 1), 0x0a000001u);
	assert_int_equal(hop_addr(t2, 2), 0x0a000202u);
	assert_int_equal(t2->filled_below_ttl, 3);
	for (int s = 0; s < 4; s++)
		assert_int_equal(hop_addr(t3, s), 0); /* trace 5 ended at 2 <= 4 */
	assert_int_equal(hop_addr(t3, 4), 0x0a000304u);
	assert_int_equal(f.g.t[0]->filled_below_ttl, 0);
	fx_free(&f);
}

/* The file cannot be written: the build says so. */
static void test_write_error(void **state)
{
	(void)state;
	fixture f;
	fx_init(&f);
	int full = open("/dev/full", O_WRONLY | O_CLOEXEC);
	assert_true(full >= 0);
	close(f.s.fd);
	f.s.fd = full;
	for (size_t i = 0; i < BT_SPOOL_BUF + 3; i++)
		hop(&f, 0, 0, 1);
	assert_int_equal(f.s.err, ENOSPC); /* the first buffer failed */
	end(&f, 0, BT_STOP_COMPLETED, 1, 0, 0);
	char err[256] = "";
	assert_int_equal(bt_spool_assemble(&f.s, &f.run, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "spool file in /tmp"));
	assert_non_null(strstr(err, strerror(ENOSPC)));
	assert_int_equal(f.s.recs, 0); /* nothing reached the file */
	assert_int_equal(f.g.n, 0);
	fx_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_sort_and_build),
		cmocka_unit_test(test_fills),
		cmocka_unit_test(test_write_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
