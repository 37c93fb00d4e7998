/* bordertrace — scamper warts files as a trace source (see warts.h and
 * doc/warts.md for the mapping). */
#include "bordertrace/warts.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <netinet/in.h>
#include <zlib.h>

#include <scamper_addr.h>
#include <scamper_file.h>
#include <scamper_icmpext.h>
#include <scamper_list.h>
#include <scamper_trace.h>
#include <scamper_ping.h>
#include <scamper_tracelb.h>
#include <scamper_dealias.h>
#include <scamper_neighbourdisc.h>
#include <scamper_tbit.h>
#include <scamper_sting.h>
#include <scamper_sniff.h>
#include <scamper_host.h>

#include "bordertrace/id.h"
#include "bordertrace/show.h"
#include "bordertrace/trace.h"

#define WARTS_MAGIC 0x1205
#define WARTS_HDR 8
#define TYPE_MAX SCAMPER_FILE_OBJ_HOST /* the last type libscamperfile 20211212 knows */

typedef struct wstate {
	char *path;
	gzFile gz;
	scamper_file_t *sf;
	scamper_file_filter_t *filter;
	bt_input_opts o;
	/* the record being handed to libscamperfile: header and body */
	uint8_t *rec;
	size_t rec_len, rec_pos, rec_cap; /* rec_cap: its allocation, reused */
	uint64_t off;       /* decompressed offset of the next record */
	uint64_t rec_off;   /* offset of the record being handed over */
	uint64_t where_off; /* offset of the trace last returned */
	bool ferr;          /* a framing error; message in fmsg */
	char fmsg[256];
	/* the round id last made, and the cycle (id, start) it was made from:
	 * a file's traces come cycle after cycle */
	bool round_set;
	uint32_t round_cid;
	time_t round_start;
	char round[BT_ID_MAX];
} wstate;

bool bt_warts_sniff(const uint8_t *head, size_t n)
{
	if (n < WARTS_HDR || head[0] != (WARTS_MAGIC >> 8) || head[1] != (WARTS_MAGIC & 0xff))
		return false;
	unsigned type = (unsigned)head[2] << 8 | head[3];
	return type >= 1 && type <= 0xff; /* newer scamper types are still warts */
}

static void skip_note(wstate *st, uint64_t off, const char *what)
{
	char where[512];
	if (st->o.skipped == NULL)
		return;
	snprintf(where, sizeof(where), "%s@%llu", st->path, (unsigned long long)off);
	st->o.skipped(st->o.skipped_ctx, where, what);
}

__attribute__((format(printf, 3, 4)))
static int frame_fail(wstate *st, uint64_t off, const char *fmt, ...)
{
	int n = snprintf(st->fmsg, sizeof(st->fmsg), "%s@%llu: ", st->path, (unsigned long long)off);
	if (n > 0 && (size_t)n < sizeof(st->fmsg)) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(st->fmsg + n, sizeof(st->fmsg) - (size_t)n, fmt, ap);
		va_end(ap);
	}
	st->ferr = true;
	return -1;
}

/* Reads n bytes; how many were read, or -1 (a read error, in fmsg). */
static long read_full(wstate *st, uint8_t *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		int r = gzread(st->gz, buf + got, (unsigned)(n - got));
		if (r < 0) {
			int zerr;
			const char *why = gzerror(st->gz, &zerr);
			snprintf(st->fmsg, sizeof(st->fmsg), "%s@%llu: read error: %s", st->path,
				 (unsigned long long)(st->off + got), zerr == Z_ERRNO ? strerror(errno) : why);
			st->ferr = true;
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (long)got;
}

/* st->rec holds at least n bytes (grown, never shrunk: records repeat
 * their sizes). 0, or -1 out of memory. */
static int rec_room(wstate *st, size_t n)
{
	if (n <= st->rec_cap)
		return 0;
	uint8_t *r = realloc(st->rec, n);
	if (r == NULL)
		return -1;
	st->rec = r;
	st->rec_cap = n;
	return 0;
}

/* The next record libscamperfile knows into st->rec, checking the framing
 * (magic, length cap, complete body) that the library would assert on or
 * take for the end of the file. Records of types it does not know are
 * skipped here and reported. 1, 0 at a clean end, -1 (fmsg). */
static int frame_next(wstate *st)
{
	for (;;) {
		uint8_t h[WARTS_HDR];
		long got = read_full(st, h, WARTS_HDR);
		if (got <= 0)
			return (int)got;
		if (got < WARTS_HDR)
			return frame_fail(st, st->off, "truncated warts record: %ld of the header's %d bytes", got,
					  WARTS_HDR);
		unsigned magic = (unsigned)h[0] << 8 | h[1], type = (unsigned)h[2] << 8 | h[3];
		uint32_t len = (uint32_t)h[4] << 24 | (uint32_t)h[5] << 16 | (uint32_t)h[6] << 8 | h[7];
		if (magic != WARTS_MAGIC)
			return frame_fail(st, st->off, "not a warts record: magic 0x%04x (0x%04x expected)", magic,
					  WARTS_MAGIC);
		if (len > BT_WARTS_RECORD_MAX)
			return frame_fail(st, st->off, "warts record of %u bytes (the cap is %u)", (unsigned)len,
					  BT_WARTS_RECORD_MAX);
		if (type == SCAMPER_FILE_OBJ_ADDR && len < 3)
			return frame_fail(st, st->off, "warts address record of %u bytes (at least 3)", (unsigned)len);
		if (rec_room(st, WARTS_HDR + (size_t)len) != 0)
			return frame_fail(st, st->off, "out of memory (a record of %u bytes)", (unsigned)len);
		st->rec_len = st->rec_pos = 0; /* consumed, even if what follows fails */
		memcpy(st->rec, h, WARTS_HDR);
		if ((got = read_full(st, st->rec + WARTS_HDR, len)) < 0 || (uint32_t)got < len)
			return got < 0 ? -1 : frame_fail(st, st->off, "truncated warts record: %ld of its %llu bytes",
							  got + WARTS_HDR, (unsigned long long)len + WARTS_HDR);
		uint64_t at = st->off;
		st->off += WARTS_HDR + (uint64_t)len;
		if (type == 0 || type > TYPE_MAX) {
			skip_note(st, at, "an object of a type libscamperfile 20211212 does not know");
			continue;
		}
		st->rec_len = WARTS_HDR + (size_t)len;
		st->rec_pos = 0;
		st->rec_off = at;
		return 1;
	}
}

/* libscamperfile's read callback: len bytes, malloc'd, into *data; -2 at
 * the end of the file. A framing error (fmsg) is also given as the end, so
 * that the library does not print its own diagnostics about it: the caller
 * looks at st->ferr. */
static int warts_readfunc(void *param, uint8_t **data, size_t len)
{
	wstate *st = param;
	uint8_t *out = malloc(len ? len : 1);
	size_t done = 0;
	*data = NULL;
	if (out == NULL)
		return -1;
	while (done < len) {
		if (st->rec_pos == st->rec_len) {
			int r = frame_next(st);
			if (r <= 0) {
				free(out);
				if (r == 0 && done > 0)
					frame_fail(st, st->rec_off, "truncated warts object: it runs past the end");
				return -2;
			}
		}
		size_t k = st->rec_len - st->rec_pos;
		if (k > len - done)
			k = len - done;
		memcpy(out + done, st->rec + st->rec_pos, k);
		st->rec_pos += k;
		done += k;
	}
	*data = out;
	return 0;
}

/* ---- scamper_trace -> bt_trace (doc/warts.md) ---- */

/* Our method for scamper's, or NULL: a fixed phrase for the skip note. */
static const char *map_method(const scamper_trace_t *t, bt_method *m)
{
	switch (t->type) {
	case SCAMPER_TRACE_TYPE_ICMP_ECHO_PARIS: *m = BT_METHOD_ICMP_PARIS; return NULL;
	case SCAMPER_TRACE_TYPE_UDP_PARIS: *m = BT_METHOD_UDP_PARIS; return NULL;
	case SCAMPER_TRACE_TYPE_TCP: *m = BT_METHOD_TCP_SYN; return NULL;
	case SCAMPER_TRACE_TYPE_ICMP_ECHO:
		return "a trace with method icmp-echo (classic traceroute: its checksum, so its flow, changes per probe)";
	case SCAMPER_TRACE_TYPE_UDP:
		return "a trace with method udp (classic traceroute: its destination port, so its flow, changes per probe)";
	case SCAMPER_TRACE_TYPE_TCP_ACK:
		return "a trace with method tcp-ack (the record has tcp-syn only)";
	}
	return "a trace with a method this reader does not know";
}

static bt_stop map_stop(uint8_t r)
{
	switch (r) {
	case SCAMPER_TRACE_STOP_COMPLETED: return BT_STOP_COMPLETED;
	case SCAMPER_TRACE_STOP_UNREACH:
	case SCAMPER_TRACE_STOP_ICMP: return BT_STOP_UNREACHABLE;
	case SCAMPER_TRACE_STOP_GAPLIMIT: return BT_STOP_GAPLIMIT;
	case SCAMPER_TRACE_STOP_LOOP:
	case SCAMPER_TRACE_STOP_GSS:
	case SCAMPER_TRACE_STOP_HOPLIMIT: return BT_STOP_MAXTTL;
	default: return BT_STOP_ERROR; /* error, halted, none */
	}
}

static int64_t tv_us(const struct timeval *tv)
{
	return (int64_t)tv->tv_sec * 1000000 + tv->tv_usec;
}

static bool map_addr(const scamper_addr_t *a, bt_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (a == NULL)
		return true;
	if (a->type == SCAMPER_ADDR_TYPE_IPV4) {
		out->family = AF_INET;
		memcpy(out->bytes, a->addr, 4);
	} else if (a->type == SCAMPER_ADDR_TYPE_IPV6) {
		out->family = AF_INET6;
		memcpy(out->bytes, a->addr, 16);
	} else {
		return false;
	}
	return true;
}

/* The VP id: Ark's monitor name, else the cycle's host name, else
 * "scamper". 0, or -1 with a message when the name breaks the id rule. */
static int map_vp(const wstate *st, const scamper_trace_t *t, bt_trace *bt, char *err, size_t errlen)
{
	const char *vp = "scamper", *from = "default";
	if (t->list && t->list->monitor && t->list->monitor[0]) {
		vp = t->list->monitor;
		from = "list monitor";
	} else if (t->cycle && t->cycle->hostname && t->cycle->hostname[0]) {
		vp = t->cycle->hostname;
		from = "cycle hostname";
	}
	const char *why = bt_id_problem(vp);
	if (why != NULL) {
		char shown[128];
		snprintf(err, errlen, "%s@%llu: the VP id from the %s '%s': %s (%s)", st->path,
			 (unsigned long long)st->where_off, from, bt_show_str(shown, sizeof(shown), vp),
			 why, BT_ID_RULE);
		return -1;
	}
	memcpy(bt->vp, vp, strlen(vp) + 1); /* the id rule: shorter than BT_ID_MAX */
	if (t->list && t->list->name && bt_id_valid(t->list->name))
		memcpy(bt->campaign, t->list->name, strlen(t->list->name) + 1);
	return 0;
}

/* The round: Ark's cycle id ("c" and 10 digits, so that ids sort in cycle
 * order and every monitor's cycle N is one round); scamper outside Ark
 * numbers every cycle 0, so then the cycle's start time, as our rounds are
 * named ("2026-11-27T05:40:00Z"). No cycle: "". */
static void make_round(const scamper_cycle_t *c, char *out, size_t n)
{
	out[0] = '\0';
	if (c == NULL)
		return;
	if (c->id != 0) {
		snprintf(out, n, "c%010u", c->id);
		return;
	}
	time_t s = (time_t)c->start_time;
	struct tm tm;
	if (gmtime_r(&s, &tm) != NULL)
		strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* make_round, once a cycle (strftime for every trace showed in profiles). */
static void map_round(wstate *st, const scamper_cycle_t *c, char *out)
{
	if (c == NULL) {
		out[0] = '\0';
		return;
	}
	if (!st->round_set || st->round_cid != c->id || st->round_start != (time_t)c->start_time) {
		make_round(c, st->round, sizeof(st->round));
		st->round_set = true;
		st->round_cid = c->id;
		st->round_start = (time_t)c->start_time;
	}
	memcpy(out, st->round, sizeof(st->round));
}

/* Method, flow, addresses, times, stop and TTLs. NULL, or a skip phrase. */
static const char *map_head(const scamper_trace_t *t, bt_trace *bt)
{
	const char *why = map_method(t, &bt->method);
	if (why != NULL)
		return why;
	if (bt->method == BT_METHOD_ICMP_PARIS) {
		/* scamper keeps the constant checksum in dport (flag ICMPCSUMDP);
		 * older files lack it: 0, as unknown */
		bt->icmp_sum = SCAMPER_TRACE_IS_ICMPCSUMDP(t) ? t->dport : 0;
		bt->flow = (uint16_t)(bt->icmp_sum - BT_WARTS_ICMP_SUM_BASE);
	} else {
		bt->sport = t->sport;
		bt->dport = t->dport;
		bt->flow = (uint16_t)(t->sport - BT_WARTS_SPORT_BASE);
	}
	if (!map_addr(t->src, &bt->src) || !map_addr(t->dst, &bt->dst) || !bt_addr_is_set(&bt->dst))
		return "a trace whose source or destination is not an IP address";
	bt->start_us = bt->end_us = tv_us(&t->start);
	bt->stop = map_stop(t->stop_reason);
	bt->first_ttl = t->firsthop ? t->firsthop : 1;
	bt->max_ttl = t->hoplimit ? t->hoplimit : 255;
	if (t->hop_count > bt->max_ttl)
		bt->max_ttl = t->hop_count > 255 ? 255 : (uint8_t)t->hop_count;
	if (bt->max_ttl < bt->first_ttl)
		bt->max_ttl = bt->first_ttl;
	bt->probes_sent = t->probec;
	return NULL;
}

/* One reply. NULL, or a skip phrase for a reply the record cannot hold. */
static const char *map_reply(const scamper_trace_hop_t *h, bt_hop *o)
{
	memset(o, 0, sizeof(*o));
	if (!map_addr(h->hop_addr, &o->addr) || !bt_addr_is_set(&o->addr))
		return "a trace with a reply from a non-IP address";
	if (h->hop_probe_id == 0)
		return "a trace with a reply to attempt 0";
	o->probe_ttl = h->hop_probe_ttl;
	o->attempt = h->hop_probe_id; /* 1-based in warts (scamper_trace.h says 0: it is not) */
	int64_t rtt = tv_us(&h->hop_rtt);
	if (rtt < 0 || rtt > UINT32_MAX)
		return "a trace with a reply RTT outside 0..4294.967295 s";
	o->rtt_us = (uint32_t)rtt;
	o->reply_ttl = (h->hop_flags & SCAMPER_TRACE_HOP_FLAG_REPLY_TTL) ? h->hop_reply_ttl : 0;
	o->reply_size = h->hop_reply_size;
	if (SCAMPER_TRACE_HOP_IS_UDP(h))
		return "a trace with a UDP reply (the record holds ICMP and TCP replies)";
	if (SCAMPER_TRACE_HOP_IS_TCP(h)) {
		if (h->hop_tcp_flags == 0)
			return "a trace with a TCP reply without flags";
		o->tcp_flags = h->hop_tcp_flags;
		return NULL;
	}
	o->icmp_type = h->hop_icmp_type;
	o->icmp_code = h->hop_icmp_code;
	if (SCAMPER_TRACE_HOP_IS_ICMP_Q(h))
		o->quoted_ttl = h->hop_icmp_q_ttl;
	for (const scamper_icmpext_t *ie = h->hop_icmpext; ie != NULL; ie = ie->ie_next) {
		if (!SCAMPER_ICMPEXT_IS_MPLS(ie))
			continue; /* other RFC 4884 objects: not in the record */
		for (int x = 0; x < SCAMPER_ICMPEXT_MPLS_COUNT(ie); x++) {
			if (o->mpls_count == BT_MPLS_MAX)
				return "a trace with a reply of more than 8 MPLS label stack entries";
			bt_mpls *m = &o->mpls[o->mpls_count++];
			m->label = SCAMPER_ICMPEXT_MPLS_LABEL(ie, x);
			m->tc = SCAMPER_ICMPEXT_MPLS_EXP(ie, x);
			m->s = SCAMPER_ICMPEXT_MPLS_S(ie, x);
			m->ttl = SCAMPER_ICMPEXT_MPLS_TTL(ie, x);
		}
	}
	return NULL;
}

/* Appends a TTL's replies in attempt order (scamper lists them as they
 * came), or one silent entry. NULL, or a skip phrase. */
static const char *map_ttl(const scamper_trace_t *t, uint8_t ttl, bt_trace *bt)
{
	size_t first = bt->hop_count;
	const scamper_trace_hop_t *h = t->hops[ttl - 1];
	if (h == NULL) {
		if (bt_trace_reserve(bt, first + 1) != 0)
			return "";
		bt->hops[bt->hop_count++] = (bt_hop){ .probe_ttl = ttl, .attempt = t->attempts };
		return NULL;
	}
	for (; h != NULL; h = h->hop_next) {
		if (bt->hop_count == BT_HOPS_MAX)
			return "a trace of more than 4096 replies";
		if (bt_trace_reserve(bt, bt->hop_count + 1) != 0)
			return "";
		bt_hop *o = &bt->hops[bt->hop_count];
		const char *why = map_reply(h, o);
		if (why != NULL)
			return why;
		if (o->probe_ttl != ttl)
			return "a trace with a reply filed under another TTL than its probe's";
		/* insertion sort, stable: equal attempts keep scamper's order */
		size_t i = bt->hop_count++;
		while (i > first && bt->hops[i - 1].attempt > bt->hops[i].attempt) {
			bt_hop tmp = bt->hops[i - 1];
			bt->hops[i - 1] = bt->hops[i];
			bt->hops[i] = tmp;
			i--;
		}
		int64_t at = (h->hop_tx.tv_sec ? tv_us(&h->hop_tx) : bt->start_us) + o->rtt_us;
		if (at > bt->end_us)
			bt->end_us = at;
	}
	return NULL;
}

/* Every TTL from the first to scamper's last. NULL, or a skip phrase ("" is
 * out of memory). */
static const char *map_hops(const scamper_trace_t *t, bt_trace *bt)
{
	for (unsigned ttl = 1; ttl < bt->first_ttl && ttl <= t->hop_count; ttl++)
		if (t->hops[ttl - 1] != NULL)
			return "a trace with replies below its first TTL";
	for (unsigned ttl = bt->first_ttl; ttl <= t->hop_count && ttl <= 255; ttl++) {
		const char *why = map_ttl(t, (uint8_t)ttl, bt);
		if (why != NULL)
			return why;
	}
	if (bt->hop_count && (bt->stop == BT_STOP_COMPLETED || bt->stop == BT_STOP_UNREACHABLE))
		bt->stop_ttl = bt->hops[bt->hop_count - 1].probe_ttl;
	return NULL;
}

/* 1 and the record, 0 for a trace skipped (reported), -1 on error. */
static int map_trace(wstate *st, const scamper_trace_t *t, bt_trace **out, char *err, size_t errlen)
{
	bt_trace *bt = bt_trace_alloc(t->hop_count ? t->hop_count : 1);
	if (bt == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	bt->version = BT_TRACE_FORMAT_VERSION;
	if (map_vp(st, t, bt, err, errlen) != 0) {
		bt_trace_free(bt);
		return -1;
	}
	map_round(st, t->cycle, bt->round);
	const char *why = map_head(t, bt);
	if (why == NULL)
		why = map_hops(t, bt);
	char msg[256];
	if (why == NULL && bt_trace_check(bt, msg, sizeof(msg)) != 0) {
		snprintf(err, errlen, "%s@%llu: the trace maps to a record that breaks its rules: %s", st->path,
			 (unsigned long long)st->where_off, msg);
		bt_trace_free(bt);
		return -1;
	}
	if (why != NULL) {
		bt_trace_free(bt);
		if (why[0] == '\0') {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		skip_note(st, st->where_off, why);
		return 0;
	}
	*out = bt;
	return 1;
}

/* ---- the backend ---- */

/* Frees an object that is not a trace; its skip phrase, or NULL for the
 * list and cycle records the traces point to. */
static const char *free_other(uint16_t type, void *obj)
{
	switch (type) {
	case SCAMPER_FILE_OBJ_LIST: scamper_list_free(obj); return NULL;
	case SCAMPER_FILE_OBJ_CYCLE_START:
	case SCAMPER_FILE_OBJ_CYCLE_DEF:
	case SCAMPER_FILE_OBJ_CYCLE_STOP: scamper_cycle_free(obj); return NULL;
	case SCAMPER_FILE_OBJ_PING: scamper_ping_free(obj); return "a ping object (not a trace)";
	case SCAMPER_FILE_OBJ_TRACELB:
		scamper_tracelb_free(obj);
		return "a tracelb object (MDA load-balancer discovery, not a trace)";
	case SCAMPER_FILE_OBJ_DEALIAS: scamper_dealias_free(obj); return "a dealias object (not a trace)";
	case SCAMPER_FILE_OBJ_NEIGHBOURDISC:
		scamper_neighbourdisc_free(obj);
		return "a neighbourdisc object (not a trace)";
	case SCAMPER_FILE_OBJ_TBIT: scamper_tbit_free(obj); return "a tbit object (not a trace)";
	case SCAMPER_FILE_OBJ_STING: scamper_sting_free(obj); return "a sting object (not a trace)";
	case SCAMPER_FILE_OBJ_SNIFF: scamper_sniff_free(obj); return "a sniff object (not a trace)";
	case SCAMPER_FILE_OBJ_HOST: scamper_host_free(obj); return "a host (DNS) object (not a trace)";
	}
	return "an object of a type libscamperfile 20211212 does not know";
}

static int warts_next(void *vst, bt_trace **out, char *err, size_t errlen)
{
	wstate *st = vst;
	for (;;) {
		uint16_t type = 0;
		void *obj = NULL;
		st->ferr = false;
		int rc = scamper_file_read(st->sf, st->filter, &type, &obj);
		if (rc != 0 || st->ferr) {
			if (obj != NULL && type == SCAMPER_FILE_OBJ_TRACE)
				scamper_trace_free(obj);
			else if (obj != NULL)
				free_other(type, obj);
			if (st->ferr)
				snprintf(err, errlen, "%s", st->fmsg);
			else
				snprintf(err, errlen, "%s@%llu: malformed warts record (libscamperfile could not read it)",
					 st->path, (unsigned long long)st->rec_off);
			return -1;
		}
		if (obj == NULL)
			return 0;
		st->where_off = st->rec_off;
		if (type == SCAMPER_FILE_OBJ_TRACE) {
			int m = map_trace(st, obj, out, err, errlen);
			scamper_trace_free(obj);
			if (m != 0)
				return m;
			continue;
		}
		const char *what = free_other(type, obj);
		if (what != NULL)
			skip_note(st, st->where_off, what);
	}
}

static const char *warts_where(const void *vst, char *buf, size_t buflen)
{
	const wstate *st = vst;
	snprintf(buf, buflen, "%s@%llu", st->path, (unsigned long long)st->where_off);
	return buf;
}

static void warts_close(void *vst)
{
	wstate *st = vst;
	if (st == NULL)
		return;
	if (st->sf)
		scamper_file_close(st->sf);
	if (st->filter)
		scamper_file_filter_free(st->filter);
	if (st->gz)
		gzclose(st->gz);
	free(st->rec);
	free(st->path);
	free(st);
}

static const bt_input_ops warts_ops = { warts_next, warts_where, warts_close, NULL };

void *bt_warts_open(const char *path, const bt_input_opts *o, const bt_input_ops **ops, char *err,
		    size_t errlen)
{
	wstate *st = calloc(1, sizeof(*st));
	if (st == NULL || (st->path = strdup(path)) == NULL) {
		free(st);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (o)
		st->o = *o;
	errno = 0;
	st->gz = gzopen(path, "rb");
	if (st->gz == NULL) {
		snprintf(err, errlen, "%s: %s", path, errno ? strerror(errno) : "out of memory");
		warts_close(st);
		return NULL;
	}
	uint16_t types[TYPE_MAX];
	for (uint16_t i = 0; i < TYPE_MAX; i++)
		types[i] = (uint16_t)(i + 1);
	st->filter = scamper_file_filter_alloc(types, TYPE_MAX);
	st->sf = scamper_file_opennull('r', (char *)"warts");
	if (st->filter == NULL || st->sf == NULL) {
		snprintf(err, errlen, "%s: libscamperfile could not start a reader (out of memory)", path);
		warts_close(st);
		return NULL;
	}
	scamper_file_setreadfunc(st->sf, st, warts_readfunc);
	*ops = &warts_ops;
	return st;
}
