/* bordertrace — hop resolver: an address to its class, AS(es), organisation,
 * country and IXP.
 *
 * The first stage of the analysis. Order of reasoning for one address:
 *  1. class from the IANA special-purpose registries (addrclass.h); classes
 *     that are not routed on the Internet stop here, source "class" (the
 *     test ranges 198.18.0.0/15, 2001:db8::/32 ... are looked up only when
 *     lookup_test_ranges is set, because the project's labs use them);
 *  2. IXP peering LANs (ixp.h): the hop is labelled with the IXP and gets no
 *     AS, whatever the databases say;
 *  3. ASN from the MaxMind DBs and the prefix tables (pfx2as.h), by default
 *     MMDB first and prefix table where the MMDB has nothing (prefer_pfx2as
 *     reverses that, e.g. for a historical prefix2as snapshot); "source" says
 *     which one answered;
 *  4. country and registered country from the country DB (or from the ASN
 *     DB when it carries countries, e.g. IPinfo).
 * IPv4-mapped IPv6 addresses are resolved as IPv4; NAT64 (64:ff9b::/96)
 * addresses through their embedded IPv4 address.
 *
 * The MMDBs' networks are loaded into memory at open (mmdb.h), so that no
 * lookup walks their trees; mmdb_tree_lookups leaves them in the files.
 * Results are cached by the largest prefix over which every source consulted
 * gives the same answer (a 2-way set-associative cache keyed by the
 * address's /24 or /48), so repeated routers cost a hash and a compare; the
 * cache switches itself off while addresses rarely repeat (then it costs
 * more than it saves), and tries again later. A resolver is not
 * thread-safe: use one per thread. */
#ifndef BORDERTRACE_RESOLVER_H
#define BORDERTRACE_RESOLVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bordertrace/addr.h"
#include "bordertrace/addrclass.h"
#include "bordertrace/mmdb.h"

typedef enum bt_source {
	BT_SOURCE_NONE = 0,   /* looked up, no source knows the AS */
	BT_SOURCE_CLASS,      /* special-purpose address, not looked up */
	BT_SOURCE_IXP,        /* IXP peering LAN */
	BT_SOURCE_ASN_DB,     /* the --asn-db MMDB */
	BT_SOURCE_COUNTRY_DB, /* the --country-db MMDB (when it carries ASNs) */
	BT_SOURCE_PFX2AS,     /* a prefix table */
} bt_source;

const char *bt_source_name(bt_source s);

#define BT_RESOLVER_CACHE_BITS_DEFAULT 18 /* 2^18 IPv4 slots of 32 bytes and
					     2^16 IPv6 slots of 64: 12 MiB */

typedef struct bt_resolver_config {
	const char *asn_db;             /* NULL: none */
	bt_mmdb_layout asn_layout;      /* BT_MMDB_AUTO to detect */
	const char *country_db;
	bt_mmdb_layout country_layout;
	const char *const *pfx2as;      /* prefix tables, loaded into one */
	size_t n_pfx2as;
	const char *const *ixp;         /* IXP prefix lists */
	size_t n_ixp;
	bool lookup_test_ranges;        /* resolve documentation/benchmarking ranges */
	bool prefer_pfx2as;             /* prefix table before MMDB for ASNs */
	unsigned cache_bits;            /* log2 of IPv4 cache slots (2..24), a
					   quarter as many for IPv6; 0 = no cache */
	bool mmdb_tree_lookups;         /* do not load the MMDBs' networks at open:
					   look each address up in the tree (mmdb.h) */
} bt_resolver_config;

/* What the resolver says about one address. Pointers are owned by the
 * resolver and valid until bt_resolver_close. */
typedef struct bt_resolution {
	bt_addrclass cls;
	bt_source source;         /* who gave the AS / label */
	bt_addr prefix;           /* the prefix that source matched (family 0: none);
				     NAT64 addresses: the IPv4 prefix */
	unsigned prefix_len;
	uint32_t asn;             /* primary origin, 0 when none */
	uint32_t n_origins;       /* all origins (MOAS), primary first */
	const uint32_t *origins;
	const char *org;          /* AS organisation, NULL when unknown */
	const char *ixp;          /* IXP name, NULL when not an IXP LAN */
	char country[3];          /* "" when unknown */
	char reg_country[3];
} bt_resolution;

typedef struct bt_resolver bt_resolver;

/* Fills the defaults: no sources, auto layouts, default cache. */
void bt_resolver_config_init(bt_resolver_config *c);

/* Opens every source; an error names the file (and line) at fault. */
int bt_resolver_open(const bt_resolver_config *c, bt_resolver **out, char *err,
		     size_t errlen);
void bt_resolver_close(bt_resolver *r);

/* Resolves a. Returns 0, or -1 when a database is corrupt or holds a
 * malformed record for a (err says which file and field). */
int bt_resolver_lookup(bt_resolver *r, const bt_addr *a, bt_resolution *out, char *err,
		       size_t errlen);

/* The open sources, for messages: the MMDB layouts detected, table sizes. */
const bt_mmdb *bt_resolver_asn_db(const bt_resolver *r);
const bt_mmdb *bt_resolver_country_db(const bt_resolver *r);
size_t bt_resolver_pfx2as_count(const bt_resolver *r);
/* The prefix table (NULL when none), e.g. for the rows it settled
 * (bt_pfx2as_nconflicts). */
const struct bt_pfx2as *bt_resolver_pfx2as(const bt_resolver *r);
size_t bt_resolver_ixp_count(const bt_resolver *r);

/* Cache counters since open; lookups made while the cache is switched off
 * count as misses. */
void bt_resolver_cache_stats(const bt_resolver *r, uint64_t *hits, uint64_t *misses);

#endif
