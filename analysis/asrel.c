/* bordertrace — AS relationships (see include/bordertrace/asrel.h). */
#include "bordertrace/asrel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bordertrace/hash.h"
#include "bordertrace/show.h"
#include "fields.h"

typedef struct keyset {
	uint64_t *slot; /* 0 empty (AS 0 is refused) */
	size_t mask, n;
} keyset;

struct bt_asrel {
	keyset pairs;   /* min(a,b) << 32 | max(a,b): linked either way */
	keyset pc;      /* provider << 32 | customer */
	keyset ases;    /* every AS of a line */
	keyset providers; /* every AS that is some AS's provider */
};

/* The '|'-separated fields of [s, s + n) into f/fl; their count (at most
 * max + 1: more than max). */
static size_t split(const char *s, size_t n, const char **f, size_t *fl, size_t max)
{
	size_t k = 0, start = 0;
	for (size_t i = 0; i <= n && k <= max; i++) {
		if (i < n && s[i] != '|')
			continue;
		if (k < max) {
			f[k] = s + start;
			fl[k] = i - start;
		}
		k++;
		start = i + 1;
	}
	return k;
}

int bt_asrel_parse_line(const char *line, size_t len, uint32_t *a, uint32_t *b, int *rel, const char **why)
{
	bt_trim(&line, &len);
	if (len == 0 || line[0] == '#')
		return 0;
	if (memchr(line, '\0', len) != NULL) {
		*why = "NUL byte in line";
		return -1;
	}
	const char *f[4];
	size_t fl[4], k = split(line, len, f, fl, 4);
	if (k < 3 || k > 4) {
		*why = "not AS1|AS2|REL or AS1|AS2|REL|SOURCE";
		return -1;
	}
	for (size_t i = 0; i < 2; i++)
		bt_trim(&f[i], &fl[i]);
	if (bt_asn_parse(f[0], fl[0], a) != 0 || bt_asn_parse(f[1], fl[1], b) != 0 || *a == 0 || *b == 0) {
		*why = "bad AS number (1..4294967295)";
		return -1;
	}
	if (*a == *b) {
		*why = "an AS in a relationship with itself";
		return -1;
	}
	bt_trim(&f[2], &fl[2]);
	if (fl[2] == 2 && memcmp(f[2], "-1", 2) == 0)
		*rel = -1;
	else if (fl[2] == 1 && f[2][0] == '0')
		*rel = 0;
	else {
		*why = "relationship not -1 (provider|customer) or 0 (peers)";
		return -1;
	}
	return 1;
}

bt_asrel *bt_asrel_new(void)
{
	return calloc(1, sizeof(bt_asrel));
}

void bt_asrel_free(bt_asrel *t)
{
	if (t == NULL)
		return;
	free(t->pairs.slot);
	free(t->pc.slot);
	free(t->ases.slot);
	free(t->providers.slot);
	free(t);
}

static uint64_t pair_key(uint32_t a, uint32_t b)
{
	return a < b ? (uint64_t)a << 32 | b : (uint64_t)b << 32 | a;
}

static size_t key_slot(const uint64_t *slot, size_t mask, uint64_t key)
{
	size_t j = bt_mix64(key) & mask;
	while (slot[j] && slot[j] != key)
		j = (j + 1) & mask;
	return j;
}

/* key into set t (doubled when half full). 0 or -1. */
static int insert(keyset *t, uint64_t key)
{
	if (t->slot == NULL || (t->n + 1) * 2 > t->mask + 1) {
		size_t cap = t->slot ? (t->mask + 1) * 2 : 1024;
		uint64_t *ns = calloc(cap, sizeof(*ns));
		if (ns == NULL)
			return -1;
		for (size_t k = 0; t->slot && k <= t->mask; k++)
			if (t->slot[k])
				ns[key_slot(ns, cap - 1, t->slot[k])] = t->slot[k];
		free(t->slot);
		t->slot = ns;
		t->mask = cap - 1;
	}
	size_t j = key_slot(t->slot, t->mask, key);
	if (t->slot[j] == 0) {
		t->slot[j] = key;
		t->n++;
	}
	return 0;
}

int bt_asrel_load_buffer(bt_asrel *t, const char *fname, const char *buf, size_t len, char *err,
			 size_t errlen)
{
	bt_lines lines;
	const char *s;
	size_t n, found = 0;
	bt_lines_init(&lines, buf, len);
	while (bt_lines_next(&lines, &s, &n)) {
		const char *why = "";
		uint32_t a, b;
		int rel;
		int r = bt_asrel_parse_line(s, n, &a, &b, &rel, &why);
		if (r < 0) {
			char sh[BT_SHOW_BUF];
			snprintf(err, errlen, "%s:%u: %s: '%s'", fname, lines.lineno, why, bt_show(sh, sizeof(sh), s, n));
			return -1;
		}
		if (r == 0)
			continue;
		if (insert(&t->pairs, pair_key(a, b)) != 0 || insert(&t->ases, a) != 0 || insert(&t->ases, b) != 0 ||
		    (rel == -1 && (insert(&t->pc, (uint64_t)a << 32 | b) != 0 || insert(&t->providers, a) != 0))) {
			snprintf(err, errlen, "%s:%u: out of memory", fname, lines.lineno);
			return -1;
		}
		found++;
	}
	if (found == 0) {
		snprintf(err, errlen, "%s: no AS relationship in the file (AS1|AS2|REL lines)", fname);
		return -1;
	}
	return 0;
}

int bt_asrel_load(bt_asrel *t, const char *path, char *err, size_t errlen)
{
	char *buf;
	size_t len;
	if (bt_textfile_read(path, &buf, &len, err, errlen) != 0)
		return -1;
	int r = bt_asrel_load_buffer(t, path, buf, len, err, errlen);
	free(buf);
	return r;
}

static bool has(const keyset *k, uint64_t key)
{
	return k->slot != NULL && k->slot[key_slot(k->slot, k->mask, key)] != 0;
}

bool bt_asrel_linked(const bt_asrel *t, uint32_t a, uint32_t b)
{
	return t != NULL && a != 0 && b != 0 && a != b && has(&t->pairs, pair_key(a, b));
}

bool bt_asrel_provides(const bt_asrel *t, uint32_t a, uint32_t b)
{
	return t != NULL && a != 0 && b != 0 && a != b && has(&t->pc, (uint64_t)a << 32 | b);
}

bool bt_asrel_stub(const bt_asrel *t, uint32_t a)
{
	return t != NULL && a != 0 && has(&t->ases, a) && !has(&t->providers, a);
}

size_t bt_asrel_count(const bt_asrel *t)
{
	return t->pairs.n;
}
