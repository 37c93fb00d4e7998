/* bordertrace — the store's connection, migrations and uploads over libpq
 * (store.h, doc/store.md). Every value goes in as a query parameter; the
 * only SQL text built here is the fixed text of the migrations. */
#include "store_int.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* One lock key for every migration, so that two `db migrate` take turns. */
#define MIGRATE_LOCK "SELECT pg_advisory_xact_lock(7362915012)"

const char *bt_store_conninfo_problem(const char *conninfo, char *buf, size_t len)
{
	char *perr = NULL;
	PQconninfoOption *o = PQconninfoParse(conninfo, &perr);
	if (o == NULL) {
		snprintf(buf, len, "%s", perr ? perr : "out of memory");
		size_t n = strlen(buf);
		while (n > 0 && buf[n - 1] == '\n')
			buf[--n] = '\0';
		PQfreemem(perr);
		return buf;
	}
	const char *why = NULL;
	for (PQconninfoOption *p = o; p->keyword != NULL; p++)
		if (strcmp(p->keyword, "password") == 0 && p->val != NULL && p->val[0] != '\0')
			why = "a password in the connection string (it would show in the process list: "
			      "put it in ~/.pgpass or PGPASSFILE, doc/store.md)";
	PQconninfoFree(o);
	return why;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
	while (nanosleep(&ts, &ts) != 0)
		;
}

/* Copies libpq's message without its trailing line ends. */
void bt_store_pq_message(char *err, size_t errlen, const char *what, const char *msg)
{
	snprintf(err, errlen, "%s%s", what, msg ? msg : "");
	size_t n = strlen(err);
	while (n > 0 && (err[n - 1] == '\n' || err[n - 1] == ' '))
		err[--n] = '\0';
	for (char *p = err; *p; p++)
		if (*p == '\n')
			*p = ' ';
}

/* Whether a server answers at all. With sslmode=prefer: a certificate that
 * fails verify-full is our refusal, not the server being away, and must not
 * be waited out (the ping sends no password, only the startup packet). */
static PGPing ping_server(const char *conninfo)
{
	const char *const keys[] = { "dbname", "sslmode", NULL };
	const char *const vals[] = { conninfo, "prefer", NULL };
	return PQpingParams(keys, vals, 1);
}

/* Connects, waiting with back-off while the server does not answer or is
 * starting up (after a crash it replays its log first); a refusal
 * (authentication, no such database) is not waited out. */
int bt_store_reconnect(bt_store *st, char *err, size_t errlen)
{
	double deadline = now_s() + st->retry_s, wait = 0.5;
	if (st->conn != NULL) {
		PQfinish(st->conn);
		st->conn = NULL;
	}
	for (;;) {
		PGconn *c = PQconnectdb(st->conninfo);
		if (PQstatus(c) == CONNECTION_OK) {
			st->conn = c;
			return 0;
		}
		bt_store_pq_message(err, errlen, "cannot connect to the store: ", PQerrorMessage(c));
		PQfinish(c);
		PGPing ping = ping_server(st->conninfo);
		if (ping != PQPING_NO_RESPONSE && ping != PQPING_REJECT)
			return -1;
		if (now_s() + wait > deadline)
			return -1;
		sleep_s(wait);
		wait = wait * 2 > 30 ? 30 : wait * 2;
	}
}

bt_store *bt_store_connect(const char *conninfo, double retry_s, char *err, size_t errlen)
{
	bt_store *st = calloc(1, sizeof(*st));
	if (st == NULL || (st->conninfo = strdup(conninfo)) == NULL) {
		free(st);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	st->retry_s = retry_s;
	if (bt_store_reconnect(st, err, errlen) != 0) {
		bt_store_close(st);
		return NULL;
	}
	return st;
}

void bt_store_close(bt_store *st)
{
	if (st == NULL)
		return;
	if (st->conn != NULL)
		PQfinish(st->conn);
	free(st->conninfo);
	free(st);
}

/* Runs a command without parameters; 0, or -1 with the server's message. */
static int exec_ok(bt_store *st, const char *sql, char *err, size_t errlen)
{
	PGresult *r = PQexec(st->conn, sql);
	ExecStatusType s = PQresultStatus(r);
	int rc = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK ? 0 : -1;
	if (rc != 0)
		bt_store_pq_message(err, errlen, "", PQresultErrorMessage(r));
	PQclear(r);
	return rc;
}

/* The schema's version; NO_SCHEMA when there is no bt.schema_version, -2
 * on error. */
#define NO_SCHEMA (-1)
static int schema_version(bt_store *st, char *err, size_t errlen)
{
	static const char *const q[] = {
		"SELECT to_regclass('bt.schema_version') IS NOT NULL",
		"SELECT coalesce(max(version), 0) FROM bt.schema_version",
	};
	int v = -2;
	for (int i = 0; i < 2; i++) {
		PGresult *r = PQexec(st->conn, q[i]);
		bool ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
		if (!ok)
			bt_store_pq_message(err, errlen, "", PQresultErrorMessage(r));
		else if (i == 0 && strcmp(PQgetvalue(r, 0, 0), "t") != 0)
			v = NO_SCHEMA;
		else if (i == 1)
			v = atoi(PQgetvalue(r, 0, 0));
		PQclear(r);
		if (!ok || v == NO_SCHEMA)
			break;
	}
	return v;
}

int bt_store_check_schema(bt_store *st, char *err, size_t errlen)
{
	int v = schema_version(st, err, errlen), want = bt_store_schema_version();
	if (v == NO_SCHEMA)
		snprintf(err, errlen, "no bordertrace schema in this database (run 'bordertrace db init' first)");
	else if (v >= 0 && v < want)
		snprintf(err, errlen, "the schema is at version %d, older than this program's %d: "
			 "the store's owner runs 'bordertrace db migrate'", v, want);
	else if (v > want)
		snprintf(err, errlen, "the schema is at version %d, newer than this program's %d: "
			 "use a newer bordertrace", v, want);
	return v == want ? 0 : -1;
}

/* Migration n in its own transaction, unless another migrate did it. */
static int apply(bt_store *st, int n, char *err, size_t errlen)
{
	char ins[96], why[512];
	snprintf(ins, sizeof(ins), "INSERT INTO bt.schema_version (version) VALUES (%d)", n);
	if (exec_ok(st, "BEGIN", err, errlen) != 0)
		return -1;
	int v;
	if (exec_ok(st, MIGRATE_LOCK, why, sizeof(why)) != 0 ||
	    (v = schema_version(st, why, sizeof(why))) < NO_SCHEMA ||
	    (v < n && (exec_ok(st, bt_store_migration(n), why, sizeof(why)) != 0 ||
		       exec_ok(st, ins, why, sizeof(why)) != 0)) ||
	    exec_ok(st, "COMMIT", why, sizeof(why)) != 0) {
		snprintf(err, errlen, "migration %d: %s (nothing of it applied)", n, why);
		exec_ok(st, "ROLLBACK", why, sizeof(why));
		return -1;
	}
	return 0;
}

int bt_store_migrate(bt_store *st, int *from, int *to, char *err, size_t errlen)
{
	int v = schema_version(st, err, errlen);
	*from = *to = v;
	if (v < NO_SCHEMA)
		return -1;
	if (v == NO_SCHEMA) {
		snprintf(err, errlen, "no bordertrace schema in this database (run 'bordertrace db init' first)");
		return -1;
	}
	if (v > bt_store_schema_version()) {
		snprintf(err, errlen, "the schema is at version %d, newer than this program's %d: "
			 "use a newer bordertrace", v, bt_store_schema_version());
		return -1;
	}
	for (int n = v + 1; n <= bt_store_schema_version(); n++) {
		if (apply(st, n, err, errlen) != 0)
			return -1;
		*to = n;
	}
	return 0;
}

int bt_store_init(bt_store *st, int *to, char *err, size_t errlen)
{
	char why[512];
	*to = 0;
	if (exec_ok(st, "BEGIN", err, errlen) != 0)
		return -1;
	if (exec_ok(st, MIGRATE_LOCK, why, sizeof(why)) != 0 ||
	    exec_ok(st, "CREATE SCHEMA bt; "
			"CREATE TABLE bt.schema_version (version integer PRIMARY KEY, "
			"applied timestamptz NOT NULL DEFAULT now())", why, sizeof(why)) != 0 ||
	    exec_ok(st, "COMMIT", why, sizeof(why)) != 0) {
		snprintf(err, errlen, "%s%s", why,
			 strstr(why, "already exists") ? " (the store is set up: 'bordertrace db migrate' updates it)" : "");
		exec_ok(st, "ROLLBACK", why, sizeof(why));
		return -1;
	}
	int from;
	return bt_store_migrate(st, &from, to, err, errlen);
}
