/* bordertrace — one round into the store in one transaction (store.h):
 * present with the same hash is a no-op, another hash a refusal, a lost
 * server a reconnection and a new try. Values go in as parameters only. */
#include "store_int.h"

#include <stdio.h>
#include <string.h>

enum step { STEP_OK, STEP_AWAY, STEP_FAIL, STEP_RACE };

/* The server went away (connection lost, shutting down, crashed), as
 * opposed to refusing what we sent. */
static bool server_away(const bt_store *st, const PGresult *r)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	return PQstatus(st->conn) == CONNECTION_BAD || state == NULL ||
	       strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0;
}

static enum step run(bt_store *st, const char *sql, int n, const char *const *v, const int *len,
		     const int *fmt, PGresult **out, char *err, size_t errlen)
{
	PGresult *r = PQexecParams(st->conn, sql, n, NULL, v, len, fmt, 1);
	ExecStatusType s = PQresultStatus(r);
	if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK) {
		if (out != NULL)
			*out = r;
		else
			PQclear(r);
		return STEP_OK;
	}
	enum step e = server_away(st, r) ? STEP_AWAY : STEP_FAIL;
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	if (state != NULL && strcmp(state, "23505") == 0)
		e = STEP_RACE; /* the same round committed meanwhile by another push */
	bt_store_pq_message(err, errlen, "", e == STEP_AWAY ? PQerrorMessage(st->conn)
							    : PQresultErrorMessage(r));
	PQclear(r);
	return e;
}

static void hex(const unsigned char *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

/* The stored hash of the round if there is one: 1 same, 0 absent, and
 * STEP_FAIL with the refusal written to err for another hash. */
static enum step compare_stored(bt_store *st, const char *file, const bt_round_summary *s,
				int *present, char *err, size_t errlen)
{
	const char *v[3] = { s->campaign, s->vp, s->round };
	PGresult *r;
	enum step e = run(st, "SELECT sha256 FROM bt.rounds WHERE campaign = $1 AND vp = $2 AND round = $3",
			  3, v, NULL, NULL, &r, err, errlen);
	if (e != STEP_OK)
		return e;
	*present = PQntuples(r) == 1;
	if (*present && (PQgetlength(r, 0, 0) != 32 || memcmp(PQgetvalue(r, 0, 0), s->sha256, 32) != 0)) {
		char there[65] = "?", here[65];
		if (PQgetlength(r, 0, 0) == 32)
			hex((const unsigned char *)PQgetvalue(r, 0, 0), 32, there);
		hex(s->sha256, 32, here);
		snprintf(err, errlen, "%s: round %s/%s/%s is in the store with other content "
			 "(sha256 %.16s... there, %.16s... here): not replaced", file, s->campaign, s->vp,
			 s->round, there, here);
		e = STEP_FAIL;
	}
	PQclear(r);
	return e;
}

static enum step insert(bt_store *st, const char *file, const bt_round_summary *s, char *err,
			size_t errlen)
{
	char first[40], last[40], traces[16], raw[24];
	bt_time_format(s->first_start_us, first, sizeof(first));
	bt_time_format(s->last_end_us, last, sizeof(last));
	snprintf(traces, sizeof(traces), "%u", s->traces);
	snprintf(raw, sizeof(raw), "%zu", s->raw_bytes);
	const char *v[10] = { s->campaign, s->vp, s->round, file, first, last, traces, raw,
			      (const char *)s->sha256, (const char *)s->gz };
	int len[10] = { 0, 0, 0, 0, 0, 0, 0, 0, 32, (int)s->gz_len };
	int fmt[10] = { 0, 0, 0, 0, 0, 0, 0, 0, 1, 1 };
	enum step e = run(st, "INSERT INTO bt.campaigns (id) VALUES ($1) ON CONFLICT DO NOTHING",
			  1, v, NULL, NULL, NULL, err, errlen);
	if (e != STEP_OK)
		return e;
	return run(st, "INSERT INTO bt.rounds (campaign, vp, round, file, first_start, last_end, "
		       "traces, raw_bytes, sha256, gz) VALUES ($1, $2, $3, $4, $5::timestamptz, "
		       "$6::timestamptz, $7::integer, $8::bigint, $9::bytea, $10::bytea)",
		   10, v, len, fmt, NULL, err, errlen);
}

static enum step push_once(bt_store *st, const char *file, const bt_round_summary *s,
			   int *present, char *err, size_t errlen)
{
	enum step e = run(st, "BEGIN", 0, NULL, NULL, NULL, NULL, err, errlen);
	if (e == STEP_OK)
		e = compare_stored(st, file, s, present, err, errlen);
	if (e == STEP_OK && !*present)
		e = insert(st, file, s, err, errlen);
	if (e == STEP_OK)
		e = run(st, "COMMIT", 0, NULL, NULL, NULL, NULL, err, errlen);
	if (e != STEP_OK && e != STEP_AWAY) {
		char ignored[64];
		run(st, "ROLLBACK", 0, NULL, NULL, NULL, NULL, ignored, sizeof(ignored));
	}
	return e;
}

enum bt_push_result bt_store_push(bt_store *st, const char *file, const bt_round_summary *s,
				  char *err, size_t errlen)
{
	if (s->gz_len > 0x7fffffff) {
		snprintf(err, errlen, "%s: %zu bytes gzip'd: too large for one round", file, s->gz_len);
		return BT_PUSH_REFUSED;
	}
	/* A lost server costs a reconnection (itself bounded in time) and a
	 * new try: the transaction it cut was rolled back, or committed just
	 * before, which the new try then finds. */
	for (int tries = 0; tries < 20; tries++) {
		int present = 0;
		enum step e = push_once(st, file, s, &present, err, errlen);
		if (e == STEP_OK)
			return present ? BT_PUSH_PRESENT : BT_PUSH_ADDED;
		if (e == STEP_FAIL) {
			if (strncmp(err, file, strlen(file)) != 0) {
				char why[768];
				snprintf(why, sizeof(why), "%s", err);
				snprintf(err, errlen, "%s: the store refused round %s/%s/%s: %s", file,
					 s->campaign, s->vp, s->round, why);
			}
			return BT_PUSH_REFUSED;
		}
		if (e == STEP_AWAY) {
			if (bt_store_reconnect(st, err, errlen) != 0)
				return BT_PUSH_AWAY;
			st->lost++;
		}
		/* STEP_RACE: another push committed the round; the next try finds it */
	}
	snprintf(err, errlen, "%s: gave up after 20 tries (the connection kept breaking, or another push kept taking the round)", file);
	return BT_PUSH_AWAY;
}

unsigned bt_store_reconnects(const bt_store *st)
{
	return st->lost;
}
