/* bordertrace — text inputs, read whole (see include/bordertrace/textfile.h). */
#include "bordertrace/textfile.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bordertrace/mapfile.h"
#include "bordertrace/zfile.h"

/* Where the line being read started, to refuse an endless one early: the
 * lines in buf[from, len) are counted and the current line's start kept. */
struct linecount {
	size_t start;    /* offset of the current line */
	uint32_t lineno; /* 1-based number of the current line */
};

static int count_lines(struct linecount *lc, const char *buf, size_t from, size_t len,
		       const char *path, char *err, size_t errlen)
{
	const char *p = buf + from, *end = buf + len, *nl;
	while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		if ((size_t)(nl - buf) - lc->start > BT_LINE_MAX)
			break;
		lc->start = (size_t)(nl - buf) + 1;
		lc->lineno++;
		p = nl + 1;
	}
	if ((nl ? (size_t)(nl - buf) : len) - lc->start > BT_LINE_MAX) {
		snprintf(err, errlen, "%s:%u: line longer than %u bytes (the cap on a line)", path,
			 lc->lineno, BT_LINE_MAX);
		return -1;
	}
	return 0;
}

/* Reads the rest of z into a growing buffer, at most max bytes and no line
 * longer than BT_LINE_MAX; on a read error, the reason goes into err. */
static int read_all(bt_zfile *z, const char *path, size_t max, char **out, size_t *outlen,
		    char *err, size_t errlen)
{
	size_t cap = 1 << 16, len = 0;
	struct linecount lc = { 0, 1 };
	char *buf = malloc(cap);
	if (buf == NULL)
		goto nomem;
	for (;;) {
		if (cap - len < (1 << 15)) {
			char *p = realloc(buf, cap * 2);
			if (p == NULL)
				goto nomem;
			buf = p;
			cap *= 2;
		}
		/* ask for 1 GiB at a time at most; one byte past max tells a
		 * file of exactly max bytes from more */
		size_t want = cap - len - 1;
		if (want > (1u << 30))
			want = 1u << 30;
		if (want > max + 1 - len)
			want = max + 1 - len;
		long n = bt_zfile_read(z, buf + len, want, path, err, errlen);
		if (n < 0) {
			free(buf);
			return -1;
		}
		if (n == 0)
			break;
		if (count_lines(&lc, buf, len, len + (size_t)n, path, err, errlen) != 0) {
			free(buf);
			return -1;
		}
		len += (size_t)n;
		if (len > max) {
			snprintf(err, errlen, "%s: larger than %zu bytes (the cap on a file read whole)",
				 path, max);
			free(buf);
			return -1;
		}
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
nomem:
	free(buf);
	snprintf(err, errlen, "%s: out of memory", path);
	return -1;
}

int bt_textfile_read_max(const char *path, size_t max, char **out, size_t *outlen, char *err,
			 size_t errlen)
{
	/* compressed or plain, by content: one path serves CAIDA's .gz
	 * downloads, compressed target lists and hand-written files */
	bt_zfile *z = bt_zfile_open(path, err, errlen);
	if (z == NULL)
		return -1;
	int rc = read_all(z, path, max, out, outlen, err, errlen);
	bt_zfile_close(z);
	return rc;
}

int bt_textfile_read(const char *path, char **out, size_t *outlen, char *err, size_t errlen)
{
	return bt_textfile_read_max(path, BT_TEXTFILE_MAX, out, outlen, err, errlen);
}

void bt_lines_init(bt_lines *l, const char *buf, size_t len)
{
	/* A UTF-8 byte order mark (spreadsheets write one) is no part of the
	 * first line. */
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) {
		buf += 3;
		len -= 3;
	}
	l->p = buf;
	l->end = buf + len;
	l->lineno = 0;
	l->pending = 0;
}

int bt_lines_next(bt_lines *l, const char **line, size_t *len)
{
	if (l->p >= l->end)
		return 0;
	const char *s = l->p;
	const char *nl = memchr(s, '\n', (size_t)(l->end - s));
	const char *e = nl ? nl : l->end;
	l->p = nl ? nl + 1 : l->end;
	if (e > s && e[-1] == '\r')
		e--;
	l->lineno += 1 + l->pending;
	l->pending = 0;
	*line = s;
	*len = (size_t)(e - s);
	return 1;
}

/* Where the CSV record starting at s ends (its "\n", or end): a field that
 * opens with a quote runs to its closing quote across line ends. NULL when
 * such a field is still open BT_CSV_RECORD_MAX bytes on. */
static const char *csv_record_end(const char *s, const char *end)
{
	const char *limit = (size_t)(end - s) > BT_CSV_RECORD_MAX ? s + BT_CSV_RECORD_MAX : end;
	bool field_start = true;
	for (const char *p = s; p < end; p++) {
		if (*p == '\n')
			return p;
		if (field_start && *p == '"') {
			for (p++;; p++) {
				if (p >= limit)
					return NULL;
				if (*p == '"' && p + 1 < end && p[1] == '"')
					p++;
				else if (*p == '"')
					break;
			}
			field_start = false;
		} else if (*p == ',' || *p == '\t') {
			field_start = true;
		} else if (*p != ' ') {
			field_start = false;
		}
	}
	return end;
}

int bt_lines_next_csv(bt_lines *l, const char **line, size_t *len)
{
	const char *s = l->p;
	if (s >= l->end)
		return 0;
	const char *nl = memchr(s, '\n', (size_t)(l->end - s));
	const char *e = nl ? nl : l->end;
	/* the common case, a line without a quote, at memchr's speed */
	if (memchr(s, '"', (size_t)(e - s)) == NULL)
		return bt_lines_next(l, line, len);
	const char *r = csv_record_end(s, l->end);
	if (r == NULL || r == e)
		return bt_lines_next(l, line, len);
	uint32_t inside = 0;
	for (const char *p = s; (p = memchr(p, '\n', (size_t)(r - p))) != NULL; p++)
		inside++;
	l->lineno += 1 + l->pending;
	l->pending = inside;
	l->p = r < l->end ? r + 1 : l->end;
	if (r > s && r[-1] == '\r')
		r--;
	*line = s;
	*len = (size_t)(r - s);
	return 1;
}

void bt_trim(const char **s, size_t *n)
{
	while (*n > 0 && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

/* ==== the line reader (files never held whole) ==== */

#define LR_CHUNK (1u << 20)

struct bt_linereader {
	bt_zfile *z;     /* opened by path: plain or compressed */
	FILE *f;         /* or a stream, read as it is */
	char *name;
	char *buf;
	size_t cap, start, end; /* unread bytes: buf[start, end) */
	unsigned long lineno;
	bool eof, first, skip, dead;
	bt_mapfile *map; /* a plain file mapped whole (buf is its data), or NULL:
			    read into buf */
};

static bt_linereader *lr_new(const char *name)
{
	bt_linereader *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->name = strdup(name != NULL ? name : "<stream>");
	r->cap = LR_CHUNK;
	r->buf = malloc(r->cap);
	if (r->name == NULL || r->buf == NULL) {
		bt_linereader_close(r);
		return NULL;
	}
	r->first = true;
	return r;
}

bt_linereader *bt_linereader_open(const char *path, char *err, size_t errlen)
{
	bt_zfile *z = bt_zfile_open(path, err, errlen);
	if (z == NULL)
		return NULL;
	bt_linereader *r = lr_new(path);
	if (r == NULL) {
		bt_zfile_close(z);
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	r->z = z;
	/* a plain regular file is mapped rather than read into buf */
	if (bt_zfile_kind(z) == BT_Z_PLAIN && (r->map = bt_mapfile_open(path)) != NULL) {
		free(r->buf);
		r->buf = (char *)(uintptr_t)bt_mapfile_data(r->map);
		r->cap = r->end = bt_mapfile_size(r->map);
		r->eof = true;
	}
	return r;
}

bt_linereader *bt_linereader_fdopen(FILE *f, const char *name)
{
	bt_linereader *r = lr_new(name);
	if (r != NULL)
		r->f = f;
	return r;
}

/* Reads from the stream: what is there (a pipe's data as it comes), or from
 * the FILE's buffers when it has no descriptor (fmemopen). */
static long lr_read_stream(bt_linereader *r, size_t want, char *err, size_t errlen)
{
	int fd = fileno(r->f);
	if (fd < 0) {
		size_t n = fread(r->buf + r->end, 1, want, r->f);
		if (n == 0 && ferror(r->f)) {
			clearerr(r->f);
			snprintf(err, errlen, "%s:%lu: read error: %s", r->name, r->lineno + 1,
				 strerror(EIO));
			return -1;
		}
		return (long)n;
	}
	ssize_t n;
	while ((n = read(fd, r->buf + r->end, want)) < 0 && errno == EINTR)
		;
	if (n < 0)
		snprintf(err, errlen, "%s:%lu: read error: %s", r->name, r->lineno + 1,
			 strerror(errno));
	return (long)n;
}

/* Moves the unread bytes to the front, grows the buffer up to what a line
 * at the cap needs, and reads more; 0 (eof set at the end) or -1. */
static int lr_fill(bt_linereader *r, char *err, size_t errlen)
{
	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	if (r->cap - r->end < LR_CHUNK / 4 && r->cap < BT_LINE_MAX + LR_CHUNK) {
		size_t ncap = r->cap * 2 < BT_LINE_MAX + LR_CHUNK ? r->cap * 2 : BT_LINE_MAX + LR_CHUNK;
		char *p = realloc(r->buf, ncap);
		if (p == NULL) {
			snprintf(err, errlen, "%s:%lu: out of memory", r->name, r->lineno + 1);
			return -1;
		}
		r->buf = p;
		r->cap = ncap;
	}
	long n;
	if (r->z != NULL) {
		char where[300];
		snprintf(where, sizeof(where), "%s:%lu", r->name, r->lineno + 1);
		n = bt_zfile_read(r->z, r->buf + r->end, r->cap - r->end, where, err, errlen);
	} else {
		n = lr_read_stream(r, r->cap - r->end, err, errlen);
	}
	if (n < 0)
		return -1;
	r->end += (size_t)n;
	r->eof = n == 0;
	return 0;
}

/* The start of the input: a compressed file this reader cannot read is
 * named as such rather than parsed as text; a byte order mark is skipped. */
static int lr_sniff(bt_linereader *r, char *err, size_t errlen)
{
	static const struct {
		const char *magic;
		size_t n;
		const char *what;
	} m[] = {
		{ "\x1f\x8b", 2, "gzip" },
		{ "\xfd" "7zXZ", 5, "xz" },
		{ "\x28\xb5\x2f\xfd", 4, "zstd" },
		{ "BZh", 3, "bzip2" },
	};
	const char *s = r->buf + r->start;
	size_t n = r->end - r->start;
	r->first = false;
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		if (n < m[i].n || memcmp(s, m[i].magic, m[i].n) != 0)
			continue;
		if (r->z == NULL && r->map == NULL)
			snprintf(err, errlen, "%s: looks %s-compressed: a stream is read as plain "
				 "text (name the file instead, or decompress it first)", r->name,
				 m[i].what);
		else
			snprintf(err, errlen, "%s: looks %s-compressed: decompress it first (files "
				 "are read plain or gzip-, bzip2- or xz-compressed)", r->name, m[i].what);
		r->dead = true;
		return -1;
	}
	if (n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		r->start += 3;
	return 0;
}

/* The line buf[start, start + n) is the next: hands it out, or refuses it
 * when it is over the cap. */
static int lr_take(bt_linereader *r, size_t n, size_t next, const char **line, size_t *len,
		   char *err, size_t errlen)
{
	const char *s = r->buf + r->start;
	r->start = next;
	r->lineno++;
	if (n > BT_LINE_MAX) {
		snprintf(err, errlen, "%s:%lu: line longer than %u bytes (the cap on a line)", r->name,
			 r->lineno, BT_LINE_MAX);
		return -1;
	}
	if (n > 0 && s[n - 1] == '\r')
		n--;
	*line = s;
	*len = n;
	return 1;
}

static int lr_next(bt_linereader *r, const char **line, size_t *len, char *err, size_t errlen)
{
	for (;;) {
		if (r->dead)
			return 0;
		if (r->first && r->end - r->start < 6 && !r->eof) {
			if (lr_fill(r, err, errlen) != 0)
				return -1;
			continue;
		}
		if (r->first && lr_sniff(r, err, errlen) != 0)
			return -1;
		const char *s = r->buf + r->start;
		const char *nl = memchr(s, '\n', r->end - r->start);
		if (nl != NULL && r->skip) {
			/* the rest of a line refused as too long */
			r->skip = false;
			r->start = (size_t)(nl - r->buf) + 1;
			continue;
		}
		if (nl != NULL)
			return lr_take(r, (size_t)(nl - s), (size_t)(nl - r->buf) + 1, line, len, err,
				       errlen);
		if (r->skip)
			r->start = r->end;
		else if (r->eof && r->end > r->start)
			return lr_take(r, r->end - r->start, r->end, line, len, err, errlen);
		else if (r->end - r->start > BT_LINE_MAX) {
			r->skip = true;
			return lr_take(r, r->end - r->start, r->end, line, len, err, errlen);
		}
		if (r->eof)
			return 0;
		if (lr_fill(r, err, errlen) != 0)
			return -1;
	}
}

int bt_linereader_next(bt_linereader *r, const char **line, size_t *len, char *err,
		       size_t errlen)
{
	if (r->map == NULL)
		return lr_next(r, line, len, err, errlen);
	unsigned long at = r->lineno + 1;
	if (!r->dead)
		bt_mapfile_at(r->map, r->start);
	int rc = lr_next(r, line, len, err, errlen);
	/* checked after the line was looked through: the bytes handed out
	 * are the file's, not the zeros put over its lost end */
	if (bt_mapfile_shrunk(r->map) && !r->dead) {
		snprintf(err, errlen, "%s:%lu: the file shrank while it was read (another program "
			 "truncated it?)", r->name, at);
		r->dead = true;
		return -1;
	}
	return rc;
}

const char *bt_linereader_name(const bt_linereader *r)
{
	return r->name;
}

unsigned long bt_linereader_lineno(const bt_linereader *r)
{
	return r->lineno;
}

void bt_linereader_close(bt_linereader *r)
{
	if (r == NULL)
		return;
	bt_zfile_close(r->z);
	if (r->map != NULL)
		bt_mapfile_close(r->map);
	else
		free(r->buf);
	free(r->name);
	free(r);
}
