/* bordertrace — interface owners from the round's graph (see
 * include/bordertrace/owner.h and doc/path-diff.md, "Interface owners"). */
#include "bordertrace/owner.h"

#include <stdlib.h>
#include <string.h>

#include "bordertrace/hash.h"

#define NDST 4          /* destination ASes kept per node; more: "many" */
#define EDGE_ROUTER 1u  /* the successor was a router hop of some trace */
#define EDGE_DEST 2u    /* ... the trace's destination answering itself */
#define UNANNOUNCED_PASSES 16 /* chains of unannounced interfaces, at most */
#define RECENT 1024     /* nodes and edges met lately, remembered (a power of two) */

typedef struct node {
	bt_addr addr;
	uint8_t kind;       /* bt_hopkind of the address */
	uint8_t moas;       /* several origins: path.c's MOAS rule decides */
	uint8_t ndst;       /* destination ASes in dst; NDST + 1: more */
	uint8_t through;    /* a trace came to it from a hop of another AS and went on to another AS ("stub") */
	uint16_t why;       /* the heuristic that set owner */
	uint32_t origin;    /* primary origin (BT_HOP_AS), else 0 */
	uint32_t owner;     /* inferred operator, 0: none */
	uint32_t dst[NDST];
} node;

typedef struct edge {
	uint32_t from, to;
	uint32_t flags;
} edge;

/* What a round leaves for the next ("renumbered"): its interfaces, the
 * operator each was given (operator_of) and by which rule, and each one's
 * predecessors. */
typedef struct memory {
	size_t n;
	bt_addr *addr;
	uint32_t *op;       /* 0: not known; OTHER: in doubt */
	uint16_t *why;
	uint32_t *slot;     /* index + 1, 0 empty; mask + 1 slots */
	size_t mask;
	uint32_t *pred_off, *pred; /* predecessors of k: pred[pred_off[k] .. pred_off[k + 1]) */
} memory;

struct bt_owner {
	unsigned on;
	const bt_asrel *rel; /* AS relationships ("as-rel"), NULL: none */
	node *nodes;
	size_t nn, ncap;
	uint32_t *nslot;    /* node index + 1, 0 empty; nmask + 1 slots */
	size_t nmask;
	edge *edges;
	size_t ne, ecap;
	uint32_t *eslot;
	size_t emask;
	/* adjacency, built by bt_owner_infer: edge indices by from / by to */
	uint32_t *out_off, *out, *in_off, *in;
	size_t overrides;
	uint32_t *oslot;    /* the nodes with an owner only (bt_owner_apply):
			       small, so the lookup of every hop stays in cache */
	size_t omask;
	uint32_t *dset;     /* the destination ASes of the round (0: empty) */
	size_t dmask, dn;
	/* The nodes and edges met lately, by their hash (a small table that
	 * stays in the processor's cache; the big ones are megabytes): one
	 * VP's traces to nearby targets share most of their path, and a node
	 * or an edge met again needs no lookup in the big tables. Nodes and
	 * edges are never removed before bt_owner_reset, which forgets these
	 * too. */
	struct recent_node {
		bt_addr addr;   /* family 0: none */
		uint32_t idx;   /* its node, or NOT_GRAPHED */
		uint32_t dst;   /* a destination AS already added to it */
		uint32_t origin; /* its node's */
		bool through;   /* its node's through is set */
	} rnode[RECENT];
	edge redge[RECENT]; /* flags 0: none */
	uint32_t last_dst;  /* a destination AS already in dset */
	memory mem;         /* the round read before this one ("renumbered") */
	memory next;        /* this round's, once inferred: mem from the next round on */
};

static const struct { const char *name; unsigned bit; } NAMES[] = {
	{ "neighbour", BT_OWNER_NEIGHBOUR }, { "third-party", BT_OWNER_THIRD_PARTY },
	{ "ixp", BT_OWNER_IXP }, { "unannounced", BT_OWNER_UNANNOUNCED },
	{ "last-hop", BT_OWNER_LAST_HOP }, { "silent-gap", BT_OWNER_GAP }, { "doubt", BT_OWNER_DOUBT },
	{ "parallel", BT_OWNER_PARALLEL }, { "as-rel", BT_OWNER_ASREL }, { "renumbered", BT_OWNER_RENUMBERED },
	{ "parallel-next", BT_OWNER_PARALLEL_NEXT }, { "stub", BT_OWNER_STUB },
	{ "common-next", BT_OWNER_COMMON_NEXT },
	{ "all", BT_OWNER_ALL },
};

unsigned bt_owner_heuristic_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(NAMES) / sizeof(NAMES[0]); i++)
		if (strcmp(name, NAMES[i].name) == 0)
			return NAMES[i].bit;
	return 0;
}

const char *bt_owner_heuristic_name(unsigned bit)
{
	for (size_t i = 0; i < sizeof(NAMES) / sizeof(NAMES[0]); i++)
		if (NAMES[i].bit == bit)
			return NAMES[i].name;
	return "?";
}

bt_owner *bt_owner_new(unsigned heuristics)
{
	bt_owner *o = calloc(1, sizeof(*o));
	if (o != NULL)
		o->on = heuristics & BT_OWNER_ALL;
	return o;
}

void bt_owner_set_asrel(bt_owner *o, const bt_asrel *rel)
{
	o->rel = rel;
}

static void free_adjacency(bt_owner *o)
{
	free(o->out_off);
	free(o->out);
	free(o->in_off);
	free(o->in);
	free(o->oslot);
	o->out_off = o->out = o->in_off = o->in = o->oslot = NULL;
}

static void memory_free(memory *m)
{
	free(m->addr);
	free(m->op);
	free(m->why);
	free(m->slot);
	free(m->pred_off);
	free(m->pred);
	memset(m, 0, sizeof(*m));
}

void bt_owner_reset(bt_owner *o)
{
	free_adjacency(o);
	free(o->nodes);
	free(o->nslot);
	free(o->edges);
	free(o->eslot);
	free(o->dset);
	unsigned on = o->on;
	const bt_asrel *rel = o->rel;
	memory mem = o->mem, next = o->next;
	if (next.n) { /* an inferred round: the one before the next */
		memory_free(&mem);
		mem = next;
		memset(&next, 0, sizeof(next));
	}
	memset(o, 0, sizeof(*o));
	o->on = on;
	o->rel = rel;
	o->mem = mem;
	o->next = next;
}

void bt_owner_free(bt_owner *o)
{
	if (o == NULL)
		return;
	bt_owner_reset(o);
	memory_free(&o->mem);
	memory_free(&o->next);
	free(o);
}

static uint64_t addr_hash(const bt_addr *a)
{
	uint64_t x, y;
	memcpy(&x, a->bytes, 8);
	memcpy(&y, a->bytes + 8, 8);
	return bt_mix64(x ^ bt_mix64(y ^ a->family));
}

static uint64_t edge_hash(uint32_t from, uint32_t to)
{
	return bt_mix64((uint64_t)from << 32 | to);
}

/* Doubles a slot table of index + 1 values when it is half full; rehash(k)
 * gives the hash of entry k. 0 or -1. */
static int grow_slots(uint32_t **slots, size_t *mask, size_t used, const bt_owner *o,
		      uint64_t (*rehash)(const bt_owner *, uint32_t))
{
	if (*slots != NULL && (used + 1) * 2 <= *mask + 1)
		return 0;
	size_t cap = *slots ? (*mask + 1) * 2 : 1024;
	uint32_t *ns = calloc(cap, sizeof(*ns));
	if (ns == NULL)
		return -1;
	for (uint32_t k = 0; k < used; k++) {
		size_t j = rehash(o, k) & (cap - 1);
		while (ns[j])
			j = (j + 1) & (cap - 1);
		ns[j] = k + 1;
	}
	free(*slots);
	*slots = ns;
	*mask = cap - 1;
	return 0;
}

static uint64_t node_rehash(const bt_owner *o, uint32_t k) { return addr_hash(&o->nodes[k].addr); }
static uint64_t edge_rehash(const bt_owner *o, uint32_t k)
{
	return edge_hash(o->edges[k].from, o->edges[k].to);
}

/* Makes room for one more element in an array of *cap; 0 or -1. */
static int room(void **arr, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return 0;
	size_t nc = *cap ? *cap * 2 : 1024;
	void *na = realloc(*arr, nc * size);
	if (na == NULL)
		return -1;
	*arr = na;
	*cap = nc;
	return 0;
}

static inline bool same_addr(const bt_addr *a, const bt_addr *b)
{
	uint64_t a0, a1, b0, b1;
	memcpy(&a0, a->bytes, 8);
	memcpy(&a1, a->bytes + 8, 8);
	memcpy(&b0, b->bytes, 8);
	memcpy(&b1, b->bytes + 8, 8);
	return ((a0 ^ b0) | (a1 ^ b1)) == 0 && a->family == b->family;
}

/* The slot of address a: its node's, or the empty one it would take. */
static size_t node_slot(const bt_owner *o, const bt_addr *a)
{
	size_t j = addr_hash(a) & o->nmask;
	while (o->nslot[j] && !same_addr(&o->nodes[o->nslot[j] - 1].addr, a))
		j = (j + 1) & o->nmask;
	return j;
}

/* Entries that are interfaces of the graph: answers with an address that
 * means something outside its own network. */
static bool graphed(const bt_hopinfo *i)
{
	return i->kind == BT_HOP_AS || i->kind == BT_HOP_UNKNOWN || i->kind == BT_HOP_IXP;
}

/* The node of address a, added (described by info) if new: its index;
 * NOT_GRAPHED for an address that is no interface of the graph;
 * UINT32_MAX on failure. */
#define NOT_GRAPHED (UINT32_MAX - 1)
static uint32_t node_get(bt_owner *o, const bt_addr *a, bt_owner_info_fn info, void *ctx,
			 bool *failed)
{
	if (grow_slots(&o->nslot, &o->nmask, o->nn, o, node_rehash) != 0)
		return UINT32_MAX;
	size_t j = node_slot(o, a);
	if (o->nslot[j])
		return o->nodes[o->nslot[j] - 1].kind == BT_HOP_SILENT ? NOT_GRAPHED : o->nslot[j] - 1;
	const bt_hopinfo *h = info(ctx, a);
	if (h == NULL) {
		*failed = true;
		return UINT32_MAX;
	}
	if (o->nn >= UINT32_MAX - 2 || room((void **)&o->nodes, &o->ncap, o->nn, sizeof(node)) != 0)
		return UINT32_MAX;
	node *m = &o->nodes[o->nn];
	memset(m, 0, sizeof(*m));
	m->addr = *a;
	/* an address that is no interface (special-purpose) is kept as
	 * BT_HOP_SILENT: the resolver is asked once */
	m->kind = (uint8_t)(graphed(h) ? h->kind : BT_HOP_SILENT);
	m->moas = h->norigins > 1;
	m->origin = h->kind == BT_HOP_AS ? h->asn : 0;
	o->nslot[j] = (uint32_t)++o->nn;
	return m->kind == BT_HOP_SILENT ? NOT_GRAPHED : (uint32_t)(o->nn - 1);
}

static void add_dst(node *m, uint32_t asn)
{
	if (asn == 0 || m->ndst > NDST)
		return;
	for (unsigned i = 0; i < m->ndst; i++)
		if (m->dst[i] == asn)
			return;
	if (m->ndst < NDST)
		m->dst[m->ndst] = asn;
	m->ndst++;
}

static int edge_add(bt_owner *o, uint32_t from, uint32_t to, uint32_t flag)
{
	if (grow_slots(&o->eslot, &o->emask, o->ne, o, edge_rehash) != 0)
		return -1;
	size_t j = edge_hash(from, to) & o->emask;
	for (; o->eslot[j]; j = (j + 1) & o->emask) {
		edge *e = &o->edges[o->eslot[j] - 1];
		if (e->from == from && e->to == to) {
			e->flags |= flag;
			return 0;
		}
	}
	if (o->ne >= UINT32_MAX - 1 || room((void **)&o->edges, &o->ecap, o->ne, sizeof(edge)) != 0)
		return -1;
	o->edges[o->ne] = (edge){ from, to, flag };
	o->eslot[j] = (uint32_t)++o->ne;
	return 0;
}

static size_t dst_slot(const bt_owner *o, uint32_t asn)
{
	size_t j = bt_hash32(asn) & o->dmask;
	while (o->dset[j] && o->dset[j] != asn)
		j = (j + 1) & o->dmask;
	return j;
}

static bool is_dst_as(const bt_owner *o, uint32_t asn)
{
	return o->dset != NULL && asn != 0 && o->dset[dst_slot(o, asn)] == asn;
}

/* asn into the round's destination ASes. 0 or -1. */
static int add_dst_as(bt_owner *o, uint32_t asn)
{
	if (asn == 0 || is_dst_as(o, asn))
		return 0;
	if (o->dset == NULL || (o->dn + 1) * 2 > o->dmask + 1) {
		size_t cap = o->dset ? (o->dmask + 1) * 2 : 256;
		uint32_t *old = o->dset, *ns = calloc(cap, sizeof(*ns));
		size_t omask = o->dmask;
		if (ns == NULL)
			return -1;
		o->dset = ns;
		o->dmask = cap - 1;
		for (size_t k = 0; old && k <= omask; k++)
			if (old[k])
				o->dset[dst_slot(o, old[k])] = old[k];
		free(old);
	}
	o->dset[dst_slot(o, asn)] = asn;
	o->dn++;
	return 0;
}

/* The node of address a (NOT_GRAPHED, UINT32_MAX on failure) with dst_as
 * added, through the nodes met lately; its entry there into *rp. */
static uint32_t entry_node(bt_owner *o, const bt_addr *a, uint32_t dst_as, bt_owner_info_fn info, void *ctx,
			   bool *failed, struct recent_node **rp)
{
	struct recent_node *r = &o->rnode[addr_hash(a) & (RECENT - 1)];
	if (!same_addr(a, &r->addr)) {
		uint32_t k = node_get(o, a, info, ctx, failed);
		if (k == UINT32_MAX)
			return k;
		*r = (struct recent_node){ *a, k, 0, k == NOT_GRAPHED ? 0 : o->nodes[k].origin, false };
	}
	*rp = r;
	/* the same destination to the same node again: nothing to add */
	if (r->idx != NOT_GRAPHED && r->dst != dst_as) {
		add_dst(&o->nodes[r->idx], dst_as);
		r->dst = dst_as;
	}
	return r->idx;
}

/* The edge from -> to, through the edges met lately: one met with this
 * flag is in the table with it. 0 or -1. */
static int entry_edge(bt_owner *o, uint32_t from, uint32_t to, uint32_t flag)
{
	edge *r = &o->redge[edge_hash(from, to) & (RECENT - 1)];
	if (r->from == from && r->to == to && (r->flags & flag))
		return 0;
	if (edge_add(o, from, to, flag) != 0)
		return -1;
	if (r->from != from || r->to != to)
		*r = (edge){ from, to, 0 };
	r->flags |= flag;
	return 0;
}

/* The origin of address a (0: no AS hop), from its node when look and
 * the graph has it (a node is of the resolver's kind and primary origin),
 * else from info. UINT32_MAX when info fails. Nodes are only looked up
 * here: the order they are added in stays the order of the entries. */
static uint32_t origin_of(bt_owner *o, const bt_addr *a, bool look, bt_owner_info_fn info, void *ctx,
			  bool *failed)
{
	if (look) {
		const struct recent_node *r = &o->rnode[addr_hash(a) & (RECENT - 1)];
		if (same_addr(&r->addr, a))
			return r->idx == NOT_GRAPHED ? 0 : o->nodes[r->idx].origin;
		size_t j = o->nslot != NULL ? node_slot(o, a) : 0;
		if (o->nslot != NULL && o->nslot[j])
			return o->nodes[o->nslot[j] - 1].origin; /* 0 unless an AS hop */
	}
	const bt_hopinfo *h = info(ctx, a);
	if (h == NULL) {
		*failed = true;
		return UINT32_MAX;
	}
	return h->kind == BT_HOP_AS ? h->asn : 0;
}

/* BT_OWNER_DST_ASK: the AS of t->dst (entries lo..n), from its node when
 * the destination answered (in this trace; the graph may have it from
 * another). UINT32_MAX when info fails. */
static uint32_t dst_as_of(bt_owner *o, const bt_trace *t, size_t lo, size_t n, bt_owner_info_fn info,
			  void *ctx, bool *failed)
{
	bool answered = n > lo && same_addr(&t->hops[n - 1].addr, &t->dst);
	return origin_of(o, &t->dst, answered, info, ctx, failed);
}

/* Origin c of a hop into the two different origins of the hops so far. */
static inline void origins_add(uint32_t *first, uint32_t *second, uint32_t c)
{
	if (!*first)
		*first = c;
	else if (c != *first && !*second)
		*second = c;
}

int bt_owner_add(bt_owner *o, const bt_trace *t, uint32_t dst_as, bt_owner_info_fn info, void *ctx,
		 bool *failed)
{
	size_t n = t->hop_count < BT_HOPS_MAX ? t->hop_count : BT_HOPS_MAX;
	size_t lo = bt_trace_copied_hops(t); /* copies are another trace's edges */
	uint32_t idx[BT_HOPS_MAX];
	if (o->out_off != NULL)
		free_adjacency(o); /* a graph that grows is inferred again */
	if (dst_as == BT_OWNER_DST_ASK && (dst_as = dst_as_of(o, t, lo, n, info, ctx, failed)) == UINT32_MAX)
		return -1;
	if (dst_as != o->last_dst && add_dst_as(o, dst_as) != 0)
		return -1;
	o->last_dst = dst_as;
	/* the big table's slots of the first entries asked for all at once:
	 * the lookups below then wait for memory in parallel */
	for (size_t i = lo; o->nslot != NULL && i < n && i < lo + 32; i++)
		if (bt_addr_is_set(&t->hops[i].addr))
			__builtin_prefetch(&o->nslot[addr_hash(&t->hops[i].addr) & o->nmask]);
	uint32_t first = 0, second = 0; /* two different origins of the hops so far */
	/* copied hops are no edges, but they were before this trace's hops:
	 * the same VP's path to its hop at the split TTL ("stub") */
	for (size_t i = 0; i < lo && i < n && !second; i++) {
		uint32_t c = 0;
		if (bt_addr_is_set(&t->hops[i].addr) &&
		    (c = origin_of(o, &t->hops[i].addr, true, info, ctx, failed)) == UINT32_MAX)
			return -1;
		if (c)
			origins_add(&first, &second, c);
	}
	for (size_t i = lo; i < n; i++) {
		struct recent_node *r;
		idx[i] = NOT_GRAPHED;
		if (!bt_addr_is_set(&t->hops[i].addr))
			continue;
		/* a TTL's replies mostly come from one address: its node again
		 * (entry_node would find it among the recent ones, dearer) */
		if (i > lo && same_addr(&t->hops[i].addr, &t->hops[i - 1].addr)) {
			idx[i] = idx[i - 1];
			continue;
		}
		if ((idx[i] = entry_node(o, &t->hops[i].addr, dst_as, info, ctx, failed, &r)) == UINT32_MAX)
			return -1;
		uint32_t c = r->origin;
		if (c == 0)
			continue;
		/* after a hop of another AS, on the way to another AS ("stub") */
		if (!r->through && dst_as && dst_as != c && ((first && first != c) || second))
			r->through = true, o->nodes[idx[i]].through = 1;
		origins_add(&first, &second, c);
	}
	/* edges between the entries of consecutive TTLs only: across a
	 * silent TTL two replies need not be neighbours; an entry of the node
	 * of the one before it adds no edge, and each TTL's end is found once */
	for (size_t b = lo, e = lo < n ? bt_trace_ttl_end(t, lo) : n, e2; b < n; b = e, e = e2) {
		e2 = e < n ? bt_trace_ttl_end(t, e) : e;
		if (e >= n || t->hops[e].probe_ttl != t->hops[b].probe_ttl + 1)
			continue;
		for (size_t p = b; p < e && p < n; p++)
			for (size_t s = e; s < e2 && s < n; s++) {
				if (idx[p] == NOT_GRAPHED || idx[s] == NOT_GRAPHED || idx[p] == idx[s] ||
				    (p > b && idx[p] == idx[p - 1]) || (s > e && idx[s] == idx[s - 1]))
					continue;
				uint32_t flag = same_addr(&t->hops[s].addr, &t->dst) ? EDGE_DEST : EDGE_ROUTER;
				if (entry_edge(o, idx[p], idx[s], flag) != 0)
					return -1;
			}
	}
	return 0;
}

/* Edge indices grouped by from (by to): off[k]..off[k+1] in list. */
static int group_edges(const bt_owner *o, bool by_to, uint32_t **off, uint32_t **list)
{
	*off = calloc(o->nn + 1, sizeof(**off));
	*list = malloc((o->ne ? o->ne : 1) * sizeof(**list));
	if (*off == NULL || *list == NULL)
		return -1;
	for (size_t k = 0; k < o->ne; k++)
		(*off)[(by_to ? o->edges[k].to : o->edges[k].from) + 1]++;
	for (size_t k = 0; k < o->nn; k++)
		(*off)[k + 1] += (*off)[k];
	uint32_t *fill = malloc((o->nn ? o->nn : 1) * sizeof(*fill));
	if (fill == NULL)
		return -1;
	memcpy(fill, *off, o->nn * sizeof(*fill));
	for (size_t k = 0; k < o->ne; k++)
		(*list)[fill[by_to ? o->edges[k].to : o->edges[k].from]++] = (uint32_t)k;
	free(fill);
	return 0;
}

/* What a set of neighbours says: the one AS they all have (0: none had
 * one, or they disagree). A neighbour with no AS of its own (an IXP's, an
 * unannounced address not inferred) votes OTHER, which agrees with
 * nothing: a router leading to an exchange and to B is not B's. */
#define OTHER UINT32_MAX
typedef struct vote {
	uint32_t as;
	bool any, split;
} vote;

static void vote_add(vote *v, uint32_t as)
{
	if (as == 0)
		return;
	if (!v->any)
		v->as = as;
	v->split |= v->any && v->as != as;
	v->any = true;
}

static uint32_t vote_one(const vote *v)
{
	return v->any && !v->split && v->as != OTHER ? v->as : 0;
}

/* Whether node m's owner is the third-party stage's (`third-party`,
 * `stub`): of the stages' owners, the only ones the last stage reads. The
 * last stage decides every address at once: none of its rules reads what
 * another address got in it, which depends on the order of the nodes. */
static bool third_party_owned(const node *m)
{
	return m->why == BT_OWNER_THIRD_PARTY || m->why == BT_OWNER_STUB;
}

/* What node k counts as in its neighbours' votes: the origin of an
 * announced address (its owner when it is a third-party address), the
 * owner found so far for an unannounced one, else OTHER. The rules run in
 * stages, each fed by the ones before only (unannounced, third-party, the
 * rest), so nothing cascades along a path. */
static uint32_t label(const bt_owner *o, uint32_t k)
{
	const node *m = &o->nodes[k];
	if (m->kind == BT_HOP_AS)
		return third_party_owned(m) ? m->owner : m->origin;
	return m->kind == BT_HOP_UNKNOWN && m->owner ? m->owner : OTHER;
}

/* The votes around node k. */
typedef struct votes {
	vote pred, succ;
	size_t routers;  /* successors that were router hops */
	size_t out;      /* successors at all */
	size_t own;      /* successors of the node's own origin */
} votes;

static void count_votes(const bt_owner *o, uint32_t k, votes *v)
{
	memset(v, 0, sizeof(*v));
	for (uint32_t j = o->in_off[k]; j < o->in_off[k + 1]; j++)
		vote_add(&v->pred, label(o, o->edges[o->in[j]].from));
	for (uint32_t j = o->out_off[k]; j < o->out_off[k + 1]; j++) {
		const edge *e = &o->edges[o->out[j]];
		uint32_t l = label(o, e->to);
		vote_add(&v->succ, l);
		v->own += l == o->nodes[k].origin;
		v->routers += (e->flags & EDGE_ROUTER) != 0;
		v->out++;
	}
}

/* Last hop: only the targets' own replies ever follow k, all in one AS D,
 * and every trace through k went to D: k is the router in front of D's
 * hosts, D's. An announced k must not be the only hop of its own AS
 * there (its predecessors, if any, are of that AS). */
static uint32_t last_hop(const bt_owner *o, const node *m, const votes *v)
{
	uint32_t d = vote_one(&v->succ);
	if (!(o->on & BT_OWNER_LAST_HOP) || v->routers || !d || d == m->origin)
		return 0;
	if (m->ndst != 1 || m->dst[0] != d)
		return 0;
	if (m->kind == BT_HOP_AS && v->pred.any && vote_one(&v->pred) != m->origin)
		return 0;
	return d;
}

/* Third-party: an address of C on a router of P, the AS its predecessors
 * agree on. Nothing around it is C's, and its successors agree on P too
 * (P X(C) P), or C is a destination AS of the round that X never leads
 * into: a network traced as a destination whose one address on the path
 * leads only out of it is not a transit there, its address is on a
 * router of P (its link to P, or an interface toward a third network). */
static bool third_party(const bt_owner *o, const node *m, const votes *v, bool between)
{
	uint32_t p = vote_one(&v->pred);
	if (!(o->on & BT_OWNER_THIRD_PARTY) || !v->routers || !p || p == m->origin || v->own)
		return false;
	return between ? is_dst_as(o, m->origin) : vote_one(&v->succ) == p;
}

/* Whether node k, an address of A, was entered both from A and from
 * another AS: a router reached from several networks over one address of
 * A may be the next network's ingress numbered by A, so that its own
 * operator, and the vote it casts for A, are in doubt. */
static bool entered_from_others(const bt_owner *o, uint32_t k)
{
	const node *q = &o->nodes[k];
	bool own = false, other = false;
	if (q->kind != BT_HOP_AS || q->why)
		return false;
	for (uint32_t j = o->in_off[k]; j < o->in_off[k + 1]; j++) {
		uint32_t l = label(o, o->edges[o->in[j]].from);
		own |= l == q->origin;
		other |= l && l != OTHER && l != q->origin;
	}
	return own && other;
}

/* P X(C) B: whether a predecessor of k that votes P is in doubt
 * (entered_from_others): then X's operator is not known. */
static bool doubtful_pred(const bt_owner *o, uint32_t k)
{
	for (uint32_t j = o->in_off[k]; j < o->in_off[k + 1]; j++)
		if (entered_from_others(o, o->edges[o->in[j]].from))
			return true;
	return false;
}

#define PARALLEL_WORK 4096 /* edges looked at per address, at most */

/* Parallel: an address of C whose predecessors agree on P, beside an
 * address of P that shares a predecessor and a successor with it (two
 * branches of a load-balanced diamond between the same two hops, one of
 * them P's): a router of P answering from C's space. With next (X never
 * leads into C, a destination AS of the round: P X(C) B), the sibling
 * may be of another AS S, no destination: the network P's last
 * interface leads into (its ingress numbered by P, so the vote for P is
 * wrong there), and X is S's router. The AS: P if a sibling is P's, else
 * the S every such sibling says; 0 if none or they disagree. mark holds,
 * for k, its successors (mark[s] == k + 1). */
static uint32_t parallel(const bt_owner *o, uint32_t k, uint32_t p, bool next, const uint32_t *mark)
{
	size_t work = 0;
	uint32_t found = 0, c = o->nodes[k].origin;
	bool split = false;
	for (uint32_t i = o->in_off[k]; i < o->in_off[k + 1]; i++) {
		uint32_t q = o->edges[o->in[i]].from;
		for (uint32_t j = o->out_off[q]; j < o->out_off[q + 1]; j++) {
			uint32_t y = o->edges[o->out[j]].to, s = label(o, y);
			if (y == k || !s || s == OTHER || s == c || (s != p && (!next || is_dst_as(o, s))))
				continue;
			for (uint32_t m = o->out_off[y]; m < o->out_off[y + 1]; m++) {
				if (mark[o->edges[o->out[m]].to] != k + 1)
					continue;
				if (s == p)
					return p;
				split |= found && found != s;
				found = s;
				break;
			}
			if ((work += o->out_off[y + 1] - o->out_off[y] + 1) > PARALLEL_WORK)
				return 0;
		}
	}
	return split ? 0 : found;
}

/* As-rel: an address of C, no successor of C's own, between A (its
 * predecessors agree) and B (its successors agree), where A and C have no
 * relationship in the AS-relationship data but B and C (or A and B) do:
 * A cannot have handed the traffic to C, so the router is not C's; it is
 * B's, answering from C's space (its link to C, another provider of B).
 * Where A and C are linked, the same holds when C is A's provider, B A's
 * customer and C linked to B: A prefers the route its customer B gives it
 * to any through its provider (Gao-Rexford), so it hands B's traffic to
 * B, not up to C. doc/path-diff.md, "AS relationships". */
static uint32_t as_rel(const bt_owner *o, const node *m, const votes *v)
{
	uint32_t s = vote_one(&v->succ), p = vote_one(&v->pred), c = m->origin;
	if (!(o->on & BT_OWNER_ASREL) || o->rel == NULL || !s || !p || s == c || p == c || p == s || v->own)
		return 0;
	if (bt_asrel_linked(o->rel, p, c))
		return bt_asrel_provides(o->rel, c, p) && bt_asrel_provides(o->rel, p, s) &&
		       bt_asrel_linked(o->rel, s, c) ? s : 0;
	return bt_asrel_linked(o->rel, s, c) || bt_asrel_linked(o->rel, p, s) ? s : 0;
}

/* The operator of node k as bt_owner_apply leaves it: its owner, else the
 * origin of an announced, single-origin address; 0 when not known. */
static uint32_t operator_of(const node *m)
{
	if (m->owner)
		return m->owner;
	return m->kind == BT_HOP_AS && !m->moas ? m->origin : 0;
}

#define NONE UINT32_MAX

/* Address a's interface in memory m: its index, or NONE. */
static uint32_t memory_find(const memory *m, const bt_addr *a)
{
	if (m->n == 0)
		return NONE;
	for (size_t j = addr_hash(a) & m->mask; m->slot[j]; j = (j + 1) & m->mask)
		if (same_addr(&m->addr[m->slot[j] - 1], a))
			return m->slot[j] - 1;
	return NONE;
}

/* Node k of the round's graph for address a, or NONE. */
static uint32_t node_find(const bt_owner *o, const bt_addr *a)
{
	if (o->nslot == NULL)
		return NONE;
	size_t j = node_slot(o, a);
	return o->nslot[j] ? o->nslot[j] - 1 : NONE;
}

static bool edge_has(const bt_owner *o, uint32_t from, uint32_t to)
{
	for (size_t j = edge_hash(from, to) & o->emask; o->eslot[j]; j = (j + 1) & o->emask)
		if (o->edges[o->eslot[j] - 1].from == from && o->edges[o->eslot[j] - 1].to == to)
			return true;
	return false;
}

#define RENUMBERED_WORK 4096 /* remembered edges looked at per address, at most */

/* The interface of the round before that node k (new this round) stands
 * in place of: one this round lacks, before one of k's successors and
 * after one of k's predecessors, or, k having none (a silent hop before
 * it), after none either. The operator every such interface had then; 0
 * if none, or they disagree, or one was not known. */
static uint32_t replaced(const bt_owner *o, uint32_t k)
{
	const memory *mem = &o->mem;
	bool alone = o->in_off[k] == o->in_off[k + 1]; /* no predecessor */
	uint32_t found = 0;
	size_t work = 0;
	for (uint32_t i = o->out_off[k]; i < o->out_off[k + 1]; i++) {
		uint32_t z = memory_find(mem, &o->nodes[o->edges[o->out[i]].to].addr);
		for (uint32_t j = z == NONE ? 0 : mem->pred_off[z]; z != NONE && j < mem->pred_off[z + 1]; j++) {
			uint32_t y = mem->pred[j];
			if (node_find(o, &mem->addr[y]) != NONE)
				continue; /* still there: not replaced */
			bool same = alone && mem->pred_off[y] == mem->pred_off[y + 1];
			for (uint32_t l = mem->pred_off[y]; !alone && l < mem->pred_off[y + 1] && !same; l++) {
				uint32_t q = node_find(o, &mem->addr[mem->pred[l]]);
				same = q != NONE && edge_has(o, q, k);
			}
			if ((work += mem->pred_off[y + 1] - mem->pred_off[y] + 1) > RENUMBERED_WORK)
				return 0;
			if (!same)
				continue;
			if (!mem->op[y] || mem->op[y] == OTHER || (found && found != mem->op[y]))
				return 0;
			found = mem->op[y];
		}
	}
	return found;
}

/* The operator a rule gave node k in the round before (k was there), or
 * 0: none, in doubt, or its own origin. */
static uint32_t kept(const bt_owner *o, uint32_t k)
{
	const memory *mem = &o->mem;
	uint32_t x = memory_find(mem, &o->nodes[k].addr);
	if (x == NONE || !mem->why[x] || mem->op[x] == OTHER || mem->op[x] == o->nodes[k].origin)
		return 0;
	return mem->op[x];
}

/* Renumbered: an address X of C, no successor of C's own, whose
 * successors agree on B, new this round, where the round before had an
 * interface this round lacks in the same place (replaced), before one of
 * X's successors and after one of X's predecessors (A, which they agree
 * on) or after none, and every such interface was B's: the same router of
 * B answering from another address (its link to C). An X that was there
 * the round before, with an operator a rule gave it then, keeps that
 * operator while it is still its predecessors' or successors' AS (routers
 * do not change hands from one round to the next; the evidence around
 * them does). Only where no other rule decides X. doc/path-diff.md,
 * "Interface owners". */
static uint32_t renumbered(const bt_owner *o, uint32_t k, const votes *v)
{
	const node *m = &o->nodes[k];
	uint32_t s = vote_one(&v->succ), p = vote_one(&v->pred), c = m->origin;
	bool alone = o->in_off[k] == o->in_off[k + 1]; /* no predecessor */
	if (!(o->on & BT_OWNER_RENUMBERED) || o->mem.n == 0 || m->kind != BT_HOP_AS)
		return 0;
	if (memory_find(&o->mem, &m->addr) != NONE) { /* a rule's operator of the round before, still beside it */
		uint32_t op = kept(o, k);
		return op && (op == p || op == s) ? op : 0;
	}
	if (!s || s == c || v->own || (!alone && (!p || p == c || p == s)))
		return 0;
	return replaced(o, k) == s ? s : 0;
}

/* Stub: an address of C, where C is a stub in the AS relationships (in
 * the file, nobody's provider), on the path of a trace from a hop of
 * another AS to another AS (a VP inside C sends through C's routers, but
 * none of its hops comes after another AS's): a stub carries no traffic
 * between other networks, so the router is not C's; it answers from its
 * interface on a link to C (a third-party address). Its operator: the AS
 * its predecessors agree on; else the one a rule gave it the round
 * before; else that of the interface of the round before it stands in
 * place of (replaced); else unknown (OTHER: a gap, no border route across
 * it). Only where no other rule decides it. doc/path-diff.md, "Stub
 * addresses". */
static uint32_t stub(const bt_owner *o, uint32_t k, const votes *v)
{
	const node *m = &o->nodes[k];
	uint32_t p = vote_one(&v->pred), c = m->origin, r;
	if (!(o->on & BT_OWNER_STUB) || m->kind != BT_HOP_AS || !bt_asrel_stub(o->rel, c))
		return 0;
	if (!m->through)
		return 0; /* no trace crossed it from another AS to another */
	if (p && p != c)
		return p;
	if ((r = kept(o, k)) != 0 || (memory_find(&o->mem, &m->addr) == NONE && (r = replaced(o, k)) != 0 && r != c))
		return r;
	return OTHER;
}

#define COMMON_WORK 4096 /* edges looked at per address, at most */

/* Common-next: an address X of C between A and B (its predecessors agree
 * on A, its successors on B, none of them of C), every successor of which
 * also follows an address of B, not the third-party stage's, whose
 * predecessors agree on a third AS (B's border interface, numbered by B,
 * entered from that AS; what this stage gives that address does not count:
 * it depends on which of the two the loop meets first). A router answers
 * from the interface the probe came in by, and a link has two ends: the
 * interfaces right before one interface are one router's, so X is on B's
 * border router, answering from its link to C. Only where no other rule
 * decides X. doc/path-diff.md, "A common next hop". */
static uint32_t common_next(const bt_owner *o, uint32_t k, const votes *v)
{
	const node *m = &o->nodes[k];
	uint32_t s = vote_one(&v->succ), p = vote_one(&v->pred), c = m->origin;
	size_t work = 0;
	if (!(o->on & BT_OWNER_COMMON_NEXT) || m->kind != BT_HOP_AS || !s || !p || s == c || p == c || p == s ||
	    v->own)
		return 0;
	for (uint32_t i = o->out_off[k]; i < o->out_off[k + 1]; i++) {
		uint32_t y = o->edges[o->out[i]].to;
		bool border = false;
		for (uint32_t j = o->in_off[y]; j < o->in_off[y + 1] && !border; j++) {
			uint32_t z = o->edges[o->in[j]].from;
			const node *q = &o->nodes[z];
			if (z == k || q->kind != BT_HOP_AS || q->moas || third_party_owned(q) || q->origin != s)
				continue;
			vote d = { 0 };
			for (uint32_t l = o->in_off[z]; l < o->in_off[z + 1]; l++)
				vote_add(&d, label(o, o->edges[o->in[l]].from));
			uint32_t a = vote_one(&d);
			border = a && a != s && a != c;
			if ((work += o->in_off[z + 1] - o->in_off[z] + 1) > COMMON_WORK)
				return 0;
		}
		if (!border)
			return 0;
	}
	return s;
}

/* This round's memory for the next (o->next, replaced). 0 or -1. */
static int memory_build(bt_owner *o)
{
	memory *m = &o->next;
	memory_free(m);
	if (!(o->on & (BT_OWNER_RENUMBERED | BT_OWNER_STUB)) || o->nn == 0)
		return 0;
	size_t cap = 16;
	while (cap < o->nn * 2)
		cap *= 2;
	m->addr = malloc(o->nn * sizeof(*m->addr));
	m->op = malloc(o->nn * sizeof(*m->op));
	m->why = malloc(o->nn * sizeof(*m->why));
	m->slot = calloc(cap, sizeof(*m->slot));
	m->pred_off = malloc((o->nn + 1) * sizeof(*m->pred_off));
	m->pred = malloc((o->ne ? o->ne : 1) * sizeof(*m->pred));
	if (!m->addr || !m->op || !m->why || !m->slot || !m->pred_off || !m->pred) {
		memory_free(m);
		return -1;
	}
	m->mask = cap - 1;
	for (uint32_t k = 0; k < o->nn; k++) {
		m->addr[k] = o->nodes[k].addr;
		m->op[k] = operator_of(&o->nodes[k]);
		m->why[k] = o->nodes[k].why;
		size_t j = addr_hash(&m->addr[k]) & m->mask;
		while (m->slot[j])
			j = (j + 1) & m->mask;
		m->slot[j] = k + 1;
	}
	memcpy(m->pred_off, o->in_off, (o->nn + 1) * sizeof(*m->pred_off));
	for (size_t e = 0; e < o->ne; e++)
		m->pred[e] = o->edges[o->in[e]].from;
	m->n = o->nn;
	return 0;
}

/* The rules for an announced address (origin A) and an IXP's, but the
 * third-party one (a stage before); sets m->owner and m->why. */
static void infer_fixed(const bt_owner *o, uint32_t k, const votes *v)
{
	node *m = &o->nodes[k];
	uint32_t s = vote_one(&v->succ), p = vote_one(&v->pred), a = m->origin;
	uint32_t d = last_hop(o, m, v), r = m->kind == BT_HOP_AS ? as_rel(o, m, v) : 0;
	uint32_t n = r ? 0 : renumbered(o, k, v), x = r || n ? 0 : common_next(o, k, v);
	if (m->kind == BT_HOP_IXP) {
		if ((o->on & BT_OWNER_IXP) && v->routers && s) {
			m->owner = s;
			m->why = BT_OWNER_IXP;
		} else if (d) {
			m->owner = d;
			m->why = BT_OWNER_LAST_HOP;
		}
		return;
	}
	if (v->routers && s && s != a && p == a && (o->on & BT_OWNER_NEIGHBOUR)) {
		m->owner = s;
		m->why = BT_OWNER_NEIGHBOUR;
	} else if (r) {
		m->owner = r;
		m->why = BT_OWNER_ASREL;
	} else if (n) {
		m->owner = n;
		m->why = BT_OWNER_RENUMBERED;
	} else if (x) {
		m->owner = x;
		m->why = BT_OWNER_COMMON_NEXT;
	} else if (d) {
		m->owner = d;
		m->why = BT_OWNER_LAST_HOP;
	}
}

/* Unannounced addresses: the AS their successors agree on, or with no
 * successor at all the one their predecessors agree on; counted with the
 * owners found so far for their unannounced neighbours, until nothing
 * changes. True when something changed. */
static bool infer_unannounced(bt_owner *o)
{
	bool changed = false;
	for (uint32_t k = 0; k < o->nn; k++) {
		node *m = &o->nodes[k];
		if (m->kind != BT_HOP_UNKNOWN)
			continue;
		votes v;
		count_votes(o, k, &v);
		uint32_t own = 0, why = 0, d = last_hop(o, m, &v);
		if ((o->on & BT_OWNER_UNANNOUNCED) && v.routers && vote_one(&v.succ))
			own = vote_one(&v.succ), why = BT_OWNER_UNANNOUNCED;
		else if ((o->on & BT_OWNER_UNANNOUNCED) && v.out == 0 && vote_one(&v.pred))
			own = vote_one(&v.pred), why = BT_OWNER_UNANNOUNCED;
		else if (d)
			own = d, why = BT_OWNER_LAST_HOP;
		changed |= own != m->owner;
		m->owner = own;
		m->why = (uint16_t)why;
	}
	return changed;
}

/* The table bt_owner_apply looks in: the nodes with an owner. 0 or -1. */
static int index_overrides(bt_owner *o)
{
	o->overrides = 0;
	for (uint32_t k = 0; k < o->nn; k++)
		o->overrides += o->nodes[k].owner != 0;
	size_t cap = 16;
	while (cap < o->overrides * 2)
		cap *= 2;
	if ((o->oslot = calloc(cap, sizeof(*o->oslot))) == NULL)
		return -1;
	o->omask = cap - 1;
	for (uint32_t k = 0; k < o->nn; k++) {
		if (o->nodes[k].owner == 0)
			continue;
		size_t j = addr_hash(&o->nodes[k].addr) & o->omask;
		while (o->oslot[j])
			j = (j + 1) & o->omask;
		o->oslot[j] = k + 1;
	}
	return 0;
}

/* The third-party stage, in three steps, each deciding every address at
 * once (the order of the nodes does not matter): P X(C) P from the
 * origins, then P X(C) B with the owners the first step found (U X(D)
 * Y(U) T: X is U's, so Y, after a hop of its own AS, is no third-party
 * address), then a stub's addresses that neither took. 0 or -1. */
static int infer_third_party(bt_owner *o)
{
	uint32_t *next = malloc((o->nn ? o->nn : 1) * sizeof(*next));
	uint32_t *mark = calloc(o->nn ? o->nn : 1, sizeof(*mark));
	if (next == NULL || mark == NULL) {
		free(next);
		free(mark);
		return -1;
	}
	for (int step = 0; step < 3; step++) {
		bool between = step > 0;
		for (uint32_t k = 0; k < o->nn; k++) {
			const node *m = &o->nodes[k];
			votes v;
			next[k] = 0;
			if (m->moas || m->kind != BT_HOP_AS || m->why)
				continue;
			count_votes(o, k, &v);
			if (step == 2) {
				next[k] = stub(o, k, &v);
				continue;
			}
			next[k] = third_party(o, m, &v, between) ? vote_one(&v.pred) : 0;
			uint32_t p = vote_one(&v.pred);
			if (!next[k] && !between && (o->on & BT_OWNER_PARALLEL) && v.routers && p && p != OTHER &&
			    p != m->origin) {
				for (uint32_t j = o->out_off[k]; j < o->out_off[k + 1]; j++)
					mark[o->edges[o->out[j]].to] = k + 1;
				bool nx = (o->on & BT_OWNER_PARALLEL_NEXT) && !v.own && is_dst_as(o, m->origin);
				next[k] = parallel(o, k, p, nx, mark);
			}
			/* "third-party" in doubt: the operator is unknown (OTHER) */
			if (next[k] && between && (o->on & BT_OWNER_DOUBT) && doubtful_pred(o, k))
				next[k] = OTHER;
		}
		for (uint32_t k = 0; k < o->nn; k++)
			if (next[k])
				o->nodes[k].owner = next[k], o->nodes[k].why = step == 2 ? BT_OWNER_STUB : BT_OWNER_THIRD_PARTY;
	}
	free(mark);
	free(next);
	return 0;
}

int bt_owner_infer(bt_owner *o)
{
	free_adjacency(o);
	if (group_edges(o, false, &o->out_off, &o->out) != 0 || group_edges(o, true, &o->in_off, &o->in) != 0) {
		free_adjacency(o);
		return -1;
	}
	for (uint32_t k = 0; k < o->nn; k++)
		o->nodes[k].owner = o->nodes[k].why = 0;
	/* unannounced addresses first: their owners vote in the rules of the
	 * others (a border followed by the neighbour's unannounced routers) */
	for (int pass = 0; o->on && pass < UNANNOUNCED_PASSES && infer_unannounced(o); pass++)
		;
	if (o->on && infer_third_party(o) != 0)
		return -1;
	/* the rest: each address decided by the stages before only (no rule
	 * here reads what another address got here), so in any order */
	for (uint32_t k = 0; k < o->nn; k++) {
		node *m = &o->nodes[k];
		if (o->on == 0 || m->moas || (m->kind != BT_HOP_AS && m->kind != BT_HOP_IXP) || third_party_owned(m))
			continue;
		votes v;
		count_votes(o, k, &v);
		infer_fixed(o, k, &v);
	}
	/* the round before is done with; this one's is kept for the next
	 * (bt_owner_reset moves it), so one memory at a time outlives this */
	memory_free(&o->mem);
	return index_overrides(o) != 0 || memory_build(o) != 0 ? -1 : 0;
}

unsigned bt_owner_apply(const bt_owner *o, const bt_addr *a, bt_hopinfo *h)
{
	if (o->oslot == NULL || o->overrides == 0 || !bt_addr_is_set(a))
		return 0;
	size_t j = addr_hash(a) & o->omask;
	while (o->oslot[j] && !same_addr(&o->nodes[o->oslot[j] - 1].addr, a))
		j = (j + 1) & o->omask;
	if (!o->oslot[j])
		return 0;
	const node *m = &o->nodes[o->oslot[j] - 1];
	if (m->owner == OTHER) { /* its operator is not known: a gap */
		h->kind = BT_HOP_UNKNOWN;
		h->asn = 0;
		h->norigins = 0;
		return m->why;
	}
	if (h->kind == BT_HOP_AS && h->asn == m->owner)
		return 0;
	h->kind = BT_HOP_AS;
	h->asn = m->owner;
	h->norigins = 1;
	h->origins[0] = m->owner;
	return m->why;
}

#define GAP_WALK 32 /* nodes of the far AS walked back through, at most */

/* Node k's predecessors: false when one is operated by an AS other than
 * near_as and far_as; those of far_as are queued in walk (n of them, each
 * once, up to GAP_WALK). */
static bool gap_preds(const bt_owner *o, uint32_t k, uint32_t near_as, uint32_t far_as, uint32_t *walk,
		      size_t *n)
{
	for (uint32_t i = o->in_off[k]; i < o->in_off[k + 1]; i++) {
		uint32_t from = o->edges[o->in[i]].from, x = operator_of(&o->nodes[from]);
		if (x && x != near_as && x != far_as)
			return false;
		bool queued = x != far_as || *n == GAP_WALK;
		for (size_t j = 0; j < *n && !queued; j++)
			queued = walk[j] == from;
		if (!queued)
			walk[(*n)++] = from;
	}
	return true;
}

bool bt_owner_gap_known(const bt_owner *o, const bt_addr *far, uint32_t near_as, uint32_t far_as,
			unsigned gap)
{
	if (!(o->on & BT_OWNER_GAP) || o->in_off == NULL || o->nslot == NULL || !bt_addr_is_set(far))
		return true;
	size_t j = node_slot(o, far);
	if (o->nslot[j] == 0)
		return true;
	/* the far hop and, back from it, far_as's interfaces: the gap may
	 * have hidden them too */
	uint32_t walk[GAP_WALK];
	size_t n = 1;
	walk[0] = o->nslot[j] - 1;
	for (size_t i = 0; i < n; i++)
		if (!gap_preds(o, walk[i], near_as, far_as, walk, &n))
			return false;
	/* nothing before the far hop: one silent TTL is near_as's last
	 * router or far_as's first; more may hold another network */
	return gap <= 1 || o->in_off[walk[0]] < o->in_off[walk[0] + 1];
}

size_t bt_owner_nodes(const bt_owner *o) { return o->nn; }
size_t bt_owner_edges(const bt_owner *o) { return o->ne; }
size_t bt_owner_overrides(const bt_owner *o) { return o->overrides; }
