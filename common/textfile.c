/* bordertrace — text inputs, read whole (see include/bordertrace/textfile.h). */
#include "bordertrace/textfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* Reads the rest of gz into a growing buffer; on a read error, errno (for
 * Z_ERRNO) or zlib's message goes into err. */
static int read_all(gzFile gz, const char *path, char **out, size_t *outlen, char *err,
		    size_t errlen)
{
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
		/* gzread takes an int's worth at most: ask for 1 GiB at a time */
		size_t want = cap - len - 1;
		int n = gzread(gz, buf + len, (unsigned)(want < (1u << 30) ? want : (1u << 30)));
		if (n < 0) {
			int saved = errno, zerr;
			const char *msg = gzerror(gz, &zerr);
			/* zlib's message starts with the path again: "PATH: reason" */
			size_t pl = strlen(path);
			if (strncmp(msg, path, pl) == 0 && strncmp(msg + pl, ": ", 2) == 0)
				msg += pl + 2;
			snprintf(err, errlen, "%s: read error: %s", path,
				 zerr == Z_ERRNO ? strerror(saved) : msg);
			free(buf);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
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

int bt_textfile_read(const char *path, char **out, size_t *outlen, char *err, size_t errlen)
{
	/* gzopen reads uncompressed files transparently, so one path serves
	 * CAIDA's .gz downloads, gzipped target lists and hand-written files. */
	errno = 0;
	gzFile gz = gzopen(path, "rb");
	if (gz == NULL) {
		snprintf(err, errlen, "%s: %s", path, errno ? strerror(errno) : "out of memory");
		return -1;
	}
	int rc = read_all(gz, path, out, outlen, err, errlen);
	gzclose(gz);
	return rc;
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
