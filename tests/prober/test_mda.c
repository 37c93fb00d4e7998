/* Unit tests of multipath (prober/mda.c, mda_record.c): the stopping rule's
 * numbers, the rounds planned from a spool, and the record built from it.
 *
 * Checked: n_k is MDA's (6, 11, 16, 21, 27, 33, 39, 45 at 95%), raised to
 * the minimum share's flows (11 at 25%) and capped at 64 flows; after a
 * round of flow 0 alone every answering TTL asks for the missing flows,
 * over the TTLs answered and one further; a TTL of two interfaces seen by
 * enough flows asks for no new flow but for replays there, once, and not
 * at a TTL of as many interfaces as the one before; flows are taken in
 * bit-reversed order; a flow
 * answering from two addresses at a TTL (per-packet) ends the rounds; the
 * record is one trace with every reply, its flow on entries of other flows,
 * in TTL then attempt then flow order, and passes bt_trace_check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../prober/engine_int.h"

#define SLOTS 10
#define A 0xc6130101u /* 198.19.1.1 */
#define B 0xc6130102u
#define C 0xc6130103u
#define F(i) bt_mda_flow_at(i) /* the i-th flow a target takes */

static void test_flows_needed(void **state)
{
	(void)state;
	const unsigned want[] = { 6, 11, 16, 21, 27, 33, 39, 45 };
	for (unsigned k = 1; k <= 8; k++)
		assert_int_equal(bt_mda_flows_needed(k, 95, 0), want[k - 1]);
	assert_int_equal(bt_mda_flows_needed(1, 95, 25), 11);
	assert_int_equal(bt_mda_flows_needed(3, 95, 25), 16);
	assert_int_equal(bt_mda_flows_needed(1, 99, 0), 8);
	assert_int_equal(bt_mda_flows_needed(30, 95, 0), BT_MDA_FLOWS);
}

typedef struct fixture {
	bt_engine e;
	bt_flow flows[BT_MDA_FLOWS];
	bt_addr input[1];
	bt_trace *got;
	int cb_failed;
} fixture;

static int collect(bt_trace *t, void *arg)
{
	fixture *f = arg;
	assert_null(f->got);
	f->got = t;
	return 0;
}

static void fx_init(fixture *f)
{
	memset(f, 0, sizeof(*f));
	bt_engine_opts_default(&f->e.o);
	f->e.o.multipath = true;
	f->e.o.nflows = BT_MDA_FLOWS;
	f->e.o.max_ttl = SLOTS;
	f->e.nslots = SLOTS;
	f->e.ntargets = 1;
	for (unsigned i = 0; i < BT_MDA_FLOWS; i++)
		bt_flow_init(&f->flows[i], f->e.o.method, (uint16_t)i, 0, 1);
	bt_addr_from_v4(&f->input[0], htonl(0xc6120001u));
	char err[256];
	assert_int_equal(bt_spool_open(&f->e.spool, "/tmp", &f->e.acct, err, sizeof(err)), 0);
	assert_int_equal(bt_mda_first(&f->e, err, sizeof(err)), 0);
	assert_int_equal(f->e.ninput, 1); /* flow 0 alone */
	assert_int_equal(f->e.mp[0].in, 0);
	assert_int_equal(MP_END(f->e.mp[0].range), SLOTS);
}

static void hop(fixture *f, unsigned flow, int slot, uint32_t addr)
{
	bt_reply r = { .src = htonl(addr), .ttl = 60, .ip_len = 56, .proto = 1, .icmp_type = 11 };
	bt_spool_hop(&f->e.spool, flow, slot, &r, 1, 1000);
}

static void end(fixture *f, unsigned flow, bt_stop stop, int nhops, uint32_t range)
{
	bt_rec *r = bt_spool_next(&f->e.spool);
	r->in = flow;
	r->kind = BT_REC_END;
	r->a = (uint8_t)stop;
	r->b = (uint8_t)nhops;
	r->u.end.start_us = 1700000000000000 + flow;
	r->u.end.dur = 1000;
	r->u.end.probes = 5;
	r->u.end.src = htonl(0xc6336401u);
	r->u.end.fill = range;
}

/* One path A, (A|B), C, destination at TTL 4 (slot 3). */
static void path(fixture *f, unsigned flow, uint32_t mid, uint32_t range)
{
	unsigned lo = MP_LO(range), hi = MP_END(range);
	const uint32_t at[4] = { A, mid, C, 0xc6120001u };
	for (unsigned s = lo; s < hi && s < 4; s++)
		hop(f, flow, (int)s, at[s]);
	end(f, flow, BT_STOP_COMPLETED, 4, range);
}

static void test_rounds_and_record(void **state)
{
	(void)state;
	fixture f;
	char err[256];
	fx_init(&f);
	path(&f, 0, A, MP_RANGE(0, SLOTS));
	/* round 2: n(1) = 11 at every TTL answered: 10 new flows, over TTLs
	 * 1..4 and the one after, taken in bit-reversed order (F) */
	assert_int_equal(bt_mda_next(&f.e, err, sizeof(err)), 10);
	for (unsigned i = 0; i < 10; i++) {
		assert_int_equal(f.e.mp[i].in, F(i + 1));
		assert_int_equal(f.e.mp[i].range, MP_RANGE(0, 5));
	}
	assert_int_equal(F(1), 32);
	assert_int_equal(F(2), 16);
	assert_int_equal(F(8), 4);
	for (unsigned i = 1; i <= 10; i++)
		path(&f, F(i), i % 2 ? B : A, MP_RANGE(0, 5));
	/* round 3: slot 1 has two interfaces and 11 flows (n(2) = 11): no new
	 * flow, 5 replays of the first 5 flows there */
	long n = bt_mda_next(&f.e, err, sizeof(err));
	assert_int_equal(n, 5);
	for (unsigned i = 0; i < 5; i++) {
		assert_int_equal(f.e.mp[i].in, F(i));
		assert_int_equal(f.e.mp[i].range, MP_RANGE(1, 2) | MP_REPLAY);
	}
	/* flow F(1) now answers from A (it had B): per-packet, the rounds end */
	hop(&f, F(1), 1, A);
	end(&f, F(1), BT_STOP_MAXTTL, 2, MP_RANGE(1, 2) | MP_REPLAY);
	assert_int_equal(bt_mda_next(&f.e, err, sizeof(err)), 0);

	bt_spool_run run = { .o = &f.e.o, .fam = &bt_family_v4, .flows = f.flows, .input = f.input,
			     .ninput = 1, .cb = collect, .cbarg = &f, .cb_failed = &f.cb_failed,
			     .acct = &f.e.acct };
	assert_int_equal(bt_mda_assemble(&f.e.spool, &run, &f.e.mp_runs, err, sizeof(err)), 0);
	bt_trace *t = f.got;
	assert_non_null(t);
	assert_int_equal(bt_trace_check(t, err, sizeof(err)), 0);
	assert_int_equal(t->stop, BT_STOP_COMPLETED);
	assert_int_equal(t->stop_ttl, 4);
	assert_int_equal(t->probes_sent, 12 * 5);
	assert_int_equal(t->hop_count, 11 + 12 + 11 + 11);
	assert_int_equal(t->hops[0].probe_ttl, 1);
	assert_false(t->hops[0].has_flow); /* flow 0 first, the trace's */
	assert_true(t->hops[1].has_flow);
	assert_int_equal(t->hops[1].flow, 4); /* then by flow: 4, 8, 16, 20, 24, 32, ... */
	/* TTL 2: flows 0, 4, 8, 16, 20, 24 from A, 32 from B, then 32's replay
	 * from A */
	const bt_hop *h = &t->hops[11];
	assert_int_equal(h[0].probe_ttl, 2);
	assert_int_equal(ntohl(bt_addr_v4(&h[0].addr)), A);
	assert_int_equal(ntohl(bt_addr_v4(&h[6].addr)), B);
	assert_int_equal(bt_hop_flow(t, &h[6]), 32);
	assert_int_equal(bt_hop_flow(t, &h[7]), 32); /* the replay: same flow, other address */
	assert_int_equal(ntohl(bt_addr_v4(&h[7].addr)), A);
	assert_int_equal(h[11].probe_ttl, 2);
	bt_trace_free(t);
	bt_mda_free(&f.e);
	bt_spool_close(&f.e.spool, &f.e.acct);
	assert_int_equal(f.e.acct.bytes, 0);
}

/* A diamond of width 2 over TTLs 2 and 3 (slots 1, 2): A|B then C|D. The
 * replays go where the interfaces grow (slot 1), not to slot 2, which only
 * carries the same two branches on. */
static void test_replays_where_interfaces_grow(void **state)
{
	(void)state;
	fixture f;
	char err[256];
	fx_init(&f);
	const uint32_t D = 0xc6130104u;
	for (unsigned i = 0; i <= 10; i++) {
		if (i == 1)
			assert_int_equal(bt_mda_next(&f.e, err, sizeof(err)), 10);
		uint32_t range = i ? MP_RANGE(0, 5) : MP_RANGE(0, SLOTS);
		const uint32_t at[4] = { A, i % 2 ? B : A, i % 2 ? D : C, 0xc6120001u };
		for (unsigned sl = 0; sl < 4; sl++)
			hop(&f, F(i), (int)sl, at[sl]);
		end(&f, F(i), BT_STOP_COMPLETED, 4, range);
	}
	assert_int_equal(bt_mda_next(&f.e, err, sizeof(err)), 5);
	for (unsigned i = 0; i < 5; i++) {
		assert_int_equal(f.e.mp[i].in, F(i));
		assert_int_equal(f.e.mp[i].range, MP_RANGE(1, 2) | MP_REPLAY);
	}
	bt_mda_free(&f.e);
	bt_spool_close(&f.e.spool, &f.e.acct);
	assert_int_equal(f.e.acct.bytes, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flows_needed),
		cmocka_unit_test(test_rounds_and_record),
		cmocka_unit_test(test_replays_where_interfaces_grow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
