/* bordertrace — fuzz target: a campaign's target and exclusion lists
 * (prober/expand.c): IPv4 and IPv6 addresses and prefixes, the
 * one-address-per-/24 and per-/48 rules, the exclusion ranges, the
 * special-purpose/lab filter and the shuffle.
 *
 * Input: byte 0 sets lab mode (bit 0) and the expansion seed; the rest is
 * read both as a target list and as an exclusion list, then the targets are
 * filtered by the exclusions and shuffled. Properties: refusals name list and
 * line (IPv6 prefixes under a small cap, 64 per prefix, so that its edge is
 * reached); no target is IPv4-mapped; exclusion ranges of
 * both families are sorted and disjoint; every filtered-out target is counted
 * once in the stats, per family; no kept target is excluded; in lab mode
 * every kept target is in a test range; the shuffle is a permutation. */
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
	int trc = bt_expand_parse_capped(&t, buf, len, "t.txt", seed, 64, err, sizeof(err));
	if (trc != 0 && strncmp(err, "t.txt:", 6) != 0)
		abort();
	for (size_t i = 0; i < t.n; i++) {
		bt_addr v4;
		if (bt_addrclass_unmap(&t.a[i], &v4))
			abort();
	}

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
	for (size_t i = 0; i < x.n6; i++) {
		const bt_u128 *r = x.r6[i], *p = i ? x.r6[i - 1] : NULL;
		if (r[0].hi > r[1].hi || (r[0].hi == r[1].hi && r[0].lo > r[1].lo))
			abort();
		if (p && (p[1].hi > r[0].hi || (p[1].hi == r[0].hi && p[1].lo >= r[0].lo)))
			abort();
	}

	if (trc == 0) {
		size_t before = t.n;
		bt_filter_stats st;
		memset(&st, 0, sizeof(st));
		bt_expand_filter(&t, xrc == 0 ? &x : NULL, lab, &st);
		if (st.kept != t.n ||
		    st.kept + st.special + st.excluded + st.duplicates != before ||
		    st.v4.listed + st.v6.listed != before || st.v4.kept + st.v6.kept != st.kept)
			abort();
		const bt_family_stats *fs[2] = { &st.v4, &st.v6 };
		for (int f = 0; f < 2; f++) {
			size_t classes = 0;
			for (int c = 0; c < BT_CLASS_COUNT; c++)
				classes += fs[f]->by_class[c];
			if (fs[f]->kept + fs[f]->special + fs[f]->excluded + fs[f]->duplicates != fs[f]->listed ||
			    classes != fs[f]->special)
				abort();
		}
		for (size_t i = 0; i < t.n; i++) {
			bt_addrclass c = bt_addrclass_of(&t.a[i], NULL, NULL, NULL);
			if ((xrc == 0 && bt_exclude_has_addr(&x, &t.a[i])) ||
			    (lab ? !bt_addrclass_is_test_range(c) : c != BT_CLASS_PUBLIC))
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
