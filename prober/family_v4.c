/* bordertrace — the engine's IPv4 family (see family.h): raw socket check,
 * source and route lookups, the capture filter, address conversions. */
#include "family.h"

#include <errno.h>
#include <libnet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

static int v4_raw_check(void)
{
	int s = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (s < 0)
		return -1;
	close(s);
	return 0;
}

static int v4_own_source(const bt_addr *src)
{
	/* The source must be ours, or replies would never come back here. */
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sin = { .sin_family = AF_INET };
	sin.sin_addr.s_addr = bt_addr_v4(src);
	int rc = u < 0 ? -1 : bind(u, (struct sockaddr *)&sin, sizeof(sin));
	int saved = errno;
	if (u >= 0)
		close(u);
	errno = saved;
	return rc == 0 ? 0 : -1;
}

static int v4_route(int fd, const bt_addr *dst, bt_addr *src)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(33435) };
	sin.sin_addr.s_addr = bt_addr_v4(dst);
	socklen_t sl = sizeof(sin);
	int rc = connect(fd, (struct sockaddr *)&sin, sizeof(sin));
	if (rc == 0)
		rc = getsockname(fd, (struct sockaddr *)&sin, &sl);
	if (rc != 0)
		return -1;
	bt_addr_from_v4(src, sin.sin_addr.s_addr);
	return 0;
}

/* A route finer than a /24 with another source is rare enough to ignore. */
static uint64_t v4_route_prefix(const bt_addr *dst)
{
	return ntohl(bt_addr_v4(dst)) >> 8;
}

static int v4_filter(char *buf, size_t len, bt_method method, const bt_flow *flow, uint16_t nflows)
{
	int n = snprintf(buf, len,
		"(ip and icmp and (icmp[icmptype] == icmp-timxceed or icmp[icmptype] == icmp-unreach"
		" or icmp[icmptype] == icmp-echoreply))");
	if (n < 0 || (size_t)n >= len)
		return -1;
	if (method == BT_METHOD_TCP_SYN) {
		int k = snprintf(buf + n, len - (size_t)n,
			 " or (ip and tcp and src port %u and dst portrange %u-%u and tcp[tcpflags] & (tcp-rst|tcp-syn) != 0)",
			 flow->dport, flow->sport, flow->sport + nflows - 1);
		if (k < 0 || (size_t)k >= len - (size_t)n)
			return -1;
	}
	return 0;
}

static bt_faddr v4_from_addr(const bt_addr *a)
{
	return bt_addr_v4(a);
}

static void v4_to_addr(bt_addr *a, bt_faddr x)
{
	bt_addr_from_v4(a, x);
}

const bt_family bt_family_v4 = {
	.af = AF_INET,
	.name = "IPv4",
	.injection = LIBNET_RAW4,
	.raw_check = v4_raw_check,
	.own_source = v4_own_source,
	.route = v4_route,
	.route_prefix = v4_route_prefix,
	.filter = v4_filter,
	.from_addr = v4_from_addr,
	.to_addr = v4_to_addr,
};

const bt_family *bt_family_for(int af)
{
	return af == AF_INET ? &bt_family_v4 : af == AF_INET6 ? &bt_family_v6 : NULL;
}
