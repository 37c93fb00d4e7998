/* bordertrace — a fast path for reading trace records in the exact form
 * bordertrace itself writes (trace_json.c's writer: fixed key order, no
 * whitespace, no escapes), in format version 2 or 1 (the same form; version
 * 1 with its one entry per TTL and no "flow" on a hop).
 *
 * Why: the analysis reads millions of records, and building a jansson tree
 * per record (hundreds of small allocations) costs most of the time. This
 * decoder reads that one canonical form straight into a bt_trace and gives
 * up — returns NULL, never an error — at the first byte that differs from
 * it; the caller then parses the line with jansson, which accepts any valid
 * JSON (other key orders, whitespace, escapes, unknown keys) and produces the
 * error messages. It applies the same range checks as the jansson path and
 * ends with the same bt_trace_check, so a record it accepts is one the
 * jansson path accepts identically (tests/common/test_trace_fast.c checks
 * that differentially). */
#include "bordertrace/trace.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

typedef struct cur {
	const char *p, *end;
} cur;

/* Inlined: each call's n is a constant, and the compare then unrolls
 * into a few word loads rather than a call to memcmp (the literals are
 * half the bytes of a record). */
static inline __attribute__((always_inline)) bool lit(cur *c, const char *s, size_t n)
{
	if ((size_t)(c->end - c->p) < n)
		return false;
	uint64_t diff = 0, a, b;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		memcpy(&a, c->p + i, 8);
		memcpy(&b, s + i, 8);
		diff |= a ^ b;
	}
	for (; i < n; i++)
		diff |= (uint8_t)(c->p[i] ^ s[i]);
	if (diff != 0)
		return false;
	c->p += n;
	return true;
}
#define LIT(c, s) lit((c), (s), sizeof(s) - 1)

/* A JSON non-negative integer without leading zeros, at most max. */
static bool num(cur *c, uint64_t max, uint64_t *out)
{
	const char *p = c->p;
	uint64_t v = 0;
	if (p >= c->end || *p < '0' || *p > '9')
		return false;
	if (*p == '0' && p + 1 < c->end && p[1] >= '0' && p[1] <= '9')
		return false;
	while (p < c->end && *p >= '0' && *p <= '9') {
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > max || p - c->p > 10)
			return false;
		p++;
	}
	c->p = p;
	*out = v;
	return true;
}

/* A string of printable ASCII other than '"' and '\\' (no escapes to undo),
 * copied NUL-terminated into buf: its end found with memchr, its bytes
 * checked in one pass without a branch each. */
static bool str(cur *c, char *buf, size_t buflen)
{
	if (!LIT(c, "\""))
		return false;
	const char *q = memchr(c->p, '"', (size_t)(c->end - c->p));
	size_t n = q ? (size_t)(q - c->p) : 0;
	if (q == NULL || n + 1 > buflen)
		return false;
	unsigned bad = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)c->p[i];
		bad |= (ch < 0x20) | (ch > 0x7e) | (ch == '\\');
	}
	if (bad)
		return false;
	memcpy(buf, c->p, n);
	buf[n] = '\0';
	c->p = q + 1;
	return true;
}

/* An address in quotes, parsed where it is (at most BT_ADDR_STRLEN - 1
 * bytes, as str would copy), or null. */
static bool addr(cur *c, bool allow_null, bt_addr *out)
{
	if (allow_null && LIT(c, "null")) {
		memset(out, 0, sizeof(*out));
		return true;
	}
	if (!LIT(c, "\""))
		return false;
	size_t room = (size_t)(c->end - c->p) < BT_ADDR_STRLEN ? (size_t)(c->end - c->p) : BT_ADDR_STRLEN;
	const char *q = memchr(c->p, '"', room);
	if (q == NULL || bt_addr_parse_n(c->p, (size_t)(q - c->p), out) != 0)
		return false;
	c->p = q + 1;
	return true;
}

static bool when(cur *c, int64_t *out)
{
	char buf[BT_TIME_STRLEN];
	return str(c, buf, sizeof(buf)) && bt_time_parse(buf, out) == 0;
}

/* Milliseconds with at most 3 decimals, as exact microseconds. */
static bool rtt(cur *c, uint32_t *us)
{
	uint64_t ms, frac = 0;
	if (!num(c, 4294967, &ms))
		return false;
	if (LIT(c, ".")) {
		int digits = 0;
		while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
			if (++digits > 3)
				return false;
			frac = frac * 10 + (uint64_t)(*c->p++ - '0');
		}
		if (digits == 0)
			return false;
		while (digits++ < 3)
			frac *= 10;
	}
	if (c->p < c->end && (*c->p == 'e' || *c->p == 'E'))
		return false;
	uint64_t v = ms * 1000 + frac;
	if (v > UINT32_MAX)
		return false;
	*us = (uint32_t)v;
	return true;
}

static bool u8(cur *c, uint64_t lo, uint64_t hi, uint8_t *out)
{
	uint64_t v;
	if (!num(c, hi, &v) || v < lo)
		return false;
	*out = (uint8_t)v;
	return true;
}

/* Entry i; version 1: one per TTL (TTL first_ttl + i), no "flow" key;
 * version 2: the order is left to bt_trace_check. */
static bool hop(cur *c, const bt_trace *t, int version, size_t i, bt_hop *h)
{
	uint64_t v;
	memset(h, 0, sizeof(*h));
	if (!LIT(c, "{\"ttl\":") || !num(c, 255, &v) || v < 1 || v > t->max_ttl ||
	    (version == 1 && v != t->first_ttl + i))
		return false;
	h->probe_ttl = (uint8_t)v;
	if (!LIT(c, ",\"attempt\":") || !num(c, 255, &v))
		return false;
	h->attempt = (uint8_t)v;
	if (version > 1 && LIT(c, ",\"flow\":")) {
		if (!num(c, 65535, &v))
			return false;
		h->has_flow = true;
		h->flow = (uint16_t)v;
	}
	if (!LIT(c, ",\"addr\":") || !addr(c, true, &h->addr))
		return false;
	v = h->attempt;
	if (!bt_addr_is_set(&h->addr))
		return LIT(c, "}");
	if (v < 1 || !LIT(c, ",\"rtt_ms\":") || !rtt(c, &h->rtt_us) ||
	    !LIT(c, ",\"reply_ttl\":") || !u8(c, 0, 255, &h->reply_ttl))
		return false;
	if (LIT(c, ",\"tcp_flags\":")) {
		if (!u8(c, 1, 255, &h->tcp_flags))
			return false;
	} else if (!LIT(c, ",\"icmp_type\":") || !u8(c, 0, 255, &h->icmp_type) ||
		   !LIT(c, ",\"icmp_code\":") || !u8(c, 0, 255, &h->icmp_code)) {
		return false;
	}
	if (LIT(c, ",\"quoted_ttl\":") && !u8(c, 0, 255, &h->quoted_ttl))
		return false;
	if (!LIT(c, ",\"size\":") || !num(c, 65535, &v))
		return false;
	h->reply_size = (uint16_t)v;
	if (LIT(c, ",\"mpls\":[")) {
		do {
			bt_mpls *m;
			uint64_t label;
			if (h->mpls_count >= BT_MPLS_MAX)
				return false;
			m = &h->mpls[h->mpls_count++];
			if (!LIT(c, "{\"label\":") || !num(c, 0xfffff, &label) || !LIT(c, ",\"tc\":") ||
			    !u8(c, 0, 7, &m->tc) || !LIT(c, ",\"s\":") || !u8(c, 0, 1, &m->s) ||
			    !LIT(c, ",\"ttl\":") || !u8(c, 0, 255, &m->ttl) || !LIT(c, "}"))
				return false;
			m->label = (uint32_t)label;
		} while (LIT(c, ","));
		if (!LIT(c, "]"))
			return false;
	}
	return LIT(c, "}");
}

/* The hops array's entries, appended to t (at most 255 in version 1, one
 * per TTL; BT_HOPS_MAX in version 2), and its closing bracket. */
static bool hops(cur *c, bt_trace *t, int version)
{
	size_t max = version == 1 ? 255 : BT_HOPS_MAX;
	if (LIT(c, "]"))
		return true;
	do {
		if (t->hop_count >= max ||
		    (t->hop_count == t->hop_cap && bt_trace_reserve(t, 2 * t->hop_cap) != 0) ||
		    !hop(c, t, version, t->hop_count, &t->hops[t->hop_count]))
			return false;
		t->hop_count++;
	} while (LIT(c, ","));
	return LIT(c, "]");
}

bt_trace *bt_trace_from_json_fast(const char *line, size_t len)
{
	cur c = { line, line + len };
	bt_trace tmp;
	char buf[32];
	uint64_t v;

	memset(&tmp, 0, sizeof(tmp));
	tmp.version = BT_TRACE_FORMAT_VERSION;
	if (!LIT(&c, "{\"format\":\"" BT_TRACE_FORMAT_NAME "\",\"v\":"))
		return NULL;
	int version = LIT(&c, "1") ? 1 : LIT(&c, "2") ? 2 : 0;
	if (version == 0 || !LIT(&c, ",\"vp\":") || !str(&c, tmp.vp, sizeof(tmp.vp)) || !LIT(&c, ",\"campaign\":") ||
	    !str(&c, tmp.campaign, sizeof(tmp.campaign)) || !LIT(&c, ",\"round\":") ||
	    !str(&c, tmp.round, sizeof(tmp.round)) || !LIT(&c, ",\"method\":") ||
	    !str(&c, buf, sizeof(buf)) || bt_method_parse(buf, &tmp.method) != 0 ||
	    !LIT(&c, ",\"src\":") || !addr(&c, true, &tmp.src) || !LIT(&c, ",\"dst\":") ||
	    !addr(&c, false, &tmp.dst))
		return NULL;
	if (!LIT(&c, ",\"flow\":") || !num(&c, 65535, &v))
		return NULL;
	tmp.flow = (uint16_t)v;
	if (!LIT(&c, ",\"sport\":") || !num(&c, 65535, &v))
		return NULL;
	tmp.sport = (uint16_t)v;
	if (!LIT(&c, ",\"dport\":") || !num(&c, 65535, &v))
		return NULL;
	tmp.dport = (uint16_t)v;
	if (!LIT(&c, ",\"icmp_sum\":") || !num(&c, 65535, &v))
		return NULL;
	tmp.icmp_sum = (uint16_t)v;
	if (!LIT(&c, ",\"start\":") || !when(&c, &tmp.start_us) || !LIT(&c, ",\"end\":") ||
	    !when(&c, &tmp.end_us) || !LIT(&c, ",\"stop\":") || !str(&c, buf, sizeof(buf)) ||
	    bt_stop_parse(buf, &tmp.stop) != 0 || tmp.stop == BT_STOP_NONE)
		return NULL;
	if (!LIT(&c, ",\"stop_ttl\":") || !u8(&c, 0, 255, &tmp.stop_ttl) ||
	    !LIT(&c, ",\"first_ttl\":") || !u8(&c, 1, 255, &tmp.first_ttl) ||
	    !LIT(&c, ",\"max_ttl\":") || !u8(&c, 1, 255, &tmp.max_ttl) || tmp.max_ttl < tmp.first_ttl ||
	    !LIT(&c, ",\"probes_sent\":") || !num(&c, UINT32_MAX, &v) || !LIT(&c, ",\"hops\":["))
		return NULL;
	tmp.probes_sent = (uint32_t)v;

	bt_trace *t = bt_trace_alloc(32); /* most traces: grown past it */
	if (t == NULL)
		return NULL;
	bt_hop *h = t->hops;
	size_t cap = t->hop_cap;
	*t = tmp;
	t->hops = h;
	t->hop_cap = cap;
	if (!hops(&c, t, version) ||
	    (LIT(&c, ",\"filled_below_ttl\":") && !u8(&c, 1, 255, &t->filled_below_ttl)) ||
	    !LIT(&c, "}") || c.p != c.end) {
		bt_trace_free(t);
		return NULL;
	}
	char err[8];
	if (bt_trace_check(t, err, sizeof(err)) != 0) {
		bt_trace_free(t);
		return NULL;
	}
	return t;
}

/* ---- the light read: where a trace went, nothing else ---- */

/* Skips a string without escapes (the canonical form has none). */
static bool skip_str(cur *c)
{
	if (!LIT(c, "\""))
		return false;
	const char *q = memchr(c->p, '"', (size_t)(c->end - c->p));
	if (q == NULL || memchr(c->p, '\\', (size_t)(q - c->p)) != NULL)
		return false;
	c->p = q + 1;
	return true;
}

/* Skips the digits of a number. */
static bool skip_num(cur *c)
{
	const char *p = c->p;
	while (p < c->end && *p >= '0' && *p <= '9')
		p++;
	if (p == c->p)
		return false;
	c->p = p;
	return true;
}

/* Skips the rest of a hop object after its "addr": numbers, keys and
 * the "mpls" array of flat objects, to the hop's closing brace. */
static bool skip_hop_rest(cur *c)
{
	/* mostly numbers and keys up to the brace: found with memchr (a brace
	 * inside a key of a line jansson accepts cannot be followed by what
	 * this reader takes next) */
	const char *q = memchr(c->p, '}', (size_t)(c->end - c->p));
	if (q != NULL && memchr(c->p, '{', (size_t)(q - c->p)) == NULL) {
		c->p = q + 1;
		return true;
	}
	int depth = 1;
	while (c->p < c->end) {
		char ch = *c->p;
		if (ch == '"') {
			if (!skip_str(c))
				return false;
			continue;
		}
		c->p++;
		if (ch == '{' && ++depth > 2)
			return false;
		if (ch == '}' && --depth == 0)
			return true;
	}
	return false;
}

/* One entry of the hops array: probe_ttl and addr only. */
static bool scan_hop(cur *c, int version, bt_hop *h)
{
	uint64_t v;
	if (!LIT(c, "{\"ttl\":") || !num(c, 255, &v) || !LIT(c, ",\"attempt\":") || !skip_num(c))
		return false;
	h->probe_ttl = (uint8_t)v;
	if (version > 1 && LIT(c, ",\"flow\":") && !skip_num(c))
		return false;
	if (!LIT(c, ",\"addr\":") || !addr(c, true, &h->addr))
		return false;
	return LIT(c, "}") || (bt_addr_is_set(&h->addr) && LIT(c, ",") && skip_hop_rest(c));
}

/* A string, or null (src). */
static bool skip_str_or_null(cur *c)
{
	return LIT(c, "null") || skip_str(c);
}

/* A number or a string (the fields between "dst" and "first_ttl"). */
static bool skip_scalar(cur *c)
{
	return c->p < c->end && *c->p == '"' ? skip_str(c) : skip_num(c);
}

/* The fields before "dst" are strings (src: or null), those after it up
 * to "hops" numbers and strings, in the writer's order (each key a
 * constant: its compare is inlined). */
static bool scan_head(cur *c, bt_trace *t, int *version)
{
	uint64_t v;
	if (!LIT(c, "{\"format\":\"" BT_TRACE_FORMAT_NAME "\",\"v\":"))
		return false;
	*version = LIT(c, "1") ? 1 : LIT(c, "2") ? 2 : 0;
	if (*version == 0 || !LIT(c, ",\"vp\":") || !skip_str(c) || !LIT(c, ",\"campaign\":") || !skip_str(c) ||
	    !LIT(c, ",\"round\":") || !skip_str(c) || !LIT(c, ",\"method\":") || !skip_str(c) ||
	    !LIT(c, ",\"src\":") || !skip_str_or_null(c) || !LIT(c, ",\"dst\":") || !addr(c, false, &t->dst))
		return false;
	if (!LIT(c, ",\"flow\":") || !skip_scalar(c) || !LIT(c, ",\"sport\":") || !skip_scalar(c) ||
	    !LIT(c, ",\"dport\":") || !skip_scalar(c) || !LIT(c, ",\"icmp_sum\":") || !skip_scalar(c) ||
	    !LIT(c, ",\"start\":") || !skip_scalar(c) || !LIT(c, ",\"end\":") || !skip_scalar(c) ||
	    !LIT(c, ",\"stop\":") || !skip_scalar(c) || !LIT(c, ",\"stop_ttl\":") || !skip_scalar(c))
		return false;
	if (!LIT(c, ",\"first_ttl\":") || !num(c, 255, &v) || !LIT(c, ",\"max_ttl\":") || !skip_num(c) ||
	    !LIT(c, ",\"probes_sent\":") || !skip_num(c) || !LIT(c, ",\"hops\":["))
		return false;
	t->first_ttl = (uint8_t)v;
	return true;
}

bool bt_trace_scan_fast(const char *line, size_t len, bt_trace *t)
{
	cur c = { line, line + len };
	int version;
	uint64_t v = 0;
	t->hop_count = 0;
	t->filled_below_ttl = 0;
	if (t->hop_cap < BT_HOPS_MAX || !scan_head(&c, t, &version))
		return false;
	size_t max = version == 1 ? 255 : BT_HOPS_MAX;
	if (!LIT(&c, "]")) {
		do {
			if (t->hop_count >= max || !scan_hop(&c, version, &t->hops[t->hop_count]))
				return false;
			t->hop_count++;
		} while (LIT(&c, ","));
		if (!LIT(&c, "]"))
			return false;
	}
	if (LIT(&c, ",\"filled_below_ttl\":") && !num(&c, 255, &v))
		return false;
	t->filled_below_ttl = (uint8_t)v;
	return LIT(&c, "}") && c.p == c.end;
}
