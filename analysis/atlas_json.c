/* bordertrace — the Atlas mapper's JSON tree (see atlas_json.h). */
#include "atlas_json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK 1024
#define DEPTH_MAX 64

typedef struct block {
	struct block *next;
	jv n[BLOCK];
} block;

struct jv_arena {
	block *first, *cur; /* nodes are taken from cur, then its successors */
	size_t used;        /* in cur */
};

jv_arena *jv_arena_new(void)
{
	jv_arena *a = calloc(1, sizeof(*a));
	if (a != NULL && (a->first = a->cur = calloc(1, sizeof(block))) == NULL) {
		free(a);
		a = NULL;
	}
	return a;
}

void jv_arena_free(jv_arena *a)
{
	if (a == NULL)
		return;
	for (block *b = a->first, *nb; b != NULL; b = nb) {
		nb = b->next;
		free(b);
	}
	free(a);
}

static void reset(jv_arena *a)
{
	a->cur = a->first;
	a->used = 0;
}

static inline jv *new_node(jv_arena *a, jv_kind k)
{
	if (a->used == BLOCK) {
		if (a->cur->next == NULL && (a->cur->next = calloc(1, sizeof(block))) == NULL)
			return NULL;
		a->cur = a->cur->next;
		a->used = 0;
	}
	jv *v = &a->cur->n[a->used++];
	memset(v, 0, sizeof(*v));
	v->kind = k;
	return v;
}

/* ---- the fast parser: 1 parsed, 0 not vouched for, -1 out of memory ---- */

typedef struct parser {
	const char *p, *end;
	jv_arena *a;
	int depth;
	jv_hook hook;   /* the top level's members first, when set */
	void *hctx;
} parser;

static void ws(parser *ps)
{
	ps->p = jv_ws(ps->p, ps->end);
}

const bool jv_plain[256] = {
	[0x20] = 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	[0x30] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	[0x40] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	[0x50] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
	[0x60] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	[0x70] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,
};

/* A string of printable ASCII without escapes: its bytes in *s, *n. */
static int str(parser *ps, const char **s, uint32_t *n)
{
	return jv_str_at(&ps->p, ps->end, s, n);
}

static const char *digits(const char *p, const char *end)
{
	while (p < end && *p >= '0' && *p <= '9')
		p++;
	return p;
}

/* Digits from p on, into *m (which wraps past 19 digits: used only for 15
 * or fewer); the end. */
static const char *digits_into(const char *p, const char *end, uint64_t *m)
{
	for (; p < end && *p >= '0' && *p <= '9'; p++)
		*m = *m * 10 + (uint64_t)(*p - '0');
	return p;
}

/* A number written with an exponent or more than 15 digits, by
 * strtoll/strtod (out of range: jansson says how). */
static int slow_number(const char *b, const char *e, bool real, jv *v)
{
	char tmp[64];
	if (e - b >= (long)sizeof(tmp))
		return 0;
	memcpy(tmp, b, (size_t)(e - b));
	tmp[e - b] = '\0';
	char *stop;
	errno = 0;
	if (real)
		v->u.d = strtod(tmp, &stop);
	else
		v->u.i = strtoll(tmp, &stop, 10);
	return errno == 0 && *stop == '\0';
}

/* JSON's number grammar; integers that fit 64 bits, finite reals. At most
 * 15 digits and no exponent (what Atlas writes) are read in the same pass
 * without strtod: the digits as an integer, divided by a power of ten;
 * both exact in a double, so the one rounding of the division gives what
 * strtod gives (Clinger's fast path). */
const double jv_p10[16] = { 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
			    1e12, 1e13, 1e14, 1e15 };

static int number(parser *ps, jv *v)
{
	if (jv_num_short(&ps->p, ps->end, v))
		return 1;
	const double *p10 = jv_p10;
	const char *b = ps->p, *p = b, *e = ps->end;
	bool neg = p < e && *p == '-';
	const char *d = p + neg;
	uint64_t m = 0;
	p = digits_into(d, e, &m);
	long nd = p - d, nfrac = 0;
	if (nd == 0 || (*d == '0' && nd > 1))
		return 0;
	bool real = false, expo = false;
	if (p < e && *p == '.') {
		const char *f = ++p;
		if ((p = digits_into(p, e, &m)) == f)
			return 0;
		nfrac = p - f;
		real = true;
	}
	if (p < e && (*p == 'e' || *p == 'E')) {
		if (++p < e && (*p == '+' || *p == '-'))
			p++;
		const char *x = p;
		if ((p = digits(p, e)) == x)
			return 0;
		real = expo = true;
	}
	ps->p = p;
	v->kind = real ? JV_REAL : JV_INT;
	if (expo || nd + nfrac > 15)
		return slow_number(b, p, real, v);
	if (!real) {
		v->u.i = neg ? -(int64_t)m : (int64_t)m;
	} else {
		double q = (double)m / p10[nfrac];
		v->u.d = neg ? -q : q;
	}
	return 1;
}

static int value(parser *ps, jv *v);

/* Whether one of the members from first on has m's key. */
static bool duplicate(const jv *first, const jv *m)
{
	for (const jv *o = first; o != NULL; o = o->next)
		if (o->keylen == m->keylen && memcmp(o->key, m->key, m->keylen) == 0)
			return true;
	return false;
}

/* The members of an object or array after its opening bracket. */
static int members(parser *ps, jv *v, bool obj)
{
	char close = obj ? '}' : ']';
	jv **tail = &v->u.first;
	uint64_t keys[2] = { 0, 0 };
	ws(ps);
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		return 1;
	}
	for (;;) {
		jv *m = new_node(ps->a, JV_NULL);
		if (m == NULL)
			return -1;
		if (obj) {
			if (ps->p >= ps->end || *ps->p != '"' || str(ps, &m->key, &m->keylen) != 1)
				return 0;
			/* a duplicate key is jansson's error; the keys so far are
			 * compared only when one of them may share this key: two
			 * 64-bit filters, of its length and first byte and of its
			 * last and middle bytes, both say so (one filter let
			 * dst_addr and dst_name, msm_name and src_addr meet in
			 * every result: a memcmp call each) */
			uint32_t n = m->keylen;
			unsigned k0 = n ? (unsigned char)m->key[0] : 0u, kl = n ? (unsigned char)m->key[n - 1] : 0u,
				 km = n ? (unsigned char)m->key[n / 2] : 0u;
			uint64_t b0 = UINT64_C(1) << ((n * 7u + k0) & 63), b1 = UINT64_C(1) << ((kl * 5u + km * 3u + n) & 63);
			if ((keys[0] & b0) != 0 && (keys[1] & b1) != 0 && duplicate(v->u.first, m))
				return 0;
			keys[0] |= b0;
			keys[1] |= b1;
			ws(ps);
			if (ps->p >= ps->end || *ps->p++ != ':')
				return 0;
		}
		/* strings and numbers (most members) without the call and
		 * switch of value() */
		ws(ps);
		int rc = JV_HOOK_PASS;
		if (obj && ps->hook != NULL && ps->depth == 1)
			rc = ps->hook(ps->hctx, m->key, m->keylen, &ps->p, ps->end, m);
		char c = ps->p < ps->end ? *ps->p : '\0';
		if (rc != JV_HOOK_PASS) {
			/* the hook read the value (1), or cannot vouch for it (0, -1) */
		} else if (c == '"') {
			m->kind = JV_STR;
			rc = str(ps, &m->u.s, &m->len);
		} else if ((c >= '0' && c <= '9') || c == '-') {
			rc = number(ps, m);
		} else {
			rc = value(ps, m);
		}
		if (rc != 1)
			return rc;
		*tail = m;
		tail = &m->next;
		v->len++;
		ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			ws(ps);
			continue;
		}
		if (ps->p < ps->end && *ps->p++ == close)
			return 1;
		return 0;
	}
}

static int literal(parser *ps, const char *word, jv_kind k, int64_t i, jv *v)
{
	size_t n = strlen(word);
	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
		return 0;
	ps->p += n;
	v->kind = k;
	v->u.i = i;
	return 1;
}

static int value(parser *ps, jv *v)
{
	ws(ps);
	if (ps->p >= ps->end)
		return 0;
	switch (*ps->p) {
	case '{':
	case '[': {
		bool obj = *ps->p++ == '{';
		if (++ps->depth > DEPTH_MAX)
			return 0;
		v->kind = obj ? JV_OBJ : JV_ARR;
		int rc = members(ps, v, obj);
		ps->depth--;
		return rc;
	}
	case '"':
		v->kind = JV_STR;
		return str(ps, &v->u.s, &v->len);
	case 't': return literal(ps, "true", JV_BOOL, 1, v);
	case 'f': return literal(ps, "false", JV_BOOL, 0, v);
	case 'n': return literal(ps, "null", JV_NULL, 0, v);
	default: return number(ps, v);
	}
}

int jv_parse_prefix(jv_arena *a, const char *text, size_t len, jv **out, size_t *used)
{
	return jv_parse_hooked(a, text, len, out, used, NULL, NULL);
}

int jv_parse_hooked(jv_arena *a, const char *text, size_t len, jv **out, size_t *used, jv_hook hook,
		    void *ctx)
{
	reset(a);
	parser ps = { text, text + len, a, 0, hook, ctx };
	if (len == 0 || *text != '{')
		return 0;
	jv *v = new_node(a, JV_NULL);
	if (v == NULL)
		return -1;
	int rc = value(&ps, v);
	*out = v;
	*used = (size_t)(ps.p - text);
	return rc;
}

int jv_parse_fast(jv_arena *a, const char *text, size_t len, jv **out)
{
	parser ps = { text, text + len, a, 0, NULL, NULL };
	ws(&ps);
	size_t used;
	int rc = jv_parse_prefix(a, ps.p, (size_t)(ps.end - ps.p), out, &used);
	if (rc != 1)
		return rc;
	ps.p += used;
	ws(&ps);
	return ps.p == ps.end;
}

/* ---- lexing, for a hook ---- */

/* ---- from jansson's tree ---- */

static jv *convert(jv_arena *a, const json_t *j)
{
	jv *v = new_node(a, JV_NULL);
	if (v == NULL)
		return NULL;
	jv **tail = &v->u.first;
	size_t i;
	const char *k;
	const json_t *m;
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		v->kind = JV_OBJ;
		json_object_foreach((json_t *)j, k, m) {
			jv *c = convert(a, m);
			if (c == NULL)
				return NULL;
			c->key = k;
			c->keylen = (uint32_t)strlen(k);
			*tail = c;
			tail = &c->next;
			v->len++;
		}
		break;
	case JSON_ARRAY:
		v->kind = JV_ARR;
		json_array_foreach(j, i, m) {
			jv *c = convert(a, m);
			if (c == NULL)
				return NULL;
			*tail = c;
			tail = &c->next;
			v->len++;
		}
		break;
	case JSON_STRING:
		v->kind = JV_STR;
		v->u.s = json_string_value(j);
		v->len = (uint32_t)json_string_length(j);
		break;
	case JSON_INTEGER: v->kind = JV_INT, v->u.i = json_integer_value(j); break;
	case JSON_REAL: v->kind = JV_REAL, v->u.d = json_real_value(j); break;
	case JSON_TRUE: v->kind = JV_BOOL, v->u.i = 1; break;
	case JSON_FALSE: v->kind = JV_BOOL; break;
	default: break;
	}
	return v;
}

jv *jv_from_jansson(jv_arena *a, const json_t *j)
{
	reset(a);
	return convert(a, j);
}

/* ---- reading the tree ---- */

const char *jv_cstr(const jv *v, char *buf, size_t cap)
{
	if (v == NULL || v->kind != JV_STR || v->len >= cap || memchr(v->u.s, '\0', v->len) != NULL)
		return NULL;
	memcpy(buf, v->u.s, v->len);
	buf[v->len] = '\0';
	return buf;
}
