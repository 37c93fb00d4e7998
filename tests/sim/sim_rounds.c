/* bt-sim's commands for the changing Internet (doc/sim.md, "Rounds"): the
 * schedule, the true border routes per round, the true border events, the
 * true border crossing of every trace, the IXP LANs. Output formats are
 * tab-separated, no header, as the other truth files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_cli.h"
#include "sim_sched.h"

static void fmt_pfx(unsigned pfx, char *buf, size_t n)
{
	snprintf(buf, n, "198.18.%u.0/24", pfx);
}

static void print_change(const bt_sim_model *m, const bt_sim_change *c)
{
	char a[BT_SIM_ADDR_BUF], b[BT_SIM_ADDR_BUF], pfx[32], vp[8] = "all";
	if (c->vp != BT_SIM_ALL_VPS)
		snprintf(vp, sizeof(vp), "vp%u", c->vp + 1);
	printf("%u\t%s\t%s\t", c->round, bt_sim_change_name(c->kind), vp);
	fmt_pfx(c->pfx, pfx, sizeof(pfx));
	const bt_sim_as *d = &m->ases[m->pfx_as[c->pfx]];
	switch (c->kind) {
	case BT_SIM_CH_SWITCH: case BT_SIM_CH_ADD: case BT_SIM_CH_DROP:
	case BT_SIM_CH_RETURN: case BT_SIM_CH_SPLIT0:
		printf("%s AS%u\tvia AS%u", pfx, d->asn, m->ases[bt_sim_route_upstream(m, &d->route[c->route])].asn);
		if (c->share)
			printf(" for %u%% of flows", c->share);
		break;
	case BT_SIM_CH_FLAP: printf("%s AS%u\tsecond route withdrawn this round", pfx, d->asn); break;
	case BT_SIM_CH_DARK: printf("%s AS%u\ttargets dark", pfx, d->asn); break;
	case BT_SIM_CH_INTRA: case BT_SIM_CH_REHASH: case BT_SIM_CH_RLBORDER:
		printf("AS%u\t-", m->ases[c->as].asn);
		break;
	default:
		printf("%s\t%s", bt_sim_fmt(m->base_addr[c->iface], 4, a), bt_sim_fmt(c->addr, 4, b));
		if (c->space == BT_SIM_NO_AS)
			printf(" (in no AS's space)");
		else
			printf(" (space of AS%u)", m->ases[c->space].asn);
	}
	putchar('\n');
}

int bt_sim_cmd_schedule(bt_sim_model *m, const bt_sim_cli *c)
{
	(void)c;
	for (unsigned i = 0; m->sched && i < m->sched->n; i++)
		print_change(m, &m->sched->c[i]);
	return 0;
}

/* The country a route enters the destination's country from: the last
 * country on the VP's AS chain (VP network, upstream, transits) that is not
 * the destination's; "-" when the whole chain is in it. */
static const char *country_from(const bt_sim_model *m, unsigned vp, const bt_sim_as *d, unsigned up)
{
	const bt_sim_route *rt = NULL;
	for (unsigned i = 0; i < d->nroutes; i++)
		if (bt_sim_route_upstream(m, &d->route[i]) == up)
			rt = &d->route[i];
	for (int i = rt ? rt->ntransit - 1 : -1; i >= 0; i--)
		if (strcmp(m->ases[rt->transit[i]].cc, d->cc))
			return m->ases[rt->transit[i]].cc;
	unsigned v = m->vp_as[vp];
	if (strcmp(m->ases[v + 1].cc, d->cc))
		return m->ases[v + 1].cc;
	return strcmp(m->ases[v].cc, d->cc) ? m->ases[v].cc : "-";
}

static void routes_prefix(const bt_sim_model *m, unsigned r, unsigned v)
{
	char pfx[32];
	for (unsigned j = 0; j < m->p.prefixes; j++) {
		unsigned up[2], share[2], n = bt_sim_pfx_routes(m, v, j, up, share);
		const bt_sim_as *d = &m->ases[m->pfx_as[j]];
		fmt_pfx(j, pfx, sizeof(pfx));
		for (unsigned i = 0; i < n; i++)
			printf("%u\tvp%u\t%s\tAS%u\tAS%u\t%s\t%s\t%s\t%u\n", r, v + 1, pfx, d->asn, m->ases[up[i]].asn,
			       d->cc, m->ases[up[i]].cc, country_from(m, v, d, up[i]), share[i]);
	}
}

/* By AS: each upstream once per destination AS, with how many of its /24s
 * it reaches (in the share column). */
static void routes_as(const bt_sim_model *m, unsigned r, unsigned v)
{
	unsigned d0 = 2 + m->p.transits;
	for (unsigned di = d0; di < d0 + m->p.ases; di++) {
		unsigned count[2 + BT_SIM_MAX_TRANSITS] = { 0 };
		for (unsigned j = 0; j < m->p.prefixes; j++) {
			unsigned up[2], share[2], n = m->pfx_as[j] == di ? bt_sim_pfx_routes(m, v, j, up, share) : 0;
			for (unsigned i = 0; i < n; i++)
				count[up[i]]++;
		}
		const bt_sim_as *d = &m->ases[di];
		for (unsigned t = 2; t < 2 + m->p.transits; t++)
			if (count[t])
				printf("%u\tvp%u\tAS%u\tAS%u\tAS%u\t%s\t%s\t%s\t%u\n", r, v + 1, d->asn, d->asn,
				       m->ases[t].asn, d->cc, m->ases[t].cc, country_from(m, v, d, t), count[t]);
	}
}

int bt_sim_cmd_routes(bt_sim_model *m, const bt_sim_cli *c)
{
	for (unsigned r = 0; r < m->p.rounds; r++) {
		bt_sim_set_round(m, r);
		for (unsigned v = 0; v < m->p.vps; v++)
			(c->by_as ? routes_as : routes_prefix)(m, r, v);
	}
	return 0;
}

/* ---- changes: the events a perfect detector reports ---- */

typedef struct ev {
	unsigned round, net, group, kind, up;
} ev;

typedef struct evlist {
	ev *e;
	size_t n, cap;
	ev cur;
	int failed;
} evlist;

static void emit(int kind, unsigned round, void *arg)
{
	evlist *l = arg;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 256;
		ev *e = realloc(l->e, cap * sizeof(*e));
		if (!e) {
			l->failed = 1;
			return;
		}
		l->e = e, l->cap = cap;
	}
	l->e[l->n] = l->cur;
	l->e[l->n].kind = (unsigned)kind;
	l->e[l->n++].round = round;
}

static int ev_cmp(const void *a, const void *b)
{
	const ev *x = a, *y = b;
	unsigned kx[5] = { x->round, x->group, x->net, x->kind, x->up }, ky[5] = { y->round, y->group, y->net, y->kind, y->up };
	for (int i = 0; i < 5; i++)
		if (kx[i] != ky[i])
			return kx[i] < ky[i] ? -1 : 1;
	return 0;
}

/* The network a prefix belongs to: itself, or its AS's index. */
static unsigned net_of(const bt_sim_model *m, const bt_sim_cli *c, unsigned pfx)
{
	return c->by_as ? m->pfx_as[pfx] : pfx;
}

static void print_events(const bt_sim_model *m, const bt_sim_cli *c, evlist *l)
{
	static const char *const names[] = { "new", "gone", "returned" };
	if (l->n > 0) /* no event: l->e may be NULL */
		qsort(l->e, l->n, sizeof(*l->e), ev_cmp);
	for (size_t i = 0; i < l->n; i++) {
		const ev *e = &l->e[i];
		char net[48], vp[8] = "";
		if (c->by_as)
			snprintf(net, sizeof(net), "AS%u", m->ases[e->net].asn);
		else
			fmt_pfx(e->net, net, sizeof(net));
		if (c->per_vp)
			snprintf(vp, sizeof(vp), "@vp%u", e->group + 1);
		unsigned into = c->by_as ? m->ases[e->net].asn : m->ases[m->pfx_as[e->net]].asn;
		printf("%s%s\t%u\t%s\tAS%u\tAS%u\n", net, vp, e->round, names[e->kind], m->ases[e->up].asn, into);
	}
}

int bt_sim_cmd_changes(bt_sim_model *m, const bt_sim_cli *c)
{
	unsigned R = m->p.rounds, groups = c->per_vp ? m->p.vps : 1, nnet = c->by_as ? m->nas : m->p.prefixes;
	/* upstream sets as bit masks over transit indexes, [group][net][round] */
	uint64_t *mask = calloc((size_t)groups * nnet * R, sizeof(*mask));
	evlist l = { 0 };
	if (!mask) {
		fprintf(stderr, "bt-sim: out of memory\n");
		return 1;
	}
	for (unsigned r = 0; r < R; r++) {
		bt_sim_set_round(m, r);
		for (unsigned v = 0; v < m->p.vps; v++)
			for (unsigned j = 0; j < m->p.prefixes; j++) {
				unsigned up[2], share[2], n = bt_sim_pfx_routes(m, v, j, up, share);
				uint64_t *x = &mask[((size_t)(c->per_vp ? v : 0) * nnet + net_of(m, c, j)) * R + r];
				for (unsigned i = 0; i < n; i++)
					*x |= 1ull << up[i];
			}
	}
	uint8_t present[BT_SIM_MAX_ROUNDS];
	for (unsigned g = 0; g < groups; g++)
		for (unsigned n = 0; n < nnet; n++)
			for (unsigned t = 2; t < 2 + m->p.transits; t++) {
				for (unsigned r = 0; r < R; r++)
					present[r] = (mask[((size_t)g * nnet + n) * R + r] >> t) & 1;
				l.cur = (ev){ .net = n, .group = g, .up = t };
				bt_sim_route_events(present, R, c->gone_after, emit, &l);
			}
	free(mask);
	if (l.failed) {
		free(l.e);
		fprintf(stderr, "bt-sim: out of memory\n");
		return 1;
	}
	print_events(m, c, &l);
	free(l.e);
	return 0;
}

/* ---- crossings: where each trace truly enters its destination AS ---- */

static void crossing_line(const bt_sim_model *m, const bt_sim_cli *c, uint32_t dst, int family, unsigned flow,
			  void *arg)
{
	(void)arg;
	uint32_t path[BT_SIM_MAX_HOPS];
	char a[BT_SIM_ADDR_BUF];
	unsigned n = bt_sim_cli_path(m, c, dst, family, flow, path), d = m->pfx_as[(dst >> 8) & 0xff], i = 0;
	while (i < n && m->routers[m->ifaces[path[i]].router].as != d)
		i++;
	unsigned up = i ? m->routers[m->ifaces[path[i - 1]].router].as : 0;
	printf("%s\t%u\tAS%u\tAS%u\t%u\n", bt_sim_fmt(dst, family, a), flow, m->ases[d].asn, m->ases[up].asn, i + 1);
}

int bt_sim_cmd_crossings(bt_sim_model *m, const bt_sim_cli *c)
{
	return bt_sim_each_target(m, c, crossing_line, NULL);
}

int bt_sim_cmd_ixps(bt_sim_model *m, const bt_sim_cli *c)
{
	(void)m;
	(void)c;
	for (unsigned i = 0; i < 2; i++)
		printf("198.19.%u.0/24,SIM-IX-%u peering LAN\n", BT_SIM_IXP_FIRST + i, i + 1);
	return 0;
}

/* ---- asrel: the AS relationships of the model (CAIDA serial-1) ---- */

/* rel[a * nas + b]: 1 when AS index a is a provider of b, 2 when a and b
 * peer (stored once, a < b), 0 none. */
static void link_as(const bt_sim_model *m, uint8_t *rel, unsigned prov, unsigned cust)
{
	if (prov != cust && !rel[(size_t)cust * m->nas + prov])
		rel[(size_t)prov * m->nas + cust] = 1;
}

/* The links every round's paths use (a VP network and its upstream; an
 * upstream and each route's first transit; a tier-1 and the regional
 * entered through it; a route's last transit and the destination), and
 * the links third-party addresses are numbered from (a destination and
 * another transit it answers from; a transit and another customer). */
static void model_links(const bt_sim_model *m, uint8_t *rel)
{
	for (unsigned k = 0; k < m->p.vps; k++)
		link_as(m, rel, m->vp_as[k] + 1u, m->vp_as[k]);
	for (unsigned d = 0; d < m->nas; d++) {
		const bt_sim_as *a = &m->ases[d];
		for (unsigned r = 0; a->kind == BT_SIM_AS_DEST && r < a->nroutes; r++) {
			const bt_sim_route *rt = &a->route[r];
			for (unsigned k = 0; k < m->p.vps; k++)
				link_as(m, rel, rt->transit[0], m->vp_as[k] + 1u);
			if (rt->ntransit == 2)
				link_as(m, rel, rt->transit[0], rt->transit[1]);
			link_as(m, rel, bt_sim_route_upstream(m, rt), d);
		}
	}
	for (unsigned i = 0; m->sched && i < m->sched->n; i++) {
		const bt_sim_change *c = &m->sched->c[i];
		if (c->kind != BT_SIM_CH_THIRDPARTY || c->space == BT_SIM_NO_AS)
			continue;
		unsigned op = m->routers[m->ifaces[c->iface].router].as;
		if (m->ases[op].kind == BT_SIM_AS_DEST)
			link_as(m, rel, c->space, op); /* another provider of op */
		else
			link_as(m, rel, op, c->space); /* another customer of op */
	}
}

typedef struct asrel_row {
	uint32_t a, b;
} asrel_row;

static int row_cmp(const void *x, const void *y)
{
	const asrel_row *p = x, *q = y;
	return p->a != q->a ? (p->a > q->a) - (p->a < q->a) : (p->b > q->b) - (p->b < q->b);
}

int bt_sim_cmd_asrel(bt_sim_model *m, const bt_sim_cli *c)
{
	(void)c;
	size_t n = (size_t)m->nas * m->nas, nrows = 0;
	uint8_t *rel = calloc(n ? n : 1, 1);
	asrel_row *rows = malloc((n ? n : 1) * sizeof(*rows));
	if (rel == NULL || rows == NULL) {
		free(rel);
		free(rows);
		fprintf(stderr, "bt-sim: out of memory\n");
		return 1;
	}
	model_links(m, rel);
	for (size_t k = 0; k < n; k++)
		if (rel[k])
			rows[nrows++] = (asrel_row){ m->ases[k / m->nas].asn, m->ases[k % m->nas].asn };
	qsort(rows, nrows, sizeof(*rows), row_cmp);
	printf("# bt-sim AS relationships (serial-1): provider|customer|-1, over every round\n");
	for (size_t k = 0; k < nrows; k++)
		printf("%u|%u|-1\n", rows[k].a, rows[k].b);
	free(rel);
	free(rows);
	return 0;
}
