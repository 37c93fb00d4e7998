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
