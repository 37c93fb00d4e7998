/* bordertrace — the engine's IPv4 family (see family.h): raw socket check,
 * source and route lookups, the capture filter, address conversions. */
#include "family.h"

#include <libnet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

static int v4_raw_check(void)
{
	return bt_fam_raw_check(AF_INET);
}

static int v4_own_source(const bt_addr *src)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	sin.sin_addr.s_addr = bt_addr_v4(src);
	return bt_fam_bind_test(AF_INET, &sin, sizeof(sin));
}

static int v4_route(int fd, const bt_addr *dst, bt_addr *src)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(33435) };
	sin.sin_addr.s_addr = bt_addr_v4(dst);
	if (bt_fam_route_name(fd, &sin, sizeof(sin)) != 0)
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
	return bt_fam_filter(buf, len,
			     "(ip and icmp and (icmp[icmptype] == icmp-timxceed or icmp[icmptype] == icmp-unreach"
			     " or icmp[icmptype] == icmp-echoreply))",
			     "ip", "tcp[tcpflags] & (tcp-rst|tcp-syn)", method, flow, nflows);
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
