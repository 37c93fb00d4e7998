/* bordertrace — watch's incremental path-diff (bordertrace/wdiff.h).
 *
 * The state machine is diff.c's (target_events), run one round at a time:
 * a route carries its state, its rounds seen, its run of absent rounds and
 * its totals from one pass to the next, so a pass reads only the open
 * rounds. Routes and (target, level) pairs are keyed by a composite string
 * interned in their own table: the id is the index. */
#include "bordertrace/wdiff.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bordertrace/strtab.h"

enum { UNSEEN = 0, ACTIVE = 1, GONE = 2 };
#define NONE UINT32_MAX

typedef struct wvp {
	uint32_t vp, rank; /* the rank of the round it first saw the route in */
} wvp;

/* what a route carries from pass to pass */
typedef struct wcore {
	uint8_t state;
	uint32_t seen_rounds, absent, first_absent; /* first_absent: a name id or NONE */
	uint64_t traces;
	int64_t first, last;
	uint32_t nvps, nev;
} wcore;

typedef struct wroute {
	uint32_t tl, up, into, note;
	wcore c, snap;
	bool changed;
	wvp *vps;
	uint32_t *ev; /* evidence trace ids (in ids) */
	uint32_t stamp; /* the rank of the round present/maybe refer to */
	bool present, maybe;
} wroute;

typedef struct wtl {
	uint32_t target;
	uint8_t level;
	uint32_t *routes, nroutes;
	uint32_t stamp, routed; /* traces with a route in, in round stamp */
	uint32_t *in, nin, cin; /* the VPs of those traces (sorted in step_tl) */
} wtl;

typedef struct wob { /* one trace at one level */
	uint32_t tl, up, into, note, vp;
	const char *id;
	int64_t time;
	bool maybe;
} wob;

typedef struct wevent {
	bt_diff_event_kind kind;
	uint32_t route, round, rank, rounds_seen;
} wevent;

struct bt_wdiff {
	bt_diff_opts o;
	unsigned levels;
	bt_strtab *names, *ids, *rkeys, *tkeys;
	wroute *r;
	size_t nr, cr;
	wtl *t;
	size_t nt, ct;
	size_t cur;    /* the open round being fed (index in open) */
	size_t settle; /* how many open rounds settle in this pass */
	bool begun;
	uint32_t *touched; /* (target, level) pairs of the round being fed */
	size_t ntouched, ctouched;
	uint32_t *open; /* open round ids (name ids), then sorted */
	size_t nopen, copen;
	uint32_t *rank; /* name id -> rank + 1 of an open round, 0 for others */
	size_t nrank;
	unsigned nsettled, settled_now;
	wevent *we;
	size_t nwe, cwe;
	bt_diff_event *ev;
	char **evs; /* strings of ev (2 a event) */
	uint32_t *changed;
	size_t nchanged;
	char *row[3]; /* the strings of the last changed row */
};

static int grow(void **arr, size_t n, size_t *cap, size_t elem)
{
	if (n < *cap)
		return 0;
	size_t nc = *cap ? *cap * 2 : 16;
	void *na = realloc(*arr, nc * elem);
	if (na == NULL)
		return -1;
	*arr = na;
	*cap = nc;
	return 0;
}

bt_wdiff *bt_wdiff_new(const bt_diff_opts *o, unsigned levels)
{
	bt_wdiff *w = calloc(1, sizeof(*w));
	if (w == NULL)
		return NULL;
	w->o = *o;
	w->o.baseline_rounds = w->o.baseline_rounds ? w->o.baseline_rounds : 1;
	w->o.min_rounds = w->o.min_rounds ? w->o.min_rounds : 1;
	w->o.min_vps = w->o.min_vps ? w->o.min_vps : 1;
	w->o.gone_after = w->o.gone_after ? w->o.gone_after : 1;
	w->levels = levels;
	w->names = bt_strtab_new();
	w->ids = bt_strtab_new();
	w->rkeys = bt_strtab_new();
	w->tkeys = bt_strtab_new();
	if (!w->names || !w->ids || !w->rkeys || !w->tkeys) {
		bt_wdiff_free(w);
		return NULL;
	}
	return w;
}

void bt_wdiff_free(bt_wdiff *w)
{
	if (w == NULL)
		return;
	for (size_t i = 0; i < w->nr; i++) {
		free(w->r[i].vps);
		free(w->r[i].ev);
	}
	for (size_t i = 0; i < w->nt; i++) {
		free(w->t[i].routes);
		free(w->t[i].in);
	}
	for (size_t i = 0; w->evs != NULL && i < 2 * w->nwe; i++)
		free(w->evs[i]);
	for (int i = 0; i < 3; i++)
		free(w->row[i]);
	free(w->evs);
	free(w->ev);
	free(w->we);
	free(w->r);
	free(w->t);
	free(w->touched);
	free(w->open);
	free(w->rank);
	free(w->changed);
	bt_strtab_free(w->names);
	bt_strtab_free(w->ids);
	bt_strtab_free(w->rkeys);
	bt_strtab_free(w->tkeys);
	free(w);
}

static uint32_t name(bt_wdiff *w, const char *s)
{
	return bt_strtab_intern(w->names, s ? s : "", s ? strlen(s) : 0);
}

/* The (target, level) pair's index, made if new; NONE when out of memory. */
static uint32_t tl_get(bt_wdiff *w, uint32_t target, int level)
{
	char key[24];
	int n = snprintf(key, sizeof(key), "%u/%d", target, level);
	uint32_t id = bt_strtab_intern(w->tkeys, key, (size_t)n);
	if (id == NONE || id < w->nt)
		return id;
	if (grow((void **)&w->t, w->nt, &w->ct, sizeof(*w->t)) != 0)
		return NONE;
	w->t[w->nt] = (wtl){ .target = target, .level = (uint8_t)level, .stamp = NONE };
	return (uint32_t)w->nt++;
}

/* The route's index; made if new and make, else NONE when absent. */
static uint32_t route_get(bt_wdiff *w, uint32_t tl, uint32_t up, uint32_t into, bool make)
{
	char key[40];
	int n = snprintf(key, sizeof(key), "%u/%u/%u", tl, up, into);
	uint32_t id = make ? bt_strtab_intern(w->rkeys, key, (size_t)n) : bt_strtab_find(w->rkeys, key, (size_t)n);
	if (id == NONE || id < w->nr)
		return id;
	wtl *t = &w->t[tl];
	if (grow((void **)&w->r, w->nr, &w->cr, sizeof(*w->r)) != 0)
		return NONE;
	uint32_t *nr = realloc(t->routes, (t->nroutes + 1) * sizeof(*nr));
	if (nr == NULL)
		return NONE;
	t->routes = nr;
	t->routes[t->nroutes++] = (uint32_t)w->nr;
	w->r[w->nr] = (wroute){ .tl = tl, .up = up, .into = into, .note = NONE, .stamp = NONE };
	w->r[w->nr].c = (wcore){ .first_absent = NONE, .first = INT64_MAX, .last = INT64_MIN };
	return (uint32_t)w->nr++;
}

void bt_wdiff_set_settled(bt_wdiff *w, unsigned nsettled)
{
	w->nsettled = nsettled;
}

static int add_vp(wroute *x, uint32_t vp, uint32_t rank)
{
	for (uint32_t i = 0; i < x->c.nvps; i++)
		if (x->vps[i].vp == vp)
			return 0;
	wvp *n = realloc(x->vps, (x->c.nvps + 1) * sizeof(*n));
	if (n == NULL)
		return -1;
	x->vps = n;
	x->vps[x->c.nvps++] = (wvp){ vp, rank };
	return 0;
}

static int add_evidence(bt_wdiff *w, wroute *x, uint32_t id)
{
	if (x->c.nev >= w->o.max_evidence || id == NONE)
		return 0;
	uint32_t *n = realloc(x->ev, (x->c.nev + 1) * sizeof(*n));
	if (n == NULL)
		return -1;
	x->ev = n;
	x->ev[x->c.nev++] = id;
	return 0;
}

/* Each space-separated word of s handed to fn: 0, or fn's -1. */
static int each_word(const char *s, int (*fn)(bt_wdiff *, wroute *, const char *, size_t, uint32_t), bt_wdiff *w,
		     wroute *x)
{
	uint32_t i = 0;
	while (s != NULL && *s) {
		size_t l = strcspn(s, " ");
		if (l > 0 && fn(w, x, s, l, i++) != 0)
			return -1;
		s += l + (s[l] == ' ');
	}
	return 0;
}

static int load_vp(bt_wdiff *w, wroute *x, const char *s, size_t l, uint32_t i)
{
	(void)i;
	uint32_t id = bt_strtab_intern(w->names, s, l);
	return id == NONE ? -1 : add_vp(x, id, 0);
}

static int load_rank(bt_wdiff *w, wroute *x, const char *s, size_t l, uint32_t i)
{
	(void)w;
	(void)l;
	if (i >= x->c.nvps)
		return -1;
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	x->vps[i].rank = (uint32_t)v;
	return end == s ? -1 : 0;
}

static int load_ev(bt_wdiff *w, wroute *x, const char *s, size_t l, uint32_t i)
{
	(void)i;
	return add_evidence(w, x, bt_strtab_intern(w->ids, s, l));
}

int bt_wdiff_load(bt_wdiff *w, const bt_wroute_row *row, char *err, size_t errlen)
{
	int level = strcmp(row->level, "as") == 0 ? 0 : strcmp(row->level, "country") == 0 ? 1 : -1;
	if (level < 0 || row->state < UNSEEN || row->state > GONE) {
		snprintf(err, errlen, "watch state of %s %s -> %s: level '%s', state %d", row->target, row->upstream,
			 row->into, row->level, row->state);
		return -1;
	}
	uint32_t tl = tl_get(w, name(w, row->target), level);
	uint32_t i = tl == NONE ? NONE : route_get(w, tl, name(w, row->upstream), name(w, row->into), true);
	if (i == NONE)
		goto oom;
	wroute *x = &w->r[i];
	x->note = name(w, row->note);
	x->c.state = (uint8_t)row->state;
	x->c.seen_rounds = row->seen_rounds;
	x->c.absent = row->absent;
	x->c.first_absent = row->first_absent[0] ? name(w, row->first_absent) : NONE;
	x->c.traces = row->traces;
	x->c.first = row->first_us;
	x->c.last = row->last_us;
	if (x->note == NONE || each_word(row->vps, load_vp, w, x) != 0 || each_word(row->evidence, load_ev, w, x) != 0)
		goto oom;
	if (each_word(row->vp_ranks, load_rank, w, x) != 0) {
		snprintf(err, errlen, "watch state of %s %s -> %s: vp ranks '%s' for VPs '%s'", row->target,
			 row->upstream, row->into, row->vp_ranks, row->vps);
		return -1;
	}
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
	return -1;
}

/* Marks name id as an open round (rank: 0 not open, else 1 until
 * bt_wdiff_begin, then its rank + 1). */
static int open_round(bt_wdiff *w, uint32_t id)
{
	if (id >= w->nrank) {
		size_t n = (id + 1) * 2;
		uint32_t *r = realloc(w->rank, n * sizeof(*r));
		if (r == NULL)
			return -1;
		memset(r + w->nrank, 0, (n - w->nrank) * sizeof(*r));
		w->rank = r;
		w->nrank = n;
	}
	if (w->rank[id])
		return 0;
	if (grow((void **)&w->open, w->nopen, &w->copen, sizeof(*w->open)) != 0)
		return -1;
	w->rank[id] = 1;
	w->open[w->nopen++] = id;
	return 0;
}

int bt_wdiff_round(bt_wdiff *w, const char *round)
{
	uint32_t id = name(w, round);
	return id == NONE ? -1 : open_round(w, id);
}

/* ---- stepping ---- */

static int cmp_names(const void *a, const void *b, void *ctx)
{
	const bt_wdiff *w = ctx;
	return strcmp(bt_strtab_get(w->names, *(const uint32_t *)a), bt_strtab_get(w->names, *(const uint32_t *)b));
}

/* One trace at one level, of the round ranked k, into its route (made for
 * a sighting; a trace whose route shows only across copied hops makes
 * none); its (target, level) joins the round's touched ones. 0 or -1. */
static int take(bt_wdiff *w, const wob *b, uint32_t k, bool maybe, int64_t time)
{
	if (w->t[b->tl].stamp != k) {
		if (grow((void **)&w->touched, w->ntouched, &w->ctouched, sizeof(*w->touched)) != 0)
			return -1;
		w->touched[w->ntouched++] = b->tl;
		w->t[b->tl].stamp = k;
		w->t[b->tl].routed = 0;
		w->t[b->tl].nin = 0;
	}
	uint32_t i = route_get(w, b->tl, b->up, b->into, !maybe);
	if (i == NONE)
		return maybe ? 0 : -1;
	wroute *x = &w->r[i];
	if (x->stamp != k) {
		x->stamp = k;
		x->present = x->maybe = false;
	}
	if (maybe) {
		x->maybe = true;
		return 0;
	}
	wtl *t = &w->t[b->tl];
	t->routed++;
	if (t->nin == 0 || t->in[t->nin - 1] != b->vp) { /* a VP's traces come together */
		if (t->nin == t->cin) {
			uint32_t nc = t->cin ? t->cin * 2 : 4, *ni = realloc(t->in, nc * sizeof(*ni));
			if (ni == NULL)
				return -1;
			t->in = ni;
			t->cin = nc;
		}
		t->in[t->nin++] = b->vp;
	}
	x->present = true;
	if (x->note == NONE)
		x->note = b->note;
	x->c.traces++;
	if (time < x->c.first)
		x->c.first = time;
	if (time > x->c.last)
		x->c.last = time;
	uint32_t id = NONE;
	if (b->id != NULL && x->c.nev < w->o.max_evidence &&
	    (id = bt_strtab_intern(w->ids, b->id, strlen(b->id))) == NONE)
		return -1;
	return add_vp(x, b->vp, k) != 0 || add_evidence(w, x, id) != 0 ? -1 : 0;
}

static int event(bt_wdiff *w, bt_diff_event_kind kind, uint32_t route, uint32_t round, uint32_t k)
{
	if (grow((void **)&w->we, w->nwe, &w->cwe, sizeof(*w->we)) != 0)
		return -1;
	w->we[w->nwe++] = (wevent){ kind, route, round, k, w->r[route].c.seen_rounds };
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* diff.c's absent_seen: a VP that saw x before round k entered the target
 * in k (t->in sorted). */
static bool absent_seen(const wtl *t, const wroute *x, uint32_t k)
{
	for (uint32_t i = 0; i < x->c.nvps; i++)
		if (x->vps[i].rank < k && bsearch(&x->vps[i].vp, t->in, t->nin, sizeof(*t->in), cmp_u32))
			return true;
	return false;
}

/* The state machine of diff.c's target_events over one round (rank k,
 * name rn) for every route of one (target, level). */
static int step_tl(bt_wdiff *w, wtl *t, uint32_t k, uint32_t rn, bool settling)
{
	if (t->stamp == k && t->nin > 1)
		qsort(t->in, t->nin, sizeof(*t->in), cmp_u32);
	for (uint32_t j = 0; j < t->nroutes; j++) {
		uint32_t i = t->routes[j];
		wroute *x = &w->r[i];
		bool present = x->stamp == k && x->present, maybe = x->stamp == k && x->maybe && !present;
		x->changed |= settling;
		if (k < w->o.baseline_rounds) {
			if (present) {
				x->c.state = ACTIVE;
				x->c.seen_rounds++;
			}
		} else if (maybe) {
			/* only copied hops show it: neither seen nor absent */
		} else if (present) {
			x->c.seen_rounds++;
			x->c.absent = 0;
			if (x->c.state == UNSEEN && x->c.seen_rounds >= w->o.min_rounds && x->c.nvps >= w->o.min_vps) {
				if (event(w, BT_EVENT_NEW, i, rn, k) != 0)
					return -1;
				x->c.state = ACTIVE;
			} else if (x->c.state == GONE) {
				if (event(w, BT_EVENT_RETURNED, i, rn, k) != 0)
					return -1;
				x->c.state = ACTIVE;
			}
		} else if (x->c.state == ACTIVE && t->routed > 0 && t->stamp == k && absent_seen(t, x, k)) {
			if (x->c.absent == 0)
				x->c.first_absent = rn;
			if (++x->c.absent == w->o.gone_after) {
				if (event(w, BT_EVENT_GONE, i, x->c.first_absent, k) != 0)
					return -1;
				x->c.state = GONE;
			}
		}
	}
	return 0;
}

/* The state as of the newest settled round: what a pass persists. */
static int snapshot(bt_wdiff *w)
{
	free(w->changed);
	w->nchanged = 0;
	w->changed = malloc((w->nr ? w->nr : 1) * sizeof(*w->changed));
	if (w->changed == NULL)
		return -1;
	for (size_t i = 0; i < w->nr; i++)
		if (w->r[i].changed) {
			w->r[i].snap = w->r[i].c;
			w->changed[w->nchanged++] = (uint32_t)i;
		}
	return 0;
}

static int materialize(bt_wdiff *w);

int bt_wdiff_begin(bt_wdiff *w, unsigned keep_open)
{
	if (w->nopen > 1)
		qsort_r(w->open, w->nopen, sizeof(*w->open), cmp_names, w);
	for (size_t i = 0; i < w->nopen; i++)
		w->rank[w->open[i]] = w->nsettled + (uint32_t)i + 1;
	w->settle = w->nopen > keep_open ? w->nopen - keep_open : 0;
	w->cur = 0;
	w->begun = true;
	return w->settle ? 0 : snapshot(w);
}

/* Steps the open rounds before index upto (each once). 0 or -1. */
static int advance(bt_wdiff *w, size_t upto)
{
	for (; w->cur < upto; w->cur++) {
		uint32_t k = w->nsettled + (uint32_t)w->cur;
		for (size_t j = 0; j < w->ntouched; j++)
			if (step_tl(w, &w->t[w->touched[j]], k, w->open[w->cur], w->cur < w->settle) != 0)
				return -1;
		w->ntouched = 0;
		if (w->cur + 1 == w->settle && snapshot(w) != 0)
			return -1;
	}
	return 0;
}

int bt_wdiff_add(bt_wdiff *w, const bt_diff_obs *o)
{
	uint32_t round = bt_strtab_find(w->names, o->round, strlen(o->round));
	if (!w->begun || round == NONE || round >= w->nrank || !w->rank[round])
		return -1; /* not an open round */
	size_t at = w->rank[round] - 1 - w->nsettled;
	if (at < w->cur || advance(w, at) != 0)
		return -1; /* rounds are fed in order */
	uint32_t target = name(w, o->target), vp = name(w, o->vp);
	if (target == NONE || vp == NONE)
		return -1;
	for (int level = 0; level < 2; level++) {
		bool maybe = o->up[level] == NULL;
		const char *up = maybe ? o->maybe_up[level] : o->up[level];
		if (!(w->levels & (1u << level)) || up == NULL)
			continue;
		wob b = { .tl = tl_get(w, target, level), .up = name(w, up),
			  .into = name(w, maybe ? o->maybe_into[level] : o->into[level]),
			  .note = name(w, maybe ? o->maybe_note[level] : o->note[level]), .vp = vp, .id = o->trace_id };
		if (b.tl == NONE || b.up == NONE || b.into == NONE || b.note == NONE ||
		    take(w, &b, (uint32_t)(w->nsettled + at), maybe, o->time_us) != 0)
			return -1;
	}
	return 0;
}

int bt_wdiff_finish(bt_wdiff *w)
{
	if (!w->begun && bt_wdiff_begin(w, 0) != 0)
		return -1;
	if (advance(w, w->nopen) != 0)
		return -1;
	w->settled_now = (unsigned)w->settle;
	w->nsettled += (unsigned)w->settle;
	return materialize(w);
}

/* ---- results ---- */

typedef struct sbuf {
	char *s;
	size_t len, cap;
	bool oom;
} sbuf;

static void sb_add(sbuf *b, const char *s)
{
	size_t l = strlen(s);
	while (!b->oom && b->len + l + 1 >= b->cap)
		b->oom = grow((void **)&b->s, b->cap, &b->cap, 1) != 0;
	if (b->oom)
		return;
	if (b->len)
		b->s[b->len - 1] = ' ';
	memcpy(b->s + b->len, s, l + 1);
	b->len += l + 1;
}

/* The list, malloc'ed ("" when empty), or NULL. */
static char *sb_done(sbuf *b)
{
	if (!b->oom && b->s == NULL)
		return strdup("");
	if (b->oom)
		free(b->s);
	return b->oom ? NULL : b->s;
}

/* VPs that saw x in rounds ranked up to k (all: UINT32_MAX), then its
 * first nev trace ids, as space-separated lists. */
static char *vps_upto(const bt_wdiff *w, const wroute *x, uint32_t nvps, uint32_t k)
{
	sbuf b = { 0 };
	for (uint32_t i = 0; i < nvps; i++)
		if (x->vps[i].rank <= k)
			sb_add(&b, bt_strtab_get(w->names, x->vps[i].vp));
	return sb_done(&b);
}

static char *evidence(const bt_wdiff *w, const wroute *x, uint32_t nev)
{
	sbuf b = { 0 };
	for (uint32_t i = 0; i < nev; i++)
		sb_add(&b, bt_strtab_get(w->ids, x->ev[i]));
	return sb_done(&b);
}

static const char *str(const bt_wdiff *w, uint32_t id)
{
	return id == NONE ? "" : bt_strtab_get(w->names, id);
}

static int materialize(bt_wdiff *w)
{
	w->ev = calloc(w->nwe ? w->nwe : 1, sizeof(*w->ev));
	w->evs = calloc(2 * w->nwe + 1, sizeof(*w->evs));
	if (w->ev == NULL || w->evs == NULL)
		return -1;
	for (size_t i = 0; i < w->nwe; i++) {
		const wevent *v = &w->we[i];
		const wroute *x = &w->r[v->route];
		const wtl *t = &w->t[x->tl];
		w->evs[2 * i] = vps_upto(w, x, x->c.nvps, v->rank);
		w->evs[2 * i + 1] = evidence(w, x, x->c.nev);
		if (w->evs[2 * i] == NULL || w->evs[2 * i + 1] == NULL)
			return -1;
		w->ev[i] = (bt_diff_event){
			.kind = v->kind, .level = (bt_diff_level)t->level, .target = str(w, t->target),
			.upstream = str(w, x->up), .into = str(w, x->into), .note = str(w, x->note),
			.round = str(w, v->round), .first_seen_us = x->c.first, .last_seen_us = x->c.last,
			.rounds_seen = v->rounds_seen, .traces = (unsigned)x->c.traces,
			.vps = w->evs[2 * i], .evidence = w->evs[2 * i + 1],
		};
	}
	return 0;
}

size_t bt_wdiff_nevents(const bt_wdiff *w)
{
	return w->ev ? w->nwe : 0;
}

const bt_diff_event *bt_wdiff_event_at(const bt_wdiff *w, size_t i)
{
	return i < bt_wdiff_nevents(w) ? &w->ev[i] : NULL;
}

unsigned bt_wdiff_nsettled(const bt_wdiff *w)
{
	return w->nsettled;
}

const char *bt_wdiff_settled_round(const bt_wdiff *w)
{
	return w->settled_now ? str(w, w->open[w->settled_now - 1]) : NULL;
}

size_t bt_wdiff_nchanged(const bt_wdiff *w)
{
	return w->nchanged;
}

int bt_wdiff_changed_at(bt_wdiff *w, size_t i, bt_wroute_row *out)
{
	const wroute *x = &w->r[w->changed[i]];
	const wtl *t = &w->t[x->tl];
	const wcore *c = &x->snap;
	for (int k = 0; k < 3; k++)
		free(w->row[k]);
	w->row[0] = vps_upto(w, x, c->nvps, UINT32_MAX);
	w->row[2] = evidence(w, x, c->nev);
	sbuf b = { 0 };
	for (uint32_t k = 0; k < c->nvps; k++) {
		char n[12];
		snprintf(n, sizeof(n), "%u", x->vps[k].rank);
		sb_add(&b, n);
	}
	w->row[1] = sb_done(&b);
	if (!w->row[0] || !w->row[1] || !w->row[2])
		return -1;
	*out = (bt_wroute_row){
		.level = bt_diff_level_name((bt_diff_level)t->level), .target = str(w, t->target),
		.upstream = str(w, x->up), .into = str(w, x->into), .note = str(w, x->note), .state = c->state,
		.seen_rounds = c->seen_rounds, .absent = c->absent, .first_absent = str(w, c->first_absent),
		.traces = c->traces, .first_us = c->first, .last_us = c->last,
		.vps = w->row[0], .vp_ranks = w->row[1], .evidence = w->row[2],
	};
	return 0;
}
