/* bordertrace — the report's AS graph: the routes into one target network
 * (VPs -> transits -> border upstream -> target) laid out by Graphviz's dot
 * (libgvc, libcgraph) and rendered to SVG, and PNG through its cairo
 * plugin, in memory (doc/report.md). */
#include <graphviz/gvc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_int.h"

/* Colours from the report's Okabe-Ito palette, each with a text label. */
#define C_VP "#999999"
#define C_TRANSIT "#56B4E9"
#define C_UPSTREAM "#E69F00"
#define C_TARGET "#009E73"
#define C_NEW "#D55E00"

static size_t round_index(const bt_report_net *n, const char *round)
{
	for (size_t k = 0; k < n->nrounds; k++)
		if (strcmp(n->rounds[k], round) == 0)
			return k;
	return 0;
}

/* s into dst for a Graphviz label: its escapes (\\N, \\G, \\l, ...) start
 * with a backslash, so an organisation's backslashes are doubled. */
static void gv_text(char *dst, size_t cap, const char *s)
{
	size_t o = 0;
	for (; *s && o + 3 < cap; s++) {
		if (*s == '\\')
			dst[o++] = '\\';
		dst[o++] = *s;
	}
	dst[o] = '\0';
}

/* The node of name id ("AS4837", "VP vp-01"), made with a transit's (or a
 * VP's) look when new; ids numbered within the page by net and count. */
static Agnode_t *node(const bt_report *r, const bt_report_net *n, Agraph_t *g, uint32_t id, bool vp)
{
	const char *name = bt_strtab_get(r->names, id);
	Agnode_t *a = agnode(g, (char *)name, 0);
	if (a)
		return a;
	a = agnode(g, (char *)name, 1);
	char label[512], org[300], nid[48];
	gv_text(org, sizeof(org), id < r->norg && r->org[id] ? r->org[id] : "");
	snprintf(label, sizeof(label), "%s%s%s", name, org[0] ? "\n" : "", org);
	snprintf(nid, sizeof(nid), "net%zu-node%d", n->rank, agnnodes(g));
	agsafeset(a, "id", nid, "");
	agsafeset(a, "label", label, "");
	agsafeset(a, "shape", vp ? "box" : "ellipse", "");
	agsafeset(a, "style", "filled", "");
	agsafeset(a, "fillcolor", vp ? C_VP : C_TRANSIT, "");
	return a;
}

/* The border route's two ends get their roles' colours and a text label. */
static void role(const bt_report *r, Agnode_t *a, uint32_t id, const char *what, const char *fill)
{
	char label[512], org[300];
	gv_text(org, sizeof(org), id < r->norg && r->org[id] ? r->org[id] : "");
	snprintf(label, sizeof(label), "%s%s%s\n(%s)", bt_strtab_get(r->names, id), org[0] ? "\n" : "", org, what);
	agsafeset(a, "label", label, "");
	agsafeset(a, "fillcolor", (char *)fill, "");
}

static void edge_style(const bt_report_net *n, Agedge_t *e, const char *round, bool isnew, unsigned traces,
		       size_t k)
{
	char label[160], eid[48];
	snprintf(eid, sizeof(eid), "net%zu-edge%zu", n->rank, k);
	agsafeset(e, "id", eid, "");
	if (isnew)
		snprintf(label, sizeof(label), "NEW in R%zu: %u trace%s", round_index(n, round) + 1, traces,
			 traces == 1 ? "" : "s");
	else
		snprintf(label, sizeof(label), "%u trace%s", traces, traces == 1 ? "" : "s");
	agsafeset(e, "label", label, "");
	agsafeset(e, "class", isnew ? "newedge" : "oldedge", "");
	agsafeset(e, "color", isnew ? C_NEW : "#000000", "");
	agsafeset(e, "fontcolor", isnew ? C_NEW : "#000000", "");
	agsafeset(e, "penwidth", isnew ? "3" : "1", "");
	agsafeset(e, "style", isnew ? "bold,dashed" : "solid", "");
}

#define GRAPH_EDGES 120 /* edges drawn at most: dot's time grows fast past that */

typedef struct pick {
	const bt_report_edge *e;
	bool keep;              /* new or the border route: always drawn */
} pick;

static int cmp_picks(const void *a, const void *b)
{
	const pick *x = a, *y = b;
	if (x->keep != y->keep)
		return x->keep ? -1 : 1;
	return x->e->traces > y->e->traces ? -1 : x->e->traces < y->e->traces;
}

/* n's edges (tid), the heaviest GRAPH_EDGES when there are more (new and
 * border edges first); their number into *np, the rest into *left. */
static pick *choose(const bt_report *r, uint32_t tid, uint32_t first, size_t *np, size_t *left)
{
	size_t n = 0, k = 0;
	for (size_t i = 0; i < r->ne; i++)
		n += r->e[i].target == tid;
	pick *p = malloc((n + 1) * sizeof(*p));
	if (p == NULL)
		return NULL;
	for (size_t i = 0; i < r->ne; i++)
		if (r->e[i].target == tid)
			p[k++] = (pick){ &r->e[i], r->e[i].border || r->e[i].first_round != first };
	if (n > GRAPH_EDGES)
		qsort(p, n, sizeof(*p), cmp_picks);
	*np = n > GRAPH_EDGES ? GRAPH_EDGES : n;
	*left = n - *np;
	return p;
}

/* Nodes and edges of n's routes into g; -1 when out of memory. */
static int build(const bt_report *r, const bt_report_net *n, Agraph_t *g, uint32_t tid, size_t *left)
{
	uint32_t first = UINT32_MAX; /* the target's first round (name id) */
	for (size_t i = 0; i < r->ne; i++)
		if (r->e[i].target == tid && (first == UINT32_MAX ||
		    strcmp(bt_strtab_get(r->names, r->e[i].first_round), bt_strtab_get(r->names, first)) < 0))
			first = r->e[i].first_round;
	size_t np;
	pick *p = choose(r, tid, first, &np, left);
	if (p == NULL)
		return -1;
	for (size_t i = 0; i < np; i++) {
		const bt_report_edge *x = p[i].e;
		Agedge_t *e = agedge(g, node(r, n, g, x->from, x->from_vp), node(r, n, g, x->to, false), NULL, 1);
		edge_style(n, e, bt_strtab_get(r->names, x->first_round), x->first_round != first, x->traces, i);
	}
	for (size_t i = 0; i < np; i++) {
		const bt_report_edge *x = p[i].e;
		if (!x->border)
			continue;
		role(r, node(r, n, g, x->from, false), x->from, "upstream", C_UPSTREAM);
		role(r, node(r, n, g, x->to, false), x->to, "target", C_TARGET);
	}
	free(p);
	return 0;
}

/* Graphviz's own messages (a missing font, a plugin it cannot load) would
 * go to stderr in its format: the last one is kept for our error instead. */
static char gv_last[256];

static int gv_message(char *msg)
{
	size_t n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		n--;
	snprintf(gv_last, sizeof(gv_last), "%.*s", (int)n, msg);
	return 0;
}

static int render(GVC_t *gvc, Agraph_t *g, const char *fmt, bt_report_buf *out, bool from_svg_tag)
{
	char *data = NULL;
	unsigned int len = 0;
	if (gvRenderData(gvc, g, fmt, &data, &len) != 0 || data == NULL)
		return -1;
	const char *s = data;
	if (from_svg_tag) { /* inline: no XML declaration, doctype or comments */
		const char *t = strstr(data, "<svg");
		if (t)
			s = t;
	}
	bt_rb_put(out, s, len - (size_t)(s - data));
	gvFreeRenderData(data);
	return 0;
}

int bt_report_graph(const bt_report *r, const bt_report_net *n, bt_report_buf *svg, bt_report_buf *png,
		    size_t *left, char *err, size_t errlen)
{
	uint32_t tid = bt_strtab_find(r->names, n->key, strlen(n->key));
	GVC_t *gvc = r->gvc;
	Agraph_t *g = agopen("routes", Agdirected, NULL);
	if (g == NULL || gvc == NULL) {
		snprintf(err, errlen, "Graphviz: cannot make a graph (out of memory)");
		if (g)
			agclose(g);
		return -1;
	}
	char gid[32];
	snprintf(gid, sizeof(gid), "net%zu-graph", n->rank);
	agattr(g, AGRAPH, "id", gid);
	agattr(g, AGRAPH, "rankdir", "LR");
	agattr(g, AGRAPH, "bgcolor", "white");
	agattr(g, AGRAPH, "fontname", "sans-serif");
	agattr(g, AGNODE, "fontname", "sans-serif");
	agattr(g, AGEDGE, "fontname", "sans-serif");
	agattr(g, AGNODE, "fontsize", "11");
	agattr(g, AGEDGE, "fontsize", "10");
	*left = 0;
	if (tid != UINT32_MAX && build(r, n, g, tid, left) != 0) {
		snprintf(err, errlen, "out of memory");
		agclose(g);
		return -1;
	}
	gv_last[0] = '\0';
	agseterrf(gv_message);
	int rc = gvLayout(gvc, g, "dot");
	const char *what = rc ? "laying it out" : "rendering it as SVG", *hint = "";
	if (rc == 0 && (rc = render(gvc, g, "svg", svg, true)) == 0 && png) {
		what = "rendering it as PNG";
		hint = " (PNG needs Graphviz's cairo plugin, libgvplugin_pango; --no-png writes SVG only)";
		rc = render(gvc, g, "png", png, false);
	}
	if (rc != 0)
		snprintf(err, errlen, "the AS graph of %s: %s failed%s%s%s", n->key, what,
			 gv_last[0] ? ": Graphviz: " : "", gv_last, hint);
	gvFreeLayout(gvc, g);
	agclose(g);
	return rc;
}
