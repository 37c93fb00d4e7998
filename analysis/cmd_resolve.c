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

#include "bordertrace/resolver.h"
#include "commands.h"

#define NCOLS 10
#define MAX_LOOKUP_ERRORS 10

static const char *const header[NCOLS] = {"address", "class",   "prefix",      "asn",
					  "origins", "as_org",  "country",     "reg_country",
					  "ixp",     "source"};

struct out {
	bool table;
	/* table mode keeps rows to align them; it is meant for a terminal */
	char **cells;
	size_t nrows, cap;
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
		"  -v, --verbose          describe the sources on stderr\n"
		"  -h, --help             this text\n"
		"\n"
		"exit status: 0 ok, 1 bad address or database/table error, 2 usage error\n");
}

static void csv_field(const char *s)
{
	bool quote = strpbrk(s, ",\"\r\n") != NULL ||
		     (s[0] != '\0' && (s[0] == ' ' || s[strlen(s) - 1] == ' '));
	if (!quote) {
		fputs(s, stdout);
		return;
	}
	putchar('"');
	for (; *s; s++) {
		if (*s == '"')
			putchar('"');
		putchar(*s);
	}
	putchar('"');
}

static int emit_row(struct out *o, char *const cols[NCOLS])
{
	if (!o->table) {
		for (int i = 0; i < NCOLS; i++) {
			if (i)
				putchar(',');
			csv_field(cols[i]);
		}
		putchar('\n');
		return 0;
	}
	if ((o->nrows + 1) * NCOLS > o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 64 * NCOLS;
		char **c = realloc(o->cells, cap * sizeof(*c));
		if (c == NULL)
			return -1;
		o->cells = c;
		o->cap = cap;
	}
	for (int i = 0; i < NCOLS; i++) {
		char *d = strdup(cols[i]);
		if (d == NULL)
			return -1;
		o->cells[o->nrows * NCOLS + (size_t)i] = d;
	}
	o->nrows++;
	return 0;
}

static void flush_table(struct out *o)
{
	size_t w[NCOLS];
	for (int i = 0; i < NCOLS; i++)
		w[i] = strlen(header[i]);
	for (size_t r = 0; r < o->nrows; r++)
		for (int i = 0; i < NCOLS; i++) {
			size_t l = strlen(o->cells[r * NCOLS + (size_t)i]);
			if (l > w[i])
				w[i] = l;
		}
	for (int i = 0; i < NCOLS; i++)
		printf("%-*s%s", i == NCOLS - 1 ? 0 : (int)w[i], header[i],
		       i == NCOLS - 1 ? "\n" : "  ");
	for (size_t r = 0; r < o->nrows; r++) {
		for (int i = 0; i < NCOLS; i++) {
			const char *c = o->cells[r * NCOLS + (size_t)i];
			printf("%-*s%s", i == NCOLS - 1 ? 0 : (int)w[i], c[0] ? c : "-",
			       i == NCOLS - 1 ? "\n" : "  ");
			free(o->cells[r * NCOLS + (size_t)i]);
		}
	}
	free(o->cells);
	o->cells = NULL;
	o->nrows = o->cap = 0;
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
		fprintf(stderr, "bordertrace resolve: %s: '%s' is not an IP address\n", where,
			text);
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
	if ((db = bt_resolver_asn_db(r)) != NULL)
		fprintf(stderr, "asn-db: %s: layout %s, type '%s', %s\n", bt_mmdb_path(db),
			bt_mmdb_describe(db), bt_mmdb_database_type(db), loaded(db));
	if ((db = bt_resolver_country_db(r)) != NULL)
		fprintf(stderr, "country-db: %s: layout %s, type '%s', %s\n", bt_mmdb_path(db),
			bt_mmdb_describe(db), bt_mmdb_database_type(db), loaded(db));
	if (bt_resolver_pfx2as_count(r))
		fprintf(stderr, "pfx2as: %zu entries\n", bt_resolver_pfx2as_count(r));
	if (bt_resolver_ixp_count(r))
		fprintf(stderr, "ixp: %zu prefixes\n", bt_resolver_ixp_count(r));
}

enum {
	OPT_ASN_DB = 256,
	OPT_COUNTRY_DB,
	OPT_ASN_LAYOUT,
	OPT_COUNTRY_LAYOUT,
	OPT_PFX2AS,
	OPT_IXP,
	OPT_PREFER_PFX2AS,
	OPT_TEST_RANGES,
	OPT_FORMAT,
	OPT_NO_CACHE,
	OPT_TREE_LOOKUPS,
};

int bt_cmd_resolve(int argc, char **argv)
{
	static const struct option opts[] = {
		{"asn-db", required_argument, NULL, OPT_ASN_DB},
		{"country-db", required_argument, NULL, OPT_COUNTRY_DB},
		{"asn-layout", required_argument, NULL, OPT_ASN_LAYOUT},
		{"country-layout", required_argument, NULL, OPT_COUNTRY_LAYOUT},
		{"pfx2as", required_argument, NULL, OPT_PFX2AS},
		{"ixp", required_argument, NULL, OPT_IXP},
		{"prefer-pfx2as", no_argument, NULL, OPT_PREFER_PFX2AS},
		{"lookup-test-ranges", no_argument, NULL, OPT_TEST_RANGES},
		{"format", required_argument, NULL, OPT_FORMAT},
		{"no-cache", no_argument, NULL, OPT_NO_CACHE},
		{"mmdb-tree-lookups", no_argument, NULL, OPT_TREE_LOOKUPS},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	bt_resolver_config cfg;
	const char **pfx = calloc((size_t)argc, sizeof(*pfx));
	const char **ixp = calloc((size_t)argc, sizeof(*ixp));
	int format = -1; /* -1 auto, 0 csv, 1 table */
	bool verbose = false;
	int c, ret = BT_EXIT_USAGE;

	if (pfx == NULL || ixp == NULL) {
		fprintf(stderr, "bordertrace resolve: out of memory\n");
		free(pfx);
		free(ixp);
		return BT_EXIT_DATA;
	}
	bt_resolver_config_init(&cfg);
	cfg.pfx2as = pfx;
	cfg.ixp = ixp;
	optind = 1;
	while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (c) {
		case OPT_ASN_DB:
			cfg.asn_db = optarg;
			break;
		case OPT_COUNTRY_DB:
			cfg.country_db = optarg;
			break;
		case OPT_ASN_LAYOUT:
		case OPT_COUNTRY_LAYOUT:
			if (!bt_mmdb_layout_parse(optarg, c == OPT_ASN_LAYOUT ? &cfg.asn_layout
									      : &cfg.country_layout)) {
				fprintf(stderr,
					"bordertrace resolve: %s: unknown layout '%s' (auto, "
					"geolite2-asn, geolite2-country, ip-location-db, ipinfo)\n",
					c == OPT_ASN_LAYOUT ? "--asn-layout" : "--country-layout",
					optarg);
				goto out;
			}
			break;
		case OPT_PFX2AS:
			pfx[cfg.n_pfx2as++] = optarg;
			break;
		case OPT_IXP:
			ixp[cfg.n_ixp++] = optarg;
			break;
		case OPT_PREFER_PFX2AS:
			cfg.prefer_pfx2as = true;
			break;
		case OPT_TEST_RANGES:
			cfg.lookup_test_ranges = true;
			break;
		case OPT_FORMAT:
			if (strcmp(optarg, "csv") == 0) {
				format = 0;
			} else if (strcmp(optarg, "table") == 0) {
				format = 1;
			} else {
				fprintf(stderr,
					"bordertrace resolve: --format: '%s' is not csv or table\n",
					optarg);
				goto out;
			}
			break;
		case OPT_NO_CACHE:
			cfg.cache_bits = 0;
			break;
		case OPT_TREE_LOOKUPS:
			cfg.mmdb_tree_lookups = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			resolve_usage(stdout);
			ret = BT_EXIT_OK;
			goto out;
		default:
			resolve_usage(stderr);
			goto out;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "bordertrace resolve: no addresses (give ADDR... or -)\n");
		resolve_usage(stderr);
		goto out;
	}
	if ((cfg.asn_layout != BT_MMDB_AUTO && cfg.asn_db == NULL) ||
	    (cfg.country_layout != BT_MMDB_AUTO && cfg.country_db == NULL)) {
		fprintf(stderr, "bordertrace resolve: a layout was given without its database\n");
		goto out;
	}

	struct run run;
	char err[1024];
	memset(&run, 0, sizeof(run));
	if (bt_resolver_open(&cfg, &run.r, err, sizeof(err)) != 0) {
		fprintf(stderr, "bordertrace resolve: %s\n", err);
		ret = BT_EXIT_DATA;
		goto out;
	}
	if (verbose)
		describe_sources(run.r);
	run.out.table = format == 1 || (format == -1 && isatty(STDOUT_FILENO));
	if (!run.out.table) {
		for (int i = 0; i < NCOLS; i++)
			printf("%s%s", i ? "," : "", header[i]);
		putchar('\n');
	}
	for (int i = optind; i < argc; i++) {
		if (strcmp(argv[i], "-") == 0) {
			char *line = NULL;
			size_t cap = 0;
			ssize_t n;
			unsigned long lineno = 0;
			while ((n = getline(&line, &cap, stdin)) != -1) {
				lineno++;
				char *s = line, *e = line + n;
				while (s < e && (*s == ' ' || *s == '\t'))
					s++;
				while (e > s && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' ||
						 e[-1] == '\t'))
					e--;
				*e = '\0';
				if (*s == '\0' || *s == '#')
					continue;
				char where[48];
				snprintf(where, sizeof(where), "stdin line %lu", lineno);
				resolve_one(&run, s, where);
			}
			free(line);
		} else {
			char where[48];
			snprintf(where, sizeof(where), "argument %d", i - optind + 1);
			resolve_one(&run, argv[i], where);
		}
	}
	if (run.out.table)
		flush_table(&run.out);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "bordertrace resolve: error writing output\n");
		run.status = BT_EXIT_DATA;
	}
	bt_resolver_close(run.r);
	ret = run.status;
out:
	free(pfx);
	free(ixp);
	return ret;
}
