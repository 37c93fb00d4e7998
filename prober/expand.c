/* bordertrace — campaign target lists and exclusions (see
 * include/bordertrace/expand.h and doc/campaign.md). */
#include "bordertrace/expand.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "bordertrace/addrclass.h"
#include "bordertrace/hash.h"
#include "bordertrace/show.h"

/* The documented name of the /24 rule's hash (doc/campaign.md, tests):
 * the project's 32-bit mixer, so its values never change. */
uint32_t bt_expand_hash(uint32_t x)
{
	return bt_hash32(x);
}

uint32_t bt_expand_pick(uint32_t net, unsigned len, uint32_t seed)
{
	if (len <= 24) {
		uint32_t n24 = net & 0xffffff00u;
		return n24 + 1 + bt_expand_hash(n24 ^ seed) % 254;
	}
	uint32_t size = len >= 32 ? 1 : 1u << (32 - len);
	uint32_t h = bt_expand_hash(net ^ seed);
	if (size <= 2)
		return net + h % size;
	return net + 1 + h % (size - 2);
}

bt_u128 bt_u128_from_bytes(const uint8_t b[16])
{
	bt_u128 v = { 0, 0 };
	for (int i = 0; i < 8; i++) {
		v.hi = v.hi << 8 | b[i];
		v.lo = v.lo << 8 | b[8 + i];
	}
	return v;
}

void bt_u128_to_bytes(bt_u128 v, uint8_t b[16])
{
	for (int i = 7; i >= 0; i--) {
		b[i] = (uint8_t)v.hi;
		b[8 + i] = (uint8_t)v.lo;
		v.hi >>= 8;
		v.lo >>= 8;
	}
}

static int u128_cmp(bt_u128 a, bt_u128 b)
{
	if (a.hi != b.hi)
		return a.hi < b.hi ? -1 : 1;
	return a.lo < b.lo ? -1 : a.lo > b.lo;
}

/* The host part of a /len: all ones below the prefix. */
static bt_u128 u128_hostmask(unsigned len)
{
	bt_u128 m;
	m.hi = len >= 64 ? 0 : len == 0 ? UINT64_MAX : UINT64_MAX >> len;
	m.lo = len >= 128 ? 0 : len <= 64 ? UINT64_MAX : UINT64_MAX >> (len - 64);
	return m;
}

uint64_t bt_expand_hash6(bt_u128 net, uint32_t seed)
{
	return bt_mix64(bt_mix64(net.hi ^ seed) ^ net.lo);
}

bt_u128 bt_expand_pick6(bt_u128 net, unsigned len, uint32_t seed)
{
	if (len <= 64) {
		/* the /48 (or the prefix itself, /49../64) with interface id ::1 */
		if (len <= 48)
			net.hi &= ~(uint64_t)0xffff;
		net.lo = 1;
		return net;
	}
	if (len >= 127) {
		uint64_t size = len >= 128 ? 1 : 2;
		net.lo += bt_expand_hash6(net, seed) % size;
		return net;
	}
	uint64_t size = (uint64_t)1 << (128 - len); /* 4 .. 2^63 */
	net.lo += 1 + bt_expand_hash6(net, seed) % (size - 1);
	return net;
}

struct parse_ctx {
	bt_targets *t;
	bt_exclude *x;
	const char *name;
	uint32_t seed;
	uint32_t v6_max;
	char *err;
	size_t errlen;
};

/* Room for one more element in an array holding n of *cap: the array
 * (moved or not), or NULL when memory runs out (the old one kept). */
static void *reserve(void *p, size_t n, size_t *cap, size_t elem, size_t first)
{
	if (n < *cap)
		return p;
	size_t nc = *cap ? *cap * 2 : first;
	void *np = realloc(p, nc * elem);
	if (np != NULL)
		*cap = nc;
	return np;
}

static int grow(bt_targets *t)
{
	bt_addr *a = reserve(t->a, t->n, &t->cap, sizeof(*t->a), 256);
	if (a == NULL)
		return -1;
	t->a = a;
	return 0;
}

static int push(bt_targets *t, uint32_t v4)
{
	if (grow(t) != 0)
		return -1;
	bt_addr_from_v4(&t->a[t->n++], htonl(v4));
	return 0;
}

static int push6(bt_targets *t, bt_u128 v6)
{
	if (grow(t) != 0)
		return -1;
	bt_addr *a = &t->a[t->n++];
	memset(a, 0, sizeof(*a));
	a->family = AF_INET6;
	bt_u128_to_bytes(v6, a->bytes);
	return 0;
}

__attribute__((format(printf, 4, 5))) static int line_error(const struct parse_ctx *c, size_t lineno,
							    const char *tok, const char *fmt, ...)
{
	char why[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	char sh[BT_SHOW_BUF];
	snprintf(c->err, c->errlen, "%s:%zu: '%s': %s", c->name, lineno, bt_show_str(sh, sizeof(sh), tok), why);
	return -1;
}

/* The address or prefix on a line, with the refusals both kinds of list
 * share (junk, a zone id, a bad length); 0 or -1 (err set). */
static int parse_token(const struct parse_ctx *c, const char *tok, size_t lineno, bool strict,
		       bt_addr *a, unsigned *len)
{
	const char *why = "not an address or prefix";
	if (*tok == '\0')
		return line_error(c, lineno, tok, "%s", why);
	if (strchr(tok, '%') != NULL)
		return line_error(c, lineno, tok, "a zone id ('%%...') names a link, not a network: "
				  "a list takes global addresses");
	if (bt_prefix_parse(tok, strict, a, len, &why) != 0) {
		if (strcmp(why, "bad prefix length") == 0)
			why = "bad prefix length (IPv4 /0../32, IPv6 /0../128)";
		return line_error(c, lineno, tok, "%s", why);
	}
	return 0;
}

static int target_line4(struct parse_ctx *c, const char *tok, size_t lineno, uint32_t net, unsigned len)
{
	if (len < BT_EXPAND_MIN_PREFIX)
		return line_error(c, lineno, tok, "prefixes shorter than /%d are refused "
				  "(split it if you mean it)", BT_EXPAND_MIN_PREFIX);
	size_t count = len >= 24 ? 1 : (size_t)1 << (24 - len);
	if (c->t->n + count > BT_EXPAND_MAX_TARGETS)
		return line_error(c, lineno, tok, "more than %u targets in all", BT_EXPAND_MAX_TARGETS);
	for (size_t i = 0; i < count; i++) {
		uint32_t sub = len >= 24 ? net : net + ((uint32_t)i << 8);
		if (push(c->t, bt_expand_pick(sub, len, c->seed)) != 0) {
			snprintf(c->err, c->errlen, "%s:%zu: out of memory", c->name, lineno);
			return -1;
		}
	}
	return 0;
}

static int target_line6(struct parse_ctx *c, const char *tok, size_t lineno, const bt_addr *a,
			unsigned len)
{
	bt_addr v4;
	char buf[BT_ADDR_STRLEN];
	if (bt_addrclass_unmap(a, &v4))
		return line_error(c, lineno, tok, "an IPv4-mapped IPv6 address is never on the wire: "
				  "write the IPv4 address (%s)", bt_addr_format(&v4, buf, sizeof(buf)));
	if (len < BT_EXPAND_MIN_PREFIX6)
		return line_error(c, lineno, tok, "IPv6 prefixes shorter than /%d are refused "
				  "(split it if you mean it)", BT_EXPAND_MIN_PREFIX6);
	/* one per /48 up to /48; one for anything longer */
	uint64_t count = len >= 48 ? 1 : (uint64_t)1 << (48 - len);
	if (count > c->v6_max)
		return line_error(c, lineno, tok, "%llu targets (one per /48) is more than "
				  "v6_max_per_prefix = %u (raise it, or list the /48s you mean)",
				  (unsigned long long)count, c->v6_max);
	if (c->t->n + count > BT_EXPAND_MAX_TARGETS)
		return line_error(c, lineno, tok, "more than %u targets in all", BT_EXPAND_MAX_TARGETS);
	bt_u128 net = bt_u128_from_bytes(a->bytes);
	for (uint64_t i = 0; i < count; i++) {
		bt_u128 sub = net;
		sub.hi += i << 16; /* the i-th /48 */
		if (push6(c->t, bt_expand_pick6(sub, len, c->seed)) != 0) {
			snprintf(c->err, c->errlen, "%s:%zu: out of memory", c->name, lineno);
			return -1;
		}
	}
	return 0;
}

static int target_line(const char *tok, size_t lineno, void *arg)
{
	struct parse_ctx *c = arg;
	bt_addr a;
	unsigned len;
	if (parse_token(c, tok, lineno, true, &a, &len) != 0)
		return -1;
	if (a.family == AF_INET)
		return target_line4(c, tok, lineno, ntohl(bt_addr_v4(&a)), len);
	return target_line6(c, tok, lineno, &a, len);
}

int bt_expand_parse_capped(bt_targets *t, const char *buf, size_t len, const char *name,
			   uint32_t seed, uint32_t v6_max, char *err, size_t errlen)
{
	struct parse_ctx c = { .t = t, .name = name, .seed = seed, .v6_max = v6_max,
			       .err = err, .errlen = errlen };
	return bt_list_lines(buf, len, target_line, &c);
}

int bt_expand_parse(bt_targets *t, const char *buf, size_t len, const char *name,
		    uint32_t seed, char *err, size_t errlen)
{
	return bt_expand_parse_capped(t, buf, len, name, seed, BT_EXPAND_V6_MAX_PER_PREFIX, err, errlen);
}

void bt_exclude_init(bt_exclude *x)
{
	memset(x, 0, sizeof(*x));
}

void bt_exclude_free(bt_exclude *x)
{
	free(x->r);
	free(x->r6);
	memset(x, 0, sizeof(*x));
}

int bt_exclude_add(bt_exclude *x, uint32_t start, uint32_t end)
{
	uint32_t(*r)[2] = reserve(x->r, x->n, &x->cap, sizeof(*x->r), 64);
	if (r == NULL)
		return -1;
	x->r = r;
	x->r[x->n][0] = start;
	x->r[x->n][1] = end;
	x->n++;
	x->sorted = false;
	return 0;
}

int bt_exclude_add6(bt_exclude *x, bt_u128 start, bt_u128 end)
{
	bt_u128(*r)[2] = reserve(x->r6, x->n6, &x->cap6, sizeof(*x->r6), 64);
	if (r == NULL)
		return -1;
	x->r6 = r;
	x->r6[x->n6][0] = start;
	x->r6[x->n6][1] = end;
	x->n6++;
	x->sorted = false;
	return 0;
}

static int exclude_v4(struct parse_ctx *c, size_t lineno, uint32_t a, unsigned len)
{
	uint32_t mask = len == 0 ? 0 : 0xffffffffu << (32 - len);
	uint32_t net = a & mask;
	if (bt_exclude_add(c->x, net, net | ~mask) != 0) {
		snprintf(c->err, c->errlen, "%s:%zu: out of memory", c->name, lineno);
		return -1;
	}
	return 0;
}

static int exclude_line(const char *tok, size_t lineno, void *arg)
{
	struct parse_ctx *c = arg;
	bt_addr a, v4;
	unsigned len;
	if (parse_token(c, tok, lineno, false, &a, &len) != 0)
		return -1;
	if (a.family == AF_INET)
		return exclude_v4(c, lineno, ntohl(bt_addr_v4(&a)), len);
	/* ::ffff:a.b.c.d/96+n means the IPv4 a.b.c.d/n: err on the side of
	 * excluding (such an address is never a target itself) */
	if (len >= 96 && bt_addrclass_unmap(&a, &v4))
		return exclude_v4(c, lineno, ntohl(bt_addr_v4(&v4)), len - 96);
	bt_u128 net = bt_u128_from_bytes(a.bytes), host = u128_hostmask(len);
	bt_u128 end = { net.hi | host.hi, net.lo | host.lo };
	if (bt_exclude_add6(c->x, net, end) != 0) {
		snprintf(c->err, c->errlen, "%s:%zu: out of memory", c->name, lineno);
		return -1;
	}
	return 0;
}

int bt_exclude_parse(bt_exclude *x, const char *buf, size_t len, const char *name,
		     char *err, size_t errlen)
{
	struct parse_ctx c = { .x = x, .name = name, .err = err, .errlen = errlen };
	return bt_list_lines(buf, len, exclude_line, &c);
}

static int cmp_range(const void *a, const void *b)
{
	const uint32_t *x = a, *y = b;
	return x[0] < y[0] ? -1 : x[0] > y[0];
}

static int cmp_range6(const void *a, const void *b)
{
	const bt_u128 *x = a, *y = b;
	return u128_cmp(x[0], y[0]);
}

/* Sorts and merges overlapping or adjacent IPv6 ranges (careful at the top). */
static void finish6(bt_exclude *x)
{
	if (x->n6 > 1)
		qsort(x->r6, x->n6, sizeof(*x->r6), cmp_range6);
	size_t w = 0;
	for (size_t i = 0; i < x->n6; i++) {
		if (w > 0) {
			bt_u128 last = x->r6[w - 1][1], next = last;
			bool top = last.hi == UINT64_MAX && last.lo == UINT64_MAX;
			if (++next.lo == 0)
				next.hi++;
			if (top || u128_cmp(x->r6[i][0], next) <= 0) {
				if (u128_cmp(x->r6[i][1], last) > 0)
					x->r6[w - 1][1] = x->r6[i][1];
				continue;
			}
		}
		x->r6[w][0] = x->r6[i][0];
		x->r6[w][1] = x->r6[i][1];
		w++;
	}
	x->n6 = w;
}

void bt_exclude_finish(bt_exclude *x)
{
	if (x->n > 1)
		qsort(x->r, x->n, sizeof(*x->r), cmp_range);
	size_t w = 0;
	for (size_t i = 0; i < x->n; i++) {
		/* merge overlapping or adjacent ranges (careful at the top end) */
		if (w > 0 && (x->r[i][0] <= x->r[w - 1][1] || x->r[i][0] - 1 == x->r[w - 1][1])) {
			if (x->r[i][1] > x->r[w - 1][1])
				x->r[w - 1][1] = x->r[i][1];
			continue;
		}
		x->r[w][0] = x->r[i][0];
		x->r[w][1] = x->r[i][1];
		w++;
	}
	x->n = w;
	finish6(x);
	x->sorted = true;
}

bool bt_exclude_has(const bt_exclude *x, uint32_t a)
{
	size_t lo = 0, hi = x->n;
	while (lo < hi) { /* first range starting above a */
		size_t mid = lo + (hi - lo) / 2;
		if (x->r[mid][0] <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && a <= x->r[lo - 1][1];
}

bool bt_exclude_has6(const bt_exclude *x, bt_u128 a)
{
	size_t lo = 0, hi = x->n6;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (u128_cmp(x->r6[mid][0], a) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && u128_cmp(a, x->r6[lo - 1][1]) <= 0;
}

bool bt_exclude_has_addr(const bt_exclude *x, const bt_addr *a)
{
	if (a->family == AF_INET)
		return bt_exclude_has(x, ntohl(bt_addr_v4(a)));
	if (a->family == AF_INET6)
		return bt_exclude_has6(x, bt_u128_from_bytes(a->bytes));
	return false;
}

static int cmp_v4(const void *a, const void *b)
{
	uint32_t x = ((const uint32_t *)a)[0], y = ((const uint32_t *)b)[0];
	return x < y ? -1 : x > y;
}

/* Marks in dup every IPv4 target given before (dup has t->n places). */
static int mark_dup4(const bt_targets *t, unsigned char *dup)
{
	uint32_t(*k)[2] = malloc((t->n ? t->n : 1) * sizeof(*k));
	if (k == NULL)
		return -1;
	size_t m = 0;
	for (size_t i = 0; i < t->n; i++)
		if (t->a[i].family == AF_INET) {
			k[m][0] = ntohl(bt_addr_v4(&t->a[i]));
			k[m][1] = (uint32_t)i;
			m++;
		}
	/* qsort is not stable: order equal addresses by position after */
	qsort(k, m, sizeof(*k), cmp_v4);
	for (size_t i = 0; i < m;) {
		size_t j = i + 1;
		uint32_t first = k[i][1];
		while (j < m && k[j][0] == k[i][0]) {
			if (k[j][1] < first)
				first = k[j][1];
			j++;
		}
		for (size_t q = i; q < j; q++)
			if (k[q][1] != first)
				dup[k[q][1]] = 1;
		i = j;
	}
	free(k);
	return 0;
}

struct key6 {
	bt_u128 a;
	size_t pos;
};

static int cmp_key6(const void *a, const void *b)
{
	const struct key6 *x = a, *y = b;
	int c = u128_cmp(x->a, y->a);
	return c ? c : (x->pos > y->pos) - (x->pos < y->pos);
}

/* The same for IPv6: sorted by (address, position), the first of a run kept. */
static int mark_dup6(const bt_targets *t, unsigned char *dup)
{
	size_t m = 0;
	for (size_t i = 0; i < t->n; i++)
		m += t->a[i].family == AF_INET6;
	if (m < 2)
		return 0;
	struct key6 *k = malloc(m * sizeof(*k));
	if (k == NULL)
		return -1;
	m = 0;
	for (size_t i = 0; i < t->n; i++)
		if (t->a[i].family == AF_INET6)
			k[m++] = (struct key6){ bt_u128_from_bytes(t->a[i].bytes), i };
	qsort(k, m, sizeof(*k), cmp_key6);
	for (size_t i = 1; i < m; i++)
		if (u128_cmp(k[i].a, k[i - 1].a) == 0)
			dup[k[i].pos] = 1;
	free(k);
	return 0;
}

bool bt_expand_lab_ok(const bt_addr *a)
{
	const uint8_t *b = a->bytes;
	if (a->family == AF_INET)
		return (b[0] == 198 && (b[1] & 0xfe) == 18) ||            /* 198.18.0.0/15 */
		       (b[0] == 198 && b[1] == 51 && b[2] == 100) ||     /* 198.51.100.0/24 */
		       (b[0] == 203 && b[1] == 0 && b[2] == 113);        /* 203.0.113.0/24 */
	return a->family == AF_INET6 && b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d &&
	       b[3] == 0xb8;                                             /* 2001:db8::/32 */
}

void bt_expand_filter(bt_targets *t, const bt_exclude *x, bool lab, bt_filter_stats *st)
{
	memset(st, 0, sizeof(*st));
	/* Duplicates: per family, sort (address, position) pairs, mark later repeats. */
	unsigned char *dup = calloc(t->n ? t->n : 1, 1);
	if (dup != NULL && (mark_dup4(t, dup) != 0 || mark_dup6(t, dup) != 0)) {
		free(dup);
		dup = NULL;
	}
	size_t w = 0;
	for (size_t i = 0; i < t->n; i++) {
		const bt_addr *a = &t->a[i];
		bt_family_stats *f = a->family == AF_INET ? &st->v4 : a->family == AF_INET6 ? &st->v6 : NULL;
		if (f == NULL) { /* no address: never from a list */
			st->special++;
			continue;
		}
		f->listed++;
		if (dup != NULL && dup[i]) {
			f->duplicates++;
			continue;
		}
		bt_addrclass c = bt_addrclass_of(a, NULL, NULL, NULL);
		bool allowed = lab ? bt_expand_lab_ok(a) : c == BT_CLASS_PUBLIC;
		if (!allowed) {
			f->special++;
			f->by_class[c]++;
			continue;
		}
		if (x != NULL && bt_exclude_has_addr(x, a)) {
			f->excluded++;
			continue;
		}
		f->kept++;
		t->a[w++] = *a;
	}
	t->n = w;
	st->kept = w;
	st->special += st->v4.special + st->v6.special;
	st->excluded = st->v4.excluded + st->v6.excluded;
	st->duplicates = st->v4.duplicates + st->v6.duplicates;
	free(dup);
}

void bt_expand_shuffle(bt_targets *t, uint64_t seed)
{
	for (size_t i = t->n; i > 1; i--) {
		size_t j = (size_t)(bt_splitmix64(&seed) % i);
		bt_addr tmp = t->a[i - 1];
		t->a[i - 1] = t->a[j];
		t->a[j] = tmp;
	}
}
