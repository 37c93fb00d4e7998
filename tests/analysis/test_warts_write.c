/* bordertrace tests — which warts cycle a round id becomes when written
 * (warts_write.h, doc/warts.md "Writing warts"): only the forms the reader
 * gives back are mapped; everything else is "other". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "bordertrace/warts_write.h"

static void test_round_cycle(void **state)
{
	(void)state;
	uint32_t id = 7, start = 7;
	assert_int_equal(bt_warts_round_cycle("c0000005432", &id, &start), BT_WCYCLE_ARK);
	assert_int_equal(id, 5432);
	assert_int_equal(bt_warts_round_cycle("c4294967295", &id, &start), BT_WCYCLE_ARK);
	assert_int_equal(id, 4294967295u);
	assert_int_equal(bt_warts_round_cycle("2017-10-01T09:00:00Z", &id, &start), BT_WCYCLE_TIME);
	assert_int_equal(start, 1506848400);
	/* cycle 0 is scamper's "no cycle id": a time names it instead */
	assert_int_equal(bt_warts_round_cycle("c0000000000", &id, &start), BT_WCYCLE_OTHER);
	assert_int_equal(bt_warts_round_cycle("c4294967296", &id, &start), BT_WCYCLE_OTHER);
	assert_int_equal(bt_warts_round_cycle("c000000543", &id, &start), BT_WCYCLE_OTHER);
	assert_int_equal(bt_warts_round_cycle("c000000543x", &id, &start), BT_WCYCLE_OTHER);
	/* times the reader would not write back as they are */
	assert_int_equal(bt_warts_round_cycle("2017-10-01T09:00:00.5Z", &id, &start), BT_WCYCLE_OTHER);
	assert_int_equal(bt_warts_round_cycle("2017-10-01T09:00:00.000000Z", &id, &start), BT_WCYCLE_OTHER);
	assert_int_equal(bt_warts_round_cycle("1969-12-31T23:59:59Z", &id, &start), BT_WCYCLE_OTHER);
	assert_int_equal(bt_warts_round_cycle("2200-01-01T00:00:00Z", &id, &start), BT_WCYCLE_OTHER);
	assert_int_equal(bt_warts_round_cycle("r0001", &id, &start), BT_WCYCLE_OTHER);
	assert_int_equal(bt_warts_round_cycle("", &id, &start), BT_WCYCLE_OTHER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_cycle),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
