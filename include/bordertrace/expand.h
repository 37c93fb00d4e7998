/* bordertrace — campaign target lists: addresses and CIDR prefixes, the
 * expansion rules (one address per IPv4 /24, one per IPv6 /48), and
 * exclusion lists.
 *
 * A campaign names prefixes as well as addresses; an IPv4 prefix stands for
 * one address in each of its /24s, chosen by a fixed hash, an IPv6 prefix for
 * ::1 of each of its /48s (or of itself, down to /64; longer ones by a hash),
 * so that every VP and every round probe the same addresses (doc/campaign.md
 * gives the rules so that other tools can reproduce them). Exclusions (an
 * opt-out blocklist, and the IANA special-purpose ranges) are applied after
 * expansion. Parsing is pure, over buffers; errors name the source and line.
 * Both families are expanded and filtered; which ones are probed is the
 * caller's business (the engine probes both). */
#ifndef BORDERTRACE_EXPAND_H
#define BORDERTRACE_EXPAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bordertrace/addrclass.h"
#include "bordertrace/targets.h"

/* Shortest target prefix accepted: a /8 stands for 65,536 targets already. */
#define BT_EXPAND_MIN_PREFIX 8
/* The same for IPv6: a typo guard (a /16 holds 2^32 /48s; the per-prefix cap
 * below refuses it unless raised, so most shorter prefixes fail twice). */
#define BT_EXPAND_MIN_PREFIX6 16
/* Default most targets one IPv6 prefix may expand to (the campaign setting
 * v6_max_per_prefix): 65,536 = every /48 of a /32, an ISP's allocation. */
#define BT_EXPAND_V6_MAX_PER_PREFIX 65536u
/* Most targets a campaign may hold (every /24 of IPv4), both families. */
#define BT_EXPAND_MAX_TARGETS (1u << 24)

/* An IPv6 address held as two host-order 64-bit halves (hi: bytes 0..7). */
typedef struct bt_u128 {
	uint64_t hi, lo;
} bt_u128;

bt_u128 bt_u128_from_bytes(const uint8_t b[16]);
void bt_u128_to_bytes(bt_u128 v, uint8_t b[16]);

/* The address chosen in a prefix (host order in, host order out):
 *   len >= 31 : net + (h % size)                 (every address usable)
 *   len 25..30: net + 1 + h % (size - 2)          (not network/broadcast)
 *   len <= 24 : for the /24 containing net: net24 + 1 + h % 254
 * with h = bt_expand_hash(net24 ^ seed) for the /24 (or the prefix's own
 * network for longer prefixes). */
uint32_t bt_expand_pick(uint32_t net, unsigned len, uint32_t seed);
/* The 32-bit mixer the rule uses (a murmur3-style finalizer, see the doc). */
uint32_t bt_expand_hash(uint32_t x);

/* The IPv6 rule's 64-bit hash of a prefix's network (bt_mix64, twice):
 *   h6 = mix64(mix64(hi ^ seed) ^ lo)   (hi, lo: the 64-bit halves). */
uint64_t bt_expand_hash6(bt_u128 net, uint32_t seed);
/* The address chosen in an IPv6 prefix (net has zero host bits):
 *   len <= 48 : for the /48 containing net: net48 + ::1
 *   len 49..64: net + ::1
 *   len 65..126: net + 1 + h6(net) % (size - 1)  (never the all-zero
 *                interface id, the subnet-router anycast of RFC 4291)
 *   len 127,128: net + h6(net) % size            (RFC 6164 /127 links) */
bt_u128 bt_expand_pick6(bt_u128 net, unsigned len, uint32_t seed);

/* Appends targets from a list: one address or prefix per line, '#' comments,
 * blanks skipped. A prefix must have zero host bits (a typo should not pick a
 * different network) and be at least /BT_EXPAND_MIN_PREFIX (IPv6:
 * /BT_EXPAND_MIN_PREFIX6); an IPv4 prefix adds one address per /24
 * (bt_expand_pick), an IPv6 prefix one per /48 (bt_expand_pick6), in
 * ascending order. An IPv6 prefix that would add more than v6_max targets is
 * refused (the line named), as are IPv4-mapped addresses (write IPv4) and
 * zone ids. Returns 0, or -1 with "name:line: 'token': reason" in err. */
int bt_expand_parse_capped(bt_targets *t, const char *buf, size_t len, const char *name,
			   uint32_t seed, uint32_t v6_max, char *err, size_t errlen);
/* The same with v6_max = BT_EXPAND_V6_MAX_PER_PREFIX. */
int bt_expand_parse(bt_targets *t, const char *buf, size_t len, const char *name,
		    uint32_t seed, char *err, size_t errlen);

/* An exclusion list: inclusive ranges per family, sorted and merged by _finish. */
typedef struct bt_exclude {
	uint32_t (*r)[2]; /* IPv4 [start, end], host order */
	size_t n, cap;
	bt_u128 (*r6)[2]; /* IPv6 [start, end] */
	size_t n6, cap6;
	bool sorted;
} bt_exclude;

void bt_exclude_init(bt_exclude *x);
void bt_exclude_free(bt_exclude *x);
/* Adds the lines of a list (addresses and prefixes of both families, '#'
 * comments). Host bits set in a prefix are tolerated and cleared: an
 * exclusion list errs on the side of excluding; for the same reason an
 * IPv4-mapped ::ffff:a.b.c.d[/96+n] excludes the IPv4 a.b.c.d/n. Zone ids
 * are refused. 0, or -1 with "name:line: ..." in err. */
int bt_exclude_parse(bt_exclude *x, const char *buf, size_t len, const char *name,
		     char *err, size_t errlen);
int bt_exclude_add(bt_exclude *x, uint32_t start, uint32_t end); /* 0 or -1 (memory) */
int bt_exclude_add6(bt_exclude *x, bt_u128 start, bt_u128 end);  /* 0 or -1 (memory) */
void bt_exclude_finish(bt_exclude *x);
/* True when the (host order) address lies in a range; needs _finish first. */
bool bt_exclude_has(const bt_exclude *x, uint32_t a);
bool bt_exclude_has6(const bt_exclude *x, bt_u128 a);
/* Either family (false for an empty address). */
bool bt_exclude_has_addr(const bt_exclude *x, const bt_addr *a);

/* Why targets of one family were dropped by bt_expand_filter. */
typedef struct bt_family_stats {
	size_t listed;      /* targets of this family before filtering */
	size_t kept;
	size_t special;     /* IANA special-purpose ranges (or, in lab mode, outside the test ranges) */
	size_t excluded;    /* on the exclusion list */
	size_t duplicates;  /* given more than once */
	size_t by_class[BT_CLASS_COUNT]; /* the special ones by address class
					    (PUBLIC: outside the test ranges, lab mode) */
} bt_family_stats;

/* Both families: the totals, then each family apart. */
typedef struct bt_filter_stats {
	size_t kept;
	size_t special;     /* includes targets with no address family (never from a list) */
	size_t excluded;
	size_t duplicates;
	bt_family_stats v4, v6;
} bt_filter_stats;

/* Keeps, in order, the targets a campaign may probe, of either family:
 *   lab == false: only addresses of no special purpose (bt_addrclass PUBLIC);
 *   lab == true : only the project's test hosts (bt_expand_lab_ok), so a lab campaign
 *                 can never reach a real network;
 * and in both cases none on the exclusion list x (may be NULL). Duplicates
 * are removed too (the first kept). */
void bt_expand_filter(bt_targets *t, const bt_exclude *x, bool lab, bt_filter_stats *st);

/* Whether a lies in the ranges the project's own test hosts use
 * (design.md): 198.18.0.0/15, 198.51.100.0/24, 203.0.113.0/24,
 * 2001:db8::/32. Not 192.0.2.0/24 (the machine itself uses it), nor the
 * other documentation and benchmarking blocks (3fff::/20, 2001:2::/48). */
bool bt_expand_lab_ok(const bt_addr *a);

/* Reorders targets by a permutation keyed by seed (Fisher-Yates over a
 * seeded generator): neighbouring networks are not probed back to back, and a
 * round is reproducible from its seed. */
void bt_expand_shuffle(bt_targets *t, uint64_t seed);

#endif
