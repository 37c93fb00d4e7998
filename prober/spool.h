/* bordertrace — the engine's reply spool, and the traces built from it.
 *
 * Replies are not kept in the engine's pool: each accepted reply is appended
 * to an unnamed file (32-byte records, written 512 at a time), and so is a
 * closing record when a trace ends. When probing is over the file is mapped,
 * sorted by input entry in place and the traces are built from it, in input
 * order; a split-TTL trace takes its hops below its stop from the trace it
 * was filled from. */
#ifndef BT_PROBER_SPOOL_H
#define BT_PROBER_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <string.h>

#include "acct.h"
#include "family.h"
#include "intern6.h"
#include "bordertrace/engine.h"
#include "bordertrace/probe.h"
#include "bordertrace/reply.h"
#include "bordertrace/trace.h"

/* A reply as the spool keeps it: 16 bytes instead of a bt_hop. */
typedef struct bt_chop {
	bt_faddr addr;          /* BT_FADDR_NONE: none; IPv6: an intern handle */
	uint32_t rtt_us;
	uint16_t size;
	uint8_t reply_ttl;
	uint8_t type;           /* ICMP type, or the TCP flags when BT_CH_TCP */
	uint8_t code, qttl, attempt, flags;
} bt_chop;
enum { BT_CH_TCP = 1 };

/* A spool record. */
enum { BT_REC_HOP = 1, BT_REC_MPLS, BT_REC_END };
typedef struct bt_rec {
	uint32_t in;            /* input entry: target x flow */
	uint8_t kind;
	uint8_t slot;           /* HOP, MPLS: the TTL index; END: back_stop */
	uint8_t a, b;           /* MPLS: first label index, count; END: bt_stop, hop count */
	union {
		bt_chop hop;
		bt_mpls mpls[3];
		struct {
			int64_t start_us;  /* UTC, first probe */
			uint32_t dur;      /* to the end: µs, or ms | BT_DUR_MS when longer */
			uint32_t probes;
			bt_faddr src;
			uint32_t fill;     /* split TTL: input entry + 1 the hops below back_stop come from; multipath: the entry's range (MP_*) */
		} end;
	} u;
} bt_rec;
_Static_assert(sizeof(bt_rec) == 32, "spool records are 32 bytes");
#define BT_DUR_MS 0x80000000u
#define BT_SPOOL_BUF 512        /* records buffered before a write (16 KiB) */

typedef struct bt_spool {
	int fd;                 /* -1: not open */
	bt_rec *buf;            /* BT_SPOOL_BUF records */
	size_t n;               /* records in buf */
	uint64_t recs;          /* records written */
	int err;                /* errno of the first failed write; 0 */
	const char *where;      /* its directory, for messages */
} bt_spool;

/* Opens an unnamed file in dir (NULL or "": $TMPDIR, else /tmp) and takes
 * its buffer from a. 0, or -1 with a message. */
int bt_spool_open(bt_spool *s, const char *dir, bt_acct *a, char *err, size_t errlen);
/* Closes the file and frees the buffer (an unopened spool: nothing). */
void bt_spool_close(bt_spool *s, bt_acct *a);
/* Writes the buffered records; a failure is kept in s->err, and only what
 * reached the file counts in s->recs. */
void bt_spool_flush(bt_spool *s);

/* The next record, zeroed (a full buffer is written first). */
static inline bt_rec *bt_spool_next(bt_spool *s)
{
	if (s->n == BT_SPOOL_BUF)
		bt_spool_flush(s);
	bt_rec *r = &s->buf[s->n++];
	memset(r, 0, sizeof(*r));
	return r;
}

/* A reply accepted for slot idx of the trace of input entry in: its hop
 * record, then its MPLS labels three to a record. */
static inline void bt_spool_hop(bt_spool *s, uint32_t in, int idx, const bt_reply *r, uint8_t attempt,
				uint32_t rtt_us)
{
	bt_rec *x = bt_spool_next(s);
	x->in = in;
	x->kind = BT_REC_HOP;
	x->slot = (uint8_t)idx;
	bt_chop *h = &x->u.hop;
	h->attempt = attempt;
	h->addr = bt_fam_reply_src(r);
	h->rtt_us = rtt_us;
	h->reply_ttl = r->ttl;
	h->size = r->ip_len;
	if (r->proto == IPPROTO_TCP) {
		h->flags |= BT_CH_TCP;
		h->type = r->tcp_flags;
	} else {
		h->type = r->icmp_type;
		h->code = r->icmp_code;
	}
	if (r->quoted)
		h->qttl = r->q_ttl;
	for (unsigned k = 0; k < r->mpls_count && k < BT_MPLS_MAX; k += 3) {
		bt_rec *m = bt_spool_next(s);
		m->in = in;
		m->kind = BT_REC_MPLS;
		m->slot = (uint8_t)idx;
		m->a = (uint8_t)k;
		m->b = (uint8_t)(r->mpls_count - k < 3 ? r->mpls_count - k : 3);
		memcpy(m->u.mpls, r->mpls + k, m->b * sizeof(bt_mpls));
	}
}

/* What building the traces needs from the run. */
typedef struct bt_spool_run {
	const bt_engine_opts *o;
	const bt_family *fam;
	const bt_flow *flows;   /* o->nflows */
	const bt_addr *input;   /* the caller's targets */
	size_t ninput;          /* entries: targets x flows */
	bt_engine_trace_cb cb;
	void *cbarg;
	int *cb_failed;         /* set when cb returned non-zero: no more calls */
	bt_acct *acct;
	const bt_intern6 *intern; /* IPv6 handles of the run (hops, sources) */
} bt_spool_run;

/* Every record written, mapped read-write (the buffer flushed first; its
 * pages read in at once if populate): the mapping and *len bytes; NULL
 * when there is none; MAP_FAILED with a message (a write error of the
 * spool, or mmap's). */
bt_rec *bt_spool_map(bt_spool *s, size_t *len, bool populate, char *err, size_t errlen);
/* The first nrec records, which have reached the file (no flush: the
 * multipath planner maps them while the engine goes on writing). */
bt_rec *bt_spool_map_n(const bt_spool *s, uint64_t nrec, size_t *len, bool populate, char *err, size_t errlen);
/* Sorts recs by bucket in / div in place; *start receives per bucket its
 * first record (n + 1 entries, from a; the caller frees them, after a
 * failure too: *start may then be set). 0, or -1 (out of memory, or a
 * record beyond the buckets: a corrupted file). */
int bt_spool_sort(bt_rec *recs, size_t nrec, size_t n, uint32_t div, bt_acct *a, uint32_t **start);
/* A spool address of the trace of input entry in as a bt_addr (IPv6
 * handles resolved through the run's intern table). */
void bt_spool_addr(const bt_spool_run *run, uint32_t in, bt_faddr x, bt_addr *a);
/* An entry of input entry in at TTL index slot from its spool reply. */
void bt_spool_hop_fill(const bt_spool_run *run, uint32_t in, unsigned slot, const bt_chop *ch, bt_hop *h);
/* A trace's top-level fields from input entry in and its closing record. */
void bt_spool_trace_head(const bt_spool_run *run, uint32_t in, const bt_rec *end, bt_trace *tr);
/* When the trace of a closing record ended (UTC µs). */
int64_t bt_spool_end_us(const bt_rec *end);

/* Builds every finished trace from the spool and delivers it, in input
 * order. 0, or -1 with a message (a write error of the spool, out of
 * memory, a spool file changed under us). */
int bt_spool_assemble(bt_spool *s, const bt_spool_run *run, char *err, size_t errlen);

#endif
