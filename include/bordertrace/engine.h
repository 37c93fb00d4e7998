/* bordertrace — the probe engine: traces many targets at once.
 *
 * One event loop: paced sends under a global packets-per-second limit
 * (libnet raw sockets, IPv4 and IPv6 targets mixed in one run), replies from one libpcap handle filtered to our
 * replies, matched statelessly (bordertrace/probe.h), per-target progress
 * and timeouts. The privileged part is bt_engine_open (sockets, capture);
 * everything after it works on descriptors already open. */
#ifndef BORDERTRACE_ENGINE_H
#define BORDERTRACE_ENGINE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bordertrace/addr.h"
#include "bordertrace/trace.h"

typedef struct bt_engine_opts {
	bt_method method;
	uint16_t flow;         /* first Paris flow */
	uint16_t nflows;       /* flows per target: flow .. flow + nflows - 1 (1) */
	uint16_t dport;        /* 0 = the method's default */
	uint8_t first_ttl;     /* 1 */
	uint8_t max_ttl;       /* 32 */
	uint8_t attempts;      /* 2 */
	uint8_t gap_limit;     /* 5 */
	uint8_t window;        /* probes in flight per target, 1 */
	uint8_t split_ttl;     /* 0: probe from first_ttl up. Else start at this TTL,
				  probe forward, then backward toward the VP until a
				  hop already seen at its TTL this run (Doubletree) */
	uint32_t active;       /* targets in progress at once; 0: sized from rate,
				  wait and window (bt_engine_active_default) */
	uint8_t order;         /* BT_ORDER_SPREAD (default) or BT_ORDER_SWEEP */
	bool ignore_rate_limits; /* false (default): learn per-TTL rate limits and
				  probe a TTL that loses replies to one more slowly
				  (doc/probing.md, "Rate-limited hops") */
	uint32_t wait_us;      /* per-probe wait, 1 s */
	uint32_t rate_pps;     /* global limit, 100 */
	const char *device;    /* NULL: capture on all interfaces */
	bt_addr src;           /* IPv4 source; unset: the kernel's route choice per target */
	bt_addr src6;          /* IPv6 source, likewise (an IPv6 src counts as src6) */
	uint8_t ipv6;          /* BT_ENGINE_V6_*: whether to open the IPv6 socket */
	const char *vp, *campaign, *round;
	const char *spool_dir; /* where replies wait until the traces are built
				  (an unnamed file); NULL: $TMPDIR, else /tmp */
	bool skip_partial;     /* stopped: build no traces at all (the caller
				  throws the run away; exit within the 2 s) */
	bool multipath;        /* MDA (doc/probing.md, "Multipath"): flows
				  flow .. flow + BT_MDA_FLOWS - 1 per target in
				  rounds, one record per target; nflows and
				  split_ttl must be left at 1 and 0 */
	uint8_t confidence;    /* multipath: percent, 50..99 (95) */
	uint8_t min_share;     /* multipath: percent, the smallest per-flow share
				  of a branch found at that confidence, 0..50 (25) */
	uint8_t send_path;     /* BT_SEND_RAW (default) or BT_SEND_PACKET: IPv4
				  probes by a packet socket to the kernel's
				  route and gateway, raw where that is not
				  simple (doc/probing.md, "Send path") */
} bt_engine_opts;

enum { BT_SEND_RAW = 0, BT_SEND_PACKET = 1 };
/* "raw" / "packet" -> *out; 0, or -1 for another name. */
int bt_send_path_parse(const char *s, uint8_t *out);
struct bt_engine_stats;
/* The run's send-path line for the summary ("send path packet: N of M
 * probes by the packet socket", and why not where it was off), into buf;
 * "" for send path raw. */
void bt_send_path_summary(const struct bt_engine_stats *st, uint8_t send_path, char *buf, size_t len);

/* Multipath: flows per target at most, and the most rounds per target
 * (rounds overlap: a target's next round is planned once its entries have
 * ended). */
#define BT_MDA_FLOWS 64
#define BT_MDA_ROUNDS 6
/* Flows the stopping rule needs at a TTL where k interfaces were seen
 * (k >= 1), at confidence conf and minimum share min_share (percent),
 * capped at BT_MDA_FLOWS; plain MDA's n_k when min_share is 0. */
unsigned bt_mda_flows_needed(unsigned k, unsigned conf, unsigned min_share);

/* The order probes go out in (doc/probing.md, "Probe order").
 * SPREAD: targets are taken up only as the ready queue runs short (at most
 * BT_ORDER_READY_MS of probes queued), so targets start one after another
 * and their TTLs are interleaved: every router sees its probes spread over
 * the round. SWEEP (the order before): the whole active window is taken up
 * at once, so the first sends of a round are every target's TTL 1, then
 * every target's TTL 2, ...: the routers near the VP get the whole window's
 * probes within a few milliseconds, and a rate-limiting one answers few. */
enum { BT_ORDER_SPREAD = 0, BT_ORDER_SWEEP = 1 };
#define BT_ORDER_READY_MS 5
#define BT_ORDER_READY_MIN 64
/* "spread" / "sweep" -> *out; 0, or -1 for another name. */
int bt_order_parse(const char *s, uint8_t *out);
const char *bt_order_name(uint8_t order);
/* "learn" (false) / "ignore" (true) -> *ignore; 0, or -1 for another name. */
int bt_rate_limits_parse(const char *s, bool *ignore);

/* bt_engine_opts.ipv6. TRY: open it if the host has IPv6, else IPv6
 * targets end as errors (bt_engine_ipv6_error says why); NEED: fail to
 * open without it; OFF: IPv4 only (IPv6 targets end as errors). */
enum { BT_ENGINE_V6_TRY = 0, BT_ENGINE_V6_NEED, BT_ENGINE_V6_OFF };

void bt_engine_opts_default(bt_engine_opts *o);

typedef struct bt_engine_stats {
	uint64_t probes_sent;
	uint64_t replies;        /* matched to one of our probes */
	uint64_t foreign;        /* captured, parsed, but not ours: ignored */
	uint64_t late;           /* ours, for a TTL already settled or a finished trace */
	uint64_t malformed;      /* truncated or malformed packets */
	uint64_t send_errors;
	uint64_t pcap_received, pcap_dropped, pcap_ifdropped;
	uint64_t targets_done;
	uint64_t targets_total;  /* (target, flow) pairs of the last run */
	uint64_t probes_saved;   /* split_ttl: near-VP probes not sent (one per filled TTL) */
	uint64_t traces_filled;  /* traces whose near-VP hops came from another trace */
	uint64_t state_bytes_peak; /* most bytes of per-run engine state at once */
	uint64_t active_max;     /* the active window used (targets in progress at once) */
	uint64_t spool_bytes;    /* replies and trace ends written to the spool file */
	uint64_t meters_on;      /* times a TTL's rate-limit meter came on (last run) */
	uint64_t meters_peak;    /* most TTLs metered at once (last run) */
	uint64_t meters_given_up; /* TTLs whose rate limit was below rate / 128 (last run) */
	uint64_t parked_peak;    /* most targets waiting only for a meter at once */
	/* the last run: probing time (then the traces are built), and the
	 * steady part of it, from the first probe until the last target was
	 * taken up (or the run was stopped before that), when every slot of
	 * the active window had work; 0 when every target fit in the window */
	uint64_t run_probing_us, run_steady_us, run_steady_probes;
	uint64_t probes_packet;  /* send_path packet: probes sent by the packet socket (last run) */
	char send_path_off[160]; /* send_path packet: why every probe went raw ("" when not) */
	/* why the first target that ended as an error did (a send the kernel
	 * refused, no route, no IPv6); "" when none did */
	char first_error[160];
} bt_engine_stats;

/* The active window for these options: enough targets in progress that the
 * rate can be held even when every probe waits out its timeout (Little's law:
 * rate x wait / window), at least 4096, at most 4M. */
uint32_t bt_engine_active_default(const bt_engine_opts *o);

/* Progress, reported every interval while a run goes on. */
typedef struct bt_engine_progress {
	uint64_t targets_total, targets_done;
	uint64_t probes_sent, replies;
	uint64_t elapsed_us;
	uint64_t active;         /* targets in progress now */
} bt_engine_progress;
typedef void (*bt_engine_progress_cb)(const bt_engine_progress *p, void *arg);

typedef struct bt_engine bt_engine;

/* Opens the raw socket and the capture; needs CAP_NET_RAW. On failure returns
 * NULL, writes a message to err and sets *eperm when privilege was missing. */
bt_engine *bt_engine_open(const bt_engine_opts *o, char *err, size_t errlen, bool *eperm);

/* Called once per finished trace, once probing is over, in the order of the
 * targets (flows of a target in flow order); the callee owns t. A non-zero
 * return stops the delivery (e.g. the output failed). */
typedef int (*bt_engine_trace_cb)(bt_trace *t, void *arg);

/* Why this engine probes no IPv6 (its IPv6 targets end as errors), or
 * NULL when it does. */
const char *bt_engine_ipv6_error(const bt_engine *e);

/* Traces every target, IPv4 and IPv6 mixed. Returns 0 when all finished, 1 when stopped by
 * *stop becoming non-zero or by the callback, -1 on error (message in err).
 * Traces unfinished when stopped are not delivered; finished ones are. */
int bt_engine_run(bt_engine *e, const bt_addr *targets, size_t ntargets,
		  bt_engine_trace_cb cb, void *arg, volatile sig_atomic_t *stop,
		  char *err, size_t errlen);

/* Installs a progress callback for the following runs (cb NULL: none). */
void bt_engine_set_progress(bt_engine *e, bt_engine_progress_cb cb, void *arg, uint32_t interval_ms);


void bt_engine_get_stats(bt_engine *e, bt_engine_stats *s);
void bt_engine_close(bt_engine *e);

#endif
