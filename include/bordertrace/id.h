/* bordertrace — the one rule for ids (vp, campaign, round).
 *
 * An id goes into every trace record, into file and directory names (a
 * campaign's OUTPUT/NAME/VP/) and into CSV cells, so every program that takes
 * an id from a user (command line, campaign file) checks it with this rule:
 * 1..BT_ID_MAX-1 printable ASCII characters (0x21..0x7e), none of '/', '"',
 * '\\', not starting with '.' (readers skip hidden names) nor with a
 * character a spreadsheet reads as a formula ('=', '+', '-', '@'). */
#ifndef BORDERTRACE_ID_H
#define BORDERTRACE_ID_H

#include <stdbool.h>
#include <stddef.h>

/* NULL if s is a valid id, else a short reason ("contains '/'"). */
const char *bt_id_problem(const char *s);

static inline bool bt_id_valid(const char *s)
{
	return bt_id_problem(s) == NULL;
}

/* The rule in words, for messages. */
#define BT_ID_RULE "1..63 printable ASCII characters without '/', quotes, '\\' or spaces, not starting with '.', '=', '+', '-' or '@'"

#endif
