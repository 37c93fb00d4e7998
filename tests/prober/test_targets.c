/* Unit tests: target lists (parsing, errors with file and line, dedup). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "bordertrace/targets.h"

static void test_parse_ok(void **state)
{
	(void)state;
	const char *txt = "# targets\n198.18.0.1\n\n  198.18.0.2  # comment\r\n2001:db8::1\n198.18.0.1";
	bt_targets t;
	char err[256];
	bt_targets_init(&t);
	assert_int_equal(bt_targets_parse(&t, txt, strlen(txt), "x.txt", err, sizeof(err)), 0);
	assert_int_equal(t.n, 4);
	assert_int_equal(bt_targets_dedup(&t), 1);
	assert_int_equal(t.n, 3);
	char a[BT_ADDR_STRLEN];
	assert_string_equal(bt_addr_format(&t.a[0], a, sizeof(a)), "198.18.0.1");
	assert_string_equal(bt_addr_format(&t.a[1], a, sizeof(a)), "198.18.0.2");
	assert_string_equal(bt_addr_format(&t.a[2], a, sizeof(a)), "2001:db8::1");
	bt_targets_free(&t);
}

static void test_parse_errors(void **state)
{
	(void)state;
	const struct { const char *txt; const char *want; } cases[] = {
		{ "198.18.0.1\nexample.org\n", "x.txt:2: 'example.org'" },
		{ "198.18.0.1\n198.18.0.0/24\n", "x.txt:2:" },
		{ "\n\n\n198.18.0.256\n", "x.txt:4:" },
		{ "198.18.0.1 198.18.0.2\n", "x.txt:1:" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", "x.txt:1:" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bt_targets t;
		char err[256] = "";
		bt_targets_init(&t);
		assert_int_equal(bt_targets_parse(&t, cases[i].txt, strlen(cases[i].txt), "x.txt", err, sizeof(err)), -1);
		assert_non_null(strstr(err, cases[i].want));
		bt_targets_free(&t);
	}
	/* an embedded NUL byte is not an address either */
	bt_targets t;
	char err[256] = "";
	bt_targets_init(&t);
	assert_int_equal(bt_targets_parse(&t, "198.18.0.1\n198\0.18.0.2\n", 23, "x.txt", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "x.txt:2:"));
	bt_targets_free(&t);
}

static void test_load_missing(void **state)
{
	(void)state;
	bt_targets t;
	char err[256] = "";
	bt_targets_init(&t);
	assert_int_equal(bt_targets_load(&t, "/nonexistent/targets.txt", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/targets.txt"));
	bt_targets_free(&t);
}

/* A gzip-compressed list loads as the same list would plain (the prober
 * reads lists through bordertrace/textfile.h), and its errors keep the
 * FILE:LINE shape with the file's own name. */
static void test_load_gzip(void **state)
{
	(void)state;
	char path[] = "/tmp/bt-targets-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	const char *txt = "# gz\r\n198.18.0.1\r\n198.18.0.2\nbogus";
	gzFile gz = gzopen(path, "wb");
	assert_non_null(gz);
	assert_int_equal(gzwrite(gz, txt, (unsigned)strlen(txt)), (int)strlen(txt));
	assert_int_equal(gzclose(gz), Z_OK);

	bt_targets t;
	char err[256] = "", want[300];
	bt_targets_init(&t);
	assert_int_equal(bt_targets_load(&t, path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:4: 'bogus': not an IP address (names are not resolved)", path);
	assert_string_equal(err, want);
	assert_int_equal(t.n, 2);
	char a[BT_ADDR_STRLEN];
	assert_string_equal(bt_addr_format(&t.a[1], a, sizeof(a)), "198.18.0.2");
	bt_targets_free(&t);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_load_missing),
		cmocka_unit_test(test_load_gzip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
