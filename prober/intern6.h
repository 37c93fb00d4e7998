/* bordertrace — the engine's IPv6 address table: a 16-byte address to a
 * 32-bit handle (its index + 1; 0 is "no address"), so that the pool, the
 * spool records and the split-TTL stop set keep 32-bit addresses for IPv6
 * too (family.h). Holds the addresses that replies come from (routers: few)
 * and the IPv6 sources (usually one); targets are not interned (the target
 * table keys them by a fold, confirmed against the input address). Handles
 * stay valid for the whole run: nothing is ever removed. Every byte is
 * counted in the run's accounting. */
#ifndef BT_PROBER_INTERN6_H
#define BT_PROBER_INTERN6_H

#include <stddef.h>
#include <stdint.h>

#include "acct.h"

typedef struct bt_intern6 {
	uint8_t (*addr)[16];    /* cap entries; handle h is addr[h - 1] */
	uint32_t n, cap;
	uint32_t *slots;        /* open addressing: handle, 0 empty */
	size_t mask;            /* slots: mask + 1, at most half full */
} bt_intern6;

/* The handle of a (16 bytes), added if new: >= 1, or 0 when out of memory. */
uint32_t bt_intern6_get(bt_intern6 *t, bt_acct *ac, const uint8_t *a);
/* The handle of a if it is there, else 0 (nothing added). */
uint32_t bt_intern6_find(const bt_intern6 *t, const uint8_t *a);
/* A handle that is no entry: "the trace's own destination". A destination
 * answers from the address the engine already has in its input, so its
 * replies need no table entry (the table then holds routers only: a few
 * hundred in the simulator's 65,536-target round, instead of every
 * responsive target). Never a key of the stop set (destinations end a trace
 * there, they do not stop it backward). */
#define BT_INTERN6_DST UINT32_MAX

/* The address of handle h, or NULL when h is 0 or not one of t's. */
static inline const uint8_t *bt_intern6_addr(const bt_intern6 *t, uint32_t h)
{
	return h != 0 && h <= t->n ? t->addr[h - 1] : NULL;
}
/* Frees everything (an empty table: nothing). */
void bt_intern6_free(bt_intern6 *t, bt_acct *ac);

#endif
