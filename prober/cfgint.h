/* bordertrace — integers in campaign files wider than libconfig 1.5 reads
 * them. Private to prober/campaign.c (and its tests through it). */
#ifndef BORDERTRACE_PROBER_CFGINT_H
#define BORDERTRACE_PROBER_CFGINT_H

#include <stddef.h>

/* libconfig 1.5 reads an integer without the L suffix into 32 bits and wraps
 * it silently (4294967496 becomes 200). Returns a malloc'ed, NUL-terminated
 * copy of text[0..len) in which every integer literal outside strings and
 * comments carries the L suffix, so libconfig reads it in 64 bits and the
 * range checks see the value written. Lines are unchanged. A literal that
 * does not fit in 64 bits either: NULL and
 * "name:LINE: field 'x': 'TOKEN' does not fit in 64 bits" in err. */
char *bt_cfgint_widen(const char *text, size_t len, const char *name, char *err, size_t errlen);

#endif
