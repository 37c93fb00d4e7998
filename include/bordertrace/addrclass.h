/* bordertrace — address classes from the IANA special-purpose registries.
 *
 * A hop address is first given a class (private, CGNAT, loopback, ...) from
 * the IANA IPv4 and IPv6 Special-Purpose Address Registries and the IPv6
 * address-space registry, before any database is consulted, so that such hops
 * are labelled by what they are and never reported as "unknown AS". Only the
 * classes marked "looked up" are resolved through databases. Pure functions,
 * no allocation, no state. */
#ifndef BORDERTRACE_ADDRCLASS_H
#define BORDERTRACE_ADDRCLASS_H

#include <stdbool.h>

#include "bordertrace/addr.h"

typedef enum bt_addrclass {
	BT_CLASS_NONE = 0,      /* no address (a silent hop) */
	BT_CLASS_PUBLIC,        /* no special purpose: looked up */
	BT_CLASS_PRIVATE,       /* RFC 1918 */
	BT_CLASS_CGNAT,         /* 100.64.0.0/10, RFC 6598 shared address space */
	BT_CLASS_LOOPBACK,      /* 127.0.0.0/8, ::1 */
	BT_CLASS_LINK_LOCAL,    /* 169.254.0.0/16, fe80::/10 */
	BT_CLASS_THIS_NETWORK,  /* 0.0.0.0/8 (RFC 791) */
	BT_CLASS_UNSPECIFIED,   /* 0.0.0.0/32, ::/128 */
	BT_CLASS_IETF_PROTOCOL, /* 192.0.0.0/24, 2001::/23 (IETF protocol assignments) */
	BT_CLASS_DUMMY,         /* 192.0.0.8/32 (RFC 7600), 100:0:0:1::/64 (RFC 9780) */
	BT_CLASS_DOCUMENTATION, /* RFC 5737, 2001:db8::/32, 3fff::/20: test range */
	BT_CLASS_BENCHMARKING,  /* 198.18.0.0/15, 2001:2::/48: test range */
	BT_CLASS_MULTICAST,     /* 224.0.0.0/4, ff00::/8 */
	BT_CLASS_BROADCAST,     /* 255.255.255.255/32 */
	BT_CLASS_RESERVED,      /* 240.0.0.0/4; IPv6 outside 2000::/3 with no other use */
	BT_CLASS_ULA,           /* fc00::/7, RFC 4193 */
	BT_CLASS_SITE_LOCAL,    /* fec0::/10, deprecated by RFC 3879 */
	BT_CLASS_DISCARD,       /* 100::/64, RFC 6666 */
	BT_CLASS_NAT64,         /* 64:ff9b::/96: looked up by the embedded IPv4 */
	BT_CLASS_NAT64_LOCAL,   /* 64:ff9b:1::/48, RFC 8215 local use */
	BT_CLASS_TEREDO,        /* 2001::/32: looked up */
	BT_CLASS_6TO4,          /* 2002::/16: looked up */
	BT_CLASS_SRV6,          /* 5f00::/16, RFC 9602 SRv6 SIDs */
	BT_CLASS_COUNT
} bt_addrclass;

/* Short stable name printed in outputs ("cgnat", "link-local", ...). */
const char *bt_addrclass_name(bt_addrclass c);

/* Inverse of bt_addrclass_name; returns false for an unknown name. */
bool bt_addrclass_from_name(const char *name, bt_addrclass *out);

/* True when addresses of this class are resolved through the databases by
 * default (public, NAT64, Teredo, 6to4). */
bool bt_addrclass_looked_up(bt_addrclass c);

/* True for the ranges labs and tests use (documentation, benchmarking): these
 * are looked up only when the resolver is told to (lookup_test_ranges). */
bool bt_addrclass_is_test_range(bt_addrclass c);

/* Classifies a. An IPv4-mapped IPv6 address (::ffff:a.b.c.d) gets the class of
 * its IPv4 address (see bt_addrclass_unmap). When prefix/len are non-NULL they
 * receive the registry entry that matched (0.0.0.0/0 or 2000::/3 for public);
 * when span is non-NULL it receives the length of the largest block around a
 * that has the same class, so callers may cache by it. */
bt_addrclass bt_addrclass_of(const bt_addr *a, bt_addr *prefix, unsigned *len,
			     unsigned *span);

/* The registry tables themselves, for building faster lookup structures:
 * entry i (0 <= i < count) of the family's table. Returns false past the end. */
bool bt_addrclass_entry(int family, size_t i, bt_addr *prefix, unsigned *len,
			bt_addrclass *cls);

/* If a is IPv4-mapped IPv6, writes the IPv4 address to out and returns true;
 * otherwise copies a to out and returns false. */
bool bt_addrclass_unmap(const bt_addr *a, bt_addr *out);

#endif
