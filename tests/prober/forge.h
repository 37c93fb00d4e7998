/* bordertrace tests — forged replies to the prober's own probes, shared by
 * tests/prober/test_probe.c, test_probe6.c and tests/fuzz/mkseeds_reply*.c
 * (whose seeds must be the replies the unit tests check). Header-only, test
 * code only. */
#ifndef BT_TESTS_FORGE_H
#define BT_TESTS_FORGE_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bordertrace/bytes.h"

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
