/* bordertrace — the engine's timer wheel: setup and the next deadline (the
 * per-probe operations are inline in wheel.h). */
#include "wheel.h"

void bt_wheel_init(bt_wheel *w, bt_tlink *links, uint32_t cap, uint32_t wait_us, uint32_t now_rel)
{
	w->l = links;
	w->cap = cap;
	w->ntimers = 0;
	for (uint32_t i = 0; i < cap; i++)
		links[i].next = BT_NOT_ARMED;
	for (uint32_t h = cap; h <= cap + BT_WHEEL_BUCKETS; h++)
		links[h].prev = links[h].next = h;
	/* the buckets span at least two waits */
	for (w->wshift = 0; ((uint64_t)BT_WHEEL_BUCKETS << w->wshift) < 2ull * wait_us; w->wshift++)
		;
	w->wnext = now_rel >> w->wshift;
	w->wnow = w->wnext;
	w->laps = 0;
}

int64_t bt_wheel_next_us(const bt_wheel *w, uint32_t now_rel)
{
	if (w->ntimers == 0)
		return -1;
	for (uint32_t k = 0; k < BT_WHEEL_BUCKETS; k++) {
		uint32_t b = w->wnext + k;
		uint32_t h = w->cap + (b & (BT_WHEEL_BUCKETS - 1));
		if (w->l[h].next != h) {
			uint32_t end = (b + 1) << w->wshift;
			int32_t d = (int32_t)(end - now_rel);
			return d > 0 ? d : 0;
		}
	}
	return 0;
}
