/* bordertrace resolve — print what the resolver says about hop addresses.
 *
 * One row per address, CSV with a header (or an aligned table when stdout is
 * a terminal): address, class, prefix, asn, origins, as_org, country,
 * reg_country, ixp, source. Addresses come from the arguments, or one per
 * line from stdin with "-". A bad address is reported (with its argument
 * number or stdin line) and skipped; the exit status is then 1. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bordertrace/cli.h"
#include "bordertrace/csv.h"
#include "bordertrace/resolver.h"
#include "bordertrace/show.h"
#include "bordertrace/textfile.h"
#include "commands.h"

#define NCOLS 10
#define MAX_LOOKUP_ERRORS 10

static const char *const header[NCOLS] = {"address", "class",   "prefix",      "asn",
					  "origins", "as_org",  "country",     "reg_country",
					  "ixp",     "source"};

/* Table mode streams: the column widths come from the first TABLE_PROBE
 * rows (kept until then), each at most its cap; later rows are printed as
 * they come, in those widths. Cells are escaped (control characters as \xHH,
 * bordertrace/show.h) and a cell longer than its cap is cut with "...".
 * An address is never cut (its cap holds any IPv6 address). */
#define TABLE_PROBE 1000
static const size_t cap_of[NCOLS] = {39, 16, 43, 10, 32, 40, 7, 11, 32, 8};

struct out {
	bool table;
	bool streaming;         /* widths fixed, header printed */
	size_t w[NCOLS];
	char *cells[TABLE_PROBE][NCOLS];
	size_t nrows;
};

static void resolve_usage(FILE *f)
{
	fprintf(f,
		"usage: bordertrace resolve [OPTIONS] ADDR... | -\n"
		"\n"
		"Resolves hop addresses to class, ASN(s), AS organisation, country and IXP.\n"
		"'-' reads addresses from stdin, one per line ('#' comments allowed).\n"
		"\n"
		"sources:\n"
		"  --asn-db FILE          MaxMind DB with ASNs (GeoLite2-ASN, DB-IP ASN lite,\n"
		"                         ip-location-db asn, IPinfo)\n"
		"  --country-db FILE      MaxMind DB with countries (GeoLite2-Country/City,\n"
		"                         DB-IP country lite, ip-location-db country, IPinfo)\n"
		"  --asn-layout L         force the layout of --asn-db\n"
		"  --country-layout L     force the layout of --country-db; L is one of\n"
		"                         auto, geolite2-asn, geolite2-country, ip-location-db,\n"
		"                         ipinfo (default auto: detected from the records)\n"
		"  --pfx2as FILE          prefix table: CAIDA prefix2as (prefix TAB len TAB asn)\n"
		"                         or range CSV (start,end,asn[,org]); gzip ok; repeatable\n"
		"  --ixp FILE             IXP peering LANs (prefix,IXP name); repeatable\n"
		"  --prefer-pfx2as        ASNs from the prefix table first, MMDB second\n"
		"                         (default: MMDB first, prefix table where it has nothing)\n"
		"  --lookup-test-ranges   also look up 198.18.0.0/15, 2001:db8::/32 and the other\n"
		"                         documentation/benchmarking ranges (for lab databases)\n"
		"  --mmdb-tree-lookups    look addresses up in the MMDB files' trees instead of\n"
		"                         loading their networks at start (faster start, less\n"
		"                         memory, slower lookups: for a few addresses in a big DB)\n"
		"output:\n"
		"  --format csv|table     default: table on a terminal, CSV otherwise\n"
		"  --no-cache             resolve every address afresh\n"
		"  -v, --verbose          describe the sources on stderr, and list the prefix-\n"
		"                         table rows that repeat or overlap others\n"
		"  -h, --help             this text\n"
		"\n"
		"exit status: 0 ok, 1 bad address or database/table error, 2 usage error\n");
}

/* Display width: UTF-8 continuation bytes take no column. */
static size_t columns(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

static void print_row(const struct out *o, const char *const cells[NCOLS])
{
	for (int i = 0; i < NCOLS; i++) {
		const char *c = cells[i][0] ? cells[i] : "-";
		size_t n = columns(c);
		fputs(c, stdout);
		if (i == NCOLS - 1)
			putchar('\n');
		else
			printf("%*s", (int)(o->w[i] > n ? o->w[i] - n : 0) + 2, "");
	}
}

/* Prints the header and the rows kept, frees them; from now on rows stream. */
static void flush_table(struct out *o)
{
	if (o->streaming)
		return;
	print_row(o, header);
	for (size_t r = 0; r < o->nrows; r++) {
		print_row(o, (const char *const *)o->cells[r]);
		for (int i = 0; i < NCOLS; i++)
			free(o->cells[r][i]);
	}
	o->nrows = 0;
	o->streaming = true;
}

static int emit_row(struct out *o, char *const cols[NCOLS])
{
	if (!o->table) {
		for (int i = 0; i < NCOLS; i++) {
			if (i)
				putchar(',');
			bt_csv_fput(stdout, cols[i]);
		}
		putchar('\n');
		return 0;
	}
	char shown[NCOLS][48]; /* every cap_of + 1 fits */
	const char *row[NCOLS];
	for (int i = 0; i < NCOLS; i++)
		row[i] = bt_show_str(shown[i], cap_of[i] + 1, cols[i]);
	if (o->streaming) {
		print_row(o, row);
		return 0;
	}
	for (int i = 0; i < NCOLS; i++) {
		size_t n = columns(row[i]);
		if (o->w[i] < n)
			o->w[i] = n;
		if ((o->cells[o->nrows][i] = strdup(row[i])) == NULL)
			return -1;
	}
	if (++o->nrows == TABLE_PROBE)
		flush_table(o);
	return 0;
}

struct run {
	bt_resolver *r;
	struct out out;
	int status;
	unsigned lookup_errors;
};

static void resolve_one(struct run *run, const char *text, const char *where)
{
	bt_addr a;
	if (bt_addr_parse(text, &a) != 0) {
		char sh[BT_SHOW_BUF];
		fprintf(stderr, "bordertrace resolve: %s: '%s' is not an IP address\n", where,
			bt_show_str(sh, sizeof(sh), text));
		run->status = BT_EXIT_DATA;
		return;
	}
	bt_resolution res;
	char err[1024];
	if (bt_resolver_lookup(run->r, &a, &res, err, sizeof(err)) != 0) {
		if (run->lookup_errors++ < MAX_LOOKUP_ERRORS)
			fprintf(stderr, "bordertrace resolve: %s\n", err);
		else if (run->lookup_errors == MAX_LOOKUP_ERRORS + 1)
			fprintf(stderr, "bordertrace resolve: further lookup errors not shown\n");
		run->status = BT_EXIT_DATA;
		return;
	}

	char addr[BT_ADDR_STRLEN], pfx[BT_ADDR_STRLEN + 8], asn[16], origins[1024];
	bt_addr_format(&a, addr, sizeof(addr));
	pfx[0] = '\0';
	if (res.prefix.family != 0) {
		char p[BT_ADDR_STRLEN];
		snprintf(pfx, sizeof(pfx), "%s/%u", bt_addr_format(&res.prefix, p, sizeof(p)),
			 res.prefix_len);
	}
	asn[0] = '\0';
	if (res.asn)
		snprintf(asn, sizeof(asn), "%u", res.asn);
	size_t o = 0;
	origins[0] = '\0';
	for (uint32_t i = 0; i < res.n_origins && o + 12 < sizeof(origins); i++) {
		int w = snprintf(origins + o, sizeof(origins) - o, "%s%u", i ? "_" : "",
				 res.origins[i]);
		if (w > 0)
			o += (size_t)w;
	}
	char *cols[NCOLS] = {addr,
			     (char *)bt_addrclass_name(res.cls),
			     pfx,
			     asn,
			     origins,
			     (char *)(res.org ? res.org : ""),
			     res.country,
			     res.reg_country,
			     (char *)(res.ixp ? res.ixp : ""),
			     (char *)bt_source_name(res.source)};
	if (emit_row(&run->out, cols) != 0) {
		fprintf(stderr, "bordertrace resolve: out of memory\n");
		exit(BT_EXIT_DATA);
	}
}

/* How lookups go: through the networks loaded at open, or the tree. */
static const char *loaded(const bt_mmdb *db)
{
	static char buf[64];
	if (!bt_mmdb_flattened(db))
		return "tree lookups";
	snprintf(buf, sizeof(buf), "%zu networks loaded", bt_mmdb_network_count(db));
	return buf;
}

static void describe_sources(const bt_resolver *r)
{
	const bt_mmdb *db;
	char sh[BT_SHOW_BUF]; /* the type is the file's text */
	if ((db = bt_resolver_asn_db(r)) != NULL)
		fprintf(stderr, "asn-db: %s: layout %s, type '%s', %s\n", bt_mmdb_path(db),
			bt_mmdb_describe(db), bt_show_str(sh, sizeof(sh), bt_mmdb_database_type(db)), loaded(db));
	if ((db = bt_resolver_country_db(r)) != NULL)
		fprintf(stderr, "country-db: %s: layout %s, type '%s', %s\n", bt_mmdb_path(db),
			bt_mmdb_describe(db), bt_show_str(sh, sizeof(sh), bt_mmdb_database_type(db)), loaded(db));
	if (bt_resolver_pfx2as_count(r))
		fprintf(stderr, "pfx2as: %zu entries\n", bt_resolver_pfx2as_count(r));
	if (bt_resolver_ixp_count(r))
		fprintf(stderr, "ixp: %zu prefixes\n", bt_resolver_ixp_count(r));
}

enum {
	OPT_FORMAT = BT_OPT_NEXT,
	OPT_NO_CACHE,
	OPT_TREE_LOOKUPS,
};

/* What the command line asked for. */
struct resolve_args {
	bt_cmd_sources src;
	int format; /* -1 auto, 0 csv, 1 table */
	bool verbose;
};

/* resolve's own options: true, or false after a usage error. */
static bool set_option(struct resolve_args *a, int c, const char *v)
{
	switch (c) {
	case OPT_FORMAT:
		a->format = strcmp(v, "csv") == 0 ? 0 : strcmp(v, "table") == 0 ? 1 : -2;
		if (a->format == -2) {
			bt_cmd_usage_error("resolve", "--format: '%s' is not csv or table", v);
			return false;
		}
		break;
	case OPT_NO_CACHE: a->src.cfg.cache_bits = 0; break;
	case OPT_TREE_LOOKUPS: a->src.cfg.mmdb_tree_lookups = true; break;
	case 'v': a->verbose = true; break;
	}
	return true;
}

/* The options into a; returns -1 to go on, or the exit status. */
static int parse_args(int argc, char **argv, struct resolve_args *a)
{
	static const struct option opts[] = {
		BT_CMD_SOURCE_OPTIONS,
		{"format", required_argument, NULL, OPT_FORMAT},
		{"no-cache", no_argument, NULL, OPT_NO_CACHE},
		{"mmdb-tree-lookups", no_argument, NULL, OPT_TREE_LOOKUPS},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	char why[128];
	int c, taken;
	optind = 1;
	while ((c = bt_cli_getopt(argc, argv, "vh", opts, why, sizeof(why))) != -1) {
		if (c == 'h') {
			resolve_usage(stdout);
			return BT_EXIT_OK;
		}
		if (c == '?')
			return bt_cmd_usage_error("resolve", "%s", why);
		if ((taken = bt_cmd_source_option("resolve", &a->src, c, optarg)) < 0)
			return BT_EXIT_USAGE;
		if (!taken && !set_option(a, c, optarg))
			return BT_EXIT_USAGE;
	}
	if (optind >= argc)
		return bt_cmd_usage_error("resolve", "no addresses (give ADDR... or -)");
	return bt_cmd_sources_check("resolve", &a->src) ? BT_EXIT_USAGE : -1;
}

/* Addresses from standard input, one per line, '#' comments; lines are
 * capped (textfile.h), and a line over the cap ends the reading. */
static void resolve_stdin(struct run *run)
{
	char err[512];
	const char *s;
	size_t n;
	int rc;
	bt_linereader *lr = bt_linereader_fdopen(stdin, "stdin");
	if (lr == NULL) {
		fprintf(stderr, "bordertrace resolve: out of memory\n");
		exit(BT_EXIT_DATA);
	}
	while ((rc = bt_linereader_next(lr, &s, &n, err, sizeof(err))) == 1) {
		bt_trim(&s, &n);
		if (n == 0 || *s == '#')
			continue;
		/* no address is this long: a bounded copy still reads as bad */
		char text[132], where[48];
		size_t k = n < 128 ? n : 128;
		memcpy(text, s, k);
		for (size_t i = 0; i < k; i++)
			if (text[i] == '\0')
				text[i] = '?';
		strcpy(text + k, n > k ? "..." : "");
		snprintf(where, sizeof(where), "stdin line %lu", bt_linereader_lineno(lr));
		resolve_one(run, text, where);
	}
	if (rc < 0) {
		fprintf(stderr, "bordertrace resolve: %s\n", err);
		run->status = BT_EXIT_DATA;
	}
	bt_linereader_close(lr);
}

/* Resolves every address given; the exit status. */
static int execute(struct resolve_args *a, char **args, int nargs)
{
	struct run run;
	char err[1024];
	memset(&run, 0, sizeof(run));
	if (bt_resolver_open(&a->src.cfg, &run.r, err, sizeof(err)) != 0) {
		fprintf(stderr, "bordertrace resolve: %s\n", err);
		return BT_EXIT_DATA;
	}
	bt_cmd_report_tables("resolve", run.r, a->verbose);
	if (a->verbose)
		describe_sources(run.r);
	run.out.table = a->format == 1 || (a->format == -1 && isatty(STDOUT_FILENO));
	for (int i = 0; i < NCOLS; i++)
		run.out.w[i] = strlen(header[i]);
	if (!run.out.table) {
		for (int i = 0; i < NCOLS; i++)
			printf("%s%s", i ? "," : "", header[i]);
		putchar('\n');
	}
	for (int i = 0; i < nargs; i++) {
		if (strcmp(args[i], "-") == 0) {
			resolve_stdin(&run);
		} else {
			char where[48];
			snprintf(where, sizeof(where), "argument %d", i + 1);
			resolve_one(&run, args[i], where);
		}
	}
	if (run.out.table)
		flush_table(&run.out);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "bordertrace resolve: error writing output\n");
		run.status = BT_EXIT_DATA;
	}
	bt_resolver_close(run.r);
	return run.status;
}

int bt_cmd_resolve(int argc, char **argv)
{
	struct resolve_args a = { .format = -1 };
	int status = bt_cmd_sources_init("resolve", &a.src, argc);
	if (status != 0)
		return status;
	status = parse_args(argc, argv, &a);
	if (status < 0)
		status = execute(&a, argv + optind, argc - optind);
	bt_cmd_sources_free(&a.src);
	return status;
}
