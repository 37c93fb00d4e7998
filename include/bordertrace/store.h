/* bordertrace — the central PostgreSQL store of a fleet's rounds
 * (doc/store.md): the schema's migrations, and the upload of one round.
 *
 * A round goes in as one row of bt.rounds: its ids, times and counts, the
 * SHA-256 of the file's bytes and the file gzip'd. bt_round_summarize is
 * pure (a buffer in, a summary out); bt_store_* talk to the server. */
#ifndef BORDERTRACE_STORE_H
#define BORDERTRACE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bordertrace/pipeline.h"
#include "bordertrace/trace.h"
#include "bordertrace/wdiff.h"

typedef struct bt_round_summary {
	char vp[BT_ID_MAX], campaign[BT_ID_MAX], round[BT_ID_MAX];
	int64_t first_start_us, last_end_us;
	uint32_t traces;
	size_t raw_bytes;
	unsigned char sha256[32];
	unsigned char *gz; /* the bytes gzip'd (malloc'ed) */
	size_t gz_len;
} bt_round_summary;

/* Reads a round file's bytes: every line a trace of one vp, campaign and
 * round. 0, or -1 with "NAME:LINE: reason" / "NAME: reason" in err. */
int bt_round_summarize(const char *name, const char *buf, size_t len, bt_round_summary *s,
		       char *err, size_t errlen);
void bt_round_summary_free(bt_round_summary *s);

/* The schema version this program writes and reads. */
int bt_store_schema_version(void);

/* A connection string may not hold a password (doc/store.md: libpq's
 * password or service file holds it). NULL if conninfo is usable, else
 * the reason. */
const char *bt_store_conninfo_problem(const char *conninfo, char *buf, size_t len);

typedef struct bt_store bt_store;

/* Connects, retrying with back-off (0.5 s doubling to 30 s) while the
 * server is away, for at most retry_s seconds. NULL with the reason. */
bt_store *bt_store_connect(const char *conninfo, double retry_s, char *err, size_t errlen);
void bt_store_close(bt_store *st);
/* How often a connection was lost during bt_store_push and made again. */
unsigned bt_store_reconnects(const bt_store *st);

/* db init (the schema must not exist yet) and db migrate (it must). Each
 * migration is one transaction. from and to: the versions before and after. */
int bt_store_init(bt_store *st, int *to, char *err, size_t errlen);
int bt_store_migrate(bt_store *st, int *from, int *to, char *err, size_t errlen);

enum bt_push_result {
	BT_PUSH_ADDED,   /* the round is stored now */
	BT_PUSH_PRESENT, /* it was, with the same hash */
	BT_PUSH_REFUSED, /* a different hash, or the server refused: err says */
	BT_PUSH_AWAY,    /* the connection was lost and not back in time */
};

/* One round in one transaction; reconnects (within the retry time of
 * bt_store_connect) when the server goes away in the middle. */
enum bt_push_result bt_store_push(bt_store *st, const char *file, const bt_round_summary *s,
				  char *err, size_t errlen);

/* Fills the derived tables (bt.derived, bt.border_obs) for every round not
 * derived yet, oldest first, a transaction a round; resolve (pipeline.h)
 * says what a hop is. 0, or -1 with the reason ("round C/V/R: ...");
 * the rounds derived before an error stay. */
int bt_store_derive(bt_store *st, bt_resolve_fn resolve, void *ctx, size_t *rounds, size_t *rows,
		    char *err, size_t errlen);

/* ---- reading rounds back (diff, export, report --db) ---- */

/* Which rounds: each field unset (NULL, 0) selects all. */
typedef struct bt_store_filter {
	const char *campaign;
	const char *const *vps; /* any of these */
	size_t nvps;
	const char *since, *until; /* ISO UTC times: first_start >= since, < until */
	/* watch: only the rounds not yet taken in by watch name `watch` (of
	 * those, with `notified`, only the ones it names: "campaign/vp/round"
	 * a line), and those it took in with a round id after `after` (its
	 * open rounds) */
	const char *watch, *after, *notified;
} bt_store_filter;

/* A round of the store: its ids and the path a push recorded. */
typedef struct bt_store_round_ref {
	char campaign[BT_ID_MAX], vp[BT_ID_MAX], round[BT_ID_MAX];
	char *file;
	bool watched; /* with bt_store_filter.watch: taken in by that watch */
} bt_store_round_ref;

/* Makes the session read-only (what reads rounds writes nothing). 0 or -1. */
int bt_store_read_only(bt_store *st, char *err, size_t errlen);
/* Reading needs the schema at this program's version: 0, or -1 with the
 * reason (none, older: db migrate; newer: a newer bordertrace). */
int bt_store_check_schema(bt_store *st, char *err, size_t errlen);
/* The rounds the filter selects, in the order a directory walk over the
 * paths push recorded would read them (path components in name order;
 * then campaign, vp, round). 0, or -1 with the server's reason. */
int bt_store_list_rounds(bt_store *st, const bt_store_filter *f, bt_store_round_ref **out, size_t *n,
			 char *err, size_t errlen);
void bt_store_round_refs_free(bt_store_round_ref *v, size_t n);
/* One round's file, gunzipped, NUL-terminated (malloc'ed): 0, or -1 with
 * "round C/V/R: reason". */
int bt_store_fetch_round(bt_store *st, const bt_store_round_ref *r, char **raw, size_t *len, char *err,
			 size_t errlen);
/* "round C/V/R", the name its errors and places go by. */
void bt_store_round_name(const bt_store_round_ref *r, char *buf, size_t len);

/* ---- watch (doc/store.md) ---- */

/* Whether the connection is up; bt_store_reopen makes it again, waiting
 * with back-off as bt_store_connect does. */
bool bt_store_connected(const bt_store *st);
int bt_store_reopen(bt_store *st, char *err, size_t errlen);
/* LISTEN on bt_rounds (a notification each round added). 0 or -1. */
int bt_store_listen(bt_store *st, char *err, size_t errlen);
/* The payloads of the notifications received, a line each (watch: the
 * rounds added, "campaign/vp/round"); oom: some could not be kept. */
typedef struct bt_store_notes {
	char *buf;
	size_t len, cap;
	bool oom;
} bt_store_notes;
/* Waits on the connection's socket up to timeout_ms (-1: no limit) for
 * notifications, consuming them into notes: 1 some came, 0 none, -1 the
 * connection is lost (err says). */
int bt_store_wait_notify(bt_store *st, int timeout_ms, bt_store_notes *notes, char *err, size_t errlen);
/* Whether this role may read rounds and record events (bt_watch): 0, or
 * -1 with the reason. */
int bt_store_watch_check(bt_store *st, char *err, size_t errlen);
/* The session's lock on watch name (one process a name): 0, or -1 with
 * the reason (another holds it). */
int bt_store_watch_lock(bt_store *st, const char *name, char *err, size_t errlen);
/* An event of a watch, as bt.events keys it. */
typedef struct bt_watch_key {
	const char *name, *level, *target, *upstream, *into, *kind, *round;
} bt_watch_key;
/* Whether k is in bt.events (fired): 0 (and *fired), or -1. */
int bt_store_watch_fired(bt_store *st, const bt_watch_key *k, bool *fired, char *err, size_t errlen);
/* Records k, with e's details, in bt.events (its own transaction): 0 or -1. */
int bt_store_watch_record(bt_store *st, const bt_watch_key *k, const bt_diff_event *e, char *err, size_t errlen);
/* Records the rounds as taken into account by watch name, one
 * transaction: 0 or -1. */
int bt_store_watch_rounds(bt_store *st, const char *name, const bt_store_round_ref *refs, size_t n,
			  char *err, size_t errlen);

/* Watch's incremental state (wdiff.h): the newest settled round id ("" none)
 * and how many round ids are settled: 0 or -1. */
int bt_store_wstate_progress(bt_store *st, const char *name, char *settled, size_t len, unsigned *nsettled,
			     char *err, size_t errlen);
/* Every route's state of watch name into w (*n of them): 0 or -1. */
int bt_store_wstate_load(bt_store *st, const char *name, bt_wdiff *w, size_t *n, char *err, size_t errlen);
/* One transaction: the routes w changed in the rounds it settled (rebuilt:
 * in place of every route of name), the progress, and the rounds of refs
 * not yet taken in. 0 or -1. */
int bt_store_wstate_commit(bt_store *st, const char *name, bt_wdiff *w, bool rebuilt,
			   const bt_store_round_ref *refs, size_t n, char *err, size_t errlen);

#endif
