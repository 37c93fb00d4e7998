/* bordertrace — watch's incremental path-diff (doc/store.md, "watch").
 *
 * The events of bordertrace/diff.h, computed round by round from a state
 * kept per route (the state machine's variables and the route's totals)
 * instead of from every round at once: a pass loads the state as of the
 * last settled round, adds the observations of the open rounds (the
 * newest few, where a late VP may still add a round id already seen, and
 * the new ones), steps them in round order, and hands back the events and
 * the state as of the new settled round. Pure: no I/O; the store's side is
 * store.h's bt_store_wstate_*.
 *
 * Over the same rounds in order the events are those of bt_diff (kind,
 * level, target, route, round, rounds_seen, traces, first/last seen); the
 * VPs are listed in the order they first saw the route round by round and
 * the evidence is the route's first trace ids round by round (within a
 * round, in the order the traces are fed), where
 * bt_diff follows the order rounds were read in. */
#ifndef BORDERTRACE_WDIFF_H
#define BORDERTRACE_WDIFF_H

#include <stddef.h>
#include <stdint.h>

#include "bordertrace/diff.h"

typedef struct bt_wdiff bt_wdiff;

/* levels: 1 AS, 2 country, 3 both (the others are ignored). */
bt_wdiff *bt_wdiff_new(const bt_diff_opts *o, unsigned levels);
void bt_wdiff_free(bt_wdiff *w);

/* A route's persisted state. vps, vp_ranks and evidence are space-separated
 * lists (ids hold no space); first_absent "" when none. */
typedef struct bt_wroute_row {
	const char *level, *target, *upstream, *into, *note;
	int state;                /* 0 not seen yet, 1 active, 2 gone */
	unsigned seen_rounds, absent;
	const char *first_absent;
	uint64_t traces;
	int64_t first_us, last_us;
	const char *vps, *vp_ranks, *evidence;
} bt_wroute_row;

/* The state before this pass: nsettled round ids stepped, and the routes.
 * 0, or -1 with the reason (a row that does not parse, memory). */
void bt_wdiff_set_settled(bt_wdiff *w, unsigned nsettled);
int bt_wdiff_load(bt_wdiff *w, const bt_wroute_row *r, char *err, size_t errlen);

/* An open round id (one with no observation counts too): 0 or -1 (memory). */
int bt_wdiff_round(bt_wdiff *w, const char *round);
/* After the last bt_wdiff_round: the open rounds ordered, all but the
 * newest `keep_open` to be settled. 0 or -1 (memory). */
int bt_wdiff_begin(bt_wdiff *w, unsigned keep_open);
/* One trace's observation, its round open, fed round after round (the
 * traces of one round id together, rounds in id order): each round is
 * stepped once the next one begins, so memory holds routes, not traces.
 * 0, or -1 (memory, a round not open, a round already stepped). */
int bt_wdiff_add(bt_wdiff *w, const bt_diff_obs *o);
/* Steps the rounds left and makes the events. 0 or -1 (memory). Then: */
int bt_wdiff_finish(bt_wdiff *w);
size_t bt_wdiff_nevents(const bt_wdiff *w);
const bt_diff_event *bt_wdiff_event_at(const bt_wdiff *w, size_t i);
/* Round ids settled in all, and the newest of them (NULL: none yet). */
unsigned bt_wdiff_nsettled(const bt_wdiff *w);
const char *bt_wdiff_settled_round(const bt_wdiff *w);
/* The routes whose state changed in the rounds settled now: row i as of
 * the newest settled round (its strings valid until the next call). 0 or -1. */
size_t bt_wdiff_nchanged(const bt_wdiff *w);
int bt_wdiff_changed_at(bt_wdiff *w, size_t i, bt_wroute_row *out);

#endif
