/* bordertrace — reply parsing (see include/bordertrace/reply.h).
 *
 * Normative: RFC 791 (IPv4), RFC 792 (ICMP), RFC 793 (TCP), RFC 4884
 * (extended ICMP: the original-datagram length and the extension structure),
 * RFC 4950 (MPLS label stack object). Every read goes through a cursor with a
 * remaining-length count; there is no way to read past the captured bytes. */
#include "bordertrace/reply.h"

#include <netinet/in.h>
#include <string.h>

#include "bordertrace/bytes.h"
#include "bordertrace/icmp.h"
#include "reply_int.h"

const char *bt_reply_status_name(bt_reply_status s)
{
	switch (s) {
	case BT_REPLY_OK: return "ok";
	case BT_REPLY_TRUNCATED: return "truncated";
	case BT_REPLY_MALFORMED: return "malformed";
	case BT_REPLY_OTHER: return "other";
	}
	return "?";
}

/* RFC 4884 / RFC 4950: see reply_int.h. */
void bt_reply_parse_ext(bt_cur ext, bt_mpls *mpls, uint8_t *count)
{
	if (!bt_cur_has(&ext, 0, 4) || (ext.p[0] >> 4) != BT_ICMP_EXT_VERSION)
		return;
	if (bt_get16(ext.p + 2) != 0 && bt_cksum(ext.p, ext.n, 0) != 0)
		return;
	size_t off = 4;
	while (bt_cur_has(&ext, off, 4)) {
		size_t olen = bt_get16(ext.p + off);
		uint8_t cls = ext.p[off + 2], ctype = ext.p[off + 3];
		if (olen < 4 || !bt_cur_has(&ext, off, olen))
			return;
		if (cls == BT_ICMP_EXT_MPLS_CLASS && ctype == BT_ICMP_EXT_MPLS_INCOMING &&
		    *count == 0) {
			for (size_t e = off + 4; e + 4 <= off + olen && *count < BT_MPLS_MAX; e += 4) {
				uint32_t v = bt_get32(ext.p + e);
				bt_mpls *m = &mpls[(*count)++];
				m->label = v >> 12;
				m->tc = (uint8_t)((v >> 9) & 7);
				m->s = (uint8_t)((v >> 8) & 1);
				m->ttl = (uint8_t)(v & 0xff);
			}
		}
		off += olen;
	}
}

static bt_reply_status parse_icmp(bt_cur c, bt_reply *out)
{
	if (!bt_cur_has(&c, 0, 8))
		return BT_REPLY_TRUNCATED;
	out->icmp_type = c.p[0];
	out->icmp_code = c.p[1];
	out->icmp_sum = bt_get16(c.p + 2);
	if (out->icmp_type == BT_ICMP_ECHO_REPLY) {
		out->echo_id = bt_get16(c.p + 4);
		out->echo_seq = bt_get16(c.p + 6);
		return BT_REPLY_OK;
	}
	if (out->icmp_type != BT_ICMP_TIME_EXCEEDED && out->icmp_type != BT_ICMP_UNREACH)
		return BT_REPLY_OTHER;

	/* The quoted probe: its IP header and at least 8 bytes after it. */
	bt_cur q = bt_cur_from(&c, 8);
	if (!bt_cur_has(&q, 0, 20))
		return BT_REPLY_TRUNCATED;
	if ((q.p[0] >> 4) != 4)
		return BT_REPLY_MALFORMED;
	size_t qhl = (size_t)(q.p[0] & 0x0f) * 4;
	if (qhl < 20)
		return BT_REPLY_MALFORMED;
	if (!bt_cur_has(&q, 0, qhl + 8))
		return BT_REPLY_TRUNCATED;
	out->quoted = true;
	out->q_ip_id = bt_get16(q.p + 4);
	out->q_ttl = q.p[8];
	out->q_proto = q.p[9];
	memcpy(&out->q_src, q.p + 12, 4);
	memcpy(&out->q_dst, q.p + 16, 4);
	memcpy(out->q_l4, q.p + qhl, 8);

	/* RFC 4884: byte 5 gives the original datagram's length in 32-bit
	 * words; extensions follow it. Older MPLS routers set no length but
	 * still put the extension after 128 bytes (RFC 4884 section 5.5). */
	size_t words = c.p[5];
	size_t ext_off = 0;
	if (words > 0)
		ext_off = words * 4;
	else if (q.n > 128 + 4)
		ext_off = 128;
	if (ext_off > 0 && q.n > ext_off) {
		bt_cur ext = bt_cur_from(&q, ext_off);
		bt_reply_parse_ext(ext, out->mpls, &out->mpls_count);
	}
	return BT_REPLY_OK;
}

bt_reply_status bt_reply_parse_ip(const uint8_t *pkt, size_t len, bt_reply *out)
{
	memset(out, 0, sizeof(*out));
	bt_cur c = { pkt, len };
	if (!bt_cur_has(&c, 0, 20))
		return BT_REPLY_TRUNCATED;
	if ((c.p[0] >> 4) != 4)
		return BT_REPLY_OTHER;
	size_t hl = (size_t)(c.p[0] & 0x0f) * 4;
	size_t tot = bt_get16(c.p + 2);
	if (hl < 20 || tot < hl)
		return BT_REPLY_MALFORMED;
	if (!bt_cur_has(&c, 0, hl))
		return BT_REPLY_TRUNCATED;
	/* Trailing link-layer padding is not part of the datagram. */
	if (c.n > tot)
		c.n = tot;
	out->ip_len = (uint16_t)tot;
	out->ttl = c.p[8];
	out->proto = c.p[9];
	memcpy(&out->src, c.p + 12, 4);
	memcpy(&out->dst, c.p + 16, 4);
	if ((bt_get16(c.p + 6) & 0x1fff) != 0)
		return BT_REPLY_OTHER; /* a non-first fragment has no L4 header */

	bt_cur l4 = bt_cur_from(&c, hl);
	if (out->proto == IPPROTO_ICMP)
		return parse_icmp(l4, out);
	if (out->proto == IPPROTO_TCP)
		return BT_REPLY_READ_TCP(l4, out);
	return BT_REPLY_OTHER;
}

bt_reply_status bt_reply_parse(const uint8_t *pkt, size_t caplen, int dlt, bt_reply *out)
{
	size_t off;
	uint16_t ethertype;

	memset(out, 0, sizeof(*out));
	bt_reply_status s = bt_reply_link(pkt, caplen, dlt, BT_ETHERTYPE_IPV4, &off, &ethertype);
	if (s != BT_REPLY_OK)
		return s;
	if (ethertype != BT_ETHERTYPE_IPV4)
		return BT_REPLY_OTHER;
	return bt_reply_parse_ip(pkt + off, caplen - off, out);
}
