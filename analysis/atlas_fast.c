/* bordertrace — a RIPE Atlas hop list straight into entries (see
 * atlas_fast.h). Every function returns 1 when it read what it vouches
 * for, 0 when it does not (the mapper decides), -1 out of memory. */
#include "atlas_fast.h"

#include <string.h>
#include <sys/socket.h>

/* Whether the n bytes at s are the literal k: a byte at a time, in line
 * (gcc calls memcmp even for three bytes). */
#define KEY(s, n, k) ((n) == sizeof(k) - 1 && same_lit((s), k, sizeof(k) - 1))

static inline bool same_lit(const char *s, const char *k, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != k[i])
			return false;
	return true;
}

enum { F_FROM = 1, F_RTT = 2, F_TTL = 4, F_SIZE = 8, F_X = 16 };

/* The members of one element (past its '{'), as the mapper reads them. */
typedef struct elem {
	unsigned have;
	const char *from;
	uint32_t from_len;
	jv rtt, ttl, size;
} elem;

/* c at *p (after blanks); advances past it. */
static inline __attribute__((always_inline)) bool expect(const char **p, const char *end, char c)
{
	const char *q = *p;
	if (q < end && *q != c)
		q = jv_ws(q, end);
	if (q >= end || *q != c)
		return false;
	*p = q + 1;
	return true;
}

/* The key at *p as one of F_*, 0 for another; the ':' after it read. */
static inline unsigned key(const char **p, const char *end)
{
	const char *k;
	uint32_t n;
	if (!jv_str_at(p, end, &k, &n) || !expect(p, end, ':'))
		return 0;
	switch (n) {
	case 1: return k[0] == 'x' ? F_X : 0;
	case 3: return same_lit(k, "rtt", 3) ? F_RTT : same_lit(k, "ttl", 3) ? F_TTL : 0;
	case 4: return same_lit(k, "from", 4) ? F_FROM : same_lit(k, "size", 4) ? F_SIZE : 0;
	default: return 0;
	}
}

static inline int member(elem *e, const char **p, const char *end)
{
	const char *s;
	uint32_t sl;
	unsigned bit = key(p, end);
	if (bit == 0 || (e->have & bit))
		return 0; /* another member, or a key twice (jansson's error) */
	e->have |= bit;
	*p = jv_ws(*p, end);
	switch (bit) {
	case F_FROM: return jv_str_at(p, end, &e->from, &e->from_len);
	case F_X: return jv_str_at(p, end, &s, &sl);
	case F_RTT: return jv_num_short(p, end, &e->rtt);
	case F_TTL: return jv_num_short(p, end, &e->ttl) && e->ttl.kind == JV_INT;
	default: return jv_num_short(p, end, &e->size) && e->size.kind == JV_INT;
	}
}

/* Room for one more entry in t; false past BT_HOPS_MAX. */
static bool grow(bt_trace *t)
{
	size_t want = t->hop_cap < 16 ? 32 : t->hop_cap * 2 < BT_HOPS_MAX ? t->hop_cap * 2 : BT_HOPS_MAX;
	return t->hop_count < BT_HOPS_MAX && (t->hop_count < t->hop_cap || bt_trace_reserve(t, want) == 0);
}

/* A new entry at the end of t's hops (zeroed); NULL past BT_HOPS_MAX. In
 * line but for growing (a call per reply cost 2% of `diff`). */
static inline bt_hop *entry(bt_trace *t, int ttl, int attempt)
{
	if (__builtin_expect(t->hop_count >= t->hop_cap || t->hop_count >= BT_HOPS_MAX, 0) && !grow(t))
		return NULL;
	bt_hop *h = &t->hops[t->hop_count++];
	h->addr = (bt_addr){ 0 }; /* a timeout, in a trace the light read fills again */
	h->probe_ttl = (uint8_t)ttl;
	h->attempt = (uint8_t)(attempt > 255 ? 255 : attempt);
	return h;
}

/* Whether a[0, n) and b[0, n) hold the same bytes: eight at a time, in
 * line (memcmp of a length unknown when compiling is a call, for a text
 * of about 12 bytes). */
static inline bool same_text(const char *a, const char *b, uint32_t n)
{
	uint64_t x, y;
	if (n < 8) {
		for (uint32_t i = 0; i < n; i++)
			if (a[i] != b[i])
				return false;
		return true;
	}
	/* the words before the last, then the last eight bytes (which may
	 * overlap them): no byte-by-byte tail */
	for (uint32_t i = 0; i + 8 < n; i += 8) {
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		if (x != y)
			return false;
	}
	memcpy(&x, a + n - 8, 8);
	memcpy(&y, b + n - 8, 8);
	return x == y;
}

/* A dotted quad as Atlas writes it (four parts of 1 to 3 digits up to
 * 255, no leading zero) into *a, in line: true. False for any other text,
 * which bt_addr_parse reads (IPv6, or refuses). */
static inline bool quad(const char *s, uint32_t n, bt_addr *a)
{
	const char *e = s + n;
	uint8_t b[4];
	for (int k = 0; k < 4; k++) {
		unsigned v = 0, d = 0;
		for (; s < e && *s >= '0' && *s <= '9' && d < 4; s++, d++)
			v = v * 10 + (unsigned)(*s - '0');
		if (d == 0 || d > 3 || v > 255 || (d > 1 && s[-(int)d] == '0'))
			return false;
		b[k] = (uint8_t)v;
		if (k < 3 && (s >= e || *s++ != '.'))
			return false;
	}
	if (s != e)
		return false;
	memset(a, 0, sizeof(*a));
	a->family = AF_INET;
	memcpy(a->bytes, b, 4);
	return true;
}

/* The n (1 to 16) bytes of text at s as two words, zeros past them (16
 * bytes readable at s). */
static inline void text_words(const char *s, uint32_t n, uint64_t w[2])
{
	memcpy(w, s, 16);
	if (n < 8) {
		w[0] &= (UINT64_C(1) << (8 * n)) - 1;
		w[1] = 0;
	} else if (n < 16) {
		w[1] &= (UINT64_C(1) << (8 * (n - 8))) - 1;
	}
}

/* The address of a "from" (end: where the text ends): the last one's for
 * a run of equal texts, then f->froms', else parsed; in line in both
 * element readers (a call per reply costs more than it). */
static inline __attribute__((always_inline)) bool from_addr(atlas_fast *f, const elem *e, bt_addr *a,
							    const char *end)
{
	if (f->from_s != NULL && e->from_len == f->from_len && same_text(e->from, f->from_s, e->from_len)) {
		*a = f->from;
		return true;
	}
	uint64_t w[2];
	size_t k = 0;
	bool cached = false;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (f->froms != NULL && e->from_len >= 1 && e->from_len <= 16 && end - e->from >= 16) {
		text_words(e->from, e->from_len, w);
		k = (size_t)((w[0] * UINT64_C(0x9e3779b97f4a7c15) ^ w[1] * UINT64_C(0xc2b2ae3d27d4eb4f)) >> 52) &
		    (ATLAS_FROMS - 1);
		cached = true;
		if (f->froms->s[k].len == e->from_len && f->froms->s[k].w[0] == w[0] && f->froms->s[k].w[1] == w[1]) {
			*a = f->froms->s[k].a;
			goto found;
		}
	}
#else
	(void)end;
#endif
	char buf[64];
	if (!quad(e->from, e->from_len, a)) {
		if (e->from_len >= sizeof(buf))
			return false;
		memcpy(buf, e->from, e->from_len);
		buf[e->from_len] = '\0';
		if (bt_addr_parse(buf, a) != 0)
			return false;
	}
	if (cached) {
		f->froms->s[k].w[0] = w[0];
		f->froms->s[k].w[1] = w[1];
		f->froms->s[k].a = *a;
		f->froms->s[k].len = (uint8_t)e->from_len;
	}
found:
	f->from_s = e->from;
	f->from_len = e->from_len;
	f->from = *a;
	return true;
}

/* Byte i of the literal k as it sits in a little-endian word (0 past its
 * end): constant when compiling, as LIT_WORD of it. */
#define LIT_BYTE(k, i) \
	((i) < sizeof(k) - 1 ? (uint64_t)(unsigned char)(k)[(i) < sizeof(k) - 1 ? (i) : 0] << (8 * (i)) : 0)
#define LIT_WORD(k) (LIT_BYTE(k, 0) | LIT_BYTE(k, 1) | LIT_BYTE(k, 2) | LIT_BYTE(k, 3) | \
		     LIT_BYTE(k, 4) | LIT_BYTE(k, 5) | LIT_BYTE(k, 6) | LIT_BYTE(k, 7))
/* The string literal k (at most 8 bytes) at *p: lit() with its word. */
#define LIT(p, end, k) lit((p), (end), (k), sizeof(k) - 1, LIT_WORD(k))

/* The literal k[0, n) (n <= 8; y: its bytes as a word, LIT) at *p: true
 * and *p past it. One 8-byte load and compare where eight bytes are left.
 * y comes in as a constant: built here from k (memcpy, or a loop), gcc
 * stored it on the stack in parts, and the load of those parts waited for
 * them (no store forwarding), at every literal. */
static inline bool lit(const char **p, const char *end, const char *k, size_t n, uint64_t y)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if ((size_t)(end - *p) >= 8) {
		uint64_t x, mask = n >= 8 ? ~UINT64_C(0) : (UINT64_C(1) << (8 * n)) - 1;
		memcpy(&x, *p, 8);
		if ((x & mask) != y)
			return false;
	} else
#else
	(void)y;
#endif
	if ((size_t)(end - *p) < n || !same_lit(*p, k, n)) {
		return false;
	}
	*p += n;
	return true;
}

/* An element as Atlas writes it, without blanks, its keys in its order:
 * {"x":"*"} or {"from":...,"rtt":...[,"size":...][,"ttl":...]}. 1, or 0
 * for any other text (then read member by member). */
static inline int read_compact(elem *e, const char **p, const char *end)
{
	const char *s;
	uint32_t n;
	if (LIT(p, end, "{\"x\":")) {
		e->have = F_X;
		return jv_str_at(p, end, &s, &n) && LIT(p, end, "}");
	}
	if (!LIT(p, end, "{\"from\":") || !jv_str_at(p, end, &e->from, &e->from_len) ||
	    !LIT(p, end, ",\"rtt\":") || !jv_num_short(p, end, &e->rtt))
		return 0;
	e->have = F_FROM | F_RTT;
	if (LIT(p, end, ",\"size\":")) {
		if (!jv_num_short(p, end, &e->size) || e->size.kind != JV_INT)
			return 0;
		e->have |= F_SIZE;
	}
	if (LIT(p, end, ",\"ttl\":")) {
		if (!jv_num_short(p, end, &e->ttl) || e->ttl.kind != JV_INT)
			return 0;
		e->have |= F_TTL;
	}
	return LIT(p, end, "}");
}

/* An element's members, in any order and spacing. */
static int read_members(elem *e, const char **p, const char *end)
{
	if (!expect(p, end, '{'))
		return 0;
	for (;;) {
		*p = jv_ws(*p, end);
		if (!member(e, p, end))
			return 0;
		if (expect(p, end, ','))
			continue;
		return expect(p, end, '}');
	}
}

/* One element of a hop's list into an entry: a reply or a timeout. */
static int element(atlas_fast *f, int ttl, int *att, const char **p, const char *end)
{
	elem e; /* read where have says (zeroing it whole cost more than the rest) */
	const char *at = *p;
	e.have = 0;
	e.ttl.u.i = e.size.u.i = 0; /* for gcc, which cannot tell */
	if (!read_compact(&e, p, end)) {
		e.have = 0;
		*p = at;
		if (!read_members(&e, p, end))
			return 0;
	}
	(*att)++;
	bt_trace *t = f->t;
	if (e.have == F_X) {
		t->probes_sent++;
		return entry(t, ttl, *att) != NULL;
	}
	/* a reply: an RTT in range, the TTL and size in range if there */
	bt_addr a;
	if ((e.have & (F_FROM | F_RTT | F_X)) != (F_FROM | F_RTT))
		return 0;
	double rtt = e.rtt.kind == JV_INT ? (double)e.rtt.u.i : e.rtt.u.d;
	if (!(rtt >= 0 && rtt < 4294967.0) ||
	    ((e.have & F_TTL) && (e.ttl.u.i < 0 || e.ttl.u.i > 255)) ||
	    ((e.have & F_SIZE) && (e.size.u.i < 0 || e.size.u.i > 65535)) || !from_addr(f, &e, &a, end))
		return 0;
	bt_hop *h = entry(t, ttl, *att);
	if (h == NULL)
		return 0;
	t->probes_sent++;
	h->addr = a;
	h->rtt_us = (uint32_t)(rtt * 1000.0 + 0.5);
	if (e.have & F_TTL)
		h->reply_ttl = (uint8_t)e.ttl.u.i;
	if (e.have & F_SIZE)
		h->reply_size = (uint16_t)e.size.u.i;
	return 1;
}

/* Digits of a JSON integer that any reader takes (1 to 9 digits, no
 * leading zero), passed over: true. */
static inline bool small_int(const char **p, const char *end)
{
	const char *q = *p, *d = q;
	while (q < end && *q >= '0' && *q <= '9' && q - d < 10)
		q++;
	if (q == d || q - d > 9 || (*d == '0' && q - d > 1))
		return false;
	*p = q;
	return true;
}

/* An RTT the mapper takes, checked without making it a number: a JSON
 * number without sign or exponent, at most 15 digits (jv_num_short's: no
 * rounding up to the bound), below 4294967 ms. */
static inline bool rtt_in_range(const char **p, const char *end)
{
	const char *q = *p, *d = q;
	uint32_t v = 0;
	while (q < end && *q >= '0' && *q <= '9' && q - d < 8)
		v = v * 10 + (uint32_t)(*q++ - '0');
	long nd = q - d, nf = 0;
	if (nd == 0 || nd > 7 || (*d == '0' && nd > 1) || v >= 4294967)
		return false;
	if (q < end && *q == '.') {
		const char *f = ++q;
		while (q < end && *q >= '0' && *q <= '9')
			q++;
		nf = q - f;
		if (nf == 0 || nd + nf > 15)
			return false;
	}
	if (q < end && (*q == 'e' || *q == 'E'))
		return false;
	*p = q;
	return true;
}

/* The light read's element in read_compact's form: the address, the RTT
 * checked, the size and TTL passed over. 1 and *p past it; 0 (*p and *att
 * untouched) for anything else, which element() reads. */
static inline int light_element(atlas_fast *f, int ttl, int *att, const char **p, const char *end)
{
	const char *q = *p, *s;
	uint32_t n;
	elem e; /* from and from_len only */
	bt_addr a = { 0 };
	/* a reply (the most), or a timeout as Atlas writes it */
	if (LIT(&q, end, "{\"from\":")) {
		if (!jv_str_at(&q, end, &e.from, &e.from_len) || !LIT(&q, end, ",\"rtt\":") || !rtt_in_range(&q, end) ||
		    (LIT(&q, end, ",\"size\":") && !small_int(&q, end)) ||
		    (LIT(&q, end, ",\"ttl\":") && !small_int(&q, end)) || !LIT(&q, end, "}") ||
		    !from_addr(f, &e, &a, end))
			return 0;
	} else if (!(LIT(&q, end, "{\"x\":\"*\"") && LIT(&q, end, "}"))) {
		q = *p; /* from the element's start again: {"x":"*" may have matched */
		if (!LIT(&q, end, "{\"x\":") || !jv_str_at(&q, end, &s, &n) || !LIT(&q, end, "}"))
			return 0;
	}
	bt_hop *h = entry(f->t, ttl, *att + 1);
	if (h == NULL)
		return 0;
	h->addr = a;
	(*att)++;
	*p = q;
	return 1;
}

/* One hop: {"hop":N,"result":[...]}, N the TTL after the last. */
static int hop(atlas_fast *f, const char **p, const char *end)
{
	const char *k, *q = *p;
	uint32_t n;
	jv ttl;
	/* as Atlas writes it, {"hop":N,"result":[ matched by its literals;
	 * other spacing and forms key by key */
	if (!(LIT(&q, end, "{\"hop\":") && jv_num_short(&q, end, &ttl) && LIT(&q, end, ",\"result") &&
	      LIT(&q, end, "\":["))) {
		q = *p;
		if (!expect(&q, end, '{'))
			return 0;
		q = jv_ws(q, end);
		if (!jv_str_at(&q, end, &k, &n) || !KEY(k, n, "hop") || !expect(&q, end, ':'))
			return 0;
		q = jv_ws(q, end);
		if (!jv_num_short(&q, end, &ttl) || !expect(&q, end, ','))
			return 0;
		q = jv_ws(q, end);
		if (!jv_str_at(&q, end, &k, &n) || !KEY(k, n, "result") || !expect(&q, end, ':') ||
		    !expect(&q, end, '['))
			return 0;
	}
	if (ttl.kind != JV_INT || ttl.u.i < 1 || ttl.u.i > 255 || (f->last_ttl > 0 && ttl.u.i != f->last_ttl + 1))
		return 0; /* a TTL skipped or repeated, hop 255 after silence: the mapper */
	if (f->last_ttl == 0)
		f->t->first_ttl = (uint8_t)ttl.u.i;
	f->last_ttl = (int)ttl.u.i;
	int att = 0;
	do {
		if (!(f->light && light_element(f, (int)ttl.u.i, &att, &q, end)) &&
		    element(f, (int)ttl.u.i, &att, &q, end) != 1)
			return 0;
	} while (expect(&q, end, ','));
	*p = q;
	return expect(p, end, ']') && expect(p, end, '}');
}

int atlas_fast_hook(void *ctx, const char *key, uint32_t keylen, const char **p, const char *end, jv *node)
{
	atlas_fast *f = ctx;
	if (!KEY(key, keylen, "result"))
		return JV_HOOK_PASS;
	if (f->taken || !expect(p, end, '['))
		return 0;
	f->taken = true;
	node->kind = JV_ARR;
	if (expect(p, end, ']'))
		return JV_HOOK_TAKEN;
	do {
		if (hop(f, p, end) != 1)
			return 0;
	} while (expect(p, end, ','));
	return expect(p, end, ']') ? JV_HOOK_TAKEN : 0;
}

/* ==== the light read, for the interface graph's pass ==== */

/* The members of the top level the mapper can skip a result for (a bit
 * each: one met twice is not vouched for). */
enum { H_RESULT = 1, H_TYPE = 2, H_FW = 4, H_PRB = 8, H_MSM = 16, H_TS = 32, H_DST = 64, H_PROTO = 128,
       H_PARIS = 256 };
#define H_NEEDED (H_RESULT | H_FW | H_PRB | H_MSM | H_TS | H_DST | H_PROTO)

static unsigned head_bit(const char *k, uint32_t n)
{
	switch (n) {
	case 2: return KEY(k, n, "fw") ? H_FW : 0;
	case 4: return KEY(k, n, "type") ? H_TYPE : 0;
	case 5: return KEY(k, n, "proto") ? H_PROTO : 0;
	case 6: return KEY(k, n, "result") ? H_RESULT : KEY(k, n, "prb_id") ? H_PRB : KEY(k, n, "msm_id") ? H_MSM : 0;
	case 8: return KEY(k, n, "dst_addr") ? H_DST : KEY(k, n, "paris_id") ? H_PARIS : 0;
	case 9: return KEY(k, n, "timestamp") ? H_TS : 0;
	default: return 0;
	}
}

/* A value the mapper does not read, passed over: strings without
 * escapes, short numbers, literals, and arrays and objects of those up to
 * a small depth (what Atlas writes); false for anything else. */
static bool skip_value(const char **p, const char *end, int depth)
{
	const char *s;
	uint32_t n;
	jv v;
	*p = jv_ws(*p, end);
	if (*p >= end || depth > 16)
		return false;
	switch (**p) {
	case '"': return jv_str_at(p, end, &s, &n);
	case 't': return LIT(p, end, "true");
	case 'f': return LIT(p, end, "false");
	case 'n': return LIT(p, end, "null");
	case '[':
		if (expect(p, end, '[') && expect(p, end, ']'))
			return true;
		do {
			if (!skip_value(p, end, depth + 1))
				return false;
		} while (expect(p, end, ','));
		return expect(p, end, ']');
	case '{':
		if (expect(p, end, '{') && expect(p, end, '}'))
			return true;
		do {
			*p = jv_ws(*p, end);
			if (!jv_str_at(p, end, &s, &n) || !expect(p, end, ':') || !skip_value(p, end, depth + 1))
				return false;
		} while (expect(p, end, ','));
		return expect(p, end, '}');
	default: return jv_num_short(p, end, &v) == 1;
	}
}

/* An integer in lo..hi at *p. */
static bool int_at(const char **p, const char *end, int64_t lo, int64_t hi)
{
	jv v;
	return jv_num_short(p, end, &v) && v.kind == JV_INT && v.u.i >= lo && v.u.i <= hi;
}

/* The string at *p is one of the words in list ("A|B|C|"). */
static bool word_at(const char **p, const char *end, const char *list)
{
	const char *s;
	uint32_t n;
	if (!jv_str_at(p, end, &s, &n))
		return false;
	for (const char *w = list, *bar; (bar = strchr(w, '|')) != NULL; w = bar + 1)
		if ((size_t)(bar - w) == n && memcmp(w, s, n) == 0)
			return true;
	return false;
}

/* dst_addr: an address the mapper parses alike (its buffer: 64 bytes). */
static bool dst_at(const char **p, const char *end, bt_addr *dst)
{
	const char *s;
	uint32_t n;
	char buf[64];
	if (!jv_str_at(p, end, &s, &n) || n == 0 || n >= sizeof(buf))
		return false;
	if (quad(s, n, dst))
		return true;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return bt_addr_parse(buf, dst) == 0;
}

/* One member of the top level (*p at its value): what the mapper checks
 * read as it checks it (check_kind, map_head: ranges, words, the
 * firmware), the hops through the direct read, the rest passed over. */
static bool head_member(void *ctx, const char *k, uint32_t n, const char **p, const char *end, unsigned *have)
{
	atlas_fast *f = ctx;
	unsigned bit = head_bit(k, n);
	jv node;
	if (bit & *have)
		return false; /* twice: jansson's error */
	*have |= bit;
	switch (bit) {
	case H_RESULT: return atlas_fast_hook(f, k, n, p, end, &node) == JV_HOOK_TAKEN;
	case H_TYPE: return word_at(p, end, "traceroute|");
	case H_FW: return int_at(p, end, 4400, INT32_MAX);
	case H_PRB:
	case H_MSM: return int_at(p, end, 0, INT64_C(999999999999));
	case H_TS: return int_at(p, end, 0, INT64_C(253402300799));
	case H_DST: return dst_at(p, end, &f->t->dst);
	case H_PROTO: return word_at(p, end, "ICMP|UDP|TCP|");
	case H_PARIS: return int_at(p, end, 0, 65535);
	default: return skip_value(p, end, 0);
	}
}

/* The top-level object at *p read member by member (member: with *p at
 * the value, past the blanks; have: the bits of the members met), all
 * of H_NEEDED met; *p past it. In line, so that member is called
 * directly. */
typedef bool (*member_fn)(void *ctx, const char *k, uint32_t n, const char **p, const char *end, unsigned *have);
static inline __attribute__((always_inline)) bool top_members(const char **pp, const char *end, member_fn member,
							       void *ctx)
{
	const char *p = *pp, *k;
	uint32_t n;
	unsigned have = 0;
	if (!expect(&p, end, '{'))
		return false;
	do {
		p = jv_ws(p, end);
		if (!jv_str_at(&p, end, &k, &n) || !expect(&p, end, ':'))
			return false;
		p = jv_ws(p, end);
		if (!member(ctx, k, n, &p, end, &have))
			return false;
	} while (expect(&p, end, ','));
	if (!expect(&p, end, '}') || (have & H_NEEDED) != H_NEEDED)
		return false;
	*pp = p;
	return true;
}

int atlas_scan_result(bt_trace *t, atlas_froms *froms, const char *text, size_t len, size_t *used)
{
	const char *p = text;
	atlas_fast f = { .t = t, .light = true, .froms = froms };
	t->hop_count = 0;
	t->first_ttl = t->filled_below_ttl = 0;
	if (!top_members(&p, text + len, head_member, &f))
		return 0;
	if (t->first_ttl == 0)
		t->first_ttl = 1; /* no hops: as set_stop */
	*used = (size_t)(p - text);
	return 1;
}

/* ==== the full read's head, without a tree ==== */

/* The top level's members the full read knows beyond head_bit's: those
 * the mapper reads (endtime, src_addr, from, dst_name) and those Atlas
 * writes that it does not (a scalar each); any other key is left to the
 * tree. A bit each, so that one met twice is not vouched for. */
enum { H_END = 1u << 9, H_SRC = 1u << 10, H_FROM = 1u << 11, H_DNAME = 1u << 12, H_OTHER = 1u << 13 };

static unsigned full_bit(const char *k, uint32_t n)
{
	unsigned bit = head_bit(k, n);
	if (bit != 0)
		return bit;
	switch (n) {
	case 2: return KEY(k, n, "af") ? H_OTHER : 0;
	case 3: return KEY(k, n, "lts") ? H_OTHER << 1 : KEY(k, n, "ttr") ? H_OTHER << 2 : 0;
	case 4: return KEY(k, n, "mver") ? H_OTHER << 3 : KEY(k, n, "from") ? H_FROM : KEY(k, n, "size") ? H_OTHER << 4 : 0;
	case 6: return KEY(k, n, "bundle") ? H_OTHER << 5 : 0;
	case 7: return KEY(k, n, "endtime") ? H_END : 0;
	case 8: return KEY(k, n, "src_addr") ? H_SRC : KEY(k, n, "dst_name") ? H_DNAME :
		       KEY(k, n, "msm_name") ? H_OTHER << 6 : KEY(k, n, "group_id") ? H_OTHER << 7 : 0;
	case 16: return KEY(k, n, "stored_timestamp") ? H_OTHER << 8 : 0;
	default: return 0;
	}
}

/* A string, a short number or a literal at *p, into v (the tree's node
 * for it); false for anything else (an array or object is the tree's). */
static bool scalar_at(const char **p, const char *end, jv *v)
{
	const char *s;
	uint32_t n;
	v->kind = JV_NULL;
	if (*p >= end)
		return false;
	switch (**p) {
	case '"':
		if (!jv_str_at(p, end, &s, &n))
			return false;
		v->kind = JV_STR;
		v->u.s = s;
		v->len = n;
		return true;
	case 't': return LIT(p, end, "true");
	case 'f': return LIT(p, end, "false");
	case 'n': return LIT(p, end, "null");
	default: return jv_num_short(p, end, v) == 1;
	}
}

/* An integer in lo..hi at *p, into *out. */
static bool int_into(const char **p, const char *end, int64_t lo, int64_t hi, int64_t *out)
{
	jv v;
	if (!jv_num_short(p, end, &v) || v.kind != JV_INT || v.u.i < lo || v.u.i > hi)
		return false;
	*out = v.u.i;
	return true;
}

/* One member of the top level (*p at its value) into f and h: what the
 * mapper would skip the result for is not vouched for (it words why). */
static bool full_member(atlas_fast *f, atlas_head *h, unsigned bit, const char **p, const char *end)
{
	static const char *const protos[] = { "ICMP", "UDP", "TCP" };
	jv v;
	switch (bit) {
	case H_RESULT: return atlas_fast_hook(f, "result", 6, p, end, &v) == JV_HOOK_TAKEN;
	case H_TYPE: return word_at(p, end, "traceroute|");
	case H_FW: return int_at(p, end, 4400, INT32_MAX);
	case H_PRB: return int_into(p, end, 0, INT64_C(999999999999), &h->prb);
	case H_MSM: return int_into(p, end, 0, INT64_C(999999999999), &h->msm);
	case H_TS: return int_into(p, end, 0, INT64_C(253402300799), &h->ts);
	case H_DST: return dst_at(p, end, &f->t->dst);
	case H_PARIS: return int_into(p, end, 0, 65535, &h->paris);
	case H_PROTO:
		if (!scalar_at(p, end, &v) || v.kind != JV_STR)
			return false;
		for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
			if (v.len == strlen(protos[i]) && memcmp(v.u.s, protos[i], v.len) == 0)
				h->proto = protos[i];
		return h->proto != NULL;
	case H_END:
		if (!scalar_at(p, end, &v))
			return false;
		h->has_end = v.kind == JV_INT;
		h->end = h->has_end ? v.u.i : 0;
		return true;
	case H_SRC:
	case H_FROM:
		if (!scalar_at(p, end, &v))
			return false;
		if (v.kind == JV_STR) {
			*(bit == H_SRC ? &h->src : &h->from) = v.u.s;
			*(bit == H_SRC ? &h->src_len : &h->from_len) = v.len;
		}
		return true;
	default: return scalar_at(p, end, &v);
	}
}

typedef struct full_ctx {
	atlas_fast *f;
	atlas_head *h;
} full_ctx;

/* A member for top_members: full_member for a key full_bit knows, met
 * once; false for another key, or one twice (jansson's error). */
static bool full_key(void *ctx, const char *k, uint32_t n, const char **p, const char *end, unsigned *have)
{
	full_ctx *c = ctx;
	unsigned bit = full_bit(k, n);
	if (bit == 0 || (bit & *have) != 0)
		return false;
	*have |= bit;
	return full_member(c->f, c->h, bit, p, end);
}

int atlas_read_result(atlas_fast *f, atlas_head *h, const char *text, size_t len, size_t *used)
{
	const char *p = text;
	full_ctx c = { f, h };
	*h = (atlas_head){ 0 };
	if (!top_members(&p, text + len, full_key, &c))
		return 0;
	if (!h->has_end || h->end < h->ts || h->end > INT64_C(253402300799))
		h->end = h->ts; /* absent, not an integer, out of range: as map_head */
	*used = (size_t)(p - text);
	return 1;
}
