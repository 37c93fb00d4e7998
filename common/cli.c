/* bordertrace — command-line helpers both programs share
 * (include/bordertrace/cli.h). */
#include "bordertrace/cli.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static void describe(int c, char *const *argv, char *buf, size_t buflen)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "";
	char shortopt[3] = { '-', (char)optopt, '\0' };
	/* a long option is named by its argument (up to any '='); a short one
	 * by optopt, as it may sit in a bundle such as -qx */
	bool is_long = strncmp(arg, "--", 2) == 0 && (c == ':' || optopt == 0);
	const char *name = is_long ? arg : shortopt;
	int n = (int)strcspn(name, "=");
	if (c == ':')
		snprintf(buf, buflen, "option '%.*s' needs a value", n, name);
	else
		snprintf(buf, buflen, "unknown option '%.*s'", n, name);
}

int bt_cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
		  char *why, size_t whylen)
{
	char opts[128];
	/* the leading ':' tells a missing value (':') from an unknown option */
	snprintf(opts, sizeof(opts), ":%s", shortopts);
	opterr = 0;
	int c = getopt_long(argc, argv, opts, longopts, NULL);
	if (c == '?' || c == ':') {
		describe(c, argv, why, whylen);
		return '?';
	}
	return c;
}
