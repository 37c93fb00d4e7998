/* bordertrace — the researcher's CLI: dispatches to subcommands.
 *
 * Never needs privileges. Subcommands live in cmd_*.c; the table below is
 * the only place that lists them. */
#include <stdio.h>
#include <string.h>

#include "commands.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{"resolve", bt_cmd_resolve,
	 "address class, ASN(s), organisation, country and IXP of hop addresses"},
	{"diff", bt_cmd_diff,
	 "border routes into target networks over rounds: new, gone, returned"},
	{"export", bt_cmd_export,
	 "hops, traces, borders, events and diversity as CSV files"},
	{"report", bt_cmd_report,
	 "one offline HTML page with timelines, AS graphs and evidence, and its figures"},
	{"db", bt_cmd_db,
	 "set up (init) or update (migrate) the PostgreSQL store's schema"},
	{"push", bt_cmd_push,
	 "upload a VP's completed rounds into the PostgreSQL store"},
	{"derive", bt_cmd_derive,
	 "border observations of the store's new rounds into its derived table"},
	{"watch", bt_cmd_watch,
	 "a service: runs a command for each new border route event in the store"},
	{"convert", bt_cmd_convert,
	 "traces from round files, warts or Atlas results as JSON Lines or warts"},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: bordertrace COMMAND [OPTIONS] [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'bordertrace COMMAND --help' describes a command's options.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return BT_EXIT_USAGE;
	}
	const char *name = argv[1];
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 ||
	    strcmp(name, "help") == 0) {
		usage(stdout);
		return BT_EXIT_OK;
	}
	if (strcmp(name, "--version") == 0) {
		printf("bordertrace %s\n", BT_VERSION);
		return BT_EXIT_OK;
	}
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(name, commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "bordertrace: unknown command '%s'\n(try 'bordertrace --help')\n", name);
	return BT_EXIT_USAGE;
}
