/* bordertrace — the engine's IPv6 address table (see intern6.h). */
#include "intern6.h"

#include <string.h>

#include "bordertrace/hash.h"

static size_t home(const uint8_t *a, size_t mask)
{
	uint64_t hi, lo;
	memcpy(&hi, a, 8);
	memcpy(&lo, a + 8, 8);
	return (size_t)bt_mix64(hi ^ bt_mix64(lo)) & mask;
}

uint32_t bt_intern6_find(const bt_intern6 *t, const uint8_t *a)
{
	if (t->slots == NULL)
		return 0;
	for (size_t i = home(a, t->mask);; i = (i + 1) & t->mask) {
		uint32_t h = t->slots[i];
		if (h == 0 || memcmp(t->addr[h - 1], a, 16) == 0)
			return h;
	}
}

/* Doubles the address array and the slots (16 of each to begin with). */
static int grow(bt_intern6 *t, bt_acct *ac)
{
	uint32_t ncap = t->cap ? t->cap * 2 : 16;
	size_t nslots = (size_t)ncap * 2;
	uint8_t(*na)[16] = bt_acct_alloc(ac, (size_t)ncap * 16);
	uint32_t *ns = bt_acct_alloc(ac, nslots * sizeof(uint32_t));
	if (na == NULL || ns == NULL || ncap < t->cap) {
		bt_acct_free(ac, na, (size_t)ncap * 16);
		bt_acct_free(ac, ns, nslots * sizeof(uint32_t));
		return -1;
	}
	if (t->n)
		memcpy(na, t->addr, (size_t)t->n * 16);
	for (uint32_t h = 1; h <= t->n; h++) {
		size_t i = home(na[h - 1], nslots - 1);
		while (ns[i] != 0)
			i = (i + 1) & (nslots - 1);
		ns[i] = h;
	}
	bt_acct_free(ac, t->addr, (size_t)t->cap * 16);
	bt_acct_free(ac, t->slots, t->slots ? (t->mask + 1) * sizeof(uint32_t) : 0);
	t->addr = na;
	t->slots = ns;
	t->cap = ncap;
	t->mask = nslots - 1;
	return 0;
}

uint32_t bt_intern6_get(bt_intern6 *t, bt_acct *ac, const uint8_t *a)
{
	uint32_t h = bt_intern6_find(t, a);
	if (h != 0)
		return h;
	if (t->n == t->cap && grow(t, ac) != 0)
		return 0;
	memcpy(t->addr[t->n], a, 16);
	h = ++t->n;
	size_t i = home(a, t->mask);
	while (t->slots[i] != 0)
		i = (i + 1) & t->mask;
	t->slots[i] = h;
	return h;
}

void bt_intern6_free(bt_intern6 *t, bt_acct *ac)
{
	bt_acct_free(ac, t->addr, (size_t)t->cap * 16);
	if (t->slots)
		bt_acct_free(ac, t->slots, (t->mask + 1) * sizeof(uint32_t));
	memset(t, 0, sizeof(*t));
}
