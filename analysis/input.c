/* bordertrace — trace sources told apart by content (see input.h). */
#include "bordertrace/input.h"
#include "bordertrace/warts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bordertrace/atlas.h"
#include "bordertrace/zfile.h"

#define PEEK_BYTES 4096

struct bt_input {
	const char *kind;
	const bt_input_ops *ops;
	void *st;
};

/* ---- our own JSON Lines: the reader in common/trace_json.c ---- */

static int native_next(void *st, bt_trace **out, char *err, size_t errlen)
{
	return bt_trace_reader_next(st, out, err, errlen);
}

static const char *native_where(const void *st, char *buf, size_t buflen)
{
	snprintf(buf, buflen, "%s:%lu", bt_trace_reader_name(st), bt_trace_reader_lineno(st));
	return buf;
}

static void native_close(void *st)
{
	bt_trace_reader_close(st);
}

/* The graph's pass over our lines (bt_input_scan): the light read
 * (bt_trace_scan_fast) of canonical lines, anything else read in full. A
 * line the light read takes and the full one would refuse is reported by
 * the full pass. */
static int lines_scan(bt_trace_reader *r, bt_trace *light, bt_trace **full, char *err, size_t errlen)
{
	const char *line;
	size_t len;
	char why[512], where[512];
	int rc = bt_trace_reader_line(r, &line, &len, err, errlen);
	if (rc != 1 || bt_trace_scan_fast(line, len, light))
		return rc;
	if ((*full = bt_trace_from_json(line, len, why, sizeof(why))) == NULL) {
		snprintf(err, errlen, "%s: %s", native_where(r, where, sizeof(where)), why);
		return -1;
	}
	return 1;
}

static int native_scan(void *st, bt_trace *light, bt_trace **full, char *err, size_t errlen)
{
	return lines_scan(st, light, full, err, errlen);
}

static const bt_input_ops native_ops = { native_next, native_where, native_close, native_scan };

static void *native_open(const char *path, const bt_input_opts *o, const bt_input_ops **ops, char *err,
			 size_t errlen)
{
	(void)o;
	*ops = &native_ops;
	return bt_trace_reader_open(path, err, errlen);
}

/* ---- our own JSON Lines from a buffer (a round read from the store) ---- */

struct mem_state {
	FILE *f;
	bt_trace_reader *r;
};

static int mem_next(void *st, bt_trace **out, char *err, size_t errlen)
{
	return bt_trace_reader_next(((struct mem_state *)st)->r, out, err, errlen);
}

static const char *mem_where(const void *st, char *buf, size_t buflen)
{
	return native_where(((const struct mem_state *)st)->r, buf, buflen);
}

static void mem_close(void *st)
{
	struct mem_state *m = st;
	bt_trace_reader_close(m->r);
	fclose(m->f);
	free(m);
}

static int mem_scan(void *st, bt_trace *light, bt_trace **full, char *err, size_t errlen)
{
	return lines_scan(((struct mem_state *)st)->r, light, full, err, errlen);
}

static const bt_input_ops mem_ops = { mem_next, mem_where, mem_close, mem_scan };

/* ---- the backends, in the order they are tried; our own format last:
 * whatever no other backend claims is read as ours, so that a broken round
 * file gets our reader's messages ---- */

static const bt_input_backend backends[] = {
	{ "warts", bt_warts_sniff, bt_warts_open },
	{ "atlas", bt_atlas_sniff, bt_atlas_open },
	{ "bordertrace", NULL, native_open },
};
#define NBACKENDS (sizeof(backends) / sizeof(backends[0]))

int bt_input_peek(const char *path, uint8_t *buf, size_t cap, size_t *n, char *err, size_t errlen)
{
	*n = 0;
	bt_zfile *z = bt_zfile_open(path, err, errlen);
	if (z == NULL)
		return -1;
	/* a short read is not the end of a compressed stream: fill buf */
	long got = 1;
	while (*n < cap && (got = bt_zfile_read(z, buf + *n, cap - *n, path, err, errlen)) > 0)
		*n += (size_t)got;
	bt_zfile_close(z);
	return got < 0 ? -1 : 0;
}

static bt_input *input_new(const bt_input_backend *b, void *st, const bt_input_ops *ops, char *err,
			   size_t errlen)
{
	bt_input *in = calloc(1, sizeof(*in));
	if (in == NULL) {
		ops->close(st);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	*in = (bt_input){ .kind = b->kind, .ops = ops, .st = st };
	return in;
}

bt_input *bt_input_open(const char *path, const bt_input_opts *o, char *err, size_t errlen)
{
	static const bt_input_opts defaults = { 0 };
	if (o == NULL)
		o = &defaults;
	if (strcmp(path, "-") == 0) {
		bt_trace_reader *r = bt_trace_reader_fdopen(stdin, "<stdin>");
		if (r == NULL) {
			snprintf(err, errlen, "out of memory");
			return NULL;
		}
		return input_new(&backends[NBACKENDS - 1], r, &native_ops, err, errlen);
	}
	uint8_t head[PEEK_BYTES];
	size_t n;
	const bt_input_backend *b = &backends[NBACKENDS - 1];
	if (bt_input_peek(path, head, sizeof(head), &n, err, errlen) != 0)
		return NULL;
	for (size_t i = 0; i + 1 < NBACKENDS; i++)
		if (backends[i].sniff(head, n)) {
			b = &backends[i];
			break;
		}
	const bt_input_ops *ops = NULL;
	void *st = b->open(path, o, &ops, err, errlen);
	if (st == NULL)
		return NULL;
	return input_new(b, st, ops, err, errlen);
}

bt_input *bt_input_open_buffer(const char *name, const char *buf, size_t len, char *err, size_t errlen)
{
	static const char nothing[] = "\n";
	struct mem_state *m = calloc(1, sizeof(*m));
	/* fmemopen may refuse an empty buffer: a blank line reads as nothing */
	if (m == NULL || (m->f = fmemopen((void *)(len ? buf : nothing), len ? len : 1, "r")) == NULL ||
	    (m->r = bt_trace_reader_fdopen(m->f, name)) == NULL) {
		if (m != NULL && m->f != NULL)
			fclose(m->f);
		free(m);
		snprintf(err, errlen, "%s: out of memory", name);
		return NULL;
	}
	return input_new(&backends[NBACKENDS - 1], m, &mem_ops, err, errlen);
}

int bt_input_next(bt_input *in, bt_trace **out, char *err, size_t errlen)
{
	return in->ops->next(in->st, out, err, errlen);
}

int bt_input_scan(bt_input *in, bt_trace *light, bt_trace **full, char *err, size_t errlen)
{
	*full = NULL;
	if (in->ops->scan != NULL)
		return in->ops->scan(in->st, light, full, err, errlen);
	return in->ops->next(in->st, full, err, errlen);
}

const char *bt_input_where(const bt_input *in, char *buf, size_t buflen)
{
	return in->ops->where(in->st, buf, buflen);
}

const char *bt_input_kind(const bt_input *in)
{
	return in->kind;
}

void bt_input_close(bt_input *in)
{
	if (in == NULL)
		return;
	in->ops->close(in->st);
	free(in);
}
