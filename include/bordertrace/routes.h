/* bordertrace — a trace's border routes over its flows (doc/path-diff.md).
 *
 * A record of several flows (multipath: entries carrying their own `flow`,
 * doc/trace-format.md) holds one path per flow. Each flow's entries (the
 * trace's flow for an entry without `flow`) are taken as a trace of their
 * own and get their border route by the rules of bordertrace/path.h (the
 * last crossing into the destination's AS, and country); the trace's
 * border routes are the distinct routes of its flows, each with how many
 * flows showed it. A flow answering two addresses at one TTL (per-packet
 * balancing) is still one flow with one route: no flow counts twice at a
 * level. A record of one flow has one route, the one bt_path_build gives
 * the whole trace, so nothing changes for it. Pure: no I/O; the scratch
 * space is allocated once (bt_routes_new). */
#ifndef BORDERTRACE_ROUTES_H
#define BORDERTRACE_ROUTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bordertrace/path.h"
#include "bordertrace/trace.h"

#define BT_ROUTES_MAX 32 /* distinct border routes kept per trace and level */

typedef struct bt_route {
	bt_crossing c;      /* the crossing, as the first flow that showed it saw it */
	uint32_t flows;     /* how many of the trace's flows showed it */
} bt_route;

typedef struct bt_routes_scratch bt_routes_scratch;

typedef struct bt_routes {
	bool multi;         /* the record holds entries of several flows */
	size_t nflows;      /* its distinct flows (1 when !multi) */
	uint16_t *flow;     /* them, ascending (the trace's flow when !multi) */
	/* per level (0 AS, 1 country): the routes, how many flows entered the
	 * target (showed any route), and flow k's route (index into r, or -1) */
	size_t n[2];
	bt_route r[2][BT_ROUTES_MAX];
	uint32_t routed[2];
	int16_t *route[2];
	uint32_t dropped[2]; /* flows whose route was past BT_ROUTES_MAX */
	bt_routes_scratch *s;
} bt_routes;

/* NULL when out of memory. */
bt_routes *bt_routes_new(void);
void bt_routes_free(bt_routes *r);

/* The routes of t; info[i] describes t->hops[i], dst t->dst; whole is
 * bt_path_build's path of the whole trace (its border route is the one
 * route of a single-flow record). */
void bt_routes_build(bt_routes *r, const bt_trace *t, const bt_hopinfo *info, const bt_hopinfo *dst,
		     const bt_path *whole);

/* Whether crossings a and b are one route at the level (AS: the two ASes;
 * country: the two countries). */
bool bt_route_same(int level, const bt_crossing *a, const bt_crossing *b);

#endif
