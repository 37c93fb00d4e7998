/* bordertrace — Internet simulator, the change schedule (sim_sched.h).
 *
 * Drawn from one splitmix64 stream seeded by the schedule seed, in a fixed
 * order: border stories first (one per prefix, each one or two changes),
 * then the noise. Every address a change gives an interface is allocated
 * while drawing, so a round's state is a pure function of (model, round). */
#include "sim_sched.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bordertrace/hash.h"

typedef struct srng {
	uint64_t s;
} srng;

static uint64_t s_next(srng *r)
{
	return bt_splitmix64(&r->s);
}

static unsigned s_below(srng *r, unsigned n)
{
	return n ? (unsigned)(s_next(r) % n) : 0;
}

static double s_unit(srng *r)
{
	return (double)(s_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

static const char *const k_names[BT_SIM_CH_NKINDS] = {
	"switch", "add", "drop", "return", "flap", "split0", "intra", "rehash", "renumber",
	"nbrflip", "thirdparty", "ixp", "unannounced", "rlborder", "dark",
};

const char *bt_sim_change_name(unsigned kind)
{
	return kind < BT_SIM_CH_NKINDS ? k_names[kind] : "?";
}

int bt_sim_change_is_border(unsigned kind)
{
	return kind <= BT_SIM_CH_FLAP;
}

typedef struct drawer {
	bt_sim_model *m;
	bt_sim_sched *s;
	srng r;
	unsigned cap;
	int failed;
} drawer;

static bt_sim_change *push(drawer *d, unsigned round, unsigned kind)
{
	if (d->s->n == d->cap) {
		unsigned cap = d->cap ? 2 * d->cap : 256;
		bt_sim_change *c = realloc(d->s->c, cap * sizeof(*c));
		if (!c) {
			d->failed = 1;
			return NULL;
		}
		d->s->c = c;
		d->cap = cap;
	}
	bt_sim_change *c = &d->s->c[d->s->n];
	memset(c, 0, sizeof(*c));
	c->round = (uint8_t)round;
	c->kind = (uint8_t)kind;
	c->vp = BT_SIM_ALL_VPS;
	c->seq = (uint16_t)d->s->n++;
	if (bt_sim_change_is_border(kind))
		d->s->nborder++;
	return c;
}

/* A route of prefix p's AS other than `not`. */
static unsigned other_route(drawer *d, unsigned p, unsigned not)
{
	const bt_sim_as *a = &d->m->ases[d->m->pfx_as[p]];
	unsigned r = 1 + s_below(&d->r, a->nroutes - 1u);
	return r == not ? 0 : r;
}

/* One border story on prefix p (doc/sim.md, "Rounds"). */
static void draw_story(drawer *d, unsigned p)
{
	unsigned R = d->m->p.rounds, r = 1 + s_below(&d->r, R - 1);
	double u = s_unit(&d->r);
	unsigned vp = s_unit(&d->r) < 0.2 ? s_below(&d->r, d->m->p.vps) : BT_SIM_ALL_VPS;
	unsigned gap = 2 + s_below(&d->r, 2), alt = other_route(d, p, 0);
	bool follow = s_unit(&d->r) < 0.5 && r + gap < R;
	bt_sim_change *c;
	if (u < 0.35) {
		if ((c = push(d, r, BT_SIM_CH_SWITCH)))
			c->pfx = (uint8_t)p, c->route = (uint8_t)alt, c->vp = (uint8_t)vp;
		if (follow && (c = push(d, r + gap, BT_SIM_CH_RETURN)))
			c->pfx = (uint8_t)p, c->route = 0, c->vp = (uint8_t)vp;
		return;
	}
	unsigned share = 20 + s_below(&d->r, 41);
	if (u < 0.6) {
		if ((c = push(d, r, BT_SIM_CH_ADD)))
			c->pfx = (uint8_t)p, c->route = (uint8_t)alt, c->share = (uint8_t)share, c->vp = (uint8_t)vp;
		if (follow && (c = push(d, r + gap, BT_SIM_CH_DROP)))
			c->pfx = (uint8_t)p, c->route = 0, c->vp = (uint8_t)vp;
		return;
	}
	if ((c = push(d, 0, BT_SIM_CH_SPLIT0)))
		c->pfx = (uint8_t)p, c->route = (uint8_t)alt, c->share = (uint8_t)share;
	if (u < 0.8) {
		if ((c = push(d, r, BT_SIM_CH_DROP)))
			c->pfx = (uint8_t)p, c->route = (uint8_t)(s_unit(&d->r) < 0.5 ? 0 : alt), c->vp = (uint8_t)vp;
	} else if ((c = push(d, r, BT_SIM_CH_FLAP))) {
		c->pfx = (uint8_t)p, c->vp = (uint8_t)vp;
	}
}

/* Border stories on distinct prefixes, in a random order, until `changes`
 * border changes are drawn or the prefixes run out. */
static void draw_border(drawer *d)
{
	unsigned P = d->m->p.prefixes, order[BT_SIM_MAX_PREFIXES];
	for (unsigned i = 0; i < P; i++)
		order[i] = i;
	for (unsigned i = P - 1; i > 0; i--) {
		unsigned j = s_below(&d->r, i + 1), t = order[i];
		order[i] = order[j], order[j] = t;
	}
	for (unsigned i = 0; i < P && d->s->nborder < d->m->p.changes && !d->failed; i++)
		if (d->m->ases[d->m->pfx_as[order[i]]].nroutes > 1)
			draw_story(d, order[i]);
}

static unsigned rand_dest(drawer *d)
{
	return 2 + d->m->p.transits + s_below(&d->r, d->m->p.ases);
}

/* The interface a noise change to a border link acts on, and that link's
 * last transit: a random route of a random destination AS. */
static uint32_t rand_border(drawer *d, unsigned *dest, unsigned *transit)
{
	*dest = rand_dest(d);
	const bt_sim_as *a = &d->m->ases[*dest];
	const bt_sim_route *rt = &a->route[s_below(&d->r, a->nroutes)];
	*transit = bt_sim_route_upstream(d->m, rt);
	return rt->border;
}

/* An interface change: iface gets a new address from space (ixp: an IXP
 * LAN; BT_SIM_NO_AS and not ixp: unannounced space). */
static void push_iface(drawer *d, unsigned round, unsigned kind, uint32_t iface, unsigned space, bool ixp)
{
	uint32_t addr = bt_sim_alloc_addr(d->m, space, ixp);
	bt_sim_change *c;
	if (addr && (c = push(d, round, kind))) {
		c->iface = iface;
		c->addr = addr;
		c->space = (uint16_t)space;
	}
}

/* A third-party address: a destination's border router answering from its
 * link to another upstream (numbered from that transit's space), or a
 * transit's last router answering from its link to another customer. */
static void draw_thirdparty(drawer *d, unsigned round)
{
	bt_sim_model *m = d->m;
	unsigned dest, t;
	uint32_t b = rand_border(d, &dest, &t);
	if (s_unit(&d->r) < 0.5) {
		unsigned other = 2 + s_below(&d->r, m->p.transits);
		if (other == t)
			other = 2 + (other - 1) % m->p.transits; /* the next transit */
		push_iface(d, round, BT_SIM_CH_THIRDPARTY, b, other, false);
		return;
	}
	const bt_sim_as *ta = &m->ases[t];
	uint32_t last = m->stages[ta->stage_first + ta->nstages - 1].first;
	unsigned other = rand_dest(d);
	if (other != dest)
		push_iface(d, round, BT_SIM_CH_THIRDPARTY, last, other, false);
}

static void draw_noise_one(drawer *d, unsigned round, unsigned kind)
{
	bt_sim_model *m = d->m;
	unsigned dest, t;
	bt_sim_change *c;
	switch (kind) {
	case BT_SIM_CH_INTRA:
		if ((c = push(d, round, kind)))
			c->as = (uint16_t)(2 + s_below(&d->r, m->p.transits));
		break;
	case BT_SIM_CH_REHASH:
		if ((c = push(d, round, kind)))
			c->as = (uint16_t)(1 + s_below(&d->r, m->nas - 1));
		break;
	case BT_SIM_CH_RENUMBER:
		/* a router past the VP side: transits, borders, internals, gateways */
		for (unsigned tries = 0; tries < 16; tries++) {
			uint32_t i = s_below(&d->r, m->niface);
			const bt_sim_router *rt = &m->routers[m->ifaces[i].router];
			if (rt->role >= BT_SIM_ROLE_TINGRESS) {
				push_iface(d, round, kind, i, rt->as, false);
				break;
			}
		}
		break;
	case BT_SIM_CH_NBRFLIP: {
		uint32_t b = rand_border(d, &dest, &t);
		push_iface(d, round, kind, b, m->ifaces[b].space_as == dest ? t : dest, false);
		break;
	}
	case BT_SIM_CH_THIRDPARTY: draw_thirdparty(d, round); break;
	case BT_SIM_CH_IXP: push_iface(d, round, kind, rand_border(d, &dest, &t), BT_SIM_NO_AS, true); break;
	case BT_SIM_CH_UNANNOUNCED: {
		const bt_sim_as *a = &m->ases[rand_dest(d)];
		unsigned s = a->nstages ? a->stage_first + s_below(&d->r, a->nstages) : 0;
		uint32_t i = a->nstages ? m->stages[s].first : a->route[0].border;
		push_iface(d, round, kind, i, BT_SIM_NO_AS, false);
		break;
	}
	case BT_SIM_CH_RLBORDER:
		if ((c = push(d, round, kind)))
			c->as = (uint16_t)rand_dest(d);
		break;
	case BT_SIM_CH_DARK:
		if ((c = push(d, round, kind)))
			c->pfx = (uint8_t)s_below(&d->r, m->p.prefixes);
		break;
	}
}

/* Noise: a quarter in round 0 (part of the baseline), the rest in rounds
 * 1..R-1; kinds drawn uniformly from those --noise-kinds allows. */
static void draw_noise(drawer *d)
{
	unsigned R = d->m->p.rounds, nk = 0, kinds[BT_SIM_CH_NKINDS];
	for (unsigned k = BT_SIM_CH_INTRA; k < BT_SIM_CH_NKINDS; k++)
		if (!d->m->p.noise_kinds || (d->m->p.noise_kinds >> k & 1))
			kinds[nk++] = k;
	for (unsigned i = 0; i < d->m->p.noise && nk && !d->failed; i++) {
		unsigned round = s_unit(&d->r) < 0.25 ? 0 : 1 + s_below(&d->r, R - 1);
		draw_noise_one(d, round, kinds[s_below(&d->r, nk)]);
	}
}

static int by_round(const void *a, const void *b)
{
	const bt_sim_change *x = a, *y = b;
	if (x->round != y->round)
		return x->round < y->round ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int bt_sim_sched_new(bt_sim_model *m, char *err, size_t errlen)
{
	bt_sim_sched *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	m->sched = s;
	uint64_t seed = m->p.sched_seed ? m->p.sched_seed : m->p.seed;
	drawer d = { .m = m, .s = s, .r = { seed * 0x9e3779b97f4a7c15ULL ^ 0x6274736368656431ULL } };
	if (m->p.changes)
		draw_border(&d);
	draw_noise(&d);
	if (d.failed) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (s->n > 0) /* no change drawn: s->c is NULL, which qsort may not take */
		qsort(s->c, s->n, sizeof(*s->c), by_round);
	return 0;
}

void bt_sim_sched_free(bt_sim_sched *s)
{
	if (!s)
		return;
	free(s->c);
	free(s);
}

/* ---- one round's state ---- */

static void reset_round(bt_sim_model *m)
{
	for (unsigned i = 0; i < m->niface; i++) {
		m->ifaces[i].addr = m->base_addr[i];
		m->ifaces[i].space_as = m->base_space[i];
		m->if_kind[i] = 0;
	}
	for (unsigned i = 0; i < m->nrouters; i++)
		m->routers[i].flags = m->base_flags[i];
	for (unsigned i = 0; i < m->nstage; i++)
		m->stages[i].epoch = 0;
	for (unsigned i = 0; i < m->nas; i++)
		if (m->ases[i].alt_first)
			m->ases[i].stage_first = m->ases[i].base_first;
	memset(m->pfxr, 0, m->p.vps * sizeof(*m->pfxr));
	memset(m->pfx_dark, 0, sizeof(m->pfx_dark));
}

static const uint8_t k_if_kind[BT_SIM_CH_NKINDS] = {
	[BT_SIM_CH_RENUMBER] = BT_SIM_IF_RENUMBERED, [BT_SIM_CH_NBRFLIP] = BT_SIM_IF_RENUMBERED,
	[BT_SIM_CH_THIRDPARTY] = BT_SIM_IF_THIRDPARTY, [BT_SIM_CH_IXP] = BT_SIM_IF_IXP,
	[BT_SIM_CH_UNANNOUNCED] = BT_SIM_IF_UNANNOUNCED,
};

static void apply_route(bt_sim_model *m, const bt_sim_change *c, unsigned r)
{
	for (unsigned v = 0; v < m->p.vps; v++) {
		if (c->vp != BT_SIM_ALL_VPS && c->vp != v)
			continue;
		bt_sim_pfxroute *pr = &m->pfxr[v][c->pfx];
		switch (c->kind) {
		case BT_SIM_CH_SWITCH:
		case BT_SIM_CH_RETURN:
		case BT_SIM_CH_DROP: pr->a = c->route, pr->b = 0, pr->share = 0; break;
		case BT_SIM_CH_ADD:
		case BT_SIM_CH_SPLIT0: pr->b = c->route, pr->share = c->share; break;
		case BT_SIM_CH_FLAP:
			if (c->round == r)
				pr->share = 0;
			break;
		}
	}
}

static void apply(bt_sim_model *m, const bt_sim_change *c, unsigned r)
{
	switch (c->kind) {
	case BT_SIM_CH_INTRA: {
		bt_sim_as *a = &m->ases[c->as];
		if (a->alt_first)
			a->stage_first = a->stage_first == a->base_first ? a->alt_first : a->base_first;
		break;
	}
	case BT_SIM_CH_REHASH:
		for (unsigned i = 0; i < m->nstage; i++)
			if (m->routers[m->ifaces[m->stages[i].first].router].as == c->as)
				m->stages[i].epoch++;
		break;
	case BT_SIM_CH_RLBORDER: {
		unsigned br = m->ifaces[m->ases[c->as].route[0].border].router;
		m->routers[br].flags = BT_SIM_RATELIMITED;
		break;
	}
	case BT_SIM_CH_DARK: m->pfx_dark[c->pfx] = 1; break;
	default:
		if (k_if_kind[c->kind]) {
			m->ifaces[c->iface].addr = c->addr;
			m->ifaces[c->iface].space_as = c->space;
			m->if_kind[c->iface] |= k_if_kind[c->kind];
		} else {
			apply_route(m, c, r);
		}
	}
}

int bt_sim_set_round(bt_sim_model *m, unsigned r)
{
	if (r >= m->p.rounds)
		return -1;
	m->round = r;
	if (!m->sched)
		return 0;
	reset_round(m);
	for (unsigned i = 0; i < m->sched->n && m->sched->c[i].round <= r; i++)
		apply(m, &m->sched->c[i], r);
	return 0;
}

unsigned bt_sim_pfx_routes(const bt_sim_model *m, unsigned vp, unsigned pfx, unsigned up[2], unsigned share[2])
{
	const bt_sim_as *a = &m->ases[m->pfx_as[pfx]];
	const bt_sim_pfxroute *pr = &m->pfxr[vp][pfx];
	up[0] = bt_sim_route_upstream(m, &a->route[pr->a]);
	share[0] = 100 - pr->share;
	if (!pr->share)
		return 1;
	up[1] = bt_sim_route_upstream(m, &a->route[pr->b]);
	share[1] = pr->share;
	if (up[1] != up[0])
		return 2;
	share[0] = 100; /* two links into one upstream: one border route */
	return 1;
}

void bt_sim_route_events(const uint8_t *present, unsigned n, unsigned gone_after, bt_sim_event_fn emit, void *arg)
{
	enum { UNSEEN, ACTIVE, GONE };
	int state = n && present[0] ? ACTIVE : UNSEEN;
	unsigned absent = 0, first_absent = 0;
	for (unsigned k = 1; k < n; k++) {
		if (present[k]) {
			absent = 0;
			if (state == UNSEEN)
				emit(0, k, arg);
			else if (state == GONE)
				emit(2, k, arg);
			state = ACTIVE;
		} else if (state == ACTIVE) {
			if (absent == 0)
				first_absent = k;
			if (++absent == gone_after) {
				emit(1, first_absent, arg);
				state = GONE;
			}
		}
	}
}
