/* bordertrace — the JSON values the Atlas mapper reads (internal to
 * analysis/atlas.c): a small tree in an arena, built either by a fast
 * parser of the plain JSON Atlas writes (ASCII strings without escapes,
 * depth up to 64) or, for anything else, from jansson's tree. jansson stays
 * the judge of what is JSON: the fast parser only takes what is surely
 * valid and leaves the rest (and every error message) to it. */
#ifndef BT_ANALYSIS_ATLAS_JSON_H
#define BT_ANALYSIS_ATLAS_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

typedef enum jv_kind { JV_NULL, JV_BOOL, JV_INT, JV_REAL, JV_STR, JV_ARR, JV_OBJ } jv_kind;

typedef struct jv {
	jv_kind kind;
	uint32_t len;      /* JV_STR: bytes; JV_ARR/JV_OBJ: members */
	union {
		int64_t i;     /* JV_INT, JV_BOOL */
		double d;      /* JV_REAL */
		const char *s; /* JV_STR: not NUL-terminated */
		struct jv *first; /* JV_ARR/JV_OBJ */
	} u;
	const char *key;   /* a member of an object: its key */
	uint32_t keylen;
	struct jv *next;   /* the next member */
} jv;

typedef struct jv_arena jv_arena;

jv_arena *jv_arena_new(void);
void jv_arena_free(jv_arena *a);

/* The tree of text[0, len): 1 and *out; 0 when the fast parser cannot
 * vouch for the text (then ask jansson); -1 out of memory. Nodes live
 * until the next parse or conversion on the arena. */
int jv_parse_fast(jv_arena *a, const char *text, size_t len, jv **out);
/* The same for the object at the start of text, which may go on after it:
 * *used is its length. 0 also when text ends inside it. */
int jv_parse_prefix(jv_arena *a, const char *text, size_t len, jv **out, size_t *used);
/* A reader of the top-level object's members: called with each member's
 * key and *p at its value (past the blanks); reads the value itself (*p
 * past it, node filled: JV_HOOK_TAKEN), leaves it to the parser
 * (JV_HOOK_PASS, *p untouched), or cannot vouch for it (0) or is out of
 * memory (-1), which end the parse as the parser's own 0 and -1. */
enum { JV_HOOK_TAKEN = 1, JV_HOOK_PASS = 2 };
typedef int (*jv_hook)(void *ctx, const char *key, uint32_t keylen, const char **p, const char *end,
		       jv *node);
/* jv_parse_prefix with a hook for the top level's members. */
int jv_parse_hooked(jv_arena *a, const char *text, size_t len, jv **out, size_t *used, jv_hook hook,
		    void *ctx);

/* What the parser and a hook read with (inline: a result holds ~200
 * values). Blanks from p on: the first other byte. */
static inline const char *jv_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r'))
		p++;
	return p;
}

/* The bytes a string takes as they are: printable ASCII but the quote and
 * the backslash (a table: one test a byte). */
extern const bool jv_plain[256];

/* The string at *p (its quote): 1, its bytes in *s, *n and *p past it; 0
 * for the end, a control or non-ASCII byte, an escape (jansson's). */
static inline int jv_str_at(const char **p, const char *end, const char **s, uint32_t *n)
{
	const char *b = *p + 1, *q = b;
	if (*p >= end || **p != '"')
		return 0;
#ifdef __SSE2__
	/* sixteen bytes at a time where there are sixteen: the first that is
	 * not plain (below 0x20 as a signed byte: a control or non-ASCII; the
	 * quote, the backslash, DEL), as the table says */
	while (end - q >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)q);
		__m128i bad = _mm_or_si128(_mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
							_mm_cmpeq_epi8(v, _mm_set1_epi8('"'))),
					   _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\\')),
							_mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f))));
		unsigned m = (unsigned)_mm_movemask_epi8(bad);
		if (m != 0) {
			q += __builtin_ctz(m);
			goto found;
		}
		q += 16;
	}
#endif
	while (q < end && jv_plain[(unsigned char)*q])
		q++;
#ifdef __SSE2__
found:
#endif
	if (q >= end || *q != '"')
		return 0;
	*s = b;
	*n = (uint32_t)(q - b);
	*p = q + 1;
	return 1;
}

extern const double jv_p10[16];

/* The number at *p when it is short: an integer of at most 15 digits, or
 * one with a fraction and at most 15 digits in all, no exponent (what
 * Atlas writes): 1 and *p past it. The digits as an integer, divided by a
 * power of ten, both exact in a double, so the one rounding of the
 * division gives what strtod gives (Clinger's fast path). 0 for anything
 * else, *p untouched (the parser reads it the long way, or refuses it). */
static inline int jv_num_short(const char **pp, const char *end, jv *v)
{
	const char *p = *pp;
	bool neg = p < end && *p == '-';
	p += neg;
	const char *d = p;
	uint64_t m = 0;
	for (; p < end && *p >= '0' && *p <= '9'; p++)
		m = m * 10 + (uint64_t)(*p - '0');
	long nd = p - d, nf = 0;
	if (nd == 0 || nd > 15 || (*d == '0' && nd > 1))
		return 0;
	if (p < end && *p == '.') {
		const char *f = ++p;
		for (; p < end && *p >= '0' && *p <= '9'; p++)
			m = m * 10 + (uint64_t)(*p - '0');
		nf = p - f;
		if (nf == 0 || nd + nf > 15)
			return 0;
	}
	if (p < end && (*p == 'e' || *p == 'E'))
		return 0;
	if (nf == 0) {
		v->kind = JV_INT;
		v->u.i = neg ? -(int64_t)m : (int64_t)m;
	} else {
		double q = (double)m / jv_p10[nf];
		v->kind = JV_REAL;
		v->u.d = neg ? -q : q;
	}
	*pp = p;
	return 1;
}

/* The same tree from jansson's; NULL out of memory. Strings point into j. */
jv *jv_from_jansson(jv_arena *a, const json_t *j);

/* A string value as a C string in buf (NULL if v is no string, or one
 * that does not fit, or one holding a NUL). */
const char *jv_cstr(const jv *v, char *buf, size_t cap);

/* The member k of object o (NULL when o is not an object or lacks it).
 * Inline, so that a literal key's length is known when compiling. */
static inline const jv *jv_get(const jv *o, const char *k)
{
	if (o == NULL || o->kind != JV_OBJ)
		return NULL;
	size_t n = strlen(k);
	for (const jv *m = o->u.first; m != NULL; m = m->next)
		if (m->keylen == n && m->key[0] == k[0] && memcmp(m->key, k, n) == 0)
			return m;
	return NULL;
}

/* o's member k as an integer in lo..hi. */
static inline bool jv_int(const jv *o, const char *k, int64_t lo, int64_t hi, int64_t *v)
{
	const jv *j = jv_get(o, k);
	if (j == NULL || j->kind != JV_INT || j->u.i < lo || j->u.i > hi)
		return false;
	*v = j->u.i;
	return true;
}

static inline bool jv_is(const jv *v, jv_kind k)
{
	return v != NULL && v->kind == k;
}

/* An array's first member (NULL for an empty array or another value). */
static inline const jv *jv_first(const jv *v)
{
	return jv_is(v, JV_ARR) ? v->u.first : NULL;
}

static inline bool jv_is_number(const jv *v)
{
	return jv_is(v, JV_INT) || jv_is(v, JV_REAL);
}

static inline double jv_number(const jv *v)
{
	return v->kind == JV_INT ? (double)v->u.i : v->u.d;
}

#endif
