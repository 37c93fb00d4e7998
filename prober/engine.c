/* bordertrace — the probe engine (see include/bordertrace/engine.h): the
 * probing state machine and the run loop. Its generic parts are files of
 * their own (see engine_int.h and doc/probing.md, "Which engine file owns what").
 *
 * Per-target state is a small array of TTL slots: unsent, in flight, waiting
 * for a retry, replied, or given up (a gap), with the attempt count and the
 * latest send time. A "frontier" walks the slots in TTL order as they settle;
 * the gap limit, the destination's answer and max TTL end a trace there.
 * Sends are paced by a token bucket shared by all targets; targets with a
 * probe to send wait in a ready queue (round-robin, one probe per visit) and
 * probe timeouts sit in a timer wheel of per-target deadlines, so the work
 * per probe does not grow with the number of targets in progress.
 *
 * Scale: only a window of targets is in progress at once (the "active"
 * pool); the others cost nothing but their address in the caller's array.
 * Replies are not kept in the pool: each accepted reply is appended to a
 * spool file (spool.c), and so is a closing record when a trace ends; the
 * traces are built from it when probing is over. The pool keeps only what
 * steers probing: 3 bytes per TTL, a 32-byte header and its place in the
 * timer wheel (8 bytes).
 *
 * Per probe, the work is kept off memory that is not in the cache: probes are
 * libnet's template with the varying fields patched in (probe.c), the target
 * a few ready-queue places ahead and the next timer's target are fetched
 * early, and the replies of a capture block are matched first and their
 * targets fetched together before any is handled (capture.h).
 *
 * Split TTL (Doubletree, FlashRoute): probing starts at split_ttl and goes
 * forward to the destination as usual, then backward toward the VP; a
 * backward reply from an interface that another trace of this run already
 * saw at the same TTL stops it, and the TTLs below are taken from that trace
 * when the traces are built (the "stop set" maps (TTL, interface) to the
 * first trace that saw it, as soon as the reply arrives). */
#include "engine_int.h"
#include "reply_int.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "bordertrace/probe6.h"
#include "bordertrace/reply6.h"

#define PREFETCH_AHEAD 8        /* ready-queue visits */

/* ---- the run's clock ---- */

static uint16_t units_now(const bt_engine *e)
{
	return (uint16_t)(rel32(e, e->now) >> e->tshift);
}
/* The run's clock n units from now, rounded down to a unit: a timer key. */
static uint32_t units_ahead(const bt_engine *e, uint32_t n)
{
	return ((rel32(e, e->now) >> e->tshift) + n) << e->tshift;
}
static int64_t wall_at(const bt_engine *e, uint64_t mono)
{
	return e->wall0 + (int64_t)(mono - e->mono0);
}

/* When a reply arrived (run's clock), from its capture timestamp: the loop
 * may handle replies up to a sleep quantum after they came (the idle loop
 * below), so RTTs are measured from the kernel's timestamp, not from when
 * the loop got to them. Never later than now. */
static inline uint64_t arrival(const bt_engine *e, const struct timeval *ts)
{
	int64_t wall = (int64_t)ts->tv_sec * 1000000 + ts->tv_usec;
	uint64_t at = (uint64_t)(wall + e->wall_to_mono);
	return at < e->now ? at : e->now;
}

/* The RTT of a reply that came at `at` to a probe sent at 16-bit units
 * `sent`. `at` is never after now (arrival), so its distance from the send
 * can pass the loop's only by wrapping: `at` fell before the send. That
 * happens when the reply came within microseconds and the capture's wall
 * clock, mapped to the monotonic one by two reads at the last capture read,
 * puts it a hair early (across a unit's edge): the RTT is then 0, not the
 * time until the loop read it (a whole quantum, 10 ms at 100 probes/s:
 * lab-rtt saw it under load). A wall-clock step between the send and the
 * reply cannot make it wrap either. */
static inline uint32_t rtt_us(const bt_engine *e, uint16_t sent, uint64_t at)
{
	uint16_t upto_now = (uint16_t)(units_now(e) - sent);
	uint16_t upto_at = (uint16_t)((uint16_t)(rel32(e, at) >> e->tshift) - sent);
	return (uint32_t)(upto_at <= upto_now ? upto_at : 0) << e->tshift;
}

/* ---- timers (wheel.h) ---- */

static void expire(bt_engine *e, target *t);

static void prefetch_target(const bt_engine *e, uint32_t idx)
{
	__builtin_prefetch(&e->tg[idx], 1);
	__builtin_prefetch(e->arena + (size_t)idx * e->stride, 1);
}

/* Every timer of a bucket that ended before now expires.
 *
 * Send times are 16 bits of units spanning four waits: after a stall of the
 * loop (SIGSTOP, a blocked write) of more than two waits the ages they give
 * may have wrapped; every probe in flight is then older than its wait
 * anyway, and `stale` makes expire time them all out. */
static void timers_run(bt_engine *e)
{
	uint64_t limit = (uint64_t)(65536u - 2 * e->wait_units) << e->tshift;
	e->stale = e->now - e->last_timers >= limit;
	e->last_timers = e->now;
	bt_wheel_begin(&e->wheel, rel32(e, e->now));
	uint32_t i;
	while ((i = bt_wheel_pop(&e->wheel)) != BT_NOT_ARMED) {
		uint32_t after = bt_wheel_peek(&e->wheel);
		if (after != BT_NOT_ARMED)
			prefetch_target(e, after);
		expire(e, &e->tg[i]);
	}
	e->stale = false;
}

/* ---- the ready queue: targets that may have a probe to send ---- */

static int next_slot(const bt_engine *e, const target *t);
static void park(bt_engine *e, target *t);

static void enqueue(bt_engine *e, target *t)
{
	t->queued = 1;
	bt_ring_push(&e->ready, tidx(e, t));
}

static void make_ready(bt_engine *e, target *t)
{
	if (!t->live || t->queued)
		return;
	if (next_slot(e, t) >= 0)
		enqueue(e, t);
	else if (e->meters.nmetered > 0)
		park(e, t);
}

/* After a send: back in the queue while the window allows another probe;
 * whether there is one is found at the next visit (one scan of the slots
 * per probe instead of two). */
static void requeue(bt_engine *e, target *t)
{
	if (t->live && !t->queued && t->outstanding < e->o.window)
		enqueue(e, t);
}

/* A finished target's pool entry is free once nothing refers to it: the
 * ready queue lets go of it when it comes to the front. */
static void retire(bt_engine *e, target *t)
{
	uint32_t idx = tidx(e, t);
	bt_wheel_clear(&e->wheel, idx);
	e->nactive--;
	if (!t->queued && !t->parked)
		e->freelist[e->nfree++] = idx;
}

/* ---- target table (table.h): (family, flow, dst) -> pool index + 1, the
 * key read from the pool entry. An IPv6 dst is a fold (family.h): entries
 * of one key are told apart by their input address (find6) ---- */

static uint64_t tkey(const bt_engine *e, const target *t)
{
	return bt_fkey(t->v6, t_flow(e, t), t->dst);
}

static inline uint64_t target_key(const void *ctx, uint32_t v)
{
	const bt_engine *e = ctx;
	return tkey(e, &e->tg[v - 1]);
}

static inline void target_fetch(const void *ctx, uint32_t v)
{
	prefetch_target(ctx, v - 1);
}

static const uint8_t *input6(const bt_engine *e, const target *t)
{
	return e->input[t->in / e->o.nflows].bytes;
}

/* The IPv6 target in progress for flow index fi and destination dst (16
 * bytes): pool index + 1, or 0. Every entry of the fold's key is checked
 * against its input address, so a collision never matches another
 * target. */
static uint32_t find6(const bt_engine *e, uint16_t fi, const uint8_t *dst)
{
	const bt_table *tb = &e->targets;
	uint64_t key = bt_fkey(1, fi, bt_fold6(dst));
	for (size_t i = bt_table_home(tb, key);; i = (i + 1) & tb->mask) {
		uint32_t v = tb->vals[i];
		if (v == 0)
			return 0;
		if (target_key(e, v) == key && memcmp(input6(e, &e->tg[v - 1]), dst, 16) == 0)
			return v;
	}
}

static int insert(bt_engine *e, const target *t)
{
	if (__builtin_expect(t->v6, 0)) {
		if (find6(e, t_flow(e, t), input6(e, t)) != 0)
			return -1;
		bt_table_add(&e->targets, tkey(e, t), tidx(e, t) + 1);
		return 0;
	}
	return bt_table_insert(&e->targets, tkey(e, t), tidx(e, t) + 1, target_key, e);
}

static void unlink_target(bt_engine *e, const target *t)
{
	bt_table_remove(&e->targets, tkey(e, t), tidx(e, t) + 1, target_key, e);
}

/* ---- stop set (split TTL): (family, ttl, addr) -> input entry + 1; an
 * IPv6 addr is its intern handle, exact ---- */

/* The input entry + 1 of the trace that first saw addr at ttl; 0: none. */
static uint32_t stop_find(const bt_engine *e, unsigned v6, uint8_t ttl, bt_faddr addr)
{
	if (e->stop.vals == NULL)
		return 0;
	uint64_t key = bt_fkey(v6, ttl, addr);
	return bt_table_find(&e->stop, key, bt_table_home(&e->stop, key), NULL, NULL);
}

static int stop_grow(bt_engine *e)
{
	size_t old = e->stop.vals ? e->stop.mask + 1 : 0;
	size_t ncap = old ? old * 2 : 1024;
	uint64_t *nk = bt_acct_alloc(&e->acct, ncap * sizeof(*nk));
	uint32_t *nv = bt_acct_alloc(&e->acct, ncap * sizeof(*nv));
	if (nk == NULL || nv == NULL) {
		bt_acct_free(&e->acct, nk, ncap * sizeof(*nk));
		bt_acct_free(&e->acct, nv, ncap * sizeof(*nv));
		return -1;
	}
	uint64_t *ok = e->stop.keys;
	uint32_t *ov = e->stop.vals;
	bt_table_move(&e->stop, nv, nk, ncap);
	bt_acct_free(&e->acct, ok, old * sizeof(*ok));
	bt_acct_free(&e->acct, ov, old * sizeof(*ov));
	return 0;
}

/* Records that the trace of input entry in saw addr at ttl. Out of memory
 * only means less redundancy removed: not an error. */
static void stop_add(bt_engine *e, unsigned v6, uint8_t ttl, bt_faddr addr, uint32_t in)
{
	if ((e->stop.vals == NULL || bt_table_full(&e->stop)) && stop_grow(e) != 0)
		return;
	(void)bt_table_insert(&e->stop, bt_fkey(v6, ttl, addr), in + 1, NULL, NULL);
}

/* ---- per-target progress ---- */

/* The trace is over: its closing record goes to the spool (the trace is
 * built from the spool when probing is done) and its pool entry is let go. */
static void finish(bt_engine *e, target *t, bt_stop reason, size_t nhops)
{
	t->live = 0;
	unlink_target(e, t);
	retire(e, t);
	e->st.targets_done++;
	/* Filled only if the trace has hops above the copied ones (not one that
	 * ended in an error after it had been stopped backward). */
	uint8_t back_stop = reason != BT_STOP_ERROR && nhops > t->back_stop ? t->back_stop : 0;
	if (back_stop) {
		e->st.traces_filled++;
		e->st.probes_saved += back_stop;
	}
	bt_rec *r = bt_spool_next(&e->spool);
	r->in = t->in;
	r->kind = BT_REC_END;
	r->slot = back_stop;
	r->a = (uint8_t)reason;
	r->b = (uint8_t)nhops;
	uint64_t start = t->started ? e->mono0 + (uint64_t)t->start_ms * 1000u : e->now;
	uint64_t d = e->now > start ? e->now - start : 0;
	r->u.end.start_us = wall_at(e, start);
	r->u.end.dur = d < BT_DUR_MS ? (uint32_t)d :
		       BT_DUR_MS | (uint32_t)(d / 1000 < BT_DUR_MS ? d / 1000 : BT_DUR_MS - 1);
	r->u.end.probes = t->probes;
	r->u.end.src = t->src;
	r->u.end.fill = back_stop || e->o.multipath ? t->fill : 0; /* multipath: the range */
}

/* In-flight probes at indices the trace no longer needs stop holding the
 * window (their replies, if any, count as late). */
static void release(const bt_engine *e, target *t, size_t from, size_t to)
{
	uint8_t *slot = t_slot(e, t);
	for (size_t i = from; i < to; i++) {
		uint8_t s = S_STATE(slot[i]);
		if (s == SLOT_INFLIGHT)
			t->outstanding--;
		if (s == SLOT_INFLIGHT || s == SLOT_RETRY)
			slot[i] = S_MAKE(SLOT_GAP, S_ATT(slot[i]));
	}
}

static bool settled(uint8_t s)
{
	return S_STATE(s) == SLOT_REPLIED || S_STATE(s) == SLOT_GAP;
}

/* Moves the forward frontier over settled slots; true when the forward
 * part is done. */
static bool advance_forward(bt_engine *e, target *t, const uint8_t *slot)
{
	unsigned end = t_end(e, t);
	unsigned limit = t->stop_idx != NONE ? t->stop_idx : end;
	while (t->frontier < limit && settled(slot[t->frontier])) {
		t->gap_run = S_STATE(slot[t->frontier]) == SLOT_GAP ? (uint8_t)(t->gap_run + 1) : 0;
		t->frontier++;
		if (t->gap_run >= e->o.gap_limit) {
			t->fwd_done = 1;
			t->stop_reason = BT_STOP_GAPLIMIT;
			t->stop_idx = NONE;
			release(e, t, t->frontier, e->nslots);
			break;
		}
	}
	if (!t->fwd_done && t->stop_idx != NONE && t->frontier >= t->stop_idx)
		t->fwd_done = 1;
	else if (!t->fwd_done && t->frontier >= end) {
		t->fwd_done = 1;
		t->stop_reason = BT_STOP_MAXTTL;
	}
	return t->fwd_done;
}

/* Moves the frontier over settled slots and ends the trace when both
 * directions are done. */
static void advance(bt_engine *e, target *t)
{
	if (!t->live)
		return;
	const uint8_t *slot = t_slot(e, t);
	if (!t->fwd_done && !advance_forward(e, t, slot))
		return;
	size_t nh = t->stop_reason == BT_STOP_GAPLIMIT ? t->frontier :
		    t->stop_reason == BT_STOP_MAXTTL ? t_end(e, t) : (size_t)t->stop_idx + 1;
	if (e->split_idx) {
		size_t top = nh < e->split_idx ? nh : e->split_idx;
		if (t->back >= (int)t->back_stop && (size_t)t->back < top)
			return; /* backward probes still to send */
		for (size_t i = t->back_stop; i < top; i++)
			if (!settled(slot[i]))
				return;
	}
	finish(e, t, (bt_stop)t->stop_reason, nh);
}

/* The wait of t's probes in units: the run's, or a multipath entry's own
 * (MP_WAIT: its target's RTTs so far, mda.c). */
static uint32_t t_wait(const bt_engine *e, const target *t)
{
	unsigned ms = __builtin_expect(e->o.multipath, 0) ? MP_WAIT_MS(t->fill) : 0;
	if (ms == 0)
		return e->wait_units;
	uint32_t u = (uint32_t)(((uint64_t)ms * 1000 + (1u << e->tshift) - 1) >> e->tshift);
	return u < e->wait_units ? u : e->wait_units;
}

/* The target's timer fired: in-flight probes older than the wait become
 * retries or gaps; the timer is re-armed for the oldest one left. */
static void expire(bt_engine *e, target *t)
{
	uint32_t next = UINT32_MAX; /* the fewest units left to wait */
	uint16_t nowu = units_now(e);
	uint8_t *slot = t_slot(e, t);
	const uint16_t *sent = t_sent(e, t);
	unsigned end = t->next;
	if (t->stop_idx != NONE && t->stop_idx < end)
		end = t->stop_idx;
	unsigned begin = e->split_idx ? t->back_stop : t->frontier;
	unsigned attempts = e->o.multipath && (t->fill & MP_ONCE) ? 1 : e->o.attempts;
	uint32_t wait = t_wait(e, t);
	for (unsigned i = begin; i < end; i++) {
		if (S_STATE(slot[i]) != SLOT_INFLIGHT)
			continue;
		uint32_t age = (uint16_t)(nowu - sent[i]);
		if (age >= wait || e->stale) {
			t->outstanding--;
			uint8_t att = S_ATT(slot[i]);
			bt_meters_lost(&e->meters, i, att);
			slot[i] = S_MAKE(att < attempts ? SLOT_RETRY : SLOT_GAP, att);
		} else if (wait - age < next) {
			next = wait - age;
		}
	}
	advance(e, t);
	if (!t->live)
		return;
	if (next != UINT32_MAX)
		bt_wheel_set(&e->wheel, tidx(e, t), units_ahead(e, next));
	else
		bt_wheel_clear(&e->wheel, tidx(e, t));
	make_ready(e, t);
}

/* The slot index to probe next, or -1 if this target must wait: forward
 * retries, the next forward TTL, then backward retries and the next
 * backward TTL. */
static int next_slot(const bt_engine *e, const target *t)
{
	if (t->outstanding >= e->o.window)
		return -1;
	const uint8_t *slot = t_slot(e, t);
	unsigned limit = t->stop_idx != NONE ? t->stop_idx : t_end(e, t);
	if (!t->fwd_done) {
		for (unsigned i = t->frontier; i < t->next && i < limit; i++)
			if (S_STATE(slot[i]) == SLOT_RETRY && bt_meters_ready(&e->meters, i))
				return (int)i;
		if (t->next < limit)
			return t->next;
	}
	if (e->split_idx) {
		int top = (int)(e->split_idx < limit ? e->split_idx : limit);
		for (int i = t->back + 1; i < top; i++)
			if (i >= t->back_stop && S_STATE(slot[i]) == SLOT_RETRY &&
			    bt_meters_ready(&e->meters, (unsigned)i))
				return i;
		if (t->back >= (int)t->back_stop && t->back < top)
			return t->back;
	}
	return -1;
}

/* What a probe sent at slot idx changes: in flight since now, the timer
 * armed, the forward or backward cursor moved past it. */
static void note_sent(bt_engine *e, target *t, int idx, uint8_t attempt)
{
	bt_meters_sent(&e->meters, (unsigned)idx, attempt);
	t_sent(e, t)[idx] = units_now(e);
	t_slot(e, t)[idx] = S_MAKE(SLOT_INFLIGHT, attempt);
	t->outstanding++;
	if (!bt_wheel_armed(&e->wheel, tidx(e, t)))
		bt_wheel_set(&e->wheel, tidx(e, t), units_ahead(e, t_wait(e, t)));
	if (idx == t->next)
		t->next++;
	else if (idx == t->back)
		t->back--;
}

/* ---- rate-limited TTLs (meter.h; doc/probing.md, "Rate-limited hops") ----
 *
 * A slot whose TTL's meter has no token is put off: a never-sent one
 * becomes a retry of attempt 0 (the cursor moves past it, so the target
 * goes on with its other TTLs), a retry stays one; next_slot passes over
 * retries whose meter is empty. A target left with nothing but such slots
 * waits in the parked list of the lowest one's TTL, and is taken out as
 * that meter's tokens come. */

/* Puts off slot idx (its meter had no token); false when it cannot be. */
static bool put_off(const bt_engine *e, target *t, int idx)
{
	uint8_t *slot = t_slot(e, t);
	if (S_STATE(slot[idx]) != SLOT_UNSENT)
		return false;
	slot[idx] = S_MAKE(SLOT_RETRY, 0);
	if (idx == t->next)
		t->next++;
	else if (idx == t->back)
		t->back--;
	else
		return false;
	return true;
}

/* The lowest slot of t waiting for an empty meter, or -1. */
static int waiting_slot(const bt_engine *e, const target *t)
{
	const uint8_t *slot = t_slot(e, t);
	unsigned limit = t->stop_idx != NONE ? t->stop_idx : e->nslots;
	for (unsigned i = t->back_stop; i < limit; i++)
		if (S_STATE(slot[i]) == SLOT_RETRY && !bt_meters_ready(&e->meters, i))
			return (int)i;
	return -1;
}

static void park(bt_engine *e, target *t)
{
	int i = t->parked ? -1 : waiting_slot(e, t);
	if (i < 0)
		return;
	if (e->park_next == NULL &&
	    (e->park_next = bt_acct_alloc(&e->acct, (size_t)e->cap * sizeof(uint32_t))) == NULL)
		return; /* no memory: it waits for its timer or a reply instead */
	bt_parkq *q = &e->parked[i];
	uint32_t idx = tidx(e, t);
	if (q->count++ == 0)
		q->head = idx;
	else
		e->park_next[q->tail] = idx;
	q->tail = idx;
	t->parked = 1;
	if (++e->nparked > e->st.parked_peak)
		e->st.parked_peak = e->nparked;
}

/* Takes out of each parked list as many targets as its meter has tokens
 * (all of them once the meter is off). */
static void unpark(bt_engine *e)
{
	for (unsigned i = 0; i < e->nslots && e->nparked > 0; i++) {
		bt_parkq *q = &e->parked[i];
		const bt_meter *m = &e->meters.m[i];
		uint32_t n = q->count;
		if (n == 0 || !bt_meters_ready(&e->meters, i))
			continue;
		if (m->on && m->tokens < (double)n)
			n = (uint32_t)m->tokens;
		while (n-- > 0) {
			uint32_t idx = q->head;
			q->head = e->park_next[idx];
			q->count--;
			target *t = &e->tg[idx];
			e->nparked--;
			t->parked = 0;
			if (!t->live) {
				if (!t->queued)
					e->freelist[e->nfree++] = idx; /* finished while parked */
			} else {
				make_ready(e, t);
			}
		}
	}
}

/* An IPv6 probe: the destination from the input, the source from its
 * handle. No IPv6 here: EAFNOSUPPORT, the target ends as an error. */
static __attribute__((noinline)) int emit6(bt_engine *e, const target *t, uint8_t hlim, uint8_t attempt,
					   char *err, size_t errlen)
{
	const uint8_t *src = bt_intern6_addr(&e->intern, t->src);
	if (e->pb6 == NULL || src == NULL) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	return bt_probe6_emit(e->pb6, &e->flows[t_flow(e, t)], src, input6(e, t), hlim, attempt, err, errlen);
}

/* Keeps the first reason a target ended as an error, for the caller. */
static void note_error(bt_engine *e, const char *what, const char *why)
{
	if (e->st.first_error[0] == '\0')
		snprintf(e->st.first_error, sizeof(e->st.first_error), "%s%.120s", what, why);
}

static int send_probe(bt_engine *e, target *t, int idx)
{
	uint8_t ttl = (uint8_t)(e->o.first_ttl + idx);
	uint8_t *slot = t_slot(e, t);
	uint8_t attempt = (uint8_t)(S_ATT(slot[idx]) + 1);
	char err[256];
	err[0] = '\0'; /* not "= \"\"": that zeroes all 256 bytes at every probe */

	if (!t->started) {
		t->start_ms = (uint32_t)((e->now - e->mono0) / 1000u);
		t->started = 1;
	}
	errno = 0;
	int rc;
	const struct sockaddr_ll *ll = NULL;
	if (__builtin_expect(t->v6, 0))
		rc = emit6(e, t, ttl, attempt, err, sizeof(err));
	else if (e->lo && (ll = bt_linkout_for(e->lo, t->dst, e->now)) != NULL)
		rc = bt_probe_emit_to(e->pb, &e->flows[t_flow(e, t)], t->src, t->dst, ttl, attempt, e->lo->fd,
				      (const struct sockaddr *)ll, sizeof(*ll), err, sizeof(err));
	else
		rc = bt_fam_emit(e->fam, e->pb, &e->flows[t_flow(e, t)], t->src, t->dst, ttl, attempt, err,
				 sizeof(err));
	if (rc < 0) {
		e->st.send_errors++;
		if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR)
			return -1; /* queue full, or a signal: again later, nothing recorded */
		/* No route, or the kernel refused: this target cannot be traced. */
		note_error(e, "sending: ", err[0] ? err : strerror(errno));
		finish(e, t, BT_STOP_ERROR, 0);
		return 0;
	}
	e->st.probes_sent++;
	if (ll)
		e->lo->sent_packet++;
	t->probes++;
	note_sent(e, t, idx, attempt);
	return 0;
}

static bool replied_below(const bt_engine *e, const target *t, int idx)
{
	const uint8_t *slot = t_slot(e, t);
	for (int i = 0; i < idx; i++)
		if (S_STATE(slot[i]) == SLOT_REPLIED)
			return true;
	return false;
}

/* Whether a matched reply for slot idx answers the probe now out there;
 * counts it as late or foreign when not. */
static bool reply_fits(bt_engine *e, const bt_match *m, const target *t, int idx)
{
	if (t == NULL || !t->live) {
		/* The check holds, so it answers one of our probes: a trace that has
		 * ended (or one of another run of this engine, same secret). */
		e->st.late++;
		return false;
	}
	uint8_t s = t_slot(e, t)[idx];
	if (m->attempt > S_ATT(s)) {
		e->st.foreign++; /* an attempt not sent yet: cannot be a reply to us */
		return false;
	}
	/* Replied already, given up, waiting for its retry, or an earlier
	 * attempt than the one now out: its wait is over (and the 16-bit send
	 * time may no longer tell how long ago it went). */
	if (S_STATE(s) != SLOT_INFLIGHT || m->attempt != S_ATT(s)) {
		e->st.late++;
		return false;
	}
	if ((t->stop_idx != NONE && idx > t->stop_idx) || idx < t->back_stop ||
	    (t->fwd_done && t->stop_reason == BT_STOP_GAPLIMIT && idx >= t->frontier)) {
		e->st.late++;
		return false;
	}
	return true;
}

/* A backward reply (split TTL) from addr at slot idx: an interface another
 * trace saw at this TTL ends the trace here; one nobody saw yet is this
 * trace's to offer. */
static void on_backward(bt_engine *e, target *t, int idx, uint8_t ttl, bt_faddr addr)
{
	uint32_t owner = stop_find(e, t->v6, ttl, addr);
	if (owner == 0) {
		stop_add(e, t->v6, ttl, addr, t->in);
	} else if (owner != t->in + 1 && t->fill == 0 && !replied_below(e, t, idx)) {
		/* Only once, and only above every hop this trace has itself
		 * (replies can come out of order with a window): so every
		 * entry a trace owns lies at or above its own stop, and a
		 * chain of fills only ever goes down. */
		t->back_stop = (uint8_t)idx;
		t->fill = owner;
		t->back = -1;
		release(e, t, 0, (size_t)idx);
	}
}

/* A reply matched to target t (NULL: none in progress): its effect. */
/* A reply that fits target t's probe at slot idx (reply_fits): its effect. */
static inline void on_fitting_reply(bt_engine *e, const bt_reply *r, const bt_match *m, target *t, int idx,
				    uint64_t at)
{
	uint8_t *slot = t_slot(e, t);
	uint8_t att = S_ATT(slot[idx]);
	e->st.replies++;
	t->outstanding--;
	slot[idx] = S_MAKE(SLOT_REPLIED, att);
	bt_meters_answered(&e->meters, (unsigned)idx, m->attempt);
	uint32_t rtt = rtt_us(e, t_sent(e, t)[idx], at);
	bt_spool_hop(&e->spool, t->in, idx, r, m->attempt, rtt);

	if (m->kind != BT_MATCH_HOP && (t->stop_idx == NONE || idx < t->stop_idx)) {
		t->stop_idx = (uint8_t)idx;
		t->stop_reason = m->kind == BT_MATCH_DEST ? BT_STOP_COMPLETED : BT_STOP_UNREACHABLE;
		if (idx < e->split_idx || t->fwd_done) {
			/* found below the split (or below a gap-limit end): the
			 * forward part is over, whatever it was doing */
			t->fwd_done = 1;
			if (t->frontier > idx)
				t->frontier = (uint8_t)idx;
		}
		release(e, t, (size_t)idx + 1, e->nslots);
	} else if (m->kind == BT_MATCH_HOP && idx < e->split_idx && idx >= t->back_stop) {
		on_backward(e, t, idx, m->ttl, bt_fam_reply_src(r));
	}
	advance(e, t);
	make_ready(e, t);
}

static void on_reply(bt_engine *e, const bt_reply *r, const bt_match *m, target *t, uint64_t at)
{
	int idx = (int)m->ttl - e->o.first_ttl;
	if (reply_fits(e, m, t, idx))
		on_fitting_reply(e, r, m, t, idx, at);
}

/* ---- replies (capture.h) ---- */

/* The replies of a batch, in arrival order: their targets are looked up
 * (and fetched) for all of them first, so the cache misses overlap. */
static void flush_replies(bt_engine *e)
{
	bt_rbatch *b = &e->rb;
	bt_rbatch_resolve(b, &e->targets, target_key, e, target_fetch);
	for (unsigned i = 0; i < b->n; i++) {
		bt_pending *p = &b->p[i];
		on_reply(e, &p->r, &p->m, p->v ? &e->tg[p->v - 1] : NULL, p->at);
	}
	b->n = 0;
}

/* A packet the IPv4 parser did not take (status s4), as IPv6: handled at
 * once (no batch: IPv6 lookups confirm the address, find6), BT_REPLY_OK;
 * else the status to count. */
static __attribute__((noinline)) bt_reply_status on_packet6(bt_engine *e, const uint8_t *pkt, size_t caplen,
							    bt_reply_status s4, uint64_t at)
{
	bt_reply6 r6;
	bt_match6 m6;
	bt_reply_status s = bt_reply6_parse(pkt, caplen, e->cap_.dlt, &r6);
	if (s != BT_REPLY_OK)
		return bt_family_v6_is_ip6(pkt, caplen, e->cap_.dlt) ? s : s4;
	if (bt_probe6_match_flows(&e->flow, e->o.nflows, &r6, &m6) != 0)
		return BT_REPLY_OTHER;
	int idx = (int)m6.hlim - e->o.first_ttl;
	if (idx < 0 || idx >= e->nslots || m6.attempt > e->o.attempts)
		return BT_REPLY_OTHER; /* passes the check but names no probe of this run */
	uint32_t v = find6(e, (uint16_t)(m6.flow - e->flow.flow), m6.dst);
	target *t = v ? &e->tg[v - 1] : NULL;
	bt_match m = { .kind = m6.kind, .flow = m6.flow, .dst = t ? t->dst : 0, .ttl = m6.hlim,
		       .attempt = m6.attempt };
	/* the source is kept only for a reply that is used: late, duplicate or
	 * forged-but-quoting replies never grow the address table */
	if (!reply_fits(e, &m, t, idx))
		return BT_REPLY_OK;
	bt_faddr src;
	if (m6.kind != BT_MATCH_HOP && memcmp(r6.src, input6(e, t), 16) == 0) {
		src = BT_INTERN6_DST; /* the destination itself: no table entry */
	} else if ((src = bt_intern6_get(&e->intern, &e->acct, r6.src)) == BT_FADDR_NONE) {
		e->st.late++; /* out of memory for the address: as if late */
		return BT_REPLY_OK;
	}
	bt_reply r;
	bt_family_v6_reply(&r, &r6, src);
	on_fitting_reply(e, &r, &m, t, idx, at);
	return BT_REPLY_OK;
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	bt_engine *e = (bt_engine *)user;
	bt_pending *p = bt_rbatch_slot(&e->rb);
	uint64_t at = arrival(e, &h->ts);
	bt_reply_status s = bt_fam_parse_match(e->fam, bytes, h->caplen, e->cap_.dlt, &e->flow, e->o.nflows,
					       &p->r, &p->m);
	if (s != BT_REPLY_OK) {
		/* not an IPv4 reply of ours: IPv6 is tried only now, so
		 * that IPv4 costs nothing more */
		if (e->pb6 != NULL && (s = on_packet6(e, bytes, h->caplen, s, at)) == BT_REPLY_OK)
			return;
		if (s == BT_REPLY_OTHER)
			e->st.foreign++;
		else
			e->st.malformed++;
		return;
	}
	int idx = (int)p->m.ttl - e->o.first_ttl;
	if (idx < 0 || idx >= e->nslots || p->m.attempt > e->o.attempts) {
		e->st.foreign++; /* passes the check but names no probe of this run */
		return;
	}
	uint64_t key = bt_faddr_key((uint16_t)(p->m.flow - e->flow.flow), bt_fam_match_dst(&p->m));
	p->at = at;
	if (bt_rbatch_add(&e->rb, &e->targets, key))
		flush_replies(e);
}

/* The source of target t (input address a): 0, or -1 when there is none
 * (no route, no IPv6 here, out of memory for its handle). */
static int pick_source(bt_engine *e, target *t, const bt_addr *a)
{
	int why = 0;
	bt_addr sa;
	if (!t->v6) {
		if (bt_source_for(&e->source, a, &sa, &why) != 0) {
			note_error(e, "no source address: ", strerror(why));
			return -1;
		}
		t->src = bt_addr_v4(&sa);
		return 0;
	}
	if (e->pb6 == NULL || bt_source_for(&e->source6, a, &sa, &why) != 0) {
		note_error(e, "no source address: ", e->pb6 == NULL ? e->v6err : strerror(why));
		return -1;
	}
	t->src = bt_intern6_get(&e->intern, &e->acct, sa.bytes);
	return t->src != BT_FADDR_NONE ? 0 : -1;
}

/* Fills free pool entries from the input, in order. A target without a
 * route ends at once as an error. Returns -1 on a duplicate target. */
static int activate(bt_engine *e, char *err, size_t errlen)
{
	size_t nf = e->o.nflows;
	uint32_t room = UINT32_MAX;
	if (e->o.order == BT_ORDER_SPREAD)
		room = e->ready_max > e->ready.count ? e->ready_max - e->ready.count : 0;
	while (e->nfree > 0 && e->next_input < e->ninput && room-- > 0) {
		size_t in = e->next_input++;
		uint32_t range = 0;
		if (__builtin_expect(e->o.multipath, 0)) {
			range = e->mpq[in].range;
			in = e->mpq[in].in;
		}
		uint32_t idx = e->freelist[--e->nfree];
		target *t = &e->tg[idx];
		memset(t, 0, sizeof(*t));
		memset(e->arena + (size_t)idx * e->stride, 0, e->stride);
		const bt_addr *a = &e->input[in / nf];
		t->in = (uint32_t)in;
		t->v6 = a->family == AF_INET6;
		t->dst = __builtin_expect(t->v6, 0) ? bt_fold6(a->bytes) : e->fam->from_addr(a);
		t->stop_idx = NONE;
		t->next = t->frontier = (uint8_t)(range ? MP_LO(range) : e->split_idx);
		t->fill = range;
		t->back = (int16_t)(e->split_idx - 1);
		t->live = 1;
		if (insert(e, t) != 0) {
			char a[BT_ADDR_STRLEN];
			snprintf(err, errlen, "target %s given twice", bt_addr_format(&e->input[in / nf], a, sizeof(a)));
			t->live = 0;
			e->freelist[e->nfree++] = idx;
			return -1;
		}
		e->nactive++;
		if (pick_source(e, t, a) != 0) {
			t->src = BT_FADDR_NONE;
			finish(e, t, BT_STOP_ERROR, 0); /* frees the entry */
			continue;
		}
		make_ready(e, t);
	}
	return 0;
}

/* ---- the run loop ---- */

static void report(bt_engine *e, uint64_t t0)
{
	bt_engine_progress p = {
		.targets_total = e->ninput,
		.targets_done = e->ninput - (e->ninput - e->next_input) - e->nactive,
		.probes_sent = e->st.probes_sent,
		.replies = e->st.replies,
		.elapsed_us = e->now - t0,
		.active = e->nactive,
	};
	if (e->o.multipath) { /* entries ended, of those ended, in progress and queued */
		p.targets_done = e->st.targets_done - e->mp_done0;
		p.targets_total = p.targets_done + e->nactive + (e->ninput - e->next_input);
	}
	e->pcb(&p, e->pcbarg);
}

/* Pacing and sleeping (doc/probing.md, "Pacing and sleeping").
 *
 * A token bucket paces the sends: it fills at the rate and holds at most a
 * quantum's worth of probes. The loop never spins. It wakes at most once a
 * quantum: 5 ms, or one probe's time at rates below 200 probes/s (at most
 * 50 ms). When it has something to send but no token, it sleeps until a
 * quantum's worth of tokens is there (1 probe at 100 probes/s, 5 at 1,000,
 * 500 at 100,000), and does not wake for replies meanwhile: they wait in the
 * capture ring (RTTs come from the capture timestamp) and are read at the
 * next wake-up. When nothing can be sent until a reply or a timeout, it
 * waits for the capture descriptor or the next timer, still not sooner than
 * a quantum (or 64 probes' time, if shorter: at high rates a reply may free
 * room in the active window at once) after its last wake-up, so that a
 * stream of replies does not wake it once each. A wake-up costs tens of
 * microseconds in a VM: one per probe would be most of the CPU at 1,000
 * probes/s. No window of 10 ms holds more than the rate's 10 ms of probes
 * plus one quantum's. */
#define QUANTUM_MIN_US 5000
#define QUANTUM_MAX_US 50000

/* Multipath: plans follow one another at least MP_PLAN_SPAN times as far
 * apart as the last one took (wall time; each sorts the records since the
 * last one and reads every target's mark: the planner's thread runs at
 * most 1 / (MP_PLAN_SPAN + 1) of the time while a plan takes up to
 * MP_PLAN_EVERY_US / MP_PLAN_SPAN), within these bounds ... */
#define MP_PLAN_SPAN 4
#define MP_PLAN_MIN_US 20000
#define MP_PLAN_EVERY_US 200000
/* ... and while a plan runs the loop checks for its end this often when
 * it has nothing else to do. */
#define MP_PLAN_POLL_US 2000

typedef struct pacer {
	double rate, tokens;
	double burst;           /* the bucket's size: a quantum's worth, what a sleeping loop waits for */
	uint64_t last;
	uint64_t quantum_us;    /* the shortest time between two wake-ups ... */
	uint64_t reply_gap_us;  /* ... when only replies can make work: 64 probes' time at most */
	uint64_t woke;          /* the last wake-up */
} pacer;

static void pacer_init(pacer *pc, double rate, uint64_t now)
{
	double q = 1e6 / rate;
	if (q < QUANTUM_MIN_US)
		q = QUANTUM_MIN_US;
	if (q > QUANTUM_MAX_US)
		q = QUANTUM_MAX_US;
	pc->rate = rate;
	pc->quantum_us = (uint64_t)q;
	pc->reply_gap_us = 64e6 / rate < q ? (uint64_t)(64e6 / rate) : (uint64_t)q;
	pc->burst = rate * q / 1e6 < 1.0 ? 1.0 : rate * q / 1e6;
	pc->tokens = 1.0;
	pc->last = now;
	pc->woke = now;
}

static void pacer_fill(pacer *pc, uint64_t now)
{
	pc->tokens += (double)(now - pc->last) * pc->rate / 1e6;
	if (pc->tokens > pc->burst)
		pc->tokens = pc->burst;
	pc->last = now;
}

/* Round-robin over the targets with something to send, one probe per
 * visit, as long as there are tokens. True when the send queue was full. */
static bool send_burst(bt_engine *e, pacer *pc)
{
	while (pc->tokens >= 1.0 && e->ready.count > 0 && !e->cb_failed) {
		if (e->ready.count > PREFETCH_AHEAD) {
			/* 32k targets in progress do not fit in the cache:
			 * fetch the one a few visits ahead now */
			uint32_t ahead = bt_ring_at(&e->ready, PREFETCH_AHEAD);
			prefetch_target(e, ahead);
			__builtin_prefetch(&e->wheel.l[ahead], 0);
		}
		uint32_t idx = bt_ring_pop(&e->ready);
		target *t = &e->tg[idx];
		t->queued = 0;
		if (!t->live) {
			if (!t->parked)
				e->freelist[e->nfree++] = idx; /* finished while queued */
			continue;
		}
		int slot = next_slot(e, t);
		while (slot >= 0 && !bt_meters_take(&e->meters, (unsigned)slot))
			slot = put_off(e, t, slot) ? next_slot(e, t) : -1;
		if (slot < 0) {
			if (e->meters.nmetered > 0)
				park(e, t);
			continue;
		}
		if (send_probe(e, t, slot) != 0) {
			make_ready(e, t); /* the queue is full: again, later */
			return true;
		}
		pc->tokens -= 1.0;
		requeue(e, t);
	}
	return false;
}

/* What the loop waits for next: until when (run's clock, µs), and whether a
 * reply should wake it sooner. */
typedef struct nap {
	uint64_t until;
	bool on_replies;
} nap;

/* Microseconds until a metered TTL with parked targets has a token (at
 * most QUANTUM_MAX_US): a meter at 10/s need not wake the loop every
 * quantum. */
static uint64_t token_wait(const bt_engine *e)
{
	uint64_t w = QUANTUM_MAX_US;
	for (unsigned i = 0; i < e->nslots; i++)
		if (e->parked[i].count > 0) {
			uint64_t d = bt_meters_wait_us(&e->meters, i);
			if (d < w)
				w = d;
		}
	return w;
}

static nap plan_nap(const bt_engine *e, pacer *pc, bool blocked, uint64_t now)
{
	pacer_fill(pc, now); /* the tokens that came while it sent */
	nap n = { .until = now + QUANTUM_MAX_US, .on_replies = false };
	if (!blocked && e->ready.count > 0 && pc->tokens >= 1.0) {
		/* the burst ran out of targets before tokens, and targets
		 * taken up since (activate) have probes: no sleep (a
		 * multipath round's short entries empty the queue often) */
		n.until = now;
		return n;
	}
	if (blocked) {
		n.until = now + 1000; /* ENOBUFS: let the queue drain */
	} else if (e->ready.count > 0) { /* a batch of tokens is awaited */
		double need = pc->tokens >= pc->burst ? 0.0 : (pc->burst - pc->tokens) * 1e6 / pc->rate;
		n.until = now + (uint64_t)need;
	} else if (e->nparked > 0) { /* the first token a parked target waits for, or a reply */
		n.on_replies = true;
		n.until = now + token_wait(e);
	} else {
		/* only a reply or a timeout makes something to send */
		n.on_replies = true;
		if (e->wheel.ntimers > 0) {
			int64_t d = bt_wheel_next_us(&e->wheel, rel32(e, now));
			if (d < QUANTUM_MAX_US)
				n.until = now + (uint64_t)(d > 0 ? d : 0);
		}
	}
	uint64_t earliest = pc->woke + (n.on_replies ? pc->reply_gap_us : pc->quantum_us);
	if (n.until < earliest)
		n.until = earliest;
	if (e->mp_running && n.until > now + MP_PLAN_POLL_US)
		n.until = now + MP_PLAN_POLL_US; /* its entries join as soon as it ends */
	return n;
}

/* Reads every reply the capture holds and handles it. 0, or -1 with a
 * message. */
static int read_replies(bt_engine *e, char *err, size_t errlen)
{
	e->now = mono_us();
	e->wall_to_mono = (int64_t)e->now - wall_us();
	int n = pcap_dispatch(e->cap_.pcap, -1, on_packet, (u_char *)e);
	flush_replies(e);
	if (n == PCAP_ERROR) {
		snprintf(err, errlen, "capture: %s", pcap_geterr(e->cap_.pcap));
		return -1;
	}
	return 0;
}

/* Sleeps as planned (waking for a reply if n says so), then reads the
 * replies that came. 0, or -1 with a message. */
static int nap_then_read(bt_engine *e, pacer *pc, nap n, char *err, size_t errlen)
{
	uint64_t now = mono_us();
	if (n.until > now) {
		uint64_t d = n.until - now;
		struct timespec ts = { .tv_sec = (time_t)(d / 1000000u), .tv_nsec = (long)(d % 1000000u) * 1000 };
		struct pollfd pfd = { .fd = e->cap_.fd, .events = POLLIN };
		int pr = ppoll(&pfd, n.on_replies ? 1 : 0, &ts, NULL);
		if (pr < 0 && errno != EINTR) {
			snprintf(err, errlen, "poll: %s", strerror(errno));
			return -1;
		}
	}
	int rc = read_replies(e, err, errlen);
	pc->woke = e->now;
	return rc;
}

/* The steady part of the run ends here (see bt_engine_stats). */
static void mark_steady(bt_engine *e, uint64_t now, uint64_t t0, uint64_t probes0)
{
	e->st.run_steady_us = now - t0;
	e->st.run_steady_probes = e->st.probes_sent - probes0;
}

/* Multipath: collects a plan that has ended (its entries join the queue)
 * and starts the next one (beside the sends: mda.c) when entries have
 * ended since the last, the queue runs short of the pool's size, and the
 * last plan is old enough (MP_PLAN_SPAN above); at once when nothing is left in
 * progress. So targets whose entries have ended get their next round once
 * the queue runs short, while late ones still wait out their timeouts (as
 * long as anything is queued the pool has work anyway). 0, or -1 with a
 * message. */
static int mp_drive(bt_engine *e, char *err, size_t errlen)
{
	long n = bt_mda_plan_collect(e, false, err, errlen);
	if (n == -1)
		return -1;
	if (n >= 0) {
		e->mp_planned = mono_us();
		e->st.targets_total += (uint64_t)n;
	}
	if (e->mp_running || e->mp_over)
		return 0;
	size_t queued = e->ninput - e->next_input;
	bool idle = e->nactive == 0 && queued == 0;
	uint64_t apart = e->mp_took * MP_PLAN_SPAN;
	apart = apart < MP_PLAN_MIN_US ? MP_PLAN_MIN_US : apart > MP_PLAN_EVERY_US ? MP_PLAN_EVERY_US : apart;
	if (!idle && (queued >= e->cap || e->st.targets_done == e->mp_done_at || e->now - e->mp_planned < apart))
		return 0;
	e->mp_done_at = e->st.targets_done;
	return bt_mda_plan_start(e, err, errlen);
}

/* Whether the run goes on with nothing in progress: a plan runs, or one
 * is still to be made (multipath). */
static bool mp_more(const bt_engine *e)
{
	return e->o.multipath && (e->mp_running || !e->mp_over);
}

/* Probing: until every target is done (0), the caller stops it (1), or an
 * error (-1, message in err). */
static int probe_loop(bt_engine *e, volatile sig_atomic_t *stop, uint64_t t0, char *err, size_t errlen)
{
	uint64_t probes0 = e->st.probes_sent, next_report = e->now + e->pinterval;
	pacer pc;
	pacer_init(&pc, e->o.rate_pps, e->now);
	while (e->nactive > 0 || e->next_input < e->ninput || mp_more(e)) {
		if ((stop && *stop) || e->cb_failed) {
			/* stopped before the input ran out: all of it was steady */
			if (e->next_input < e->ninput && e->st.run_steady_us == 0)
				mark_steady(e, mono_us(), t0, probes0);
			return 1;
		}
		if (e->spool.err != 0) {
			snprintf(err, errlen, "spool file in %s: %s", e->spool.where, strerror(e->spool.err));
			return -1;
		}
		e->now = mono_us();
		pacer_fill(&pc, e->now);
		if (e->pcb && e->now >= next_report) {
			report(e, t0);
			next_report = e->now + e->pinterval;
		}
		timers_run(e); /* timeouts become retries or gaps */
		bt_meters_tick(&e->meters, e->now);
		if (e->nparked > 0)
			unpark(e);
		bool blocked = send_burst(e, &pc);
		if (e->nfree > 0 && e->next_input < e->ninput && !e->cb_failed) {
			if (activate(e, err, errlen) != 0)
				return -1;
			if (e->next_input >= e->ninput)
				mark_steady(e, e->now, t0, probes0);
		}
		if (e->o.multipath && mp_drive(e, err, errlen) != 0)
			return -1;
		if (e->nactive == 0 && e->next_input >= e->ninput && !mp_more(e))
			break;
		if (nap_then_read(e, &pc, plan_nap(e, &pc, blocked, mono_us()), err, errlen) != 0)
			return -1;
	}
	return 0;
}

static void start_clock(bt_engine *e)
{
	e->now = mono_us();
	e->mono0 = e->now;
	e->last_timers = e->now;
	e->meters.period_start = e->meters.last_fill = e->now;
	e->stale = false;
	e->wall0 = wall_us();
	e->st.run_steady_us = e->st.run_steady_probes = 0;
}

int bt_engine_run(bt_engine *e, const bt_addr *targets, size_t ntargets,
		  bt_engine_trace_cb cb, void *arg, volatile sig_atomic_t *stop,
		  char *err, size_t errlen)
{
	e->cb = cb;
	e->cbarg = arg;
	e->cb_failed = 0;
	e->acct = (bt_acct){ 0 };
	if (bt_engine_setup_run(e, targets, ntargets, err, errlen) != 0) {
		bt_engine_free_run(e);
		return -1;
	}
	start_clock(e);
	uint64_t t0 = e->now;
	if (e->o.multipath) {
		if (bt_mda_first(e, err, errlen) != 0) {
			bt_engine_free_run(e);
			return -1;
		}
		bt_mda_first_queue(e);
	}
	if (activate(e, err, errlen) != 0) {
		bt_engine_free_run(e);
		return -1;
	}
	e->mp_planned = e->now;
	e->mp_took = 0;
	e->mp_done_at = e->mp_done0 = e->st.targets_done;
	int result = probe_loop(e, stop, t0, err, errlen);
	if (e->o.multipath && e->mp_running) { /* stopped, or an error: the plan is not used */
		char perr[160];
		(void)bt_mda_plan_collect(e, true, perr, sizeof(perr));
	}
	if (e->pcb) {
		e->now = mono_us();
		report(e, t0);
	}
	/* Probing is over (or stopped): build and deliver the finished traces. */
	e->st.run_probing_us = mono_us() - t0;
	bt_engine_free_probing(e);
	bt_spool_run run = {
		.o = &e->o, .fam = e->fam, .flows = e->flows, .input = e->input, .ninput = e->ninput,
		.cb = e->cb, .cbarg = e->cbarg, .cb_failed = &e->cb_failed, .acct = &e->acct,
		.intern = &e->intern,
	};
	if ((result == 0 || (result == 1 && !e->o.skip_partial)) &&
	    (e->o.multipath ? bt_mda_assemble(&e->spool, &run, &e->mp_runs, err, errlen) :
			      bt_spool_assemble(&e->spool, &run, err, errlen)) != 0)
		result = -1;
	e->st.spool_bytes += e->spool.recs * sizeof(bt_rec); /* written (assembly flushes the rest) */
	if (result == 0 && e->cb_failed)
		result = 1;
	if (e->acct.peak > e->st.state_bytes_peak)
		e->st.state_bytes_peak = e->acct.peak;
	bt_engine_free_run(e);
	return result;
}

/* ---- white-box entry points (engine_int.h): thin wrappers, so that the
 * functions they call stay static and inlined where the engine uses them ---- */

int bt_engine_wb_insert(bt_engine *e, target *t)
{
	return insert(e, t);
}

void bt_engine_wb_sent(bt_engine *e, target *t, int idx, uint8_t attempt)
{
	note_sent(e, t, idx, attempt);
}

int bt_engine_wb_next_slot(const bt_engine *e, const target *t)
{
	return next_slot(e, t);
}

void bt_engine_wb_advance(bt_engine *e, target *t)
{
	advance(e, t);
}

void bt_engine_wb_timers(bt_engine *e)
{
	timers_run(e);
}

uint32_t bt_engine_wb_find6(const bt_engine *e, uint16_t fi, const uint8_t *dst)
{
	return find6(e, fi, dst);
}

void bt_engine_wb_packet(bt_engine *e, const uint8_t *pkt, size_t caplen)
{
	struct pcap_pkthdr h = { .caplen = (bpf_u_int32)caplen, .len = (bpf_u_int32)caplen };
	on_packet((u_char *)e, &h, pkt);
	flush_replies(e);
}
