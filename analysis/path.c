/* bordertrace — AS path, country path, crossings, border route (see
 * include/bordertrace/path.h for the rules and why). */
#include "bordertrace/path.h"

#include <stdio.h>
#include <string.h>

static bool has_origin(const bt_hopinfo *h, uint32_t asn)
{
	for (unsigned i = 0; i < h->norigins; i++)
		if (h->origins[i] == asn)
			return true;
	return h->asn == asn;
}

static void fill_cross(bt_crossing *c, const bt_trace *t, const bt_hopinfo *info,
		       const uint32_t *as, size_t near, size_t far, bool silent, const char *ixp)
{
	memset(c, 0, sizeof(*c));
	c->near_ttl = t->hops[near].probe_ttl;
	c->far_ttl = t->hops[far].probe_ttl;
	c->near_addr = t->hops[near].addr;
	c->far_addr = t->hops[far].addr;
	c->near_asn = as[near];
	c->far_asn = as[far];
	memcpy(c->near_cc, info[near].country, 3);
	memcpy(c->far_cc, info[far].country, 3);
	c->across_silent = silent;
	/* an IXP address taken as the AS behind it (owner.h) is the far hop
	 * itself: the crossing is still over that IXP */
	c->ixp = ixp ? ixp : info[far].kind == BT_HOP_AS ? info[far].ixp : NULL;
}

/* Whether some entry in [b, e) has key k. */
static bool in_range(const uint32_t *key, size_t b, size_t e, uint32_t k)
{
	for (size_t i = b; i < e; i++)
		if (key[i] == k)
			return true;
	return false;
}

/* The first entry of the TTL of entry i. */
static size_t ttl_start(const bt_trace *t, size_t lo, size_t i)
{
	while (i > lo && t->hops[i - 1].probe_ttl == t->hops[i].probe_ttl)
		i--;
	return i;
}

/* The AS among [b, e) that is one of h's origins (other than now), or 0. */
static uint32_t origin_among(const bt_hopinfo *h, const uint32_t *as, size_t b, size_t e,
			     uint32_t now)
{
	for (size_t k = b; k < e; k++)
		if (as[k] && as[k] != now && has_origin(h, as[k]))
			return as[k];
	return 0;
}

/* MOAS: prefer an AS of the nearest TTL before with AS entries, then of
 * the nearest TTL after. */
static void resolve_moas(const bt_trace *t, const bt_hopinfo *info, uint32_t *as, size_t lo,
			 size_t n, bt_path *out)
{
	uint32_t next_as[BT_HOPS_MAX];
	for (size_t i = lo; i < n; i++)
		next_as[i] = info[i].kind == BT_HOP_AS ? info[i].asn : 0;
	for (size_t i = lo; i < n; i++) {
		if (info[i].kind != BT_HOP_AS || info[i].norigins < 2)
			continue;
		size_t b = ttl_start(t, lo, i), e = bt_trace_ttl_end(t, i);
		size_t k = b;
		while (k > lo && !as[k - 1])
			k--;
		uint32_t pick = k > lo ? origin_among(&info[i], as, ttl_start(t, lo, k - 1), k, as[i]) : 0;
		for (k = e; !pick && k < n && !next_as[k]; k++)
			;
		if (!pick && k < n)
			pick = origin_among(&info[i], next_as, k, bt_trace_ttl_end(t, k), as[i]);
		if (pick) {
			as[i] = pick;
			out->moas_resolved = true;
		}
	}
}

/* False loops: relabel every AS entry at a TTL strictly between the first
 * and the last appearance of an AS, and where that AS is absent, as that
 * AS. Outermost first, so A B A C A -> A. A TTL that holds the AS beside
 * another (two branches side by side) is left as it is. */
static void collapse_loops(const bt_trace *t, uint32_t *as, size_t lo, size_t n, bt_path *out)
{
	for (size_t i = lo; i < n; i++) {
		if (!as[i])
			continue;
		size_t last = i;
		for (size_t k = n; k-- > i + 1;)
			if (as[k] == as[i]) { last = k; break; }
		uint8_t t0 = t->hops[i].probe_ttl, t1 = t->hops[last].probe_ttl;
		for (size_t k = i + 1, ke; k < last; k = ke) {
			ke = bt_trace_ttl_end(t, k);
			uint8_t tk = t->hops[k].probe_ttl;
			/* k starts the TTL here; the AS there: no loop at it */
			if (tk <= t0 || tk >= t1 || in_range(as, k, ke, as[i]))
				continue;
			for (size_t m = k; m < ke; m++) {
				if (as[m] && as[m] != as[i]) {
					as[m] = as[i];
					out->loop_collapsed = true;
				}
			}
		}
		/* the entries relabelled need no turn of their own; the others
		 * of i's TTL do */
		size_t gs = ttl_start(t, lo, last);
		if (gs > i + 1 && bt_trace_ttl_end(t, i) == i + 1)
			i = gs - 1;
	}
}

/* One level (AS or country) of a path: key[i] is what entry i is taken as
 * at that level, 0 when it is passed over. */
typedef struct level {
	const uint32_t *key;
	uint32_t keys[BT_PATH_MAX]; /* the path */
	size_t nkeys;
	bt_crossing *cross;         /* BT_PATH_MAX of them */
	size_t ncross;
} level;

/* The TTL [b, e) holds no usable entry: what it says about a crossing
 * over it (a TTL with no reply at all, or an unknown one: silent). */
static void passed_over(const bt_trace *t, const bt_hopinfo *info, size_t b, size_t e,
			bool *silent, const char **ixp)
{
	bool replied = false, quiet = false;
	for (size_t k = b; k < e; k++) {
		bool set = bt_addr_is_set(&t->hops[k].addr);
		replied |= set;
		quiet |= info[k].kind == BT_HOP_SILENT && !set;
		*silent |= info[k].kind == BT_HOP_UNKNOWN || (info[k].kind == BT_HOP_SILENT && set);
		if (info[k].kind == BT_HOP_IXP)
			*ixp = info[k].ixp;
	}
	*silent |= quiet && !replied;
}

/* The TTL [b, e) after the last usable one [pb, pe): each of its keys not
 * seen at [pb, pe) joins the path and crosses from each key there. */
static void usable_ttl(const bt_trace *t, const bt_hopinfo *info, const uint32_t *as, level *l,
		       size_t b, size_t e, size_t pb, size_t pe, bool silent, const char *ixp)
{
	const uint32_t *key = l->key;
	for (size_t k = b; k < e; k++) {
		if (!key[k] || in_range(key, b, k, key[k]) || in_range(key, pb, pe, key[k]))
			continue;
		if (l->nkeys < BT_PATH_MAX)
			l->keys[l->nkeys++] = key[k];
		for (size_t p = pb; p < pe; p++) {
			if (!key[p] || in_range(key, pb, p, key[p]) || l->ncross >= BT_PATH_MAX)
				continue;
			fill_cross(&l->cross[l->ncross++], t, info, as, p, k, silent, ixp);
		}
	}
}

/* Paths and crossings of one level, TTL by TTL (doc/path-diff.md). */
static void build_level(const bt_trace *t, const bt_hopinfo *info, const uint32_t *as,
			size_t lo, size_t n, const uint16_t *ends, level *l)
{
	size_t pb = 0, pe = 0; /* the last usable TTL's entries */
	bool silent = false;
	const char *ixp = NULL;
	for (size_t b = lo, e; b < n; b = e) {
		e = ends[b];
		bool usable = false;
		for (size_t k = b; k < e; k++)
			usable |= l->key[k] != 0;
		if (!usable) {
			passed_over(t, info, b, e, &silent, &ixp);
			continue;
		}
		usable_ttl(t, info, as, l, b, e, pb, pe, silent, ixp);
		pb = b;
		pe = e;
		silent = false;
		ixp = NULL;
	}
}

static uint32_t cc_key(const char *cc)
{
	return cc[0] ? (uint32_t)(unsigned char)cc[0] << 8 | (unsigned char)cc[1] : 0;
}

void bt_path_build(const bt_trace *t, const bt_hopinfo *info, const bt_hopinfo *dst,
		   bt_path *out)
{
	size_t n = t->hop_count < BT_HOPS_MAX ? t->hop_count : BT_HOPS_MAX;
	/* What each entry is taken as (0 = none): its AS after the MOAS and
	 * loop rules; its country, when usable at the country level. */
	uint32_t as[BT_HOPS_MAX], cc[BT_HOPS_MAX];
	/* Entries copied from another trace (split TTL) are not this trace's
	 * observations: everything below is built from entries lo.. only, so
	 * that they neither make nor relabel a crossing (doc/path-diff.md). */
	size_t lo = bt_trace_copied_hops(t);
	if (lo > n)
		lo = n;

	memset(out, 0, sizeof(*out));
	out->border_as = out->border_cc = -1;
	out->target_asn = dst->kind == BT_HOP_AS ? dst->asn : 0;
	memcpy(out->target_cc, dst->country, 3);

	for (size_t i = 0; i < n; i++) {
		as[i] = i >= lo && info[i].kind == BT_HOP_AS ? info[i].asn : 0;
		bool usable = info[i].kind == BT_HOP_AS || info[i].kind == BT_HOP_UNKNOWN;
		cc[i] = i >= lo && usable ? cc_key(info[i].country) : 0;
	}
	resolve_moas(t, info, as, lo, n, out);
	collapse_loops(t, as, lo, n, out);

	level la = { .key = as, .cross = out->as_cross }, lc = { .key = cc, .cross = out->cc_cross };
	/* ends[i]: where the TTL of entry i ends (within n), for both levels */
	uint16_t ends[BT_HOPS_MAX];
	for (size_t i = n; i-- > lo;)
		ends[i] = (uint16_t)(i + 1 < n && t->hops[i + 1].probe_ttl == t->hops[i].probe_ttl ? ends[i + 1] : i + 1);
	build_level(t, info, as, lo, n, ends, &la);
	build_level(t, info, as, lo, n, ends, &lc);
	out->nas = la.nkeys;
	memcpy(out->as_path, la.keys, la.nkeys * sizeof(la.keys[0]));
	out->nas_cross = la.ncross;
	out->ncc = lc.nkeys;
	for (size_t k = 0; k < lc.nkeys; k++)
		memcpy(out->cc_path[k], (char[3]){ (char)(lc.keys[k] >> 8), (char)lc.keys[k], 0 }, 3);
	out->ncc_cross = lc.ncross;

	for (size_t i = lo; i < n; i++) {
		out->reached_as |= out->target_asn && as[i] == out->target_asn;
		out->reached_cc |= out->target_cc[0] && cc[i] == cc_key(out->target_cc);
	}
	/* The border route: the last crossing into the target (by TTL). */
	for (size_t k = out->nas_cross; k-- > 0 && out->border_as < 0;)
		if (out->target_asn && out->as_cross[k].far_asn == out->target_asn)
			out->border_as = (int)k;
	for (size_t k = out->ncc_cross; k-- > 0 && out->border_cc < 0;)
		if (out->target_cc[0] && strcmp(out->cc_cross[k].far_cc, out->target_cc) == 0)
			out->border_cc = (int)k;
}

const char *bt_path_as_string(const bt_path *p, char *buf, size_t len)
{
	size_t off = 0;
	if (len == 0)
		return buf;
	buf[0] = '\0';
	for (size_t i = 0; i < p->nas && off < len; i++) {
		int w = snprintf(buf + off, len - off, "%s%u", i ? " " : "", p->as_path[i]);
		if (w < 0)
			break;
		off += (size_t)w;
	}
	return buf;
}

const char *bt_path_cc_string(const bt_path *p, char *buf, size_t len)
{
	size_t off = 0;
	if (len == 0)
		return buf;
	buf[0] = '\0';
	for (size_t i = 0; i < p->ncc && off < len; i++) {
		int w = snprintf(buf + off, len - off, "%s%s", i ? " " : "", p->cc_path[i]);
		if (w < 0)
			break;
		off += (size_t)w;
	}
	return buf;
}
