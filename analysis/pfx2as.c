/* bordertrace — prefix-to-AS tables (see include/bordertrace/pfx2as.h). */
#include "bordertrace/pfx2as.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "bordertrace/lpm.h"
#include "bordertrace/show.h"
#include "fields.h"

#define NO_ORG UINT32_MAX

struct entry {
	bt_addr first, last;
	uint8_t is_range;
	uint8_t len;
	uint16_t file;
	uint32_t line;
	uint32_t asn0;       /* the only origin when n_origins == 1 */
	uint32_t origins;    /* offset into the origin pool when n_origins > 1 */
	uint32_t n_origins;
	uint32_t org;        /* offset into the org pool, or NO_ORG */
};

/* A row that repeats or partly overlaps another: entry b at fault (the
 * later of two equal rows, or the one starting inside the other), entry a
 * the other. */
struct conflict {
	uint32_t a, b;
	bt_lpm_conflict kind;
};

struct file {
	char *name;
	size_t rows, dups, overlaps;
};

struct bt_pfx2as {
	struct entry *e;
	size_t n, cap;
	uint32_t *orig;
	size_t norig, origcap;
	bt_pool orgs;
	struct file *files;
	size_t nfiles;
	struct conflict *c;
	size_t nc, ccap;
	bt_lpm *lpm;
};

static bool looks_like_address(const char *s, size_t n)
{
	return memchr(s, '.', n) != NULL || memchr(s, ':', n) != NULL;
}

/* Splits the MOAS / AS-set list "a_b,c" into out->origins. */
static int parse_origins(const char *s, size_t n, bt_pfx2as_line *out, const char **why)
{
	out->n_origins = 0;
	size_t i = 0;
	if (n == 0) {
		*why = "missing AS number";
		return -1;
	}
	while (i <= n) {
		size_t j = i;
		while (j < n && s[j] != '_' && s[j] != ',')
			j++;
		uint32_t asn;
		if (bt_asn_parse(s + i, j - i, &asn) != 0) {
			*why = "bad AS number";
			return -1;
		}
		bool dup = false;
		for (unsigned k = 0; k < out->n_origins; k++)
			dup = dup || out->origins[k] == asn;
		/* ASN 0 (RFC 7607) marks unannounced space: keep the entry, name no AS. */
		if (asn != 0 && !dup) {
			if (out->n_origins == BT_PFX2AS_MAX_ORIGINS) {
				*why = "too many origin ASes";
				return -1;
			}
			out->origins[out->n_origins++] = asn;
		}
		i = j + 1;
	}
	return 0;
}

static int parse_addr_field(const char *s, size_t n, bt_addr *a)
{
	char buf[64];
	if (bt_field_copy(buf, sizeof(buf), s, n) != 0)
		return -1;
	return bt_addr_parse(buf, a);
}

static void prefix_last(const bt_addr *p, unsigned len, bt_addr *last)
{
	unsigned width = p->family == AF_INET ? 32 : 128;
	*last = *p;
	for (unsigned bit = len; bit < width; bit++)
		last->bytes[bit / 8] |= (uint8_t)(0x80u >> (bit % 8));
}

static int parse_range_csv(const char *s, size_t n, bool maybe_header,
			   bt_pfx2as_line *out, const char **why)
{
	const char *f[3];
	size_t fl[3];
	const char *p = s, *end = s + n;
	for (int i = 0; i < 3; i++) {
		const char *c = memchr(p, ',', (size_t)(end - p));
		if (c == NULL && i < 2) {
			*why = "expected start,end,asn[,org]";
			return -1;
		}
		f[i] = p;
		fl[i] = c ? (size_t)(c - p) : (size_t)(end - p);
		bt_trim(&f[i], &fl[i]);
		p = c ? c + 1 : end;
	}
	if (maybe_header && !looks_like_address(f[0], fl[0]))
		return 0;
	if (parse_addr_field(f[0], fl[0], &out->first) != 0) {
		*why = "bad start address";
		return -1;
	}
	if (parse_addr_field(f[1], fl[1], &out->last) != 0) {
		*why = "bad end address";
		return -1;
	}
	if (out->first.family != out->last.family) {
		*why = "start and end are of different families";
		return -1;
	}
	if (memcmp(out->first.bytes, out->last.bytes, 16) > 0) {
		*why = "start is after end";
		return -1;
	}
	out->is_range = true;
	out->len = 0;
	if (parse_origins(f[2], fl[2], out, why) != 0)
		return -1;
	/* The org is the rest of the line: unquoted names may contain commas. */
	const char *o = p;
	size_t ol = (size_t)(end - p);
	bt_trim(&o, &ol);
	static const char *const bad_org[] = {
		"", "organisation field: unterminated quote (a quoted field may span lines, "
		    "within 4096 bytes)",
		"organisation field: text after the closing quote",
		"organisation field: longer than 255 bytes",
	};
	int u = bt_unquote(o, ol, out->org, sizeof(out->org));
	if (u != 0) {
		*why = bad_org[-u];
		return -1;
	}
	return 1;
}

static int parse_prefix2as(const char *s, size_t n, bool maybe_header,
			   bt_pfx2as_line *out, const char **why)
{
	const char *t[4];
	size_t tl[4];
	int nt = 0;
	const char *p = s, *end = s + n;
	while (p < end) {
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p == end)
			break;
		const char *b = p;
		while (p < end && *p != ' ' && *p != '\t')
			p++;
		if (nt == 4) {
			*why = "too many fields";
			return -1;
		}
		t[nt] = b;
		tl[nt] = (size_t)(p - b);
		nt++;
	}
	if (maybe_header && nt > 0 && !looks_like_address(t[0], tl[0]))
		return 0;
	char buf[80];
	const char *asns;
	size_t asnl;
	if (nt == 2 && memchr(t[0], '/', tl[0]) != NULL) {
		if (bt_field_copy(buf, sizeof(buf), t[0], tl[0]) != 0) {
			*why = "bad prefix";
			return -1;
		}
		asns = t[1];
		asnl = tl[1];
	} else if (nt == 3) {
		if (tl[0] + tl[1] + 2 > sizeof(buf)) {
			*why = "bad prefix";
			return -1;
		}
		memcpy(buf, t[0], tl[0]);
		buf[tl[0]] = '/';
		memcpy(buf + tl[0] + 1, t[1], tl[1]);
		buf[tl[0] + 1 + tl[1]] = '\0';
		asns = t[2];
		asnl = tl[2];
	} else {
		*why = "expected prefix<TAB>length<TAB>asn";
		return -1;
	}
	const char *pwhy;
	/* Strict: a prefix with host bits set means a corrupted or misread line. */
	if (bt_prefix_parse(buf, true, &out->first, &out->len, &pwhy) != 0) {
		*why = pwhy;
		return -1;
	}
	prefix_last(&out->first, out->len, &out->last);
	out->is_range = false;
	out->org[0] = '\0';
	return parse_origins(asns, asnl, out, why) == 0 ? 1 : -1;
}

int bt_pfx2as_parse_line(const char *line, size_t len, bool maybe_header,
			 bt_pfx2as_line *out, const char **why)
{
	bt_trim(&line, &len);
	if (len == 0 || line[0] == '#')
		return 0;
	/* The first separator tells the format: a comma right after the first
	 * field is CSV; CAIDA's MOAS commas only come after a tab. */
	size_t i = 0;
	while (i < len && line[i] != ',' && line[i] != '\t' && line[i] != ' ')
		i++;
	if (i < len && line[i] == ',')
		return parse_range_csv(line, len, maybe_header, out, why);
	return parse_prefix2as(line, len, maybe_header, out, why);
}

bt_pfx2as *bt_pfx2as_new(void)
{
	bt_pfx2as *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->lpm = bt_lpm_new();
	if (t->lpm == NULL) {
		free(t);
		return NULL;
	}
	return t;
}

void bt_pfx2as_free(bt_pfx2as *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nfiles; i++)
		free(t->files[i].name);
	free(t->files);
	free(t->c);
	free(t->e);
	free(t->orig);
	bt_pool_free(&t->orgs);
	bt_lpm_free(t->lpm);
	free(t);
}

static int add_entry(bt_pfx2as *t, const bt_pfx2as_line *l, uint16_t file, uint32_t line)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 1024;
		struct entry *p = realloc(t->e, cap * sizeof(*p));
		if (p == NULL)
			return -1;
		t->e = p;
		t->cap = cap;
	}
	if (t->n >= BT_LPM_NONE)
		return -1;
	struct entry *e = &t->e[t->n];
	memset(e, 0, sizeof(*e));
	e->first = l->first;
	e->last = l->last;
	e->is_range = l->is_range;
	e->len = (uint8_t)l->len;
	e->file = file;
	e->line = line;
	e->n_origins = l->n_origins;
	e->asn0 = l->n_origins ? l->origins[0] : 0;
	if (l->n_origins > 1) {
		if (t->norig + l->n_origins > t->origcap) {
			size_t cap = t->origcap ? t->origcap * 2 : 1024;
			while (cap < t->norig + l->n_origins)
				cap *= 2;
			uint32_t *p = realloc(t->orig, cap * sizeof(*p));
			if (p == NULL)
				return -1;
			t->orig = p;
			t->origcap = cap;
		}
		e->origins = (uint32_t)t->norig;
		memcpy(t->orig + t->norig, l->origins, l->n_origins * sizeof(uint32_t));
		t->norig += l->n_origins;
	}
	e->org = NO_ORG;
	if (l->org[0] != '\0' && bt_pool_add(&t->orgs, l->org, &e->org) != 0)
		return -1;
	if (bt_lpm_add(t->lpm, &l->first, &l->last, (uint32_t)t->n) != 0)
		return -1;
	t->n++;
	return 0;
}

int bt_pfx2as_load_buffer(bt_pfx2as *t, const char *name, const char *buf,
			  size_t len, char *err, size_t errlen)
{
	if (t->nfiles >= UINT16_MAX) {
		snprintf(err, errlen, "%s: too many files", name);
		return -1;
	}
	struct file *files = realloc(t->files, (t->nfiles + 1) * sizeof(*files));
	if (files == NULL || (files[t->nfiles].name = strdup(name)) == NULL) {
		if (files)
			t->files = files;
		snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	t->files = files;
	uint16_t fileno = (uint16_t)t->nfiles++;
	struct file *f = &files[fileno];
	f->rows = f->dups = f->overlaps = 0;

	bt_lines lines;
	const char *s;
	size_t n;
	bool maybe_header = true;
	bt_pfx2as_line *l = malloc(sizeof(*l));
	if (l == NULL) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	bt_lines_init(&lines, buf, len);
	while (bt_lines_next_csv(&lines, &s, &n)) {
		const char *why = "";
		int r = bt_pfx2as_parse_line(s, n, maybe_header, l, &why);
		if (r < 0) {
			char sh[BT_SHOW_BUF];
			snprintf(err, errlen, "%s:%u: %s: '%s'", name, lines.lineno, why,
				 bt_show(sh, sizeof(sh), s, n));
			free(l);
			return -1;
		}
		/* Only the first non-comment line may be a header. */
		const char *ts = s;
		size_t tn = n;
		bt_trim(&ts, &tn);
		if (tn > 0 && ts[0] != '#')
			maybe_header = false;
		if (r == 0)
			continue;
		if (add_entry(t, l, fileno, lines.lineno) != 0) {
			snprintf(err, errlen, "%s:%u: out of memory", name, lines.lineno);
			free(l);
			return -1;
		}
		f->rows++;
	}
	free(l);
	/* A header, comments or a binary's first "line" alone: not a table. */
	if (f->rows == 0) {
		snprintf(err, errlen, "%s: no prefix or range in the file (expected CAIDA "
			 "prefix2as or start,end,asn[,org] lines)", name);
		return -1;
	}
	return 0;
}

int bt_pfx2as_load(bt_pfx2as *t, const char *path, char *err, size_t errlen)
{
	char *buf;
	size_t len;
	if (bt_textfile_read(path, &buf, &len, err, errlen) != 0)
		return -1;
	int r = bt_pfx2as_load_buffer(t, path, buf, len, err, errlen);
	free(buf);
	return r;
}

/* "FILE:LINE: range A-B (AS x_y)", or "prefix P/L", as the row said. */
static void describe(const bt_pfx2as *t, const struct entry *e, char *buf, size_t buflen)
{
	char a[BT_ADDR_STRLEN], b[BT_ADDR_STRLEN], as[96] = "no AS";
	bt_addr_format(&e->first, a, sizeof(a));
	const uint32_t *o = e->n_origins > 1 ? t->orig + e->origins : &e->asn0;
	size_t k = 0;
	for (uint32_t i = 0; i < e->n_origins && k + 12 < sizeof(as); i++) {
		int w = snprintf(as + k, sizeof(as) - k, "%s%u", i ? "_" : "AS ", o[i]);
		k += w > 0 ? (size_t)w : 0;
	}
	if (e->is_range) {
		bt_addr_format(&e->last, b, sizeof(b));
		snprintf(buf, buflen, "%s:%u: range %s-%s (%s)", t->files[e->file].name, e->line,
			 a, b, as);
	} else {
		snprintf(buf, buflen, "%s:%u: prefix %s/%u (%s)", t->files[e->file].name, e->line,
			 a, e->len, as);
	}
}

/* The number of addresses in e, less one, as 16 big-endian bytes (so that
 * sizes compare with memcmp). */
static void span(const struct entry *e, uint8_t out[16])
{
	unsigned borrow = 0;
	for (int i = 15; i >= 0; i--) {
		unsigned d = (unsigned)e->last.bytes[i] - e->first.bytes[i] - borrow;
		out[i] = (uint8_t)d;
		borrow = d > 255;
	}
}

static int record_conflict(void *ctx, bt_lpm_conflict kind, uint32_t other, uint32_t value)
{
	bt_pfx2as *t = ctx;
	if (t->nc == t->ccap) {
		size_t cap = t->ccap ? t->ccap * 2 : 64;
		struct conflict *p = realloc(t->c, cap * sizeof(*p));
		if (p == NULL)
			return -1;
		t->c = p;
		t->ccap = cap;
	}
	/* Entries are numbered in file and line order; value is the range at
	 * fault (so each row is counted at most once). */
	struct conflict *c = &t->c[t->nc++];
	c->a = other;
	c->b = value;
	c->kind = kind;
	struct file *f = &t->files[t->e[c->b].file];
	if (kind == BT_LPM_DUPLICATE)
		f->dups++;
	else
		f->overlaps++;
	return 0;
}

static int by_row(const void *pa, const void *pb)
{
	const struct conflict *a = pa, *b = pb;
	return a->b < b->b ? -1 : a->b > b->b;
}

int bt_pfx2as_build(bt_pfx2as *t, char *err, size_t errlen)
{
	t->nc = 0;
	for (size_t i = 0; i < t->nfiles; i++)
		t->files[i].dups = t->files[i].overlaps = 0;
	if (bt_lpm_build_tolerant(t->lpm, record_conflict, t) != BT_LPM_OK) {
		snprintf(err, errlen, "prefix table: out of memory");
		return -1;
	}
	if (t->nc > 1)
		qsort(t->c, t->nc, sizeof(*t->c), by_row);
	return 0;
}

size_t bt_pfx2as_nfiles(const bt_pfx2as *t)
{
	return t->nfiles;
}

const char *bt_pfx2as_file_stats(const bt_pfx2as *t, size_t i, size_t *rows,
				 size_t *dups, size_t *overlaps)
{
	const struct file *f = &t->files[i];
	*rows = f->rows;
	*dups = f->dups;
	*overlaps = f->overlaps;
	return f->name;
}

size_t bt_pfx2as_nconflicts(const bt_pfx2as *t)
{
	return t->nc;
}

void bt_pfx2as_conflict_describe(const bt_pfx2as *t, size_t i, char *buf, size_t buflen)
{
	const struct conflict *c = &t->c[i];
	const struct entry *a = &t->e[c->a], *b = &t->e[c->b];
	char da[600], db[600];
	describe(t, a, da, sizeof(da));
	describe(t, b, db, sizeof(db));
	if (c->kind == BT_LPM_DUPLICATE) {
		snprintf(buf, buflen, "%s duplicates %s; %s:%u wins (the later row)", db, da,
			 t->files[b->file].name, b->line);
		return;
	}
	uint8_t sa[16], sb[16];
	span(a, sa);
	span(b, sb);
	int cmp = memcmp(sa, sb, 16);
	const struct entry *w = cmp < 0 ? a : b;
	snprintf(buf, buflen, "%s partly overlaps %s; %s:%u wins where both hold (%s)", db, da,
		 t->files[w->file].name, w->line, cmp == 0 ? "the later row" : "the smaller range");
}

bool bt_pfx2as_lookup(const bt_pfx2as *t, const bt_addr *addr, bt_pfx2as_match *m,
		      unsigned *block_len)
{
	uint32_t v = bt_lpm_lookup(t->lpm, addr, block_len);
	if (v == BT_LPM_NONE)
		return false;
	const struct entry *e = &t->e[v];
	if (e->is_range) {
		bt_lpm_prefix_within(addr, &e->first, &e->last, &m->prefix, &m->prefix_len);
	} else {
		m->prefix = e->first;
		m->prefix_len = e->len;
	}
	m->asn = e->asn0;
	m->n_origins = e->n_origins;
	m->origins = e->n_origins > 1 ? t->orig + e->origins : &e->asn0;
	m->org = e->org == NO_ORG ? NULL : t->orgs.p + e->org;
	m->file = t->files[e->file].name;
	m->line = e->line;
	return true;
}

size_t bt_pfx2as_count(const bt_pfx2as *t)
{
	return t->n;
}
