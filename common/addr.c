/* bordertrace — address parsing and printing (see include/bordertrace/addr.h). */
#include "bordertrace/addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

/* Address text is parsed here without inet_pton, whose per-call overhead
 * made parsing an address cost as much as a cached lookup of it (the
 * resolver parses millions of hop addresses), and without a loop per
 * character where that is slow: the processor mispredicts the end of most
 * parts (dotted quad) or groups (IPv6). Measured per address on the
 * resolver benchmark's addresses: a dotted quad 32 ns with the loop, 13 ns
 * with SSSE3; IPv6 170 ns with a loop, 52 ns below. The fast parsers accept
 * exactly what inet_pton accepts, with the same bytes, for the common forms,
 * and leave anything else to inet_pton, which decides
 * (tests/common/test_addr.c checks them against inet_pton). */

/* Dotted quad: four decimal parts of at most 255, no leading zeros. The
 * loop, where SSSE3 is missing (not x86-64, or a processor before 2006). */
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

#define ONES 0x0101010101010101ULL

/* n (4 or 8) bytes at p as a little-endian number. */
static uint64_t load_le(const char *p, size_t n)
{
	uint64_t v = 0;
	memcpy(&v, p, n);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v) >> (64 - 8 * n);
#endif
	return v;
}

/* Bits set in x (a library call when the target has no instruction). */
static unsigned popcount64(uint64_t x)
{
	x -= x >> 1 & 0x5555555555555555ULL;
	x = (x & 0x3333333333333333ULL) + (x >> 2 & 0x3333333333333333ULL);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	return (unsigned)((x * ONES) >> 56);
}

/* The n-character text s (n < 40; at least 8 bytes readable with the
 * terminator, see bt_addr_parse) as five words, bytes past the end zero.
 * The last partial word is the 8 bytes that end at the terminator, shifted
 * down, so nothing past it is read. */
static void load_text(const char *s, size_t n, uint64_t w[5])
{
	for (unsigned k = 0; k < 5; k++) {
		size_t off = 8 * (size_t)k;
		if (off + 8 <= n + 1 || (k == 0 && n < 7))
			w[k] = load_le(s + off, 8);
		else if (off <= n)
			w[k] = load_le(s + n - 7, 8) >> (8 * (off + 7 - n));
		else
			w[k] = 0;
	}
}

/* The four bytes of s before position e (s[e-1] in the top byte), with
 * zeros for any before s[0]. Reads nothing before s or from e on. */
static uint32_t before(const char *s, unsigned e)
{
	unsigned off = e < 4 ? 0 : e - 4;
	return (uint32_t)((uint64_t)load_le(s + off, 4) << (8 * (off + 4 - e)));
}

/* The last l (1..4) bytes of w, the others zero. */
static uint32_t last_bytes(uint32_t w, unsigned l)
{
	return w & (uint32_t)(0xffffffffULL << (8 * (4 - l)));
}

#if defined(__x86_64__) && defined(__GNUC__)
/* Dotted quad with SSSE3 (as in Wojciech Mula's "SIMD-ized faster parse of
 * IPv4 addresses"): the sixteen bytes are classed at once, the dots give
 * the parts' lengths, and one shuffle puts the digits of each part in a
 * 32-bit lane where two multiply-adds make its value. Chosen at run time:
 * Debian builds for x86-64 processors without SSSE3. */
#define HAVE_V4_SSSE3 1

/* pshufb masks for the 81 layouts of a dotted quad (each part 1 to 3
 * digits): part i to 32-bit lane i as 0, hundreds, tens, units (0x80
 * makes a zero byte). */
#define LANE(st, l) \
	0x80, ((l) == 3 ? (st) : 0x80), ((l) >= 2 ? (st) + (l) - 2 : 0x80), (st) + (l) - 1
#define ROW(a, b, c, d) \
	{LANE(0, a), LANE((a) + 1, b), LANE((a) + (b) + 2, c), LANE((a) + (b) + (c) + 3, d)}
#define ROW3(a, b, c) ROW(a, b, c, 1), ROW(a, b, c, 2), ROW(a, b, c, 3)
#define ROW9(a, b) ROW3(a, b, 1), ROW3(a, b, 2), ROW3(a, b, 3)
#define ROW27(a) ROW9(a, 1), ROW9(a, 2), ROW9(a, 3)
static const uint8_t v4_shuffle[81][16] = {ROW27(1), ROW27(2), ROW27(3)};

__attribute__((target("ssse3"))) static bool parse_v4_ssse3(const char *s, size_t n,
							     uint8_t out[4])
{
	if (n < 7 || n > 15)
		return false;
	uint64_t w0 = load_le(s, 8), w1 = n > 7 ? load_le(s + n - 7, 8) >> (8 * (15 - n)) : 0;
	__m128i v = _mm_set_epi64x((long long)w1, (long long)w0);
	__m128i t = _mm_sub_epi8(v, _mm_set1_epi8('0'));
	unsigned digits = (unsigned)_mm_movemask_epi8(
		_mm_cmpeq_epi8(_mm_min_epu8(t, _mm_set1_epi8(9)), t));
	unsigned dots = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('.')));
	unsigned zeros = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('0')));
	if ((digits | dots) != (1u << n) - 1)
		return false;
	unsigned e0 = (unsigned)__builtin_ctz(dots | 1u << 16), d = dots & (dots - 1);
	unsigned e1 = (unsigned)__builtin_ctz(d | 1u << 16);
	d &= d - 1;
	unsigned e2 = (unsigned)__builtin_ctz(d | 1u << 16);
	d &= d - 1;
	unsigned l0 = e0 - 1, l1 = e1 - e0 - 2, l2 = e2 - e1 - 2, l3 = (unsigned)n - e2 - 2;
	/* lengths 1..3 (here 0..2), three dots, no part with a leading zero */
	if (((l0 > 2) | (l1 > 2) | (l2 > 2) | (l3 > 2) | (d != 0)) ||
	    (zeros & (1 | dots << 1) & digits >> 1) != 0)
		return false;
	__m128i m = _mm_loadu_si128((const __m128i *)v4_shuffle[l0 * 27 + l1 * 9 + l2 * 3 + l3]);
	__m128i x = _mm_madd_epi16(_mm_maddubs_epi16(_mm_shuffle_epi8(t, m),
						     _mm_set1_epi32(0x010a6400)),
				   _mm_set1_epi16(1));
	if (_mm_movemask_epi8(_mm_cmpgt_epi32(x, _mm_set1_epi32(255))) != 0)
		return false;
	x = _mm_packs_epi32(x, x);
	uint32_t b = (uint32_t)_mm_cvtsi128_si32(_mm_packus_epi16(x, x));
	memcpy(out, &b, 4);
	return true;
}
#endif

/* The value of a hex group of l (1..4) digits ending at e. */
static unsigned hex_group(const char *s, unsigned e, unsigned l)
{
	uint32_t w = last_bytes(before(s, e), l);
	uint32_t nib = (w & 0x0f0f0f0fu) + 9 * (w >> 6 & 0x01010101u); /* 'a', 'A': 1 + 9 */
	uint32_t y = (nib << 4 | nib >> 8) & 0x00ff00ffu;
	return (y & 0xff) << 8 | (y >> 16 & 0xff);
}

/* Bitmasks of the hex digits and the colons of the text in w (five words
 * of load_text): with SSE2, which every x86-64 has, 16 bytes at once; else
 * 8 at a time with bit tricks over 64-bit words (SWAR). */
#if defined(__SSE2__) && defined(__GNUC__) && defined(__x86_64__)
static void class_v6(const uint64_t w[5], uint64_t *hex, uint64_t *col)
{
	uint64_t h = 0, c = 0;
	for (int k = 0; k < 3; k++) {
		__m128i v = _mm_set_epi64x(k < 2 ? (long long)w[2 * k + 1] : 0, (long long)w[2 * k]);
		__m128i d = _mm_sub_epi8(v, _mm_set1_epi8('0'));
		__m128i l = _mm_sub_epi8(_mm_or_si128(v, _mm_set1_epi8(0x20)), _mm_set1_epi8('a'));
		__m128i x = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d),
					 _mm_cmpeq_epi8(_mm_min_epu8(l, _mm_set1_epi8(5)), l));
		h |= (uint64_t)(unsigned)_mm_movemask_epi8(x) << (16 * k);
		c |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(':')))
		     << (16 * k);
	}
	*hex = h;
	*col = c;
}
#else
#define HIGH 0x8080808080808080ULL

/* The high bit of each byte of w that is above lo and below hi
 * (lo < hi <= 128; bytes from 128 up never count). Exact per byte:
 * no carry crosses bytes. */
static uint64_t bytes_between(uint64_t w, unsigned lo, unsigned hi)
{
	uint64_t low7 = w & (ONES * 127);
	return (ONES * (127 + hi) - low7) & ~w & (low7 + ONES * (127 - lo)) & HIGH;
}

/* One bit per byte of a bytes_between result, byte i to bit i. */
static uint64_t pack8(uint64_t m)
{
	return ((m >> 7) * 0x0102040810204080ULL) >> 56;
}

static void class_v6(const uint64_t w[5], uint64_t *hex, uint64_t *col)
{
	*hex = *col = 0;
	for (int k = 0; k < 5; k++) {
		uint64_t lower = w[k] | ONES * 0x20; /* 'A'-'F' to 'a'-'f' */
		*hex |= pack8(bytes_between(w[k], '0' - 1, '9' + 1) |
			      bytes_between(lower, 'a' - 1, 'f' + 1)) << (8 * k);
		*col |= pack8(bytes_between(w[k], ':' - 1, ':' + 1)) << (8 * k);
	}
}
#endif

/* IPv6 of hex groups with at most one "::" (no dotted IPv4 tail). Not
 * inlined: its registers and stack would cost every IPv4 address a longer
 * prologue (2 ns of 32). */
__attribute__((noinline)) static bool parse_v6(const char *s, size_t n, uint8_t out[16])
{
	uint64_t w[5], hex, col;
	if (n < 2 || n > 39)
		return false;
	load_text(s, n, w);
	class_v6(w, &hex, &col);
	uint64_t dbl = col & col >> 1; /* "::" starts here */
	uint64_t end = (col | 1ULL << n) & hex << 1, first = hex & ~(hex << 1);
	unsigned groups = (unsigned)popcount64(end);
	if ((hex | col) != (1ULL << n) - 1 || (dbl & (dbl - 1)) != 0 ||
	    (hex & hex >> 1 & hex >> 2 & hex >> 3 & hex >> 4) != 0 || /* 5 digits */
	    ((col & 1) && !(dbl & 1)) || ((col >> (n - 1) & 1) && !(dbl >> (n - 2) & 1)) ||
	    (dbl ? groups > 7 : groups != 8))
		return false;
	/* Groups up to the "::" go first, the rest to the end. */
	unsigned head = dbl ? (unsigned)popcount64(end & ((dbl << 1) - 1)) : 8;
	memset(out, 0, 16);
	for (unsigned g = 0; g < groups; g++) {
		unsigned e = (unsigned)__builtin_ctzll(end), b = (unsigned)__builtin_ctzll(first);
		unsigned v = hex_group(s, e, e - b), slot = g < head ? g : g + 8 - groups;
		out[2 * slot] = (uint8_t)(v >> 8);
		out[2 * slot + 1] = (uint8_t)v;
		end &= end - 1;
		first &= first - 1;
	}
	return true;
}

static int parse_addr(const char *s, bt_addr *out, bool simd)
{
	char pad[8];
	memset(out, 0, sizeof(*out));
	if (s == NULL || *s == '\0')
		return -1;
	size_t n = strnlen(s, 40);
#ifdef HAVE_V4_SSSE3
	bool v4 = simd && __builtin_cpu_supports("ssse3") ? parse_v4_ssse3(s, n, out->bytes)
							  : parse_v4(s, out->bytes);
#else
	(void)simd;
	bool v4 = parse_v4(s, out->bytes);
#endif
	if (v4) {
		out->family = AF_INET;
		return 0;
	}
	if (n < 7) { /* parse_v6 reads 8 bytes: "::1" */
		memset(pad, 0, sizeof(pad));
		memcpy(pad, s, n);
		s = pad;
	}
	if (parse_v6(s, n, out->bytes)) {
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

int bt_addr_parse(const char *s, bt_addr *out)
{
	return parse_addr(s, out, true);
}

int bt_addr_parse_portable(const char *s, bt_addr *out)
{
	return parse_addr(s, out, false);
}

int bt_addr_parse_n(const char *s, size_t n, bt_addr *out)
{
	char buf[64];
	memset(out, 0, sizeof(*out));
	if (n == 0 || n >= sizeof(buf) || memchr(s, '\0', n) != NULL)
		return -1;
#ifdef HAVE_V4_SSSE3
	/* parse_addr's first try, on the span itself (it reads s[n] at most) */
	if (__builtin_cpu_supports("ssse3") && parse_v4_ssse3(s, n, out->bytes)) {
		out->family = AF_INET;
		return 0;
	}
#endif
	memcpy(buf, s, n);
	buf[n] = '\0';
	return parse_addr(buf, out, true);
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
