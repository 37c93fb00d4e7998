/* bordertrace — command-line helpers both programs share
 * (include/bordertrace/cli.h). */
#include "bordertrace/cli.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Whether the option getopt refused is the long option arg names: glibc
 * sets optopt to 0 for an unknown one, and to the option's val for one given
 * a value it does not take (--json=1); abbreviations count (--js=1). */
static bool refused_long(const char *arg, const struct option *longopts)
{
	if (optopt == 0)
		return true;
	size_t n = strcspn(arg + 2, "=");
	for (const struct option *o = longopts; o != NULL && o->name != NULL; o++)
		if (strncmp(o->name, arg + 2, n) == 0 && o->flag == NULL && o->val == optopt)
			return true;
	return false;
}

static void describe(int c, char *const *argv, const struct option *longopts, char *buf, size_t buflen)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "";
	char shortopt[3] = { '-', (char)optopt, '\0' };
	/* a long option is named by its argument (up to any '='); a short one
	 * by optopt, as it may sit in a bundle such as -qx (then arg is still
	 * the element before the bundle, which may be a long option) */
	bool is_long = strncmp(arg, "--", 2) == 0 && (c == ':' || refused_long(arg, longopts));
	const char *name = is_long ? arg : shortopt;
	int n = (int)strcspn(name, "=");
	if (c == ':')
		snprintf(buf, buflen, "option '%.*s' needs a value", n, name);
	else if (is_long && name[n] == '=' && optopt != 0)
		snprintf(buf, buflen, "option '%.*s' takes no value", n, name);
	else if ((unsigned)optopt > 0x20 && (unsigned)optopt < 0x7f)
		snprintf(buf, buflen, "unknown option '%.*s'", n, name);
	else if (is_long)
		snprintf(buf, buflen, "unknown option '%.*s'", n, name);
	else
		snprintf(buf, buflen, "unknown option");
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
		describe(c, argv, longopts, why, whylen);
		return '?';
	}
	return c;
}
