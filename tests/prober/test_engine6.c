/* White-box tests of the engine's IPv6 side (engine_int.h): the intern
 * table of IPv6 addresses, the family bit of the table keys, folded IPv6
 * destinations that collide (a real collision, found by search), forged
 * and genuine ICMPv6 replies through the engine's packet path, and the
 * traces built from a spool holding IPv6 handles. No socket is opened and
 * nothing is sent (libnet build-only context). */
#include "../../prober/engine_int.h"
#include "forge.h"
#include "prober_test.h"

#include <arpa/inet.h>
#include <libnet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "bordertrace/probe6.h"

static void addr6(uint8_t *a, uint32_t i)
{
	inet_pton(AF_INET6, "2001:db8:77::", a);
	a[12] = (uint8_t)(i >> 24);
	a[13] = (uint8_t)(i >> 16);
	a[14] = (uint8_t)(i >> 8);
	a[15] = (uint8_t)i;
}

static void test_intern(void **state)
{
	(void)state;
	bt_intern6 t = { 0 };
	bt_acct ac = { 0 };
	uint8_t a[16];
	assert_null(bt_intern6_addr(&t, 0));
	assert_int_equal(bt_intern6_find(&t, a), 0);
	for (uint32_t i = 0; i < 5000; i++) {
		addr6(a, i * 7919u);
		assert_int_equal(bt_intern6_get(&t, &ac, a), i + 1);
	}
	for (uint32_t i = 0; i < 5000; i++) {
		addr6(a, i * 7919u);
		assert_int_equal(bt_intern6_get(&t, &ac, a), i + 1); /* the same handle again */
		assert_int_equal(bt_intern6_find(&t, a), i + 1);
		assert_memory_equal(bt_intern6_addr(&t, i + 1), a, 16);
	}
	addr6(a, 1);
	assert_int_equal(bt_intern6_find(&t, a), 0);
	assert_int_equal(t.n, 5000);
	assert_null(bt_intern6_addr(&t, 5001));
	assert_true(ac.bytes > 0);
	bt_intern6_free(&t, &ac);
	assert_int_equal(ac.bytes, 0);
}

/* The family bit: an IPv4 key and an IPv6 key of the same tag and 32-bit
 * address never meet, and neither meets another tag. */
static void test_family_keys(void **state)
{
	(void)state;
	uint64_t x = 0x1234;
	for (int i = 0; i < 10000; i++) {
		uint32_t a = (uint32_t)pt_rnd(&x);
		uint16_t tag = (uint16_t)(pt_rnd(&x) & 0xfff);
		assert_true(bt_fkey(0, tag, a) != bt_fkey(1, tag, a));
		assert_true(bt_fkey(0, tag, a) == bt_faddr_key(tag, a)); /* IPv4 keys as before */
		assert_true(bt_fkey(1, tag, a) != bt_fkey(1, (uint16_t)(tag ^ 1), a));
		assert_true(bt_fkey(1, tag, a) >> 48 == 1);
	}
	/* keys that collide are told apart by the caller: both stay, removing
	 * one leaves the other */
	uint32_t vals[16] = { 0 };
	uint64_t keys[16];
	bt_table tb;
	bt_table_init(&tb, vals, keys, 16);
	bt_table_add(&tb, 42, 1);
	bt_table_add(&tb, 42, 2);
	assert_int_equal(tb.count, 2);
	bt_table_remove(&tb, 42, 1, NULL, NULL);
	assert_int_equal(bt_table_find(&tb, 42, bt_table_home(&tb, 42), NULL, NULL), 2);
}

static int cmp64(const void *p, const void *q)
{
	uint64_t x = *(const uint64_t *)p, y = *(const uint64_t *)q;
	return x < y ? -1 : x > y;
}

/* Two IPv6 addresses of one fold (searched for: 2^32 folds, ~2^17 tries). */
static void find_collision(uint8_t *a, uint8_t *b)
{
	enum { N = 300000 };
	uint64_t *v = malloc(N * sizeof(*v));
	assert_non_null(v);
	uint8_t x[16];
	for (uint32_t i = 0; i < N; i++) {
		addr6(x, i);
		v[i] = (uint64_t)bt_fold6(x) << 32 | i;
	}
	qsort(v, N, sizeof(*v), cmp64);
	for (uint32_t i = 1; i < N; i++)
		if (v[i] >> 32 == v[i - 1] >> 32) {
			addr6(a, (uint32_t)v[i - 1]);
			addr6(b, (uint32_t)v[i]);
			free(v);
			return;
		}
	free(v);
	fail_msg("no fold collision among %d addresses", N);
}

typedef struct fixture {
	bt_engine *e;
	bt_addr in[5];          /* A6, B6 (A6's fold), V4, C6, A6 again */
	target *t[5];
	uint8_t src6[16], rtr6[16];
	bt_flow flow;
	bt_trace *got[5];
	size_t ngot;
} fixture;

static int collect(bt_trace *tr, void *arg)
{
	fixture *f = arg;
	assert_true(f->ngot < 5);
	f->got[f->ngot++] = tr;
	return 0;
}

static target *activate_by_hand(fixture *f, uint32_t in)
{
	bt_engine *e = f->e;
	uint32_t idx = e->freelist[--e->nfree];
	target *t = &e->tg[idx];
	memset(t, 0, sizeof(*t));
	const bt_addr *a = &f->in[in];
	t->in = in;
	t->v6 = a->family == AF_INET6;
	t->dst = t->v6 ? bt_fold6(a->bytes) : bt_addr_v4(a);
	t->src = t->v6 ? bt_intern6_get(&e->intern, &e->acct, f->src6) : htonl(0xc6120002);
	t->stop_idx = NONE;
	t->back = -1;
	t->live = 1;
	if (bt_engine_wb_insert(e, t) != 0) {
		e->freelist[e->nfree++] = idx;
		return NULL;
	}
	e->nactive++;
	return t;
}

static void fixture_open(fixture *f)
{
	memset(f, 0, sizeof(*f));
	inet_pton(AF_INET6, "2001:db8:1::2", f->src6);
	inet_pton(AF_INET6, "2001:db8:2::1", f->rtr6);
	f->in[0].family = f->in[1].family = f->in[3].family = f->in[4].family = AF_INET6;
	find_collision(f->in[0].bytes, f->in[1].bytes);
	memcpy(f->in[4].bytes, f->in[0].bytes, 16);
	addr6(f->in[3].bytes, 0xfffffff0u);
	bt_addr_from_v4(&f->in[2], htonl(0xc6120101));
	bt_engine *e = f->e = calloc(1, sizeof(*e));
	assert_non_null(e);
	bt_engine_opts_default(&e->o);
	e->o.spool_dir = "/tmp";
	e->o.max_ttl = 8;
	e->fam = &bt_family_v4;
	e->spool.fd = -1;
	char err[256];
	bt_flow_init(&f->flow, BT_METHOD_ICMP_PARIS, 0, 0, 0x5eed1234u);
	e->flow = f->flow;
	e->flows = &f->flow;
	e->pb6 = bt_probe_builder_open(LIBNET_NONE, NULL, err, sizeof(err));
	assert_non_null(e->pb6);
	e->cap_.dlt = DLT_RAW;
	assert_int_equal(bt_engine_setup_run(e, f->in, 5, err, sizeof(err)), 0);
	e->mono0 = 1000000;
	e->now = e->mono0 + 10;
	e->last_timers = e->now;
	for (uint32_t i = 0; i < 4; i++) {
		f->t[i] = activate_by_hand(f, i);
		assert_non_null(f->t[i]);
	}
}

static void fixture_close(fixture *f)
{
	for (size_t i = 0; i < f->ngot; i++)
		bt_trace_free(f->got[i]);
	bt_probe_builder_close(f->e->pb6);
	bt_engine_free_run(f->e);
	free(f->e);
}

/* A collision never matches the wrong target; a true duplicate is one. */
static void test_fold_collision(void **state)
{
	(void)state;
	fixture f;
	fixture_open(&f);
	bt_engine *e = f.e;
	assert_int_equal(bt_fold6(f.in[0].bytes), bt_fold6(f.in[1].bytes));
	assert_memory_not_equal(f.in[0].bytes, f.in[1].bytes, 16);
	assert_int_equal(f.t[0]->dst, f.t[1]->dst);
	assert_int_equal(bt_engine_wb_find6(e, 0, f.in[0].bytes), tidx(e, f.t[0]) + 1);
	assert_int_equal(bt_engine_wb_find6(e, 0, f.in[1].bytes), tidx(e, f.t[1]) + 1);
	assert_int_equal(bt_engine_wb_find6(e, 0, f.in[3].bytes), tidx(e, f.t[3]) + 1);
	assert_int_equal(bt_engine_wb_find6(e, 1, f.in[0].bytes), 0); /* another flow */
	uint8_t none[16];
	addr6(none, 12345678);
	assert_int_equal(bt_engine_wb_find6(e, 0, none), 0);
	/* an IPv4 target whose address equals the fold: no confusion */
	bt_addr_from_v4(&f.in[2], f.t[0]->dst);
	assert_null(activate_by_hand(&f, 4)); /* A6 twice: a duplicate */
	fixture_close(&f);
}

/* A probe to target k as the engine sent it, and the router's time
 * exceeded quoting it (forged: the quoted identifier changed). */
static size_t reply_to(fixture *f, uint32_t k, bool forged, uint8_t *out)
{
	uint8_t probe[BT_PROBE_MAX_LEN];
	char err[256];
	assert_int_equal(bt_probe6_render(f->e->pb6, &f->flow, f->src6, f->in[k].bytes, 1, 1, probe, err,
					  sizeof(err)),
			 BT_PROBE6_LEN);
	if (forged)
		probe[44] ^= 0x5a;
	return forge_icmp6_error(out, 3, 0, f->rtr6, f->src6, probe, BT_PROBE6_LEN, 1, 0);
}

static void test_replies_and_traces(void **state)
{
	(void)state;
	fixture f;
	fixture_open(&f);
	bt_engine *e = f.e;
	bt_engine_wb_sent(e, f.t[1], 0, 1); /* B6 at hop limit 1, attempt 1 */
	uint8_t pkt[256];
	uint32_t interned = e->intern.n;

	size_t n = reply_to(&f, 1, true, pkt);
	bt_engine_wb_packet(e, pkt, n);
	assert_int_equal(e->st.foreign, 1);
	assert_int_equal(e->st.replies, 0);
	assert_int_equal(e->intern.n, interned); /* a forged source is never kept */
	assert_int_equal(S_STATE(t_slot(e, f.t[1])[0]), SLOT_INFLIGHT);

	/* to A6, whose fold is B6's, nothing is in flight: not a reply to B6 */
	n = reply_to(&f, 0, false, pkt);
	bt_engine_wb_packet(e, pkt, n);
	assert_int_equal(e->st.replies, 0);
	assert_int_equal(S_STATE(t_slot(e, f.t[1])[0]), SLOT_INFLIGHT);

	n = reply_to(&f, 1, false, pkt);
	bt_engine_wb_packet(e, pkt, n);
	assert_int_equal(e->st.replies, 1);
	assert_int_equal(S_STATE(t_slot(e, f.t[1])[0]), SLOT_REPLIED);
	assert_int_equal(S_STATE(t_slot(e, f.t[0])[0]), SLOT_UNSENT);
	uint32_t h = bt_intern6_find(&e->intern, f.rtr6);
	assert_true(h != 0);

	/* the spool: B6's hop and end, the IPv4 target's end; the traces
	 * built from it carry the addresses back */
	bt_rec *r = bt_spool_next(&e->spool);
	/* a destination's answer at hop limit 2 is kept as BT_INTERN6_DST, no
	 * table entry: the trace gets its own destination back */
	r->in = 1;
	r->kind = BT_REC_HOP;
	r->slot = 1;
	r->u.hop.addr = BT_INTERN6_DST;
	r->u.hop.attempt = 1;
	r = bt_spool_next(&e->spool);
	r->in = 1;
	r->kind = BT_REC_END;
	r->a = BT_STOP_GAPLIMIT;
	r->b = 2;
	r->u.end.src = f.t[1]->src;
	r = bt_spool_next(&e->spool);
	r->in = 2;
	r->kind = BT_REC_END;
	r->a = BT_STOP_GAPLIMIT;
	r->b = 1;
	r->u.end.src = f.t[2]->src;
	bt_spool_run run = {
		.o = &e->o, .fam = e->fam, .flows = e->flows, .input = e->input, .ninput = e->ninput,
		.cb = collect, .cbarg = &f, .cb_failed = &e->cb_failed, .acct = &e->acct, .intern = &e->intern,
	};
	char err[256];
	bt_engine_free_probing(e);
	assert_int_equal(bt_spool_assemble(&e->spool, &run, err, sizeof(err)), 0);
	assert_int_equal(f.ngot, 2);
	bt_trace *b = f.got[0], *v4 = f.got[1];
	assert_int_equal(b->dst.family, AF_INET6);
	assert_memory_equal(b->dst.bytes, f.in[1].bytes, 16);
	assert_int_equal(b->src.family, AF_INET6);
	assert_memory_equal(b->src.bytes, f.src6, 16);
	assert_int_equal(b->hop_count, 2);
	assert_int_equal(b->hops[0].addr.family, AF_INET6);
	assert_memory_equal(b->hops[0].addr.bytes, f.rtr6, 16);
	assert_int_equal(b->hops[0].icmp_type, 3);
	assert_int_equal(b->hops[0].reply_ttl, 60);
	assert_int_equal(b->hops[1].addr.family, AF_INET6);
	assert_memory_equal(b->hops[1].addr.bytes, f.in[1].bytes, 16);
	assert_int_equal(v4->src.family, AF_INET);
	assert_int_equal(bt_addr_v4(&v4->src), htonl(0xc6120002));
	fixture_close(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_intern),
		cmocka_unit_test(test_family_keys),
		cmocka_unit_test(test_fold_collision),
		cmocka_unit_test(test_replies_and_traces),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
