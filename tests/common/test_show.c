/* bordertrace tests — bt_show (bordertrace/show.h): outside text quoted in an
 * error message or a terminal table is bounded and never a terminal control. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bordertrace/show.h"

static const char *show(char *buf, size_t cap, const char *s)
{
	return bt_show_str(buf, cap, s);
}

static void test_plain_and_escaped(void **state)
{
	(void)state;
	char b[BT_SHOW_BUF];
	assert_string_equal(show(b, sizeof(b), "198.18.0.1"), "198.18.0.1");
	assert_string_equal(show(b, sizeof(b), ""), "");
	assert_string_equal(show(b, sizeof(b), NULL), "");
	/* C0 controls, DEL, a backslash */
	assert_string_equal(show(b, sizeof(b), "a\tb\nc\rd\x1b[2J\x7f\\"),
			    "a\\x09b\\x0ac\\x0dd\\x1b[2J\\x7f\\\\");
	/* valid UTF-8 kept, C1 controls (U+009B, an 8-bit CSI) and broken bytes not */
	assert_string_equal(show(b, sizeof(b), "caf\xc3\xa9 \xe4\xb8\xad"), "caf\xc3\xa9 \xe4\xb8\xad");
	assert_string_equal(show(b, sizeof(b), "x\xc2\x9b" "31m"), "x\\xc2\\x9b31m");
	assert_string_equal(show(b, sizeof(b), "\xff\xc3"), "\\xff\\xc3");
	assert_string_equal(show(b, sizeof(b), "\xed\xa0\x80"), "\\xed\\xa0\\x80"); /* surrogate */
	assert_string_equal(show(b, sizeof(b), "\xc0\xaf"), "\\xc0\\xaf");             /* overlong */
	/* a NUL inside a counted token */
	assert_string_equal(bt_show(b, sizeof(b), "a\0b", 3), "a\\x00b");
}

static void test_bounded(void **state)
{
	(void)state;
	size_t n = 100u << 20; /* a 100 MB bad line */
	char *big = malloc(n + 1);
	assert_non_null(big);
	memset(big, 'x', n);
	big[n] = '\0';
	char b[BT_SHOW_BUF];
	bt_show(b, sizeof(b), big, n);
	assert_true(strlen(b) < sizeof(b));
	assert_true(strlen(b) > 60);
	assert_string_equal(b + strlen(b) - 3, "...");
	/* escapes are never cut in half */
	memset(big, '\x1b', 200);
	bt_show(b, 16, big, 200);
	assert_string_equal(b, "\\x1b\\x1b\\x1b...");
	free(big);
	/* exactly fitting: no "..." */
	assert_string_equal(show(b, 4, "abc"), "abc");
	assert_string_equal(show(b, 4, "abcd"), "...");
	assert_string_equal(show(b, 7, "abcdefgh"), "abc...");
	/* a UTF-8 character is kept whole or not at all */
	assert_string_equal(show(b, 8, "ab\xe4\xb8\xad\xe4\xb8\xad"), "ab...");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_and_escaped),
		cmocka_unit_test(test_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
