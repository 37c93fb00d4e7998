/* bordertrace — Internet simulator, replies: parse one probe, walk its path,
 * build what the hop where its TTL runs out (or the target) sends back.
 *
 * The parse reads only within len; anything that is not an IPv4 echo
 * request, UDP datagram or TCP SYN without fragments is ignored and counted,
 * as a host's stack would drop it. */
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

size_t bt_sim_answer(bt_sim_model *m, unsigned phase, const uint8_t *pkt, size_t len,
		     uint64_t now_ns, uint8_t out[BT_SIM_REPLY_MAX], bt_sim_counters *c)
{
	c->in++;
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
	bt_sim_flowkey k = { .src = bt_get32(pkt + 12), .dst = bt_get32(pkt + 16), .proto = proto };
	switch (proto) {
	case IPPROTO_ICMP:
		if (l4len < 8 || l4[0] != BT_ICMP_ECHO || l4[1] != 0)
			goto ignore;
		k.a = bt_get16(l4);
		k.b = bt_get16(l4 + 2);
		break;
	case IPPROTO_UDP:
		if (l4len < 8)
			goto ignore;
		k.a = bt_get16(l4);
		k.b = bt_get16(l4 + 2);
		break;
	case IPPROTO_TCP:
		/* A SYN without ACK: anything else would be answered by a RST
		 * without the ACK bit, which the prober never provokes. */
		if (l4len < 20 || (l4[13] & 0x12) != 0x02)
			goto ignore;
		k.a = bt_get16(l4);
		k.b = bt_get16(l4 + 2);
		break;
	default:
		goto ignore;
	}
	if (ttl == 0)
		goto ignore;

	uint32_t path[BT_SIM_MAX_HOPS];
	unsigned n = bt_sim_path(m, &k, phase, path);
	if (n == 0) {
		c->noroute++;
		return 0;
	}
	uint16_t id = (uint16_t)c->out;
	if (ttl <= n) {
		/* Expires at hop ttl, which answers from the interface the probe
		 * came in on; its reply crosses ttl - 1 routers back. */
		const bt_sim_iface *f = &m->ifaces[path[ttl - 1]];
		if (m->routers[f->router].flags & BT_SIM_SILENT) {
			c->silent++;
			return 0;
		}
		if (!bt_sim_ratelimit_pass(m, f->router, now_ns)) {
			c->ratelimited++;
			return 0;
		}
		c->out++;
		c->time_exceeded++;
		return icmp_error(pkt, len, 1, BT_ICMP_TIME_EXCEEDED, BT_ICMP_TIMXCEED_INTRANS, f->addr,
				  (uint8_t)(64 - (ttl - 1)), id, out);
	}
	if (!bt_sim_target_answers(m, k.dst)) {
		c->dark++;
		return 0;
	}
	/* The target is hop n + 1; its reply starts at 64 and crosses n routers. */
	uint8_t rttl = (uint8_t)(64 - n), arrive = (uint8_t)(ttl - n);
	size_t total;
	switch (proto) {
	case IPPROTO_ICMP:
		/* Echo reply: the request's ICMP message with type 0, checksummed
		 * afresh (the prober reads the flow back from it). */
		if (l4len > BT_SIM_REPLY_MAX - 20)
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
		/* RST+ACK for a SYN to a closed port: seq 0, ack = seq + 1. */
		uint8_t *t = out + 20;
		memset(t, 0, 20);
		bt_put16(t, k.b);
		bt_put16(t + 2, k.a);
		bt_put32(t + 8, bt_get32(l4 + 4) + 1);
		t[12] = 5 << 4;
		t[13] = 0x14;
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
