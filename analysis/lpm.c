/* bordertrace — longest-prefix match over address ranges (see
 * include/bordertrace/lpm.h).
 *
 * Keys are 128-bit integers for both families (IPv4 in the low 32 bits), so
 * one sweep serves both. A lookup's cost is its memory loads, one after the
 * other (the resolver's cache misses land here, in tables of megabytes):
 * the index is sized to the table, about four intervals a bucket, and after
 * the sweep IPv4 interval starts are narrowed to 32 bits and paired with
 * their values, so that a bucket and the value found are one cache line:
 * index, line, done. */
#include "bordertrace/lpm.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>

__extension__ typedef unsigned __int128 u128;

/* Index bits: enough for about four intervals a bucket, at least 8 (a
 * small table's index stays in the L1 cache) and at most 16 (256 KiB). */
#define INDEX_BITS_MIN 8
#define INDEX_BITS_MAX 16

struct range {
	u128 first, last;
	uint32_t value;
};

struct fam {
	unsigned width;
	struct range *in; /* what was added, kept so build can run again */
	size_t n, cap;
	u128 *start;      /* disjoint intervals covering the whole space */
	uint32_t *val;
	size_t ni, icap;
	struct iv4 {      /* IPv4, after build: start narrowed, and value (start */
		uint32_t start, val; /* and val freed) */
	} *iv4;
	unsigned ibits;
	uint32_t *index;  /* last interval starting at or before each bucket */
};

struct bt_lpm {
	struct fam f[2]; /* [0] IPv4, [1] IPv6 */
	bool distinct;   /* equal adjacent values stay separate intervals */
	bool frozen;     /* the added ranges are gone: no more add/build */
	size_t count;    /* ranges added, kept across freeze */
};

static u128 key_of(const bt_addr *a)
{
	u128 k = 0;
	unsigned nb = a->family == AF_INET ? 4 : 16;
	for (unsigned i = 0; i < nb; i++)
		k = (k << 8) | a->bytes[i];
	return k;
}

static void addr_of(u128 k, int family, bt_addr *a)
{
	unsigned nb = family == AF_INET ? 4 : 16;
	memset(a, 0, sizeof(*a));
	a->family = (uint8_t)family;
	for (unsigned i = nb; i-- > 0;) {
		a->bytes[i] = (uint8_t)k;
		k >>= 8;
	}
}

static u128 max_key(unsigned width)
{
	return width == 128 ? ~(u128)0 : (((u128)1 << width) - 1);
}

static unsigned clz128(u128 x)
{
	uint64_t hi = (uint64_t)(x >> 64), lo = (uint64_t)x;
	if (hi)
		return (unsigned)__builtin_clzll(hi);
	if (lo)
		return 64 + (unsigned)__builtin_clzll(lo);
	return 128;
}

/* Leading bits x and y share within width. */
static unsigned cpl(u128 x, u128 y, unsigned width)
{
	unsigned c = clz128(x ^ y) - (128 - width);
	return c > width ? width : c;
}

/* Length of the largest prefix around key that stays inside [lo, hi]. */
static unsigned block_within(u128 key, u128 lo, u128 hi, unsigned width)
{
	unsigned k = 0;
	if (lo > 0) {
		unsigned c = cpl(key, lo - 1, width) + 1;
		if (c > k)
			k = c;
	}
	if (hi < max_key(width)) {
		unsigned c = cpl(key, hi + 1, width) + 1;
		if (c > k)
			k = c;
	}
	return k > width ? width : k;
}

void *bt_lpm_alloc_table(size_t size)
{
	const size_t huge = (size_t)2 << 20;
	if (size < huge) /* 128: a pair of cache lines, fetched together */
		return aligned_alloc(128, (size + 127) / 128 * 128);
	size = (size + huge - 1) / huge * huge;
	void *p = aligned_alloc(huge, size);
#if defined(MADV_HUGEPAGE) && !defined(NO_HP)
	if (p != NULL)
		madvise(p, size, MADV_HUGEPAGE); /* advice: no matter if refused */
#endif
	return p;
}

bt_lpm *bt_lpm_new(void)
{
	bt_lpm *t = calloc(1, sizeof(*t));
	if (t) {
		t->f[0].width = 32;
		t->f[1].width = 128;
	}
	return t;
}

void bt_lpm_free(bt_lpm *t)
{
	if (t == NULL)
		return;
	for (int i = 0; i < 2; i++) {
		free(t->f[i].in);
		free(t->f[i].start);
		free(t->f[i].iv4);
		free(t->f[i].val);
		free(t->f[i].index);
	}
	free(t);
}

static struct fam *fam_of(bt_lpm *t, int family)
{
	if (family == AF_INET)
		return &t->f[0];
	if (family == AF_INET6)
		return &t->f[1];
	return NULL;
}

int bt_lpm_add(bt_lpm *t, const bt_addr *first, const bt_addr *last, uint32_t value)
{
	struct fam *f = fam_of(t, first->family);
	if (f == NULL || t->frozen || first->family != last->family || value == BT_LPM_NONE)
		return -1;
	u128 a = key_of(first), b = key_of(last);
	if (a > b)
		return -1;
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 64;
		struct range *p = realloc(f->in, cap * sizeof(*p));
		if (p == NULL)
			return -1;
		f->in = p;
		f->cap = cap;
	}
	f->in[f->n].first = a;
	f->in[f->n].last = b;
	f->in[f->n].value = value;
	f->n++;
	t->count++;
	return 0;
}

int bt_lpm_add_prefix(bt_lpm *t, const bt_addr *p, unsigned len, uint32_t value)
{
	unsigned width = p->family == AF_INET ? 32 : 128;
	if (len > width)
		return -1;
	u128 k = key_of(p);
	u128 host = len == width ? 0 : (max_key(width) >> len);
	if (k & host)
		return -1;
	bt_addr last;
	addr_of(k | host, p->family, &last);
	return bt_lpm_add(t, p, &last, value);
}

static int cmp_range(const void *pa, const void *pb)
{
	const struct range *a = pa, *b = pb;
	if (a->first != b->first)
		return a->first < b->first ? -1 : 1;
	/* Enclosing ranges first, so a parent is on the stack before its children. */
	if (a->last != b->last)
		return a->last > b->last ? -1 : 1;
	return 0;
}

static int emit(struct fam *f, u128 lo, uint32_t v, bool distinct)
{
	if (f->ni > 0 && f->val[f->ni - 1] == v && (!distinct || v == BT_LPM_NONE))
		return 0; /* same answer continues */
	if (f->ni == f->icap) {
		size_t cap = f->icap ? f->icap * 2 : 64;
		u128 *s = realloc(f->start, cap * sizeof(*s));
		if (s == NULL)
			return -1;
		f->start = s;
		uint32_t *vv = realloc(f->val, cap * sizeof(*vv));
		if (vv == NULL)
			return -1;
		f->val = vv;
		f->icap = cap;
	}
	f->start[f->ni] = lo;
	f->val[f->ni] = v;
	f->ni++;
	return 0;
}

/* The bucket index over the sorted interval starts. */
static int build_index(struct fam *f)
{
	unsigned bits = INDEX_BITS_MIN;
	while (bits < INDEX_BITS_MAX && ((size_t)4 << bits) < f->ni)
		bits++;
	size_t size = (size_t)1 << bits;
	free(f->index);
	f->index = malloc((size + 1) * sizeof(*f->index));
	if (f->index == NULL)
		return -1;
	f->ibits = bits;
	size_t j = 0;
	for (size_t h = 0; h < size; h++) {
		u128 key = (u128)h << (f->width - bits);
		while (j + 1 < f->ni && f->start[j + 1] <= key)
			j++;
		f->index[h] = (uint32_t)j;
	}
	f->index[size] = (uint32_t)(f->ni - 1);
	return 0;
}

static bt_lpm_conflict build_fam(struct fam *f, bool distinct, uint32_t *ca, uint32_t *cb)
{
	u128 max = max_key(f->width);
	size_t *stack = NULL;
	size_t depth = 0;
	u128 pos = 0;
	bool done = false;

	f->ni = 0;
	if (f->n > 1) /* f->in is NULL when empty: qsort(NULL) is undefined */
		qsort(f->in, f->n, sizeof(*f->in), cmp_range);
	/* Nesting depth is bounded by the address width (+1 for duplicates
	 * caught below), but n bounds it too and is simpler to reason about. */
	stack = malloc((f->n + 1) * sizeof(*stack));
	if (stack == NULL)
		return BT_LPM_NOMEM;

	for (size_t i = 0; i < f->n; i++) {
		const struct range *e = &f->in[i];
		while (depth > 0 && f->in[stack[depth - 1]].last < e->first) {
			const struct range *top = &f->in[stack[--depth]];
			if (pos <= top->last && emit(f, pos, top->value, distinct))
				goto nomem;
			pos = top->last + 1;
		}
		if (depth > 0) {
			const struct range *top = &f->in[stack[depth - 1]];
			if (top->first == e->first && top->last == e->last) {
				*ca = top->value;
				*cb = e->value;
				free(stack);
				return BT_LPM_DUPLICATE;
			}
			if (e->last > top->last) {
				*ca = top->value;
				*cb = e->value;
				free(stack);
				return BT_LPM_OVERLAP;
			}
			if (pos < e->first && emit(f, pos, top->value, distinct))
				goto nomem;
		} else if (pos < e->first && emit(f, pos, BT_LPM_NONE, distinct)) {
			goto nomem;
		}
		stack[depth++] = i;
		pos = e->first;
	}
	while (depth > 0) {
		const struct range *top = &f->in[stack[--depth]];
		if (!done && pos <= top->last && emit(f, pos, top->value, distinct))
			goto nomem;
		if (top->last == max)
			done = true;
		else
			pos = top->last + 1;
	}
	if (!done && emit(f, pos, BT_LPM_NONE, distinct))
		goto nomem;
	free(stack);

	if (build_index(f) != 0)
		return BT_LPM_NOMEM;
	if (f->width == 32) {
		free(f->iv4); /* from an earlier build */
		if ((f->iv4 = bt_lpm_alloc_table(f->ni * sizeof(*f->iv4))) == NULL)
			return BT_LPM_NOMEM;
		for (size_t i = 0; i < f->ni; i++) {
			f->iv4[i].start = (uint32_t)f->start[i];
			f->iv4[i].val = f->val[i];
		}
		free(f->start);
		free(f->val);
		f->start = NULL;
		f->val = NULL;
		f->icap = 0; /* a later build starts its arrays afresh */
	}
	return BT_LPM_OK;
nomem:
	free(stack);
	return BT_LPM_NOMEM;
}

bt_lpm_conflict bt_lpm_build(bt_lpm *t, uint32_t *a, uint32_t *b)
{
	uint32_t dummy_a, dummy_b;
	if (a == NULL)
		a = &dummy_a;
	if (b == NULL)
		b = &dummy_b;
	if (t->frozen)
		return BT_LPM_NOMEM; /* nothing left to build from */
	for (int i = 0; i < 2; i++) {
		bt_lpm_conflict c = build_fam(&t->f[i], t->distinct, a, b);
		if (c != BT_LPM_OK)
			return c;
	}
	return BT_LPM_OK;
}

uint32_t bt_lpm_lookup(const bt_lpm *t, const bt_addr *addr, unsigned *block_len)
{
	const struct fam *f;
	if (addr->family == AF_INET)
		f = &t->f[0];
	else if (addr->family == AF_INET6)
		f = &t->f[1];
	else
		f = NULL;
	if (f == NULL || f->ni == 0 || f->index == NULL) {
		if (block_len)
			*block_len = 0;
		return BT_LPM_NONE;
	}
	if (f->iv4 != NULL) {
		uint32_t key = (uint32_t)addr->bytes[0] << 24 | (uint32_t)addr->bytes[1] << 16 |
			       (uint32_t)addr->bytes[2] << 8 | addr->bytes[3];
		uint32_t h = key >> (32 - f->ibits);
		const struct iv4 *base = &f->iv4[f->index[h]];
		size_t nb = f->index[h + 1] - f->index[h] + 1;
		/* A bucket may span two cache lines: fetch both at once rather
		 * than one after the other as the search reaches them. */
		__builtin_prefetch(base + nb - 1);
		/* The last interval of the bucket starting at or before key
		 * (base[0] does), without a branch on the comparisons, which
		 * the processor could not predict. */
		for (size_t n = nb; n > 1; n -= n / 2)
			base = base[n / 2].start <= key ? base + n / 2 : base;
		size_t lo = (size_t)(base - f->iv4);
		if (block_len) {
			u128 end = lo + 1 < f->ni ? (u128)base[1].start - 1 : max_key(32);
			*block_len = block_within(key, base->start, end, 32);
		}
		return base->val;
	}
	u128 key = key_of(addr);
	uint32_t h = (uint32_t)(key >> (f->width - f->ibits));
	size_t lo = f->index[h], hi = f->index[h + 1];
	/* Invariant: start[lo] <= key; find the last such interval. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo + 1) / 2;
		if (f->start[mid] <= key)
			lo = mid;
		else
			hi = mid - 1;
	}
	if (block_len) {
		u128 end = lo + 1 < f->ni ? f->start[lo + 1] - 1 : max_key(f->width);
		*block_len = block_within(key, f->start[lo], end, f->width);
	}
	return f->val[lo];
}

size_t bt_lpm_count(const bt_lpm *t)
{
	return t->count;
}

void bt_lpm_set_distinct(bt_lpm *t, bool distinct)
{
	t->distinct = distinct;
}

void bt_lpm_freeze(bt_lpm *t)
{
	for (int i = 0; i < 2; i++) {
		struct fam *f = &t->f[i];
		free(f->in);
		f->in = NULL;
		f->n = f->cap = 0;
		/* The interval arrays grew by doubling: give the slack back. */
		if (f->start != NULL && f->val != NULL && f->ni > 0 && f->ni < f->icap) {
			u128 *s = realloc(f->start, f->ni * sizeof(*s));
			uint32_t *v = realloc(f->val, f->ni * sizeof(*v));
			if (s)
				f->start = s;
			if (v)
				f->val = v;
			if (s && v)
				f->icap = f->ni;
		}
	}
	t->frozen = true;
}

void bt_lpm_prefix_within(const bt_addr *addr, const bt_addr *first,
			  const bt_addr *last, bt_addr *prefix, unsigned *len)
{
	unsigned width = addr->family == AF_INET ? 32 : 128;
	u128 key = key_of(addr);
	unsigned k = block_within(key, key_of(first), key_of(last), width);
	u128 host = k == width ? 0 : (max_key(width) >> k);
	addr_of(key & ~host, addr->family, prefix);
	*len = k;
}
