/* bordertrace — bytes on the wire: big-endian reads and writes, a bounded
 * cursor, and the Internet checksum (RFC 1071).
 *
 * One set for the probe builder, the reply parser, the simulator and the
 * tests that forge packets. Inline: the builder checksums every probe it
 * sends (hundreds of thousands a second), and the compiler folds these into
 * single loads and byte swaps. */
#ifndef BORDERTRACE_BYTES_H
#define BORDERTRACE_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

static inline uint16_t bt_get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t bt_get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline void bt_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void bt_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* A bounded view of bytes (tcpdump's habit: input may be truncated at any
 * position): check with bt_cur_has before every read, and no read runs past
 * the end. */
typedef struct bt_cur {
	const uint8_t *p;
	size_t n;
} bt_cur;

/* true when [off, off + len) lies within the view (no overflow on huge off). */
static inline bool bt_cur_has(const bt_cur *c, size_t off, size_t len)
{
	return off <= c->n && len <= c->n - off;
}

/* The view from off to the end; off must be within it (bt_cur_has(c, off, 0)). */
static inline bt_cur bt_cur_from(const bt_cur *c, size_t off)
{
	return (bt_cur){ c->p + off, c->n - off };
}

/* RFC 1071 ones'-complement arithmetic, in three steps so that a sum can be
 * carried across blocks (pseudo-header, header, payload):
 *   bt_sum16  adds n bytes as big-endian 16-bit words to an unfolded sum
 *             (an odd last byte is padded with zero);
 *   bt_fold16 folds the carries back into 16 bits;
 *   bt_cksum  is the checksum field's value: the complement of the folded
 *             sum. Over a block that holds a right checksum it is 0.
 * The unfolded sum is 32 bits: blocks of up to 128 KiB cannot overflow it. */
static inline uint32_t bt_sum16(const uint8_t *p, size_t n, uint32_t sum)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += bt_get16(p + i);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static inline uint16_t bt_fold16(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static inline uint16_t bt_cksum(const uint8_t *p, size_t n, uint32_t sum)
{
	return (uint16_t)~bt_fold16(bt_sum16(p, n, sum));
}

#endif
