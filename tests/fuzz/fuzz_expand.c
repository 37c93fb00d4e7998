/* bordertrace — fuzz target: a campaign's target and exclusion lists
 * (prober/expand.c): addresses and prefixes, the one-address-per-/24 rule,
 * the exclusion ranges, the special-purpose/lab filter and the shuffle.
 *
 * Input: byte 0 sets lab mode (bit 0) and the expansion seed; the rest is
 * read both as a target list and as an exclusion list, then the targets are
 * filtered by the exclusions and shuffled. Properties: refusals name list and
 * line; every filtered-out target is counted once in the stats; no kept
 * target is excluded; in lab mode every kept target is in a test range; the
 * shuffle is a permutation. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bordertrace/addrclass.h"
#include "bordertrace/expand.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int cmp_addr(const void *a, const void *b)
{
	return bt_addr_cmp(a, b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	bool lab = data[0] & 1;
	uint32_t seed = data[0] >> 1;
	char *buf = fuzz_copy(data + 1, size - 1);
	if (buf == NULL)
		return 0;
	size_t len = size - 1;
	char err[1024];

	bt_targets t;
	bt_targets_init(&t);
	err[0] = '\0';
	int trc = bt_expand_parse(&t, buf, len, "t.txt", seed, err, sizeof(err));
	if (trc != 0 && strncmp(err, "t.txt:", 6) != 0)
		abort();

	bt_exclude x;
	bt_exclude_init(&x);
	err[0] = '\0';
	int xrc = bt_exclude_parse(&x, buf, len, "x.txt", err, sizeof(err));
	if (xrc != 0 && strncmp(err, "x.txt:", 6) != 0)
		abort();
	bt_exclude_finish(&x);
	for (size_t i = 1; i < x.n; i++) /* sorted, merged, disjoint */
		if (x.r[i - 1][1] >= x.r[i][0] || x.r[i][0] > x.r[i][1])
			abort();

	if (trc == 0) {
		size_t before = t.n;
		bt_filter_stats st;
		memset(&st, 0, sizeof(st));
		bt_expand_filter(&t, xrc == 0 ? &x : NULL, lab, &st);
		if (st.kept != t.n ||
		    st.kept + st.special + st.excluded + st.duplicates + st.not_ipv4 != before)
			abort();
		for (size_t i = 0; i < t.n; i++) {
			uint32_t a = ntohl(bt_addr_v4(&t.a[i]));
			if ((xrc == 0 && bt_exclude_has(&x, a)) || (lab && !bt_addrclass_is_test_range(bt_addrclass_of(&t.a[i], NULL, NULL, NULL))))
				abort();
		}
		bt_addr *copy = NULL;
		if (t.n > 0 && (copy = malloc(t.n * sizeof(*copy))) != NULL) {
			memcpy(copy, t.a, t.n * sizeof(*copy));
			bt_expand_shuffle(&t, seed);
			qsort(copy, t.n, sizeof(*copy), cmp_addr);
			qsort(t.a, t.n, sizeof(*t.a), cmp_addr);
			if (memcmp(copy, t.a, t.n * sizeof(*copy)) != 0)
				abort();
			free(copy);
		}
	}
	bt_exclude_free(&x);
	bt_targets_free(&t);
	free(buf);
	return 0;
}
