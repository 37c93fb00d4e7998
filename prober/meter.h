/* bordertrace — learning and respecting per-hop ICMP rate limits
 * (doc/probing.md, "Rate-limited hops").
 *
 * A router that rate-limits its time-exceeded messages answers only part of
 * the probes that expire at it once they come faster than its budget; a
 * prober that retries at once asks it more often, not more slowly. The
 * engine keeps, per TTL (slot index), what a period brought: probes sent,
 * first attempts that timed out, retries answered and retries lost. A first
 * attempt lost at a silent router stays lost when retried; one lost to a
 * rate limit is answered by a later attempt often enough. So the share of
 * first attempts a retry gets back is the loss the TTL's rate causes, and
 * when it passes LOSS_ON the TTL gets a meter: a token bucket at the rate
 * its probes were answered (the rate sent, less twice that share: see
 * decide()). A loss shows only a wait after its probe, so after a cut the
 * meter holds for a wait before it weighs losses again (those are of probes
 * sent before the cut). While the loss stays, it keeps coming down; after
 * CALM_PERIODS quiet periods it goes up by a quarter, and off once it no
 * longer holds anything back. Probes at a metered TTL wait for a token
 * (first attempts and retries alike); the engine goes on with the target's
 * other TTLs meanwhile.
 *
 * A meter never slows a TTL below BT_METER_MIN_SHARE-th of the run's rate
 * (at least BT_METER_MIN_RATE): when the rate its answers call for is
 * lower, the TTL is given up for the run (no meter, its gaps stay), since
 * metering it at the floor would stretch the round without reaching the
 * router's budget (measured at 1,000,000 probes/s: a round twice as long
 * and no more hops right). So a full-speed run stays one, and learning is
 * for the rates a VP spends its months at (at 30,000 probes/s the floor is
 * 234/s, below what the simulator's hop 2 needs; at 1,000,000 it is 7,812/s).
 *
 * Per TTL, not per router: the routers that every trace crosses are the
 * ones near the VP, where a TTL has one router or a few (an ECMP group
 * shares the meter, so the unlimited branches slow down too). Deeper TTLs
 * mix many routers, and a rate limit there costs a share of their probes
 * too small to meter. Pure: no clock but the one passed in. */
#ifndef BT_PROBER_METER_H
#define BT_PROBER_METER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Per TTL: the period's counts and the meter. */
typedef struct bt_meter {
	uint32_t sent, sent1;        /* probes sent; of them first attempts */
	uint32_t lost1;              /* first attempts timed out */
	uint32_t got_late, lost_late; /* later attempts answered, timed out */
	uint32_t calm;               /* periods in a row without rate-limit loss */
	uint32_t hold;               /* periods left in which no loss cuts the rate:
				        those losses are of probes sent before the last cut */
	bool on;
	bool given_up;               /* its rate limit is below the floor: never metered */
	double rate;                 /* probes/s allowed while on */
	double tokens;
} bt_meter;

typedef struct bt_meters {
	bt_meter *m;                 /* n of them, one per slot index */
	unsigned n;
	bool learn;                  /* false: counts kept, no meter ever on */
	unsigned nmetered;           /* meters on now */
	unsigned peak_metered;       /* most at once in the run */
	uint64_t turned_on;          /* times a meter came on */
	unsigned given_up;           /* TTLs given up (below the floor) */
	uint64_t period_us, period_start, last_fill;
	uint32_t hold_periods;       /* periods in a wait: a cut holds that long */
	double floor;                /* the lowest rate a meter takes */
} bt_meters;

#define BT_METER_LOSS_ON 0.05  /* share of first attempts a retry recovers */
#define BT_METER_LOSS_CALM 0.01
#define BT_METER_CALM_PERIODS 2
#define BT_METER_MIN_LOST 8    /* fewer losses in a period tell nothing */
#define BT_METER_MIN_RATE 10.0 /* probes/s: a meter never goes below, */
#define BT_METER_MIN_SHARE 128 /* nor below the run's rate / 128 (bt_meters_init) */

/* n slot indices; run_rate: what the floor is a share of (the run's rate;
 * in multipath mode times the flows every TTL gets); period: how often the
 * counts are weighed (the engine uses the wait, so that a period's losses
 * and recoveries are of the probes of about one period before). 0 or -1
 * (out of memory). */
int bt_meters_init(bt_meters *ms, unsigned n, bool learn, double run_rate, uint64_t period_us,
		   uint32_t hold_periods, uint64_t now);
size_t bt_meters_bytes(const bt_meters *ms);

static inline void bt_meters_sent(bt_meters *ms, unsigned i, uint8_t attempt)
{
	ms->m[i].sent++;
	if (attempt <= 1)
		ms->m[i].sent1++;
}

static inline void bt_meters_answered(bt_meters *ms, unsigned i, uint8_t attempt)
{
	if (attempt > 1)
		ms->m[i].got_late++;
}

static inline void bt_meters_lost(bt_meters *ms, unsigned i, uint8_t attempt)
{
	if (attempt <= 1)
		ms->m[i].lost1++;
	else
		ms->m[i].lost_late++;
}

/* Whether a probe at slot i may go now (no meter, or a token there). */
static inline bool bt_meters_ready(const bt_meters *ms, unsigned i)
{
	return !ms->m[i].on || ms->m[i].tokens >= 1.0;
}

/* Takes slot i's token when metered. True when the probe may go. */
static inline bool bt_meters_take(bt_meters *ms, unsigned i)
{
	bt_meter *m = &ms->m[i];
	if (!m->on)
		return true;
	if (m->tokens < 1.0)
		return false;
	m->tokens -= 1.0;
	return true;
}

/* Refills the meters' tokens up to now and, once a period has passed,
 * weighs each TTL's counts (see above). Cheap when nothing is metered and
 * the period is not over. */
void bt_meters_tick(bt_meters *ms, uint64_t now);

/* Microseconds until slot i's meter has a token (0 if it has one). */
uint64_t bt_meters_wait_us(const bt_meters *ms, unsigned i);

#endif
