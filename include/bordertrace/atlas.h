/* bordertrace — RIPE Atlas traceroute results as trace records
 * (analysis/atlas.c; the mapping field by field: doc/atlas.md).
 *
 * Read: the API's JSON array (`[{...},{...}]`, on one line or
 * pretty-printed) and the daily dumps' JSON Lines, plain or compressed
 * (gzip, bzip2, xz), streamed one result at a time. A result that is not
 * JSON stops the file with FILE:LINE; one that is JSON but cannot be
 * mapped (a ping result, no dst_addr, ...) is skipped and reported
 * through bt_input_opts.skipped. */
#ifndef BORDERTRACE_ATLAS_H
#define BORDERTRACE_ATLAS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bordertrace/input.h"
#include "bordertrace/trace.h"

#define BT_ATLAS_ROUND_DEFAULT 3600 /* --round-interval when none is given */

/* Whether the first n bytes look like Atlas results: a JSON array of
 * objects, or an object with Atlas's keys (fw, prb_id, msm_id) and
 * without our format's name. */
bool bt_atlas_sniff(const uint8_t *head, size_t n);

/* The input backend (input.h). */
void *bt_atlas_open(const char *path, const bt_input_opts *o, const bt_input_ops **ops, char *err,
		    size_t errlen);

/* Maps one result, the JSON text of one object, to a new trace: 1 and
 * *out; 0 when it cannot be mapped (why in err: "a ping result, not a
 * traceroute"); -1 when it is not JSON (err: "not JSON: ..."). Pure. */
int bt_atlas_map(const char *json, size_t len, uint32_t round_interval_s, bt_trace **out,
		 char *err, size_t errlen);

/* The round id of a result started at unix time ts: the UTC start of its
 * bucket of interval_s seconds, "2017-10-01T08:00:00Z". */
void bt_atlas_round(int64_t ts, uint32_t interval_s, char *buf, size_t buflen);

#endif
