/* bordertrace — what `watch` asks of the store (store.h, doc/store.md):
 * LISTEN on the channel migration 3's trigger notifies, waiting for it on
 * the connection's socket (no busy loop), and the watch-state tables: the
 * events already fired and the rounds already taken into account. */
#include "store_int.h"

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

/* Every notification that arrived, consumed: how many. */
static int drain(bt_store *st)
{
	int n = 0;
	PGnotify *nf;
	while ((nf = PQnotifies(st->conn)) != NULL) {
		PQfreemem(nf);
		n++;
	}
	return n;
}

int bt_store_wait_notify(bt_store *st, int timeout_ms, char *err, size_t errlen)
{
	if (!PQconsumeInput(st->conn)) {
		bt_store_pq_message(err, errlen, "connection to the store lost: ", PQerrorMessage(st->conn));
		return -1;
	}
	if (drain(st) > 0)
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
	return drain(st) > 0;
}

int bt_store_watch_fired(bt_store *st, const bt_watch_key *k, bool *fired, char *err, size_t errlen)
{
	const char *v[7] = { k->name, k->level, k->target, k->upstream, k->into, k->kind, k->round };
	return run(st, "SELECT 1 FROM bt.watch_fired WHERE name = $1 AND level = $2 AND target_network = $3 "
		       "AND upstream = $4 AND into_net = $5 AND kind = $6 AND round = $7",
		   7, v, fired, err, errlen);
}

int bt_store_watch_record(bt_store *st, const bt_watch_key *k, char *err, size_t errlen)
{
	const char *v[7] = { k->name, k->level, k->target, k->upstream, k->into, k->kind, k->round };
	return run(st, "INSERT INTO bt.watch_fired (name, level, target_network, upstream, into_net, kind, round) "
		       "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
		   7, v, NULL, err, errlen);
}

int bt_store_watch_rounds(bt_store *st, const char *name, const bt_store_round_ref *refs, size_t n,
			  char *err, size_t errlen)
{
	if (run(st, "BEGIN", 0, NULL, NULL, err, errlen) != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const char *v[4] = { name, refs[i].campaign, refs[i].vp, refs[i].round };
		if (run(st, "INSERT INTO bt.watch_rounds (name, campaign, vp, round) VALUES ($1, $2, $3, $4) "
			    "ON CONFLICT DO NOTHING", 4, v, NULL, err, errlen) != 0) {
			char why[256];
			run(st, "ROLLBACK", 0, NULL, NULL, why, sizeof(why));
			return -1;
		}
	}
	return run(st, "COMMIT", 0, NULL, NULL, err, errlen);
}

int bt_store_watch_check(bt_store *st, char *err, size_t errlen)
{
	bool ok = false;
	if (run(st, "SELECT 1 WHERE has_table_privilege('bt.watch_fired', 'INSERT') "
		    "AND has_table_privilege('bt.watch_rounds', 'INSERT') "
		    "AND has_table_privilege('bt.rounds', 'SELECT')", 0, NULL, &ok, err, errlen) != 0)
		return -1;
	if (!ok)
		snprintf(err, errlen, "permission denied for table watch_fired (watch takes a role in bt_watch: "
			 "doc/store.md)");
	return ok ? 0 : -1;
}
