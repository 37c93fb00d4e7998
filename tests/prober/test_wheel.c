/* Unit tests of the engine's timer wheel and ready ring (prober/wheel.c,
 * wheel.h) on their own, with a made-up 32-bit µs clock.
 *
 * Checked: random arms, re-arms and clears across the 2^32 µs wrap of the
 * clock for waits from 1 ms to 60 s: no timer comes out of a walk before its
 * deadline, none later than a bucket plus the clock's step after it, and
 * none is lost; a re-arm during a walk never lands in the ring being walked;
 * after a stall of the loop of any length (up to many laps of the wheel) a
 * walk returns after one lap at most, back in step with the clock, and hands
 * out every overdue timer; the next deadline the
 * loop sleeps until; the ready ring as a FIFO against a reference. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../prober/wheel.h"
#include "prober_test.h"

#define N 256

typedef struct sim {
	bt_wheel w;
	bt_tlink *links;
	uint32_t now;           /* the wheel's clock (wraps) */
	uint64_t abs;           /* the same, not wrapping */
	uint64_t deadline[N];   /* absolute; 0: not armed */
	uint64_t rs;
} sim;

static uint64_t rnd(sim *s)
{
	return pt_rnd(&s->rs);
}

static void sim_init(sim *s, uint32_t wait_us, uint64_t start)
{
	memset(s, 0, sizeof(*s));
	s->rs = 0x9e3779b97f4a7c15ull ^ wait_us ^ start;
	s->links = malloc(bt_wheel_bytes(N));
	assert_non_null(s->links);
	s->abs = start;
	s->now = (uint32_t)start;
	bt_wheel_init(&s->w, s->links, N, wait_us, s->now);
}

static void arm(sim *s, uint32_t i, uint64_t ahead)
{
	s->deadline[i] = s->abs + ahead;
	bt_wheel_set(&s->w, i, (uint32_t)s->deadline[i]);
}

static uint32_t armed_count(const sim *s)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < N; i++) {
		assert_int_equal(bt_wheel_armed(&s->w, i), s->deadline[i] != 0);
		n += s->deadline[i] != 0;
	}
	return n;
}

/* Random arms, clears and clock steps of at most a third of the wait (the
 * engine's loop runs far more often); popped timers are re-armed up to a
 * wait ahead or let go, as the engine's expire does. */
static void random_run(uint32_t wait_us, uint64_t start)
{
	sim s;
	sim_init(&s, wait_us, start);
	uint64_t bucket = 1ull << s.w.wshift;
	long fired = 0;
	for (long step = 0; step < 20000; step++) {
		uint64_t dt = 1 + rnd(&s) % (wait_us / 3 + 1);
		s.abs += dt;
		s.now = (uint32_t)s.abs;
		static uint64_t walk[N];
		static uint64_t walk_id;
		walk_id++;
		pt_guard("a walk");
		bt_wheel_begin(&s.w, s.now);
		uint32_t i;
		while ((i = bt_wheel_pop(&s.w)) != BT_NOT_ARMED) {
			assert_true(i < N);
			assert_true(s.deadline[i] != 0);
			assert_true(walk[i] != walk_id); /* once per walk */
			walk[i] = walk_id;
			uint32_t peek = bt_wheel_peek(&s.w);
			assert_true(peek == BT_NOT_ARMED || (peek < N && s.deadline[peek] != 0));
			if (s.deadline[i] > s.abs)
				fail_msg("wait %u: timer out %llu us early", wait_us,
					 (unsigned long long)(s.deadline[i] - s.abs));
			if (s.abs - s.deadline[i] > bucket + dt)
				fail_msg("wait %u: timer out %llu us late", wait_us,
					 (unsigned long long)(s.abs - s.deadline[i]));
			fired++;
			s.deadline[i] = 0;
			if (rnd(&s) % 2)
				arm(&s, i, 1 + rnd(&s) % wait_us);
		}
		pt_unguard();
		/* nothing overdue is left behind */
		for (uint32_t k = 0; k < N; k++)
			if (s.deadline[k] != 0 && s.deadline[k] + bucket <= s.abs)
				fail_msg("wait %u: timer %u overdue and not handed out", wait_us, k);
		assert_int_equal(armed_count(&s), s.w.ntimers);
		/* the earliest deadline, as the loop's sleep sees it */
		uint64_t first = UINT64_MAX;
		for (uint32_t k = 0; k < N; k++)
			if (s.deadline[k] != 0 && s.deadline[k] < first)
				first = s.deadline[k];
		int64_t d = bt_wheel_next_us(&s.w, s.now);
		if (first == UINT64_MAX) {
			assert_int_equal(d, -1);
		} else {
			assert_true(d >= 0);
			assert_true((uint64_t)d + s.abs >= first);
			assert_true((uint64_t)d + s.abs <= first + bucket);
		}
		/* new timers, moves and clears */
		for (int k = 0; k < 8; k++) {
			uint32_t j = (uint32_t)(rnd(&s) % N);
			if (rnd(&s) % 4 == 0) {
				bt_wheel_clear(&s.w, j);
				s.deadline[j] = 0;
			} else {
				arm(&s, j, 1 + rnd(&s) % wait_us);
			}
		}
	}
	print_message("wait %u: %ld timeouts, clock at %u\n", wait_us, fired, s.now);
	assert_true(fired > 1000);
	assert_true(s.now < (uint32_t)start); /* the clock wrapped */
	free(s.links);
}

static void test_random_across_wrap(void **state)
{
	(void)state;
	for (size_t i = 0; i < PT_NWAITS; i++)
		random_run(pt_wait(i), pt_before_wrap(pt_wait(i)));
}

/* Timers armed up to a wait ahead, then the loop stalls: the walk returns
 * and hands out every timer now overdue (after a stall of more than the
 * wheel's span it may hand out others too: the engine decides by age). */
static void stall_case(uint32_t wait_us, uint64_t stall)
{
	sim s;
	sim_init(&s, wait_us, (1ull << 32) - wait_us / 2);
	for (uint32_t i = 0; i < N; i++)
		arm(&s, i, 1 + rnd(&s) % wait_us);
	s.abs += stall;
	s.now = (uint32_t)s.abs;
	uint64_t bucket = 1ull << s.w.wshift;
	pt_guard("a walk");
	bt_wheel_begin(&s.w, s.now);
	uint32_t i;
	unsigned pops = 0;
	while ((i = bt_wheel_pop(&s.w)) != BT_NOT_ARMED) {
		pops++;
		s.deadline[i] = 0;
		arm(&s, i, 1 + rnd(&s) % wait_us); /* re-armed, as expire may */
		s.deadline[i] = s.deadline[i] | 1ull << 63; /* re-armed: not overdue */
	}
	pt_unguard();
	assert_true(pops >= 1);
	assert_true(s.w.laps <= BT_WHEEL_BUCKETS + 1); /* one lap at most, whatever the stall */
	assert_int_equal(s.w.wnext, s.now >> s.w.wshift); /* back in step with the clock */
	for (uint32_t k = 0; k < N; k++) {
		uint64_t dl = s.deadline[k] & ~(1ull << 63);
		if (!(s.deadline[k] >> 63) && dl + bucket <= s.abs)
			fail_msg("wait %u, stall %llu: timer %u overdue and not handed out", wait_us,
				 (unsigned long long)stall, k);
	}
	assert_int_equal(s.w.ntimers, N);
	free(s.links);
}

static void test_stalls(void **state)
{
	(void)state;
	const uint32_t waits[] = { 1000, 500000, 1000000, 60000000 };
	for (size_t i = 0; i < sizeof(waits) / sizeof(waits[0]); i++) {
		uint64_t w = waits[i];
		sim s;
		sim_init(&s, (uint32_t)w, 0);
		uint64_t span = (uint64_t)BT_WHEEL_BUCKETS << s.w.wshift; /* at least 2 waits */
		free(s.links);
		const uint64_t stalls[] = { w / 2, w + w / 2, 2 * w, 3 * w, span - w, span, span + w / 4,
					    span + w, 2 * span + w / 3, 3 * span + w / 8, 13 * w };
		for (size_t k = 0; k < sizeof(stalls) / sizeof(stalls[0]); k++)
			stall_case((uint32_t)w, stalls[k]);
	}
}

/* Arm, move and clear keep the count and the armed state; clearing twice
 * is harmless. */
static void test_arm_clear(void **state)
{
	(void)state;
	sim s;
	sim_init(&s, 1000000, 0);
	assert_int_equal(bt_wheel_next_us(&s.w, 0), -1);
	arm(&s, 3, 5000);
	arm(&s, 3, 700000); /* moved, still one timer */
	assert_int_equal(s.w.ntimers, 1);
	arm(&s, 7, 100);
	assert_int_equal(s.w.ntimers, 2);
	bt_wheel_clear(&s.w, 7);
	bt_wheel_clear(&s.w, 7);
	assert_false(bt_wheel_armed(&s.w, 7));
	assert_int_equal(s.w.ntimers, 1);
	/* nothing is due before its bucket ends */
	bt_wheel_begin(&s.w, 699999);
	assert_int_equal(bt_wheel_pop(&s.w), BT_NOT_ARMED);
	bt_wheel_begin(&s.w, 700000 + (1u << s.w.wshift));
	assert_int_equal(bt_wheel_pop(&s.w), 3);
	assert_int_equal(bt_wheel_pop(&s.w), BT_NOT_ARMED);
	assert_int_equal(s.w.ntimers, 0);
	free(s.links);
}

/* The ready ring against a reference queue: FIFO order, count, peeking k
 * places ahead, wrap-around of a power-of-two array. */
static void test_ring(void **state)
{
	(void)state;
	const uint32_t caps[] = { 1, 2, 5, 64, 1000 };
	for (size_t c = 0; c < sizeof(caps) / sizeof(caps[0]); c++) {
		uint32_t cap = caps[c];
		size_t size = bt_ring_size(cap);
		assert_true(size >= cap && (size & (size - 1)) == 0 && size < 2 * cap + 1);
		bt_ring r = { .q = calloc(size, sizeof(uint32_t)), .mask = (uint32_t)size - 1 };
		uint32_t *ref = calloc(100000, sizeof(uint32_t));
		size_t rh = 0, rt = 0;
		uint64_t rs = 12345 + cap;
		for (uint32_t op = 0; op < 100000; op++) {
			pt_rnd(&rs);
			if (rt - rh < cap && (rs % 3 != 0 || rt == rh)) {
				bt_ring_push(&r, op);
				ref[rt++] = op;
			} else {
				uint32_t k = (uint32_t)(rs >> 8) % (uint32_t)(rt - rh);
				assert_int_equal(bt_ring_at(&r, k), ref[rh + k]);
				assert_int_equal(bt_ring_pop(&r), ref[rh++]);
			}
			assert_int_equal(r.count, rt - rh);
		}
		free(ref);
		free(r.q);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arm_clear),
		cmocka_unit_test(test_random_across_wrap),
		cmocka_unit_test(test_stalls),
		cmocka_unit_test(test_ring),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
