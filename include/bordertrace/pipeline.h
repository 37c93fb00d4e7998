/* bordertrace — the analysis pipeline behind `bordertrace diff` and
 * `bordertrace export`: read traces -> resolve hops -> per-trace paths and
 * crossings -> path-diff over rounds and VPs -> CSV exports.
 *
 * Streaming: each trace is read, used and freed; hops.csv, traces.csv and
 * borders.csv rows are written as traces go by, events.csv and diversity.csv
 * at the end. The resolver is reached through a callback so that this module
 * does not care which databases answer. Column lists: doc/csv.md. */
#ifndef BORDERTRACE_PIPELINE_H
#define BORDERTRACE_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bordertrace/input.h"
#include "bordertrace/addr.h"
#include "bordertrace/diff.h"
#include "bordertrace/path.h"

typedef enum bt_agg { BT_AGG_PREFIX = 0, BT_AGG_AS, BT_AGG_COUNTRY } bt_agg;

/* What the resolver says about one address, as the pipeline needs it. */
typedef struct bt_hopres {
	bt_hopinfo info;       /* kind, ASN(s), country; info.ixp points at ixp */
	char cls[24];          /* address class name ("public", "private", ...) */
	char prefix[BT_ADDR_STRLEN + 4]; /* matched prefix, "" if none */
	char org[128];
	char ixp[96];
	char origins[BT_HOPINFO_ORIGINS * 11]; /* "4837 9808": filled by the pipeline */
} bt_hopres;

/* Returns 0, or -1 with a message (a database error: fatal). */
typedef int (*bt_resolve_fn)(void *ctx, const bt_addr *a, bt_hopres *out, char *err, size_t errlen);

/* One trace as the pipeline saw it, for a hook (the report): valid only
 * during the call. res[i] describes t->hops[i] (i < n). */
typedef struct bt_pipeline_trace {
	const bt_trace *t;
	const char *id;           /* the trace id (doc/csv.md) */
	const char *key;          /* its target network */
	const bt_hopres *const *res;
	size_t n;
	const bt_hopres *dres;    /* the destination */
	const bt_path *path;
	const struct bt_routes *routes; /* its border routes over its flows (routes.h) */
} bt_pipeline_trace;
/* Returns 0, or -1 with a message (fatal). */
typedef int (*bt_trace_hook)(void *ctx, const bt_pipeline_trace *pt, char *err, size_t errlen);

typedef struct bt_pipeline_opts {
	bt_agg agg;            /* what a "target network" is */
	bool per_vp;           /* one target network per VP as well */
	unsigned levels;       /* events at: 1 = AS, 2 = country, 3 = both */
	bt_diff_opts diff;
	const char *outdir;    /* export the five CSVs here; NULL: none */
	bt_resolve_fn resolve;
	void *rctx;
	bt_input_opts input;   /* how sources other than our round files are mapped */
	bt_trace_hook on_trace; /* called for every trace after the path-diff; NULL: none */
	void *hook_ctx;
	bool hook_only;        /* a second pass over rounds read before: only the
				  hook, no path-diff, no duplicate check */
	unsigned owners;       /* BT_OWNER_* heuristics (owner.h) on: each hop's
				  AS is the operator inferred from its round's
				  graph; 0: the address's origin as it is */
	const struct bt_asrel *asrel; /* AS relationships for the "as-rel"
				  owner rule (owner.h); NULL: it does not run */
	/* each trace's observation as the path-diff takes it (watch's
	 * incremental diff); 0, or -1 when out of memory. NULL: none */
	int (*on_obs)(void *ctx, const bt_diff_obs *o);
	void *obs_ctx;
} bt_pipeline_opts;

typedef struct bt_pipeline bt_pipeline;

bt_pipeline *bt_pipeline_new(const bt_pipeline_opts *o, char *err, size_t errlen);
/* A round file, a directory (every *.jsonl, *.warts and *.warts.gz below
 * it, in name order; hidden and temporary files skipped) or "-" for
 * standard input. 0 or -1. */
int bt_pipeline_add_path(bt_pipeline *p, const char *path, char *err, size_t errlen);
/* len bytes of our JSON Lines read from elsewhere (a round of the store),
 * named name in messages ("NAME:LINE: reason"), read as a round file of
 * that name would be. 0 or -1. */
int bt_pipeline_add_buffer(bt_pipeline *p, const char *name, const char *buf, size_t len, char *err,
			   size_t errlen);
/* With owners on, the files added are read here (bt_pipeline_finish calls
 * it too), a round at a time: the files of one name (vp1/R.jsonl,
 * vp2/R.jsonl: every VP's file of round R) are read once to build the
 * round's interface graph, then again through the path-diff with the
 * owners inferred from it. Standard input is read once, as it comes,
 * without owners; a buffer is a round of its own. 0 or -1. */
int bt_pipeline_flush(bt_pipeline *p, char *err, size_t errlen);
/* Buffers of one round from several VPs (the store's rounds), owners on:
 * begin, every buffer of the round through scan_buffer (the graph), then
 * through add_buffer (the path-diff, owners inferred at the first), end.
 * Without begin, add_buffer makes a buffer a round of its own. */
bool bt_pipeline_owners_on(const bt_pipeline *p);
void bt_pipeline_begin_round(bt_pipeline *p);
int bt_pipeline_scan_buffer(bt_pipeline *p, const char *name, const char *buf, size_t len, char *err,
			    size_t errlen);
void bt_pipeline_end_round(bt_pipeline *p);
/* Computes events and diversity and, when exporting, commits the files.
 * Frees what reading needed (the address cache, the trace ids seen): no
 * path can be added after it. */
int bt_pipeline_finish(bt_pipeline *p, char *err, size_t errlen);
const bt_diff *bt_pipeline_diff(const bt_pipeline *p);
uint64_t bt_pipeline_traces(const bt_pipeline *p);
uint64_t bt_pipeline_hops(const bt_pipeline *p);
/* Traces read again (the same trace id and record: a directory given twice,
 * two copies of a round file), counted once and not in bt_pipeline_traces.
 * The same id with another record is an error naming both places. */
uint64_t bt_pipeline_duplicates(const bt_pipeline *p);
/* What the sources read and did not map (objects that are not traces,
 * traces the record cannot hold: bt_input_opts.skipped), by kind: the
 * backend's phrase, how many, and where the first BT_PIPELINE_SKIP_PLACES
 * were ("FILE@OFFSET"; every one with opts.input.verbose). */
#define BT_PIPELINE_SKIP_PLACES 10
typedef struct bt_pipeline_skip {
	char *what;
	uint64_t count;
	char **places;
	size_t nplaces;
} bt_pipeline_skip;
size_t bt_pipeline_nskips(const bt_pipeline *p);
const bt_pipeline_skip *bt_pipeline_skip_at(const bt_pipeline *p, size_t i);
/* Frees; an export not finished is removed (no partial file left). */
void bt_pipeline_free(bt_pipeline *p);

/* events.csv (and `diff --format csv`): the header's columns and one row
 * (doc/csv.md); agg is bt_agg_name of the aggregation. */
#define BT_EVENTS_NCOLS 17
extern const char *const bt_events_cols[BT_EVENTS_NCOLS];
struct bt_csv;
void bt_event_row(struct bt_csv *w, const bt_diff_event *e, const char *agg);

const char *bt_agg_name(bt_agg a);
int bt_agg_parse(const char *s, bt_agg *out);
/* "as" / "country" / "both" -> 1 / 2 / 3 (bt_pipeline_opts.levels); 0
 * for another name. */
unsigned bt_levels_parse(const char *s);

#endif
