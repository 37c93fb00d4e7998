/* bordertrace — which AS operates each router interface, inferred from the
 * whole round's graph (every trace of every VP), in the spirit of MAP-IT
 * (Marder & Smith, IMC 2016) and bdrmapIT (Marder et al., IMC 2018).
 *
 * A traceroute reply names the interface the probe came in by; its address
 * is numbered from whichever network numbered that link, and the address's
 * origin AS is not always the router's operator. The graph: one node per
 * replying interface, an edge from each entry at TTL t to each entry at
 * TTL t+1 of the same trace (copied hops left out), and per node the
 * destination ASes of the traces through it. The heuristics
 * (doc/path-diff.md, "Interface owners") vote with what a node's
 * neighbours are (their origins; the owners found in an earlier stage),
 * in stages that feed only the later ones, so that nothing cascades down
 * a path; each may be switched off. The result is a lookup: an
 * address -> the AS operating it, where that differs from what the
 * resolver said. Pure: no I/O.
 *
 * Cost while a round is read: 64 to 72 bytes an interface, 28 to 36 an
 * edge (doc/path-diff.md, "Interface owners"); freed by bt_owner_reset,
 * which keeps 35 to 43 bytes an interface and 4 an edge of an inferred
 * round for the next one's "renumbered" rule (until bt_owner_free). */
#ifndef BORDERTRACE_OWNER_H
#define BORDERTRACE_OWNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bordertrace/addr.h"
#include "bordertrace/asrel.h"
#include "bordertrace/path.h"
#include "bordertrace/trace.h"

enum {
	BT_OWNER_NEIGHBOUR = 1u << 0,   /* "neighbour": numbered from the upstream's space */
	BT_OWNER_THIRD_PARTY = 1u << 1, /* "third-party": an address of a third AS */
	BT_OWNER_IXP = 1u << 2,         /* "ixp": an IXP peering LAN address */
	BT_OWNER_UNANNOUNCED = 1u << 3, /* "unannounced": no origin at all */
	BT_OWNER_LAST_HOP = 1u << 4,    /* "last-hop": right before the targets */
	BT_OWNER_GAP = 1u << 5,         /* "silent-gap": a border route across a gap */
	BT_OWNER_DOUBT = 1u << 6,       /* "doubt": third-party behind a doubtful hop */
	BT_OWNER_PARALLEL = 1u << 7,    /* "parallel": beside a router of P, between the same hops */
	BT_OWNER_ASREL = 1u << 8,       /* "as-rel": A X(C) B where A and C have no relationship */
	BT_OWNER_RENUMBERED = 1u << 9,  /* "renumbered": A X(C) B in place of last round's B router */
	BT_OWNER_PARALLEL_NEXT = 1u << 10, /* "parallel-next": beside a router of the AS P leads into */
	BT_OWNER_STUB = 1u << 11,       /* "stub": a stub's address on the path to another AS */
	BT_OWNER_COMMON_NEXT = 1u << 12, /* "common-next": before the interface B's border leads to */
	BT_OWNER_ALL = (1u << 13) - 1,
};

/* "neighbour", ..., or "all" -> its bits; 0 for an unknown name. */
unsigned bt_owner_heuristic_parse(const char *name);
/* The name of one bit, "?" for anything else. */
const char *bt_owner_heuristic_name(unsigned bit);

typedef struct bt_owner bt_owner;

/* heuristics: the BT_OWNER_* bits switched on. NULL on memory exhaustion. */
bt_owner *bt_owner_new(unsigned heuristics);
void bt_owner_free(bt_owner *o);
/* The AS relationships the "as-rel" rule reads (NULL: the rule does not
 * run); not copied: rel must outlive o. */
void bt_owner_set_asrel(bt_owner *o, const bt_asrel *rel);
/* Forgets the round read so far (the next round starts empty), but for
 * what "renumbered" keeps of it, once inferred, as the round before. */
void bt_owner_reset(bt_owner *o);

/* What the resolver says about an address the graph has not met yet
 * (each is asked once a round); NULL stops bt_owner_add (the callback keeps
 * its reason). */
typedef const bt_hopinfo *(*bt_owner_info_fn)(void *ctx, const bt_addr *a);

/* One trace into the graph; dst_as is the AS of t->dst (0: none), or
 * BT_OWNER_DST_ASK: the graph's word when t->dst is a node already (it
 * answered), else info's (saves a lookup a trace). 0, or -1 on memory
 * exhaustion or when info failed (*failed set). */
#define BT_OWNER_DST_ASK UINT32_MAX
int bt_owner_add(bt_owner *o, const bt_trace *t, uint32_t dst_as, bt_owner_info_fn info, void *ctx,
		 bool *failed);
/* Runs the heuristics over the graph read so far. 0, or -1 (memory). */
int bt_owner_infer(bt_owner *o);

/* After bt_owner_infer: when the inference names an operator for a's
 * interface other than what h says, h becomes an AS hop of that AS (its
 * country and IXP name kept) and the heuristic's bit is returned; where it
 * found the operator cannot be known ("doubt"), h becomes an unknown hop
 * (a gap); else 0 and h is left as it is. */
unsigned bt_owner_apply(const bt_owner *o, const bt_addr *a, bt_hopinfo *h);

/* After bt_owner_infer: whether a border crossing from near_as into
 * far_as across gap silent TTLs, whose far hop is far, may be taken as a
 * route near_as -> far_as ("silent-gap", doc/path-diff.md): false when
 * some interface that preceded far in the round's graph, or preceded an
 * interface of far_as found walking back from far, is operated by a third
 * AS (the gap may be that AS's router), or when nothing preceded far and
 * the gap is more than one TTL. True when the rule is off or far is not
 * in the graph. */
bool bt_owner_gap_known(const bt_owner *o, const bt_addr *far, uint32_t near_as, uint32_t far_as,
			unsigned gap);

/* Interfaces and edges in the graph, and interfaces given another owner. */
size_t bt_owner_nodes(const bt_owner *o);
size_t bt_owner_edges(const bt_owner *o);
size_t bt_owner_overrides(const bt_owner *o);

#endif
