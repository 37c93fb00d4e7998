/* bordertrace — Internet simulator, the model: generator and path lookup.
 * Data only: real prefixes named in comments (175.45.176.0/22) are never
 * addressed; the model's addresses are in 198.18.0.0/15 and 2001:db8::/32.
 *
 * The generator draws everything from one splitmix64 stream seeded by
 * --seed, in a fixed order, so a seed names one Internet. Per-flow choices
 * (ECMP, the share of the changed route) are not drawn: they are a hash of
 * the flow's key, the seed and the stage, as a router's hash would be, so
 * the serving loop and the truth writer agree without sharing any state.
 * Shape and parameters: doc/sim.md. */
#include "sim_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bordertrace/hash.h"
#include "sim_sched.h"

/* splitmix64's increment: spreads the stage salts in pick(). */
#define GOLDEN 0x9e3779b97f4a7c15ULL

typedef struct rng {
	uint64_t s;
} rng;

static uint64_t rng_next(rng *r)
{
	return bt_splitmix64(&r->s);
}

static double rng_unit(rng *r)
{
	return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

static unsigned rng_below(rng *r, unsigned n)
{
	return n ? (unsigned)(rng_next(r) % n) : 0;
}

/* Country codes for the synthetic ASes; KP, CN and RU are left to the
 * founding story's three ASes so that a border into KP means that story. */
static const char *const k_countries[] = {
	"US", "DE", "FR", "GB", "JP", "KR", "BR", "IN", "NL", "SE", "SG", "ZA",
	"AU", "CA", "IT", "ES", "PL", "UA", "TR", "VN", "MX", "AR", "EG", "KE",
	"ID", "TH", "FI", "CH", "AT", "CZ", "NG", "CL",
};
#define NCOUNTRIES (sizeof(k_countries) / sizeof(k_countries[0]))

static const char *const k_roles[] = {
	"vp-gw", "access", "core", "transit-ingress", "transit", "border", "internal", "gateway",
};

const char *bt_sim_role_name(unsigned role)
{
	return role < sizeof(k_roles) / sizeof(k_roles[0]) ? k_roles[role] : "?";
}

void bt_sim_params_default(bt_sim_params *p)
{
	memset(p, 0, sizeof(*p));
	p->seed = 1;
	p->prefixes = 256;
	p->ases = 64;
	p->transits = 8;
	p->countries = 16;
	p->ecmp = 2;
	p->silent = 0.05;
	p->ratelimited = 0.10;
	p->rl_rate = 500;
	p->rl_burst = 50;
	p->dark = 0.20;
	p->nbr_numbered = 0.30;
	p->change_share = 100;
	p->vps = 1;
	p->rounds = 1;
}

/* Whether the model has the changing Internet's parts (extra VPs, alternative
 * routes and paths, a schedule): without them it is the base Internet. */
static bool extended(const bt_sim_params *p)
{
	return p->vps > 1 || p->rounds > 1 || p->changes || p->noise;
}

/* Most /24s one destination AS may hold: its router /24 also numbers its
 * gateways (one per /24), border and internal routers. */
#define AS_MAX_PREFIXES 200

int bt_sim_params_check(const bt_sim_params *p, char *err, size_t errlen)
{
	if (p->prefixes < 8 || p->prefixes > BT_SIM_MAX_PREFIXES)
		snprintf(err, errlen, "prefixes must be 8..%d", BT_SIM_MAX_PREFIXES);
	else if (p->ases < 2 || p->ases > BT_SIM_MAX_ASES)
		snprintf(err, errlen, "ases must be 2..%d", BT_SIM_MAX_ASES);
	else if (p->ases - 1 > p->prefixes - 4)
		snprintf(err, errlen, "ases must be at most prefixes - 3 (AS131279 takes 4 /24s, the others at least one)");
	else if ((p->ases - 1) * AS_MAX_PREFIXES < p->prefixes - 4)
		snprintf(err, errlen, "too few ases for %u prefixes (at most %d /24s per AS)", p->prefixes, AS_MAX_PREFIXES);
	else if (p->transits < 4 || p->transits > BT_SIM_MAX_TRANSITS)
		snprintf(err, errlen, "transits must be 4..%d", BT_SIM_MAX_TRANSITS);
	else if (p->countries < 1 || p->countries > NCOUNTRIES)
		snprintf(err, errlen, "countries must be 1..%zu", NCOUNTRIES);
	else if (p->ecmp < 1 || p->ecmp > BT_SIM_MAX_ECMP)
		snprintf(err, errlen, "ecmp must be 1..%d", BT_SIM_MAX_ECMP);
	else if (!(p->silent >= 0 && p->silent <= 1) || !(p->ratelimited >= 0 && p->ratelimited <= 1) ||
		 !(p->dark >= 0 && p->dark <= 1) || !(p->nbr_numbered >= 0 && p->nbr_numbered <= 1))
		snprintf(err, errlen, "fractions must be in 0..1");
	else if (!(p->rl_rate > 0) || p->rl_burst < 1)
		snprintf(err, errlen, "rate limit must be > 0 per second with a burst >= 1");
	else if (p->change_share > 100)
		snprintf(err, errlen, "change share is a percentage, 0..100");
	else if (p->vps < 1 || p->vps > BT_SIM_MAX_VPS)
		snprintf(err, errlen, "vps must be 1..%d", BT_SIM_MAX_VPS);
	else if (p->rounds < 1 || p->rounds > BT_SIM_MAX_ROUNDS)
		snprintf(err, errlen, "rounds must be 1..%d", BT_SIM_MAX_ROUNDS);
	else if ((p->changes || p->noise) && p->rounds < 2)
		snprintf(err, errlen, "changes and noise need at least 2 rounds (round 0 is the baseline)");
	else if (p->changes > 4 * p->prefixes || p->noise > 4096)
		snprintf(err, errlen, "at most 4 changes per prefix and 4096 noise changes");
	else if (extended(p) && 2 + p->transits + p->ases + 2 * (p->vps - 1) > BT_SIM_UNANN_FIRST)
		snprintf(err, errlen, "too many ases for the schedule's address space (198.19.%u.0/24 and up are IXP LANs and unannounced space)",
			 BT_SIM_UNANN_FIRST);
	else
		return 0;
	return -1;
}

/* Generator state: the model being filled, its random stream, and the
 * first error (later calls do nothing once one is set). */
typedef struct gen {
	bt_sim_model *m;
	rng r;
	unsigned cap_routers, cap_ifaces, cap_stages;
	char *err;
	size_t errlen;
	bool failed;
} gen;

static unsigned new_router(gen *g, unsigned as, bt_sim_role role)
{
	bt_sim_model *m = g->m;
	/* Drawn even after a failure so that the stream stays in step. */
	double u = rng_unit(&g->r);
	if (g->failed || m->nrouters >= g->cap_routers) {
		if (!g->failed)
			snprintf(g->err, g->errlen, "internal: router table full");
		g->failed = true;
		return 0;
	}
	bt_sim_router *rt = &m->routers[m->nrouters];
	rt->as = (uint16_t)as;
	rt->role = (uint8_t)role;
	rt->flags = 0;
	if (u < m->p.silent)
		rt->flags = BT_SIM_SILENT;
	else if (u < m->p.silent + m->p.ratelimited * (1 - m->p.silent))
		rt->flags = BT_SIM_RATELIMITED;
	rt->tokens = m->p.rl_burst;
	rt->last_ns = 0;
	return m->nrouters++;
}

static unsigned new_iface(gen *g, unsigned router, unsigned space_as)
{
	bt_sim_model *m = g->m;
	bt_sim_as *sa = &m->ases[space_as];
	if (g->failed || m->niface >= g->cap_ifaces || sa->next_host > 254) {
		if (!g->failed)
			snprintf(g->err, g->errlen, "AS%u: its router /24 is full", sa->asn);
		g->failed = true;
		return 0;
	}
	bt_sim_iface *f = &m->ifaces[m->niface];
	f->addr = BT_SIM_ROUTER_NET | (space_as << 8) | sa->next_host++;
	f->router = (uint16_t)router;
	f->space_as = (uint16_t)space_as;
	return m->niface++;
}

/* A stage of count routers of one AS, one interface each, numbered from
 * space_as. */
static unsigned new_stage(gen *g, unsigned as, bt_sim_role role, unsigned count, unsigned space_as)
{
	bt_sim_model *m = g->m;
	if (g->failed || m->nstage >= g->cap_stages) {
		if (!g->failed)
			snprintf(g->err, g->errlen, "internal: stage table full");
		g->failed = true;
		return 0;
	}
	bt_sim_stage *s = &m->stages[m->nstage];
	s->first = m->niface;
	s->count = (uint8_t)count;
	s->epoch = 0;
	for (unsigned i = 0; i < count; i++)
		new_iface(g, new_router(g, as, role), space_as);
	return m->nstage++;
}

static void set_as(bt_sim_as *a, uint32_t asn, const char *org, const char *cc, bt_sim_as_kind kind)
{
	a->asn = asn;
	snprintf(a->org, sizeof(a->org), "%s", org);
	snprintf(a->cc, sizeof(a->cc), "%s", cc);
	a->kind = (uint8_t)kind;
	a->next_host = 1;
}

/* A transit's own stages: an ingress, then one to three internal hops, one
 * of which is an ECMP group. The ingress may be numbered from the space of
 * the AS it is entered from (the border-numbering pitfall). */
static void build_transit(gen *g, unsigned t)
{
	bt_sim_model *m = g->m;
	bt_sim_as *a = &m->ases[t];
	unsigned from = a->kind == BT_SIM_AS_TIER1 ? 1 : a->parent;
	bool nbr = rng_unit(&g->r) < m->p.nbr_numbered;
	unsigned levels = 1 + rng_below(&g->r, 3);
	unsigned ecmp_level = rng_below(&g->r, levels);
	a->stage_first = m->nstage;
	new_stage(g, t, BT_SIM_ROLE_TINGRESS, 1, nbr ? from : t);
	for (unsigned l = 0; l < levels; l++)
		new_stage(g, t, BT_SIM_ROLE_TRANSIT, l == ecmp_level ? m->p.ecmp : 1, t);
	a->nstages = (uint8_t)(1 + levels);
}

/* The route through transit t (a regional one is entered through its
 * tier-1 parent) to destination AS d's border router br. */
static void make_route(gen *g, unsigned d, unsigned t, unsigned br, int nbr_force)
{
	bt_sim_model *m = g->m;
	bt_sim_as *a = &m->ases[d];
	bt_sim_route *rt = &a->route[a->nroutes++];
	const bt_sim_as *ta = &m->ases[t];
	rt->ntransit = 0;
	if (ta->kind == BT_SIM_AS_REGIONAL)
		rt->transit[rt->ntransit++] = ta->parent;
	rt->transit[rt->ntransit++] = (uint16_t)t;
	bool nbr = rng_unit(&g->r) < m->p.nbr_numbered;
	if (nbr_force >= 0)
		nbr = nbr_force;
	rt->border = new_iface(g, br, nbr ? t : d);
}

static void build_dest(gen *g, unsigned d, unsigned t, int alt)
{
	bt_sim_model *m = g->m;
	bt_sim_as *a = &m->ases[d];
	unsigned br = new_router(g, d, BT_SIM_ROLE_BORDER);
	/* AS131279's link from AS4837 is numbered from AS4837's space, its new
	 * link from AS20485 from its own: the story then exercises both. */
	make_route(g, d, t, br, alt >= 0 ? 1 : -1);
	if (alt >= 0)
		make_route(g, d, (unsigned)alt, br, 0);
	unsigned levels = rng_below(&g->r, 3);
	a->stage_first = m->nstage;
	for (unsigned l = 0; l < levels; l++) {
		bool multi = m->p.ecmp > 1 && rng_unit(&g->r) < 0.4;
		new_stage(g, d, BT_SIM_ROLE_INTERNAL, multi ? m->p.ecmp : 1, d);
	}
	a->nstages = (uint8_t)levels;
}

/* Spreads the /24s outside AS131279's block over the other destination
 * ASes: at least one each, the rest half uniformly, half in proportion to
 * size (a few big networks, many small ones, as in the real table). */
static void assign_prefixes(gen *g, unsigned first_dest, unsigned kp_block)
{
	bt_sim_model *m = g->m;
	unsigned nd = m->p.ases - 1, rest = m->p.prefixes - 4;
	uint16_t *unit = calloc(rest, sizeof(*unit));
	unsigned *size = calloc(nd, sizeof(*size));
	if (!unit || !size) {
		snprintf(g->err, g->errlen, "out of memory");
		g->failed = true;
		free(unit);
		free(size);
		return;
	}
	unsigned n = 0;
	for (unsigned i = 0; i < nd; i++) {
		unit[n++] = (uint16_t)i;
		size[i] = 1;
	}
	while (n < rest) {
		unsigned pick = rng_unit(&g->r) < 0.5 ? rng_below(&g->r, nd) : unit[rng_below(&g->r, n)];
		while (size[pick] >= AS_MAX_PREFIXES)
			pick = rng_below(&g->r, nd);
		unit[n++] = (uint16_t)pick;
		size[pick]++;
	}
	unsigned as = 0, used = 0;
	for (unsigned j = 0; j < m->p.prefixes; j++) {
		if (j >= kp_block && j < kp_block + 4) {
			m->pfx_as[j] = (uint16_t)m->kp_as;
			continue;
		}
		while (used == size[as]) {
			as++;
			used = 0;
		}
		m->pfx_as[j] = (uint16_t)(first_dest + as);
		used++;
	}
	free(unit);
	free(size);
}

/* ---- the changing Internet's parts (doc/sim.md, "Rounds") ----
 * Drawn from a stream of their own after the base Internet, so that a seed's
 * base Internet stays what it was. */

/* VP k+1 (k >= 1): its own network and upstream AS (ASNs of the
 * documentation range 64496-64511), gateway, access ECMP group and core. */
static void build_vps(gen *g, unsigned first_as)
{
	bt_sim_model *m = g->m;
	char org[48];
	for (unsigned k = 1; k < m->p.vps; k++) {
		unsigned a = first_as + 2 * (k - 1);
		snprintf(org, sizeof(org), "SIM-VP-%u vantage point network", k + 1);
		set_as(&m->ases[a], 64496 + 2 * k, org, k_countries[rng_below(&g->r, NCOUNTRIES)], BT_SIM_AS_VP);
		snprintf(org, sizeof(org), "SIM-UPSTREAM-%u access provider", k + 1);
		set_as(&m->ases[a + 1], 64497 + 2 * k, org, k_countries[rng_below(&g->r, NCOUNTRIES)],
		       BT_SIM_AS_UPSTREAM);
		m->vp_as[k] = (uint16_t)a;
		m->vp_stages[k] = new_stage(g, a, BT_SIM_ROLE_VPGW, 1, a);
		new_stage(g, a + 1, BT_SIM_ROLE_ACCESS, m->p.ecmp, a + 1);
		new_stage(g, a + 1, BT_SIM_ROLE_CORE, 1, a + 1);
	}
}

/* A transit's alternative internal path: its ingress, then as many internal
 * stages as the base path, on routers of their own. */
static void build_alt_path(gen *g, unsigned t)
{
	bt_sim_model *m = g->m;
	bt_sim_as *a = &m->ases[t];
	if (g->failed || m->nstage >= g->cap_stages)
		return;
	a->base_first = a->stage_first;
	a->alt_first = m->nstage;
	m->stages[m->nstage++] = m->stages[a->stage_first]; /* the same ingress */
	unsigned ecmp_level = rng_below(&g->r, a->nstages - 1u);
	for (unsigned l = 0; l + 1 < a->nstages; l++)
		new_stage(g, t, BT_SIM_ROLE_TRANSIT, l == ecmp_level ? m->p.ecmp : 1, t);
}

static bool has_room(const bt_sim_model *m, unsigned as)
{
	return m->ases[as].next_host <= 254;
}

/* Alternative border routes of destination AS d, each through another last
 * transit, its border interface on d's border router numbered from either
 * side: the routes the schedule moves prefixes onto. */
static void build_alt_routes(gen *g, unsigned d, unsigned want)
{
	bt_sim_model *m = g->m;
	bt_sim_as *a = &m->ases[d];
	unsigned br = m->ifaces[a->route[0].border].router;
	for (unsigned tries = 0; a->nroutes < want && tries < 32 && !g->failed; tries++) {
		unsigned t = 2 + rng_below(&g->r, m->p.transits);
		bool nbr = rng_unit(&g->r) < m->p.nbr_numbered, dup = false;
		for (unsigned i = 0; i < a->nroutes; i++)
			dup |= bt_sim_route_upstream(m, &a->route[i]) == t;
		if (dup)
			continue;
		if (!has_room(m, nbr ? t : d))
			nbr = !nbr;
		if (!has_room(m, nbr ? t : d))
			return;
		make_route(g, d, t, br, nbr);
	}
}

static void build_extensions(gen *g, unsigned d0, unsigned first_vp_as)
{
	bt_sim_model *m = g->m;
	g->r.s = m->p.seed * GOLDEN ^ 0x6274736d65787431ULL; /* "btsmext1" */
	build_vps(g, first_vp_as);
	for (unsigned i = 0; i < m->p.transits; i++)
		build_alt_path(g, 2 + i);
	for (unsigned i = 0; i < m->p.ases; i++)
		build_alt_routes(g, d0 + i, i == 0 ? 4 : 3);
}

unsigned bt_sim_route_upstream(const bt_sim_model *m, const bt_sim_route *rt)
{
	(void)m;
	return rt->transit[rt->ntransit - 1];
}

unsigned bt_sim_vp_of(const bt_sim_model *m, uint32_t src)
{
	uint32_t k = src - BT_SIM_VP_ADDR;
	return k < m->p.vps ? k : 0;
}

uint32_t bt_sim_alloc_addr(bt_sim_model *m, unsigned space_as, bool ixp)
{
	if (space_as != BT_SIM_NO_AS) {
		bt_sim_as *sa = &m->ases[space_as];
		return sa->next_host > 254 ? 0 : BT_SIM_ROUTER_NET | space_as << 8 | sa->next_host++;
	}
	uint16_t *next = ixp ? &m->ixp_next : &m->unann_next;
	unsigned first = ixp ? BT_SIM_IXP_FIRST : BT_SIM_UNANN_FIRST, n = ixp ? 2 : 4;
	if (*next >= n * 254)
		return 0;
	unsigned i = (*next)++;
	return BT_SIM_ROUTER_NET | (first + i / 254) << 8 | (1 + i % 254);
}

/* The arrays of the current round and the base values changes apply over. */
static int alloc_round_state(bt_sim_model *m)
{
	m->pfxr = calloc(m->p.vps, sizeof(*m->pfxr));
	m->base_addr = calloc(m->niface, sizeof(*m->base_addr));
	m->base_space = calloc(m->niface, sizeof(*m->base_space));
	m->if_kind = calloc(m->niface, 1);
	m->base_flags = calloc(m->nrouters ? m->nrouters : 1, 1);
	if (!m->pfxr || !m->base_addr || !m->base_space || !m->if_kind || !m->base_flags)
		return -1;
	for (unsigned i = 0; i < m->niface; i++) {
		m->base_addr[i] = m->ifaces[i].addr;
		m->base_space[i] = m->ifaces[i].space_as;
	}
	for (unsigned i = 0; i < m->nrouters; i++)
		m->base_flags[i] = m->routers[i].flags;
	return 0;
}

bt_sim_model *bt_sim_model_new(const bt_sim_params *p, char *err, size_t errlen)
{
	if (bt_sim_params_check(p, err, errlen) != 0)
		return NULL;
	bt_sim_model *m = calloc(1, sizeof(*m));
	if (!m) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	m->p = *p;
	bool ext = extended(p);
	m->nas = 2 + p->transits + p->ases + 2 * (p->vps - 1);
	gen g = { .m = m, .r = { p->seed * GOLDEN ^ 0x6274736d6f64656cULL }, .err = err, .errlen = errlen };
	/* Upper bounds: every stage at full fan-out, two border links per AS. */
	unsigned fan = p->ecmp;
	g.cap_routers = 1 + fan + 1 + p->transits * (1 + 3 * fan) + p->ases * (1 + 2 * fan) + p->prefixes;
	g.cap_ifaces = g.cap_routers + p->ases;
	g.cap_stages = 3 + p->transits * 4 + p->ases * 2;
	if (ext) { /* other VPs, alternative paths and border routes */
		g.cap_routers += (p->vps - 1) * (2 + fan) + p->transits * 3 * fan;
		g.cap_ifaces = g.cap_routers + p->ases * BT_SIM_MAX_ROUTES;
		g.cap_stages += 3 * (p->vps - 1) + p->transits * 4;
	}
	m->ases = calloc(m->nas, sizeof(*m->ases));
	m->routers = calloc(g.cap_routers, sizeof(*m->routers));
	m->ifaces = calloc(g.cap_ifaces, sizeof(*m->ifaces));
	m->stages = calloc(g.cap_stages, sizeof(*m->stages));
	if (!m->ases || !m->routers || !m->ifaces || !m->stages) {
		snprintf(err, errlen, "out of memory");
		bt_sim_model_free(m);
		return NULL;
	}

	/* AS table: VP side, upstream, transits (AS4837 and AS20485 first, then
	 * tier-1s, then regionals), destination ASes (AS131279 first). */
	char org[48];
	set_as(&m->ases[0], 64496, "SIM-VP vantage point network", "NL", BT_SIM_AS_VP);
	set_as(&m->ases[1], 64497, "SIM-UPSTREAM access provider", "DE", BT_SIM_AS_UPSTREAM);
	unsigned t0 = 2, ntier1 = (p->transits - 2) / 2;
	if (ntier1 < 2)
		ntier1 = 2;
	set_as(&m->ases[t0], 4837, "CHINA UNICOM China169 Backbone", "CN", BT_SIM_AS_REGIONAL);
	set_as(&m->ases[t0 + 1], 20485, "TRANSTELECOM", "RU", BT_SIM_AS_REGIONAL);
	for (unsigned i = 2; i < p->transits; i++) {
		bool tier1 = i < 2 + ntier1;
		snprintf(org, sizeof(org), "SIM-%s-%u %s transit", tier1 ? "T1" : "RT", i, tier1 ? "tier-1" : "regional");
		set_as(&m->ases[t0 + i], 100100 + i, org, k_countries[rng_below(&g.r, p->countries)],
		       tier1 ? BT_SIM_AS_TIER1 : BT_SIM_AS_REGIONAL);
	}
	for (unsigned i = 0; i < p->transits; i++)
		if (m->ases[t0 + i].kind == BT_SIM_AS_REGIONAL)
			m->ases[t0 + i].parent = (uint16_t)(t0 + 2 + rng_below(&g.r, ntier1));
	unsigned d0 = t0 + p->transits;
	m->kp_as = d0;
	set_as(&m->ases[d0], 131279, "Star Joint Venture Co. Ltd.", "KP", BT_SIM_AS_DEST);
	for (unsigned i = 1; i < p->ases; i++) {
		snprintf(org, sizeof(org), "SIM-AS-%u access network", i);
		set_as(&m->ases[d0 + i], 100200 + i, org, k_countries[rng_below(&g.r, p->countries)], BT_SIM_AS_DEST);
	}

	/* VP side: gateway, an ECMP pair (or more) of access routers, a core. */
	m->vp_stage = new_stage(&g, 0, BT_SIM_ROLE_VPGW, 1, 0);
	new_stage(&g, 1, BT_SIM_ROLE_ACCESS, fan, 1);
	new_stage(&g, 1, BT_SIM_ROLE_CORE, 1, 1);
	for (unsigned i = 0; i < p->transits; i++)
		build_transit(&g, t0 + i);
	build_dest(&g, d0, t0, (int)(t0 + 1));
	for (unsigned i = 1; i < p->ases; i++)
		build_dest(&g, d0 + i, t0 + rng_below(&g.r, p->transits), -1);

	/* AS131279's /22 sits where 175.45.176.0/22 would in a /16, scaled;
	 * its third /24 (the 178 one, which kept the Russian route in 2017) is
	 * the one that moves. */
	unsigned kp_block = (p->prefixes * 11 / 16) & ~3u;
	m->moved_pfx = kp_block + 2;
	assign_prefixes(&g, d0 + 1, kp_block);
	for (unsigned j = 0; j < p->prefixes; j++) {
		unsigned d = m->pfx_as[j];
		m->pfx_gw[j] = new_iface(&g, new_router(&g, d, BT_SIM_ROLE_GATEWAY), d);
	}
	m->vp_stages[0] = m->vp_stage;
	if (ext)
		build_extensions(&g, d0, d0 + p->ases);
	if (!g.failed && alloc_round_state(m) != 0) {
		snprintf(err, errlen, "out of memory");
		g.failed = true;
	}
	if (!g.failed && ext && bt_sim_sched_new(m, err, errlen) != 0)
		g.failed = true;
	if (g.failed) {
		bt_sim_model_free(m);
		return NULL;
	}
	m->bytes = sizeof(*m) + m->nas * sizeof(*m->ases) + g.cap_routers * sizeof(*m->routers) +
		   g.cap_ifaces * sizeof(*m->ifaces) + g.cap_stages * sizeof(*m->stages);
	return m;
}

void bt_sim_model_free(bt_sim_model *m)
{
	if (!m)
		return;
	free(m->ases);
	free(m->routers);
	free(m->ifaces);
	free(m->stages);
	free(m->pfxr);
	free(m->base_addr);
	free(m->base_space);
	free(m->if_kind);
	free(m->base_flags);
	bt_sim_sched_free(m->sched);
	free(m);
}

void bt_sim_flowkey_prober(bt_sim_flowkey *k, int method, uint32_t src, uint32_t dst,
			   unsigned flow, uint16_t dport)
{
	k->src = src;
	k->dst = dst;
	if (method == 0) {
		k->proto = 1;
		k->a = 8 << 8; /* echo request, code 0 */
		k->b = (uint16_t)(0x1000 + flow);
	} else {
		k->proto = method == 1 ? 17 : 6;
		k->a = (uint16_t)(40000 + flow);
		k->b = dport ? dport : method == 1 ? 33435 : 80;
	}
	k->label = 0;
}

/* 0..255 as three decimal digits in one hex group (178 -> 0x178). */
static uint16_t dec_group(unsigned v)
{
	return (uint16_t)((v / 100) << 8 | (v / 10 % 10) << 4 | v % 10);
}

static bool undec_group(uint16_t g, uint32_t *v)
{
	unsigned h = g >> 8, t = (g >> 4) & 0xf, o = g & 0xf;
	if (h > 2 || t > 9 || o > 9 || h * 100 + t * 10 + o > 255)
		return false;
	*v = h * 100 + t * 10 + o;
	return true;
}

static const uint8_t k_doc6[4] = { 0x20, 0x01, 0x0d, 0xb8 };

void bt_sim_addr6(uint32_t v4, uint8_t out[16])
{
	memset(out, 0, 16);
	memcpy(out, k_doc6, 4);
	uint16_t s = dec_group((v4 >> 16) & 0xff), x = dec_group((v4 >> 8) & 0xff), y = dec_group(v4 & 0xff);
	out[4] = (uint8_t)(s >> 8), out[5] = (uint8_t)s;
	out[6] = (uint8_t)(x >> 8), out[7] = (uint8_t)x;
	out[14] = (uint8_t)(y >> 8), out[15] = (uint8_t)y;
}

bool bt_sim_addr4(const uint8_t a[16], uint32_t *v4)
{
	static const uint8_t zero[6];
	uint32_t s, x, y;
	if (memcmp(a, k_doc6, 4) != 0 || memcmp(a + 8, zero, 6) != 0 ||
	    !undec_group((uint16_t)(a[4] << 8 | a[5]), &s) || !undec_group((uint16_t)(a[6] << 8 | a[7]), &x) ||
	    !undec_group((uint16_t)(a[14] << 8 | a[15]), &y))
		return false;
	*v4 = 198u << 24 | s << 16 | x << 8 | y;
	return true;
}

uint32_t bt_sim_key_src6(const uint8_t a[16])
{
	uint32_t v4;
	if (bt_sim_addr4(a, &v4))
		return v4;
	uint64_t hi = 0, lo = 0;
	for (int i = 0; i < 8; i++) {
		hi = hi << 8 | a[i];
		lo = lo << 8 | a[8 + i];
	}
	return (uint32_t)bt_mix64(hi ^ bt_mix64(lo ^ 0x7636ULL));
}

bool bt_sim_is_target(const bt_sim_model *m, uint32_t dst)
{
	return (dst & 0xffff0000u) == BT_SIM_TARGET_NET && ((dst >> 8) & 0xff) < m->p.prefixes;
}

static inline uint64_t pick(uint64_t fh, uint64_t salt)
{
	return bt_mix64(fh ^ (salt + 1) * GOLDEN);
}

/* Salt of the route choice at the upstream core, apart from stage ids. */
#define ROUTE_SALT 0xffffffffULL

static inline unsigned emit_stage(const bt_sim_model *m, uint64_t fh, uint32_t s, uint32_t *out, unsigned n)
{
	const bt_sim_stage *st = &m->stages[s];
	uint32_t i = st->first;
	if (st->count > 1)
		i += (uint32_t)(pick(fh, s ^ (uint64_t)st->epoch << 40) % st->count);
	if (n < BT_SIM_MAX_HOPS)
		out[n++] = i;
	return n;
}

unsigned bt_sim_path(const bt_sim_model *m, const bt_sim_flowkey *k, unsigned phase,
		     uint32_t out[BT_SIM_MAX_HOPS])
{
	if (!bt_sim_is_target(m, k->dst))
		return 0;
	uint64_t fh = bt_mix64(m->p.seed * GOLDEN ^ bt_mix64((uint64_t)k->src << 32 | k->dst) ^
			    bt_mix64((uint64_t)k->proto << 32 | (uint64_t)k->a << 16 | k->b));
	/* A non-zero IPv6 flow label is one more field the balancers hash; 0
	 * leaves the IPv4 hash as it was. */
	if (k->label)
		fh = bt_mix64(fh ^ ((uint64_t)k->label + 1) * GOLDEN);
	unsigned pfx = (k->dst >> 8) & 0xff, n = 0, vp = bt_sim_vp_of(m, k->src);
	for (unsigned s = 0; s < 3; s++)
		n = emit_stage(m, fh, m->vp_stages[vp] + s, out, n);
	const bt_sim_as *a = &m->ases[m->pfx_as[pfx]];
	const bt_sim_pfxroute *pr = &m->pfxr[vp][pfx];
	const bt_sim_route *rt = &a->route[pr->a];
	if (pr->share && pick(fh, ROUTE_SALT + 1) % 100 < pr->share)
		rt = &a->route[pr->b];
	if (phase == 1 && pfx == m->moved_pfx && a->nroutes > 1 &&
	    pick(fh, ROUTE_SALT) % 100 < m->p.change_share)
		rt = &a->route[1];
	for (unsigned t = 0; t < rt->ntransit; t++) {
		const bt_sim_as *ta = &m->ases[rt->transit[t]];
		for (unsigned s = 0; s < ta->nstages; s++)
			n = emit_stage(m, fh, ta->stage_first + s, out, n);
	}
	if (n < BT_SIM_MAX_HOPS)
		out[n++] = rt->border;
	for (unsigned s = 0; s < a->nstages; s++)
		n = emit_stage(m, fh, a->stage_first + s, out, n);
	if (n < BT_SIM_MAX_HOPS)
		out[n++] = m->pfx_gw[pfx];
	return n;
}

bool bt_sim_target_answers(const bt_sim_model *m, uint32_t dst)
{
	if (m->pfx_dark[(dst >> 8) & 0xff])
		return false;
	uint64_t h = bt_mix64(m->p.seed * GOLDEN ^ 0x6461726bULL ^ (uint64_t)dst << 16);
	return (double)(h >> 11) * (1.0 / 9007199254740992.0) >= m->p.dark;
}

bool bt_sim_ratelimit_pass(bt_sim_model *m, unsigned r, uint64_t now_ns)
{
	bt_sim_router *rt = &m->routers[r];
	if (!(rt->flags & BT_SIM_RATELIMITED))
		return true;
	if (now_ns > rt->last_ns) {
		rt->tokens += (double)(now_ns - rt->last_ns) * 1e-9 * m->p.rl_rate;
		if (rt->tokens > m->p.rl_burst)
			rt->tokens = m->p.rl_burst;
		rt->last_ns = now_ns;
	}
	if (rt->tokens < 1)
		return false;
	rt->tokens -= 1;
	return true;
}
