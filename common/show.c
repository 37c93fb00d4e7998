/* bordertrace — outside text made safe to print (see include/bordertrace/show.h). */
#include "bordertrace/show.h"

#include <stdbool.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (n bytes left) that is not a C1
 * control, or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
	if (len == 0 || len > n)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	if (c == 0xC2 && s[1] < 0xA0)
		return 0; /* U+0080..U+009F: C1 controls */
	if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] >= 0xA0) ||
	    (c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] >= 0x90))
		return 0; /* overlong, surrogates, past U+10FFFF */
	return len;
}

/* The escaped form of the piece at s: its length in *out_len, into tmp (4+ bytes)
 * or pointing into s; the input consumed is returned. */
static size_t piece(const unsigned char *s, size_t n, char tmp[5], const char **out, size_t *out_len)
{
	static const char hex[] = "0123456789abcdef";
	if (s[0] >= 0x20 && s[0] < 0x7f && s[0] != '\\') {
		*out = (const char *)s;
		*out_len = 1;
		return 1;
	}
	size_t u = s[0] >= 0x80 ? utf8_len(s, n) : 0;
	if (u > 0) {
		*out = (const char *)s;
		*out_len = u;
		return u;
	}
	tmp[0] = '\\';
	if (s[0] == '\\') {
		tmp[1] = '\\';
		*out_len = 2;
	} else {
		tmp[1] = 'x';
		tmp[2] = hex[s[0] >> 4];
		tmp[3] = hex[s[0] & 15];
		*out_len = 4;
	}
	*out = tmp;
	return 1;
}

/* Whether s[0..n) escaped takes at most room bytes. */
static bool fits(const unsigned char *s, size_t n, size_t room)
{
	size_t o = 0;
	for (size_t i = 0; i < n && o <= room;) {
		char tmp[5];
		const char *out;
		size_t len;
		i += piece(s + i, n - i, tmp, &out, &len);
		o += len;
	}
	return o <= room;
}

const char *bt_show(char *dst, size_t cap, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0, i = 0;
	if (cap == 0)
		return dst;
	/* whole if it fits; else as many pieces as leave room for "..." */
	bool whole = fits(p, n, cap - 1);
	while (i < n) {
		char tmp[5];
		const char *out;
		size_t len, used = piece(p + i, n - i, tmp, &out, &len);
		if (o + len + (whole ? 0 : 3) + 1 > cap) {
			if (o + 4 <= cap) {
				memcpy(dst + o, "...", 3);
				o += 3;
			}
			break;
		}
		memcpy(dst + o, out, len);
		o += len;
		i += used;
	}
	dst[o] = '\0';
	return dst;
}

const char *bt_show_str(char *dst, size_t cap, const char *s)
{
	return bt_show(dst, cap, s ? s : "", s ? strlen(s) : 0);
}
