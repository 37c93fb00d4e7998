/* bordertrace tests — the one text-file reader (common/textfile.c) both
 * programs use for target lists, exclusion lists, campaign files, prefix
 * tables and IXP lists: plain and gzip files read alike, the bytes kept as
 * they are (CRLF, a NUL, no final newline), files larger than the first
 * buffer, and the messages for a missing file, a directory and a damaged
 * gzip stream. Then the line cursor over such buffers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "bordertrace/textfile.h"

static char tmpdir[256];

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/bt-textfile-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *path_of(const char *name)
{
	static char p[320];
	snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
	return p;
}

static void write_plain(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static void write_gzip(const char *path, const void *data, size_t n)
{
	gzFile gz = gzopen(path, "wb");
	assert_non_null(gz);
	assert_int_equal(gzwrite(gz, data, (unsigned)n), (int)n);
	assert_int_equal(gzclose(gz), Z_OK);
}

/* Reads path and checks that it gives exactly want[0..n). */
static void read_equals(const char *path, const void *want, size_t n)
{
	char err[512] = "", *buf = NULL;
	size_t len = 12345;
	if (bt_textfile_read(path, &buf, &len, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(len, n);
	assert_memory_equal(buf, want, n);
	assert_int_equal(buf[len], '\0'); /* terminated for the parsers */
	free(buf);
}

/* The bytes a reader must keep as they are: CRLF, a NUL, no final newline. */
static const char awkward[] = "198.18.0.1\r\n# comment\n\n198.18\0.2\n198.18.0.3";

static void test_plain_and_gzip_alike(void **state)
{
	(void)state;
	write_plain(path_of("plain.txt"), awkward, sizeof(awkward) - 1);
	write_gzip(path_of("list.txt.gz"), awkward, sizeof(awkward) - 1);
	read_equals(path_of("plain.txt"), awkward, sizeof(awkward) - 1);
	read_equals(path_of("list.txt.gz"), awkward, sizeof(awkward) - 1);
}

static void test_empty_file(void **state)
{
	(void)state;
	write_plain(path_of("empty.txt"), "", 0);
	write_gzip(path_of("empty.gz"), "", 0);
	read_equals(path_of("empty.txt"), "", 0);
	read_equals(path_of("empty.gz"), "", 0);
}

/* Larger than the first 64 KiB buffer, plain and compressed: the growth
 * path and gzip's multi-block output. */
static void test_large_file(void **state)
{
	(void)state;
	size_t n = 300 * 1000 + 7;
	char *big = malloc(n);
	assert_non_null(big);
	for (size_t i = 0; i < n; i++)
		big[i] = (i % 16 == 15) ? '\n' : (char)('0' + i % 10);
	write_plain(path_of("big.txt"), big, n);
	write_gzip(path_of("big.gz"), big, n);
	read_equals(path_of("big.txt"), big, n);
	read_equals(path_of("big.gz"), big, n);
	free(big);
}

static void expect_error(const char *path, const char *want)
{
	char err[512] = "", *buf = (char *)"untouched";
	size_t len = 0;
	assert_int_equal(bt_textfile_read(path, &buf, &len, err, sizeof(err)), -1);
	assert_string_equal(buf, "untouched");
	if (strcmp(err, want) != 0)
		fail_msg("got '%s', want '%s'", err, want);
}

static void test_errors_name_the_file(void **state)
{
	(void)state;
	char want[512];

	snprintf(want, sizeof(want), "%s: No such file or directory", path_of("none.txt"));
	expect_error(path_of("none.txt"), want);

	snprintf(want, sizeof(want), "%s: read error: Is a directory", tmpdir);
	expect_error(tmpdir, want);

	/* a gzip header followed by garbage: zlib's own reason after the path */
	static const unsigned char bad[] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3,
					     0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	write_plain(path_of("bad.gz"), bad, sizeof(bad));
	char err[512] = "", *buf = NULL;
	size_t len;
	assert_int_equal(bt_textfile_read(path_of("bad.gz"), &buf, &len, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: read error: ", path_of("bad.gz"));
	if (strncmp(err, want, strlen(want)) != 0 || strlen(err) == strlen(want))
		fail_msg("got '%s'", err);
	/* the path once, not again inside zlib's reason */
	if (strstr(err + strlen(want), path_of("bad.gz")) != NULL)
		fail_msg("the path twice: '%s'", err);
}

/* The line cursor: CRLF and LF alike, blank lines kept as lines (numbering
 * follows the file), a NUL inside a line kept, the last line without a
 * newline still a line, and no empty line invented after a final newline. */
static void test_lines(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		size_t len;
	} want[] = {
		{ "198.18.0.1", 10 }, { "# comment", 9 }, { "", 0 }, { "198.18\0.2", 9 },
		{ "198.18.0.3", 10 },
	};
	bt_lines l;
	const char *s;
	size_t n, i = 0;
	bt_lines_init(&l, awkward, sizeof(awkward) - 1);
	while (bt_lines_next(&l, &s, &n)) {
		assert_true(i < sizeof(want) / sizeof(want[0]));
		assert_int_equal(n, want[i].len);
		assert_memory_equal(s, want[i].text, n);
		assert_int_equal(l.lineno, i + 1);
		i++;
	}
	assert_int_equal(i, 5);

	bt_lines_init(&l, "a\r\nb\n", 5);
	assert_int_equal(bt_lines_next(&l, &s, &n), 1);
	assert_int_equal(n, 1);
	assert_int_equal(bt_lines_next(&l, &s, &n), 1);
	assert_int_equal(n, 1);
	assert_int_equal(bt_lines_next(&l, &s, &n), 0);

	bt_lines_init(&l, "", 0);
	assert_int_equal(bt_lines_next(&l, &s, &n), 0);
	/* a lone "\r" is an empty line, not a line of one byte */
	bt_lines_init(&l, "\r", 1);
	assert_int_equal(bt_lines_next(&l, &s, &n), 1);
	assert_int_equal(n, 0);
}

static void test_trim(void **state)
{
	(void)state;
	const char *s = " \t x y \t ";
	size_t n = strlen(s);
	bt_trim(&s, &n);
	assert_int_equal(n, 3);
	assert_memory_equal(s, "x y", 3);
	s = " \t ";
	n = 3;
	bt_trim(&s, &n);
	assert_int_equal(n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_and_gzip_alike),
		cmocka_unit_test(test_empty_file),
		cmocka_unit_test(test_large_file),
		cmocka_unit_test(test_errors_name_the_file),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_trim),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
