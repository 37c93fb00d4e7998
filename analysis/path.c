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

static void fill_cross(bt_crossing *c, const bt_trace *t, size_t near, size_t far,
		       uint32_t nasn, uint32_t fasn, const char *ncc, const char *fcc,
		       bool silent, const char *ixp)
{
	memset(c, 0, sizeof(*c));
	c->near_ttl = t->hops[near].probe_ttl;
	c->far_ttl = t->hops[far].probe_ttl;
	c->near_addr = t->hops[near].addr;
	c->far_addr = t->hops[far].addr;
	c->near_asn = nasn;
	c->far_asn = fasn;
	memcpy(c->near_cc, ncc, 3);
	memcpy(c->far_cc, fcc, 3);
	c->across_silent = silent;
	c->ixp = ixp;
}

/* MOAS: prefer the AS of the nearest AS hop before, then after. */
static void resolve_moas(const bt_hopinfo *info, uint32_t *as, size_t lo, size_t n, bt_path *out)
{
	for (size_t i = lo; i < n; i++) {
		if (info[i].kind != BT_HOP_AS || info[i].norigins < 2)
			continue;
		uint32_t prev = 0, next = 0;
		for (size_t k = i; k-- > 0;)
			if (as[k]) { prev = as[k]; break; }
		for (size_t k = i + 1; k < n; k++)
			if (info[k].kind == BT_HOP_AS) { next = info[k].asn; break; }
		if (prev && prev != as[i] && has_origin(&info[i], prev)) {
			as[i] = prev;
			out->moas_resolved = true;
		} else if (next && next != as[i] && has_origin(&info[i], next)) {
			as[i] = next;
			out->moas_resolved = true;
		}
	}
}

/* False loops: relabel everything between the first and the last
 * appearance of an AS as that AS. Outermost first, so A B A C A -> A. */
static void collapse_loops(uint32_t *as, size_t lo, size_t n, bt_path *out)
{
	for (size_t i = lo; i < n; i++) {
		if (!as[i])
			continue;
		size_t last = i;
		for (size_t k = n; k-- > i + 1;)
			if (as[k] == as[i]) { last = k; break; }
		for (size_t k = i + 1; k < last; k++) {
			if (as[k] && as[k] != as[i]) {
				as[k] = as[i];
				out->loop_collapsed = true;
			}
		}
		if (last > i)
			i = last - 1;
	}
}

/* AS path and AS crossings. */
static void build_as_path(const bt_trace *t, const bt_hopinfo *info, const uint32_t *as,
			  size_t lo, size_t n, bt_path *out)
{
	size_t prev = (size_t)-1;
	bool silent = false;
	const char *ixp = NULL;
	for (size_t i = lo; i < n; i++) {
		if (!as[i]) {
			if (info[i].kind == BT_HOP_SILENT || info[i].kind == BT_HOP_UNKNOWN)
				silent = true;
			else if (info[i].kind == BT_HOP_IXP)
				ixp = info[i].ixp;
			continue;
		}
		if (as[i] == out->target_asn && out->target_asn)
			out->reached_as = true;
		if (prev == (size_t)-1 || as[prev] != as[i]) {
			if (prev != (size_t)-1 && out->nas_cross < BT_PATH_MAX)
				fill_cross(&out->as_cross[out->nas_cross++], t, prev, i, as[prev], as[i],
					   info[prev].country, info[i].country, silent, ixp);
			if (out->nas < BT_PATH_MAX)
				out->as_path[out->nas++] = as[i];
		}
		prev = i;
		silent = false;
		ixp = NULL;
	}
	for (size_t k = out->nas_cross; k-- > 0;) {
		if (out->as_cross[k].far_asn == out->target_asn && out->target_asn) {
			out->border_as = (int)k;
			break;
		}
	}
}

/* Country path and country crossings, over hops whose country is known. */
static void build_cc_path(const bt_trace *t, const bt_hopinfo *info, const uint32_t *as,
			  size_t lo, size_t n, bt_path *out)
{
	size_t prev = (size_t)-1;
	bool silent = false;
	const char *ixp = NULL;
	for (size_t i = lo; i < n; i++) {
		const char *cc = info[i].country;
		bool usable = (info[i].kind == BT_HOP_AS || info[i].kind == BT_HOP_UNKNOWN) && cc[0];
		if (!usable) {
			if (info[i].kind == BT_HOP_SILENT || info[i].kind == BT_HOP_UNKNOWN)
				silent = true;
			else if (info[i].kind == BT_HOP_IXP)
				ixp = info[i].ixp;
			continue;
		}
		if (out->target_cc[0] && strcmp(cc, out->target_cc) == 0)
			out->reached_cc = true;
		if (prev == (size_t)-1 || strcmp(info[prev].country, cc) != 0) {
			if (prev != (size_t)-1 && out->ncc_cross < BT_PATH_MAX)
				fill_cross(&out->cc_cross[out->ncc_cross++], t, prev, i, as[prev], as[i],
					   info[prev].country, cc, silent, ixp);
			if (out->ncc < BT_PATH_MAX)
				memcpy(out->cc_path[out->ncc++], cc, 3);
		}
		prev = i;
		silent = false;
		ixp = NULL;
	}
	for (size_t k = out->ncc_cross; k-- > 0;) {
		if (out->target_cc[0] && strcmp(out->cc_cross[k].far_cc, out->target_cc) == 0) {
			out->border_cc = (int)k;
			break;
		}
	}
}

void bt_path_build(const bt_trace *t, const bt_hopinfo *info, const bt_hopinfo *dst,
		   bt_path *out)
{
	size_t n = t->hop_count;
	/* The AS each hop is taken as (0 = none), after MOAS and loop rules. */
	uint32_t as[256];
	if (n > 256)
		n = 256;
	/* Hops copied from another trace (split TTL) are not this trace's
	 * observations: everything below is built from hops lo.. only, so that
	 * they neither make nor relabel a crossing (doc/path-diff.md). */
	size_t lo = bt_trace_copied_hops(t);
	if (lo > n)
		lo = n;

	memset(out, 0, sizeof(*out));
	out->border_as = out->border_cc = -1;
	out->target_asn = dst->kind == BT_HOP_AS ? dst->asn : 0;
	memcpy(out->target_cc, dst->country, 3);

	for (size_t i = 0; i < n; i++)
		as[i] = i >= lo && info[i].kind == BT_HOP_AS ? info[i].asn : 0;
	resolve_moas(info, as, lo, n, out);
	collapse_loops(as, lo, n, out);
	build_as_path(t, info, as, lo, n, out);
	build_cc_path(t, info, as, lo, n, out);
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
