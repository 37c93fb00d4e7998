/* bordertrace — the report: one self-contained HTML file (inline CSS and
 * SVG, no script, nothing fetched when opened) and its figures as SVG (and
 * PNG) files, from the pipeline's path-diff (doc/report.md).
 *
 * Two passes over the same rounds: the first (bt_report_trace as the
 * pipeline's hook) counts the AS-level edges of the routes into every target
 * network; after the path-diff is finished, bt_report_want_evidence names the
 * traces each event shows, and the second pass keeps those traces' hop
 * tables. bt_report_write then writes DIR/report.html and the figures, all
 * replaced together or none (as an export, doc/csv.md). Memory grows with
 * target networks x edges and with the evidence shown, never with traces. */
#ifndef BORDERTRACE_REPORT_H
#define BORDERTRACE_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "bordertrace/diff.h"
#include "bordertrace/pipeline.h"

typedef struct bt_report_opts {
	unsigned top;        /* target networks with a section of their own (50) */
	unsigned evidence;   /* traces shown per event (3) */
	bool png;            /* also write the AS graphs as PNG (Graphviz cairo) */
	const char *agg;     /* "prefix", "as", "country": for the headings */
} bt_report_opts;

typedef struct bt_report bt_report;

bt_report *bt_report_new(const bt_report_opts *o);
void bt_report_free(bt_report *r);
/* The pipeline's hook (ctx: the report): edges in the first pass, the
 * wanted traces' hop tables in the second. */
int bt_report_trace(void *ctx, const bt_pipeline_trace *pt, char *err, size_t errlen);
/* Ends the first pass: the traces the events of d will show. 0 or -1. */
int bt_report_want_evidence(bt_report *r, const bt_diff *d, unsigned levels);
/* Writes dir/report.html and the figures (made if missing). 0, or -1 with
 * a message; nothing in dir replaced on failure. nfiles: files written. */
int bt_report_write(bt_report *r, const bt_diff *d, unsigned levels, const char *dir,
		    size_t *nfiles, char *err, size_t errlen);

/* Internal to the report's files (report*.c). */
typedef struct bt_report_buf {
	char *s;
	size_t len, cap;
	bool nomem;
} bt_report_buf;
__attribute__((format(printf, 2, 3)))
void bt_rb_printf(bt_report_buf *b, const char *fmt, ...);
void bt_rb_esc(bt_report_buf *b, const char *s);   /* HTML/XML-escaped */
void bt_rb_put(bt_report_buf *b, const char *s, size_t n);
/* The Okabe-Ito palette: colour i (cycles), and a text colour readable on it. */
const char *bt_report_colour(size_t i);
const char *bt_report_ink(size_t i);

#endif
