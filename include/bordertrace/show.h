/* bordertrace — outside text made safe to print: in error messages (the bad
 * token of a line) and in terminal tables (organisation and IXP names).
 *
 * Bytes that a terminal would act on are escaped: C0 controls (\t, \n, \r,
 * ESC...), DEL, the C1 controls U+0080..U+009F (U+009B is an 8-bit CSI) and
 * bytes that are not valid UTF-8 become \xHH, a backslash \\. Printable
 * ASCII and valid UTF-8 are kept as they are. The result is bounded: a 100 MB
 * bad line is quoted by its first bytes, then "...". */
#ifndef BORDERTRACE_SHOW_H
#define BORDERTRACE_SHOW_H

#include <stddef.h>

/* Room for a token quoted in an error message: at most about 80 bytes of it. */
#define BT_SHOW_BUF 96

/* Writes s[0..n) escaped into dst (cap bytes, NUL-terminated), cut with "..."
 * where it does not fit: the output never exceeds cap - 1 bytes. Returns dst. */
const char *bt_show(char *dst, size_t cap, const char *s, size_t n);

/* As bt_show, for a NUL-terminated string (NULL shows as ""). */
const char *bt_show_str(char *dst, size_t cap, const char *s);

#endif
