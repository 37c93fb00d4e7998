/* Rate-limit meters (prober/meter.c): when a TTL's meter comes on, at what
 * rate, when it comes back up and goes off; tokens. A made-up clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "../../prober/meter.h"

#define SEC 1000000ull

/* One period of slot 0: sent probes (first attempts), first attempts lost,
 * retries answered and lost; then the tick at the period's end. */
static void period(bt_meters *ms, uint64_t *now, unsigned sent1, unsigned lost1, unsigned got_late,
		   unsigned lost_late)
{
	for (unsigned i = 0; i < sent1; i++)
		bt_meters_sent(ms, 0, 1);
	for (unsigned i = 0; i < got_late + lost_late; i++)
		bt_meters_sent(ms, 0, 2);
	for (unsigned i = 0; i < lost1; i++)
		bt_meters_lost(ms, 0, 1);
	for (unsigned i = 0; i < got_late; i++)
		bt_meters_answered(ms, 0, 2);
	for (unsigned i = 0; i < lost_late; i++)
		bt_meters_lost(ms, 0, 2);
	*now += SEC;
	bt_meters_tick(ms, *now);
}

/* A silent router loses every attempt: retries get nothing back, so no
 * meter, however many probes are lost. */
static void silent_loss_is_not_metered(void **state)
{
	(void)state;
	bt_meters ms;
	uint64_t now = 0;
	assert_int_equal(bt_meters_init(&ms, 4, true, 100, SEC, 0, now), 0);
	for (int k = 0; k < 5; k++)
		period(&ms, &now, 1000, 300, 0, 300);
	assert_false(ms.m[0].on);
	assert_int_equal(ms.nmetered, 0);
	free(ms.m);
}

/* A rate limit: 1,000 first attempts a second, 600 lost, retries mostly
 * answered: the meter comes on at the rate that was answered. */
static void rate_limit_loss_is_metered(void **state)
{
	(void)state;
	bt_meters ms;
	uint64_t now = 0;
	assert_int_equal(bt_meters_init(&ms, 4, true, 100, SEC, 0, now), 0);
	period(&ms, &now, 1000, 600, 540, 60);
	assert_true(ms.m[0].on);
	assert_int_equal(ms.nmetered, 1);
	assert_int_equal(ms.turned_on, 1);
	/* sent 1,600/s; recovered share 600 * 0.9 / 1000 = 0.54; twice that,
	 * at most 0.75, comes off */
	assert_true(ms.m[0].rate > 1600 * 0.25 - 1 && ms.m[0].rate < 1600 * 0.25 + 1);
	free(ms.m);
	/* a smaller loss: 1,000 + 100 sent, 100 lost, 90 recovered: 0.09 -> 0.18 off */
	assert_int_equal(bt_meters_init(&ms, 4, true, 100, SEC, 0, now), 0);
	period(&ms, &now, 1000, 100, 90, 10);
	assert_true(ms.m[0].on);
	assert_true(ms.m[0].rate > 1100 * 0.82 - 1 && ms.m[0].rate < 1100 * 0.82 + 1);
	/* other TTLs untouched */
	assert_false(ms.m[1].on);
	assert_true(bt_meters_ready(&ms, 1));
	free(ms.m);
}

/* Switched off (rate_limits = "ignore"): counted, never metered. */
static void ignore_never_meters(void **state)
{
	(void)state;
	bt_meters ms;
	uint64_t now = 0;
	assert_int_equal(bt_meters_init(&ms, 4, false, 100, SEC, 0, now), 0);
	period(&ms, &now, 1000, 600, 540, 60);
	assert_false(ms.m[0].on);
	free(ms.m);
}

/* Too few losses to tell: nothing. */
static void few_losses_tell_nothing(void **state)
{
	(void)state;
	bt_meters ms;
	uint64_t now = 0;
	assert_int_equal(bt_meters_init(&ms, 1, true, 100, SEC, 0, now), 0);
	period(&ms, &now, 20, BT_METER_MIN_LOST - 1, BT_METER_MIN_LOST - 1, 0);
	assert_false(ms.m[0].on);
	free(ms.m);
}

/* Tokens: at most 10 ms of the rate (at least one), one a probe; the wait
 * for the next one. */
static void tokens_pace_the_ttl(void **state)
{
	(void)state;
	bt_meters ms;
	uint64_t now = 0;
	assert_int_equal(bt_meters_init(&ms, 1, true, 100, SEC, 0, now), 0);
	period(&ms, &now, 1000, 100, 90, 10); /* on, ~902/s */
	double rate = ms.m[0].rate;
	assert_true(bt_meters_take(&ms, 0)); /* the one it starts with */
	assert_false(bt_meters_take(&ms, 0));
	assert_false(bt_meters_ready(&ms, 0));
	uint64_t w = bt_meters_wait_us(&ms, 0);
	assert_true(w > 0 && w <= (uint64_t)(1e6 / rate) + 1);
	now += 100000; /* 100 ms: capped at 10 ms' worth */
	bt_meters_tick(&ms, now);
	assert_true(ms.m[0].tokens <= rate * 0.01 + 1e-9);
	unsigned n = 0;
	while (bt_meters_take(&ms, 0))
		n++;
	assert_int_equal(n, (unsigned)(rate * 0.01));
	free(ms.m);
}

/* While the loss stays the meter comes down; quiet periods raise it by a
 * quarter every two; once fewer probes are wanted than half of what it
 * allows, it goes off. */
static void meter_comes_down_up_and_off(void **state)
{
	(void)state;
	bt_meters ms;
	uint64_t now = 0;
	assert_int_equal(bt_meters_init(&ms, 1, true, 100, SEC, 0, now), 0);
	period(&ms, &now, 1000, 600, 540, 60);
	double r0 = ms.m[0].rate;
	period(&ms, &now, 400, 200, 180, 20); /* still losing: lower */
	assert_true(ms.m[0].rate < r0);
	double r1 = ms.m[0].rate;
	period(&ms, &now, (unsigned)r1, 0, 0, 0);
	assert_true(ms.m[0].rate == r1); /* one calm period: not yet */
	period(&ms, &now, (unsigned)r1, 0, 0, 0);
	assert_true(ms.m[0].rate > r1 * 1.24 && ms.m[0].rate < r1 * 1.26);
	assert_true(ms.m[0].on);
	period(&ms, &now, 10, 0, 0, 0); /* the TTL's probes are over */
	assert_false(ms.m[0].on);
	assert_int_equal(ms.nmetered, 0);
	assert_true(bt_meters_ready(&ms, 0));
	assert_int_equal(ms.peak_metered, 1);
	free(ms.m);
}

/* After a cut the meter holds for a wait: the losses of the next periods
 * are of probes sent before it. */
static void a_cut_holds_for_a_wait(void **state)
{
	(void)state;
	bt_meters ms;
	uint64_t now = 0;
	assert_int_equal(bt_meters_init(&ms, 1, true, 100, SEC, 2, now), 0);
	period(&ms, &now, 1000, 100, 90, 10);
	double r0 = ms.m[0].rate;
	period(&ms, &now, 900, 100, 90, 10);
	period(&ms, &now, 900, 100, 90, 10);
	assert_true(ms.m[0].rate == r0); /* held two periods */
	period(&ms, &now, 900, 100, 90, 10);
	assert_true(ms.m[0].rate < r0);
	free(ms.m);
}

/* No meter below the run's rate / 128 (at least 10/s): a TTL whose answers
 * call for less is given up for the run; a full-speed run stays one. */
static void below_the_floor_is_given_up(void **state)
{
	(void)state;
	bt_meters ms;
	uint64_t now = 0;
	assert_int_equal(bt_meters_init(&ms, 2, true, 1000000, SEC, 0, now), 0);
	period(&ms, &now, 1000, 600, 540, 60); /* would be 400/s < 7,812 */
	assert_false(ms.m[0].on);
	assert_true(ms.m[0].given_up);
	assert_int_equal(ms.given_up, 1);
	period(&ms, &now, 100000, 10000, 9000, 1000); /* 110,000 -> 90,200/s: above, but given up */
	assert_false(ms.m[0].on);
	free(ms.m);
	assert_int_equal(bt_meters_init(&ms, 1, true, 100, SEC, 0, now), 0);
	period(&ms, &now, 20, 18, 10, 0); /* would be 7.5/s < 10 */
	assert_true(ms.m[0].given_up);
	free(ms.m);
	/* on, then a cut below the floor: off and given up */
	assert_int_equal(bt_meters_init(&ms, 1, true, 12800, SEC, 0, now), 0); /* floor 100 */
	period(&ms, &now, 1000, 100, 90, 10);
	assert_true(ms.m[0].on);
	period(&ms, &now, 100, 80, 72, 8); /* 180 sent, share 0.72: 45/s */
	assert_false(ms.m[0].on);
	assert_true(ms.m[0].given_up);
	assert_int_equal(ms.nmetered, 0);
	free(ms.m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(silent_loss_is_not_metered),
		cmocka_unit_test(rate_limit_loss_is_metered),
		cmocka_unit_test(ignore_never_meters),
		cmocka_unit_test(few_losses_tell_nothing),
		cmocka_unit_test(tokens_pace_the_ttl),
		cmocka_unit_test(meter_comes_down_up_and_off),
		cmocka_unit_test(a_cut_holds_for_a_wait),
		cmocka_unit_test(below_the_floor_is_given_up),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
