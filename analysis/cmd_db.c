/* bordertrace db — sets up (init) or updates (migrate) the store's schema
 * in a PostgreSQL database (doc/store.md). */
#include <stdio.h>
#include <string.h>

#include "bordertrace/cli.h"
#include "bordertrace/store.h"
#include "commands.h"

static void db_usage(FILE *f)
{
	fprintf(f,
		"usage: bordertrace db init|migrate URL\n"
		"\n"
		"  init     creates the schema 'bt' (tables, roles bt_vp and bt_analyst,\n"
		"           row-level security) in an empty database\n"
		"  migrate  brings an existing schema to this program's version (%d)\n"
		"\n"
		"URL is a libpq connection string or URI without a password (libpq's\n"
		"~/.pgpass, PGPASSFILE or a service file holds it; doc/store.md).\n"
		"  -h, --help  this text\n"
		"\n"
		"exit status: 0 ok, 1 the database refused or is unreachable, 2 usage error\n",
		bt_store_schema_version());
}

int bt_cmd_db(int argc, char **argv)
{
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	char why[1024];
	int c;
	optind = 1;
	while ((c = bt_cli_getopt(argc, argv, "h", opts, why, sizeof(why))) != -1) {
		if (c == 'h') {
			db_usage(stdout);
			return BT_EXIT_OK;
		}
		return bt_cmd_usage_error("db", "%s", why);
	}
	if (argc - optind != 2)
		return bt_cmd_usage_error("db", "expected init|migrate and URL");
	const char *action = argv[optind], *url = argv[optind + 1];
	bool init = strcmp(action, "init") == 0;
	if (!init && strcmp(action, "migrate") != 0)
		return bt_cmd_usage_error("db", "unknown action '%s' (init or migrate)", action);
	const char *bad = bt_store_conninfo_problem(url, why, sizeof(why));
	if (bad != NULL)
		return bt_cmd_usage_error("db", "URL: %s", bad);
	bt_store *st = bt_store_connect(url, 0, why, sizeof(why));
	if (st == NULL) {
		fprintf(stderr, "bordertrace db: %s\n", why);
		return BT_EXIT_DATA;
	}
	int from = 0, to = 0;
	int rc = init ? bt_store_init(st, &to, why, sizeof(why))
		      : bt_store_migrate(st, &from, &to, why, sizeof(why));
	bt_store_close(st);
	if (rc != 0) {
		fprintf(stderr, "bordertrace db %s: %s\n", action, why);
		return BT_EXIT_DATA;
	}
	if (init || from != to)
		fprintf(stderr, "bordertrace db %s: schema at version %d\n", action, to);
	else
		fprintf(stderr, "bordertrace db migrate: schema already at version %d\n", to);
	return BT_EXIT_OK;
}
