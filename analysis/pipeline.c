/* bordertrace — the analysis pipeline (see include/bordertrace/pipeline.h). */
#include "bordertrace/pipeline.h"
#include "bordertrace/input.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "bordertrace/csv.h"
#include "bordertrace/routes.h"
#include "bordertrace/owner.h"
#include "bordertrace/hash.h"
#include "bordertrace/trace.h"
#include "seen.h"

enum { F_HOPS, F_TRACES, F_BORDERS, F_EVENTS, F_DIV, F_COUNT };

static const char *const HOPS_COLS[] = { "trace_id", "vp", "round", "target", "ttl", "addr", "rtt_ms",
	"reply_ttl", "icmp_type", "icmp_code", "class", "prefix", "asn", "origins", "org", "country", "ixp",
	"copied", "attempt", "flow" };
static const char *const TRACES_COLS[] = { "trace_id", "vp", "campaign", "round", "method", "flow", "src",
	"target", "target_prefix", "target_asn", "target_country", "start", "end", "stop", "stop_ttl",
	"probes", "hops", "replies", "as_path", "country_path", "upstream_asn", "upstream_country",
	"reached_target_as", "loop_collapsed", "moas_resolved", "filled_below_ttl" };
static const char *const BORDERS_COLS[] = { "trace_id", "vp", "round", "target", "kind", "index",
	"near_ttl", "near_addr", "near_asn", "near_country", "far_ttl", "far_addr", "far_asn",
	"far_country", "across_silent", "ixp", "into_target", "flows" };
const char *const bt_events_cols[] = { "event", "level", "aggregate", "target_network", "upstream",
	"upstream_country", "into", "round", "first_seen", "last_seen", "rounds_seen", "traces", "vps",
	"evidence", "flows", "flows_routed", "flow_share" };
static const char *const DIV_COLS[] = { "aggregate", "target_network", "round", "level", "upstream",
	"upstream_country", "into", "traces", "routed", "observed", "share", "upstreams", "flows",
	"flows_routed", "flow_share" };

#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))

/* Address -> resolution, so that the millions of repeated hop addresses
 * cost one database lookup each. The table holds the key and the index of
 * its resolution in vals (about 1 KB each, in the order resolved): a hit
 * reads one small slot and one dense value, not a slot a kilobyte wide
 * in a table of tens of MB (a TLB miss a hop). */
#define RECENT 2048     /* addresses met lately, remembered (a power of two) */

typedef struct cslot {
	bt_addr key;
	bool used;
	uint32_t val;
} cslot;

/* An address met lately (resolve_recent): its slot and a copy of its
 * info, so that a hit reads nothing of the big arrays. */
typedef struct rslot {
	cslot s;
	bt_hopinfo info;
} rslot;

/* The hops.csv cells of an address that do not depend on the trace:
 * formatted once per address, only when exporting. */
typedef struct hopcsv {
	char addr[BT_ADDR_STRLEN];
	char tail[512];
	uint16_t addr_len, tail_len; /* tail_len UINT16_MAX: cell by cell (write_hop_tail) */
} hopcsv;

struct bt_pipeline {
	bt_pipeline_opts o;
	bt_diff *diff;
	bt_csv csv[F_COUNT];
	bool open[F_COUNT];
	cslot *cache;
	bt_hopres *vals;        /* (cmask + 1) / 2 of them: at most half full */
	bt_hopinfo *infos;      /* vals[i].info, dense: what every hop reads */
	hopcsv *csvs;           /* vals[i]'s hops.csv cells (exporting only) */
	unsigned cache_gen;     /* bumped when the cache starts afresh or vals move */
	/* the addresses met lately and their values (resolve_recent); valid
	 * while recent_gen is cache_gen + 1 (their info.ixp points into vals) */
	unsigned recent_gen;
	rslot recent[RECENT];
	bt_hopinfo dinfo;       /* the trace's destination's (resolve_hops) */
	size_t cmask, cn;
	uint64_t traces, hops;
	size_t files;           /* round files read */
	char **names;           /* their names, for a duplicate's first place */
	bt_seen *seen;          /* trace ids read so far */
	uint64_t duplicates;    /* traces read again, counted once */
	bt_pipeline_skip *skips; /* objects read but not mapped, by kind */
	size_t nskips;
	bool skip_nomem;
	bool finished;
	/* per entry of the trace being added (BT_HOPS_MAX each) */
	bt_hopinfo *info;
	const bt_hopres **res;
	bt_routes *routes;      /* its border routes over its flows */
	bt_owner *owner;        /* the round's interface owners (opts.owners) */
	bt_trace *scan;         /* the light read's trace (BT_HOPS_MAX entries) */
	struct pending *pending; /* files waiting for their round (owners on) */
	size_t npending;
	int round_state;        /* buffers: 0 none begun, 1 being scanned, 2 inferred */
};

typedef struct pending {
	char *path;
	const char *base;       /* its name without directories: its round */
	size_t seq;             /* the order it was given in */
	size_t round;           /* the seq of its round's first file */
} pending;

const char *bt_agg_name(bt_agg a)
{
	switch (a) {
	case BT_AGG_PREFIX: return "prefix";
	case BT_AGG_AS: return "as";
	case BT_AGG_COUNTRY: return "country";
	}
	return "?";
}

int bt_agg_parse(const char *s, bt_agg *out)
{
	for (int a = 0; a <= BT_AGG_COUNTRY; a++)
		if (strcmp(s, bt_agg_name((bt_agg)a)) == 0) {
			*out = (bt_agg)a;
			return 0;
		}
	return -1;
}

unsigned bt_levels_parse(const char *s)
{
	return strcmp(s, "as") == 0 ? 1 : strcmp(s, "country") == 0 ? 2 : strcmp(s, "both") == 0 ? 3 : 0;
}

/* The sources' skip callback: counts by kind, keeps the first places (all
 * of them under verbose). */
static void on_skipped(void *ctx, const char *where, const char *what)
{
	bt_pipeline *p = ctx;
	size_t i = 0;
	while (i < p->nskips && strcmp(p->skips[i].what, what) != 0)
		i++;
	if (i == p->nskips) {
		bt_pipeline_skip *ns = realloc(p->skips, (p->nskips + 1) * sizeof(*ns));
		if (ns == NULL || (ns[i] = (bt_pipeline_skip){ .what = strdup(what) }).what == NULL) {
			p->skips = ns ? ns : p->skips;
			p->skip_nomem = true;
			return;
		}
		p->skips = ns;
		p->nskips++;
	}
	bt_pipeline_skip *k = &p->skips[i];
	k->count++;
	if (k->nplaces >= BT_PIPELINE_SKIP_PLACES && !p->o.input.verbose)
		return;
	char **pl = realloc(k->places, (k->nplaces + 1) * sizeof(*pl));
	if (pl == NULL || (pl[k->nplaces] = strdup(where)) == NULL) {
		k->places = pl ? pl : k->places;
		p->skip_nomem = true;
		return;
	}
	k->places = pl;
	k->nplaces++;
}

size_t bt_pipeline_nskips(const bt_pipeline *p) { return p->nskips; }
const bt_pipeline_skip *bt_pipeline_skip_at(const bt_pipeline *p, size_t i) { return &p->skips[i]; }

static void free_skips(bt_pipeline *p)
{
	for (size_t i = 0; i < p->nskips; i++) {
		for (size_t j = 0; j < p->skips[i].nplaces; j++)
			free(p->skips[i].places[j]);
		free(p->skips[i].places);
		free(p->skips[i].what);
	}
	free(p->skips);
}

static long reread_round(void *ctx, uint32_t f, const char *round, uint64_t limit, char *err, size_t errlen);

bt_pipeline *bt_pipeline_new(const bt_pipeline_opts *o, char *err, size_t errlen)
{
	bt_pipeline *p = calloc(1, sizeof(*p));
	if (p == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->o = *o;
	if (p->o.input.skipped == NULL) {
		p->o.input.skipped = on_skipped;
		p->o.input.skipped_ctx = p;
	}
	if (p->o.levels == 0)
		p->o.levels = 1;
	p->diff = bt_diff_new(&o->diff);
	p->cmask = (1u << 16) - 1;
	p->cache = calloc(p->cmask + 1, sizeof(*p->cache));
	p->vals = malloc((p->cmask + 1) / 2 * sizeof(*p->vals));
	p->infos = malloc((p->cmask + 1) / 2 * sizeof(*p->infos));
	p->csvs = o->outdir ? malloc((p->cmask + 1) / 2 * sizeof(*p->csvs)) : NULL;
	p->seen = bt_seen_new();
	p->info = calloc(BT_HOPS_MAX, sizeof(*p->info));
	p->res = calloc(BT_HOPS_MAX, sizeof(*p->res));
	p->routes = bt_routes_new();
	p->owner = o->owners ? bt_owner_new(o->owners) : NULL;
	if (p->owner != NULL)
		bt_owner_set_asrel(p->owner, o->asrel);
	if (p->seen != NULL)
		bt_seen_reread(p->seen, reread_round, p);
	if (p->diff == NULL || p->cache == NULL || p->vals == NULL || p->infos == NULL || (o->outdir && p->csvs == NULL) ||
	    p->seen == NULL ||
	    p->info == NULL || p->res == NULL || p->routes == NULL || (o->owners && p->owner == NULL)) {
		snprintf(err, errlen, "out of memory");
		bt_pipeline_free(p);
		return NULL;
	}
	if (o->outdir) {
		struct stat st;
		if (stat(o->outdir, &st) != 0 || !S_ISDIR(st.st_mode)) {
			snprintf(err, errlen, "%s: not a directory", o->outdir);
			bt_pipeline_free(p);
			return NULL;
		}
		static const struct { const char *name; const char *const *cols; size_t n; } files[F_COUNT] = {
			{ "hops.csv", HOPS_COLS, NCOLS(HOPS_COLS) },
			{ "traces.csv", TRACES_COLS, NCOLS(TRACES_COLS) },
			{ "borders.csv", BORDERS_COLS, NCOLS(BORDERS_COLS) },
			{ "events.csv", bt_events_cols, BT_EVENTS_NCOLS },
			{ "diversity.csv", DIV_COLS, NCOLS(DIV_COLS) },
		};
		for (int i = 0; i < F_COUNT; i++) {
			if (bt_csv_open(&p->csv[i], o->outdir, files[i].name, files[i].cols, files[i].n, err,
					errlen) != 0) {
				bt_pipeline_free(p);
				return NULL;
			}
			p->open[i] = true;
		}
	}
	return p;
}

void bt_pipeline_free(bt_pipeline *p)
{
	if (p == NULL)
		return;
	for (int i = 0; i < F_COUNT; i++)
		if (p->open[i])
			bt_csv_abort(&p->csv[i]);
	bt_diff_free(p->diff);
	free(p->cache);
	free(p->vals);
	free(p->infos);
	free(p->csvs);
	free(p->info);
	free(p->res);
	bt_routes_free(p->routes);
	bt_owner_free(p->owner);
	bt_trace_free(p->scan);
	for (size_t i = 0; i < p->npending; i++)
		free(p->pending[i].path);
	free(p->pending);
	bt_seen_free(p->seen);
	free_skips(p);
	for (size_t i = 0; i < p->files; i++)
		free(p->names[i]);
	free(p->names);
	free(p);
}

/* Two words and a multiply-shift mix, not a byte loop: it runs for
 * every hop that misses the previous hop's address. */
static size_t addr_hash(const bt_addr *a)
{
	uint64_t w[2];
	memcpy(w, a->bytes, 16);
	return (size_t)bt_mix64(w[0] ^ bt_mix64(w[1] ^ a->family));
}

static inline bool same_addr(const bt_addr *a, const bt_addr *b)
{
	return a->family == b->family && memcmp(a->bytes, b->bytes, 16) == 0;
}

/* Grows vals, infos and (exporting) csvs to cap entries; 0 or -1. */
static int grow_vals(bt_pipeline *p, size_t cap)
{
	bt_hopres *nv = realloc(p->vals, cap * sizeof(*nv));
	if (nv == NULL)
		return -1;
	p->vals = nv;
	for (size_t k = 0; k < p->cn; k++) /* moved: info.ixp points into its value */
		if (nv[k].info.kind == BT_HOP_IXP)
			p->infos[k].ixp = nv[k].info.ixp = nv[k].ixp;
	bt_hopinfo *ni = realloc(p->infos, cap * sizeof(*ni));
	if (ni == NULL)
		return -1;
	p->infos = ni;
	if (p->o.outdir == NULL)
		return 0;
	hopcsv *ncsv = realloc(p->csvs, cap * sizeof(*ncsv));
	if (ncsv == NULL)
		return -1;
	p->csvs = ncsv;
	return 0;
}

/* Makes room for `more` new entries so that pointers handed out while one
 * trace is processed stay valid. Grows up to 1M entries; beyond that it
 * starts afresh, which bounds memory. */
static int cache_reserve(bt_pipeline *p, size_t more)
{
	if ((p->cn + more) * 2 < p->cmask + 1)
		return 0;
	size_t ncap = (p->cmask + 1) * 2;
	cslot *nc = ncap <= (1u << 20) ? calloc(ncap, sizeof(*nc)) : NULL;
	if (nc == NULL || grow_vals(p, ncap / 2) != 0) {
		free(nc);
		memset(p->cache, 0, (p->cmask + 1) * sizeof(*p->cache));
		p->cn = 0;
		p->cache_gen++;
		return (more * 2 < p->cmask + 1) ? 0 : -1;
	}
	for (size_t k = 0; k <= p->cmask; k++) {
		if (!p->cache[k].used)
			continue;
		size_t j = addr_hash(&p->cache[k].key) & (ncap - 1);
		while (nc[j].used)
			j = (j + 1) & (ncap - 1);
		nc[j] = p->cache[k];
	}
	free(p->cache);
	p->cache = nc;
	p->cmask = ncap - 1;
	p->cache_gen++;
	return 0;
}

/* hops.csv's address and columns class..ixp of v (address a), ready to
 * copy into every row of it. */
static void format_csv(const bt_addr *a, const bt_hopres *v, hopcsv *c)
{
	char asn[12] = "", f[7][160];
	const char *cols[7] = { v->cls, v->prefix, asn, v->origins, v->org, v->info.country,
				v->info.kind == BT_HOP_IXP ? v->ixp : "" };
	if (v->info.kind == BT_HOP_AS)
		snprintf(asn, sizeof(asn), "%u", v->info.asn);
	size_t off = 0;
	bool fits = true;
	for (int k = 0; k < 7 && fits; k++) {
		size_t l = bt_csv_format(f[k], sizeof(f[k]), cols[k]);
		/* a cell that does not fit its buffer or the tail: the row
		 * is written cell by cell instead (write_hop_tail) */
		fits = (l > 0 || cols[k][0] == '\0') && off + l + 2 <= sizeof(c->tail);
		if (k)
			c->tail[off++] = ',';
		memcpy(c->tail + off, f[k], fits ? l : 0);
		off += fits ? l : 0;
	}
	c->tail[off] = '\0';
	c->tail_len = fits ? (uint16_t)off : UINT16_MAX;
	bt_addr_format(a, c->addr, sizeof(c->addr));
	c->addr_len = (uint16_t)strlen(c->addr);
}

/* Address a through the cache: the index of its resolution in vals
 * (*out). 0 or -1. */
static int resolve_at(bt_pipeline *p, const bt_addr *a, uint32_t *out, char *err, size_t errlen)
{
	size_t i = addr_hash(a) & p->cmask;
	while (p->cache[i].used) {
		if (same_addr(&p->cache[i].key, a)) {
			*out = p->cache[i].val;
			return 0;
		}
		i = (i + 1) & p->cmask;
	}
	cslot *e = &p->cache[i];
	bt_hopres *val = &p->vals[p->cn];
	memset(val, 0, sizeof(*val));
	if (p->o.resolve(p->o.rctx, a, val, err, errlen) != 0)
		return -1;
	if (val->info.kind == BT_HOP_IXP)
		val->info.ixp = val->ixp;
	/* the origins column, formatted once per address rather than per hop */
	size_t off = 0;
	for (unsigned k = 0; k < val->info.norigins && off + 12 < sizeof(val->origins); k++)
		off += (size_t)snprintf(val->origins + off, sizeof(val->origins) - off, "%s%u", k ? " " : "",
					val->info.origins[k]);
	if (p->csvs != NULL)
		format_csv(a, val, &p->csvs[p->cn]);
	e->key = *a;
	e->used = true;
	p->infos[p->cn] = val->info;
	e->val = (uint32_t)p->cn++;
	*out = e->val;
	return 0;
}

static int resolve(bt_pipeline *p, const bt_addr *a, const bt_hopres **out, char *err, size_t errlen)
{
	uint32_t k;
	if (resolve_at(p, a, &k, err, errlen) != 0)
		return -1;
	*out = &p->vals[k];
	return 0;
}

/* "AS4837", or "unknown" for 0, into buf (len >= 16): several a trace,
 * by hand rather than snprintf. */
static void asn_str(char *buf, size_t len, uint32_t asn)
{
	char d[10];
	int k = 0;
	(void)len;
	if (asn == 0) {
		memcpy(buf, "unknown", 8);
		return;
	}
	do
		d[k++] = (char)('0' + asn % 10);
	while ((asn /= 10) > 0);
	buf[0] = 'A';
	buf[1] = 'S';
	for (int i = 0; i < k; i++)
		buf[2 + i] = d[k - 1 - i];
	buf[2 + k] = '\0';
}

static void crossing_row(bt_csv *w, const char *id, const bt_trace *t, const char *target,
			 const char *kind, size_t i, const bt_crossing *c, uint32_t flows)
{
	char a[BT_ADDR_STRLEN];
	bt_csv_str(w, id);
	bt_csv_str(w, t->vp);
	bt_csv_str(w, t->round);
	bt_csv_str(w, target);
	bt_csv_str(w, kind);
	bt_csv_u64(w, i);
	bt_csv_u64(w, c->near_ttl);
	bt_csv_str(w, bt_addr_format(&c->near_addr, a, sizeof(a)));
	if (c->near_asn) bt_csv_u64(w, c->near_asn); else bt_csv_str(w, "");
	bt_csv_str(w, c->near_cc);
	bt_csv_u64(w, c->far_ttl);
	bt_csv_str(w, bt_addr_format(&c->far_addr, a, sizeof(a)));
	if (c->far_asn) bt_csv_u64(w, c->far_asn); else bt_csv_str(w, "");
	bt_csv_str(w, c->far_cc);
	bt_csv_u64(w, c->across_silent);
	bt_csv_str(w, c->ixp);
	bt_csv_u64(w, flows > 0);
	bt_csv_u64(w, flows);
	bt_csv_end(w);
}

/* borders.csv: the trace's crossings at one level; each of its border
 * routes marks the last crossing of its two ASes (countries) with the
 * flows that showed it, and a route no crossing of the whole trace shows
 * (one flow's link the per-TTL sets do not make) gets a row of its own. */
static void write_crossings(bt_pipeline *p, const char *id, const bt_trace *t, const char *target,
			    const bt_path *path, const bt_routes *r, int level)
{
	const bt_crossing *c = level ? path->cc_cross : path->as_cross;
	size_t n = level ? path->ncc_cross : path->nas_cross;
	const char *kind = level ? "country" : "as";
	uint32_t flows[BT_PATH_MAX] = { 0 };
	bool shown[BT_ROUTES_MAX] = { false };
	for (size_t k = 0; k < r->n[level]; k++)
		for (size_t i = n; i-- > 0 && !shown[k];)
			if (bt_route_same(level, &c[i], &r->r[level][k].c)) {
				flows[i] += r->r[level][k].flows;
				shown[k] = true;
			}
	for (size_t i = 0; i < n; i++)
		crossing_row(&p->csv[F_BORDERS], id, t, target, kind, i, &c[i], flows[i]);
	for (size_t k = 0; k < r->n[level]; k++)
		if (!shown[k])
			crossing_row(&p->csv[F_BORDERS], id, t, target, kind, n++, &r->r[level][k].c,
				     r->r[level][k].flows);
}

/* The target network this trace counts for (by prefix, AS or country; per
 * VP with --per-vp); addr is the destination as text. */
static void target_key(const bt_pipeline *p, const bt_trace *t, const bt_hopres *dres,
		       const bt_path *path, const char *addr, char *key, size_t keylen)
{
	switch (p->o.agg) {
	case BT_AGG_PREFIX:
		if (dres->prefix[0])
			snprintf(key, keylen, "%s", dres->prefix);
		else
			snprintf(key, keylen, "%s/%d", addr, t->dst.family == AF_INET ? 32 : 128);
		break;
	case BT_AGG_AS:
		asn_str(key, keylen, path->target_asn);
		break;
	case BT_AGG_COUNTRY:
		snprintf(key, keylen, "%s", path->target_cc[0] ? path->target_cc : "unknown");
		break;
	}
	if (p->o.per_vp) {
		size_t l = strlen(key);
		snprintf(key + l, keylen - l, "@%s", t->vp[0] ? t->vp : "-");
	}
}

static const bt_crossing *border_as(const bt_path *path)
{
	return path->border_as >= 0 ? &path->as_cross[path->border_as] : NULL;
}

static const bt_crossing *border_cc(const bt_path *path)
{
	return path->border_cc >= 0 ? &path->cc_cross[path->border_cc] : NULL;
}

/* The routes of a trace of several flows beyond the first, at one level,
 * for the path-diff; as holds the AS names ("AS4837"). At the AS level
 * the routes across a gap the round's graph does not explain are left
 * out (bt_owner_gap_known): ok[k] says which are kept, first the first
 * kept. */
static size_t more_routes(const bt_routes *r, int level, const bool *ok, size_t first, bt_diff_route *more,
			  char (*as)[2][16])
{
	size_t m = 0;
	for (size_t k = first + 1; k < r->n[level]; k++) {
		const bt_route *x = &r->r[level][k];
		if (level == 0 && !ok[k])
			continue;
		if (level == 0) {
			asn_str(as[m][0], sizeof(as[m][0]), x->c.near_asn);
			asn_str(as[m][1], sizeof(as[m][1]), x->c.far_asn);
			more[m] = (bt_diff_route){ as[m][0], as[m][1], x->c.near_cc, x->flows };
		} else {
			more[m] = (bt_diff_route){ x->c.near_cc, x->c.far_cc, NULL, x->flows };
		}
		m++;
	}
	return m;
}

/* Which AS routes of r the path-diff takes (ok), and the first of them
 * (r->n[0] when none). */
static size_t known_routes(const bt_pipeline *p, const bt_routes *r, bool *ok)
{
	size_t first = r->n[0];
	for (size_t k = r->n[0]; k-- > 0;) {
		const bt_crossing *c = &r->r[0][k].c;
		ok[k] = !p->owner || !c->across_silent ||
			bt_owner_gap_known(p->owner, &c->far_addr, c->near_asn, c->far_asn,
					   (unsigned)(c->far_ttl - c->near_ttl - 1));
		if (ok[k])
			first = k;
	}
	return first;
}

/* Hands the trace's border routes (AS and country) to the path-diff: one
 * for a trace of one flow, each of its flows' for several (routes.h). */
static int observe(bt_pipeline *p, const bt_trace *t, const bt_hopinfo *info, const bt_routes *r,
		   const char *id, const char *key, char *err, size_t errlen)
{
	char up_as[16] = "", into_as[16] = "";
	bool ok[BT_ROUTES_MAX];
	size_t fx = known_routes(p, r, ok);
	const bt_crossing *bx = fx < r->n[0] ? &r->r[0][fx].c : NULL, *bc = r->n[1] ? &r->r[1][0].c : NULL;
	if (bx) {
		asn_str(up_as, sizeof(up_as), bx->near_asn);
		asn_str(into_as, sizeof(into_as), bx->far_asn);
	}
	/* A trace whose border crossing lies across hops copied from another
	 * trace (split TTL) shows no route of its own; the route those copies
	 * show keeps the path-diff from calling it gone in this round. */
	bt_path whole;
	const bt_crossing *mx = NULL, *mc = NULL;
	char mup_as[16] = "", minto_as[16] = "";
	if (bt_trace_copied_hops(t) > 0 && (!bx || !bc)) {
		bt_trace all = *t;
		all.filled_below_ttl = 0;
		bt_path_build(&all, info, &p->dinfo, &whole);
		if (!bx && whole.border_as >= 0) {
			mx = &whole.as_cross[whole.border_as];
			asn_str(mup_as, sizeof(mup_as), mx->near_asn);
			asn_str(minto_as, sizeof(minto_as), mx->far_asn);
		}
		if (!bc && whole.border_cc >= 0)
			mc = &whole.cc_cross[whole.border_cc];
	}
	bt_diff_route more[2][BT_ROUTES_MAX];
	char more_as[BT_ROUTES_MAX][2][16];
	bt_diff_obs o = {
		.target = key, .vp = t->vp, .round = t->round, .trace_id = id, .time_us = t->start_us,
		.up = { bx ? up_as : NULL, bc ? bc->near_cc : NULL },
		.into = { bx ? into_as : NULL, bc ? bc->far_cc : NULL },
		.note = { bx ? bx->near_cc : NULL, NULL },
		.maybe_up = { mx ? mup_as : NULL, mc ? mc->near_cc : NULL },
		.maybe_into = { mx ? minto_as : NULL, mc ? mc->far_cc : NULL },
		.maybe_note = { mx ? mx->near_cc : NULL, NULL },
		.flows = { bx ? r->r[0][fx].flows : 0, bc ? r->r[1][0].flows : 0 },
		.more = { more[0], more[1] },
		.nmore = { bx ? more_routes(r, 0, ok, fx, more[0], more_as) : 0,
			   more_routes(r, 1, ok, 0, more[1], NULL) },
	};
	if (bt_diff_add(p->diff, &o) != 0 || (p->o.on_obs && p->o.on_obs(p->o.obs_ctx, &o) != 0)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* The columns class..ixp of an address whose cells did not fit the cached
 * tail (a long organisation or IXP name full of quotes): cell by cell. */
static void write_hop_tail(bt_csv *w, const bt_hopres *r)
{
	char asn[12] = "";
	if (r->info.kind == BT_HOP_AS)
		snprintf(asn, sizeof(asn), "%u", r->info.asn);
	const char *cols[7] = { r->cls, r->prefix, asn, r->origins, r->org, r->info.country,
				r->info.kind == BT_HOP_IXP ? r->ixp : "" };
	for (int k = 0; k < 7; k++)
		bt_csv_str(w, cols[k]);
}

/* hops.csv, one row per entry (several a TTL in format version 2): the
 * columns that depend on the trace and on the address are formatted once
 * (per trace, per address) and copied per row. Returns the replies to this
 * trace (copied hops are another trace's). */
static unsigned write_hops(bt_pipeline *p, const bt_trace *t, const bt_hopres *const *res,
			   size_t n, const char *id, const char *addr)
{
	bt_csv *w = &p->csv[F_HOPS];
	unsigned replies = 0;
	char head[2048], f[4][512]; /* an id of ~200 bytes, all quotes: 403 escaped */
	const char *hcols[4] = { id, t->vp, t->round, addr };
	size_t hl = 0;
	for (int k = 0; k < 4; k++) {
		size_t l = bt_csv_format(f[k], sizeof(f[k]), hcols[k]);
		if (k)
			head[hl++] = ',';
		memcpy(head + hl, f[k], l);
		hl += l;
	}
	size_t copied = bt_trace_copied_hops(t);
	for (size_t i = 0; i < n; i++) {
		const bt_hop *h = &t->hops[i];
		const bt_hopres *r = res[i];
		bool set = bt_addr_is_set(&h->addr);
		/* a copied hop is another trace's reply, not one to this trace */
		replies += set && i >= copied;
		bt_csv_raw(w, head, hl);
		bt_csv_u64(w, h->probe_ttl);
		if (!set) {
			bt_csv_raw(w, ",,,,,,,,,,,", 11);
			bt_csv_u64(w, i < copied);
			bt_csv_u64(w, h->attempt);
			bt_csv_u64(w, bt_hop_flow(t, h));
			bt_csv_end(w);
			continue;
		}
		const hopcsv *rc = &p->csvs[r - p->vals];
		bt_csv_raw(w, rc->addr, rc->addr_len);
		bt_csv_ms(w, h->rtt_us);
		bt_csv_u64(w, h->reply_ttl);
		if (h->tcp_flags) {
			bt_csv_raw(w, ",", 1);
		} else {
			bt_csv_u64(w, h->icmp_type);
			bt_csv_u64(w, h->icmp_code);
		}
		if (rc->tail_len != UINT16_MAX)
			bt_csv_raw(w, rc->tail, rc->tail_len);
		else
			write_hop_tail(w, r);
		bt_csv_u64(w, i < copied);
		bt_csv_u64(w, h->attempt);
		bt_csv_u64(w, bt_hop_flow(t, h));
		bt_csv_end(w);
	}
	return replies;
}

/* traces.csv: one row per trace. */
static void write_trace_row(bt_pipeline *p, const bt_trace *t, const bt_hopres *dres,
			    const bt_path *path, const char *id, const char *addr, size_t n,
			    unsigned replies)
{
	char buf[1024], tbuf[BT_TIME_STRLEN];
	const bt_crossing *bx = border_as(path), *bc = border_cc(path);
	bt_csv *w = &p->csv[F_TRACES];
	bt_csv_str(w, id);
	bt_csv_str(w, t->vp);
	bt_csv_str(w, t->campaign);
	bt_csv_str(w, t->round);
	bt_csv_str(w, bt_method_name(t->method));
	bt_csv_u64(w, t->flow);
	bt_csv_str(w, bt_addr_format(&t->src, buf, sizeof(buf)));
	bt_csv_str(w, addr);
	bt_csv_str(w, dres->prefix);
	if (path->target_asn) bt_csv_u64(w, path->target_asn); else bt_csv_str(w, "");
	bt_csv_str(w, path->target_cc);
	bt_csv_str(w, bt_time_format(t->start_us, tbuf, sizeof(tbuf)));
	bt_csv_str(w, bt_time_format(t->end_us, tbuf, sizeof(tbuf)));
	bt_csv_str(w, bt_stop_name(t->stop));
	bt_csv_u64(w, t->stop_ttl);
	bt_csv_u64(w, t->probes_sent);
	bt_csv_u64(w, n);
	bt_csv_u64(w, replies);
	bt_csv_str(w, bt_path_as_string(path, buf, sizeof(buf)));
	bt_csv_str(w, bt_path_cc_string(path, buf, sizeof(buf)));
	if (bx && bx->near_asn) bt_csv_u64(w, bx->near_asn); else bt_csv_str(w, "");
	bt_csv_str(w, bc ? bc->near_cc : "");
	bt_csv_u64(w, path->reached_as);
	bt_csv_u64(w, path->loop_collapsed);
	bt_csv_u64(w, path->moas_resolved);
	bt_csv_u64(w, t->filled_below_ttl);
	bt_csv_end(w);
}

#define ID_LEN (3 * BT_ID_MAX + 96)

/* The trace id the exports and the evidence name a trace by
 * (vp/round/target/method/flow); a is the target as text. */
static char *put_part(char *o, const char *s)
{
	size_t n = strlen(s);
	memcpy(o, s, n);
	o[n] = '/';
	return o + n + 1;
}

static void trace_id(const bt_trace *t, char *id, char a[BT_ADDR_STRLEN])
{
	/* once a trace: by hand, not snprintf (each part is shorter than
	 * BT_ID_MAX or BT_ADDR_STRLEN, so ID_LEN holds them) */
	const char *m = bt_method_name(t->method);
	bt_addr_format(&t->dst, a, BT_ADDR_STRLEN);
	char *o = put_part(id, t->vp[0] ? t->vp : "-");
	o = put_part(o, t->round[0] ? t->round : "-");
	o = put_part(put_part(o, a), m ? m : "(null)");
	char d[8];
	int k = 0;
	unsigned f = t->flow;
	do
		d[k++] = (char)('0' + f % 10);
	while ((f /= 10) > 0);
	while (k > 0)
		*o++ = d[--k];
	*o = '\0';
}

/* Address a through the cache, by way of the addresses met lately (a
 * small table by hash that stays in the processor's cache, where the big
 * one is megabytes: one VP's traces to nearby targets share most of
 * their path). 0 or -1. */
static int resolve_recent(bt_pipeline *p, const bt_addr *a, uint32_t *k, bt_hopinfo *info, char *err,
			  size_t errlen)
{
	if (p->recent_gen != p->cache_gen + 1) { /* the cache started afresh or moved */
		memset(p->recent, 0, sizeof(p->recent));
		p->recent_gen = p->cache_gen + 1;
	}
	rslot *r = &p->recent[addr_hash(a) & (RECENT - 1)];
	if (!r->s.used || !same_addr(a, &r->s.key)) {
		if (resolve_at(p, a, k, err, errlen) != 0)
			return -1;
		*r = (rslot){ { *a, true, *k }, p->infos[*k] };
	}
	*k = r->s.val;
	*info = r->info;
	return 0;
}

/* Every entry of t and its destination through the resolver: p->res,
 * p->info (the resolver's word), *dres and p->dinfo (a copy of
 * (*dres)->info, without reading *dres). 0 or -1. */
static int resolve_hops(bt_pipeline *p, const bt_trace *t, size_t n, const bt_hopres **dres,
			char *err, size_t errlen)
{
	static const bt_hopres silent; /* zero: BT_HOP_SILENT */
	const bt_hopres **res = p->res;
	bt_hopinfo *info = p->info;
	if (cache_reserve(p, n + 1) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* the table's slots of the first entries and the destination asked
	 * for all at once: the lookups below then wait for memory in parallel,
	 * not one after the other */
	for (size_t i = 0; i < n && i < 32; i++)
		if (t->hops[i].addr.family != 0)
			__builtin_prefetch(&p->cache[addr_hash(&t->hops[i].addr) & p->cmask]);
	__builtin_prefetch(&p->cache[addr_hash(&t->dst) & p->cmask]);
	/* a TTL's replies mostly come from one address (several a TTL in
	 * format version 2): the last one resolved is reused without a lookup */
	const bt_addr *last = NULL;
	size_t li = 0; /* last's entry */
	uint32_t k;
	for (size_t i = 0; i < n; i++) {
		const bt_addr *a = &t->hops[i].addr;
		if (a->family == 0) {
			res[i] = &silent;
			info[i] = silent.info;
		} else if (last != NULL && same_addr(a, last)) {
			res[i] = res[li];
			info[i] = info[li];
		} else if (resolve_recent(p, a, &k, &info[i], err, errlen) != 0) {
			return -1;
		} else {
			last = a;
			li = i;
			res[i] = &p->vals[k];
		}
	}
	/* the destination is mostly the last entry (it answered) */
	if (last != NULL && same_addr(&t->dst, last)) {
		*dres = res[li];
		p->dinfo = info[li];
		return 0;
	}
	if (resolve_at(p, &t->dst, &k, err, errlen) != 0)
		return -1;
	*dres = &p->vals[k];
	p->dinfo = p->infos[k];
	return 0;
}

static int add_trace(bt_pipeline *p, const bt_trace *t, const char *id, const char *a, char *err,
		     size_t errlen)
{
	bt_hopinfo *info = p->info;
	const bt_hopres **res = p->res;
	const bt_hopres *dres;
	char key[BT_ID_MAX + 80];
	size_t n = t->hop_count < BT_HOPS_MAX ? t->hop_count : BT_HOPS_MAX;

	if (resolve_hops(p, t, n, &dres, err, errlen) != 0)
		return -1;
	/* the operator the round's graph found, where it is not the origin */
	for (size_t i = 0; p->owner && i < n; i++)
		bt_owner_apply(p->owner, &t->hops[i].addr, &info[i]);
	bt_path path;
	bt_path_build(t, info, &p->dinfo, &path);
	bt_routes_build(p->routes, t, info, &p->dinfo, &path);

	target_key(p, t, dres, &path, a, key, sizeof(key));
	if (!p->o.hook_only && observe(p, t, info, p->routes, id, key, err, errlen) != 0)
		return -1;
	p->traces++;
	p->hops += n;
	if (p->o.on_trace) {
		bt_pipeline_trace pt = { .t = t, .id = id, .key = key, .res = res, .n = n, .dres = dres,
					 .path = &path, .routes = p->routes };
		if (p->o.on_trace(p->o.hook_ctx, &pt, err, errlen) != 0)
			return -1;
	}
	if (!p->o.outdir)
		return 0;

	unsigned replies = write_hops(p, t, res, n, id, a);
	write_trace_row(p, t, dres, &path, id, a, n, replies);
	write_crossings(p, id, t, a, &path, p->routes, 0);
	write_crossings(p, id, t, a, &path, p->routes, 1);
	return 0;
}

void bt_event_row(bt_csv *w, const bt_diff_event *e, const char *agg)
{
	bt_csv_str(w, bt_diff_event_name(e->kind));
	bt_csv_str(w, bt_diff_level_name(e->level));
	bt_csv_str(w, agg);
	bt_csv_str(w, e->target);
	bt_csv_str(w, e->upstream);
	bt_csv_str(w, e->level == BT_LEVEL_AS ? e->note : e->upstream);
	bt_csv_str(w, e->into);
	bt_csv_str(w, e->round);
	bt_csv_time(w, e->first_seen_us);
	bt_csv_time(w, e->last_seen_us);
	bt_csv_u64(w, e->rounds_seen);
	bt_csv_u64(w, e->traces);
	bt_csv_str(w, e->vps);
	bt_csv_str(w, e->evidence);
	bt_csv_u64(w, e->flows);
	bt_csv_u64(w, e->flows_routed);
	bt_csv_fixed(w, e->flow_share, 4);
	bt_csv_end(w);
}

/* Where in file path the trace id is (an error path: the file is read
 * again), into buf; "" when it cannot be found (standard input). */
static const char *place_of(const bt_pipeline *p, const char *path, const char *id, char *buf, size_t buflen)
{
	char err[256], tid[ID_LEN], a[BT_ADDR_STRLEN];
	bt_input_opts quiet = p->o.input; /* what it skips was counted the first time */
	quiet.skipped = NULL;
	bt_input *in = strcmp(path, "-") == 0 ? NULL : bt_input_open(path, &quiet, err, sizeof(err));
	bt_trace *t;
	bool found = false;
	while (in != NULL && !found && bt_input_next(in, &t, err, sizeof(err)) == 1) {
		trace_id(t, tid, a);
		if (strcmp(tid, id) == 0) {
			bt_input_where(in, buf, buflen);
			found = true;
		}
		bt_trace_free(t);
	}
	bt_input_close(in);
	if (!found)
		snprintf(buf, buflen, "%s", strcmp(path, "-") == 0 ? "<stdin>" : path);
	return buf;
}

/* Whether t is new (0), a duplicate to skip (1) or a conflict (-1, message
 * naming both places). */
static int check_seen(bt_pipeline *p, const bt_input *in, const bt_trace *t, const char *id,
		      char *err, size_t errlen)
{
	uint32_t first = 0;
	switch (bt_seen_add(p->seen, id, t, (uint32_t)(p->files - 1), &first, err, errlen)) {
	case BT_SEEN_NEW:
		return 0;
	case BT_SEEN_SAME:
		p->duplicates++;
		return 1;
	case BT_SEEN_NOMEM:
	case BT_SEEN_ERROR:
		return -1;
	case BT_SEEN_CONFLICT:
		break;
	}
	char here[512], there[512];
	bool atlas = strcmp(bt_input_kind(in), "atlas") == 0;
	snprintf(err, errlen, "%s: trace %s was read before, with other contents, at %s "
		 "(two records of one trace id: which one is right?%s)",
		 bt_input_where(in, here, sizeof(here)), id, place_of(p, p->names[first], id, there, sizeof(there)),
		 atlas ? " For RIPE Atlas results: two results of one probe, destination and paris_id "
			 "fell into one round; give a --round-interval no longer than the measurement's "
			 "interval" : "");
	return -1;
}

/* The seen set's reader (seen.h): file f read again, its traces of round
 * `round` (among its first `limit`) given back to the set. */
static long reread_round(void *ctx, uint32_t f, const char *round, uint64_t limit, char *err, size_t errlen)
{
	bt_pipeline *p = ctx;
	bt_input_opts quiet = p->o.input; /* what it skips was counted the first time */
	quiet.skipped = NULL;
	bt_input *in = bt_input_open(p->names[f], &quiet, err, errlen);
	bt_trace *t;
	char id[ID_LEN], a[BT_ADDR_STRLEN];
	long n = 0;
	int rc = in == NULL ? -1 : 1;
	while (in != NULL && (uint64_t)n < limit && (rc = bt_input_next(in, &t, err, errlen)) == 1) {
		n++;
		if (strcmp(t->round, round) == 0) {
			trace_id(t, id, a);
			bt_seen_rebuild(p->seen, id, t, f);
		}
		bt_trace_free(t);
	}
	bt_input_close(in);
	return rc < 0 ? -1 : n;
}

/* Registers a source's name (for the places of duplicates); 0 or -1. */
static int add_name(bt_pipeline *p, const char *name, char *err, size_t errlen)
{
	if (p->finished) { /* its cache and seen set are gone */
		snprintf(err, errlen, "%s: the pipeline is finished: no more rounds", name);
		return -1;
	}
	char **names = realloc(p->names, (p->files + 1) * sizeof(*names));
	if (names != NULL)
		p->names = names;
	if (names == NULL || (names[p->files] = strdup(name)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	p->files++;
	return 0;
}

/* Every trace of in into the pipeline; closes in. 0 or -1. */
static int add_input(bt_pipeline *p, bt_input *in, char *err, size_t errlen)
{
	int rc;
	bt_trace *t;
	char id[ID_LEN], a[BT_ADDR_STRLEN];
	uint64_t n = 0;
	while ((rc = bt_input_next(in, &t, err, errlen)) == 1) {
		trace_id(t, id, a);
		bt_seen_at(p->seen, (uint32_t)(p->files - 1), ++n);
		int arc = p->o.hook_only ? 0 : check_seen(p, in, t, id, err, errlen);
		if (arc == 0)
			arc = add_trace(p, t, id, a, err, errlen);
		bt_trace_free(t);
		if (arc < 0) {
			rc = -1;
			break;
		}
	}
	bt_input_close(in);
	if (rc >= 0 && p->skip_nomem) {
		snprintf(err, errlen, "out of memory");
		rc = -1;
	}
	return rc < 0 ? -1 : 0;
}

static int read_file(bt_pipeline *p, const char *path, char *err, size_t errlen)
{
	if (add_name(p, path, err, errlen) != 0)
		return -1;
	if (strcmp(path, "-") == 0) /* cannot be read again */
		bt_seen_pin_file(p->seen, (uint32_t)(p->files - 1));
	bt_input *in = bt_input_open(path, &p->o.input, err, errlen);
	return in == NULL ? -1 : add_input(p, in, err, errlen);
}

/* With owners on, a file waits for the rest of its round (flush). */
static int add_file(bt_pipeline *p, const char *path, char *err, size_t errlen)
{
	if (p->owner == NULL)
		return read_file(p, path, err, errlen);
	/* standard input cannot be read twice: once, in its place, without
	 * owners (the files given before it are read first) */
	if (strcmp(path, "-") == 0)
		return bt_pipeline_flush(p, err, errlen) == 0 ? read_file(p, path, err, errlen) : -1;
	if (p->finished) {
		snprintf(err, errlen, "%s: the pipeline is finished: no more rounds", path);
		return -1;
	}
	pending *np = realloc(p->pending, (p->npending + 1) * sizeof(*np));
	if (np != NULL)
		p->pending = np;
	char *dup = np ? strdup(path) : NULL;
	if (dup == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	const char *slash = strrchr(dup, '/');
	p->pending[p->npending] = (pending){ dup, slash ? slash + 1 : dup, p->npending, 0 };
	p->npending++;
	return 0;
}

/* The graph's question (an address it meets for the first time in the
 * round): the resolver's answer, through the cache. */
typedef struct scan_ctx {
	bt_pipeline *p;
	char *err;
	size_t errlen;
} scan_ctx;

static const bt_hopinfo *scan_info(void *ctx, const bt_addr *a)
{
	scan_ctx *c = ctx;
	const bt_hopres *r;
	if (cache_reserve(c->p, 1) != 0) {
		snprintf(c->err, c->errlen, "out of memory");
		return NULL;
	}
	return resolve(c->p, a, &r, c->err, c->errlen) == 0 ? &r->info : NULL;
}

/* One trace into the round's interface graph. 0 or -1. */
static int scan_trace(bt_pipeline *p, scan_ctx *c, const bt_trace *t)
{
	bool failed = false;
	if (bt_owner_add(p->owner, t, BT_OWNER_DST_ASK, scan_info, c, &failed) != 0) {
		if (!failed)
			snprintf(c->err, c->errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* Every trace of in into the round's interface graph (the first of the
 * two reads, owners on); closes in. 0 or -1. */
static int scan_input(bt_pipeline *p, bt_input *in, char *err, size_t errlen)
{
	int rc;
	bt_trace *full;
	scan_ctx c = { p, err, errlen };
	if (p->scan == NULL && (p->scan = bt_trace_alloc(BT_HOPS_MAX)) == NULL) {
		bt_input_close(in);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	while ((rc = bt_input_scan(in, p->scan, &full, err, errlen)) == 1) {
		rc = scan_trace(p, &c, full != NULL ? full : p->scan);
		bt_trace_free(full);
		if (rc != 0)
			break;
	}
	bt_input_close(in);
	return rc < 0 ? -1 : 0;
}

/* The first read of a file: what it skips is counted by the second. */
static int scan_file(bt_pipeline *p, const char *path, char *err, size_t errlen)
{
	bt_input_opts quiet = p->o.input;
	quiet.skipped = NULL;
	bt_input *in = bt_input_open(path, &quiet, err, errlen);
	return in == NULL ? -1 : scan_input(p, in, err, errlen);
}

static int infer(bt_pipeline *p, char *err, size_t errlen)
{
	if (bt_owner_infer(p->owner) == 0)
		return 0;
	snprintf(err, errlen, "out of memory");
	return -1;
}

bool bt_pipeline_owners_on(const bt_pipeline *p) { return p->owner != NULL; }

void bt_pipeline_begin_round(bt_pipeline *p)
{
	if (p->owner)
		bt_owner_reset(p->owner);
	p->round_state = 1;
}

void bt_pipeline_end_round(bt_pipeline *p)
{
	if (p->owner)
		bt_owner_reset(p->owner);
	p->round_state = 0;
}

int bt_pipeline_scan_buffer(bt_pipeline *p, const char *name, const char *buf, size_t len, char *err,
			    size_t errlen)
{
	if (p->owner == NULL)
		return 0;
	bt_input *in = bt_input_open_buffer(name, buf, len, err, errlen);
	return in == NULL ? -1 : scan_input(p, in, err, errlen);
}

int bt_pipeline_add_buffer(bt_pipeline *p, const char *name, const char *buf, size_t len, char *err,
			   size_t errlen)
{
	if (add_name(p, name, err, errlen) != 0)
		return -1;
	bt_seen_pin_file(p->seen, (uint32_t)(p->files - 1)); /* cannot be read again */
	bool alone = p->owner && p->round_state == 0;
	if (alone) {
		bt_pipeline_begin_round(p);
		if (bt_pipeline_scan_buffer(p, name, buf, len, err, errlen) != 0)
			return -1;
	}
	if (p->owner && p->round_state == 1) {
		if (infer(p, err, errlen) != 0)
			return -1;
		p->round_state = 2;
	}
	bt_input *in = bt_input_open_buffer(name, buf, len, err, errlen);
	int rc = in == NULL ? -1 : add_input(p, in, err, errlen);
	if (alone)
		bt_pipeline_end_round(p);
	return rc;
}

static int cmp_by_name(const void *a, const void *b)
{
	const pending *x = a, *y = b;
	int c = strcmp(x->base, y->base);
	return c ? c : x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int cmp_by_round(const void *a, const void *b)
{
	const pending *x = a, *y = b;
	if (x->round != y->round)
		return x->round < y->round ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The files in rounds (one name, one round), the rounds in the order
 * their first file was given, the files of a round in the order given:
 * as given when no two files share a name. */
static void order_pending(bt_pipeline *p)
{
	if (p->npending == 0)
		return;
	qsort(p->pending, p->npending, sizeof(*p->pending), cmp_by_name);
	for (size_t i = 0; i < p->npending; i++)
		p->pending[i].round = i && strcmp(p->pending[i].base, p->pending[i - 1].base) == 0
					      ? p->pending[i - 1].round : p->pending[i].seq;
	qsort(p->pending, p->npending, sizeof(*p->pending), cmp_by_round);
}

/* The files [g, e) of one round: read into the graph, inferred, read
 * through the path-diff. 0 or -1. */
static int read_round(bt_pipeline *p, size_t g, size_t e, char *err, size_t errlen)
{
	bt_owner_reset(p->owner);
	for (size_t k = g; k < e; k++)
		if (scan_file(p, p->pending[k].path, err, errlen) != 0)
			return -1;
	if (infer(p, err, errlen) != 0)
		return -1;
	for (size_t k = g; k < e; k++)
		if (read_file(p, p->pending[k].path, err, errlen) != 0)
			return -1;
	return 0;
}

int bt_pipeline_flush(bt_pipeline *p, char *err, size_t errlen)
{
	int rc = 0;
	order_pending(p);
	for (size_t g = 0, e; g < p->npending && rc == 0; g = e) {
		for (e = g + 1; e < p->npending && p->pending[e].round == p->pending[g].round; e++)
			;
		rc = read_round(p, g, e, err, errlen);
	}
	for (size_t i = 0; i < p->npending; i++)
		free(p->pending[i].path);
	free(p->pending);
	p->pending = NULL;
	p->npending = 0;
	if (p->owner)
		bt_owner_reset(p->owner);
	return rc;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool ends_with(const char *name, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);
	return n > k && strcmp(name + n - k, suffix) == 0;
}

/* The names a directory walk reads: our round files and scamper's warts,
 * plain or gzip'd (what is inside is told by content: input.h). */
static bool wanted(const char *name)
{
	static const char *const suffixes[] = { ".jsonl", ".warts", ".warts.gz" };
	size_t n = strlen(name);
	/* hidden names are files being written (".x.tmp.XXXX"); skip them */
	if (name[0] == '.')
		return false;
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
		if (ends_with(name, n, suffixes[i]))
			return true;
	return false;
}

static int add_dir(bt_pipeline *p, const char *dir, int depth, char *err, size_t errlen)
{
	if (depth > 16) {
		snprintf(err, errlen, "%s: directories nested too deep", dir);
		return -1;
	}
	DIR *d = opendir(dir);
	if (d == NULL) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	int rc = 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			char **nn = realloc(names, cap * sizeof(*nn));
			if (nn == NULL) {
				rc = -1;
				break;
			}
			names = nn;
		}
		names[n] = strdup(de->d_name);
		if (names[n] == NULL) {
			rc = -1;
			break;
		}
		n++;
	}
	closedir(d);
	if (rc != 0)
		snprintf(err, errlen, "out of memory");
	if (n)
		qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; i < n && rc == 0; i++) {
		size_t l = strlen(dir) + strlen(names[i]) + 2;
		char *full = malloc(l);
		if (full == NULL) {
			snprintf(err, errlen, "out of memory");
			rc = -1;
			break;
		}
		snprintf(full, l, "%s/%s", dir, names[i]);
		struct stat st;
		if (stat(full, &st) != 0) {
			snprintf(err, errlen, "%s: %s", full, strerror(errno));
			rc = -1;
		} else if (S_ISDIR(st.st_mode)) {
			rc = add_dir(p, full, depth + 1, err, errlen);
		} else if (S_ISREG(st.st_mode) && wanted(names[i])) {
			rc = add_file(p, full, err, errlen);
		}
		free(full);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

int bt_pipeline_add_path(bt_pipeline *p, const char *path, char *err, size_t errlen)
{
	struct stat st;
	if (strcmp(path, "-") == 0)
		return add_file(p, path, err, errlen);
	if (stat(path, &st) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		/* A directory without a single round file is more likely a wrong
		 * path than a quiet week: say so rather than report no events. */
		size_t before = p->files + p->npending;
		int rc = add_dir(p, path, 0, err, errlen);
		if (rc == 0 && p->files + p->npending == before) {
			snprintf(err, errlen, "%s: no round files (*.jsonl, *.warts, *.warts.gz) in it or below", path);
			return -1;
		}
		return rc;
	}
	return add_file(p, path, err, errlen);
}

int bt_pipeline_finish(bt_pipeline *p, char *err, size_t errlen)
{
	if (bt_pipeline_flush(p, err, errlen) != 0)
		return -1;
	if (bt_diff_finish(p->diff) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	p->finished = true;
	/* what only reading needed: the largest parts of a pipeline (a report
	 * reads the rounds again through another one while this diff lives) */
	free(p->cache);
	p->cache = NULL;
	free(p->vals);
	p->vals = NULL;
	free(p->infos);
	p->infos = NULL;
	free(p->csvs);
	p->csvs = NULL;
	bt_seen_free(p->seen);
	p->seen = NULL;
	if (!p->o.outdir)
		return 0;
	const char *agg = bt_agg_name(p->o.agg);
	bt_csv *w = &p->csv[F_EVENTS];
	for (size_t i = 0; i < bt_diff_nevents(p->diff); i++) {
		const bt_diff_event *e = bt_diff_event_at(p->diff, i);
		if (!(p->o.levels & (1u << e->level)))
			continue;
		bt_event_row(w, e, agg);
	}
	w = &p->csv[F_DIV];
	for (size_t i = 0; i < bt_diff_ndiv(p->diff); i++) {
		const bt_diff_div *v = bt_diff_div_at(p->diff, i);
		bt_csv_str(w, agg);
		bt_csv_str(w, v->target);
		bt_csv_str(w, v->round);
		bt_csv_str(w, bt_diff_level_name(v->level));
		bt_csv_str(w, v->upstream);
		bt_csv_str(w, v->level == BT_LEVEL_AS ? v->note : v->upstream);
		bt_csv_str(w, v->into);
		bt_csv_u64(w, v->traces);
		bt_csv_u64(w, v->routed);
		bt_csv_u64(w, v->observed);
		bt_csv_fixed(w, v->share, 4);
		bt_csv_u64(w, v->upstreams);
		bt_csv_u64(w, v->flows);
		bt_csv_u64(w, v->flows_routed);
		bt_csv_fixed(w, v->flow_share, 4);
		bt_csv_end(w);
	}
	/* All five appear together or not at all (doc/csv.md). */
	for (int i = 0; i < F_COUNT; i++)
		p->open[i] = false;
	return bt_csv_commit_set(p->csv, F_COUNT, p->o.outdir, err, errlen);
}

const bt_diff *bt_pipeline_diff(const bt_pipeline *p) { return p->diff; }
uint64_t bt_pipeline_traces(const bt_pipeline *p) { return p->traces; }
uint64_t bt_pipeline_hops(const bt_pipeline *p) { return p->hops; }
uint64_t bt_pipeline_duplicates(const bt_pipeline *p) { return p->duplicates; }
