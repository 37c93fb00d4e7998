/* bordertrace — the engine's source selection: the address each probe
 * leaves from. Either the one the caller gave (checked to be ours once, when
 * the engine opens) or the kernel's route choice toward each target, looked
 * up without sending anything and cached per prefix (IPv4: per /24, IPv6:
 * per /64), so that taking up tens of thousands of targets a second stays
 * cheap. One selector per family. */
#ifndef BT_PROBER_SOURCE_H
#define BT_PROBER_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "family.h"

#define BT_SOURCE_CACHE 256     /* cached prefixes (direct-mapped) */

typedef struct bt_source {
	const bt_family *fam;
	const char *device;     /* route lookups bound to it; NULL: any */
	bool has_fixed;         /* the caller gave a source: */
	bt_addr fixed;          /* this one, else the route per target */
	int fd;                 /* the lookup socket; -1: not open yet */
	uint64_t net[BT_SOURCE_CACHE];
	bt_addr src[BT_SOURCE_CACHE];
	uint8_t ok[BT_SOURCE_CACHE]; /* 0 empty, 1 a route, 2 none */
} bt_source;

/* Checks that src (set) is an address of this host: without it replies
 * would never come back here. 0, or -1 with a message. */
int bt_source_check(const bt_family *fam, const bt_addr *src, char *err, size_t errlen);

/* Sets up selection (src unset: the route toward each target). */
void bt_source_init(bt_source *s, const bt_family *fam, const char *device, const bt_addr *src);
/* Forgets the cached routes (a new run: routes may have changed). */
void bt_source_reset(bt_source *s);
void bt_source_close(bt_source *s);

/* The source toward dst (of the selector's family): 0, or -1 when there is
 * no route (errno in *why). */
int bt_source_for(bt_source *s, const bt_addr *dst, bt_addr *src, int *why);

#endif
