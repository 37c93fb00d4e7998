/* bordertrace — reading the analysis side's text inputs (see textfile.h). */
#include "textfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

int bt_textfile_read(const char *path, char **out, size_t *outlen, char *err, size_t errlen)
{
	/* gzopen reads uncompressed files transparently, so one path serves
	 * both CAIDA's .gz downloads and hand-written tables. */
	errno = 0;
	gzFile gz = gzopen(path, "rb");
	if (gz == NULL) {
		snprintf(err, errlen, "%s: cannot open: %s", path,
			 errno ? strerror(errno) : "out of memory");
		return -1;
	}
	size_t cap = 1 << 16, len = 0;
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
		int n = gzread(gz, buf + len, (unsigned)(cap - len - 1));
		if (n < 0) {
			int zerr;
			const char *msg = gzerror(gz, &zerr);
			snprintf(err, errlen, "%s: read error: %s", path,
				 zerr == Z_ERRNO ? strerror(errno) : msg);
			free(buf);
			gzclose(gz);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	gzclose(gz);
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
nomem:
	free(buf);
	gzclose(gz);
	snprintf(err, errlen, "%s: out of memory", path);
	return -1;
}

void bt_lines_init(bt_lines *l, const char *buf, size_t len)
{
	l->p = buf;
	l->end = buf + len;
	l->lineno = 0;
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
	l->lineno++;
	*line = s;
	*len = (size_t)(e - s);
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

int bt_field_copy(char *buf, size_t buflen, const char *s, size_t n)
{
	if (n >= buflen)
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return 0;
}

int bt_asn_parse(const char *s, size_t n, uint32_t *asn)
{
	if (n >= 2 && (s[0] == 'A' || s[0] == 'a') && (s[1] == 'S' || s[1] == 's')) {
		s += 2;
		n -= 2;
	}
	if (n == 0 || n > 10)
		return -1;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > UINT32_MAX)
		return -1;
	*asn = (uint32_t)v;
	return 0;
}

int bt_unquote(const char *s, size_t n, char *buf, size_t buflen)
{
	if (n == 0 || s[0] != '"')
		return bt_field_copy(buf, buflen, s, n);
	size_t o = 0, i = 1;
	for (;;) {
		if (i >= n)
			return -1; /* no closing quote */
		if (s[i] == '"') {
			if (i + 1 < n && s[i + 1] == '"') {
				i += 2;
				if (o + 1 >= buflen)
					return -1;
				buf[o++] = '"';
				continue;
			}
			i++;
			break;
		}
		if (o + 1 >= buflen)
			return -1;
		buf[o++] = s[i++];
	}
	for (; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return -1;
	buf[o] = '\0';
	return 0;
}

int bt_pool_add(bt_pool *pool, const char *s, uint32_t *off)
{
	size_t n = strlen(s) + 1;
	if (pool->len + n > UINT32_MAX)
		return -1;
	if (pool->len + n > pool->cap) {
		size_t cap = pool->cap ? pool->cap : 4096;
		while (cap < pool->len + n)
			cap *= 2;
		char *p = realloc(pool->p, cap);
		if (p == NULL)
			return -1;
		pool->p = p;
		pool->cap = cap;
	}
	memcpy(pool->p + pool->len, s, n);
	*off = (uint32_t)pool->len;
	pool->len += n;
	return 0;
}

void bt_pool_free(bt_pool *pool)
{
	free(pool->p);
	pool->p = NULL;
	pool->len = pool->cap = 0;
}
