/* bordertrace — IPv6 reply parsing (see include/bordertrace/reply6.h).
 *
 * Normative: RFC 8200 (IPv6, extension headers), RFC 4443 (ICMPv6),
 * RFC 4884 (extended ICMP), RFC 4950 (MPLS label stack). Every read goes
 * through a cursor with a remaining-length count; there is no way to read
 * past the captured bytes. */
#include "bordertrace/reply6.h"

#include <netinet/in.h>
#include <string.h>

#include "bordertrace/icmp.h"
#include "reply_int.h"

#define IP6_HDR 40

bt_reply_status bt_reply6_walk(bt_cur c, uint8_t *nh, size_t *off)
{
	size_t o = 0;
	for (int i = 0;; i++) {
		switch (*nh) {
		case IPPROTO_HOPOPTS:
			/* RFC 8200 section 4.1: only right after the IPv6 header */
			if (i != 0)
				return BT_REPLY_MALFORMED;
			break;
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
		case IPPROTO_FRAGMENT:
			break;
		case IPPROTO_NONE:
			return BT_REPLY_OTHER;
		default:
			*off = o;
			return BT_REPLY_OK; /* the upper layer */
		}
		if (i >= BT_REPLY6_MAX_EXT)
			return BT_REPLY_MALFORMED;
		/* every one of them starts with next header and, but for the
		 * fragment header (8 bytes), its length in 8 bytes beyond 8 */
		if (!bt_cur_has(&c, o, 2))
			return BT_REPLY_TRUNCATED;
		size_t len = *nh == IPPROTO_FRAGMENT ? 8 : ((size_t)c.p[o + 1] + 1) * 8;
		if (!bt_cur_has(&c, o, len))
			return BT_REPLY_TRUNCATED;
		/* a later fragment carries no transport header */
		if (*nh == IPPROTO_FRAGMENT && (bt_get16(c.p + o + 2) & 0xfff8) != 0)
			return BT_REPLY_OTHER;
		*nh = c.p[o];
		o += len;
	}
}

/* The quoted probe: its IPv6 header, extension headers, and at least 8
 * transport bytes (of the first BT_REPLY6_QL4 kept). */
static bt_reply_status parse_quote(bt_cur q, bt_reply6 *out)
{
	if (!bt_cur_has(&q, 0, IP6_HDR))
		return BT_REPLY_TRUNCATED;
	if ((q.p[0] >> 4) != 6)
		return BT_REPLY_MALFORMED;
	uint32_t w = bt_get32(q.p);
	uint8_t nh = q.p[6];
	size_t off;
	bt_reply_status s = bt_reply6_walk(bt_cur_from(&q, IP6_HDR), &nh, &off);
	if (s != BT_REPLY_OK)
		return s;
	bt_cur l4 = bt_cur_from(&q, IP6_HDR + off);
	if (!bt_cur_has(&l4, 0, 8))
		return BT_REPLY_TRUNCATED;
	out->quoted = true;
	out->q_tclass = (uint8_t)(w >> 20);
	out->q_flowlabel = w & 0xfffff;
	out->q_hlim = q.p[7];
	out->q_proto = nh;
	memcpy(out->q_src, q.p + 8, 16);
	memcpy(out->q_dst, q.p + 24, 16);
	out->q_l4_len = (uint8_t)(l4.n < BT_REPLY6_QL4 ? l4.n : BT_REPLY6_QL4);
	memcpy(out->q_l4, l4.p, out->q_l4_len);
	return BT_REPLY_OK;
}

static bt_reply_status parse_icmp6(bt_cur c, bt_reply6 *out)
{
	if (!bt_cur_has(&c, 0, 8))
		return BT_REPLY_TRUNCATED;
	out->icmp_type = c.p[0];
	out->icmp_code = c.p[1];
	out->icmp_sum = bt_get16(c.p + 2);
	if (out->icmp_type == BT_ICMP6_ECHO_REPLY) {
		out->echo_id = bt_get16(c.p + 4);
		out->echo_seq = bt_get16(c.p + 6);
		return BT_REPLY_OK;
	}
	if (out->icmp_type != BT_ICMP6_TIME_EXCEEDED && out->icmp_type != BT_ICMP6_UNREACH)
		return BT_REPLY_OTHER;

	/* RFC 4884: byte 4, the length attribute, gives the original
	 * datagram's length in 64-bit words for ICMPv6; an extension structure
	 * follows it, and then the datagram holds at least 128 bytes. Routers
	 * from before RFC 4884 set no length but pad the datagram to 128 bytes
	 * (its backwards-compatibility rules, as in reply.c). A length past the
	 * end is ignored, as if unset. */
	bt_cur q = bt_cur_from(&c, 8);
	bt_cur orig = q;
	size_t words = c.p[4], ext_off = 0;
	if (words > 0 && words * 8 <= q.n) {
		orig.n = words * 8; /* the quote ends where the extensions begin */
		if (orig.n >= 128)
			ext_off = orig.n;
	} else if (words == 0 && q.n > 128 + 4) {
		ext_off = 128;
	}
	bt_reply_status s = parse_quote(orig, out);
	if (s != BT_REPLY_OK)
		return s;
	if (ext_off > 0 && q.n > ext_off)
		bt_reply_parse_ext(bt_cur_from(&q, ext_off), out->mpls, &out->mpls_count);
	return BT_REPLY_OK;
}

bt_reply_status bt_reply6_parse_ip(const uint8_t *pkt, size_t len, bt_reply6 *out)
{
	memset(out, 0, sizeof(*out));
	bt_cur c = { pkt, len };
	if (!bt_cur_has(&c, 0, IP6_HDR))
		return BT_REPLY_TRUNCATED;
	if ((c.p[0] >> 4) != 6)
		return BT_REPLY_OTHER;
	out->plen = bt_get16(c.p + 4);
	out->hlim = c.p[7];
	memcpy(out->src, c.p + 8, 16);
	memcpy(out->dst, c.p + 24, 16);
	/* A payload length of 0 (nothing, or a jumbogram, RFC 2675) is never
	 * a reply; trailing link-layer padding is not part of the datagram. */
	if (out->plen == 0)
		return BT_REPLY_OTHER;
	size_t tot = IP6_HDR + (size_t)out->plen;
	bool whole = c.n >= tot;
	if (whole)
		c.n = tot;
	uint8_t nh = c.p[6];
	size_t off;
	bt_reply_status s = bt_reply6_walk(bt_cur_from(&c, IP6_HDR), &nh, &off);
	if (s == BT_REPLY_TRUNCATED && whole)
		return BT_REPLY_MALFORMED; /* the chain runs past the payload length */
	if (s != BT_REPLY_OK)
		return s;
	out->proto = nh;

	bt_cur l4 = bt_cur_from(&c, IP6_HDR + off);
	if (nh == IPPROTO_ICMPV6)
		return parse_icmp6(l4, out);
	if (nh == IPPROTO_TCP)
		return BT_REPLY_READ_TCP(l4, out);
	return BT_REPLY_OTHER;
}

bt_reply_status bt_reply6_parse(const uint8_t *pkt, size_t caplen, int dlt, bt_reply6 *out)
{
	size_t off;
	uint16_t ethertype;

	memset(out, 0, sizeof(*out));
	bt_reply_status s = bt_reply_link(pkt, caplen, dlt, BT_ETHERTYPE_IPV6, &off, &ethertype);
	if (s != BT_REPLY_OK)
		return s;
	if (ethertype != BT_ETHERTYPE_IPV6)
		return BT_REPLY_OTHER;
	return bt_reply6_parse_ip(pkt + off, caplen - off, out);
}
