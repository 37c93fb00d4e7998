/* Unit tests of multipath (prober/mda.c, mda_record.c): the stopping rule's
 * numbers, the rounds planned from a spool, and the record built from it.
 *
 * Checked: n_k is the published tables' (6, 11, 16, 21, 27, 33, 38, 44 at
 * 95%), raised to the minimum share's flows (11 at 25%) and capped at 64
 * flows; after a round of flow 0 alone nothing is asked at the first hop or
 * the destination, the minimum share at a TTL is met by flows at the next
 * one where that one lacks it too, not asked before the destination;
 * flows are taken in bit-reversed order; an old flow that stopped one TTL
 * short is sent on rather than a new one; links one to one ask for no
 * replays, meshed ones for 5, once; paths of two lengths make the
 * destination's TTL one like the others; the record is one trace with every
 * reply, its flow on entries of other flows, in TTL then attempt then flow
 * order, and passes bt_trace_check. */
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
#define H1 0xc6130164u /* the first hop */
#define F(i) bt_mda_flow_at(i) /* the i-th flow a target takes */
#define WAIT_FLOOR_MS 200 /* mda.c's MP_WAIT_MIN_MS */

static void test_flows_needed(void **state)
{
	(void)state;
	/* the published tables (scamper's, Diamond-Miner's): exact, not the
	 * union bound, which gives 39 and 45 at k = 7, 8 */
	const unsigned want[] = { 6, 11, 16, 21, 27, 33, 38, 44 };
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

#define DST 0xc6120001u /* the target */

/* Flow flow's replies over its range: at[s] at slot s (0: silent), the
 * path n slots long, its last the destination; the end record as the
 * engine writes it (completed at the destination, else the range's end). */
static void walk(fixture *f, unsigned flow, uint32_t range, const uint32_t *at, unsigned n)
{
	unsigned lo = MP_LO(range), hi = MP_END(range);
	for (unsigned s = lo; s < hi && s < n; s++)
		if (at[s])
			hop(f, flow, (int)s, at[s]);
	if (hi >= n)
		end(f, flow, BT_STOP_COMPLETED, (int)n, range);
	else
		end(f, flow, BT_STOP_MAXTTL, (int)hi, range);
}

/* Entry i of the plan: flow, TTL range (and replay), each probe sent once
 * (every round after the first: MP_ONCE), waited for the floor (hop()
 * gives every reply 1 ms); a replay with the run's attempts and wait. */
static void entry_is(const fixture *f, size_t i, unsigned flow, uint32_t range)
{
	bool replay = range & MP_REPLAY;
	assert_int_equal(f->e.mp[i].in, flow);
	assert_int_equal(f->e.mp[i].range & ~MP_WAIT(MP_WAIT_MAX), replay ? range : range | MP_ONCE);
	assert_int_equal(MP_WAIT_MS(f->e.mp[i].range), replay ? 0 : WAIT_FLOOR_MS);
}

static void fx_done(fixture *f)
{
	bt_mda_free(&f->e);
	bt_spool_close(&f->e.spool, &f->e.acct);
	assert_int_equal(f->e.acct.bytes, 0);
}

/* A, (A|B), C, the destination at TTL 4 (slot 3). Round 2: nothing at the
 * first hop or the destination; the minimum share's 11 flows at TTL 2,
 * plain MDA's 6 at TTL 3 (the last before the destination): 5 new flows
 * over TTLs 2-3, 5 at TTL 2 alone, in bit-reversed order. Then every TTL
 * has its flows: no round 3 (no replays: the branches meet on C). */
static void test_rounds_and_record(void **state)
{
	(void)state;
	fixture f;
	char err[256];
	fx_init(&f);
	const uint32_t pa[4] = { H1, A, C, DST }, pb[4] = { H1, B, C, DST };
	walk(&f, 0, MP_RANGE(0, SLOTS), pa, 4);
	assert_int_equal(bt_mda_next(&f.e, err, sizeof(err)), 10);
	for (unsigned i = 0; i < 10; i++)
		entry_is(&f, i, F(i + 1), i < 5 ? MP_RANGE(1, 3) : MP_RANGE(1, 2));
	assert_int_equal(F(1), 32);
	assert_int_equal(F(2), 16);
	assert_int_equal(F(8), 4);
	for (unsigned i = 1; i <= 10; i++)
		walk(&f, F(i), i <= 5 ? MP_RANGE(1, 3) : MP_RANGE(1, 2), i % 2 ? pb : pa, 4);
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
	assert_int_equal(t->probes_sent, 11 * 5);
	assert_int_equal(t->hop_count, 1 + 11 + 6 + 1);
	assert_int_equal(t->hops[0].probe_ttl, 1);
	assert_false(t->hops[0].has_flow); /* flow 0 first, the trace's */
	/* TTL 2: flows 0, 4, 8, 16, 20, 24, 32, ... by flow; 32 is F(1): B */
	const bt_hop *h = &t->hops[1];
	assert_int_equal(h[0].probe_ttl, 2);
	assert_int_equal(ntohl(bt_addr_v4(&h[0].addr)), A);
	assert_int_equal(bt_hop_flow(t, &h[6]), 32);
	assert_int_equal(ntohl(bt_addr_v4(&h[6].addr)), B);
	assert_int_equal(h[10].probe_ttl, 2);
	assert_int_equal(h[11].probe_ttl, 3);
	bt_trace_free(t);
	fx_done(&f);
}

/* Four TTLs of one interface before the destination (slots 1-4, the
 * destination at slot 5). Round 2: the minimum share at slot 1 is met by
 * flows at slot 2 (they crossed slot 1), slot 3's by its own, none at slot
 * 4 (before the destination): 5 flows over slots 1-4, 5 over slots 2-3.
 * Rounds 1 and 2 over that path (p, 6 slots long): flow 0, then F(1) ..
 * F(10) over the ranges the rule gives them, F(i) on q where bit i of
 * on_q is set, on p elsewhere. */
static void singles_two_rounds(fixture *f, const uint32_t *p, const uint32_t *q, unsigned on_q)
{
	char err[256];
	walk(f, 0, MP_RANGE(0, SLOTS), p, 6);
	assert_int_equal(bt_mda_next(&f->e, err, sizeof(err)), 10);
	for (unsigned i = 0; i < 10; i++)
		entry_is(f, i, F(i + 1), i < 5 ? MP_RANGE(1, 5) : MP_RANGE(2, 4));
	for (unsigned i = 1; i <= 10; i++)
		walk(f, F(i), i <= 5 ? MP_RANGE(1, 5) : MP_RANGE(2, 4), on_q >> i & 1 ? q : p, 6);
}

/* Above: slot 4 shows a second interface G to the odd flows: round 3
 * sends the 5 flows that stopped at slot 3 one TTL on (their link to slot
 * 3 comes with them), no new flow. Or (new_if) slot 2 shows a second
 * interface G to one flow only, F(6), which was not sent at slot 1: one
 * interface of slot 1 (A) does not make A -> G sure (G's branch may leave
 * from an A' unseen), so F(6) is sent at slot 1, once; nothing else is
 * lacking. */
static void singles(bool new_if)
{
	fixture f;
	char err[256];
	fx_init(&f);
	const uint32_t E = 0xc6130105u, G = 0xc6130107u;
	const uint32_t p[6] = { H1, A, B, C, E, DST }, q4[6] = { H1, A, B, C, G, DST },
		       q2[6] = { H1, A, G, C, E, DST };
	singles_two_rounds(&f, p, new_if ? q2 : q4, new_if ? 1u << 6 : 0x2aa);
	if (new_if) {
		assert_int_equal(bt_mda_next(&f.e, err, sizeof(err)), 1);
		entry_is(&f, 0, F(6), MP_RANGE(1, 2));
		walk(&f, F(6), MP_RANGE(1, 2), q2, 6);
		assert_int_equal(bt_mda_next(&f.e, err, sizeof(err)), 0);
	} else {
		assert_int_equal(bt_mda_next(&f.e, err, sizeof(err)), 5);
		const unsigned want[5] = { 4, 20, 24, 36, 56 }; /* F(6) .. F(10), in flow order */
		for (unsigned i = 0; i < 5; i++)
			entry_is(&f, i, want[i], MP_RANGE(4, 5));
	}
	fx_done(&f);
}

static void test_share_next_ttl_and_reuse(void **state)
{
	(void)state;
	singles(false);
}

static void test_link_of_a_new_interface(void **state)
{
	(void)state;
	singles(true);
}

/* A width-2 diamond over slots 1 and 2, the destination at slot 3, after
 * 11 flows over slots 1-2: links one to one (A-C, B-D) ask for nothing
 * more; meshed links (A-C, A-D, B-C: or per-packet balancing, which looks
 * the same) ask for 5 replays at slot 1, once. */
static void diamond(void **state, bool meshed)
{
	(void)state;
	fixture f;
	char err[256];
	fx_init(&f);
	const uint32_t D = 0xc6130104u;
	for (unsigned i = 0; i <= 10; i++) {
		if (i == 1)
			assert_int_equal(bt_mda_next(&f.e, err, sizeof(err)), 10);
		uint32_t range = i == 0 ? MP_RANGE(0, SLOTS) : i <= 5 ? MP_RANGE(1, 3) : MP_RANGE(1, 2);
		uint32_t b = i % 2 ? B : A, c = b == A ? (meshed && i % 4 == 2 ? D : C) : meshed && i == 3 ? C : D;
		const uint32_t at[4] = { H1, b, c, DST };
		if (i > 5 && range == MP_RANGE(1, 2))
			range = MP_RANGE(1, 3); /* every flow at both: the links are what differs */
		walk(&f, F(i), range, at, 4);
	}
	long n = bt_mda_next(&f.e, err, sizeof(err));
	assert_int_equal(n, meshed ? 5 : 0);
	for (long i = 0; i < n; i++)
		entry_is(&f, (size_t)i, F(i), MP_RANGE(1, 2) | MP_REPLAY);
	if (meshed) {
		/* the replays answered as before: per flow; no more replays */
		for (unsigned i = 0; i < 5; i++) {
			hop(&f, F(i), 1, i % 2 ? B : A);
			end(&f, F(i), BT_STOP_MAXTTL, 2, MP_RANGE(1, 2) | MP_REPLAY);
		}
		assert_int_equal(bt_mda_next(&f.e, err, sizeof(err)), 0);
	}
	fx_done(&f);
}

static void test_diamond_no_replays(void **state)
{
	diamond(state, false);
}

static void test_mesh_replays(void **state)
{
	diamond(state, true);
}

/* Paths of two lengths: the destination answers at slot 3 for flow 0 and
 * at slot 4 for others (a longer branch through E): the destination's
 * TTL is then no end, and the flows that stopped below it go on. */
static void test_uneven_lengths(void **state)
{
	(void)state;
	fixture f;
	char err[256];
	fx_init(&f);
	const uint32_t E = 0xc6130105u;
	const uint32_t pa[4] = { H1, A, B, DST }, pl[5] = { H1, A, B, E, DST };
	walk(&f, 0, MP_RANGE(0, SLOTS), pa, 4);
	assert_int_equal(bt_mda_next(&f.e, err, sizeof(err)), 10);
	for (unsigned i = 1; i <= 10; i++) /* all 11 flows at slots 1-3 now */
		walk(&f, F(i), MP_RANGE(1, 3), i % 2 ? pl : pa, i % 2 ? 5 : 4);
	/* no address at two TTLs yet: slot 3 is the destination's, tested
	 * no further */
	assert_int_equal(bt_mda_next(&f.e, err, sizeof(err)), 0);
	/* a flow of the longer branch reached the destination one TTL on */
	walk(&f, F(11), MP_RANGE(1, 5), pl, 5);
	long n = bt_mda_next(&f.e, err, sizeof(err));
	assert_true(n > 0);
	bool at3 = false;
	for (long i = 0; i < n; i++)
		at3 |= MP_LO(f.e.mp[i].range) <= 3 && MP_END(f.e.mp[i].range) > 3;
	assert_true(at3); /* slot 3 is probed again: it has E and the destination */
	fx_done(&f);
}

/* TTL 2 silent for flow 0 (a rate-limited or lost reply): it is sent
 * flows until n_1 = 6 went through it, as TTL 3 is (the last before the
 * destination: plain MDA's 6). */
static void test_silent_ttl_asked_again(void **state)
{
	(void)state;
	fixture f;
	char err[256];
	fx_init(&f);
	const uint32_t p[4] = { H1, 0, B, DST };
	walk(&f, 0, MP_RANGE(0, SLOTS), p, 4);
	assert_int_equal(bt_mda_next(&f.e, err, sizeof(err)), 5);
	for (unsigned i = 0; i < 5; i++)
		entry_is(&f, i, F(i + 1), MP_RANGE(1, 3));
	for (unsigned i = 1; i <= 5; i++)
		walk(&f, F(i), MP_RANGE(1, 3), p, 4);
	assert_int_equal(bt_mda_next(&f.e, err, sizeof(err)), 0); /* 6 sent: silent */
	fx_done(&f);
}

/* A later round waits 4 times the target's slowest reply so far (at least
 * the floor), and the run's wait (1 s here, MP_WAIT 0) where that is no
 * shorter, or where nothing answered. */
static void test_round_wait_follows_rtts(void **state)
{
	(void)state;
	const uint32_t slow_us[] = { 30000, 60000, 200000, 250000, 400000 };
	const uint32_t want_ms[] = { WAIT_FLOOR_MS, 240, 800, 0, 0 };
	for (unsigned c = 0; c < 5; c++) {
		fixture f;
		char err[256];
		fx_init(&f);
		const uint32_t p[4] = { H1, A, B, DST };
		walk(&f, 0, MP_RANGE(0, SLOTS), p, 4);
		bt_reply r = { .src = htonl(A), .ttl = 60, .ip_len = 56, .proto = 1, .icmp_type = 11 };
		bt_spool_hop(&f.e.spool, 0, 1, &r, 2, slow_us[c]); /* a slower answer at TTL 2 */
		long n = bt_mda_next(&f.e, err, sizeof(err));
		assert_true(n > 0);
		for (long i = 0; i < n; i++)
			assert_int_equal(MP_WAIT_MS(f.e.mp[i].range), want_ms[c]);
		fx_done(&f);
	}
}

/* Round 1 with no reply at all: no RTT to go by, the run's wait. */
static void test_round_wait_without_replies(void **state)
{
	(void)state;
	fixture f;
	char err[256];
	fx_init(&f);
	const uint32_t none[SLOTS + 1] = { 0 };
	walk(&f, 0, MP_RANGE(0, SLOTS), none, SLOTS + 1);
	long n = bt_mda_next(&f.e, err, sizeof(err));
	assert_true(n > 0);
	for (long i = 0; i < n; i++) {
		assert_true(f.e.mp[i].range & MP_ONCE);
		assert_int_equal(MP_WAIT_MS(f.e.mp[i].range), 0);
	}
	fx_done(&f);
}

/* A spool whose record names a target beyond the run's (only a corrupted
 * or changed spool file): the plan fails with a message, and the sort's
 * table of the run it could not add is freed with the rest (fx_done: the
 * account back at 0 bytes). */
static void test_bad_spool_frees_its_run(void **state)
{
	(void)state;
	fixture f;
	char err[256] = "";
	fx_init(&f);
	const uint32_t p[4] = { H1, A, C, DST };
	walk(&f, 0, MP_RANGE(0, SLOTS), p, 4);
	end(&f, BT_MDA_FLOWS, BT_STOP_COMPLETED, 4, MP_RANGE(0, SLOTS)); /* target 1 of 1 */
	assert_int_equal(bt_mda_next(&f.e, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "spool file was changed"));
	assert_int_equal(f.e.mp_runs.n, 0);
	fx_done(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flows_needed),
		cmocka_unit_test(test_rounds_and_record),
		cmocka_unit_test(test_share_next_ttl_and_reuse),
		cmocka_unit_test(test_link_of_a_new_interface),
		cmocka_unit_test(test_diamond_no_replays),
		cmocka_unit_test(test_mesh_replays),
		cmocka_unit_test(test_uneven_lengths),
		cmocka_unit_test(test_silent_ttl_asked_again),
		cmocka_unit_test(test_round_wait_follows_rtts),
		cmocka_unit_test(test_round_wait_without_replies),
		cmocka_unit_test(test_bad_spool_frees_its_run),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
