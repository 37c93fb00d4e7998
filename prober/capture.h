/* bordertrace — the engine's capture: one libpcap handle filtered to the
 * replies of our probes, and the batch of replies of one capture block.
 *
 * A reply is parsed and matched as it is captured, and its target's home
 * slot in the target table is fetched; the block's replies are then looked
 * up together and their targets fetched before any is handled, so that the
 * cache misses of a burst of replies overlap instead of adding up. */
#ifndef BT_PROBER_CAPTURE_H
#define BT_PROBER_CAPTURE_H

#include <pcap/pcap.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "table.h"
#include "bordertrace/engine.h"
#include "bordertrace/probe.h"
#include "bordertrace/reply.h"

typedef struct bt_capture {
	pcap_t *pcap;           /* NULL: not open */
	int fd;                 /* to poll */
	int dlt;                /* its link-layer type */
} bt_capture;

/* Opens a capture on device (NULL: all interfaces) with filter: below
 * 100,000 probes/s immediate delivery (TPACKET_V2), a buffer sized for
 * rate_pps (2 to 32 MiB); from there on (and unlimited, rate_pps 0) the
 * kernel's block ring (TPACKET_V3), blocks handed over when full or every
 * 5 ms, at least a quarter second of blocks; inbound only, non-blocking. 0, or -1 with a message and *eperm set when
 * privilege was missing. */
int bt_capture_open(bt_capture *c, const char *device, const char *filter, uint32_t rate_pps, char *err,
		    size_t errlen, bool *eperm);
void bt_capture_close(bt_capture *c);
/* Copies libpcap's counters into st (nothing when not open). */
void bt_capture_stats(bt_capture *c, bt_engine_stats *st);

/* ---- the batch of one capture block ---- */

#define BT_RBATCH 32

typedef struct bt_pending {
	bt_reply r;
	bt_match m;
	uint64_t key;           /* its target's key in the target table ... */
	size_t h;               /* ... and home slot there */
	uint32_t v;             /* the value found: pool index + 1; 0 none */
	uint64_t at;            /* when it arrived (the engine's clock, µs) */
} bt_pending;

typedef struct bt_rbatch {
	bt_pending p[BT_RBATCH];
	unsigned n;
} bt_rbatch;

/* The entry the next captured reply is parsed into. */
static inline bt_pending *bt_rbatch_slot(bt_rbatch *b)
{
	return &b->p[b->n];
}

/* Keeps the reply just parsed into bt_rbatch_slot, whose table key is key:
 * its home slot is fetched now. True when the batch is full. */
static inline bool bt_rbatch_add(bt_rbatch *b, const bt_table *t, uint64_t key)
{
	bt_pending *p = &b->p[b->n];
	p->key = key;
	p->h = bt_table_home(t, key);
	__builtin_prefetch(&t->vals[p->h]);
	return ++b->n == BT_RBATCH;
}

/* Looks up every reply of the batch: first each one's likely entry (the
 * first at its home slot) is fetched with fetch(ctx, value), then the
 * lookups are done. Inlined with the caller's key and fetch functions. */
static inline __attribute__((always_inline)) void
bt_rbatch_resolve(bt_rbatch *b, const bt_table *t, bt_table_keyof keyof, const void *ctx,
		  void (*fetch)(const void *ctx, uint32_t val))
{
	for (unsigned i = 0; i < b->n; i++) {
		uint32_t v = t->vals[b->p[i].h];
		if (v != 0)
			fetch(ctx, v);
	}
	for (unsigned i = 0; i < b->n; i++)
		b->p[i].v = bt_table_find(t, b->p[i].key, b->p[i].h, keyof, ctx);
}

#endif
