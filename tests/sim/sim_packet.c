/* bordertrace — Internet simulator, replies: parse one probe, walk its path,
 * build what the hop where its TTL runs out (or the target) sends back.
 *
 * The parse reads only within len; anything that is not an echo request,
 * UDP datagram or TCP SYN without fragments is ignored and counted, as a
 * host's stack would drop it. An IPv6 probe takes the path of the IPv4 flow
 * its fields correspond to (sim_model.h, bt_sim_flowkey), so both families
 * cross the same routers; RFC 8200 for the header chain, RFC 4443 for the
 * ICMPv6 replies. */
#include "sim_packet.h"

#include <netinet/in.h>
#include <string.h>

#include "bordertrace/bytes.h"
#include "bordertrace/icmp.h"

/* An IPv4 header without options; the IP-ID is the reply counter so that
 * consecutive replies differ as a real stack's do. */
static void ip_header(uint8_t *o, size_t total, uint8_t tos, uint16_t id, uint8_t ttl, uint8_t proto,
		      uint32_t src, uint32_t dst)
{
	o[0] = 0x45;
	o[1] = tos;
	bt_put16(o + 2, (uint16_t)total);
	bt_put16(o + 4, id);
	bt_put16(o + 6, 0);
	o[8] = ttl;
	o[9] = proto;
	bt_put16(o + 10, 0);
	bt_put32(o + 12, src);
	bt_put32(o + 16, dst);
	bt_put16(o + 10, bt_cksum(o, 20, 0));
}

/* An ICMP error (time exceeded or unreachable) from src quoting the probe as
 * it arrived: its TTL is the one left at that hop, and its header checksum
 * is what the previous routers left in it after each decrement. Linux sends
 * these with TOS 0xc0 and quotes as much as fits in 576 bytes. */
static size_t icmp_error(const uint8_t *pkt, size_t len, uint8_t arrive_ttl, uint8_t type, uint8_t code,
			 uint32_t src, uint8_t reply_ttl, uint16_t id, uint8_t *out)
{
	size_t q = len < BT_SIM_QUOTE_MAX ? len : BT_SIM_QUOTE_MAX;
	size_t total = 20 + 8 + q;
	uint8_t *icmp = out + 20, *quote = out + 28;
	memcpy(quote, pkt, q);
	quote[8] = arrive_ttl;
	bt_put16(quote + 10, 0);
	bt_put16(quote + 10, bt_cksum(quote, (size_t)(pkt[0] & 0x0f) * 4, 0));
	icmp[0] = type;
	icmp[1] = code;
	bt_put16(icmp + 2, 0);
	bt_put32(icmp + 4, 0);
	bt_put16(icmp + 2, bt_cksum(icmp, 8 + q, 0));
	ip_header(out, total, 0xc0, id, reply_ttl, IPPROTO_ICMP, src, bt_get32(pkt + 12));
	return total;
}

/* The flow key's per-flow fields of the probe l4[0..l4len) carried as proto;
 * icmp_proto and echo_type are the family's (ICMP 1 and 8, ICMPv6 58 and
 * 128), and an echo request of either is keyed as ICMP echo so that the two
 * families hash alike. -1 when it is not a probe. */
static int key_l4(uint8_t proto, const uint8_t *l4, size_t l4len, uint8_t icmp_proto, uint8_t echo_type,
		  bt_sim_flowkey *k)
{
	if (proto == icmp_proto) {
		if (l4len < 8 || l4[0] != echo_type || l4[1] != 0)
			return -1;
		k->proto = IPPROTO_ICMP;
		k->a = BT_ICMP_ECHO << 8;
		k->b = bt_get16(l4 + 2);
		return 0;
	}
	switch (proto) {
	case IPPROTO_UDP:
		if (l4len < 8)
			return -1;
		break;
	case IPPROTO_TCP:
		/* A SYN without ACK: anything else would be answered by a RST
		 * without the ACK bit, which the prober never provokes. */
		if (l4len < 20 || (l4[13] & 0x12) != 0x02)
			return -1;
		break;
	default:
		return -1;
	}
	k->proto = proto;
	k->a = bt_get16(l4);
	k->b = bt_get16(l4 + 2);
	return 0;
}

enum { END_NONE, END_HOP, END_DEST };

/* Where a probe with key k and TTL ttl (> 0) ends: END_HOP, router
 * interface *f answers time exceeded (hop ttl answers from the interface
 * the probe came in on); END_DEST, the target answers, *n routers before
 * it; END_NONE, nothing comes back (no route, silent router, empty bucket,
 * dark target), counted. */
static int probe_end(bt_sim_model *m, unsigned phase, const bt_sim_flowkey *k, unsigned ttl, uint64_t now_ns,
		     bt_sim_counters *c, const bt_sim_iface **f, unsigned *n)
{
	uint32_t path[BT_SIM_MAX_HOPS];
	*n = bt_sim_path(m, k, phase, path);
	if (*n == 0) {
		c->noroute++;
		return END_NONE;
	}
	if (ttl <= *n) {
		*f = &m->ifaces[path[ttl - 1]];
		if (m->routers[(*f)->router].flags & BT_SIM_SILENT) {
			c->silent++;
			return END_NONE;
		}
		if (!bt_sim_ratelimit_pass(m, (*f)->router, now_ns)) {
			c->ratelimited++;
			return END_NONE;
		}
		return END_HOP;
	}
	if (!bt_sim_target_answers(m, k->dst)) {
		c->dark++;
		return END_NONE;
	}
	return END_DEST;
}

/* RST+ACK for a SYN (key k, TCP header syn) to a closed port: seq 0, ack =
 * seq + 1; the checksum is the caller's (its pseudo-header). */
static void tcp_rst(uint8_t *t, const bt_sim_flowkey *k, const uint8_t *syn)
{
	memset(t, 0, 20);
	bt_put16(t, k->b);
	bt_put16(t + 2, k->a);
	bt_put32(t + 8, bt_get32(syn + 4) + 1);
	t[12] = 5 << 4;
	t[13] = 0x14;
}

/* ---- IPv6 ---- */

/* An IPv6 header: traffic class and flow label 0. */
static void ip6_header(uint8_t *o, size_t plen, uint8_t nh, uint8_t hlim, const uint8_t src[16],
		       const uint8_t dst[16])
{
	bt_put32(o, 6u << 28);
	bt_put16(o + 4, (uint16_t)plen);
	o[6] = nh;
	o[7] = hlim;
	memmove(o + 8, src, 16);
	memmove(o + 24, dst, 16);
}

/* The unfolded sum of the IPv6 pseudo-header (RFC 8200 8.1) of the
 * upper-layer message after the header at ip6, of ulen bytes. */
static uint32_t pseudo6(const uint8_t *ip6, size_t ulen, uint8_t nh)
{
	return bt_sum16(ip6 + 8, 32, (uint32_t)(ulen >> 16) + (uint32_t)(ulen & 0xffff) + nh);
}

/* An ICMPv6 error from src quoting the probe as it arrived (its hop limit
 * the one left at that hop) up to the 1280-byte minimum MTU (RFC 4443
 * 2.4(c)). */
static size_t icmp6_error(const uint8_t *pkt, size_t len, uint8_t arrive_hlim, uint8_t type, uint8_t code,
			  const uint8_t src[16], uint8_t reply_hlim, uint8_t *out)
{
	size_t q = len < BT_SIM_QUOTE6_MAX ? len : BT_SIM_QUOTE6_MAX;
	uint8_t *icmp = out + 40, *quote = out + 48;
	memcpy(quote, pkt, q);
	quote[7] = arrive_hlim;
	icmp[0] = type;
	icmp[1] = code;
	bt_put16(icmp + 2, 0);
	bt_put32(icmp + 4, 0);
	ip6_header(out, 8 + q, IPPROTO_ICMPV6, reply_hlim, src, pkt + 8);
	bt_put16(icmp + 2, bt_cksum(icmp, 8 + q, pseudo6(out, 8 + q, IPPROTO_ICMPV6)));
	return 48 + q;
}

/* Walks the header chain after the fixed header (RFC 8200 4.1): hop-by-hop
 * options (first only) and destination options are skipped; returns the
 * upper-layer protocol and its offset, or -1 for a chain it does not walk
 * (fragment, routing, AH, ESP, mobility, HIP, shim6, experimental) or that
 * ends inside a header. */
static int walk6(const uint8_t *pkt, size_t len, size_t *off)
{
	bt_cur cur = { pkt, len };
	uint8_t nh = pkt[6];
	size_t o = 40;
	for (;;) {
		switch (nh) {
		case IPPROTO_HOPOPTS:
			if (o != 40)
				return -1;
			/* fall through */
		case IPPROTO_DSTOPTS: {
			if (!bt_cur_has(&cur, o, 8))
				return -1;
			size_t hl = ((size_t)pkt[o + 1] + 1) * 8;
			if (!bt_cur_has(&cur, o, hl))
				return -1;
			nh = pkt[o];
			o += hl;
			continue;
		}
		case IPPROTO_ROUTING: case IPPROTO_FRAGMENT: case IPPROTO_ESP: case IPPROTO_AH:
		case IPPROTO_MH: case 139: case 140: case 253: case 254:
			return -1;
		default:
			*off = o;
			return nh;
		}
	}
}

static size_t answer6(bt_sim_model *m, unsigned phase, const uint8_t *pkt, size_t len, uint64_t now_ns,
		      uint8_t *out, bt_sim_counters *c)
{
	c->in6++;
	if (len < 40)
		goto ignore;
	size_t plen = bt_get16(pkt + 4), off;
	/* A payload length of 0 is a jumbogram (RFC 2675): not a probe. */
	if (plen == 0 || 40 + plen > len)
		goto ignore;
	len = 40 + plen;
	int nh = walk6(pkt, len, &off);
	if (nh < 0) {
		c->unparsed6++;
		goto ignore;
	}
	const uint8_t *l4 = pkt + off, *src6 = pkt + 8, *dst6 = pkt + 24;
	size_t l4len = len - off;
	uint8_t hlim = pkt[7];
	/* The key in IPv4 terms: a destination without an IPv4 twin is no
	 * target (0.0.0.0 has no route). */
	bt_sim_flowkey k = { .src = bt_sim_key_src6(src6), .label = bt_get32(pkt) & 0xfffff };
	if (!bt_sim_addr4(dst6, &k.dst))
		k.dst = 0;
	if (key_l4((uint8_t)nh, l4, l4len, IPPROTO_ICMPV6, BT_ICMP6_ECHO_REQUEST, &k) != 0 || hlim == 0)
		goto ignore;

	const bt_sim_iface *f = NULL;
	unsigned n;
	int end = probe_end(m, phase, &k, hlim, now_ns, c, &f, &n);
	if (end == END_NONE)
		return 0;
	if (end == END_HOP) {
		uint8_t from[16];
		c->out++;
		c->time_exceeded++;
		bt_sim_addr6(f->addr, from);
		return icmp6_error(pkt, len, 1, BT_ICMP6_TIME_EXCEEDED, 0, from, (uint8_t)(64 - (hlim - 1)), out);
	}
	uint8_t rhlim = (uint8_t)(64 - n), arrive = (uint8_t)(hlim - n);
	size_t total;
	switch (nh) {
	case IPPROTO_ICMPV6:
		if (l4len > BT_SIM_REPLY_MAX - 40)
			goto ignore;
		memcpy(out + 40, l4, l4len);
		out[40] = BT_ICMP6_ECHO_REPLY;
		bt_put16(out + 42, 0);
		ip6_header(out, l4len, IPPROTO_ICMPV6, rhlim, dst6, src6);
		bt_put16(out + 42, bt_cksum(out + 40, l4len, pseudo6(out, l4len, IPPROTO_ICMPV6)));
		total = 40 + l4len;
		c->echo_reply++;
		break;
	case IPPROTO_UDP:
		total = icmp6_error(pkt, len, arrive, BT_ICMP6_UNREACH, BT_ICMP6_UNREACH_PORT, dst6, rhlim, out);
		c->port_unreach++;
		break;
	default:
		tcp_rst(out + 40, &k, l4);
		ip6_header(out, 20, IPPROTO_TCP, rhlim, dst6, src6);
		bt_put16(out + 56, bt_cksum(out + 40, 20, pseudo6(out, 20, IPPROTO_TCP)));
		total = 60;
		c->tcp_rst++;
		break;
	}
	c->out++;
	return total;
ignore:
	c->ignored++;
	return 0;
}

size_t bt_sim_answer(bt_sim_model *m, unsigned phase, const uint8_t *pkt, size_t len,
		     uint64_t now_ns, uint8_t out[BT_SIM_REPLY_MAX], bt_sim_counters *c)
{
	c->in++;
	if (len >= 1 && (pkt[0] >> 4) == 6)
		return answer6(m, phase, pkt, len, now_ns, out, c);
	if (len < 20 || (pkt[0] >> 4) != 4) {
		c->ignored++;
		return 0;
	}
	size_t ihl = (size_t)(pkt[0] & 0x0f) * 4, tot = bt_get16(pkt + 2);
	if (ihl < 20 || tot < ihl || tot > len || (bt_get16(pkt + 6) & 0x3fff) != 0) {
		c->ignored++;
		return 0;
	}
	len = tot;
	const uint8_t *l4 = pkt + ihl;
	size_t l4len = len - ihl;
	uint8_t proto = pkt[9], ttl = pkt[8];
	bt_sim_flowkey k = { .src = bt_get32(pkt + 12), .dst = bt_get32(pkt + 16) };
	if (key_l4(proto, l4, l4len, IPPROTO_ICMP, BT_ICMP_ECHO, &k) != 0 || ttl == 0)
		goto ignore;

	const bt_sim_iface *f = NULL;
	unsigned n;
	int end = probe_end(m, phase, &k, ttl, now_ns, c, &f, &n);
	if (end == END_NONE)
		return 0;
	uint16_t id = (uint16_t)c->out;
	if (end == END_HOP) {
		/* Its reply crosses ttl - 1 routers back. */
		c->out++;
		c->time_exceeded++;
		return icmp_error(pkt, len, 1, BT_ICMP_TIME_EXCEEDED, BT_ICMP_TIMXCEED_INTRANS, f->addr,
				  (uint8_t)(64 - (ttl - 1)), id, out);
	}
	/* The target is hop n + 1; its reply starts at 64 and crosses n routers. */
	uint8_t rttl = (uint8_t)(64 - n), arrive = (uint8_t)(ttl - n);
	size_t total;
	switch (proto) {
	case IPPROTO_ICMP:
		/* Echo reply: the request's ICMP message with type 0, checksummed
		 * afresh (the prober reads the flow back from it). */
		if (l4len > BT_SIM_REPLY4_MAX - 20)
			goto ignore;
		total = 20 + l4len;
		memcpy(out + 20, l4, l4len);
		out[20] = BT_ICMP_ECHO_REPLY;
		bt_put16(out + 22, 0);
		bt_put16(out + 22, bt_cksum(out + 20, l4len, 0));
		ip_header(out, total, 0, id, rttl, IPPROTO_ICMP, k.dst, k.src);
		c->echo_reply++;
		break;
	case IPPROTO_UDP:
		total = icmp_error(pkt, len, arrive, BT_ICMP_UNREACH, BT_ICMP_UNREACH_PORT, k.dst, rttl,
				   id, out);
		c->port_unreach++;
		break;
	default: {
		uint8_t *t = out + 20;
		tcp_rst(t, &k, l4);
		uint32_t ph = (k.dst >> 16) + (k.dst & 0xffff) + (k.src >> 16) + (k.src & 0xffff) + 6 + 20;
		bt_put16(t + 16, bt_cksum(t, 20, ph));
		total = 40;
		/* Linux sends RSTs with DF set and IP-ID 0. */
		ip_header(out, total, 0, 0, rttl, IPPROTO_TCP, k.dst, k.src);
		out[6] = 0x40;
		bt_put16(out + 10, 0);
		bt_put16(out + 10, bt_cksum(out, 20, 0));
		c->tcp_rst++;
		break;
	}
	}
	c->out++;
	return total;
ignore:
	c->ignored++;
	return 0;
}
