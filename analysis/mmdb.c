/* bordertrace — MaxMind DB sources through libmaxminddb (see
 * include/bordertrace/mmdb.h).
 *
 * Lookups use MMDB_lookup_sockaddr (MMDB_lookup_string would go through
 * getaddrinfo) and MMDB_get_value on the matched entry; strings in the data
 * section are not NUL-terminated, so they are copied out once per record. */
#include "bordertrace/mmdb.h"

#include <errno.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "textfile.h"

enum asn_style { ASN_NONE, ASN_MAXMIND, ASN_IPINFO };
enum country_style { CC_NONE, CC_MAXMIND, CC_FLAT_CODE, CC_IPINFO };

#define SAMPLE_RECORDS 64
#define SAMPLE_NODES 200000
#define MAX_KEYS 48
#define REC_CHUNK 1024
#define ARENA_BLOCK 65536

struct memo_slot {
	uint32_t offset; /* data-section offset + 1; 0 = empty slot */
	uint32_t rec;    /* index into the record chunks */
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
	uint32_t nslots, nrecs;
	bt_mmdb_record **chunks;
	uint32_t nchunks;
	/* string arena: blocks never move, so record pointers stay valid */
	char **blocks;
	size_t nblocks, block_used;
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
		int w = snprintf(buf + o, buflen - o, "%s%s", i ? ", " : "", ks->keys[i]);
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

int bt_mmdb_open(const char *path, bt_mmdb_layout force, bt_mmdb **out, char *err,
		 size_t errlen)
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
	const char *dbtype = m->db.metadata.database_type ? m->db.metadata.database_type : "";
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
	free(m->path);
	free(m);
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

static uint32_t hash32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	x *= 0x846ca68bU;
	x ^= x >> 16;
	return x;
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
		uint32_t h = hash32(m->slots[i].offset) & (n - 1);
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

int bt_mmdb_lookup(bt_mmdb *m, const bt_addr *addr, const bt_mmdb_record **rec,
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

	uint32_t key = res.entry.offset + 1;
	uint32_t h = hash32(key) & (m->nslots - 1);
	while (m->slots[h].offset != 0) {
		if (m->slots[h].offset == key) {
			*rec = rec_at(m, m->slots[h].rec);
			return 1;
		}
		h = (h + 1) & (m->nslots - 1);
	}

	bt_mmdb_record r;
	struct ctx c = {m, addr, block, err, errlen};
	if (decode(&c, &res.entry, &r) != 0)
		return -1;
	if (m->nrecs % REC_CHUNK == 0) {
		bt_mmdb_record **ch = realloc(m->chunks, (m->nchunks + 1) * sizeof(*ch));
		if (ch == NULL)
			goto nomem;
		m->chunks = ch;
		if ((ch[m->nchunks] = malloc(REC_CHUNK * sizeof(**ch))) == NULL)
			goto nomem;
		m->nchunks++;
	}
	*rec_at(m, m->nrecs) = r;
	m->slots[h].offset = key;
	m->slots[h].rec = m->nrecs++;
	*rec = rec_at(m, m->slots[h].rec);
	/* Keep the load under one half so probes stay short. */
	if (m->nrecs * 2 > m->nslots && memo_grow(m) != 0)
		goto nomem;
	return 1;
nomem:
	snprintf(err, errlen, "%s: out of memory", m->path);
	return -1;
}
