/* Unit tests: AS/country paths, crossings and border routes on hand-written
 * traces for each hard case, and the path-diff's events and diversity. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bordertrace/diff.h"
#include "bordertrace/path.h"
#include "bordertrace/trace.h"

/* A hop spec: "addr asn CC" | "*" (silent) | "? CC" (no AS) | "special" |
 * "ixp NAME" | "moas a,b,c CC"; behind "+ ", an entry at the same TTL as
 * the one before (format version 2: several replies a TTL). */
static void build(const char **spec, size_t n, const char *dstspec, bt_trace **tp, bt_hopinfo *info,
		  bt_hopinfo *dst)
{
	bt_trace *t = bt_trace_alloc(n);
	assert_non_null(t);
	t->hop_count = n;
	t->first_ttl = 1;
	bt_addr_parse("198.18.99.1", &t->dst);
	memset(info, 0, n * sizeof(*info));
	unsigned ttl = 0;
	for (size_t i = 0; i < n; i++) {
		char a[64], b[64], c[64];
		bt_hop *h = &t->hops[i];
		const char *sp = spec[i];
		if (strncmp(sp, "+ ", 2) == 0)
			sp += 2;
		else
			ttl++;
		h->probe_ttl = (uint8_t)ttl;
		h->attempt = 1;
		char addr[32];
		snprintf(addr, sizeof(addr), "198.18.%zu.1", i + 1);
		if (strcmp(sp, "*") == 0) {
			info[i].kind = BT_HOP_SILENT;
			continue;
		}
		bt_addr_parse(addr, &h->addr);
		int k = sscanf(sp, "%63s %63s %63s", a, b, c);
		if (strcmp(a, "special") == 0) {
			info[i].kind = BT_HOP_SPECIAL;
		} else if (strcmp(a, "ixp") == 0) {
			info[i].kind = BT_HOP_IXP;
			info[i].ixp = "DE-CIX";
		} else if (strcmp(a, "?") == 0) {
			info[i].kind = BT_HOP_UNKNOWN;
			if (k >= 2)
				snprintf(info[i].country, 3, "%.2s", b);
		} else if (strcmp(a, "moas") == 0) {
			info[i].kind = BT_HOP_AS;
			char *save, *tok = strtok_r(b, ",", &save);
			while (tok) {
				info[i].origins[info[i].norigins++] = (uint32_t)atoi(tok);
				tok = strtok_r(NULL, ",", &save);
			}
			info[i].asn = info[i].origins[0];
			snprintf(info[i].country, 3, "%.2s", c);
		} else {
			info[i].kind = BT_HOP_AS;
			info[i].asn = (uint32_t)atoi(a);
			info[i].origins[0] = info[i].asn;
			info[i].norigins = 1;
			snprintf(info[i].country, 3, "%.2s", b);
		}
	}
	memset(dst, 0, sizeof(*dst));
	char a[32], b[32];
	sscanf(dstspec, "%31s %31s", a, b);
	dst->kind = BT_HOP_AS;
	dst->asn = (uint32_t)atoi(a);
	snprintf(dst->country, 3, "%.2s", b);
	*tp = t;
}

/* filled: the trace's filled_below_ttl (split TTL: the hops with a lower
 * TTL were copied from another trace), 0 for none. */
static void filled_path_of(const char **spec, size_t n, const char *dstspec, uint8_t filled,
			   bt_path *p)
{
	bt_trace *t;
	bt_hopinfo info[64], dst;
	build(spec, n, dstspec, &t, info, &dst);
	t->filled_below_ttl = filled;
	bt_path_build(t, info, &dst, p);
	bt_trace_free(t);
}

static void path_of(const char **spec, size_t n, const char *dstspec, bt_path *p)
{
	filled_path_of(spec, n, dstspec, 0, p);
}

static void test_plain_border(void **state)
{
	(void)state;
	const char *s[] = { "64500 DE", "64500 DE", "4837 CN", "4837 CN", "131279 KP" };
	bt_path p;
	char buf[256];
	path_of(s, 5, "131279 KP", &p);
	assert_string_equal(bt_path_as_string(&p, buf, sizeof(buf)), "64500 4837 131279");
	assert_string_equal(bt_path_cc_string(&p, buf, sizeof(buf)), "DE CN KP");
	assert_int_equal(p.nas_cross, 2);
	assert_true(p.reached_as);
	assert_int_equal(p.border_as, 1);
	assert_int_equal(p.as_cross[1].near_asn, 4837);
	assert_int_equal(p.as_cross[1].far_asn, 131279);
	assert_int_equal(p.as_cross[1].near_ttl, 4);
	assert_int_equal(p.as_cross[1].far_ttl, 5);
	assert_false(p.as_cross[1].across_silent);
	assert_int_equal(p.border_cc, 1);
	assert_string_equal(p.cc_cross[1].near_cc, "CN");
	assert_string_equal(p.cc_cross[1].far_cc, "KP");
}

static void test_silent_inside_as_is_not_crossing(void **state)
{
	(void)state;
	const char *s[] = { "4837 CN", "*", "*", "4837 CN", "131279 KP" };
	bt_path p;
	char buf[256];
	path_of(s, 5, "131279 KP", &p);
	assert_string_equal(bt_path_as_string(&p, buf, sizeof(buf)), "4837 131279");
	assert_int_equal(p.nas_cross, 1);
	assert_false(p.as_cross[0].across_silent);
}

static void test_crossing_across_silent_is_marked(void **state)
{
	(void)state;
	const char *s[] = { "4837 CN", "*", "? ", "131279 KP" };
	bt_path p;
	path_of(s, 4, "131279 KP", &p);
	assert_int_equal(p.nas_cross, 1);
	assert_true(p.as_cross[0].across_silent);
	assert_int_equal(p.as_cross[0].near_ttl, 1);
	assert_int_equal(p.as_cross[0].far_ttl, 4);
	assert_int_equal(p.border_as, 0);
}

static void test_special_and_ixp_passed_over(void **state)
{
	(void)state;
	const char *s[] = { "special", "64500 DE", "ixp", "20485 RU", "special", "20485 RU", "131279 KP" };
	bt_path p;
	char buf[256];
	path_of(s, 7, "131279 KP", &p);
	assert_string_equal(bt_path_as_string(&p, buf, sizeof(buf)), "64500 20485 131279");
	assert_int_equal(p.nas_cross, 2);
	assert_non_null(p.as_cross[0].ixp);
	assert_string_equal(p.as_cross[0].ixp, "DE-CIX");
	assert_false(p.as_cross[0].across_silent);
	assert_null(p.as_cross[1].ixp);
	assert_int_equal(p.as_cross[p.border_as].near_asn, 20485);
}

static void test_neighbour_numbered_border(void **state)
{
	(void)state;
	/* The KP border router answers from a CN-numbered interface: the AS
	 * adjacency is still CN -> KP, one hop later. */
	const char *s[] = { "4837 CN", "4837 CN", "4837 CN", "131279 KP", "131279 KP" };
	bt_path p;
	path_of(s, 5, "131279 KP", &p);
	assert_int_equal(p.nas_cross, 1);
	assert_int_equal(p.as_cross[0].near_asn, 4837);
	assert_int_equal(p.as_cross[0].far_asn, 131279);
}

static void test_moas(void **state)
{
	(void)state;
	/* a MOAS hop whose origins include the AS before it is taken as that AS */
	const char *s[] = { "4837 CN", "moas 9808,4837 CN", "131279 KP" };
	bt_path p;
	char buf[256];
	path_of(s, 3, "131279 KP", &p);
	assert_string_equal(bt_path_as_string(&p, buf, sizeof(buf)), "4837 131279");
	assert_true(p.moas_resolved);
	/* ... or the AS after it */
	const char *s2[] = { "64500 DE", "moas 9808,131279 KP", "131279 KP" };
	path_of(s2, 3, "131279 KP", &p);
	assert_string_equal(bt_path_as_string(&p, buf, sizeof(buf)), "64500 131279");
	/* ... else its primary */
	const char *s3[] = { "64500 DE", "moas 9808,7018 CN", "131279 KP" };
	path_of(s3, 3, "131279 KP", &p);
	assert_string_equal(bt_path_as_string(&p, buf, sizeof(buf)), "64500 9808 131279");
}

/* Format version 2: a TTL that answered from two ASes is two observations.
 * Each AS new at a TTL joins the path and crosses from every AS of the
 * TTL before; the border route is the last crossing into the target. */
static void test_two_ases_at_one_ttl(void **state)
{
	(void)state;
	const char *s[] = { "64500 DE", "4837 CN", "+ 20485 RU", "131279 KP" };
	bt_path p;
	char buf[256];
	path_of(s, 4, "131279 KP", &p);
	assert_string_equal(bt_path_as_string(&p, buf, sizeof(buf)), "64500 4837 20485 131279");
	assert_string_equal(bt_path_cc_string(&p, buf, sizeof(buf)), "DE CN RU KP");
	assert_int_equal(p.nas_cross, 4);
	static const uint32_t want[4][2] = { { 64500, 4837 }, { 64500, 20485 },
					     { 4837, 131279 }, { 20485, 131279 } };
	for (int k = 0; k < 4; k++) {
		assert_int_equal(p.as_cross[k].near_asn, want[k][0]);
		assert_int_equal(p.as_cross[k].far_asn, want[k][1]);
	}
	assert_int_equal(p.as_cross[1].near_ttl, 1);
	assert_int_equal(p.as_cross[1].far_ttl, 2);
	assert_int_equal(p.border_as, 3);
	assert_int_equal(p.ncc_cross, 4);
	assert_string_equal(p.cc_cross[3].near_cc, "RU");
	assert_string_equal(p.cc_cross[3].far_cc, "KP");
}

/* Two branches side by side over several TTLs cross nothing between them:
 * an AS already seen at the TTL before is no crossing. */
static void test_parallel_branches(void **state)
{
	(void)state;
	const char *s[] = { "4837 CN", "+ 20485 RU", "4837 CN", "+ 20485 RU", "20485 RU",
			    "131279 KP" };
	bt_path p;
	char buf[256];
	path_of(s, 6, "131279 KP", &p);
	assert_string_equal(bt_path_as_string(&p, buf, sizeof(buf)), "4837 20485 131279");
	assert_int_equal(p.nas_cross, 1);
	assert_int_equal(p.as_cross[0].near_asn, 20485);
	assert_false(p.loop_collapsed);
}

/* A false loop over a TTL of two ASes relabels both; a TTL holding the
 * looping AS beside another is no loop. */
static void test_false_loop_over_a_set(void **state)
{
	(void)state;
	const char *s[] = { "64500 DE", "4837 CN", "9808 CN", "+ 9809 CN", "4837 CN", "131279 KP" };
	bt_path p;
	char buf[256];
	path_of(s, 6, "131279 KP", &p);
	assert_string_equal(bt_path_as_string(&p, buf, sizeof(buf)), "64500 4837 131279");
	assert_true(p.loop_collapsed);
	const char *q[] = { "4837 CN", "9808 CN", "+ 4837 CN", "4837 CN", "131279 KP" };
	path_of(q, 5, "131279 KP", &p);
	assert_false(p.loop_collapsed);
	assert_string_equal(bt_path_as_string(&p, buf, sizeof(buf)), "4837 9808 131279");
}

/* A silent attempt beside a reply at one TTL leaves the TTL answered. */
static void test_silent_attempt_beside_reply(void **state)
{
	(void)state;
	const char *s[] = { "4837 CN", "*", "+ special", "131279 KP" };
	bt_path p;
	path_of(s, 4, "131279 KP", &p);
	assert_int_equal(p.nas_cross, 1);
	assert_false(p.as_cross[0].across_silent);
	const char *q[] = { "4837 CN", "*", "+ *", "131279 KP" };
	path_of(q, 4, "131279 KP", &p);
	assert_true(p.as_cross[0].across_silent);
}

/* MOAS against a TTL of several ASes: any of them may be the neighbour. */
static void test_moas_against_a_set(void **state)
{
	(void)state;
	const char *s[] = { "4837 CN", "+ 20485 RU", "moas 9808,20485 RU", "131279 KP" };
	bt_path p;
	char buf[256];
	path_of(s, 4, "131279 KP", &p);
	assert_true(p.moas_resolved);
	assert_string_equal(bt_path_as_string(&p, buf, sizeof(buf)), "4837 20485 131279");
}

/* Copied entries are counted by TTL: both replies at a copied TTL. */
static void test_copied_ttl_with_two_entries(void **state)
{
	(void)state;
	const char *s[] = { "4837 CN", "+ 20485 RU", "131279 KP" };
	bt_path p;
	filled_path_of(s, 3, "131279 KP", 2, &p);
	assert_int_equal(p.nas_cross, 0);
	assert_int_equal(p.nas, 1);
}

static void test_false_loop(void **state)
{
	(void)state;
	const char *s[] = { "64500 DE", "4837 CN", "9808 CN", "4837 CN", "131279 KP" };
	bt_path p;
	char buf[256];
	path_of(s, 5, "131279 KP", &p);
	assert_string_equal(bt_path_as_string(&p, buf, sizeof(buf)), "64500 4837 131279");
	assert_true(p.loop_collapsed);
	assert_int_equal(p.as_cross[p.border_as].near_asn, 4837);
}

static void test_not_reached(void **state)
{
	(void)state;
	const char *s[] = { "64500 DE", "4837 CN", "*", "*" };
	bt_path p;
	path_of(s, 4, "131279 KP", &p);
	assert_false(p.reached_as);
	assert_int_equal(p.border_as, -1);
	assert_int_equal(p.border_cc, -1);
}

/* Copied hops (below filled_below_ttl) are not this trace's observations:
 * the same hops probed make a route in through RU; copied, no crossing at
 * all, and the trace has no border route (it still reached the target). */
static void test_copied_hops_make_no_crossing(void **state)
{
	(void)state;
	const char *s[] = { "64500 DE", "20485 RU", "131279 KP", "131279 KP" };
	bt_path p;
	char buf[256];
	path_of(s, 4, "131279 KP", &p);
	assert_int_equal(p.nas_cross, 2);
	assert_int_equal(p.as_cross[p.border_as].near_asn, 20485);
	assert_string_equal(p.cc_cross[p.border_cc].near_cc, "RU");

	filled_path_of(s, 4, "131279 KP", 3, &p); /* TTLs 1 and 2 copied */
	assert_string_equal(bt_path_as_string(&p, buf, sizeof(buf)), "131279");
	assert_string_equal(bt_path_cc_string(&p, buf, sizeof(buf)), "KP");
	assert_int_equal(p.nas_cross, 0);
	assert_int_equal(p.ncc_cross, 0);
	assert_int_equal(p.border_as, -1);
	assert_int_equal(p.border_cc, -1);
	assert_true(p.reached_as);
	assert_true(p.reached_cc);

	/* every hop copied: nothing observed */
	filled_path_of(s, 4, "131279 KP", 5, &p);
	assert_int_equal(p.nas, 0);
	assert_int_equal(p.nas_cross, 0);
	assert_false(p.reached_as);
}

/* A crossing whose two hops the trace saw itself counts, copied hops below
 * it or not. */
static void test_observed_crossing_counts_when_filled(void **state)
{
	(void)state;
	const char *s[] = { "64500 DE", "4837 CN", "4837 CN", "131279 KP" };
	bt_path p;
	char buf[256];
	filled_path_of(s, 4, "131279 KP", 3, &p);
	assert_string_equal(bt_path_as_string(&p, buf, sizeof(buf)), "4837 131279");
	assert_int_equal(p.nas_cross, 1);
	assert_int_equal(p.border_as, 0);
	assert_int_equal(p.as_cross[0].near_asn, 4837);
	assert_int_equal(p.as_cross[0].near_ttl, 3);
	assert_int_equal(p.as_cross[0].far_ttl, 4);
	assert_int_equal(p.border_cc, 0);
	assert_string_equal(p.cc_cross[0].near_cc, "CN");
}

/* Copied hops do not relabel observed ones either: no false loop closed and
 * no MOAS hop taken as the copied AS before it. */
static void test_copied_hops_support_nothing(void **state)
{
	(void)state;
	const char *loop[] = { "4837 CN", "20485 RU", "4837 CN", "131279 KP" };
	bt_path p;
	char buf[256];
	path_of(loop, 4, "131279 KP", &p);
	assert_true(p.loop_collapsed);
	assert_string_equal(bt_path_as_string(&p, buf, sizeof(buf)), "4837 131279");
	filled_path_of(loop, 4, "131279 KP", 2, &p);
	assert_false(p.loop_collapsed);
	assert_string_equal(bt_path_as_string(&p, buf, sizeof(buf)), "20485 4837 131279");
	assert_int_equal(p.as_cross[p.border_as].near_asn, 4837);

	const char *moas[] = { "20485 RU", "moas 4837,20485 CN", "131279 KP" };
	path_of(moas, 3, "131279 KP", &p);
	assert_true(p.moas_resolved);
	assert_int_equal(p.as_cross[p.border_as].near_asn, 20485);
	filled_path_of(moas, 3, "131279 KP", 2, &p);
	assert_false(p.moas_resolved);
	assert_string_equal(bt_path_as_string(&p, buf, sizeof(buf)), "4837 131279");
	assert_int_equal(p.as_cross[p.border_as].near_asn, 4837);
}

/* ---- path-diff ---- */

static void obs(bt_diff *d, const char *target, const char *vp, const char *round, const char *id,
		int64_t t, const char *up_as, const char *up_cc)
{
	bt_diff_obs o = { .target = target, .vp = vp, .round = round, .trace_id = id, .time_us = t };
	o.up[0] = up_as;
	o.into[0] = up_as ? "AS131279" : NULL;
	o.up[1] = up_cc;
	o.into[1] = up_cc ? "KP" : NULL;
	assert_int_equal(bt_diff_add(d, &o), 0);
}

static const bt_diff_event *find_event(bt_diff *d, bt_diff_event_kind k, bt_diff_level l, const char *up)
{
	for (size_t i = 0; i < bt_diff_nevents(d); i++) {
		const bt_diff_event *e = bt_diff_event_at(d, i);
		if (e->kind == k && e->level == l && strcmp(e->upstream, up) == 0)
			return e;
	}
	return NULL;
}

static void test_diff_new_route(void **state)
{
	(void)state;
	bt_diff_opts o;
	bt_diff_opts_default(&o);
	o.min_vps = 2;
	bt_diff *d = bt_diff_new(&o);
	/* round 1 (baseline): CN only, both VPs; round 2: RU appears from both */
	obs(d, "KP", "vp1", "r1", "t1", 100, "AS4837", "CN");
	obs(d, "KP", "vp2", "r1", "t2", 101, "AS4837", "CN");
	obs(d, "KP", "vp1", "r2", "t3", 200, "AS20485", "RU");
	obs(d, "KP", "vp2", "r2", "t4", 201, "AS20485", "RU");
	obs(d, "KP", "vp2", "r2", "t5", 202, "AS4837", "CN");
	obs(d, "KP", "vp1", "r2", "t6", 203, NULL, NULL); /* did not get in: no route */
	assert_int_equal(bt_diff_finish(d), 0);
	assert_int_equal(bt_diff_nrounds(d), 2);
	assert_int_equal(bt_diff_nevents(d), 2); /* AS level and country level */
	const bt_diff_event *e = find_event(d, BT_EVENT_NEW, BT_LEVEL_AS, "AS20485");
	assert_non_null(e);
	assert_string_equal(e->into, "AS131279");
	assert_string_equal(e->round, "r2");
	assert_string_equal(e->vps, "vp1 vp2");
	assert_string_equal(e->evidence, "t3 t4");
	assert_int_equal(e->first_seen_us, 200);
	assert_int_equal(e->last_seen_us, 201);
	assert_non_null(find_event(d, BT_EVENT_NEW, BT_LEVEL_COUNTRY, "RU"));
	/* diversity in round 2 at AS level: RU 2 of 3 routed traces */
	bool found = false;
	for (size_t i = 0; i < bt_diff_ndiv(d); i++) {
		const bt_diff_div *v = bt_diff_div_at(d, i);
		if (strcmp(v->round, "r2") == 0 && v->level == BT_LEVEL_AS && strcmp(v->upstream, "AS20485") == 0) {
			assert_int_equal(v->traces, 2);
			assert_int_equal(v->routed, 3);
			assert_int_equal(v->observed, 4);
			assert_int_equal(v->upstreams, 2);
			assert_true(v->share > 0.66 && v->share < 0.67);
			found = true;
		}
	}
	assert_true(found);
	bt_diff_free(d);
}

static void test_diff_hysteresis(void **state)
{
	(void)state;
	bt_diff_opts o;
	bt_diff_opts_default(&o);
	o.min_vps = 2;
	o.min_rounds = 2;
	bt_diff *d = bt_diff_new(&o);
	obs(d, "KP", "vp1", "r1", "a", 1, "AS4837", "CN");
	/* one odd trace from one VP in one round: no event */
	obs(d, "KP", "vp1", "r2", "b", 2, "AS20485", "RU");
	obs(d, "KP", "vp2", "r2", "c", 3, "AS4837", "CN");
	obs(d, "KP", "vp1", "r3", "d", 4, "AS4837", "CN");
	assert_int_equal(bt_diff_finish(d), 0);
	assert_int_equal(bt_diff_nevents(d), 0);
	bt_diff_free(d);

	/* seen in 2 rounds from 2 VPs: event dated to the round that confirms it */
	d = bt_diff_new(&o);
	obs(d, "KP", "vp1", "r1", "a", 1, "AS4837", "CN");
	obs(d, "KP", "vp1", "r2", "b", 2, "AS20485", "RU");
	obs(d, "KP", "vp2", "r3", "c", 3, "AS20485", "RU");
	assert_int_equal(bt_diff_finish(d), 0);
	const bt_diff_event *e = find_event(d, BT_EVENT_NEW, BT_LEVEL_AS, "AS20485");
	assert_non_null(e);
	assert_string_equal(e->round, "r3");
	assert_int_equal(e->rounds_seen, 2);
	bt_diff_free(d);
}

static void test_diff_gone_and_returned(void **state)
{
	(void)state;
	bt_diff_opts o;
	bt_diff_opts_default(&o);
	o.gone_after = 2;
	bt_diff *d = bt_diff_new(&o);
	obs(d, "P", "vp1", "2017-10-01T08:00:00Z", "a", 1, "AS4837", "CN");
	obs(d, "P", "vp1", "2017-10-01T09:00:00Z", "b", 2, "AS20485", "RU");
	/* a round where the target was not traced does not count as absence */
	obs(d, "Q", "vp1", "2017-10-01T10:00:00Z", "x", 3, "AS1", "DE");
	obs(d, "P", "vp1", "2017-10-01T11:00:00Z", "c", 4, "AS20485", "RU");
	obs(d, "P", "vp1", "2017-10-01T12:00:00Z", "d", 5, "AS20485", "RU");
	obs(d, "P", "vp1", "2017-10-01T13:00:00Z", "e", 6, "AS4837", "CN");
	assert_int_equal(bt_diff_finish(d), 0);
	const bt_diff_event *e = find_event(d, BT_EVENT_GONE, BT_LEVEL_AS, "AS4837");
	assert_non_null(e);
	assert_string_equal(e->round, "2017-10-01T09:00:00Z");
	assert_non_null(find_event(d, BT_EVENT_NEW, BT_LEVEL_AS, "AS20485"));
	e = find_event(d, BT_EVENT_RETURNED, BT_LEVEL_AS, "AS4837");
	assert_non_null(e);
	assert_string_equal(e->round, "2017-10-01T13:00:00Z");
	bt_diff_free(d);
}

static void test_diff_no_event_for_stable(void **state)
{
	(void)state;
	bt_diff_opts o;
	bt_diff_opts_default(&o);
	bt_diff *d = bt_diff_new(&o);
	for (int r = 0; r < 5; r++) {
		char round[8];
		snprintf(round, sizeof(round), "r%d", r);
		obs(d, "KP", "vp1", round, "t", r, "AS4837", "CN");
		obs(d, "KP", "vp2", round, "u", r, r == 2 ? NULL : "AS4837", r == 2 ? NULL : "CN");
	}
	assert_int_equal(bt_diff_finish(d), 0);
	assert_int_equal(bt_diff_nevents(d), 0);
	bt_diff_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_border),
		cmocka_unit_test(test_silent_inside_as_is_not_crossing),
		cmocka_unit_test(test_crossing_across_silent_is_marked),
		cmocka_unit_test(test_special_and_ixp_passed_over),
		cmocka_unit_test(test_neighbour_numbered_border),
		cmocka_unit_test(test_moas),
		cmocka_unit_test(test_false_loop),
		cmocka_unit_test(test_two_ases_at_one_ttl),
		cmocka_unit_test(test_parallel_branches),
		cmocka_unit_test(test_false_loop_over_a_set),
		cmocka_unit_test(test_silent_attempt_beside_reply),
		cmocka_unit_test(test_moas_against_a_set),
		cmocka_unit_test(test_copied_ttl_with_two_entries),
		cmocka_unit_test(test_not_reached),
		cmocka_unit_test(test_copied_hops_make_no_crossing),
		cmocka_unit_test(test_observed_crossing_counts_when_filled),
		cmocka_unit_test(test_copied_hops_support_nothing),
		cmocka_unit_test(test_diff_new_route),
		cmocka_unit_test(test_diff_hysteresis),
		cmocka_unit_test(test_diff_gone_and_returned),
		cmocka_unit_test(test_diff_no_event_for_stable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
