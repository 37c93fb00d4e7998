/* bordertrace — longest-prefix match over address ranges.
 *
 * The structure behind the prefix tables (CAIDA prefix2as, range CSVs) and the
 * IXP peering-LAN lists. Entries are inclusive address ranges (a prefix is a
 * range), each with a caller-chosen 32-bit value. Properly nested entries are
 * allowed, the most specific one wins. Duplicates and partial overlaps mean
 * the input says two different things about the same addresses:
 * bt_lpm_build refuses them, naming both entries; bt_lpm_build_tolerant
 * reports each to a callback and settles every address by one rule: the
 * smallest range containing it wins, and of equal-sized ones the one added
 * last (which also makes the most specific of nested ranges win).
 *
 * Build flattens the entries per family into sorted disjoint intervals; a
 * lookup is a direct index over the leading bits (sized to the table, and
 * split further where the intervals crowd) plus a short binary search.
 * Besides the value, a lookup returns the length of the largest prefix
 * around the address over which the answer is the same (including "no
 * entry"), so callers can cache answers by prefix. */
#ifndef BORDERTRACE_LPM_H
#define BORDERTRACE_LPM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bordertrace/addr.h"

#define BT_LPM_NONE UINT32_MAX

typedef struct bt_lpm bt_lpm;

/* Why bt_lpm_build refused the entries. */
typedef enum bt_lpm_conflict {
	BT_LPM_OK = 0,
	BT_LPM_DUPLICATE, /* the same range twice */
	BT_LPM_OVERLAP,   /* two ranges that overlap without one containing the other */
	BT_LPM_NOMEM,
} bt_lpm_conflict;

bt_lpm *bt_lpm_new(void);
void bt_lpm_free(bt_lpm *t);

/* Adds [first, last] (same family, first <= last) with value (not
 * BT_LPM_NONE). Returns 0, or -1 on a bad range, out of memory or after
 * bt_lpm_freeze. */
int bt_lpm_add(bt_lpm *t, const bt_addr *first, const bt_addr *last, uint32_t value);

/* Adds a prefix; host bits of p must be zero. */
int bt_lpm_add_prefix(bt_lpm *t, const bt_addr *p, unsigned len, uint32_t value);

/* Builds the lookup structure from everything added so far; may be called
 * again after more adds (until bt_lpm_freeze). On a conflict returns it and the two values
 * involved in *a and *b (a added first in address order). */
bt_lpm_conflict bt_lpm_build(bt_lpm *t, uint32_t *a, uint32_t *b);

/* Called by bt_lpm_build_tolerant once per range that repeats (kind
 * BT_LPM_DUPLICATE) or partly overlaps (BT_LPM_OVERLAP) a range that starts
 * before it (or, for a duplicate, was added before it): `other` is that
 * range's value, `value` this one's. At most one call per range (a
 * duplicate is not also reported as an overlap), so the calls count the
 * ranges at fault. Returns 0, or non-zero to stop the build (it then
 * returns BT_LPM_NOMEM). */
typedef int (*bt_lpm_conflict_fn)(void *ctx, bt_lpm_conflict kind, uint32_t other,
				  uint32_t value);

/* Builds like bt_lpm_build, but accepts duplicates and partial overlaps:
 * each is reported to fn (may be NULL), and each address gets the value of
 * the smallest range containing it, ties going to the range added last.
 * Returns BT_LPM_OK or BT_LPM_NOMEM. O(n log n) in the ranges. */
bt_lpm_conflict bt_lpm_build_tolerant(bt_lpm *t, bt_lpm_conflict_fn fn, void *ctx);

/* Looks addr up. Returns the value of the most specific range containing it
 * (after bt_lpm_build_tolerant: of the range that won it),
 * or BT_LPM_NONE. When block_len is non-NULL it gets the length of the
 * largest prefix around addr with the same answer. Only valid after build. */
uint32_t bt_lpm_lookup(const bt_lpm *t, const bt_addr *addr, unsigned *block_len);

/* Keeps adjacent ranges with equal values apart (call before build), so
 * that block_len never reaches past the range the address is in; for
 * disjoint prefixes, such as the networks of a MaxMind DB, it is then the
 * matched prefix's own length. By default they are merged, which gives
 * callers the largest block with the same answer. Runs with no entry are
 * merged either way. */
void bt_lpm_set_distinct(bt_lpm *t, bool distinct);

/* Frees the copy of the added ranges that build keeps so it can run again;
 * afterwards lookups still work, add and build fail. For a large table
 * built once this halves its memory. */
void bt_lpm_freeze(bt_lpm *t);

/* Memory for a lookup table (freed with free), aligned to 128 bytes; from
 * 2 MiB on, aligned to 2 MiB and advised to the kernel for transparent
 * huge pages, because
 * random lookups in tables of megabytes otherwise miss the TLB on most
 * loads, and a page walk costs more in a virtual machine. Used for the
 * intervals here and the resolver's cache. */
void *bt_lpm_alloc_table(size_t size);

/* Number of ranges added. */
size_t bt_lpm_count(const bt_lpm *t);

/* The largest prefix that contains addr and lies inside [first, last]
 * (addr must be in the range): how a range is shown as a prefix. */
void bt_lpm_prefix_within(const bt_addr *addr, const bt_addr *first,
			  const bt_addr *last, bt_addr *prefix, unsigned *len);

#endif
