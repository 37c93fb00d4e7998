/* bordertrace — border observations of one round, as the store's derived
 * table bt.border_obs holds them (doc/store.md): per level (AS, country),
 * target network and border route into it (upstream AS and country -> the
 * AS and country entered), how many traces and distinct flows took it
 * (every flow of a multipath record that showed the route: routes.h).
 * Pure but for the resolver behind the callback. */
#ifndef BORDERTRACE_BORDER_OBS_H
#define BORDERTRACE_BORDER_OBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bordertrace/pipeline.h"
#include "bordertrace/routes.h"

typedef struct bt_obs {
	bool country;          /* level: the route into the target country */
	char target[16];       /* "AS131279" or "KP" */
	uint32_t up_asn, into_asn;
	char up_cc[3], into_cc[3];
	uint32_t traces, flows;
	uint8_t *flow_seen;    /* a bit per flow number (65536 bits) */
} bt_obs;

typedef struct bt_obs_set {
	bt_obs *v;
	size_t n, cap;
	bt_hopres *res;        /* scratch: a trace's resolved hops */
	size_t res_cap;
	bt_routes *routes;     /* scratch: a trace's routes over its flows */
} bt_obs_set;

/* Every trace of a round file's bytes (JSON Lines) into s. 0, or -1 with
 * "NAME:LINE: reason" or the resolver's error. */
int bt_obs_from_round(bt_obs_set *s, const char *name, const char *buf, size_t len,
		      bt_resolve_fn resolve, void *ctx, char *err, size_t errlen);
void bt_obs_set_free(bt_obs_set *s);

#endif
