/* bordertrace-probe — what the prober's commands share on the command line:
 * the usage-error message and exit, and the checks of option values
 * (numbers, ids, user names). The convention is in doc/cli.md: usage errors
 * exit 2 with "(try '" PROG " COMMAND --help')", bad data and runtime
 * failures exit 1, every message on stderr starting with PROG ": ". */
#ifndef BORDERTRACE_PROBER_CLI_H
#define BORDERTRACE_PROBER_CLI_H

#include <stdio.h>

#define PROG "bordertrace-probe"

#define BT_EXIT_OK 0
#define BT_EXIT_DATA 1  /* bad data (a file's content) or a runtime failure */
#define BT_EXIT_USAGE 2 /* unknown command or option, bad option value, missing argument */

/* Prints PROG ": " and the message, then the try-help line for cmd, and
 * exits with BT_EXIT_USAGE. */
__attribute__((format(printf, 2, 3), noreturn))
void bt_cli_usage_error(const char *cmd, const char *fmt, ...);

/* Prints PROG ": " and the message on stderr; returns BT_EXIT_DATA. */
__attribute__((format(printf, 1, 2)))
int bt_cli_data_error(const char *fmt, ...);

/* The option's value as a whole number in min..max, or a usage error
 * naming opt and the range. */
unsigned bt_cli_uint(const char *cmd, const char *opt, const char *s, unsigned min, unsigned max);

/* s when it is a valid id (include/bordertrace/id.h), else a usage error
 * naming opt, the reason and the rule. */
const char *bt_cli_id(const char *cmd, const char *opt, const char *s);

/* s when it can be a user name, else a usage error. */
const char *bt_cli_user(const char *cmd, const char *s);

/* SIGINT and SIGTERM call stop, SIGHUP calls hup (when not NULL). */
void bt_cli_signals(void (*stop)(int), void (*hup)(int));

#endif
