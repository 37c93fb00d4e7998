/* bordertrace — the engine's open-addressing table: growth of a table with
 * stored keys (the other operations are inline in table.h). */
#include "table.h"

void bt_table_move(bt_table *t, uint32_t *vals, uint64_t *keys, size_t n)
{
	size_t nmask = n - 1;
	for (size_t i = 0; t->vals != NULL && i <= t->mask; i++) {
		if (t->vals[i] == 0)
			continue;
		size_t j = bt_hash_slot(t->keys[i], nmask);
		while (vals[j] != 0)
			j = (j + 1) & nmask;
		keys[j] = t->keys[i];
		vals[j] = t->vals[i];
	}
	t->vals = vals;
	t->keys = keys;
	t->mask = nmask;
}
