/* bordertrace — per-trace AS path, country path and border crossings.
 *
 * Input: a trace and, for each hop and for the destination, what the
 * resolver said (bt_hopinfo). Output: the AS path and country path (repeats
 * collapsed), every crossing with its near and far hop, and the trace's
 * border route into the target network (the last crossing into the target's
 * AS, and into its country). Pure: no I/O, no allocation beyond the output.
 *
 * The hard cases, and what is done (doc/path-diff.md):
 *  - silent hop (no reply) or public address with no data: not an AS; a
 *    crossing across such hops is kept and marked across_silent;
 *  - special-purpose class (private, CGNAT, ...): passed over;
 *  - IXP peering LAN: passed over, its name kept on the crossing over it;
 *  - MOAS hop: if one of its origins is the AS before it (or else after it)
 *    it is taken as that AS, else its primary origin;
 *  - false loop (A ... B ... A): BGP paths never loop, so the hops between
 *    the first and last appearance of A are taken as A (loop_collapsed);
 *  - copied hops (split TTL: probe_ttl below t->filled_below_ttl) are not
 *    this trace's observations: the paths, crossings and border route are
 *    built from its own hops only, as if it had started at that TTL. */
#ifndef BORDERTRACE_PATH_H
#define BORDERTRACE_PATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bordertrace/addr.h"
#include "bordertrace/trace.h"

#define BT_PATH_MAX 64          /* elements of an AS or country path */
#define BT_HOPINFO_ORIGINS 8    /* MOAS origins kept per hop */

typedef enum bt_hopkind {
	BT_HOP_SILENT = 0,  /* no reply */
	BT_HOP_AS,          /* resolved to an AS */
	BT_HOP_UNKNOWN,     /* public, but no database knew it */
	BT_HOP_SPECIAL,     /* special-purpose class: passed over */
	BT_HOP_IXP,         /* IXP peering LAN: passed over, annotated */
} bt_hopkind;

typedef struct bt_hopinfo {
	bt_hopkind kind;
	uint32_t asn;                          /* primary origin (BT_HOP_AS) */
	uint8_t norigins;                      /* all origins, primary first */
	uint32_t origins[BT_HOPINFO_ORIGINS];
	char country[3];                       /* ISO 3166 alpha-2, "" unknown */
	const char *ixp;                       /* IXP name (BT_HOP_IXP) */
} bt_hopinfo;

typedef struct bt_crossing {
	uint8_t near_ttl, far_ttl;
	bt_addr near_addr, far_addr;
	uint32_t near_asn, far_asn;
	char near_cc[3], far_cc[3];
	bool across_silent;     /* silent or unknown hops between near and far */
	const char *ixp;        /* an IXP passed over between them, or NULL */
} bt_crossing;

typedef struct bt_path {
	size_t nas;
	uint32_t as_path[BT_PATH_MAX];
	size_t ncc;
	char cc_path[BT_PATH_MAX][3];
	size_t nas_cross, ncc_cross;
	bt_crossing as_cross[BT_PATH_MAX];
	bt_crossing cc_cross[BT_PATH_MAX];
	bool loop_collapsed;
	bool moas_resolved;     /* a MOAS hop was taken as its neighbour's AS */
	/* Border route into the target network (the destination's AS/country). */
	uint32_t target_asn;
	char target_cc[3];
	bool reached_as;        /* some hop is in the target AS */
	int border_as;          /* index into as_cross of the route in, or -1 */
	bool reached_cc;
	int border_cc;          /* index into cc_cross, or -1 */
} bt_path;

/* info[i] describes t->hops[i]; dst describes t->dst. */
void bt_path_build(const bt_trace *t, const bt_hopinfo *info, const bt_hopinfo *dst,
		   bt_path *out);

/* "4837 131279" / "CN KP" into buf; returns buf. */
const char *bt_path_as_string(const bt_path *p, char *buf, size_t len);
const char *bt_path_cc_string(const bt_path *p, char *buf, size_t len);

#endif
