/* bordertrace — address parsing and printing (see include/bordertrace/addr.h). */
#include "bordertrace/addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Dotted-quad IPv4 as inet_pton accepts it (four decimal parts of at most
 * 255, no leading zeros, nothing else), without its per-call overhead:
 * the resolver parses millions of hop addresses, and through inet_pton
 * parsing one cost about as much as a cached lookup of it
 * (tests/common/test_addr.c checks both fast parsers against inet_pton). Returns false for anything else, which then
 * goes to inet_pton. */
static bool parse_v4(const char *s, uint8_t out[4])
{
	for (int i = 0; i < 4; i++) {
		unsigned v = 0, nd = 0;
		while (nd < 4 && s[nd] >= '0' && s[nd] <= '9')
			v = v * 10 + (unsigned)(s[nd++] - '0');
		if (nd == 0 || nd > 3 || v > 255 || (nd > 1 && s[0] == '0'))
			return false;
		out[i] = (uint8_t)v;
		s += nd;
		if (*s++ != (i < 3 ? '.' : '\0'))
			return false;
	}
	return true;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* IPv6 as inet_pton accepts it, for the common forms only: eight groups of
 * one to four hex digits, or fewer with one "::" standing for at least one
 * zero group. Anything else (a dotted IPv4 tail, junk) returns false and
 * is left to inet_pton, which decides. */
static bool parse_v6(const char *s, uint8_t out[16])
{
	uint16_t g[8];
	unsigned n = 0;
	int gap = -1; /* groups before the "::" */

	if (s[0] == ':') {
		if (s[1] != ':')
			return false;
		gap = 0;
		s += 2;
	}
	while (*s != '\0') {
		unsigned v = 0, nd = 0;
		int h;
		while (nd < 5 && (h = hexval(s[nd])) >= 0) {
			v = v << 4 | (unsigned)h;
			nd++;
		}
		if (nd == 0 || nd > 4 || n == 8)
			return false;
		g[n++] = (uint16_t)v;
		s += nd;
		if (*s == '\0')
			break;
		if (*s++ != ':' || *s == '\0')
			return false; /* '.', junk, or a lone trailing ':' */
		if (*s == ':') {
			if (gap >= 0)
				return false;
			gap = (int)n;
			s++;
		}
	}
	if (gap < 0 ? n != 8 : n > 7)
		return false;
	memset(out, 0, 16);
	unsigned head = gap < 0 ? n : (unsigned)gap, tail = n - head;
	for (unsigned i = 0; i < head; i++) {
		out[2 * i] = (uint8_t)(g[i] >> 8);
		out[2 * i + 1] = (uint8_t)g[i];
	}
	for (unsigned i = 0; i < tail; i++) {
		unsigned o = 16 - 2 * tail + 2 * i;
		out[o] = (uint8_t)(g[head + i] >> 8);
		out[o + 1] = (uint8_t)g[head + i];
	}
	return true;
}

int bt_addr_parse(const char *s, bt_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (s == NULL || *s == '\0')
		return -1;
	if (parse_v4(s, out->bytes)) {
		out->family = AF_INET;
		return 0;
	}
	if (parse_v6(s, out->bytes)) {
		out->family = AF_INET6;
		return 0;
	}
	memset(out->bytes, 0, sizeof(out->bytes));
	if (inet_pton(AF_INET, s, out->bytes) == 1) {
		out->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out->bytes) == 1) {
		out->family = AF_INET6;
		return 0;
	}
	memset(out, 0, sizeof(*out));
	return -1;
}

int bt_prefix_parse(const char *s, bool strict, bt_addr *out, unsigned *len,
		    const char **why)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	const char *dummy;

	if (why == NULL)
		why = &dummy;
	if (alen == 0 || alen >= sizeof(buf)) {
		*why = "not an address";
		return -1;
	}
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (bt_addr_parse(buf, out) != 0) {
		*why = "not an address";
		return -1;
	}
	unsigned max = out->family == AF_INET ? 32 : 128;
	if (slash == NULL) {
		*len = max;
		return 0;
	}
	const char *p = slash + 1;
	if (*p < '0' || *p > '9') {
		*why = "bad prefix length";
		return -1;
	}
	char *end;
	errno = 0;
	unsigned long l = strtoul(p, &end, 10);
	if (errno != 0 || *end != '\0' || l > max || end - p > 3) {
		*why = "bad prefix length";
		return -1;
	}
	for (unsigned bit = (unsigned)l; bit < max; bit++) {
		uint8_t mask = (uint8_t)(0x80u >> (bit % 8));
		if (out->bytes[bit / 8] & mask) {
			if (strict) {
				*why = "host bits set";
				return -1;
			}
			out->bytes[bit / 8] &= (uint8_t)~mask;
		}
	}
	*len = (unsigned)l;
	return 0;
}

const char *bt_addr_format(const bt_addr *a, char *buf, size_t buflen)
{
	if (buflen == 0)
		return buf;
	buf[0] = '\0';
	if (a->family == AF_INET && buflen >= 16) {
		/* Hot in exports (millions of hops): no printf machinery. */
		char *p = buf;
		for (int i = 0; i < 4; i++) {
			unsigned v = a->bytes[i];
			if (v >= 100)
				*p++ = (char)('0' + v / 100);
			if (v >= 10)
				*p++ = (char)('0' + v / 10 % 10);
			*p++ = (char)('0' + v % 10);
			*p++ = i < 3 ? '.' : '\0';
		}
		return buf;
	}
	if (a->family == AF_INET || a->family == AF_INET6) {
		if (inet_ntop(a->family, a->bytes, buf, (socklen_t)buflen) == NULL)
			buf[0] = '\0';
	}
	return buf;
}

void bt_addr_from_v4(bt_addr *a, uint32_t net_order)
{
	memset(a, 0, sizeof(*a));
	a->family = AF_INET;
	memcpy(a->bytes, &net_order, 4);
}

uint32_t bt_addr_v4(const bt_addr *a)
{
	uint32_t v;
	memcpy(&v, a->bytes, 4);
	return v;
}

bool bt_addr_is_set(const bt_addr *a)
{
	return a->family != 0;
}

bool bt_addr_eq(const bt_addr *a, const bt_addr *b)
{
	return a->family == b->family && memcmp(a->bytes, b->bytes, 16) == 0;
}

int bt_addr_cmp(const bt_addr *a, const bt_addr *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->bytes, b->bytes, 16);
}
