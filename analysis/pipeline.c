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
	"far_country", "across_silent", "ixp", "into_target" };
static const char *const EVENTS_COLS[] = { "event", "level", "aggregate", "target_network", "upstream",
	"upstream_country", "into", "round", "first_seen", "last_seen", "rounds_seen", "traces", "vps",
	"evidence" };
static const char *const DIV_COLS[] = { "aggregate", "target_network", "round", "level", "upstream",
	"upstream_country", "into", "traces", "routed", "observed", "share", "upstreams" };

#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))

/* Address -> resolution, so that the millions of repeated hop addresses
 * cost one database lookup each. */
typedef struct centry {
	bt_addr key;
	bool used;
	bt_hopres val;
} centry;

struct bt_pipeline {
	bt_pipeline_opts o;
	bt_diff *diff;
	bt_csv csv[F_COUNT];
	bool open[F_COUNT];
	centry *cache;
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
};

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
	p->seen = bt_seen_new();
	p->info = calloc(BT_HOPS_MAX, sizeof(*p->info));
	p->res = calloc(BT_HOPS_MAX, sizeof(*p->res));
	if (p->diff == NULL || p->cache == NULL || p->seen == NULL || p->info == NULL ||
	    p->res == NULL) {
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
			{ "events.csv", EVENTS_COLS, NCOLS(EVENTS_COLS) },
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
	free(p->info);
	free(p->res);
	bt_seen_free(p->seen);
	free_skips(p);
	for (size_t i = 0; i < p->files; i++)
		free(p->names[i]);
	free(p->names);
	free(p);
}

static size_t addr_hash(const bt_addr *a)
{
	uint64_t h = 1469598103934665603ULL ^ a->family;
	for (int i = 0; i < 16; i++)
		h = (h ^ a->bytes[i]) * 1099511628211ULL;
	return (size_t)(h ^ (h >> 29));
}

/* Makes room for `more` new entries so that pointers handed out while one
 * trace is processed stay valid. Grows up to 1M entries; beyond that it
 * starts afresh, which bounds memory. */
static int cache_reserve(bt_pipeline *p, size_t more)
{
	if ((p->cn + more) * 2 < p->cmask + 1)
		return 0;
	size_t ncap = (p->cmask + 1) * 2;
	centry *nc = ncap <= (1u << 20) ? calloc(ncap, sizeof(*nc)) : NULL;
	if (nc == NULL) {
		memset(p->cache, 0, (p->cmask + 1) * sizeof(*p->cache));
		p->cn = 0;
		return (more * 2 < p->cmask + 1) ? 0 : -1;
	}
	for (size_t k = 0; k <= p->cmask; k++) {
		if (!p->cache[k].used)
			continue;
		size_t j = addr_hash(&p->cache[k].key) & (ncap - 1);
		while (nc[j].used)
			j = (j + 1) & (ncap - 1);
		nc[j] = p->cache[k];
		if (nc[j].val.info.kind == BT_HOP_IXP)
			nc[j].val.info.ixp = nc[j].val.ixp;
	}
	free(p->cache);
	p->cache = nc;
	p->cmask = ncap - 1;
	return 0;
}

static int resolve(bt_pipeline *p, const bt_addr *a, const bt_hopres **out, char *err, size_t errlen)
{
	size_t i = addr_hash(a) & p->cmask;
	while (p->cache[i].used) {
		if (bt_addr_eq(&p->cache[i].key, a)) {
			*out = &p->cache[i].val;
			return 0;
		}
		i = (i + 1) & p->cmask;
	}
	centry *e = &p->cache[i];
	memset(&e->val, 0, sizeof(e->val));
	if (p->o.resolve(p->o.rctx, a, &e->val, err, errlen) != 0)
		return -1;
	if (e->val.info.kind == BT_HOP_IXP)
		e->val.info.ixp = e->val.ixp;
	/* the origins column, formatted once per address rather than per hop */
	size_t off = 0;
	for (unsigned k = 0; k < e->val.info.norigins && off + 12 < sizeof(e->val.origins); k++)
		off += (size_t)snprintf(e->val.origins + off, sizeof(e->val.origins) - off, "%s%u", k ? " " : "",
					e->val.info.origins[k]);
	/* hops.csv columns class..ixp, ready to copy */
	{
		bt_hopres *v = &e->val;
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
			fits = (l > 0 || cols[k][0] == '\0') && off + l + 2 <= sizeof(v->csv_tail);
			if (k)
				v->csv_tail[off++] = ',';
			memcpy(v->csv_tail + off, f[k], fits ? l : 0);
			off += fits ? l : 0;
		}
		v->csv_tail[off] = '\0';
		v->csv_tail_len = fits ? (uint16_t)off : UINT16_MAX;
		bt_addr_format(a, v->csv_addr, sizeof(v->csv_addr));
		v->csv_addr_len = (uint16_t)strlen(v->csv_addr);
	}
	e->key = *a;
	e->used = true;
	p->cn++;
	*out = &e->val;
	return 0;
}

static void asn_str(char *buf, size_t len, uint32_t asn)
{
	if (asn)
		snprintf(buf, len, "AS%u", asn);
	else
		snprintf(buf, len, "unknown");
}

static void write_crossings(bt_pipeline *p, const char *id, const bt_trace *t, const char *target,
			    const bt_crossing *c, size_t n, const char *kind, int border)
{
	bt_csv *w = &p->csv[F_BORDERS];
	char a[BT_ADDR_STRLEN];
	for (size_t i = 0; i < n; i++) {
		bt_csv_str(w, id);
		bt_csv_str(w, t->vp);
		bt_csv_str(w, t->round);
		bt_csv_str(w, target);
		bt_csv_str(w, kind);
		bt_csv_u64(w, i);
		bt_csv_u64(w, c[i].near_ttl);
		bt_csv_str(w, bt_addr_format(&c[i].near_addr, a, sizeof(a)));
		if (c[i].near_asn) bt_csv_u64(w, c[i].near_asn); else bt_csv_str(w, "");
		bt_csv_str(w, c[i].near_cc);
		bt_csv_u64(w, c[i].far_ttl);
		bt_csv_str(w, bt_addr_format(&c[i].far_addr, a, sizeof(a)));
		if (c[i].far_asn) bt_csv_u64(w, c[i].far_asn); else bt_csv_str(w, "");
		bt_csv_str(w, c[i].far_cc);
		bt_csv_u64(w, c[i].across_silent);
		bt_csv_str(w, c[i].ixp);
		bt_csv_u64(w, (int)i == border);
		bt_csv_end(w);
	}
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

/* Hands the trace's border crossing (AS and country) to the path-diff. */
static int observe(bt_pipeline *p, const bt_trace *t, const bt_hopinfo *info,
		   const bt_hopres *dres, const bt_path *path, const char *id, const char *key,
		   char *err, size_t errlen)
{
	char up_as[16] = "", into_as[16] = "";
	const bt_crossing *bx = border_as(path), *bc = border_cc(path);
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
		bt_path_build(&all, info, &dres->info, &whole);
		if (!bx && whole.border_as >= 0) {
			mx = &whole.as_cross[whole.border_as];
			asn_str(mup_as, sizeof(mup_as), mx->near_asn);
			asn_str(minto_as, sizeof(minto_as), mx->far_asn);
		}
		if (!bc && whole.border_cc >= 0)
			mc = &whole.cc_cross[whole.border_cc];
	}
	bt_diff_obs o = {
		.target = key, .vp = t->vp, .round = t->round, .trace_id = id, .time_us = t->start_us,
		.up = { bx ? up_as : NULL, bc ? bc->near_cc : NULL },
		.into = { bx ? into_as : NULL, bc ? bc->far_cc : NULL },
		.note = { bx ? bx->near_cc : NULL, NULL },
		.maybe_up = { mx ? mup_as : NULL, mc ? mc->near_cc : NULL },
		.maybe_into = { mx ? minto_as : NULL, mc ? mc->far_cc : NULL },
		.maybe_note = { mx ? mx->near_cc : NULL, NULL },
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
		bt_csv_raw(w, r->csv_addr, r->csv_addr_len);
		bt_csv_ms(w, h->rtt_us);
		bt_csv_u64(w, h->reply_ttl);
		if (h->tcp_flags) {
			bt_csv_raw(w, ",", 1);
		} else {
			bt_csv_u64(w, h->icmp_type);
			bt_csv_u64(w, h->icmp_code);
		}
		if (r->csv_tail_len != UINT16_MAX)
			bt_csv_raw(w, r->csv_tail, r->csv_tail_len);
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
static void trace_id(const bt_trace *t, char *id, char a[BT_ADDR_STRLEN])
{
	bt_addr_format(&t->dst, a, BT_ADDR_STRLEN);
	snprintf(id, ID_LEN, "%s/%s/%s/%s/%u", t->vp[0] ? t->vp : "-", t->round[0] ? t->round : "-", a,
		 bt_method_name(t->method), t->flow);
}

static int add_trace(bt_pipeline *p, const bt_trace *t, const char *id, const char *a, char *err,
		     size_t errlen)
{
	bt_hopinfo *info = p->info;
	const bt_hopres **res = p->res;
	const bt_hopres *dres;
	char key[BT_ID_MAX + 80];
	size_t n = t->hop_count < BT_HOPS_MAX ? t->hop_count : BT_HOPS_MAX;
	static const bt_hopres silent; /* zero: BT_HOP_SILENT */

	if (cache_reserve(p, n + 1) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}

	for (size_t i = 0; i < n; i++) {
		if (!bt_addr_is_set(&t->hops[i].addr)) {
			res[i] = &silent;
		} else if (resolve(p, &t->hops[i].addr, &res[i], err, errlen) != 0) {
			return -1;
		}
		info[i] = res[i]->info;
	}
	if (resolve(p, &t->dst, &dres, err, errlen) != 0)
		return -1;
	bt_path path;
	bt_path_build(t, info, &dres->info, &path);

	target_key(p, t, dres, &path, a, key, sizeof(key));
	if (!p->o.hook_only && observe(p, t, info, dres, &path, id, key, err, errlen) != 0)
		return -1;
	p->traces++;
	p->hops += n;
	if (p->o.on_trace) {
		bt_pipeline_trace pt = { .t = t, .id = id, .key = key, .res = res, .n = n, .dres = dres,
					 .path = &path };
		if (p->o.on_trace(p->o.hook_ctx, &pt, err, errlen) != 0)
			return -1;
	}
	if (!p->o.outdir)
		return 0;

	unsigned replies = write_hops(p, t, res, n, id, a);
	write_trace_row(p, t, dres, &path, id, a, n, replies);
	write_crossings(p, id, t, a, path.as_cross, path.nas_cross, "as", path.border_as);
	write_crossings(p, id, t, a, path.cc_cross, path.ncc_cross, "country", path.border_cc);
	return 0;
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
	switch (bt_seen_add(p->seen, id, t, (uint32_t)(p->files - 1), &first)) {
	case BT_SEEN_NEW:
		return 0;
	case BT_SEEN_SAME:
		p->duplicates++;
		return 1;
	case BT_SEEN_NOMEM:
		snprintf(err, errlen, "out of memory");
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
	while ((rc = bt_input_next(in, &t, err, errlen)) == 1) {
		trace_id(t, id, a);
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

static int add_file(bt_pipeline *p, const char *path, char *err, size_t errlen)
{
	if (add_name(p, path, err, errlen) != 0)
		return -1;
	bt_input *in = bt_input_open(path, &p->o.input, err, errlen);
	return in == NULL ? -1 : add_input(p, in, err, errlen);
}

int bt_pipeline_add_buffer(bt_pipeline *p, const char *name, const char *buf, size_t len, char *err,
			   size_t errlen)
{
	if (add_name(p, name, err, errlen) != 0)
		return -1;
	bt_input *in = bt_input_open_buffer(name, buf, len, err, errlen);
	return in == NULL ? -1 : add_input(p, in, err, errlen);
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
		size_t before = p->files;
		int rc = add_dir(p, path, 0, err, errlen);
		if (rc == 0 && p->files == before) {
			snprintf(err, errlen, "%s: no round files (*.jsonl, *.warts, *.warts.gz) in it or below", path);
			return -1;
		}
		return rc;
	}
	return add_file(p, path, err, errlen);
}

int bt_pipeline_finish(bt_pipeline *p, char *err, size_t errlen)
{
	if (bt_diff_finish(p->diff) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	p->finished = true;
	/* what only reading needed: the largest parts of a pipeline (a report
	 * reads the rounds again through another one while this diff lives) */
	free(p->cache);
	p->cache = NULL;
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
		bt_csv_end(w);
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
