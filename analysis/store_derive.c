/* bordertrace — fills the store's derived tables (doc/store.md): each
 * round not derived yet is read back from its blob, its border
 * observations computed (border_obs.h) and written with the mark that it
 * was derived, in one transaction. */
#include "store_int.h"
#include "bordertrace/border_obs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

struct round_key {
	char campaign[BT_ID_MAX], vp[BT_ID_MAX], round[BT_ID_MAX], start[40];
};

int bt_store_gunzip(const unsigned char *gz, size_t len, size_t raw, char **out, char *err, size_t errlen)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	*out = raw <= BT_STORE_RAW_MAX ? malloc(raw + 1) : NULL;
	if (*out == NULL || inflateInit2(&z, 15 + 16) != Z_OK) {
		free(*out);
		*out = NULL;
		snprintf(err, errlen, "out of memory (a round of %zu bytes)", raw);
		return -1;
	}
	z.next_in = (Bytef *)gz;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)*out;
	z.avail_out = (uInt)raw + 1;
	int rc = inflate(&z, Z_FINISH);
	size_t got = z.total_out;
	inflateEnd(&z);
	if (rc != Z_STREAM_END || got != raw) {
		free(*out);
		*out = NULL;
		snprintf(err, errlen, "the stored blob does not gunzip to its %zu bytes", raw);
		return -1;
	}
	(*out)[raw] = '\0';
	return 0;
}

/* The oldest round not derived yet: 1 and its bytes, 0 none left, -1 error. */
static int next_round(bt_store *st, struct round_key *k, char **raw, size_t *len, char *err, size_t errlen)
{
	PGresult *r = PQexecParams(st->conn,
		"SELECT campaign, vp, round, first_start::text, raw_bytes::text, gz FROM bt.rounds r "
		"WHERE NOT EXISTS (SELECT 1 FROM bt.derived d WHERE d.campaign = r.campaign "
		"AND d.vp = r.vp AND d.round = r.round) ORDER BY first_start, campaign, vp, round LIMIT 1",
		0, NULL, NULL, NULL, NULL, 1);
	int rc = -1;
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		bt_store_pq_message(err, errlen, "", PQresultErrorMessage(r));
	} else if (PQntuples(r) == 0) {
		rc = 0;
	} else {
		snprintf(k->campaign, sizeof(k->campaign), "%s", PQgetvalue(r, 0, 0));
		snprintf(k->vp, sizeof(k->vp), "%s", PQgetvalue(r, 0, 1));
		snprintf(k->round, sizeof(k->round), "%s", PQgetvalue(r, 0, 2));
		snprintf(k->start, sizeof(k->start), "%s", PQgetvalue(r, 0, 3));
		*len = strtoull(PQgetvalue(r, 0, 4), NULL, 10);
		char why[256];
		rc = bt_store_gunzip((const unsigned char *)PQgetvalue(r, 0, 5), (size_t)PQgetlength(r, 0, 5), *len, raw,
			    why, sizeof(why)) == 0 ? 1 : -1;
		if (rc < 0)
			snprintf(err, errlen, "round %s/%s/%s: %s", k->campaign, k->vp, k->round, why);
	}
	PQclear(r);
	return rc;
}

static int exec_params(bt_store *st, const char *sql, int n, const char *const *v, char *err, size_t errlen)
{
	PGresult *r = PQexecParams(st->conn, sql, n, NULL, v, NULL, NULL, 0);
	ExecStatusType s = PQresultStatus(r);
	int rc = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK ? 0 : -1;
	if (rc != 0)
		bt_store_pq_message(err, errlen, "", PQresultErrorMessage(r));
	PQclear(r);
	return rc;
}

static int write_obs(bt_store *st, const struct round_key *k, const bt_obs_set *s, char *err, size_t errlen)
{
	const char *key[4] = { k->campaign, k->vp, k->round, k->start };
	int rc = exec_params(st, "BEGIN", 0, NULL, err, errlen);
	if (rc == 0)
		rc = exec_params(st, "INSERT INTO bt.derived (campaign, vp, round) VALUES ($1, $2, $3)", 3, key,
				 err, errlen);
	if (rc == 0 && s->n > 0) /* the month's partition of border_obs (migration 4) */
		rc = exec_params(st, "SELECT bt.border_obs_month($1::timestamptz)", 1, key + 3, err, errlen);
	for (size_t i = 0; i < s->n && rc == 0; i++) {
		const bt_obs *o = &s->v[i];
		char up[12], into[12], traces[12], flows[12];
		snprintf(up, sizeof(up), "%u", o->up_asn);
		snprintf(into, sizeof(into), "%u", o->into_asn);
		snprintf(traces, sizeof(traces), "%u", o->traces);
		snprintf(flows, sizeof(flows), "%u", o->flows);
		const char *v[12] = { k->campaign, k->vp, k->round, k->start, o->country ? "country" : "as",
				      o->target, up, o->up_cc, into, o->into_cc, traces, flows };
		rc = exec_params(st, "INSERT INTO bt.border_obs (campaign, vp, round, round_start, level, "
				 "target_network, upstream_as, upstream_country, into_as, into_country, traces, "
				 "flows) VALUES ($1, $2, $3, $4::timestamptz, $5, $6, $7::bigint, $8, $9::bigint, "
				 "$10, $11::integer, $12::integer)", 12, v, err, errlen);
	}
	if (rc == 0)
		rc = exec_params(st, "COMMIT", 0, NULL, err, errlen);
	if (rc != 0) {
		char ignored[64];
		exec_params(st, "ROLLBACK", 0, NULL, ignored, sizeof(ignored));
	}
	return rc;
}

int bt_store_derive(bt_store *st, bt_resolve_fn resolve, void *ctx, size_t *rounds, size_t *rows,
		    char *err, size_t errlen)
{
	*rounds = *rows = 0;
	for (;;) {
		struct round_key k;
		char *raw = NULL, why[768];
		size_t len = 0;
		int more = next_round(st, &k, &raw, &len, why, sizeof(why));
		if (more <= 0) {
			if (more < 0)
				snprintf(err, errlen, "%s", why);
			return more;
		}
		char name[3 * BT_ID_MAX + 16];
		snprintf(name, sizeof(name), "round %s/%s/%s", k.campaign, k.vp, k.round);
		bt_obs_set s = { 0 };
		int rc = bt_obs_from_round(&s, name, raw, len, resolve, ctx, why, sizeof(why));
		free(raw);
		if (rc == 0 && write_obs(st, &k, &s, why, sizeof(why)) == 0) {
			(*rounds)++;
			*rows += s.n;
		} else {
			snprintf(err, errlen, "%s%s%s", rc == 0 ? name : "", rc == 0 ? ": " : "", why);
			rc = -1;
		}
		bt_obs_set_free(&s);
		if (rc != 0)
			return -1;
	}
}
