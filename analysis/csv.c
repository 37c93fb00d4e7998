/* bordertrace — CSV output (see include/bordertrace/csv.h). RFC 4180: fields
 * holding a comma, a double quote, CR or LF are quoted, quotes doubled; a
 * field a spreadsheet would run as a formula gets a leading ' (doc/csv.md). */
#include "bordertrace/csv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bordertrace/trace.h"

#define CSV_BUF (1u << 20)

static void drain(bt_csv *c)
{
	if (c->len && fwrite(c->buf, 1, c->len, c->f) != c->len && !c->failed)
		c->failed = errno ? errno : EIO;
	c->len = 0;
}

/* Appends to the row buffer: fwrite per field costs more than the data. */
static void put(bt_csv *c, const char *s, size_t n)
{
	if (c->buf == NULL) {
		if (!c->failed)
			c->failed = ENOMEM;
		return;
	}
	if (c->len + n > CSV_BUF) {
		drain(c);
		if (n > CSV_BUF) {
			if (fwrite(s, 1, n, c->f) != n && !c->failed)
				c->failed = errno ? errno : EIO;
			return;
		}
	}
	memcpy(c->buf + c->len, s, n);
	c->len += n;
}

static void sep(bt_csv *c)
{
	if (!c->first)
		put(c, ",", 1);
	c->first = false;
}

void bt_csv_header(bt_csv *c, const char *const *header, size_t ncols)
{
	for (size_t i = 0; i < ncols; i++)
		bt_csv_str(c, header[i]);
	bt_csv_end(c);
}

void bt_csv_wrap(bt_csv *c, FILE *f)
{
	memset(c, 0, sizeof(*c));
	c->f = f;
	c->first = true;
	c->buf = malloc(CSV_BUF);
}

int bt_csv_open(bt_csv *c, const char *dir, const char *name, const char *const *header,
		size_t ncols, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->first = true;
	c->buf = malloc(CSV_BUF);
	size_t n = strlen(dir) + strlen(name) + 32;
	c->path = malloc(n);
	c->tmp = malloc(n);
	if (c->path == NULL || c->tmp == NULL || c->buf == NULL) {
		snprintf(err, errlen, "out of memory");
		bt_csv_abort(c);
		return -1;
	}
	snprintf(c->path, n, "%s/%s", dir, name);
	snprintf(c->tmp, n, "%s/.%s.tmp.XXXXXX", dir, name);
	int fd = mkstemp(c->tmp);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot create a file there: %s", dir, strerror(errno));
		free(c->tmp);
		c->tmp = NULL;
		bt_csv_abort(c);
		return -1;
	}
	fchmod(fd, 0644);
	c->f = fdopen(fd, "w");
	if (c->f == NULL) {
		snprintf(err, errlen, "%s: %s", c->tmp, strerror(errno));
		close(fd);
		bt_csv_abort(c);
		return -1;
	}
	if (header != NULL)
		bt_csv_header(c, header, ncols);
	return 0;
}

/* A whole cell that reads as a number: [+-]digits[.digits][e[+-]digits]. */
static bool is_number(const char *s)
{
	const char *p = s + (*s == '+' || *s == '-');
	size_t d = strspn(p, "0123456789");
	if (d == 0)
		return false;
	p += d;
	if (*p == '.') {
		d = strspn(++p, "0123456789");
		if (d == 0)
			return false;
		p += d;
	}
	if (*p == 'e' || *p == 'E') {
		p += 1 + (p[1] == '+' || p[1] == '-');
		d = strspn(p, "0123456789");
		if (d == 0)
			return false;
		p += d;
	}
	return *p == '\0';
}

int bt_csv_cell_kind(const char *s)
{
	int k = 0;
	if (s == NULL || *s == '\0')
		return 0;
	if (strchr("=+-@\t\r", *s) != NULL && !is_number(s))
		k |= BT_CSV_GUARD | BT_CSV_QUOTE;
	size_t n = strcspn(s, ",\"\r\n");
	/* leading or trailing spaces too: some readers trim unquoted cells */
	if (s[n] != '\0' || s[0] == ' ' || s[n - 1] == ' ')
		k |= BT_CSV_QUOTE;
	return k;
}

void bt_csv_str(bt_csv *c, const char *s)
{
	sep(c);
	if (s == NULL)
		return;
	int k = bt_csv_cell_kind(s);
	if (k == 0) {
		put(c, s, strlen(s));
		return;
	}
	put(c, k & BT_CSV_GUARD ? "\"'" : "\"", k & BT_CSV_GUARD ? 2 : 1);
	for (const char *p = s; *p;) {
		size_t n = strcspn(p, "\"");
		put(c, p, n);
		p += n;
		if (*p == '"') {
			put(c, "\"\"", 2);
			p++;
		}
	}
	put(c, "\"", 1);
}

void bt_csv_bytes(bt_csv *c, const void *data, size_t n)
{
	put(c, data, n);
}

void bt_csv_raw(bt_csv *c, const char *fields, size_t n)
{
	sep(c);
	put(c, fields, n);
}

size_t bt_csv_format(char *dst, size_t cap, const char *s)
{
	size_t n = 0;
	int k = bt_csv_cell_kind(s);
	if (cap == 0)
		return 0;
	if (s == NULL)
		s = "";
	if (k & BT_CSV_QUOTE)
		dst[n++] = '"';
	if ((k & BT_CSV_GUARD) && n + 1 < cap)
		dst[n++] = '\'';
	for (; *s && n + 3 < cap; s++) {
		if (*s == '"')
			dst[n++] = '"';
		dst[n++] = *s;
	}
	if (*s) {
		dst[0] = '\0';
		return 0;
	}
	if (k & BT_CSV_QUOTE)
		dst[n++] = '"';
	dst[n] = '\0';
	return n;
}

void bt_csv_fput(FILE *f, const char *s)
{
	int k = bt_csv_cell_kind(s);
	if (k == 0) {
		fputs(s ? s : "", f);
		return;
	}
	fputs(k & BT_CSV_GUARD ? "\"'" : "\"", f);
	for (; *s; s++) {
		if (*s == '"')
			putc('"', f);
		putc(*s, f);
	}
	putc('"', f);
}

void bt_csv_u64(bt_csv *c, uint64_t v)
{
	char buf[24];
	size_t i = sizeof(buf);
	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	sep(c);
	put(c, buf + i, sizeof(buf) - i);
}

void bt_csv_i64(bt_csv *c, int64_t v)
{
	if (v < 0) {
		char buf[24];
		int n = snprintf(buf, sizeof(buf), "%lld", (long long)v);
		sep(c);
		put(c, buf, (size_t)n);
		return;
	}
	bt_csv_u64(c, (uint64_t)v);
}

void bt_csv_fixed(bt_csv *c, double v, int decimals)
{
	char buf[48];
	int n = snprintf(buf, sizeof(buf), "%.*f", decimals, v);
	sep(c);
	put(c, buf, (size_t)n);
}

void bt_csv_ms(bt_csv *c, uint32_t us)
{
	char buf[16];
	size_t i = sizeof(buf);
	uint32_t ms = us / 1000, frac = us % 1000;
	buf[--i] = (char)('0' + frac % 10);
	buf[--i] = (char)('0' + frac / 10 % 10);
	buf[--i] = (char)('0' + frac / 100);
	buf[--i] = '.';
	do {
		buf[--i] = (char)('0' + ms % 10);
		ms /= 10;
	} while (ms);
	sep(c);
	put(c, buf + i, sizeof(buf) - i);
}

void bt_csv_time(bt_csv *c, int64_t us)
{
	char buf[BT_TIME_STRLEN];
	sep(c);
	if (us == 0 || bt_time_format(us, buf, sizeof(buf)) == NULL)
		return;
	put(c, buf, strlen(buf));
}

void bt_csv_end(bt_csv *c)
{
	put(c, "\r\n", 2);
	c->first = true;
}

/* Drains, flushes, fsyncs and closes a file opened by bt_csv_open: its data
 * is on disk under the temporary name. 0, or the errno of the first failure. */
static int csv_close(bt_csv *c)
{
	drain(c);
	if (fflush(c->f) != 0 && !c->failed)
		c->failed = errno;
	if (!c->failed && fsync(fileno(c->f)) != 0)
		c->failed = errno;
	if (fclose(c->f) != 0 && !c->failed)
		c->failed = errno;
	c->f = NULL;
	return c->failed;
}

int bt_csv_commit(bt_csv *c, char *err, size_t errlen)
{
	if (c->tmp == NULL) {
		drain(c);
		int rc = 0;
		if (fflush(c->f) != 0 || c->failed) {
			snprintf(err, errlen, "write failed: %s", strerror(c->failed ? c->failed : errno));
			rc = -1;
		}
		free(c->buf);
		c->buf = NULL;
		return rc;
	}
	return bt_csv_commit_set(c, 1, NULL, err, errlen);
}

/* The names of files [from, to) of the set, for a message. */
static void names(char *dst, size_t cap, const bt_csv *c, size_t from, size_t to)
{
	size_t o = 0;
	dst[0] = '\0';
	for (size_t i = from; i < to && o < cap; i++) {
		const char *slash = strrchr(c[i].path, '/');
		o += (size_t)snprintf(dst + o, cap - o, "%s%s", i > from ? ", " : "", slash ? slash + 1 : c[i].path);
	}
}

/* Renames the set's files into place, then syncs the directory. */
static int publish(bt_csv *c, size_t n, const char *dir, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		if (rename(c[i].tmp, c[i].path) == 0) {
			free(c[i].tmp);
			c[i].tmp = NULL;
			continue;
		}
		int e = errno;
		char done[256], left[256];
		names(done, sizeof(done), c, 0, i);
		names(left, sizeof(left), c, i, n);
		snprintf(err, errlen, "%s: rename failed: %s; %s now holds a MIXED export: new %s, "
			 "previous (or none) %s: run the export again", c[i].path, strerror(e),
			 dir, i ? done : "none", left);
		return -1;
	}
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd < 0 || fsync(fd) != 0) {
		snprintf(err, errlen, "%s: syncing the directory failed: %s; the new files are in place "
			 "but may not survive a crash", dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int bt_csv_commit_set(bt_csv *c, size_t n, const char *dir, char *err, size_t errlen)
{
	char d[4096];
	if (dir == NULL) { /* one file: its directory */
		const char *slash = strrchr(c[0].path, '/');
		snprintf(d, sizeof(d), "%.*s", slash ? (int)(slash - c[0].path) : 1, slash ? c[0].path : ".");
		dir = d;
	}
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		int e = csv_close(&c[i]);
		if (e != 0) {
			snprintf(err, errlen, "%s: write failed: %s; no file in %s was replaced (it holds "
				 "the previous export, if there was one)", c[i].path, strerror(e), dir);
			rc = -1;
		}
	}
	if (rc == 0)
		rc = publish(c, n, dir, err, errlen);
	for (size_t i = 0; i < n; i++)
		bt_csv_abort(&c[i]);
	return rc;
}

void bt_csv_abort(bt_csv *c)
{
	free(c->buf);
	c->buf = NULL;
	c->len = 0;
	if (c->f != NULL && c->tmp != NULL)
		fclose(c->f);
	c->f = NULL;
	if (c->tmp) {
		unlink(c->tmp);
		free(c->tmp);
	}
	c->tmp = NULL;
	free(c->path);
	c->path = NULL;
}
