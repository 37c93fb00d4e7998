/* bordertrace — what the researcher CLI's commands share (commands.h): the
 * usage-error message of doc/cli.md, the resolver's source options and what
 * they loaded. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bordertrace/addrclass.h"
#include "bordertrace/asrel.h"
#include "bordertrace/pfx2as.h"
#include "commands.h"

int bt_cmd_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "bordertrace %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(try 'bordertrace %s --help')\n", cmd);
	return BT_EXIT_USAGE;
}

int bt_cmd_sources_init(const char *cmd, bt_cmd_sources *s, int argc)
{
	bt_resolver_config_init(&s->cfg);
	s->pfx = calloc((size_t)argc + 1, sizeof(*s->pfx));
	s->ixp = calloc((size_t)argc + 1, sizeof(*s->ixp));
	if (s->pfx == NULL || s->ixp == NULL) {
		fprintf(stderr, "bordertrace %s: out of memory\n", cmd);
		bt_cmd_sources_free(s);
		return BT_EXIT_DATA;
	}
	s->cfg.pfx2as = s->pfx;
	s->cfg.ixp = s->ixp;
	return 0;
}

void bt_cmd_sources_free(bt_cmd_sources *s)
{
	free(s->pfx);
	free(s->ixp);
	s->pfx = s->ixp = NULL;
}

int bt_cmd_source_option(const char *cmd, bt_cmd_sources *s, int c, const char *v)
{
	bt_resolver_config *cfg = &s->cfg;
	switch (c) {
	case BT_OPT_ASN_DB: cfg->asn_db = v; break;
	case BT_OPT_COUNTRY_DB: cfg->country_db = v; break;
	case BT_OPT_ASN_LAYOUT:
	case BT_OPT_COUNTRY_LAYOUT:
		if (!bt_mmdb_layout_parse(v, c == BT_OPT_ASN_LAYOUT ? &cfg->asn_layout : &cfg->country_layout)) {
			bt_cmd_usage_error(cmd, "%s: unknown layout '%s' (auto, geolite2-asn, geolite2-country, "
					   "ip-location-db, ipinfo)",
					   c == BT_OPT_ASN_LAYOUT ? "--asn-layout" : "--country-layout", v);
			return -1;
		}
		break;
	case BT_OPT_PFX2AS: s->pfx[cfg->n_pfx2as++] = v; break;
	case BT_OPT_IXP: s->ixp[cfg->n_ixp++] = v; break;
	case BT_OPT_PREFER_PFX2AS: cfg->prefer_pfx2as = true; break;
	case BT_OPT_TEST_RANGES: cfg->lookup_test_ranges = true; break;
	default: return 0;
	}
	return 1;
}

int bt_cmd_sources_check(const char *cmd, const bt_cmd_sources *s)
{
	const bt_resolver_config *cfg = &s->cfg;
	if ((cfg->asn_layout != BT_MMDB_AUTO && cfg->asn_db == NULL) ||
	    (cfg->country_layout != BT_MMDB_AUTO && cfg->country_db == NULL))
		return bt_cmd_usage_error(cmd, "a layout was given without its database");
	return 0;
}

/* "1 repeats and 2 partly overlap": what the rows at fault did. */
static void faults(char *buf, size_t len, size_t dups, size_t overlaps)
{
	char d[48] = "", o[48] = "";
	if (dups)
		snprintf(d, sizeof(d), "%zu repeat%s", dups, dups == 1 ? "s" : "");
	if (overlaps)
		snprintf(o, sizeof(o), "%zu partly overlap%s", overlaps, overlaps == 1 ? "s" : "");
	snprintf(buf, len, "%s%s%s", d, dups && overlaps ? " and " : "", o);
}

void bt_cmd_report_tables(const char *cmd, const bt_resolver *r, bool verbose)
{
	const bt_pfx2as *t = bt_resolver_pfx2as(r);
	if (t == NULL)
		return;
	for (size_t i = 0; i < bt_pfx2as_nfiles(t); i++) {
		size_t rows, dups, overlaps;
		const char *name = bt_pfx2as_file_stats(t, i, &rows, &dups, &overlaps);
		char what[128];
		faults(what, sizeof(what), dups, overlaps);
		if (dups + overlaps > 0)
			fprintf(stderr, "bordertrace %s: %s: %zu rows, of which %s another row: "
				"accepted (where rows overlap, the smaller range wins, then the "
				"later row; -v lists them)\n", cmd, name, rows, what);
		else if (verbose)
			fprintf(stderr, "bordertrace %s: %s: %zu rows\n", cmd, name, rows);
	}
	for (size_t i = 0; verbose && i < bt_pfx2as_nconflicts(t); i++) {
		char line[2048];
		bt_pfx2as_conflict_describe(t, i, line, sizeof(line));
		fprintf(stderr, "bordertrace %s: %s\n", cmd, line);
	}
}

int bt_cmd_resolve_hop(void *ctx, const bt_addr *a, bt_hopres *out, char *err, size_t errlen)
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

void bt_cmd_print_skip(const char *cmd, const bt_pipeline_skip *k)
{
	fprintf(stderr, "bordertrace %s: %llu skipped as %s:", cmd, (unsigned long long)k->count, k->what);
	for (size_t j = 0; j < k->nplaces; j++)
		fprintf(stderr, "%s %s", j ? "," : "", k->places[j]);
	if (k->count > k->nplaces)
		fprintf(stderr, ", and %llu more (-v lists all)", (unsigned long long)(k->count - k->nplaces));
	fputc('\n', stderr);
}

int bt_cmd_asrel_load(const char *cmd, const char *path, bt_asrel **out, bt_pipeline_opts *po)
{
	char err[2048];
	if (path == NULL)
		return 0;
	if ((*out = bt_asrel_new()) == NULL) {
		fprintf(stderr, "bordertrace %s: out of memory\n", cmd);
		return BT_EXIT_DATA;
	}
	if (bt_asrel_load(*out, path, err, sizeof(err)) != 0) {
		fprintf(stderr, "bordertrace %s: %s\n", cmd, err);
		return BT_EXIT_DATA;
	}
	po->asrel = *out;
	return 0;
}
