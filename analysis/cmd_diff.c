/* bordertrace diff / export — border route changes over rounds, and the CSV
 * exports researchers load into pandas, R, DuckDB or Spark.
 *
 * Both read round files (JSON Lines traces; files, directories, or '-'),
 * resolve hops with the same database options as `resolve`, and run the
 * pipeline (include/bordertrace/pipeline.h). `diff` prints the events;
 * `export -o DIR` writes hops.csv, traces.csv, borders.csv, events.csv and
 * diversity.csv into DIR, each replaced atomically (doc/csv.md). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bordertrace/csv.h"
#include "bordertrace/pipeline.h"
#include "bordertrace/resolver.h"
#include "bordertrace/trace.h"
#include "commands.h"

/* The resolver behind the pipeline's callback. */
static int resolve_cb(void *ctx, const bt_addr *a, bt_hopres *out, char *err, size_t errlen)
{
	bt_resolution res;
	if (bt_resolver_lookup(ctx, a, &res, err, errlen) != 0)
		return -1;
	memset(out, 0, sizeof(*out));
	snprintf(out->cls, sizeof(out->cls), "%s", bt_addrclass_name(res.cls));
	if (res.prefix.family != 0) {
		char p[BT_ADDR_STRLEN];
		snprintf(out->prefix, sizeof(out->prefix), "%s/%u", bt_addr_format(&res.prefix, p, sizeof(p)),
			 res.prefix_len);
	}
	snprintf(out->org, sizeof(out->org), "%s", res.org ? res.org : "");
	memcpy(out->info.country, res.country, 3);
	if (res.ixp) {
		out->info.kind = BT_HOP_IXP;
		snprintf(out->ixp, sizeof(out->ixp), "%s", res.ixp);
		out->info.ixp = out->ixp;
	} else if (res.source == BT_SOURCE_CLASS) {
		out->info.kind = BT_HOP_SPECIAL;
	} else if (res.asn) {
		out->info.kind = BT_HOP_AS;
		out->info.asn = res.asn;
		for (uint32_t i = 0; i < res.n_origins && i < BT_HOPINFO_ORIGINS; i++)
			out->info.origins[out->info.norigins++] = res.origins[i];
		if (out->info.norigins == 0)
			out->info.origins[out->info.norigins++] = res.asn;
	} else {
		out->info.kind = BT_HOP_UNKNOWN;
	}
	return 0;
}

static void usage(FILE *f, const char *cmd)
{
	bool exp = strcmp(cmd, "export") == 0;
	fprintf(f,
		"usage: bordertrace %s [OPTIONS]%s ROUNDS...\n"
		"\n"
		"%s"
		"ROUNDS are round files (JSON Lines traces), directories (every *.jsonl\n"
		"below them) or '-' for standard input; any number of VPs and rounds.\n"
		"\n"
		"sources (as for 'bordertrace resolve'):\n"
		"  --asn-db FILE, --country-db FILE, --asn-layout L, --country-layout L,\n"
		"  --pfx2as FILE, --ixp FILE, --prefer-pfx2as, --lookup-test-ranges\n"
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
		"%s"
		"  -h, --help              this text\n"
		"\n"
		"exit status: 0 ok, 1 bad input or database, 2 usage error\n",
		cmd, exp ? " -o DIR" : "",
		exp ? "Writes hops.csv, traces.csv, borders.csv, events.csv and diversity.csv\n"
		      "into DIR (columns: doc/csv.md), each replaced only when complete.\n\n"
		    : "Prints when target networks gained or lost a border route, with evidence.\n\n",
		exp ? "  -o, --output DIR        where the CSV files go (must exist)\n"
		    : "  --format table|csv      default: table on a terminal, CSV otherwise\n");
}

enum {
	OPT_ASN_DB = 256, OPT_COUNTRY_DB, OPT_ASN_LAYOUT, OPT_COUNTRY_LAYOUT, OPT_PFX2AS, OPT_IXP,
	OPT_PREFER_PFX2AS, OPT_TEST_RANGES, OPT_BY, OPT_PER_VP, OPT_LEVEL, OPT_BASELINE,
	OPT_MIN_ROUNDS, OPT_MIN_VPS, OPT_GONE_AFTER, OPT_EVIDENCE, OPT_FORMAT,
};

static bool parse_count(const char *cmd, const char *opt, const char *s, unsigned min, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v < min || v > 1000000) {
		fprintf(stderr, "bordertrace %s: %s: '%s' is not a whole number in %u..1000000\n", cmd, opt, s, min);
		return false;
	}
	*out = (unsigned)v;
	return true;
}

/* Returns false when standard output could not be written (full disk, closed
 * pipe): the events are the command's result, so that is a failure. */
static bool print_events(const bt_diff *d, unsigned levels, const char *agg, bool table)
{
	static const char *const cols[] = { "event", "level", "aggregate", "target_network", "upstream",
		"upstream_country", "into", "round", "first_seen", "last_seen", "rounds_seen", "traces",
		"vps", "evidence" };
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
	bt_csv_header(&w, cols, sizeof(cols) / sizeof(cols[0]));
	for (size_t i = 0; i < bt_diff_nevents(d); i++) {
		const bt_diff_event *e = bt_diff_event_at(d, i);
		if (!(levels & (1u << e->level)))
			continue;
		bt_csv_str(&w, bt_diff_event_name(e->kind));
		bt_csv_str(&w, bt_diff_level_name(e->level));
		bt_csv_str(&w, agg);
		bt_csv_str(&w, e->target);
		bt_csv_str(&w, e->upstream);
		bt_csv_str(&w, e->level == BT_LEVEL_AS ? e->note : e->upstream);
		bt_csv_str(&w, e->into);
		bt_csv_str(&w, e->round);
		bt_csv_time(&w, e->first_seen_us);
		bt_csv_time(&w, e->last_seen_us);
		bt_csv_u64(&w, e->rounds_seen);
		bt_csv_u64(&w, e->traces);
		bt_csv_str(&w, e->vps);
		bt_csv_str(&w, e->evidence);
		bt_csv_end(&w);
	}
	char err[256];
	if (bt_csv_commit(&w, err, sizeof(err)) != 0) {
		fprintf(stderr, "bordertrace diff: standard output: %s\n", err);
		return false;
	}
	return true;
}

static int run(int argc, char **argv, bool exporting)
{
	const char *cmd = exporting ? "export" : "diff";
	static const struct option opts[] = {
		{ "asn-db", required_argument, NULL, OPT_ASN_DB },
		{ "country-db", required_argument, NULL, OPT_COUNTRY_DB },
		{ "asn-layout", required_argument, NULL, OPT_ASN_LAYOUT },
		{ "country-layout", required_argument, NULL, OPT_COUNTRY_LAYOUT },
		{ "pfx2as", required_argument, NULL, OPT_PFX2AS },
		{ "ixp", required_argument, NULL, OPT_IXP },
		{ "prefer-pfx2as", no_argument, NULL, OPT_PREFER_PFX2AS },
		{ "lookup-test-ranges", no_argument, NULL, OPT_TEST_RANGES },
		{ "by", required_argument, NULL, OPT_BY },
		{ "per-vp", no_argument, NULL, OPT_PER_VP },
		{ "level", required_argument, NULL, OPT_LEVEL },
		{ "baseline", required_argument, NULL, OPT_BASELINE },
		{ "min-rounds", required_argument, NULL, OPT_MIN_ROUNDS },
		{ "min-vps", required_argument, NULL, OPT_MIN_VPS },
		{ "gone-after", required_argument, NULL, OPT_GONE_AFTER },
		{ "evidence", required_argument, NULL, OPT_EVIDENCE },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bt_resolver_config cfg;
	bt_pipeline_opts po;
	const char **pfx = calloc((size_t)argc + 1, sizeof(*pfx));
	const char **ixp = calloc((size_t)argc + 1, sizeof(*ixp));
	int format = -1, c, ret = BT_EXIT_USAGE;
	char err[2048];
	bt_resolver *r = NULL;
	bt_pipeline *p = NULL;

	if (pfx == NULL || ixp == NULL) {
		fprintf(stderr, "bordertrace %s: out of memory\n", cmd);
		free(pfx);
		free(ixp);
		return BT_EXIT_DATA;
	}
	bt_resolver_config_init(&cfg);
	cfg.pfx2as = pfx;
	cfg.ixp = ixp;
	memset(&po, 0, sizeof(po));
	po.agg = BT_AGG_PREFIX;
	po.levels = 1;
	bt_diff_opts_default(&po.diff);
	optind = 1;
	while ((c = getopt_long(argc, argv, exporting ? "o:h" : "h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_ASN_DB: cfg.asn_db = optarg; break;
		case OPT_COUNTRY_DB: cfg.country_db = optarg; break;
		case OPT_ASN_LAYOUT:
		case OPT_COUNTRY_LAYOUT:
			if (!bt_mmdb_layout_parse(optarg, c == OPT_ASN_LAYOUT ? &cfg.asn_layout : &cfg.country_layout)) {
				fprintf(stderr, "bordertrace %s: unknown layout '%s' (auto, geolite2-asn, "
					"geolite2-country, ip-location-db, ipinfo)\n", cmd, optarg);
				goto out;
			}
			break;
		case OPT_PFX2AS: pfx[cfg.n_pfx2as++] = optarg; break;
		case OPT_IXP: ixp[cfg.n_ixp++] = optarg; break;
		case OPT_PREFER_PFX2AS: cfg.prefer_pfx2as = true; break;
		case OPT_TEST_RANGES: cfg.lookup_test_ranges = true; break;
		case OPT_BY:
			if (bt_agg_parse(optarg, &po.agg) != 0) {
				fprintf(stderr, "bordertrace %s: --by: '%s' is not prefix, as or country\n", cmd, optarg);
				goto out;
			}
			break;
		case OPT_PER_VP: po.per_vp = true; break;
		case OPT_LEVEL:
			if (strcmp(optarg, "as") == 0) po.levels = 1;
			else if (strcmp(optarg, "country") == 0) po.levels = 2;
			else if (strcmp(optarg, "both") == 0) po.levels = 3;
			else {
				fprintf(stderr, "bordertrace %s: --level: '%s' is not as, country or both\n", cmd, optarg);
				goto out;
			}
			break;
		case OPT_BASELINE: if (!parse_count(cmd, "--baseline", optarg, 1, &po.diff.baseline_rounds)) goto out; break;
		case OPT_MIN_ROUNDS: if (!parse_count(cmd, "--min-rounds", optarg, 1, &po.diff.min_rounds)) goto out; break;
		case OPT_MIN_VPS: if (!parse_count(cmd, "--min-vps", optarg, 1, &po.diff.min_vps)) goto out; break;
		case OPT_GONE_AFTER: if (!parse_count(cmd, "--gone-after", optarg, 1, &po.diff.gone_after)) goto out; break;
		case OPT_EVIDENCE: if (!parse_count(cmd, "--evidence", optarg, 0, &po.diff.max_evidence)) goto out; break;
		case OPT_FORMAT:
			if (exporting) {
				fprintf(stderr, "bordertrace export: --format: export always writes CSV files\n");
				goto out;
			}
			if (strcmp(optarg, "csv") != 0 && strcmp(optarg, "table") != 0) {
				fprintf(stderr, "bordertrace %s: --format: '%s' is not csv or table\n", cmd, optarg);
				goto out;
			}
			format = strcmp(optarg, "table") == 0;
			break;
		case 'o': po.outdir = optarg; break;
		case 'h':
			usage(stdout, cmd);
			ret = BT_EXIT_OK;
			goto out;
		default:
			usage(stderr, cmd);
			goto out;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "bordertrace %s: no round files given\n", cmd);
		goto out;
	}
	if (exporting && po.outdir == NULL) {
		fprintf(stderr, "bordertrace export: -o DIR is required\n");
		goto out;
	}
	if ((cfg.asn_layout != BT_MMDB_AUTO && cfg.asn_db == NULL) ||
	    (cfg.country_layout != BT_MMDB_AUTO && cfg.country_db == NULL)) {
		fprintf(stderr, "bordertrace %s: a layout was given without its database\n", cmd);
		goto out;
	}
	ret = BT_EXIT_DATA;
	if (bt_resolver_open(&cfg, &r, err, sizeof(err)) != 0) {
		fprintf(stderr, "bordertrace %s: %s\n", cmd, err);
		goto out;
	}
	po.resolve = resolve_cb;
	po.rctx = r;
	p = bt_pipeline_new(&po, err, sizeof(err));
	if (p == NULL) {
		fprintf(stderr, "bordertrace %s: %s\n", cmd, err);
		goto out;
	}
	for (int i = optind; i < argc; i++) {
		if (bt_pipeline_add_path(p, argv[i], err, sizeof(err)) != 0) {
			fprintf(stderr, "bordertrace %s: %s\n", cmd, err);
			if (exporting)
				fprintf(stderr, "bordertrace export: nothing written to %s\n", po.outdir);
			goto out;
		}
	}
	if (bt_pipeline_finish(p, err, sizeof(err)) != 0) {
		fprintf(stderr, "bordertrace %s: %s\n", cmd, err);
		goto out;
	}
	const bt_diff *d = bt_pipeline_diff(p);
	size_t nev = 0;
	for (size_t i = 0; i < bt_diff_nevents(d); i++)
		nev += (po.levels >> bt_diff_event_at(d, i)->level) & 1;
	if (exporting) {
		static const char *const names[] = { "hops.csv", "traces.csv", "borders.csv", "events.csv", "diversity.csv" };
		for (size_t i = 0; i < 5; i++)
			printf("%s/%s\n", po.outdir, names[i]);
	} else {
		if (!print_events(d, po.levels, bt_agg_name(po.agg),
				  format < 0 ? isatty(STDOUT_FILENO) : format == 1))
			goto out; /* ret is BT_EXIT_DATA */
	}
	fprintf(stderr, "bordertrace %s: %llu traces, %llu hops, %zu round(s), %zu event(s)\n", cmd,
		(unsigned long long)bt_pipeline_traces(p), (unsigned long long)bt_pipeline_hops(p),
		bt_diff_nrounds(d), nev);
	ret = BT_EXIT_OK;
out:
	bt_pipeline_free(p);
	bt_resolver_close(r);
	free(pfx);
	free(ixp);
	return ret;
}

int bt_cmd_diff(int argc, char **argv)
{
	return run(argc, argv, false);
}

int bt_cmd_export(int argc, char **argv)
{
	return run(argc, argv, true);
}
