/* bordertrace — per-TTL rate-limit meters (see meter.h). */
#include "meter.h"

#include <stdlib.h>
#include <string.h>

int bt_meters_init(bt_meters *ms, unsigned n, bool learn, double run_rate, uint64_t period_us,
		   uint32_t hold_periods, uint64_t now)
{
	memset(ms, 0, sizeof(*ms));
	ms->m = calloc(n ? n : 1, sizeof(*ms->m));
	if (ms->m == NULL)
		return -1;
	ms->n = n;
	ms->learn = learn;
	ms->period_us = period_us ? period_us : 1000000;
	ms->hold_periods = hold_periods;
	ms->floor = run_rate / BT_METER_MIN_SHARE;
	if (ms->floor < BT_METER_MIN_RATE)
		ms->floor = BT_METER_MIN_RATE;
	ms->period_start = now;
	ms->last_fill = now;
	return 0;
}

size_t bt_meters_bytes(const bt_meters *ms)
{
	return (size_t)ms->n * sizeof(*ms->m);
}

/* The most tokens a meter holds: 10 ms of its rate, at least one probe, so
 * that a metered TTL is asked at its rate and not in bursts. */
static double depth(const bt_meter *m)
{
	double d = m->rate * 0.01;
	return d < 1.0 ? 1.0 : d;
}

/* Returns +1 when the meter came on, -1 when it went off, 2 (off) or -2
 * (on) when the TTL is given up, else 0. */
static int decide(bt_meter *m, bool learn, double secs, uint32_t hold, double floor)
{
	if (m->given_up)
		return 0;
	if (m->hold > 0) {
		m->hold--;
		return 0;
	}
	double sent_rate = (double)m->sent / secs;
	uint32_t late = m->got_late + m->lost_late;
	double recover = late ? (double)m->got_late / (double)late : 0.0;
	double share = m->sent1 ? (double)m->lost1 * recover / (double)m->sent1 : 0.0;
	if (share > 1.0)
		share = 1.0;
	if (learn && m->lost1 >= BT_METER_MIN_LOST && m->got_late >= 2 && share > BT_METER_LOSS_ON) {
		/* Twice the loss off: the answers are those of the routers that
		 * still had budget, so a rate at which one of several answered
		 * all is lower than what came back; the calm periods climb back
		 * a quarter at a time. */
		double cut = 2.0 * share > 0.75 ? 0.75 : 2.0 * share;
		double r = sent_rate * (1.0 - cut);
		if (r < floor) {
			m->given_up = true;
			if (!m->on)
				return 2;
			m->on = false;
			return -2;
		}
		m->calm = 0;
		m->hold = hold;
		if (!m->on) {
			m->on = true;
			m->rate = r;
			m->tokens = 1.0;
			return 1;
		}
		if (r < m->rate)
			m->rate = r;
		return 0;
	}
	if (!m->on)
		return 0;
	if (share < BT_METER_LOSS_CALM && ++m->calm >= BT_METER_CALM_PERIODS) {
		m->rate *= 1.25;
		m->calm = 0;
	} else if (share >= BT_METER_LOSS_CALM) {
		m->calm = 0;
	}
	if (sent_rate < 0.5 * m->rate) { /* it holds nothing back any more */
		m->on = false;
		return -1;
	}
	return 0;
}

static void weigh_all(bt_meters *ms, uint64_t elapsed)
{
	double secs = (double)elapsed / 1e6;
	for (unsigned i = 0; i < ms->n; i++) {
		bt_meter *m = &ms->m[i];
		if (m->sent == 0 && !m->on)
			continue;
		int d = decide(m, ms->learn, secs, ms->hold_periods, ms->floor);
		if (d == 1) {
			ms->nmetered++;
			ms->turned_on++;
		} else if (d < 0) {
			ms->nmetered--;
		}
		if (d == 2 || d == -2)
			ms->given_up++;
		m->sent = m->sent1 = m->lost1 = m->got_late = m->lost_late = 0;
	}
	if (ms->nmetered > ms->peak_metered)
		ms->peak_metered = ms->nmetered;
}

void bt_meters_tick(bt_meters *ms, uint64_t now)
{
	if (ms->nmetered > 0 && now > ms->last_fill) {
		double dt = (double)(now - ms->last_fill) / 1e6;
		for (unsigned i = 0; i < ms->n; i++) {
			bt_meter *m = &ms->m[i];
			if (!m->on)
				continue;
			m->tokens += dt * m->rate;
			if (m->tokens > depth(m))
				m->tokens = depth(m);
		}
	}
	ms->last_fill = now;
	if (now - ms->period_start >= ms->period_us) {
		weigh_all(ms, now - ms->period_start);
		ms->period_start = now;
	}
}

uint64_t bt_meters_wait_us(const bt_meters *ms, unsigned i)
{
	const bt_meter *m = &ms->m[i];
	if (!m->on || m->tokens >= 1.0)
		return 0;
	return (uint64_t)((1.0 - m->tokens) * 1e6 / m->rate) + 1;
}
