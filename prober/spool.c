/* bordertrace — the engine's reply spool (see spool.h): the file, its
 * buffered writes, and the traces built from it once probing is over. */
#include "spool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* An unnamed file in the spool directory: gone when closed, whatever
 * happens to the process. */
int bt_spool_open(bt_spool *s, const char *dir, bt_acct *a, char *err, size_t errlen)
{
	if (dir == NULL || *dir == '\0')
		dir = getenv("TMPDIR");
	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	s->where = dir;
	s->n = 0;
	s->recs = 0;
	s->err = 0;
	s->fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (s->fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/.bordertrace-spool.XXXXXX", dir);
		s->fd = mkstemp(path);
		if (s->fd >= 0)
			unlink(path);
	}
	if (s->fd < 0) {
		snprintf(err, errlen, "spool file in %s: %s", dir, strerror(errno));
		return -1;
	}
	s->buf = bt_acct_alloc(a, BT_SPOOL_BUF * sizeof(bt_rec));
	if (s->buf == NULL) {
		snprintf(err, errlen, "out of memory for the spool buffer");
		return -1;
	}
	return 0;
}

void bt_spool_close(bt_spool *s, bt_acct *a)
{
	bt_acct_free(a, s->buf, BT_SPOOL_BUF * sizeof(bt_rec));
	s->buf = NULL;
	s->n = 0;
	s->recs = 0;
	s->err = 0;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

void bt_spool_flush(bt_spool *s)
{
	const char *p = (const char *)s->buf;
	size_t left = s->n * sizeof(bt_rec);
	while (left > 0 && s->err == 0) {
		ssize_t w = write(s->fd, p, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			s->err = w < 0 ? errno : EIO;
			break;
		}
		p += w;
		left -= (size_t)w;
	}
	/* only what reached the file counts */
	s->recs += (s->n * sizeof(bt_rec) - left) / sizeof(bt_rec);
	s->n = 0;
}

/* ---- building the traces ---- */

typedef struct asm_ctx {
	const bt_spool_run *run;
	bt_rec *recs;           /* the spool, sorted by input entry */
	uint32_t *start;        /* per input entry: its first record; ninput + 1 */
} asm_ctx;

/* Sorts recs by bucket (in / div) in place (a counting sort that swaps each
 * record into its bucket): 8 bytes per bucket besides the file. */
int bt_spool_sort(bt_rec *recs, size_t nrec, size_t n, uint32_t div, bt_acct *a, uint32_t **startp)
{
	uint32_t *start = bt_acct_alloc(a, (n + 1) * sizeof(uint32_t));
	uint32_t *next = bt_acct_alloc(a, (n + 1) * sizeof(uint32_t));
	*startp = start;
	if (start == NULL || next == NULL) {
		bt_acct_free(a, next, (n + 1) * sizeof(uint32_t));
		return -1;
	}
	for (size_t i = 0; i < nrec; i++) {
		if (recs[i].in / div >= n) { /* only a corrupted spool file */
			bt_acct_free(a, next, (n + 1) * sizeof(uint32_t));
			return -1;
		}
		start[recs[i].in / div + 1]++;
	}
	for (size_t b = 0; b < n; b++)
		start[b + 1] += start[b];
	memcpy(next, start, (n + 1) * sizeof(uint32_t));
	for (size_t b = 0; b < n; b++) {
		while (next[b] < start[b + 1]) {
			bt_rec *x = &recs[next[b]];
			uint32_t k = x->in / div;
			if (k == b) {
				next[b]++;
				continue;
			}
			bt_rec tmp = *x;
			*x = recs[next[k]];
			recs[next[k]++] = tmp;
		}
	}
	bt_acct_free(a, next, (n + 1) * sizeof(uint32_t));
	return 0;
}

/* Sorts the spool by input entry in place. */
static int asm_sort(asm_ctx *c, size_t nrec)
{
	return bt_spool_sort(c->recs, nrec, c->run->ninput, 1, c->run->acct, &c->start);
}

static const bt_rec *asm_end(const asm_ctx *c, uint32_t in)
{
	for (uint32_t i = c->start[in]; i < c->start[in + 1]; i++)
		if (c->recs[i].kind == BT_REC_END)
			return &c->recs[i];
	return NULL;
}

/* The hop at index slot of the trace of input entry in: its own reply, or,
 * below its back_stop, the hop of the trace it was filled from (which saw
 * the stop interface itself, so its own back_stop lies lower: the chain
 * ends; see on_reply in engine.c). A gap otherwise, and also when that
 * trace ended at or below the stop (its destination or unreachable hop
 * would land in the middle of this path). */
/* The hop at slot of the trace of input entry in, following split-TTL
 * fills; *from receives the entry whose record it is (its handles resolve
 * against that trace: BT_INTERN6_DST is the owner's destination). */
static bt_chop asm_hop(const asm_ctx *c, uint32_t in, unsigned slot, uint32_t *from)
{
	*from = in;
	bt_chop none = { .attempt = c->run->o->attempts };
	for (int depth = 0; depth < 256; depth++) {
		const bt_rec *end = asm_end(c, in);
		if (end != NULL && slot < end->slot && end->u.end.fill != 0) {
			uint32_t owner = end->u.end.fill - 1;
			if (owner >= c->run->ninput)
				return none;
			const bt_rec *oend = asm_end(c, owner);
			if (oend != NULL && oend->b <= end->slot)
				return none;
			in = owner;
			*from = in;
			continue;
		}
		for (uint32_t i = c->start[in]; i < c->start[in + 1]; i++)
			if (c->recs[i].kind == BT_REC_HOP && c->recs[i].slot == slot)
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

/* A spool address (set) of the trace of input entry in as a bt_addr: IPv4
 * itself, IPv6 through the run's intern table (BT_INTERN6_DST: the trace's
 * destination; an unknown handle, only in a corrupted spool file: no
 * address). */
void bt_spool_addr(const bt_spool_run *run, uint32_t in, bt_faddr x, bt_addr *a)
{
	if (run->input[in / run->o->nflows].family != AF_INET6) {
		run->fam->to_addr(a, x);
		return;
	}
	if (x == BT_INTERN6_DST) {
		*a = run->input[in / run->o->nflows];
		return;
	}
	const uint8_t *b = run->intern ? bt_intern6_addr(run->intern, x) : NULL;
	memset(a, 0, sizeof(*a));
	if (b != NULL) {
		a->family = AF_INET6;
		memcpy(a->bytes, b, 16);
	}
}

void bt_spool_hop_fill(const bt_spool_run *run, uint32_t in, unsigned slot, const bt_chop *ch, bt_hop *h)
{
	h->probe_ttl = (uint8_t)(run->o->first_ttl + slot);
	h->attempt = ch->attempt;
	if (!bt_faddr_is_set(ch->addr))
		return;
	bt_spool_addr(run, in, ch->addr, &h->addr);
	h->rtt_us = ch->rtt_us;
	h->reply_ttl = ch->reply_ttl;
	h->reply_size = ch->size;
	if (ch->flags & BT_CH_TCP) {
		h->tcp_flags = ch->type;
	} else {
		h->icmp_type = ch->type;
		h->icmp_code = ch->code;
	}
	h->quoted_ttl = ch->qttl;
}

static void asm_hops(const asm_ctx *c, uint32_t in, const bt_rec *end, bt_trace *tr)
{
	const bt_spool_run *run = c->run;
	size_t nhops = end->b;
	for (size_t i = 0; i < nhops; i++) {
		bt_hop *h = &tr->hops[i];
		uint32_t from;
		bt_chop ch = asm_hop(c, in, (unsigned)i, &from);
		memset(h, 0, sizeof(*h));
		bt_spool_hop_fill(run, from, (unsigned)i, &ch, h);
	}
	for (uint32_t k = c->start[in]; k < c->start[in + 1]; k++) {
		const bt_rec *m = &c->recs[k];
		if (m->kind != BT_REC_MPLS || m->slot >= nhops || m->slot < end->slot ||
		    m->a + m->b > BT_MPLS_MAX)
			continue;
		bt_hop *h = &tr->hops[m->slot];
		memcpy(h->mpls + m->a, m->u.mpls, m->b * sizeof(bt_mpls));
		if (m->a + m->b > h->mpls_count)
			h->mpls_count = (uint8_t)(m->a + m->b);
	}
}

int64_t bt_spool_end_us(const bt_rec *end)
{
	uint32_t dur = end->u.end.dur;
	return end->u.end.start_us + (dur & BT_DUR_MS ? (int64_t)(dur & ~BT_DUR_MS) * 1000 : (int64_t)dur);
}

void bt_spool_trace_head(const bt_spool_run *run, uint32_t in, const bt_rec *end, bt_trace *tr)
{
	const bt_engine_opts *o = run->o;
	const bt_flow *f = &run->flows[in % o->nflows];
	tr->version = BT_TRACE_FORMAT_VERSION;
	id_copy(tr->vp, o->vp);
	id_copy(tr->campaign, o->campaign);
	id_copy(tr->round, o->round);
	tr->method = o->method;
	if (bt_faddr_is_set(end->u.end.src))
		bt_spool_addr(run, in, end->u.end.src, &tr->src);
	tr->dst = run->input[in / o->nflows];
	tr->flow = f->flow;
	tr->sport = f->sport;
	tr->dport = f->dport;
	tr->icmp_sum = f->icmp_sum;
	tr->first_ttl = o->first_ttl;
	tr->max_ttl = o->max_ttl;
	tr->stop = (bt_stop)end->a;
	tr->start_us = end->u.end.start_us;
	tr->end_us = bt_spool_end_us(end);
	tr->probes_sent = end->u.end.probes;
}

/* Builds the trace of input entry in and hands it to the callback: its
 * return, or -2 when out of memory. */
static int asm_trace(const asm_ctx *c, uint32_t in, const bt_rec *end)
{
	const bt_spool_run *run = c->run;
	const bt_engine_opts *o = run->o;
	size_t nhops = end->b;
	bt_trace *tr = bt_trace_alloc(nhops);
	if (tr == NULL)
		return -2;
	bt_spool_trace_head(run, in, end, tr);
	tr->hop_count = nhops;
	asm_hops(c, in, end, tr);
	if (tr->stop == BT_STOP_COMPLETED || tr->stop == BT_STOP_UNREACHABLE)
		tr->stop_ttl = (uint8_t)(o->first_ttl + nhops - 1);
	/* the engine keeps a back_stop only below hops of the trace's own */
	tr->filled_below_ttl = end->slot ? (uint8_t)(o->first_ttl + end->slot) : 0;
	return run->cb(tr, run->cbarg);
}

bt_rec *bt_spool_map(bt_spool *s, size_t *len, bool populate, char *err, size_t errlen)
{
	*len = 0;
	bt_spool_flush(s);
	if (s->err != 0) {
		snprintf(err, errlen, "spool file in %s: %s", s->where, strerror(s->err));
		return MAP_FAILED;
	}
	return bt_spool_map_n(s, s->recs, len, populate, err, errlen);
}

bt_rec *bt_spool_map_n(const bt_spool *s, uint64_t nrec, size_t *len, bool populate, char *err, size_t errlen)
{
	*len = 0;
	if (nrec == 0)
		return NULL;
	*len = nrec * sizeof(bt_rec);
	/* populated at once when the sort touches every page in random order */
	bt_rec *recs = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_SHARED | (populate ? MAP_POPULATE : 0), s->fd, 0);
	if (recs == MAP_FAILED)
		snprintf(err, errlen, "spool file in %s: %s", s->where, strerror(errno));
	return recs;
}

int bt_spool_assemble(bt_spool *s, const bt_spool_run *run, char *err, size_t errlen)
{
	size_t len;
	asm_ctx c = { .run = run };
	c.recs = bt_spool_map(s, &len, true, err, errlen);
	if (c.recs == NULL || c.recs == MAP_FAILED)
		return c.recs == NULL ? 0 : -1;
	int rc = 0;
	if (asm_sort(&c, s->recs) != 0) {
		snprintf(err, errlen, "building %zu traces: out of memory, or the spool file was changed",
			 run->ninput);
		rc = -1;
	}
	for (uint32_t in = 0; rc == 0 && in < run->ninput && !*run->cb_failed; in++) {
		const bt_rec *end = asm_end(&c, in);
		if (end == NULL)
			continue; /* not finished: stopped before */
		int r = asm_trace(&c, in, end);
		if (r == -2) {
			snprintf(err, errlen, "out of memory building a trace");
			rc = -1;
		} else if (r != 0) {
			*run->cb_failed = 1;
		}
	}
	bt_acct_free(run->acct, c.start, (run->ninput + 1) * sizeof(uint32_t));
	munmap(c.recs, len);
	return rc;
}
