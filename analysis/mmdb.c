/* bordertrace — MaxMind DB sources through libmaxminddb (see
 * include/bordertrace/mmdb.h).
 *
 * Records are decoded with MMDB_get_value (MMDB_aget_value) on their entry;
 * strings in the data section are not NUL-terminated, so they are copied
 * out once per record.
 *
 * At open the search tree is walked once (MMDB_read_node) and every network
 * goes into an LPM (lpm.h) whose value is the index of its decoded record,
 * so a lookup is one LPM search and no libmaxminddb call: a tree walk costs
 * a dependent memory load per bit, about 25 of them for an IPv4 address in
 * an IPv6 tree. The IPv4 subtree of an IPv6 tree is loaded once, as IPv4;
 * the places that alias it (::/96, and ::ffff:0:0/96 and 2002::/16 when the
 * writer made those aliases) become single entries that redirect a lookup
 * to the IPv4 table with the address bits found there, as the tree walk
 * would. Networks whose record does not decode, or whose record pointer is
 * invalid, are looked up through MMDB_lookup_sockaddr instead, so that
 * their error is reported for the address asked, as before. Without
 * flattening (BT_MMDB_TREE_LOOKUPS, or a tree the walk finds malformed)
 * every lookup goes through MMDB_lookup_sockaddr. */
#include "bordertrace/mmdb.h"

#include <arpa/inet.h>
#include <errno.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "bordertrace/hash.h"
#include "bordertrace/lpm.h"
#include "bordertrace/show.h"
#include "fields.h"

enum asn_style { ASN_NONE, ASN_MAXMIND, ASN_IPINFO };
enum country_style { CC_NONE, CC_MAXMIND, CC_FLAT_CODE, CC_IPINFO };

#define SAMPLE_RECORDS 64
#define SAMPLE_NODES 200000
#define MAX_KEYS 48
#define REC_CHUNK 1024
#define ARENA_BLOCK 65536

/* Values of the flattened LPM besides record indexes. */
#define FLAT_SLOW 0xfffffe00u  /* look this network up in the tree */
#define FLAT_ALIAS 0xffffff00u /* + bit: the IPv4 subtree, from that bit on */
#define FLAT_MAX_RECS FLAT_SLOW

struct memo_slot {
	uint32_t offset; /* data-section offset + 1; 0 = empty slot */
	uint32_t rec;    /* index into the record chunks; FLAT_SLOW: does not decode */
};

struct bt_mmdb {
	MMDB_s db;
	char *path;
	enum asn_style asn;
	enum country_style cc;
	bt_mmdb_layout layout;
	char describe[64];
	/* memo: open addressing, power-of-two size */
	struct memo_slot *slots;
	uint32_t nslots, nrecs, nused; /* nused: slots taken, bad records too */
	bt_mmdb_record **chunks;
	uint32_t nchunks;
	/* string arena: blocks never move, so record pointers stay valid */
	char **blocks;
	size_t nblocks, block_used;
	bt_lpm *flat;      /* every network -> record index; NULL: tree lookups */
	size_t nnetworks;  /* networks loaded into flat */
	unsigned v4_bit;   /* where IPv4 starts in the tree: 96, or 0 in an IPv4 tree */
};

static const char *const layout_names[BT_MMDB_LAYOUT_COUNT] = {
	[BT_MMDB_AUTO] = "auto",
	[BT_MMDB_GEOLITE2_ASN] = "geolite2-asn",
	[BT_MMDB_GEOLITE2_COUNTRY] = "geolite2-country",
	[BT_MMDB_IPLOCATIONDB] = "ip-location-db",
	[BT_MMDB_IPINFO] = "ipinfo",
};

const char *bt_mmdb_layout_name(bt_mmdb_layout l)
{
	return (unsigned)l < BT_MMDB_LAYOUT_COUNT ? layout_names[l] : "?";
}

bool bt_mmdb_layout_parse(const char *name, bt_mmdb_layout *out)
{
	for (unsigned i = 0; i < BT_MMDB_LAYOUT_COUNT; i++) {
		if (strcmp(name, layout_names[i]) == 0) {
			*out = (bt_mmdb_layout)i;
			return true;
		}
	}
	if (strcmp(name, "geolite2-city") == 0 || strcmp(name, "dbip") == 0) {
		*out = BT_MMDB_GEOLITE2_COUNTRY;
		return true;
	}
	return false;
}

/* ---- key sampling, for detection and for the error message ---- */

struct keyset {
	char keys[MAX_KEYS][40];
	uint8_t is_map[MAX_KEYS];
	unsigned n;
	bool more;
};

static void keyset_add(struct keyset *ks, const char *s, uint32_t len, bool is_map)
{
	for (unsigned i = 0; i < ks->n; i++) {
		if (strlen(ks->keys[i]) == len && memcmp(ks->keys[i], s, len) == 0) {
			ks->is_map[i] |= is_map;
			return;
		}
	}
	if (ks->n == MAX_KEYS || len >= sizeof(ks->keys[0])) {
		ks->more = true;
		return;
	}
	memcpy(ks->keys[ks->n], s, len);
	ks->keys[ks->n][len] = '\0';
	ks->is_map[ks->n] = is_map;
	ks->n++;
}

static int keyset_find(const struct keyset *ks, const char *key)
{
	for (unsigned i = 0; i < ks->n; i++)
		if (strcmp(ks->keys[i], key) == 0)
			return (int)i;
	return -1;
}

static MMDB_entry_data_list_s *skip_value(MMDB_entry_data_list_s *n)
{
	if (n == NULL)
		return NULL;
	uint32_t type = n->entry_data.type, size = n->entry_data.data_size;
	n = n->next;
	if (type == MMDB_DATA_TYPE_MAP) {
		for (uint32_t i = 0; i < size && n; i++)
			n = skip_value(n->next);
	} else if (type == MMDB_DATA_TYPE_ARRAY) {
		for (uint32_t i = 0; i < size && n; i++)
			n = skip_value(n);
	}
	return n;
}

static int sample_keys(MMDB_s *db, struct keyset *ks, unsigned *nrecords)
{
	uint32_t *stack = malloc(SAMPLE_NODES * sizeof(*stack));
	uint32_t seen[SAMPLE_RECORDS];
	unsigned nseen = 0, visited = 0, depth = 0;
	int status = MMDB_SUCCESS;

	if (stack == NULL)
		return MMDB_OUT_OF_MEMORY_ERROR;
	/* Depth-first from the root, left first: in an IPv6 tree that reaches
	 * the IPv4 part (::/96) first, where most databases keep their data.
	 * Alias nodes loop back into it, so the walk is bounded by count. */
	stack[depth++] = 0;
	while (depth > 0 && nseen < SAMPLE_RECORDS && visited < SAMPLE_NODES) {
		uint32_t node_no = stack[--depth];
		MMDB_search_node_s node;
		visited++;
		status = MMDB_read_node(db, node_no, &node);
		if (status != MMDB_SUCCESS)
			break;
		struct {
			uint8_t type;
			uint64_t rec;
			MMDB_entry_s entry;
		} side[2] = {{node.right_record_type, node.right_record, node.right_record_entry},
			     {node.left_record_type, node.left_record, node.left_record_entry}};
		for (int s = 0; s < 2; s++) {
			if (side[s].type == MMDB_RECORD_TYPE_SEARCH_NODE) {
				if (depth < SAMPLE_NODES)
					stack[depth++] = (uint32_t)side[s].rec;
			} else if (side[s].type == MMDB_RECORD_TYPE_DATA) {
				bool dup = false;
				for (unsigned i = 0; i < nseen; i++)
					dup = dup || seen[i] == side[s].entry.offset;
				if (dup || nseen == SAMPLE_RECORDS)
					continue;
				seen[nseen++] = side[s].entry.offset;
				MMDB_entry_data_list_s *list = NULL;
				status = MMDB_get_entry_data_list(&side[s].entry, &list);
				if (status != MMDB_SUCCESS) {
					MMDB_free_entry_data_list(list);
					goto out;
				}
				if (list && list->entry_data.type == MMDB_DATA_TYPE_MAP) {
					uint32_t size = list->entry_data.data_size;
					MMDB_entry_data_list_s *n = list->next;
					for (uint32_t i = 0; i < size && n; i++) {
						MMDB_entry_data_list_s *v = n->next;
						if (n->entry_data.type == MMDB_DATA_TYPE_UTF8_STRING)
							keyset_add(ks, n->entry_data.utf8_string,
								   n->entry_data.data_size,
								   v && v->entry_data.type ==
									   MMDB_DATA_TYPE_MAP);
						n = skip_value(v);
					}
				}
				MMDB_free_entry_data_list(list);
			}
		}
	}
out:
	free(stack);
	*nrecords = nseen;
	return status;
}

static void keyset_format(const struct keyset *ks, char *buf, size_t buflen)
{
	size_t o = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < ks->n && o + 1 < buflen; i++) {
		char sh[BT_SHOW_BUF];
		int w = snprintf(buf + o, buflen - o, "%s%s", i ? ", " : "",
				 bt_show_str(sh, sizeof(sh), ks->keys[i]));
		if (w < 0)
			break;
		o += (size_t)w;
	}
	if (ks->more && o + 1 < buflen)
		snprintf(buf + o, buflen - o, ", ...");
	if (ks->n == 0)
		snprintf(buf, buflen, "(none)");
}

static void set_styles(bt_mmdb *m, bt_mmdb_layout l)
{
	switch (l) {
	case BT_MMDB_GEOLITE2_ASN:
		m->asn = ASN_MAXMIND;
		m->cc = CC_NONE;
		break;
	case BT_MMDB_GEOLITE2_COUNTRY:
		m->asn = ASN_NONE;
		m->cc = CC_MAXMIND;
		break;
	case BT_MMDB_IPLOCATIONDB:
		m->asn = ASN_NONE;
		m->cc = CC_FLAT_CODE;
		break;
	case BT_MMDB_IPINFO:
		m->asn = ASN_IPINFO;
		m->cc = CC_IPINFO;
		break;
	default:
		m->asn = ASN_NONE;
		m->cc = CC_NONE;
		break;
	}
}

/* Chooses the styles from the sampled keys. Combined databases (ASN and
 * country in one file) get both. */
static void detect(bt_mmdb *m, const struct keyset *ks)
{
	int k;
	m->asn = ASN_NONE;
	m->cc = CC_NONE;
	if (keyset_find(ks, "autonomous_system_number") >= 0)
		m->asn = ASN_MAXMIND;
	else if (keyset_find(ks, "asn") >= 0)
		m->asn = ASN_IPINFO;
	if (((k = keyset_find(ks, "country")) >= 0 && ks->is_map[k]) ||
	    ((k = keyset_find(ks, "registered_country")) >= 0 && ks->is_map[k]))
		m->cc = CC_MAXMIND;
	else if (m->asn == ASN_IPINFO &&
		 (keyset_find(ks, "country_code") >= 0 || keyset_find(ks, "country") >= 0))
		m->cc = CC_IPINFO;
	else if (keyset_find(ks, "country_code") >= 0)
		m->cc = CC_FLAT_CODE;
	else if (keyset_find(ks, "country") >= 0)
		m->cc = CC_IPINFO; /* IPinfo's country-only file: flat "country" */

	if (m->asn == ASN_IPINFO || (m->asn == ASN_NONE && m->cc == CC_IPINFO))
		m->layout = BT_MMDB_IPINFO;
	else if (m->cc == CC_MAXMIND)
		m->layout = BT_MMDB_GEOLITE2_COUNTRY;
	else if (m->cc == CC_FLAT_CODE)
		m->layout = BT_MMDB_IPLOCATIONDB;
	else if (m->asn == ASN_MAXMIND)
		m->layout = BT_MMDB_GEOLITE2_ASN;
	else
		m->layout = BT_MMDB_AUTO;
}

/* Does the sample carry at least one key the styles read? */
static bool keys_match(const bt_mmdb *m, const struct keyset *ks)
{
	switch (m->asn) {
	case ASN_MAXMIND:
		if (keyset_find(ks, "autonomous_system_number") >= 0)
			return true;
		break;
	case ASN_IPINFO:
		if (keyset_find(ks, "asn") >= 0)
			return true;
		break;
	default:
		break;
	}
	switch (m->cc) {
	case CC_MAXMIND:
		return keyset_find(ks, "country") >= 0 ||
		       keyset_find(ks, "registered_country") >= 0;
	case CC_FLAT_CODE:
		return keyset_find(ks, "country_code") >= 0;
	case CC_IPINFO:
		return keyset_find(ks, "country_code") >= 0 || keyset_find(ks, "country") >= 0;
	default:
		return false;
	}
}

static int flatten(bt_mmdb *m, char *err, size_t errlen);

int bt_mmdb_open(const char *path, bt_mmdb_layout force, bt_mmdb **out, char *err,
		 size_t errlen)
{
	return bt_mmdb_open_flags(path, force, 0, out, err, errlen);
}

int bt_mmdb_open_flags(const char *path, bt_mmdb_layout force, unsigned flags,
		       bt_mmdb **out, char *err, size_t errlen)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		return -1;
	}
	bt_mmdb *m = calloc(1, sizeof(*m));
	if (m == NULL || (m->path = strdup(path)) == NULL) {
		free(m);
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	int status = MMDB_open(path, MMDB_MODE_MMAP, &m->db);
	if (status != MMDB_SUCCESS) {
		if (status == MMDB_FILE_OPEN_ERROR || status == MMDB_IO_ERROR)
			snprintf(err, errlen, "%s: cannot read: %s", path, MMDB_strerror(status));
		else
			snprintf(err, errlen,
				 "%s: not a usable MaxMind DB file (truncated or another format?): %s",
				 path, MMDB_strerror(status));
		free(m->path);
		free(m);
		return -1;
	}

	struct keyset ks;
	unsigned nrec = 0;
	memset(&ks, 0, sizeof(ks));
	status = sample_keys(&m->db, &ks, &nrec);
	if (status != MMDB_SUCCESS) {
		snprintf(err, errlen, "%s: corrupt MaxMind DB: %s", path, MMDB_strerror(status));
		goto fail;
	}
	char dbtype[BT_SHOW_BUF];
	bt_show_str(dbtype, sizeof(dbtype), m->db.metadata.database_type);
	char keys[512];
	keyset_format(&ks, keys, sizeof(keys));
	if (force != BT_MMDB_AUTO) {
		set_styles(m, force);
		m->layout = force;
		/* An empty database cannot contradict a forced layout. */
		if (nrec > 0 && !keys_match(m, &ks)) {
			snprintf(err, errlen,
				 "%s (type '%s'): records lack the keys of layout %s; they have: %s",
				 path, dbtype, bt_mmdb_layout_name(force), keys);
			goto fail;
		}
	} else {
		if (nrec == 0) {
			snprintf(err, errlen,
				 "%s (type '%s'): no data records to detect the layout from "
				 "(force one with --asn-layout / --country-layout)",
				 path, dbtype);
			goto fail;
		}
		detect(m, &ks);
		if (m->layout == BT_MMDB_AUTO) {
			snprintf(err, errlen,
				 "%s (type '%s'): none of the expected keys (autonomous_system_number, "
				 "asn, country, registered_country, country_code); its records have: %s",
				 path, dbtype, keys);
			goto fail;
		}
	}
	if (m->asn != ASN_NONE && m->cc != CC_NONE && m->layout != BT_MMDB_IPINFO)
		snprintf(m->describe, sizeof(m->describe), "%s+asn",
			 bt_mmdb_layout_name(m->layout));
	else
		snprintf(m->describe, sizeof(m->describe), "%s", bt_mmdb_layout_name(m->layout));

	m->nslots = 1024;
	m->slots = calloc(m->nslots, sizeof(*m->slots));
	if (m->slots == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	if (!(flags & BT_MMDB_TREE_LOOKUPS) && flatten(m, err, errlen) != 0) {
		bt_mmdb_close(m);
		return -1;
	}
	*out = m;
	return 0;
fail:
	MMDB_close(&m->db);
	free(m->path);
	free(m);
	return -1;
}

void bt_mmdb_close(bt_mmdb *m)
{
	if (m == NULL)
		return;
	MMDB_close(&m->db);
	for (uint32_t i = 0; i < m->nchunks; i++)
		free(m->chunks[i]);
	free(m->chunks);
	for (size_t i = 0; i < m->nblocks; i++)
		free(m->blocks[i]);
	free(m->blocks);
	free(m->slots);
	bt_lpm_free(m->flat);
	free(m->path);
	free(m);
}

bool bt_mmdb_flattened(const bt_mmdb *m)
{
	return m->flat != NULL;
}

size_t bt_mmdb_network_count(const bt_mmdb *m)
{
	return m->nnetworks;
}

const char *bt_mmdb_path(const bt_mmdb *m)
{
	return m->path;
}

const char *bt_mmdb_describe(const bt_mmdb *m)
{
	return m->describe;
}

const char *bt_mmdb_database_type(const bt_mmdb *m)
{
	return m->db.metadata.database_type ? m->db.metadata.database_type : "";
}

bool bt_mmdb_has_asn(const bt_mmdb *m)
{
	return m->asn != ASN_NONE;
}

bool bt_mmdb_has_country(const bt_mmdb *m)
{
	return m->cc != CC_NONE;
}

/* ---- record decoding and memo ---- */

static char *arena_copy(bt_mmdb *m, const char *s, size_t n)
{
	if (n + 1 > ARENA_BLOCK) {
		n = ARENA_BLOCK - 1; /* absurdly long names are cut, not refused */
	}
	if (m->nblocks == 0 || m->block_used + n + 1 > ARENA_BLOCK) {
		char **b = realloc(m->blocks, (m->nblocks + 1) * sizeof(*b));
		if (b == NULL)
			return NULL;
		m->blocks = b;
		if ((b[m->nblocks] = malloc(ARENA_BLOCK)) == NULL)
			return NULL;
		m->nblocks++;
		m->block_used = 0;
	}
	char *p = m->blocks[m->nblocks - 1] + m->block_used;
	memcpy(p, s, n);
	p[n] = '\0';
	m->block_used += n + 1;
	return p;
}

struct ctx {
	bt_mmdb *m;
	const bt_addr *addr;
	unsigned block;
	char *err;
	size_t errlen;
};

static int field_error(struct ctx *c, const char *field, const char *what)
{
	char a[BT_ADDR_STRLEN];
	bt_addr_format(c->addr, a, sizeof(a));
	snprintf(c->err, c->errlen, "%s: record for %s (network /%u): field '%s' %s",
		 c->m->path, a, c->block, field, what);
	return -1;
}

/* Fetches a value; returns 1 found, 0 absent, -1 error. */
static int get(struct ctx *c, MMDB_entry_s *e, MMDB_entry_data_s *d, const char *field,
	       const char *const *path)
{
	int s = MMDB_aget_value(e, d, path);
	if (s == MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR) {
		/* libmaxminddb says this both for a missing key and for a path
		 * through something that is not a map: only the second is bad
		 * data, and only a two-step path ("country", "iso_code") can
		 * show it. */
		if (path[1] != NULL) {
			const char *const parent[] = {path[0], NULL};
			MMDB_entry_data_s p;
			if (MMDB_aget_value(e, &p, parent) == MMDB_SUCCESS && p.has_data &&
			    p.type != MMDB_DATA_TYPE_MAP)
				return field_error(c, field, "is inside something that is not a map");
		}
		d->has_data = false;
		return 0;
	}
	if (s != MMDB_SUCCESS)
		return field_error(c, field, MMDB_strerror(s));
	return d->has_data ? 1 : 0;
}

/* A NUL inside a string would cut it short unseen (names are C strings
 * from here on): refused rather than escaped, as corrupt data. */
#define NUL_INSIDE "holds a NUL byte (refused: the name would be cut short)"

static int get_country(struct ctx *c, MMDB_entry_s *e, const char *field,
		       const char *const *path, char out[3])
{
	MMDB_entry_data_s d;
	int r = get(c, e, &d, field, path);
	if (r <= 0)
		return r;
	if (d.type != MMDB_DATA_TYPE_UTF8_STRING)
		return field_error(c, field, "is not a string");
	if (d.data_size == 0)
		return 0;
	if (memchr(d.utf8_string, '\0', d.data_size) != NULL)
		return field_error(c, field, NUL_INSIDE);
	if (d.data_size != 2)
		return field_error(c, field, "is not a two-letter country code");
	out[0] = d.utf8_string[0];
	out[1] = d.utf8_string[1];
	out[2] = '\0';
	return 1;
}

static int get_string(struct ctx *c, MMDB_entry_s *e, const char *field,
		      const char *const *path, const char **out)
{
	MMDB_entry_data_s d;
	int r = get(c, e, &d, field, path);
	if (r <= 0)
		return r;
	if (d.type != MMDB_DATA_TYPE_UTF8_STRING)
		return field_error(c, field, "is not a string");
	if (d.data_size == 0)
		return 0;
	if (memchr(d.utf8_string, '\0', d.data_size) != NULL)
		return field_error(c, field, NUL_INSIDE);
	*out = arena_copy(c->m, d.utf8_string, d.data_size);
	if (*out == NULL)
		return field_error(c, field, "could not be stored (out of memory)");
	return 1;
}

static int decode(struct ctx *c, MMDB_entry_s *e, bt_mmdb_record *r)
{
	static const char *const p_asn[] = {"autonomous_system_number", NULL};
	static const char *const p_org[] = {"autonomous_system_organization", NULL};
	static const char *const p_iasn[] = {"asn", NULL};
	static const char *const p_iname[] = {"as_name", NULL};
	static const char *const p_cc[] = {"country", "iso_code", NULL};
	static const char *const p_rcc[] = {"registered_country", "iso_code", NULL};
	static const char *const p_code[] = {"country_code", NULL};
	static const char *const p_country[] = {"country", NULL};
	MMDB_entry_data_s d;
	int x;

	memset(r, 0, sizeof(*r));
	if (c->m->asn == ASN_MAXMIND) {
		if ((x = get(c, e, &d, "autonomous_system_number", p_asn)) < 0)
			return -1;
		if (x > 0) {
			switch (d.type) {
			case MMDB_DATA_TYPE_UINT16:
				r->asn = d.uint16;
				break;
			case MMDB_DATA_TYPE_UINT32:
				r->asn = d.uint32;
				break;
			case MMDB_DATA_TYPE_INT32:
				if (d.int32 < 0)
					return field_error(c, "autonomous_system_number",
							   "is negative");
				r->asn = (uint32_t)d.int32;
				break;
			case MMDB_DATA_TYPE_UINT64:
				if (d.uint64 > UINT32_MAX)
					return field_error(c, "autonomous_system_number",
							   "is larger than 32 bits");
				r->asn = (uint32_t)d.uint64;
				break;
			case MMDB_DATA_TYPE_UTF8_STRING:
				if (bt_asn_parse(d.utf8_string, d.data_size, &r->asn) != 0)
					return field_error(c, "autonomous_system_number",
							   "is not an AS number");
				break;
			default:
				return field_error(c, "autonomous_system_number",
						   "is not an integer");
			}
		}
		if (get_string(c, e, "autonomous_system_organization", p_org, &r->org) < 0)
			return -1;
	} else if (c->m->asn == ASN_IPINFO) {
		if ((x = get(c, e, &d, "asn", p_iasn)) < 0)
			return -1;
		if (x > 0) {
			if (d.type == MMDB_DATA_TYPE_UTF8_STRING) {
				if (d.data_size > 0 &&
				    bt_asn_parse(d.utf8_string, d.data_size, &r->asn) != 0)
					return field_error(c, "asn", "is not an AS number (\"AS123\")");
			} else if (d.type == MMDB_DATA_TYPE_UINT32) {
				r->asn = d.uint32;
			} else {
				return field_error(c, "asn", "is not a string");
			}
		}
		if (get_string(c, e, "as_name", p_iname, &r->org) < 0)
			return -1;
	}
	switch (c->m->cc) {
	case CC_MAXMIND:
		if (get_country(c, e, "country.iso_code", p_cc, r->country) < 0 ||
		    get_country(c, e, "registered_country.iso_code", p_rcc, r->reg_country) < 0)
			return -1;
		break;
	case CC_FLAT_CODE:
		if (get_country(c, e, "country_code", p_code, r->country) < 0)
			return -1;
		break;
	case CC_IPINFO:
		/* IPinfo Lite has country_code plus a full-name "country"; the
		 * older country+ASN file has a two-letter "country" only. */
		if ((x = get_country(c, e, "country_code", p_code, r->country)) < 0)
			return -1;
		if (x == 0 && get_country(c, e, "country", p_country, r->country) < 0)
			return -1;
		break;
	default:
		break;
	}
	return 0;
}

static int memo_grow(bt_mmdb *m)
{
	uint32_t n = m->nslots * 2;
	struct memo_slot *s = calloc(n, sizeof(*s));
	if (s == NULL)
		return -1;
	for (uint32_t i = 0; i < m->nslots; i++) {
		if (m->slots[i].offset == 0)
			continue;
		uint32_t h = bt_hash32(m->slots[i].offset) & (n - 1);
		while (s[h].offset != 0)
			h = (h + 1) & (n - 1);
		s[h] = m->slots[i];
	}
	free(m->slots);
	m->slots = s;
	m->nslots = n;
	return 0;
}

static bt_mmdb_record *rec_at(bt_mmdb *m, uint32_t i)
{
	return &m->chunks[i / REC_CHUNK][i % REC_CHUNK];
}

/* The record at e, decoded on first sight and memoised by its offset.
 * Returns 0 with *idx, -1 when the record does not decode (err says why;
 * remembered, so that the many networks sharing it are not decoded again
 * at flattening), -2 when out of memory. */
static int memo_record(bt_mmdb *m, MMDB_entry_s *e, struct ctx *c, uint32_t *idx)
{
	uint32_t key = e->offset + 1;
	uint32_t h = bt_hash32(key) & (m->nslots - 1);
	while (m->slots[h].offset != 0) {
		if (m->slots[h].offset == key) {
			if (m->slots[h].rec != FLAT_SLOW) {
				*idx = m->slots[h].rec;
				return 0;
			}
			/* Known bad: decode again, for this address's message. */
			bt_mmdb_record r;
			if (decode(c, e, &r) == 0) /* decoding is deterministic */
				snprintf(c->err, c->errlen, "%s: record at offset %u decodes "
					 "only sometimes", m->path, e->offset);
			return -1;
		}
		h = (h + 1) & (m->nslots - 1);
	}

	bt_mmdb_record r;
	uint32_t rec = FLAT_SLOW;
	int status = 0;
	if (decode(c, e, &r) != 0) {
		status = -1;
	} else {
		if (m->nrecs == FLAT_MAX_RECS)
			goto nomem;
		if (m->nrecs % REC_CHUNK == 0) {
			bt_mmdb_record **ch = realloc(m->chunks, (m->nchunks + 1) * sizeof(*ch));
			if (ch == NULL)
				goto nomem;
			m->chunks = ch;
			if ((ch[m->nchunks] = malloc(REC_CHUNK * sizeof(**ch))) == NULL)
				goto nomem;
			m->nchunks++;
		}
		rec = m->nrecs++;
		*rec_at(m, rec) = r;
	}
	m->slots[h].offset = key;
	m->slots[h].rec = rec;
	m->nused++;
	*idx = rec;
	/* Keep the load under one half so probes stay short. */
	if (m->nused * 2 > m->nslots && memo_grow(m) != 0)
		goto nomem;
	return status;
nomem:
	snprintf(c->err, c->errlen, "%s: out of memory", m->path);
	return -2;
}

/* The lookup through libmaxminddb's tree walk. */
static int tree_lookup(bt_mmdb *m, const bt_addr *addr, const bt_mmdb_record **rec,
		       unsigned *block_len, char *err, size_t errlen)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	const struct sockaddr *sa;
	unsigned width;

	if (addr->family == AF_INET) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		memcpy(&sin.sin_addr, addr->bytes, 4);
		sa = (const struct sockaddr *)&sin;
		width = 32;
	} else if (addr->family == AF_INET6) {
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		memcpy(&sin6.sin6_addr, addr->bytes, 16);
		sa = (const struct sockaddr *)&sin6;
		width = 128;
	} else {
		if (block_len)
			*block_len = 0;
		return 0;
	}

	int mmdb_error = MMDB_SUCCESS;
	MMDB_lookup_result_s res = MMDB_lookup_sockaddr(&m->db, sa, &mmdb_error);
	if (mmdb_error == MMDB_IPV6_LOOKUP_IN_IPV4_DATABASE_ERROR) {
		/* An IPv4-only database knows nothing of the whole IPv6 space. */
		if (block_len)
			*block_len = 0;
		return 0;
	}
	if (mmdb_error != MMDB_SUCCESS) {
		char a[BT_ADDR_STRLEN];
		snprintf(err, errlen, "%s: lookup of %s failed: %s", m->path,
			 bt_addr_format(addr, a, sizeof(a)), MMDB_strerror(mmdb_error));
		return -1;
	}
	/* IPv4 in an IPv6 tree lives at ::a.b.c.d: the netmask counts those
	 * 96 leading bits too. */
	unsigned block = res.netmask;
	if (width == 32 && m->db.metadata.ip_version == 6)
		block = block >= 96 ? block - 96 : 0;
	if (block > width)
		block = width;
	if (block_len)
		*block_len = block;
	if (!res.found_entry)
		return 0;

	uint32_t idx;
	struct ctx c = {m, addr, block, err, errlen};
	if (memo_record(m, &res.entry, &c, &idx) != 0)
		return -1;
	*rec = rec_at(m, idx);
	return 1;
}

int bt_mmdb_lookup(bt_mmdb *m, const bt_addr *addr, const bt_mmdb_record **rec,
		   unsigned *block_len, char *err, size_t errlen)
{
	if (m->flat == NULL || (addr->family != AF_INET && addr->family != AF_INET6))
		return tree_lookup(m, addr, rec, block_len, err, errlen);
	/* An IPv6 address in an IPv4 tree finds the empty IPv6 table: not
	 * found, block 0, as libmaxminddb's refusal is reported. */
	unsigned block;
	uint32_t v = bt_lpm_lookup(m->flat, addr, &block);
	if (v >= FLAT_ALIAS && v != BT_LPM_NONE) {
		/* The tree walk would go on into the IPv4 subtree with the
		 * 32 bits that follow the alias. */
		unsigned bit = v - FLAT_ALIAS, b4;
		uint32_t x = 0;
		for (unsigned i = 0; i < 32; i++) {
			unsigned k = bit + i;
			x = x << 1 | ((addr->bytes[k / 8] >> (7 - k % 8)) & 1u);
		}
		bt_addr a4;
		bt_addr_from_v4(&a4, htonl(x));
		v = bt_lpm_lookup(m->flat, &a4, &b4);
		block = bit + b4;
	}
	if (v == FLAT_SLOW)
		return tree_lookup(m, addr, rec, block_len, err, errlen);
	if (block_len)
		*block_len = block;
	if (v == BT_LPM_NONE)
		return 0;
	*rec = rec_at(m, v);
	return 1;
}

/* ---- flattening the search tree into an LPM ---- */

enum { WALK_OK = 0, WALK_MALFORMED = 1, WALK_NOMEM = -1 };

struct walk {
	bt_mmdb *m;
	bt_lpm *t;
	uint64_t v4root;      /* the IPv4 subtree of an IPv6 tree; UINT64_MAX: none */
	uint64_t visits;
	int family;
	unsigned width;
	uint8_t bytes[16];    /* the prefix being walked, host bits zero */
	char scratch[256];    /* decode errors at load are reported at lookup */
};

/* Adds the network at bytes/depth for one record of a node. */
static int leaf(struct walk *w, unsigned depth, uint8_t type, MMDB_entry_s *entry)
{
	bt_addr p;
	uint32_t v;
	memset(&p, 0, sizeof(p));
	p.family = (uint8_t)w->family;
	memcpy(p.bytes, w->bytes, sizeof(p.bytes));
	switch (type) {
	case MMDB_RECORD_TYPE_EMPTY:
		return WALK_OK;
	case MMDB_RECORD_TYPE_DATA: {
		struct ctx c = {w->m, &p, depth, w->scratch, sizeof(w->scratch)};
		int s = memo_record(w->m, entry, &c, &v);
		if (s == -2)
			return WALK_NOMEM;
		if (s == -1)
			v = FLAT_SLOW;
		w->m->nnetworks++;
		break;
	}
	case MMDB_RECORD_TYPE_SEARCH_NODE: /* an alias of the IPv4 subtree */
		if (depth > 96)
			return WALK_MALFORMED; /* the walk would run past 128 bits */
		v = FLAT_ALIAS + depth;
		break;
	default: /* a pointer past the data section: libmaxminddb will say */
		v = FLAT_SLOW;
		break;
	}
	if (bt_lpm_add_prefix(w->t, &p, depth, v) != 0)
		return WALK_NOMEM;
	return WALK_OK;
}

static int walk(struct walk *w, uint64_t node, unsigned depth)
{
	MMDB_search_node_s n;
	/* A tree visits each node once (aliases are not descended): more
	 * visits mean a cycle or shared subtrees, which could take forever. */
	if (node > UINT32_MAX || ++w->visits > w->m->db.metadata.node_count ||
	    MMDB_read_node(&w->m->db, (uint32_t)node, &n) != MMDB_SUCCESS)
		return WALK_MALFORMED;
	for (int side = 0; side < 2; side++) {
		uint8_t type = side ? n.right_record_type : n.left_record_type;
		uint64_t rec = side ? n.right_record : n.left_record;
		MMDB_entry_s *e = side ? &n.right_record_entry : &n.left_record_entry;
		unsigned d = depth + 1;
		uint8_t bitmask = (uint8_t)(0x80u >> (depth % 8));
		int s;
		if (side)
			w->bytes[depth / 8] |= bitmask;
		if (type == MMDB_RECORD_TYPE_SEARCH_NODE && rec != w->v4root)
			s = d >= w->width ? WALK_MALFORMED : walk(w, rec, d);
		else
			s = leaf(w, d, type, e);
		if (side)
			w->bytes[depth / 8] &= (uint8_t)~bitmask;
		if (s != WALK_OK)
			return s;
	}
	return WALK_OK;
}

static int walk_tree(bt_mmdb *m, struct walk *w)
{
	MMDB_s *db = &m->db;
	w->v4root = UINT64_MAX;
	if (db->metadata.ip_version == 4) {
		w->family = AF_INET;
		w->width = 32;
		return walk(w, 0, 0);
	}
	if (db->metadata.ip_version != 6)
		return WALK_MALFORMED;

	/* IPv4 is ::/96: follow the left records 96 deep, as libmaxminddb
	 * does to find where IPv4 lookups start. */
	uint64_t rec = 0;
	uint8_t type = MMDB_RECORD_TYPE_SEARCH_NODE;
	MMDB_entry_s e = {.mmdb = db, .offset = 0};
	for (unsigned d = 0; d < 96 && type == MMDB_RECORD_TYPE_SEARCH_NODE; d++) {
		MMDB_search_node_s n;
		if (rec > UINT32_MAX || MMDB_read_node(db, (uint32_t)rec, &n) != MMDB_SUCCESS)
			return WALK_MALFORMED;
		type = n.left_record_type;
		rec = n.left_record;
		e = n.left_record_entry;
	}
	int s;
	w->family = AF_INET;
	w->width = 32;
	if (type == MMDB_RECORD_TYPE_SEARCH_NODE) {
		s = walk(w, rec, 0);
		w->v4root = rec;
	} else {
		/* IPv4 as a whole is one network (or none) of the tree. */
		s = leaf(w, 0, type, &e);
	}
	if (s != WALK_OK)
		return s;
	/* That network also counts among the IPv6 ones walked next. */
	if (type == MMDB_RECORD_TYPE_DATA)
		m->nnetworks--;
	w->family = AF_INET6;
	w->width = 128;
	memset(w->bytes, 0, sizeof(w->bytes));
	return walk(w, 0, 0);
}

static int flatten(bt_mmdb *m, char *err, size_t errlen)
{
	struct walk *w = calloc(1, sizeof(*w));
	if (w == NULL || (m->flat = bt_lpm_new()) == NULL) {
		free(w);
		snprintf(err, errlen, "%s: out of memory", m->path);
		return -1;
	}
	w->m = m;
	w->t = m->flat;
	bt_lpm_set_distinct(m->flat, true);
	int s = walk_tree(m, w);
	free(w);
	if (s == WALK_OK) {
		bt_lpm_conflict c = bt_lpm_build(m->flat, NULL, NULL);
		if (c == BT_LPM_NOMEM)
			s = WALK_NOMEM;
		else if (c != BT_LPM_OK)
			s = WALK_MALFORMED; /* networks of a tree never overlap */
	}
	if (s == WALK_OK) {
		bt_lpm_freeze(m->flat);
		return 0;
	}
	bt_lpm_free(m->flat);
	m->flat = NULL;
	m->nnetworks = 0;
	if (s == WALK_NOMEM) {
		snprintf(err, errlen, "%s: out of memory loading %u search-tree nodes", m->path,
			 m->db.metadata.node_count);
		return -1;
	}
	/* Not a tree the walk can flatten: libmaxminddb still reads it one
	 * lookup at a time, and reports what is wrong where it matters. */
	return 0;
}
