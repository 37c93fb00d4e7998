/* bordertrace — the report's data: AS edges of the routes into each target
 * network (first pass) and the evidence traces' hop tables (second pass);
 * see include/bordertrace/report.h. The HTML is written by report_html.c. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <graphviz/gvc.h>

#include "bordertrace/routes.h"
#include "bordertrace/trace.h"
#include "report_int.h"

void bt_rb_put(bt_report_buf *b, const char *s, size_t n)
{
	if (b->nomem)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (b->len + n + 1 > cap)
			cap *= 2;
		char *ns = realloc(b->s, cap);
		if (ns == NULL) {
			b->nomem = true;
			return;
		}
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void bt_rb_printf(bt_report_buf *b, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(tmp)) {
		bt_rb_put(b, tmp, (size_t)n);
		return;
	}
	char *big = malloc((size_t)n + 1);
	if (big == NULL) {
		b->nomem = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	bt_rb_put(b, big, (size_t)n);
	free(big);
}

/* Text from outside (organisations, ids) as HTML/XML text or attribute. */
void bt_rb_esc(bt_report_buf *b, const char *s)
{
	for (const char *p = s ? s : ""; *p; p++) {
		switch (*p) {
		case '&': bt_rb_put(b, "&amp;", 5); break;
		case '<': bt_rb_put(b, "&lt;", 4); break;
		case '>': bt_rb_put(b, "&gt;", 4); break;
		case '"': bt_rb_put(b, "&quot;", 6); break;
		case '\'': bt_rb_put(b, "&#39;", 5); break;
		default:
			if ((unsigned char)*p >= 0x20 || *p == '\t')
				bt_rb_put(b, p, 1);
		}
	}
}

bt_report *bt_report_new(const bt_report_opts *o)
{
	bt_report *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->o = *o;
	r->pass = 1;
	r->smask = 1023;
	r->names = bt_strtab_new();
	r->slot = calloc(r->smask + 1, sizeof(*r->slot));
	if (r->names == NULL || r->slot == NULL) {
		bt_report_free(r);
		return NULL;
	}
	return r;
}

void bt_report_free(bt_report *r)
{
	if (r == NULL)
		return;
	if (r->gvc)
		gvFreeContext(r->gvc);
	for (size_t i = 0; i < r->norg; i++)
		free(r->org[i]);
	free(r->org);
	if (r->want)
		for (size_t i = 0; i < bt_strtab_count(r->want); i++)
			free(r->evid[i].html);
	free(r->evid);
	bt_strtab_free(r->want);
	bt_strtab_free(r->names);
	free(r->slot);
	free(r->e);
	free(r);
}

static size_t edge_hash(uint32_t t, uint32_t f, uint32_t to)
{
	uint64_t h = ((uint64_t)t * 0x9E3779B97F4A7C15ULL) ^ ((uint64_t)f * 0xC2B2AE3D27D4EB4FULL) ^ to;
	h ^= h >> 31;
	return (size_t)(h * 0x165667B19E3779F9ULL >> 17);
}

static int grow_slots(bt_report *r)
{
	size_t cap = (r->smask + 1) * 2;
	uint32_t *ns = calloc(cap, sizeof(*ns));
	if (ns == NULL)
		return -1;
	for (size_t i = 0; i < r->ne; i++) {
		size_t j = edge_hash(r->e[i].target, r->e[i].from, r->e[i].to) & (cap - 1);
		while (ns[j])
			j = (j + 1) & (cap - 1);
		ns[j] = (uint32_t)i + 1;
	}
	free(r->slot);
	r->slot = ns;
	r->smask = cap - 1;
	return 0;
}

/* Counts one trace on the edge (target, from, to); -1 when out of memory. */
static int add_edge(bt_report *r, uint32_t t, uint32_t f, uint32_t to, uint32_t round, bool vp, bool border)
{
	if ((r->ne + 1) * 2 > r->smask + 1 && grow_slots(r) != 0)
		return -1;
	size_t j = edge_hash(t, f, to) & r->smask;
	for (; r->slot[j]; j = (j + 1) & r->smask) {
		bt_report_edge *x = &r->e[r->slot[j] - 1];
		if (x->target == t && x->from == f && x->to == to) {
			x->traces++;
			x->border |= border;
			if (strcmp(bt_strtab_get(r->names, round), bt_strtab_get(r->names, x->first_round)) < 0)
				x->first_round = round;
			return 0;
		}
	}
	if (r->ne == r->ecap) {
		size_t cap = r->ecap ? r->ecap * 2 : 256;
		bt_report_edge *ne = realloc(r->e, cap * sizeof(*ne));
		if (ne == NULL)
			return -1;
		r->e = ne;
		r->ecap = cap;
	}
	r->e[r->ne] = (bt_report_edge){ .target = t, .from = f, .to = to, .first_round = round, .traces = 1,
					.border = border, .from_vp = vp };
	r->slot[j] = (uint32_t)++r->ne;
	return 0;
}

static uint32_t name_id(bt_report *r, const char *s)
{
	return bt_strtab_intern(r->names, s, strlen(s));
}

/* Keeps an AS's organisation and country for its graph label (the first seen). */
static int note_org(bt_report *r, uint32_t id, const bt_hopres *h)
{
	if (id >= r->norg) {
		size_t n = (size_t)id * 2 + 1024;
		char **no = realloc(r->org, n * sizeof(*no));
		if (no == NULL)
			return -1;
		memset(no + r->norg, 0, (n - r->norg) * sizeof(*no));
		r->org = no;
		r->norg = n;
	}
	if (r->org[id] || (!h->org[0] && !h->info.country[0]))
		return 0;
	size_t l = strlen(h->org) + 8;
	r->org[id] = malloc(l);
	if (r->org[id] == NULL)
		return -1;
	snprintf(r->org[id], l, "%.40s%s%s", h->org, h->org[0] && h->info.country[0] ? ", " : "", h->info.country);
	return 0;
}

/* Whether from -> to is one of the trace's border routes (each flow's, routes.h). */
static bool is_border(const bt_routes *rs, uint32_t from, uint32_t to)
{
	for (size_t k = 0; k < rs->n[0]; k++)
		if (rs->r[0][k].c.near_asn == from && rs->r[0][k].c.far_asn == to)
			return true;
	return false;
}

/* A border route's edge when its two ASes are not neighbours on the path. */
static int route_edge(bt_report *r, const bt_path *p, const bt_crossing *bx, uint32_t t, uint32_t round)
{
	char a[16], b[16];
	if (!bx->near_asn || !bx->far_asn || p->nas < 2)
		return 0;
	/* already counted with the path when the two are neighbours on it */
	for (size_t i = 1; i < p->nas; i++)
		if (p->as_path[i - 1] == bx->near_asn && p->as_path[i] == bx->far_asn)
			return 0;
	snprintf(a, sizeof(a), "AS%u", bx->near_asn);
	snprintf(b, sizeof(b), "AS%u", bx->far_asn);
	uint32_t x = name_id(r, a), y = name_id(r, b);
	return x == UINT32_MAX || y == UINT32_MAX ? -1 : add_edge(r, t, x, y, round, false, true);
}

/* First pass: the trace's AS path as edges, from its VP. */
static int count_edges(bt_report *r, const bt_pipeline_trace *pt)
{
	const bt_path *p = pt->path;
	const bt_routes *rs = pt->routes;
	char a[16], vp[BT_ID_MAX + 4];
	/* "VP x": a VP named like an AS stays a node of its own */
	snprintf(vp, sizeof(vp), "VP %s", pt->t->vp[0] ? pt->t->vp : "-");
	uint32_t t = name_id(r, pt->key), round = name_id(r, pt->t->round[0] ? pt->t->round : "-");
	uint32_t prev = name_id(r, vp);
	if (t == UINT32_MAX || round == UINT32_MAX || prev == UINT32_MAX)
		return -1;
	for (size_t i = 0; i < pt->n; i++)
		if (pt->res[i]->info.kind == BT_HOP_AS) {
			snprintf(a, sizeof(a), "AS%u", pt->res[i]->info.asn);
			uint32_t id = name_id(r, a);
			if (id == UINT32_MAX || note_org(r, id, pt->res[i]) != 0)
				return -1;
		}
	for (size_t i = 0; i < p->nas; i++) {
		snprintf(a, sizeof(a), "AS%u", p->as_path[i]);
		uint32_t id = name_id(r, a);
		bool border = i > 0 && is_border(rs, p->as_path[i - 1], p->as_path[i]);
		/* a trace with copied hops (split TTL) starts its own path further
		 * in: it says nothing about the link from its VP */
		if (id == UINT32_MAX ||
		    ((i > 0 || pt->t->filled_below_ttl == 0) && add_edge(r, t, prev, id, round, i == 0, border) != 0))
			return -1;
		prev = id;
	}
	for (size_t k = 0; k < rs->n[0]; k++)
		if (route_edge(r, p, &rs->r[0][k].c, t, round) != 0)
			return -1;
	return 0;
}

static bool hop_of(const bt_crossing *c, const bt_hop *h, bool far)
{
	return h->probe_ttl == (far ? c->far_ttl : c->near_ttl) &&
	       bt_addr_eq(&h->addr, far ? &c->far_addr : &c->near_addr);
}

/* The route whose far (near) hop entry h of t is, or NULL: the route of
 * h's own flow first (several routes may share the hop in the target). */
static const bt_route *route_at(const bt_routes *rs, const bt_trace *t, const bt_hop *h, bool far)
{
	size_t lo = 0, hi = rs->nflows;
	uint16_t f = bt_hop_flow(t, h);
	while (lo < hi) { /* rs->flow is ascending */
		size_t mid = (lo + hi) / 2;
		if (rs->flow[mid] < f)
			lo = mid + 1;
		else
			hi = mid;
	}
	int16_t own = lo < rs->nflows && rs->flow[lo] == f ? rs->route[0][lo] : -1;
	if (own >= 0 && hop_of(&rs->r[0][own].c, h, far))
		return &rs->r[0][own];
	for (size_t k = 0; k < rs->n[0]; k++)
		if (hop_of(&rs->r[0][k].c, h, far))
			return &rs->r[0][k];
	return NULL;
}

static void hop_row(bt_report_buf *b, const bt_pipeline_trace *pt, size_t i)
{
	const bt_hop *h = &pt->t->hops[i];
	const bt_hopres *res = pt->res[i];
	const bt_routes *rs = pt->routes;
	bool copied = i < bt_trace_copied_hops(pt->t), set = bt_addr_is_set(&h->addr);
	const bt_route *far = set ? route_at(rs, pt->t, h, true) : NULL;
	bool near = set && route_at(rs, pt->t, h, false);
	char a[BT_ADDR_STRLEN] = "*", asn[16] = "";
	if (set)
		bt_addr_format(&h->addr, a, sizeof(a));
	if (set && res->info.kind == BT_HOP_AS)
		snprintf(asn, sizeof(asn), "AS%u", res->info.asn);
	bt_rb_printf(b, "<tr class=\"%s%s\"><td>%u</td><td>", copied ? "copied" : "", far ? " border" : "",
		     h->probe_ttl);
	bt_rb_esc(b, a);
	bt_rb_printf(b, "</td><td>%s</td><td>", asn);
	bt_rb_esc(b, set ? res->info.country : "");
	bt_rb_printf(b, "</td><td>");
	bt_rb_esc(b, set ? (res->info.kind == BT_HOP_IXP ? res->ixp : res->org) : "");
	if (set)
		bt_rb_printf(b, "</td><td>%u.%03u</td><td>", h->rtt_us / 1000, h->rtt_us % 1000);
	else
		bt_rb_printf(b, "</td><td></td><td>");
	if (copied)
		bt_rb_printf(b, "copied (split TTL): another trace's reply ");
	if (near)
		bt_rb_printf(b, "last hop before the border ");
	if (far)
		bt_rb_printf(b, "\xe2\x96\xb6 border crossing: AS%u \xe2\x86\x92 AS%u", far->c.near_asn,
			     far->c.far_asn);
	if (far && rs->multi)
		bt_rb_printf(b, " (%u of the trace's %u flows that entered)", far->flows, rs->routed[0]);
	bt_rb_printf(b, "</td></tr>\n");
}

/* Second pass: the hop table of a trace an event shows. */
static int keep_evidence(bt_report *r, const bt_pipeline_trace *pt)
{
	uint32_t w = bt_strtab_find(r->want, pt->id, strlen(pt->id));
	if (w == UINT32_MAX || r->evid[w].html)
		return 0;
	bt_report_buf b = { 0 };
	char tb[BT_TIME_STRLEN];
	bt_rb_printf(&b, "<table class=\"evidence\"><caption>trace <code>");
	bt_rb_esc(&b, pt->id);
	bt_rb_printf(&b, "</code>, started %s</caption>\n<thead><tr><th>TTL</th><th>address</th><th>AS</th>"
		     "<th>country</th><th>organisation</th><th>RTT ms</th><th>note</th></tr></thead>\n<tbody>",
		     bt_time_format(pt->t->start_us, tb, sizeof(tb)));
	for (size_t i = 0; i < pt->n; i++)
		hop_row(&b, pt, i);
	bt_rb_printf(&b, "</tbody></table>\n");
	if (b.nomem) {
		free(b.s);
		return -1;
	}
	r->evid[w].html = b.s;
	return 0;
}

int bt_report_trace(void *ctx, const bt_pipeline_trace *pt, char *err, size_t errlen)
{
	bt_report *r = ctx;
	if ((r->pass == 1 ? count_edges(r, pt) : keep_evidence(r, pt)) == 0)
		return 0;
	snprintf(err, errlen, "out of memory");
	return -1;
}

/* The first `evidence` ids of an event's space-separated list into want. */
static int want_ids(bt_report *r, const char *list)
{
	unsigned k = 0;
	for (const char *s = list; *s && k < r->o.evidence; k++) {
		size_t l = strcspn(s, " ");
		if (l && bt_strtab_intern(r->want, s, l) == UINT32_MAX)
			return -1;
		s += l;
		s += *s == ' ';
	}
	return 0;
}

int bt_report_want_evidence(bt_report *r, const bt_diff *d, unsigned levels)
{
	r->pass = 2;
	r->want = bt_strtab_new();
	bt_report_nets nets;
	if (r->want == NULL || bt_report_nets_make(&nets, d, levels) != 0)
		return -1;
	/* only the sections written show evidence: memory stays bounded */
	int rc = 0;
	for (size_t i = 0; i < nets.n && i < r->o.top && rc == 0; i++)
		for (size_t k = 0; k < nets.v[i].nev && rc == 0; k++)
			rc = want_ids(r, nets.v[i].ev[k]->evidence);
	bt_report_nets_free(&nets);
	r->evid = calloc(bt_strtab_count(r->want) + 1, sizeof(*r->evid));
	return rc == 0 && r->evid ? 0 : -1;
}
