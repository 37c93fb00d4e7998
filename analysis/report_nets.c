/* bordertrace — the report's target networks: the path-diff's diversity rows
 * and events grouped per target network, ranked by change. */
#include <stdlib.h>
#include <string.h>

#include "report_int.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_nets(const void *a, const void *b)
{
	const bt_report_net *x = a, *y = b;
	if (x->nev != y->nev)
		return x->nev > y->nev ? -1 : 1;
	if (x->max_ups != y->max_ups)
		return x->max_ups > y->max_ups ? -1 : 1;
	return strcmp(x->key, y->key);
}

/* Diversity per network: the most upstream ASes in a round, those of the last
 * round, the upstream countries of the last round; events by kind. */
static void net_stats(bt_report_net *n)
{
	size_t last = 0;
	for (size_t i = 0; i < n->ndiv; i++)
		if (n->round_of[i] > last)
			last = n->round_of[i];
	for (size_t i = 0; i < n->ndiv; i++) {
		const bt_diff_div *v = n->div[i];
		if (v->level == BT_LEVEL_AS && v->upstreams > n->max_ups)
			n->max_ups = v->upstreams;
		if (n->round_of[i] == last && v->level == BT_LEVEL_AS)
			n->last_ups = v->upstreams;
		if (n->round_of[i] == last && v->level == BT_LEVEL_COUNTRY)
			n->last_ccs = v->upstreams;
	}
	for (size_t i = 0; i < n->nev; i++) {
		n->nnew += n->ev[i]->kind == BT_EVENT_NEW;
		n->ngone += n->ev[i]->kind == BT_EVENT_GONE;
		n->nback += n->ev[i]->kind == BT_EVENT_RETURNED;
	}
}

/* The rounds in order, and each div row's round index. */
static int order_rounds(bt_report_nets *ns, bt_strtab *rk, const uint32_t *rid, size_t ndiv, size_t *gr)
{
	size_t nr = bt_strtab_count(rk);
	size_t *rank = malloc((nr + 1) * sizeof(*rank));
	ns->rounds = malloc((nr + 1) * sizeof(*ns->rounds));
	if (rank == NULL || ns->rounds == NULL) {
		free(rank);
		return -1;
	}
	for (size_t i = 0; i < nr; i++)
		ns->rounds[i] = bt_strtab_get(rk, (uint32_t)i);
	qsort(ns->rounds, nr, sizeof(*ns->rounds), cmp_str);
	for (size_t i = 0; i < nr; i++)
		rank[bt_strtab_find(rk, ns->rounds[i], strlen(ns->rounds[i]))] = i;
	for (size_t i = 0; i < ndiv; i++)
		gr[i] = rank[rid[i]];
	ns->nrounds = nr;
	free(rank);
	return 0;
}

/* Groups rows of d by target (counts, then offsets, then fill). */
static int group(bt_report_nets *ns, const bt_diff *d, unsigned levels, bt_strtab *tk, const size_t *gr)
{
	size_t nd = bt_diff_ndiv(d), ne = bt_diff_nevents(d), nt = bt_strtab_count(tk);
	size_t *dofs = calloc(nt + 1, sizeof(*dofs)), *eofs = calloc(nt + 1, sizeof(*eofs));
	ns->v = calloc(nt + 1, sizeof(*ns->v));
	if (dofs == NULL || eofs == NULL || ns->v == NULL) {
		free(dofs);
		free(eofs);
		return -1;
	}
	for (size_t i = 0; i < nd; i++)
		ns->v[bt_strtab_find(tk, bt_diff_div_at(d, i)->target, strlen(bt_diff_div_at(d, i)->target))].ndiv++;
	for (size_t i = 0; i < ne; i++) {
		const bt_diff_event *e = bt_diff_event_at(d, i);
		if (levels >> e->level & 1)
			ns->v[bt_strtab_find(tk, e->target, strlen(e->target))].nev++;
	}
	for (size_t t = 1; t < nt; t++) {
		dofs[t] = dofs[t - 1] + ns->v[t - 1].ndiv;
		eofs[t] = eofs[t - 1] + ns->v[t - 1].nev;
	}
	for (size_t t = 0; t < nt; t++) {
		bt_report_net *n = &ns->v[t];
		*n = (bt_report_net){ .key = bt_strtab_get(tk, (uint32_t)t), .div = ns->div + dofs[t],
				      .round_of = ns->round_of + dofs[t], .ev = ns->ev + eofs[t] };
	}
	for (size_t i = 0; i < nd; i++) {
		const bt_diff_div *v = bt_diff_div_at(d, i);
		bt_report_net *n = &ns->v[bt_strtab_find(tk, v->target, strlen(v->target))];
		n->round_of[n->ndiv] = gr[i];
		n->div[n->ndiv++] = v;
	}
	for (size_t i = 0; i < ne; i++) {
		const bt_diff_event *e = bt_diff_event_at(d, i);
		bt_report_net *n = &ns->v[bt_strtab_find(tk, e->target, strlen(e->target))];
		if (levels >> e->level & 1)
			n->ev[n->nev++] = e;
	}
	ns->n = nt;
	free(dofs);
	free(eofs);
	return 0;
}

void bt_report_nets_free(bt_report_nets *ns)
{
	free(ns->v);
	free(ns->rounds);
	free(ns->div);
	free(ns->round_of);
	free(ns->ev);
	bt_strtab_free(ns->tk);
	bt_strtab_free(ns->rk);
	memset(ns, 0, sizeof(*ns));
}

/* Interns every target and round of d; the round of each div row into rid. */
static int intern_all(bt_report_nets *ns, const bt_diff *d, uint32_t *rid)
{
	for (size_t i = 0; i < bt_diff_ndiv(d); i++) {
		const bt_diff_div *v = bt_diff_div_at(d, i);
		rid[i] = bt_strtab_intern(ns->rk, v->round, strlen(v->round));
		if (rid[i] == UINT32_MAX || bt_strtab_intern(ns->tk, v->target, strlen(v->target)) == UINT32_MAX)
			return -1;
	}
	for (size_t i = 0; i < bt_diff_nevents(d); i++) {
		const bt_diff_event *e = bt_diff_event_at(d, i);
		if (bt_strtab_intern(ns->tk, e->target, strlen(e->target)) == UINT32_MAX)
			return -1;
	}
	return 0;
}

int bt_report_nets_make(bt_report_nets *ns, const bt_diff *d, unsigned levels)
{
	size_t nd = bt_diff_ndiv(d), ne = bt_diff_nevents(d);
	memset(ns, 0, sizeof(*ns));
	ns->tk = bt_strtab_new();
	ns->rk = bt_strtab_new();
	ns->div = malloc((nd + 1) * sizeof(*ns->div));
	ns->round_of = malloc((nd + 1) * sizeof(*ns->round_of));
	ns->ev = malloc((ne + 1) * sizeof(*ns->ev));
	uint32_t *rid = malloc((nd + 1) * sizeof(*rid));
	size_t *gr = malloc((nd + 1) * sizeof(*gr));
	int rc = -1;
	if (ns->tk && ns->rk && ns->div && ns->round_of && ns->ev && rid && gr && intern_all(ns, d, rid) == 0 &&
	    order_rounds(ns, ns->rk, rid, nd, gr) == 0 && group(ns, d, levels, ns->tk, gr) == 0) {
		for (size_t t = 0; t < ns->n; t++) {
			ns->v[t].rounds = ns->rounds;
			ns->v[t].nrounds = ns->nrounds;
			net_stats(&ns->v[t]);
		}
		if (ns->n)
			qsort(ns->v, ns->n, sizeof(*ns->v), cmp_nets);
		for (size_t t = 0; t < ns->n; t++)
			ns->v[t].rank = t + 1;
		rc = 0;
	}
	free(rid);
	free(gr);
	if (rc != 0)
		bt_report_nets_free(ns);
	return rc;
}
