/* bordertrace — the trace record: allocation, names of methods and stop
 * reasons, UTC time stamps, and the invariants every written record keeps
 * (see include/bordertrace/trace.h). The JSON form is in trace_json.c. */
#include "bordertrace/trace.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "bordertrace/id.h"
#include "bordertrace/show.h"

bt_trace *bt_trace_alloc(size_t nhops)
{
	bt_trace *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	if (bt_trace_reserve(t, nhops) != 0) {
		free(t);
		return NULL;
	}
	return t;
}

void bt_trace_free(bt_trace *t)
{
	if (t == NULL)
		return;
	free(t->hops);
	free(t);
}

int bt_trace_reserve(bt_trace *t, size_t n)
{
	if (n <= t->hop_cap)
		return 0;
	if (n > SIZE_MAX / sizeof(bt_hop)) {
		errno = ENOMEM;
		return -1;
	}
	bt_hop *h = realloc(t->hops, n * sizeof(bt_hop));
	if (h == NULL)
		return -1;
	/* Zeroed like alloc's hops, so an untouched hop reads as a gap. */
	memset(h + t->hop_cap, 0, (n - t->hop_cap) * sizeof(bt_hop));
	t->hops = h;
	t->hop_cap = n;
	return 0;
}

/* ---- names ---- */

static const char *const method_names[] = {
	[BT_METHOD_ICMP_PARIS] = "icmp-paris",
	[BT_METHOD_UDP_PARIS] = "udp-paris",
	[BT_METHOD_TCP_SYN] = "tcp-syn",
};

static const char *const stop_names[] = {
	[BT_STOP_NONE] = "none",
	[BT_STOP_COMPLETED] = "completed",
	[BT_STOP_UNREACHABLE] = "unreachable",
	[BT_STOP_GAPLIMIT] = "gaplimit",
	[BT_STOP_MAXTTL] = "maxttl",
	[BT_STOP_ERROR] = "error",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const char *bt_method_name(bt_method m)
{
	/* Through unsigned so that a negative enum value is out of range too. */
	if ((unsigned)m >= NELEM(method_names))
		return NULL;
	return method_names[m];
}

int bt_method_parse(const char *s, bt_method *out)
{
	for (size_t i = 0; i < NELEM(method_names); i++) {
		if (strcmp(s, method_names[i]) == 0) {
			*out = (bt_method)i;
			return 0;
		}
	}
	return -1;
}

const char *bt_stop_name(bt_stop s)
{
	if ((unsigned)s >= NELEM(stop_names))
		return NULL;
	return stop_names[s];
}

int bt_stop_parse(const char *s, bt_stop *out)
{
	for (size_t i = 0; i < NELEM(stop_names); i++) {
		if (strcmp(s, stop_names[i]) == 0) {
			*out = (bt_stop)i;
			return 0;
		}
	}
	return -1;
}

/* ---- time ----
 *
 * Our own civil-date arithmetic (H. Hinnant's days_from_civil and
 * civil_from_days) rather than gmtime/timegm: pure, independent of TZ and of
 * time_t's range, and exact for the whole 0000..9999 range we print. */

#define US_PER_S INT64_C(1000000)
#define S_PER_DAY INT64_C(86400)

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* 0000-01-01T00:00:00Z and 10000-01-01T00:00:00Z: four-digit years only. */
#define TIME_MIN_US (INT64_C(-719528) * S_PER_DAY * US_PER_S)
#define TIME_END_US (INT64_C(2932897) * S_PER_DAY * US_PER_S)

static bool time_in_range(int64_t us)
{
	return us >= TIME_MIN_US && us < TIME_END_US;
}

const char *bt_time_format(int64_t us, char *buf, size_t buflen)
{
	/* "YYYY-MM-DDTHH:MM:SS.ffffffZ" */
	if (buflen < 28 || !time_in_range(us))
		return NULL;
	/* Floor division: the fraction is always a positive offset. */
	int64_t secs = us / US_PER_S, frac = us % US_PER_S;
	if (frac < 0) {
		frac += US_PER_S;
		secs--;
	}
	int64_t days = secs / S_PER_DAY, sod = secs % S_PER_DAY;
	if (sod < 0) {
		sod += S_PER_DAY;
		days--;
	}
	int64_t y;
	unsigned m, d;
	civil_from_days(days, &y, &m, &d);
	/* Written digit by digit: the prober formats two per trace, the
	 * exports millions, and snprintf costs more than the rest. */
	const struct { unsigned v, w; char after; } f[] = {
		{ (unsigned)y, 4, '-' }, { m, 2, '-' }, { d, 2, 'T' }, { (unsigned)(sod / 3600), 2, ':' },
		{ (unsigned)(sod / 60 % 60), 2, ':' }, { (unsigned)(sod % 60), 2, '.' }, { (unsigned)frac, 6, 'Z' },
	};
	char *p = buf;
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		for (unsigned k = f[i].w, v = f[i].v; k > 0; k--, v /= 10)
			p[k - 1] = (char)('0' + v % 10);
		p += f[i].w;
		*p++ = f[i].after;
	}
	*p = '\0';
	return buf;
}

/* Reads exactly n decimal digits. */
static bool digits(const char **p, int n, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < n; i++) {
		char c = (*p)[i];
		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (unsigned)(c - '0');
	}
	*p += n;
	*out = v;
	return true;
}

static bool is_leap(unsigned y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int bt_time_parse(const char *s, int64_t *us)
{
	static const unsigned mdays[] = {31, 28, 31, 30, 31, 30,
					 31, 31, 30, 31, 30, 31};
	const char *p = s;
	unsigned y, mo, d, h, mi, se;

	if (s == NULL)
		return -1;
	if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) ||
	    *p++ != '-' || !digits(&p, 2, &d) || *p++ != 'T' ||
	    !digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi) ||
	    *p++ != ':' || !digits(&p, 2, &se))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] + (mo == 2 && is_leap(y)))
		return -1;
	/* No leap seconds: POSIX time, which we store, cannot hold them. */
	if (h > 23 || mi > 59 || se > 59)
		return -1;
	int64_t frac = 0;
	if (*p == '.') {
		p++;
		int n = 0;
		int64_t scale = 100000;
		while (*p >= '0' && *p <= '9') {
			if (++n > 9)
				return -1;
			/* Digits past microseconds are truncated (floor). */
			frac += (*p - '0') * scale;
			scale /= 10;
			p++;
		}
		if (n == 0)
			return -1;
	}
	if (*p++ != 'Z' || *p != '\0')
		return -1;
	int64_t days = days_from_civil(y, mo, d);
	*us = ((days * S_PER_DAY + h * 3600 + mi * 60 + se) * US_PER_S) + frac;
	return 0;
}

/* ---- invariants ---- */

static int check_fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int check_fail(char *err, size_t errlen, const char *fmt, ...)
{
	if (err != NULL && errlen > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* The one id rule (bordertrace/id.h), as where a user gives an id, but an
 * empty id is allowed: `trace` without --vp writes "vp":"". */
static int check_id(const char *id, const char *name, char *err, size_t errlen)
{
	size_t n = strnlen(id, BT_ID_MAX);
	if (n == BT_ID_MAX)
		return check_fail(err, errlen,
				  "field '%s': not NUL-terminated within %d bytes",
				  name, BT_ID_MAX);
	const char *why = n ? bt_id_problem(id) : NULL;
	if (why != NULL) {
		char sh[BT_SHOW_BUF];
		return check_fail(err, errlen, "field '%s': '%s' %s (an id is " BT_ID_RULE ")",
				  name, bt_show(sh, sizeof(sh), id, n), why);
	}
	return 0;
}

static bool family_ok(const bt_addr *a, bool allow_unset)
{
	return a->family == AF_INET || a->family == AF_INET6 ||
	       (allow_unset && a->family == 0);
}

/* The copied entries are those below filled_below_ttl: the first TTL at
 * least, all of them at most (the prober writes the hop at the TTL itself,
 * its own, but a record cut short need not hold it). A trace without hops
 * has none copied whatever the key says: the prober wrote the key on such
 * error records before the field was checked, and those files must still
 * read. */
static int check_filled(const bt_trace *t, char *err, size_t errlen)
{
	unsigned top = t->hop_count > 0 ? t->hops[t->hop_count - 1].probe_ttl + 1u : 0;
	if (t->filled_below_ttl == 0 || (t->filled_below_ttl > t->first_ttl &&
					 (t->hop_count == 0 || t->filled_below_ttl <= top)))
		return 0;
	return check_fail(err, errlen,
			  "field 'filled_below_ttl': expected first_ttl + 1 .. last hop's TTL + 1 "
			  "(%u..%u), got %u",
			  t->first_ttl + 1u, t->hop_count > 0 ? top : t->first_ttl + 1u,
			  t->filled_below_ttl);
}

/* Entry i in order: TTLs from first_ttl up, none skipped, at most max_ttl;
 * within a TTL, attempts non-decreasing. */
static int check_order(const bt_trace *t, size_t i, char *err, size_t errlen)
{
	const bt_hop *h = &t->hops[i];
	unsigned prev = i > 0 ? t->hops[i - 1].probe_ttl : 0;
	if (i == 0 && h->probe_ttl != t->first_ttl)
		return check_fail(err, errlen, "field 'hops[0].ttl': expected %u (first_ttl), got %u",
				  t->first_ttl, h->probe_ttl);
	if (i > 0 && h->probe_ttl != prev && h->probe_ttl != prev + 1)
		return check_fail(err, errlen,
				  "field 'hops[%zu].ttl': expected %u or %u (TTL order, none skipped), got %u",
				  i, prev, prev + 1, h->probe_ttl);
	if (h->probe_ttl > t->max_ttl)
		return check_fail(err, errlen, "field 'hops[%zu].ttl': %u is above max_ttl %u", i,
				  h->probe_ttl, t->max_ttl);
	if (i > 0 && h->probe_ttl == prev && h->attempt < t->hops[i - 1].attempt)
		return check_fail(err, errlen,
				  "field 'hops[%zu].attempt': expected at least %u (a TTL's entries in "
				  "attempt order), got %u",
				  i, t->hops[i - 1].attempt, h->attempt);
	return 0;
}

int bt_trace_check(const bt_trace *t, char *err, size_t errlen)
{
	if (check_id(t->vp, "vp", err, errlen) != 0 ||
	    check_id(t->campaign, "campaign", err, errlen) != 0 ||
	    check_id(t->round, "round", err, errlen) != 0)
		return -1;
	if (bt_method_name(t->method) == NULL)
		return check_fail(err, errlen, "field 'method': unknown method %d",
				  (int)t->method);
	/* src may be unset: a trace that ended before any probe (no route)
	 * never learned its source. */
	if (!family_ok(&t->src, true))
		return check_fail(err, errlen, "field 'src': bad address family %u",
				  t->src.family);
	if (!family_ok(&t->dst, false))
		return check_fail(err, errlen, "field 'dst': address not set");
	if (!time_in_range(t->start_us))
		return check_fail(err, errlen, "field 'start': time out of range");
	if (!time_in_range(t->end_us))
		return check_fail(err, errlen, "field 'end': time out of range");
	if (t->end_us < t->start_us) {
		char e[BT_TIME_STRLEN], b[BT_TIME_STRLEN];
		return check_fail(err, errlen, "field 'end': %s is before start %s",
				  bt_time_format(t->end_us, e, sizeof(e)),
				  bt_time_format(t->start_us, b, sizeof(b)));
	}
	if (t->stop == BT_STOP_NONE || bt_stop_name(t->stop) == NULL)
		return check_fail(err, errlen,
				  "field 'stop': not a finished stop reason (%d)",
				  (int)t->stop);
	if (t->first_ttl < 1)
		return check_fail(err, errlen, "field 'first_ttl': must be >= 1");
	if (t->max_ttl < t->first_ttl)
		return check_fail(err, errlen,
				  "field 'max_ttl': %u is below first_ttl %u",
				  t->max_ttl, t->first_ttl);
	if (t->hop_count > 0 && t->hops == NULL)
		return check_fail(err, errlen, "field 'hops': hop_count %zu but no hops",
				  t->hop_count);
	if (t->hop_count > BT_HOPS_MAX)
		return check_fail(err, errlen, "field 'hops': %zu entries, at most %d",
				  t->hop_count, BT_HOPS_MAX);
	if (check_filled(t, err, errlen) != 0)
		return -1;
	for (size_t i = 0; i < t->hop_count; i++) {
		const bt_hop *h = &t->hops[i];
		if (check_order(t, i, err, errlen) != 0)
			return -1;
		if (!family_ok(&h->addr, true))
			return check_fail(err, errlen,
					  "field 'hops[%zu].addr': bad address family %u",
					  i, h->addr.family);
		if (h->addr.family == 0)
			continue; /* a gap: only ttl and attempt are written */
		if (h->attempt < 1)
			return check_fail(err, errlen,
					  "field 'hops[%zu].attempt': must be >= 1 for a reply",
					  i);
		if (h->tcp_flags != 0 && (h->icmp_type != 0 || h->icmp_code != 0))
			return check_fail(err, errlen,
					  "field 'hops[%zu].tcp_flags': set together with icmp_type/icmp_code",
					  i);
		if (h->mpls_count > BT_MPLS_MAX)
			return check_fail(err, errlen,
					  "field 'hops[%zu].mpls': %u entries, at most %d",
					  i, h->mpls_count, BT_MPLS_MAX);
		for (unsigned k = 0; k < h->mpls_count; k++) {
			const bt_mpls *m = &h->mpls[k];
			if (m->label > 0xFFFFF || m->tc > 7 || m->s > 1)
				return check_fail(err, errlen,
						  "field 'hops[%zu].mpls[%u]': label/tc/s out of range",
						  i, k);
		}
	}
	return 0;
}
