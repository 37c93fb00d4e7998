/* Unit tests of the engine's open-addressing table (prober/table.c,
 * table.h) against a naive reference, in both its uses: stored keys (the
 * split-TTL stop set) and keys computed from the values (the target table).
 *
 * Checked under random inserts, lookups and deletions, with keys picked so
 * that clusters wrap around the end of the array: every key present is
 * found with its value, no key absent is, a duplicate insert is refused, and
 * after every backward-shift deletion no entry is cut off from its home slot
 * (a hole inside a probe sequence would lose it); growth by rehash keeps
 * every entry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../prober/table.h"
#include "prober_test.h"

#define SLOTS 64
#define MAXN 32                 /* at most half full */
#define NKEYS 400

static uint64_t rs = 88172645463325252ull;
static uint64_t rnd(void)
{
	return pt_rnd(&rs);
}

/* The computed-key case: value v's key is keys_of[v]. */
static uint64_t keys_of[NKEYS + 1];
static uint64_t key_of(const void *ctx, uint32_t v)
{
	(void)ctx;
	return keys_of[v];
}

/* Keys whose home slots lie near the end of the array or at its start, so
 * that clusters wrap around; the others anywhere. */
static void pick_keys(uint64_t *keys, size_t n, size_t mask)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t k;
		size_t h;
		do {
			k = rnd();
			h = bt_hash_slot(k, mask);
		} while (i % 2 == 0 && !(h >= mask - 3 || h <= 1));
		keys[i] = k;
	}
}

/* No hole between an entry's home and its slot. */
static void check_clusters(const bt_table *t, bt_table_keyof keyof)
{
	for (size_t j = 0; j <= t->mask; j++) {
		if (t->vals[j] == 0)
			continue;
		uint64_t k = keyof ? keyof(NULL, t->vals[j]) : t->keys[j];
		for (size_t i = bt_table_home(t, k); i != j; i = (i + 1) & t->mask)
			if (t->vals[i] == 0)
				fail_msg("slot %zu: hole at %zu before it", j, i);
	}
}

/* Random operations on a table of SLOTS slots against a reference: present[i]
 * says whether keys[i] is in, with value i + 1. */
static void random_ops(bool stored)
{
	uint64_t keys[NKEYS];
	pick_keys(keys, NKEYS, SLOTS - 1);
	for (size_t i = 0; i < NKEYS; i++)
		keys_of[i + 1] = keys[i];
	bt_table_keyof keyof = stored ? NULL : key_of;
	uint32_t vals[SLOTS] = { 0 };
	uint64_t skeys[SLOTS] = { 0 };
	bt_table t;
	bt_table_init(&t, vals, stored ? skeys : NULL, SLOTS);
	bool present[NKEYS] = { false };
	size_t n = 0;
	for (int op = 0; op < 200000; op++) {
		size_t i = rnd() % NKEYS;
		uint64_t k = keys[i];
		uint32_t got = bt_table_find(&t, k, bt_table_home(&t, k), keyof, NULL);
		assert_int_equal(got, present[i] ? i + 1 : 0);
		if (present[i] && rnd() % 2) {
			bt_table_remove(&t, k, (uint32_t)i + 1, keyof, NULL);
			present[i] = false;
			n--;
			check_clusters(&t, keyof);
		} else if (present[i]) {
			assert_int_equal(bt_table_insert(&t, k, (uint32_t)i + 1, keyof, NULL), -1);
		} else if (n < MAXN) {
			assert_false(bt_table_full(&t));
			assert_int_equal(bt_table_insert(&t, k, (uint32_t)i + 1, keyof, NULL), 0);
			present[i] = true;
			n++;
		}
		assert_int_equal(t.count, n);
	}
	/* every key, present or not, answers as the reference does */
	for (size_t i = 0; i < NKEYS; i++)
		assert_int_equal(bt_table_find(&t, keys[i], bt_table_home(&t, keys[i]), keyof, NULL),
				 present[i] ? i + 1 : 0);
	/* removing an absent entry changes nothing */
	for (size_t i = 0; i < NKEYS; i++)
		if (!present[i]) {
			bt_table_remove(&t, keys[i], (uint32_t)i + 1, keyof, NULL);
			break;
		}
	assert_int_equal(t.count, n);
}

static void test_stored_keys(void **state)
{
	(void)state;
	random_ops(true);
}

static void test_computed_keys(void **state)
{
	(void)state;
	random_ops(false);
}

/* The stop set's growth: half full -> twice the slots, every entry kept. */
static void test_growth(void **state)
{
	(void)state;
	bt_table t;
	size_t n = 16;
	bt_table_init(&t, calloc(n, sizeof(uint32_t)), calloc(n, sizeof(uint64_t)), n);
	uint64_t keys[5000];
	for (uint32_t i = 0; i < 5000; i++) {
		keys[i] = (uint64_t)(i % 255 + 1) << 32 | (uint32_t)rnd();
		if (bt_table_full(&t)) {
			uint32_t *ov = t.vals;
			uint64_t *ok = t.keys;
			size_t before = t.count;
			bt_table_move(&t, calloc(2 * n, sizeof(uint32_t)), calloc(2 * n, sizeof(uint64_t)), 2 * n);
			n *= 2;
			free(ov);
			free(ok);
			assert_int_equal(t.mask, n - 1);
			assert_int_equal(t.count, before);
			check_clusters(&t, NULL);
		}
		assert_int_equal(bt_table_insert(&t, keys[i], i + 1, NULL, NULL), 0);
		assert_true(t.count * 2 <= t.mask + 1);
	}
	for (uint32_t i = 0; i < 5000; i++)
		assert_int_equal(bt_table_find(&t, keys[i], bt_table_home(&t, keys[i]), NULL, NULL), i + 1);
	assert_int_equal(bt_table_size_for(4096), 8192);
	assert_int_equal(bt_table_size_for(1), 16);
	free(t.vals);
	free(t.keys);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stored_keys),
		cmocka_unit_test(test_computed_keys),
		cmocka_unit_test(test_growth),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
