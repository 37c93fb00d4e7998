/* bordertrace — the researcher CLI's subcommands (internal header).
 *
 * Each subcommand is a function taking its own argv (argv[0] is the
 * subcommand name) and returning the process exit status: 0 success,
 * 1 bad input or data, 2 usage error. To add one, write bt_cmd_NAME in its
 * own file and add a line to the table in main.c. */
#ifndef BT_ANALYSIS_COMMANDS_H
#define BT_ANALYSIS_COMMANDS_H

#include <getopt.h>

#include "bordertrace/pipeline.h"
#include "bordertrace/resolver.h"
#include "bordertrace/store.h"
#include "bordertrace/trace.h"

#define BT_EXIT_OK 0
#define BT_EXIT_DATA 1
#define BT_EXIT_USAGE 2

/* A usage error inside a command, as doc/cli.md writes it: "bordertrace
 * CMD: message" and "(try 'bordertrace CMD --help')" on stderr. Returns
 * BT_EXIT_USAGE. */
__attribute__((format(printf, 2, 3)))
int bt_cmd_usage_error(const char *cmd, const char *fmt, ...);

/* The resolver's sources, given the same way to every command that
 * resolves hops (resolve, diff, export): --asn-db, --country-db, the
 * layouts, --pfx2as, --ixp, --prefer-pfx2as, --lookup-test-ranges. */
enum {
	BT_OPT_ASN_DB = 256, BT_OPT_COUNTRY_DB, BT_OPT_ASN_LAYOUT, BT_OPT_COUNTRY_LAYOUT,
	BT_OPT_PFX2AS, BT_OPT_IXP, BT_OPT_PREFER_PFX2AS, BT_OPT_TEST_RANGES,
	BT_OPT_NEXT /* a command's own long options from here */
};
#define BT_CMD_SOURCE_OPTIONS \
	{ "asn-db", required_argument, NULL, BT_OPT_ASN_DB }, \
	{ "country-db", required_argument, NULL, BT_OPT_COUNTRY_DB }, \
	{ "asn-layout", required_argument, NULL, BT_OPT_ASN_LAYOUT }, \
	{ "country-layout", required_argument, NULL, BT_OPT_COUNTRY_LAYOUT }, \
	{ "pfx2as", required_argument, NULL, BT_OPT_PFX2AS }, \
	{ "ixp", required_argument, NULL, BT_OPT_IXP }, \
	{ "prefer-pfx2as", no_argument, NULL, BT_OPT_PREFER_PFX2AS }, \
	{ "lookup-test-ranges", no_argument, NULL, BT_OPT_TEST_RANGES }

typedef struct bt_cmd_sources {
	bt_resolver_config cfg;
	const char **pfx, **ixp; /* cfg's lists, room for every argument */
} bt_cmd_sources;

/* 0, or BT_EXIT_DATA (out of memory, said on stderr). */
int bt_cmd_sources_init(const char *cmd, bt_cmd_sources *s, int argc);
void bt_cmd_sources_free(bt_cmd_sources *s);
/* Takes option c if it is a source option: 1 taken, 0 not a source
 * option, -1 bad value (a usage error said on stderr). */
int bt_cmd_source_option(const char *cmd, bt_cmd_sources *s, int c, const char *v);
/* After the options: 0, or BT_EXIT_USAGE for a layout without its database. */
int bt_cmd_sources_check(const char *cmd, const bt_cmd_sources *s);

/* After the resolver opened: one line on stderr per prefix-table file with
 * rows that repeat or partly overlap others (accepted, doc/resolver.md),
 * and with verbose a line per file and one per such row. */
void bt_cmd_report_tables(const char *cmd, const bt_resolver *r, bool verbose);

/* The pipeline's resolver callback (pipeline.h) over a bt_resolver (ctx):
 * what resolve, diff, export and derive take a hop to be. */
int bt_cmd_resolve_hop(void *ctx, const bt_addr *a, bt_hopres *out, char *err, size_t errlen);

/* One kind of object the sources read and did not map, as doc/cli.md
 * writes it: "bordertrace CMD: N skipped as WHAT: PLACE, ..." on stderr. */
void bt_cmd_print_skip(const char *cmd, const bt_pipeline_skip *k);

/* --as-rel FILE (doc/path-diff.md, "AS relationships"): the file read into
 * *out and po->asrel set; 0, or BT_EXIT_DATA with the message printed.
 * NULL path: nothing to do. */
struct bt_asrel;
int bt_cmd_asrel_load(const char *cmd, const char *path, struct bt_asrel **out, bt_pipeline_opts *po);

int bt_cmd_resolve(int argc, char **argv);
int bt_cmd_diff(int argc, char **argv);
int bt_cmd_export(int argc, char **argv);
int bt_cmd_report(int argc, char **argv);
int bt_cmd_db(int argc, char **argv);
int bt_cmd_push(int argc, char **argv);
int bt_cmd_derive(int argc, char **argv);
int bt_cmd_convert(int argc, char **argv);
int bt_cmd_watch(int argc, char **argv);

/* diff, export and report --db URL (cmd_dbread.c): the rounds read from
 * the store (doc/store.md), as the analyst role, read-only. */
enum { BT_OPT_DB = 400, BT_OPT_CAMPAIGN, BT_OPT_VP, BT_OPT_SINCE, BT_OPT_UNTIL };
#define BT_CMD_DB_OPTIONS \
	{ "db", required_argument, NULL, BT_OPT_DB }, \
	{ "campaign", required_argument, NULL, BT_OPT_CAMPAIGN }, \
	{ "vp", required_argument, NULL, BT_OPT_VP }, \
	{ "since", required_argument, NULL, BT_OPT_SINCE }, \
	{ "until", required_argument, NULL, BT_OPT_UNTIL }
typedef struct bt_cmd_dbsrc {
	const char *url;      /* NULL: rounds from files */
	bt_store_filter f;
	const char **vps;
	char since[BT_TIME_STRLEN], until[BT_TIME_STRLEN];
	bt_store *st;
	bt_store_round_ref *refs;
	size_t nrefs;
} bt_cmd_dbsrc;
/* 1 if c was one of BT_CMD_DB_OPTIONS (taken), 0 if not, -1 after a usage
 * error. argc: the most --vp there can be. */
int bt_cmd_dbsrc_option(const char *cmd, bt_cmd_dbsrc *d, int c, const char *v, int argc);
/* After the options: filters need --db, --db takes no ROUNDS. -1 or the
 * usage exit status. */
int bt_cmd_dbsrc_check(const char *cmd, const bt_cmd_dbsrc *d, int nrounds);
/* Connects, checks the schema, lists the rounds: 0, or prints and returns
 * the exit status. */
int bt_cmd_dbsrc_open(const char *cmd, bt_cmd_dbsrc *d);
/* Every round listed into p, in order: 0 or -1 with the reason. */
int bt_cmd_dbsrc_feed(bt_cmd_dbsrc *d, bt_pipeline *p, char *err, size_t errlen);
void bt_cmd_dbsrc_close(bt_cmd_dbsrc *d);

#endif
