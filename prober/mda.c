/* bordertrace — multipath discovery (MDA) in the engine (doc/probing.md,
 * "Multipath"): a round-based stopping rule in the spirit of Diamond-Miner.
 *
 * Round 1 traces every target with flow 0 over every TTL. After each
 * round the replies so far (the spool, sorted by target) are counted per
 * target and TTL: k interfaces seen, f flows answered there, the links the
 * flows show. Between the first hop and the destination's TTL (neither
 * tested) a TTL lacks flows below plain MDA's n_k, below the minimum
 * share's m counted with the next TTL's flows, or, where its links look
 * meshed, below n_k flows at both. The next round sends old flows on where
 * they were never sent (MDA-Lite's reuse), beside interfaces whose links
 * are unseen, and new flows over the TTLs that still lack them; where links
 * look meshed a few flows of before again once: a flow that answers from
 * two addresses at one TTL is per-packet balancing, and that TTL asks for
 * no more flows. Matching stays stateless: each round is an engine run
 * over (target, flow, TTL range) entries, and what a target needs is
 * recomputed from the spool, not kept. The plans run in a thread of their
 * own beside the sends (bt_mda_plan_start), each for the targets none of
 * whose entries is in progress or queued. */
#include "engine_int.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>

/* The probability that n flows, each on one of k + 1 equally likely
 * successors, miss at least one of them (inclusion-exclusion). */
static double miss_some(unsigned k, unsigned n)
{
	double p = 0, c = 1; /* c: (k + 1) choose j */
	for (unsigned j = 1; j <= k + 1; j++) {
		c = c * (k + 2 - j) / j;
		p += (j % 2 ? c : -c) * pow((double)(k + 1 - j) / (k + 1), n);
	}
	return p;
}

unsigned bt_mda_flows_needed(unsigned k, unsigned conf, unsigned min_share)
{
	double alpha = 1.0 - conf / 100.0;
	if (k < 1)
		k = 1;
	/* k + 1 equally likely successors, n flows all on k of them: the
	 * exact probability, not its union bound (k + 1)(k / (k + 1))^n, which
	 * asks one flow more at k = 7 and 8 than the published tables */
	unsigned n = 1;
	while (n < BT_MDA_FLOWS && miss_some(k, n) > alpha)
		n++;
	if (min_share > 0) {
		/* one branch of share p at least: missed by n flows with
		 * probability (1 - p)^n at most */
		double ns = ceil(log(alpha) / log(1.0 - min_share / 100.0) - 1e-9);
		if (ns > n)
			n = ns > BT_MDA_FLOWS ? BT_MDA_FLOWS : (unsigned)ns;
	}
	return n;
}

static void mda_tables(bt_engine *e)
{
	/* plain MDA's n_k; the minimum share is counted apart (share_flows) */
	for (unsigned k = 0; k <= BT_MDA_FLOWS; k++)
		e->mp_need[k] = (uint8_t)bt_mda_flows_needed(k, e->o.confidence, 0);
	/* r flows again, each on the same interface under per-packet
	 * balancing over two with probability 1/2: 2^-r <= alpha */
	double r = ceil(log2(100.0 / (100 - e->o.confidence)) - 1e-9);
	e->mp_replays = (uint8_t)(r < 1 ? 1 : r > 16 ? 16 : r);
}

/* The flows that find a branch of the minimum share at the confidence; 0
 * without a minimum share. */
static unsigned share_flows(const bt_engine *e)
{
	return e->o.min_share ? bt_mda_flows_needed(1, e->o.confidence, e->o.min_share) : 0;
}

/* What the plan allocates is counted in: the engine's own account, or the
 * planner thread's while it runs (merged when it is collected). */
static bt_acct *pacct(bt_engine *e)
{
	return e->mp_pacct ? e->mp_pacct : &e->acct;
}

/* Room for n more entries in this round's list. */
static int mp_reserve(bt_engine *e, size_t used, size_t n)
{
	if (used + n <= e->mp_cap)
		return 0;
	size_t ncap = e->mp_cap ? e->mp_cap : 4096;
	while (ncap < used + n)
		ncap *= 2;
	bt_mp_entry *nl = bt_acct_alloc(pacct(e), ncap * sizeof(*nl));
	if (nl == NULL)
		return -1;
	if (used)
		memcpy(nl, e->mp, used * sizeof(*nl));
	bt_acct_free(pacct(e), e->mp, e->mp_cap * sizeof(*nl));
	e->mp = nl;
	e->mp_cap = ncap;
	return 0;
}

void bt_mda_free(bt_engine *e)
{
	bt_acct_free(&e->acct, e->mp, e->mp_cap * sizeof(*e->mp));
	e->mp = NULL;
	e->mp_cap = 0;
	bt_acct_free(&e->acct, e->mpq, e->mpq_cap * sizeof(*e->mpq));
	e->mpq = NULL;
	e->mpq_cap = 0;
	bt_mda_runs_free(&e->mp_runs, &e->acct);
	bt_acct_free(&e->acct, e->mp_tround, e->mp_runs.ntargets);
	bt_acct_free(&e->acct, e->mp_busy, e->mp_runs.ntargets);
	e->mp_tround = e->mp_busy = NULL;
}

int bt_mda_first(bt_engine *e, char *err, size_t errlen)
{
	mda_tables(e);
	e->mp_round = 1;
	e->mp_over = false;
	bt_mda_free(e);
	e->mp_runs.ntargets = e->ntargets;
	unsigned n1 = 1; /* flow 0 finds the path's length; the others come in round 2 */
	e->mp_tround = bt_acct_alloc(&e->acct, e->ntargets);
	e->mp_busy = bt_acct_alloc(&e->acct, e->ntargets);
	if (e->mp_tround == NULL || e->mp_busy == NULL || mp_reserve(e, 0, e->ntargets * n1) != 0) {
		snprintf(err, errlen, "out of memory for %zu multipath entries", e->ntargets * n1);
		return -1;
	}
	size_t k = 0;
	for (size_t t = 0; t < e->ntargets; t++) {
		for (unsigned f = 0; f < n1; f++)
			e->mp[k++] = (bt_mp_entry){ (uint32_t)(t * BT_MDA_FLOWS + f), MP_RANGE(0, e->nslots) };
		e->mp_tround[t] = 1;
	}
	e->ninput = k;
	return 0;
}

/* ---- the spool, sorted by target ---- */

/* The nrec records at recs sorted by target: their run's table of starts
 * (ntargets + 1), or NULL when out of memory or a record names no target
 * (a corrupted spool file). bt_spool_sort may leave a table on failure:
 * freed here. */
static uint32_t *run_sort(bt_rec *recs, uint64_t nrec, size_t ntargets, bt_acct *a)
{
	uint32_t *start;
	if (bt_spool_sort(recs, nrec, ntargets, BT_MDA_FLOWS, a, &start) == 0)
		return start;
	bt_acct_free(a, start, (ntargets + 1) * sizeof(uint32_t));
	return NULL;
}

/* Makes room for a run: the two adjacent runs of the fewest records
 * together become one (records of a target may then be in any order of
 * their rounds, which neither the plans nor the record depend on), so
 * that the sorts stay proportional to what is new. 0, or -1 when out of
 * memory. */
static int runs_merge(bt_rec *recs, mda_runs *r, bt_acct *a)
{
	unsigned best = 0;
	for (unsigned i = 1; i + 1 < r->n; i++)
		if (r->off[i + 2] - r->off[i] < r->off[best + 2] - r->off[best])
			best = i;
	uint32_t *start = run_sort(recs + r->off[best], r->off[best + 2] - r->off[best], r->ntargets, a);
	if (start == NULL)
		return -1;
	bt_acct_free(a, r->start[best], (r->ntargets + 1) * sizeof(uint32_t));
	bt_acct_free(a, r->start[best + 1], (r->ntargets + 1) * sizeof(uint32_t));
	r->start[best] = start;
	uint64_t low = (UINT64_C(1) << best) - 1; /* runs below best keep their bits */
	for (size_t t = 0; t < r->ntargets; t++) {
		uint64_t h = r->has[t];
		r->has[t] = (h & low) | ((h >> 1) & ~low) | (((h >> best) & 1) << best);
	}
	for (unsigned i = best + 1; i + 1 < r->n; i++) {
		r->start[i] = r->start[i + 1];
		r->off[i] = r->off[i + 1];
	}
	r->off[r->n - 1] = r->off[r->n];
	r->start[r->n - 1] = NULL;
	r->n--;
	return 0;
}

int bt_mda_view_open(mda_view *v, bt_spool *s, uint64_t nrec_plan, mda_runs *runs, bool all, bt_acct *a,
		     char *err, size_t errlen)
{
	memset(v, 0, sizeof(*v));
	v->runs = runs;
	/* a plan reads the new records and the targets that probed, of the
	 * records written when it started (the engine goes on writing); the
	 * build reads everything */
	v->recs = all ? bt_spool_map(s, &v->len, true, err, errlen) :
			bt_spool_map_n(s, nrec_plan, &v->len, false, err, errlen);
	if (v->recs == MAP_FAILED) {
		v->recs = NULL;
		return -1;
	}
	uint64_t done = runs->off[runs->n], nrec = v->len / sizeof(bt_rec);
	if (v->recs == NULL || nrec == done)
		return 0;
	if (runs->n >= BT_MDA_RUNS && runs_merge(v->recs, runs, a) != 0) {
		snprintf(err, errlen, "multipath: out of memory");
		return -1;
	}
	if (runs->has == NULL) {
		runs->has = bt_acct_alloc(a, runs->ntargets * sizeof(uint64_t));
		if (runs->has == NULL) {
			snprintf(err, errlen, "multipath: out of memory");
			return -1;
		}
		memset(runs->has, 0, runs->ntargets * sizeof(uint64_t));
	}
	uint32_t *st = nrec < done ? NULL : run_sort(v->recs + done, nrec - done, runs->ntargets, a);
	if (st == NULL) {
		snprintf(err, errlen, "multipath: out of memory, or the spool file was changed");
		return -1;
	}
	runs->start[runs->n] = st;
	uint64_t bit = UINT64_C(1) << runs->n;
	for (size_t t = 0; t < runs->ntargets; t++)
		if (st[t + 1] > st[t])
			runs->has[t] |= bit;
	runs->off[++runs->n] = nrec;
	return 0;
}

void bt_mda_view_close(mda_view *v)
{
	free(v->buf);
	if (v->recs)
		munmap(v->recs, v->len);
	memset(v, 0, sizeof(*v));
}

void bt_mda_runs_free(mda_runs *r, bt_acct *a)
{
	for (unsigned i = 0; i < r->n; i++)
		bt_acct_free(a, r->start[i], (r->ntargets + 1) * sizeof(uint32_t));
	bt_acct_free(a, r->has, r->has ? r->ntargets * sizeof(uint64_t) : 0);
	size_t nt = r->ntargets;
	memset(r, 0, sizeof(*r));
	r->ntargets = nt;
}

const bt_rec *bt_mda_view_target(mda_view *v, size_t t, size_t *n)
{
	const mda_runs *r = v->runs;
	uint64_t has = r->has ? r->has[t] : 0;
	*n = 0;
	if (has == 0)
		return v->recs;
	if ((has & (has - 1)) == 0) { /* in one run: no copy */
		unsigned i = (unsigned)__builtin_ctzll(has);
		*n = r->start[i][t + 1] - r->start[i][t];
		return v->recs + r->off[i] + r->start[i][t];
	}
	size_t total = 0;
	for (uint64_t h = has; h; h &= h - 1) {
		unsigned i = (unsigned)__builtin_ctzll(h);
		total += r->start[i][t + 1] - r->start[i][t];
	}
	if (total > v->cap) {
		bt_rec *nb = realloc(v->buf, total * sizeof(bt_rec));
		if (nb == NULL)
			return NULL;
		v->buf = nb;
		v->cap = total;
	}
	size_t k = 0;
	for (uint64_t h = has; h; h &= h - 1) {
		unsigned i = (unsigned)__builtin_ctzll(h);
		size_t m = r->start[i][t + 1] - r->start[i][t];
		memcpy(v->buf + k, v->recs + r->off[i] + r->start[i][t], m * sizeof(bt_rec));
		k += m;
	}
	*n = total;
	return v->buf;
}

bool bt_mda_view_touched(const mda_view *v, size_t t)
{
	const mda_runs *r = v->runs;
	return r->n > 0 && r->has != NULL && (r->has[t] >> (r->n - 1) & 1);
}

/* The order flows are taken in: the flow indices bit-reversed (0, 32, 16,
 * 48, ...), so that the first n of them spread over the 64 instead of being
 * n adjacent checksums or ports, which a weak load-balancer hash can send
 * down fewer branches than chance would (doc/probing.md, "Multipath").
 * Its own inverse; a table, since the planner asks it twice per record. */
static const uint8_t flow_order[BT_MDA_FLOWS] = {
	0, 32, 16, 48, 8, 40, 24, 56, 4, 36, 20, 52, 12, 44, 28, 60,
	2, 34, 18, 50, 10, 42, 26, 58, 6, 38, 22, 54, 14, 46, 30, 62,
	1, 33, 17, 49, 9, 41, 25, 57, 5, 37, 21, 53, 13, 45, 29, 61,
	3, 35, 19, 51, 11, 43, 27, 59, 7, 39, 23, 55, 15, 47, 31, 63,
};
_Static_assert(BT_MDA_FLOWS == 64, "flow_order: the bit reversal of 6-bit indices");

unsigned bt_mda_flow_at(unsigned i)
{
	return flow_order[i % BT_MDA_FLOWS];
}

static bool stop_found(unsigned stop)
{
	return stop == BT_STOP_COMPLETED || stop == BT_STOP_UNREACHABLE;
}

/* ---- what a target needs next ---- */

/* Per interface of a TTL, what its flows showed beside it. */
#define IF_PRED 1       /* one answered at the TTL before */
#define IF_SUCC 2       /* one answered at the TTL after */
#define IF_PRED_TRIED 4 /* one was sent at the TTL before, unanswered */
#define IF_SUCC_TRIED 8 /* one was sent at the TTL after, unanswered */

typedef struct ttl_stat {
	uint8_t nif;            /* interfaces seen (at most BT_MDA_FLOWS kept) */
	uint8_t probed;         /* flows answered here, or at the destination below */
	uint8_t sent;           /* flows sent through here (answered or not) */
	uint8_t near;           /* flows answered here or at the TTL after */
	uint8_t pp;             /* a flow answered from two addresses: per packet */
	uint8_t replayed;       /* flows were sent again here */
	uint8_t mesh;           /* the links to the TTL after are meshed (scan_mesh) */
	uint8_t both;           /* flows answered here and at the TTL after */
	uint8_t x;              /* new flows planned here */
	uint8_t reuse;          /* old flows planned here, never sent here before */
	uint8_t reuse_up;       /* of them, answered at the TTL after */
	uint8_t reuse_dn;       /* of them, answered at the TTL before */
	bt_faddr ifs[BT_MDA_FLOWS];
	uint8_t ifl[BT_MDA_FLOWS];    /* IF_* */
	uint8_t cand_p[BT_MDA_FLOWS]; /* a flow (index + 1) of it never sent at the TTL before */
	uint8_t cand_s[BT_MDA_FLOWS]; /* ... at the TTL after */
} ttl_stat;

typedef struct mda_scan {
	ttl_stat *ttl;          /* per TTL index */
	bt_faddr *first;        /* per flow and TTL index: its first reply's address */
	uint8_t *sent;          /* per flow and TTL index: sent there */
	unsigned nslots;
	int last;               /* the highest TTL index a flow reached */
	int dst;                /* the destination's TTL index (scan_dst), or -1 */
	int lo;                 /* the lowest TTL index tested (1: index 0 is the first hop) */
	unsigned nextflow;      /* flows used so far */
	unsigned share;         /* flows that find a branch of the minimum share; 0 */
	uint16_t ext_lo[BT_MDA_FLOWS], ext_end[BT_MDA_FLOWS]; /* old flows sent again; end 0: not */
	uint8_t ends[BT_MDA_FLOWS]; /* per flow index: hops when it reached the end, else 0 */
	bt_faddr end;           /* the address that ended a flow (the destination), or none */
	uint32_t rtt_max;       /* the slowest reply's RTT, µs */
	bool rtt_seen;          /* a reply came (rtt_max is a measure) */
} mda_scan;

static unsigned if_index(const ttl_stat *st, bt_faddr a)
{
	unsigned i;
	for (i = 0; i < st->nif && st->ifs[i] != a; i++)
		;
	return i;
}

static void scan_hop(mda_scan *sc, const bt_rec *r)
{
	ttl_stat *st = &sc->ttl[r->slot];
	bt_faddr a = r->u.hop.addr;
	if (if_index(st, a) == st->nif && st->nif < BT_MDA_FLOWS) {
		unsigned i = st->nif++;
		st->ifs[i] = a;
		st->ifl[i] = st->cand_p[i] = st->cand_s[i] = 0;
	}
	bt_faddr *f = &sc->first[(size_t)(r->in % BT_MDA_FLOWS) * sc->nslots + r->slot];
	if (*f == BT_FADDR_NONE) {
		*f = a; /* a flow counts once a TTL, replayed or not */
		if (st->probed < 255)
			st->probed++;
	} else if (*f != a) {
		st->pp = 1;
	}
	if (r->slot > sc->last)
		sc->last = r->slot;
	if (r->u.hop.rtt_us > sc->rtt_max)
		sc->rtt_max = r->u.hop.rtt_us;
	sc->rtt_seen = true;
}

static void scan_end(mda_scan *sc, const bt_rec *r)
{
	unsigned lo = MP_LO(r->u.end.fill), end = MP_END(r->u.end.fill), nh = r->b;
	if (r->a == BT_STOP_ERROR)
		return;
	if (end > sc->nslots)
		end = sc->nslots;
	uint8_t *sent = &sc->sent[(size_t)(r->in % BT_MDA_FLOWS) * sc->nslots];
	for (unsigned h = lo; h < end; h++) {
		ttl_stat *st = &sc->ttl[h];
		bool through = h < nh || stop_found(r->a);
		if (h < nh)
			sent[h] = 1;
		if (r->u.end.fill & MP_REPLAY)
			st->replayed = 1;
		else if (through && st->sent < 255)
			st->sent++;
		if (!(r->u.end.fill & MP_REPLAY) && h >= nh && stop_found(r->a) && st->probed < 255)
			st->probed++; /* the destination answered below: through */
	}
	if (stop_found(r->a) && nh > 0 && nh <= sc->nslots)
		sc->ends[r->in % BT_MDA_FLOWS] = (uint8_t)nh;
	if ((int)nh - 1 > sc->last)
		sc->last = (int)nh - 1;
}

/* One side of interface i of st as flow f shows it. */
static void link_side(ttl_stat *st, unsigned i, unsigned f, bool answered, bool sent, unsigned side)
{
	uint8_t *cand = side == IF_PRED ? st->cand_p : st->cand_s;
	if (answered)
		st->ifl[i] |= (uint8_t)side;
	else if (sent)
		st->ifl[i] |= (uint8_t)(side == IF_PRED ? IF_PRED_TRIED : IF_SUCC_TRIED);
	else if (cand[i] == 0)
		cand[i] = (uint8_t)(f + 1);
}

/* Flow f at TTL index h (answered there), against its neighbours. */
static void scan_link(mda_scan *sc, unsigned f, int h)
{
	const bt_faddr *fa = &sc->first[(size_t)f * sc->nslots];
	const uint8_t *fs = &sc->sent[(size_t)f * sc->nslots];
	ttl_stat *st = &sc->ttl[h];
	unsigned i = if_index(st, fa[h]);
	if (i == st->nif)
		return;
	if (h > 0)
		link_side(st, i, f, fa[h - 1] != BT_FADDR_NONE, fs[h - 1], IF_PRED);
	if (h + 1 < (int)sc->nslots)
		link_side(st, i, f, fa[h + 1] != BT_FADDR_NONE, fs[h + 1], IF_SUCC);
}

/* The links from TTL index h to h + 1 the flows show: how many flows
 * answered at both (ttl[h].both), and whether an interface there has two
 * predecessors here one of which has two successors (ttl[h].mesh: a meshed
 * diamond, or per-packet balancing, which looks the same). */
static void scan_mesh(mda_scan *sc, int h)
{
	ttl_stat *st = &sc->ttl[h], *nx = &sc->ttl[h + 1];
	uint8_t succ[BT_MDA_FLOWS] = { 0 }, pred[BT_MDA_FLOWS] = { 0 }, fan[BT_MDA_FLOWS] = { 0 };
	unsigned li[BT_MDA_FLOWS], lj[BT_MDA_FLOWS], n = 0;
	for (unsigned u = 0; u < sc->nextflow; u++) { /* the flows used */
		const bt_faddr *fa = &sc->first[(size_t)bt_mda_flow_at(u) * sc->nslots];
		if (fa[h] == BT_FADDR_NONE || fa[h + 1] == BT_FADDR_NONE)
			continue;
		unsigned i = if_index(st, fa[h]), j = if_index(nx, fa[h + 1]);
		if (i == st->nif || j == nx->nif)
			continue;
		li[n] = i;
		lj[n++] = j;
		succ[i] = succ[i] == 0 || succ[i] == j + 1 ? (uint8_t)(j + 1) : 255; /* 255: two or more */
		pred[j] = pred[j] == 0 || pred[j] == i + 1 ? (uint8_t)(i + 1) : 255;
	}
	st->both = (uint8_t)n;
	for (unsigned l = 0; l < n; l++)
		fan[lj[l]] |= succ[li[l]] == 255;
	for (unsigned j = 0; j < nx->nif; j++)
		st->mesh |= pred[j] == 255 && fan[j];
}

/* What the flows show beside each TTL: links, meshes, flows near. */
static void scan_links(mda_scan *sc)
{
	for (unsigned u = 0; u < sc->nextflow; u++) { /* the flows used */
		unsigned f = bt_mda_flow_at(u);
		const bt_faddr *fa = &sc->first[(size_t)f * sc->nslots];
		for (int h = 0; h <= sc->last; h++) {
			bool next = h + 1 < (int)sc->nslots && fa[h + 1] != BT_FADDR_NONE;
			if ((fa[h] != BT_FADDR_NONE || next) && sc->ttl[h].near < 255)
				sc->ttl[h].near++;
			if (fa[h] != BT_FADDR_NONE)
				scan_link(sc, f, h);
		}
	}
	for (int h = 0; h + 1 < (int)sc->nslots && h <= sc->last; h++)
		scan_mesh(sc, h);
}

/* Whether the paths have several lengths: an address answered at two
 * TTLs, or flows ended at two TTLs. */
static bool uneven(const mda_scan *sc)
{
	unsigned end = 0;
	for (unsigned f = 0; f < BT_MDA_FLOWS; f++) {
		if (sc->ends[f] && end && sc->ends[f] != end)
			return true;
		end = sc->ends[f] ? sc->ends[f] : end;
	}
	for (int h = 0; h <= sc->last; h++)
		for (unsigned i = 0; i < sc->ttl[h].nif; i++)
			for (int g = h + 1; g <= sc->last; g++)
				if (if_index(&sc->ttl[g], sc->ttl[h].ifs[i]) < sc->ttl[g].nif)
					return true;
	return false;
}

/* The destination's TTL index (sc->dst): the lowest from which every TTL
 * up to the last answered from the address that ended a flow (the
 * destination, or the router that said it is unreachable) and from no
 * other; -1 when no flow ended so, or when the paths have several lengths
 * (a longer branch goes on past the TTL where a shorter one ended). */
static void scan_dst(mda_scan *sc)
{
	bt_faddr d = BT_FADDR_NONE;
	for (unsigned f = 0; f < BT_MDA_FLOWS && d == BT_FADDR_NONE; f++)
		if (sc->ends[f])
			d = sc->first[(size_t)f * sc->nslots + sc->ends[f] - 1];
	sc->dst = -1;
	sc->end = d;
	if (d == BT_FADDR_NONE || uneven(sc))
		return;
	for (int h = sc->last; h >= 0; h--) {
		if (sc->ttl[h].nif != 1 || sc->ttl[h].ifs[0] != d)
			break;
		sc->dst = h;
	}
}

static void scan_target(mda_scan *sc, const bt_rec *r, size_t n)
{
	for (unsigned h = 0; h < sc->nslots; h++) /* the counts; an interface's own when seen */
		memset(&sc->ttl[h], 0, offsetof(ttl_stat, ifs));
	memset(sc->ext_end, 0, sizeof(sc->ext_end));
	memset(sc->ends, 0, sizeof(sc->ends));
	sc->last = sc->dst = -1;
	sc->nextflow = 0;
	sc->rtt_max = 0;
	sc->rtt_seen = false;
	for (size_t i = 0; i < n; i++) {
		if (bt_mda_flow_at(r[i].in % BT_MDA_FLOWS) >= sc->nextflow)
			sc->nextflow = bt_mda_flow_at(r[i].in % BT_MDA_FLOWS) + 1;
		if (r[i].kind == BT_REC_HOP && r[i].slot < sc->nslots)
			scan_hop(sc, &r[i]);
		else if (r[i].kind == BT_REC_END)
			scan_end(sc, &r[i]);
	}
	if (sc->last >= (int)sc->nslots)
		sc->last = (int)sc->nslots - 1;
	scan_dst(sc);
	scan_links(sc);
}

/* Clean for the next target. */
static void scan_clean(mda_scan *sc, const bt_rec *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t row = (size_t)(r[i].in % BT_MDA_FLOWS) * sc->nslots;
		if (r[i].kind == BT_REC_HOP && r[i].slot < sc->nslots)
			sc->first[row + r[i].slot] = BT_FADDR_NONE;
		else if (r[i].kind == BT_REC_END)
			memset(sc->sent + row, 0, sc->nslots);
	}
}

#define SEG_GAP 1 /* needing TTLs this close share one segment */

/* The TTL index of the last TTL tested: the one before the destination. */
static int top_ttl(const mda_scan *sc)
{
	return sc->dst >= 0 && sc->dst - 1 < sc->last ? sc->dst - 1 : sc->last;
}

/* The flows still lacking toward n with have counted and sent so far: a
 * TTL is sent at most 2 n flows; beyond, the losses are a rate-limiting or
 * overloaded router's, and more flows only add to them. */
static unsigned lack(unsigned n, unsigned have, unsigned sent)
{
	unsigned d = have < n ? n - have : 0;
	if (sent + d > 2 * n)
		d = sent < 2 * n ? 2 * n - sent : 0;
	return d;
}

/* The new flows TTL index h lacks: *even for plain MDA's n_k (answers
 * here; a TTL silent so far: n_1 sent), *share for the minimum share
 * (flows answered here or at the TTL after: a flow there crossed this
 * TTL), *link for a meshed diamond's links to the TTL after (flows
 * answered at both: n_k of the TTL after). None at the first hop, at or
 * after the destination, at a per-packet TTL; no minimum share at the TTL
 * before the destination (a branch there ends one hop on). Old flows
 * planned here (reuse) count. */
static void ttl_lacks(const bt_engine *e, const mda_scan *sc, int h, unsigned *even, unsigned *share,
		      unsigned *link)
{
	const ttl_stat *st = &sc->ttl[h];
	unsigned sent = st->sent + st->reuse;
	*even = *share = *link = 0;
	if (h < sc->lo || h > top_ttl(sc) || st->pp)
		return;
	if (st->nif == 0) { /* silent so far: n_1 flows sent, then taken as silent */
		*even = sent < e->mp_need[1] ? e->mp_need[1] - sent : 0;
		return;
	}
	*even = lack(e->mp_need[st->nif], st->probed + st->reuse, sent);
	if (sc->share && !(sc->dst >= 0 && h == sc->dst - 1))
		*share = lack(sc->share, st->near, sent);
	if (st->mesh && h + 1 <= top_ttl(sc) && !sc->ttl[h + 1].pp)
		*link = lack(e->mp_need[sc->ttl[h + 1].nif],
			     st->both + st->reuse_up + sc->ttl[h + 1].reuse_dn, sent);
}

/* Whether TTL index h lacks flows of its own or for the links from the TTL
 * before. */
static bool ttl_lacking(const bt_engine *e, const mda_scan *sc, int h)
{
	unsigned even, share, link, e0, s0, l0 = 0;
	ttl_lacks(e, sc, h, &even, &share, &link);
	if (h > 0)
		ttl_lacks(e, sc, h - 1, &e0, &s0, &l0);
	return even || share || link || l0;
}

/* The next segment at or after *h: TTLs [*lo, *hi] that lack flows (the
 * gaps between them at most SEG_GAP TTLs that answered, or silent ones).
 * False when none is left. */
static bool next_segment(const bt_engine *e, const mda_scan *sc, int *h, int *lo, int *hi)
{
	int top = top_ttl(sc);
	*lo = -1;
	for (; *h <= top; (*h)++) {
		if (!ttl_lacking(e, sc, *h)) {
			/* a silent TTL does not end a segment: its replies may
			 * all have been lost, and the flows go through it anyway */
			if (*lo >= 0 && *h - *hi > SEG_GAP && sc->ttl[*h].nif != 0)
				break;
			continue;
		}
		if (*lo < 0)
			*lo = *h;
		*hi = *h;
	}
	return *lo >= 0;
}

static void raise_x(ttl_stat *st, unsigned x)
{
	if (x > st->x)
		st->x = (uint8_t)x;
}

/* New flows per TTL of segment [lo, hi] (ttl[].x): plain MDA's lack at
 * each, a mesh's at both ends of its links; the minimum share's lack at h
 * met at h + 1 where h + 1 lacks it too (one flow there serves both), else
 * at h. The most of them. */
static unsigned plan_x(const bt_engine *e, mda_scan *sc, int lo, int hi)
{
	unsigned even, share, link, e2, s2, l2, m = 0;
	for (int h = lo; h <= hi; h++)
		sc->ttl[h].x = 0;
	for (int h = lo; h <= hi; h++) {
		ttl_lacks(e, sc, h, &even, &share, &link);
		raise_x(&sc->ttl[h], even > link ? even : link);
		if (h < hi)
			raise_x(&sc->ttl[h + 1], link);
	}
	for (int h = lo; h <= hi; h++) {
		unsigned nx = h < hi ? sc->ttl[h + 1].x : 0;
		ttl_lacks(e, sc, h, &even, &share, &link);
		s2 = 0;
		if (h < hi)
			ttl_lacks(e, sc, h + 1, &e2, &s2, &l2);
		if (share > sc->ttl[h].x && share > nx)
			raise_x(&sc->ttl[s2 > 0 ? h + 1 : h], share);
	}
	for (int h = lo; h <= hi; h++)
		m = sc->ttl[h].x > m ? sc->ttl[h].x : m;
	return m;
}

/* Old flow index f sent again at TTL index h. */
static void extend(mda_scan *sc, unsigned f, int h)
{
	if (sc->ext_end[f] == 0 || h < sc->ext_lo[f])
		sc->ext_lo[f] = (uint16_t)h;
	if (h + 1 > sc->ext_end[f])
		sc->ext_end[f] = (uint16_t)(h + 1);
}

/* Whether interface i of TTL index h wants one of its flows at the TTL
 * after: its flows were sent there (and answered or not) never; and the
 * TTL after has several interfaces (else the link is implied), or h is
 * the last TTL reached and the path is not known to end there (a branch
 * longer than the flows so far). */
static bool wants_succ(const mda_scan *sc, int h, unsigned i)
{
	const ttl_stat *st = &sc->ttl[h];
	if ((st->ifl[i] & (IF_SUCC | IF_SUCC_TRIED)) || !st->cand_s[i] || h + 1 >= (int)sc->nslots)
		return false;
	if (h < top_ttl(sc))
		return sc->ttl[h + 1].nif >= 2;
	return sc->dst < 0 && st->ifs[i] != sc->end;
}

/* The links of an interface found by flows sent to its TTL alone: one of
 * them again at the TTL before (not the first hop: one interface, its links
 * implied) and at the TTL after (wants_succ); once (a flow sent there and
 * unanswered counts). */
static void plan_links(mda_scan *sc)
{
	for (int h = sc->lo; h <= top_ttl(sc); h++) {
		const ttl_stat *st = &sc->ttl[h];
		for (unsigned i = 0; i < st->nif && !st->pp; i++) {
			if (h - 1 >= sc->lo && !(st->ifl[i] & (IF_PRED | IF_PRED_TRIED)) && st->cand_p[i])
				extend(sc, st->cand_p[i] - 1u, h - 1);
			if (wants_succ(sc, h, i))
				extend(sc, st->cand_s[i] - 1u, h + 1);
		}
	}
}

/* Whether TTL index h needs replays: several interfaces here and at the
 * TTL after, the links between them meshed (scan_mesh: a meshed diamond,
 * or per-packet balancing, which looks the same), never replayed. */
static bool wants_replay(const mda_scan *sc, int h)
{
	const ttl_stat *st = &sc->ttl[h];
	return h + 1 <= top_ttl(sc) && st->mesh && !st->pp && !st->replayed && st->nif >= 2 &&
	       sc->ttl[h + 1].nif >= 2;
}

static int add_entry(bt_engine *e, size_t *k, uint32_t in, uint32_t range)
{
	if (mp_reserve(e, *k, 1) != 0)
		return -1;
	e->mp[(*k)++] = (bt_mp_entry){ in, range };
	return 0;
}

/* The new flows of target t's next round: per segment of TTLs that lack
 * flows, the j-th new flow over the TTLs that lack more than j (from the
 * first to the last of them). */
static int plan_new(bt_engine *e, mda_scan *sc, uint32_t base, size_t *k)
{
	int lo, hi;
	for (int h = 0; sc->nextflow < BT_MDA_FLOWS && next_segment(e, sc, &h, &lo, &hi);) {
		unsigned m = plan_x(e, sc, lo, hi);
		for (unsigned j = 0; j < m && sc->nextflow < BT_MDA_FLOWS; j++) {
			int a = hi, b = lo;
			for (int g = lo; g <= hi; g++)
				if (sc->ttl[g].x > j) {
					a = g < a ? g : a;
					b = g;
				}
			if (add_entry(e, k, base + bt_mda_flow_at(sc->nextflow++), MP_RANGE(a, b + 1)) != 0)
				return -1;
		}
	}
	return 0;
}

static bool answered(const mda_scan *sc, unsigned f, int h)
{
	return h >= 0 && h < (int)sc->nslots && sc->first[(size_t)f * sc->nslots + h] != BT_FADDR_NONE;
}

/* Old flow index f planned at TTL index h where it was never sent: a new
 * sample there, with its link to the TTL beside it where it answered. */
static void credit(mda_scan *sc, unsigned f, int h)
{
	ttl_stat *st = &sc->ttl[h];
	if (sc->sent[(size_t)f * sc->nslots + h] || st->reuse == 255)
		return;
	st->reuse++;
	st->reuse_up += answered(sc, f, h + 1);
	st->reuse_dn += answered(sc, f, h - 1);
}

/* Old flows sent again where TTLs lack flows (MDA-Lite's reuse): a flow
 * that answered at the TTL before or after and was never sent at TTL h is
 * a new sample at h, and brings its link to that TTL along, for one probe.
 * The sends planned for links (plan_links) count first. */
static void plan_reuse(const bt_engine *e, mda_scan *sc)
{
	unsigned even, share, link, e0, s0, l0;
	for (unsigned f = 0; f < BT_MDA_FLOWS; f++)
		for (int h = sc->ext_end[f] ? sc->ext_lo[f] : 0; h < sc->ext_end[f]; h++)
			credit(sc, f, h);
	for (int h = sc->lo; h <= top_ttl(sc); h++) {
		for (unsigned i = 0; i < sc->nextflow; i++) {
			unsigned f = bt_mda_flow_at(i);
			ttl_lacks(e, sc, h, &even, &share, &link);
			l0 = 0;
			if (h > 0)
				ttl_lacks(e, sc, h - 1, &e0, &s0, &l0);
			bool up = answered(sc, f, h + 1), dn = answered(sc, f, h - 1);
			if (even == 0 && link == 0 && l0 == 0)
				break;
			if (sc->ext_end[f] || sc->sent[(size_t)f * sc->nslots + h] ||
			    !((even && (up || dn)) || (link && up) || (l0 && dn)))
				continue;
			extend(sc, f, h);
			credit(sc, f, h);
		}
	}
}

/* The wait of a target's next round (MP_WAIT): MP_RTT_TIMES its slowest
 * reply so far, at least MP_WAIT_MIN_MS; 0 (the run's wait) where that
 * is no shorter, or where nothing answered yet (no RTT to go by). A reply
 * later than that is late, as after any wait, and its probe a loss the
 * rule makes up with another flow; a round whose probes all answer ends
 * with its last reply either way. */
#define MP_RTT_TIMES 4
#define MP_WAIT_MIN_MS 200
static uint32_t round_wait(const bt_engine *e, const mda_scan *sc)
{
	if (!sc->rtt_seen)
		return 0;
	uint64_t ms = ((uint64_t)sc->rtt_max * MP_RTT_TIMES + 999) / 1000;
	if (ms < MP_WAIT_MIN_MS)
		ms = MP_WAIT_MIN_MS;
	return ms * 1000 >= e->o.wait_us || ms > MP_WAIT_MAX ? 0 : MP_WAIT((uint32_t)ms);
}

/* Appends target t's entries of the next round at e->mp[*k]: new flows
 * where TTLs lack them, old flows sent again beside interfaces whose links
 * are unseen, and old flows replayed over each run of TTLs that wants it
 * (per-packet balancing). 0, or -1 when out of memory. */
static int plan_target(bt_engine *e, mda_scan *sc, size_t t, size_t *k)
{
	uint32_t base = (uint32_t)(t * BT_MDA_FLOWS);
	unsigned used = sc->nextflow; /* the flows of before */
	plan_links(sc);
	plan_reuse(e, sc);
	if (plan_new(e, sc, base, k) != 0)
		return -1;
	for (unsigned f = 0; f < BT_MDA_FLOWS; f++)
		if (sc->ext_end[f] && add_entry(e, k, base + f, MP_RANGE(sc->ext_lo[f], sc->ext_end[f])) != 0)
			return -1;
	unsigned old = 0; /* replays take flows of before, each once a round */
	for (int h = sc->lo; h <= top_ttl(sc); h++) {
		if (!wants_replay(sc, h))
			continue;
		int a = h;
		while (h + 1 <= top_ttl(sc) && wants_replay(sc, h + 1))
			h++;
		for (unsigned r = 0; r < e->mp_replays && old < used; old++) {
			unsigned f = bt_mda_flow_at(old);
			if (sc->ext_end[f])
				continue;
			if (add_entry(e, k, base + f, MP_RANGE(a, h + 1) | MP_REPLAY) != 0)
				return -1;
			r++;
		}
	}
	return 0;
}

static int scan_alloc(mda_scan *sc, const bt_engine *e, bt_acct *a)
{
	unsigned nslots = e->nslots;
	memset(sc, 0, sizeof(*sc));
	sc->nslots = nslots;
	sc->lo = e->o.first_ttl == 1 ? 1 : 0;
	sc->share = share_flows(e);
	sc->ttl = bt_acct_alloc(a, nslots * sizeof(ttl_stat));
	sc->first = bt_acct_alloc(a, (size_t)nslots * BT_MDA_FLOWS * sizeof(bt_faddr));
	sc->sent = bt_acct_alloc(a, (size_t)nslots * BT_MDA_FLOWS);
	if (sc->first)
		memset(sc->first, 0, (size_t)nslots * BT_MDA_FLOWS * sizeof(bt_faddr));
	if (sc->sent)
		memset(sc->sent, 0, (size_t)nslots * BT_MDA_FLOWS);
	return sc->ttl && sc->first && sc->sent ? 0 : -1;
}

static void scan_free(mda_scan *sc, bt_acct *a)
{
	bt_acct_free(a, sc->ttl, sc->nslots * sizeof(ttl_stat));
	bt_acct_free(a, sc->first, (size_t)sc->nslots * BT_MDA_FLOWS * sizeof(bt_faddr));
	bt_acct_free(a, sc->sent, (size_t)sc->nslots * BT_MDA_FLOWS);
}

/* Marks the targets with an entry in progress (the pool) or waiting to be
 * taken up (the queue). */
static void mark_busy(bt_engine *e)
{
	memset(e->mp_busy, 0, e->ntargets);
	for (uint32_t i = 0; e->tg != NULL && i < e->cap; i++)
		if (e->tg[i].live)
			e->mp_busy[e->tg[i].in / BT_MDA_FLOWS] = 1;
	for (size_t i = e->next_input; e->mpq != NULL && i < e->ninput; i++)
		e->mp_busy[e->mpq[i].in / BT_MDA_FLOWS] = 1;
}

/* The next round's entries into e->mp for the targets not busy, from the
 * first e->mp_nrec records of the spool: how many, or -1 with a message.
 * Touches only what no one else does while it runs (the runs, the
 * targets' round counts, e->mp, its account): the planner thread's. */
static long mda_plan(bt_engine *e, char *err, size_t errlen)
{
	mda_view v;
	mda_scan sc;
	long rc = -1;
	int vr = bt_mda_view_open(&v, &e->spool, e->mp_nrec, &e->mp_runs, false, pacct(e), err, errlen);
	if (vr != 0 || v.recs == NULL) {
		bt_mda_view_close(&v);
		return vr != 0 ? -1 : 0;
	}
	size_t k = 0;
	if (scan_alloc(&sc, e, pacct(e)) != 0) {
		snprintf(err, errlen, "multipath: out of memory");
		goto out;
	}
	for (size_t t = 0; t < e->ntargets; t++) {
		size_t n, k0 = k;
		/* in progress: planned once its entries end; untouched: nothing
		 * new since its last plan, which was none */
		if (e->mp_busy[t] || e->mp_tround[t] >= BT_MDA_ROUNDS || !bt_mda_view_touched(&v, t))
			continue;
		const bt_rec *r = bt_mda_view_target(&v, t, &n);
		int pr = r == NULL ? -1 : (scan_target(&sc, r, n), plan_target(e, &sc, t, &k));
		if (r != NULL)
			scan_clean(&sc, r, n);
		if (pr != 0) {
			snprintf(err, errlen, "multipath: out of memory for the next round");
			goto out;
		}
		/* each probe once (a loss made up by the next flows), waited for
		 * by the target's RTTs; a replay with the run's attempts and
		 * wait: the per-packet test counts r answered replays */
		uint32_t once = MP_ONCE | round_wait(e, &sc);
		for (size_t i = k0; i < k; i++)
			if (!(e->mp[i].range & MP_REPLAY))
				e->mp[i].range |= once;
		e->mp_tround[t] += k > k0;
	}
	e->mp_round++;
	rc = (long)k;
out:
	scan_free(&sc, pacct(e));
	bt_mda_view_close(&v);
	return rc;
}

/* The records so far and the targets busy now: what a plan reads. */
static int plan_snapshot(bt_engine *e, char *err, size_t errlen)
{
	bt_spool_flush(&e->spool);
	if (e->spool.err != 0) {
		snprintf(err, errlen, "spool file in %s: %s", e->spool.where, strerror(e->spool.err));
		return -1;
	}
	e->mp_nrec = e->spool.recs;
	mark_busy(e);
	return 0;
}

long bt_mda_next(bt_engine *e, char *err, size_t errlen)
{
	return plan_snapshot(e, err, errlen) != 0 ? -1 : mda_plan(e, err, errlen);
}

/* ---- planning beside the sends (doc/probing.md, "Multipath") ---- */

static void *plan_thread(void *arg)
{
	bt_engine *e = arg;
	uint64_t t0 = mono_us();
	e->mp_result = mda_plan(e, e->mp_err, sizeof(e->mp_err));
	e->mp_took = mono_us() - t0;
	atomic_store(&e->mp_finished, true);
	return NULL;
}

int bt_mda_plan_start(bt_engine *e, char *err, size_t errlen)
{
	if (plan_snapshot(e, err, errlen) != 0)
		return -1;
	e->mp_final = e->nactive == 0 && e->next_input >= e->ninput;
	e->mp_base = e->acct.bytes;
	e->mp_acct = (bt_acct){ e->mp_base, e->mp_base };
	e->mp_pacct = &e->mp_acct;
	e->mp_err[0] = '\0';
	atomic_store(&e->mp_finished, false);
	e->mp_running = true;
	/* signals stay the engine's thread's (its ppoll and stop flag) */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(&e->mp_tid, NULL, plan_thread, e);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	e->mp_threaded = rc == 0;
	if (rc != 0)
		plan_thread(e); /* no thread: plan here, the sends wait */
	return 0;
}

/* The plan's memory into the engine's account: what it allocated less what
 * it freed (it started from the engine's count, so it never goes below
 * 0), and its peak over what the engine holds now. */
static void merge_acct(bt_engine *e)
{
	uint64_t base = e->mp_base, now = e->acct.bytes;
	e->mp_pacct = NULL;
	e->acct.bytes = now + e->mp_acct.bytes - base;
	uint64_t peak = now + e->mp_acct.peak - base;
	if (peak < e->acct.bytes)
		peak = e->acct.bytes;
	if (peak > e->acct.peak)
		e->acct.peak = peak;
}

/* Appends the plan's n entries to the queue (what is taken up moved out). */
static int queue_append(bt_engine *e, size_t n)
{
	size_t left = e->ninput - e->next_input;
	if (e->next_input > 0 && left > 0)
		memmove(e->mpq, e->mpq + e->next_input, left * sizeof(*e->mpq));
	e->ninput = left;
	e->next_input = 0;
	if (left + n > e->mpq_cap) {
		size_t ncap = e->mpq_cap ? e->mpq_cap : 4096;
		while (ncap < left + n)
			ncap *= 2;
		bt_mp_entry *q = bt_acct_alloc(&e->acct, ncap * sizeof(*q));
		if (q == NULL)
			return -1;
		if (left > 0)
			memcpy(q, e->mpq, left * sizeof(*q));
		bt_acct_free(&e->acct, e->mpq, e->mpq_cap * sizeof(*q));
		e->mpq = q;
		e->mpq_cap = ncap;
	}
	if (n > 0)
		memcpy(e->mpq + left, e->mp, n * sizeof(*e->mp));
	e->ninput += n;
	return 0;
}

long bt_mda_plan_collect(bt_engine *e, bool wait, char *err, size_t errlen)
{
	if (!e->mp_running)
		return -2;
	if (!wait && !atomic_load(&e->mp_finished))
		return -3;
	if (e->mp_threaded)
		pthread_join(e->mp_tid, NULL);
	e->mp_running = e->mp_threaded = false;
	merge_acct(e);
	long n = e->mp_result;
	if (n < 0) {
		snprintf(err, errlen, "%s", e->mp_err);
		return -1;
	}
	if (queue_append(e, (size_t)n) != 0) {
		snprintf(err, errlen, "multipath: out of memory for %ld entries", n);
		return -1;
	}
	if (n == 0 && e->mp_final)
		e->mp_over = true; /* nothing was in progress: the rule holds for every target */
	return n;
}

void bt_mda_first_queue(bt_engine *e)
{
	bt_mp_entry *q = e->mpq;
	size_t qc = e->mpq_cap;
	e->mpq = e->mp;
	e->mpq_cap = e->mp_cap;
	e->mp = q;
	e->mp_cap = qc;
}
