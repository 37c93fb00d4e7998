/* bordertrace — what the engine's families share (see family.h): the
 * family for an af, the bind test of a source, the route lookup by a
 * connected datagram socket, and the shape of the capture filter. */
#include "family.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

const bt_family *bt_family_for(int af)
{
	return af == AF_INET ? &bt_family_v4 : af == AF_INET6 ? &bt_family_v6 : NULL;
}

int bt_fam_raw_check(int af)
{
	int s = socket(af, SOCK_RAW, IPPROTO_RAW);
	if (s < 0)
		return -1;
	close(s);
	return 0;
}

int bt_fam_bind_test(int af, const void *sa, size_t salen)
{
	/* The source must be ours, or replies would never come back here. */
	int u = socket(af, SOCK_DGRAM, 0);
	int rc = u < 0 ? -1 : bind(u, (const struct sockaddr *)sa, (socklen_t)salen);
	int saved = errno;
	if (u >= 0)
		close(u);
	errno = saved;
	return rc == 0 ? 0 : -1;
}

int bt_fam_route_name(int fd, void *sa, size_t salen)
{
	socklen_t sl = (socklen_t)salen;
	int rc = connect(fd, (struct sockaddr *)sa, (socklen_t)salen);
	if (rc == 0)
		rc = getsockname(fd, (struct sockaddr *)sa, &sl);
	return rc == 0 ? 0 : -1;
}

int bt_fam_filter(char *buf, size_t len, const char *icmp, const char *ip, const char *tcpflags,
		  bt_method method, const bt_flow *flow, uint16_t nflows)
{
	int n = snprintf(buf, len, "%s", icmp);
	if (n < 0 || (size_t)n >= len)
		return -1;
	if (method == BT_METHOD_TCP_SYN) {
		int k = snprintf(buf + n, len - (size_t)n,
			 " or (%s and tcp and src port %u and dst portrange %u-%u and %s != 0)",
			 ip, flow->dport, flow->sport, flow->sport + nflows - 1, tcpflags);
		if (k < 0 || (size_t)k >= len - (size_t)n)
			return -1;
	}
	return 0;
}
