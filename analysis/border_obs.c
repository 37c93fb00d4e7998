/* bordertrace — a round's border observations (border_obs.h): each trace's
 * border routes into the target AS and country (one per flow of a
 * multipath record: routes.h), counted by route. */
#include "bordertrace/border_obs.h"
#include "bordertrace/roundbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FLOW_BITS 65536

static bt_obs *find_or_add(bt_obs_set *s, const bt_obs *k)
{
	for (size_t i = 0; i < s->n; i++) {
		bt_obs *o = &s->v[i];
		if (o->country == k->country && o->up_asn == k->up_asn && o->into_asn == k->into_asn &&
		    strcmp(o->target, k->target) == 0 && strcmp(o->up_cc, k->up_cc) == 0 &&
		    strcmp(o->into_cc, k->into_cc) == 0)
			return o;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		bt_obs *v = realloc(s->v, cap * sizeof(*v));
		if (v == NULL)
			return NULL;
		s->v = v;
		s->cap = cap;
	}
	bt_obs *o = &s->v[s->n];
	*o = *k;
	o->flow_seen = calloc(FLOW_BITS / 8, 1);
	if (o->flow_seen == NULL)
		return NULL;
	s->n++;
	return o;
}

/* Route k of r at one level into target: the trace, and each of its flows
 * that showed it. */
static int count(bt_obs_set *s, bool country, const char *target, const bt_routes *r, size_t idx)
{
	const bt_crossing *c = &r->r[country][idx].c;
	bt_obs key = { .country = country, .up_asn = c->near_asn, .into_asn = c->far_asn };
	snprintf(key.target, sizeof(key.target), "%s", target);
	memcpy(key.up_cc, c->near_cc, 3);
	memcpy(key.into_cc, c->far_cc, 3);
	bt_obs *o = find_or_add(s, &key);
	if (o == NULL)
		return -1;
	o->traces++;
	for (size_t i = 0; i < r->nflows; i++) {
		uint16_t flow = r->flow[i];
		if (r->route[country][i] != (int16_t)idx || (o->flow_seen[flow / 8] & (1u << (flow % 8))))
			continue;
		o->flow_seen[flow / 8] |= (uint8_t)(1u << (flow % 8));
		o->flows++;
	}
	return 0;
}

static int add_trace(bt_obs_set *s, const bt_trace *t, bt_resolve_fn resolve, void *ctx, char *err,
		     size_t errlen)
{
	size_t n = t->hop_count;
	if (n + 1 > s->res_cap) {
		bt_hopres *r = realloc(s->res, (n + 1) * sizeof(*r));
		if (r == NULL)
			goto oom;
		s->res = r;
		s->res_cap = n + 1;
	}
	bt_hopinfo *info = calloc(n + 1, sizeof(*info));
	if (info == NULL)
		goto oom;
	if (s->routes == NULL && (s->routes = bt_routes_new()) == NULL) {
		free(info);
		goto oom;
	}
	int rc = 0;
	for (size_t i = 0; i <= n && rc == 0; i++) {
		const bt_addr *a = i < n ? &t->hops[i].addr : &t->dst;
		memset(&s->res[i], 0, sizeof(s->res[i])); /* zero: a silent hop */
		if (bt_addr_is_set(a))
			rc = resolve(ctx, a, &s->res[i], err, errlen);
		info[i] = s->res[i].info;
	}
	bt_path p;
	if (rc == 0) {
		bt_path_build(t, info, &info[n], &p);
		bt_routes_build(s->routes, t, info, &info[n], &p);
		char as[16];
		snprintf(as, sizeof(as), "AS%u", p.target_asn);
		for (size_t k = 0; k < s->routes->n[0] && rc == 0 && p.target_asn != 0; k++)
			rc = count(s, false, as, s->routes, k);
		for (size_t k = 0; k < s->routes->n[1] && rc == 0 && p.target_cc[0] != '\0'; k++)
			rc = count(s, true, p.target_cc, s->routes, k);
		if (rc != 0)
			snprintf(err, errlen, "out of memory");
	}
	free(info);
	return rc;
oom:
	snprintf(err, errlen, "out of memory");
	return -1;
}

struct walk {
	bt_obs_set *s;
	bt_resolve_fn resolve;
	void *ctx;
};

static const char *walk_trace(void *ctx, const bt_trace *t, char *err, size_t errlen)
{
	struct walk *w = ctx;
	return add_trace(w->s, t, w->resolve, w->ctx, err, errlen) == 0 ? NULL : BT_ROUNDBUF_FAILED;
}

int bt_obs_from_round(bt_obs_set *s, const char *name, const char *buf, size_t len,
		      bt_resolve_fn resolve, void *ctx, char *err, size_t errlen)
{
	struct walk w = { s, resolve, ctx };
	return bt_roundbuf_each(name, buf, len, walk_trace, &w, err, errlen);
}

void bt_obs_set_free(bt_obs_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].flow_seen);
	free(s->v);
	free(s->res);
	bt_routes_free(s->routes);
	memset(s, 0, sizeof(*s));
}
