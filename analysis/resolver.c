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

/* The cache keeps each answer in its slot, so that a hit is one memory
 * load. Its sets are chosen by the address's /24 (IPv4) or /48 (IPv6):
 * routers of one network share a set's neighbourhood, and any block length
 * can be checked. Two ways a set, the least recently used one replaced.
 *
 * IPv4 slots are 32 bytes, a set one cache line: the hot part of hop data
 * then fits the processor's L2 cache twice as well, and most hits are
 * served from there. The pointers are kept in 48 bits (what user-space
 * addresses use on Linux; an answer whose pointers do not fit, or with
 * more than 255 origins, is not cached). */
struct slot4 {
	_Alignas(32) uint32_t key; /* host order, masked to len */
	uint8_t len;      /* block over which the answer holds, from 24 up:
			     sets are chosen by the /24 */
	uint8_t plen;     /* prefix length reported */
	uint8_t cls, source;
	uint32_t asn;
	uint32_t lo[2];   /* pointers' low and high bits: origins (or the */
	uint16_t hi[2];   /* IXP name, for an IXP answer), org */
	uint8_t n_origins;
	uint8_t flags;    /* pkind, SLOT_FULL, SLOT_RECENT */
	char country[3], reg_country[3];
};
_Static_assert(sizeof(struct slot4) == 32, "two to a cache line");
#define SLOT_PKIND 3u
#define SLOT_FULL 4u
#define SLOT_RECENT 8u /* used since the other way of the set was */

/* IPv6 (and NAT64) slots keep the 16-byte key and whole pointers: one
 * cache line, a set two adjacent lines, 128-byte aligned, which the
 * hardware fetches together. */
struct slot6 {
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
	uint32_t used;   /* lookup count at the last use: the older way goes */
};
_Static_assert(sizeof(struct slot6) == 64, "one cache line");
_Static_assert(BT_CLASS_COUNT <= 256, "classes fit a byte");

struct bt_resolver {
	bt_resolver_config cfg;
	bt_mmdb *asn_db, *country_db;
	bt_pfx2as *pfx2as;
	bt_ixp *ixp;
	bt_lpm *classes;       /* the IANA tables, value = class | length << 8 */
	struct slot4 *c4;      /* NULL: no cache; 2-way sets, slots 2i and 2i+1 */
	struct slot6 *c6;
	uint32_t mask4, mask6; /* over sets */
	uint64_t win_hits, win_misses; /* the counters when the window began */
	bool judged;           /* this window may switch the cache off */
	uint32_t off;          /* lookups left with the cache switched off */
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
	free(r->c4);
	free(r->c6);
	free(r);
}

/* 2^bits IPv4 slots and a quarter as many IPv6 ones (at least a set). */
static int cache_alloc(bt_resolver *r, unsigned bits)
{
	bits = bits < 2 ? 2 : bits > 24 ? 24 : bits;
	size_t n4 = (size_t)1 << bits, n6 = (size_t)1 << (bits < 3 ? 1 : bits - 2);
	r->c4 = bt_lpm_alloc_table(n4 * sizeof(*r->c4));
	r->c6 = bt_lpm_alloc_table(n6 * sizeof(*r->c6));
	if (r->c4 == NULL || r->c6 == NULL)
		return -1;
	memset(r->c4, 0, n4 * sizeof(*r->c4));
	memset(r->c6, 0, n6 * sizeof(*r->c6));
	r->mask4 = (uint32_t)(n4 / 2 - 1);
	r->mask6 = (uint32_t)(n6 / 2 - 1);
	return 0;
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
	/* no source: an answer is the address class alone, an LPM of a few
	 * dozen prefixes, which the cache would not make cheaper; its 12 MiB
	 * (faulted in zeroed at open, 0.1 s on the machines here) are spared */
	bool sources = r->asn_db || r->country_db || r->pfx2as || r->ixp;
	if (c->cache_bits > 0 && sources && cache_alloc(r, c->cache_bits) != 0)
		goto nomem;
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

const bt_pfx2as *bt_resolver_pfx2as(const bt_resolver *r)
{
	return r->pfx2as;
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

static uint8_t pkind_of(const bt_resolution *o, int family)
{
	return o->prefix.family == 0	     ? PFX_NONE
	       : o->prefix.family == family ? PFX_ADDR
					     : PFX_EMBEDDED_V4;
}

static void put48(struct slot4 *s, int i, const void *p)
{
	s->lo[i] = (uint32_t)(uintptr_t)p;
	s->hi[i] = (uint16_t)((uint64_t)(uintptr_t)p >> 32);
}

static const void *get48(const struct slot4 *s, int i)
{
	return (const void *)(uintptr_t)((uint64_t)s->hi[i] << 32 | s->lo[i]);
}

static bool fits48(const void *p)
{
	return (uint64_t)(uintptr_t)p >> 48 == 0;
}

/* Whether IPv4 slot s holds the answer for v. */
static unsigned slot4_matches(const struct slot4 *s, uint32_t v)
{
	uint32_t m = (uint32_t)(UINT64_C(0xffffffff) << (32 - s->len));
	return (((v & m) ^ s->key) | ((s->flags & SLOT_FULL) ^ SLOT_FULL)) == 0;
}

static void from_slot4(const struct slot4 *s, uint32_t v, bt_resolution *out)
{
	const void *p = get48(s, 0);
	out->cls = (bt_addrclass)s->cls;
	out->source = (bt_source)s->source;
	out->asn = s->asn;
	out->n_origins = s->n_origins;
	out->origins = s->source == BT_SOURCE_IXP ? NULL : p;
	out->org = get48(s, 1);
	out->ixp = s->source == BT_SOURCE_IXP ? p : NULL;
	memcpy(out->country, s->country, 3);
	memcpy(out->reg_country, s->reg_country, 3);
	memset(&out->prefix, 0, sizeof(out->prefix));
	out->prefix_len = s->plen;
	if ((s->flags & SLOT_PKIND) == PFX_ADDR) {
		uint32_t pv = (uint32_t)(UINT64_C(0xffffffff) << (32 - s->plen)) & v;
		out->prefix.family = AF_INET;
		for (int i = 0; i < 4; i++)
			out->prefix.bytes[i] = (uint8_t)(pv >> (24 - 8 * i));
	}
}

/* Fills s, unless the answer does not fit a slot (false). */
static bool to_slot4(struct slot4 *s, uint32_t v, unsigned span, const bt_resolution *out)
{
	const void *p = out->source == BT_SOURCE_IXP ? (const void *)out->ixp : out->origins;
	const void *other = out->source == BT_SOURCE_IXP ? out->origins : (const void *)out->ixp;
	if (!fits48(p) || !fits48(out->org) || out->n_origins > 255 || other != NULL)
		return false; /* (an IXP answer has no origins, no other has an IXP) */
	s->len = (uint8_t)(span < 24 ? 24 : span);
	s->key = v & (uint32_t)(UINT64_C(0xffffffff) << (32 - s->len));
	s->plen = (uint8_t)out->prefix_len;
	s->cls = (uint8_t)out->cls;
	s->source = (uint8_t)out->source;
	s->asn = out->asn;
	s->n_origins = (uint8_t)out->n_origins;
	s->flags = (uint8_t)(pkind_of(out, AF_INET) | SLOT_FULL | SLOT_RECENT);
	put48(s, 0, p);
	put48(s, 1, out->org);
	memcpy(s->country, out->country, 3);
	memcpy(s->reg_country, out->reg_country, 3);
	return true;
}

/* Whether IPv6 slot s holds the answer for k. */
static unsigned slot6_matches(const bt_resolver *r, const struct slot6 *s, const uint64_t k[2])
{
	const uint64_t *m = r->mask[s->len];
	return (((k[0] & m[0]) ^ s->key[0]) | ((k[1] & m[1]) ^ s->key[1]) |
		(uint64_t)(s->family ^ AF_INET6)) == 0;
}

static void from_slot6(const bt_resolver *r, const struct slot6 *s, const uint64_t k[2],
		       bt_resolution *out)
{
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
		uint64_t p[2] = {k[0] & r->mask[s->plen][0], k[1] & r->mask[s->plen][1]};
		out->prefix.family = AF_INET6;
		memcpy(out->prefix.bytes, p, 16);
	} else if (s->pkind == PFX_EMBEDDED_V4) {
		uint32_t v4, m4;
		memcpy(&v4, (const uint8_t *)k + 12, 4);
		memcpy(&m4, r->mask[s->plen], 4); /* same byte order as v4 */
		bt_addr_from_v4(&out->prefix, v4 & m4);
	}
}

static void to_slot6(const bt_resolver *r, struct slot6 *s, const uint64_t k[2], unsigned span,
		     const bt_resolution *out)
{
	s->family = AF_INET6;
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
	s->pkind = pkind_of(out, AF_INET6);
	s->used = (uint32_t)(r->hits + r->misses);
}

/* The cache pays when addresses recur (hop data: about 90% hits); when
 * they rarely do (every host a fresh one), probing and filling it costs
 * more than the hits save. Measured on the benchmark (cached against
 * uncached, ns a lookup): 92/161 at 91% hits, 137/182 at 82%, 165/177 at
 * 72%, 288/217 at 26%: it pays from about two thirds. So the hit rate is
 * counted over windows of lookups; a window under CACHE_MIN_HITS switches
 * the cache off for CACHE_OFF lookups, after which it is tried again (with
 * its old contents, so that a returning working set hits at once). The
 * first window after open or after a pause is not judged: the cache is
 * still filling (hop data hit 63% in their first 64k lookups, 78% in the
 * second). */
#define CACHE_WINDOW 65536u
#define CACHE_MIN_HITS (CACHE_WINDOW * 2 / 5)
#define CACHE_OFF (16 * CACHE_WINDOW)

/* At a miss: the end of a window? (Hits cost nothing: counted at misses,
 * a window without misses has nothing to say.) */
static void window(bt_resolver *r)
{
	uint64_t hits = r->hits - r->win_hits, misses = r->misses - r->win_misses;
	if (hits + misses < CACHE_WINDOW)
		return;
	if (r->judged && hits < CACHE_MIN_HITS)
		r->off = CACHE_OFF;
	r->judged = r->off == 0;
	r->win_hits = r->hits;
	r->win_misses = r->misses;
}

/* Hit or miss, decided with one branch: the set is usually still on its
 * way from memory, and a mispredicted branch on which way matched would
 * throw away the work the processor did meanwhile on the next addresses. */
static unsigned one_branch(unsigned hit)
{
	__asm__("" : "+r"(hit)); /* keeps the compiler from testing each way */
	return hit;
}

/* A miss: counted, then resolved. */
static int miss(bt_resolver *r, const bt_addr *q, bt_resolution *out, unsigned *span,
		char *err, size_t errlen)
{
	r->misses++;
	window(r);
	return resolve(r, q, out, span, err, errlen);
}

/* The misses, out of line: their registers and stack would otherwise
 * cost every hit a longer prologue. */
__attribute__((noinline)) static int miss4(bt_resolver *r, const bt_addr *q, struct slot4 *set,
					   uint32_t v, bt_resolution *out, char *err,
					   size_t errlen)
{
	unsigned span;
	if (miss(r, q, out, &span, err, errlen) != 0)
		return -1;
	unsigned w = (set[1].flags & SLOT_RECENT) == 0;
	if (to_slot4(&set[w], v, span, out))
		set[!w].flags &= (uint8_t)~SLOT_RECENT;
	return 0;
}

/* An IPv4 address (q) through the cache. */
static int cached4(bt_resolver *r, const bt_addr *q, bt_resolution *out, char *err,
		   size_t errlen)
{
	uint32_t v = (uint32_t)q->bytes[0] << 24 | (uint32_t)q->bytes[1] << 16 |
		     (uint32_t)q->bytes[2] << 8 | q->bytes[3];
	uint64_t h = ((uint64_t)(v >> 8) + 1) * 0x9e3779b97f4a7c15ULL;
	struct slot4 *set = &r->c4[2 * ((uint32_t)(h >> 40) & r->mask4)];
	unsigned m0 = slot4_matches(&set[0], v), m1 = slot4_matches(&set[1], v);
	if (!one_branch(m0 | m1))
		return miss4(r, q, set, v, out, err, errlen);
	r->hits++;
	set[m1].flags |= SLOT_RECENT;
	set[!m1].flags &= (uint8_t)~SLOT_RECENT;
	from_slot4(&set[m1], v, out);
	return 0;
}

__attribute__((noinline)) static int miss6(bt_resolver *r, const bt_addr *q, struct slot6 *set,
					   const uint64_t k[2], bt_resolution *out, char *err,
					   size_t errlen)
{
	unsigned span;
	if (miss(r, q, out, &span, err, errlen) != 0)
		return -1;
	/* the least recently used way, counting in 32 bits that wrap */
	to_slot6(r, &set[(int32_t)(set[1].used - set[0].used) < 0], k, span, out);
	return 0;
}

/* An IPv6 address (q) through the cache. */
static int cached6(bt_resolver *r, const bt_addr *q, bt_resolution *out, char *err,
		   size_t errlen)
{
	uint64_t k[2];
	memcpy(k, q->bytes, 16);
	uint64_t h = ((k[0] & r->mask[48][0]) ^ 0x6a09e667f3bcc909ULL) * 0x9e3779b97f4a7c15ULL;
	struct slot6 *set = &r->c6[2 * ((uint32_t)(h >> 40) & r->mask6)];
	unsigned m0 = slot6_matches(r, &set[0], k), m1 = slot6_matches(r, &set[1], k);
	if (!one_branch(m0 | m1))
		return miss6(r, q, set, k, out, err, errlen);
	r->hits++;
	set[m1].used = (uint32_t)(r->hits + r->misses);
	from_slot6(r, &set[m1], k, out);
	return 0;
}

/* Everything but a cached IPv4 lookup: unmapping, IPv6, no cache, the
 * cache switched off. */
__attribute__((noinline)) static int lookup_other(bt_resolver *r, const bt_addr *a,
						  bt_resolution *out, char *err, size_t errlen)
{
	bt_addr q;
	unsigned span;
	bt_addrclass_unmap(a, &q);
	if (r->c4 == NULL || (q.family != AF_INET && q.family != AF_INET6))
		return resolve(r, &q, out, &span, err, errlen);
	if (r->off > 0) {
		r->misses++;
		if (--r->off == 0) { /* a fresh window tries the cache again */
			r->win_hits = r->hits;
			r->win_misses = r->misses;
		}
		return resolve(r, &q, out, &span, err, errlen);
	}
	return q.family == AF_INET ? cached4(r, &q, out, err, errlen)
				   : cached6(r, &q, out, err, errlen);
}

int bt_resolver_lookup(bt_resolver *r, const bt_addr *a, bt_resolution *out, char *err,
		       size_t errlen)
{
	/* The common case first, with nothing else on its way. */
	if (a->family == AF_INET && r->c4 != NULL && r->off == 0)
		return cached4(r, a, out, err, errlen);
	return lookup_other(r, a, out, err, errlen);
}
