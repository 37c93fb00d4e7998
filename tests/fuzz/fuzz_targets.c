/* bordertrace — fuzz target: target lists (`bordertrace-probe trace -T FILE`).
 *
 * Input: the file's bytes. Properties: a refusal names the list and a line
 * ("fuzz.txt:N: ..."); an accepted list holds only IPv4/IPv6 addresses that
 * print and parse back to themselves; dedup keeps each address once. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bordertrace/targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1);
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	bt_targets t;
	bt_targets_init(&t);
	char err[512];
	err[0] = '\0';
	if (bt_targets_parse(&t, buf, size, "fuzz.txt", err, sizeof(err)) != 0) {
		if (strncmp(err, "fuzz.txt:", 9) != 0)
			abort();
	} else {
		for (size_t i = 0; i < t.n; i++) {
			char s[BT_ADDR_STRLEN];
			bt_addr back;
			if (bt_addr_format(&t.a[i], s, sizeof(s)) == NULL ||
			    bt_addr_parse(s, &back) != 0 || !bt_addr_eq(&back, &t.a[i]))
				abort();
		}
		size_t n0 = t.n;
		size_t removed = bt_targets_dedup(&t);
		if (removed > n0 || t.n != n0 - removed)
			abort();
		for (size_t i = 1; i < t.n && t.n < 512; i++)
			for (size_t j = 0; j < i; j++)
				if (bt_addr_eq(&t.a[i], &t.a[j]))
					abort();
	}
	bt_targets_free(&t);
	free(buf);
	return 0;
}
