/* White-box tests of the engine's timeouts: the state machine (engine.c)
 * over the timer wheel (wheel.c, tested on its own in test_wheel.c), driven
 * through engine_int.h with a made-up clock. No socket is opened and nothing
 * is sent: targets are activated by hand and "sends" do only the engine's
 * bookkeeping (note_sent).
 *
 * Checked: no probe times out before its wait, none stays in flight much
 * longer than its wait, across the 2^32 µs wrap of the run's clock and for
 * waits from 1 ms to 60 s; after a stall of the loop (SIGSTOP, a blocked
 * write) of any length the timers return (a stall that wrapped the 16-bit
 * send times once looped forever) and time out what is overdue. */
#include "../../prober/engine_int.h"
#include "prober_test.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#define N 64

typedef struct sim {
	bt_engine *e;
	uint64_t sent_abs[N][64]; /* true send times (mono µs) */
	uint64_t rs;
} sim;

static uint64_t rnd(sim *s)
{
	return pt_rnd(&s->rs);
}

/* An engine with n targets in progress, its clock at mono0 + start µs. */
static bt_engine *sim_engine(uint32_t wait_us, size_t n, uint64_t start)
{
	bt_engine *e = calloc(1, sizeof(*e));
	assert_non_null(e);
	bt_engine_opts_default(&e->o);
	e->o.wait_us = wait_us;
	e->o.attempts = 3;
	e->o.window = 3;
	e->o.gap_limit = 200;
	e->o.max_ttl = 60;
	e->o.spool_dir = "/tmp";
	static bt_addr tg[N];
	for (size_t i = 0; i < N; i++) {
		memset(&tg[i], 0, sizeof(tg[i]));
		tg[i].family = AF_INET;
	}
	char err[256];
	e->fam = &bt_family_v4;
	e->spool.fd = -1;
	assert_int_equal(bt_engine_setup_run(e, tg, n, err, sizeof(err)), 0);
	e->mono0 = 5000000000ull;
	e->now = e->mono0 + start;
	e->last_timers = e->now;
	e->wheel.wnext = rel32(e, e->now) >> e->wheel.wshift;
	for (size_t k = 0; k < n; k++) {
		uint32_t idx = e->freelist[--e->nfree];
		target *t = &e->tg[idx];
		memset(t, 0, sizeof(*t));
		t->stop_idx = NONE;
		t->back = -1;
		t->live = 1;
		t->dst = (uint32_t)idx + 1;
		t->in = idx;
		assert_int_equal(bt_engine_wb_insert(e, t), 0);
		e->nactive++;
	}
	return e;
}

static void sim_free(bt_engine *e)
{
	bt_engine_free_run(e);
	free(e);
}

/* send_probe's bookkeeping (note_sent) without the send */
static void fake_send(sim *s, target *t, int i)
{
	bt_engine *e = s->e;
	s->sent_abs[tidx(e, t)][i] = e->now;
	bt_engine_wb_sent(e, t, i, (uint8_t)(S_ATT(t_slot(e, t)[i]) + 1));
}

static void run_timers_guarded(bt_engine *e)
{
	pt_guard("timers");
	bt_engine_wb_timers(e);
	pt_unguard();
}

/* Random sends, replies and clock steps; every timeout lands between the
 * wait and the wait plus a bucket and a step. */
static void random_run(uint32_t wait_us, uint64_t start)
{
	sim s = { .rs = 0x9e3779b97f4a7c15ull ^ wait_us };
	bt_engine *e = s.e = sim_engine(wait_us, N, start);
	uint64_t bucket = 1ull << e->wheel.wshift, unit = 1ull << e->tshift;
	uint64_t maxstep = wait_us / 3 + 1;
	long fired = 0;
	static uint8_t before[N][64];
	for (long step = 0; step < 20000 && e->nactive > 0; step++) {
		uint64_t dt = 1 + rnd(&s) % maxstep;
		e->now += dt;
		for (int k = 0; k < N; k++)
			memcpy(before[k], t_slot(e, &e->tg[k]), e->nslots);
		run_timers_guarded(e);
		for (int k = 0; k < N; k++) {
			target *t = &e->tg[k];
			const uint8_t *sl = t_slot(e, t);
			for (int i = 0; i < e->nslots; i++) {
				uint64_t age = e->now - s.sent_abs[k][i];
				if (S_STATE(before[k][i]) == SLOT_INFLIGHT && S_STATE(sl[i]) != SLOT_INFLIGHT) {
					fired++;
					/* send times are kept to a unit */
					if (age + unit < wait_us)
						fail_msg("wait %u: timed out after %llu us", wait_us, (unsigned long long)age);
				}
				if (t->live && S_STATE(sl[i]) == SLOT_INFLIGHT && age > wait_us + bucket + unit + dt)
					fail_msg("wait %u: still in flight after %llu us", wait_us, (unsigned long long)age);
			}
		}
		for (int k = 0; k < N; k++) {
			target *t = &e->tg[k];
			if (!t->live || rnd(&s) % 4)
				continue;
			int i = bt_engine_wb_next_slot(e, t);
			if (i < 0)
				continue;
			fake_send(&s, t, i);
			if (rnd(&s) % 3 == 0) {
				t->outstanding--;
				t_slot(e, t)[i] = S_MAKE(SLOT_REPLIED, S_ATT(t_slot(e, t)[i]));
				bt_engine_wb_advance(e, t);
			}
		}
	}
	print_message("wait %u: %ld timeouts, clock at %u\n", wait_us, fired, rel32(e, e->now));
	assert_true(fired > 100);
	assert_true(rel32(e, e->now) < rel32(e, e->mono0 + start)); /* the clock wrapped */
	sim_free(e);
}

static void test_random_across_wrap(void **state)
{
	(void)state;
	for (size_t i = 0; i < PT_NWAITS; i++)
		random_run(pt_wait(i), pt_before_wrap(pt_wait(i)));
}

/* One probe in flight, then the loop stalls for `stall` µs. */
static void stall_case(uint32_t wait_us, uint64_t stall)
{
	sim s = { .rs = 1 };
	bt_engine *e = s.e = sim_engine(wait_us, 1, 0);
	run_timers_guarded(e);
	target *t = &e->tg[0];
	fake_send(&s, t, 0);
	e->now += stall;
	run_timers_guarded(e); /* must return */
	uint8_t st = S_STATE(t_slot(e, t)[0]);
	if (stall >= (uint64_t)wait_us + (1ull << e->wheel.wshift))
		assert_int_equal(st, SLOT_RETRY);
	else if (stall + (1ull << e->tshift) < wait_us)
		assert_int_equal(st, SLOT_INFLIGHT);
	sim_free(e);
}

/* Multipath entries of the later rounds (mda.c): MP_WAIT is the entry's
 * own wait, MP_ONCE its one attempt; round 1's entry keeps the run's wait
 * (1 s) and attempts (3). */
static void test_multipath_entry_wait(void **state)
{
	(void)state;
	sim s = { .rs = 1 };
	bt_engine *e = s.e = sim_engine(1000000, 3, 0);
	e->o.multipath = true;
	target *once = &e->tg[0], *retried = &e->tg[1], *first = &e->tg[2];
	once->fill = MP_RANGE(0, 60) | MP_ONCE | MP_WAIT(50);
	retried->fill = MP_RANGE(0, 60) | MP_WAIT(50);
	first->fill = MP_RANGE(0, 60);
	for (int k = 0; k < 3; k++)
		fake_send(&s, &e->tg[k], 0);
	e->now += 40000;
	run_timers_guarded(e);
	for (int k = 0; k < 3; k++)
		assert_int_equal(S_STATE(t_slot(e, &e->tg[k])[0]), SLOT_INFLIGHT);
	e->now += 30000; /* 70 ms: past 50 and a bucket (1 s / 256) */
	run_timers_guarded(e);
	assert_int_equal(S_STATE(t_slot(e, once)[0]), SLOT_GAP);
	assert_int_equal(S_STATE(t_slot(e, retried)[0]), SLOT_RETRY);
	assert_int_equal(S_STATE(t_slot(e, first)[0]), SLOT_INFLIGHT);
	e->now += 950000; /* 1.02 s */
	run_timers_guarded(e);
	assert_int_equal(S_STATE(t_slot(e, first)[0]), SLOT_RETRY);
	sim_free(e);
}

static void test_stalls(void **state)
{
	(void)state;
	const uint32_t waits[] = { 1000, 500000, 1000000, 60000000 };
	for (size_t i = 0; i < sizeof(waits) / sizeof(waits[0]); i++) {
		uint64_t w = waits[i];
		bt_engine *e = sim_engine((uint32_t)w, 1, 0);
		uint64_t wrap = 65536ull << e->tshift; /* the 16-bit send times */
		sim_free(e);
		const uint64_t stalls[] = { w / 2, w + w / 2, 2 * w, 3 * w, wrap - w, wrap, wrap + w / 4,
					    wrap + w / 2, wrap + w, 2 * wrap + w / 3, 3 * wrap + w / 8, 13 * w };
		for (size_t k = 0; k < sizeof(stalls) / sizeof(stalls[0]); k++)
			stall_case((uint32_t)w, stalls[k]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_across_wrap),
		cmocka_unit_test(test_stalls),
		cmocka_unit_test(test_multipath_entry_wait),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
