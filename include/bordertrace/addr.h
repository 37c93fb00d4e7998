/* bordertrace — network addresses shared by the prober and the analysis.
 *
 * One representation for IPv4 and IPv6: a family plus 16 bytes. IPv4 lives in
 * bytes[0..3] (network order), the rest is zero; it is printed as IPv4, never as
 * a mapped IPv6 address. family == 0 means "no address" (a silent hop). */
#ifndef BORDERTRACE_ADDR_H
#define BORDERTRACE_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BT_ADDR_STRLEN 46 /* INET6_ADDRSTRLEN */

typedef struct bt_addr {
	uint8_t family; /* 0, AF_INET or AF_INET6 */
	uint8_t bytes[16];
} bt_addr;

/* Parses a dotted-quad IPv4 or an IPv6 address; no prefixes, no names.
 * Returns 0, or -1 when s is not an address. */
int bt_addr_parse(const char *s, bt_addr *out);
/* The same without the SSSE3 dotted-quad parser, which the machines that
 * have it would otherwise never run (for the tests). */
int bt_addr_parse_portable(const char *s, bt_addr *out);
/* bt_addr_parse of the n bytes at s, which need no NUL after them (a
 * field inside a line: no copy in the common case); s[n] must be readable.
 * A NUL among them is no address. */
int bt_addr_parse_n(const char *s, size_t n, bt_addr *out);

/* Parses "addr/len" (or a bare address, len = 32/128). Host bits must be zero
 * when strict is true. Returns 0, or -1 with a short reason in *why. */
int bt_prefix_parse(const char *s, bool strict, bt_addr *out, unsigned *len,
		    const char **why);

/* Writes the printable form into buf (BT_ADDR_STRLEN bytes); returns buf.
 * An empty address prints as "". */
const char *bt_addr_format(const bt_addr *a, char *buf, size_t buflen);

void bt_addr_from_v4(bt_addr *a, uint32_t net_order);
uint32_t bt_addr_v4(const bt_addr *a); /* network order */
/* inline: asked of every entry of every trace */
static inline bool bt_addr_is_set(const bt_addr *a) { return a->family != 0; }
bool bt_addr_eq(const bt_addr *a, const bt_addr *b);
int bt_addr_cmp(const bt_addr *a, const bt_addr *b);

#endif
