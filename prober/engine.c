/* bordertrace — the probe engine (see include/bordertrace/engine.h).
 *
 * Per-target state is a small array of TTL slots: unsent, in flight, waiting
 * for a retry, replied, or given up (a gap). A "frontier" walks the slots in
 * TTL order as they settle; the gap limit, the destination's answer and max
 * TTL end a trace there. Sends are paced by a token bucket shared by all
 * targets, visited round-robin so that every target progresses. */
#include "bordertrace/engine.h"

#include <errno.h>
#include <libnet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bordertrace/probe.h"
#include "bordertrace/reply.h"

enum { SLOT_UNSENT = 0, SLOT_INFLIGHT, SLOT_RETRY, SLOT_REPLIED, SLOT_GAP };

#define NO_STOP 0xffff

typedef struct target {
	uint32_t dst, src;      /* network order */
	uint16_t flow;          /* index into the engine's flows */
	bt_trace *tr;           /* the record being filled */
	uint64_t start_mono;    /* µs, CLOCK_MONOTONIC, first probe */
	uint16_t next;          /* index of the next never-sent TTL */
	uint16_t frontier;      /* every index below is settled */
	uint16_t stop_idx;      /* index of the destination / unreachable reply */
	uint16_t gap_run;       /* consecutive gaps ending at the frontier */
	uint8_t outstanding;
	uint8_t stop_reason;    /* bt_stop, pending until the frontier gets there */
	uint8_t *slot;          /* per TTL index */
	uint8_t *att;           /* attempts made per TTL index */
	uint32_t *sent;         /* per (index, attempt): µs since start_mono */
} target;

struct bt_engine {
	bt_engine_opts o;
	bt_flow flow;           /* the first flow; matching derives the others */
	bt_flow *flows;         /* nflows of them */
	bt_probe_builder *pb;
	pcap_t *pcap;
	int pcap_fd;
	int dlt;
	bt_engine_stats st;
	/* per run */
	target *tg;
	size_t ntg;
	uint64_t *hkeys;        /* open addressing: (flow, dst) -> index + 1 */
	uint32_t *hvals;
	size_t hmask;
	uint16_t nslots;
	uint64_t now;
	bt_engine_trace_cb cb;
	void *cbarg;
	int cb_failed;
	char *err;
	size_t errlen;
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
	else if (o->window < 1)
		snprintf(err, errlen, "window must be at least 1");
	else if (o->rate_pps < 1)
		snprintf(err, errlen, "rate must be at least 1 packet per second");
	else if (o->wait_us < 1000)
		snprintf(err, errlen, "wait must be at least 1 ms");
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

/* ---- target table ---- */

static uint32_t hash32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	x *= 0x846ca68bU;
	x ^= x >> 16;
	return x;
}

static target *lookup(bt_engine *e, uint32_t dst, uint16_t flowidx)
{
	uint64_t key = (uint64_t)flowidx << 32 | dst;
	for (size_t i = hash32(dst ^ (uint32_t)flowidx * 0x9e3779b9U) & e->hmask;; i = (i + 1) & e->hmask) {
		if (e->hvals[i] == 0)
			return NULL;
		if (e->hkeys[i] == key)
			return &e->tg[e->hvals[i] - 1];
	}
}

static int insert(bt_engine *e, uint32_t dst, uint16_t flowidx, uint32_t idx)
{
	uint64_t key = (uint64_t)flowidx << 32 | dst;
	for (size_t i = hash32(dst ^ (uint32_t)flowidx * 0x9e3779b9U) & e->hmask;; i = (i + 1) & e->hmask) {
		if (e->hvals[i] == 0) {
			e->hkeys[i] = key;
			e->hvals[i] = idx + 1;
			return 0;
		}
		if (e->hkeys[i] == key)
			return -1;
	}
}

/* The source the kernel would use toward dst (a connected UDP socket does the
 * route lookup without sending anything). */
static int route_source(const bt_engine *e, uint32_t dst, uint32_t *src, int *why)
{
	if (bt_addr_is_set(&e->o.src)) {
		*src = bt_addr_v4(&e->o.src);
		return 0;
	}
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	if (u < 0) {
		*why = errno;
		return -1;
	}
	if (e->o.device)
		(void)setsockopt(u, SOL_SOCKET, SO_BINDTODEVICE, e->o.device, (socklen_t)strlen(e->o.device));
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(33435) };
	sin.sin_addr.s_addr = dst;
	socklen_t sl = sizeof(sin);
	int rc = connect(u, (struct sockaddr *)&sin, sizeof(sin));
	if (rc == 0)
		rc = getsockname(u, (struct sockaddr *)&sin, &sl);
	*why = errno;
	close(u);
	if (rc != 0)
		return -1;
	*src = sin.sin_addr.s_addr;
	return 0;
}

/* ---- per-target progress ---- */

static void finish(bt_engine *e, target *t, bt_stop reason, size_t nhops)
{
	bt_trace *tr = t->tr;
	tr->stop = reason;
	tr->end_us = wall_us();
	if (tr->start_us == 0)
		tr->start_us = tr->end_us;
	tr->hop_count = nhops;
	for (size_t i = 0; i < nhops; i++) {
		bt_hop *h = &tr->hops[i];
		h->probe_ttl = (uint8_t)(e->o.first_ttl + i);
		if (t->slot[i] != SLOT_REPLIED) {
			memset(h, 0, sizeof(*h));
			h->probe_ttl = (uint8_t)(e->o.first_ttl + i);
			h->attempt = t->att[i];
		}
	}
	if (reason == BT_STOP_COMPLETED || reason == BT_STOP_UNREACHABLE)
		tr->stop_ttl = (uint8_t)(e->o.first_ttl + t->stop_idx);
	t->tr = NULL;
	e->st.targets_done++;
	if (!e->cb_failed && e->cb(tr, e->cbarg) != 0)
		e->cb_failed = 1;
}

/* Moves the frontier over settled slots and ends the trace when it can. */
static void advance(bt_engine *e, target *t)
{
	if (t->tr == NULL)
		return; /* finished already */
	uint16_t limit = t->stop_idx != NO_STOP ? t->stop_idx : e->nslots;
	while (t->frontier < limit &&
	       (t->slot[t->frontier] == SLOT_REPLIED || t->slot[t->frontier] == SLOT_GAP)) {
		t->gap_run = t->slot[t->frontier] == SLOT_GAP ? (uint16_t)(t->gap_run + 1) : 0;
		t->frontier++;
		if (t->gap_run >= e->o.gap_limit) {
			finish(e, t, BT_STOP_GAPLIMIT, t->frontier);
			return;
		}
	}
	if (t->stop_idx != NO_STOP && t->frontier >= t->stop_idx)
		finish(e, t, (bt_stop)t->stop_reason, (size_t)t->stop_idx + 1);
	else if (t->frontier >= e->nslots)
		finish(e, t, BT_STOP_MAXTTL, e->nslots);
}

static void expire(bt_engine *e, target *t, uint64_t *deadline)
{
	if (t->tr == NULL)
		return;
	uint32_t rel = (uint32_t)(e->now - t->start_mono);
	uint16_t end = t->next;
	if (t->stop_idx != NO_STOP && t->stop_idx < end)
		end = t->stop_idx;
	for (uint16_t i = t->frontier; i < end; i++) {
		if (t->slot[i] != SLOT_INFLIGHT)
			continue;
		uint32_t sent = t->sent[i * e->o.attempts + t->att[i] - 1];
		if (rel - sent >= e->o.wait_us) {
			t->outstanding--;
			t->slot[i] = t->att[i] < e->o.attempts ? SLOT_RETRY : SLOT_GAP;
		} else {
			uint64_t d = t->start_mono + sent + e->o.wait_us;
			if (d < *deadline)
				*deadline = d;
		}
	}
	advance(e, t);
}

/* The slot index to probe next, or -1 if this target must wait. */
static int next_slot(const bt_engine *e, const target *t)
{
	if (t->outstanding >= e->o.window)
		return -1;
	uint16_t limit = t->stop_idx != NO_STOP ? t->stop_idx : e->nslots;
	for (uint16_t i = t->frontier; i < t->next && i < limit; i++)
		if (t->slot[i] == SLOT_RETRY)
			return i;
	if (t->next < limit)
		return t->next;
	return -1;
}

static int send_probe(bt_engine *e, target *t, int idx)
{
	uint8_t ttl = (uint8_t)(e->o.first_ttl + idx);
	uint8_t attempt = (uint8_t)(t->att[idx] + 1);
	char err[256];

	if (t->start_mono == 0) {
		t->start_mono = e->now;
		t->tr->start_us = wall_us();
	}
	if (bt_probe_build(e->pb, &e->flows[t->flow], t->src, t->dst, ttl, attempt, err, sizeof(err)) != 0 ||
	    bt_probe_send(e->pb, err, sizeof(err)) < 0) {
		e->st.send_errors++;
		if (errno == ENOBUFS || errno == EAGAIN)
			return -1; /* the queue is full: try again later, nothing recorded */
		/* No route, or the kernel refused: this target cannot be traced. */
		finish(e, t, BT_STOP_ERROR, 0);
		return 0;
	}
	e->st.probes_sent++;
	t->tr->probes_sent++;
	t->att[idx] = attempt;
	t->sent[idx * e->o.attempts + attempt - 1] = (uint32_t)(e->now - t->start_mono);
	t->slot[idx] = SLOT_INFLIGHT;
	t->outstanding++;
	if (idx == t->next)
		t->next++;
	return 0;
}

static void on_reply(bt_engine *e, const bt_reply *r)
{
	bt_match m;
	if (bt_probe_match_flows(&e->flow, e->o.nflows, r, &m) != 0) {
		e->st.foreign++;
		return;
	}
	target *t = lookup(e, m.dst, (uint16_t)(m.flow - e->flow.flow));
	int idx = (int)m.ttl - e->o.first_ttl;
	if (t == NULL || idx < 0 || idx >= e->nslots || m.attempt > e->o.attempts) {
		e->st.foreign++; /* passes the check but names no probe of this run */
		return;
	}
	if (t->tr == NULL || m.attempt > t->att[idx]) {
		/* finished trace, or an attempt not sent yet: cannot be a reply to us */
		if (t->tr == NULL)
			e->st.late++;
		else
			e->st.foreign++;
		return;
	}
	if (t->slot[idx] != SLOT_INFLIGHT && t->slot[idx] != SLOT_RETRY) {
		e->st.late++; /* already replied, or given up as a gap */
		return;
	}
	if (t->stop_idx != NO_STOP && idx > t->stop_idx) {
		e->st.late++;
		return;
	}
	e->st.replies++;
	if (t->slot[idx] == SLOT_INFLIGHT)
		t->outstanding--;
	t->slot[idx] = SLOT_REPLIED;

	bt_hop *h = &t->tr->hops[idx];
	memset(h, 0, sizeof(*h));
	h->probe_ttl = m.ttl;
	h->attempt = m.attempt;
	bt_addr_from_v4(&h->addr, r->src);
	uint32_t sent = t->sent[idx * e->o.attempts + m.attempt - 1];
	uint64_t rel = e->now - t->start_mono;
	h->rtt_us = rel > sent ? (uint32_t)(rel - sent) : 0;
	h->reply_ttl = r->ttl;
	h->reply_size = r->ip_len;
	if (r->proto == IPPROTO_TCP) {
		h->tcp_flags = r->tcp_flags;
	} else {
		h->icmp_type = r->icmp_type;
		h->icmp_code = r->icmp_code;
	}
	if (r->quoted)
		h->quoted_ttl = r->q_ttl;
	h->mpls_count = r->mpls_count;
	memcpy(h->mpls, r->mpls, sizeof(h->mpls));

	if (m.kind != BT_MATCH_HOP && (t->stop_idx == NO_STOP || idx < t->stop_idx)) {
		t->stop_idx = (uint16_t)idx;
		t->stop_reason = m.kind == BT_MATCH_DEST ? BT_STOP_COMPLETED : BT_STOP_UNREACHABLE;
	}
	advance(e, t);
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	bt_engine *e = (bt_engine *)user;
	bt_reply r;
	bt_reply_status s = bt_reply_parse(bytes, h->caplen, e->dlt, &r);
	if (s == BT_REPLY_OK)
		on_reply(e, &r);
	else if (s == BT_REPLY_OTHER)
		e->st.foreign++;
	else
		e->st.malformed++;
}

static void free_run(bt_engine *e)
{
	if (e->tg) {
		for (size_t i = 0; i < e->ntg; i++) {
			bt_trace_free(e->tg[i].tr);
			free(e->tg[i].slot);
			free(e->tg[i].att);
			free(e->tg[i].sent);
		}
	}
	free(e->tg);
	free(e->hkeys);
	free(e->hvals);
	e->tg = NULL;
	e->hkeys = NULL;
	e->hvals = NULL;
	e->ntg = 0;
}

/* One entry per (target, flow): target i's flows are entries i*nflows.. */
static int setup_run(bt_engine *e, const bt_addr *targets, size_t n, char *err, size_t errlen)
{
	char a[BT_ADDR_STRLEN];
	size_t nf = e->o.nflows, total = n * nf;
	size_t cap = 16;
	while (cap < total * 2)
		cap <<= 1;
	e->nslots = (uint16_t)(e->o.max_ttl - e->o.first_ttl + 1);
	e->tg = calloc(total ? total : 1, sizeof(*e->tg));
	e->hkeys = calloc(cap, sizeof(*e->hkeys));
	e->hvals = calloc(cap, sizeof(*e->hvals));
	e->hmask = cap - 1;
	if (e->tg == NULL || e->hkeys == NULL || e->hvals == NULL)
		goto oom;
	for (size_t i = 0; i < total; i++) {
		target *t = &e->tg[i];
		const bt_addr *dst = &targets[i / nf];
		const bt_flow *f = &e->flows[i % nf];
		if (dst->family != AF_INET) {
			snprintf(err, errlen, "target %s: only IPv4 is supported so far",
				 bt_addr_format(dst, a, sizeof(a)));
			return -1;
		}
		t->dst = bt_addr_v4(dst);
		t->flow = (uint16_t)(i % nf);
		t->stop_idx = NO_STOP;
		if (insert(e, t->dst, t->flow, (uint32_t)i) != 0) {
			snprintf(err, errlen, "target %s given twice", bt_addr_format(dst, a, sizeof(a)));
			return -1;
		}
		t->tr = bt_trace_alloc(e->nslots);
		t->slot = calloc(e->nslots, 1);
		t->att = calloc(e->nslots, 1);
		t->sent = calloc((size_t)e->nslots * e->o.attempts, sizeof(uint32_t));
		e->ntg = i + 1;
		if (t->tr == NULL || t->slot == NULL || t->att == NULL || t->sent == NULL)
			goto oom;
		bt_trace *tr = t->tr;
		tr->version = BT_TRACE_FORMAT_VERSION;
		snprintf(tr->vp, sizeof(tr->vp), "%s", e->o.vp ? e->o.vp : "");
		snprintf(tr->campaign, sizeof(tr->campaign), "%s", e->o.campaign ? e->o.campaign : "");
		snprintf(tr->round, sizeof(tr->round), "%s", e->o.round ? e->o.round : "");
		tr->method = e->o.method;
		tr->dst = *dst;
		tr->flow = f->flow;
		tr->sport = f->sport;
		tr->dport = f->dport;
		tr->icmp_sum = f->icmp_sum;
		tr->first_ttl = e->o.first_ttl;
		tr->max_ttl = e->o.max_ttl;
	}
	e->ntg = total;
	return 0;
oom:
	snprintf(err, errlen, "out of memory for %zu targets", n);
	return -1;
}

int bt_engine_run(bt_engine *e, const bt_addr *targets, size_t ntargets,
		  bt_engine_trace_cb cb, void *arg, volatile sig_atomic_t *stop,
		  char *err, size_t errlen)
{
	e->cb = cb;
	e->cbarg = arg;
	e->cb_failed = 0;
	if (setup_run(e, targets, ntargets, err, errlen) != 0) {
		free_run(e);
		return -1;
	}
	e->now = mono_us();
	/* Sources first: a target without a route ends at once as an error. */
	size_t nentries = e->ntg;
	size_t *active = malloc((nentries ? nentries : 1) * sizeof(size_t));
	size_t nactive = 0;
	if (active == NULL) {
		snprintf(err, errlen, "out of memory");
		free_run(e);
		return -1;
	}
	for (size_t i = 0; i < nentries; i++) {
		target *t = &e->tg[i];
		int why = 0;
		if (t->flow > 0) {
			t->src = e->tg[i - t->flow].src; /* same target, same route */
			if (e->tg[i - t->flow].tr == NULL && t->src == 0) {
				t->tr->start_us = wall_us();
				finish(e, t, BT_STOP_ERROR, 0);
				continue;
			}
		} else if (route_source(e, t->dst, &t->src, &why) != 0) {
			t->tr->start_us = wall_us();
			finish(e, t, BT_STOP_ERROR, 0);
			continue;
		}
		bt_addr_from_v4(&t->tr->src, t->src);
		active[nactive++] = i;
	}

	/* Token bucket: at most one millisecond's worth of probes at once, so
	 * sends stay paced even at high rates. */
	double rate = e->o.rate_pps;
	double burst = rate / 1000.0 < 1.0 ? 1.0 : rate / 1000.0;
	double tokens = 1.0;
	uint64_t last = e->now;
	size_t cursor = 0;
	int result = 0;

	while (nactive > 0) {
		if (stop && *stop) {
			result = 1;
			break;
		}
		if (e->cb_failed) {
			result = 1;
			break;
		}
		e->now = mono_us();
		tokens += (double)(e->now - last) * rate / 1e6;
		if (tokens > burst)
			tokens = burst;
		last = e->now;

		uint64_t deadline = e->now + 50000;
		bool want_send = false;
		/* One pass: settle timeouts, send at most one probe per target. */
		for (size_t visited = 0, count = nactive; visited < count && nactive > 0; visited++) {
			if (cursor >= nactive)
				cursor = 0;
			target *t = &e->tg[active[cursor]];
			expire(e, t, &deadline);
			if (t->tr != NULL) {
				int idx = next_slot(e, t);
				if (idx >= 0) {
					if (tokens >= 1.0) {
						if (send_probe(e, t, idx) == 0)
							tokens -= 1.0;
						else
							want_send = true;
						/* more of its window to fill: come back at once */
						if (t->tr != NULL && next_slot(e, t) >= 0)
							want_send = true;
						if (t->tr != NULL && t->slot[idx] == SLOT_INFLIGHT) {
							uint64_t d = e->now + e->o.wait_us;
							if (d < deadline)
								deadline = d;
						}
					} else {
						want_send = true;
					}
				}
			}
			if (t->tr == NULL) {
				active[cursor] = active[--nactive];
				continue; /* the swapped-in target is visited next */
			}
			cursor++;
		}
		if (nactive == 0)
			break;

		int timeout_ms;
		if (want_send) { /* only a waiting probe needs the next token */
			double need = tokens >= 1.0 ? 0.0 : (1.0 - tokens) * 1e6 / rate;
			timeout_ms = (int)(need / 1000.0);
		} else {
			uint64_t now = mono_us();
			timeout_ms = deadline > now ? (int)((deadline - now + 999) / 1000) : 0;
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
			if (n == PCAP_ERROR) {
				snprintf(err, errlen, "capture: %s", pcap_geterr(e->pcap));
				result = -1;
				break;
			}
		}
	}
	free(active);
	free_run(e);
	return result;
}
