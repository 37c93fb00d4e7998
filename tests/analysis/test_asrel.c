/* bordertrace tests — AS relationships (analysis/asrel.c): CAIDA's serial-1
 * and serial-2 lines, comments, every malformed line with its file and line
 * in the error, a file without a relationship, gzip input, lookups both
 * ways. The AS numbers are table data only: nothing here sends a packet. */
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

#include "bordertrace/asrel.h"

static int parse(const char *s, uint32_t *a, uint32_t *b, int *rel, const char **why)
{
	*why = "";
	return bt_asrel_parse_line(s, strlen(s), a, b, rel, why);
}

static void test_parse(void **state)
{
	(void)state;
	uint32_t a, b;
	int rel;
	const char *why;
	assert_int_equal(parse("3356|4837|-1", &a, &b, &rel, &why), 1); /* serial-1 */
	assert_int_equal(a, 3356);
	assert_int_equal(b, 4837);
	assert_int_equal(rel, -1);
	assert_int_equal(parse("174|3356|0|mlp", &a, &b, &rel, &why), 1); /* serial-2 */
	assert_int_equal(rel, 0);
	assert_int_equal(parse("4294967295|1|0|bgp\r", &a, &b, &rel, &why), 1);
	assert_int_equal(a, 4294967295u);
	assert_int_equal(parse("# source:topology|BGP|20261201", &a, &b, &rel, &why), 0);
	assert_int_equal(parse("   ", &a, &b, &rel, &why), 0);
	static const struct { const char *line, *why; } bad[] = {
		{ "3356|4837", "not AS1|AS2|REL or AS1|AS2|REL|SOURCE" },
		{ "3356|4837|-1|bgp|x", "not AS1|AS2|REL or AS1|AS2|REL|SOURCE" },
		{ "3356,4837,-1", "not AS1|AS2|REL or AS1|AS2|REL|SOURCE" },
		{ "x|4837|-1", "bad AS number (1..4294967295)" },
		{ "0|4837|-1", "bad AS number (1..4294967295)" },
		{ "3356|4294967296|0", "bad AS number (1..4294967295)" },
		{ "3356|3356|0", "an AS in a relationship with itself" },
		{ "3356|4837|1", "relationship not -1 (provider|customer) or 0 (peers)" },
		{ "3356|4837|", "relationship not -1 (provider|customer) or 0 (peers)" },
		{ "3356|4837|-10", "relationship not -1 (provider|customer) or 0 (peers)" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(bad[i].line, &a, &b, &rel, &why), -1);
		assert_string_equal(why, bad[i].why);
	}
	assert_int_equal(bt_asrel_parse_line("1|2\0|0", 6, &a, &b, &rel, &why), -1);
	assert_string_equal(why, "NUL byte in line");
}

static void test_load(void **state)
{
	(void)state;
	char err[512];
	bt_asrel *t = bt_asrel_new();
	const char *buf = "# as-rel\n64500|64501|-1\n64501|64502|0|bgp\n64500|64501|-1\n";
	assert_int_equal(bt_asrel_load_buffer(t, "r.txt", buf, strlen(buf), err, sizeof(err)), 0);
	assert_int_equal(bt_asrel_count(t), 2); /* the repeated pair once */
	assert_true(bt_asrel_linked(t, 64500, 64501));
	assert_true(bt_asrel_linked(t, 64501, 64500)); /* either way */
	assert_true(bt_asrel_linked(t, 64502, 64501));
	assert_false(bt_asrel_linked(t, 64500, 64502));
	assert_false(bt_asrel_linked(t, 64500, 64500));
	assert_false(bt_asrel_linked(NULL, 64500, 64501));
	assert_true(bt_asrel_provides(t, 64500, 64501));   /* the provider first */
	assert_false(bt_asrel_provides(t, 64501, 64500));
	assert_false(bt_asrel_provides(t, 64501, 64502));  /* peers: neither provides */
	assert_false(bt_asrel_provides(t, 64502, 64501));
	assert_false(bt_asrel_provides(NULL, 64500, 64501));
	assert_true(bt_asrel_stub(t, 64501));   /* a customer and a peer, nobody's provider */
	assert_true(bt_asrel_stub(t, 64502));   /* a peer only */
	assert_false(bt_asrel_stub(t, 64500));  /* a provider */
	assert_false(bt_asrel_stub(t, 64503));  /* not in the file: not known */
	assert_false(bt_asrel_stub(NULL, 64501));
	const char *bad = "64500|64501|-1\n\n64501|x|0\n";
	assert_int_equal(bt_asrel_load_buffer(t, "r.txt", bad, strlen(bad), err, sizeof(err)), -1);
	assert_string_equal(err, "r.txt:3: bad AS number (1..4294967295): '64501|x|0'");
	bt_asrel_free(t);
	t = bt_asrel_new();
	const char *none = "# nothing\n\n";
	assert_int_equal(bt_asrel_load_buffer(t, "e.txt", none, strlen(none), err, sizeof(err)), -1);
	assert_string_equal(err, "e.txt: no AS relationship in the file (AS1|AS2|REL lines)");
	assert_int_equal(bt_asrel_load(t, "/nonexistent/as-rel", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/as-rel: No such file or directory"));
	bt_asrel_free(t);
}

static void test_many(void **state)
{
	(void)state;
	char err[256];
	size_t cap = 20000 * 24, len = 0;
	char *buf = malloc(cap);
	assert_non_null(buf);
	for (uint32_t i = 1; i <= 20000; i++)
		len += (size_t)snprintf(buf + len, cap - len, "%u|%u|%d\n", i, i + 100000, -(int)(i & 1));
	bt_asrel *t = bt_asrel_new();
	assert_int_equal(bt_asrel_load_buffer(t, "big", buf, len, err, sizeof(err)), 0);
	assert_int_equal(bt_asrel_count(t), 20000);
	for (uint32_t i = 1; i <= 20000; i++) {
		assert_true(bt_asrel_linked(t, i + 100000, i));
		assert_false(bt_asrel_linked(t, i, i + 100001));
	}
	bt_asrel_free(t);
	free(buf);
}

static void test_gzip(void **state)
{
	(void)state;
	char path[] = "/tmp/bt-test-asrel-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	gzFile gz = gzopen(path, "wb");
	assert_non_null(gz);
	gzputs(gz, "# serial-2\n4837|131279|-1|bgp\n");
	gzclose(gz);
	char err[512];
	bt_asrel *t = bt_asrel_new();
	assert_int_equal(bt_asrel_load(t, path, err, sizeof(err)), 0);
	assert_true(bt_asrel_linked(t, 131279, 4837));
	bt_asrel_free(t);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_gzip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
