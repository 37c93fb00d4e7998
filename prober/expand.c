/* bordertrace — campaign target lists and exclusions (see
 * include/bordertrace/expand.h and doc/campaign.md). */
#include "bordertrace/expand.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "bordertrace/addrclass.h"
#include "bordertrace/hash.h"

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

struct parse_ctx {
	bt_targets *t;
	bt_exclude *x;
	const char *name;
	uint32_t seed;
	char *err;
	size_t errlen;
};

static int push(bt_targets *t, uint32_t v4)
{
	if (t->n == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 256;
		bt_addr *na = realloc(t->a, nc * sizeof(*na));
		if (na == NULL)
			return -1;
		t->a = na;
		t->cap = nc;
	}
	bt_addr_from_v4(&t->a[t->n++], htonl(v4));
	return 0;
}

static int target_line(const char *tok, size_t lineno, void *arg)
{
	struct parse_ctx *c = arg;
	bt_addr a;
	unsigned len;
	const char *why = "not an address or prefix";
	if (*tok == '\0' || bt_prefix_parse(tok, true, &a, &len, &why) != 0) {
		snprintf(c->err, c->errlen, "%s:%zu: '%s': %s", c->name, lineno, tok, why);
		return -1;
	}
	if (a.family != AF_INET) {
		snprintf(c->err, c->errlen, "%s:%zu: '%s': only IPv4 targets are supported so far",
			 c->name, lineno, tok);
		return -1;
	}
	if (len < BT_EXPAND_MIN_PREFIX) {
		snprintf(c->err, c->errlen, "%s:%zu: '%s': prefixes shorter than /%d are refused "
			 "(split it if you mean it)", c->name, lineno, tok, BT_EXPAND_MIN_PREFIX);
		return -1;
	}
	uint32_t net = ntohl(bt_addr_v4(&a));
	size_t count = len >= 24 ? 1 : (size_t)1 << (24 - len);
	if (c->t->n + count > BT_EXPAND_MAX_TARGETS) {
		snprintf(c->err, c->errlen, "%s:%zu: '%s': more than %u targets in all", c->name, lineno,
			 tok, BT_EXPAND_MAX_TARGETS);
		return -1;
	}
	for (size_t i = 0; i < count; i++) {
		uint32_t sub = len >= 24 ? net : net + ((uint32_t)i << 8);
		if (push(c->t, bt_expand_pick(sub, len, c->seed)) != 0) {
			snprintf(c->err, c->errlen, "%s:%zu: out of memory", c->name, lineno);
			return -1;
		}
	}
	return 0;
}

int bt_expand_parse(bt_targets *t, const char *buf, size_t len, const char *name,
		    uint32_t seed, char *err, size_t errlen)
{
	struct parse_ctx c = { .t = t, .name = name, .seed = seed, .err = err, .errlen = errlen };
	return bt_list_lines(buf, len, target_line, &c);
}

void bt_exclude_init(bt_exclude *x)
{
	memset(x, 0, sizeof(*x));
}

void bt_exclude_free(bt_exclude *x)
{
	free(x->r);
	memset(x, 0, sizeof(*x));
}

int bt_exclude_add(bt_exclude *x, uint32_t start, uint32_t end)
{
	if (x->n == x->cap) {
		size_t nc = x->cap ? x->cap * 2 : 64;
		uint32_t(*nr)[2] = realloc(x->r, nc * sizeof(*nr));
		if (nr == NULL)
			return -1;
		x->r = nr;
		x->cap = nc;
	}
	x->r[x->n][0] = start;
	x->r[x->n][1] = end;
	x->n++;
	x->sorted = false;
	return 0;
}

static int exclude_line(const char *tok, size_t lineno, void *arg)
{
	struct parse_ctx *c = arg;
	bt_addr a;
	unsigned len;
	const char *why = "not an address or prefix";
	if (*tok == '\0' || bt_prefix_parse(tok, false, &a, &len, &why) != 0) {
		snprintf(c->err, c->errlen, "%s:%zu: '%s': %s", c->name, lineno, tok, why);
		return -1;
	}
	if (a.family != AF_INET)
		return 0; /* nothing IPv6 is probed yet; keep the line harmlessly */
	uint32_t mask = len == 0 ? 0 : 0xffffffffu << (32 - len);
	uint32_t net = ntohl(bt_addr_v4(&a)) & mask;
	if (bt_exclude_add(c->x, net, net | ~mask) != 0) {
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

static int cmp_v4(const void *a, const void *b)
{
	uint32_t x = ((const uint32_t *)a)[0], y = ((const uint32_t *)b)[0];
	return x < y ? -1 : x > y;
}

void bt_expand_filter(bt_targets *t, const bt_exclude *x, bool lab, bt_filter_stats *st)
{
	memset(st, 0, sizeof(*st));
	/* Duplicates: sort (address, position) pairs, mark later repeats. */
	uint32_t(*k)[2] = malloc((t->n ? t->n : 1) * sizeof(*k));
	unsigned char *dup = calloc(t->n ? t->n : 1, 1);
	if (k != NULL && dup != NULL) {
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
	}
	size_t w = 0;
	for (size_t i = 0; i < t->n; i++) {
		const bt_addr *a = &t->a[i];
		if (a->family != AF_INET) {
			st->not_ipv4++;
			continue;
		}
		if (dup != NULL && dup[i]) {
			st->duplicates++;
			continue;
		}
		bt_addrclass c = bt_addrclass_of(a, NULL, NULL, NULL);
		bool allowed = lab ? bt_addrclass_is_test_range(c) : c == BT_CLASS_PUBLIC;
		if (!allowed) {
			st->special++;
			continue;
		}
		if (x != NULL && bt_exclude_has(x, ntohl(bt_addr_v4(a)))) {
			st->excluded++;
			continue;
		}
		t->a[w++] = *a;
	}
	t->n = w;
	st->kept = w;
	free(k);
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
