/* bordertrace — longest-prefix match over address ranges (see
 * include/bordertrace/lpm.h).
 *
 * Keys are 128-bit integers for both families (IPv4 in the low 32 bits), so
 * one sweep serves both. A lookup's cost is its memory loads, one after the
 * other (the resolver's cache misses land here, in tables of megabytes), so
 * after the sweep:
 *  - each interval start is stored next to its value (IPv4 narrowed to 32
 *    bits), so that the line where the search ends holds the answer;
 *  - the index over the leading bits is sized to the table (about four
 *    intervals a bucket), and a bucket still larger than SPLIT_BYTES gets an
 *    index of its own over the next 8 bits, and so on: addresses in use are
 *    far from uniform (IPv6 networks sit in 2001::/16, 2a00::/12 ...; some
 *    IPv4 /16s hold thousands of small networks), and a binary search over
 *    thousands of intervals is a dozen cache misses in a row.
 * So a lookup is the index (small, usually cached), a line or two of index
 * per split level, and the bucket's line. */
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
#define SPLIT_BYTES 512      /* a larger bucket gets an index of its own */
#define SPLIT_BITS 8         /* over this many more bits */
#define CHILD 0x80000000u    /* index entry: the offset of a bucket's index */

struct range {
	u128 first, last;
	uint32_t value;
	uint32_t seq;     /* order of adding (past 2^32 ranges ties are arbitrary) */
};

struct fam {
	unsigned width;
	struct range *in; /* what was added, kept so build can run again */
	size_t n, cap;
	u128 *start;      /* while building: disjoint intervals covering the */
	uint32_t *val;    /* whole space, and their values */
	size_t ni, icap;
	struct iv4 {      /* after build, IPv4 */
		uint32_t start, val;
	} *iv4;
	struct iv6 {      /* after build, IPv6 */
		uint64_t hi, lo;
		uint32_t val;
	} *iv6;
	unsigned ibits;
	uint32_t *index;  /* last interval starting at or before each bucket, */
	size_t nindex;    /* or CHILD | offset of the bucket's own index */
};

struct bt_lpm {
	struct fam f[2]; /* [0] IPv4, [1] IPv6 */
	bool distinct;   /* equal adjacent values stay separate intervals */
	bool frozen;     /* the added ranges are gone: no more add/build */
	size_t count;    /* ranges added, kept across freeze */
};

static inline uint64_t be64(const uint8_t *p) /* compiled to a load and a byte swap */
{
	return (uint64_t)p[0] << 56 | (uint64_t)p[1] << 48 | (uint64_t)p[2] << 40 |
	       (uint64_t)p[3] << 32 | (uint64_t)p[4] << 24 | (uint64_t)p[5] << 16 |
	       (uint64_t)p[6] << 8 | p[7];
}

static inline u128 key_of(const bt_addr *a)
{
	if (a->family == AF_INET)
		return (uint32_t)a->bytes[0] << 24 | (uint32_t)a->bytes[1] << 16 |
		       (uint32_t)a->bytes[2] << 8 | a->bytes[3];
	return (u128)be64(a->bytes) << 64 | be64(a->bytes + 8);
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

/* block_within for IPv4, in 32 bits (every cache miss of the resolver
 * computes two): next is the start of the next interval, 2^32 for none. */
static unsigned block_within4(uint32_t key, uint32_t lo, uint64_t next)
{
	/* key differs from lo - 1 and from next, so each has a leading 1 */
	unsigned a = lo > 0 ? (unsigned)__builtin_clz(key ^ (lo - 1)) + 1 : 0;
	unsigned b = next >> 32 ? 0 : (unsigned)__builtin_clz(key ^ (uint32_t)next) + 1;
	unsigned k = a > b ? a : b;
	return k > 32 ? 32 : k;
}

void *bt_lpm_alloc_table(size_t size)
{
	const size_t huge = (size_t)2 << 20;
	if (size < huge) /* 128: a pair of cache lines, fetched together */
		return aligned_alloc(128, (size + 127) / 128 * 128);
	size = (size + huge - 1) / huge * huge;
	void *p = aligned_alloc(huge, size);
#ifdef MADV_HUGEPAGE
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
		free(t->f[i].iv6);
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
	f->in[f->n].seq = (uint32_t)t->count;
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
	/* Enclosing ranges first, then the order of adding, so that of two
	 * equal ranges the one added later is the repeat. */
	if (a->last != b->last)
		return a->last > b->last ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* A binary heap of indices into f->in, ordered by `before`. */
struct heap {
	size_t *h, n;
	const struct range *in;
	bool (*before)(const struct range *, const struct range *);
};

static bool ends_first(const struct range *a, const struct range *b)
{
	return a->last < b->last;
}

/* The rule of bt_lpm_build_tolerant: the smaller range, then the later. */
static bool wins(const struct range *a, const struct range *b)
{
	u128 sa = a->last - a->first, sb = b->last - b->first;
	return sa != sb ? sa < sb : a->seq > b->seq;
}

static bool heap_less(const struct heap *q, size_t i, size_t j)
{
	return q->before(&q->in[q->h[i]], &q->in[q->h[j]]);
}

static void heap_swap(struct heap *q, size_t i, size_t j)
{
	size_t x = q->h[i];
	q->h[i] = q->h[j];
	q->h[j] = x;
}

/* (room for every range was allocated with the heap) */
static void heap_push(struct heap *q, size_t v)
{
	size_t i = q->n++;
	q->h[i] = v;
	for (; i > 0 && heap_less(q, i, (i - 1) / 2); i = (i - 1) / 2)
		heap_swap(q, i, (i - 1) / 2);
}

static void heap_pop(struct heap *q)
{
	q->h[0] = q->h[--q->n];
	for (size_t i = 0;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < q->n && heap_less(q, l, m))
			m = l;
		if (r < q->n && heap_less(q, r, m))
			m = r;
		if (m == i)
			break;
		heap_swap(q, i, m);
		i = m;
	}
}

static const struct range *heap_top(const struct heap *q)
{
	return q->n ? &q->in[q->h[0]] : NULL;
}

static int heap_init(struct heap *q, const struct fam *f,
		     bool (*before)(const struct range *, const struct range *))
{
	q->n = 0;
	q->in = f->in;
	q->before = before;
	q->h = malloc((f->n + 1) * sizeof(*q->h));
	return q->h == NULL ? -1 : 0;
}

/* How conflicts are handled: the first one refused (strict), or each
 * reported to fn. */
struct conflicts {
	bt_lpm_conflict_fn fn; /* NULL: strict */
	void *ctx;
	uint32_t a, b;         /* strict: the first conflict's values */
};

/* Finds the ranges (sorted) that repeat or partly overlap an earlier one.
 * A partial overlap of e is a range starting before it, reaching e's start
 * and ending before e's end: among the ranges still open at e's start, the
 * one ending first tells. */
static bt_lpm_conflict find_conflicts(const struct fam *f, struct conflicts *c)
{
	struct heap q;
	if (heap_init(&q, f, ends_first) != 0)
		return BT_LPM_NOMEM;
	bt_lpm_conflict kind = BT_LPM_OK;
	for (size_t i = 0; i < f->n; i++) {
		const struct range *e = &f->in[i], *other = NULL, *top;
		bt_lpm_conflict k = BT_LPM_OK;
		while ((top = heap_top(&q)) != NULL && top->last < e->first)
			heap_pop(&q);
		if (i > 0 && e->first == e[-1].first && e->last == e[-1].last) {
			other = &e[-1];
			k = BT_LPM_DUPLICATE;
		} else if (top != NULL && top->last < e->last) {
			other = top;
			k = BT_LPM_OVERLAP;
		}
		heap_push(&q, i);
		if (k == BT_LPM_OK)
			continue;
		if (c->fn == NULL || c->fn(c->ctx, k, other->value, e->value) != 0) {
			c->a = other->value;
			c->b = e->value;
			kind = c->fn == NULL ? k : BT_LPM_NOMEM;
			break;
		}
	}
	free(q.h);
	return kind;
}

static int emit(struct fam *f, u128 lo, uint32_t v, bool distinct)
{
	if (f->ni > 0 && f->start[f->ni - 1] == lo)
		f->ni--; /* a winner ended just where this range starts: replaced */
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

/* Appends an index of n + 1 entries; returns its offset, or SIZE_MAX. */
static size_t index_grow(struct fam *f, size_t n)
{
	uint32_t *p = realloc(f->index, (f->nindex + n + 1) * sizeof(*p));
	if (p == NULL || f->nindex + n + 1 >= CHILD)
		return SIZE_MAX;
	f->index = p;
	f->nindex += n + 1;
	return f->nindex - n - 1;
}

/* Fills the index at node: n buckets of 2^shift keys from base, the
 * intervals from lo (which starts at or before base) to hi; then splits
 * its buckets that are too large. */
static int index_node(struct fam *f, size_t node, size_t n, unsigned shift, u128 base,
		      size_t lo, size_t hi)
{
	size_t esize = f->width == 32 ? sizeof(struct iv4) : sizeof(struct iv6);
	for (size_t h = 0, j = lo; h < n; h++) {
		u128 key = base + ((u128)h << shift);
		while (j < hi && f->start[j + 1] <= key)
			j++;
		f->index[node + h] = (uint32_t)j;
	}
	f->index[node + n] = (uint32_t)hi;
	if (shift < SPLIT_BITS)
		return 0;
	for (size_t h = 0; h < n; h++) {
		/* (the next bucket is not split yet: its entry is plain) */
		size_t blo = f->index[node + h], bhi = f->index[node + h + 1];
		if ((bhi - blo + 1) * esize <= SPLIT_BYTES)
			continue;
		size_t child = index_grow(f, (size_t)1 << SPLIT_BITS);
		if (child == SIZE_MAX ||
		    index_node(f, child, (size_t)1 << SPLIT_BITS, shift - SPLIT_BITS,
			       base + ((u128)h << shift), blo, bhi) != 0)
			return -1;
		f->index[node + h] = CHILD | (uint32_t)child;
	}
	return 0;
}

/* The bucket index over the sorted interval starts. */
static int build_index(struct fam *f)
{
	unsigned bits = INDEX_BITS_MIN;
	while (bits < INDEX_BITS_MAX && ((size_t)4 << bits) < f->ni)
		bits++;
	free(f->index);
	f->index = NULL;
	f->nindex = 0;
	f->ibits = bits;
	if (f->ni >= CHILD || index_grow(f, (size_t)1 << bits) == SIZE_MAX)
		return -1;
	return index_node(f, 0, (size_t)1 << bits, f->width - bits, 0, 0, f->ni - 1);
}

/* The searchable form: each start next to its value. */
static int pair_up(struct fam *f)
{
	free(f->iv4); /* from an earlier build */
	free(f->iv6);
	f->iv4 = NULL;
	f->iv6 = NULL;
	if (f->width == 32) {
		if ((f->iv4 = bt_lpm_alloc_table(f->ni * sizeof(*f->iv4))) == NULL)
			return -1;
		for (size_t i = 0; i < f->ni; i++) {
			f->iv4[i].start = (uint32_t)f->start[i];
			f->iv4[i].val = f->val[i];
		}
	} else {
		if ((f->iv6 = bt_lpm_alloc_table(f->ni * sizeof(*f->iv6))) == NULL)
			return -1;
		for (size_t i = 0; i < f->ni; i++) {
			f->iv6[i].hi = (uint64_t)(f->start[i] >> 64);
			f->iv6[i].lo = (uint64_t)f->start[i];
			f->iv6[i].val = f->val[i];
		}
	}
	free(f->start);
	free(f->val);
	f->start = NULL;
	f->val = NULL;
	f->icap = 0; /* a later build starts its arrays afresh */
	return 0;
}

/* The sweep's state: the ranges open at the current address in a heap by
 * the rule, and the range the last interval emitted belongs to. */
struct sweep {
	struct fam *f;
	struct heap q;
	bool distinct;
	size_t cur; /* index into f->in, NO_RANGE or UNSET */
};

#define NO_RANGE SIZE_MAX
#define UNSET (SIZE_MAX - 1)

/* From at on, the winner is the heap's top: a new interval if it changed. */
static int sweep_set(struct sweep *w, u128 at)
{
	size_t top = w->q.n ? w->q.h[0] : NO_RANGE;
	if (top == w->cur)
		return 0;
	w->cur = top;
	return emit(w->f, at, top == NO_RANGE ? BT_LPM_NONE : w->f->in[top].value, w->distinct);
}

/* Closes the ranges that end before `before` (all of them when `all`),
 * each winner's end starting the next interval. */
static int sweep_close(struct sweep *w, u128 before, bool all)
{
	const struct range *top;
	while ((top = heap_top(&w->q)) != NULL && (all || top->last < before)) {
		u128 end = top->last;
		if (end == max_key(w->f->width))
			return 0; /* it wins to the end of the space */
		while ((top = heap_top(&w->q)) != NULL && top->last <= end)
			heap_pop(&w->q); /* (and the ranges that ended under it) */
		if (sweep_set(w, end + 1) != 0)
			return -1;
	}
	return 0;
}

/* The sorted ranges to disjoint intervals covering the space, each with the
 * value of the range that wins it (with no conflicts: the most specific).
 * A range's start or its end while it wins is where the answer changes;
 * ranges that ended while another won leave the heap when they reach its
 * top. */
static int sweep(struct fam *f, bool distinct)
{
	struct sweep w = { .f = f, .distinct = distinct, .cur = UNSET };
	if (heap_init(&w.q, f, wins) != 0)
		return -1;
	int rc = 0;
	if (f->n == 0 || f->in[0].first > 0)
		rc = sweep_set(&w, 0);
	for (size_t i = 0; i < f->n && rc == 0;) {
		u128 at = f->in[i].first;
		rc = sweep_close(&w, at, false);
		for (; i < f->n && f->in[i].first == at; i++)
			heap_push(&w.q, i);
		if (rc == 0)
			rc = sweep_set(&w, at);
	}
	if (rc == 0)
		rc = sweep_close(&w, 0, true);
	free(w.q.h);
	return rc;
}

static bt_lpm_conflict build_fam(struct fam *f, bool distinct, struct conflicts *c)
{
	f->ni = 0;
	if (f->n > 1) /* f->in is NULL when empty: qsort(NULL) is undefined */
		qsort(f->in, f->n, sizeof(*f->in), cmp_range);
	bt_lpm_conflict k = find_conflicts(f, c);
	if (k != BT_LPM_OK)
		return k;
	if (sweep(f, distinct) != 0)
		return BT_LPM_NOMEM;
	if (build_index(f) != 0 || pair_up(f) != 0) {
		free(f->index); /* half built: lookups find nothing rather than garbage */
		f->index = NULL;
		return BT_LPM_NOMEM;
	}
	return BT_LPM_OK;
}

static bt_lpm_conflict build(bt_lpm *t, struct conflicts *c)
{
	if (t->frozen)
		return BT_LPM_NOMEM; /* nothing left to build from */
	for (int i = 0; i < 2; i++) {
		bt_lpm_conflict k = build_fam(&t->f[i], t->distinct, c);
		if (k != BT_LPM_OK)
			return k;
	}
	return BT_LPM_OK;
}

bt_lpm_conflict bt_lpm_build(bt_lpm *t, uint32_t *a, uint32_t *b)
{
	struct conflicts c = { NULL, NULL, 0, 0 };
	bt_lpm_conflict k = build(t, &c);
	if (k == BT_LPM_DUPLICATE || k == BT_LPM_OVERLAP) {
		if (a)
			*a = c.a;
		if (b)
			*b = c.b;
	}
	return k;
}

static int ignore_conflict(void *ctx, bt_lpm_conflict kind, uint32_t other, uint32_t value)
{
	(void)ctx;
	(void)kind;
	(void)other;
	(void)value;
	return 0;
}

bt_lpm_conflict bt_lpm_build_tolerant(bt_lpm *t, bt_lpm_conflict_fn fn, void *ctx)
{
	struct conflicts c = { fn ? fn : ignore_conflict, ctx, 0, 0 };
	return build(t, &c);
}

/* The intervals that may hold key: from *lo, which starts at or before it,
 * to *hi. (Inlined, so that IPv4's key is known to fit 32 bits.) */
static inline __attribute__((always_inline)) void bucket(const struct fam *f, u128 key,
							  size_t *lo, size_t *hi)
{
	unsigned shift = f->width - f->ibits;
	const uint32_t *node = f->index;
	size_t h = (size_t)(key >> shift);
	while (node[h] & CHILD) {
		node = f->index + (node[h] & ~CHILD);
		shift -= SPLIT_BITS;
		h = (size_t)(key >> shift) & (((size_t)1 << SPLIT_BITS) - 1);
	}
	uint32_t next = node[h + 1];
	while (next & CHILD) /* a split bucket's own index starts with it */
		next = f->index[next & ~CHILD];
	*lo = node[h];
	*hi = next;
}

/* The searches below find the last interval of [lo, hi] starting at or
 * before key (lo does) without a branch on the comparisons, which the
 * processor could not predict; a bucket may span two cache lines, which
 * are fetched at once rather than one after the other. */
static size_t search4(const struct fam *f, uint32_t key, size_t lo, size_t hi)
{
	const struct iv4 *base = &f->iv4[lo];
	__builtin_prefetch(&f->iv4[hi]);
	for (size_t n = hi - lo + 1; n > 1; n -= n / 2)
		base = base[n / 2].start <= key ? base + n / 2 : base;
	return (size_t)(base - f->iv4);
}

static size_t search6(const struct fam *f, u128 key, size_t lo, size_t hi)
{
	const struct iv6 *base = &f->iv6[lo];
	uint64_t khi = (uint64_t)(key >> 64), klo = (uint64_t)key;
	__builtin_prefetch(&f->iv6[hi]);
	for (size_t n = hi - lo + 1; n > 1; n -= n / 2) {
		const struct iv6 *m = base + n / 2;
		base = (m->hi < khi) | ((m->hi == khi) & (m->lo <= klo)) ? m : base;
	}
	return (size_t)(base - f->iv6);
}

static u128 start6(const struct iv6 *e)
{
	return (u128)e->hi << 64 | e->lo;
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
	size_t lo, hi, i;
	if (f->iv4 != NULL) {
		uint32_t k4 = (uint32_t)key_of(addr);
		bucket(f, k4, &lo, &hi);
		i = search4(f, k4, lo, hi);
		if (block_len)
			*block_len = block_within4(k4, f->iv4[i].start,
						   i + 1 < f->ni ? f->iv4[i + 1].start : UINT64_C(1) << 32);
		return f->iv4[i].val;
	}
	u128 key = key_of(addr);
	bucket(f, key, &lo, &hi);
	i = search6(f, key, lo, hi);
	if (block_len) {
		u128 end = i + 1 < f->ni ? start6(&f->iv6[i + 1]) - 1 : max_key(128);
		*block_len = block_within(key, start6(&f->iv6[i]), end, 128);
	}
	return f->iv6[i].val;
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
