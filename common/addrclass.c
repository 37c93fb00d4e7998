/* bordertrace — address classes from the IANA special-purpose registries
 * (see include/bordertrace/addrclass.h).
 *
 * Sources: IANA IPv4 Special-Purpose Address Registry, IANA IPv6 Special-Purpose
 * Address Registry, IANA IPv6 Address Space registry (everything outside
 * 2000::/3 that has no other use is "reserved by IETF"), IANA multicast
 * registries. Entries marked globally reachable by IANA (AS112, AMT, PCP and
 * TURN anycast, ORCHIDv2, DRIP) are deliberately left out or mapped to public:
 * they are announced in BGP and must be resolved like any other address. */
#include "bordertrace/addrclass.h"

#include <string.h>
#include <sys/socket.h>

struct class_info {
	const char *name;
	bool looked_up;
	bool test_range;
};

static const struct class_info class_info[BT_CLASS_COUNT] = {
	[BT_CLASS_NONE] = {"none", false, false},
	[BT_CLASS_PUBLIC] = {"public", true, false},
	[BT_CLASS_PRIVATE] = {"private", false, false},
	[BT_CLASS_CGNAT] = {"cgnat", false, false},
	[BT_CLASS_LOOPBACK] = {"loopback", false, false},
	[BT_CLASS_LINK_LOCAL] = {"link-local", false, false},
	[BT_CLASS_THIS_NETWORK] = {"this-network", false, false},
	[BT_CLASS_UNSPECIFIED] = {"unspecified", false, false},
	[BT_CLASS_IETF_PROTOCOL] = {"ietf-protocol", false, false},
	[BT_CLASS_DUMMY] = {"dummy", false, false},
	[BT_CLASS_DOCUMENTATION] = {"documentation", false, true},
	[BT_CLASS_BENCHMARKING] = {"benchmarking", false, true},
	[BT_CLASS_MULTICAST] = {"multicast", false, false},
	[BT_CLASS_BROADCAST] = {"broadcast", false, false},
	[BT_CLASS_RESERVED] = {"reserved", false, false},
	[BT_CLASS_ULA] = {"ula", false, false},
	[BT_CLASS_SITE_LOCAL] = {"site-local", false, false},
	[BT_CLASS_DISCARD] = {"discard", false, false},
	[BT_CLASS_NAT64] = {"nat64", true, false},
	[BT_CLASS_NAT64_LOCAL] = {"nat64-local", false, false},
	[BT_CLASS_TEREDO] = {"teredo", true, false},
	[BT_CLASS_6TO4] = {"6to4", true, false},
	[BT_CLASS_SRV6] = {"srv6", false, false},
};

struct entry {
	uint8_t len;
	uint8_t cls;
	uint8_t bytes[16];
};

#define V4(a, b, c, d) {a, b, c, d}
static const struct entry v4_table[] = {
	{0, BT_CLASS_PUBLIC, V4(0, 0, 0, 0)},
	{8, BT_CLASS_THIS_NETWORK, V4(0, 0, 0, 0)},
	{32, BT_CLASS_UNSPECIFIED, V4(0, 0, 0, 0)},
	{8, BT_CLASS_PRIVATE, V4(10, 0, 0, 0)},
	{10, BT_CLASS_CGNAT, V4(100, 64, 0, 0)},
	{8, BT_CLASS_LOOPBACK, V4(127, 0, 0, 0)},
	{16, BT_CLASS_LINK_LOCAL, V4(169, 254, 0, 0)},
	{12, BT_CLASS_PRIVATE, V4(172, 16, 0, 0)},
	{24, BT_CLASS_IETF_PROTOCOL, V4(192, 0, 0, 0)},
	/* Linux sources ICMP errors from 192.0.0.8 on routers with no IPv4
	 * address of their own: it names no network, so it must not be looked up. */
	{32, BT_CLASS_DUMMY, V4(192, 0, 0, 8)},
	{32, BT_CLASS_PUBLIC, V4(192, 0, 0, 9)},  /* PCP anycast, global */
	{32, BT_CLASS_PUBLIC, V4(192, 0, 0, 10)}, /* TURN anycast, global */
	{24, BT_CLASS_DOCUMENTATION, V4(192, 0, 2, 0)},
	{16, BT_CLASS_PRIVATE, V4(192, 168, 0, 0)},
	{15, BT_CLASS_BENCHMARKING, V4(198, 18, 0, 0)},
	{24, BT_CLASS_DOCUMENTATION, V4(198, 51, 100, 0)},
	{24, BT_CLASS_DOCUMENTATION, V4(203, 0, 113, 0)},
	{4, BT_CLASS_MULTICAST, V4(224, 0, 0, 0)},
	{4, BT_CLASS_RESERVED, V4(240, 0, 0, 0)},
	{32, BT_CLASS_BROADCAST, V4(255, 255, 255, 255)},
};

#define V6(a, b, c, d, e, f, g, h)                                                 \
	{(uint8_t)((a) >> 8), (uint8_t)(a), (uint8_t)((b) >> 8), (uint8_t)(b),       \
	 (uint8_t)((c) >> 8), (uint8_t)(c), (uint8_t)((d) >> 8), (uint8_t)(d),       \
	 (uint8_t)((e) >> 8), (uint8_t)(e), (uint8_t)((f) >> 8), (uint8_t)(f),       \
	 (uint8_t)((g) >> 8), (uint8_t)(g), (uint8_t)((h) >> 8), (uint8_t)(h)}
static const struct entry v6_table[] = {
	/* Only 2000::/3 is allocated for global unicast; the rest of the space
	 * is reserved by the IETF unless a more specific entry says otherwise. */
	{0, BT_CLASS_RESERVED, V6(0, 0, 0, 0, 0, 0, 0, 0)},
	{3, BT_CLASS_PUBLIC, V6(0x2000, 0, 0, 0, 0, 0, 0, 0)},
	{128, BT_CLASS_UNSPECIFIED, V6(0, 0, 0, 0, 0, 0, 0, 0)},
	{128, BT_CLASS_LOOPBACK, V6(0, 0, 0, 0, 0, 0, 0, 1)},
	/* IPv4-mapped: never matched (such addresses are classified as IPv4),
	 * listed so that spans around it stop at its edge. */
	{96, BT_CLASS_RESERVED, V6(0, 0, 0, 0, 0, 0xffff, 0, 0)},
	{96, BT_CLASS_NAT64, V6(0x64, 0xff9b, 0, 0, 0, 0, 0, 0)},
	{48, BT_CLASS_NAT64_LOCAL, V6(0x64, 0xff9b, 1, 0, 0, 0, 0, 0)},
	{64, BT_CLASS_DISCARD, V6(0x100, 0, 0, 0, 0, 0, 0, 0)},
	{64, BT_CLASS_DUMMY, V6(0x100, 0, 0, 1, 0, 0, 0, 0)},
	{23, BT_CLASS_IETF_PROTOCOL, V6(0x2001, 0, 0, 0, 0, 0, 0, 0)},
	{32, BT_CLASS_TEREDO, V6(0x2001, 0, 0, 0, 0, 0, 0, 0)},
	{128, BT_CLASS_PUBLIC, V6(0x2001, 1, 0, 0, 0, 0, 0, 1)}, /* PCP anycast */
	{128, BT_CLASS_PUBLIC, V6(0x2001, 1, 0, 0, 0, 0, 0, 2)}, /* TURN anycast */
	{128, BT_CLASS_PUBLIC, V6(0x2001, 1, 0, 0, 0, 0, 0, 3)}, /* DNS-SD SRP */
	{48, BT_CLASS_BENCHMARKING, V6(0x2001, 2, 0, 0, 0, 0, 0, 0)},
	{32, BT_CLASS_PUBLIC, V6(0x2001, 3, 0, 0, 0, 0, 0, 0)},      /* AMT */
	{48, BT_CLASS_PUBLIC, V6(0x2001, 4, 0x112, 0, 0, 0, 0, 0)},  /* AS112-v6 */
	{28, BT_CLASS_PUBLIC, V6(0x2001, 0x20, 0, 0, 0, 0, 0, 0)},   /* ORCHIDv2 */
	{28, BT_CLASS_PUBLIC, V6(0x2001, 0x30, 0, 0, 0, 0, 0, 0)},   /* DRIP DETs */
	{32, BT_CLASS_DOCUMENTATION, V6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0)},
	{16, BT_CLASS_6TO4, V6(0x2002, 0, 0, 0, 0, 0, 0, 0)},
	{20, BT_CLASS_DOCUMENTATION, V6(0x3fff, 0, 0, 0, 0, 0, 0, 0)},
	{16, BT_CLASS_SRV6, V6(0x5f00, 0, 0, 0, 0, 0, 0, 0)},
	{7, BT_CLASS_ULA, V6(0xfc00, 0, 0, 0, 0, 0, 0, 0)},
	{10, BT_CLASS_LINK_LOCAL, V6(0xfe80, 0, 0, 0, 0, 0, 0, 0)},
	{10, BT_CLASS_SITE_LOCAL, V6(0xfec0, 0, 0, 0, 0, 0, 0, 0)},
	{8, BT_CLASS_MULTICAST, V6(0xff00, 0, 0, 0, 0, 0, 0, 0)},
};

const char *bt_addrclass_name(bt_addrclass c)
{
	if ((unsigned)c >= BT_CLASS_COUNT)
		return "?";
	return class_info[c].name;
}

bool bt_addrclass_from_name(const char *name, bt_addrclass *out)
{
	for (unsigned i = 0; i < BT_CLASS_COUNT; i++) {
		if (strcmp(class_info[i].name, name) == 0) {
			*out = (bt_addrclass)i;
			return true;
		}
	}
	return false;
}

bool bt_addrclass_looked_up(bt_addrclass c)
{
	return (unsigned)c < BT_CLASS_COUNT && class_info[c].looked_up;
}

bool bt_addrclass_is_test_range(bt_addrclass c)
{
	return (unsigned)c < BT_CLASS_COUNT && class_info[c].test_range;
}

bool bt_addrclass_entry(int family, size_t i, bt_addr *prefix, unsigned *len,
			bt_addrclass *cls)
{
	const struct entry *t = family == AF_INET ? v4_table : v6_table;
	size_t n = family == AF_INET ? sizeof(v4_table) / sizeof(v4_table[0])
				     : sizeof(v6_table) / sizeof(v6_table[0]);
	if ((family != AF_INET && family != AF_INET6) || i >= n)
		return false;
	memset(prefix, 0, sizeof(*prefix));
	prefix->family = (uint8_t)family;
	memcpy(prefix->bytes, t[i].bytes, family == AF_INET ? 4 : 16);
	*len = t[i].len;
	*cls = (bt_addrclass)t[i].cls;
	return true;
}

bool bt_addrclass_unmap(const bt_addr *a, bt_addr *out)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (a->family == AF_INET6 && memcmp(a->bytes, mapped, 12) == 0) {
		memset(out, 0, sizeof(*out));
		out->family = AF_INET;
		memcpy(out->bytes, a->bytes + 12, 4);
		return true;
	}
	*out = *a;
	return false;
}

/* Number of leading bits a and b share, at most max. */
static unsigned common_bits(const uint8_t *a, const uint8_t *b, unsigned max)
{
	unsigned n = 0;
	for (unsigned i = 0; i < 16 && n < max; i++) {
		uint8_t x = a[i] ^ b[i];
		if (x == 0) {
			n += 8;
			continue;
		}
		while ((x & 0x80) == 0) {
			n++;
			x = (uint8_t)(x << 1);
		}
		break;
	}
	return n < max ? n : max;
}

bt_addrclass bt_addrclass_of(const bt_addr *in, bt_addr *prefix, unsigned *len,
			     unsigned *span)
{
	bt_addr a;
	const struct entry *t;
	size_t n;
	unsigned width;

	bt_addrclass_unmap(in, &a);
	if (a.family == AF_INET) {
		t = v4_table;
		n = sizeof(v4_table) / sizeof(v4_table[0]);
		width = 32;
	} else if (a.family == AF_INET6) {
		t = v6_table;
		n = sizeof(v6_table) / sizeof(v6_table[0]);
		width = 128;
	} else {
		if (prefix)
			memset(prefix, 0, sizeof(*prefix));
		if (len)
			*len = 0;
		if (span)
			*span = 0;
		return BT_CLASS_NONE;
	}

	/* Longest match; the tables are small enough that a scan is cheaper
	 * than anything cleverer and keeps this function free of state. */
	const struct entry *best = NULL;
	for (size_t i = 0; i < n; i++) {
		if (common_bits(a.bytes, t[i].bytes, width) >= t[i].len &&
		    (best == NULL || t[i].len > best->len))
			best = &t[i];
	}

	/* The block around a with the same class must stop short of every
	 * more specific entry inside best that does not contain a. */
	if (span) {
		unsigned s = best->len;
		for (size_t i = 0; i < n; i++) {
			if (t[i].len <= best->len ||
			    common_bits(t[i].bytes, best->bytes, width) < best->len)
				continue;
			unsigned c = common_bits(a.bytes, t[i].bytes, width);
			if (c < t[i].len && c + 1 > s)
				s = c + 1;
		}
		*span = s;
	}
	if (prefix) {
		memset(prefix, 0, sizeof(*prefix));
		prefix->family = a.family;
		memcpy(prefix->bytes, best->bytes, width / 8);
	}
	if (len)
		*len = best->len;
	return (bt_addrclass)best->cls;
}
