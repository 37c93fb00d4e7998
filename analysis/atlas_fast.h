/* bordertrace — a RIPE Atlas result's hop list read straight from its text
 * into a trace's entries (internal to analysis/atlas.c; doc/atlas.md,
 * "Reading fast"), as a hook of the fast JSON parser (atlas_json.h).
 *
 * Only the common shape is taken: hops {"hop":N,"result":[...]} in TTL
 * order, none skipped, whose elements are replies holding from, rtt and
 * optionally ttl and size, or timeouts {"x":"*"}. Anything else (err,
 * ittl, icmpext, dup, late, error, {}, hop 255, another key, a value of
 * another type, a duplicate key) is not vouched for: the result then goes
 * through the tree and the mapper, which remain the reference. What the
 * hook fills is what the mapper makes of the same hops, but for what
 * needs the head (dst_addr, proto: the reply kinds, the stop), which
 * atlas.c adds after the parse. */
#ifndef BT_ANALYSIS_ATLAS_FAST_H
#define BT_ANALYSIS_ATLAS_FAST_H

#include <stdbool.h>
#include <stdint.h>

#include "atlas_json.h"
#include "bordertrace/trace.h"

/* The addresses of "from" texts met lately (a router is met again in
 * trace after trace, and parsing its text cost more than the rest of its
 * reply), by their text of at most 16 bytes; a table the reader owns. */
#define ATLAS_FROMS 4096
typedef struct atlas_froms {
	struct {
		uint64_t w[2]; /* the text, zeros past it */
		bt_addr a;
		uint8_t len;   /* 0: empty */
	} s[ATLAS_FROMS];
} atlas_froms;

typedef struct atlas_fast {
	bt_trace *t;          /* the entries are appended to its hops */
	int last_ttl;         /* the last hop's TTL; 0 before the first */
	bool taken;           /* "result" was read */
	bool light;           /* the graph's pass: addresses only (atlas_scan_result) */
	atlas_froms *froms;   /* or NULL */
	/* the last reply's "from": a TTL's packets mostly answer from one
	 * address, parsed once */
	const char *from_s;
	uint32_t from_len;
	bt_addr from;
} atlas_fast;

/* The jv_hook: reads the member "result" of a result object into f->t
 * (node: an empty JV_ARR, so that the tree still says a list was there);
 * passes every other member to the parser. */
int atlas_fast_hook(void *f, const char *key, uint32_t keylen, const char **p, const char *end, jv *node);

/* The light read of the result at text[0, len) for the interface graph's
 * pass (doc/atlas.md, "The graph's read"): t->dst, first_ttl,
 * filled_below_ttl (0), hop_count and each entry's probe_ttl and addr,
 * into t, whose hop_cap must be BT_HOPS_MAX (nothing else of t is set);
 * froms: the table of addresses met, or NULL.
 * 1 and the object's length in *used when it vouches that bt_atlas_map
 * maps the text to a trace with those same fields; 0 for anything else
 * (a result it would skip, or one the direct read does not take): read
 * it in full. Text that is not JSON may read here (a duplicate key the
 * mapper does not read): the full read that follows reports it. */
int atlas_scan_result(bt_trace *t, atlas_froms *froms, const char *text, size_t len, size_t *used);

/* The head of a result as the full read takes it without a tree
 * (atlas_read_result): the values map_head reads. */
typedef struct atlas_head {
	int64_t prb, msm, ts, end, paris; /* end: ts when absent or out of range */
	bool has_end;
	const char *proto;                /* "ICMP", "UDP" or "TCP" */
	const char *src, *from;           /* src_addr's and from's text when strings, or NULL */
	uint32_t src_len, from_len;
} atlas_head;

/* The full read of the result at text[0, len) without a tree: its hops
 * into f->t as atlas_fast_hook reads them (f as for the hook: t allocated,
 * light false), t->dst and the rest of the head into *h. 1 and the
 * object's length in *used when the text is a JSON object that
 * bt_atlas_map reads with the same values and does not skip for its head:
 * the members check_kind and map_head read, each in its range, once; the
 * others of those Atlas writes (af, lts, ttr, mver, size, bundle,
 * msm_name, group_id, stored_timestamp) scalars, once. 0 for anything
 * else (another key, an array or object in a member but result, a
 * member the mapper skips the result for, what atlas_fast_hook leaves):
 * the tree and the mapper read it, and word any error. */
int atlas_read_result(atlas_fast *f, atlas_head *h, const char *text, size_t len, size_t *used);

/* bt_atlas_map through the read without a tree (atlas_read_result), for
 * the tests' comparison with the mapper: its values, or 2 when that read
 * does not vouch for the text. */
int bt_atlas_map_head(const char *json, size_t len, uint32_t round_interval_s, atlas_froms *froms,
		      bt_trace **out, char *err, size_t errlen);

/* bt_atlas_map through the direct read (analysis/atlas.c), for the tests'
 * comparison with the mapper: its values, or 2 when the direct read does
 * not vouch for the text (then bt_atlas_map is what the reader does). */
int bt_atlas_map_direct(const char *json, size_t len, uint32_t round_interval_s, atlas_froms *froms,
			bt_trace **out, char *err, size_t errlen);

#endif
