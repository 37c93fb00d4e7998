/* bordertrace derive — fills the store's derived tables (bt.border_obs:
 * doc/store.md) for the rounds pushed since the last run, resolving hops
 * with the same database options as resolve, diff and export. */
#include <stdio.h>
#include <string.h>

#include "bordertrace/cli.h"
#include "bordertrace/resolver.h"
#include "bordertrace/store.h"
#include "commands.h"

static void derive_usage(FILE *f)
{
	fprintf(f,
		"usage: bordertrace derive --db URL [OPTIONS]\n"
		"\n"
		"Reads back every round of the store not derived yet, oldest first, and\n"
		"writes its border observations into bt.border_obs (target network, level,\n"
		"upstream AS and country -> the AS and country entered, traces, flows),\n"
		"one transaction a round. Run it as the store's owner (doc/store.md).\n"
		"\n"
		"  --db URL              libpq connection string or URI, without a password\n"
		"  --asn-db FILE, --country-db FILE, --asn-layout L, --country-layout L,\n"
		"  --pfx2as FILE, --ixp FILE, --prefer-pfx2as, --lookup-test-ranges\n"
		"                        the resolver's sources, as for 'bordertrace resolve'\n"
		"  -h, --help            this text\n"
		"\n"
		"exit status: 0 ok, 1 a database, table or round error, 2 usage error\n");
}

static int parse_args(int argc, char **argv, bt_cmd_sources *src, const char **url)
{
	static const struct option opts[] = {
		BT_CMD_SOURCE_OPTIONS,
		{"db", required_argument, NULL, BT_OPT_NEXT},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	char why[1024];
	int c;
	optind = 1;
	while ((c = bt_cli_getopt(argc, argv, "h", opts, why, sizeof(why))) != -1) {
		if (c == 'h') {
			derive_usage(stdout);
			return BT_EXIT_OK;
		}
		if (c == BT_OPT_NEXT) {
			*url = optarg;
			continue;
		}
		if (c == '?')
			return bt_cmd_usage_error("derive", "%s", why);
		/* every other option getopt returns is a source option */
		if (bt_cmd_source_option("derive", src, c, optarg) < 0)
			return BT_EXIT_USAGE;
	}
	if (*url == NULL)
		return bt_cmd_usage_error("derive", "no --db URL");
	if (optind < argc)
		return bt_cmd_usage_error("derive", "unexpected argument '%s'", argv[optind]);
	const char *bad = bt_store_conninfo_problem(*url, why, sizeof(why));
	if (bad != NULL)
		return bt_cmd_usage_error("derive", "--db: %s", bad);
	return bt_cmd_sources_check("derive", src) ? BT_EXIT_USAGE : -1;
}

static int derive(const char *url, bt_resolver *r)
{
	char err[2048];
	bt_store *st = bt_store_connect(url, 0, err, sizeof(err));
	if (st == NULL) {
		fprintf(stderr, "bordertrace derive: %s\n", err);
		return BT_EXIT_DATA;
	}
	size_t rounds, rows;
	int rc = bt_store_derive(st, bt_cmd_resolve_hop, r, &rounds, &rows, err, sizeof(err));
	bt_store_close(st);
	if (rc != 0)
		fprintf(stderr, "bordertrace derive: %s\n", err);
	fprintf(stderr, "bordertrace derive: %zu round(s) derived, %zu border observation(s)\n", rounds, rows);
	return rc != 0 ? BT_EXIT_DATA : BT_EXIT_OK;
}

int bt_cmd_derive(int argc, char **argv)
{
	bt_cmd_sources src;
	const char *url = NULL;
	if (bt_cmd_sources_init("derive", &src, argc) != 0)
		return BT_EXIT_DATA;
	int rc = parse_args(argc, argv, &src, &url);
	if (rc < 0) {
		bt_resolver *r = NULL;
		char err[2048];
		if (bt_resolver_open(&src.cfg, &r, err, sizeof(err)) != 0) {
			fprintf(stderr, "bordertrace derive: %s\n", err);
			rc = BT_EXIT_DATA;
		} else {
			bt_cmd_report_tables("derive", r, false);
			rc = derive(url, r);
			bt_resolver_close(r);
		}
	}
	bt_cmd_sources_free(&src);
	return rc;
}
