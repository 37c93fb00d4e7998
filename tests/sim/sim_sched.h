/* bordertrace — Internet simulator, the change schedule: what changes in the
 * synthetic Internet from round to round, drawn from a seed, and the ground
 * truth of border routes and border events that follows from it.
 *
 * A schedule is a list of changes, each dated to a round and applied from
 * that round on (a flap only in its round). bt_sim_set_round() puts the model
 * into the state of one round by replaying the changes up to it over the
 * base Internet, so serve, truth and interfaces of one round agree without
 * sharing state. Kinds, draws and truth: doc/sim.md, "Rounds". */
#ifndef BT_SIM_SCHED_H
#define BT_SIM_SCHED_H

#include <stddef.h>
#include <stdint.h>

#include "sim_model.h"

typedef enum bt_sim_change_kind {
	/* border changes: they change a prefix's set of border routes */
	BT_SIM_CH_SWITCH = 0, /* the prefix moves to another upstream (new + lost) */
	BT_SIM_CH_ADD,        /* a second upstream for a share of the flows (multipath) */
	BT_SIM_CH_DROP,       /* a split prefix keeps one of its two upstreams */
	BT_SIM_CH_RETURN,     /* a switched prefix moves back to its first upstream */
	BT_SIM_CH_FLAP,       /* a split prefix's second route withdrawn for one round */
	/* not border changes */
	BT_SIM_CH_SPLIT0,     /* round 0: a prefix multihomed from the start */
	BT_SIM_CH_INTRA,      /* a transit's internal path changes */
	BT_SIM_CH_REHASH,     /* an AS's ECMP hashes change */
	BT_SIM_CH_RENUMBER,   /* an interface renumbered in its own space */
	BT_SIM_CH_NBRFLIP,    /* a border interface renumbered from the other side */
	BT_SIM_CH_THIRDPARTY, /* a router answers from an interface not on the path */
	BT_SIM_CH_IXP,        /* a border link moves onto an IXP peering LAN */
	BT_SIM_CH_UNANNOUNCED, /* an interface renumbered into unannounced space */
	BT_SIM_CH_RLBORDER,   /* a border router starts rate-limiting its ICMP */
	BT_SIM_CH_DARK,       /* a prefix's targets stop answering */
	BT_SIM_CH_NKINDS
} bt_sim_change_kind;

#define BT_SIM_ALL_VPS 0xff

typedef struct bt_sim_change {
	uint8_t round, kind;
	uint8_t vp;        /* 0-based VP it applies to, or BT_SIM_ALL_VPS */
	uint8_t pfx;       /* route changes, dark */
	uint8_t route;     /* switch, add, return, split0: the route taken; drop: the one kept */
	uint8_t share;     /* add, split0: percent of flows on the added route */
	uint16_t as;       /* intra, rehash, rlborder: AS index */
	uint32_t iface;    /* interface changes: iface index */
	uint32_t addr;     /* ... its new address */
	uint16_t space;    /* ... whose space (BT_SIM_NO_AS: none) */
	uint16_t seq;      /* draw order: ties of one round keep it */
} bt_sim_change;

typedef struct bt_sim_sched {
	bt_sim_change *c;
	unsigned n;
	unsigned nborder;  /* border changes drawn (kinds SWITCH..FLAP) */
} bt_sim_sched;

/* Draws m->sched from m->p (sched_seed, rounds, changes, noise); 0 or -1. */
int bt_sim_sched_new(bt_sim_model *m, char *err, size_t errlen);
void bt_sim_sched_free(bt_sim_sched *s);

/* Puts the model into round r's state (0 <= r < rounds); -1 when out of range. */
int bt_sim_set_round(bt_sim_model *m, unsigned r);

const char *bt_sim_change_name(unsigned kind);
int bt_sim_change_is_border(unsigned kind);

/* Border routes of one round, VP and prefix: the routes' AS indexes of their
 * last transit and their shares of the flows; returns how many (1 or 2). */
unsigned bt_sim_pfx_routes(const bt_sim_model *m, unsigned vp, unsigned pfx, unsigned up[2],
			   unsigned share[2]);

/* Events a detector with baseline 1, min-rounds 1, min-vps 1 and gone-after
 * K reports for one route whose presence per round is present[0..n): calls
 * emit(kind, round, arg) with kind 0 new, 1 gone (dated to the first absent
 * round), 2 returned. The rule of analysis/diff.c, for a target observed in
 * every round. */
typedef void (*bt_sim_event_fn)(int kind, unsigned round, void *arg);
void bt_sim_route_events(const uint8_t *present, unsigned n, unsigned gone_after, bt_sim_event_fn emit,
			 void *arg);

#endif
