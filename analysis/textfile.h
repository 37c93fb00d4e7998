/* bordertrace — reading the analysis side's text inputs (internal header).
 *
 * Prefix tables and IXP lists are read whole into memory (gzip or plain, as
 * CAIDA ships prefix2as gzipped) and then parsed by pure functions over the
 * buffer, line by line, so that the parsers are tested on strings. */
#ifndef BT_ANALYSIS_TEXTFILE_H
#define BT_ANALYSIS_TEXTFILE_H

#include <stddef.h>
#include <stdint.h>

/* Reads path (gzip-compressed or not) into a NUL-terminated malloc'ed buffer.
 * Returns 0, or -1 with a message naming the file in err. */
int bt_textfile_read(const char *path, char **buf, size_t *len, char *err, size_t errlen);

/* Line cursor over a buffer: yields each line without its "\n" / "\r\n". */
typedef struct bt_lines {
	const char *p, *end;
	uint32_t lineno; /* 1-based number of the line last returned */
} bt_lines;

void bt_lines_init(bt_lines *l, const char *buf, size_t len);
/* Returns 1 and the line in *line / *len, or 0 at the end. */
int bt_lines_next(bt_lines *l, const char **line, size_t *len);

/* Trims ASCII blanks at both ends of [*s, *s + *n). */
void bt_trim(const char **s, size_t *n);

/* Copies a field to buf as a C string; returns -1 when it does not fit. */
int bt_field_copy(char *buf, size_t buflen, const char *s, size_t n);

/* Parses an AS number: decimal, optionally "AS"/"as" first, <= 4294967295.
 * Returns 0 or -1. */
int bt_asn_parse(const char *s, size_t n, uint32_t *asn);

/* Copies a possibly double-quoted CSV value ("" inside quotes is one quote)
 * to buf; an unquoted value is copied as is. Returns -1 on an unterminated
 * quote, text after the closing quote, or when it does not fit. */
int bt_unquote(const char *s, size_t n, char *buf, size_t buflen);

/* Append-only string pool: strings are referred to by offset, so the pool
 * may move while it grows. */
typedef struct bt_pool {
	char *p;
	size_t len, cap;
} bt_pool;

/* Appends s (NUL-terminated) and returns 0 with its offset, or -1. */
int bt_pool_add(bt_pool *pool, const char *s, uint32_t *off);
void bt_pool_free(bt_pool *pool);

#endif
