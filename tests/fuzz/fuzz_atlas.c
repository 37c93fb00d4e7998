/* bordertrace — fuzz target: RIPE Atlas results (doc/atlas.md).
 *
 * Input: one result's JSON text. Runs the sniffer and bt_atlas_map.
 * Properties: a refusal or a skip gives a reason; a mapped trace passes
 * bt_trace_check, and is written and read back as the same record (so every
 * Atlas result we map is one our own readers and writer take). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bordertrace/atlas.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_copy(data, size);
	if (buf == NULL)
		return 0;
	(void)bt_atlas_sniff((const uint8_t *)buf, size);
	bt_trace *t = NULL;
	char err[1024] = "";
	int rc = bt_atlas_map(buf, size, 900, &t, err, sizeof(err));
	if (rc != 1 && (err[0] == '\0' || t != NULL))
		abort();
	if (rc == 1) {
		char *json = NULL;
		size_t len = 0, cap = 0;
		if (bt_trace_check(t, err, sizeof(err)) != 0 || bt_trace_to_json(t, &json, &len, &cap) != 0)
			abort();
		bt_trace *back = bt_trace_from_json(json, len - 1, err, sizeof(err));
		char *again = NULL;
		size_t len2 = 0, cap2 = 0;
		if (back == NULL || bt_trace_to_json(back, &again, &len2, &cap2) != 0 || len2 != len ||
		    memcmp(json, again, len) != 0)
			abort();
		free(again);
		free(json);
		bt_trace_free(back);
		bt_trace_free(t);
	}
	free(buf);
	return 0;
}
