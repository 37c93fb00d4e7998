/* bordertrace — the traces of a round file held in memory (roundbuf.h). */
#include "bordertrace/roundbuf.h"
#include "bordertrace/textfile.h"

#include <stdio.h>

const char BT_ROUNDBUF_FAILED[] = "(failed)";

int bt_roundbuf_each(const char *name, const char *buf, size_t len, bt_roundbuf_fn fn, void *ctx,
		     char *err, size_t errlen)
{
	bt_lines l;
	const char *line;
	size_t n;
	char why[256];
	bt_lines_init(&l, buf, len);
	while (bt_lines_next(&l, &line, &n)) {
		if (n == 0)
			continue;
		bt_trace *t = bt_trace_from_json(line, n, why, sizeof(why));
		const char *bad = t == NULL ? why : fn(ctx, t, err, errlen);
		if (bad != NULL && bad != BT_ROUNDBUF_FAILED)
			snprintf(err, errlen, "%s:%u: %s", name, l.lineno, bad);
		bt_trace_free(t);
		if (bad != NULL)
			return -1;
	}
	return 0;
}
