/* bordertrace — RIPE Atlas traceroute results as trace records (atlas.h;
 * the mapping and its reasons: doc/atlas.md).
 *
 * Two parts: the mapper, a pure function from one result's JSON text to a
 * bt_trace (jansson), and the reader, which cuts a stream of results (a
 * JSON array or JSON Lines, either possibly pretty-printed) into objects
 * without holding more than one, and counts lines for the messages. */
#include "bordertrace/atlas.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "bordertrace/mapfile.h"
#include "bordertrace/textfile.h"
#include "bordertrace/zfile.h"
#include "atlas_fast.h"
#include "atlas_json.h"

/* ==== the mapper ==== */

/* What one result's hops came to, for the stop reason. */
typedef struct hopstate {
	int last_ttl;        /* the last TTL in hops; 0 before the first */
	int done_ttl;        /* TTL where the destination answered; 0 if none */
	bool unreach_last;   /* the last TTL holds an unreachable */
	bool senderr_last;   /* the last TTL holds only send errors and silence */
	bool had_255;        /* the probe's last try at hop 255 after silent hops */
	bool reply_last;     /* the last TTL holds a reply */
	/* the last reply's "from" text and address: a TTL's packets mostly
	 * answer from one address, parsed once */
	const char *from_s;
	uint32_t from_len;
	bt_addr from;
} hopstate;

/* The members of one element of a hop's list that the mapper reads, found
 * in one pass over it (NULL when absent). */
typedef struct reply_f {
	const jv *from, *rtt, *ttl, *size, *err, *ittl, *icmpext, *flags, *dup, *late, *x, *error;
} reply_f;

#define IS_KEY(m, k) ((m)->keylen == sizeof(k) - 1 && memcmp((m)->key, k, sizeof(k) - 1) == 0)

static void reply_fields(const jv *rep, reply_f *f)
{
	memset(f, 0, sizeof(*f));
	for (const jv *m = rep->u.first; m != NULL; m = m->next) {
		const jv **slot = NULL;
		switch (m->keylen) {
		case 1: slot = IS_KEY(m, "x") ? &f->x : NULL; break;
		case 3:
			slot = IS_KEY(m, "rtt") ? &f->rtt : IS_KEY(m, "ttl") ? &f->ttl :
			       IS_KEY(m, "err") ? &f->err : IS_KEY(m, "dup") ? &f->dup : NULL;
			break;
		case 4:
			slot = IS_KEY(m, "from") ? &f->from : IS_KEY(m, "size") ? &f->size :
			       IS_KEY(m, "ittl") ? &f->ittl : IS_KEY(m, "late") ? &f->late : NULL;
			break;
		case 5: slot = IS_KEY(m, "error") ? &f->error : IS_KEY(m, "flags") ? &f->flags : NULL; break;
		case 7: slot = IS_KEY(m, "icmpext") ? &f->icmpext : NULL; break;
		default: break;
		}
		if (slot != NULL && *slot == NULL) /* the first, as jv_get */
			*slot = m;
	}
}

/* v as an integer in lo..hi (jv_int on a member already found). */
static bool int_in(const jv *v, int64_t lo, int64_t hi, int64_t *out)
{
	if (v == NULL || v->kind != JV_INT || v->u.i < lo || v->u.i > hi)
		return false;
	*out = v->u.i;
	return true;
}

/* The reason a result cannot be mapped, into err; the value is 0, what the
 * mapping functions return for "skip it". */
#define SKIP(...) (snprintf(err, errlen, __VA_ARGS__), 0)

/* The start of ts's round. */
static int64_t round_start(int64_t ts, uint32_t interval_s)
{
	if (interval_s == 0)
		interval_s = BT_ATLAS_ROUND_DEFAULT;
	return ts - (((ts % interval_s) + interval_s) % interval_s);
}

void bt_atlas_round(int64_t ts, uint32_t interval_s, char *buf, size_t buflen)
{
	time_t b = (time_t)round_start(ts, interval_s);
	struct tm tm;
	gmtime_r(&b, &tm);
	strftime(buf, buflen, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* What mapping a result needs besides its text: the round interval, and
 * the last round id made (a dump's results share a handful: strftime once
 * for each, not for every result). */
typedef struct mapctx {
	uint32_t interval;
	int64_t start;         /* the last round's start, when round[0] */
	char round[BT_ID_MAX];
} mapctx;

/* "atlas-" and the decimal number n (0 <= n < 10^12) into buf[BT_ID_MAX],
 * without printf (a result makes two). */
static void atlas_id(char *buf, int64_t n)
{
	char d[24];
	int k = 0;
	do
		d[k++] = (char)('0' + n % 10);
	while ((n /= 10) > 0);
	memcpy(buf, "atlas-", 6);
	for (int i = 0; i < k; i++)
		buf[6 + i] = d[k - 1 - i];
	buf[6 + k] = '\0';
}

/* The ICMP unreachable code of an Atlas err (a letter, or the code as a
 * number); -1 for a letter that is none of these. IPv4: Atlas's N H P p A,
 * and the other letters BSD traceroute prints (doc/cli.md), where the
 * letter's place is the code; Atlas's A (administratively prohibited) is
 * taken as code 13, the filter's. IPv6 (ICMPv6 type 1): N A h H p, codes
 * 0..4. */
static int err_code(const jv *e, bool v6)
{
	if (jv_is(e, JV_INT))
		return e->u.i >= 0 && e->u.i <= 255 ? (int)e->u.i : -1;
	char buf[4];
	const char *s = jv_cstr(e, buf, sizeof(buf));
	if (s == NULL || strlen(s) != 1)
		return -1;
	static const char v4[] = "NHPpFSUWIAZQTXVC", v6l[] = "NAhHp";
	const char *tab = v6 ? v6l : v4, *at = strchr(tab, s[0]);
	if (at == NULL)
		return -1;
	return !v6 && s[0] == 'A' ? 13 : (int)(at - tab);
}

static uint8_t tcp_flags_of(const jv *f)
{
	static const char letters[] = "FSRPAU"; /* bits 0..5 */
	char buf[16];
	const char *s = jv_cstr(f, buf, sizeof(buf));
	uint8_t v = 0;
	for (; s != NULL && *s; s++) {
		const char *at = strchr(letters, *s);
		if (at != NULL)
			v |= (uint8_t)(1u << (at - letters));
	}
	return v != 0 ? v : 0x14; /* no flags written (fw < 4600): RST+ACK */
}

/* icmpext's MPLS objects (class 1, type 1: RFC 4950) into h; 0, or -1
 * with a reason. The first BT_MPLS_MAX entries are kept. */
static int map_mpls(const jv *ext, bt_hop *h, char *err, size_t errlen)
{
	const jv *list = jv_get(ext, "obj");
	for (const jv *obj = list && list->kind == JV_ARR ? list->u.first : NULL; obj; obj = obj->next) {
		int64_t cl, ty;
		if (!jv_int(obj, "class", 0, 255, &cl) || !jv_int(obj, "type", 0, 255, &ty) || cl != 1 || ty != 1)
			continue;
		const jv *stack = jv_get(obj, "mpls");
		for (const jv *e = stack && stack->kind == JV_ARR ? stack->u.first : NULL; e; e = e->next) {
			int64_t label, exp, s, ttl;
			if (!jv_int(e, "label", 0, 0xFFFFF, &label) || !jv_int(e, "exp", 0, 7, &exp) ||
			    !jv_int(e, "s", 0, 1, &s) || !jv_int(e, "ttl", 0, 255, &ttl)) {
				snprintf(err, errlen, "icmpext: an MPLS entry without label 0..1048575, "
					 "exp 0..7, s 0..1, ttl 0..255");
				return -1;
			}
			if (h->mpls_count < BT_MPLS_MAX)
				h->mpls[h->mpls_count++] = (bt_mpls){ (uint32_t)label, (uint8_t)exp, (uint8_t)s, (uint8_t)ttl };
		}
	}
	return 0;
}

/* The ICMP type and code (or TCP flags) of a reply, which Atlas does not
 * write: an err is an unreachable; else the destination's answer to the
 * protocol, or a time exceeded from a router. 1: the destination's answer
 * (the trace completed), 0: another reply, -1: not mappable (why in err). */
static int reply_kind(const reply_f *f, const bt_trace *t, bt_hop *h, bool from_dst, hopstate *hs,
		      char *err, size_t errlen)
{
	bool v6 = t->dst.family == AF_INET6;
	const jv *e = f->err;
	if (e != NULL) {
		int code = err_code(e, v6);
		if (code < 0) {
			snprintf(err, errlen, "err: unknown unreachable code (not N H P p A h, another "
				 "letter traceroute prints, or a number)");
			return -1;
		}
		h->icmp_type = v6 ? 1 : 3;
		h->icmp_code = (uint8_t)code;
		bool port = code == (v6 ? 4 : 3);
		if (from_dst && port && t->method == BT_METHOD_UDP_PARIS)
			return 1; /* the answer a UDP trace wants */
		hs->unreach_last = true;
		return 0;
	}
	if (!from_dst) {
		h->icmp_type = v6 ? 3 : 11;
		return 0;
	}
	if (t->method == BT_METHOD_TCP_SYN)
		h->tcp_flags = tcp_flags_of(f->flags);
	else if (t->method == BT_METHOD_ICMP_PARIS)
		h->icmp_type = v6 ? 129 : 0;
	else
		h->icmp_type = v6 ? 1 : 3, h->icmp_code = v6 ? 4 : 3;
	return 1;
}

/* A new entry at the end of t's hops; NULL past BT_HOPS_MAX. */
static bt_hop *add_entry(bt_trace *t, int ttl, int attempt, char *err, size_t errlen)
{
	/* doubled when full (bt_trace_reserve grows to the size asked: one
	 * entry at a time was a realloc and a memset for every entry past
	 * the first 32) */
	size_t want = t->hop_cap < 16 ? 32 : t->hop_cap * 2 < BT_HOPS_MAX ? t->hop_cap * 2 : BT_HOPS_MAX;
	if (t->hop_count >= BT_HOPS_MAX ||
	    (t->hop_count >= t->hop_cap && bt_trace_reserve(t, want) != 0)) {
		snprintf(err, errlen, "result: more than %d replies and silent attempts", BT_HOPS_MAX);
		return NULL;
	}
	bt_hop *h = &t->hops[t->hop_count++]; /* zeroed by bt_trace_reserve, never used before */
	h->probe_ttl = (uint8_t)ttl;
	h->attempt = (uint8_t)(attempt > 255 ? 255 : attempt);
	return h;
}

/* The address of a reply's "from" (parsed once for a run of equal
 * texts); 0, or -1 when it is not an address. */
static int from_addr(const jv *from, hopstate *hs, bt_addr *a)
{
	if (jv_is(from, JV_STR) && hs->from_s != NULL && from->len == hs->from_len &&
	    memcmp(from->u.s, hs->from_s, from->len) == 0) {
		*a = hs->from;
		return 0;
	}
	char fb[64];
	const char *s = jv_cstr(from, fb, sizeof(fb));
	if (s == NULL || bt_addr_parse(s, a) != 0)
		return -1;
	hs->from_s = from->u.s;
	hs->from_len = from->len;
	hs->from = *a;
	return 0;
}

/* One reply ("from" set) at ttl into t; 1, or 0 with the reason the
 * result cannot be mapped. */
static int map_reply(const reply_f *f, bt_trace *t, int ttl, int attempt, hopstate *hs, char *err,
		     size_t errlen)
{
	bt_addr a;
	if (from_addr(f->from, hs, &a) != 0)
		return SKIP("'from': not an IP address");
	int64_t v;
	bt_hop *h = add_entry(t, ttl, attempt, err, errlen);
	if (h == NULL)
		return 0;
	h->addr = a;
	const jv *rtt = f->rtt;
	if (jv_is_number(rtt) && jv_number(rtt) >= 0 && jv_number(rtt) < 4294967.0)
		h->rtt_us = (uint32_t)(jv_number(rtt) * 1000.0 + 0.5);
	else if (rtt != NULL || f->late == NULL)
		return SKIP("'rtt': expected a number of milliseconds (absent only on a late reply)");
	if (int_in(f->ttl, 0, 255, &v))
		h->reply_ttl = (uint8_t)v;
	if (int_in(f->size, 0, 65535, &v))
		h->reply_size = (uint16_t)v;
	bool from_dst = bt_addr_eq(&a, &t->dst);
	int k = reply_kind(f, t, h, from_dst, hs, err, errlen);
	if (k < 0)
		return 0;
	if (k == 1 && hs->done_ttl == 0)
		hs->done_ttl = ttl;
	/* an ICMP error quotes the probe: its TTL, which Atlas leaves out when 1 */
	if (h->tcp_flags == 0 && h->icmp_type != 0 && h->icmp_type != 129)
		h->quoted_ttl = int_in(f->ittl, 0, 255, &v) ? (uint8_t)v : 1;
	if (f->icmpext != NULL && map_mpls(f->icmpext, h, err, errlen) != 0)
		return 0;
	hs->reply_last = true;
	return 1;
}

/* One element of a hop's list: a reply, a timeout ("x":"*"), a send error
 * ({"error":...}) or an empty object (some firmware); 1 mapped, 0 with
 * the reason it cannot be. *att counts the packets (a duplicate or late
 * reply answers one already counted); *errs and *other note send errors
 * and timeouts (for the stop reason). */
static int map_element(const jv *rep, bt_trace *t, int ttl, int *att, hopstate *hs, bool *errs,
		       bool *other, char *err, size_t errlen)
{
	if (!jv_is(rep, JV_OBJ))
		return SKIP("a reply that is not an object");
	reply_f f;
	reply_fields(rep, &f);
	*errs |= f.error != NULL;
	*other |= f.x != NULL;
	const jv *dup = f.dup, *late = f.late;
	/* "dup": true (any value but false), "late": how many packets late */
	bool again = (dup != NULL && !(jv_is(dup, JV_BOOL) && dup->u.i == 0)) ||
		     (late != NULL && !(jv_is(late, JV_INT) && late->u.i == 0));
	if (!again || *att == 0)
		(*att)++;
	if (f.from != NULL) {
		if (!again)
			t->probes_sent++;
		return map_reply(&f, t, ttl, *att, hs, err, errlen);
	}
	if (rep->len == 0) {
		(*att)--; /* nothing: not a packet */
		return 1;
	}
	bool x = jv_is(f.x, JV_STR);
	if (!x && !jv_is(f.error, JV_STR))
		return SKIP("a reply with none of 'from', 'x' and 'error'");
	t->probes_sent += x;
	return add_entry(t, ttl, *att, err, errlen) != NULL;
}

/* One element of "result": {"hop":N,"result":[...]} or {"hop":N,"error":
 * "..."} (a hop whose packets could not be sent). 1, or 0 and a reason. */
static int map_hop(const jv *hop, bt_trace *t, hopstate *hs, char *err, size_t errlen)
{
	int64_t ttl;
	if (!jv_int(hop, "hop", 1, 255, &ttl))
		return SKIP("'result[].hop': expected an integer 1..255");
	if (ttl == 255 && hs->last_ttl > 0 && hs->last_ttl < 254) {
		/* the probe's last try after too many silent hops: our record
		 * holds TTLs without holes, so it goes into the stop reason */
		hs->had_255 = true;
		return 1;
	}
	if (hs->had_255 || (hs->last_ttl > 0 && ttl != hs->last_ttl + 1))
		return SKIP("'result[].hop': %d after %d (hops out of order or skipped)", (int)ttl, hs->last_ttl);
	if (hs->last_ttl == 0)
		t->first_ttl = (uint8_t)ttl;
	hs->last_ttl = (int)ttl;
	hs->unreach_last = hs->reply_last = false;
	const jv *list = jv_get(hop, "result"), *rep;
	if (jv_first(list) == NULL) {
		if (!jv_is(jv_get(hop, "error"), JV_STR))
			return SKIP("hop %d: neither a 'result' list nor an 'error'", (int)ttl);
		hs->senderr_last = true;
		return add_entry(t, (int)ttl, 0, err, errlen) != NULL;
	}
	int att = 0;
	size_t before = t->hop_count;
	bool errs = false, other = false;
	for (rep = jv_first(list); rep != NULL; rep = rep->next)
		if (!map_element(rep, t, (int)ttl, &att, hs, &errs, &other, err, errlen))
			return 0;
	if (t->hop_count == before && add_entry(t, (int)ttl, 0, err, errlen) == NULL)
		return 0; /* a list of empty objects: no attempt we know of */
	/* packets that could not be sent, and no answer nor timeout beside */
	hs->senderr_last = errs && !other && !hs->reply_last;
	return 1;
}

/* The result's kind and firmware: 1 for a traceroute we map, else 0 and
 * why. */
static int check_kind(const jv *r, char *err, size_t errlen)
{
	char tb[48];
	const jv *tv = jv_get(r, "type");
	const char *type = jv_cstr(tv, tb, sizeof(tb));
	if (tv != NULL && type == NULL)
		return SKIP("'type': not a short string");
	int64_t fw;
	if (type != NULL && strcmp(type, "traceroute") != 0)
		return SKIP("a '%.40s' result, not a traceroute", type);
	if (!jv_int(r, "fw", 0, INT32_MAX, &fw))
		return SKIP("'fw': no firmware version (not an Atlas result?)");
	if (fw < 4400)
		return SKIP("firmware %" PRId64 " result (before 4400 the hops are traceroute's text "
			    "output: not mapped)", fw);
	if (!jv_is(jv_get(r, "result"), JV_ARR))
		return SKIP("'result': not a list of hops");
	return 1;
}

/* The method of an Atlas proto (a C string, or NULL); 0, or -1 for
 * another. */
static int method_of(const char *proto, bt_method *m)
{
	return proto == NULL ? -1 : bt_method_parse(strcmp(proto, "ICMP") == 0 ? "icmp-paris" : strcmp(proto, "UDP") == 0 ? "udp-paris" :
						    strcmp(proto, "TCP") == 0 ? "tcp-syn" : "", m);
}

/* The source: src_addr, else the probe's public address, else none. */
static void set_src(bt_trace *t, const char *src, const char *from)
{
	if (src == NULL || bt_addr_parse(src, &t->src) != 0)
		if (from == NULL || bt_addr_parse(from, &t->src) != 0)
			memset(&t->src, 0, sizeof(t->src));
}

/* Ids, round and times from the head's numbers. */
static void set_ids(mapctx *c, bt_trace *t, int64_t prb, int64_t msm, int64_t ts, int64_t end)
{
	atlas_id(t->vp, prb);
	atlas_id(t->campaign, msm);
	int64_t start = round_start(ts, c->interval);
	if (c->round[0] == '\0' || c->start != start) {
		bt_atlas_round(ts, c->interval, c->round, sizeof(c->round));
		c->start = start;
	}
	memcpy(t->round, c->round, sizeof(t->round));
	t->start_us = ts * 1000000;
	t->end_us = end * 1000000;
}

/* Ids, method, addresses, times and flow; 1, or 0 and why. */
static int map_head(const jv *r, mapctx *c, bt_trace *t, char *err, size_t errlen)
{
	int64_t prb, msm, ts, end, paris = 0;
	if (!jv_int(r, "prb_id", 0, INT64_C(999999999999), &prb))
		return SKIP("'prb_id': expected a probe number");
	if (!jv_int(r, "msm_id", 0, INT64_C(999999999999), &msm))
		return SKIP("'msm_id': expected a measurement number");
	if (!jv_int(r, "timestamp", 0, INT64_C(253402300799), &ts))
		return SKIP("'timestamp': expected unix seconds (years 1970..9999)");
	if (!jv_int(r, "endtime", ts, INT64_C(253402300799), &end))
		end = ts; /* absent, or before the start: the start (doc/atlas.md) */
	char db[64], nb[64], pb[8], sb[64], fb[64];
	const char *dst = jv_cstr(jv_get(r, "dst_addr"), db, sizeof(db));
	if (dst == NULL || dst[0] == '\0')
		return SKIP("no 'dst_addr' (the name '%.60s' did not resolve?)",
			    jv_cstr(jv_get(r, "dst_name"), nb, sizeof(nb)) ? nb : "");
	if (bt_addr_parse(dst, &t->dst) != 0)
		return SKIP("'dst_addr': not an IP address");
	if (method_of(jv_cstr(jv_get(r, "proto"), pb, sizeof(pb)), &t->method) != 0)
		return SKIP("'proto': expected ICMP, UDP or TCP");
	set_src(t, jv_cstr(jv_get(r, "src_addr"), sb, sizeof(sb)), jv_cstr(jv_get(r, "from"), fb, sizeof(fb)));
	if (jv_get(r, "paris_id") != NULL && !jv_int(r, "paris_id", 0, 65535, &paris))
		return SKIP("'paris_id': expected 0..65535");
	t->flow = (uint16_t)paris;
	set_ids(c, t, prb, msm, ts, end);
	return 1;
}

/* The stop reason from what the hops came to. */
static void set_stop(bt_trace *t, const hopstate *hs)
{
	t->stop_ttl = 0;
	if (hs->done_ttl) {
		t->stop = BT_STOP_COMPLETED;
		t->stop_ttl = (uint8_t)hs->done_ttl;
	} else if (hs->had_255) {
		t->stop = BT_STOP_GAPLIMIT;
	} else if (hs->unreach_last) {
		t->stop = BT_STOP_UNREACHABLE;
		t->stop_ttl = (uint8_t)hs->last_ttl;
	} else if (hs->senderr_last || hs->last_ttl == 0) {
		t->stop = BT_STOP_ERROR;
	} else {
		t->stop = BT_STOP_MAXTTL;
	}
	if (t->first_ttl == 0)
		t->first_ttl = 1;
	t->max_ttl = hs->had_255 ? 255 : (uint8_t)(hs->last_ttl > t->first_ttl ? hs->last_ttl : t->first_ttl);
}

/* The stop reason and the check every mapped trace passes; 1 or 0. */
static int finish(bt_trace *t, const hopstate *hs, char *err, size_t errlen)
{
	set_stop(t, hs);
	char why[256];
	if (bt_trace_check(t, why, sizeof(why)) != 0)
		return SKIP("mapped to a record that is not valid: %s", why);
	return 1;
}

static int map_object(const jv *r, mapctx *c, bt_trace *t, char *err, size_t errlen)
{
	if (!check_kind(r, err, errlen) || !map_head(r, c, t, err, errlen))
		return 0;
	hopstate hs = { 0 };
	size_t i = 0;
	for (const jv *hop = jv_first(jv_get(r, "result")); hop != NULL; hop = hop->next, i++) {
		if (!jv_is(hop, JV_OBJ))
			return SKIP("'result[%zu]': not an object", i);
		if (!map_hop(hop, t, &hs, err, errlen))
			return 0;
	}
	return finish(t, &hs, err, errlen);
}

/* map_object for a result whose hops atlas_fast read into t (replies and
 * timeouts only, no err, ittl, flags): what needs the head added, the
 * reply kinds and the stop, as map_reply and map_hop make them. */
static int fast_hops(bt_trace *t, const atlas_fast *f, char *err, size_t errlen)
{
	static const reply_f none;
	hopstate hs = { .last_ttl = f->last_ttl };
	for (size_t i = 0; i < t->hop_count; i++) {
		bt_hop *h = &t->hops[i];
		if (h->addr.family == 0) /* silent (bt_addr_is_set, in line) */
			continue;
		bool from_dst = h->addr.family == t->dst.family && memcmp(h->addr.bytes, t->dst.bytes, 16) == 0;
		if (reply_kind(&none, t, h, from_dst, &hs, err, errlen) == 1 && hs.done_ttl == 0)
			hs.done_ttl = h->probe_ttl;
		if (h->tcp_flags == 0 && h->icmp_type != 0 && h->icmp_type != 129)
			h->quoted_ttl = 1; /* no ittl: 1 */
	}
	return finish(t, &hs, err, errlen);
}

static int map_fast(const jv *r, mapctx *c, bt_trace *t, const atlas_fast *f, char *err, size_t errlen)
{
	if (!check_kind(r, err, errlen) || !map_head(r, c, t, err, errlen))
		return 0;
	return fast_hops(t, f, err, errlen);
}

/* The head atlas_read_result read into h (t->dst set), as map_head maps
 * it, then the hops as map_fast; bt_atlas_map's values. */
static int map_read(mapctx *c, const atlas_head *h, bt_trace *t, const atlas_fast *f, char *err, size_t errlen)
{
	char sb[64], fb[64];
	if (method_of(h->proto, &t->method) != 0)
		return SKIP("'proto': expected ICMP, UDP or TCP"); /* not met: atlas_read_result vouched */
	set_src(t, h->src != NULL && h->src_len < sizeof(sb) ? (memcpy(sb, h->src, h->src_len), sb[h->src_len] = '\0', sb) : NULL,
		h->from != NULL && h->from_len < sizeof(fb) ? (memcpy(fb, h->from, h->from_len), fb[h->from_len] = '\0', fb) : NULL);
	t->flow = (uint16_t)h->paris;
	set_ids(c, t, h->prb, h->msm, h->ts, h->end);
	return fast_hops(t, f, err, errlen);
}

/* f ready for a result's hops, into a new trace; 0, or -1 out of memory. */
static int start_fast(atlas_fast *f, size_t hint, atlas_froms *froms)
{
	/* room for as many entries as the last result had (doubled past it) */
	*f = (atlas_fast){ .t = bt_trace_alloc(hint < 32 ? 32 : hint), .froms = froms };
	if (f->t == NULL)
		return -1;
	f->t->version = BT_TRACE_FORMAT_VERSION;
	return 0;
}

/* The result at text[0, len) read without a tree (atlas_read_result):
 * 1, *h, *used and f (its trace); else 0 and no trace (out of memory
 * too: the tree's read then says so). */
static int read_whole(const char *text, size_t len, size_t *used, atlas_fast *f, atlas_head *h, size_t hint,
		      atlas_froms *froms)
{
	if (start_fast(f, hint, froms) != 0)
		return 0;
	if (atlas_read_result(f, h, text, len, used) == 1)
		return 1;
	bt_trace_free(f->t);
	f->t = NULL;
	return 0;
}

/* The tree of the result at text[0, len) with its hops read straight into
 * a new trace (atlas_fast.h): 1, *tree, *used and f (f->t NULL when it
 * has no "result" member); 0 when the fast parser cannot vouch for it or
 * the text ends inside it; -1 out of memory. */
static int parse_direct(jv_arena *a, const char *text, size_t len, jv **tree, size_t *used, atlas_fast *f,
			size_t hint, atlas_froms *froms)
{
	if (start_fast(f, hint, froms) != 0)
		return -1;
	int rc = jv_parse_hooked(a, text, len, tree, used, atlas_fast_hook, f);
	if (rc != 1 || !f->taken) {
		bt_trace_free(f->t);
		f->t = NULL;
	}
	return rc;
}

/* map_fast's outcome (map_read's when h is not NULL) as bt_atlas_map's
 * (the trace f->t taken over). */
static int map_direct(const jv *r, const atlas_head *h, mapctx *c, atlas_fast *f, bt_trace **out, char *err,
		      size_t errlen)
{
	int rc = h != NULL ? map_read(c, h, f->t, f, err, errlen) : map_fast(r, c, f->t, f, err, errlen);
	*out = rc == 1 ? f->t : NULL;
	if (rc != 1)
		bt_trace_free(f->t);
	f->t = NULL;
	return rc;
}

int bt_atlas_map_direct(const char *json, size_t len, uint32_t round_interval_s, atlas_froms *froms,
			bt_trace **out, char *err, size_t errlen)
{
	jv_arena *a = jv_arena_new();
	mapctx c = { .interval = round_interval_s };
	atlas_fast f;
	jv *tree;
	size_t used;
	*out = NULL;
	int rc = a == NULL ? -1 : parse_direct(a, json, len, &tree, &used, &f, 32, froms);
	if (rc == 1 && (f.t == NULL || jv_ws(json + used, json + len) != json + len)) {
		bt_trace_free(f.t);
		rc = 0; /* no hop list, or text after the object: bt_atlas_map */
	}
	if (rc == 1)
		rc = map_direct(tree, NULL, &c, &f, out, err, errlen);
	else if (rc == 0)
		rc = 2;
	else
		snprintf(err, errlen, "out of memory");
	jv_arena_free(a);
	return rc;
}

int bt_atlas_map_head(const char *json, size_t len, uint32_t round_interval_s, atlas_froms *froms,
		      bt_trace **out, char *err, size_t errlen)
{
	mapctx c = { .interval = round_interval_s };
	atlas_fast f;
	atlas_head h;
	size_t used;
	*out = NULL;
	if (read_whole(json, len, &used, &f, &h, 32, froms) != 1)
		return 2;
	if (jv_ws(json + used, json + len) != json + len) {
		bt_trace_free(f.t);
		return 2; /* text after the object: bt_atlas_map */
	}
	return map_direct(NULL, &h, &c, &f, out, err, errlen);
}

/* The tree of one result's text: by the fast parser, or through jansson,
 * which also words every error. 1 and *out (*keep: jansson's tree, which
 * the strings point into, for the caller to release), or -1 and why. */
static int parse(jv_arena *a, const char *json, size_t len, const jv **out, json_t **keep,
		 char *err, size_t errlen)
{
	jv *v;
	*keep = NULL;
	int rc = jv_parse_fast(a, json, len, &v);
	if (rc != 0) {
		*out = v;
		return rc > 0 ? 1 : (snprintf(err, errlen, "out of memory"), -1);
	}
	json_error_t je;
	json_t *r = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
	if (r == NULL) {
		if (je.line > 1)
			snprintf(err, errlen, "not JSON: %s (line %d of the result, column %d)", je.text,
				 je.line, je.column);
		else
			snprintf(err, errlen, "not JSON: %s (column %d)", je.text, je.column);
		return -1;
	}
	if (!json_is_object(r) || (v = jv_from_jansson(a, r)) == NULL) {
		snprintf(err, errlen, json_is_object(r) ? "out of memory" : "not JSON object: each result is an object");
		json_decref(r);
		return -1;
	}
	*keep = r;
	*out = v;
	return 1;
}

/* One result's tree to a new trace (bt_atlas_map's values). */
static int map_tree(const jv *r, mapctx *c, bt_trace **out, char *err, size_t errlen)
{
	bt_trace *t = bt_trace_alloc(32);
	int rc = -1;
	*out = NULL;
	if (t == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	t->version = BT_TRACE_FORMAT_VERSION;
	rc = map_object(r, c, t, err, errlen);
	if (rc == 1)
		*out = t;
	else
		bt_trace_free(t);
	return rc;
}

/* bt_atlas_map with the reader's arena. */
static int map_text(jv_arena *a, const char *json, size_t len, mapctx *c, bt_trace **out,
		    char *err, size_t errlen)
{
	const jv *r;
	json_t *keep;
	*out = NULL;
	if (parse(a, json, len, &r, &keep, err, errlen) != 1)
		return -1;
	int rc = map_tree(r, c, out, err, errlen);
	json_decref(keep);
	return rc;
}

int bt_atlas_map(const char *json, size_t len, uint32_t round_interval_s, bt_trace **out,
		 char *err, size_t errlen)
{
	jv_arena *a = jv_arena_new();
	*out = NULL;
	if (a == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	mapctx c = { .interval = round_interval_s };
	int rc = map_text(a, json, len, &c, out, err, errlen);
	jv_arena_free(a);
	return rc;
}

/* ==== the reader: results cut out of the stream one at a time ==== */

#define CHUNK (1u << 20)
#define TOO_LONG "a result longer than 4194304 bytes (the cap on a result)"
#define PREFETCH (8u << 10) /* mapped: bytes ahead of the reader asked into the cache */

typedef struct atlas_reader {
	bt_zfile *z;
	char *path;
	bt_input_opts o;
	jv_arena *arena;        /* the tree of the result being mapped */
	mapctx ctx;
	const jv *tree;         /* the next result's, when read in one go */
	atlas_fast fast;        /* its hops, when read straight (fast.t set) */
	atlas_head head;        /* its head, when read without a tree (headed) */
	bool headed;
	atlas_froms *froms;     /* the addresses of "from" texts met lately */
	size_t hint;            /* the entries of the last result read so */
	bt_trace *light;        /* the graph's pass: the light read's trace */
	bool lit;               /* the last result was read into light */
	char *buf;
	size_t cap, start, end; /* unread bytes: buf[start, end) */
	bt_mapfile *map;        /* a plain file mapped (buf its data), or NULL */
	size_t fend;            /* mapped: the file's size; end the window's */
	size_t fetched;         /* mapped: bytes asked into the cache below */
	size_t scan;            /* bytes of the current object scanned */
	int depth, array;       /* array: 0 none seen, 1 open, 2 closed */
	uint64_t kinds[16];     /* per depth: 1 for '[', 0 for '{' (1024 levels) */
	bool in_obj, in_str, esc, want_comma, seen_obj, eof, dead;
	unsigned long lineno, obj_line; /* line at the scan; where the last object began */
} atlas_reader;

bool bt_atlas_sniff(const uint8_t *head, size_t n)
{
	const char *s = (const char *)head, *e = s + n;
	if (head == NULL || n == 0)
		return false;
	if (n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3;
	while (s < e && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'))
		s++;
	if (s < e && *s == '[') {
		for (s++; s < e && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'); s++)
			;
		return s == e || *s == '{' || *s == ']';
	}
	if (s >= e || *s != '{')
		return false;
	size_t left = (size_t)(e - s);
	const char *nl = memchr(s, '\n', left);
	size_t line = nl ? (size_t)(nl - s) : left;
	/* the dumps write prb_id and msm_id after the hop list, which can
	 * outrun the head; fw comes first there */
	return (memmem(s, left, "\"prb_id\"", 8) != NULL || memmem(s, left, "\"msm_id\"", 8) != NULL ||
		memmem(s, left, "\"fw\"", 4) != NULL) &&
	       memmem(s, line, "\"" BT_TRACE_FORMAT_NAME "\"", sizeof(BT_TRACE_FORMAT_NAME) + 1) == NULL;
}

static int fail(atlas_reader *r, char *err, size_t errlen, const char *why)
{
	snprintf(err, errlen, "%s:%lu: %s", r->path, r->lineno, why);
	r->dead = true;
	return -1;
}

/* More bytes: the unread ones to the front, the buffer grown to what a
 * result at the cap needs. 0 (eof set at the end) or -1. */
static int fill(atlas_reader *r, char *err, size_t errlen)
{
	if (r->map != NULL) {
		/* the window: at most one result at the cap past start, as the
		 * buffer would hold (a longer one is refused alike) */
		bt_mapfile_at(r->map, r->start);
		size_t to = r->fend - r->start > BT_LINE_MAX + 1 ? r->start + BT_LINE_MAX + 1 : r->fend;
		r->end = to > r->end ? to : r->end;
		r->eof = r->end == r->fend;
		return 0;
	}
	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	if (r->cap - r->end < CHUNK / 4) {
		char *p = realloc(r->buf, r->cap * 2);
		if (p == NULL)
			return fail(r, err, errlen, "out of memory");
		r->buf = p;
		r->cap *= 2;
	}
	char where[300];
	snprintf(where, sizeof(where), "%s:%lu", r->path, r->lineno);
	long n = bt_zfile_read(r->z, r->buf + r->end, r->cap - r->end, where, err, errlen);
	if (n < 0) {
		r->dead = true;
		return -1;
	}
	r->end += (size_t)n;
	r->eof = n == 0;
	return 0;
}

/* Skips what stands between results (blanks, the array's brackets and
 * commas) up to the next object; 1 at an object, 0 out of bytes, -1 on
 * anything else. */
static int skip_between(atlas_reader *r, char *err, size_t errlen)
{
	while (r->start < r->end) {
		char c = r->buf[r->start];
		bool in_array = r->array == 1;
		if (c == '\n')
			r->lineno++;
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			r->start++;
		} else if (c == '[' && r->array == 0 && !r->seen_obj) {
			r->array = 1, r->start++;
		} else if (c == ',' && in_array && r->want_comma) {
			r->want_comma = false, r->start++;
		} else if (c == ']' && in_array && (r->want_comma || !r->seen_obj)) {
			r->array = 2, r->start++;
		} else if (c == '{' && r->array != 2 && !(in_array && r->want_comma)) {
			r->in_obj = true;
			r->scan = 0;
			r->depth = 0;
			r->obj_line = r->lineno;
			return 1;
		} else {
			char why[160];
			snprintf(why, sizeof(why), "not JSON: unexpected '%c' between results (%s)",
				 (c >= 0x20 && c < 0x7f) ? c : '?',
				 r->array == 2 ? "after the array's closing ']'" :
				 in_array && r->want_comma ? "expected ',' or ']'" : "expected a result object");
			return fail(r, err, errlen, why);
		}
	}
	return 0;
}

/* Scans the object at start: 1 when it is complete (its length in *len),
 * 0 when more bytes are needed. Strings are skipped with their escapes;
 * brackets count depth; whether it is valid JSON is jansson's to say. */
static int scan_object(atlas_reader *r, size_t *len)
{
	/* the bytes that change the scanner's state; all others are skipped
	 * in a tight loop (results are mostly addresses and numbers) */
	static const bool special[256] = { ['"'] = 1, ['\\'] = 1, ['{'] = 1, ['}'] = 1,
					   ['['] = 1, [']'] = 1, ['\n'] = 1 };
	const unsigned char *b = (const unsigned char *)r->buf + r->start;
	size_t n = r->end - r->start, i = r->scan;
	for (; i < n; i++) {
		while (i < n && !r->esc && !special[b[i]])
			i++;
		if (i == n)
			break;
		unsigned char c = b[i];
		if (c == '\n')
			r->lineno++;
		if (r->in_str) {
			if (r->esc)
				r->esc = false;
			else if (c == '\\')
				r->esc = true;
			else if (c == '"')
				r->in_str = false;
		} else if (c == '"') {
			r->in_str = true;
		} else if (c == '{' || c == '[') {
			if (r->depth >= 1024)
				break; /* past jansson's depth: its error */
			uint64_t bit = UINT64_C(1) << (r->depth % 64);
			r->kinds[r->depth / 64] = c == '[' ? r->kinds[r->depth / 64] | bit : r->kinds[r->depth / 64] & ~bit;
			r->depth++;
		} else if (c == '}' || c == ']') {
			r->depth--;
			bool sq = (r->kinds[r->depth / 64] >> (r->depth % 64)) & 1;
			if (r->depth == 0 || sq != (c == ']'))
				break; /* the end, or a mismatch: jansson says which */
		}
	}
	if (i < n) {
		*len = i + 1;
		return 1;
	}
	r->scan = i;
	return 0;
}

/* The object at start read in one go (the common case: no scan, no
 * second parse): without a tree (atlas_read_result: r->headed, r->head),
 * else by the fast parser (its tree in r->tree); true and its length in
 * *len. False when neither vouches for it or the buffer ends inside it:
 * the scanner finds its end. */
static bool take_whole(atlas_reader *r, size_t *len)
{
	jv *tree = NULL;
	const char *b = r->buf + r->start;
	r->headed = read_whole(b, r->end - r->start, len, &r->fast, &r->head, r->hint, r->froms) == 1;
	if (!r->headed && parse_direct(r->arena, b, r->end - r->start, &tree, len, &r->fast, r->hint, r->froms) != 1)
		return false;
	r->hint = r->fast.t != NULL ? r->fast.t->hop_count : r->hint;
	for (const char *p = b; (p = memchr(p, '\n', (size_t)(b + *len - p))) != NULL; p++)
		r->lineno++;
	r->tree = tree;
	return true;
}

/* The object at start read by the light read into r->light (the graph's
 * pass, atlas_fast.h): true and its length; false when it does not vouch
 * for it or the buffer ends inside it (the full read takes it). */
static bool take_light(atlas_reader *r, size_t *len)
{
	const char *b = r->buf + r->start;
	if (atlas_scan_result(r->light, r->froms, b, r->end - r->start, len) != 1)
		return false;
	for (const char *p = b; (p = memchr(p, '\n', (size_t)(b + *len - p))) != NULL; p++)
		r->lineno++;
	r->lit = true;
	return true;
}

static int done_object(atlas_reader *r, const char **obj, size_t len)
{
	*obj = r->buf + r->start;
	r->start += len;
	r->in_obj = false;
	r->seen_obj = true;
	r->want_comma = r->array == 1;
	return 1;
}

/* The next result's text: 1 (valid until the next call), 0 at the end,
 * -1 with a message. */
static int cut_object(atlas_reader *r, const char **obj, size_t *len, char *err, size_t errlen)
{
	for (;;) {
		if (r->dead)
			return 0;
		if (!r->in_obj && skip_between(r, err, errlen) < 0)
			return -1;
		if (r->in_obj && r->scan == 0 && r->light != NULL && take_light(r, len))
			return done_object(r, obj, *len);
		if (r->in_obj && r->scan == 0 && take_whole(r, len))
			return done_object(r, obj, *len);
		if (r->in_obj && scan_object(r, len))
			return done_object(r, obj, *len);
		if (r->in_obj && r->end - r->start > BT_LINE_MAX) {
			r->lineno = r->obj_line;
			return fail(r, err, errlen, TOO_LONG);
		}
		if (r->eof && r->in_obj) {
			r->lineno = r->obj_line;
			return fail(r, err, errlen, "not JSON: the file ends inside the result that starts here (truncated?)");
		}
		if (r->eof && r->array == 1)
			return fail(r, err, errlen, "not JSON: the file ends before the array's closing ']' (truncated?)");
		if (r->eof)
			return 0;
		if (fill(r, err, errlen) != 0)
			return -1;
	}
}

/* cut_object, and for a mapped file whether it stayed whole while its
 * bytes were looked through (else they are partly the zeros put over its
 * lost end); a result over the cap refused however it was cut out */
static int next_object(atlas_reader *r, const char **obj, size_t *len, char *err, size_t errlen)
{
	bool was_dead = r->dead;
	if (r->map != NULL) {
		/* the bytes a few results ahead asked into the cache: parsed
		 * straight from the page cache, a result's first touch of each
		 * page would otherwise wait for memory (read() had brought them
		 * in as it copied) */
		size_t want = r->start + PREFETCH < r->end ? r->start + PREFETCH : r->end;
		for (r->fetched = r->fetched > r->start ? r->fetched : r->start; r->fetched < want; r->fetched += 64)
			__builtin_prefetch(r->buf + r->fetched);
	}
	int rc = cut_object(r, obj, len, err, errlen);
	if (r->map != NULL && !was_dead && bt_mapfile_shrunk(r->map)) {
		r->lineno = r->obj_line;
		return fail(r, err, errlen, "the file shrank while it was read (another program truncated it?)");
	}
	if (rc == 1 && *len > BT_LINE_MAX) { /* whole in a buffer that had grown for an earlier one */
		r->lineno = r->obj_line;
		return fail(r, err, errlen, TOO_LONG);
	}
	return rc;
}

/* The result just cut out, mapped: 1 and *out, 0 at the end, -1; one
 * that cannot be mapped is reported and passed. */
static int map_next(atlas_reader *r, const char *obj, size_t len, bt_trace **out, char *err, size_t errlen)
{
	char why[512];
	int m = r->fast.t != NULL ? map_direct(r->tree, r->headed ? &r->head : NULL, &r->ctx, &r->fast, out, why, sizeof(why))
		: r->tree != NULL ? map_tree(r->tree, &r->ctx, out, why, sizeof(why))
				  : map_text(r->arena, obj, len, &r->ctx, out, why, sizeof(why));
	r->tree = NULL;
	r->headed = false;
	if (m < 0) {
		snprintf(err, errlen, "%s:%lu: %s", r->path, r->obj_line, why);
		r->dead = true;
		return -1;
	}
	if (m == 0 && r->o.skipped != NULL) {
		char where[300];
		snprintf(where, sizeof(where), "%s:%lu", r->path, r->obj_line);
		r->o.skipped(r->o.skipped_ctx, where, why);
	}
	return m;
}

static int atlas_next(void *st, bt_trace **out, char *err, size_t errlen)
{
	atlas_reader *r = st;
	const char *obj;
	size_t len;
	int rc;
	while ((rc = next_object(r, &obj, &len, err, errlen)) == 1)
		if ((rc = map_next(r, obj, len, out, err, errlen)) != 0)
			return rc;
	return rc;
}

/* The graph's pass (bt_input_ops.scan): each result through the light
 * read into light where it vouches for it, else read in full into *full. */
static int atlas_scan(void *st, bt_trace *light, bt_trace **full, char *err, size_t errlen)
{
	atlas_reader *r = st;
	const char *obj;
	size_t len;
	int rc;
	*full = NULL;
	r->light = light;
	for (r->lit = false; (rc = next_object(r, &obj, &len, err, errlen)) == 1; r->lit = false)
		if (r->lit || (rc = map_next(r, obj, len, full, err, errlen)) != 0)
			break;
	r->light = NULL;
	return rc;
}

static const char *atlas_where(const void *st, char *buf, size_t buflen)
{
	const atlas_reader *r = st;
	snprintf(buf, buflen, "%s:%lu", r->path, r->obj_line);
	return buf;
}

static void atlas_close(void *st)
{
	atlas_reader *r = st;
	if (r == NULL)
		return;
	bt_zfile_close(r->z);
	bt_trace_free(r->fast.t);
	free(r->froms);
	jv_arena_free(r->arena);
	if (r->map != NULL)
		bt_mapfile_close(r->map);
	else
		free(r->buf);
	free(r->path);
	free(r);
}

static const bt_input_ops atlas_ops = { atlas_next, atlas_where, atlas_close, atlas_scan };

void *bt_atlas_open(const char *path, const bt_input_opts *o, const bt_input_ops **ops, char *err,
		    size_t errlen)
{
	atlas_reader *r = calloc(1, sizeof(*r));
	if (r == NULL || (r->path = strdup(path)) == NULL || (r->buf = malloc(CHUNK)) == NULL ||
	    (r->froms = calloc(1, sizeof(*r->froms))) == NULL ||
	    (r->arena = jv_arena_new()) == NULL) {
		atlas_close(r);
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	r->cap = CHUNK;
	r->lineno = 1;
	if (o != NULL)
		r->o = *o;
	r->ctx.interval = r->o.round_interval_s;
	if ((r->z = bt_zfile_open(path, err, errlen)) != NULL && bt_zfile_kind(r->z) == BT_Z_PLAIN &&
	    (r->map = bt_mapfile_open(path)) != NULL) {
		free(r->buf);
		r->buf = (char *)(uintptr_t)bt_mapfile_data(r->map);
		r->cap = r->fend = bt_mapfile_size(r->map);
	}
	if (r->z == NULL || fill(r, err, errlen) != 0) {
		atlas_close(r);
		return NULL;
	}
	if (r->end >= 3 && memcmp(r->buf, "\xef\xbb\xbf", 3) == 0)
		r->start = 3;
	*ops = &atlas_ops;
	return r;
}
