/* bordertrace — the report's timeline: the share of a target network's
 * routed traces through each upstream, round by round, as stacked bars in
 * hand-written SVG, with its events marked (doc/report.md). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bordertrace/report.h"
#include "report_int.h"

/* Okabe & Ito (2008), "Color Universal Design": distinguishable under the
 * common colour-vision deficiencies; black left out (it is the ink). */
static const char *const PALETTE[] = { "#E69F00", "#56B4E9", "#009E73", "#F0E442",
	"#0072B2", "#D55E00", "#CC79A7", "#999999" };
static const char *const INK[] = { "#000", "#000", "#000", "#000", "#fff", "#000", "#000", "#000" };
#define NPAL (sizeof(PALETTE) / sizeof(PALETTE[0]))

const char *bt_report_colour(size_t i) { return PALETTE[i % NPAL]; }
const char *bt_report_ink(size_t i) { return INK[i % NPAL]; }

/* The upstream's index among ups (its first row, added when new);
 * SIZE_MAX when full. */
static size_t upstream_index(const bt_diff_div **ups, size_t *nups, size_t cap, const bt_diff_div *v)
{
	for (size_t i = 0; i < *nups; i++)
		if (strcmp(ups[i]->upstream, v->upstream) == 0)
			return i;
	if (*nups == cap)
		return (size_t)-1;
	ups[*nups] = v;
	return (*nups)++;
}

typedef struct geom {
	int left, top, plot_h, bar_w, step;
} geom;

static void axes(bt_report_buf *b, const geom *g, const bt_report_net *n)
{
	for (int pct = 0; pct <= 100; pct += 50) {
		int y = g->top + g->plot_h - g->plot_h * pct / 100;
		bt_rb_printf(b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"currentColor\" "
			     "stroke-opacity=\"0.3\"/><text x=\"%d\" y=\"%d\" text-anchor=\"end\" "
			     "fill=\"currentColor\">%d%%</text>", g->left, y, g->left + g->step * (int)n->nrounds,
			     y, g->left - 4, y + 4, pct);
	}
	for (size_t k = 0; k < n->nrounds; k++) {
		int x = g->left + g->step * (int)k + g->bar_w / 2;
		bt_rb_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"currentColor\">R%zu</text>",
			     x, g->top + g->plot_h + 14, k + 1);
	}
}

/* One round's stacked bar. */
static void bar(bt_report_buf *b, const geom *g, const bt_report_net *n, int level, size_t k,
		const bt_diff_div **ups, size_t *nups)
{
	double base = 0;
	int x = g->left + g->step * (int)k, drawn = 0;
	for (size_t i = 0; i < n->ndiv; i++) {
		const bt_diff_div *v = n->div[i];
		if ((int)v->level != level || n->round_of[i] != k)
			continue;
		size_t c = upstream_index(ups, nups, BT_REPORT_MAX_UPS, v);
		/* shares of flows: each flow has one route in, so a round's
		 * segments add up to one even when a multipath trace showed
		 * several routes (for traces of one flow, the share of traces) */
		double share = v->flow_share;
		int y0 = g->top + g->plot_h - (int)(g->plot_h * (base + share) + 0.5);
		int h = (int)(g->plot_h * share + 0.5);
		base += share;
		drawn++;
		bt_rb_printf(b, "<rect class=\"seg\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\" "
			     "stroke=\"currentColor\" stroke-width=\"0.5\"><title>", x, y0, g->bar_w, h,
			     c == (size_t)-1 ? "#bbbbbb" : bt_report_colour(c));
		bt_rb_esc(b, v->upstream);
		if (v->flows_routed > v->routed)
			bt_rb_printf(b, " round %s: %u of %u flows that entered (%.0f%%), in %u of %u routed "
				     "traces</title></rect>", v->round, v->flows, v->flows_routed, share * 100,
				     v->traces, v->routed);
		else
			bt_rb_printf(b, " round %s: %u of %u routed traces (%.0f%%)</title></rect>", v->round,
				     v->traces, v->routed, share * 100);
		if (h >= 14 && g->bar_w >= 44) {
			bt_rb_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"%s\" "
				     "font-size=\"10\">", x + g->bar_w / 2, y0 + h / 2 + 4,
				     c == (size_t)-1 ? "#000" : bt_report_ink(c));
			bt_rb_esc(b, v->upstream);
			bt_rb_printf(b, " %.0f%%</text>", share * 100);
		}
	}
	if (drawn == 0) /* no trace of the round entered the network (or none ran) */
		bt_rb_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"currentColor\" "
			     "font-size=\"10\">no route in</text>", x + g->bar_w / 2, g->top + g->plot_h - 4);
}

/* The events of the level above their rounds' bars. */
static void marks(bt_report_buf *b, const geom *g, const bt_report_net *n, int level)
{
	for (size_t k = 0; k < n->nrounds; k++) {
		int line = 0;
		for (size_t i = 0; i < n->nev; i++) {
			const bt_diff_event *e = n->ev[i];
			if ((int)e->level != level || strcmp(e->round, n->rounds[k]) != 0 || line >= 3)
				continue;
			int x = g->left + g->step * (int)k + g->bar_w / 2;
			bt_rb_printf(b, "<text class=\"evmark\" x=\"%d\" y=\"%d\" text-anchor=\"middle\" "
				     "font-size=\"10\" font-weight=\"bold\" fill=\"currentColor\">%s ",
				     x, g->top - 6 - 12 * line, e->kind == BT_EVENT_NEW ? "\xe2\x96\xb2 new" :
				     e->kind == BT_EVENT_GONE ? "\xe2\x96\xbc gone" : "\xe2\x96\xb2 back");
			bt_rb_esc(b, e->upstream);
			bt_rb_printf(b, "</text><line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"currentColor\" "
				     "stroke-dasharray=\"3 2\"/>", x, g->top - 3, x, g->top + g->plot_h);
			line++;
		}
	}
}

static void legend(bt_report_buf *b, int x, int y, const bt_diff_div **ups, size_t nups)
{
	for (size_t i = 0; i < nups; i++) {
		int yy = y + 16 * (int)i;
		bt_rb_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\" "
			     "stroke=\"currentColor\" stroke-width=\"0.5\"/><text x=\"%d\" y=\"%d\" "
			     "fill=\"currentColor\">", x, yy, bt_report_colour(i), x + 16, yy + 10);
		bt_rb_esc(b, ups[i]->upstream);
		if (ups[i]->level == BT_LEVEL_AS && ups[i]->note && ups[i]->note[0]) {
			bt_rb_printf(b, " (");
			bt_rb_esc(b, ups[i]->note);
			bt_rb_printf(b, ")");
		}
		bt_rb_printf(b, "</text>");
	}
}

void bt_report_timeline(bt_report_buf *b, const bt_report_net *n, int level)
{
	geom g = { .left = 40, .top = 44, .plot_h = 180 };
	g.bar_w = n->nrounds ? 720 / (int)n->nrounds : 60;
	g.bar_w = g.bar_w > 90 ? 90 : g.bar_w < 4 ? 4 : g.bar_w;
	g.step = g.bar_w + (g.bar_w >= 20 ? 10 : 1);
	const bt_diff_div *ups[BT_REPORT_MAX_UPS];
	size_t nups = 0;
	bt_report_buf body = { 0 };
	for (size_t k = 0; k < n->nrounds; k++)
		bar(&body, &g, n, level, k, ups, &nups);
	int plot_w = g.left + g.step * (int)n->nrounds + 10;
	int w = plot_w + 220, h = g.top + g.plot_h + 24;
	int lh = 20 + 16 * (int)nups;
	h = h > lh ? h : lh;
	bt_rb_printf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"timeline\" data-level=\"%s\" "
		     "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" "
		     "font-size=\"11\" role=\"img\"><title>", level ? "country" : "as", w, h, w, h);
	bt_rb_esc(b, n->key);
	bt_rb_printf(b, ": share of routed traces per upstream %s, round by round</title>",
		     level ? "country" : "AS");
	axes(b, &g, n);
	bt_rb_put(b, body.s ? body.s : "", body.len);
	b->nomem |= body.nomem;
	free(body.s);
	marks(b, &g, n, level);
	legend(b, plot_w + 10, g.top, ups, nups);
	bt_rb_printf(b, "</svg>\n");
}
