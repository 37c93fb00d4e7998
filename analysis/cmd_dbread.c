/* bordertrace diff / export / report --db URL — the rounds read from the
 * store (doc/store.md) instead of files: the ones --campaign, --vp, --since
 * and --until select, in the order a directory walk over the paths push
 * recorded would read them, each gunzipped and fed to the pipeline as that
 * file would be. The session is read-only; reading the blobs takes a role
 * in bt_analyst (row-level security keeps a VP to its own rounds, and its
 * role may not read blobs at all). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bordertrace/cli.h"
#include "bordertrace/id.h"
#include "commands.h"

static int set_time(const char *cmd, const char *opt, const char *v, char *out, const char **field)
{
	int64_t us;
	if (bt_time_parse(v, &us) != 0 || bt_time_format(us, out, BT_TIME_STRLEN) == NULL) {
		bt_cmd_usage_error(cmd, "%s: '%s' is not a UTC time like 2026-12-01T00:00:00Z", opt, v);
		return -1;
	}
	*field = out;
	return 1;
}

static int set_id(const char *cmd, const char *opt, const char *v)
{
	const char *why = bt_id_problem(v);
	if (why != NULL)
		bt_cmd_usage_error(cmd, "%s: '%s' is not an id: %s", opt, v, why);
	return why ? -1 : 1;
}

int bt_cmd_dbsrc_option(const char *cmd, bt_cmd_dbsrc *d, int c, const char *v, int argc)
{
	char why[1024];
	const char *bad;
	switch (c) {
	case BT_OPT_DB:
		if ((bad = bt_store_conninfo_problem(v, why, sizeof(why))) != NULL) {
			bt_cmd_usage_error(cmd, "--db: %s", bad);
			return -1;
		}
		d->url = v;
		return 1;
	case BT_OPT_CAMPAIGN:
		d->f.campaign = v;
		return set_id(cmd, "--campaign", v);
	case BT_OPT_VP:
		if (d->vps == NULL && (d->vps = calloc((size_t)argc, sizeof(*d->vps))) == NULL) {
			fprintf(stderr, "bordertrace %s: out of memory\n", cmd);
			return -1;
		}
		d->vps[d->f.nvps++] = v;
		d->f.vps = d->vps;
		return set_id(cmd, "--vp", v);
	case BT_OPT_SINCE: return set_time(cmd, "--since", v, d->since, &d->f.since);
	case BT_OPT_UNTIL: return set_time(cmd, "--until", v, d->until, &d->f.until);
	}
	return 0;
}

int bt_cmd_dbsrc_check(const char *cmd, const bt_cmd_dbsrc *d, int nrounds)
{
	if (d->url == NULL && (d->f.campaign || d->f.nvps || d->f.since || d->f.until))
		return bt_cmd_usage_error(cmd, "--campaign, --vp, --since and --until select rounds of --db URL");
	if (d->url != NULL && nrounds > 0)
		return bt_cmd_usage_error(cmd, "--db reads the rounds from the store: no ROUNDS as well");
	if (d->url == NULL && nrounds == 0)
		return bt_cmd_usage_error(cmd, "no round files given");
	return -1;
}

/* The server's reason, with a hint when the role may not read. */
static void db_error(const char *cmd, const char *err)
{
	fprintf(stderr, "bordertrace %s: store: %s%s\n", cmd, err,
		strstr(err, "permission denied") ? " (reading rounds takes a role in bt_analyst: doc/store.md)" : "");
}

int bt_cmd_dbsrc_open(const char *cmd, bt_cmd_dbsrc *d)
{
	char err[2048];
	if ((d->st = bt_store_connect(d->url, 0, err, sizeof(err))) == NULL ||
	    bt_store_read_only(d->st, err, sizeof(err)) != 0 || bt_store_check_schema(d->st, err, sizeof(err)) != 0 ||
	    bt_store_list_rounds(d->st, &d->f, &d->refs, &d->nrefs, err, sizeof(err)) != 0) {
		db_error(cmd, err);
		return BT_EXIT_DATA;
	}
	if (d->nrefs == 0) {
		fprintf(stderr, "bordertrace %s: store: no rounds%s\n", cmd,
			d->f.campaign || d->f.nvps || d->f.since || d->f.until
				? " that --campaign, --vp, --since and --until select" : "");
		return BT_EXIT_DATA;
	}
	return 0;
}

/* Round ref i into the pipeline: its graph (scan) or its traces. */
static int feed_one(bt_cmd_dbsrc *d, size_t i, bool scan, bt_pipeline *p, char *err, size_t errlen)
{
	char *raw = NULL, name[3 * BT_ID_MAX + 16];
	size_t len = 0;
	bt_store_round_name(&d->refs[i], name, sizeof(name));
	int rc = bt_store_fetch_round(d->st, &d->refs[i], &raw, &len, err, errlen);
	if (rc == 0)
		rc = scan ? bt_pipeline_scan_buffer(p, name, raw, len, err, errlen)
			  : bt_pipeline_add_buffer(p, name, raw, len, err, errlen);
	free(raw);
	return rc;
}

/* The name of the file a round was pushed from, without directories: the
 * files of one name are one round (bt_pipeline_flush). */
static const char *base_of(const bt_store_round_ref *r)
{
	const char *f = r->file ? r->file : r->round, *slash = strrchr(f, '/');
	return slash ? slash + 1 : f;
}

/* Owners on: the rounds as the files would be read (bt_pipeline_flush):
 * each round's blobs, every VP's, fetched twice: once for the round's
 * graph, once through the path-diff; the rounds in the order of their
 * first blob. */
static int feed_rounds(bt_cmd_dbsrc *d, bt_pipeline *p, char *err, size_t errlen)
{
	bool *done = calloc(d->nrefs ? d->nrefs : 1, sizeof(*done));
	int rc = done == NULL ? -1 : 0;
	if (done == NULL)
		snprintf(err, errlen, "out of memory");
	for (size_t g = 0; g < d->nrefs && rc == 0; g++) {
		if (done[g])
			continue;
		const char *base = base_of(&d->refs[g]);
		bt_pipeline_begin_round(p);
		for (int pass = 0; pass < 2 && rc == 0; pass++)
			for (size_t i = g; i < d->nrefs && rc == 0; i++)
				if (!done[i] && strcmp(base_of(&d->refs[i]), base) == 0)
					rc = feed_one(d, i, pass == 0, p, err, errlen);
		for (size_t i = g; i < d->nrefs; i++)
			done[i] |= strcmp(base_of(&d->refs[i]), base) == 0;
		bt_pipeline_end_round(p);
	}
	free(done);
	return rc;
}

int bt_cmd_dbsrc_feed(bt_cmd_dbsrc *d, bt_pipeline *p, char *err, size_t errlen)
{
	if (bt_pipeline_owners_on(p))
		return feed_rounds(d, p, err, errlen);
	for (size_t i = 0; i < d->nrefs; i++)
		if (feed_one(d, i, false, p, err, errlen) != 0)
			return -1;
	return 0;
}

void bt_cmd_dbsrc_close(bt_cmd_dbsrc *d)
{
	bt_store_round_refs_free(d->refs, d->nrefs);
	bt_store_close(d->st);
	free(d->vps);
	d->refs = NULL;
	d->st = NULL;
	d->vps = NULL;
}
