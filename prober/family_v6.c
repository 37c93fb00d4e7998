/* bordertrace — the engine's IPv6 family (see family.h): raw socket check,
 * source and route lookups, the capture filter. Addresses inside the
 * engine are handles (intern6.h) and folds (bt_fold6), so from_addr and
 * to_addr are left out: the engine and the spool convert through the run's
 * intern table. */
#include "family.h"

#include <errno.h>
#include <libnet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int v6_raw_check(void)
{
	int s = socket(AF_INET6, SOCK_RAW, IPPROTO_RAW);
	if (s < 0)
		return -1;
	close(s);
	return 0;
}

static int v6_own_source(const bt_addr *src)
{
	int u = socket(AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 sin = { .sin6_family = AF_INET6 };
	memcpy(&sin.sin6_addr, src->bytes, 16);
	int rc = u < 0 ? -1 : bind(u, (struct sockaddr *)&sin, sizeof(sin));
	int saved = errno;
	if (u >= 0)
		close(u);
	errno = saved;
	return rc == 0 ? 0 : -1;
}

static int v6_route(int fd, const bt_addr *dst, bt_addr *src)
{
	struct sockaddr_in6 sin = { .sin6_family = AF_INET6, .sin6_port = htons(33435) };
	memcpy(&sin.sin6_addr, dst->bytes, 16);
	socklen_t sl = sizeof(sin);
	int rc = connect(fd, (struct sockaddr *)&sin, sizeof(sin));
	if (rc == 0)
		rc = getsockname(fd, (struct sockaddr *)&sin, &sl);
	if (rc != 0)
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
 * byte 40), and, for replies behind extension headers, anything whose
 * chain reaches ICMPv6 ("ip6 protochain 58"; the parser sorts those out).
 * TCP: RST or SYN from the probed port to ours, flags at 40 + 13 (a TCP
 * reply behind extension headers is not expected). */
static int v6_filter(char *buf, size_t len, bt_method method, const bt_flow *flow, uint16_t nflows)
{
	int n = snprintf(buf, len,
		"(icmp6 and (ip6[40] == 1 or ip6[40] == 3 or ip6[40] == 129))"
		" or (ip6 and not icmp6 and ip6 protochain 58)");
	if (n < 0 || (size_t)n >= len)
		return -1;
	if (method == BT_METHOD_TCP_SYN) {
		int k = snprintf(buf + n, len - (size_t)n,
			 " or (ip6 and tcp and src port %u and dst portrange %u-%u and ip6[53] & 0x06 != 0)",
			 flow->dport, flow->sport, flow->sport + nflows - 1);
		if (k < 0 || (size_t)k >= len - (size_t)n)
			return -1;
	}
	return 0;
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
