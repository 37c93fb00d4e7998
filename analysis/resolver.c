/* bordertrace — hop resolver (see include/bordertrace/resolver.h). */
#include "bordertrace/resolver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "bordertrace/ixp.h"
#include "bordertrace/lpm.h"
#include "bordertrace/pfx2as.h"

/* How a cached answer's prefix is rebuilt from the address on a hit. */
enum { PFX_NONE, PFX_ADDR, PFX_EMBEDDED_V4 };

/* One cache line: the answer is kept in the slot itself, so that a hit
 * costs one memory load (a 2-way set is two adjacent lines, 128-byte
 * aligned, which the hardware fetches together). */
struct cache_slot {
	_Alignas(64) uint64_t key[2]; /* the address masked to len, bytes as loaded */
	const uint32_t *origins;
	const char *org;
	const char *ixp;
	uint32_t asn, n_origins;
	uint8_t family;  /* 0 = empty */
	uint8_t len;     /* block over which the answer holds */
	uint8_t plen;    /* prefix length reported */
	uint8_t pkind;
	uint8_t cls, source;
	char country[3], reg_country[3];
};
_Static_assert(sizeof(struct cache_slot) == 64, "one cache line");
_Static_assert(BT_CLASS_COUNT <= 256, "classes fit a byte");

struct bt_resolver {
	bt_resolver_config cfg;
	bt_mmdb *asn_db, *country_db;
	bt_pfx2as *pfx2as;
	bt_ixp *ixp;
	bt_lpm *classes;       /* the IANA tables, value = class | length << 8 */
	struct cache_slot *cache; /* 2-way sets: slots 2i and 2i+1 */
	uint32_t cache_mask;   /* over sets */
	uint64_t mask[129][2];
	uint64_t hits, misses;
};

static const char *const source_names[] = {
	[BT_SOURCE_NONE] = "none",
	[BT_SOURCE_CLASS] = "class",
	[BT_SOURCE_IXP] = "ixp",
	[BT_SOURCE_ASN_DB] = "asn-db",
	[BT_SOURCE_COUNTRY_DB] = "country-db",
	[BT_SOURCE_PFX2AS] = "pfx2as",
};

const char *bt_source_name(bt_source s)
{
	return (unsigned)s < sizeof(source_names) / sizeof(source_names[0]) ? source_names[s]
									      : "?";
}

void bt_resolver_config_init(bt_resolver_config *c)
{
	memset(c, 0, sizeof(*c));
	c->cache_bits = BT_RESOLVER_CACHE_BITS_DEFAULT;
}

void bt_resolver_close(bt_resolver *r)
{
	if (r == NULL)
		return;
	bt_mmdb_close(r->asn_db);
	bt_mmdb_close(r->country_db);
	bt_pfx2as_free(r->pfx2as);
	bt_ixp_free(r->ixp);
	bt_lpm_free(r->classes);
	free(r->cache);
	free(r);
}

int bt_resolver_open(const bt_resolver_config *c, bt_resolver **out, char *err,
		     size_t errlen)
{
	bt_resolver *r = calloc(1, sizeof(*r));
	if (r == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	r->cfg = *c;
	/* The caller's file lists are not kept: nothing reads them after open. */
	r->cfg.pfx2as = NULL;
	r->cfg.ixp = NULL;
	unsigned mflags = c->mmdb_tree_lookups ? BT_MMDB_TREE_LOOKUPS : 0;
	if (c->asn_db && bt_mmdb_open_flags(c->asn_db, c->asn_layout, mflags, &r->asn_db, err,
					    errlen) != 0)
		goto fail;
	if (c->country_db && bt_mmdb_open_flags(c->country_db, c->country_layout, mflags,
						&r->country_db, err, errlen) != 0)
		goto fail;
	if (c->n_pfx2as > 0) {
		if ((r->pfx2as = bt_pfx2as_new()) == NULL)
			goto nomem;
		for (size_t i = 0; i < c->n_pfx2as; i++)
			if (bt_pfx2as_load(r->pfx2as, c->pfx2as[i], err, errlen) != 0)
				goto fail;
		if (bt_pfx2as_build(r->pfx2as, err, errlen) != 0)
			goto fail;
	}
	if (c->n_ixp > 0) {
		if ((r->ixp = bt_ixp_new()) == NULL)
			goto nomem;
		for (size_t i = 0; i < c->n_ixp; i++)
			if (bt_ixp_load(r->ixp, c->ixp[i], err, errlen) != 0)
				goto fail;
		if (bt_ixp_build(r->ixp, err, errlen) != 0)
			goto fail;
	}
	/* The special-purpose tables as an LPM: class and block in one search. */
	if ((r->classes = bt_lpm_new()) == NULL)
		goto nomem;
	for (int fam = 0; fam < 2; fam++) {
		bt_addr p;
		unsigned len;
		bt_addrclass cls;
		int family = fam ? AF_INET6 : AF_INET;
		for (size_t i = 0; bt_addrclass_entry(family, i, &p, &len, &cls); i++)
			if (bt_lpm_add_prefix(r->classes, &p, len, (uint32_t)cls | len << 8) != 0)
				goto nomem;
	}
	if (bt_lpm_build(r->classes, NULL, NULL) != BT_LPM_OK)
		goto nomem;
	if (c->cache_bits > 0) {
		unsigned bits = c->cache_bits < 2 ? 2 : c->cache_bits > 24 ? 24 : c->cache_bits;
		size_t sz = ((size_t)1 << bits) * sizeof(*r->cache);
		r->cache = aligned_alloc(128, sz);
		if (r->cache == NULL)
			goto nomem;
		memset(r->cache, 0, sz);
		r->cache_mask = (1u << (bits - 1)) - 1;
	}
	/* Masks in the same byte order as the keys, so a hit is two ANDs. */
	for (unsigned len = 0; len <= 128; len++) {
		uint8_t b[16] = {0};
		for (unsigned bit = 0; bit < len; bit++)
			b[bit / 8] |= (uint8_t)(0x80u >> (bit % 8));
		memcpy(r->mask[len], b, 16);
	}
	*out = r;
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
fail:
	bt_resolver_close(r);
	return -1;
}

const bt_mmdb *bt_resolver_asn_db(const bt_resolver *r)
{
	return r->asn_db;
}

const bt_mmdb *bt_resolver_country_db(const bt_resolver *r)
{
	return r->country_db;
}

size_t bt_resolver_pfx2as_count(const bt_resolver *r)
{
	return r->pfx2as ? bt_pfx2as_count(r->pfx2as) : 0;
}

size_t bt_resolver_ixp_count(const bt_resolver *r)
{
	return r->ixp ? bt_ixp_count(r->ixp) : 0;
}

void bt_resolver_cache_stats(const bt_resolver *r, uint64_t *hits, uint64_t *misses)
{
	*hits = r->hits;
	*misses = r->misses;
}

/* Clears every bit from len on, bytes past an IPv4 address's four included
 * (zero in any parsed bt_addr), so both families take one path. Byte-wise:
 * it runs on every cache miss. */
static void mask_addr(const bt_addr *a, unsigned len, bt_addr *out)
{
	*out = *a;
	if (len >= 128)
		return;
	unsigned full = len / 8;
	if (len % 8)
		out->bytes[full++] &= (uint8_t)(0xff00u >> (len % 8));
	memset(out->bytes + full, 0, 16 - full);
}

/* One MMDB lookup per database per address, even when a database serves
 * both the ASN and the country. */
struct dbhit {
	const bt_mmdb *db;
	int found;
	const bt_mmdb_record *rec;
	unsigned block;
};

struct job {
	bt_resolver *r;
	bt_addr q;        /* what is looked up (NAT64: the embedded IPv4) */
	unsigned offset;  /* bits to add to q's block lengths (96 for NAT64) */
	unsigned span;
	struct dbhit hits[2];
	unsigned nhits;
	char *err;
	size_t errlen;
};

static void widen(struct job *j, unsigned block)
{
	if (block + j->offset > j->span)
		j->span = block + j->offset;
}

static int db_lookup(struct job *j, bt_mmdb *db, struct dbhit **out)
{
	for (unsigned i = 0; i < j->nhits; i++) {
		if (j->hits[i].db == db) {
			*out = &j->hits[i];
			return 0;
		}
	}
	struct dbhit *h = &j->hits[j->nhits++];
	h->db = db;
	h->rec = NULL;
	h->found = bt_mmdb_lookup(db, &j->q, &h->rec, &h->block, j->err, j->errlen);
	if (h->found < 0)
		return -1;
	widen(j, h->block);
	*out = h;
	return 0;
}

static int asn_from_mmdb(struct job *j, bt_mmdb *db, bt_source src, bt_resolution *o)
{
	struct dbhit *h;
	if (db == NULL || !bt_mmdb_has_asn(db))
		return 0;
	if (db_lookup(j, db, &h) != 0)
		return -1;
	if (h->found <= 0 || h->rec->asn == 0)
		return 0;
	o->source = src;
	o->asn = h->rec->asn;
	o->n_origins = 1;
	o->origins = &h->rec->asn;
	o->org = h->rec->org;
	mask_addr(&j->q, h->block, &o->prefix);
	o->prefix_len = h->block;
	return 1;
}

static int asn_from_pfx2as(struct job *j, bt_resolution *o)
{
	bt_pfx2as_match m;
	unsigned block;
	if (j->r->pfx2as == NULL)
		return 0;
	bool found = bt_pfx2as_lookup(j->r->pfx2as, &j->q, &m, &block);
	widen(j, block);
	if (!found || m.n_origins == 0)
		return 0;
	o->source = BT_SOURCE_PFX2AS;
	o->asn = m.asn;
	o->n_origins = m.n_origins;
	o->origins = m.origins;
	o->org = m.org;
	o->prefix = m.prefix;
	o->prefix_len = m.prefix_len;
	return 1;
}

static int org_from_mmdb(struct job *j, bt_resolution *o)
{
	bt_mmdb *dbs[2] = {j->r->asn_db, j->r->country_db};
	for (int i = 0; i < 2; i++) {
		struct dbhit *h;
		if (dbs[i] == NULL || !bt_mmdb_has_asn(dbs[i]))
			continue;
		if (db_lookup(j, dbs[i], &h) != 0)
			return -1;
		if (h->found > 0 && h->rec->asn == o->asn && h->rec->org != NULL) {
			o->org = h->rec->org;
			return 1;
		}
	}
	return 0;
}

static int country_from(struct job *j, bt_mmdb *db, bt_resolution *o)
{
	struct dbhit *h;
	if (db == NULL || !bt_mmdb_has_country(db))
		return 0;
	if (db_lookup(j, db, &h) != 0)
		return -1;
	if (h->found <= 0 || (h->rec->country[0] == '\0' && h->rec->reg_country[0] == '\0'))
		return 0;
	memcpy(o->country, h->rec->country, 3);
	memcpy(o->reg_country, h->rec->reg_country, 3);
	return 1;
}

/* The full resolution; *span gets the prefix length over which it holds. */
static int resolve(bt_resolver *r, const bt_addr *q, bt_resolution *o, unsigned *span,
		   char *err, size_t errlen)
{
	bt_addr cp;
	unsigned clen, cspan;
	memset(o, 0, sizeof(*o));
	if (q->family != AF_INET && q->family != AF_INET6) {
		*span = 0;
		return 0; /* class none: a silent hop */
	}
	uint32_t cv = bt_lpm_lookup(r->classes, q, &cspan);
	o->cls = (bt_addrclass)(cv & 0xff);
	clen = cv >> 8;
	mask_addr(q, clen, &cp);
	*span = cspan;
	if (!bt_addrclass_looked_up(o->cls) &&
	    !(r->cfg.lookup_test_ranges && bt_addrclass_is_test_range(o->cls))) {
		o->source = BT_SOURCE_CLASS;
		o->prefix = cp;
		o->prefix_len = clen;
		return 0;
	}

	struct job j;
	memset(&j, 0, sizeof(j));
	j.r = r;
	j.q = *q;
	j.span = cspan;
	j.err = err;
	j.errlen = errlen;
	if (o->cls == BT_CLASS_NAT64) {
		/* Replies from IPv4 routers, translated: the IPv4 part says who. */
		bt_addr_from_v4(&j.q, 0);
		memcpy(j.q.bytes, q->bytes + 12, 4);
		j.offset = 96;
	}

	bool ixp = false;
	if (r->ixp) {
		bt_ixp_match m;
		unsigned block;
		ixp = bt_ixp_lookup(r->ixp, &j.q, &m, &block);
		widen(&j, block);
		if (ixp) {
			o->source = BT_SOURCE_IXP;
			o->ixp = m.name;
			o->prefix = m.prefix;
			o->prefix_len = m.prefix_len;
		}
	}
	if (!ixp) {
		int got = 0;
		if (r->cfg.prefer_pfx2as)
			got = asn_from_pfx2as(&j, o);
		if (got == 0)
			got = asn_from_mmdb(&j, r->asn_db, BT_SOURCE_ASN_DB, o);
		if (got == 0)
			got = asn_from_mmdb(&j, r->country_db, BT_SOURCE_COUNTRY_DB, o);
		if (got == 0 && !r->cfg.prefer_pfx2as)
			got = asn_from_pfx2as(&j, o);
		if (got < 0)
			return -1;
		if (got == 0)
			o->source = BT_SOURCE_NONE;
		/* A prefix table names no organisation; an MMDB that agrees on
		 * the AS does, and the name belongs to the AS, not the prefix. */
		if (got > 0 && o->org == NULL && o->source == BT_SOURCE_PFX2AS &&
		    org_from_mmdb(&j, o) < 0)
			return -1;
	}
	int c = country_from(&j, r->country_db, o);
	if (c == 0)
		c = country_from(&j, r->asn_db, o);
	if (c < 0)
		return -1;
	*span = j.span;
	return 0;
}

int bt_resolver_lookup(bt_resolver *r, const bt_addr *a, bt_resolution *out, char *err,
		       size_t errlen)
{
	bt_addr q;
	bt_addrclass_unmap(a, &q);
	if (r->cache == NULL || (q.family != AF_INET && q.family != AF_INET6)) {
		unsigned span;
		return resolve(r, &q, out, &span, err, errlen);
	}

	uint64_t k[2];
	memcpy(k, q.bytes, 16);
	/* Set from the /24 (IPv4) or /48 (IPv6): routers of one network share
	 * a set's neighbourhood, and any block length can be checked. */
	uint64_t h;
	if (q.family == AF_INET)
		h = ((uint64_t)q.bytes[0] << 16 | (uint64_t)q.bytes[1] << 8 | q.bytes[2]) + 1;
	else
		h = (k[0] & r->mask[48][0]) ^ 0x6a09e667f3bcc909ULL;
	h *= 0x9e3779b97f4a7c15ULL;
	struct cache_slot *set = &r->cache[2 * ((uint32_t)(h >> 40) & r->cache_mask)];
	for (int w = 0; w < 2; w++) {
		struct cache_slot *s = &set[w];
		if (s->family == q.family && (k[0] & r->mask[s->len][0]) == s->key[0] &&
		    (k[1] & r->mask[s->len][1]) == s->key[1]) {
			r->hits++;
			out->cls = (bt_addrclass)s->cls;
			out->source = (bt_source)s->source;
			out->asn = s->asn;
			out->n_origins = s->n_origins;
			out->origins = s->origins;
			out->org = s->org;
			out->ixp = s->ixp;
			memcpy(out->country, s->country, 3);
			memcpy(out->reg_country, s->reg_country, 3);
			memset(&out->prefix, 0, sizeof(out->prefix));
			out->prefix_len = s->plen;
			if (s->pkind == PFX_ADDR) {
				uint64_t p[2] = {k[0] & r->mask[s->plen][0],
						 k[1] & r->mask[s->plen][1]};
				out->prefix.family = q.family;
				memcpy(out->prefix.bytes, p, 16);
			} else if (s->pkind == PFX_EMBEDDED_V4) {
				uint32_t v4, m4;
				memcpy(&v4, q.bytes + 12, 4);
				memcpy(&m4, r->mask[s->plen], 4); /* same byte order as v4 */
				v4 &= m4;
				bt_addr_from_v4(&out->prefix, v4);
			}
			if (w == 1) { /* most recently used first */
				struct cache_slot t = set[0];
				set[0] = set[1];
				set[1] = t;
			}
			return 0;
		}
	}
	r->misses++;
	unsigned span;
	if (resolve(r, &q, out, &span, err, errlen) != 0)
		return -1;
	set[1] = set[0];
	struct cache_slot *s = &set[0];
	s->family = q.family;
	s->len = (uint8_t)span;
	s->key[0] = k[0] & r->mask[span][0];
	s->key[1] = k[1] & r->mask[span][1];
	s->origins = out->origins;
	s->org = out->org;
	s->ixp = out->ixp;
	s->asn = out->asn;
	s->n_origins = out->n_origins;
	s->cls = (uint8_t)out->cls;
	s->source = (uint8_t)out->source;
	memcpy(s->country, out->country, 3);
	memcpy(s->reg_country, out->reg_country, 3);
	s->plen = (uint8_t)out->prefix_len;
	s->pkind = out->prefix.family == 0	     ? PFX_NONE
		   : out->prefix.family == q.family ? PFX_ADDR
						     : PFX_EMBEDDED_V4;
	return 0;
}
