/* bordertrace tests — forged replies to the prober's own probes, shared by
 * tests/prober/test_probe.c, test_probe6.c and tests/fuzz/mkseeds_reply*.c
 * (whose seeds must be the replies the unit tests check). Header-only, test
 * code only. */
#ifndef BT_TESTS_FORGE_H
#define BT_TESTS_FORGE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bordertrace/bytes.h"
#include "bordertrace/trace.h"

/* An ICMP error (type, code) from `from` to `to` (network byte order)
 * quoting qlen bytes of the probe, whose TTL is quoted as quoted_ttl
 * (routers quote the TTL as they saw it). Returns its length: 28 + qlen. */
static inline size_t forge_icmp_error(uint8_t *out, uint8_t type, uint8_t code, uint32_t from,
				      uint32_t to, const uint8_t *probe, size_t qlen,
				      uint8_t quoted_ttl)
{
	memset(out, 0, 20 + 8 + qlen);
	out[0] = 0x45;
	bt_put16(out + 2, (uint16_t)(20 + 8 + qlen));
	out[8] = 60;
	out[9] = IPPROTO_ICMP;
	memcpy(out + 12, &from, 4);
	memcpy(out + 16, &to, 4);
	out[20] = type;
	out[21] = code;
	memcpy(out + 28, probe, qlen);
	out[28 + 8] = quoted_ttl;
	bt_put16(out + 22, bt_cksum(out + 20, 8 + qlen, 0));
	return 20 + 8 + qlen;
}

/* An RFC 4884 extension structure (16 bytes at ext) holding one RFC 4950
 * MPLS object of two labels: 16 (TTL 1) and 299776 (TC 5, bottom of stack,
 * TTL 254); bad_sum spoils its checksum. */
static inline void forge_mpls_ext(uint8_t *ext, bool bad_sum)
{
	memcpy(ext, "\x20\x00\x00\x00\x00\x0c\x01\x01", 8);
	bt_put32(ext + 8, (16u << 12) | 1);
	bt_put32(ext + 12, (299776u << 12) | (5u << 9) | (1u << 8) | 254);
	bt_put16(ext + 2, bt_cksum(ext, 16, 0));
	if (bad_sum)
		ext[3] ^= 0xff;
}

/* Whether a parser read forge_mpls_ext's two labels. */
static inline bool forge_mpls_ok(const bt_mpls *m, uint8_t count)
{
	return count == 2 && m[0].label == 16 && m[0].tc == 0 && m[0].s == 0 && m[0].ttl == 1 &&
	       m[1].label == 299776 && m[1].tc == 5 && m[1].s == 1 && m[1].ttl == 254;
}

/* An IPv6 extension header of (len8 + 1) * 8 bytes whose options are one
 * PadN (RFC 8200 4.2): hop-by-hop, destination options, or, as a shape,
 * routing. Returns its length. */
static inline size_t forge_ip6_ext(uint8_t *out, uint8_t next, uint8_t len8)
{
	size_t n = ((size_t)len8 + 1) * 8;
	memset(out, 0, n);
	out[0] = next;
	out[1] = len8;
	out[2] = 1;
	out[3] = (uint8_t)(n - 4);
	return n;
}

/* An IPv6 header: payload length plen, next header nh, from src to dst
 * (16 bytes each). Returns 40. */
static inline size_t forge_ip6(uint8_t *out, uint16_t plen, uint8_t nh, uint8_t hlim,
			       const uint8_t *src, const uint8_t *dst)
{
	memset(out, 0, 40);
	out[0] = 0x60;
	bt_put16(out + 4, plen);
	out[6] = nh;
	out[7] = hlim;
	memcpy(out + 8, src, 16);
	memcpy(out + 24, dst, 16);
	return 40;
}

/* The ICMPv6 checksum of the message at icmp (n bytes, checksum field
 * zeroed first) between src and dst: RFC 4443 section 2.3. */
static inline void forge_icmp6_sum(uint8_t *icmp, size_t n, const uint8_t *src, const uint8_t *dst)
{
	bt_put16(icmp + 2, 0);
	uint32_t s = bt_sum16(dst, 16, bt_sum16(src, 16, 0)) + (uint32_t)n + 58;
	bt_put16(icmp + 2, bt_cksum(icmp, n, s));
}

/* An ICMPv6 error (type, code) from `from` to `to` quoting qlen bytes of
 * the probe, whose hop limit is quoted as quoted_hlim; words is the RFC
 * 4884 length (0: none). Returns its length: 48 + qlen. */
static inline size_t forge_icmp6_error(uint8_t *out, uint8_t type, uint8_t code, const uint8_t *from,
				       const uint8_t *to, const uint8_t *probe, size_t qlen,
				       uint8_t quoted_hlim, uint8_t words)
{
	forge_ip6(out, (uint16_t)(8 + qlen), 58, 60, from, to);
	uint8_t *icmp = out + 40;
	memset(icmp, 0, 8);
	icmp[0] = type;
	icmp[1] = code;
	icmp[4] = words;
	memcpy(icmp + 8, probe, qlen);
	if (qlen > 7)
		icmp[8 + 7] = quoted_hlim;
	forge_icmp6_sum(icmp, 8 + qlen, from, to);
	return 48 + qlen;
}

#endif
