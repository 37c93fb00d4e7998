/* bordertrace — the trace record as JSON Lines: one object per trace per
 * line, written and read here only, so that the schema lives in one place.
 * The format is documented in doc/trace-format.md; keep the two in step.
 *
 * The reader treats its input as untrusted: every field is type- and
 * range-checked, and an error names the field ("hops[3].ttl"). Keys it does
 * not know are ignored, so that a newer writer's additions do not break it;
 * a version ("v") it does not know is refused. */
#include "bordertrace/trace.h"
#include "bordertrace/show.h"
#include "bordertrace/textfile.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define TTL_MAX 255
#define MPLS_LABEL_MAX 0xFFFFF
#define RTT_US_MAX UINT32_MAX

/* ==== writer ==== */

/* Adds key: value in insertion order; v may be NULL (failed allocation),
 * which json_object_set_new reports as an error. */
static bool put(json_t *o, const char *key, json_t *v)
{
	return json_object_set_new(o, key, v) == 0;
}

static json_t *addr_json(const bt_addr *a)
{
	char buf[BT_ADDR_STRLEN];
	if (!bt_addr_is_set(a))
		return json_null();
	return json_string(bt_addr_format(a, buf, sizeof(buf)));
}

static json_t *time_json(int64_t us)
{
	char buf[BT_TIME_STRLEN];
	const char *s = bt_time_format(us, buf, sizeof(buf));
	return s != NULL ? json_string(s) : NULL;
}

static json_t *hop_json(const bt_hop *h)
{
	json_t *o = json_object();
	bool ok = o != NULL;

	ok = ok && put(o, "ttl", json_integer(h->probe_ttl));
	ok = ok && put(o, "attempt", json_integer(h->attempt));
	if (h->has_flow)
		ok = ok && put(o, "flow", json_integer(h->flow));
	ok = ok && put(o, "addr", addr_json(&h->addr));
	if (!bt_addr_is_set(&h->addr))
		goto out; /* a gap: nothing else is known */
	/* µs as ms: printed with JSON_REAL_PRECISION(10), enough for every
	 * uint32 µs value to print with its 3 decimals exactly. */
	ok = ok && put(o, "rtt_ms", json_real((double)h->rtt_us / 1000.0));
	ok = ok && put(o, "reply_ttl", json_integer(h->reply_ttl));
	if (h->tcp_flags != 0) {
		ok = ok && put(o, "tcp_flags", json_integer(h->tcp_flags));
	} else {
		ok = ok && put(o, "icmp_type", json_integer(h->icmp_type));
		ok = ok && put(o, "icmp_code", json_integer(h->icmp_code));
	}
	if (h->quoted_ttl != 0)
		ok = ok && put(o, "quoted_ttl", json_integer(h->quoted_ttl));
	ok = ok && put(o, "size", json_integer(h->reply_size));
	if (h->mpls_count > 0) {
		json_t *a = json_array();
		ok = ok && put(o, "mpls", a);
		for (unsigned k = 0; ok && k < h->mpls_count; k++) {
			const bt_mpls *m = &h->mpls[k];
			json_t *e = json_object();
			ok = ok && json_array_append_new(a, e) == 0;
			ok = ok && put(e, "label", json_integer(m->label));
			ok = ok && put(e, "tc", json_integer(m->tc));
			ok = ok && put(e, "s", json_integer(m->s));
			ok = ok && put(e, "ttl", json_integer(m->ttl));
		}
	}
out:
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *trace_json(const bt_trace *t)
{
	json_t *o = json_object();
	bool ok = o != NULL;

	/* The order here is the order on disk: identity, then what was probed,
	 * then when and how it ended, then the hops, then the optional keys. */
	ok = ok && put(o, "format", json_string(BT_TRACE_FORMAT_NAME));
	ok = ok && put(o, "v", json_integer(BT_TRACE_FORMAT_VERSION));
	ok = ok && put(o, "vp", json_string(t->vp));
	ok = ok && put(o, "campaign", json_string(t->campaign));
	ok = ok && put(o, "round", json_string(t->round));
	ok = ok && put(o, "method", json_string(bt_method_name(t->method)));
	ok = ok && put(o, "src", addr_json(&t->src));
	ok = ok && put(o, "dst", addr_json(&t->dst));
	ok = ok && put(o, "flow", json_integer(t->flow));
	ok = ok && put(o, "sport", json_integer(t->sport));
	ok = ok && put(o, "dport", json_integer(t->dport));
	ok = ok && put(o, "icmp_sum", json_integer(t->icmp_sum));
	ok = ok && put(o, "start", time_json(t->start_us));
	ok = ok && put(o, "end", time_json(t->end_us));
	ok = ok && put(o, "stop", json_string(bt_stop_name(t->stop)));
	ok = ok && put(o, "stop_ttl", json_integer(t->stop_ttl));
	ok = ok && put(o, "first_ttl", json_integer(t->first_ttl));
	ok = ok && put(o, "max_ttl", json_integer(t->max_ttl));
	ok = ok && put(o, "probes_sent", json_integer(t->probes_sent));
	json_t *hops = json_array();
	ok = ok && put(o, "hops", hops);
	for (size_t i = 0; ok && i < t->hop_count; i++)
		ok = json_array_append_new(hops, hop_json(&t->hops[i])) == 0;
	/* After the hops, where the prober has always put it (split TTL). */
	if (t->filled_below_ttl != 0)
		ok = ok && put(o, "filled_below_ttl", json_integer(t->filled_below_ttl));
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

struct sink {
	char **buf;
	size_t *len, *cap;
};

/* Appends n bytes and keeps the buffer NUL-terminated. */
static int sink_put(const char *s, size_t n, void *data)
{
	struct sink *k = data;
	size_t need = *k->len + n + 1;
	if (need < n)
		return -1;
	if (need > *k->cap) {
		size_t cap = *k->cap ? *k->cap : 256;
		while (cap < need)
			cap = cap > SIZE_MAX / 2 ? need : cap * 2;
		char *b = realloc(*k->buf, cap);
		if (b == NULL)
			return -1;
		*k->buf = b;
		*k->cap = cap;
	}
	memcpy(*k->buf + *k->len, s, n);
	*k->len += n;
	(*k->buf)[*k->len] = '\0';
	return 0;
}

int bt_trace_to_json_general(const bt_trace *t, char **buf, size_t *len, size_t *cap)
{
	/* Never write what the reader would refuse. */
	if (bt_trace_check(t, NULL, 0) != 0) {
		errno = EINVAL;
		return -1;
	}
	json_t *o = trace_json(t);
	if (o == NULL) {
		errno = ENOMEM;
		return -1;
	}
	struct sink k = {buf, len, cap};
	size_t start = *len;
	int rc = json_dump_callback(o, sink_put, &k,
				    JSON_COMPACT | JSON_PRESERVE_ORDER |
					    JSON_REAL_PRECISION(10));
	json_decref(o);
	if (rc == 0)
		rc = sink_put("\n", 1, &k);
	if (rc != 0) {
		/* Leave no half line behind. */
		*len = start;
		if (*buf != NULL)
			(*buf)[start] = '\0';
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

/* ---- the direct writer: the same bytes as the jansson writer above, for
 * traces whose strings need no escaping, without building a tree (the
 * prober writes every trace of a round; jansson's allocations cost more
 * than the probing). tests/common/test_trace_fast.c checks that the two
 * agree byte for byte. ---- */

typedef struct out {
	char *p;
} out;

static void o_raw(out *o, const char *s, size_t n)
{
	memcpy(o->p, s, n);
	o->p += n;
}
#define O_LIT(o, s) o_raw((o), (s), sizeof(s) - 1)

static void o_uint(out *o, uint64_t v)
{
	char tmp[24];
	size_t n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*o->p++ = tmp[--n];
}

/* A string, quoted; only called on strings plain() accepted. */
static void o_str(out *o, const char *s)
{
	*o->p++ = '"';
	o_raw(o, s, strlen(s));
	*o->p++ = '"';
}

static void o_addr(out *o, const bt_addr *a)
{
	char buf[BT_ADDR_STRLEN];
	if (!bt_addr_is_set(a))
		O_LIT(o, "null");
	else
		o_str(o, bt_addr_format(a, buf, sizeof(buf)));
}

/* µs as milliseconds the way %.10g prints them (jansson's JSON_REAL_PRECISION
 * (10)): at most 10 significant digits, which a uint32 µs count never
 * exceeds, trailing zeros dropped but one decimal kept. */
static void o_ms(out *o, uint32_t us)
{
	o_uint(o, us / 1000);
	*o->p++ = '.';
	unsigned f = us % 1000;
	char d[3] = { (char)('0' + f / 100), (char)('0' + f / 10 % 10), (char)('0' + f % 10) };
	size_t n = f % 100 == 0 ? 1 : f % 10 == 0 ? 2 : 3;
	o_raw(o, d, n);
}

/* Printable ASCII without quote or backslash: written as is by both. */
static bool plain(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e || *s == '"' || *s == '\\')
			return false;
	return true;
}

static void o_hop(out *o, const bt_hop *h)
{
	O_LIT(o, "{\"ttl\":");
	o_uint(o, h->probe_ttl);
	O_LIT(o, ",\"attempt\":");
	o_uint(o, h->attempt);
	if (h->has_flow) {
		O_LIT(o, ",\"flow\":");
		o_uint(o, h->flow);
	}
	O_LIT(o, ",\"addr\":");
	o_addr(o, &h->addr);
	if (bt_addr_is_set(&h->addr)) {
		O_LIT(o, ",\"rtt_ms\":");
		o_ms(o, h->rtt_us);
		O_LIT(o, ",\"reply_ttl\":");
		o_uint(o, h->reply_ttl);
		if (h->tcp_flags != 0) {
			O_LIT(o, ",\"tcp_flags\":");
			o_uint(o, h->tcp_flags);
		} else {
			O_LIT(o, ",\"icmp_type\":");
			o_uint(o, h->icmp_type);
			O_LIT(o, ",\"icmp_code\":");
			o_uint(o, h->icmp_code);
		}
		if (h->quoted_ttl != 0) {
			O_LIT(o, ",\"quoted_ttl\":");
			o_uint(o, h->quoted_ttl);
		}
		O_LIT(o, ",\"size\":");
		o_uint(o, h->reply_size);
		if (h->mpls_count > 0) {
			O_LIT(o, ",\"mpls\":[");
			for (unsigned k = 0; k < h->mpls_count; k++) {
				const bt_mpls *m = &h->mpls[k];
				if (k)
					*o->p++ = ',';
				O_LIT(o, "{\"label\":");
				o_uint(o, m->label);
				O_LIT(o, ",\"tc\":");
				o_uint(o, m->tc);
				O_LIT(o, ",\"s\":");
				o_uint(o, m->s);
				O_LIT(o, ",\"ttl\":");
				o_uint(o, m->ttl);
				*o->p++ = '}';
			}
			*o->p++ = ']';
		}
	}
	*o->p++ = '}';
}

/* Upper bounds of one line's length, for the buffer. */
#define HEAD_MAX (544 + 3 * BT_ID_MAX + 2 * BT_ADDR_STRLEN + 2 * BT_TIME_STRLEN)
#define HOP_MAX (240 + BT_ADDR_STRLEN + BT_MPLS_MAX * 64)

int bt_trace_to_json(const bt_trace *t, char **buf, size_t *len, size_t *cap)
{
	char t0[BT_TIME_STRLEN], t1[BT_TIME_STRLEN];
	/* the check first: it also bounds the ids that plain() reads */
	if (bt_trace_check(t, NULL, 0) != 0) {
		errno = EINVAL;
		return -1;
	}
	if (!plain(t->vp) || !plain(t->campaign) || !plain(t->round) ||
	    bt_time_format(t->start_us, t0, sizeof(t0)) == NULL ||
	    bt_time_format(t->end_us, t1, sizeof(t1)) == NULL)
		return bt_trace_to_json_general(t, buf, len, cap);
	size_t need = *len + HEAD_MAX + t->hop_count * HOP_MAX + 2;
	if (need > *cap) {
		size_t nc = *cap ? *cap : 256;
		while (nc < need)
			nc *= 2;
		char *b = realloc(*buf, nc);
		if (b == NULL) {
			errno = ENOMEM;
			return -1;
		}
		*buf = b;
		*cap = nc;
	}
	out o = { *buf + *len };
	O_LIT(&o, "{\"format\":\"" BT_TRACE_FORMAT_NAME "\",\"v\":");
	o_uint(&o, BT_TRACE_FORMAT_VERSION);
	O_LIT(&o, ",\"vp\":");
	o_str(&o, t->vp);
	O_LIT(&o, ",\"campaign\":");
	o_str(&o, t->campaign);
	O_LIT(&o, ",\"round\":");
	o_str(&o, t->round);
	O_LIT(&o, ",\"method\":");
	o_str(&o, bt_method_name(t->method));
	O_LIT(&o, ",\"src\":");
	o_addr(&o, &t->src);
	O_LIT(&o, ",\"dst\":");
	o_addr(&o, &t->dst);
	O_LIT(&o, ",\"flow\":");
	o_uint(&o, t->flow);
	O_LIT(&o, ",\"sport\":");
	o_uint(&o, t->sport);
	O_LIT(&o, ",\"dport\":");
	o_uint(&o, t->dport);
	O_LIT(&o, ",\"icmp_sum\":");
	o_uint(&o, t->icmp_sum);
	O_LIT(&o, ",\"start\":");
	o_str(&o, t0);
	O_LIT(&o, ",\"end\":");
	o_str(&o, t1);
	O_LIT(&o, ",\"stop\":");
	o_str(&o, bt_stop_name(t->stop));
	O_LIT(&o, ",\"stop_ttl\":");
	o_uint(&o, t->stop_ttl);
	O_LIT(&o, ",\"first_ttl\":");
	o_uint(&o, t->first_ttl);
	O_LIT(&o, ",\"max_ttl\":");
	o_uint(&o, t->max_ttl);
	O_LIT(&o, ",\"probes_sent\":");
	o_uint(&o, t->probes_sent);
	O_LIT(&o, ",\"hops\":[");
	for (size_t i = 0; i < t->hop_count; i++) {
		if (i)
			*o.p++ = ',';
		o_hop(&o, &t->hops[i]);
	}
	*o.p++ = ']';
	if (t->filled_below_ttl != 0) {
		O_LIT(&o, ",\"filled_below_ttl\":");
		o_uint(&o, t->filled_below_ttl);
	}
	O_LIT(&o, "}\n");
	*o.p = '\0';
	*len = (size_t)(o.p - *buf);
	return 0;
}

int bt_trace_write(FILE *f, const bt_trace *t)
{
	char *buf = NULL;
	size_t cap = 0;
	int rc = bt_trace_write_buf(f, t, &buf, &cap);
	int saved = errno;
	free(buf);
	errno = saved;
	return rc;
}

/* ==== reader ==== */

struct pctx {
	char *err;
	size_t errlen;
};

static void msg(struct pctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void msg(struct pctx *c, const char *fmt, ...)
{
	if (c->err == NULL || c->errlen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
}

/* "field 'hops[3].ttl': <what>". pre is "" or a path like "hops[3]". */
static int fail(struct pctx *c, const char *pre, const char *key,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int fail(struct pctx *c, const char *pre, const char *key,
		const char *fmt, ...)
{
	char what[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	msg(c, "field '%s%s%s': %s", pre, *pre && *key ? "." : "", key, what);
	return -1;
}

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "object";
	case JSON_ARRAY: return "array";
	case JSON_STRING: return "string";
	case JSON_INTEGER: return "integer";
	case JSON_REAL: return "real";
	case JSON_TRUE: return "true";
	case JSON_FALSE: return "false";
	case JSON_NULL: return "null";
	}
	return "?";
}

/* A short, printable copy of an input string for an error message. */
/* Getters: 1 when the field is present and valid, 0 when it is absent and
 * optional, -1 (message written) otherwise. */

static int get_int(struct pctx *c, json_t *o, const char *pre, const char *key,
		   bool required, json_int_t min, json_int_t max, json_int_t *out)
{
	json_t *v = json_object_get(o, key);
	if (v == NULL) {
		if (!required)
			return 0;
		return fail(c, pre, key, "required field missing");
	}
	if (!json_is_integer(v))
		return fail(c, pre, key,
			    "expected integer %" JSON_INTEGER_FORMAT
			    "..%" JSON_INTEGER_FORMAT ", got %s",
			    min, max, type_name(v));
	json_int_t x = json_integer_value(v);
	if (x < min || x > max)
		return fail(c, pre, key,
			    "expected integer %" JSON_INTEGER_FORMAT
			    "..%" JSON_INTEGER_FORMAT ", got %" JSON_INTEGER_FORMAT,
			    min, max, x);
	*out = x;
	return 1;
}

static int get_str(struct pctx *c, json_t *o, const char *pre, const char *key,
		   const char **out)
{
	json_t *v = json_object_get(o, key);
	if (v == NULL)
		return fail(c, pre, key, "required field missing");
	if (!json_is_string(v))
		return fail(c, pre, key, "expected string, got %s", type_name(v));
	*out = json_string_value(v);
	return 1;
}

/* Looser than the one id rule (bordertrace/id.h) on purpose: readers accept
 * the UTF-8 ids other writers put in files. */
static int get_id(struct pctx *c, json_t *o, const char *key, char *out)
{
	const char *s;
	if (get_str(c, o, "", key, &s) < 0)
		return -1;
	size_t n = strlen(s);
	if (n >= BT_ID_MAX)
		return fail(c, "", key, "longer than %d bytes", BT_ID_MAX - 1);
	memcpy(out, s, n + 1);
	return 1;
}

static int get_addr(struct pctx *c, json_t *o, const char *pre, const char *key,
		    bool allow_null, bt_addr *out)
{
	char sh[BT_SHOW_BUF];
	json_t *v = json_object_get(o, key);
	if (v == NULL)
		return fail(c, pre, key, "required field missing");
	if (json_is_null(v) && allow_null) {
		memset(out, 0, sizeof(*out));
		return 1;
	}
	if (!json_is_string(v))
		return fail(c, pre, key, "expected IP address string%s, got %s",
			    allow_null ? " or null" : "", type_name(v));
	if (bt_addr_parse(json_string_value(v), out) != 0)
		return fail(c, pre, key, "not an IP address: \"%s\"",
			    bt_show_str(sh, sizeof(sh), json_string_value(v)));
	return 1;
}

static int get_time(struct pctx *c, json_t *o, const char *key, int64_t *out)
{
	const char *s;
	char sh[BT_SHOW_BUF];
	if (get_str(c, o, "", key, &s) < 0)
		return -1;
	if (bt_time_parse(s, out) != 0)
		return fail(c, "", key,
			    "expected UTC time like \"2017-10-01T09:07:51.000000Z\", got \"%s\"",
			    bt_show_str(sh, sizeof(sh), s));
	return 1;
}

static int parse_mpls(struct pctx *c, json_t *a, const char *pre, bt_hop *h)
{
	if (!json_is_array(a))
		return fail(c, pre, "mpls", "expected array, got %s", type_name(a));
	size_t n = json_array_size(a);
	if (n > BT_MPLS_MAX)
		return fail(c, pre, "mpls", "%zu entries, at most %d", n,
			    BT_MPLS_MAX);
	for (size_t k = 0; k < n; k++) {
		char p[48];
		json_t *e = json_array_get(a, k);
		json_int_t label, tc, s, ttl;
		snprintf(p, sizeof(p), "%s.mpls[%zu]", pre, k);
		if (!json_is_object(e))
			return fail(c, p, "", "expected object, got %s",
				    type_name(e));
		if (get_int(c, e, p, "label", true, 0, MPLS_LABEL_MAX, &label) < 0 ||
		    get_int(c, e, p, "tc", true, 0, 7, &tc) < 0 ||
		    get_int(c, e, p, "s", true, 0, 1, &s) < 0 ||
		    get_int(c, e, p, "ttl", true, 0, 255, &ttl) < 0)
			return -1;
		h->mpls[k] = (bt_mpls){(uint32_t)label, (uint8_t)tc, (uint8_t)s,
				       (uint8_t)ttl};
	}
	h->mpls_count = (uint8_t)n;
	return 0;
}

/* Keys only a reply has; on a gap they would be data we cannot hold. */
static const char *const reply_keys[] = {
	"rtt_ms", "reply_ttl", "icmp_type", "icmp_code",
	"quoted_ttl", "size", "tcp_flags", "mpls",
};

/* The entry's TTL: version 1 holds one entry per TTL, in order, none
 * skipped (position i is TTL first_ttl + i); version 2 may hold several,
 * and its order is bt_trace_check's, once all are read. */
static int parse_hop_ttl(struct pctx *c, json_t *o, const char *pre, size_t i,
			 const bt_trace *t, bt_hop *h)
{
	json_int_t v;
	if (get_int(c, o, pre, "ttl", true, 1, TTL_MAX, &v) < 0)
		return -1;
	unsigned want = t->first_ttl + (unsigned)i;
	if (t->version == 1 && v != want)
		return fail(c, pre, "ttl",
			    "expected %u (first_ttl + %zu: hops in TTL order, "
			    "one per TTL), got %" JSON_INTEGER_FORMAT,
			    want, i, v);
	if (v > t->max_ttl)
		return fail(c, pre, "ttl", "%" JSON_INTEGER_FORMAT
			    " is above max_ttl %u", v, t->max_ttl);
	h->probe_ttl = (uint8_t)v;
	if (t->version == 1)
		return 0; /* a "flow" there is no key of version 1's: ignored */
	int has = get_int(c, o, pre, "flow", false, 0, 65535, &v);
	if (has < 0)
		return -1;
	h->has_flow = has > 0;
	h->flow = has ? (uint16_t)v : 0;
	return 0;
}

static int parse_hop(struct pctx *c, json_t *o, size_t i, const bt_trace *t,
		     bt_hop *h)
{
	char pre[32];
	json_int_t v;
	snprintf(pre, sizeof(pre), "hops[%zu]", i);

	if (!json_is_object(o))
		return fail(c, pre, "", "expected object, got %s", type_name(o));
	if (parse_hop_ttl(c, o, pre, i, t, h) < 0)
		return -1;
	if (get_addr(c, o, pre, "addr", true, &h->addr) < 0)
		return -1;
	bool gap = !bt_addr_is_set(&h->addr);
	if (get_int(c, o, pre, "attempt", true, gap ? 0 : 1, 255, &v) < 0)
		return -1;
	h->attempt = (uint8_t)v;

	if (gap) {
		for (size_t k = 0; k < sizeof(reply_keys) / sizeof(*reply_keys); k++)
			if (json_object_get(o, reply_keys[k]) != NULL)
				return fail(c, pre, reply_keys[k],
					    "not allowed on a gap (addr null)");
		return 0;
	}

	json_t *r = json_object_get(o, "rtt_ms");
	if (r == NULL)
		return fail(c, pre, "rtt_ms", "required field missing");
	/* Rounded to the nearest µs: exact for what we write (3 decimals). */
	double us = json_is_number(r) ? json_number_value(r) * 1000.0 : -1.0;
	if (!(us >= 0.0 && us < (double)RTT_US_MAX + 0.5))
		return fail(c, pre, "rtt_ms",
			    "expected number of milliseconds 0..4294967.295, got %s",
			    json_is_number(r) ? "a number out of range" : type_name(r));
	h->rtt_us = (uint32_t)(us + 0.5);

	if (get_int(c, o, pre, "reply_ttl", true, 0, 255, &v) < 0)
		return -1;
	h->reply_ttl = (uint8_t)v;
	int has_tcp = get_int(c, o, pre, "tcp_flags", false, 1, 255, &v);
	if (has_tcp < 0)
		return -1;
	if (has_tcp) {
		/* A TCP reply has no ICMP type; both would be ambiguous. */
		h->tcp_flags = (uint8_t)v;
		if (json_object_get(o, "icmp_type") != NULL)
			return fail(c, pre, "icmp_type",
				    "not allowed with tcp_flags (a TCP reply)");
		if (json_object_get(o, "icmp_code") != NULL)
			return fail(c, pre, "icmp_code",
				    "not allowed with tcp_flags (a TCP reply)");
	} else {
		if (get_int(c, o, pre, "icmp_type", true, 0, 255, &v) < 0)
			return -1;
		h->icmp_type = (uint8_t)v;
		if (get_int(c, o, pre, "icmp_code", true, 0, 255, &v) < 0)
			return -1;
		h->icmp_code = (uint8_t)v;
	}
	int has = get_int(c, o, pre, "quoted_ttl", false, 0, 255, &v);
	if (has < 0)
		return -1;
	h->quoted_ttl = has ? (uint8_t)v : 0;
	if (get_int(c, o, pre, "size", true, 0, 65535, &v) < 0)
		return -1;
	h->reply_size = (uint16_t)v;
	json_t *m = json_object_get(o, "mpls");
	if (m != NULL && parse_mpls(c, m, pre, h) < 0)
		return -1;
	return 0;
}

/* format and version first: on a record we cannot read, say that rather
 * than complain about its fields. */
static int parse_format(struct pctx *c, json_t *o, int *version)
{
	const char *s;
	char sh[BT_SHOW_BUF];
	if (get_str(c, o, "", "format", &s) < 0)
		return -1;
	if (strcmp(s, BT_TRACE_FORMAT_NAME) != 0)
		return fail(c, "", "format", "expected \"%s\", got \"%s\"",
			    BT_TRACE_FORMAT_NAME, bt_show_str(sh, sizeof(sh), s));
	json_t *jv = json_object_get(o, "v");
	if (jv == NULL)
		return fail(c, "", "v", "required field missing");
	if (!json_is_integer(jv))
		return fail(c, "", "v", "expected integer format version, got %s",
			    type_name(jv));
	json_int_t v = json_integer_value(jv);
	if (v != 1 && v != 2)
		return fail(c, "", "v",
			    "unsupported format version %" JSON_INTEGER_FORMAT
			    " (this reader knows versions 1 and 2)", v);
	*version = (int)v;
	return 0;
}

/* Who probed what, how: ids, method, addresses, the flow's fields. */
static int parse_probe_fields(struct pctx *c, json_t *o, bt_trace *t)
{
	const char *s;
	char sh[BT_SHOW_BUF];
	json_int_t v;
	if (get_id(c, o, "vp", t->vp) < 0 ||
	    get_id(c, o, "campaign", t->campaign) < 0 ||
	    get_id(c, o, "round", t->round) < 0)
		return -1;
	if (get_str(c, o, "", "method", &s) < 0)
		return -1;
	if (bt_method_parse(s, &t->method) != 0)
		return fail(c, "", "method",
			    "unknown method \"%s\" (expected icmp-paris, udp-paris or tcp-syn)",
			    bt_show_str(sh, sizeof(sh), s));
	if (get_addr(c, o, "", "src", true, &t->src) < 0 ||
	    get_addr(c, o, "", "dst", false, &t->dst) < 0)
		return -1;
	if (get_int(c, o, "", "flow", true, 0, 65535, &v) < 0)
		return -1;
	t->flow = (uint16_t)v;
	if (get_int(c, o, "", "sport", true, 0, 65535, &v) < 0)
		return -1;
	t->sport = (uint16_t)v;
	if (get_int(c, o, "", "dport", true, 0, 65535, &v) < 0)
		return -1;
	t->dport = (uint16_t)v;
	if (get_int(c, o, "", "icmp_sum", true, 0, 65535, &v) < 0)
		return -1;
	t->icmp_sum = (uint16_t)v;
	return 0;
}

/* When and how it ended: times, stop reason, the TTL range, counts. */
static int parse_outcome(struct pctx *c, json_t *o, bt_trace *t)
{
	const char *s;
	char sh[BT_SHOW_BUF];
	json_int_t v;
	if (get_time(c, o, "start", &t->start_us) < 0 ||
	    get_time(c, o, "end", &t->end_us) < 0)
		return -1;
	if (get_str(c, o, "", "stop", &s) < 0)
		return -1;
	/* "none" names an unfinished trace, which is never written. */
	if (bt_stop_parse(s, &t->stop) != 0 || t->stop == BT_STOP_NONE)
		return fail(c, "", "stop",
			    "unknown stop reason \"%s\" (expected completed, unreachable, "
			    "gaplimit, maxttl or error)",
			    bt_show_str(sh, sizeof(sh), s));
	if (get_int(c, o, "", "stop_ttl", true, 0, TTL_MAX, &v) < 0)
		return -1;
	t->stop_ttl = (uint8_t)v;
	if (get_int(c, o, "", "first_ttl", true, 1, TTL_MAX, &v) < 0)
		return -1;
	t->first_ttl = (uint8_t)v;
	if (get_int(c, o, "", "max_ttl", true, 1, TTL_MAX, &v) < 0)
		return -1;
	t->max_ttl = (uint8_t)v;
	if (t->max_ttl < t->first_ttl)
		return fail(c, "", "max_ttl", "%u is below first_ttl %u", t->max_ttl,
			    t->first_ttl);
	if (get_int(c, o, "", "probes_sent", true, 0, UINT32_MAX, &v) < 0)
		return -1;
	t->probes_sent = (uint32_t)v;
	/* Optional (split TTL); checked against the hops by bt_trace_check
	 * once they are read. */
	int has = get_int(c, o, "", "filled_below_ttl", false, 1, TTL_MAX, &v);
	if (has < 0)
		return -1;
	t->filled_below_ttl = has ? (uint8_t)v : 0;
	return 0;
}

/* The hops array, into a trace allocated for them with head's fields. */
static bt_trace *parse_hops(struct pctx *c, json_t *o, const bt_trace *head)
{
	json_t *hops = json_object_get(o, "hops");
	if (hops == NULL) {
		fail(c, "", "hops", "required field missing");
		return NULL;
	}
	if (!json_is_array(hops)) {
		fail(c, "", "hops", "expected array, got %s", type_name(hops));
		return NULL;
	}
	size_t n = json_array_size(hops);
	/* Checked before allocating: version 1 holds at most one entry per
	 * TTL, version 2 at most BT_HOPS_MAX. */
	size_t max = head->version == 1 ? TTL_MAX : BT_HOPS_MAX;
	if (n > max) {
		fail(c, "", "hops", "%zu entries, at most %zu", n, max);
		return NULL;
	}
	bt_trace *out = bt_trace_alloc(n);
	if (out == NULL) {
		msg(c, "out of memory");
		return NULL;
	}
	bt_hop *h = out->hops;
	size_t cap = out->hop_cap;
	*out = *head;
	out->hops = h;
	out->hop_cap = cap;
	for (size_t i = 0; i < n; i++) {
		if (parse_hop(c, json_array_get(hops, i), i, out, &out->hops[i]) < 0) {
			bt_trace_free(out);
			return NULL;
		}
		out->hop_count = i + 1;
	}
	return out;
}

static bt_trace *parse_trace(struct pctx *c, json_t *o)
{
	bt_trace head;
	memset(&head, 0, sizeof(head));
	if (parse_format(c, o, &head.version) < 0)
		return NULL;
	if (parse_probe_fields(c, o, &head) < 0 || parse_outcome(c, o, &head) < 0)
		return NULL;
	bt_trace *out = parse_hops(c, o, &head);
	if (out == NULL)
		return NULL;
	/* A version-1 record reads as the version-2 record it is (one entry
	 * per TTL): the C record is the current version's. */
	out->version = BT_TRACE_FORMAT_VERSION;
	/* Everything read can be written again. Every field is checked above
	 * but one, filled_below_ttl against the hops: its error comes from here. */
	if (bt_trace_check(out, c->err, c->errlen) != 0) {
		bt_trace_free(out);
		return NULL;
	}
	return out;
}

bt_trace *bt_trace_from_json(const char *line, size_t len, char *err,
			     size_t errlen)
{
	/* Our own canonical form first (trace_fast.c); anything else, and every
	 * error, through jansson. */
	bt_trace *fast = bt_trace_from_json_fast(line, len);
	if (fast != NULL)
		return fast;
	return bt_trace_from_json_general(line, len, err, errlen);
}

bt_trace *bt_trace_from_json_general(const char *line, size_t len, char *err,
				     size_t errlen)
{
	struct pctx c = {err, errlen};
	json_error_t je;
	/* DECODE_ANY so that a bare scalar reads as "not an object" rather
	 * than as a syntax error. */
	json_t *root = json_loadb(line, len,
				  JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
	if (root == NULL) {
		char jt[2 * JSON_ERROR_TEXT_LENGTH];
		msg(&c, "not JSON: %s (column %d)", bt_show_str(jt, sizeof(jt), je.text), je.column);
		return NULL;
	}
	bt_trace *t = NULL;
	if (!json_is_object(root))
		msg(&c, "not a JSON object (got %s)", type_name(root));
	else
		t = parse_trace(&c, root);
	json_decref(root);
	return t;
}

struct bt_trace_reader {
	bt_linereader *lr;
};

bt_trace_reader *bt_trace_reader_fdopen(FILE *f, const char *name)
{
	bt_trace_reader *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->lr = bt_linereader_fdopen(f, name);
	if (r->lr == NULL) {
		free(r);
		return NULL;
	}
	return r;
}

bt_trace_reader *bt_trace_reader_open(const char *path, char *err,
				      size_t errlen)
{
	/* Plain or gzip-compressed, never held whole (textfile.h). */
	bt_trace_reader *r = calloc(1, sizeof(*r));
	if (r == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	r->lr = bt_linereader_open(path, err, errlen);
	if (r->lr == NULL) {
		free(r);
		return NULL;
	}
	return r;
}

static bool blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

int bt_trace_reader_line(bt_trace_reader *r, const char **line, size_t *len, char *err, size_t errlen)
{
	int rc;
	while ((rc = bt_linereader_next(r->lr, line, len, err, errlen)) == 1)
		if (!blank(*line, *len))
			return 1;
	return rc;
}

int bt_trace_reader_next(bt_trace_reader *r, bt_trace **out, char *err,
			 size_t errlen)
{
	struct pctx c = {err, errlen};
	char why[512];
	const char *line;
	size_t len;
	int rc;
	*out = NULL;
	if ((rc = bt_trace_reader_line(r, &line, &len, err, errlen)) != 1)
		return rc;
	bt_trace *t = bt_trace_from_json(line, len, why, sizeof(why));
	if (t == NULL) {
		msg(&c, "%s:%lu: %s", bt_trace_reader_name(r),
		    bt_linereader_lineno(r->lr), why);
		return -1;
	}
	*out = t;
	return 1;
}

const char *bt_trace_reader_name(const bt_trace_reader *r)
{
	return bt_linereader_name(r->lr);
}

unsigned long bt_trace_reader_lineno(const bt_trace_reader *r)
{
	return bt_linereader_lineno(r->lr);
}

void bt_trace_reader_close(bt_trace_reader *r)
{
	if (r == NULL)
		return;
	bt_linereader_close(r->lr);
	free(r);
}

/* bt_trace_write with the caller's buffer, kept from one record to the next
 * (a prober writes thousands a second); *buf may start NULL, *cap 0. */
int bt_trace_write_buf(FILE *f, const bt_trace *t, char **buf, size_t *cap)
{
	size_t len = 0;
	if (bt_trace_to_json(t, buf, &len, cap) != 0)
		return -1;
	errno = 0;
	if (fwrite(*buf, 1, len, f) != len) {
		if (errno == 0)
			errno = EIO;
		return -1;
	}
	return 0;
}
