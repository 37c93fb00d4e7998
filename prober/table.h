/* bordertrace — the engine's open-addressing table: 64-bit keys to non-zero
 * 32-bit values (0 marks an empty slot), linear probing, backward-shift
 * deletion (no tombstones, so it never degrades however many keys pass
 * through), a power-of-two size, slots found by bt_hash_slot.
 *
 * Two uses, one code:
 *  - keys computed from values (the target table: (flow, dst) -> pool
 *    index + 1, the key read from the pool entry): no key array; every
 *    operation takes a key function and its context. The operations are
 *    always inlined, so a constant key function is inlined too and the
 *    lookup costs what a hand-written one would;
 *  - stored keys (the split-TTL stop set: (ttl, addr) -> input entry + 1):
 *    pass keyof NULL; the keys sit in their own array beside the values.
 *
 * The table never allocates: the caller gives it its arrays (the engine
 * counts every byte of per-run state), and growth is a rehash into larger
 * arrays (bt_table_move). */
#ifndef BT_PROBER_TABLE_H
#define BT_PROBER_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bordertrace/hash.h"

/* The key of a stored value, for tables without a key array. */
typedef uint64_t (*bt_table_keyof)(const void *ctx, uint32_t val);

typedef struct bt_table {
	uint32_t *vals;         /* mask + 1 slots; 0: empty */
	uint64_t *keys;         /* mask + 1 keys, or NULL: keys computed */
	size_t mask;
	size_t count;
} bt_table;

#define BT_TABLE_INLINE static inline __attribute__((always_inline))

/* Uses vals (and keys, or NULL) of a power-of-two n slots, zeroed. */
static inline void bt_table_init(bt_table *t, uint32_t *vals, uint64_t *keys, size_t n)
{
	t->vals = vals;
	t->keys = keys;
	t->mask = n - 1;
	t->count = 0;
}

/* The smallest power-of-two size (at least 16) with n entries at most half
 * full. */
static inline size_t bt_table_size_for(size_t n)
{
	size_t s = 16;
	while (s < n * 2)
		s <<= 1;
	return s;
}

/* The home slot of key: computed once per reply and prefetched. */
static inline size_t bt_table_home(const bt_table *t, uint64_t key)
{
	return bt_hash_slot(key, t->mask);
}

BT_TABLE_INLINE uint64_t bt_table_key_at(const bt_table *t, size_t i, bt_table_keyof keyof, const void *ctx)
{
	return keyof ? keyof(ctx, t->vals[i]) : t->keys[i];
}

/* The value of key, searched from its home slot h; 0 if none. */
BT_TABLE_INLINE uint32_t bt_table_find(const bt_table *t, uint64_t key, size_t h, bt_table_keyof keyof,
				       const void *ctx)
{
	for (size_t i = h;; i = (i + 1) & t->mask) {
		if (t->vals[i] == 0)
			return 0;
		if (bt_table_key_at(t, i, keyof, ctx) == key)
			return t->vals[i];
	}
}

/* Adds key -> val (non-zero). -1 if key is there already. The caller keeps
 * the table at most half full (bt_table_full). */
BT_TABLE_INLINE int bt_table_insert(bt_table *t, uint64_t key, uint32_t val, bt_table_keyof keyof,
				    const void *ctx)
{
	for (size_t i = bt_table_home(t, key);; i = (i + 1) & t->mask) {
		if (t->vals[i] == 0) {
			t->vals[i] = val;
			if (keyof == NULL)
				t->keys[i] = key;
			t->count++;
			return 0;
		}
		if (bt_table_key_at(t, i, keyof, ctx) == key)
			return -1;
	}
}

/* Adds key -> val (non-zero) without looking for key first: for a table
 * whose keys may collide (IPv6 folds), the caller having told the entries
 * of one key apart itself. The caller keeps the table at most half full. */
BT_TABLE_INLINE void bt_table_add(bt_table *t, uint64_t key, uint32_t val)
{
	size_t i = bt_table_home(t, key);
	while (t->vals[i] != 0)
		i = (i + 1) & t->mask;
	t->vals[i] = val;
	if (t->keys != NULL)
		t->keys[i] = key;
	t->count++;
}

/* Removes the entry of value val, whose key is key (nothing if absent).
 * Each entry after it in the cluster moves back into the hole unless its
 * home lies cyclically in (hole, its slot]. */
BT_TABLE_INLINE void bt_table_remove(bt_table *t, uint64_t key, uint32_t val, bt_table_keyof keyof,
				     const void *ctx)
{
	size_t i = bt_table_home(t, key);
	while (t->vals[i] != 0 && t->vals[i] != val)
		i = (i + 1) & t->mask;
	if (t->vals[i] == 0)
		return;
	for (size_t j = i;;) {
		j = (j + 1) & t->mask;
		if (t->vals[j] == 0)
			break;
		size_t k = bt_table_home(t, bt_table_key_at(t, j, keyof, ctx));
		bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
		if (stays)
			continue;
		t->vals[i] = t->vals[j];
		if (keyof == NULL)
			t->keys[i] = t->keys[j];
		i = j;
	}
	t->vals[i] = 0;
	t->count--;
}

/* Whether one more entry would make the table more than half full. */
static inline bool bt_table_full(const bt_table *t)
{
	return (t->count + 1) * 2 > t->mask + 1;
}

/* Rehashes a stored-key table into vals and keys of n slots (zeroed, a
 * power of two, room for every entry); the old arrays are the caller's to
 * free afterwards. */
void bt_table_move(bt_table *t, uint32_t *vals, uint64_t *keys, size_t n);

#endif
