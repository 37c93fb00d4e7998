/* bordertrace — fuzz target: IXP peering-LAN lists (`--ixp FILE`).
 *
 * Input: the file's bytes. Runs bt_ixp_parse_line on every line, then the
 * loader (bt_ixp_load_buffer) and the build. Properties: a refusal names file
 * and line; when the list builds, every prefix's first address looks up to a
 * prefix that contains it, with a name. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sys/socket.h>

#include "bordertrace/ixp.h"
#include "fuzz_common.h"
#include "bordertrace/textfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_copy(data, size);
	if (buf == NULL)
		return 0;
	bt_lines lines;
	const char *s;
	size_t n;
	bt_addr p;
	unsigned plen;
	char name[BT_IXP_NAME_MAX];

	bt_lines_init(&lines, buf, size);
	while (bt_lines_next_csv(&lines, &s, &n)) {
		for (int hdr = 0; hdr <= 1; hdr++) {
			const char *why = NULL;
			int r = bt_ixp_parse_line(s, n, hdr, &p, &plen, name, &why);
			if (r < 0 && (why == NULL || why[0] == '\0'))
				abort();
			if (r > 0 && (plen > (p.family == AF_INET ? 32u : 128u) ||
				      memchr(name, '\0', sizeof(name)) == NULL))
				abort();
		}
	}

	bt_ixp *t = bt_ixp_new();
	char err[1024];
	err[0] = '\0';
	if (t != NULL) {
		if (bt_ixp_load_buffer(t, "fuzz.csv", buf, size, err, sizeof(err)) != 0) {
			if (strncmp(err, "fuzz.csv:", 9) != 0)
				abort();
		} else if (bt_ixp_build(t, err, sizeof(err)) == 0) {
			bt_lines_init(&lines, buf, size);
			bool maybe_header = true;
			unsigned checked = 0;
			while (bt_lines_next_csv(&lines, &s, &n) && checked < 256) {
				const char *why;
				int r = bt_ixp_parse_line(s, n, maybe_header, &p, &plen, name, &why);
				const char *ts = s;
				size_t tn = n;
				bt_trim(&ts, &tn);
				if (tn > 0 && ts[0] != '#')
					maybe_header = false;
				if (r <= 0)
					continue;
				bt_ixp_match m;
				if (!bt_ixp_lookup(t, &p, &m, NULL) ||
				    !fuzz_in_prefix(&p, &m.prefix, m.prefix_len) || m.name == NULL)
					abort();
				checked++;
			}
		} else if (strncmp(err, "fuzz.csv:", 9) != 0) {
			abort();
		}
		bt_ixp_free(t);
	}
	free(buf);
	return 0;
}
