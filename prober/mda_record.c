/* bordertrace — multipath: one trace record (format version 2) per target
 * from every round's replies (doc/probing.md, "Multipath";
 * doc/trace-format.md). Each reply is one entry, carrying its flow when
 * not flow 0 of the run; a TTL no flow got an answer at is one silent
 * entry. Entries of a TTL go in attempt, then flow order. */
#include "engine_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Replies in record order: TTL, attempt, flow, then arrival. */
static int hop_cmp(const void *pa, const void *pb)
{
	const bt_rec *a = *(const bt_rec *const *)pa, *b = *(const bt_rec *const *)pb;
	if (a->slot != b->slot)
		return a->slot < b->slot ? -1 : 1;
	if (a->u.hop.attempt != b->u.hop.attempt)
		return a->u.hop.attempt < b->u.hop.attempt ? -1 : 1;
	uint32_t fa = a->in % BT_MDA_FLOWS, fb = b->in % BT_MDA_FLOWS;
	if (fa != fb)
		return fa < fb ? -1 : 1;
	return a < b ? -1 : a > b;
}

/* The trace-level fields over every flow's closing record: the first one
 * for the header, the earliest start, the latest end, every probe; the
 * destination's answer (or an unreachable) from any flow stops the record
 * at the highest TTL one came from; otherwise the stop of the full-length
 * flows. *last: the highest TTL index of the record. */
static int merge_ends(const bt_spool_run *run, uint32_t t, const bt_rec *r, size_t n, bt_trace *tr, int *last)
{
	const bt_rec *head = NULL;
	unsigned nslots = (unsigned)(run->o->max_ttl - run->o->first_ttl + 1u);
	int found = -1;
	bt_stop full = BT_STOP_ERROR;
	uint64_t probes = 0;
	int64_t end_us = 0;
	*last = -1;
	for (size_t i = 0; i < n; i++) {
		const bt_rec *x = &r[i];
		if (x->kind != BT_REC_END)
			continue;
		if (head == NULL || (head->a == BT_STOP_ERROR && x->a != BT_STOP_ERROR))
			head = x;
		probes += x->u.end.probes;
		int64_t e = bt_spool_end_us(x);
		end_us = e > end_us ? e : end_us;
		if (x->a == BT_STOP_ERROR)
			continue;
		if ((x->a == BT_STOP_COMPLETED || x->a == BT_STOP_UNREACHABLE) && (int)x->b - 1 >= found) {
			found = (int)x->b - 1;
			tr->stop = (bt_stop)x->a;
		} else if (MP_END(x->u.end.fill) == nslots && MP_LO(x->u.end.fill) == 0 && full == BT_STOP_ERROR) {
			full = (bt_stop)x->a;
		}
		if ((int)x->b - 1 > *last)
			*last = (int)x->b - 1;
	}
	if (head == NULL)
		return -1; /* no flow of it finished: a stopped run */
	bt_stop stop = found >= 0 ? tr->stop : full;
	bt_spool_trace_head(run, t * BT_MDA_FLOWS, head, tr);
	for (size_t i = 0; i < n; i++)
		if (r[i].kind == BT_REC_END && r[i].u.end.start_us < tr->start_us && r[i].a != BT_STOP_ERROR)
			tr->start_us = r[i].u.end.start_us;
	tr->end_us = end_us > tr->start_us ? end_us : tr->start_us;
	tr->probes_sent = probes > UINT32_MAX ? UINT32_MAX : (uint32_t)probes;
	tr->stop = head->a == BT_STOP_ERROR ? BT_STOP_ERROR : stop;
	if (found >= 0) {
		tr->stop_ttl = (uint8_t)(run->o->first_ttl + found);
		*last = found;
	}
	if (tr->stop == BT_STOP_ERROR)
		*last = -1;
	return 0;
}

/* MPLS labels of the reply of input entry in at slot: onto the first entry
 * of that flow at that TTL. */
static void put_mpls(bt_trace *tr, size_t from, size_t to, const bt_rec *m, uint16_t flow)
{
	for (size_t i = from; i < to; i++) {
		bt_hop *h = &tr->hops[i];
		if (bt_hop_flow(tr, h) != flow || !bt_addr_is_set(&h->addr) || m->a + m->b > BT_MPLS_MAX)
			continue;
		memcpy(h->mpls + m->a, m->u.mpls, m->b * sizeof(bt_mpls));
		if (m->a + m->b > h->mpls_count)
			h->mpls_count = (uint8_t)(m->a + m->b);
		return;
	}
}

/* The entries of TTL index h: its replies (hops[*k] on), or one silent
 * entry. */
static void put_ttl(const bt_spool_run *run, bt_trace *tr, unsigned h, const bt_rec **hp, size_t nh, size_t *j,
		    const bt_rec *r, size_t n)
{
	size_t from = tr->hop_count;
	for (; *j < nh && hp[*j]->slot == h && tr->hop_count < BT_HOPS_MAX; (*j)++) {
		bt_hop *x = &tr->hops[tr->hop_count++];
		memset(x, 0, sizeof(*x));
		bt_spool_hop_fill(run, hp[*j]->in, h, &hp[*j]->u.hop, x);
		uint32_t f = hp[*j]->in % BT_MDA_FLOWS;
		if (f != 0) {
			x->has_flow = true;
			x->flow = run->flows[f].flow;
		}
	}
	for (; *j < nh && hp[*j]->slot == h; (*j)++)
		; /* beyond the record's size: dropped */
	if (tr->hop_count == from) {
		bt_hop *x = &tr->hops[tr->hop_count++];
		memset(x, 0, sizeof(*x));
		x->probe_ttl = (uint8_t)(run->o->first_ttl + h);
		x->attempt = run->o->attempts;
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (r[i].kind == BT_REC_MPLS && r[i].slot == h)
			put_mpls(tr, from, tr->hop_count, &r[i], run->flows[r[i].in % BT_MDA_FLOWS].flow);
}

/* Builds target t's record from its records r[0..n) and delivers it: the
 * callback's return, 1 when nothing of it finished, -2 out of memory. */
static int mda_trace(const bt_spool_run *run, uint32_t t, const bt_rec *r, size_t n)
{
	size_t nh = 0;
	for (size_t i = 0; i < n; i++)
		nh += r[i].kind == BT_REC_HOP;
	const bt_rec **hp = malloc((nh ? nh : 1) * sizeof(*hp));
	if (hp == NULL)
		return -2;
	nh = 0;
	for (size_t i = 0; i < n; i++)
		if (r[i].kind == BT_REC_HOP)
			hp[nh++] = &r[i];
	qsort(hp, nh, sizeof(*hp), hop_cmp);
	int last;
	bt_trace probe = { 0 };
	if (merge_ends(run, t, r, n, &probe, &last) != 0) {
		free(hp);
		return 1;
	}
	size_t cap = nh + (size_t)(last + 1);
	bt_trace *tr = bt_trace_alloc(cap < BT_HOPS_MAX ? cap : BT_HOPS_MAX);
	if (tr == NULL) {
		free(hp);
		return -2;
	}
	bt_hop *hops = tr->hops;
	size_t hcap = tr->hop_cap;
	*tr = probe;
	tr->hops = hops;
	tr->hop_cap = hcap;
	tr->hop_count = 0;
	size_t j = 0;
	for (int h = 0; h <= last && tr->hop_count < BT_HOPS_MAX; h++)
		put_ttl(run, tr, (unsigned)h, hp, nh, &j, r, n);
	free(hp);
	return run->cb(tr, run->cbarg);
}

int bt_mda_assemble(bt_spool *s, const bt_spool_run *run, mda_runs *runs, char *err, size_t errlen)
{
	mda_view v;
	if (bt_mda_view_open(&v, s, 0, runs, true, run->acct, err, errlen) != 0) {
		bt_mda_view_close(&v);
		return -1;
	}
	int rc = 0;
	for (uint32_t t = 0; v.recs != NULL && t < runs->ntargets && !*run->cb_failed; t++) {
		size_t n;
		const bt_rec *r = bt_mda_view_target(&v, t, &n);
		int x = r == NULL ? -2 : mda_trace(run, t, r, n);
		if (x == -2) {
			snprintf(err, errlen, "out of memory building a trace");
			rc = -1;
			break;
		}
		if (x != 0 && x != 1)
			*run->cb_failed = 1;
	}
	bt_mda_view_close(&v);
	return rc;
}
