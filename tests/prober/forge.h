/* bordertrace tests — forged replies to the prober's own probes, shared by
 * tests/prober/test_probe.c and tests/fuzz/mkseeds_reply.c (whose seeds must
 * be the replies the unit tests check). Header-only, test code only. */
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

#endif
