/* bordertrace — fuzz target: AS relationships (`--as-rel FILE`).
 *
 * Input: the file's bytes. Runs bt_asrel_parse_line on every line, then the
 * loader (bt_asrel_load_buffer). Properties: a refusal has a reason and names
 * the file; a line taken has two different, non-zero ASes and REL -1 or 0;
 * when the file loads, every line taken is a link both ways. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bordertrace/asrel.h"
#include "bordertrace/textfile.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every line through the parser: a refusal has a reason, a line taken is
 * a relationship of two different, non-zero ASes; with t (the file
 * loaded), a link both ways. */
static void check(const bt_asrel *t, const char *buf, size_t size)
{
	bt_lines lines;
	const char *s;
	size_t n;
	bt_lines_init(&lines, buf, size);
	while (bt_lines_next(&lines, &s, &n)) {
		uint32_t a, b;
		int rel;
		const char *why = NULL;
		int r = bt_asrel_parse_line(s, n, &a, &b, &rel, &why);
		if (r < 0 && (why == NULL || why[0] == '\0'))
			abort();
		if (r > 0 && (a == 0 || b == 0 || a == b || (rel != -1 && rel != 0)))
			abort();
		if (r > 0 && t != NULL && (!bt_asrel_linked(t, a, b) || !bt_asrel_linked(t, b, a)))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_copy(data, size);
	if (buf == NULL)
		return 0;
	check(NULL, buf, size);
	bt_asrel *t = bt_asrel_new();
	char err[1024];
	if (t != NULL) {
		if (bt_asrel_load_buffer(t, "fuzz.txt", buf, size, err, sizeof(err)) != 0) {
			if (strncmp(err, "fuzz.txt", 8) != 0)
				abort();
		} else {
			check(t, buf, size);
		}
		bt_asrel_free(t);
	}
	free(buf);
	return 0;
}
