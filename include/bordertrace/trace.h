/* bordertrace — the trace record: what one traceroute found.
 *
 * This is the saved result only; the probe engine's in-flight state never
 * lives here. Both programs use it: the prober fills and writes it, the
 * analysis reads it. The JSON Lines form is written and read by trace_json.c
 * and documented in doc/trace-format.md. */
#ifndef BORDERTRACE_TRACE_H
#define BORDERTRACE_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bordertrace/addr.h"

#define BT_TRACE_FORMAT_VERSION 2 /* written; version 1 is still read */
#define BT_TRACE_FORMAT_NAME "bordertrace-trace" /* the "format" key */
#define BT_MPLS_MAX 8
#define BT_ID_MAX 64 /* vp, campaign and round ids, NUL included */
/* Entries of a trace's hops array (replies and silent attempts, all TTLs):
 * 16 a TTL on average over 255 TTLs. Bounds a record before it is read. */
#define BT_HOPS_MAX 4096

typedef enum bt_method {
	BT_METHOD_ICMP_PARIS = 0,
	BT_METHOD_UDP_PARIS,
	BT_METHOD_TCP_SYN,
} bt_method;

typedef enum bt_stop {
	BT_STOP_NONE = 0, /* not finished (never written) */
	BT_STOP_COMPLETED,   /* the destination answered */
	BT_STOP_UNREACHABLE, /* an ICMP unreachable other than from the destination's port */
	BT_STOP_GAPLIMIT,    /* too many consecutive silent hops */
	BT_STOP_MAXTTL,      /* reached max TTL without an answer from the destination */
	BT_STOP_ERROR,       /* local error (send failed, ...) */
} bt_stop;

/* One RFC 4950 MPLS label stack entry. */
typedef struct bt_mpls {
	uint32_t label; /* 20 bits */
	uint8_t tc;     /* 3 bits (ex EXP) */
	uint8_t s;      /* bottom of stack */
	uint8_t ttl;
} bt_mpls;

/* One entry of a trace's hops: one reply, or (addr.family == 0) a silent
 * attempt. A TTL may hold several (format version 2: several attempts,
 * several addresses, several flows); see bt_trace for the order. */
typedef struct bt_hop {
	uint8_t probe_ttl;  /* TTL the probe was sent with */
	uint8_t attempt;    /* 1-based attempt that drew the reply; silent: that
			       attempt's number (v1 gap: attempts made, 0..255) */
	bt_addr addr;       /* reply source */
	bool has_flow;      /* the entry answered flow, not the trace's flow */
	uint32_t rtt_us;    /* round-trip time, microseconds */
	uint8_t reply_ttl;  /* IP TTL of the reply as received */
	uint8_t icmp_type;  /* for TCP replies: 0 and tcp_flags set */
	uint8_t icmp_code;
	uint8_t quoted_ttl; /* TTL in the quoted probe header; 0 when not quoted */
	uint16_t reply_size; /* IP length of the reply */
	uint8_t tcp_flags;  /* TCP replies (RST / SYN-ACK) from the destination */
	uint8_t mpls_count;
	uint16_t flow;      /* when has_flow; read through bt_hop_flow() */
	bt_mpls mpls[BT_MPLS_MAX];
} bt_hop;

typedef struct bt_trace {
	int version;            /* BT_TRACE_FORMAT_VERSION when written */
	char vp[BT_ID_MAX];     /* vantage point id; "" if none */
	char campaign[BT_ID_MAX];
	char round[BT_ID_MAX];  /* "" for a single trace */
	bt_method method;
	bt_addr src, dst;
	uint16_t flow;          /* the --flow number */
	uint16_t sport, dport;  /* UDP/TCP ports; 0 for ICMP */
	uint16_t icmp_sum;      /* ICMP Paris: the constant echo checksum; 0 otherwise */
	int64_t start_us;       /* UTC, microseconds since the epoch */
	int64_t end_us;
	bt_stop stop;
	uint8_t stop_ttl;       /* TTL of the hop that stopped it (0 if none) */
	uint8_t first_ttl, max_ttl;
	uint32_t probes_sent;
	/* Split TTL (Doubletree): the hops with probe_ttl below this were not
	 * probed by this trace but copied from another trace of its round that
	 * saw the hop at this TTL too; the hop at this TTL and above are its
	 * own. 0: none copied. Otherwise first_ttl < filled_below_ttl <= the
	 * last entry's TTL + 1 (bt_trace_check). */
	uint8_t filled_below_ttl;
	/* Entries in (probe_ttl, attempt) order, both non-decreasing; every
	 * TTL from first_ttl to the last entry's has at least one entry (a TTL
	 * none of whose entries has an address is a gap). At most
	 * BT_HOPS_MAX. A version-1 record has exactly one entry per TTL. */
	size_t hop_count;
	bt_hop *hops;
	size_t hop_cap;         /* hops allocated; owned by alloc/reserve */
} bt_trace;

/* alloc/free pair; alloc returns a zeroed trace with room for nhops hops
 * (hop_count set to 0), or NULL on memory exhaustion. */
bt_trace *bt_trace_alloc(size_t nhops);
void bt_trace_free(bt_trace *t);
/* Grows the hop array so that it holds at least n hops; 0 or -1.
 * New hops are zeroed (a zeroed hop is a gap). */
int bt_trace_reserve(bt_trace *t, size_t n);

/* Checks the invariants every written record keeps (stop set, dst set,
 * TTLs in order and contiguous, a TTL's attempts in order, at most
 * BT_HOPS_MAX entries, MPLS fields in range, ids NUL-terminated
 * UTF-8, times printable, filled_below_ttl within the hops). Returns 0, or
 * -1 with a message naming the JSON field in err. The writer refuses
 * (EINVAL) what this refuses, so that everything written can be read back. */
int bt_trace_check(const bt_trace *t, char *err, size_t errlen);

/* How many entries, from the first, were copied rather than probed (those
 * with a TTL below filled_below_ttl); 0 when none. */
static inline size_t bt_trace_copied_hops(const bt_trace *t)
{
	size_t n = 0;
	if (t->filled_below_ttl <= t->first_ttl)
		return 0;
	while (n < t->hop_count && t->hops[n].probe_ttl < t->filled_below_ttl)
		n++;
	return n;
}

/* The flow the entry answered: its own (multipath) or the trace's. */
static inline uint16_t bt_hop_flow(const bt_trace *t, const bt_hop *h)
{
	return h->has_flow ? h->flow : t->flow;
}

/* The end of the run of entries that share hops[i]'s TTL (the index of the
 * first entry of the next TTL, or hop_count). */
static inline size_t bt_trace_ttl_end(const bt_trace *t, size_t i)
{
	size_t e = i;
	while (e < t->hop_count && t->hops[e].probe_ttl == t->hops[i].probe_ttl)
		e++;
	return e;
}

/* Names return NULL for a value outside the enum. */
const char *bt_method_name(bt_method m);            /* "icmp-paris", ... */
int bt_method_parse(const char *s, bt_method *out); /* 0 or -1 */
const char *bt_stop_name(bt_stop s);                /* "completed", ... ("none") */
int bt_stop_parse(const char *s, bt_stop *out);

/* UTC ISO-8601 with microseconds and Z: "2017-10-01T09:07:51.000000Z".
 * buf needs BT_TIME_STRLEN bytes. Parsing accepts fractions of 0..9 digits
 * (digits past the sixth are truncated). Years 0000..9999; format returns
 * NULL outside that range or when buf is too small; parse returns 0 or -1. */
#define BT_TIME_STRLEN 32
const char *bt_time_format(int64_t us, char *buf, size_t buflen);
int bt_time_parse(const char *s, int64_t *us);

/* ---- JSON Lines (trace_json.c) ---- */

/* Serialises one trace as one JSON object and a newline, appended to *buf
 * (malloc'd, grown as needed; *buf may start NULL with *len = *cap = 0; it is
 * kept NUL-terminated, *len not counting the NUL). Returns 0 or -1: errno
 * ENOMEM, or EINVAL when bt_trace_check refuses the trace. */
int bt_trace_to_json(const bt_trace *t, char **buf, size_t *len, size_t *cap);
/* The same through jansson (what bt_trace_to_json falls back to when a
 * string needs escaping); the two give identical bytes. */
int bt_trace_to_json_general(const bt_trace *t, char **buf, size_t *len, size_t *cap);
/* Writes one trace line to f; 0 or -1 (errno set). */
int bt_trace_write(FILE *f, const bt_trace *t);
/* The same through a buffer the caller keeps between records (*buf may
 * start NULL with *cap = 0; the caller frees *buf). */
int bt_trace_write_buf(FILE *f, const bt_trace *t, char **buf, size_t *cap);

/* Parses one line (without its newline) into a new trace.
 * On error returns NULL and writes a message naming the field to err. */
bt_trace *bt_trace_from_json(const char *line, size_t len, char *err, size_t errlen);

/* The fast path behind bt_trace_from_json: reads only the exact form this
 * module writes and returns NULL for anything else (no error: the caller
 * falls back to the general parser). */
bt_trace *bt_trace_from_json_fast(const char *line, size_t len);
/* A light read of the same form for a pass that needs only where a trace
 * went (analysis/owner.c's graph): t->dst, first_ttl, filled_below_ttl,
 * hop_count and each entry's probe_ttl and addr, into t, whose hop_cap
 * must be BT_HOPS_MAX; nothing else of t is set, nothing else checked.
 * False for anything else: read the line with bt_trace_from_json. A line
 * that bt_trace_from_json accepts reads here as there (those fields); one
 * it refuses may read here, so a caller must still read every line in
 * full once (to report it). */
bool bt_trace_scan_fast(const char *line, size_t len, bt_trace *t);
/* The general parser alone (jansson): any valid JSON, all the errors. */
bt_trace *bt_trace_from_json_general(const char *line, size_t len, char *err, size_t errlen);

/* Reads traces one by one from a file of JSON Lines (plain or gzip by path,
 * plain on a stream; lines capped: bordertrace/textfile.h). Blank lines are
 * skipped. Errors carry the path and line number. After a malformed line, the next
 * call goes on with the following line. fdopen does not take ownership of f
 * (close leaves it open); it returns NULL only on memory exhaustion. */
typedef struct bt_trace_reader bt_trace_reader;
bt_trace_reader *bt_trace_reader_open(const char *path, char *err, size_t errlen);
bt_trace_reader *bt_trace_reader_fdopen(FILE *f, const char *name);
/* Returns 1 and a new trace in *out, 0 at end of file, -1 on error (message in err). */
int bt_trace_reader_next(bt_trace_reader *r, bt_trace **out, char *err, size_t errlen);
/* Or the next line that is not blank, as it is (valid until the next call),
 * for a caller that parses it itself: 1, 0 at end of file, -1 on error. */
int bt_trace_reader_line(bt_trace_reader *r, const char **line, size_t *len, char *err, size_t errlen);
void bt_trace_reader_close(bt_trace_reader *r);
/* The name given (or the path) and the line of the trace last returned. */
const char *bt_trace_reader_name(const bt_trace_reader *r);
unsigned long bt_trace_reader_lineno(const bt_trace_reader *r);

#endif
