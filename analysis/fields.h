/* bordertrace — fields of the analysis side's text tables (internal header).
 *
 * Prefix tables and IXP lists are read with bordertrace/textfile.h (whole,
 * gzip or plain, line by line); these helpers cut their lines into fields:
 * copies, AS numbers, quoted CSV values, and a pool for the strings kept. */
#ifndef BT_ANALYSIS_FIELDS_H
#define BT_ANALYSIS_FIELDS_H

#include <stddef.h>
#include <stdint.h>

#include "bordertrace/textfile.h"

/* Copies a field to buf as a C string; returns -1 when it does not fit. */
int bt_field_copy(char *buf, size_t buflen, const char *s, size_t n);

/* Parses an AS number: decimal, optionally "AS"/"as" first, <= 4294967295.
 * Returns 0 or -1. */
int bt_asn_parse(const char *s, size_t n, uint32_t *asn);

/* Copies a possibly double-quoted CSV value ("" inside quotes is one quote)
 * to buf; an unquoted value is copied as is. Returns 0 or one of these. */
enum {
	BT_UNQUOTE_OPEN = -1,  /* no closing quote */
	BT_UNQUOTE_AFTER = -2, /* text after the closing quote */
	BT_UNQUOTE_LONG = -3,  /* does not fit in buf */
};
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
