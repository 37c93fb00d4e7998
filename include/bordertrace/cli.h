/* bordertrace — what both command-line programs share (doc/cli.md): the
 * description of an option getopt refused, so that both print it in the
 * same words and with their own prefix (getopt's own message would name
 * the command as if it were the program). */
#ifndef BORDERTRACE_CLI_H
#define BORDERTRACE_CLI_H

#include <getopt.h>
#include <stddef.h>

/* getopt_long (argv is permuted as usual) with getopt's own message off:
 * returns the next option, -1 at the end, or '?' for an option it refused,
 * described in why ("unknown option '--x'", "option '--x' needs a value")
 * for the caller's usage error. */
int bt_cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
		  char *why, size_t whylen);

#endif
