/* bordertrace — IXP peering LANs (see include/bordertrace/ixp.h). */
#include "bordertrace/ixp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bordertrace/lpm.h"
#include "bordertrace/show.h"
#include "fields.h"

struct entry {
	bt_addr prefix;
	uint8_t len;
	uint16_t file;
	uint32_t line;
	uint32_t name; /* offset into the name pool */
};

struct bt_ixp {
	struct entry *e;
	size_t n, cap;
	bt_pool names;
	char **files;
	size_t nfiles;
	bt_lpm *lpm;
};

int bt_ixp_parse_line(const char *line, size_t len, bool maybe_header, bt_addr *prefix,
		      unsigned *plen, char name[BT_IXP_NAME_MAX], const char **why)
{
	bt_trim(&line, &len);
	if (len == 0 || line[0] == '#')
		return 0;
	size_t i = 0;
	while (i < len && line[i] != ',' && line[i] != '\t' && line[i] != ' ')
		i++;
	if (maybe_header && memchr(line, '.', i) == NULL && memchr(line, ':', i) == NULL)
		return 0;
	char buf[80];
	if (bt_field_copy(buf, sizeof(buf), line, i) != 0) {
		*why = "bad prefix";
		return -1;
	}
	if (bt_prefix_parse(buf, true, prefix, plen, why) != 0)
		return -1;
	const char *s = i < len ? line + i + 1 : line + len;
	size_t n = (size_t)(line + len - s);
	bt_trim(&s, &n);
	if (n == 0) {
		*why = "missing IXP name";
		return -1;
	}
	static const char *const bad_name[] = {
		"", "IXP name: unterminated quote (a quoted field may span lines, within 4096 bytes)",
		"IXP name: text after the closing quote", "IXP name: longer than 255 bytes",
	};
	int u = bt_unquote(s, n, name, BT_IXP_NAME_MAX);
	if (u != 0) {
		*why = bad_name[-u];
		return -1;
	}
	if (name[0] == '\0') {
		*why = "missing IXP name";
		return -1;
	}
	return 1;
}

bt_ixp *bt_ixp_new(void)
{
	bt_ixp *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->lpm = bt_lpm_new();
	if (t->lpm == NULL) {
		free(t);
		return NULL;
	}
	return t;
}

void bt_ixp_free(bt_ixp *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nfiles; i++)
		free(t->files[i]);
	free(t->files);
	free(t->e);
	bt_pool_free(&t->names);
	bt_lpm_free(t->lpm);
	free(t);
}

int bt_ixp_load_buffer(bt_ixp *t, const char *fname, const char *buf, size_t len,
		       char *err, size_t errlen)
{
	if (t->nfiles >= UINT16_MAX) {
		snprintf(err, errlen, "%s: too many files", fname);
		return -1;
	}
	char **files = realloc(t->files, (t->nfiles + 1) * sizeof(*files));
	if (files == NULL || (files[t->nfiles] = strdup(fname)) == NULL) {
		if (files)
			t->files = files;
		snprintf(err, errlen, "%s: out of memory", fname);
		return -1;
	}
	t->files = files;
	uint16_t fileno = (uint16_t)t->nfiles++;

	bt_lines lines;
	const char *s;
	size_t n;
	bool maybe_header = true;
	bt_lines_init(&lines, buf, len);
	while (bt_lines_next_csv(&lines, &s, &n)) {
		const char *why = "";
		bt_addr p;
		unsigned plen;
		char name[BT_IXP_NAME_MAX];
		int r = bt_ixp_parse_line(s, n, maybe_header, &p, &plen, name, &why);
		if (r < 0) {
			char sh[BT_SHOW_BUF];
			snprintf(err, errlen, "%s:%u: %s: '%s'", fname, lines.lineno, why,
				 bt_show(sh, sizeof(sh), s, n));
			return -1;
		}
		const char *ts = s;
		size_t tn = n;
		bt_trim(&ts, &tn);
		if (tn > 0 && ts[0] != '#')
			maybe_header = false;
		if (r == 0)
			continue;
		if (t->n == t->cap) {
			size_t cap = t->cap ? t->cap * 2 : 256;
			struct entry *e = realloc(t->e, cap * sizeof(*e));
			if (e == NULL)
				goto nomem;
			t->e = e;
			t->cap = cap;
		}
		struct entry *e = &t->e[t->n];
		e->prefix = p;
		e->len = (uint8_t)plen;
		e->file = fileno;
		e->line = lines.lineno;
		if (bt_pool_add(&t->names, name, &e->name) != 0 ||
		    bt_lpm_add_prefix(t->lpm, &p, plen, (uint32_t)t->n) != 0)
			goto nomem;
		t->n++;
	}
	return 0;
nomem:
	snprintf(err, errlen, "%s:%u: out of memory", fname, lines.lineno);
	return -1;
}

int bt_ixp_load(bt_ixp *t, const char *path, char *err, size_t errlen)
{
	char *buf;
	size_t len;
	if (bt_textfile_read(path, &buf, &len, err, errlen) != 0)
		return -1;
	int r = bt_ixp_load_buffer(t, path, buf, len, err, errlen);
	free(buf);
	return r;
}

int bt_ixp_build(bt_ixp *t, char *err, size_t errlen)
{
	uint32_t a = 0, b = 0;
	bt_lpm_conflict c = bt_lpm_build(t->lpm, &a, &b);
	if (c == BT_LPM_OK)
		return 0;
	if (c == BT_LPM_NOMEM) {
		snprintf(err, errlen, "IXP list: out of memory");
		return -1;
	}
	if (a < b) {
		uint32_t x = a;
		a = b;
		b = x;
	}
	/* Prefixes nest or are disjoint, so only duplicates reach here. */
	char pa[BT_ADDR_STRLEN];
	const struct entry *ea = &t->e[a], *eb = &t->e[b];
	bt_addr_format(&ea->prefix, pa, sizeof(pa));
	snprintf(err, errlen, "%s:%u: IXP prefix %s/%u duplicates %s:%u", t->files[ea->file],
		 ea->line, pa, ea->len, t->files[eb->file], eb->line);
	return -1;
}

bool bt_ixp_lookup(const bt_ixp *t, const bt_addr *addr, bt_ixp_match *m,
		   unsigned *block_len)
{
	uint32_t v = bt_lpm_lookup(t->lpm, addr, block_len);
	if (v == BT_LPM_NONE)
		return false;
	const struct entry *e = &t->e[v];
	m->prefix = e->prefix;
	m->prefix_len = e->len;
	m->name = t->names.p + e->name;
	m->file = t->files[e->file];
	m->line = e->line;
	return true;
}

size_t bt_ixp_count(const bt_ixp *t)
{
	return t->n;
}
