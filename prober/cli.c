/* bordertrace-probe — the command-line conventions its commands share
 * (prober/cli.h, doc/cli.md). */
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "bordertrace/id.h"
#include "bordertrace/show.h"

void bt_cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(try '" PROG " %s --help')\n", cmd);
	exit(BT_EXIT_USAGE);
}

int bt_cli_data_error(const char *fmt, ...)
{
	va_list ap;
	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return BT_EXIT_DATA;
}

unsigned bt_cli_uint(const char *cmd, const char *opt, const char *s, unsigned min, unsigned max)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || *s == '-' || v < min || v > max)
		bt_cli_usage_error(cmd, "%s: '%s' is not a whole number in %u..%u", opt, s, min, max);
	return (unsigned)v;
}

const char *bt_cli_id(const char *cmd, const char *opt, const char *s)
{
	const char *why = bt_id_problem(s);
	if (why == NULL)
		return s;
	/* the value is shown with its control characters escaped */
	char shown[BT_SHOW_BUF];
	bt_cli_usage_error(cmd, "%s: '%s' %s (an id is " BT_ID_RULE ")", opt,
			   bt_show_str(shown, sizeof(shown), s), why);
}

const char *bt_cli_user(const char *cmd, const char *s)
{
	if (*s == '\0' || strlen(s) > 64)
		bt_cli_usage_error(cmd, "--user: '%s' is not a user name", s);
	return s;
}

void bt_cli_signals(void (*stop)(int), void (*hup)(int))
{
	struct sigaction sa = { .sa_handler = stop };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (hup != NULL) {
		sa.sa_handler = hup;
		sigaction(SIGHUP, &sa, NULL);
	}
}
