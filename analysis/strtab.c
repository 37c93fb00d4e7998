/* bordertrace — string interning (see include/bordertrace/strtab.h).
 * Open addressing over FNV-1a hashes; strings live in one growing arena of
 * offsets so that ids stay valid when it moves. */
#include "bordertrace/strtab.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct bt_strtab {
	char *arena;
	size_t alen, acap;
	uint32_t *off;   /* id -> offset in arena */
	uint32_t *hash;  /* id -> hash */
	size_t n, cap;
	uint32_t *slots; /* id + 1, 0 = empty */
	size_t smask;
};

static uint32_t fnv(const char *s, size_t len)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++) {
		h ^= (uint8_t)s[i];
		h *= 16777619u;
	}
	return h;
}

bt_strtab *bt_strtab_new(void)
{
	bt_strtab *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->smask = 255;
	t->slots = calloc(t->smask + 1, sizeof(uint32_t));
	if (t->slots == NULL) {
		free(t);
		return NULL;
	}
	return t;
}

void bt_strtab_free(bt_strtab *t)
{
	if (t == NULL)
		return;
	free(t->arena);
	free(t->off);
	free(t->hash);
	free(t->slots);
	free(t);
}

static bool str_eq(const bt_strtab *t, uint32_t id, const char *s, size_t len)
{
	const char *a = t->arena + t->off[id];
	return memcmp(a, s, len) == 0 && a[len] == '\0';
}

static uint32_t lookup(const bt_strtab *t, const char *s, size_t len, uint32_t h, size_t *slot)
{
	for (size_t i = h & t->smask;; i = (i + 1) & t->smask) {
		uint32_t v = t->slots[i];
		if (v == 0) {
			*slot = i;
			return UINT32_MAX;
		}
		if (t->hash[v - 1] == h && str_eq(t, v - 1, s, len))
			return v - 1;
	}
}

static int grow_slots(bt_strtab *t)
{
	size_t ncap = (t->smask + 1) * 2;
	uint32_t *ns = calloc(ncap, sizeof(uint32_t));
	if (ns == NULL)
		return -1;
	for (size_t id = 0; id < t->n; id++) {
		size_t i = t->hash[id] & (ncap - 1);
		while (ns[i])
			i = (i + 1) & (ncap - 1);
		ns[i] = (uint32_t)id + 1;
	}
	free(t->slots);
	t->slots = ns;
	t->smask = ncap - 1;
	return 0;
}

uint32_t bt_strtab_find(const bt_strtab *t, const char *s, size_t len)
{
	size_t slot;
	return lookup(t, s, len, fnv(s, len), &slot);
}

uint32_t bt_strtab_intern(bt_strtab *t, const char *s, size_t len)
{
	uint32_t h = fnv(s, len);
	size_t slot;
	uint32_t id = lookup(t, s, len, h, &slot);
	if (id != UINT32_MAX)
		return id;
	if (t->n == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 256;
		uint32_t *no = realloc(t->off, nc * sizeof(uint32_t));
		if (no == NULL)
			return UINT32_MAX;
		t->off = no;
		uint32_t *nh = realloc(t->hash, nc * sizeof(uint32_t));
		if (nh == NULL)
			return UINT32_MAX;
		t->hash = nh;
		t->cap = nc;
	}
	if (t->alen + len + 1 > t->acap) {
		size_t nc = t->acap ? t->acap : 4096;
		while (nc < t->alen + len + 1)
			nc *= 2;
		if (nc > UINT32_MAX)
			return UINT32_MAX;
		char *na = realloc(t->arena, nc);
		if (na == NULL)
			return UINT32_MAX;
		t->arena = na;
		t->acap = nc;
	}
	memcpy(t->arena + t->alen, s, len);
	t->arena[t->alen + len] = '\0';
	id = (uint32_t)t->n;
	t->off[id] = (uint32_t)t->alen;
	t->hash[id] = h;
	t->alen += len + 1;
	t->n++;
	t->slots[slot] = id + 1;
	if (t->n * 2 > t->smask + 1 && grow_slots(t) != 0)
		return UINT32_MAX; /* the string is in; only the table could not grow */
	return id;
}

const char *bt_strtab_get(const bt_strtab *t, uint32_t id)
{
	return id < t->n ? t->arena + t->off[id] : NULL;
}

size_t bt_strtab_count(const bt_strtab *t)
{
	return t->n;
}
