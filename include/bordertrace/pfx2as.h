/* bordertrace — prefix-to-AS tables: the resolver's second source of ASNs.
 *
 * Reads two text formats, one entry per line, '#' comments and blank lines
 * ignored, gzip or plain:
 *   CAIDA prefix2as   "prefix<TAB>length<TAB>asns"   (also "prefix/len<TAB>asns")
 *   range CSV         "start,end,asn[,org]"          (inclusive; ip-location-db,
 *                                                      DB-IP lite; org may be quoted)
 * asns is one AS number or several joined by '_' (multi-origin, MOAS) or ','
 * (an AS set); all are kept, in file order, the first being the primary.
 * ASN 0 means "not announced": such an entry matches but names no AS.
 * A CSV header line (first field neither an IPv4 nor an IPv6 address shape)
 * is skipped when it is the first non-comment line.
 *
 * Several files may be loaded into one table (CAIDA ships IPv4 and IPv6
 * separately). Public tables are not always clean (the ip-location-db ASN
 * CSV merges RouteViews and RIR data, and some of its ranges overlap), so
 * rows that repeat a range or partly overlap another are accepted, settled
 * by one rule (where rows overlap, the smaller range wins, then the later
 * row: a later file overrides an earlier one) and counted per file, each
 * with both rows named (bt_pfx2as_conflict_describe). A line that does not
 * parse is an error naming file and line, and so is a file without a single
 * prefix or range (a JSON file, a binary): those are not prefix tables. */
#ifndef BORDERTRACE_PFX2AS_H
#define BORDERTRACE_PFX2AS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bordertrace/addr.h"

#define BT_PFX2AS_MAX_ORIGINS 64
#define BT_PFX2AS_ORG_MAX 256

/* One parsed line. */
typedef struct bt_pfx2as_line {
	bt_addr first, last;      /* the range it covers */
	bool is_range;            /* came from a start,end CSV line */
	unsigned len;             /* prefix length when !is_range */
	unsigned n_origins;       /* ASN 0 dropped */
	uint32_t origins[BT_PFX2AS_MAX_ORIGINS];
	char org[BT_PFX2AS_ORG_MAX]; /* "" when none */
} bt_pfx2as_line;

/* Parses one line (without its newline). Returns 1 with *out filled, 0 for a
 * line to skip (blank, comment, or a header when maybe_header), -1 with a
 * short reason in *why. Pure: no I/O, no allocation. */
int bt_pfx2as_parse_line(const char *line, size_t len, bool maybe_header,
			 bt_pfx2as_line *out, const char **why);

typedef struct bt_pfx2as bt_pfx2as;

/* What a lookup found. Pointers stay valid until the table is freed or
 * loaded into again. */
typedef struct bt_pfx2as_match {
	bt_addr prefix;           /* the matched prefix (for a range: the largest
				     prefix inside it that contains the address) */
	unsigned prefix_len;
	uint32_t asn;             /* primary origin; 0 when the entry names none */
	uint32_t n_origins;
	const uint32_t *origins;  /* all origins, primary first */
	const char *org;          /* NULL when none */
	const char *file;         /* where the entry came from */
	uint32_t line;
} bt_pfx2as_match;

bt_pfx2as *bt_pfx2as_new(void);
void bt_pfx2as_free(bt_pfx2as *t);

/* Loads a file; errors name the file and line. */
int bt_pfx2as_load(bt_pfx2as *t, const char *path, char *err, size_t errlen);

/* Loads from a buffer; name is used in messages and matches. */
int bt_pfx2as_load_buffer(bt_pfx2as *t, const char *name, const char *buf,
			  size_t len, char *err, size_t errlen);

/* Builds the lookup structure after loading, settling duplicates and
 * partial overlaps by the rule above; fails only when out of memory. */
int bt_pfx2as_build(bt_pfx2as *t, char *err, size_t errlen);

/* The files loaded, in order: name, rows (entries) read from it, and its
 * rows that repeat an earlier row's range (dups) or partly overlap a row
 * that starts before them (overlaps), as found by the last build. Each row
 * at fault is counted once, in its own file. */
size_t bt_pfx2as_nfiles(const bt_pfx2as *t);
const char *bt_pfx2as_file_stats(const bt_pfx2as *t, size_t i, size_t *rows,
				 size_t *dups, size_t *overlaps);

/* The rows at fault, in file and line order: conflict i as one line, e.g.
 * "b.csv:7: range 1.0.0.128-1.0.1.255 (AS 2) partly overlaps a.csv:3:
 * range 1.0.0.0-1.0.0.255 (AS 1); a.csv:3 wins where both hold (smaller)". */
size_t bt_pfx2as_nconflicts(const bt_pfx2as *t);
void bt_pfx2as_conflict_describe(const bt_pfx2as *t, size_t i, char *buf, size_t buflen);

/* Returns true and fills m when an entry covers addr. block_len (may be NULL)
 * gets the length of the largest prefix around addr with the same answer. */
bool bt_pfx2as_lookup(const bt_pfx2as *t, const bt_addr *addr, bt_pfx2as_match *m,
		      unsigned *block_len);

size_t bt_pfx2as_count(const bt_pfx2as *t);

#endif
