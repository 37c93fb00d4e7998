/* bordertrace — fuzz target: prefix-to-AS tables (`--pfx2as FILE`: CAIDA
 * prefix2as or start,end,asn[,org] CSV).
 *
 * Input: the file's bytes (after gzip, which zlib undoes before the parser
 * sees anything). Runs the loader (bt_pfx2as_load_buffer, which calls
 * bt_pfx2as_parse_line on every line) and the build. Properties: a refusal
 * names the file (and the line, for a bad line); when the table builds
 * (repeated and overlapping rows included), every entry's first and last
 * address look up to an answer whose prefix contains them, with 1..64
 * origins when it names any, and every row it settled is described. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bordertrace/pfx2as.h"
#include "fuzz_common.h"
#include "bordertrace/textfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_lookup(const bt_pfx2as *t, const bt_addr *a)
{
	bt_pfx2as_match m;
	unsigned block = 0;
	if (!bt_pfx2as_lookup(t, a, &m, &block))
		abort(); /* an entry covers a, so something must answer */
	if (!fuzz_in_prefix(a, &m.prefix, m.prefix_len) || m.file == NULL ||
	    m.n_origins > BT_PFX2AS_MAX_ORIGINS || (m.n_origins > 0 && m.origins == NULL) ||
	    (m.n_origins > 0 && m.origins[0] != m.asn))
		abort();
	if (m.org != NULL && strlen(m.org) >= BT_PFX2AS_ORG_MAX)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_copy(data, size);
	if (buf == NULL)
		return 0;

	/* The line parser alone, on every line, both header modes. */
	bt_pfx2as_line *l = malloc(sizeof(*l));
	if (l == NULL) {
		free(buf);
		return 0;
	}
	bt_lines lines;
	const char *s;
	size_t n;
	bt_lines_init(&lines, buf, size);
	while (bt_lines_next_csv(&lines, &s, &n)) {
		for (int hdr = 0; hdr <= 1; hdr++) {
			const char *why = NULL;
			int r = bt_pfx2as_parse_line(s, n, hdr, l, &why);
			if (r < 0 && (why == NULL || why[0] == '\0'))
				abort();
			if (r > 0 && (l->n_origins > BT_PFX2AS_MAX_ORIGINS ||
				      memchr(l->org, '\0', sizeof(l->org)) == NULL ||
				      l->first.family != l->last.family ||
				      bt_addr_cmp(&l->first, &l->last) > 0))
				abort();
		}
	}

	bt_pfx2as *t = bt_pfx2as_new();
	char err[1024];
	err[0] = '\0';
	if (t != NULL) {
		if (bt_pfx2as_load_buffer(t, "fuzz.txt", buf, size, err, sizeof(err)) != 0) {
			if (strncmp(err, "fuzz.txt:", 9) != 0)
				abort();
		} else if (bt_pfx2as_build(t, err, sizeof(err)) == 0) {
			for (size_t i = 0; i < bt_pfx2as_nconflicts(t); i++) {
				char line[2048];
				bt_pfx2as_conflict_describe(t, i, line, sizeof(line));
				if (strncmp(line, "fuzz.txt:", 9) != 0)
					abort();
			}
			/* Every entry's ends resolve (first 256 entries: keeps each
			 * run quick). */
			bt_lines_init(&lines, buf, size);
			unsigned checked = 0;
			bool maybe_header = true;
			while (bt_lines_next_csv(&lines, &s, &n) && checked < 256) {
				const char *why;
				int r = bt_pfx2as_parse_line(s, n, maybe_header, l, &why);
				const char *ts = s;
				size_t tn = n;
				bt_trim(&ts, &tn);
				if (tn > 0 && ts[0] != '#')
					maybe_header = false;
				if (r <= 0)
					continue;
				check_lookup(t, &l->first);
				check_lookup(t, &l->last);
				checked++;
			}
		} else if (err[0] == '\0') {
			abort();
		}
		bt_pfx2as_free(t);
	}
	free(l);
	free(buf);
	return 0;
}
