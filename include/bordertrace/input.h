/* bordertrace — one reader over every trace source the analysis takes,
 * told apart by content, not by file name (doc/trace-format.md, "Other
 * sources"):
 *
 *   bordertrace  our JSON Lines round files (record v1 or v2)
 *   atlas        RIPE Atlas traceroute results (analysis/atlas.c)
 *   warts        scamper warts files, e.g. CAIDA Ark (analysis/warts.c)
 *
 * Each source is a backend: a sniff over the first bytes of the file (after
 * decompression) and an open that returns the backend's state and its
 * operations. Every backend yields bt_trace records (v2: several replies per
 * TTL), one at a time, never the whole file; malformed input is an error
 * naming the file and where (line, or byte offset for binary files). What a
 * backend reads but does not map (objects that are not traces, traces our
 * record cannot hold) goes to the skip callback, never silently. */
#ifndef BT_ANALYSIS_INPUT_H
#define BT_ANALYSIS_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bordertrace/trace.h"

/* What the user chose for sources that do not carry everything a record
 * needs (the round of an Atlas result, for example). */
typedef struct bt_input_opts {
	uint32_t round_interval_s; /* Atlas: results bucketed into rounds of this many seconds; 0: 3600 */
	bool verbose;              /* backends may count and report what they skip */
	/* Called once per object read but not mapped: where ("FILE@OFFSET")
	 * and what, a fixed phrase per kind ("a ping object (not a trace)")
	 * so that callers can count by it. NULL: nothing reported. */
	void (*skipped)(void *ctx, const char *where, const char *what);
	void *skipped_ctx;
} bt_input_opts;

typedef struct bt_input_ops {
	/* 1 and a new trace in *out, 0 at the end, -1 with a message naming
	 * the file and where */
	int (*next)(void *st, bt_trace **out, char *err, size_t errlen);
	/* "FILE:LINE" (or "FILE@OFFSET") of the trace last returned, into buf */
	const char *(*where)(const void *st, char *buf, size_t buflen);
	void (*close)(void *st);
	/* optional (NULL: next): the interface graph's pass (bt_input_scan) */
	int (*scan)(void *st, bt_trace *light, bt_trace **full, char *err, size_t errlen);
} bt_input_ops;

/* A backend: kind names it; sniff says whether the first n bytes of a file
 * (decompressed; n may be short for a short file) are its format; open
 * returns its state, or NULL with a message. */
typedef struct bt_input_backend {
	const char *kind;
	bool (*sniff)(const uint8_t *head, size_t n);
	void *(*open)(const char *path, const bt_input_opts *o, const bt_input_ops **ops, char *err,
		      size_t errlen);
} bt_input_backend;

typedef struct bt_input bt_input;

/* Opens path ("-": standard input, read as our JSON Lines only: a stream
 * cannot be sniffed and read again). NULL with a message on error. */
bt_input *bt_input_open(const char *path, const bt_input_opts *o, char *err, size_t errlen);
/* len bytes of our JSON Lines (a round read from the store), named name in
 * places and messages ("NAME:LINE"); buf must outlive the input. */
bt_input *bt_input_open_buffer(const char *name, const char *buf, size_t len, char *err, size_t errlen);
int bt_input_next(bt_input *in, bt_trace **out, char *err, size_t errlen);
/* The next trace for a pass that needs only where traces went (the
 * interface graph, analysis/owner.c): a backend with a light read (our
 * JSON Lines: bt_trace_scan_fast; Atlas: atlas_fast.h) fills light
 * (hop_cap BT_HOPS_MAX: the fields bt_trace_scan_fast fills) with *full
 * NULL when it vouches that the full
 * read maps the result to those same fields, and skips what the full read
 * skips; else *full is the trace bt_input_next returns (the caller frees
 * it). Text the full read refuses may pass here: a caller must still read
 * every trace in full once. 1, 0 at the end, -1 with a message. */
int bt_input_scan(bt_input *in, bt_trace *light, bt_trace **full, char *err, size_t errlen);
/* Where the trace last returned came from ("FILE:LINE", "FILE@OFFSET"). */
const char *bt_input_where(const bt_input *in, char *buf, size_t buflen);
/* The backend's kind ("bordertrace", "atlas", "warts"). */
const char *bt_input_kind(const bt_input *in);
void bt_input_close(bt_input *in);

/* The first bytes of path after decompression (gzip, bzip2, xz; plain files as they
 * are): at most cap bytes into buf, their number in *n. 0, or -1 with a
 * message. Exposed for the backends' tests. */
int bt_input_peek(const char *path, uint8_t *buf, size_t cap, size_t *n, char *err, size_t errlen);

#endif
