/* bordertrace — opening the engine (see include/bordertrace/engine.h) and
 * setting up its runs: the options checked, the privileged part (raw
 * socket, source check, capture) done once, before any run; each run's
 * state allocated (and counted) and freed; defaults and counters. */
#include "engine_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#define MIN_ACTIVE 4096u
#define MAX_ACTIVE (1u << 22)

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
	o->confidence = 95;
	o->min_share = 25;
}

/* Multipath: a pool entry is one flow over a segment of TTLs, with a few
 * probes in flight whatever the window (doc/probing.md, "Multipath"). */
#define MP_ENTRY_INFLIGHT 4u

uint32_t bt_engine_active_default(const bt_engine_opts *o)
{
	unsigned w = o->window ? o->window : 1;
	if (o->multipath && w > MP_ENTRY_INFLIGHT)
		w = MP_ENTRY_INFLIGHT;
	double need = (double)o->rate_pps * o->wait_us / 1e6 / w;
	if (need < MIN_ACTIVE)
		return MIN_ACTIVE;
	if (need > MAX_ACTIVE)
		return MAX_ACTIVE;
	return (uint32_t)need;
}

/* A two-valued option's name -> 0 or 1 (its index in names); -1 for
 * another name. */
static int parse_pair(const char *s, const char *const names[2])
{
	for (int i = 0; i < 2; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

int bt_order_parse(const char *s, uint8_t *out)
{
	static const char *const names[2] = { [BT_ORDER_SPREAD] = "spread", [BT_ORDER_SWEEP] = "sweep" };
	int v = parse_pair(s, names);
	if (v >= 0)
		*out = (uint8_t)v;
	return v < 0 ? -1 : 0;
}

int bt_rate_limits_parse(const char *s, bool *ignore)
{
	static const char *const names[2] = { "learn", "ignore" };
	int v = parse_pair(s, names);
	if (v >= 0)
		*ignore = v == 1;
	return v < 0 ? -1 : 0;
}

int bt_send_path_parse(const char *s, uint8_t *out)
{
	static const char *const names[2] = { [BT_SEND_RAW] = "raw", [BT_SEND_PACKET] = "packet" };
	int v = parse_pair(s, names);
	if (v >= 0)
		*out = (uint8_t)v;
	return v < 0 ? -1 : 0;
}

void bt_send_path_summary(const bt_engine_stats *st, uint8_t send_path, char *buf, size_t len)
{
	if (send_path != BT_SEND_PACKET)
		snprintf(buf, len, "%s", "");
	else if (st->send_path_off[0])
		snprintf(buf, len, "send path packet: off (%s), every probe raw", st->send_path_off);
	else
		snprintf(buf, len, "send path packet: %llu of %llu probes by the packet socket, the rest raw",
			 (unsigned long long)st->probes_packet, (unsigned long long)st->probes_sent);
}

const char *bt_order_name(uint8_t order)
{
	return order == BT_ORDER_SWEEP ? "sweep" : "spread";
}

static int check_opts(const bt_engine_opts *o, const bt_family *fam, char *err, size_t errlen)
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
	else if (o->send_path > BT_SEND_PACKET)
		snprintf(err, errlen, "unknown send path %u", o->send_path);
	else if (o->order > BT_ORDER_SWEEP)
		snprintf(err, errlen, "unknown probe order %u", o->order);
	else if (o->rate_pps < 1)
		snprintf(err, errlen, "rate must be at least 1 packet per second");
	else if (o->wait_us < 1000 || o->wait_us > 60000000)
		snprintf(err, errlen, "wait must be 1 ms..60 s");
	else if (o->nflows < 1 || o->flow > BT_PROBE_MAX_FLOW || o->flow + o->nflows - 1 > BT_PROBE_MAX_FLOW)
		snprintf(err, errlen, "flows must lie in 0..%d", BT_PROBE_MAX_FLOW);
	else if (o->multipath && (o->split_ttl != 0 || o->confidence < 50 || o->confidence > 99 ||
				  o->min_share > 50))
		snprintf(err, errlen, "multipath: no split TTL, confidence 50..99, minimum share 0..50");
	else if (bt_addr_is_set(&o->src) && o->src.family != fam->af)
		snprintf(err, errlen, "source address must be %s", fam->name);
	else if (bt_addr_is_set(&o->src6) && o->src6.family != AF_INET6)
		snprintf(err, errlen, "IPv6 source address must be IPv6");
	else
		return 0;
	return -1;
}

/* The flows of the run, keyed by a secret of this engine. */
static int init_flows(bt_engine *e)
{
	const bt_engine_opts *o = &e->o;
	uint32_t secret;
	if (getrandom(&secret, sizeof(secret), 0) != sizeof(secret))
		secret = (uint32_t)mono_us() ^ (uint32_t)getpid() << 16;
	bt_flow_init(&e->flow, o->method, o->flow, o->dport, secret);
	e->flows = calloc(o->nflows, sizeof(*e->flows));
	if (e->flows == NULL)
		return -1;
	for (uint16_t i = 0; i < o->nflows; i++)
		bt_flow_init(&e->flows[i], o->method, (uint16_t)(o->flow + i), o->dport, secret);
	return 0;
}

static int bind_device(bt_probe_builder *pb, const char *device, char *err, size_t errlen)
{
	if (device == NULL)
		return 0;
	int fd = bt_probe_builder_fd(pb);
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, device, (socklen_t)strlen(device)) != 0) {
		snprintf(err, errlen, "interface %s: %s", device, strerror(errno));
		return -1;
	}
	return 0;
}

/* The IPv6 raw socket, as o->ipv6 asks: 0 (e->pb6 NULL and e->v6err set
 * when the host has no IPv6 and it was only tried), or -1 with a message. */
static int open_v6(bt_engine *e, char *err, size_t errlen)
{
	const bt_engine_opts *o = &e->o;
	char why[256] = "";
	if (o->ipv6 == BT_ENGINE_V6_OFF) {
		snprintf(e->v6err, sizeof(e->v6err), "IPv6 was not asked for");
		return 0;
	}
	e->pb6 = bt_probe_builder_open(bt_family_v6.injection, o->device, why, sizeof(why));
	if (e->pb6 == NULL && o->ipv6 == BT_ENGINE_V6_TRY) {
		snprintf(e->v6err, sizeof(e->v6err), "no IPv6 on this host (raw IPv6 socket: %s)", why);
		return 0;
	}
	if (e->pb6 == NULL) {
		snprintf(err, errlen, "raw IPv6 socket: %s", why);
		return -1;
	}
	if (bind_device(e->pb6, o->device, err, errlen) != 0)
		return -1;
	if (bt_addr_is_set(&o->src6) && bt_source_check(&bt_family_v6, &o->src6, err, errlen) != 0)
		return -1;
	return 0;
}

/* The capture filter: IPv4's, or IPv6's too. 0, or -1 if too long. */
static int make_filter(const bt_engine *e, char *buf, size_t len)
{
	const bt_engine_opts *o = &e->o;
	char f4[512], f6[512];
	if (e->fam->filter(f4, sizeof(f4), o->method, &e->flow, o->nflows) != 0)
		return -1;
	if (e->pb6 == NULL) {
		int n = snprintf(buf, len, "%s", f4);
		return n < 0 || (size_t)n >= len ? -1 : 0;
	}
	if (bt_family_v6.filter(f6, sizeof(f6), o->method, &e->flow, o->nflows) != 0)
		return -1;
	int n = snprintf(buf, len, "(%s) or (%s)", f4, f6);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* The raw sockets (bound to the device if any), the source checks and the
 * capture. */
static int open_sockets(bt_engine *e, char *err, size_t errlen, bool *eperm)
{
	const bt_engine_opts *o = &e->o;
	e->pb = bt_probe_builder_open(e->fam->injection, o->device, err, errlen);
	if (e->pb == NULL)
		return -1;
	if (bind_device(e->pb, o->device, err, errlen) != 0)
		return -1;
	if (bt_addr_is_set(&o->src) && bt_source_check(e->fam, &o->src, err, errlen) != 0)
		return -1;
	if (o->send_path == BT_SEND_PACKET) {
		e->lo = malloc(sizeof(*e->lo));
		if (e->lo == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		if (bt_linkout_open(e->lo, o->device, err, errlen) != 0) {
			*eperm = errno == EPERM || errno == EACCES;
			free(e->lo);
			e->lo = NULL;
			return -1;
		}
	}
	if (open_v6(e, err, errlen) != 0)
		return -1;
	char filter[1024];
	if (make_filter(e, filter, sizeof(filter)) != 0) {
		snprintf(err, errlen, "capture filter too long");
		return -1;
	}
	return bt_capture_open(&e->cap_, o->device, filter, o->rate_pps, err, errlen, eperm);
}

const char *bt_engine_ipv6_error(const bt_engine *e)
{
	return e->pb6 == NULL ? e->v6err : NULL;
}

bt_engine *bt_engine_open(const bt_engine_opts *o, char *err, size_t errlen, bool *eperm)
{
	*eperm = false;
	const bt_family *fam = bt_family_for(AF_INET);
	bt_engine_opts oo = *o;
	if (oo.multipath)
		oo.nflows = BT_MDA_FLOWS; /* the flows a round may use; matching takes all */
	if (oo.src.family == AF_INET6 && !bt_addr_is_set(&oo.src6)) {
		oo.src6 = oo.src; /* one source given, and it is IPv6 */
		memset(&oo.src, 0, sizeof(oo.src));
	}
	o = &oo;
	if (check_opts(o, fam, err, errlen) != 0)
		return NULL;
	/* Probe for the privilege first so the message can say exactly that. */
	if (fam->raw_check() != 0) {
		*eperm = (errno == EPERM || errno == EACCES);
		snprintf(err, errlen, "raw socket: %s", strerror(errno));
		return NULL;
	}
	bt_engine *e = calloc(1, sizeof(*e));
	if (e == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	e->o = *o;
	e->fam = fam;
	e->cap_.fd = -1;
	e->spool.fd = -1;
	bt_source_init(&e->source, fam, o->device, &o->src);
	bt_source_init(&e->source6, &bt_family_v6, o->device, &o->src6);
	if (init_flows(e) != 0) {
		snprintf(err, errlen, "out of memory");
		free(e);
		return NULL;
	}
	if (open_sockets(e, err, errlen, eperm) != 0) {
		bt_engine_close(e);
		return NULL;
	}
	return e;
}

void bt_engine_close(bt_engine *e)
{
	if (e == NULL)
		return;
	bt_capture_close(&e->cap_);
	bt_probe_builder_close(e->pb);
	bt_probe_builder_close(e->pb6);
	bt_source_close(&e->source);
	bt_source_close(&e->source6);
	if (e->lo) {
		bt_linkout_close(e->lo);
		free(e->lo);
	}
	free(e->flows);
	free(e);
}

void bt_engine_get_stats(bt_engine *e, bt_engine_stats *s)
{
	bt_capture_stats(&e->cap_, &e->st);
	if (e->lo) {
		e->st.probes_packet = e->lo->sent_packet;
		snprintf(e->st.send_path_off, sizeof(e->st.send_path_off), "%s", e->lo->off);
	}
	*s = e->st;
}

void bt_engine_set_progress(bt_engine *e, bt_engine_progress_cb cb, void *arg, uint32_t interval_ms)
{
	e->pcb = cb;
	e->pcbarg = arg;
	e->pinterval = (uint64_t)(interval_ms ? interval_ms : 1000) * 1000u;
}

/* ---- a run's state ---- */

static void stop_free(bt_engine *e)
{
	if (e->stop.vals == NULL)
		return;
	bt_acct_free(&e->acct, e->stop.keys, (e->stop.mask + 1) * sizeof(uint64_t));
	bt_acct_free(&e->acct, e->stop.vals, (e->stop.mask + 1) * sizeof(uint32_t));
	memset(&e->stop, 0, sizeof(e->stop));
}

void bt_engine_free_probing(bt_engine *e)
{
	bt_acct *a = &e->acct;
	bt_acct_free(a, e->tg, (size_t)e->cap * sizeof(*e->tg));
	bt_acct_free(a, e->arena, (size_t)e->cap * e->stride);
	bt_acct_free(a, e->freelist, (size_t)e->cap * sizeof(uint32_t));
	bt_acct_free(a, e->ready.q, ((size_t)e->ready.mask + 1) * sizeof(uint32_t));
	bt_acct_free(a, e->wheel.l, bt_wheel_bytes(e->cap));
	bt_acct_free(a, e->targets.vals, (e->targets.mask + 1) * sizeof(uint32_t));
	if (e->park_next != NULL) {
		bt_acct_free(a, e->park_next, (size_t)e->cap * sizeof(uint32_t));
		e->park_next = NULL;
	}
	if (e->parked != NULL) {
		bt_acct_free(a, e->parked, (size_t)e->nslots * sizeof(bt_parkq));
		e->parked = NULL;
	}
	e->nparked = 0;
	if (e->meters.m != NULL) {
		e->st.meters_on = e->meters.turned_on;
		e->st.meters_peak = e->meters.peak_metered;
		e->st.meters_given_up = e->meters.given_up;
		bt_acct_free(a, e->meters.m, bt_meters_bytes(&e->meters));
		e->meters.m = NULL;
	}
	stop_free(e);
	e->tg = NULL;
	e->arena = NULL;
	e->freelist = NULL;
	memset(&e->ready, 0, sizeof(e->ready));
	memset(&e->wheel, 0, sizeof(e->wheel));
	memset(&e->targets, 0, sizeof(e->targets));
	e->cap = e->nfree = e->nactive = 0;
}

void bt_engine_free_run(bt_engine *e)
{
	bt_engine_free_probing(e);
	bt_mda_free(e); /* its runs serve until the traces are built */
	bt_spool_close(&e->spool, &e->acct);
	bt_intern6_free(&e->intern, &e->acct);
}

/* Sizes of the run: pool entries, slots, the units of send times. */
static int size_run(bt_engine *e, const bt_addr *targets, size_t n, char *err, size_t errlen)
{
	char a[BT_ADDR_STRLEN];
	for (size_t i = 0; i < n; i++)
		if (targets[i].family != AF_INET && targets[i].family != AF_INET6) {
			snprintf(err, errlen, "target %s: neither IPv4 nor IPv6",
				 bt_addr_format(&targets[i], a, sizeof(a)));
			return -1;
		}
	if (n > UINT32_MAX / 2 / e->o.nflows) {
		snprintf(err, errlen, "too many targets: %zu", n);
		return -1;
	}
	e->input = targets;
	e->ntargets = n;
	e->ninput = n * e->o.nflows;
	e->next_input = 0;
	e->nslots = (uint16_t)(e->o.max_ttl - e->o.first_ttl + 1);
	e->split_idx = e->o.split_ttl ? (uint16_t)(e->o.split_ttl - e->o.first_ttl) : 0;
	uint32_t want = e->o.active ? e->o.active : bt_engine_active_default(&e->o);
	e->cap = e->ninput < want ? (uint32_t)(e->ninput ? e->ninput : 1) : want;
	e->stride = ((e->nslots + 1u) & ~1u) + (size_t)e->nslots * sizeof(uint16_t);
	e->stride = (e->stride + 7) & ~(size_t)7;
	for (e->tshift = 0; (65536ull << e->tshift) < 4ull * e->o.wait_us; e->tshift++)
		;
	e->wait_units = (e->o.wait_us + (1u << e->tshift) - 1) >> e->tshift;
	return 0;
}

/* The meters of a run (meter.h), weighed every quarter of a wait (at
 * least 100 ms): a loss is known only a wait after its probe, so a meter
 * comes on a wait and a period after the loss began; the shorter the
 * period, the fewer probes go at the unmetered rate meanwhile. The clock
 * starts with the run (start_clock). */
static int meters_open(bt_engine *e)
{
	uint64_t period = e->o.wait_us / 4 < 100000 ? 100000 : e->o.wait_us / 4;
	/* multipath sends every TTL that answers n(1) flows at least (11 at
	 * 95% and 25%): a meter holds a TTL that many times as long, so its
	 * floor is that many times higher (doc/probing.md, "Rate-limited hops") */
	double floor_rate = (double)e->o.rate_pps *
			    (e->o.multipath ? bt_mda_flows_needed(1, e->o.confidence, e->o.min_share) : 1);
	if (bt_meters_init(&e->meters, e->nslots, !e->o.ignore_rate_limits, floor_rate, period,
			   (uint32_t)(e->o.wait_us / period), 0) != 0)
		return -1;
	e->acct.bytes += bt_meters_bytes(&e->meters); /* counted as the pool is; freed through bt_acct_free */
	if (e->acct.bytes > e->acct.peak)
		e->acct.peak = e->acct.bytes;
	return 0;
}

int bt_engine_setup_run(bt_engine *e, const bt_addr *targets, size_t n, char *err, size_t errlen)
{
	if (size_run(e, targets, n, err, errlen) != 0)
		return -1;
	bt_acct *ac = &e->acct;
	size_t hcap = bt_table_size_for(e->cap);
	if (bt_spool_open(&e->spool, e->o.spool_dir, ac, err, errlen) != 0)
		return -1;
	e->tg = bt_acct_alloc(ac, (size_t)e->cap * sizeof(*e->tg));
	e->arena = bt_acct_alloc(ac, (size_t)e->cap * e->stride);
	e->freelist = bt_acct_alloc(ac, (size_t)e->cap * sizeof(uint32_t));
	size_t rsize = bt_ring_size(e->cap);
	e->ready = (bt_ring){ .q = bt_acct_alloc(ac, rsize * sizeof(uint32_t)), .mask = (uint32_t)rsize - 1 };
	uint64_t rmax = (uint64_t)e->o.rate_pps * BT_ORDER_READY_MS / 1000u;
	e->ready_max = rmax < BT_ORDER_READY_MIN ? BT_ORDER_READY_MIN : rmax > e->cap ? e->cap : (uint32_t)rmax;
	e->parked = bt_acct_alloc(ac, (size_t)e->nslots * sizeof(bt_parkq));
	if (e->parked != NULL)
		memset(e->parked, 0, (size_t)e->nslots * sizeof(bt_parkq));
	if (meters_open(e) != 0 || e->parked == NULL) {
		snprintf(err, errlen, "out of memory for the rate-limit meters");
		return -1;
	}
	bt_tlink *links = bt_acct_alloc(ac, bt_wheel_bytes(e->cap));
	uint32_t *hvals = bt_acct_alloc(ac, hcap * sizeof(uint32_t));
	bt_table_init(&e->targets, hvals, NULL, hcap);
	if (links != NULL)
		bt_wheel_init(&e->wheel, links, e->cap, e->o.wait_us, 0);
	if (!e->tg || !e->arena || !e->freelist || !e->ready.q || !links || !hvals) {
		snprintf(err, errlen, "out of memory for %u targets in progress", e->cap);
		return -1;
	}
	for (uint32_t i = 0; i < e->cap; i++)
		e->freelist[i] = e->cap - 1 - i;
	e->nfree = e->cap;
	e->st.targets_total += e->ninput;
	if (e->cap > e->st.active_max)
		e->st.active_max = e->cap;
	bt_source_reset(&e->source);
	bt_source_reset(&e->source6);
	if (e->lo)
		bt_linkout_reset(e->lo);
	return 0;
}
