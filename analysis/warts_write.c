/* bordertrace — our records written as scamper warts (warts_write.h,
 * doc/warts.md "Writing warts"). */
#include "bordertrace/warts_write.h"
#include "bordertrace/strtab.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <unistd.h>

#include <scamper_addr.h>
#include <scamper_file.h>
#include <scamper_icmpext.h>
#include <scamper_list.h>
#include <scamper_trace.h>

/* Cycles are kept by the id their (VP, campaign, round) key gets in cyk,
 * lists by that of their (VP, campaign) in lik: ids are dense, in order of
 * appearance, so that Atlas's interleaved probes cost one lookup a trace. */
struct bt_warts_writer {
	scamper_file_t *sf;
	int fd;
	char name[256];
	bt_strtab *cyk, *lik;
	scamper_cycle_t **cy;
	scamper_list_t **li;
	size_t ncy, cycap, nli, licap;
	uint32_t nother; /* cycle ids given to rounds of no known form */
};

bt_wcycle_kind bt_warts_round_cycle(const char *round, uint32_t *id, uint32_t *start)
{
	if (round[0] == 'c' && strlen(round) == 11 && strspn(round + 1, "0123456789") == 10) {
		unsigned long long v = strtoull(round + 1, NULL, 10);
		if (v > 0 && v <= UINT32_MAX) {
			*id = (uint32_t)v;
			return BT_WCYCLE_ARK;
		}
	}
	int64_t us;
	if (round[0] == '\0' || bt_time_parse(round, &us) != 0 || us < 0 || us % 1000000 != 0 ||
	    us / 1000000 > UINT32_MAX)
		return BT_WCYCLE_OTHER;
	/* only the exact form the reader writes back ("...:00Z") */
	char buf[BT_TIME_STRLEN];
	if (bt_time_format(us, buf, sizeof(buf)) == NULL)
		return BT_WCYCLE_OTHER;
	char *dot = strchr(buf, '.');
	if (dot != NULL)
		strcpy(dot, "Z");
	if (strcmp(buf, round) != 0)
		return BT_WCYCLE_OTHER;
	*start = (uint32_t)(us / 1000000);
	return BT_WCYCLE_TIME;
}

bt_warts_writer *bt_warts_writer_open(int fd, const char *name, char *err, size_t errlen)
{
	bt_warts_writer *w = calloc(1, sizeof(*w));
	if (w == NULL) {
		snprintf(err, errlen, "out of memory");
		close(fd);
		return NULL;
	}
	snprintf(w->name, sizeof(w->name), "%s", name);
	w->fd = fd;
	w->cyk = bt_strtab_new();
	w->lik = bt_strtab_new();
	if (w->cyk == NULL || w->lik == NULL) {
		snprintf(err, errlen, "out of memory");
		close(fd);
		bt_strtab_free(w->cyk);
		bt_strtab_free(w->lik);
		free(w);
		return NULL;
	}
	w->sf = scamper_file_openfd(fd, w->name, 'w', (char *)"warts");
	if (w->sf == NULL) {
		bt_strtab_free(w->cyk);
		bt_strtab_free(w->lik);
		snprintf(err, errlen, "%s: libscamperfile cannot write warts there", name);
		close(fd);
		free(w);
		return NULL;
	}
	return w;
}

/* "VP\0CAMPAIGN" (with_round: "\0ROUND" too) into key; its length. */
static size_t key_of(char *key, const bt_trace *t, bool with_round)
{
	size_t a = strlen(t->vp), b = strlen(t->campaign), c = strlen(t->round);
	memcpy(key, t->vp, a + 1);
	memcpy(key + a + 1, t->campaign, b + 1);
	if (!with_round)
		return a + 1 + b;
	memcpy(key + a + b + 2, t->round, c + 1);
	return a + b + c + 2;
}

/* Grows *arr (of elements of size sz) so that index n fits. 0 or -1. */
static int grow(void *arr, size_t *cap, size_t n, size_t sz)
{
	if (n < *cap)
		return 0;
	size_t c = *cap ? 2 * *cap : 16;
	void *p = realloc(*(void **)arr, c * sz);
	if (p == NULL)
		return -1;
	*(void **)arr = p;
	*cap = c;
	return 0;
}

/* The list of t's VP and campaign: an earlier one, or a new one. */
static scamper_list_t *list_of(bt_warts_writer *w, const bt_trace *t)
{
	char key[3 * BT_ID_MAX];
	size_t n = key_of(key, t, false);
	uint32_t id = bt_strtab_find(w->lik, key, n);
	if (id != UINT32_MAX)
		return w->li[id];
	if (grow(&w->li, &w->licap, w->nli, sizeof(*w->li)) != 0)
		return NULL;
	scamper_list_t *l = scamper_list_alloc((uint32_t)w->nli + 1, t->campaign[0] ? t->campaign : "default",
					       NULL, t->vp[0] ? t->vp : NULL);
	if (l == NULL || bt_strtab_intern(w->lik, key, n) != w->nli) {
		if (l != NULL)
			scamper_list_free(l);
		return NULL;
	}
	return w->li[w->nli++] = l;
}

/* A new cycle for t's round (its key interned as id ncy), its start record
 * written. NULL on error. */
static scamper_cycle_t *new_cycle(bt_warts_writer *w, const bt_trace *t, const char *key, size_t n,
				  char *err, size_t errlen)
{
	scamper_list_t *l = list_of(w, t);
	scamper_cycle_t *c = l ? scamper_cycle_alloc(l) : NULL;
	if (c == NULL || grow(&w->cy, &w->cycap, w->ncy, sizeof(*w->cy)) != 0 ||
	    bt_strtab_intern(w->cyk, key, n) != w->ncy) {
		if (c != NULL)
			scamper_cycle_free(c);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	uint32_t id = 0, start = (uint32_t)(t->start_us / 1000000);
	if (bt_warts_round_cycle(t->round, &id, &start) == BT_WCYCLE_OTHER)
		id = ++w->nother; /* read back as "c" and the id (doc/warts.md) */
	c->id = id;
	c->start_time = start;
	c->stop_time = start;
	c->hostname = t->vp[0] ? strdup(t->vp) : NULL;
	w->cy[w->ncy++] = c;
	if (scamper_file_write_cycle_start(w->sf, c) != 0) {
		snprintf(err, errlen, "%s: cannot write a cycle: %s", w->name, strerror(errno));
		return NULL;
	}
	return c;
}

/* The cycle of t's round: an earlier one, or a new one. */
static scamper_cycle_t *cycle_of(bt_warts_writer *w, const bt_trace *t, char *err, size_t errlen)
{
	char key[3 * BT_ID_MAX];
	size_t n = key_of(key, t, true);
	uint32_t id = bt_strtab_find(w->cyk, key, n);
	if (id != UINT32_MAX)
		return w->cy[id];
	return new_cycle(w, t, key, n, err, errlen);
}

static scamper_addr_t *saddr(const bt_addr *a)
{
	return scamper_addr_alloc(a->family == AF_INET6 ? SCAMPER_ADDR_TYPE_IPV6 : SCAMPER_ADDR_TYPE_IPV4,
				  a->bytes);
}

/* RFC 4950 label stack entries as one ICMP extension object (class 1, type 1). */
static scamper_icmpext_t *mpls_ext(const bt_hop *h)
{
	uint8_t d[4 * BT_MPLS_MAX];
	for (int i = 0; i < h->mpls_count; i++) {
		const bt_mpls *m = &h->mpls[i];
		uint32_t e = m->label << 12 | (uint32_t)(m->tc & 7) << 9 | (uint32_t)(m->s & 1) << 8 | m->ttl;
		d[4 * i] = (uint8_t)(e >> 24);
		d[4 * i + 1] = (uint8_t)(e >> 16);
		d[4 * i + 2] = (uint8_t)(e >> 8);
		d[4 * i + 3] = (uint8_t)e;
	}
	return scamper_icmpext_alloc(1, 1, (uint16_t)(4 * h->mpls_count), d);
}

static scamper_trace_hop_t *shop(const bt_trace *t, const bt_hop *h)
{
	scamper_trace_hop_t *s = scamper_trace_hop_alloc();
	if (s == NULL || (s->hop_addr = saddr(&h->addr)) == NULL)
		goto fail;
	s->hop_probe_ttl = h->probe_ttl;
	s->hop_probe_id = h->attempt;
	s->hop_reply_size = h->reply_size;
	s->hop_tx.tv_sec = t->start_us / 1000000;
	s->hop_tx.tv_usec = t->start_us % 1000000;
	s->hop_rtt.tv_sec = h->rtt_us / 1000000;
	s->hop_rtt.tv_usec = h->rtt_us % 1000000;
	if (h->reply_ttl) {
		s->hop_flags |= SCAMPER_TRACE_HOP_FLAG_REPLY_TTL;
		s->hop_reply_ttl = h->reply_ttl;
	}
	if (h->tcp_flags) {
		s->hop_flags |= SCAMPER_TRACE_HOP_FLAG_TCP;
		s->hop_tcp_flags = h->tcp_flags;
	} else {
		s->hop_icmp_type = h->icmp_type;
		s->hop_icmp_code = h->icmp_code;
		s->hop_icmp_q_ttl = h->quoted_ttl;
	}
	if (h->mpls_count && (s->hop_icmpext = mpls_ext(h)) == NULL)
		goto fail;
	return s;
fail:
	if (s != NULL)
		scamper_trace_hop_free(s);
	return NULL;
}

static uint8_t stop_reason(bt_stop s)
{
	switch (s) {
	case BT_STOP_COMPLETED: return SCAMPER_TRACE_STOP_COMPLETED;
	case BT_STOP_UNREACHABLE: return SCAMPER_TRACE_STOP_UNREACH;
	case BT_STOP_GAPLIMIT: return SCAMPER_TRACE_STOP_GAPLIMIT;
	case BT_STOP_MAXTTL: return SCAMPER_TRACE_STOP_HOPLIMIT;
	case BT_STOP_ERROR: return SCAMPER_TRACE_STOP_ERROR;
	default: return SCAMPER_TRACE_STOP_NONE;
	}
}

/* The trace's own fields for flow (its own, or another of its entries':
 * that flow's ports or checksum in our numbering, doc/warts.md). */
static void header(scamper_trace_t *s, const bt_trace *t, uint16_t flow)
{
	uint16_t d = (uint16_t)(flow - t->flow);
	s->start.tv_sec = t->start_us / 1000000;
	s->start.tv_usec = t->start_us % 1000000;
	s->probec = (uint16_t)(t->probes_sent > UINT16_MAX ? UINT16_MAX : t->probes_sent);
	/* another flow's trace has no stop of its own: completed only when the
	 * destination answered it (put_flow), none otherwise */
	s->stop_reason = d ? SCAMPER_TRACE_STOP_NONE : stop_reason(t->stop);
	s->hoplimit = t->max_ttl;
	s->firsthop = t->first_ttl;
	s->attempts = 1;
	if (t->method == BT_METHOD_ICMP_PARIS) {
		s->type = SCAMPER_TRACE_TYPE_ICMP_ECHO_PARIS;
		s->flags = SCAMPER_TRACE_FLAG_ICMPCSUMDP;
		s->dport = d ? (uint16_t)(0x1000 + flow) : t->icmp_sum;
	} else {
		s->type = t->method == BT_METHOD_UDP_PARIS ? SCAMPER_TRACE_TYPE_UDP_PARIS : SCAMPER_TRACE_TYPE_TCP;
		s->sport = d ? (uint16_t)(40000 + flow) : t->sport;
		s->dport = t->dport;
	}
}

/* Appends the replies of flow (copied hops left out) to s's hop lists. */
static int hops(scamper_trace_t *s, const bt_trace *t, uint16_t flow)
{
	size_t from = bt_trace_copied_hops(t);
	uint8_t last = t->hop_count ? t->hops[t->hop_count - 1].probe_ttl : 0;
	if (from > 0)
		s->firsthop = t->filled_below_ttl;
	if (last && scamper_trace_hops_alloc(s, last) != 0)
		return -1;
	s->hop_count = last;
	scamper_trace_hop_t **tail[256] = { 0 };
	for (size_t i = from; i < t->hop_count; i++) {
		const bt_hop *h = &t->hops[i];
		if (h->attempt > s->attempts)
			s->attempts = h->attempt;
		if (h->addr.family == 0 || bt_hop_flow(t, h) != flow || h->probe_ttl == 0)
			continue;
		scamper_trace_hop_t *sh = shop(t, h);
		if (sh == NULL)
			return -1;
		if (flow != t->flow && bt_addr_eq(&h->addr, &t->dst))
			s->stop_reason = SCAMPER_TRACE_STOP_COMPLETED;
		uint8_t k = h->probe_ttl;
		if (tail[k] == NULL)
			tail[k] = &s->hops[k - 1];
		*tail[k] = sh;
		tail[k] = &sh->hop_next;
	}
	return 0;
}

static int put_flow(bt_warts_writer *w, scamper_cycle_t *c, const bt_trace *t, uint16_t flow,
		    char *err, size_t errlen)
{
	scamper_trace_t *s = scamper_trace_alloc();
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->list = scamper_list_use(c->list);
	s->cycle = scamper_cycle_use(c);
	header(s, t, flow);
	int rc = -1;
	if ((t->src.family && (s->src = saddr(&t->src)) == NULL) || (s->dst = saddr(&t->dst)) == NULL ||
	    hops(s, t, flow) != 0)
		snprintf(err, errlen, "out of memory");
	else if (scamper_file_write_trace(w->sf, s) != 0)
		snprintf(err, errlen, "%s: cannot write a trace: %s", w->name, strerror(errno));
	else
		rc = 0;
	scamper_trace_free(s);
	uint32_t end = (uint32_t)(t->end_us / 1000000);
	if (end > c->stop_time)
		c->stop_time = end;
	return rc;
}

int bt_warts_writer_put(bt_warts_writer *w, const bt_trace *t, char *err, size_t errlen)
{
	scamper_cycle_t *c = cycle_of(w, t, err, errlen);
	if (c == NULL)
		return -1;
	if (put_flow(w, c, t, t->flow, err, errlen) != 0)
		return -1;
	/* every other flow once, in the order of its first entry */
	for (size_t i = 0; i < t->hop_count; i++) {
		uint16_t f = bt_hop_flow(t, &t->hops[i]);
		size_t j = 0;
		while (j < i && bt_hop_flow(t, &t->hops[j]) != f)
			j++;
		if (f != t->flow && j == i && put_flow(w, c, t, f, err, errlen) != 0)
			return -1;
	}
	return 0;
}

static void free_cycles(bt_warts_writer *w)
{
	for (size_t i = 0; i < w->ncy; i++)
		scamper_cycle_free(w->cy[i]);
	for (size_t i = 0; i < w->nli; i++)
		scamper_list_free(w->li[i]);
	free(w->cy);
	free(w->li);
	bt_strtab_free(w->cyk);
	bt_strtab_free(w->lik);
}

int bt_warts_writer_close(bt_warts_writer *w, char *err, size_t errlen)
{
	int rc = 0;
	for (size_t i = 0; i < w->ncy && rc == 0; i++)
		if (scamper_file_write_cycle_stop(w->sf, w->cy[i]) != 0) {
			snprintf(err, errlen, "%s: cannot write a cycle: %s", w->name, strerror(errno));
			rc = -1;
		}
	if (rc == 0 && fsync(w->fd) != 0) {
		snprintf(err, errlen, "%s: %s", w->name, strerror(errno));
		rc = -1;
	}
	scamper_file_close(w->sf);
	free_cycles(w);
	free(w);
	return rc;
}

void bt_warts_writer_abort(bt_warts_writer *w)
{
	if (w == NULL)
		return;
	scamper_file_close(w->sf);
	free_cycles(w);
	free(w);
}
