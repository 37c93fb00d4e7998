/* bordertrace — the packet-socket send path (`send_path = "packet"`,
 * `--send-path packet`; doc/probing.md, "Send path").
 *
 * An IPv4 probe is already whole when rendered (source, lengths,
 * checksums), so it can be handed to the outgoing device directly: an
 * AF_PACKET datagram socket, addressed with the device and the next hop's
 * link-layer address. That skips what a raw IP_HDRINCL sendto pays per
 * packet: the route lookup (and, on a route without a cached output entry,
 * a route cache entry allocated and freed) and the IP output path
 * (netfilter's output hooks included). The device's queueing discipline
 * stays: tc shaping applies, a full queue is ENOBUFS as for the raw socket,
 * and packet taps (tcpdump on the VP) see the probes.
 *
 * Where the probe goes is still the kernel's choice: per /24 the kernel is
 * asked (rtnetlink, as `ip route get`) for the route, and for the
 * gateway's entry in its neighbour table. A /24 is sent raw (the caller's
 * raw socket) whenever that answer is not simple: no unicast route, a
 * multipath route, a route with encapsulation or a nexthop object, an
 * on-link route on a device with ARP (each address its own neighbour), a
 * gateway whose neighbour entry is not valid (the raw send makes the kernel
 * resolve it; asked again 20 ms later), a device that is down or of
 * another link type than Ethernet or none (TUN, WireGuard), or a /24 that
 * holds a route longer than /24. The whole run is sent raw when the host
 * has policy routing (rules beyond the three default ones) or a device was
 * given (-i). Answers are kept a second (routes and neighbours may
 * change). IPv6 targets are always sent raw. */
#ifndef BT_PROBER_LINKOUT_H
#define BT_PROBER_LINKOUT_H

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BT_LINKOUT_CACHE 4096   /* /24s (direct-mapped) */
#define BT_LINKOUT_TTL_US 1000000 /* an answer is kept this long ... */
#define BT_LINKOUT_NEIGH_US 20000 /* ... "raw: the gateway is not resolved yet" this long */
#define BT_LINKOUT_LONG 256     /* /24s holding a longer route, at most */
#define BT_LINKOUT_DEVS 8       /* devices whose link type is known */

typedef struct bt_linkout_slot {
	uint32_t net;           /* the /24, host order */
	uint8_t state;          /* 0 empty, 1 packet socket, 2 raw */
	uint64_t until;         /* run clock (µs) until which it holds */
	struct sockaddr_ll ll;  /* state 1: where it goes */
} bt_linkout_slot;

typedef struct bt_linkout {
	int fd;                 /* the packet socket; -1: the path is off */
	int nl;                 /* rtnetlink, for the lookups */
	uint32_t seq;
	char off[160];          /* why the whole run is sent raw ("" when not) */
	uint32_t nlong;
	uint32_t lng[BT_LINKOUT_LONG]; /* /24s (host order) holding a route longer than /24 */
	struct { int ifindex; int ok; } dev[BT_LINKOUT_DEVS]; /* ok: 1 none, 2 Ethernet, -1 raw */
	unsigned ndev;
	struct { int ifindex; uint32_t gw; uint64_t until; uint8_t mac[6]; } gw; /* the last gateway resolved */
	uint64_t sent_packet;   /* IPv4 probes by the packet socket (the run) */
	bt_linkout_slot *slot;  /* BT_LINKOUT_CACHE of them */
} bt_linkout;

/* Opens the packet socket and the route lookups (needs CAP_NET_RAW) and
 * reads the host's policy rules and long routes. device: the -i device,
 * or NULL. A host where the path cannot be used (policy routing, a device
 * given, no rtnetlink) is not an error: lo->off says why, every probe goes
 * raw. 0, or -1 with a message (no packet socket: privilege, memory). */
int bt_linkout_open(bt_linkout *lo, const char *device, char *err, size_t errlen);
void bt_linkout_close(bt_linkout *lo);
/* Forgets the answers (a new run). */
void bt_linkout_reset(bt_linkout *lo);

/* Where an IPv4 probe to dst (network order) goes by the packet socket,
 * or NULL: send it raw. now: the run's clock in µs. */
const struct sockaddr_ll *bt_linkout_resolve(bt_linkout *lo, uint32_t dst, uint64_t now);

static inline const struct sockaddr_ll *bt_linkout_for(bt_linkout *lo, uint32_t dst, uint64_t now)
{
	uint32_t net = ntohl(dst) >> 8;
	bt_linkout_slot *s = &lo->slot[(net ^ net >> 12) & (BT_LINKOUT_CACHE - 1)];
	if (__builtin_expect(s->net == net && s->state != 0 && now < s->until, 1))
		return s->state == 1 ? &s->ll : NULL;
	return bt_linkout_resolve(lo, dst, now);
}

#endif
