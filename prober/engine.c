/* bordertrace — the probe engine (see include/bordertrace/engine.h).
 *
 * Per-target state is a small array of TTL slots: unsent, in flight, waiting
 * for a retry, replied, or given up (a gap), with the attempt count and the
 * latest send time. A "frontier" walks the slots in TTL order as they settle;
 * the gap limit, the destination's answer and max TTL end a trace there.
 * Sends are paced by a token bucket shared by all targets; targets with a
 * probe to send wait in a ready queue (round-robin, one probe per visit) and
 * probe timeouts sit in a timer wheel of per-target deadlines, so the work
 * per probe does not grow with the number of targets in progress.
 *
 * Scale: only a window of targets is in progress at once (the "active"
 * pool); the others cost nothing but their address in the caller's array.
 * Replies are not kept in the pool: each accepted reply is appended to a
 * spool file (32-byte records), and so is a closing record when a trace
 * ends. When probing is over the spool is sorted by target in place and the
 * traces are built from it and delivered in input order. The pool keeps only
 * what steers probing: 3 bytes per TTL, a 32-byte header and its place in
 * the timer wheel (8 bytes).
 *
 * Per probe, the work is kept off memory that is not in the cache: probes are
 * libnet's template with the varying fields patched in (probe.c), the target
 * a few ready-queue places ahead and the next timer's target are fetched
 * early, and the replies of a capture block are matched first and their
 * targets fetched together before any is handled.
 *
 * Split TTL (Doubletree, FlashRoute): probing starts at split_ttl and goes
 * forward to the destination as usual, then backward toward the VP; a
 * backward reply from an interface that another trace of this run already
 * saw at the same TTL stops it, and the TTLs below are taken from that trace
 * when the traces are built (the "stop set" maps (TTL, interface) to the
 * first trace that saw it, as soon as the reply arrives). */
#include "bordertrace/engine.h"

#include <errno.h>
#include <fcntl.h>
#include <libnet.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bordertrace/probe.h"
#include "bordertrace/reply.h"

enum { SLOT_UNSENT = 0, SLOT_INFLIGHT, SLOT_RETRY, SLOT_REPLIED, SLOT_GAP };
#define S_STATE(b) ((uint8_t)((b) & 7))
#define S_ATT(b) ((uint8_t)((b) >> 3))
#define S_MAKE(state, att) ((uint8_t)((state) | (att) << 3))

#define NONE 0xff               /* no slot index (slots are 0..254) */
#define MIN_ACTIVE 4096u
#define MAX_ACTIVE (1u << 22)
#define PREFETCH_AHEAD 8        /* ready-queue visits */

/* A reply as the spool keeps it: 16 bytes instead of a bt_hop. */
typedef struct chop {
	uint32_t addr;          /* network order; 0: none */
	uint32_t rtt_us;
	uint16_t size;
	uint8_t reply_ttl;
	uint8_t type;           /* ICMP type, or the TCP flags when CH_TCP */
	uint8_t code, qttl, attempt, flags;
} chop;
enum { CH_TCP = 1 };

/* A spool record. */
enum { REC_HOP = 1, REC_MPLS, REC_END };
typedef struct rec {
	uint32_t in;            /* input entry: target x flow */
	uint8_t kind;
	uint8_t slot;           /* HOP, MPLS: the TTL index; END: back_stop */
	uint8_t a, b;           /* MPLS: first label index, count; END: bt_stop, hop count */
	union {
		chop hop;
		bt_mpls mpls[3];
		struct {
			int64_t start_us;  /* UTC, first probe */
			uint32_t dur;      /* to the end: µs, or ms | DUR_MS when longer */
			uint32_t probes;
			uint32_t src;      /* network order */
			uint32_t fill;     /* input entry + 1 the hops below back_stop come from */
		} end;
	} u;
} rec;
_Static_assert(sizeof(rec) == 32, "spool records are 32 bytes");
#define DUR_MS 0x80000000u
#define SPOOL_BUF 512           /* records buffered before a write (16 KiB) */

typedef struct target {
	uint32_t in;            /* input entry: e->input[in / nflows], flow in % nflows */
	uint32_t dst, src;      /* network order */
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
	int16_t back;           /* split: next backward index to send; -1 none left */
} target;
_Static_assert(sizeof(target) <= 32, "the pool header stays small");

/* A place in the timer wheel: the neighbours in its bucket's ring (pool
 * indices; the buckets' own heads follow the pool's cap entries). */
typedef struct tlink {
	uint32_t prev, next;    /* NOT_ARMED in next: no timer */
} tlink;
#define NOT_ARMED UINT32_MAX
#define WHEEL 1024u             /* buckets; they span at least two waits */

/* A matched reply waiting, with others of its capture block, for its
 * target's state to be fetched from memory. */
#define RBATCH 32
typedef struct pending {
	bt_reply r;
	bt_match m;
	uint64_t key;           /* its target's (flow, dst) key ... */
	size_t h;               /* ... and home slot in the target table */
	target *t;
} pending;

struct bt_engine {
	bt_engine_opts o;
	bt_flow flow;           /* the first flow; matching derives the others */
	bt_flow *flows;         /* nflows of them */
	bt_probe_builder *pb;
	pcap_t *pcap;
	int pcap_fd;
	int dlt;
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
	uint32_t *ready;        /* ring of pool indices with a probe to send */
	uint32_t rhead, rcount, rmask; /* ring of rmask + 1 >= cap entries */
	tlink *tl;              /* timer wheel: cap entries, WHEEL heads, a spare head */
	unsigned wshift;        /* a bucket is 2^wshift µs of the run's clock */
	uint32_t wnext;         /* the next bucket to run (µs >> wshift) */
	uint64_t last_timers;   /* when the timers last ran (mono µs) */
	bool stale;             /* the loop stalled: 16-bit send ages may wrap */
	uint32_t ntimers;
	uint32_t *hvals;        /* open addressing: (flow, dst) -> pool index + 1 */
	size_t hmask;
	uint16_t nslots;
	uint16_t split_idx;     /* 0: no split */
	/* stop set: (ttl, addr) -> input entry + 1 of the first trace that saw it */
	uint64_t *skeys;
	uint32_t *svals;
	size_t smask, scount;
	/* spool */
	int spool_fd;
	rec *sbuf;
	size_t sn;              /* records in sbuf */
	uint64_t srecs;         /* records written */
	int spool_errno;
	const char *spool_where; /* its directory, for messages */
	/* route cache: the source toward a /24 */
	int route_fd;
	uint32_t rc_net[256], rc_src[256];
	uint8_t rc_ok[256];
	uint64_t now;
	unsigned tshift;        /* send times: units of 2^tshift µs, 16 bits */
	uint32_t wait_units;
	uint64_t mono0;         /* the run's start, both clocks */
	int64_t wall0;
	uint64_t bytes, bytes_peak;
	bt_engine_trace_cb cb;
	void *cbarg;
	int cb_failed;
	pending rb[RBATCH];     /* replies of one capture block, matched */
	unsigned nrb;
};

void bt_engine_opts_default(bt_engine_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->method = BT_METHOD_ICMP_PARIS;
	o->first_ttl = 1;
	o->max_ttl = 32;
	o->attempts = 2;
	o->gap_limit = 5;
	o->window = 1;
	o->nflows = 1;
	o->wait_us = 1000000;
	o->rate_pps = 100;
}

uint32_t bt_engine_active_default(const bt_engine_opts *o)
{
	double need = (double)o->rate_pps * o->wait_us / 1e6 / (o->window ? o->window : 1);
	if (need < MIN_ACTIVE)
		return MIN_ACTIVE;
	if (need > MAX_ACTIVE)
		return MAX_ACTIVE;
	return (uint32_t)need;
}

static uint64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int64_t wall_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int check_opts(const bt_engine_opts *o, char *err, size_t errlen)
{
	if (o->first_ttl < 1 || o->max_ttl < o->first_ttl)
		snprintf(err, errlen, "first TTL %u must be between 1 and max TTL %u", o->first_ttl, o->max_ttl);
	else if (o->attempts < 1 || o->attempts > BT_PROBE_MAX_ATTEMPTS)
		snprintf(err, errlen, "attempts must be 1..%d", BT_PROBE_MAX_ATTEMPTS);
	else if (o->gap_limit < 1)
		snprintf(err, errlen, "gap limit must be at least 1");
	else if (o->split_ttl != 0 && (o->split_ttl < o->first_ttl || o->split_ttl > o->max_ttl))
		snprintf(err, errlen, "split TTL %u must lie between first TTL %u and max TTL %u",
			 o->split_ttl, o->first_ttl, o->max_ttl);
	else if (o->window < 1)
		snprintf(err, errlen, "window must be at least 1");
	else if (o->rate_pps < 1)
		snprintf(err, errlen, "rate must be at least 1 packet per second");
	else if (o->wait_us < 1000 || o->wait_us > 60000000)
		snprintf(err, errlen, "wait must be 1 ms..60 s");
	else if (o->nflows < 1 || o->flow > BT_PROBE_MAX_FLOW || o->flow + o->nflows - 1 > BT_PROBE_MAX_FLOW)
		snprintf(err, errlen, "flows must lie in 0..%d", BT_PROBE_MAX_FLOW);
	else if (bt_addr_is_set(&o->src) && o->src.family != AF_INET)
		snprintf(err, errlen, "source address must be IPv4");
	else
		return 0;
	return -1;
}

static int open_capture(bt_engine *e, char *err, size_t errlen, bool *eperm)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	char filter[512];
	struct bpf_program prog;
	const char *dev = e->o.device ? e->o.device : "any";

	e->pcap = pcap_create(dev, ebuf);
	if (e->pcap == NULL) {
		snprintf(err, errlen, "capture on %s: %s", dev, ebuf);
		return -1;
	}
	pcap_set_snaplen(e->pcap, 2048);
	pcap_set_promisc(e->pcap, 0);
	/* Deliver each reply at once rather than when a TPACKET block fills. */
	pcap_set_immediate_mode(e->pcap, 1);
	/* Room for reply bursts when hundreds of targets answer together. */
	pcap_set_buffer_size(e->pcap, 32 << 20);
	int rc = pcap_activate(e->pcap);
	if (rc < 0) {
		if (rc == PCAP_ERROR_PERM_DENIED)
			*eperm = true;
		snprintf(err, errlen, "capture on %s: %s", dev, pcap_geterr(e->pcap));
		return -1;
	}
	if (pcap_setdirection(e->pcap, PCAP_D_IN) != 0) {
		/* Not fatal: the filter below never matches our own probes. */
	}
	/* Keep our own probes out of the capture socket altogether: without it
	 * the kernel clones every outgoing packet for the socket's filter to
	 * drop (a tenth of the send cost at high rates). Not fatal either. */
	int one = 1;
	(void)setsockopt(pcap_get_selectable_fd(e->pcap), SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	int n = snprintf(filter, sizeof(filter),
		"(icmp and (icmp[icmptype] == icmp-timxceed or icmp[icmptype] == icmp-unreach"
		" or icmp[icmptype] == icmp-echoreply))");
	if (e->o.method == BT_METHOD_TCP_SYN)
		snprintf(filter + n, sizeof(filter) - (size_t)n,
			 " or (tcp and src port %u and dst portrange %u-%u and tcp[tcpflags] & (tcp-rst|tcp-syn) != 0)",
			 e->flow.dport, e->flow.sport, e->flow.sport + e->o.nflows - 1);
	if (pcap_compile(e->pcap, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		snprintf(err, errlen, "capture filter: %s", pcap_geterr(e->pcap));
		return -1;
	}
	rc = pcap_setfilter(e->pcap, &prog);
	pcap_freecode(&prog);
	if (rc != 0) {
		snprintf(err, errlen, "capture filter: %s", pcap_geterr(e->pcap));
		return -1;
	}
	if (pcap_setnonblock(e->pcap, 1, ebuf) != 0) {
		snprintf(err, errlen, "capture: %s", ebuf);
		return -1;
	}
	e->pcap_fd = pcap_get_selectable_fd(e->pcap);
	e->dlt = pcap_datalink(e->pcap);
	if (e->pcap_fd < 0) {
		snprintf(err, errlen, "capture on %s has no selectable descriptor", dev);
		return -1;
	}
	return 0;
}

bt_engine *bt_engine_open(const bt_engine_opts *o, char *err, size_t errlen, bool *eperm)
{
	*eperm = false;
	if (check_opts(o, err, errlen) != 0)
		return NULL;
	/* Probe for the privilege first so the message can say exactly that. */
	int s = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (s < 0) {
		*eperm = (errno == EPERM || errno == EACCES);
		snprintf(err, errlen, "raw socket: %s", strerror(errno));
		return NULL;
	}
	close(s);

	bt_engine *e = calloc(1, sizeof(*e));
	if (e == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	e->o = *o;
	e->pcap_fd = -1;
	e->route_fd = -1;
	e->spool_fd = -1;
	uint32_t secret;
	if (getrandom(&secret, sizeof(secret), 0) != sizeof(secret))
		secret = (uint32_t)mono_us() ^ (uint32_t)getpid() << 16;
	bt_flow_init(&e->flow, o->method, o->flow, o->dport, secret);
	e->flows = calloc(o->nflows, sizeof(*e->flows));
	if (e->flows == NULL) {
		snprintf(err, errlen, "out of memory");
		free(e);
		return NULL;
	}
	for (uint16_t i = 0; i < o->nflows; i++)
		bt_flow_init(&e->flows[i], o->method, (uint16_t)(o->flow + i), o->dport, secret);

	e->pb = bt_probe_builder_open(LIBNET_RAW4, o->device, err, errlen);
	if (e->pb == NULL)
		goto fail;
	if (o->device != NULL) {
		int fd = bt_probe_builder_fd(e->pb);
		if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, o->device, (socklen_t)strlen(o->device)) != 0) {
			snprintf(err, errlen, "interface %s: %s", o->device, strerror(errno));
			goto fail;
		}
	}
	if (bt_addr_is_set(&o->src)) {
		/* The source must be ours, or replies would never come back here. */
		int u = socket(AF_INET, SOCK_DGRAM, 0);
		struct sockaddr_in sin = { .sin_family = AF_INET };
		sin.sin_addr.s_addr = bt_addr_v4(&o->src);
		int rc = u < 0 ? -1 : bind(u, (struct sockaddr *)&sin, sizeof(sin));
		int saved = errno;
		if (u >= 0)
			close(u);
		if (rc != 0) {
			char a[BT_ADDR_STRLEN];
			snprintf(err, errlen, "source address %s: %s", bt_addr_format(&o->src, a, sizeof(a)),
				 strerror(saved));
			goto fail;
		}
	}
	if (open_capture(e, err, errlen, eperm) != 0)
		goto fail;
	return e;
fail:
	bt_engine_close(e);
	return NULL;
}

void bt_engine_close(bt_engine *e)
{
	if (e == NULL)
		return;
	if (e->pcap)
		pcap_close(e->pcap);
	bt_probe_builder_close(e->pb);
	if (e->route_fd >= 0)
		close(e->route_fd);
	free(e->flows);
	free(e);
}

void bt_engine_get_stats(bt_engine *e, bt_engine_stats *s)
{
	struct pcap_stat ps;
	if (e->pcap && pcap_stats(e->pcap, &ps) == 0) {
		e->st.pcap_received = ps.ps_recv;
		e->st.pcap_dropped = ps.ps_drop;
		e->st.pcap_ifdropped = ps.ps_ifdrop;
	}
	*s = e->st;
}


void bt_engine_set_progress(bt_engine *e, bt_engine_progress_cb cb, void *arg, uint32_t interval_ms)
{
	e->pcb = cb;
	e->pcbarg = arg;
	e->pinterval = (uint64_t)(interval_ms ? interval_ms : 1000) * 1000u;
}


/* ---- memory accounting: every per-run allocation goes through these ---- */

static void *ealloc(bt_engine *e, size_t n)
{
	void *p = calloc(1, n ? n : 1);
	if (p != NULL) {
		e->bytes += n;
		if (e->bytes > e->bytes_peak)
			e->bytes_peak = e->bytes;
	}
	return p;
}

static void efree(bt_engine *e, void *p, size_t n)
{
	if (p != NULL) {
		free(p);
		e->bytes -= n;
	}
}

/* ---- the pool: per entry, slot states (state | attempt << 3), then the
 * latest send time of each slot: 16 bits of the run's clock in units of
 * 2^tshift µs, tshift the smallest for which they span four waits (32 µs at
 * a 0.5 s wait, 64 µs at 1 s), so that an RTT up to four waits and a timeout
 * checked up to three waits late both come out right ---- */

static size_t tidx(const bt_engine *e, const target *t)
{
	return (size_t)(t - e->tg);
}
static uint8_t *t_slot(const bt_engine *e, const target *t)
{
	return e->arena + tidx(e, t) * e->stride;
}
static uint16_t *t_sent(const bt_engine *e, const target *t)
{
	return (uint16_t *)(e->arena + tidx(e, t) * e->stride + ((e->nslots + 1u) & ~1u));
}
static uint32_t rel32(const bt_engine *e, uint64_t mono)
{
	return (uint32_t)(mono - e->mono0);
}
static uint16_t units_now(const bt_engine *e)
{
	return (uint16_t)(rel32(e, e->now) >> e->tshift);
}
/* The run's clock n units from now, rounded down to a unit: a timer key. */
static uint32_t units_ahead(const bt_engine *e, uint32_t n)
{
	return ((rel32(e, e->now) >> e->tshift) + n) << e->tshift;
}
static uint16_t t_flow(const bt_engine *e, const target *t)
{
	return e->o.nflows == 1 ? 0 : (uint16_t)(t->in % e->o.nflows);
}
static int64_t wall_at(const bt_engine *e, uint64_t mono)
{
	return e->wall0 + (int64_t)(mono - e->mono0);
}

/* ---- timers: a wheel of WHEEL buckets, each a ring of the targets whose
 * earliest probe deadline falls in it. Deadlines lie at most a wait ahead
 * and the wheel spans two, so a bucket holds one lap; it runs once the clock
 * is past its end (less than 1/256 of a wait late: the timeout itself is then
 * decided by the probe's age). Arming, moving and clearing a timer touch
 * only the small link array, never another target's state. ---- */

static uint32_t head_of(const bt_engine *e, uint32_t at)
{
	return e->cap + ((at >> e->wshift) & (WHEEL - 1));
}

static void tl_unlink(bt_engine *e, uint32_t i)
{
	tlink *l = e->tl;
	l[l[i].prev].next = l[i].next;
	l[l[i].next].prev = l[i].prev;
	l[i].next = NOT_ARMED;
}

/* Arms (or re-arms) target idx's timer for at (µs after the run's start). */
static void timer_set(bt_engine *e, uint32_t idx, uint32_t at)
{
	tlink *l = e->tl;
	if (l[idx].next != NOT_ARMED)
		tl_unlink(e, idx);
	else
		e->ntimers++;
	uint32_t h = head_of(e, at);
	l[idx].prev = l[h].prev;
	l[idx].next = h;
	l[l[h].prev].next = idx;
	l[h].prev = idx;
}

static void timer_clear(bt_engine *e, uint32_t idx)
{
	if (e->tl[idx].next == NOT_ARMED)
		return;
	tl_unlink(e, idx);
	e->ntimers--;
}

static bool timer_armed(const bt_engine *e, uint32_t idx)
{
	return e->tl[idx].next != NOT_ARMED;
}

static void expire(bt_engine *e, target *t);

/* Runs every bucket that ended before now. Each bucket's ring is first
 * moved to a spare head (the one after the buckets), so a target re-armed
 * while it is drained can never land in the ring being walked.
 *
 * Send times are 16 bits of units spanning four waits: after a stall of the
 * loop (SIGSTOP, a blocked write) of more than two waits the ages they give
 * may have wrapped; every probe in flight is then older than its wait
 * anyway, and `stale` makes expire time them all out. */
static void timers_run(bt_engine *e)
{
	uint32_t nowb = rel32(e, e->now) >> e->wshift, mask = UINT32_MAX >> e->wshift;
	uint64_t limit = (uint64_t)(65536u - 2 * e->wait_units) << e->tshift;
	e->stale = e->now - e->last_timers >= limit;
	e->last_timers = e->now;
	unsigned laps = 0;
	tlink *l = e->tl;
	uint32_t spare = e->cap + WHEEL;
	while (e->ntimers > 0 && e->wnext != nowb && laps++ < WHEEL) {
		uint32_t h = e->cap + (e->wnext & (WHEEL - 1));
		if (l[h].next != h) {
			l[spare] = l[h];
			l[l[spare].next].prev = spare;
			l[l[spare].prev].next = spare;
			l[h].next = l[h].prev = h;
		}
		while (l[spare].next != spare) {
			uint32_t i = l[spare].next;
			uint32_t after = l[i].next;
			if (after != spare) {
				__builtin_prefetch(&e->tg[after], 1);
				__builtin_prefetch(e->arena + (size_t)after * e->stride, 1);
			}
			timer_clear(e, i);
			expire(e, &e->tg[i]);
		}
		e->wnext = (e->wnext + 1) & mask;
	}
	e->wnext = nowb;
	e->stale = false;
}

/* µs from now until the earliest bucket with a timer ends; -1: none. */
static int64_t timers_next_us(const bt_engine *e, uint32_t now_rel)
{
	if (e->ntimers == 0)
		return -1;
	for (uint32_t k = 0; k < WHEEL; k++) {
		uint32_t b = e->wnext + k;
		if (e->tl[e->cap + (b & (WHEEL - 1))].next != e->cap + (b & (WHEEL - 1))) {
			uint32_t end = (b + 1) << e->wshift;
			int32_t d = (int32_t)(end - now_rel);
			return d > 0 ? d : 0;
		}
	}
	return 0;
}

/* ---- the ready queue: targets that may have a probe to send ---- */

static int next_slot(const bt_engine *e, const target *t);

static void enqueue(bt_engine *e, target *t)
{
	t->queued = 1;
	e->ready[(e->rhead + e->rcount++) & e->rmask] = (uint32_t)(t - e->tg);
}

static void make_ready(bt_engine *e, target *t)
{
	if (t->live && !t->queued && next_slot(e, t) >= 0)
		enqueue(e, t);
}

/* After a send: back in the queue while the window allows another probe;
 * whether there is one is found at the next visit (one scan of the slots
 * per probe instead of two). */
static void requeue(bt_engine *e, target *t)
{
	if (t->live && !t->queued && t->outstanding < e->o.window)
		enqueue(e, t);
}

/* A finished target's pool entry is free once nothing refers to it: the
 * ready queue lets go of it when it comes to the front. */
static void retire(bt_engine *e, target *t)
{
	uint32_t idx = (uint32_t)(t - e->tg);
	timer_clear(e, idx);
	e->nactive--;
	if (!t->queued)
		e->freelist[e->nfree++] = idx;
}

/* ---- target table: (flow, dst) -> pool index ---- */

static uint32_t hash32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	x *= 0x846ca68bU;
	x ^= x >> 16;
	return x;
}

static size_t home(uint64_t key, size_t mask)
{
	return hash32((uint32_t)key ^ (uint32_t)(key >> 32) * 0x9e3779b9U) & mask;
}


static uint64_t tkey(const bt_engine *e, const target *t)
{
	return (uint64_t)t_flow(e, t) << 32 | t->dst;
}

/* The target in progress for key (flow index << 32 | dst), searched from its
 * home slot h = home(key); NULL if none. */
static target *lookup(bt_engine *e, uint64_t key, size_t h)
{
	for (size_t i = h;; i = (i + 1) & e->hmask) {
		if (e->hvals[i] == 0)
			return NULL;
		target *t = &e->tg[e->hvals[i] - 1];
		if (tkey(e, t) == key)
			return t;
	}
}

static int insert(bt_engine *e, const target *nt, uint32_t idx)
{
	uint64_t key = tkey(e, nt);
	for (size_t i = home(key, e->hmask);; i = (i + 1) & e->hmask) {
		if (e->hvals[i] == 0) {
			e->hvals[i] = idx + 1;
			return 0;
		}
		if (tkey(e, &e->tg[e->hvals[i] - 1]) == key)
			return -1;
	}
}

/* Linear probing deletion by backward shift: no tombstones, so the table
 * never degrades however many targets pass through the pool. */
static void unlink_target(bt_engine *e, const target *t)
{
	uint32_t v = (uint32_t)tidx(e, t) + 1;
	size_t i = home(tkey(e, t), e->hmask);
	while (e->hvals[i] != 0 && e->hvals[i] != v)
		i = (i + 1) & e->hmask;
	if (e->hvals[i] == 0)
		return;
	for (size_t j = i;;) {
		j = (j + 1) & e->hmask;
		if (e->hvals[j] == 0)
			break;
		size_t k = home(tkey(e, &e->tg[e->hvals[j] - 1]), e->hmask);
		/* move j back to i unless its home lies cyclically in (i, j] */
		bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
		if (stays)
			continue;
		e->hvals[i] = e->hvals[j];
		i = j;
	}
	e->hvals[i] = 0;
}

/* The source the kernel would use toward dst: a connected UDP socket does
 * the route lookup without sending anything. Cached per /24 (a route finer
 * than a /24 with another source is rare enough to ignore), so that
 * activating tens of thousands of targets a second stays cheap. */
static int route_source(bt_engine *e, uint32_t dst, uint32_t *src, int *why)
{
	if (bt_addr_is_set(&e->o.src)) {
		*src = bt_addr_v4(&e->o.src);
		return 0;
	}
	uint32_t h = ntohl(dst), net = h & 0xffffff00u;
	unsigned c = (h >> 8) & 0xff;
	if (e->rc_ok[c] && e->rc_net[c] == net) {
		*src = e->rc_src[c];
		*why = ENETUNREACH;
		return e->rc_ok[c] == 1 ? 0 : -1;
	}
	if (e->route_fd < 0) {
		e->route_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (e->route_fd < 0) {
			*why = errno;
			return -1;
		}
		if (e->o.device)
			(void)setsockopt(e->route_fd, SOL_SOCKET, SO_BINDTODEVICE, e->o.device,
					 (socklen_t)strlen(e->o.device));
	}
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(33435) };
	sin.sin_addr.s_addr = dst;
	socklen_t sl = sizeof(sin);
	int rc = connect(e->route_fd, (struct sockaddr *)&sin, sizeof(sin));
	if (rc == 0)
		rc = getsockname(e->route_fd, (struct sockaddr *)&sin, &sl);
	*why = errno;
	e->rc_net[c] = net;
	e->rc_ok[c] = rc == 0 ? 1 : 2;
	e->rc_src[c] = rc == 0 ? sin.sin_addr.s_addr : 0;
	if (rc != 0) {
		/* a failed connect may leave the socket in an odd state: start over */
		close(e->route_fd);
		e->route_fd = -1;
		return -1;
	}
	*src = sin.sin_addr.s_addr;
	return 0;
}


/* ---- stop set (split TTL) ---- */

/* The input entry + 1 of the trace that first saw addr at ttl; 0: none. */
static uint32_t stop_find(const bt_engine *e, uint8_t ttl, uint32_t addr)
{
	if (e->skeys == NULL)
		return 0;
	uint64_t key = (uint64_t)ttl << 32 | addr;
	for (size_t i = home(key, e->smask);; i = (i + 1) & e->smask) {
		if (e->svals[i] == 0)
			return 0;
		if (e->skeys[i] == key)
			return e->svals[i];
	}
}

static int stop_rehash(bt_engine *e)
{
	size_t ncap = e->skeys ? (e->smask + 1) * 2 : 1024;
	uint64_t *nk = ealloc(e, ncap * sizeof(*nk));
	uint32_t *nv = ealloc(e, ncap * sizeof(*nv));
	if (nk == NULL || nv == NULL) {
		efree(e, nk, ncap * sizeof(*nk));
		efree(e, nv, ncap * sizeof(*nv));
		return -1;
	}
	size_t nmask = ncap - 1;
	for (size_t i = 0; e->skeys && i <= e->smask; i++) {
		if (e->svals[i] == 0)
			continue;
		size_t j = home(e->skeys[i], nmask);
		while (nv[j] != 0)
			j = (j + 1) & nmask;
		nk[j] = e->skeys[i];
		nv[j] = e->svals[i];
	}
	if (e->skeys) {
		efree(e, e->skeys, (e->smask + 1) * sizeof(*e->skeys));
		efree(e, e->svals, (e->smask + 1) * sizeof(*e->svals));
	}
	e->skeys = nk;
	e->svals = nv;
	e->smask = nmask;
	return 0;
}

/* Records that the trace of input entry in saw addr at ttl. Out of memory
 * only means less redundancy removed: not an error. */
static void stop_add(bt_engine *e, uint8_t ttl, uint32_t addr, uint32_t in)
{
	if ((e->skeys == NULL || (e->scount + 1) * 2 > e->smask + 1) && stop_rehash(e) != 0)
		return;
	uint64_t key = (uint64_t)ttl << 32 | addr;
	size_t j = home(key, e->smask);
	while (e->svals[j] != 0)
		j = (j + 1) & e->smask;
	e->skeys[j] = key;
	e->svals[j] = in + 1;
	e->scount++;
}

/* ---- the spool ---- */

static void spool_flush(bt_engine *e)
{
	const char *p = (const char *)e->sbuf;
	size_t left = e->sn * sizeof(rec);
	while (left > 0 && e->spool_errno == 0) {
		ssize_t w = write(e->spool_fd, p, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			e->spool_errno = w < 0 ? errno : EIO;
			break;
		}
		p += w;
		left -= (size_t)w;
	}
	/* only what reached the file counts */
	e->srecs += (e->sn * sizeof(rec) - left) / sizeof(rec);
	e->sn = 0;
}

static rec *spool_next(bt_engine *e)
{
	if (e->sn == SPOOL_BUF)
		spool_flush(e);
	rec *r = &e->sbuf[e->sn++];
	memset(r, 0, sizeof(*r));
	return r;
}

/* An unnamed file in the spool directory: gone when closed, whatever
 * happens to the process. */
static int spool_open(bt_engine *e, char *err, size_t errlen)
{
	const char *dir = e->o.spool_dir;
	if (dir == NULL || *dir == '\0')
		dir = getenv("TMPDIR");
	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	e->spool_where = dir;
	e->spool_fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (e->spool_fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/.bordertrace-spool.XXXXXX", dir);
		e->spool_fd = mkstemp(path);
		if (e->spool_fd >= 0)
			unlink(path);
	}
	if (e->spool_fd < 0) {
		snprintf(err, errlen, "spool file in %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}


/* ---- per-target progress ---- */

/* The trace is over: its closing record goes to the spool (the trace is
 * built from the spool when probing is done) and its pool entry is let go. */
static void finish(bt_engine *e, target *t, bt_stop reason, size_t nhops)
{
	t->live = 0;
	unlink_target(e, t);
	retire(e, t);
	e->st.targets_done++;
	/* Filled only if the trace has hops above the copied ones (not one that
	 * ended in an error after it had been stopped backward). */
	uint8_t back_stop = reason != BT_STOP_ERROR && nhops > t->back_stop ? t->back_stop : 0;
	if (back_stop) {
		e->st.traces_filled++;
		e->st.probes_saved += back_stop;
	}
	rec *r = spool_next(e);
	r->in = t->in;
	r->kind = REC_END;
	r->slot = back_stop;
	r->a = (uint8_t)reason;
	r->b = (uint8_t)nhops;
	uint64_t start = t->started ? e->mono0 + (uint64_t)t->start_ms * 1000u : e->now;
	uint64_t d = e->now > start ? e->now - start : 0;
	r->u.end.start_us = wall_at(e, start);
	r->u.end.dur = d < DUR_MS ? (uint32_t)d : DUR_MS | (uint32_t)(d / 1000 < DUR_MS ? d / 1000 : DUR_MS - 1);
	r->u.end.probes = t->probes;
	r->u.end.src = t->src;
	r->u.end.fill = back_stop ? t->fill : 0;
}

/* In-flight probes at indices the trace no longer needs stop holding the
 * window (their replies, if any, count as late). */
static void release(const bt_engine *e, target *t, size_t from, size_t to)
{
	uint8_t *slot = t_slot(e, t);
	for (size_t i = from; i < to; i++) {
		uint8_t s = S_STATE(slot[i]);
		if (s == SLOT_INFLIGHT)
			t->outstanding--;
		if (s == SLOT_INFLIGHT || s == SLOT_RETRY)
			slot[i] = S_MAKE(SLOT_GAP, S_ATT(slot[i]));
	}
}

static bool settled(uint8_t s)
{
	return S_STATE(s) == SLOT_REPLIED || S_STATE(s) == SLOT_GAP;
}

/* Moves the frontier over settled slots and ends the trace when both
 * directions are done. */
static void advance(bt_engine *e, target *t)
{
	if (!t->live)
		return;
	const uint8_t *slot = t_slot(e, t);
	if (!t->fwd_done) {
		unsigned limit = t->stop_idx != NONE ? t->stop_idx : e->nslots;
		while (t->frontier < limit && settled(slot[t->frontier])) {
			t->gap_run = S_STATE(slot[t->frontier]) == SLOT_GAP ? (uint8_t)(t->gap_run + 1) : 0;
			t->frontier++;
			if (t->gap_run >= e->o.gap_limit) {
				t->fwd_done = 1;
				t->stop_reason = BT_STOP_GAPLIMIT;
				t->stop_idx = NONE;
				release(e, t, t->frontier, e->nslots);
				break;
			}
		}
		if (!t->fwd_done && t->stop_idx != NONE && t->frontier >= t->stop_idx)
			t->fwd_done = 1;
		else if (!t->fwd_done && t->frontier >= e->nslots) {
			t->fwd_done = 1;
			t->stop_reason = BT_STOP_MAXTTL;
		}
		if (!t->fwd_done)
			return;
	}
	size_t nh = t->stop_reason == BT_STOP_GAPLIMIT ? t->frontier :
		    t->stop_reason == BT_STOP_MAXTTL ? e->nslots : (size_t)t->stop_idx + 1;
	if (e->split_idx) {
		size_t top = nh < e->split_idx ? nh : e->split_idx;
		if (t->back >= (int)t->back_stop && (size_t)t->back < top)
			return; /* backward probes still to send */
		for (size_t i = t->back_stop; i < top; i++)
			if (!settled(slot[i]))
				return;
	}
	finish(e, t, (bt_stop)t->stop_reason, nh);
}

/* The target's timer fired: in-flight probes older than the wait become
 * retries or gaps; the timer is re-armed for the oldest one left. */
static void expire(bt_engine *e, target *t)
{
	uint32_t next = UINT32_MAX; /* the fewest units left to wait */
	uint16_t nowu = units_now(e);
	uint8_t *slot = t_slot(e, t);
	const uint16_t *sent = t_sent(e, t);
	unsigned end = t->next;
	if (t->stop_idx != NONE && t->stop_idx < end)
		end = t->stop_idx;
	unsigned begin = e->split_idx ? t->back_stop : t->frontier;
	for (unsigned i = begin; i < end; i++) {
		if (S_STATE(slot[i]) != SLOT_INFLIGHT)
			continue;
		uint32_t age = (uint16_t)(nowu - sent[i]);
		if (age >= e->wait_units || e->stale) {
			t->outstanding--;
			uint8_t att = S_ATT(slot[i]);
			slot[i] = S_MAKE(att < e->o.attempts ? SLOT_RETRY : SLOT_GAP, att);
		} else if (e->wait_units - age < next) {
			next = e->wait_units - age;
		}
	}
	advance(e, t);
	if (!t->live)
		return;
	if (next != UINT32_MAX)
		timer_set(e, (uint32_t)tidx(e, t), units_ahead(e, next));
	else
		timer_clear(e, (uint32_t)tidx(e, t));
	make_ready(e, t);
}

/* The slot index to probe next, or -1 if this target must wait: forward
 * retries, the next forward TTL, then backward retries and the next
 * backward TTL. */
static int next_slot(const bt_engine *e, const target *t)
{
	if (t->outstanding >= e->o.window)
		return -1;
	const uint8_t *slot = t_slot(e, t);
	unsigned limit = t->stop_idx != NONE ? t->stop_idx : e->nslots;
	if (!t->fwd_done) {
		for (unsigned i = t->frontier; i < t->next && i < limit; i++)
			if (S_STATE(slot[i]) == SLOT_RETRY)
				return (int)i;
		if (t->next < limit)
			return t->next;
	}
	if (e->split_idx) {
		int top = (int)(e->split_idx < limit ? e->split_idx : limit);
		for (int i = t->back + 1; i < top; i++)
			if (i >= t->back_stop && S_STATE(slot[i]) == SLOT_RETRY)
				return i;
		if (t->back >= (int)t->back_stop && t->back < top)
			return t->back;
	}
	return -1;
}

/* What a probe sent at slot idx changes: in flight since now, the timer
 * armed, the forward or backward cursor moved past it. */
static void note_sent(bt_engine *e, target *t, int idx, uint8_t attempt)
{
	t_sent(e, t)[idx] = units_now(e);
	t_slot(e, t)[idx] = S_MAKE(SLOT_INFLIGHT, attempt);
	t->outstanding++;
	if (!timer_armed(e, (uint32_t)tidx(e, t)))
		timer_set(e, (uint32_t)tidx(e, t), units_ahead(e, e->wait_units));
	if (idx == t->next)
		t->next++;
	else if (idx == t->back)
		t->back--;
}

static int send_probe(bt_engine *e, target *t, int idx)
{
	uint8_t ttl = (uint8_t)(e->o.first_ttl + idx);
	uint8_t *slot = t_slot(e, t);
	uint8_t attempt = (uint8_t)(S_ATT(slot[idx]) + 1);
	char err[256];

	if (!t->started) {
		t->start_ms = (uint32_t)((e->now - e->mono0) / 1000u);
		t->started = 1;
	}
	errno = 0;
	if (bt_probe_emit(e->pb, &e->flows[t_flow(e, t)], t->src, t->dst, ttl, attempt, err, sizeof(err)) < 0) {
		e->st.send_errors++;
		if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR)
			return -1; /* queue full, or a signal: again later, nothing recorded */
		/* No route, or the kernel refused: this target cannot be traced. */
		finish(e, t, BT_STOP_ERROR, 0);
		return 0;
	}
	e->st.probes_sent++;
	t->probes++;
	note_sent(e, t, idx, attempt);
	return 0;
}

static void spool_reply(bt_engine *e, const target *t, int idx, const bt_reply *r, uint8_t attempt)
{
	rec *x = spool_next(e);
	x->in = t->in;
	x->kind = REC_HOP;
	x->slot = (uint8_t)idx;
	chop *h = &x->u.hop;
	h->attempt = attempt;
	h->addr = r->src;
	h->rtt_us = (uint32_t)(uint16_t)(units_now(e) - t_sent(e, t)[idx]) << e->tshift;
	h->reply_ttl = r->ttl;
	h->size = r->ip_len;
	if (r->proto == IPPROTO_TCP) {
		h->flags |= CH_TCP;
		h->type = r->tcp_flags;
	} else {
		h->type = r->icmp_type;
		h->code = r->icmp_code;
	}
	if (r->quoted)
		h->qttl = r->q_ttl;
	for (unsigned k = 0; k < r->mpls_count && k < BT_MPLS_MAX; k += 3) {
		rec *m = spool_next(e);
		m->in = t->in;
		m->kind = REC_MPLS;
		m->slot = (uint8_t)idx;
		m->a = (uint8_t)k;
		m->b = (uint8_t)(r->mpls_count - k < 3 ? r->mpls_count - k : 3);
		memcpy(m->u.mpls, r->mpls + k, m->b * sizeof(bt_mpls));
	}
}

static bool replied_below(const bt_engine *e, const target *t, int idx)
{
	const uint8_t *slot = t_slot(e, t);
	for (int i = 0; i < idx; i++)
		if (S_STATE(slot[i]) == SLOT_REPLIED)
			return true;
	return false;
}

/* A reply matched to target t (NULL: none in progress): its effect. */
static void on_reply(bt_engine *e, const bt_reply *r, const bt_match *mp, target *t)
{
	bt_match m = *mp;
	int idx = (int)m.ttl - e->o.first_ttl;
	if (t == NULL || !t->live) {
		/* The check holds, so it answers one of our probes: a trace that has
		 * ended (or one of another run of this engine, same secret). */
		e->st.late++;
		return;
	}
	uint8_t *slot = t_slot(e, t);
	uint8_t st = S_STATE(slot[idx]), att = S_ATT(slot[idx]);
	if (m.attempt > att) {
		e->st.foreign++; /* an attempt not sent yet: cannot be a reply to us */
		return;
	}
	/* Replied already, given up, waiting for its retry, or an earlier
	 * attempt than the one now out: its wait is over (and the 16-bit send
	 * time may no longer tell how long ago it went). */
	if (st != SLOT_INFLIGHT || m.attempt != att) {
		e->st.late++;
		return;
	}
	if ((t->stop_idx != NONE && idx > t->stop_idx) || idx < t->back_stop ||
	    (t->fwd_done && t->stop_reason == BT_STOP_GAPLIMIT && idx >= t->frontier)) {
		e->st.late++;
		return;
	}
	e->st.replies++;
	t->outstanding--;
	slot[idx] = S_MAKE(SLOT_REPLIED, att);
	spool_reply(e, t, idx, r, m.attempt);

	if (m.kind != BT_MATCH_HOP && (t->stop_idx == NONE || idx < t->stop_idx)) {
		t->stop_idx = (uint8_t)idx;
		t->stop_reason = m.kind == BT_MATCH_DEST ? BT_STOP_COMPLETED : BT_STOP_UNREACHABLE;
		if (idx < e->split_idx || t->fwd_done) {
			/* found below the split (or below a gap-limit end): the
			 * forward part is over, whatever it was doing */
			t->fwd_done = 1;
			if (t->frontier > idx)
				t->frontier = (uint8_t)idx;
		}
		release(e, t, (size_t)idx + 1, e->nslots);
	} else if (m.kind == BT_MATCH_HOP && idx < e->split_idx && idx >= t->back_stop) {
		/* Backward: an interface another trace saw at this TTL ends it
		 * here; one nobody saw yet is this trace's to offer. */
		uint32_t owner = stop_find(e, m.ttl, r->src);
		if (owner == 0) {
			stop_add(e, m.ttl, r->src, t->in);
		} else if (owner != t->in + 1 && t->fill == 0 && !replied_below(e, t, idx)) {
			/* Only once, and only above every hop this trace has itself
			 * (replies can come out of order with a window): so every
			 * entry a trace owns lies at or above its own stop, and a
			 * chain of fills only ever goes down. */
			t->back_stop = (uint8_t)idx;
			t->fill = owner;
			t->back = -1;
			release(e, t, 0, (size_t)idx);
		}
	}
	advance(e, t);
	make_ready(e, t);
}


/* ---- building the traces from the spool ---- */

typedef struct asm_ctx {
	rec *recs;              /* the spool, sorted by input entry */
	uint32_t *start;        /* per input entry: its first record; ninput + 1 */
} asm_ctx;

/* Sorts the spool by input entry in place (a counting sort that swaps each
 * record into its bucket): 8 bytes per input entry besides the file. */
static int asm_sort(bt_engine *e, asm_ctx *c, size_t nrec)
{
	size_t n = e->ninput;
	c->start = ealloc(e, (n + 1) * sizeof(uint32_t));
	uint32_t *next = ealloc(e, (n + 1) * sizeof(uint32_t));
	if (c->start == NULL || next == NULL) {
		efree(e, next, (n + 1) * sizeof(uint32_t));
		return -1;
	}
	for (size_t i = 0; i < nrec; i++) {
		if (c->recs[i].in >= n) { /* only a corrupted spool file */
			efree(e, next, (n + 1) * sizeof(uint32_t));
			return -1;
		}
		c->start[c->recs[i].in + 1]++;
	}
	for (size_t b = 0; b < n; b++)
		c->start[b + 1] += c->start[b];
	memcpy(next, c->start, (n + 1) * sizeof(uint32_t));
	for (size_t b = 0; b < n; b++) {
		while (next[b] < c->start[b + 1]) {
			rec *x = &c->recs[next[b]];
			uint32_t k = x->in;
			if (k == b) {
				next[b]++;
				continue;
			}
			rec tmp = *x;
			*x = c->recs[next[k]];
			c->recs[next[k]++] = tmp;
		}
	}
	efree(e, next, (n + 1) * sizeof(uint32_t));
	return 0;
}

static const rec *asm_end(const asm_ctx *c, uint32_t in)
{
	for (uint32_t i = c->start[in]; i < c->start[in + 1]; i++)
		if (c->recs[i].kind == REC_END)
			return &c->recs[i];
	return NULL;
}

/* The hop at index slot of the trace of input entry in: its own reply, or,
 * below its back_stop, the hop of the trace it was filled from (which saw
 * the stop interface itself, so its own back_stop lies lower: the chain
 * ends; see on_reply). A gap otherwise, and also when that trace ended
 * at or below the stop (its destination or unreachable hop would land in
 * the middle of this path). */
static chop asm_hop(const bt_engine *e, const asm_ctx *c, uint32_t in, unsigned slot)
{
	chop none = { .attempt = e->o.attempts };
	for (int depth = 0; depth < 256; depth++) {
		const rec *end = asm_end(c, in);
		if (end != NULL && slot < end->slot && end->u.end.fill != 0) {
			uint32_t owner = end->u.end.fill - 1;
			const rec *oend = asm_end(c, owner);
			if (owner >= e->ninput || (oend != NULL && oend->b <= end->slot))
				return none;
			in = owner;
			continue;
		}
		for (uint32_t i = c->start[in]; i < c->start[in + 1]; i++)
			if (c->recs[i].kind == REC_HOP && c->recs[i].slot == slot)
				return c->recs[i].u.hop;
		return none;
	}
	return none;
}

/* An id into a trace (truncated to BT_ID_MAX - 1 bytes, like the %s it
 * replaces, without the printf machinery: once per trace). */
static void id_copy(char dst[BT_ID_MAX], const char *src)
{
	size_t n = src ? strnlen(src, BT_ID_MAX - 1) : 0;
	memcpy(dst, src ? src : "", n);
	dst[n] = '\0';
}

static int asm_trace(bt_engine *e, const asm_ctx *c, uint32_t in, const rec *end)
{
	size_t nhops = end->b;
	bt_trace *tr = bt_trace_alloc(nhops);
	if (tr == NULL)
		return -2;
	const bt_flow *f = &e->flows[in % e->o.nflows];
	tr->version = BT_TRACE_FORMAT_VERSION;
	id_copy(tr->vp, e->o.vp);
	id_copy(tr->campaign, e->o.campaign);
	id_copy(tr->round, e->o.round);
	tr->method = e->o.method;
	if (end->u.end.src)
		bt_addr_from_v4(&tr->src, end->u.end.src);
	tr->dst = e->input[in / e->o.nflows];
	tr->flow = f->flow;
	tr->sport = f->sport;
	tr->dport = f->dport;
	tr->icmp_sum = f->icmp_sum;
	tr->first_ttl = e->o.first_ttl;
	tr->max_ttl = e->o.max_ttl;
	tr->stop = (bt_stop)end->a;
	tr->start_us = end->u.end.start_us;
	uint32_t dur = end->u.end.dur;
	tr->end_us = end->u.end.start_us + (dur & DUR_MS ? (int64_t)(dur & ~DUR_MS) * 1000 : (int64_t)dur);
	tr->probes_sent = end->u.end.probes;
	tr->hop_count = nhops;
	for (size_t i = 0; i < nhops; i++) {
		bt_hop *h = &tr->hops[i];
		chop ch = asm_hop(e, c, in, (unsigned)i);
		memset(h, 0, sizeof(*h));
		h->probe_ttl = (uint8_t)(e->o.first_ttl + i);
		h->attempt = ch.attempt;
		if (ch.addr == 0)
			continue;
		bt_addr_from_v4(&h->addr, ch.addr);
		h->rtt_us = ch.rtt_us;
		h->reply_ttl = ch.reply_ttl;
		h->reply_size = ch.size;
		if (ch.flags & CH_TCP) {
			h->tcp_flags = ch.type;
		} else {
			h->icmp_type = ch.type;
			h->icmp_code = ch.code;
		}
		h->quoted_ttl = ch.qttl;
	}
	for (uint32_t k = c->start[in]; k < c->start[in + 1]; k++) {
		const rec *m = &c->recs[k];
		if (m->kind != REC_MPLS || m->slot >= nhops || m->slot < end->slot ||
		    m->a + m->b > BT_MPLS_MAX)
			continue;
		bt_hop *h = &tr->hops[m->slot];
		memcpy(h->mpls + m->a, m->u.mpls, m->b * sizeof(bt_mpls));
		if (m->a + m->b > h->mpls_count)
			h->mpls_count = (uint8_t)(m->a + m->b);
	}
	if (tr->stop == BT_STOP_COMPLETED || tr->stop == BT_STOP_UNREACHABLE)
		tr->stop_ttl = (uint8_t)(e->o.first_ttl + nhops - 1);
	/* finish() keeps a back_stop only below hops of the trace's own */
	tr->filled_below_ttl = end->slot ? (uint8_t)(e->o.first_ttl + end->slot) : 0;
	return e->cb(tr, e->cbarg);
}

/* Delivers every finished trace, in input order. */
static int assemble(bt_engine *e, char *err, size_t errlen)
{
	spool_flush(e);
	if (e->spool_errno != 0) {
		snprintf(err, errlen, "spool file in %s: %s", e->spool_where, strerror(e->spool_errno));
		return -1;
	}
	if (e->srecs == 0)
		return 0;
	size_t len = e->srecs * sizeof(rec);
	asm_ctx c = { 0 };
	/* populated at once: the sort touches every page in random order */
	c.recs = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, e->spool_fd, 0);
	if (c.recs == MAP_FAILED) {
		snprintf(err, errlen, "spool file in %s: %s", e->spool_where, strerror(errno));
		return -1;
	}
	int rc = 0;
	if (asm_sort(e, &c, e->srecs) != 0) {
		snprintf(err, errlen, "building %zu traces: out of memory, or the spool file was changed", e->ninput);
		rc = -1;
	}
	for (uint32_t in = 0; rc == 0 && in < e->ninput && !e->cb_failed; in++) {
		const rec *end = asm_end(&c, in);
		if (end == NULL)
			continue; /* not finished: stopped before */
		int r = asm_trace(e, &c, in, end);
		if (r == -2) {
			snprintf(err, errlen, "out of memory building a trace");
			rc = -1;
		} else if (r != 0) {
			e->cb_failed = 1;
		}
	}
	efree(e, c.start, (e->ninput + 1) * sizeof(uint32_t));
	munmap(c.recs, len);
	return rc;
}


/* The replies of a batch, in arrival order: their targets are looked up
 * (and fetched) for all of them first, so the cache misses overlap. */
static void flush_replies(bt_engine *e)
{
	unsigned n = e->nrb;
	for (unsigned i = 0; i < n; i++) {
		/* the likely target: the first at the key's home (prefetched) */
		uint32_t v = e->hvals[e->rb[i].h];
		if (v != 0) {
			__builtin_prefetch(&e->tg[v - 1], 1);
			__builtin_prefetch(e->arena + (size_t)(v - 1) * e->stride, 1);
		}
	}
	for (unsigned i = 0; i < n; i++) {
		pending *p = &e->rb[i];
		p->t = lookup(e, p->key, p->h);
	}
	for (unsigned i = 0; i < n; i++)
		on_reply(e, &e->rb[i].r, &e->rb[i].m, e->rb[i].t);
	e->nrb = 0;
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	bt_engine *e = (bt_engine *)user;
	pending *p = &e->rb[e->nrb];
	bt_reply_status s = bt_reply_parse(bytes, h->caplen, e->dlt, &p->r);
	if (s != BT_REPLY_OK) {
		if (s == BT_REPLY_OTHER)
			e->st.foreign++;
		else
			e->st.malformed++;
		return;
	}
	if (bt_probe_match_flows(&e->flow, e->o.nflows, &p->r, &p->m) != 0) {
		e->st.foreign++;
		return;
	}
	int idx = (int)p->m.ttl - e->o.first_ttl;
	if (idx < 0 || idx >= e->nslots || p->m.attempt > e->o.attempts) {
		e->st.foreign++; /* passes the check but names no probe of this run */
		return;
	}
	p->key = (uint64_t)(uint16_t)(p->m.flow - e->flow.flow) << 32 | p->m.dst;
	p->h = home(p->key, e->hmask);
	__builtin_prefetch(&e->hvals[p->h]);
	if (++e->nrb == RBATCH)
		flush_replies(e);
}

/* Frees what steers probing (the traces are built after it). */
static void free_probing(bt_engine *e)
{
	efree(e, e->tg, (size_t)e->cap * sizeof(*e->tg));
	efree(e, e->arena, (size_t)e->cap * e->stride);
	efree(e, e->freelist, (size_t)e->cap * sizeof(uint32_t));
	efree(e, e->ready, ((size_t)e->rmask + 1) * sizeof(uint32_t));
	efree(e, e->tl, ((size_t)e->cap + WHEEL + 1) * sizeof(tlink));
	efree(e, e->hvals, (e->hmask + 1) * sizeof(*e->hvals));
	if (e->skeys) {
		efree(e, e->skeys, (e->smask + 1) * sizeof(*e->skeys));
		efree(e, e->svals, (e->smask + 1) * sizeof(*e->svals));
	}
	e->tg = NULL;
	e->arena = NULL;
	e->freelist = e->ready = NULL;
	e->tl = NULL;
	e->rhead = e->rcount = e->ntimers = 0;
	e->hvals = NULL;
	e->skeys = NULL;
	e->svals = NULL;
	e->smask = e->scount = 0;
	e->cap = e->nfree = e->nactive = 0;
}

static void free_run(bt_engine *e)
{
	free_probing(e);
	efree(e, e->sbuf, SPOOL_BUF * sizeof(rec));
	e->sbuf = NULL;
	e->sn = 0;
	e->srecs = 0;
	e->spool_errno = 0;
	if (e->spool_fd >= 0)
		close(e->spool_fd);
	e->spool_fd = -1;
}

static int setup_run(bt_engine *e, const bt_addr *targets, size_t n, char *err, size_t errlen)
{
	char a[BT_ADDR_STRLEN];
	for (size_t i = 0; i < n; i++)
		if (targets[i].family != AF_INET) {
			snprintf(err, errlen, "target %s: only IPv4 is supported so far",
				 bt_addr_format(&targets[i], a, sizeof(a)));
			return -1;
		}
	if (n > UINT32_MAX / 2 / e->o.nflows) {
		snprintf(err, errlen, "too many targets: %zu", n);
		return -1;
	}
	e->input = targets;
	e->ninput = n * e->o.nflows;
	e->next_input = 0;
	e->nslots = (uint16_t)(e->o.max_ttl - e->o.first_ttl + 1);
	e->split_idx = e->o.split_ttl ? (uint16_t)(e->o.split_ttl - e->o.first_ttl) : 0;
	uint32_t want = e->o.active ? e->o.active : bt_engine_active_default(&e->o);
	e->cap = e->ninput < want ? (uint32_t)(e->ninput ? e->ninput : 1) : want;
	e->stride = ((e->nslots + 1u) & ~1u) + (size_t)e->nslots * sizeof(uint16_t);
	for (e->tshift = 0; (65536ull << e->tshift) < 4ull * e->o.wait_us; e->tshift++)
		;
	e->wait_units = (e->o.wait_us + (1u << e->tshift) - 1) >> e->tshift;
	e->stride = (e->stride + 7) & ~(size_t)7;
	size_t hcap = 16;
	while (hcap < (size_t)e->cap * 2)
		hcap <<= 1;
	e->hmask = hcap - 1;
	if (spool_open(e, err, errlen) != 0)
		return -1;
	e->tg = ealloc(e, (size_t)e->cap * sizeof(*e->tg));
	e->arena = ealloc(e, (size_t)e->cap * e->stride);
	e->freelist = ealloc(e, (size_t)e->cap * sizeof(uint32_t));
	for (e->rmask = 1; e->rmask < e->cap; e->rmask <<= 1)
		;
	e->rmask--;
	e->ready = ealloc(e, ((size_t)e->rmask + 1) * sizeof(uint32_t));
	e->tl = ealloc(e, ((size_t)e->cap + WHEEL + 1) * sizeof(tlink));
	e->hvals = ealloc(e, hcap * sizeof(*e->hvals));
	e->sbuf = ealloc(e, SPOOL_BUF * sizeof(rec));
	if (!e->tg || !e->arena || !e->freelist || !e->ready || !e->tl || !e->hvals || !e->sbuf) {
		snprintf(err, errlen, "out of memory for %u targets in progress", e->cap);
		return -1;
	}
	for (uint32_t i = 0; i < e->cap; i++) {
		e->freelist[i] = e->cap - 1 - i;
		e->tl[i].next = NOT_ARMED;
	}
	for (uint32_t h = e->cap; h <= e->cap + WHEEL; h++)
		e->tl[h].prev = e->tl[h].next = h;
	for (e->wshift = 0; ((uint64_t)WHEEL << e->wshift) < 2ull * e->o.wait_us; e->wshift++)
		;
	e->wnext = 0;
	e->nfree = e->cap;
	e->st.targets_total += e->ninput;
	if (e->cap > e->st.active_max)
		e->st.active_max = e->cap;
	memset(e->rc_ok, 0, sizeof(e->rc_ok));
	return 0;
}

/* Fills free pool entries from the input, in order. A target without a
 * route ends at once as an error. Returns -1 on a duplicate target. */
static int activate(bt_engine *e, char *err, size_t errlen)
{
	size_t nf = e->o.nflows;
	while (e->nfree > 0 && e->next_input < e->ninput) {
		size_t in = e->next_input++;
		uint32_t idx = e->freelist[--e->nfree];
		target *t = &e->tg[idx];
		memset(t, 0, sizeof(*t));
		memset(e->arena + (size_t)idx * e->stride, 0, e->stride);
		t->in = (uint32_t)in;
		t->dst = bt_addr_v4(&e->input[in / nf]);
		t->stop_idx = NONE;
		t->next = t->frontier = (uint8_t)e->split_idx;
		t->back = (int16_t)(e->split_idx - 1);
		t->live = 1;
		if (insert(e, t, idx) != 0) {
			char a[BT_ADDR_STRLEN];
			snprintf(err, errlen, "target %s given twice", bt_addr_format(&e->input[in / nf], a, sizeof(a)));
			t->live = 0;
			e->freelist[e->nfree++] = idx;
			return -1;
		}
		e->nactive++;
		int why = 0;
		if (route_source(e, t->dst, &t->src, &why) != 0) {
			t->src = 0;
			finish(e, t, BT_STOP_ERROR, 0); /* frees the entry */
			continue;
		}
		make_ready(e, t);
	}
	return 0;
}

static void report(bt_engine *e, uint64_t t0)
{
	bt_engine_progress p = {
		.targets_total = e->ninput,
		.targets_done = e->ninput - (e->ninput - e->next_input) - e->nactive,
		.probes_sent = e->st.probes_sent,
		.replies = e->st.replies,
		.elapsed_us = e->now - t0,
		.active = e->nactive,
	};
	e->pcb(&p, e->pcbarg);
}

int bt_engine_run(bt_engine *e, const bt_addr *targets, size_t ntargets,
		  bt_engine_trace_cb cb, void *arg, volatile sig_atomic_t *stop,
		  char *err, size_t errlen)
{
	e->cb = cb;
	e->cbarg = arg;
	e->cb_failed = 0;
	e->bytes = 0;
	e->bytes_peak = 0;
	if (setup_run(e, targets, ntargets, err, errlen) != 0) {
		free_run(e);
		return -1;
	}
	e->now = mono_us();
	e->mono0 = e->now;
	e->last_timers = e->now;
	e->stale = false;
	e->wall0 = wall_us();
	uint64_t probes0 = e->st.probes_sent;
	e->st.run_steady_us = e->st.run_steady_probes = 0;
	uint64_t t0 = e->now, next_report = e->now + e->pinterval;
	int result = 0;
	if (activate(e, err, errlen) != 0) {
		free_run(e);
		return -1;
	}

	/* Token bucket: at most one millisecond's worth of probes at once, so
	 * sends stay paced even at high rates. */
	double rate = e->o.rate_pps;
	double burst = rate / 1000.0 < 1.0 ? 1.0 : rate / 1000.0;
	double tokens = 1.0;
	uint64_t last = e->now;

	while (e->nactive > 0 || e->next_input < e->ninput) {
		if ((stop && *stop) || e->cb_failed) {
			result = 1;
			if (e->next_input < e->ninput && e->st.run_steady_us == 0) {
				/* stopped before the input ran out: all of it was steady */
				e->st.run_steady_us = mono_us() - t0;
				e->st.run_steady_probes = e->st.probes_sent - probes0;
			}
			break;
		}
		if (e->spool_errno != 0) {
			snprintf(err, errlen, "spool file in %s: %s", e->spool_where, strerror(e->spool_errno));
			result = -1;
			break;
		}
		e->now = mono_us();
		tokens += (double)(e->now - last) * rate / 1e6;
		if (tokens > burst)
			tokens = burst;
		last = e->now;
		if (e->pcb && e->now >= next_report) {
			report(e, t0);
			next_report = e->now + e->pinterval;
		}

		/* Timers due: timeouts become retries or gaps. */
		timers_run(e);

		/* Sends: round-robin over the targets with something to send, one
		 * probe per visit, as long as there are tokens. */
		bool blocked = false;
		while (tokens >= 1.0 && e->rcount > 0 && !e->cb_failed) {
			uint32_t idx = e->ready[e->rhead];
			if (e->rcount > PREFETCH_AHEAD) {
				/* 32k targets in progress do not fit in the cache:
				 * fetch the one a few visits ahead now */
				uint32_t ahead = e->ready[(e->rhead + PREFETCH_AHEAD) & e->rmask];
				__builtin_prefetch(&e->tg[ahead], 1);
				__builtin_prefetch(e->arena + (size_t)ahead * e->stride, 1);
				__builtin_prefetch(&e->tl[ahead], 0);
			}
			e->rhead = (e->rhead + 1) & e->rmask;
			e->rcount--;
			target *t = &e->tg[idx];
			t->queued = 0;
			if (!t->live) {
				e->freelist[e->nfree++] = idx; /* finished while queued */
				continue;
			}
			int slot = next_slot(e, t);
			if (slot < 0)
				continue;
			if (send_probe(e, t, slot) != 0) {
				make_ready(e, t); /* the queue is full: again, later */
				blocked = true;
				break;
			}
			tokens -= 1.0;
			requeue(e, t);
		}
		if (e->nfree > 0 && e->next_input < e->ninput && !e->cb_failed) {
			if (activate(e, err, errlen) != 0) {
				result = -1;
				break;
			}
			if (e->next_input >= e->ninput) {
				e->st.run_steady_us = e->now - t0;
				e->st.run_steady_probes = e->st.probes_sent - probes0;
			}
		}
		if (e->nactive == 0 && e->next_input >= e->ninput)
			break;

		int timeout_ms;
		uint64_t now = mono_us();
		if (e->rcount > 0 && !blocked) { /* only the next token is awaited */
			double need = tokens >= 1.0 ? 0.0 : (1.0 - tokens) * 1e6 / rate;
			timeout_ms = (int)(need / 1000.0);
		} else if (e->rcount > 0) {
			timeout_ms = 1; /* ENOBUFS: let the queue drain */
		} else if (e->ntimers > 0) {
			int64_t d = timers_next_us(e, rel32(e, now));
			timeout_ms = (int)((d + 999) / 1000);
		} else {
			timeout_ms = 50;
		}
		if (timeout_ms > 50)
			timeout_ms = 50;
		struct pollfd pfd = { .fd = e->pcap_fd, .events = POLLIN };
		int pr = poll(&pfd, 1, timeout_ms);
		if (pr < 0 && errno != EINTR) {
			snprintf(err, errlen, "poll: %s", strerror(errno));
			result = -1;
			break;
		}
		if (pr > 0) {
			e->now = mono_us();
			int n = pcap_dispatch(e->pcap, -1, on_packet, (u_char *)e);
			flush_replies(e);
			if (n == PCAP_ERROR) {
				snprintf(err, errlen, "capture: %s", pcap_geterr(e->pcap));
				result = -1;
				break;
			}
		}
	}
	if (e->pcb) {
		e->now = mono_us();
		report(e, t0);
	}
	/* Probing is over (or stopped): build and deliver the finished traces. */
	e->st.run_probing_us = mono_us() - t0;
	free_probing(e);
	if ((result == 0 || (result == 1 && !e->o.skip_partial)) && assemble(e, err, errlen) != 0)
		result = -1;
	e->st.spool_bytes += e->srecs * sizeof(rec); /* written (assembly flushes the rest) */
	if (result == 0 && e->cb_failed)
		result = 1;
	if (e->bytes_peak > e->st.state_bytes_peak)
		e->st.state_bytes_peak = e->bytes_peak;
	free_run(e);
	return result;
}
