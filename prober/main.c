/* bordertrace-probe — the privileged program: sends probes, writes traces.
 *
 * Only this binary needs CAP_NET_RAW. main() only dispatches: the commands
 * live in cmd_*.c and the table below is the only place that lists them.
 * The command-line convention (exit status, message shape) is doc/cli.md's,
 * shared with the analysis CLI `bordertrace`. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "trace", cmd_trace, "trace the paths to the given targets, print a table or JSON Lines" },
	{ "run", cmd_run, "run a campaign's rounds on schedule into round files" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: " PROG " COMMAND [OPTIONS] [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'" PROG " COMMAND --help' describes a command's options.\n"
		   "Needs CAP_NET_RAW: run as root, or once: sudo setcap cap_net_raw+ep "
		   "$(command -v " PROG ")\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return BT_EXIT_USAGE;
	}
	const char *name = argv[1];
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
		usage(stdout);
		return BT_EXIT_OK;
	}
	if (strcmp(name, "--version") == 0) {
		printf(PROG " %s\n", BT_VERSION);
		return BT_EXIT_OK;
	}
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(name, commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, PROG ": unknown command '%s'\n(try '" PROG " --help')\n", name);
	return BT_EXIT_USAGE;
}
