/* bordertrace — target lists (see include/bordertrace/targets.h). */
#include "bordertrace/targets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bordertrace/textfile.h"
#include "bordertrace/show.h"

void bt_targets_init(bt_targets *t)
{
	memset(t, 0, sizeof(*t));
}

void bt_targets_free(bt_targets *t)
{
	free(t->a);
	memset(t, 0, sizeof(*t));
}

static int push(bt_targets *t, const bt_addr *a)
{
	if (t->n == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 64;
		bt_addr *na = realloc(t->a, nc * sizeof(*na));
		if (na == NULL)
			return -1;
		t->a = na;
		t->cap = nc;
	}
	t->a[t->n++] = *a;
	return 0;
}

int bt_targets_add_string(bt_targets *t, const char *s, char *err, size_t errlen)
{
	bt_addr a;
	if (bt_addr_parse(s, &a) != 0) {
		snprintf(err, errlen, "not an IP address (names are not resolved)");
		return -1;
	}
	if (push(t, &a) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

int bt_list_lines(const char *buf, size_t len, bt_line_fn fn, void *arg)
{
	bt_lines lines;
	const char *line;
	size_t ll;
	bt_lines_init(&lines, buf, len);
	while (bt_lines_next(&lines, &line, &ll)) {
		const char *hash = memchr(line, '#', ll);
		if (hash)
			ll = (size_t)(hash - line);
		bt_trim(&line, &ll);
		/* a stray '\r' before the comment or among trailing blanks */
		while (ll > 0 && (line[ll - 1] == '\r' || line[ll - 1] == ' ' || line[ll - 1] == '\t'))
			ll--;
		if (ll == 0)
			continue;
		char tok[64] = "";
		if (ll < sizeof(tok) && memchr(line, '\0', ll) == NULL) {
			memcpy(tok, line, ll);
			tok[ll] = '\0';
		}
		int rc = fn(tok, lines.lineno, arg);
		if (rc != 0)
			return rc;
	}
	return 0;
}

struct parse_ctx {
	bt_targets *t;
	const char *name;
	char *err;
	size_t errlen;
};

static int parse_line(const char *tok, size_t lineno, void *arg)
{
	struct parse_ctx *c = arg;
	char why[128];
	if (*tok == '\0') {
		snprintf(c->err, c->errlen, "%s:%zu: not an IP address", c->name, lineno);
		return -1;
	}
	if (bt_targets_add_string(c->t, tok, why, sizeof(why)) != 0) {
		char sh[BT_SHOW_BUF];
		snprintf(c->err, c->errlen, "%s:%zu: '%s': %s", c->name, lineno,
			 bt_show_str(sh, sizeof(sh), tok), why);
		return -1;
	}
	return 0;
}

int bt_targets_parse(bt_targets *t, const char *buf, size_t len, const char *name, char *err,
		     size_t errlen)
{
	struct parse_ctx c = { t, name, err, errlen };
	return bt_list_lines(buf, len, parse_line, &c);
}

int bt_targets_load(bt_targets *t, const char *path, char *err, size_t errlen)
{
	char *buf;
	size_t len;
	if (bt_textfile_read(path, &buf, &len, err, errlen) != 0)
		return -1;
	int rc = bt_targets_parse(t, buf, len, path, err, errlen);
	free(buf);
	return rc;
}

static int cmp_idx(const void *a, const void *b, void *arg)
{
	const bt_addr *v = arg;
	size_t ia = *(const size_t *)a, ib = *(const size_t *)b;
	int c = bt_addr_cmp(&v[ia], &v[ib]);
	return c ? c : (ia < ib ? -1 : ia > ib);
}

size_t bt_targets_dedup(bt_targets *t)
{
	if (t->n < 2)
		return 0;
	size_t *idx = malloc(t->n * sizeof(*idx));
	unsigned char *drop = calloc(t->n, 1);
	if (idx == NULL || drop == NULL) {
		free(idx);
		free(drop);
		return 0;
	}
	for (size_t i = 0; i < t->n; i++)
		idx[i] = i;
	qsort_r(idx, t->n, sizeof(*idx), cmp_idx, t->a);
	for (size_t i = 1; i < t->n; i++)
		if (bt_addr_eq(&t->a[idx[i]], &t->a[idx[i - 1]]))
			drop[idx[i]] = 1;
	size_t w = 0;
	for (size_t i = 0; i < t->n; i++)
		if (!drop[i])
			t->a[w++] = t->a[i];
	size_t removed = t->n - w;
	t->n = w;
	free(idx);
	free(drop);
	return removed;
}
