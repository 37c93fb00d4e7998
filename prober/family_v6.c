/* bordertrace — the engine's IPv6 family (see family.h): raw socket check,
 * source and route lookups, the capture filter. Addresses inside the
 * engine are handles (intern6.h) and folds (bt_fold6), so from_addr and
 * to_addr are left out: the engine and the spool convert through the run's
 * intern table. */
#include "family.h"
#include "reply_int.h"
#include "bordertrace/reply6.h"

#include <libnet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int v6_raw_check(void)
{
	return bt_fam_raw_check(AF_INET6);
}

static int v6_own_source(const bt_addr *src)
{
	struct sockaddr_in6 sin = { .sin6_family = AF_INET6 };
	memcpy(&sin.sin6_addr, src->bytes, 16);
	return bt_fam_bind_test(AF_INET6, &sin, sizeof(sin));
}

static int v6_route(int fd, const bt_addr *dst, bt_addr *src)
{
	struct sockaddr_in6 sin = { .sin6_family = AF_INET6, .sin6_port = htons(33435) };
	memcpy(&sin.sin6_addr, dst->bytes, 16);
	if (bt_fam_route_name(fd, &sin, sizeof(sin)) != 0)
		return -1;
	memset(src, 0, sizeof(*src));
	src->family = AF_INET6;
	memcpy(src->bytes, &sin.sin6_addr, 16);
	return 0;
}

/* Per /64: the subnet size of IPv6; a route finer than a /64 with another
 * source is rarer still than a finer-than-/24 one for IPv4. */
static uint64_t v6_route_prefix(const bt_addr *dst)
{
	uint64_t p = 0;
	for (int i = 0; i < 8; i++)
		p = p << 8 | dst->bytes[i];
	return p;
}

/* ICMPv6 errors and echo replies right after the IPv6 header (type at
 * byte 40), and any ICMPv6 behind one extension header (hop-by-hop,
 * routing, fragment, destination options; the parser sorts them out).
 * Not "ip6 protochain 58": it compiles to a loop, which the kernel's BPF
 * refuses, and libpcap then filters in user space every packet the
 * interface sees (IPv4 runs included). A reply behind two or more
 * extension headers is not captured. TCP: RST or SYN from the probed port
 * to ours, flags at 40 + 13 (no extension header expected). */
static int v6_filter(char *buf, size_t len, bt_method method, const bt_flow *flow, uint16_t nflows)
{
	return bt_fam_filter(buf, len,
			     "(icmp6 and (ip6[40] == 1 or ip6[40] == 3 or ip6[40] == 129))"
			     " or (ip6 and (ip6[6] == 0 or ip6[6] == 43 or ip6[6] == 44 or ip6[6] == 60)"
			     " and ip6[40] == 58)",
			     "ip6", "ip6[53] & 0x06", method, flow, nflows);
}

const bt_family bt_family_v6 = {
	.af = AF_INET6,
	.name = "IPv6",
	.injection = LIBNET_RAW6,
	.raw_check = v6_raw_check,
	.own_source = v6_own_source,
	.route = v6_route,
	.route_prefix = v6_route_prefix,
	.filter = v6_filter,
};

/* Whether a captured packet carries IPv6 (for which parser's status to
 * count when neither takes it). */
bool bt_family_v6_is_ip6(const uint8_t *pkt, size_t caplen, int dlt)
{
	size_t off = 0;
	uint16_t et = 0;
	if (bt_reply_link(pkt, caplen, dlt, 0, &off, &et) != BT_REPLY_OK)
		return false;
	if (et == 0)
		return off < caplen && pkt[off] >> 4 == 6;
	return et == BT_ETHERTYPE_IPV6;
}

/* An IPv6 reply as the family-blind part of the engine takes it: its
 * source as a handle (0 when out of memory), the hop limits as TTLs. */
void bt_family_v6_reply(bt_reply *r, const bt_reply6 *r6, bt_faddr src)
{
	memset(r, 0, sizeof(*r));
	r->src = src;
	r->ttl = r6->hlim;
	r->ip_len = r6->plen > UINT16_MAX - 40 ? UINT16_MAX : (uint16_t)(r6->plen + 40);
	r->proto = r6->proto;
	r->icmp_type = r6->icmp_type;
	r->icmp_code = r6->icmp_code;
	r->quoted = r6->quoted;
	r->q_ttl = r6->q_hlim;
	r->tcp_flags = r6->tcp_flags;
	r->mpls_count = r6->mpls_count;
	memcpy(r->mpls, r6->mpls, sizeof(r->mpls));
}
