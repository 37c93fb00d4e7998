/* bordertrace — a trace's border routes over its flows (see
 * include/bordertrace/routes.h and doc/path-diff.md). */
#include "bordertrace/routes.h"

#include <stdlib.h>
#include <string.h>

struct bt_routes_scratch {
	uint32_t *order;    /* flow << 13 | entry index, sorted: each flow's entries in order */
	bt_hop *hops;       /* one flow's entries, gaps between its TTLs filled */
	bt_hopinfo *info;
	bt_path path;       /* that flow's path */
};

bt_routes *bt_routes_new(void)
{
	bt_routes *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->s = calloc(1, sizeof(*r->s));
	r->flow = calloc(BT_HOPS_MAX, sizeof(*r->flow));
	r->route[0] = calloc(BT_HOPS_MAX, sizeof(*r->route[0]));
	r->route[1] = calloc(BT_HOPS_MAX, sizeof(*r->route[1]));
	if (r->s) {
		r->s->order = calloc(BT_HOPS_MAX, sizeof(*r->s->order));
		r->s->hops = calloc(BT_HOPS_MAX, sizeof(*r->s->hops));
		r->s->info = calloc(BT_HOPS_MAX, sizeof(*r->s->info));
	}
	if (!r->s || !r->flow || !r->route[0] || !r->route[1] || !r->s->order || !r->s->hops ||
	    !r->s->info) {
		bt_routes_free(r);
		return NULL;
	}
	return r;
}

void bt_routes_free(bt_routes *r)
{
	if (r == NULL)
		return;
	if (r->s) {
		free(r->s->order);
		free(r->s->hops);
		free(r->s->info);
		free(r->s);
	}
	free(r->flow);
	free(r->route[0]);
	free(r->route[1]);
	free(r);
}

bool bt_route_same(int level, const bt_crossing *a, const bt_crossing *b)
{
	if (level == 0)
		return a->near_asn == b->near_asn && a->far_asn == b->far_asn;
	return strcmp(a->near_cc, b->near_cc) == 0 && strcmp(a->far_cc, b->far_cc) == 0;
}

/* Counts flow k's route c (NULL: none) at level. */
static void add_flow_route(bt_routes *r, int level, size_t k, const bt_crossing *c)
{
	r->route[level][k] = -1;
	if (c == NULL)
		return;
	r->routed[level]++;
	size_t i = 0;
	while (i < r->n[level] && !bt_route_same(level, &r->r[level][i].c, c))
		i++;
	if (i == r->n[level]) {
		if (i == BT_ROUTES_MAX) {
			r->dropped[level]++;
			return;
		}
		r->r[level][r->n[level]++] = (bt_route){ .c = *c, .flows = 0 };
	}
	r->r[level][i].flows++;
	r->route[level][k] = (int16_t)i;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* The entries order[b, e) (one flow's) as a trace of their own into sub,
 * a silent entry for each TTL the flow skipped (it is not known what is
 * there: a crossing over it is across_silent). */
static void flow_trace(bt_routes_scratch *s, const bt_trace *t, const bt_hopinfo *info, size_t b,
		       size_t e, bt_trace *sub)
{
	*sub = *t;
	sub->hops = s->hops;
	sub->hop_cap = BT_HOPS_MAX;
	size_t m = 0;
	for (size_t k = b; k < e && m < BT_HOPS_MAX; k++) {
		size_t i = s->order[k] & 0x1fff;
		uint8_t ttl = t->hops[i].probe_ttl;
		while (m > 0 && s->hops[m - 1].probe_ttl + 1 < ttl && m < BT_HOPS_MAX) {
			memset(&s->hops[m], 0, sizeof(s->hops[m]));
			s->hops[m].probe_ttl = (uint8_t)(s->hops[m - 1].probe_ttl + 1);
			memset(&s->info[m], 0, sizeof(s->info[m]));
			m++;
		}
		if (m == BT_HOPS_MAX)
			break;
		s->hops[m] = t->hops[i];
		s->info[m++] = info[i];
	}
	sub->hop_count = m;
	sub->first_ttl = m ? s->hops[0].probe_ttl : t->first_ttl;
}

static bool several_flows(const bt_trace *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (t->hops[i].has_flow && t->hops[i].flow != t->flow)
			return true;
	return false;
}

void bt_routes_build(bt_routes *r, const bt_trace *t, const bt_hopinfo *info, const bt_hopinfo *dst,
		     const bt_path *whole)
{
	size_t n = t->hop_count < BT_HOPS_MAX ? t->hop_count : BT_HOPS_MAX;
	r->n[0] = r->n[1] = 0;
	r->routed[0] = r->routed[1] = 0;
	r->dropped[0] = r->dropped[1] = 0;
	r->multi = several_flows(t, n);
	if (!r->multi) {
		/* one flow: the whole trace's route, exactly as before */
		r->nflows = 1;
		r->flow[0] = t->flow;
		add_flow_route(r, 0, 0, whole->border_as >= 0 ? &whole->as_cross[whole->border_as] : NULL);
		add_flow_route(r, 1, 0, whole->border_cc >= 0 ? &whole->cc_cross[whole->border_cc] : NULL);
		return;
	}
	bt_routes_scratch *s = r->s;
	for (size_t i = 0; i < n; i++)
		s->order[i] = (uint32_t)bt_hop_flow(t, &t->hops[i]) << 13 | (uint32_t)i;
	qsort(s->order, n, sizeof(*s->order), cmp_u32);
	r->nflows = 0;
	for (size_t b = 0, e; b < n; b = e) {
		uint32_t f = s->order[b] >> 13;
		for (e = b; e < n && s->order[e] >> 13 == f; e++)
			;
		bt_trace sub;
		flow_trace(s, t, info, b, e, &sub);
		bt_path_build(&sub, s->info, dst, &s->path);
		size_t k = r->nflows++;
		r->flow[k] = (uint16_t)f;
		const bt_path *p = &s->path;
		add_flow_route(r, 0, k, p->border_as >= 0 ? &p->as_cross[p->border_as] : NULL);
		add_flow_route(r, 1, k, p->border_cc >= 0 ? &p->cc_cross[p->border_cc] : NULL);
	}
}
