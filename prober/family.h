/* bordertrace — the engine's address-family seam.
 *
 * Everything the engine does that depends on the address family sits behind
 * this header (family_v4.c, family_v6.c, and the run's IPv6 address handles
 * in intern6.h), not in the state machine of engine.c.
 *
 * Two kinds of entry point, by how often they run:
 *  - per run, per target or per prefix (privilege check, probe builder,
 *    source check, route lookup, capture filter): a table of functions,
 *    bt_family, one per family; an indirect call there costs nothing
 *    measurable;
 *  - per probe and per reply (emit, parse + match): direct calls, not an
 *    indirect one, which is measurable at 500k probes a second. One engine
 *    holds both families: each target carries its family (one bit of the
 *    pool entry), and the per-probe and per-packet paths branch on it
 *    (engine.c: send_probe, on_packet), IPv4 on the predicted side; the
 *    inline functions below are IPv4's side. */
#ifndef BT_PROBER_FAMILY_H
#define BT_PROBER_FAMILY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bordertrace/addr.h"
#include "bordertrace/hash.h"
#include "bordertrace/probe.h"
#include "bordertrace/reply.h"

/* An address as the pool, the tables and the spool keep it: for IPv4 the
 * address in network order; for IPv6 a handle, so that the pool entry and
 * the spool record keep their 32 bytes:
 *  - a reply's source and a target's source: the address's handle in the
 *    run's intern table (intern6.h), exact;
 *  - a target's destination: bt_fold6 of the address, a 32-bit hash that
 *    may collide; the target table confirms it against the input address.
 * BT_FADDR_NONE (0) is "no address" for both. */
typedef uint32_t bt_faddr;
#define BT_FADDR_NONE ((bt_faddr){ 0 })

static inline bool bt_faddr_is_set(bt_faddr a)
{
	return a != 0;
}

typedef struct bt_family {
	int af;                 /* AF_INET, AF_INET6 */
	const char *name;       /* "IPv4", for messages */
	int injection;          /* libnet injection type: LIBNET_RAW4, LIBNET_RAW6 */
	/* Opens and closes a raw socket of the family: whether we may send.
	 * 0, or -1 with errno set. */
	int (*raw_check)(void);
	/* Whether src is an address of this host (a bind test). 0, or -1 with
	 * errno set. */
	int (*own_source)(const bt_addr *src);
	/* The source the kernel would use toward dst, found by connecting the
	 * datagram socket fd (of family af; nothing is sent). 0, or -1 with
	 * errno set. */
	int (*route)(int fd, const bt_addr *dst, bt_addr *src);
	/* The prefix whose targets share one cached route lookup (IPv4: /24,
	 * IPv6: /64), as a number. */
	uint64_t (*route_prefix)(const bt_addr *dst);
	/* The capture filter that keeps replies to probes of method (flows
	 * flow->flow .. + nflows - 1). 0, or -1 if it does not fit. */
	int (*filter)(char *buf, size_t len, bt_method method, const bt_flow *flow, uint16_t nflows);
	/* IPv4 only: the address itself (IPv6 goes through the intern table
	 * and bt_fold6). */
	bt_faddr (*from_addr)(const bt_addr *a);
	void (*to_addr)(bt_addr *a, bt_faddr x);
} bt_family;

extern const bt_family bt_family_v4;
extern const bt_family bt_family_v6;

/* The engine's IPv6 reply path (prober/family_v6.c): whether a captured
 * packet carries IPv6 (to count the right parser's status when neither
 * takes it), and an IPv6 reply as the family-blind engine takes it (its
 * source as the handle src, hop limits as TTLs). */
struct bt_reply6;
bool bt_family_v6_is_ip6(const uint8_t *pkt, size_t caplen, int dlt);
void bt_family_v6_reply(bt_reply *r, const struct bt_reply6 *r6, bt_faddr src);

/* The family for af (AF_INET, AF_INET6), or NULL when the engine has none
 * for it. */
const bt_family *bt_family_for(int af);

/* Shared by the families (family.c). Opens and closes a raw socket of af:
 * whether we may send. 0, or -1 with errno set. */
int bt_fam_raw_check(int af);
/* A bind test of the socket address sa
 * (of family af): whether it is this host's. 0, or -1 with errno set. */
int bt_fam_bind_test(int af, const void *sa, size_t salen);
/* Connects the datagram socket fd to sa (nothing is sent) and reads back
 * into sa the local address the kernel chose. 0, or -1 with errno set. */
int bt_fam_route_name(int fd, void *sa, size_t salen);
/* The capture filter: icmp, then for tcp-syn RST/SYN from the probed port
 * to ours, over the network protocol ip ("ip", "ip6"), the flags tested by
 * the expression tcpflags. 0, or -1 if it does not fit. */
int bt_fam_filter(char *buf, size_t len, const char *icmp, const char *ip, const char *tcpflags,
		  bt_method method, const bt_flow *flow, uint16_t nflows);

/* A table key of (a 16-bit tag, an address): (flow index, destination) in
 * the target table, (TTL, interface) in the stop set; IPv4. */
static inline uint64_t bt_faddr_key(uint16_t tag, bt_faddr a)
{
	return (uint64_t)tag << 32 | a;
}

/* The family bit of a key (bit 48, above the 16-bit tag): an IPv4 key and
 * an IPv6 key never collide, whatever their 32-bit addresses. */
#define BT_FKEY_V6 (1ull << 48)

/* The key of (tag, a) for a target of family v6 (0: IPv4, 1: IPv6). */
static inline uint64_t bt_fkey(unsigned v6, uint16_t tag, bt_faddr a)
{
	return (uint64_t)v6 << 48 | bt_faddr_key(tag, a);
}

/* An IPv6 destination folded to 32 bits (a hash: distinct addresses may
 * fold alike; the target table confirms the match). */
static inline bt_faddr bt_fold6(const uint8_t *a)
{
	uint64_t hi, lo;
	__builtin_memcpy(&hi, a, 8);
	__builtin_memcpy(&lo, a + 8, 8);
	uint64_t m = bt_mix64(hi ^ bt_mix64(lo ^ 0x6a09e667f3bcc909ULL));
	return (uint32_t)(m ^ m >> 32);
}

/* One IPv4 probe out (see bt_probe_emit: -1 with errno kept). IPv6:
 * bt_probe6_emit, called by the engine on the other side of its branch on
 * the target's family. */
static inline int bt_fam_emit(const bt_family *fam, bt_probe_builder *pb, const bt_flow *f, bt_faddr src,
			      bt_faddr dst, uint8_t ttl, uint8_t attempt, char *err, size_t errlen)
{
	(void)fam;
	return bt_probe_emit(pb, f, src, dst, ttl, attempt, err, errlen);
}

/* One captured packet, as IPv4: parsed and, when it is a reply, matched
 * against the run's flows. BT_REPLY_OK with *m filled; BT_REPLY_OTHER also
 * when it parses but answers none of our probes, or is not IPv4 at all (the
 * engine then tries IPv6); another status when it is malformed. */
static inline bt_reply_status bt_fam_parse_match(const bt_family *fam, const uint8_t *pkt, size_t caplen, int dlt,
						 const bt_flow *base, uint16_t nflows, bt_reply *r, bt_match *m)
{
	(void)fam;
	bt_reply_status s = bt_reply_parse(pkt, caplen, dlt, r);
	if (s != BT_REPLY_OK)
		return s;
	return bt_probe_match_flows(base, nflows, r, m) == 0 ? BT_REPLY_OK : BT_REPLY_OTHER;
}

/* The reply's source and the matched probe's destination. */
static inline bt_faddr bt_fam_reply_src(const bt_reply *r)
{
	return r->src;
}
static inline bt_faddr bt_fam_match_dst(const bt_match *m)
{
	return m->dst;
}

#endif
