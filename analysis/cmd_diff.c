/* bordertrace diff / export / report — border route changes over rounds, the
 * CSV exports researchers load into pandas, R, DuckDB or Spark, and the
 * HTML report with its figures (doc/report.md).
 *
 * All read round files (JSON Lines traces; files, directories, or '-'), or the
 * rounds of the store with --db URL (cmd_dbread.c, doc/store.md),
 * resolve hops with the same database options as `resolve`, and run the
 * pipeline (include/bordertrace/pipeline.h). `diff` prints the events;
 * `export -o DIR` writes hops.csv, traces.csv, borders.csv, events.csv and
 * diversity.csv into DIR, all five replaced together or none (doc/csv.md). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bordertrace/asrel.h"
#include "bordertrace/cli.h"
#include "bordertrace/csv.h"
#include "bordertrace/dirs.h"
#include "bordertrace/owner.h"
#include "bordertrace/pipeline.h"
#include "bordertrace/report.h"
#include "bordertrace/resolver.h"
#include "bordertrace/trace.h"
#include "commands.h"

static void usage(FILE *f, const char *cmd)
{
	bool rep = strcmp(cmd, "report") == 0;
	bool exp = strcmp(cmd, "export") == 0 || rep;
	fprintf(f,
		"usage: bordertrace %s [OPTIONS]%s ROUNDS...\n"
		"       bordertrace %s [OPTIONS]%s --db URL [--campaign ID] [--vp ID]...\n"
		"                  [--since TIME] [--until TIME]\n"
		"\n"
		"%s"
		"ROUNDS are round files (JSON Lines traces), scamper warts files (plain or\n"
		"gzip'd; doc/warts.md), directories (every *.jsonl, *.warts, *.warts.gz\n"
		"below them) or '-' for standard input; any number of VPs and rounds.\n"
		"A file of RIPE Atlas traceroute results (API JSON or daily-dump JSON\n"
		"Lines) is read as well, told apart by content; files may be gzip-,\n"
		"bzip2- or xz-compressed.\n"
		"\n"
		"the rounds from the central store (doc/store.md), as a role in bt_analyst:\n"
		"  --db URL                libpq connection string or URI, without a password\n"
		"  --campaign ID, --vp ID  rounds of this campaign, of these VPs (repeatable)\n"
		"  --since TIME, --until TIME  rounds that started at or after SINCE, before\n"
		"                          UNTIL (UTC, 2026-12-01T00:00:00Z)\n"
		"\n"
		"sources (as for 'bordertrace resolve'):\n"
		"  --asn-db FILE, --country-db FILE, --asn-layout L, --country-layout L,\n"
		"  --pfx2as FILE, --ixp FILE, --prefer-pfx2as, --lookup-test-ranges\n"
		"  --as-rel FILE           AS relationships (CAIDA serial-1 or serial-2, plain\n"
		"                          or compressed) for the interface owners' as-rel rule\n"
		"what is compared:\n"
		"  --by prefix|as|country  a target network is the destination's prefix,\n"
		"                          AS or country (default prefix)\n"
		"  --per-vp                also split target networks by VP\n"
		"  --level as|country|both events at AS level, country level or both (as)\n"
		"  --baseline N            the first N rounds are the baseline (1)\n"
		"  --min-rounds N          a new route must be seen in N rounds (1)\n"
		"  --min-vps N             ... from N VPs before it is reported (1)\n"
		"  --gone-after K          a route absent K observed rounds is gone (2)\n"
		"  --evidence N            trace ids kept per route (20)\n"
		"other sources (doc/atlas.md):\n"
		"  --round-interval SECONDS  RIPE Atlas results fall into rounds of this\n"
		"                          length, by their timestamp (3600)\n"
		"output:\n"
		"%s"
		"  -v, --verbose           list the prefix-table rows that repeat or overlap\n"
		"                          others (accepted: doc/resolver.md), and every\n"
		"                          object of a source that was skipped (doc/atlas.md,\n"
		"                          doc/warts.md)\n"
		"  -h, --help              this text\n"
		"\n"
		"exit status: 0 ok, 1 bad input or database, 2 usage error\n",
		cmd, exp ? " -o DIR" : "", cmd, exp ? " -o DIR" : "",
		rep ? "Writes DIR/report.html (one self-contained page: overview, per target\n"
		      "network timelines, AS graph, events with their traceroutes) and its figures\n"
		      "as SVG and PNG files (doc/report.md); all replaced together, or none. Reads\n"
		      "the rounds twice, so not from standard input.\n\n"
		: exp ? "Writes hops.csv, traces.csv, borders.csv, events.csv and diversity.csv\n"
		      "into DIR (columns: doc/csv.md): all five replaced together, or none.\n\n"
		    : "Prints when target networks gained or lost a border route, with evidence.\n\n",
		rep ? "  -o, --output DIR        where the report goes (made if missing)\n"
		      "  --top N                 target networks with a section (50)\n"
		      "  --show N                traceroutes shown per event (3)\n"
		      "  --no-png                SVG figures only\n"
		: exp ? "  -o, --output DIR        where the CSV files go (made if missing)\n"
		    : "  --format table|csv      default: table on a terminal, CSV otherwise\n");
}

enum {
	OPT_BY = BT_OPT_NEXT, OPT_PER_VP, OPT_LEVEL, OPT_BASELINE, OPT_MIN_ROUNDS, OPT_MIN_VPS,
	OPT_GONE_AFTER, OPT_EVIDENCE, OPT_FORMAT, OPT_ROUND_INTERVAL, OPT_TOP, OPT_SHOW, OPT_NO_PNG,
	OPT_NO_HEURISTIC, OPT_AS_REL,
};

static bool parse_count(const char *cmd, const char *opt, const char *s, unsigned min, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v < min || v > 1000000) {
		bt_cmd_usage_error(cmd, "%s: '%s' is not a whole number in %u..1000000", opt, s, min);
		return false;
	}
	*out = (unsigned)v;
	return true;
}

/* Returns false when standard output could not be written (full disk, closed
 * pipe): the events are the command's result, so that is a failure. */
static bool print_events(const bt_diff *d, unsigned levels, const char *agg, bool table)
{
	size_t shown = 0;
	if (table) {
		for (size_t i = 0; i < bt_diff_nevents(d); i++) {
			const bt_diff_event *e = bt_diff_event_at(d, i);
			if (!(levels & (1u << e->level)))
				continue;
			char f[BT_TIME_STRLEN], l[BT_TIME_STRLEN];
			printf("%s %s border route into %s: %s%s%s -> %s\n", e->kind == BT_EVENT_NEW ? "NEW" :
			       e->kind == BT_EVENT_GONE ? "GONE" : "RETURNED", bt_diff_level_name(e->level),
			       e->target, e->upstream, e->level == BT_LEVEL_AS && e->note[0] ? " " : "",
			       e->level == BT_LEVEL_AS ? e->note : "", e->into);
			printf("  round %s; first seen %s, last seen %s; %u round(s), %u trace(s)\n", e->round,
			       bt_time_format(e->first_seen_us, f, sizeof(f)), bt_time_format(e->last_seen_us, l, sizeof(l)),
			       e->rounds_seen, e->traces);
			/* a multipath round: say when only some of its flows showed the route */
			if (e->multiflow && e->flows < e->flows_routed)
				printf("  flows: %u of the %u that entered %s in round %s (%.1f%%): seen on some "
				       "flows only\n", e->flows, e->flows_routed, e->into, e->flow_round,
				       100.0 * e->flow_share);
			printf("  VPs: %s\n  evidence: %s\n", e->vps, e->evidence);
			shown++;
		}
		if (shown == 0)
			printf("no border route changes (%zu round(s))\n", bt_diff_nrounds(d));
		if (fflush(stdout) != 0 || ferror(stdout)) {
			fprintf(stderr, "bordertrace diff: standard output: write failed: %s\n", strerror(errno));
			return false;
		}
		return true;
	}
	bt_csv w;
	bt_csv_wrap(&w, stdout);
	bt_csv_header(&w, bt_events_cols, BT_EVENTS_NCOLS);
	for (size_t i = 0; i < bt_diff_nevents(d); i++) {
		const bt_diff_event *e = bt_diff_event_at(d, i);
		if (levels & (1u << e->level))
			bt_event_row(&w, e, agg);
	}
	char err[256];
	if (bt_csv_commit(&w, err, sizeof(err)) != 0) {
		fprintf(stderr, "bordertrace diff: standard output: %s\n", err);
		return false;
	}
	return true;
}

/* What the command line asked for. */
typedef struct diff_args {
	const char *cmd; /* "diff", "export" or "report" */
	bool exporting;  /* export or report: -o DIR */
	bool reporting;
	bt_report_opts ro;
	const char *outdir;
	bt_cmd_sources src;
	bt_cmd_dbsrc db;
	bt_pipeline_opts po;
	const char *asrel_path; /* --as-rel FILE, NULL: none */
	bt_asrel *asrel;
	int format; /* -1 auto, 0 csv, 1 table */
	bool verbose;
} diff_args;

/* diff's and export's own options with a value: true, or false after a
 * usage error. */
static bool set_option(diff_args *a, int c, const char *v)
{
	bt_pipeline_opts *po = &a->po;
	switch (c) {
	case OPT_BY:
		if (bt_agg_parse(v, &po->agg) == 0)
			return true;
		bt_cmd_usage_error(a->cmd, "--by: '%s' is not prefix, as or country", v);
		return false;
	case OPT_LEVEL:
		po->levels = bt_levels_parse(v);
		if (po->levels)
			return true;
		bt_cmd_usage_error(a->cmd, "--level: '%s' is not as, country or both", v);
		return false;
	case OPT_BASELINE: return parse_count(a->cmd, "--baseline", v, 1, &po->diff.baseline_rounds);
	case OPT_MIN_ROUNDS: return parse_count(a->cmd, "--min-rounds", v, 1, &po->diff.min_rounds);
	case OPT_MIN_VPS: return parse_count(a->cmd, "--min-vps", v, 1, &po->diff.min_vps);
	case OPT_GONE_AFTER: return parse_count(a->cmd, "--gone-after", v, 1, &po->diff.gone_after);
	case OPT_EVIDENCE: return parse_count(a->cmd, "--evidence", v, 0, &po->diff.max_evidence);
	case OPT_ROUND_INTERVAL:
		return parse_count(a->cmd, "--round-interval", v, 1, &po->input.round_interval_s);
	case OPT_TOP:
	case OPT_SHOW:
		return parse_count(a->cmd, c == OPT_TOP ? "--top" : "--show", v, c == OPT_TOP ? 1 : 0,
				   c == OPT_TOP ? &a->ro.top : &a->ro.evidence);
	case OPT_FORMAT:
		if (a->exporting) {
			bt_cmd_usage_error(a->cmd, "--format: %s always writes %s", a->cmd,
					   a->reporting ? "HTML, SVG and PNG files" : "CSV files");
			return false;
		}
		if (strcmp(v, "csv") != 0 && strcmp(v, "table") != 0) {
			bt_cmd_usage_error(a->cmd, "--format: '%s' is not csv or table", v);
			return false;
		}
		a->format = strcmp(v, "table") == 0;
		return true;
	case OPT_NO_HEURISTIC: {
		/* hidden (tests, comparisons): doc/path-diff.md, "Interface owners" */
		unsigned bit = bt_owner_heuristic_parse(v);
		if (bit == 0) {
			bt_cmd_usage_error(a->cmd, "--no-heuristic: '%s' is not neighbour, third-party, ixp, "
					   "unannounced, last-hop, silent-gap, doubt, parallel, parallel-next, as-rel, renumbered, stub, common-next or all", v);
			return false;
		}
		a->po.owners &= ~bit;
		return true;
	}
	case OPT_AS_REL:
		if (a->asrel_path != NULL) {
			bt_cmd_usage_error(a->cmd, "--as-rel: given twice (one file of AS relationships)");
			return false;
		}
		a->asrel_path = v;
		return true;
	case 'o': a->outdir = v; return true;
	case 'v': a->verbose = po->input.verbose = true; return true;
	}
	return true;
}

/* The options into a; returns -1 to go on, or the exit status. */
static int parse_args(int argc, char **argv, diff_args *a)
{
	static const struct option opts[] = {
		BT_CMD_SOURCE_OPTIONS,
		BT_CMD_DB_OPTIONS,
		{ "by", required_argument, NULL, OPT_BY },
		{ "per-vp", no_argument, NULL, OPT_PER_VP },
		{ "level", required_argument, NULL, OPT_LEVEL },
		{ "baseline", required_argument, NULL, OPT_BASELINE },
		{ "min-rounds", required_argument, NULL, OPT_MIN_ROUNDS },
		{ "min-vps", required_argument, NULL, OPT_MIN_VPS },
		{ "gone-after", required_argument, NULL, OPT_GONE_AFTER },
		{ "evidence", required_argument, NULL, OPT_EVIDENCE },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "round-interval", required_argument, NULL, OPT_ROUND_INTERVAL },
		{ "output", required_argument, NULL, 'o' },
		{ "top", required_argument, NULL, OPT_TOP },
		{ "show", required_argument, NULL, OPT_SHOW },
		{ "no-png", no_argument, NULL, OPT_NO_PNG },
		{ "no-heuristic", required_argument, NULL, OPT_NO_HEURISTIC },
		{ "as-rel", required_argument, NULL, OPT_AS_REL },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char why[128];
	int c, taken;
	optind = 1;
	while ((c = bt_cli_getopt(argc, argv, a->exporting ? "o:vh" : "vh", opts, why, sizeof(why))) != -1) {
		if (!a->reporting && (c == OPT_TOP || c == OPT_SHOW || c == OPT_NO_PNG))
			return bt_cmd_usage_error(a->cmd, "%s: only for report",
						  c == OPT_TOP ? "--top" : c == OPT_SHOW ? "--show" : "--no-png");
		if (c == 'h') {
			usage(stdout, a->cmd);
			return BT_EXIT_OK;
		}
		if (c == '?')
			return bt_cmd_usage_error(a->cmd, "%s", why);
		if ((taken = bt_cmd_source_option(a->cmd, &a->src, c, optarg)) < 0 ||
		    (!taken && (taken = bt_cmd_dbsrc_option(a->cmd, &a->db, c, optarg, argc)) < 0))
			return BT_EXIT_USAGE;
		if (c == OPT_PER_VP)
			a->po.per_vp = true;
		else if (c == OPT_NO_PNG)
			a->ro.png = false;
		else if (!taken && !set_option(a, c, optarg))
			return BT_EXIT_USAGE;
	}
	if ((taken = bt_cmd_dbsrc_check(a->cmd, &a->db, argc - optind)) >= 0)
		return taken;
	if (a->exporting && a->outdir == NULL)
		return bt_cmd_usage_error(a->cmd, "-o DIR is required");
	for (int i = optind; a->reporting && i < argc; i++)
		if (strcmp(argv[i], "-") == 0)
			return bt_cmd_usage_error(a->cmd, "'-': report reads its rounds twice; give files or directories");
	if (!a->reporting)
		a->po.outdir = a->outdir;
	return bt_cmd_sources_check(a->cmd, &a->src) ? BT_EXIT_USAGE : -1;
}

/* Reads the rounds (the files, or those of the store) into the pipeline;
 * 0 or the exit status. */
static int read_rounds(diff_args *a, bt_pipeline *p, char **paths, int n)
{
	char err[2048];
	int rc = a->db.url ? bt_cmd_dbsrc_feed(&a->db, p, err, sizeof(err)) : 0;
	for (int i = 0; i < n && rc == 0; i++)
		rc = bt_pipeline_add_path(p, paths[i], err, sizeof(err));
	if (rc == 0)
		rc = bt_pipeline_flush(p, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "bordertrace %s: %s\n", a->cmd, err);
		if (a->exporting)
			fprintf(stderr, "bordertrace %s: nothing written to %s\n", a->cmd, a->outdir);
		return BT_EXIT_DATA;
	}
	if (bt_pipeline_finish(p, err, sizeof(err)) != 0) {
		fprintf(stderr, "bordertrace %s: %s\n", a->cmd, err);
		return BT_EXIT_DATA;
	}
	return 0;
}

/* What the sources read and did not map: one line per kind, with its
 * places (the first ten; all under -v). */
static void report_skips(const char *cmd, const bt_pipeline *p)
{
	for (size_t i = 0; i < bt_pipeline_nskips(p); i++)
		bt_cmd_print_skip(cmd, bt_pipeline_skip_at(p, i));
}

/* The results: the export's file names, or the events. 0 or the status. */
static int report(diff_args *a, bt_pipeline *p)
{
	const bt_diff *d = bt_pipeline_diff(p);
	size_t nev = 0;
	for (size_t i = 0; i < bt_diff_nevents(d); i++)
		nev += (a->po.levels >> bt_diff_event_at(d, i)->level) & 1;
	if (a->reporting) {
		printf("%s/report.html\n", a->outdir);
	} else if (a->exporting) {
		static const char *const names[] = { "hops.csv", "traces.csv", "borders.csv", "events.csv", "diversity.csv" };
		for (size_t i = 0; i < 5; i++)
			printf("%s/%s\n", a->outdir, names[i]);
	} else if (!print_events(d, a->po.levels, bt_agg_name(a->po.agg),
				 a->format < 0 ? isatty(STDOUT_FILENO) : a->format == 1)) {
		return BT_EXIT_DATA;
	}
	char dups[192] = "";
	if (bt_pipeline_duplicates(p))
		snprintf(dups, sizeof(dups), ", %llu duplicate trace(s) read again and counted once",
			 (unsigned long long)bt_pipeline_duplicates(p));
	uint64_t skipped = 0;
	for (size_t i = 0; i < bt_pipeline_nskips(p); i++)
		skipped += bt_pipeline_skip_at(p, i)->count;
	if (skipped)
		snprintf(dups + strlen(dups), sizeof(dups) - strlen(dups),
			 ", %llu result(s) skipped as not mappable", (unsigned long long)skipped);
	fprintf(stderr, "bordertrace %s: %llu traces, %llu hops, %zu round(s), %zu event(s)%s\n", a->cmd,
		(unsigned long long)bt_pipeline_traces(p), (unsigned long long)bt_pipeline_hops(p),
		bt_diff_nrounds(d), nev, dups);
	report_skips(a->cmd, p);
	return 0;
}

/* report: a first pass (the path-diff, the AS edges), a second for the
 * events' evidence traces, then the page and figures. 0 or the status. */
static int run_report(diff_args *a, char **paths, int n)
{
	char err[2048];
	bt_report *rep = bt_report_new(&a->ro);
	bt_pipeline *p = NULL, *p2 = NULL;
	int status = BT_EXIT_DATA;
	size_t nfiles = 0;
	a->po.on_trace = bt_report_trace;
	a->po.hook_ctx = rep;
	if (rep == NULL || (p = bt_pipeline_new(&a->po, err, sizeof(err))) == NULL) {
		fprintf(stderr, "bordertrace report: %s\n", rep ? err : "out of memory");
	} else if ((status = read_rounds(a, p, paths, n)) == 0) {
		status = BT_EXIT_DATA;
		a->po.hook_only = true;
		if (bt_report_want_evidence(rep, bt_pipeline_diff(p), a->po.levels) != 0)
			fprintf(stderr, "bordertrace report: out of memory\n");
		else if ((p2 = bt_pipeline_new(&a->po, err, sizeof(err))) == NULL)
			fprintf(stderr, "bordertrace report: %s\n", err);
		else if (read_rounds(a, p2, paths, n) != 0)
			;
		else if (bt_report_write(rep, bt_pipeline_diff(p), a->po.levels, a->outdir, &nfiles, err,
					 sizeof(err)) != 0)
			fprintf(stderr, "bordertrace report: %s\n", err);
		else
			status = report(a, p);
	}
	bt_pipeline_free(p2);
	bt_pipeline_free(p);
	bt_report_free(rep);
	return status;
}

/* Opens the sources, runs the pipeline over the rounds, reports. */
static int execute(diff_args *a, char **paths, int n)
{
	char err[2048];
	bt_resolver *r = NULL;
	bt_pipeline *p = NULL;
	int status = BT_EXIT_DATA;
	size_t made = 0;
	if (a->db.url && (status = bt_cmd_dbsrc_open(a->cmd, &a->db)) != 0)
		return status;
	status = BT_EXIT_DATA;
	if (bt_cmd_asrel_load(a->cmd, a->asrel_path, &a->asrel, &a->po) != 0)
		return BT_EXIT_DATA; /* read before anything is made */
	/* export -o DIR makes DIR, as mkdir -p (and removes it again if the
	 * export fails: a failed command leaves nothing behind) */
	if (a->exporting && bt_mkdirs(a->outdir, 0777, &made, err, sizeof(err)) != 0) {
		fprintf(stderr, "bordertrace %s: -o: %s\n", a->cmd, err);
		return BT_EXIT_DATA;
	}
	if (bt_resolver_open(&a->src.cfg, &r, err, sizeof(err)) != 0) {
		fprintf(stderr, "bordertrace %s: %s\n", a->cmd, err);
		if (a->exporting)
			bt_rmdirs_made(a->outdir, made);
		return BT_EXIT_DATA;
	}
	bt_cmd_report_tables(a->cmd, r, a->verbose);
	a->po.resolve = bt_cmd_resolve_hop;
	a->po.rctx = r;
	a->po.input.verbose = a->verbose;
	if (a->reporting) {
		status = run_report(a, paths, n);
	} else {
		p = bt_pipeline_new(&a->po, err, sizeof(err));
		if (p == NULL)
			fprintf(stderr, "bordertrace %s: %s\n", a->cmd, err);
		else if ((status = read_rounds(a, p, paths, n)) == 0)
			status = report(a, p);
		bt_pipeline_free(p);
	}
	bt_resolver_close(r);
	if (status != 0 && a->exporting)
		bt_rmdirs_made(a->outdir, made);
	return status;
}

/* mode: 0 diff, 1 export, 2 report */
static int run(int argc, char **argv, int mode)
{
	diff_args a = { .cmd = mode == 2 ? "report" : mode == 1 ? "export" : "diff", .exporting = mode > 0,
			.reporting = mode == 2, .format = -1,
			.ro = { .top = 50, .evidence = 3, .png = true } };
	int status = bt_cmd_sources_init(a.cmd, &a.src, argc);
	if (status != 0)
		return status;
	a.po.agg = BT_AGG_PREFIX;
	a.po.levels = 1;
	a.po.owners = BT_OWNER_ALL;
	bt_diff_opts_default(&a.po.diff);
	a.ro.agg = "prefix";
	status = parse_args(argc, argv, &a);
	a.ro.agg = bt_agg_name(a.po.agg);
	if (status < 0)
		status = execute(&a, argv + optind, argc - optind);
	bt_cmd_dbsrc_close(&a.db);
	bt_cmd_sources_free(&a.src);
	bt_asrel_free(a.asrel);
	return status;
}

int bt_cmd_diff(int argc, char **argv)
{
	return run(argc, argv, 0);
}

int bt_cmd_export(int argc, char **argv)
{
	return run(argc, argv, 1);
}

int bt_cmd_report(int argc, char **argv)
{
	return run(argc, argv, 2);
}
