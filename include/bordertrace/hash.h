/* bordertrace — the project's hash mixers, in one place.
 *
 * Integer finalisers for open-addressing tables and for the fixed hash rules
 * that pick one address per prefix. They are part of documented behaviour
 * (doc/campaign.md: which address of a /24 is probed), so their constants
 * never change. Inline: they sit on the engine's per-probe path. */
#ifndef BORDERTRACE_HASH_H
#define BORDERTRACE_HASH_H

#include <stddef.h>
#include <stdint.h>

/* A 32-bit finaliser (Chris Wellons' "lowbias32" family): every input bit
 * moves every output bit. */
static inline uint32_t bt_hash32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	x *= 0x846ca68bU;
	x ^= x >> 16;
	return x;
}

/* splitmix64's finaliser: the 64-bit counterpart. */
static inline uint64_t bt_mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

/* splitmix64 as a generator: advances *state and returns the next value
 * (seedable and reproducible: used to order targets). */
static inline uint64_t bt_splitmix64(uint64_t *state)
{
	return bt_mix64(*state += 0x9e3779b97f4a7c15ULL);
}

/* A 64-bit key folded to a table index under a power-of-two mask. */
static inline size_t bt_hash_slot(uint64_t key, size_t mask)
{
	return bt_hash32((uint32_t)key ^ (uint32_t)(key >> 32) * 0x9e3779b9U) & mask;
}

#endif
