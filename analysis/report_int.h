/* bordertrace — what the report's files (report.c, report_svg.c,
 * report_graph.c) share; not a public header. */
#ifndef BT_ANALYSIS_REPORT_INT_H
#define BT_ANALYSIS_REPORT_INT_H

#include <stdint.h>

#include "bordertrace/report.h"
#include "bordertrace/strtab.h"

#define BT_REPORT_MAX_UPS 64 /* upstreams with a colour of their own per chart */

/* One AS-level edge of the routes into a target network. */
typedef struct bt_report_edge {
	uint32_t target, from, to; /* names: the target key; "vp-01" or "AS4837" */
	uint32_t first_round;      /* name of the first round that showed it */
	uint32_t traces;
	uint8_t border;            /* the route into the target (upstream -> target) */
	uint8_t from_vp;
} bt_report_edge;

/* One wanted evidence trace: its hop table, once the second pass saw it. */
typedef struct bt_report_evid {
	char *html;
} bt_report_evid;

struct bt_report {
	bt_report_opts o;
	bt_strtab *names;
	bt_report_edge *e;
	size_t ne, ecap;
	uint32_t *slot;            /* open addressing over e: index + 1, 0 free */
	size_t smask;
	char **org;                /* per name id: "ORG, CC" of an AS, or NULL */
	size_t norg;
	int pass;                  /* 1: edges, 2: evidence */
	bt_strtab *want;           /* trace ids the events show */
	bt_report_evid *evid;      /* per want id */
	void *gvc;                 /* the Graphviz context, made on first use */
};

/* One target network's section. */
typedef struct bt_report_net {
	const char *key;
	size_t rank;
	const bt_diff_div **div;
	size_t ndiv;
	size_t *round_of;          /* div[i]'s round as an index into rounds */
	const bt_diff_event **ev;
	size_t nev;
	const char *const *rounds; /* every round of the report, in order */
	size_t nrounds;
	unsigned max_ups, last_ups, last_ccs; /* distinct upstream ASes (most, last round), countries (last round) */
	unsigned nnew, ngone, nback;
} bt_report_net;

/* Every target network of d, ranked by change (events, then diversity). */
typedef struct bt_report_nets {
	bt_report_net *v;
	size_t n;
	const char **rounds;
	size_t nrounds;
	const bt_diff_div **div;   /* storage the nets point into */
	size_t *round_of;
	const bt_diff_event **ev;
	bt_strtab *tk, *rk;        /* the targets' and rounds' names */
} bt_report_nets;
int bt_report_nets_make(bt_report_nets *ns, const bt_diff *d, unsigned levels);
void bt_report_nets_free(bt_report_nets *ns);

void bt_report_timeline(bt_report_buf *b, const bt_report_net *n, int level);
/* The AS graph laid out by Graphviz (dot) as SVG into svg, and as PNG into
 * png when png is not NULL; the edges left out (past the most drawn) into
 * *left. 0, or -1 with a message. */
int bt_report_graph(const bt_report *r, const bt_report_net *n, bt_report_buf *svg,
		    bt_report_buf *png, size_t *left, char *err, size_t errlen);

#endif
