/* bordertrace — fuzz target: RIPE Atlas results (doc/atlas.md).
 *
 * Input: one result's JSON text. Runs the sniffer and bt_atlas_map.
 * Properties: a refusal or a skip gives a reason; a mapped trace passes
 * bt_trace_check, and is written and read back as the same record (so every
 * Atlas result we map is one our own readers and writer take). Differential:
 * whatever the fast parser takes, jansson takes as the same tree; whatever
 * the direct read of the hops takes, it maps as bt_atlas_map does; what
 * the light read of the graph's pass takes, bt_atlas_map maps (or refuses
 * for a duplicate key) to the same destination, TTLs and addresses. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "atlas_fast.h"
#include "atlas_json.h"
#include "seen.h"
#include "bordertrace/atlas.h"
#include "fuzz_common.h"

static bool same(const jv *a, const jv *b)
{
	if (a->kind != b->kind || a->len != b->len)
		return false;
	switch (a->kind) {
	case JV_STR: return memcmp(a->u.s, b->u.s, a->len) == 0;
	case JV_REAL: return a->u.d == b->u.d;
	case JV_INT:
	case JV_BOOL: return a->u.i == b->u.i;
	case JV_ARR:
		for (a = a->u.first, b = b->u.first; a != NULL; a = a->next, b = b->next)
			if (b == NULL || !same(a, b))
				return false;
		return true;
	case JV_OBJ:
		for (const jv *m = a->u.first; m != NULL; m = m->next) {
			char k[256];
			if (m->keylen >= sizeof(k))
				return false;
			memcpy(k, m->key, m->keylen);
			k[m->keylen] = '\0';
			const jv *o = jv_get(b, k);
			if (o == NULL || !same(m, o))
				return false;
		}
		return true;
	default: return true;
	}
}

/* The fast parser against jansson: what it takes, jansson takes alike. */
static void differential(const char *buf, size_t size)
{
	jv_arena *fa = jv_arena_new(), *ja = jv_arena_new();
	jv *fast = NULL;
	if (fa != NULL && ja != NULL && jv_parse_fast(fa, buf, size, &fast) == 1) {
		json_t *j = json_loadb(buf, size, JSON_REJECT_DUPLICATES, NULL);
		const jv *slow = j != NULL ? jv_from_jansson(ja, j) : NULL;
		if (slow == NULL || !same(fast, slow))
			abort();
		json_decref(j);
	}
	jv_arena_free(fa);
	jv_arena_free(ja);
}

/* The addresses of "from" texts met, kept from input to input: what the
 * table gives is checked against the mapper, which parses every text. */
static atlas_froms *froms(void)
{
	static atlas_froms *f;
	if (f == NULL)
		f = calloc(1, sizeof(*f));
	return f;
}

/* The light read (atlas_scan_result) against the mapper. */
static void light(const char *buf, size_t size)
{
	static bt_trace *s;
	size_t used;
	if (s == NULL && (s = bt_trace_alloc(BT_HOPS_MAX)) == NULL)
		return;
	if (atlas_scan_result(s, froms(), buf, size, &used) != 1)
		return;
	bt_trace *t = NULL;
	char err[1024] = "";
	int rc = bt_atlas_map(buf, used, 900, &t, err, sizeof(err));
	if (rc != 1 && (rc == 0 || strstr(err, "duplicate") == NULL))
		abort();
	bool same = rc != 1 || (bt_addr_eq(&s->dst, &t->dst) && s->first_ttl == t->first_ttl &&
				s->filled_below_ttl == t->filled_below_ttl && s->hop_count == t->hop_count);
	for (size_t i = 0; same && rc == 1 && i < s->hop_count; i++)
		same = s->hops[i].probe_ttl == t->hops[i].probe_ttl &&
		       memcmp(&s->hops[i].addr, &t->hops[i].addr, sizeof(bt_addr)) == 0;
	if (!same)
		abort();
	bt_trace_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_copy(data, size);
	if (buf == NULL)
		return 0;
	(void)bt_atlas_sniff((const uint8_t *)buf, size);
	differential(buf, size);
	light(buf, size);
	bt_trace *t = NULL;
	char err[1024] = "";
	int rc = bt_atlas_map(buf, size, 900, &t, err, sizeof(err));
	if (rc != 1 && (err[0] == '\0' || t != NULL))
		abort();
	/* the direct read of the hops: what it takes, it maps alike */
	bt_trace *d = NULL;
	char derr[1024] = "";
	int drc = bt_atlas_map_direct(buf, size, 900, froms(), &d, derr, sizeof(derr));
	if (drc != 2 && (drc != rc || strcmp(err, derr) != 0 || (rc == 1 && bt_trace_digest(d) != bt_trace_digest(t))))
		abort();
	bt_trace_free(d);
	/* the read without a tree (the full read's head too): the same */
	d = NULL;
	derr[0] = '\0';
	drc = bt_atlas_map_head(buf, size, 900, froms(), &d, derr, sizeof(derr));
	if (drc != 2 && (drc != rc || strcmp(err, derr) != 0 || (rc == 1 && bt_trace_digest(d) != bt_trace_digest(t))))
		abort();
	bt_trace_free(d);
	if (rc == 1) {
		char *json = NULL;
		size_t len = 0, cap = 0;
		if (bt_trace_check(t, err, sizeof(err)) != 0 || bt_trace_to_json(t, &json, &len, &cap) != 0)
			abort();
		bt_trace *back = bt_trace_from_json(json, len - 1, err, sizeof(err));
		char *again = NULL;
		size_t len2 = 0, cap2 = 0;
		if (back == NULL || bt_trace_to_json(back, &again, &len2, &cap2) != 0 || len2 != len ||
		    memcmp(json, again, len) != 0)
			abort();
		free(again);
		free(json);
		bt_trace_free(back);
		bt_trace_free(t);
	}
	free(buf);
	return 0;
}
