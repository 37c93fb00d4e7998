/* bordertrace — the engine's internal types, private to prober/: the pool
 * entry of a target in progress, its slot states, and the engine itself
 * (engine.c), which embeds the generic parts kept in files of their own:
 * timer wheel and ready ring (wheel.h), tables (table.h), capture
 * (capture.h), source selection (source.h), spool (spool.h), the address
 * family (family.h). The white-box tests drive the state machine through
 * the bt_engine_wb_* entry points at the end. */
#ifndef BT_PROBER_ENGINE_INT_H
#define BT_PROBER_ENGINE_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "acct.h"
#include "capture.h"
#include "family.h"
#include "intern6.h"
#include "linkout.h"
#include "source.h"
#include "spool.h"
#include "table.h"
#include "wheel.h"
#include "meter.h"
#include "bordertrace/engine.h"
#include "bordertrace/probe.h"

/* Multipath (mda.c): an entry of a round, a flow of one target over a TTL
 * index range; the pool entry keeps the range in `fill` (split TTL is off). */
typedef struct bt_mp_entry {
	uint32_t in;            /* target x BT_MDA_FLOWS + flow index */
	uint32_t range;         /* MP_LO | MP_END << 8 | MP_REPLAY | MP_ONCE | MP_WAIT */
} bt_mp_entry;
#define MP_LO(r) ((unsigned)(r) & 0xffu)
#define MP_END(r) (((unsigned)(r) >> 8) & 0x1ffu)
#define MP_REPLAY 0x20000u      /* a flow sent again to test per-packet balancing */
#define MP_ONCE 0x40000u        /* each probe sent once: the rule's next flows make up a loss */
#define MP_WAIT(ms) ((uint32_t)(ms) << 19) /* its own wait, ms (below the run's); 0: the run's */
#define MP_WAIT_MS(r) ((unsigned)(r) >> 19)
#define MP_WAIT_MAX 8191u
#define MP_RANGE(lo, end) ((uint32_t)(lo) | (uint32_t)(end) << 8)
/* The flow index a target's i-th flow takes (its own inverse; prober/mda.c). */
unsigned bt_mda_flow_at(unsigned i);

/* The spool as runs sorted by target, one per plan: run r's records of
 * target t are recs[off[r] + start[r][t]] .. recs[off[r] + start[r][t + 1]]
 * (a round's records are sorted once, after it: not the whole file again). */
#define BT_MDA_RUNS 48 /* at most (<= 64: a bit each in mda_runs.has); beyond, the two smallest adjacent runs become one */
typedef struct mda_runs {
	uint32_t *start[BT_MDA_RUNS];
	uint64_t off[BT_MDA_RUNS + 1];
	uint64_t *has;          /* per target: bit i, it has records in run i */
	unsigned n;
	size_t ntargets;
} mda_runs;
/* The spool mapped, its records since the last run sorted into a new run;
 * a target's records gathered from every run. */
typedef struct mda_view {
	bt_rec *recs;           /* NULL: an empty spool */
	size_t len;
	mda_runs *runs;
	bt_rec *buf;            /* a target's records from several runs */
	size_t cap;
} mda_view;
/* A plan maps the first nrec records (all false), the build every one. */
int bt_mda_view_open(mda_view *v, bt_spool *s, uint64_t nrec, mda_runs *runs, bool all, bt_acct *a, char *err,
		     size_t errlen);
void bt_mda_view_close(mda_view *v);
/* Target t's records (*n of them), or NULL when out of memory. */
const bt_rec *bt_mda_view_target(mda_view *v, size_t t, size_t *n);
/* Whether target t has records in the newest run (it probed last round). */
bool bt_mda_view_touched(const mda_view *v, size_t t);
void bt_mda_runs_free(mda_runs *r, bt_acct *a);

/* A TTL slot: its state and the attempts sent (state | attempt << 3). */
enum { SLOT_UNSENT = 0, SLOT_INFLIGHT, SLOT_RETRY, SLOT_REPLIED, SLOT_GAP };
#define S_STATE(b) ((uint8_t)((b) & 7))
#define S_ATT(b) ((uint8_t)((b) >> 3))
#define S_MAKE(state, att) ((uint8_t)((state) | (att) << 3))

#define NONE 0xff               /* no slot index (slots are 0..254) */

/* A target in progress: what steers its probing (its replies are in the
 * spool). */
/* A metered TTL's parked targets, first in first out (engine.c park). */
typedef struct bt_parkq {
	uint32_t head, tail; /* pool indices; valid while count > 0 */
	uint32_t count;
} bt_parkq;

typedef struct target {
	uint32_t in;            /* input entry: e->input[in / nflows], flow in % nflows */
	bt_faddr dst, src;      /* IPv6: bt_fold6 of the input address, an intern handle */
	uint32_t start_ms;      /* ms after the run's start, first probe (49 days) */
	uint32_t fill;          /* split: input entry + 1 the hops below back_stop come from */
	uint16_t probes;
	uint8_t next;           /* index of the next never-sent TTL (forward) */
	uint8_t frontier;       /* every forward index below is settled */
	uint8_t stop_idx;       /* index of the destination / unreachable reply; NONE */
	uint8_t gap_run;        /* consecutive gaps ending at the frontier */
	uint8_t back_stop;      /* split: indices below are taken from another trace */
	uint8_t outstanding;
	uint8_t stop_reason;    /* bt_stop, pending until the frontier gets there */
	uint8_t live : 1, fwd_done : 1;
	uint8_t queued : 1;     /* in the ready queue (at most once) */
	uint8_t started : 1;    /* start_ms is set */
	uint8_t v6 : 1;         /* an IPv6 target (family.h) */
	uint8_t parked : 1;     /* in a metered TTL's parked ring (at most once) */
	int16_t back;           /* split: next backward index to send; -1 none left */
} target;
_Static_assert(sizeof(target) <= 32, "the pool header stays small");

struct bt_engine {
	bt_engine_opts o;
	const bt_family *fam;   /* IPv4 */
	bt_flow flow;           /* the first flow; matching derives the others */
	bt_flow *flows;         /* nflows of them */
	bt_probe_builder *pb;
	bt_probe_builder *pb6;  /* NULL: no IPv6 here (v6err says why) */
	char v6err[160];
	bt_capture cap_;
	bt_engine_stats st;
	bt_engine_progress_cb pcb;
	void *pcbarg;
	uint64_t pinterval;
	/* per run */
	const bt_addr *input;   /* the caller's targets */
	size_t ninput;          /* entries: targets x flows */
	size_t next_input;
	target *tg;             /* the pool: cap entries */
	uint8_t *arena;         /* per entry: slot states, then send times */
	size_t stride;
	uint32_t cap;
	uint32_t *freelist;
	uint32_t nfree;
	uint32_t nactive;       /* live targets */
	bt_ring ready;          /* pool indices with a probe to send */
	bt_meters meters;       /* per slot index: rate-limit learning (meter.h) */
	bt_parkq *parked;       /* per slot index: targets waiting only for that
				   TTL's meter, a list through park_next */
	uint32_t *park_next;    /* per pool index: the next target of its parked
				   list (one array for every TTL: a target waits
				   in one list at most; allocated when first used) */
	uint32_t nparked;
	uint32_t ready_max;     /* order "spread": take targets up only below this */
	bt_wheel wheel;         /* per pool index: the earliest probe deadline */
	uint64_t last_timers;   /* when the timers last ran (mono µs) */
	bool stale;             /* the loop stalled: 16-bit send ages may wrap */
	bt_table targets;       /* (family, flow, dst) -> pool index + 1, keys from
				   the pool; IPv6 confirmed against the input */
	uint16_t nslots;
	uint16_t split_idx;     /* 0: no split */
	bt_table stop;          /* split: (family, ttl, addr) -> input entry + 1 of the first trace that saw it */
	bt_spool spool;
	bt_source source;
	bt_source source6;
	bt_linkout *lo;         /* send_path packet: the packet socket; NULL: raw only */
	bt_intern6 intern;      /* IPv6 reply sources and sources -> handles (a run's) */
	uint64_t now;
	unsigned tshift;        /* send times: units of 2^tshift µs, 16 bits */
	uint32_t wait_units;
	uint64_t mono0;         /* the run's start, both clocks */
	int64_t wall0;
	int64_t wall_to_mono;   /* monotonic minus wall clock, at the last capture read */
	bt_acct acct;
	bt_engine_trace_cb cb;
	void *cbarg;
	int cb_failed;
	bt_rbatch rb;           /* replies of one capture block, matched */
	/* multipath: the entries waiting to be taken up (input entry i is
	 * mpq[i]; plans append to it), and a plan's output */
	bt_mp_entry *mpq;
	size_t mpq_cap;
	bt_mp_entry *mp;
	size_t mp_cap;
	size_t ntargets;
	unsigned mp_round;
	uint8_t mp_need[BT_MDA_FLOWS + 1]; /* flows the rule needs at k interfaces */
	uint8_t mp_replays;     /* flows sent again to test per-packet balancing */
	mda_runs mp_runs;       /* the spool's sorted runs */
	uint8_t *mp_tround;     /* per target: its rounds so far */
	uint8_t *mp_busy;       /* per target, while planning: an entry in progress or queued */
	uint64_t mp_planned;    /* when the last plan ended (mono µs) */
	uint64_t mp_took;       /* how long the last plan ran (µs) */
	uint64_t mp_done_at;    /* entries ended when the last plan started */
	uint64_t mp_done0;      /* ... when the run started (progress) */
	/* the plan running beside the sends (mda.c): what it reads and writes
	 * above is its own until it is collected */
	pthread_t mp_tid;
	bool mp_running, mp_threaded;
	bool mp_final;          /* it started with nothing in progress or queued */
	bool mp_over;           /* no more plans: the rule holds everywhere */
	atomic_bool mp_finished;
	long mp_result;
	char mp_err[160];
	uint64_t mp_nrec;       /* the spool records it reads */
	bt_acct mp_acct, *mp_pacct;
	uint64_t mp_base;
};

/* ---- the pool: per entry, slot states, then the latest send time of each
 * slot: 16 bits of the run's clock in units of 2^tshift µs, tshift the
 * smallest for which they span four waits (32 µs at a 0.5 s wait, 64 µs at
 * 1 s), so that an RTT up to four waits and a timeout checked up to three
 * waits late both come out right ---- */

static inline uint32_t tidx(const bt_engine *e, const target *t)
{
	return (uint32_t)(t - e->tg);
}
static inline uint8_t *t_slot(const bt_engine *e, const target *t)
{
	return e->arena + (size_t)tidx(e, t) * e->stride;
}
static inline uint16_t *t_sent(const bt_engine *e, const target *t)
{
	return (uint16_t *)(e->arena + (size_t)tidx(e, t) * e->stride + ((e->nslots + 1u) & ~1u));
}
static inline uint16_t t_flow(const bt_engine *e, const target *t)
{
	return e->o.nflows == 1 ? 0 : (uint16_t)(t->in % e->o.nflows);
}
/* One past the last TTL index this pool entry probes. */
static inline unsigned t_end(const bt_engine *e, const target *t)
{
	return __builtin_expect(e->o.multipath, 0) ? MP_END(t->fill) : e->nslots;
}
static inline uint32_t rel32(const bt_engine *e, uint64_t mono)
{
	return (uint32_t)(mono - e->mono0);
}

static inline uint64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static inline int64_t wall_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- a run's state (engine_open.c) ---- */

/* Sizes and allocates a run over targets: nothing taken up yet, no socket
 * used (the white-box tests call it on an engine of their own). 0, or -1
 * with a message; bt_engine_free_run frees what it allocated either way. */
int bt_engine_setup_run(bt_engine *e, const bt_addr *targets, size_t n, char *err, size_t errlen);
/* Frees what steers probing (the traces are built after it). */
void bt_engine_free_probing(bt_engine *e);
/* Frees the rest: the spool. */
void bt_engine_free_run(bt_engine *e);

/* ---- multipath (mda.c) ---- */

/* The first round's entries: every target with the flows the rule needs
 * at one interface, over every TTL. 0, or -1 with a message. */
int bt_mda_first(bt_engine *e, char *err, size_t errlen);
/* The next round's entries (into e->mp) for the targets with nothing in
 * progress or queued, from the replies so far (the spool): how many (0:
 * the stopping rule holds for them), or -1 with a message. */
long bt_mda_next(bt_engine *e, char *err, size_t errlen);
/* bt_mda_first's list becomes the queue the engine takes entries from. */
void bt_mda_first_queue(bt_engine *e);
/* Starts bt_mda_next's work in a thread of its own, beside the sends (in
 * the caller's when no thread can be made). 0, or -1 with a message. */
int bt_mda_plan_start(bt_engine *e, char *err, size_t errlen);
/* The running plan's entries appended to the queue: how many; -2 none
 * running; -3 not finished (wait false); -1 with a message. */
long bt_mda_plan_collect(bt_engine *e, bool wait, char *err, size_t errlen);
/* One record per target from every round's replies, in target order
 * (mda_record.c). */
int bt_mda_assemble(bt_spool *s, const bt_spool_run *run, mda_runs *runs, char *err, size_t errlen);
void bt_mda_free(bt_engine *e);

/* ---- white-box entry points (tests/prober/test_timeouts.c): the state
 * machine's own functions, driven with a made-up clock and no socket ---- */

/* Puts target t (pool index) in the target table. 0, or -1 if its key is there. */
int bt_engine_wb_insert(bt_engine *e, target *t);
/* A send's bookkeeping (in flight since now, timer armed), without the send. */
void bt_engine_wb_sent(bt_engine *e, target *t, int idx, uint8_t attempt);
int bt_engine_wb_next_slot(const bt_engine *e, const target *t);
void bt_engine_wb_advance(bt_engine *e, target *t);
void bt_engine_wb_timers(bt_engine *e);
/* The target in progress for an IPv6 reply to flow index fi and
 * destination dst (16 bytes): pool index + 1, or 0. */
uint32_t bt_engine_wb_find6(const bt_engine *e, uint16_t fi, const uint8_t *dst);
/* One captured packet through the engine's reply path (as pcap would
 * deliver it, dlt of the capture); the batch is flushed after it. */
void bt_engine_wb_packet(bt_engine *e, const uint8_t *pkt, size_t caplen);

#endif
