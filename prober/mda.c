/* bordertrace — multipath discovery (MDA) in the engine (doc/probing.md,
 * "Multipath"): a round-based stopping rule in the spirit of Diamond-Miner.
 *
 * Round 1 traces every target with flow 0 over every TTL. After each
 * round the replies so far (the spool, sorted by target) are counted per
 * target and TTL: k interfaces seen, f flows that went through the TTL.
 * Where f < n(k) the next round sends the missing flows, over the TTLs that
 * need them plus one on each side (links need one flow at consecutive
 * TTLs), and sends a few flows of before again once where a TTL has more
 * interfaces than the one before it: a flow that
 * answers from two addresses at one TTL is per-packet balancing, and that
 * TTL asks for no more flows. Matching stays stateless: a round is
 * (target, flow, TTL range) entries in the engine's queue, and what a
 * target needs is recomputed from the spool, not kept. The plans run in a
 * thread of their own beside the sends (bt_mda_plan_start), each for the
 * targets none of whose entries is in progress or queued. */
#include "engine_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>

unsigned bt_mda_flows_needed(unsigned k, unsigned conf, unsigned min_share)
{
	double alpha = 1.0 - conf / 100.0;
	if (k < 1)
		k = 1;
	/* k + 1 equally likely successors, n flows all on k of them: at most
	 * (k + 1) (k / (k + 1))^n; below alpha from this n on */
	double n = ceil(log(alpha / (k + 1)) / log((double)k / (k + 1)) - 1e-9);
	if (min_share > 0) {
		/* one branch of share p at least: missed by n flows with
		 * probability (1 - p)^n at most */
		double ns = ceil(log(alpha) / log(1.0 - min_share / 100.0) - 1e-9);
		if (ns > n)
			n = ns;
	}
	return n > BT_MDA_FLOWS ? BT_MDA_FLOWS : (unsigned)n;
}

static void mda_tables(bt_engine *e)
{
	for (unsigned k = 0; k <= BT_MDA_FLOWS; k++)
		e->mp_need[k] = (uint8_t)bt_mda_flows_needed(k, e->o.confidence, e->o.min_share);
	/* r flows again, each on the same interface under per-packet
	 * balancing over two with probability 1/2: 2^-r <= alpha */
	double r = ceil(log2(100.0 / (100 - e->o.confidence)) - 1e-9);
	e->mp_replays = (uint8_t)(r < 1 ? 1 : r > 16 ? 16 : r);
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
	uint32_t *start;
	if (bt_spool_sort(recs + r->off[best], r->off[best + 2] - r->off[best], r->ntargets, BT_MDA_FLOWS, a,
			  &start) != 0) {
		bt_acct_free(a, start, (r->ntargets + 1) * sizeof(uint32_t));
		return -1;
	}
	bt_acct_free(a, r->start[best], (r->ntargets + 1) * sizeof(uint32_t));
	bt_acct_free(a, r->start[best + 1], (r->ntargets + 1) * sizeof(uint32_t));
	r->start[best] = start;
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
	if (nrec < done ||
	    bt_spool_sort(v->recs + done, nrec - done, runs->ntargets, BT_MDA_FLOWS, a, &runs->start[runs->n]) != 0) {
		snprintf(err, errlen, "multipath: out of memory, or the spool file was changed");
		return -1;
	}
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
	size_t nt = r->ntargets;
	memset(r, 0, sizeof(*r));
	r->ntargets = nt;
}

const bt_rec *bt_mda_view_target(mda_view *v, size_t t, size_t *n)
{
	const mda_runs *r = v->runs;
	size_t total = 0, k = 0;
	unsigned one = 0;
	for (unsigned i = 0; i < r->n; i++)
		if (r->start[i][t + 1] > r->start[i][t]) {
			total += r->start[i][t + 1] - r->start[i][t];
			one = i;
			k++;
		}
	*n = total;
	if (k <= 1) /* in one run: no copy */
		return total ? v->recs + r->off[one] + r->start[one][t] : v->recs;
	if (total > v->cap) {
		bt_rec *nb = realloc(v->buf, total * sizeof(bt_rec));
		if (nb == NULL)
			return NULL;
		v->buf = nb;
		v->cap = total;
	}
	k = 0;
	for (unsigned i = 0; i < r->n; i++) {
		size_t m = r->start[i][t + 1] - r->start[i][t];
		memcpy(v->buf + k, v->recs + r->off[i] + r->start[i][t], m * sizeof(bt_rec));
		k += m;
	}
	return v->buf;
}

bool bt_mda_view_touched(const mda_view *v, size_t t)
{
	const mda_runs *r = v->runs;
	return r->n > 0 && r->start[r->n - 1][t + 1] > r->start[r->n - 1][t];
}

/* The order flows are taken in: the flow indices bit-reversed (0, 32, 16,
 * 48, ...), so that the first n of them spread over the 64 instead of being
 * n adjacent checksums or ports, which a weak load-balancer hash can send
 * down fewer branches than chance would (doc/probing.md, "Multipath").
 * Its own inverse. */
unsigned bt_mda_flow_at(unsigned i)
{
	_Static_assert((BT_MDA_FLOWS & (BT_MDA_FLOWS - 1)) == 0, "BT_MDA_FLOWS: a power of 2");
	unsigned r = 0;
	for (unsigned b = 1; b < BT_MDA_FLOWS; b <<= 1, i >>= 1)
		r = (r << 1) | (i & 1);
	return r;
}

static bool stop_found(unsigned stop)
{
	return stop == BT_STOP_COMPLETED || stop == BT_STOP_UNREACHABLE;
}

/* ---- what a target needs next ---- */

typedef struct ttl_stat {
	uint8_t nif;            /* interfaces seen (at most BT_MDA_FLOWS kept) */
	uint8_t probed;         /* flows answered here, or at the destination below */
	uint8_t sent;           /* flows sent through here (answered or not) */
	uint8_t pp;             /* a flow answered from two addresses: per packet */
	uint8_t replayed;       /* flows were sent again here */
	bt_faddr ifs[BT_MDA_FLOWS];
} ttl_stat;

typedef struct mda_scan {
	ttl_stat *ttl;          /* per TTL index */
	bt_faddr *first;        /* per flow and TTL index: its first reply's address */
	unsigned nslots;
	int last;               /* the highest TTL index a flow reached */
	unsigned nextflow;      /* flows used so far */
} mda_scan;

static void scan_hop(mda_scan *sc, const bt_rec *r)
{
	ttl_stat *st = &sc->ttl[r->slot];
	bt_faddr a = r->u.hop.addr;
	unsigned i;
	for (i = 0; i < st->nif && st->ifs[i] != a; i++)
		;
	if (i == st->nif && st->nif < BT_MDA_FLOWS)
		st->ifs[st->nif++] = a;
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
}

static void scan_end(mda_scan *sc, const bt_rec *r)
{
	unsigned lo = MP_LO(r->u.end.fill), end = MP_END(r->u.end.fill), nh = r->b;
	if (r->a == BT_STOP_ERROR)
		return;
	if (end > sc->nslots)
		end = sc->nslots;
	for (unsigned h = lo; h < end; h++) {
		ttl_stat *st = &sc->ttl[h];
		bool through = h < nh || stop_found(r->a);
		if (r->u.end.fill & MP_REPLAY)
			st->replayed = 1;
		else if (through && st->sent < 255)
			st->sent++;
		if (!(r->u.end.fill & MP_REPLAY) && h >= nh && stop_found(r->a) && st->probed < 255)
			st->probed++; /* the destination answered below: through */
	}
	if ((int)nh - 1 > sc->last)
		sc->last = (int)nh - 1;
}

static void scan_target(mda_scan *sc, const bt_rec *r, size_t n)
{
	for (unsigned h = 0; h < sc->nslots; h++)
		sc->ttl[h].nif = sc->ttl[h].probed = sc->ttl[h].sent = sc->ttl[h].pp = sc->ttl[h].replayed = 0;
	sc->last = -1;
	sc->nextflow = 0;
	for (size_t i = 0; i < n; i++) {
		if (bt_mda_flow_at(r[i].in % BT_MDA_FLOWS) >= sc->nextflow)
			sc->nextflow = bt_mda_flow_at(r[i].in % BT_MDA_FLOWS) + 1;
		if (r[i].kind == BT_REC_HOP && r[i].slot < sc->nslots)
			scan_hop(sc, &r[i]);
		else if (r[i].kind == BT_REC_END)
			scan_end(sc, &r[i]);
	}
	for (size_t i = 0; i < n; i++) /* clean for the next target */
		if (r[i].kind == BT_REC_HOP && r[i].slot < sc->nslots)
			sc->first[(size_t)(r[i].in % BT_MDA_FLOWS) * sc->nslots + r[i].slot] = BT_FADDR_NONE;
	if (sc->last >= (int)sc->nslots)
		sc->last = (int)sc->nslots - 1;
}

#define SEG_GAP 1 /* needing TTLs this close share one segment */

/* Whether TTL index h needs more flows (replay false), or has several
 * interfaces and was never replayed (replay true); *d: the flows it lacks.
 * n(k) counts answers (a lost reply asks for another flow), but a TTL is
 * sent at most 2 n(k) flows: beyond, the losses are a rate-limiting or
 * overloaded router's, and more flows only add to them. */
static bool ttl_needs(const bt_engine *e, const ttl_stat *st, unsigned prev_nif, bool replay, unsigned *d)
{
	unsigned n = e->mp_need[st->nif];
	*d = st->probed < n ? n - st->probed : 0;
	if (st->sent + *d > 2 * n)
		*d = st->sent < 2 * n ? 2 * n - st->sent : 0;
	if (st->nif == 0 || st->pp)
		return false;
	/* replays where the interfaces grow from the TTL before: a balancer
	 * splits there (per-packet balancing further down a branch already
	 * split is not looked for) */
	return replay ? st->nif >= 2 && st->nif > prev_nif && !st->replayed : *d > 0;
}

/* The next segment at or after *h: TTLs [*lo, *hi] that need (the gaps
 * between them at most SEG_GAP TTLs that answered, or silent ones), and
 * the most flows one of them lacks.
 * False when none is left. */
static bool next_segment(const bt_engine *e, const mda_scan *sc, bool replay, int *h, int *lo, int *hi,
			 unsigned *deficit)
{
	unsigned d;
	*lo = -1;
	*deficit = 0;
	for (; *h <= sc->last; (*h)++) {
		if (!ttl_needs(e, &sc->ttl[*h], *h > 0 ? sc->ttl[*h - 1].nif : 1, replay, &d)) {
			/* a silent TTL does not end a segment: its replies may
			 * all have been lost, and the flows go through it anyway */
			if (*lo >= 0 && *h - *hi > SEG_GAP && sc->ttl[*h].nif != 0)
				break;
			continue;
		}
		if (*lo < 0)
			*lo = *h;
		*hi = *h;
		*deficit = d > *deficit ? d : *deficit;
	}
	return *lo >= 0;
}

/* Appends target t's entries of the next round at e->mp[*k], per segment
 * of TTLs that need them: the flows missing, over the segment and the TTL
 * on each side unless it has exactly one interface (a silent one may have
 * lost its replies) (a link is one flow at two
 * consecutive TTLs; beside a TTL of one interface the links are implied:
 * MDA-Lite), new flows for each segment; and flows of before sent again once over each segment of
 * TTLs with several interfaces (per-packet balancing). 0, or -1 when out of
 * memory. */
static int plan_target(bt_engine *e, const mda_scan *sc, size_t t, size_t *k)
{
	uint32_t base = (uint32_t)(t * BT_MDA_FLOWS);
	unsigned next = sc->nextflow, deficit;
	int lo, hi;
	for (int h = 0; next < BT_MDA_FLOWS && next_segment(e, sc, false, &h, &lo, &hi, &deficit);) {
		unsigned m = deficit < BT_MDA_FLOWS - next ? deficit : BT_MDA_FLOWS - next;
		unsigned from = lo > 0 && sc->ttl[lo - 1].nif != 1 ? (unsigned)lo - 1 : (unsigned)lo;
		/* past the segment unless the next TTL is one interface: a
		 * branch may be longer than the flows seen so far */
		unsigned end = hi + 1 < (int)sc->nslots && (hi == sc->last || sc->ttl[hi + 1].nif != 1) ?
				       (unsigned)hi + 2 : (unsigned)hi + 1;
		if (mp_reserve(e, *k, m) != 0)
			return -1;
		for (unsigned f = 0; f < m; f++)
			e->mp[(*k)++] = (bt_mp_entry){ base + bt_mda_flow_at(next++), MP_RANGE(from, end) };
	}
	unsigned old = 0; /* replays take flows of before, each once a round */
	for (int h = 0; old < sc->nextflow && next_segment(e, sc, true, &h, &lo, &hi, &deficit);) {
		unsigned r = e->mp_replays < sc->nextflow - old ? e->mp_replays : sc->nextflow - old;
		if (mp_reserve(e, *k, r) != 0)
			return -1;
		for (unsigned f = 0; f < r; f++)
			e->mp[(*k)++] = (bt_mp_entry){ base + bt_mda_flow_at(old++), MP_RANGE(lo, hi + 1) | MP_REPLAY };
	}
	return 0;
}

static int scan_alloc(mda_scan *sc, unsigned nslots, bt_acct *a)
{
	memset(sc, 0, sizeof(*sc));
	sc->nslots = nslots;
	sc->ttl = bt_acct_alloc(a, nslots * sizeof(ttl_stat));
	sc->first = bt_acct_alloc(a, (size_t)nslots * BT_MDA_FLOWS * sizeof(bt_faddr));
	if (sc->first)
		memset(sc->first, 0, (size_t)nslots * BT_MDA_FLOWS * sizeof(bt_faddr));
	return sc->ttl && sc->first ? 0 : -1;
}

static void scan_free(mda_scan *sc, bt_acct *a)
{
	bt_acct_free(a, sc->ttl, sc->nslots * sizeof(ttl_stat));
	bt_acct_free(a, sc->first, (size_t)sc->nslots * BT_MDA_FLOWS * sizeof(bt_faddr));
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
	if (scan_alloc(&sc, e->nslots, pacct(e)) != 0) {
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
		if (r == NULL || (scan_target(&sc, r, n), plan_target(e, &sc, t, &k)) != 0) {
			snprintf(err, errlen, "multipath: out of memory for the next round");
			goto out;
		}
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
	e->mp_result = mda_plan(e, e->mp_err, sizeof(e->mp_err));
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
