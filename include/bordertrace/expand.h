/* bordertrace — campaign target lists: addresses and CIDR prefixes, the
 * one-address-per-/24 expansion rule, and exclusion lists.
 *
 * A campaign names prefixes as well as addresses; a prefix stands for one
 * address in each of its /24s, chosen by a fixed hash so that every VP and
 * every round probe the same address (doc/campaign.md gives the rule so that
 * other tools can reproduce it). Exclusions (an opt-out blocklist, and the
 * IANA special-purpose ranges) are applied after expansion. Parsing is pure,
 * over buffers; errors name the source and line. IPv4 only, as the engine. */
#ifndef BORDERTRACE_EXPAND_H
#define BORDERTRACE_EXPAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bordertrace/targets.h"

/* Shortest target prefix accepted: a /8 stands for 65,536 targets already. */
#define BT_EXPAND_MIN_PREFIX 8
/* Most targets a campaign may hold (every /24 of IPv4). */
#define BT_EXPAND_MAX_TARGETS (1u << 24)

/* The address chosen in a prefix (host order in, host order out):
 *   len >= 31 : net + (h % size)                 (every address usable)
 *   len 25..30: net + 1 + h % (size - 2)          (not network/broadcast)
 *   len <= 24 : for the /24 containing net: net24 + 1 + h % 254
 * with h = bt_expand_hash(net24 ^ seed) for the /24 (or the prefix's own
 * network for longer prefixes). */
uint32_t bt_expand_pick(uint32_t net, unsigned len, uint32_t seed);
/* The 32-bit mixer the rule uses (a murmur3-style finalizer, see the doc). */
uint32_t bt_expand_hash(uint32_t x);

/* Appends targets from a list: one address or prefix per line, '#' comments,
 * blanks skipped. A prefix must have zero host bits (a typo should not pick a
 * different network) and be at least /BT_EXPAND_MIN_PREFIX; it adds one
 * address per /24 (bt_expand_pick), in ascending order. Returns 0, or -1 with
 * "name:line: ..." in err. */
int bt_expand_parse(bt_targets *t, const char *buf, size_t len, const char *name,
		    uint32_t seed, char *err, size_t errlen);

/* An exclusion list: inclusive IPv4 ranges, sorted and merged by _finish. */
typedef struct bt_exclude {
	uint32_t (*r)[2]; /* [start, end], host order */
	size_t n, cap;
	bool sorted;
} bt_exclude;

void bt_exclude_init(bt_exclude *x);
void bt_exclude_free(bt_exclude *x);
/* Adds the lines of a list (addresses and prefixes, '#' comments). Host
 * bits set in a prefix are tolerated and cleared: an exclusion list errs on
 * the side of excluding. 0, or -1 with "name:line: ..." in err. */
int bt_exclude_parse(bt_exclude *x, const char *buf, size_t len, const char *name,
		     char *err, size_t errlen);
int bt_exclude_add(bt_exclude *x, uint32_t start, uint32_t end); /* 0 or -1 (memory) */
void bt_exclude_finish(bt_exclude *x);
/* True when the (host order) address lies in a range; needs _finish first. */
bool bt_exclude_has(const bt_exclude *x, uint32_t a);

/* Why targets were dropped by bt_expand_filter. */
typedef struct bt_filter_stats {
	size_t kept;
	size_t special;     /* IANA special-purpose ranges (or, in lab mode, outside the test ranges) */
	size_t excluded;    /* on the exclusion list */
	size_t duplicates;  /* given more than once */
	size_t not_ipv4;
} bt_filter_stats;

/* Keeps, in order, the targets a campaign may probe:
 *   lab == false: only addresses of no special purpose (bt_addrclass PUBLIC);
 *   lab == true : only the test ranges (198.18.0.0/15, RFC 5737 blocks), so a
 *                 lab campaign can never reach a real network;
 * and in both cases none on the exclusion list x (may be NULL). Duplicates
 * are removed too. */
void bt_expand_filter(bt_targets *t, const bt_exclude *x, bool lab, bt_filter_stats *st);

/* Reorders targets by a permutation keyed by seed (Fisher-Yates over a
 * seeded generator): neighbouring networks are not probed back to back, and a
 * round is reproducible from its seed. */
void bt_expand_shuffle(bt_targets *t, uint64_t seed);

#endif
