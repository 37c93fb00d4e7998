/* bordertrace — path-diff over rounds (see include/bordertrace/diff.h).
 *
 * Two tables fed while reading: routes (target, level, upstream) with the
 * (round, VP) pairs that saw them, and per (target, round) observation
 * counts. bt_diff_finish orders the rounds, walks each target's rounds after
 * the baseline with a small state machine per route, and writes events and
 * diversity rows. */
#include "bordertrace/diff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bordertrace/strtab.h"

typedef struct seen {
	uint32_t round, vp, count;
	uint32_t flows; /* flows through the route (count, for traces of one flow) */
} seen;

typedef struct route {
	uint32_t target, up, into, note;
	uint8_t level;
	int64_t first, last;
	uint32_t traces;
	seen *s;
	uint32_t ns, cs;
	uint32_t *ev;   /* evidence trace ids (in d->ids) */
	uint32_t nev;
	uint32_t *maybe; /* rounds where only copied hops show it */
	uint32_t nmaybe;
} route;

typedef struct tround {
	uint32_t target, round;
	uint32_t observed;
	uint32_t routed[2];
	uint32_t flows[2]; /* flows that entered (routed, for traces of one flow) */
} tround;

/* u64 -> u32 index map, open addressing. */
typedef struct map {
	uint64_t *k;
	uint32_t *v; /* index + 1 */
	size_t mask, n;
} map;

struct bt_diff {
	bt_diff_opts o;
	bt_strtab *names; /* targets, VPs, rounds, upstreams */
	bt_strtab *ids;   /* trace ids kept as evidence */
	route *r;
	size_t nr, cr;
	tround *t;
	size_t nt, ct;
	map rmap, tmap;
	/* results */
	bt_diff_event *ev;
	size_t nev, cev;
	bt_diff_div *dv;
	size_t ndv, cdv;
	char **strs; /* strings owned by the results */
	size_t nstrs, cstrs;
	uint32_t *rank; /* round name id -> chronological rank */
	size_t nrounds;
};

void bt_diff_opts_default(bt_diff_opts *o)
{
	o->baseline_rounds = 1;
	o->min_rounds = 1;
	o->min_vps = 1;
	o->gone_after = 2;
	o->max_evidence = 20;
}

const char *bt_diff_level_name(bt_diff_level l)
{
	return l == BT_LEVEL_AS ? "as" : "country";
}

const char *bt_diff_event_name(bt_diff_event_kind k)
{
	switch (k) {
	case BT_EVENT_NEW: return "new";
	case BT_EVENT_GONE: return "gone";
	case BT_EVENT_RETURNED: return "returned";
	}
	return "?";
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

static int map_init(map *m)
{
	m->mask = 1023;
	m->n = 0;
	m->k = calloc(m->mask + 1, sizeof(*m->k));
	m->v = calloc(m->mask + 1, sizeof(*m->v));
	return m->k && m->v ? 0 : -1;
}

static void map_free(map *m)
{
	free(m->k);
	free(m->v);
}

static uint32_t *map_slot(map *m, uint64_t key)
{
	for (size_t i = mix(key) & m->mask;; i = (i + 1) & m->mask) {
		if (m->v[i] == 0 || m->k[i] == key) {
			m->k[i] = key;
			return &m->v[i];
		}
	}
}

static int map_grow(map *m)
{
	if ((m->n + 1) * 2 <= m->mask + 1)
		return 0;
	map nm = { 0 };
	nm.mask = (m->mask + 1) * 2 - 1;
	nm.k = calloc(nm.mask + 1, sizeof(*nm.k));
	nm.v = calloc(nm.mask + 1, sizeof(*nm.v));
	if (!nm.k || !nm.v) {
		map_free(&nm);
		return -1;
	}
	for (size_t i = 0; i <= m->mask; i++)
		if (m->v[i])
			*map_slot(&nm, m->k[i]) = m->v[i];
	nm.n = m->n;
	map_free(m);
	*m = nm;
	return 0;
}

/* Makes room for one more element in a doubling array. 0, or -1 (memory). */
static int grow(void **arr, size_t n, size_t *cap, size_t elem, size_t first)
{
	if (n < *cap)
		return 0;
	size_t nc = *cap ? *cap * 2 : first;
	void *na = realloc(*arr, nc * elem);
	if (na == NULL)
		return -1;
	*arr = na;
	*cap = nc;
	return 0;
}

bt_diff *bt_diff_new(const bt_diff_opts *o)
{
	bt_diff *d = calloc(1, sizeof(*d));
	if (d == NULL)
		return NULL;
	d->o = *o;
	if (d->o.baseline_rounds < 1)
		d->o.baseline_rounds = 1;
	if (d->o.min_rounds < 1)
		d->o.min_rounds = 1;
	if (d->o.min_vps < 1)
		d->o.min_vps = 1;
	if (d->o.gone_after < 1)
		d->o.gone_after = 1;
	d->names = bt_strtab_new();
	d->ids = bt_strtab_new();
	if (!d->names || !d->ids || map_init(&d->rmap) || map_init(&d->tmap)) {
		bt_diff_free(d);
		return NULL;
	}
	return d;
}

void bt_diff_free(bt_diff *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->nr; i++) {
		free(d->r[i].s);
		free(d->r[i].ev);
		free(d->r[i].maybe);
	}
	free(d->r);
	free(d->t);
	map_free(&d->rmap);
	map_free(&d->tmap);
	for (size_t i = 0; i < d->nstrs; i++)
		free(d->strs[i]);
	free(d->strs);
	free(d->ev);
	free(d->dv);
	free(d->rank);
	bt_strtab_free(d->names);
	bt_strtab_free(d->ids);
	free(d);
}

static uint32_t name(bt_diff *d, const char *s)
{
	return bt_strtab_intern(d->names, s ? s : "", s ? strlen(s) : 0);
}

/* The route (target, level, up, into), made if new (note kept from the
 * trace that makes it); NULL when out of memory. */
static route *route_get(bt_diff *d, const char *up_s, const char *into_s, const char *note_s, int level,
			uint32_t target)
{
	uint32_t up = name(d, up_s), into = name(d, into_s ? into_s : "");
	if (up == UINT32_MAX || into == UINT32_MAX || map_grow(&d->rmap))
		return NULL;
	uint64_t key = ((uint64_t)target << 32) ^ ((uint64_t)up << 1) ^ (uint64_t)level ^
		       ((uint64_t)into << 20);
	/* The key mixes three ids; confirm on hit and probe on (rare) collision. */
	uint32_t *slot = map_slot(&d->rmap, key);
	while (*slot) {
		route *c = &d->r[*slot - 1];
		if (c->target == target && c->up == up && c->into == into && c->level == level)
			break;
		key = mix(key + 1);
		slot = map_slot(&d->rmap, key);
	}
	if (*slot == 0) {
		if (grow((void **)&d->r, d->nr, &d->cr, sizeof(*d->r), 256) != 0)
			return NULL;
		route *n = &d->r[d->nr];
		memset(n, 0, sizeof(*n));
		n->target = target;
		n->up = up;
		n->into = into;
		n->level = (uint8_t)level;
		n->note = name(d, note_s);
		if (n->note == UINT32_MAX)
			return NULL;
		n->first = INT64_MAX;
		n->last = INT64_MIN;
		*slot = (uint32_t)++d->nr;
		d->rmap.n++;
	}
	return &d->r[*slot - 1];
}

/* A round in which only copied hops show the route. */
static int add_maybe(bt_diff *d, const bt_diff_obs *o, int level, uint32_t target, uint32_t round)
{
	route *r = route_get(d, o->maybe_up[level], o->maybe_into[level], o->maybe_note[level], level, target);
	if (r == NULL)
		return -1;
	if (r->nmaybe > 0 && r->maybe[r->nmaybe - 1] == round)
		return 0;
	uint32_t *nm = realloc(r->maybe, (r->nmaybe + 1) * sizeof(*nm));
	if (nm == NULL)
		return -1;
	r->maybe = nm;
	r->maybe[r->nmaybe++] = round;
	return 0;
}

static int add_route(bt_diff *d, const bt_diff_obs *o, const bt_diff_route *x, int level,
		     uint32_t target, uint32_t round, uint32_t vp)
{
	route *r = route_get(d, x->up, x->into, x->note, level, target);
	if (r == NULL)
		return -1;
	r->traces++;
	if (o->time_us < r->first)
		r->first = o->time_us;
	if (o->time_us > r->last)
		r->last = o->time_us;
	/* (round, vp) pairs: few per route; the latest is usually the one. */
	uint32_t i = r->ns;
	while (i > 0 && !(r->s[i - 1].round == round && r->s[i - 1].vp == vp))
		i--;
	if (i > 0) {
		r->s[i - 1].count++;
		r->s[i - 1].flows += x->flows;
	} else {
		if (r->ns == r->cs) {
			uint32_t nc = r->cs ? r->cs * 2 : 4;
			seen *ns = realloc(r->s, nc * sizeof(*ns));
			if (ns == NULL)
				return -1;
			r->s = ns;
			r->cs = nc;
		}
		r->s[r->ns++] = (seen){ round, vp, 1, x->flows };
	}
	if (r->nev < d->o.max_evidence && o->trace_id) {
		uint32_t id = bt_strtab_intern(d->ids, o->trace_id, strlen(o->trace_id));
		uint32_t *ne = realloc(r->ev, (r->nev + 1) * sizeof(*ne));
		if (id == UINT32_MAX || ne == NULL)
			return -1;
		r->ev = ne;
		r->ev[r->nev++] = id;
	}
	return 0;
}

int bt_diff_add(bt_diff *d, const bt_diff_obs *o)
{
	uint32_t target = name(d, o->target), round = name(d, o->round), vp = name(d, o->vp);
	if (target == UINT32_MAX || round == UINT32_MAX || vp == UINT32_MAX || map_grow(&d->tmap))
		return -1;
	uint32_t *slot = map_slot(&d->tmap, ((uint64_t)target << 32) | round);
	if (*slot == 0) {
		if (grow((void **)&d->t, d->nt, &d->ct, sizeof(*d->t), 256) != 0)
			return -1;
		d->t[d->nt] = (tround){ target, round, 0, { 0, 0 }, { 0, 0 } };
		*slot = (uint32_t)++d->nt;
		d->tmap.n++;
	}
	tround *t = &d->t[*slot - 1];
	t->observed++;
	for (int level = 0; level < 2; level++) {
		if (o->up[level] == NULL) {
			if (o->maybe_up[level] != NULL && add_maybe(d, o, level, target, round) != 0)
				return -1;
			continue;
		}
		t->routed[level]++;
		bt_diff_route first = { o->up[level], o->into[level], o->note[level],
					o->flows[level] ? o->flows[level] : 1 };
		for (size_t k = 0; k <= o->nmore[level]; k++) {
			const bt_diff_route *x = k ? &o->more[level][k - 1] : &first;
			t->flows[level] += x->flows;
			if (add_route(d, o, x, level, target, round, vp) != 0)
				return -1;
		}
	}
	return 0;
}

/* ---- finish ---- */


static char *keep(bt_diff *d, char *s)
{
	if (s == NULL)
		return NULL;
	if (grow((void **)&d->strs, d->nstrs, &d->cstrs, sizeof(*d->strs), 64) != 0) {
		free(s);
		return NULL;
	}
	d->strs[d->nstrs++] = s;
	return s;
}

static int cmp_round_names(const void *a, const void *b, void *ctx)
{
	const bt_diff *sd = ctx;
	const char *x = bt_strtab_get(sd->names, *(const uint32_t *)a);
	const char *y = bt_strtab_get(sd->names, *(const uint32_t *)b);
	return strcmp(x, y);
}

static int cmp_routes(const void *a, const void *b, void *ctx)
{
	const bt_diff *sd = ctx;
	const route *x = a, *y = b;
	if (x->target != y->target) {
		int c = strcmp(bt_strtab_get(sd->names, x->target), bt_strtab_get(sd->names, y->target));
		if (c)
			return c;
	}
	if (x->level != y->level)
		return x->level - y->level;
	if (x->first != y->first)
		return x->first < y->first ? -1 : 1;
	return strcmp(bt_strtab_get(sd->names, x->up), bt_strtab_get(sd->names, y->up));
}

static int cmp_trounds(const void *a, const void *b, void *ctx)
{
	const bt_diff *sd = ctx;
	const tround *x = a, *y = b;
	if (x->target != y->target) {
		int c = strcmp(bt_strtab_get(sd->names, x->target), bt_strtab_get(sd->names, y->target));
		if (c)
			return c;
	}
	uint32_t rx = sd->rank[x->round], ry = sd->rank[y->round];
	return rx < ry ? -1 : rx > ry;
}

/* Space-separated list of names (VPs) seen by a route, each once. */
static char *vp_list(const bt_diff *d, const route *r, uint32_t upto_rank)
{
	size_t cap = 64, len = 0;
	char *s = malloc(cap);
	if (s == NULL)
		return NULL;
	s[0] = '\0';
	for (uint32_t i = 0; i < r->ns; i++) {
		if (d->rank[r->s[i].round] > upto_rank)
			continue;
		bool dup = false;
		for (uint32_t k = 0; k < i && !dup; k++)
			dup = r->s[k].vp == r->s[i].vp && d->rank[r->s[k].round] <= upto_rank;
		if (dup)
			continue;
		const char *v = bt_strtab_get(d->names, r->s[i].vp);
		size_t vl = strlen(v);
		if (len + vl + 2 > cap) {
			while (len + vl + 2 > cap)
				cap *= 2;
			char *n = realloc(s, cap);
			if (n == NULL) {
				free(s);
				return NULL;
			}
			s = n;
		}
		if (len)
			s[len++] = ' ';
		memcpy(s + len, v, vl + 1);
		len += vl;
	}
	return s;
}

static unsigned count_vps(const bt_diff *d, const route *r, uint32_t upto_rank)
{
	unsigned n = 0;
	for (uint32_t i = 0; i < r->ns; i++) {
		if (d->rank[r->s[i].round] > upto_rank)
			continue;
		bool dup = false;
		for (uint32_t k = 0; k < i && !dup; k++)
			dup = r->s[k].vp == r->s[i].vp && d->rank[r->s[k].round] <= upto_rank;
		n += !dup;
	}
	return n;
}

static char *evidence_list(const bt_diff *d, const route *r)
{
	size_t len = 0;
	for (uint32_t i = 0; i < r->nev; i++)
		len += strlen(bt_strtab_get(d->ids, r->ev[i])) + 1;
	char *s = malloc(len + 1);
	if (s == NULL)
		return NULL;
	s[0] = '\0';
	size_t off = 0;
	for (uint32_t i = 0; i < r->nev; i++) {
		const char *id = bt_strtab_get(d->ids, r->ev[i]);
		size_t l = strlen(id);
		if (off)
			s[off++] = ' ';
		memcpy(s + off, id, l + 1);
		off += l;
	}
	return s;
}

/* (round rank, VP) of a trace that entered a target at one level. */
typedef struct rankvp {
	uint32_t rank, vp;
} rankvp;

/* A target's rounds at one level, by rank: traces and flows that entered it,
 * and the (rank, VP) pairs that entered it, sorted. */
typedef struct trounds {
	const uint32_t *routed, *flows, *round_of_rank;
	size_t nrounds;
	rankvp *in;
	size_t nin;
} trounds;

static int cmp_rankvp(const void *a, const void *b)
{
	const rankvp *x = a, *y = b;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return x->vp < y->vp ? -1 : x->vp > y->vp;
}

/* Every trace that entered the target has a route: the (rank, VP) pairs of
 * routes r[0..nr), sorted, each once, into tr. 0 or -1 (memory). */
static int entered_pairs(const bt_diff *d, const route *r, size_t nr, trounds *tr)
{
	size_t n = 0;
	for (size_t i = 0; i < nr; i++)
		n += r[i].ns;
	tr->in = malloc((n ? n : 1) * sizeof(*tr->in));
	if (tr->in == NULL)
		return -1;
	n = 0;
	for (size_t i = 0; i < nr; i++)
		for (uint32_t k = 0; k < r[i].ns; k++)
			tr->in[n++] = (rankvp){ d->rank[r[i].s[k].round], r[i].s[k].vp };
	if (n > 1)
		qsort(tr->in, n, sizeof(*tr->in), cmp_rankvp);
	size_t u = 0;
	for (size_t i = 0; i < n; i++)
		if (u == 0 || cmp_rankvp(&tr->in[u - 1], &tr->in[i]) != 0)
			tr->in[u++] = tr->in[i];
	tr->nin = u;
	return 0;
}

/* Evidence that route x is absent in round k: a VP that saw it before k
 * had a trace enter the target in k (x was not seen in k). A trace of
 * another VP, whose route may differ, or one that stopped short of the
 * target, says nothing about x. */
static bool absent_seen(const bt_diff *d, const route *x, const trounds *tr, uint32_t k)
{
	for (uint32_t i = 0; i < x->ns; i++) {
		rankvp key = { k, x->s[i].vp };
		if (d->rank[x->s[i].round] < k &&
		    bsearch(&key, tr->in, tr->nin, sizeof(key), cmp_rankvp) != NULL)
			return true;
	}
	return false;
}

/* The event's flow counts: route r in the round of rank fk. */
static void event_flows(const bt_diff *d, bt_diff_event *e, const route *r, const trounds *tr, uint32_t fk)
{
	for (uint32_t i = 0; i < r->ns; i++)
		if (d->rank[r->s[i].round] == fk)
			e->flows += r->s[i].flows;
	e->flow_round = bt_strtab_get(d->names, tr->round_of_rank[fk]);
	e->flows_routed = tr->flows[fk];
	e->flow_share = tr->flows[fk] ? (double)e->flows / tr->flows[fk] : 0.0;
	e->multiflow = tr->flows[fk] > tr->routed[fk];
}

static int push_event(bt_diff *d, bt_diff_event_kind k, const route *r, uint32_t round_name,
		      uint32_t upto_rank, unsigned rounds_seen, const trounds *tr, uint32_t fk)
{
	if (grow((void **)&d->ev, d->nev, &d->cev, sizeof(*d->ev), 16) != 0)
		return -1;
	bt_diff_event *e = &d->ev[d->nev];
	memset(e, 0, sizeof(*e));
	e->kind = k;
	e->level = (bt_diff_level)r->level;
	e->target = bt_strtab_get(d->names, r->target);
	e->upstream = bt_strtab_get(d->names, r->up);
	e->into = bt_strtab_get(d->names, r->into);
	e->note = bt_strtab_get(d->names, r->note);
	e->round = bt_strtab_get(d->names, round_name);
	e->first_seen_us = r->first;
	e->last_seen_us = r->last;
	e->rounds_seen = rounds_seen;
	e->traces = r->traces;
	e->vps = keep(d, vp_list(d, r, upto_rank));
	e->evidence = keep(d, evidence_list(d, r));
	event_flows(d, e, r, tr, fk);
	if (e->vps == NULL || e->evidence == NULL)
		return -1;
	d->nev++;
	return 0;
}

static int push_div(bt_diff *d, const bt_diff_div *v)
{
	if (grow((void **)&d->dv, d->ndv, &d->cdv, sizeof(*d->dv), 64) != 0)
		return -1;
	d->dv[d->ndv++] = *v;
	return 0;
}

/* Diversity rows of target round t at one level: routes r[0..nr). */
static int round_div(bt_diff *d, const tround *t, int level, const route *r, size_t nr)
{
	uint32_t *cnt = calloc(2 * nr + 1, sizeof(*cnt)), *fl = cnt + nr;
	if (cnt == NULL)
		return -1;
	unsigned ups = 0;
	for (size_t x = 0; x < nr; x++) {
		for (uint32_t s = 0; s < r[x].ns; s++)
			if (r[x].s[s].round == t->round) {
				cnt[x] += r[x].s[s].count;
				fl[x] += r[x].s[s].flows;
			}
		ups += cnt[x] > 0;
	}
	int rc = 0;
	for (size_t x = 0; x < nr && rc == 0; x++) {
		if (!cnt[x])
			continue;
		bt_diff_div v = {
			.target = bt_strtab_get(d->names, t->target),
			.round = bt_strtab_get(d->names, t->round),
			.level = (bt_diff_level)level,
			.upstream = bt_strtab_get(d->names, r[x].up),
			.into = bt_strtab_get(d->names, r[x].into),
			.note = bt_strtab_get(d->names, r[x].note),
			.traces = cnt[x],
			.routed = t->routed[level],
			.observed = t->observed,
			.upstreams = ups,
			.share = t->routed[level] ? (double)cnt[x] / t->routed[level] : 0.0,
			.flows = fl[x],
			.flows_routed = t->flows[level],
			.flow_share = t->flows[level] ? (double)fl[x] / t->flows[level] : 0.0,
		};
		rc = push_div(d, &v);
	}
	free(cnt);
	return rc;
}

/* Events for one target at one level: routes r[0..nr), rounds by rank. */
static int target_events(bt_diff *d, route *r, size_t nr, const trounds *tr)
{
	const uint32_t *observed = tr->routed, *round_of_rank = tr->round_of_rank;
	size_t nrounds = tr->nrounds;
	enum { UNSEEN, ACTIVE, GONE };
	enum { MAYBE = 2 }; /* present[]: 1 seen, MAYBE only in copied hops */
	uint32_t B = d->o.baseline_rounds;
	for (size_t i = 0; i < nr; i++) {
		route *x = &r[i];
		/* presence per round rank */
		uint8_t *present = calloc(nrounds ? nrounds : 1, 1);
		if (present == NULL)
			return -1;
		for (uint32_t k = 0; k < x->ns; k++)
			present[d->rank[x->s[k].round]] = 1;
		for (uint32_t k = 0; k < x->nmaybe; k++)
			if (!present[d->rank[x->maybe[k]]])
				present[d->rank[x->maybe[k]]] = MAYBE;
		int state = UNSEEN;
		for (uint32_t k = 0; k < B && k < nrounds; k++)
			if (present[k] == 1)
				state = ACTIVE;
		unsigned seen_rounds = 0, absent = 0;
		uint32_t first_absent = 0, last_seen = 0;
		for (uint32_t k = 0; k < nrounds; k++)
			if (k < B && present[k] == 1) {
				seen_rounds++;
				last_seen = k;
			}
		int rc = 0;
		for (uint32_t k = B; k < nrounds && rc == 0; k++) {
			if (present[k] == MAYBE) {
				/* only copied hops show it: neither seen nor absent */
			} else if (present[k]) {
				seen_rounds++;
				absent = 0;
				last_seen = k;
				if (state == UNSEEN && seen_rounds >= d->o.min_rounds &&
				    count_vps(d, x, k) >= d->o.min_vps) {
					rc = push_event(d, BT_EVENT_NEW, x, round_of_rank[k], k, seen_rounds, tr, k);
					state = ACTIVE;
				} else if (state == GONE) {
					rc = push_event(d, BT_EVENT_RETURNED, x, round_of_rank[k], k, seen_rounds, tr, k);
					state = ACTIVE;
				}
			} else if (state == ACTIVE && observed[k] && absent_seen(d, x, tr, k)) {
				/* date it to the first absent round in which the target was seen */
				if (absent == 0)
					first_absent = k;
				if (++absent == d->o.gone_after) {
					rc = push_event(d, BT_EVENT_GONE, x, round_of_rank[first_absent], k, seen_rounds,
							tr, last_seen);
					state = GONE;
				}
			}
		}
		free(present);
		if (rc)
			return -1;
	}
	return 0;
}

int bt_diff_finish(bt_diff *d)
{
	size_t nnames = bt_strtab_count(d->names);
	/* Chronological rank of every round name in use. */
	uint32_t *rounds = malloc((d->nt ? d->nt : 1) * sizeof(*rounds));
	uint8_t *isround = calloc(nnames ? nnames : 1, 1);
	d->rank = calloc(nnames ? nnames : 1, sizeof(*d->rank));
	if (!rounds || !isround || !d->rank) {
		free(rounds);
		free(isround);
		return -1;
	}
	size_t nrounds = 0;
	for (size_t i = 0; i < d->nt; i++)
		if (!isround[d->t[i].round]) {
			isround[d->t[i].round] = 1;
			rounds[nrounds++] = d->t[i].round;
		}
	free(isround);
	if (nrounds > 1)
		qsort_r(rounds, nrounds, sizeof(*rounds), cmp_round_names, d);
	for (size_t i = 0; i < nrounds; i++)
		d->rank[rounds[i]] = (uint32_t)i;
	d->nrounds = nrounds;

	/* (qsort on an empty table would be handed a null pointer) */
	if (d->nr > 1)
		qsort_r(d->r, d->nr, sizeof(*d->r), cmp_routes, d);
	if (d->nt > 1)
		qsort_r(d->t, d->nt, sizeof(*d->t), cmp_trounds, d);
	/* the maps now point at moved entries: they are not used after this */

	uint32_t *observed = calloc(nrounds ? nrounds : 1, sizeof(*observed));
	uint32_t *flows_in = calloc(nrounds ? nrounds : 1, sizeof(*flows_in));
	int rc = observed && flows_in ? 0 : -1;
	size_t ti = 0, ri = 0;
	while (rc == 0 && ti < d->nt) {
		uint32_t target = d->t[ti].target;
		size_t tend = ti;
		while (tend < d->nt && d->t[tend].target == target)
			tend++;
		size_t rend = ri;
		while (rend < d->nr && d->r[rend].target == target)
			rend++;
		for (int level = 0; level < 2 && rc == 0; level++) {
			memset(observed, 0, nrounds * sizeof(*observed));
			memset(flows_in, 0, nrounds * sizeof(*flows_in));
			for (size_t k = ti; k < tend; k++) {
				observed[d->rank[d->t[k].round]] = d->t[k].routed[level];
				flows_in[d->rank[d->t[k].round]] = d->t[k].flows[level];
			}
			size_t lb = ri, le;
			while (lb < rend && d->r[lb].level != level)
				lb++;
			le = lb;
			while (le < rend && d->r[le].level == level)
				le++;
			trounds tr = { observed, flows_in, rounds, nrounds, NULL, 0 };
			rc = entered_pairs(d, d->r + lb, le - lb, &tr);
			if (rc == 0)
				rc = target_events(d, d->r + lb, le - lb, &tr);
			free(tr.in);
			/* diversity: per round of this target, per route */
			for (size_t k = ti; k < tend && rc == 0; k++)
				rc = round_div(d, &d->t[k], level, d->r + lb, le - lb);
		}
		ti = tend;
		ri = rend;
	}
	free(flows_in);
	free(observed);
	free(rounds);
	return rc;
}

size_t bt_diff_nevents(const bt_diff *d) { return d->nev; }
const bt_diff_event *bt_diff_event_at(const bt_diff *d, size_t i) { return i < d->nev ? &d->ev[i] : NULL; }
size_t bt_diff_ndiv(const bt_diff *d) { return d->ndv; }
const bt_diff_div *bt_diff_div_at(const bt_diff *d, size_t i) { return i < d->ndv ? &d->dv[i] : NULL; }
size_t bt_diff_nrounds(const bt_diff *d) { return d->nrounds; }
