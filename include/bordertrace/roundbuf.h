/* bordertrace — the traces of a round file held in memory (a file read
 * whole, a blob read back from the store), one by one. */
#ifndef BORDERTRACE_ROUNDBUF_H
#define BORDERTRACE_ROUNDBUF_H

#include <stddef.h>

#include "bordertrace/trace.h"

/* Called with each trace (owned by the caller of fn, freed after it
 * returns): NULL to go on, or a reason, which stops the walk as
 * "NAME:LINE: reason". When fn fails otherwise it writes err itself and
 * returns BT_ROUNDBUF_FAILED. */
typedef const char *(*bt_roundbuf_fn)(void *ctx, const bt_trace *t, char *err, size_t errlen);
extern const char BT_ROUNDBUF_FAILED[];

/* Blank lines are skipped. 0, or -1 with "NAME:LINE: reason" (a line that
 * does not parse, or fn's reason) or fn's own message in err. */
int bt_roundbuf_each(const char *name, const char *buf, size_t len, bt_roundbuf_fn fn, void *ctx,
		     char *err, size_t errlen);

#endif
