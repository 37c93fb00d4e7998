/* bordertrace — integer literals in campaign files (see cfgint.h). A small
 * scanner of libconfig's lexical rules: strings, the three comment styles,
 * setting names (which may hold digits), floats and integers. */
#include "cfgint.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 4

typedef struct scan {
	const char *p, *end;
	char *o;
	unsigned line;
	const char *name[MAX_DEPTH + 1]; /* group names, then the last setting name */
	size_t namelen[MAX_DEPTH + 1];
	int depth;
} scan;

static bool is_name_start(char ch)
{
	return isalpha((unsigned char)ch) || ch == '*';
}

static bool is_name_char(char ch)
{
	return isalnum((unsigned char)ch) || ch == '*' || ch == '-' || ch == '_';
}

/* Copies [s->p, to) to the output, counting lines. */
static void copy_to(scan *s, const char *to)
{
	for (; s->p < to; s->p++) {
		s->line += *s->p == '\n';
		*s->o++ = *s->p;
	}
}

/* The end of a string, a comment or a name starting at p; p itself when
 * none starts there. */
static const char *skip_other(const char *p, const char *end)
{
	if (*p == '"') {
		for (p++; p < end && *p != '"'; p++)
			p += *p == '\\' && p + 1 < end;
		return p < end ? p + 1 : end;
	}
	if (*p == '#' || (*p == '/' && p + 1 < end && p[1] == '/')) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		return nl ? nl : end;
	}
	if (*p == '/' && p + 1 < end && p[1] == '*') {
		for (p += 2; p + 1 < end && !(p[0] == '*' && p[1] == '/'); p++)
			;
		return p + 1 < end ? p + 2 : end;
	}
	if (is_name_start(*p))
		while (p < end && is_name_char(*p))
			p++;
	return p;
}

/* The end of the number at p; *is_int and *has_l say what it is; *fits that
 * its value is at most INT64_MAX. */
static const char *number_end(const char *p, const char *end, bool *is_int, bool *has_l, bool *fits)
{
	uint64_t v = 0;
	bool hex = end - p > 2 && p[0] == '0' && (p[1] | 0x20) == 'x' && isxdigit((unsigned char)p[2]);
	unsigned base = hex ? 16 : 10;
	*fits = true;
	for (p += hex ? 2 : 0; p < end && (hex ? isxdigit((unsigned char)*p) : isdigit((unsigned char)*p)); p++) {
		unsigned d = isdigit((unsigned char)*p) ? (unsigned)(*p - '0') : (unsigned)((*p | 0x20) - 'a' + 10);
		if (v > (UINT64_C(0x7fffffffffffffff) - d) / base)
			*fits = false;
		v = v * base + d;
	}
	*is_int = hex || p == end || (*p != '.' && (*p | 0x20) != 'e');
	if (!*is_int) { /* a float: [digits][.digits][e[+-]digits] */
		while (p < end && (isdigit((unsigned char)*p) || *p == '.'))
			p++;
		if (p < end && (*p | 0x20) == 'e') {
			p += 1 + (p + 1 < end && (p[1] == '+' || p[1] == '-'));
			while (p < end && isdigit((unsigned char)*p))
				p++;
		}
	}
	*has_l = *is_int && p < end && *p == 'L';
	while (*has_l && p < end && *p == 'L')
		p++;
	return p;
}

static void note_name(scan *s, const char *from, const char *to)
{
	s->name[s->depth] = from;
	s->namelen[s->depth] = (size_t)(to - from);
}

static void group(scan *s, char ch)
{
	if (ch == '{' && s->depth < MAX_DEPTH) {
		s->depth++;
		s->name[s->depth] = NULL;
	} else if (ch == '}' && s->depth > 0) {
		s->depth--;
	}
}

static int too_wide(const scan *s, const char *tok, const char *end, const char *file, char *err,
		    size_t errlen)
{
	char field[(MAX_DEPTH + 1) * 42] = ""; /* each name cut to 40, and a '.' */
	size_t n = 0;
	for (int i = 0; i <= s->depth && s->name[i] != NULL && n < sizeof(field); i++)
		n += (size_t)snprintf(field + n, sizeof(field) - n, "%s%.*s", i ? "." : "",
				      (int)(s->namelen[i] > 40 ? 40 : s->namelen[i]), s->name[i]);
	int toklen = end - tok > 40 ? 40 : (int)(end - tok);
	snprintf(err, errlen, "%s:%u: field '%s': '%.*s%s' does not fit in 64 bits", file, s->line, field,
		 toklen, tok, end - tok > 40 ? "..." : "");
	return -1;
}

char *bt_cfgint_widen(const char *text, size_t len, const char *name, char *err, size_t errlen)
{
	char *out = malloc(2 * len + 1); /* at most one L per byte */
	if (out == NULL) {
		snprintf(err, errlen, "%s: out of memory", name);
		return NULL;
	}
	scan s = { .p = text, .end = text + len, .o = out, .line = 1 };
	while (s.p < s.end) {
		bool num = isdigit((unsigned char)*s.p) ||
			   (*s.p == '.' && s.p + 1 < s.end && isdigit((unsigned char)s.p[1]));
		if (!num) {
			const char *to = skip_other(s.p, s.end);
			if (to == s.p) {
				group(&s, *s.p);
				to++;
			} else if (is_name_start(*s.p)) {
				note_name(&s, s.p, to);
			}
			copy_to(&s, to);
			continue;
		}
		bool is_int, has_l, fits;
		const char *tok = s.p, *to = number_end(s.p, s.end, &is_int, &has_l, &fits);
		if (is_int && !fits) {
			too_wide(&s, tok, to, name, err, errlen);
			free(out);
			return NULL;
		}
		copy_to(&s, to);
		if (is_int && !has_l)
			*s.o++ = 'L';
	}
	*s.o = '\0';
	return out;
}
