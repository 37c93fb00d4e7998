/* bordertrace — the engine's timer wheel and ready ring.
 *
 * The wheel: BT_WHEEL_BUCKETS buckets, each a ring of the entries (pool
 * indices) whose deadline falls in it. Deadlines lie at most a wait ahead
 * and the wheel spans two, so a bucket holds one lap; it runs once the clock
 * is past its end (less than 1/256 of a wait late). Arming, moving and
 * clearing touch only the link array (8 bytes per entry), never an entry's
 * own state. Times are µs of a 32-bit clock that may wrap.
 *
 * Expiry is an iterator (bt_wheel_begin, bt_wheel_pop until BT_NOT_ARMED)
 * rather than a callback: the caller handles each due entry in its own loop,
 * where its handler is inlined and it can fetch the next due entry's state
 * early (bt_wheel_peek); a callback through a pointer would be an indirect,
 * never inlined call per timeout.
 *
 * The ready ring: pool indices with a probe to send, first in first out, in
 * a power-of-two array at least as large as the pool (an index is in it at
 * most once, so it never overflows). */
#ifndef BT_PROBER_WHEEL_H
#define BT_PROBER_WHEEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BT_WHEEL_BUCKETS 1024u
#define BT_NOT_ARMED UINT32_MAX

/* An entry's neighbours in its bucket's ring; the buckets' heads follow the
 * cap entries, then one spare head. */
typedef struct bt_tlink {
	uint32_t prev, next;    /* BT_NOT_ARMED in next: no timer */
} bt_tlink;

typedef struct bt_wheel {
	bt_tlink *l;            /* cap + BT_WHEEL_BUCKETS + 1 links */
	uint32_t cap;
	unsigned wshift;        /* a bucket is 2^wshift µs */
	uint32_t wnext;         /* the next bucket to run (µs >> wshift) */
	uint32_t ntimers;
	uint32_t wnow;          /* walking: the bucket the walk stops at */
	unsigned laps;          /* walking: buckets moved so far */
} bt_wheel;

/* Bytes of links for cap entries. */
static inline size_t bt_wheel_bytes(uint32_t cap)
{
	return ((size_t)cap + BT_WHEEL_BUCKETS + 1) * sizeof(bt_tlink);
}

/* Sets up a wheel over links (bt_wheel_bytes(cap), caller's memory) for
 * deadlines up to wait_us ahead, the clock now at now_rel: nothing armed. */
void bt_wheel_init(bt_wheel *w, bt_tlink *links, uint32_t cap, uint32_t wait_us, uint32_t now_rel);

/* µs from now_rel until the earliest bucket with a timer ends; -1: none. */
int64_t bt_wheel_next_us(const bt_wheel *w, uint32_t now_rel);

static inline void bt_wheel_unlink_(bt_wheel *w, uint32_t i)
{
	bt_tlink *l = w->l;
	l[l[i].prev].next = l[i].next;
	l[l[i].next].prev = l[i].prev;
	l[i].next = BT_NOT_ARMED;
}

static inline bool bt_wheel_armed(const bt_wheel *w, uint32_t i)
{
	return w->l[i].next != BT_NOT_ARMED;
}

/* Arms (or re-arms) entry i's timer for at (µs of the clock). */
static inline void bt_wheel_set(bt_wheel *w, uint32_t i, uint32_t at)
{
	bt_tlink *l = w->l;
	if (l[i].next != BT_NOT_ARMED)
		bt_wheel_unlink_(w, i);
	else
		w->ntimers++;
	uint32_t h = w->cap + ((at >> w->wshift) & (BT_WHEEL_BUCKETS - 1));
	l[i].prev = l[h].prev;
	l[i].next = h;
	l[l[h].prev].next = i;
	l[h].prev = i;
}

static inline void bt_wheel_clear(bt_wheel *w, uint32_t i)
{
	if (w->l[i].next == BT_NOT_ARMED)
		return;
	bt_wheel_unlink_(w, i);
	w->ntimers--;
}

/* Starts a walk of every bucket that ended before now_rel. */
static inline void bt_wheel_begin(bt_wheel *w, uint32_t now_rel)
{
	w->wnow = now_rel >> w->wshift;
	w->laps = 0;
}

/* The next due entry, its timer cleared; BT_NOT_ARMED when the walk is over.
 * Each bucket's ring is first moved to the spare head, so an entry re-armed
 * while its bucket is drained can never land in the ring being walked. At
 * most one lap of buckets: after a stall of any length the walk returns. */
static inline uint32_t bt_wheel_pop(bt_wheel *w)
{
	bt_tlink *l = w->l;
	uint32_t spare = w->cap + BT_WHEEL_BUCKETS;
	while (l[spare].next == spare) {
		if (w->ntimers == 0 || w->wnext == w->wnow || w->laps++ >= BT_WHEEL_BUCKETS) {
			w->wnext = w->wnow;
			return BT_NOT_ARMED;
		}
		uint32_t h = w->cap + (w->wnext & (BT_WHEEL_BUCKETS - 1));
		if (l[h].next != h) {
			l[spare] = l[h];
			l[l[spare].next].prev = spare;
			l[l[spare].prev].next = spare;
			l[h].next = l[h].prev = h;
		}
		w->wnext = (w->wnext + 1) & (UINT32_MAX >> w->wshift);
	}
	uint32_t i = l[spare].next;
	bt_wheel_clear(w, i);
	return i;
}

/* The entry bt_wheel_pop returns next in this bucket (to fetch its state
 * early); BT_NOT_ARMED if none. */
static inline uint32_t bt_wheel_peek(const bt_wheel *w)
{
	uint32_t spare = w->cap + BT_WHEEL_BUCKETS;
	uint32_t i = w->l[spare].next;
	return i == spare ? BT_NOT_ARMED : i;
}

/* ---- the ready ring ---- */

typedef struct bt_ring {
	uint32_t *q;            /* mask + 1 entries */
	uint32_t head, count, mask;
} bt_ring;

/* The ring size (a power of two) for up to cap entries. */
static inline size_t bt_ring_size(uint32_t cap)
{
	uint32_t m;
	for (m = 1; m < cap; m <<= 1)
		;
	return m;
}

static inline void bt_ring_push(bt_ring *r, uint32_t v)
{
	r->q[(r->head + r->count++) & r->mask] = v;
}

/* The entry k places behind the front (k < count). */
static inline uint32_t bt_ring_at(const bt_ring *r, uint32_t k)
{
	return r->q[(r->head + k) & r->mask];
}

/* Takes the front entry (count > 0). */
static inline uint32_t bt_ring_pop(bt_ring *r)
{
	uint32_t v = r->q[r->head];
	r->head = (r->head + 1) & r->mask;
	r->count--;
	return v;
}

#endif
