/* bordertrace — reads rounds back from the store for diff, export and
 * report --db (doc/store.md): the list a filter selects, in the order a
 * directory walk over the same files would read them, then each round's
 * blob gunzipped. Every value goes in as a query parameter. */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void bt_store_round_name(const bt_store_round_ref *r, char *buf, size_t len)
{
	snprintf(buf, len, "round %s/%s/%s", r->campaign, r->vp, r->round);
}

/* A directory walk sorts each directory's names: the same as comparing the
 * paths with '/' below every other character. */
static int cmp_paths(const char *a, const char *b)
{
	for (;; a++, b++) {
		unsigned ca = *a == '/' ? 1 : (unsigned char)*a, cb = *b == '/' ? 1 : (unsigned char)*b;
		if (ca != cb || ca == 0)
			return (ca > cb) - (ca < cb);
	}
}

static int cmp_refs(const void *pa, const void *pb)
{
	const bt_store_round_ref *a = pa, *b = pb;
	int c = cmp_paths(a->file, b->file);
	if (c == 0)
		c = strcmp(a->campaign, b->campaign);
	if (c == 0)
		c = strcmp(a->vp, b->vp);
	return c ? c : strcmp(a->round, b->round);
}

void bt_store_round_refs_free(bt_store_round_ref *v, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++)
		free(v[i].file);
	free(v);
}

/* The filter's VPs as one parameter, a line each (an id holds no line end). */
static char *vp_lines(const bt_store_filter *f)
{
	size_t len = 1;
	for (size_t i = 0; i < f->nvps; i++)
		len += strlen(f->vps[i]) + 1;
	char *s = malloc(len), *p = s;
	for (size_t i = 0; s != NULL && i < f->nvps; i++)
		p += sprintf(p, "%s%s", i ? "\n" : "", f->vps[i]);
	if (s != NULL)
		*p = '\0';
	return s;
}

static int refs_from(PGresult *r, bt_store_round_ref **out, size_t *n, char *err, size_t errlen)
{
	size_t rows = (size_t)PQntuples(r);
	bt_store_round_ref *v = calloc(rows ? rows : 1, sizeof(*v));
	for (size_t i = 0; v != NULL && i < rows; i++) {
		snprintf(v[i].campaign, sizeof(v[i].campaign), "%s", PQgetvalue(r, (int)i, 0));
		snprintf(v[i].vp, sizeof(v[i].vp), "%s", PQgetvalue(r, (int)i, 1));
		snprintf(v[i].round, sizeof(v[i].round), "%s", PQgetvalue(r, (int)i, 2));
		v[i].watched = PQgetvalue(r, (int)i, 4)[0] == 't';
		if ((v[i].file = strdup(PQgetvalue(r, (int)i, 3))) == NULL) {
			bt_store_round_refs_free(v, i);
			v = NULL;
		}
	}
	if (v == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	qsort(v, rows, sizeof(*v), cmp_refs);
	*out = v;
	*n = rows;
	return 0;
}

/* The filter's selection; with f->watch, of those the rounds that watch
 * has not taken in (only the notified ones, with f->notified) and the open
 * ones it took in (round id after f->after, by bytes as strcmp orders). */
static const char list_sql[] =
	"SELECT campaign, vp, round, file, false FROM bt.rounds "
	"WHERE ($1::text IS NULL OR campaign = $1) "
	"AND ($2::text IS NULL OR vp = ANY (string_to_array($2, E'\\n'))) "
	"AND ($3::timestamptz IS NULL OR first_start >= $3) "
	"AND ($4::timestamptz IS NULL OR first_start < $4)";
static const char watch_sql[] =
	"WITH k AS (SELECT split_part(l, '/', 1) c, split_part(l, '/', 2) v, split_part(l, '/', 3) r "
	"  FROM unnest(string_to_array($7, E'\\n')) l WHERE l <> ''), "
	"s AS (SELECT campaign, vp, round, r.file, r.first_start, true AS watched "
	"  FROM bt.watch_rounds w JOIN bt.rounds r USING (campaign, vp, round) "
	"  WHERE w.name = $5 AND w.round COLLATE \"C\" > $6 "
	"  UNION ALL SELECT r.campaign, r.vp, r.round, r.file, r.first_start, false FROM bt.rounds r "
	"  WHERE ($7::text IS NULL OR (r.campaign, r.vp, r.round) IN (SELECT c, v, r FROM k)) "
	"  AND NOT EXISTS (SELECT 1 FROM bt.watch_rounds w WHERE w.name = $5 AND w.campaign = r.campaign "
	"    AND w.vp = r.vp AND w.round = r.round)) "
	"SELECT campaign, vp, round, file, watched FROM s "
	"WHERE ($1::text IS NULL OR campaign = $1) "
	"AND ($2::text IS NULL OR vp = ANY (string_to_array($2, E'\\n'))) "
	"AND ($3::timestamptz IS NULL OR first_start >= $3) "
	"AND ($4::timestamptz IS NULL OR first_start < $4)";

int bt_store_list_rounds(bt_store *st, const bt_store_filter *f, bt_store_round_ref **out, size_t *n,
			 char *err, size_t errlen)
{
	*out = NULL;
	*n = 0;
	char *vps = f->nvps ? vp_lines(f) : NULL;
	if (f->nvps && vps == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	const char *v[7] = { f->campaign, vps, f->since, f->until, f->watch, f->after ? f->after : "", f->notified };
	PGresult *r = PQexecParams(st->conn, f->watch ? watch_sql : list_sql, f->watch ? 7 : 4, NULL, v, NULL, NULL,
				   0);
	int rc = -1;
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		bt_store_pq_message(err, errlen, "", PQresultErrorMessage(r));
	else
		rc = refs_from(r, out, n, err, errlen);
	PQclear(r);
	free(vps);
	return rc;
}

int bt_store_fetch_round(bt_store *st, const bt_store_round_ref *ref, char **raw, size_t *len, char *err,
			 size_t errlen)
{
	const char *v[3] = { ref->campaign, ref->vp, ref->round };
	PGresult *r = PQexecParams(st->conn,
		"SELECT raw_bytes::text, gz FROM bt.rounds WHERE campaign = $1 AND vp = $2 AND round = $3",
		3, NULL, v, NULL, NULL, 1);
	char name[3 * BT_ID_MAX + 16], why[512];
	int rc = -1;
	bt_store_round_name(ref, name, sizeof(name));
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		bt_store_pq_message(why, sizeof(why), "", PQresultErrorMessage(r));
	} else if (PQntuples(r) != 1) {
		snprintf(why, sizeof(why), "no longer in the store");
	} else {
		*len = strtoull(PQgetvalue(r, 0, 0), NULL, 10);
		rc = bt_store_gunzip((const unsigned char *)PQgetvalue(r, 0, 1), (size_t)PQgetlength(r, 0, 1),
				     *len, raw, why, sizeof(why));
	}
	if (rc != 0)
		snprintf(err, errlen, "%s: %s", name, why);
	PQclear(r);
	return rc;
}

int bt_store_read_only(bt_store *st, char *err, size_t errlen)
{
	PGresult *r = PQexec(st->conn, "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY");
	int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : -1;
	if (rc != 0)
		bt_store_pq_message(err, errlen, "", PQresultErrorMessage(r));
	PQclear(r);
	return rc;
}
