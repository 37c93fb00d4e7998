/* bordertrace — CSV output (see include/bordertrace/csv.h). RFC 4180: fields
 * holding a comma, a double quote, CR or LF are quoted, quotes doubled; a
 * field a spreadsheet would run as a formula gets a leading ' (doc/csv.md). */
#include "bordertrace/csv.h"

#include <errno.h>
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

int bt_csv_commit(bt_csv *c, char *err, size_t errlen)
{
	drain(c);
	if (c->tmp == NULL) {
		int rc = 0;
		if (fflush(c->f) != 0 || c->failed) {
			snprintf(err, errlen, "write failed: %s", strerror(c->failed ? c->failed : errno));
			rc = -1;
		}
		free(c->buf);
		c->buf = NULL;
		return rc;
	}
	int rc = 0;
	if (fflush(c->f) != 0 && !c->failed)
		c->failed = errno;
	if (!c->failed && fsync(fileno(c->f)) != 0)
		c->failed = errno;
	if (fclose(c->f) != 0 && !c->failed)
		c->failed = errno;
	c->f = NULL;
	if (c->failed) {
		snprintf(err, errlen, "%s: write failed: %s", c->path, strerror(c->failed));
		rc = -1;
	} else if (rename(c->tmp, c->path) != 0) {
		snprintf(err, errlen, "%s: %s", c->path, strerror(errno));
		rc = -1;
	} else {
		free(c->tmp);
		c->tmp = NULL;
	}
	bt_csv_abort(c);
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
