/* bordertrace — the traces already read (see seen.h). */
#include "seen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bordertrace/hash.h"

typedef struct slot {
	uint64_t id;     /* 0: empty */
	uint32_t digest;
	uint32_t file;
} slot;

typedef struct table {
	slot *s;     /* NULL: the round is closed */
	size_t mask, n;
} table;

/* One round's traces, and the files they came from. */
typedef struct round_set {
	char name[BT_ID_MAX];
	table t;
	uint32_t *files;
	size_t nfiles;
	bool pinned;        /* a file that cannot be read again */
} round_set;

struct bt_seen {
	round_set *r;
	size_t nr, cur;     /* cur: the round of the last trace */
	bt_seen_reader reader;
	void *rctx;
	uint8_t *pinned;    /* per file: 1 cannot be read again */
	size_t npinned;
	uint32_t at_file;   /* the file being read, and its traces so far */
	uint64_t at_traces;
	uint64_t added, reread, reopened;
	table spare;        /* a closed round's table, for the next round */
};

bt_seen *bt_seen_new(void)
{
	return calloc(1, sizeof(bt_seen));
}

void bt_seen_free(bt_seen *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->nr; i++) {
		free(s->r[i].t.s);
		free(s->r[i].files);
	}
	free(s->r);
	free(s->pinned);
	free(s->spare.s);
	free(s);
}

void bt_seen_reread(bt_seen *s, bt_seen_reader fn, void *ctx)
{
	s->reader = fn;
	s->rctx = ctx;
}

void bt_seen_pin_file(bt_seen *s, uint32_t file)
{
	if (file >= s->npinned) {
		uint8_t *np = realloc(s->pinned, (size_t)file + 1);
		if (np == NULL) {
			s->reader = NULL; /* no memory to say which: close nothing */
			return;
		}
		memset(np + s->npinned, 0, file + 1 - s->npinned);
		s->pinned = np;
		s->npinned = (size_t)file + 1;
	}
	s->pinned[file] = 1;
}

void bt_seen_at(bt_seen *s, uint32_t file, uint64_t traces)
{
	s->at_file = file;
	s->at_traces = traces;
}

uint64_t bt_seen_reopened(const bt_seen *s)
{
	return s->reopened;
}

static uint64_t mix_in(uint64_t h, uint64_t v)
{
	return bt_mix64(h ^ v) + 0x9e3779b97f4a7c15ULL;
}

static uint64_t str_hash(uint64_t h, const char *str)
{
	/* eight bytes at a time (the last word zero-padded), then the length,
	 * so that "ab","c" and "a","bc" differ; in memory only, never stored */
	size_t n = strlen(str), i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, str + i, 8);
		h = mix_in(h, w);
	}
	uint64_t w = 0;
	memcpy(&w, str + i, n - i);
	return mix_in(mix_in(h, w), n);
}

static uint64_t addr_word(uint64_t h, const bt_addr *a)
{
	uint64_t w[2];
	memcpy(w, a->bytes, 16);
	return mix_in(mix_in(mix_in(h, a->family), w[0]), w[1]);
}

/* One entry as a word: its fields packed in four words, each times its
 * own odd constant and summed (independent products, which the processor
 * overlaps; a serial mix a field cost ~60 cycles an entry, the largest
 * part of a digest). */
static uint64_t hop_word(const bt_hop *p, uint16_t flow)
{
	uint64_t w[2];
	memcpy(w, p->addr.bytes, 16);
	uint64_t meta = (uint64_t)p->addr.family | (uint64_t)p->probe_ttl << 8 | (uint64_t)p->attempt << 16 |
			(uint64_t)p->reply_ttl << 24 | (uint64_t)p->icmp_type << 32 |
			(uint64_t)p->icmp_code << 40 | (uint64_t)p->quoted_ttl << 48 | (uint64_t)p->tcp_flags << 56;
	uint64_t more = (uint64_t)p->rtt_us | (uint64_t)p->reply_size << 32 | (uint64_t)flow << 48;
	uint64_t v = w[0] * 0x9e3779b97f4a7c15ULL + w[1] * 0xc2b2ae3d27d4eb4fULL +
		     meta * 0x165667b19e3779f9ULL + more * 0xd6e8feb86659fd93ULL;
	if (p->mpls_count == 0)
		return v;
	v = mix_in(v, p->mpls_count);
	for (unsigned k = 0; k < p->mpls_count && k < BT_MPLS_MAX; k++)
		v = mix_in(v, (uint64_t)p->mpls[k].label | (uint64_t)p->mpls[k].tc << 20 |
				      (uint64_t)p->mpls[k].s << 24 | (uint64_t)p->mpls[k].ttl << 32);
	return v;
}

uint32_t bt_trace_digest(const bt_trace *t)
{
	uint64_t h = 0;
	h = str_hash(str_hash(str_hash(h, t->vp), t->campaign), t->round);
	h = addr_word(addr_word(h, &t->src), &t->dst);
	h = mix_in(h, (uint64_t)t->method | (uint64_t)t->flow << 8 | (uint64_t)t->sport << 24 |
			      (uint64_t)t->dport << 40);
	h = mix_in(h, (uint64_t)t->icmp_sum | (uint64_t)t->stop << 16 | (uint64_t)t->stop_ttl << 24 |
			      (uint64_t)t->first_ttl << 32 | (uint64_t)t->max_ttl << 40 |
			      (uint64_t)t->filled_below_ttl << 48);
	h = mix_in(mix_in(h, (uint64_t)t->start_us), (uint64_t)t->end_us);
	h = mix_in(mix_in(h, t->probes_sent), t->hop_count);
	/* entries chained by xor and an odd multiplier: a bijection of the
	 * state for each entry, so that one entry changed changes the end */
	uint64_t e = 0;
	for (size_t i = 0; i < t->hop_count; i++)
		e = (e ^ hop_word(&t->hops[i], bt_hop_flow(t, &t->hops[i]))) * 0xff51afd7ed558ccdULL;
	h = mix_in(h, e);
	return (uint32_t)(h ^ (h >> 32));
}

/* A zeroed table of n slots. From 2 MB up in huge pages where the kernel
 * gives them on request (transparent huge pages in "madvise" mode): every
 * trace reads one random slot, and in 4 KB pages a table of tens of MB
 * costs a TLB miss and a page walk besides the cache miss. */
static slot *table_new(size_t n)
{
	size_t bytes = n * sizeof(slot), huge = (size_t)2 << 20;
	void *p = NULL;
	if (bytes < huge)
		return calloc(n, sizeof(slot));
	if (posix_memalign(&p, huge, bytes) != 0)
		return NULL;
	(void)madvise(p, bytes, MADV_HUGEPAGE); /* a hint: refused, 4 KB pages */
	memset(p, 0, bytes);
	return p;
}

/* Doubles table s (a new one: 4096 slots, or the spare a closed round
 * left, cleared: the next round mostly needs as many, and its memory is
 * already there). */
static int grow(bt_seen *seen, table *s)
{
	if (s->s == NULL && seen->spare.s != NULL) {
		*s = seen->spare;
		seen->spare = (table){ 0 };
		memset(s->s, 0, (s->mask + 1) * sizeof(slot));
		s->n = 0;
		return 0;
	}
	size_t ncap = s->s == NULL ? (size_t)1 << 12 : (s->mask + 1) * 2;
	slot *ns = table_new(ncap);
	if (ns == NULL)
		return -1;
	for (size_t k = 0; s->s != NULL && k <= s->mask; k++) {
		if (s->s[k].id == 0)
			continue;
		size_t j = bt_hash_slot(s->s[k].id, ncap - 1);
		while (ns[j].id != 0)
			j = (j + 1) & (ncap - 1);
		ns[j] = s->s[k];
	}
	free(s->s);
	s->s = ns;
	s->mask = ncap - 1;
	return 0;
}

/* The trace key of id in table s: BT_SEEN_* (*first_file for a
 * conflict). */
static bt_seen_result table_add(bt_seen *seen, table *s, uint64_t key, uint32_t digest, uint32_t file,
				 uint32_t *first_file)
{
	/* at most 3/4 full */
	if ((s->s == NULL || (s->n + 1) * 4 > (s->mask + 1) * 3) && grow(seen, s) != 0)
		return BT_SEEN_NOMEM;
	size_t j = bt_hash_slot(key, s->mask);
	for (; s->s[j].id != 0; j = (j + 1) & s->mask) {
		if (s->s[j].id != key)
			continue;
		if (s->s[j].digest == digest)
			return BT_SEEN_SAME;
		*first_file = s->s[j].file;
		return BT_SEEN_CONFLICT;
	}
	s->s[j] = (slot){ key, digest, file };
	s->n++;
	return BT_SEEN_NEW;
}

static uint64_t id_key(const char *id)
{
	uint64_t key = bt_mix64(str_hash(0, id));
	return key == 0 ? 1 : key;
}

/* The round named name (made when new); NULL out of memory. */
static round_set *round_of(bt_seen *s, const char *name)
{
	if (s->cur < s->nr && strcmp(s->r[s->cur].name, name) == 0)
		return &s->r[s->cur];
	for (size_t i = 0; i < s->nr; i++)
		if (strcmp(s->r[i].name, name) == 0)
			return &s->r[s->cur = i];
	round_set *nr = realloc(s->r, (s->nr + 1) * sizeof(*nr));
	if (nr == NULL)
		return NULL;
	s->r = nr;
	s->r[s->nr] = (round_set){ 0 };
	snprintf(s->r[s->nr].name, sizeof(s->r[s->nr].name), "%s", name);
	s->cur = s->nr++;
	return &s->r[s->cur];
}

/* Notes that file holds traces of round r; 0 or -1. */
static int note_file(bt_seen *s, round_set *r, uint32_t file)
{
	if (file < s->npinned && s->pinned[file])
		r->pinned = true;
	if (r->nfiles > 0 && r->files[r->nfiles - 1] == file)
		return 0;
	for (size_t i = 0; i < r->nfiles; i++)
		if (r->files[i] == file)
			return 0;
	uint32_t *nf = realloc(r->files, (r->nfiles + 1) * sizeof(*nf));
	if (nf == NULL)
		return -1;
	r->files = nf;
	r->files[r->nfiles++] = file;
	return 0;
}

/* Closes every open round but keep (and those that cannot be read again):
 * only while second reads have cost fewer traces than were read. */
static void close_others(bt_seen *s, const round_set *keep)
{
	if (s->reader == NULL || s->reread > s->added)
		return;
	for (size_t i = 0; i < s->nr; i++) {
		round_set *r = &s->r[i];
		if (r == keep || r->pinned || r->t.s == NULL)
			continue;
		if (s->spare.s == NULL || s->spare.mask < r->t.mask) {
			free(s->spare.s);
			s->spare = r->t;
		} else {
			free(r->t.s);
		}
		r->t = (table){ 0 };
	}
}

/* Opens closed round r again: its files read again into its table. */
static bt_seen_result reopen(bt_seen *s, round_set *r, char *err, size_t errlen)
{
	char name[BT_ID_MAX];
	snprintf(name, sizeof(name), "%s", r->name); /* r moves if rounds are added */
	size_t idx = (size_t)(r - s->r);
	s->reopened++;
	if (grow(s, &r->t) != 0) {
		snprintf(err, errlen, "out of memory");
		return BT_SEEN_NOMEM;
	}
	for (size_t i = 0; i < s->r[idx].nfiles; i++) {
		uint32_t f = s->r[idx].files[i];
		long n = s->reader(s->rctx, f, name, f == s->at_file ? s->at_traces - 1 : UINT64_MAX, err, errlen);
		if (n < 0)
			return BT_SEEN_ERROR;
		s->reread += (uint64_t)n;
	}
	s->cur = idx;
	return BT_SEEN_NEW;
}

void bt_seen_rebuild(bt_seen *s, const char *id, const bt_trace *t, uint32_t file)
{
	uint32_t first;
	round_set *r = round_of(s, t->round);
	if (r != NULL && r->t.s != NULL)
		(void)table_add(s, &r->t, id_key(id), bt_trace_digest(t), file, &first);
}

bt_seen_result bt_seen_add(bt_seen *s, const char *id, const bt_trace *t, uint32_t file,
			   uint32_t *first_file, char *err, size_t errlen)
{
	bool same = s->cur < s->nr && strcmp(s->r[s->cur].name, t->round) == 0;
	round_set *r = round_of(s, t->round);
	if (r == NULL) {
		snprintf(err, errlen, "out of memory");
		return BT_SEEN_NOMEM;
	}
	if (!same) {
		close_others(s, r);
		if (r->t.s == NULL && r->nfiles > 0) {
			bt_seen_result rc = reopen(s, r, err, errlen);
			if (rc != BT_SEEN_NEW)
				return rc;
			r = &s->r[s->cur];
		}
	}
	if (note_file(s, r, file) != 0) {
		snprintf(err, errlen, "out of memory");
		return BT_SEEN_NOMEM;
	}
	s->added++;
	/* the key's slot asked for before the trace is hashed, which then
	 * runs while the slot (in a table of megabytes) comes from memory */
	uint64_t key = id_key(id);
	if (r->t.s != NULL)
		__builtin_prefetch(&r->t.s[bt_hash_slot(key, r->t.mask)]);
	uint32_t digest = bt_trace_digest(t);
	bt_seen_result rc = table_add(s, &r->t, key, digest, file, first_file);
	if (rc == BT_SEEN_NOMEM)
		snprintf(err, errlen, "out of memory");
	return rc;
}
