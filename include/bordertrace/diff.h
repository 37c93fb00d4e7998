/* bordertrace — path-diff over rounds: border routes per target network,
 * change events with hysteresis and evidence, and path diversity.
 *
 * Fed one observation per trace (its border route into its target network,
 * already extracted by bordertrace/path.h), it keeps per target network and
 * route only counts, first/last seen, the VPs and rounds that saw it and a
 * capped list of trace ids as evidence: memory grows with targets x routes x
 * rounds, never with the number of traces. Rounds are ordered by their ids
 * (ISO-8601 round start times sort chronologically); the same round id from
 * several VPs is one round. */
#ifndef BORDERTRACE_DIFF_H
#define BORDERTRACE_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum bt_diff_level { BT_LEVEL_AS = 0, BT_LEVEL_COUNTRY = 1 } bt_diff_level;
typedef enum bt_diff_event_kind { BT_EVENT_NEW = 0, BT_EVENT_GONE, BT_EVENT_RETURNED } bt_diff_event_kind;

typedef struct bt_diff_opts {
	unsigned baseline_rounds; /* the first N rounds form the baseline (1) */
	unsigned min_rounds;      /* a new route needs N rounds ... (1) */
	unsigned min_vps;         /* ... and M VPs before it is an event (1) */
	unsigned gone_after;      /* absent K consecutive observed rounds: gone (2) */
	unsigned max_evidence;    /* trace ids kept per route (20) */
} bt_diff_opts;

void bt_diff_opts_default(bt_diff_opts *o);

/* A further route of a trace of several flows (multipath), at one level. */
typedef struct bt_diff_route {
	const char *up, *into, *note;
	uint32_t flows;        /* the trace's flows that showed it */
} bt_diff_route;

/* One trace's contribution. A route is "upstream -> target": ASNs printed as
 * "AS4837", countries as "CN". up == NULL: the trace did not show a route in
 * at that level (it still counts as an observation of the target). A trace
 * of several flows may show several routes at a level (routes.h): up[] is
 * the first, more[] the others, each flow counted under its one route. */
typedef struct bt_diff_obs {
	const char *target;    /* the target network key: "198.18.7.0/24", "AS131279", "KP" */
	const char *vp;
	const char *round;
	const char *trace_id;
	int64_t time_us;       /* trace start, UTC */
	const char *up[2];     /* per level: upstream, or NULL */
	const char *into[2];   /* per level: the target AS / country entered */
	const char *note[2];   /* per level: kept from a route's first trace (the
				  upstream AS's country at AS level), or NULL */
	/* per level, when up[level] is NULL: the route this trace would show if
	 * its hops copied from another trace (split TTL) counted. It is no
	 * sighting (never a new route, no diversity count), but the route is
	 * not absent in this round either (no false "gone") */
	const char *maybe_up[2], *maybe_into[2], *maybe_note[2];
	/* per level: the flows through up[level]; 0 is taken as 1 (one flow) */
	uint32_t flows[2];
	/* per level: the routes the trace's other flows showed (nmore[level]) */
	const bt_diff_route *more[2];
	size_t nmore[2];
} bt_diff_obs;

typedef struct bt_diff bt_diff;

bt_diff *bt_diff_new(const bt_diff_opts *o);
void bt_diff_free(bt_diff *d);
/* 0, or -1 when out of memory. */
int bt_diff_add(bt_diff *d, const bt_diff_obs *o);

typedef struct bt_diff_event {
	bt_diff_event_kind kind;
	bt_diff_level level;
	const char *target;
	const char *upstream, *into;
	const char *note;         /* see bt_diff_obs.note; "" if none */
	const char *round;        /* the round the event is dated to */
	int64_t first_seen_us, last_seen_us;
	unsigned rounds_seen;
	unsigned traces;          /* traces through the route, all rounds */
	const char *vps;          /* space-separated */
	const char *evidence;     /* space-separated trace ids (capped) */
	/* Flows through the route in flow_round (the event's round for new and
	 * returned; for gone the last round that saw it before): flows of the
	 * target network's traces that showed the route, of flows_routed, the
	 * flows of its traces that entered the target at the level. */
	const char *flow_round;
	unsigned flows, flows_routed;
	double flow_share;        /* flows / flows_routed */
	bool multiflow;           /* some trace of that round held several flows
				     that entered (flows_routed > routed traces) */
} bt_diff_event;

typedef struct bt_diff_div {
	const char *target;
	const char *round;
	bt_diff_level level;
	const char *upstream, *into;
	const char *note;
	unsigned traces;          /* traces through this upstream in the round */
	unsigned routed;          /* traces of the target in the round with a route in */
	unsigned observed;        /* all traces of the target in the round */
	unsigned upstreams;       /* distinct upstreams in the round */
	double share;             /* traces / routed */
	unsigned flows;           /* flows through this upstream in the round */
	unsigned flows_routed;    /* flows of the target's traces in the round
				     that entered it (one per trace of one flow) */
	double flow_share;        /* flows / flows_routed */
} bt_diff_div;

/* Computes events and diversity rows; valid until bt_diff_free. 0 or -1. */
int bt_diff_finish(bt_diff *d);
size_t bt_diff_nevents(const bt_diff *d);
const bt_diff_event *bt_diff_event_at(const bt_diff *d, size_t i);
size_t bt_diff_ndiv(const bt_diff *d);
const bt_diff_div *bt_diff_div_at(const bt_diff *d, size_t i);
size_t bt_diff_nrounds(const bt_diff *d);

const char *bt_diff_level_name(bt_diff_level l);       /* "as", "country" */
const char *bt_diff_event_name(bt_diff_event_kind k);  /* "new", "gone", "returned" */

#endif
