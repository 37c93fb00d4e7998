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
#include <bzlib.h>
#include <lzma.h>
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

/* The caps (doc/bad-input.md): endless input stops at the line cap, with
 * the line named; a line at the cap is read, one byte more is refused; a
 * file read whole stops at its size cap (after decompression). */
static void test_caps(void **state)
{
	(void)state;
	char want[512];
	expect_error("/dev/zero", "/dev/zero:1: line longer than 4194304 bytes (the cap on a line)");

	size_t n = BT_LINE_MAX + 2;
	char *big = malloc(n + 2);
	assert_non_null(big);
	big[0] = 'a';
	big[1] = '\n';
	memset(big + 2, 'x', BT_LINE_MAX);
	big[n] = '\n';
	write_plain(path_of("atcap.txt"), big, n + 1);
	char err[512] = "", *buf = NULL;
	size_t len;
	if (bt_textfile_read(path_of("atcap.txt"), &buf, &len, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	free(buf);
	big[n] = 'x';
	big[n + 1] = '\n';
	write_gzip(path_of("overcap.gz"), big, n + 2);
	snprintf(want, sizeof(want), "%s:2: line longer than 4194304 bytes (the cap on a line)",
		 path_of("overcap.gz"));
	expect_error(path_of("overcap.gz"), want);
	free(big);

	write_gzip(path_of("six.gz"), "a\nb\nc\n", 6);
	assert_int_equal(bt_textfile_read_max(path_of("six.gz"), 6, &buf, &len, err, sizeof(err)), 0);
	assert_int_equal(len, 6);
	free(buf);
	assert_int_equal(bt_textfile_read_max(path_of("six.gz"), 5, &buf, &len, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: larger than 5 bytes (the cap on a file read whole)",
		 path_of("six.gz"));
	assert_string_equal(err, want);
}

/* A UTF-8 byte order mark (a spreadsheet's) is no part of the first line;
 * elsewhere it is left alone. */
static void test_bom(void **state)
{
	(void)state;
	bt_lines l;
	const char *s;
	size_t n;
	bt_lines_init(&l, "\xef\xbb\xbf" "198.18.0.1\n\xef\xbb\xbfx", 18);
	assert_int_equal(bt_lines_next(&l, &s, &n), 1);
	assert_int_equal(n, 10);
	assert_memory_equal(s, "198.18.0.1", 10);
	assert_int_equal(l.lineno, 1);
	assert_int_equal(bt_lines_next(&l, &s, &n), 1);
	assert_int_equal(n, 4);
}

/* All the lines of a line reader, joined by "|", into out. */
static int read_lines(bt_linereader *r, char *out, size_t outlen, char *err, size_t errlen)
{
	const char *s;
	size_t n, o = 0;
	int rc;
	out[0] = '\0';
	while ((rc = bt_linereader_next(r, &s, &n, err, errlen)) == 1) {
		assert_true(o + n + 2 < outlen);
		if (o)
			out[o++] = '|';
		memcpy(out + o, s, n); /* a NUL inside a line kept */
		o += n;
		out[o] = '\0';
	}
	return rc;
}

/* The line reader (round files, standard input): plain and gzip files
 * alike, CRLF, a BOM skipped, no final newline; a stream read as it is,
 * and a compressed stream or an xz file named as such. */
static void test_linereader(void **state)
{
	(void)state;
	static const char text[] = "\xef\xbb\xbf" "a\r\n\nb\0c\nlast";
	char got[256], err[512] = "";
	write_plain(path_of("lr.txt"), text, sizeof(text) - 1);
	write_gzip(path_of("lr.gz"), text, sizeof(text) - 1);
	const char *paths[] = { path_of("lr.txt"), NULL };
	char gz[320];
	snprintf(gz, sizeof(gz), "%s", path_of("lr.gz"));
	paths[1] = gz;
	for (int i = 0; i < 2; i++) {
		bt_linereader *r = bt_linereader_open(paths[i], err, sizeof(err));
		assert_non_null(r);
		assert_int_equal(read_lines(r, got, sizeof(got), err, sizeof(err)), 0);
		assert_memory_equal(got, "a||b\0c|last", 12);
		assert_int_equal(bt_linereader_lineno(r), 4);
		bt_linereader_close(r);
	}
	FILE *f = fopen(gz, "rb");
	assert_non_null(f);
	bt_linereader *r = bt_linereader_fdopen(f, "stdin");
	assert_int_equal(read_lines(r, got, sizeof(got), err, sizeof(err)), -1);
	assert_string_equal(err, "stdin: looks gzip-compressed: a stream is read as plain text "
				 "(name the file instead, or decompress it first)");
	assert_int_equal(read_lines(r, got, sizeof(got), err, sizeof(err)), 0);
	bt_linereader_close(r);
	fclose(f);

	write_plain(path_of("x.zst"), "\x28\xb5\x2f\xfd\0\0", 6);
	r = bt_linereader_open(path_of("x.zst"), err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(read_lines(r, got, sizeof(got), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "x.zst: looks zstd-compressed: decompress it first"));
	bt_linereader_close(r);

	assert_null(bt_linereader_open(path_of("none"), err, sizeof(err)));
	assert_non_null(strstr(err, "none: No such file or directory"));
}

/* bzip2 and xz (RIPE Atlas dumps are .bz2) read as plain and gzip files,
 * two concatenated streams through (pbzip2); a damaged or cut stream is a
 * read error naming the file and line, never a short file. */
static void test_bzip2_and_xz(void **state)
{
	(void)state;
	static const char text[] = "\xef\xbb\xbf" "a\r\n\nb\0c\nlast";
	char z[4096], got[256], err[512] = "";
	unsigned zn = sizeof(z);
	assert_int_equal(BZ2_bzBuffToBuffCompress(z, &zn, (char *)text, sizeof(text) - 1, 9, 0, 0), BZ_OK);
	char two[8192];
	memcpy(two, z, zn);
	memcpy(two + zn, z, zn);
	write_plain(path_of("lr.bz2"), two, 2 * zn);
	write_plain(path_of("cut.bz2"), z, zn - 5);
	size_t xn = 0;
	assert_int_equal(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, NULL, (const uint8_t *)text,
						 sizeof(text) - 1, (uint8_t *)z, &xn, sizeof(z)), LZMA_OK);
	write_plain(path_of("lr.xz"), z, xn);
	z[xn / 2] ^= 0x55;
	write_plain(path_of("bad.xz"), z, xn);

	bt_linereader *r = bt_linereader_open(path_of("lr.bz2"), err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(read_lines(r, got, sizeof(got), err, sizeof(err)), 0);
	/* the second stream's BOM is text: only a file's first is skipped */
	assert_memory_equal(got, "a||b\0c|last\xef\xbb\xbf" "a||b\0c|last", 27);
	bt_linereader_close(r);
	r = bt_linereader_open(path_of("lr.xz"), err, sizeof(err));
	assert_int_equal(read_lines(r, got, sizeof(got), err, sizeof(err)), 0);
	assert_memory_equal(got, "a||b\0c|last", 12);
	bt_linereader_close(r);
	const char *bad[] = { "cut.bz2", "bad.xz" };
	const char *why[] = { "cut.bz2:4: read error: bzip2 stream truncated", "bad.xz:1: read error: xz data corrupt" };
	for (int i = 0; i < 2; i++) {
		r = bt_linereader_open(path_of(bad[i]), err, sizeof(err));
		assert_non_null(r);
		assert_int_equal(read_lines(r, got, sizeof(got), err, sizeof(err)), -1);
		if (strstr(err, why[i]) == NULL)
			fail_msg("%s", err);
		bt_linereader_close(r);
	}
	char *buf;
	size_t len;
	assert_int_equal(bt_textfile_read(path_of("lr.xz"), &buf, &len, err, sizeof(err)), 0);
	assert_int_equal(len, sizeof(text) - 1);
	free(buf);
}

/* A line over the cap is refused with its number; the reader goes on with
 * the next line, and an endless stream never grows the buffer past the cap. */
static void test_linereader_cap(void **state)
{
	(void)state;
	size_t n = BT_LINE_MAX + 1;
	char *big = malloc(n + 16);
	assert_non_null(big);
	memcpy(big, "ok\n", 3);
	memset(big + 3, 'x', n);
	memcpy(big + 3 + n, "\nnext\n", 6);
	write_plain(path_of("cap.txt"), big, n + 9);
	free(big);
	char err[512] = "", want[512];
	const char *s;
	size_t len;
	bt_linereader *r = bt_linereader_open(path_of("cap.txt"), err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(bt_linereader_next(r, &s, &len, err, sizeof(err)), 1);
	assert_int_equal(bt_linereader_next(r, &s, &len, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:2: line longer than 4194304 bytes (the cap on a line)",
		 path_of("cap.txt"));
	assert_string_equal(err, want);
	assert_int_equal(bt_linereader_next(r, &s, &len, err, sizeof(err)), 1);
	assert_int_equal(len, 4);
	assert_memory_equal(s, "next", 4);
	assert_int_equal(bt_linereader_lineno(r), 3);
	assert_int_equal(bt_linereader_next(r, &s, &len, err, sizeof(err)), 0);
	bt_linereader_close(r);

	FILE *z = fopen("/dev/zero", "rb");
	assert_non_null(z);
	r = bt_linereader_fdopen(z, "stdin");
	assert_int_equal(bt_linereader_next(r, &s, &len, err, sizeof(err)), -1);
	assert_string_equal(err, "stdin:1: line longer than 4194304 bytes (the cap on a line)");
	bt_linereader_close(r);
	fclose(z);
}

/* A plain file is mapped, not read: one that another program cuts short
 * while it is read is refused with its name and line, not a crash
 * (SIGBUS), and the lines before the cut are as they were. */
static void test_linereader_file_shrinks(void **state)
{
	(void)state;
	size_t lines = 200000, n = lines * 16;
	char *text = malloc(n + 1); /* snprintf ends each line with a NUL */
	assert_non_null(text);
	for (size_t i = 0; i < lines; i++)
		snprintf(text + i * 16, 17, "line %010zu\n", i);
	write_plain(path_of("shrinks.txt"), text, n);
	free(text);
	char err[512] = "", want[64];
	const char *s;
	size_t len;
	bt_linereader *r = bt_linereader_open(path_of("shrinks.txt"), err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(bt_linereader_next(r, &s, &len, err, sizeof(err)), 1);
	assert_int_equal(truncate(path_of("shrinks.txt"), 100000), 0);
	unsigned long good = 1;
	int rc;
	while ((rc = bt_linereader_next(r, &s, &len, err, sizeof(err))) == 1) {
		snprintf(want, sizeof(want), "line %010lu", good++);
		assert_int_equal(len, 15);
		assert_memory_equal(s, want, 15);
	}
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, "shrinks.txt:"));
	assert_non_null(strstr(err, ": the file shrank while it was read"));
	if (good < 6250 || good > 6251)
		fail_msg("%lu lines before the cut (%s)", good, err);
	assert_int_equal(bt_linereader_next(r, &s, &len, err, sizeof(err)), 0);
	bt_linereader_close(r);
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
		cmocka_unit_test(test_linereader_file_shrinks),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_bom),
		cmocka_unit_test(test_linereader),
		cmocka_unit_test(test_linereader_cap),
		cmocka_unit_test(test_bzip2_and_xz),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
