/* bordertrace — AS relationships (CAIDA's as-rel files), for the "as-rel"
 * rule of the interface-owner inference (owner.h; doc/path-diff.md,
 * "AS relationships").
 *
 * A file is read whole (plain or compressed: textfile.h) and parsed line by
 * line by a pure function: serial-1 "AS1|AS2|REL" and serial-2
 * "AS1|AS2|REL|SOURCE", REL -1 (AS1 is a provider of AS2) or 0 (peers);
 * '#' starts a comment line. The table answers "are A and B linked?",
 * "is A a provider of B?" and "is A a stub?". */
#ifndef BORDERTRACE_ASREL_H
#define BORDERTRACE_ASREL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One line: 1 and a, b, rel (-1 or 0); 0 for a blank or comment line; -1
 * with *why (a static string) for a bad line. */
int bt_asrel_parse_line(const char *line, size_t len, uint32_t *a, uint32_t *b, int *rel, const char **why);

typedef struct bt_asrel bt_asrel;

/* NULL on memory exhaustion. */
bt_asrel *bt_asrel_new(void);
void bt_asrel_free(bt_asrel *t);
/* The lines of buf (named fname in messages) into t: 0, or -1 with
 * "FNAME:LINE: reason: 'the line'" in err. A repeated pair is accepted
 * (the first kept). A buffer without a single relationship is an error. */
int bt_asrel_load_buffer(bt_asrel *t, const char *fname, const char *buf, size_t len, char *err,
			 size_t errlen);
/* The same from a file (plain, gzip, bzip2 or xz). */
int bt_asrel_load(bt_asrel *t, const char *path, char *err, size_t errlen);

/* Whether a and b have a relationship (either way; customer, provider or
 * peer). */
bool bt_asrel_linked(const bt_asrel *t, uint32_t a, uint32_t b);
/* Whether a is a provider of b (a line "a|b|-1"). */
bool bt_asrel_provides(const bt_asrel *t, uint32_t a, uint32_t b);
/* Whether a is in the file and a provider of nobody (a stub: no AS path
 * crosses it toward another network). An AS the file does not name is no
 * stub: nothing is known of it. */
bool bt_asrel_stub(const bt_asrel *t, uint32_t a);
/* Relationships held (pairs). */
size_t bt_asrel_count(const bt_asrel *t);

#endif
