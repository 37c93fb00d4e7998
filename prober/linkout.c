/* bordertrace — the packet-socket send path (see linkout.h). */
#include "linkout.h"

#include <errno.h>
#include <linux/fib_rules.h>
#include <linux/if.h>
#include <linux/if_arp.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/ethernet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- rtnetlink: one request, its answers ---- */

typedef int (*nl_each)(const struct nlmsghdr *h, void *arg);

/* Sends the request (header + body of len bytes) and hands each answer to
 * each until the dump is done or the one answer came. 0, or -1 (an error
 * answer, or the socket failed). */
static int nl_ask(bt_linkout *lo, struct nlmsghdr *req, nl_each each, void *arg)
{
	req->nlmsg_seq = ++lo->seq;
	if (send(lo->nl, req, req->nlmsg_len, 0) != (ssize_t)req->nlmsg_len)
		return -1;
	bool dump = (req->nlmsg_flags & NLM_F_DUMP) != 0;
	static __thread uint8_t buf[32768] __attribute__((aligned(4)));
	for (;;) {
		ssize_t n = recv(lo->nl, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != lo->seq)
				continue; /* a late answer to an earlier request */
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);
				return e->error == 0 ? 0 : -1;
			}
			if (each(h, arg) != 0)
				return -1;
			if (!dump)
				return 0;
		}
	}
}

/* Appends attribute type with len bytes of data to the request. */
static void nl_put(struct nlmsghdr *h, unsigned short type, const void *data, unsigned short len)
{
	struct rtattr *a = (struct rtattr *)((uint8_t *)h + NLMSG_ALIGN(h->nlmsg_len));
	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + RTA_ALIGN(a->rta_len);
}

typedef struct nl_req {
	struct nlmsghdr h;
	union {
		struct rtmsg rt;
		struct fib_rule_hdr rule;
		struct ifinfomsg ifi;
		struct ndmsg nd;
	} u;
	uint8_t attrs[64];
} nl_req;

static void req_init(nl_req *r, unsigned short type, unsigned short flags, size_t body)
{
	memset(r, 0, sizeof(*r));
	r->h.nlmsg_len = (uint32_t)NLMSG_LENGTH(body);
	r->h.nlmsg_type = type;
	r->h.nlmsg_flags = (unsigned short)(NLM_F_REQUEST | flags);
}

/* ---- what the host's routing allows, read once when opening ---- */

/* Policy routing: any rule but the three defaults (local, main, default
 * tables; no selector) may make the route depend on more than the
 * destination; so may any fourth rule, whatever it says. */
typedef struct rules {
	int n, policy;
} rules;

static int each_rule(const struct nlmsghdr *h, void *arg)
{
	rules *rs = arg;
	int *policy = &rs->policy;
	if (++rs->n > 3)
		*policy = 1;
	const struct fib_rule_hdr *r = NLMSG_DATA(h);
	unsigned table = r->table;
	int len = (int)RTM_PAYLOAD(h);
	for (const struct rtattr *a = (const struct rtattr *)((const uint8_t *)r + NLMSG_ALIGN(sizeof(*r)));
	     RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		int32_t v = -1;
		if (RTA_PAYLOAD(a) == 4)
			memcpy(&v, RTA_DATA(a), 4);
		if (a->rta_type == FRA_TABLE)
			table = (unsigned)v;
		else if ((a->rta_type == FRA_SUPPRESS_PREFIXLEN || a->rta_type == FRA_SUPPRESS_IFGROUP) && v == -1)
			continue; /* -1: none */
		else if (a->rta_type != FRA_PRIORITY && a->rta_type != FRA_PROTOCOL)
			*policy = 1;
	}
	if (r->src_len || r->dst_len || r->tos || r->action != FR_ACT_TO_TBL ||
	    (table != RT_TABLE_LOCAL && table != RT_TABLE_MAIN && table != RT_TABLE_DEFAULT))
		*policy = 1;
	return 0;
}

/* The /24s that hold a route longer than /24 (outside the local table):
 * a /24's answer then depends on the address. */
static int each_route(const struct nlmsghdr *h, void *arg)
{
	bt_linkout *lo = arg;
	const struct rtmsg *r = NLMSG_DATA(h);
	if (r->rtm_family != AF_INET || r->rtm_dst_len <= 24)
		return 0;
	unsigned table = r->rtm_table;
	uint32_t dst = 0;
	int len = (int)RTM_PAYLOAD(h);
	for (const struct rtattr *a = RTM_RTA(r); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == RTA_TABLE)
			memcpy(&table, RTA_DATA(a), 4);
		else if (a->rta_type == RTA_DST)
			memcpy(&dst, RTA_DATA(a), 4);
	}
	if (table == RT_TABLE_LOCAL)
		return 0;
	if (lo->nlong == BT_LINKOUT_LONG) {
		snprintf(lo->off, sizeof(lo->off), "more than %d /24s hold routes longer than /24", BT_LINKOUT_LONG);
		return 0;
	}
	lo->lng[lo->nlong++] = ntohl(dst) >> 8;
	return 0;
}

static void read_routing(bt_linkout *lo)
{
	nl_req r;
	rules rs = { 0, 0 };
	req_init(&r, RTM_GETRULE, NLM_F_DUMP, sizeof(r.u.rule));
	r.u.rule.family = AF_INET;
	if (nl_ask(lo, &r.h, each_rule, &rs) != 0) {
		snprintf(lo->off, sizeof(lo->off), "the policy rules could not be read");
		return;
	}
	if (rs.policy) {
		snprintf(lo->off, sizeof(lo->off), "policy routing (rules beyond the default ones)");
		return;
	}
	req_init(&r, RTM_GETROUTE, NLM_F_DUMP, sizeof(r.u.rt));
	r.u.rt.rtm_family = AF_INET;
	if (nl_ask(lo, &r.h, each_route, lo) != 0)
		snprintf(lo->off, sizeof(lo->off), "the routes could not be read");
}

int bt_linkout_open(bt_linkout *lo, const char *device, char *err, size_t errlen)
{
	memset(lo, 0, sizeof(*lo));
	lo->nl = -1;
	lo->fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0); /* protocol 0: receives nothing */
	if (lo->fd < 0) {
		snprintf(err, errlen, "packet socket: %s", strerror(errno));
		return -1;
	}
	int sz = 1048576;
	(void)setsockopt(lo->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz)); /* clamped, as the raw socket's */
	lo->slot = calloc(BT_LINKOUT_CACHE, sizeof(*lo->slot));
	if (lo->slot == NULL) {
		bt_linkout_close(lo);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	lo->nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (device)
		snprintf(lo->off, sizeof(lo->off), "an interface was given (-i %.32s)", device);
	else if (lo->nl < 0)
		snprintf(lo->off, sizeof(lo->off), "rtnetlink: %s", strerror(errno));
	else if (lo->off[0] == '\0')
		read_routing(lo);
	return 0;
}

void bt_linkout_close(bt_linkout *lo)
{
	if (lo->fd >= 0)
		close(lo->fd);
	if (lo->nl >= 0)
		close(lo->nl);
	free(lo->slot);
	lo->slot = NULL;
	lo->fd = lo->nl = -1;
}

void bt_linkout_reset(bt_linkout *lo)
{
	if (lo->slot)
		memset(lo->slot, 0, BT_LINKOUT_CACHE * sizeof(*lo->slot));
	lo->ndev = 0;
	lo->gw.until = 0;
	lo->sent_packet = 0;
}

/* ---- per /24: the kernel's route, the device, the gateway ---- */

typedef struct route_ans {
	int simple;             /* one unicast nexthop, nothing else */
	int oif;
	uint32_t gw;            /* network order; 0: on-link */
} route_ans;

static int each_getroute(const struct nlmsghdr *h, void *arg)
{
	route_ans *ra = arg;
	const struct rtmsg *r = NLMSG_DATA(h);
	if (h->nlmsg_type != RTM_NEWROUTE)
		return 0;
	ra->simple = r->rtm_type == RTN_UNICAST;
	int len = (int)RTM_PAYLOAD(h);
	for (const struct rtattr *a = RTM_RTA(r); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		switch (a->rta_type) {
		case RTA_OIF: memcpy(&ra->oif, RTA_DATA(a), 4); break;
		case RTA_GATEWAY: memcpy(&ra->gw, RTA_DATA(a), 4); break;
		case RTA_MULTIPATH: case RTA_ENCAP: case RTA_ENCAP_TYPE: case RTA_NH_ID: case RTA_VIA:
			ra->simple = 0;
			break;
		}
	}
	return 0;
}

static int each_link(const struct nlmsghdr *h, void *arg)
{
	int *ok = arg;
	const struct ifinfomsg *i = NLMSG_DATA(h);
	if (h->nlmsg_type != RTM_NEWLINK)
		return 0;
	if (!(i->ifi_flags & IFF_UP))
		*ok = -1;
	else if (i->ifi_type == ARPHRD_NONE)
		*ok = 1;
	else if (i->ifi_type == ARPHRD_ETHER && !(i->ifi_flags & IFF_NOARP))
		*ok = 2;
	else
		*ok = -1;
	return 0;
}

/* The link type of device ifindex: 1 no link-layer header, 2 Ethernet,
 * -1 another (sent raw). */
static int device_kind(bt_linkout *lo, int ifindex)
{
	for (unsigned i = 0; i < lo->ndev; i++)
		if (lo->dev[i].ifindex == ifindex)
			return lo->dev[i].ok;
	nl_req r;
	req_init(&r, RTM_GETLINK, 0, sizeof(r.u.ifi));
	r.u.ifi.ifi_family = AF_UNSPEC;
	r.u.ifi.ifi_index = ifindex;
	int ok = -1;
	if (nl_ask(lo, &r.h, each_link, &ok) != 0)
		ok = -1;
	if (lo->ndev < BT_LINKOUT_DEVS) {
		lo->dev[lo->ndev].ifindex = ifindex;
		lo->dev[lo->ndev++].ok = ok;
	}
	return ok;
}

typedef struct neigh_ans {
	int valid;
	uint8_t mac[6];
} neigh_ans;

static int each_neigh(const struct nlmsghdr *h, void *arg)
{
	neigh_ans *na = arg;
	const struct ndmsg *n = NLMSG_DATA(h);
	if (h->nlmsg_type != RTM_NEWNEIGH)
		return 0;
	int good = n->ndm_state & (NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT);
	int len = (int)RTM_PAYLOAD(h);
	for (const struct rtattr *a = (const struct rtattr *)((const uint8_t *)n + NLMSG_ALIGN(sizeof(*n)));
	     RTA_OK(a, len); a = RTA_NEXT(a, len))
		if (a->rta_type == NDA_LLADDR && RTA_PAYLOAD(a) == 6 && good) {
			memcpy(na->mac, RTA_DATA(a), 6);
			na->valid = 1;
		}
	return 0;
}

/* The gateway's Ethernet address from the neighbour table: 0, or -1 when
 * it has no valid entry. */
static int gateway_mac(bt_linkout *lo, int ifindex, uint32_t gw, uint64_t now, uint8_t mac[6])
{
	if (lo->gw.ifindex == ifindex && lo->gw.gw == gw && now < lo->gw.until) {
		memcpy(mac, lo->gw.mac, 6);
		return 0;
	}
	nl_req r;
	req_init(&r, RTM_GETNEIGH, 0, sizeof(r.u.nd));
	r.u.nd.ndm_family = AF_INET;
	r.u.nd.ndm_ifindex = ifindex;
	nl_put(&r.h, NDA_DST, &gw, 4);
	neigh_ans na = { 0 };
	if (nl_ask(lo, &r.h, each_neigh, &na) != 0 || !na.valid)
		return -1;
	lo->gw.ifindex = ifindex;
	lo->gw.gw = gw;
	lo->gw.until = now + BT_LINKOUT_TTL_US;
	memcpy(lo->gw.mac, na.mac, 6);
	memcpy(mac, na.mac, 6);
	return 0;
}

/* Fills s->ll for dst's /24: 1 (the packet socket), 2 (raw), or 3 (raw
 * until the kernel has resolved the gateway, which the raw sends make it
 * do: asked again sooner). */
static int resolve(bt_linkout *lo, uint32_t dst, uint32_t net, uint64_t now, bt_linkout_slot *s)
{
	if (lo->off[0] != '\0')
		return 2;
	for (uint32_t i = 0; i < lo->nlong; i++)
		if (lo->lng[i] == net)
			return 2;
	nl_req r;
	req_init(&r, RTM_GETROUTE, 0, sizeof(r.u.rt));
	r.u.rt.rtm_family = AF_INET;
	r.u.rt.rtm_dst_len = 32;
	r.u.rt.rtm_flags = RTM_F_FIB_MATCH; /* the route itself: multipath shows */
	nl_put(&r.h, RTA_DST, &dst, 4);
	route_ans ra = { 0 };
	if (nl_ask(lo, &r.h, each_getroute, &ra) != 0 || !ra.simple || ra.oif <= 0)
		return 2;
	int kind = device_kind(lo, ra.oif);
	memset(&s->ll, 0, sizeof(s->ll));
	s->ll.sll_family = AF_PACKET;
	s->ll.sll_protocol = htons(ETH_P_IP);
	s->ll.sll_ifindex = ra.oif;
	if (kind == 1)
		return 1;
	if (kind != 2 || ra.gw == 0) /* on-link: each address its own neighbour */
		return 2;
	if (gateway_mac(lo, ra.oif, ra.gw, now, s->ll.sll_addr) != 0)
		return 3;
	s->ll.sll_halen = 6;
	return 1;
}

const struct sockaddr_ll *bt_linkout_resolve(bt_linkout *lo, uint32_t dst, uint64_t now)
{
	uint32_t net = ntohl(dst) >> 8;
	bt_linkout_slot *s = &lo->slot[(net ^ net >> 12) & (BT_LINKOUT_CACHE - 1)];
	s->net = net;
	int st = resolve(lo, dst, net, now, s);
	s->state = (uint8_t)(st == 3 ? 2 : st);
	s->until = now + (st == 3 ? BT_LINKOUT_NEIGH_US : BT_LINKOUT_TTL_US);
	return s->state == 1 ? &s->ll : NULL;
}
