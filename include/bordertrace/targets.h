/* bordertrace — target lists: addresses from arguments and files.
 *
 * The file format is one address per line; '#' starts a comment; blank lines
 * are skipped; a file may be gzip-compressed. Parsing is a pure function
 * over a buffer; errors name the source and line. */
#ifndef BORDERTRACE_TARGETS_H
#define BORDERTRACE_TARGETS_H

#include <stddef.h>

#include "bordertrace/addr.h"

typedef struct bt_targets {
	bt_addr *a;
	size_t n, cap;
} bt_targets;

void bt_targets_init(bt_targets *t);
void bt_targets_free(bt_targets *t);
/* One address; 0, or -1 with a reason in err. */
int bt_targets_add_string(bt_targets *t, const char *s, char *err, size_t errlen);
/* Calls fn(token, lineno) for every non-blank line of a list, '#' comments
 * and surrounding blanks stripped; stops at the first non-zero return. A
 * token longer than 63 bytes or holding a NUL comes as "" (the caller
 * reports it as bad). */
typedef int (*bt_line_fn)(const char *tok, size_t lineno, void *arg);
int bt_list_lines(const char *buf, size_t len, bt_line_fn fn, void *arg);
/* Parses a whole list; name is used in errors ("name:line: ..."). */
int bt_targets_parse(bt_targets *t, const char *buf, size_t len, const char *name, char *err,
		     size_t errlen);
/* Reads (bt_textfile_read: gzip or plain) and parses a file. */
int bt_targets_load(bt_targets *t, const char *path, char *err, size_t errlen);
/* Removes repeated addresses keeping the first; returns how many were removed. */
size_t bt_targets_dedup(bt_targets *t);

#endif
