/* bordertrace — MaxMind DB sources (ASN and country) through libmaxminddb.
 *
 * Reads the layouts people actually have and reduces each record to what
 * the resolver reports: AS number, AS organisation, country, registered
 * country. Layouts (by the keys of their records):
 *   geolite2-asn      autonomous_system_number, autonomous_system_organization
 *                     (GeoLite2-ASN, DB-IP ASN lite, ip-location-db asn files)
 *   geolite2-country  country.iso_code, registered_country.iso_code
 *                     (GeoLite2-Country/-City, DB-IP country/city lite)
 *   ip-location-db    flat country_code
 *   ipinfo            asn ("AS123"), as_name, and country_code or country
 * The layout is detected from a sample of the database's records (the
 * metadata database_type is only reported), or forced by the caller; a
 * database whose records carry none of the expected keys is refused with the
 * keys it does have.
 *
 * Decoded records are memoised by their offset in the data section (records
 * are shared by all the networks of one AS or country), so each distinct
 * record is decoded once.
 *
 * By default open loads every network of the search tree into an in-memory
 * longest-prefix-match table pointing at its decoded record, so a lookup
 * makes no libmaxminddb call. Measured on an 800,000-network tree: 0.2-0.3 s
 * at open, about 26 bytes per network once loaded, about 135 while loading
 * (the build's sort). BT_MMDB_TREE_LOOKUPS keeps the lookups in
 * libmaxminddb's tree instead: instant open, no memory, slower lookups.
 * Answers (records, block lengths, errors) are the same either way. Not
 * thread-safe: one bt_mmdb per thread. */
#ifndef BORDERTRACE_MMDB_H
#define BORDERTRACE_MMDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bordertrace/addr.h"

typedef enum bt_mmdb_layout {
	BT_MMDB_AUTO = 0,
	BT_MMDB_GEOLITE2_ASN,
	BT_MMDB_GEOLITE2_COUNTRY,
	BT_MMDB_IPLOCATIONDB,
	BT_MMDB_IPINFO,
	BT_MMDB_LAYOUT_COUNT
} bt_mmdb_layout;

typedef struct bt_mmdb bt_mmdb;

typedef struct bt_mmdb_record {
	uint32_t asn;        /* 0 when the record has none */
	const char *org;     /* NULL when none; owned by the bt_mmdb */
	char country[3];     /* ISO 3166 alpha-2, "" when none */
	char reg_country[3]; /* registered country (GeoLite2 only), "" when none */
} bt_mmdb_record;

const char *bt_mmdb_layout_name(bt_mmdb_layout l);
/* Accepts the names above plus "auto", "geolite2-city", "dbip". */
bool bt_mmdb_layout_parse(const char *name, bt_mmdb_layout *out);

/* Opens path (mmap). force = BT_MMDB_AUTO detects the layout. Errors say
 * what is wrong with the file: missing, not a MaxMind DB / truncated, or no
 * expected keys (listing the keys found). */
int bt_mmdb_open(const char *path, bt_mmdb_layout force, bt_mmdb **out, char *err,
		 size_t errlen);
void bt_mmdb_close(bt_mmdb *db);

/* Flags for bt_mmdb_open_flags. */
#define BT_MMDB_TREE_LOOKUPS 1u /* do not flatten: look up in the tree */

/* bt_mmdb_open with flags; bt_mmdb_open(p, f, ...) is flags 0. */
int bt_mmdb_open_flags(const char *path, bt_mmdb_layout force, unsigned flags,
		       bt_mmdb **out, char *err, size_t errlen);

/* Whether lookups go through the flattened table (false with
 * BT_MMDB_TREE_LOOKUPS, or when the search tree was not a tree the loader
 * could walk: libmaxminddb then reads it as it always does), and how many
 * networks with data it holds. */
bool bt_mmdb_flattened(const bt_mmdb *db);
size_t bt_mmdb_network_count(const bt_mmdb *db);

const char *bt_mmdb_path(const bt_mmdb *db);
/* Human-readable layout, e.g. "geolite2-country" or "ipinfo". */
const char *bt_mmdb_describe(const bt_mmdb *db);
const char *bt_mmdb_database_type(const bt_mmdb *db); /* from the metadata */
bool bt_mmdb_has_asn(const bt_mmdb *db);
bool bt_mmdb_has_country(const bt_mmdb *db);

/* Looks addr up. Returns 1 with *rec (owned by db, valid until close), 0 when
 * the database has no record for addr, -1 on a corrupt database or a record
 * whose field has the wrong type (err names file, network and field).
 * block_len (may be NULL) receives the length of the network the database
 * matched, in addr's own family bits, whether or not a record was found. */
int bt_mmdb_lookup(bt_mmdb *db, const bt_addr *addr, const bt_mmdb_record **rec,
		   unsigned *block_len, char *err, size_t errlen);

#endif
