/* bordertrace — campaign files: what a vantage point probes, how and when.
 *
 * A campaign file (libconfig syntax, doc/campaign.md) names the campaign and
 * the VP, the target and exclusion lists, the probing options the engine
 * takes, the schedule of rounds and the output directory. Parsing is a pure
 * function over a buffer (bt_campaign_parse); every error names the file, the
 * line and the field. Loading the lists it names is a separate step
 * (bt_campaign_targets), so a file can be checked without its lists. */
#ifndef BORDERTRACE_CAMPAIGN_H
#define BORDERTRACE_CAMPAIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bordertrace/engine.h"
#include "bordertrace/expand.h"
#include "bordertrace/targets.h"
#include "bordertrace/trace.h"

#define BT_CAMPAIGN_MAX_LISTS 64
#define BT_CAMPAIGN_MAX_INTERVAL (366u * 86400u)
/* A campaign file is a few hundred bytes; anything past 1 MiB (after gzip)
 * is refused before libconfig reads it. */
#define BT_CAMPAIGN_MAX_BYTES (1024u * 1024u)

typedef struct bt_campaign {
	char name[BT_ID_MAX];
	char vp[BT_ID_MAX];
	char *target_files[BT_CAMPAIGN_MAX_LISTS]; /* paths resolved against the file's dir */
	size_t ntarget_files;
	char *exclude_files[BT_CAMPAIGN_MAX_LISTS];
	size_t nexclude_files;
	bool lab;               /* probe only the test ranges (see expand.h) */
	uint32_t prefix_seed;   /* the /24 expansion rule's seed (0) */
	uint32_t v6_max_per_prefix; /* most targets one IPv6 prefix may expand to */
	bt_engine_opts eng;     /* method, flows, TTLs, attempts, wait, gap limit, rate...;
				   eng.vp, eng.campaign point into this struct */
	char *device;           /* "interface", or NULL */
	uint32_t interval_s;    /* schedule.interval: seconds between round starts */
	uint32_t jitter_ms;     /* schedule.jitter: random delay after the aligned start */
	uint32_t rounds;        /* schedule.rounds: 0 = forever */
	char *output;           /* output directory (resolved) */
	uint32_t progress_s;    /* log a progress line every N seconds when not on a terminal */
} bt_campaign;

void bt_campaign_init(bt_campaign *c);
void bt_campaign_free(bt_campaign *c);

/* Parses a campaign from buf (len bytes; need not be NUL-terminated). name is
 * used in messages ("name:line: field 'x': ..."); relative paths in the file
 * are resolved against basedir (NULL: the current directory). On error
 * returns -1 and c is left empty. */
int bt_campaign_parse(bt_campaign *c, const char *buf, size_t len, const char *name,
		      const char *basedir, char *err, size_t errlen);

/* Reads path and parses it (basedir = the file's directory). A device or a
 * regular file past BT_CAMPAIGN_MAX_BYTES is refused before it is read. */
int bt_campaign_load(bt_campaign *c, const char *path, char *err, size_t errlen);

/* Loads the target and exclusion lists, expands prefixes, applies the
 * exclusions and the special-purpose rule, removes duplicates. out must be
 * initialised; st receives the counts. 0, or -1 with "file:line: ..." in err. */
int bt_campaign_targets(const bt_campaign *c, bt_targets *out, bt_filter_stats *st,
			char *err, size_t errlen);

/* The most probes a round of ntargets can send: every (target, flow) probed
 * at every TTL from first_ttl to max_ttl, each to its last attempt (replies
 * and the gap limit only lower it). */
uint64_t bt_campaign_round_probes_max(const bt_campaign *c, size_t ntargets);

/* What each target list expanded to, before filtering (for run --check). */
typedef struct bt_campaign_list_counts {
	size_t v4[BT_CAMPAIGN_MAX_LISTS], v6[BT_CAMPAIGN_MAX_LISTS];
} bt_campaign_list_counts;

/* bt_campaign_targets, also counting each list's targets by family (lists
 * may be NULL). */
int bt_campaign_targets_counted(const bt_campaign *c, bt_targets *out, bt_filter_stats *st,
				bt_campaign_list_counts *lists, char *err, size_t errlen);

#endif
