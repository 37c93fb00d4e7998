/* bordertrace — the engine's memory accounting: every per-run allocation
 * (pool, wheel, tables, spool buffer, trace building) goes through these, so
 * that a run can report the most bytes of state it held at once. */
#ifndef BT_PROBER_ACCT_H
#define BT_PROBER_ACCT_H

#include <stdint.h>
#include <stdlib.h>

typedef struct bt_acct {
	uint64_t bytes, peak;
} bt_acct;

/* n zeroed bytes, counted; NULL when out of memory. */
static inline void *bt_acct_alloc(bt_acct *a, size_t n)
{
	void *p = calloc(1, n ? n : 1);
	if (p != NULL) {
		a->bytes += n;
		if (a->bytes > a->peak)
			a->peak = a->bytes;
	}
	return p;
}

/* Frees p (NULL: nothing), of n bytes. */
static inline void bt_acct_free(bt_acct *a, void *p, size_t n)
{
	if (p != NULL) {
		free(p);
		a->bytes -= n;
	}
}

#endif
