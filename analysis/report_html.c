/* bordertrace — the report's HTML page and figure files: an overview of the
 * target networks ranked by change, then a section per network (timelines,
 * AS graph, events with their evidence), written section by section; the
 * figures again as files of their own. All replaced together (bt_csv sets). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <graphviz/gvc.h>

#include "bordertrace/csv.h"
#include "report_int.h"

#define OVERVIEW_MAX 1000 /* rows of the overview table */

static const char STYLE[] =
	"body{font-family:sans-serif;margin:1.5em auto;max-width:72em;padding:0 1em;background:#fff;color:#111}"
	"a{color:#0060a0}table{border-collapse:collapse;margin:.5em 0}"
	"th,td{border:1px solid #888;padding:.15em .5em;text-align:left;vertical-align:top}"
	"th{background:#e8e8e8}td.num{text-align:right}"
	"figure{margin:.5em 0;overflow-x:auto}figure.graph{background:#fff;color:#000;padding:.3em;"
	"border:1px solid #888}figure svg{max-width:100%;height:auto}figcaption{font-size:90%}"
	"tr.border td{font-weight:bold;border-top:3px solid #D55E00}"
	"tr.copied td{font-style:italic;color:#666}"
	".event{border-left:4px solid #D55E00;padding-left:.7em;margin:1em 0}"
	"code{font-size:90%}"
	"@media (prefers-color-scheme:dark){body{background:#121212;color:#eee}a{color:#8cc8ff}"
	"th{background:#333}tr.copied td{color:#aaa}}"
	"@media print{body{background:#fff;color:#000}a{color:#000}th{background:#ddd}"
	"tr.copied td{color:#444}section.net{break-before:page}}";

static void head(bt_report_buf *b, const bt_report *r, const bt_report_nets *ns)
{
	bt_rb_printf(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		     "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
		     "style-src 'unsafe-inline'; img-src data:\">\n"
		     "<meta name=\"color-scheme\" content=\"light dark\">\n"
		     "<title>bordertrace report</title>\n<style>%s</style></head>\n<body>\n"
		     "<h1>bordertrace report</h1>\n<p>%zu target network(s) (by %s), %zu round(s): ", STYLE,
		     ns->n, r->o.agg, ns->nrounds);
	if (ns->nrounds) {
		bt_rb_esc(b, ns->rounds[0]);
		bt_rb_printf(b, " (R1) to ");
		bt_rb_esc(b, ns->rounds[ns->nrounds - 1]);
		bt_rb_printf(b, " (R%zu)", ns->nrounds);
	}
	bt_rb_printf(b, ". Shares are of the traces that entered the target network (doc/report.md).</p>\n");
}

static void overview(bt_report_buf *b, const bt_report *r, const bt_report_nets *ns)
{
	bt_rb_printf(b, "<section id=\"overview\"><h2>Target networks ranked by change</h2>\n"
		     "<table class=\"overview\"><thead><tr><th>rank</th><th>target network</th><th>new</th>"
		     "<th>gone</th><th>returned</th><th>upstream ASes, last round</th><th>most in a round</th>"
		     "<th>upstream countries, last round</th></tr></thead><tbody>\n");
	for (size_t i = 0; i < ns->n && i < OVERVIEW_MAX; i++) {
		const bt_report_net *n = &ns->v[i];
		bt_rb_printf(b, "<tr><td class=\"num\">%zu</td><td>", n->rank);
		if (i < r->o.top)
			bt_rb_printf(b, "<a href=\"#net-%zu\">", n->rank);
		bt_rb_esc(b, n->key);
		bt_rb_printf(b, "%s</td><td class=\"num\">%u</td><td class=\"num\">%u</td><td class=\"num\">%u</td>"
			     "<td class=\"num\">%u</td><td class=\"num\">%u</td><td class=\"num\">%u</td></tr>\n",
			     i < r->o.top ? "</a>" : "", n->nnew, n->ngone, n->nback, n->last_ups, n->max_ups,
			     n->last_ccs);
	}
	bt_rb_printf(b, "</tbody></table>\n");
	if (ns->n > OVERVIEW_MAX)
		bt_rb_printf(b, "<p>and %zu more target networks (all of them: <code>bordertrace export</code>, "
			     "diversity.csv).</p>\n", ns->n - OVERVIEW_MAX);
	if (ns->n > r->o.top)
		bt_rb_printf(b, "<p>Sections below: the first %u (<code>--top</code>).</p>\n", r->o.top);
	bt_rb_printf(b, "</section>\n");
}

/* One event and the hop tables of its first traces. */
static void event(bt_report_buf *b, const bt_report *r, const bt_diff_event *e)
{
	bt_rb_printf(b, "<div class=\"event\"><p><strong>%s</strong> %s-level border route: ",
		     e->kind == BT_EVENT_NEW ? "NEW" : e->kind == BT_EVENT_GONE ? "GONE" : "RETURNED",
		     e->level == BT_LEVEL_AS ? "AS" : "country");
	bt_rb_esc(b, e->upstream);
	if (e->level == BT_LEVEL_AS && e->note[0]) {
		bt_rb_printf(b, " (");
		bt_rb_esc(b, e->note);
		bt_rb_printf(b, ")");
	}
	bt_rb_printf(b, " \xe2\x86\x92 ");
	bt_rb_esc(b, e->into);
	bt_rb_printf(b, ", round ");
	bt_rb_esc(b, e->round);
	bt_rb_printf(b, "; %u round(s), %u trace(s)", e->rounds_seen, e->traces);
	if (e->multiflow && e->flows < e->flows_routed) {
		bt_rb_printf(b, "; seen on %u of the %u flows that entered in round ", e->flows, e->flows_routed);
		bt_rb_esc(b, e->flow_round);
		bt_rb_printf(b, " (%.0f%%)", e->flow_share * 100);
	}
	bt_rb_printf(b, "; VPs: ");
	bt_rb_esc(b, e->vps);
	bt_rb_printf(b, "</p>\n");
	unsigned k = 0;
	for (const char *s = e->evidence; *s && k < r->o.evidence; k++) {
		size_t l = strcspn(s, " ");
		uint32_t w = r->want ? bt_strtab_find(r->want, s, l) : UINT32_MAX;
		if (w != UINT32_MAX && r->evid[w].html) {
			bt_rb_put(b, r->evid[w].html, strlen(r->evid[w].html));
		} else { /* the rounds changed between the two passes */
			bt_rb_printf(b, "<p>trace <code>");
			bt_report_buf id = { 0 };
			bt_rb_put(&id, s, l);
			bt_rb_esc(b, id.s);
			free(id.s);
			bt_rb_printf(b, "</code>: not found when the rounds were read again</p>\n");
		}
		s += l;
		s += *s == ' ';
	}
	bt_rb_printf(b, "</div>\n");
}

/* A figure as a file of its own in dir (committed with the page). */
static int figure_file(bt_csv *figs, size_t *nf, const char *dir, const char *name, const bt_report_buf *fb,
		       char *err, size_t errlen)
{
	if (bt_csv_open(&figs[*nf], dir, name, NULL, 0, err, errlen) != 0)
		return -1;
	bt_csv_bytes(&figs[(*nf)++], fb->s ? fb->s : "", fb->len);
	return 0;
}

static int timeline(bt_report_buf *b, const bt_report_net *n, int level, bt_csv *figs, size_t *nf,
		    const char *dir, char *err, size_t errlen)
{
	bt_report_buf t = { 0 };
	char name[64];
	snprintf(name, sizeof(name), "net-%03zu-timeline-%s.svg", n->rank, level ? "country" : "as");
	bt_report_timeline(&t, n, level);
	bt_rb_printf(b, "<h3 id=\"net-%zu-timeline-%s\">Share of traces per upstream %s, round by round</h3>\n"
		     "<figure>", n->rank, level ? "country" : "as", level ? "country" : "AS");
	bt_rb_put(b, t.s ? t.s : "", t.len);
	bool multi = false;
	for (size_t i = 0; i < n->ndiv; i++)
		multi |= (int)n->div[i]->level == level && n->div[i]->flows_routed > n->div[i]->routed;
	bt_rb_printf(b, "<figcaption>Bars: share of the round's traces that entered the target network, "
		     "by the upstream they came from (hover for counts); marks: events.%s Also "
		     "<code>%s</code>.</figcaption></figure>\n", multi ? " In rounds of multipath traces, "
		     "the share of their flows that entered (each flow has one route in)." : "", name);
	int rc = t.nomem ? -1 : figure_file(figs, nf, dir, name, &t, err, errlen);
	if (t.nomem)
		snprintf(err, errlen, "out of memory");
	free(t.s);
	return rc;
}

static int graph(bt_report *r, bt_report_buf *b, const bt_report_net *n, bt_csv *figs, size_t *nf,
		 const char *dir, char *err, size_t errlen)
{
	bt_report_buf svg = { 0 }, png = { 0 };
	char name[64], pname[64];
	snprintf(name, sizeof(name), "net-%03zu-graph.svg", n->rank);
	snprintf(pname, sizeof(pname), "net-%03zu-graph.png", n->rank);
	size_t left = 0;
	int rc = bt_report_graph(r, n, &svg, r->o.png ? &png : NULL, &left, err, errlen);
	if (rc == 0 && (svg.nomem || png.nomem)) {
		snprintf(err, errlen, "out of memory");
		rc = -1;
	}
	if (rc == 0) {
		bt_rb_printf(b, "<h3 id=\"net-%zu-graph\">AS graph of the routes in</h3>\n<figure class=\"graph\">",
			     n->rank);
		bt_rb_put(b, svg.s, svg.len);
		bt_rb_printf(b, "<figcaption>VPs (grey boxes) \xe2\x86\x92 transit ASes (blue) \xe2\x86\x92 border "
			     "upstream (orange) \xe2\x86\x92 target (green); edges: traces; NEW (red, dashed, "
			     "bold): first seen after the first round. Also <code>%s</code>%s%s%s.", name,
			     r->o.png ? ", <code>" : "", r->o.png ? pname : "", r->o.png ? "</code>" : "");
		if (left)
			bt_rb_printf(b, " %zu lighter edge(s) left out (new and border edges are drawn first).",
				     left);
		bt_rb_printf(b, "</figcaption></figure>\n");
		rc = figure_file(figs, nf, dir, name, &svg, err, errlen);
	}
	if (rc == 0 && r->o.png)
		rc = figure_file(figs, nf, dir, pname, &png, err, errlen);
	free(svg.s);
	free(png.s);
	return rc;
}

static int section(bt_report *r, bt_report_buf *b, const bt_report_net *n, bt_csv *figs, size_t *nf,
		   const char *dir, char *err, size_t errlen)
{
	bt_rb_printf(b, "<section class=\"net\" id=\"net-%zu\"><h2>%zu. ", n->rank, n->rank);
	bt_rb_esc(b, n->key);
	bt_rb_printf(b, "</h2>\n<p>%u new, %u gone, %u returned; %u upstream AS(es) in the last round, "
		     "at most %u in a round. <a href=\"#overview\">overview</a></p>\n", n->nnew, n->ngone,
		     n->nback, n->last_ups, n->max_ups);
	if (timeline(b, n, BT_LEVEL_AS, figs, nf, dir, err, errlen) != 0 ||
	    timeline(b, n, BT_LEVEL_COUNTRY, figs, nf, dir, err, errlen) != 0 ||
	    graph(r, b, n, figs, nf, dir, err, errlen) != 0)
		return -1;
	bt_rb_printf(b, "<h3 id=\"net-%zu-evidence\">Events and their evidence</h3>\n", n->rank);
	if (n->nev == 0)
		bt_rb_printf(b, "<p>No border route changes.</p>\n");
	for (size_t i = 0; i < n->nev; i++)
		event(b, r, n->ev[i]);
	bt_rb_printf(b, "</section>\n");
	return 0;
}

/* Moves what b holds into the page's file and empties b. */
static int flush_to(bt_csv *page, bt_report_buf *b, char *err, size_t errlen)
{
	if (b->nomem) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	bt_csv_bytes(page, b->s ? b->s : "", b->len);
	b->len = 0;
	return 0;
}

static int write_all(bt_report *r, const bt_report_nets *ns, bt_csv *f, size_t *nf, const char *dir,
		     char *err, size_t errlen)
{
	if (bt_csv_open(&f[0], dir, "report.html", NULL, 0, err, errlen) != 0)
		return -1;
	*nf = 1;
	bt_report_buf b = { 0 };
	head(&b, r, ns);
	overview(&b, r, ns);
	int rc = flush_to(&f[0], &b, err, errlen);
	for (size_t i = 0; i < ns->n && i < r->o.top && rc == 0; i++) {
		rc = section(r, &b, &ns->v[i], f, nf, dir, err, errlen);
		if (rc == 0)
			rc = flush_to(&f[0], &b, err, errlen);
	}
	if (rc == 0) {
		bt_rb_printf(&b, "<footer><p>Made by bordertrace report; nothing in this page is fetched "
			     "from anywhere.</p></footer>\n</body></html>\n");
		rc = flush_to(&f[0], &b, err, errlen);
	}
	free(b.s);
	return rc;
}

int bt_report_write(bt_report *r, const bt_diff *d, unsigned levels, const char *dir, size_t *nfiles,
		    char *err, size_t errlen)
{
	bt_report_nets ns;
	if (bt_report_nets_make(&ns, d, levels) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (r->gvc == NULL && (r->gvc = gvContext()) == NULL) {
		snprintf(err, errlen, "Graphviz: no context (out of memory)");
		bt_report_nets_free(&ns);
		return -1;
	}
	size_t top = ns.n < r->o.top ? ns.n : r->o.top;
	bt_csv *f = calloc(1 + top * 4, sizeof(*f));
	size_t nf = 0;
	int rc = f ? write_all(r, &ns, f, &nf, dir, err, errlen) : -1;
	if (f == NULL)
		snprintf(err, errlen, "out of memory");
	if (rc == 0)
		rc = bt_csv_commit_set(f, nf, dir, err, errlen);
	else
		for (size_t i = 0; i < nf; i++)
			bt_csv_abort(&f[i]);
	*nfiles = rc == 0 ? nf : 0;
	free(f);
	bt_report_nets_free(&ns);
	return rc;
}
