/* bordertrace — what `watch` asks of the store (store.h, doc/store.md):
 * LISTEN on the channel migration 3's trigger notifies, waiting for it on
 * the connection's socket (no busy loop), and the watch-state tables: the
 * events already fired and the rounds already taken into account. */
#include "store_int.h"

#include "bordertrace/trace.h"

#include <errno.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool bt_store_connected(const bt_store *st)
{
	return st->conn != NULL && PQstatus(st->conn) == CONNECTION_OK;
}

int bt_store_reopen(bt_store *st, char *err, size_t errlen)
{
	return bt_store_reconnect(st, err, errlen);
}

/* A statement with text parameters; 0, or -1 with the server's message.
 * With one_row, *found says whether it returned a row. */
static int run(bt_store *st, const char *sql, int n, const char *const *v, bool *found, char *err,
	       size_t errlen)
{
	PGresult *r = PQexecParams(st->conn, sql, n, NULL, v, NULL, NULL, 0);
	ExecStatusType s = PQresultStatus(r);
	int rc = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK ? 0 : -1;
	if (rc != 0)
		bt_store_pq_message(err, errlen, "", PQresultErrorMessage(r));
	else if (found != NULL)
		*found = PQntuples(r) > 0;
	PQclear(r);
	return rc;
}

int bt_store_listen(bt_store *st, char *err, size_t errlen)
{
	return run(st, "LISTEN bt_rounds", 0, NULL, NULL, err, errlen);
}

/* Every notification that arrived, consumed into notes: how many. */
static int drain(bt_store *st, bt_store_notes *notes)
{
	int n = 0;
	PGnotify *nf;
	while ((nf = PQnotifies(st->conn)) != NULL) {
		size_t l = strlen(nf->extra);
		while (!notes->oom && notes->len + l + 2 > notes->cap) {
			size_t cap = notes->cap ? notes->cap * 2 : 4096;
			char *b = realloc(notes->buf, cap);
			notes->oom = b == NULL;
			if (b != NULL) {
				notes->buf = b;
				notes->cap = cap;
			}
		}
		if (!notes->oom) {
			memcpy(notes->buf + notes->len, nf->extra, l);
			notes->len += l;
			notes->buf[notes->len++] = '\n';
			notes->buf[notes->len] = '\0';
		}
		PQfreemem(nf);
		n++;
	}
	return n;
}

int bt_store_wait_notify(bt_store *st, int timeout_ms, bt_store_notes *notes, char *err, size_t errlen)
{
	if (!PQconsumeInput(st->conn)) {
		bt_store_pq_message(err, errlen, "connection to the store lost: ", PQerrorMessage(st->conn));
		return -1;
	}
	if (drain(st, notes) > 0)
		return 1;
	struct pollfd p = { .fd = PQsocket(st->conn), .events = POLLIN };
	if (p.fd < 0) {
		snprintf(err, errlen, "connection to the store lost");
		return -1;
	}
	int rc = poll(&p, 1, timeout_ms);
	if (rc < 0 && errno != EINTR) {
		snprintf(err, errlen, "poll: %s", strerror(errno));
		return -1;
	}
	if (rc <= 0)
		return 0;
	if (!PQconsumeInput(st->conn)) {
		bt_store_pq_message(err, errlen, "connection to the store lost: ", PQerrorMessage(st->conn));
		return -1;
	}
	return drain(st, notes) > 0;
}

int bt_store_watch_fired(bt_store *st, const bt_watch_key *k, bool *fired, char *err, size_t errlen)
{
	const char *v[7] = { k->name, k->level, k->target, k->upstream, k->into, k->kind, k->round };
	return run(st, "SELECT 1 FROM bt.events WHERE name = $1 AND level = $2 AND target_network = $3 "
		       "AND upstream = $4 AND into_net = $5 AND kind = $6 AND round = $7",
		   7, v, fired, err, errlen);
}

int bt_store_watch_record(bt_store *st, const bt_watch_key *k, const bt_diff_event *e, char *err, size_t errlen)
{
	char first[BT_TIME_STRLEN], last[BT_TIME_STRLEN], seen[12], traces[12];
	snprintf(seen, sizeof(seen), "%u", e->rounds_seen);
	snprintf(traces, sizeof(traces), "%u", e->traces);
	const char *v[14] = { k->name, k->level, k->target, k->upstream, k->into, k->kind, k->round,
			      e->level == BT_LEVEL_AS ? e->note : e->upstream,
			      bt_time_format(e->first_seen_us, first, sizeof(first)),
			      bt_time_format(e->last_seen_us, last, sizeof(last)), seen, traces, e->vps, e->evidence };
	return run(st, "INSERT INTO bt.events (name, level, target_network, upstream, into_net, kind, round, "
		       "upstream_country, first_seen, last_seen, rounds_seen, traces, vps, evidence) "
		       "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::timestamptz, $10::timestamptz, $11::integer, "
		       "$12::bigint, $13, $14) ON CONFLICT DO NOTHING",
		   14, v, NULL, err, errlen);
}

/* Inside a transaction: the rounds taken in by watch name. */
static int insert_rounds(bt_store *st, const char *name, const bt_store_round_ref *refs, size_t n, char *err,
			 size_t errlen)
{
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		const char *v[4] = { name, refs[i].campaign, refs[i].vp, refs[i].round };
		if (!refs[i].watched)
			rc = run(st, "INSERT INTO bt.watch_rounds (name, campaign, vp, round) VALUES ($1, $2, $3, $4) "
				     "ON CONFLICT DO NOTHING", 4, v, NULL, err, errlen);
	}
	return rc;
}

/* run() in a transaction: its result, rolled back on error. */
static int rollback(bt_store *st)
{
	char why[256];
	run(st, "ROLLBACK", 0, NULL, NULL, why, sizeof(why));
	return -1;
}

int bt_store_watch_rounds(bt_store *st, const char *name, const bt_store_round_ref *refs, size_t n,
			  char *err, size_t errlen)
{
	if (run(st, "BEGIN", 0, NULL, NULL, err, errlen) != 0)
		return -1;
	if (insert_rounds(st, name, refs, n, err, errlen) != 0)
		return rollback(st);
	return run(st, "COMMIT", 0, NULL, NULL, err, errlen);
}

int bt_store_wstate_progress(bt_store *st, const char *name, char *settled, size_t len, unsigned *nsettled,
			     char *err, size_t errlen)
{
	PGresult *r = PQexecParams(st->conn, "SELECT settled, settled_rounds FROM bt.watch_progress WHERE name = $1",
				   1, NULL, &name, NULL, NULL, 0);
	int rc = PQresultStatus(r) == PGRES_TUPLES_OK ? 0 : -1;
	if (rc != 0)
		bt_store_pq_message(err, errlen, "", PQresultErrorMessage(r));
	snprintf(settled, len, "%s", rc == 0 && PQntuples(r) == 1 ? PQgetvalue(r, 0, 0) : "");
	*nsettled = rc == 0 && PQntuples(r) == 1 ? (unsigned)strtoul(PQgetvalue(r, 0, 1), NULL, 10) : 0;
	PQclear(r);
	return rc;
}

static int64_t i64(PGresult *r, int row, int col)
{
	return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

int bt_store_wstate_load(bt_store *st, const char *name, bt_wdiff *w, size_t *n, char *err, size_t errlen)
{
	PGresult *r = PQexecParams(st->conn,
		"SELECT level, target_network, upstream, into_net, note, state, seen_rounds, absent, first_absent, "
		"traces, first_us, last_us, vps, vp_ranks, evidence FROM bt.watch_state WHERE name = $1",
		1, NULL, &name, NULL, NULL, 0);
	int rc = PQresultStatus(r) == PGRES_TUPLES_OK ? 0 : -1;
	if (rc != 0)
		bt_store_pq_message(err, errlen, "", PQresultErrorMessage(r));
	*n = rc == 0 ? (size_t)PQntuples(r) : 0;
	for (int i = 0; rc == 0 && i < PQntuples(r); i++) {
		bt_wroute_row row = {
			PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2), PQgetvalue(r, i, 3),
			PQgetvalue(r, i, 4), (int)i64(r, i, 5), (unsigned)i64(r, i, 6), (unsigned)i64(r, i, 7),
			PQgetvalue(r, i, 8), (uint64_t)i64(r, i, 9), i64(r, i, 10), i64(r, i, 11),
			PQgetvalue(r, i, 12), PQgetvalue(r, i, 13), PQgetvalue(r, i, 14),
		};
		rc = bt_wdiff_load(w, &row, err, errlen);
	}
	PQclear(r);
	return rc;
}

static int upsert_route(bt_store *st, const char *name, const bt_wroute_row *x, char *err, size_t errlen)
{
	char num[6][24];
	snprintf(num[0], sizeof(num[0]), "%d", x->state);
	snprintf(num[1], sizeof(num[1]), "%u", x->seen_rounds);
	snprintf(num[2], sizeof(num[2]), "%u", x->absent);
	snprintf(num[3], sizeof(num[3]), "%llu", (unsigned long long)x->traces);
	snprintf(num[4], sizeof(num[4]), "%lld", (long long)x->first_us);
	snprintf(num[5], sizeof(num[5]), "%lld", (long long)x->last_us);
	const char *v[16] = { name, x->level, x->target, x->upstream, x->into, x->note, num[0], num[1], num[2],
			      x->first_absent, num[3], num[4], num[5], x->vps, x->vp_ranks, x->evidence };
	return run(st, "INSERT INTO bt.watch_state (name, level, target_network, upstream, into_net, note, state, "
		       "seen_rounds, absent, first_absent, traces, first_us, last_us, vps, vp_ranks, evidence) "
		       "VALUES ($1, $2, $3, $4, $5, $6, $7::smallint, $8::integer, $9::integer, $10, $11::bigint, "
		       "$12::bigint, $13::bigint, $14, $15, $16) ON CONFLICT (name, level, target_network, upstream, "
		       "into_net) DO UPDATE SET note = EXCLUDED.note, state = EXCLUDED.state, "
		       "seen_rounds = EXCLUDED.seen_rounds, absent = EXCLUDED.absent, "
		       "first_absent = EXCLUDED.first_absent, traces = EXCLUDED.traces, first_us = EXCLUDED.first_us, "
		       "last_us = EXCLUDED.last_us, vps = EXCLUDED.vps, vp_ranks = EXCLUDED.vp_ranks, "
		       "evidence = EXCLUDED.evidence",
		   16, v, NULL, err, errlen);
}

static int save_progress(bt_store *st, const char *name, const char *settled, unsigned n, char *err,
			 size_t errlen)
{
	char num[12];
	snprintf(num, sizeof(num), "%u", n);
	const char *v[3] = { name, settled, num };
	return run(st, "INSERT INTO bt.watch_progress (name, settled, settled_rounds) VALUES ($1, $2, $3::integer) "
		       "ON CONFLICT (name) DO UPDATE SET settled = EXCLUDED.settled, "
		       "settled_rounds = EXCLUDED.settled_rounds",
		   3, v, NULL, err, errlen);
}

int bt_store_wstate_commit(bt_store *st, const char *name, bt_wdiff *w, bool rebuilt,
			   const bt_store_round_ref *refs, size_t n, char *err, size_t errlen)
{
	if (run(st, "BEGIN", 0, NULL, NULL, err, errlen) != 0)
		return -1;
	int rc = rebuilt ? run(st, "DELETE FROM bt.watch_state WHERE name = $1", 1, &name, NULL, err, errlen) : 0;
	for (size_t i = 0; rc == 0 && i < bt_wdiff_nchanged(w); i++) {
		bt_wroute_row row;
		if ((rc = bt_wdiff_changed_at(w, i, &row)) != 0)
			snprintf(err, errlen, "out of memory");
		else
			rc = upsert_route(st, name, &row, err, errlen);
	}
	const char *settled = bt_wdiff_settled_round(w);
	if (rc == 0 && (settled != NULL || rebuilt))
		rc = save_progress(st, name, settled ? settled : "", bt_wdiff_nsettled(w), err, errlen);
	if (rc == 0)
		rc = insert_rounds(st, name, refs, n, err, errlen);
	if (rc != 0)
		return rollback(st);
	return run(st, "COMMIT", 0, NULL, NULL, err, errlen);
}

int bt_store_watch_lock(bt_store *st, const char *name, char *err, size_t errlen)
{
	bool got = false;
	if (run(st, "SELECT 1 WHERE pg_try_advisory_lock(hashtext('bt.watch/' || $1))", 1, &name, &got, err,
		errlen) != 0)
		return -1;
	if (!got)
		snprintf(err, errlen, "another watch named '%s' is running on this store (one process a name: "
			 "its state is its own)", name);
	return got ? 0 : -1;
}

int bt_store_watch_check(bt_store *st, char *err, size_t errlen)
{
	bool ok = false;
	if (run(st, "SELECT 1 WHERE has_table_privilege('bt.events', 'INSERT') "
		    "AND has_table_privilege('bt.watch_rounds', 'INSERT') "
		    "AND has_table_privilege('bt.watch_state', 'UPDATE') "
		    "AND has_table_privilege('bt.rounds', 'SELECT')", 0, NULL, &ok, err, errlen) != 0)
		return -1;
	if (!ok)
		snprintf(err, errlen, "permission denied for table events (watch takes a role in bt_watch: "
			 "doc/store.md)");
	return ok ? 0 : -1;
}
