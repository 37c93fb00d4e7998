/* bordertrace — fuzz target: trace records (round files are read by
 * `bordertrace diff/export`, and they may come from any VP or tool).
 *
 * Input: one or more lines of JSON. Each line goes through
 * bt_trace_from_json (fast path, then jansson); the whole input also goes
 * through the line reader (bt_trace_reader over fmemopen), which must go on
 * after a malformed line.
 *
 * Properties checked (abort on violation):
 *  - differential: whenever bt_trace_from_json_fast accepts a line,
 *    bt_trace_from_json_general accepts it too and both serialise to the
 *    same bytes;
 *  - a refusal comes with a message;
 *  - round trip: a record that is accepted serialises (bt_trace_to_json
 *    never refuses what the reader accepted), reads back, and serialises to
 *    the same bytes again. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bordertrace/trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *to_json(const bt_trace *t, size_t *len)
{
	char *buf = NULL;
	size_t cap = 0;
	*len = 0;
	if (bt_trace_to_json(t, &buf, len, &cap) != 0)
		abort(); /* accepted but not writable: reader and writer disagree */
	return buf;
}

static void same_or_abort(const bt_trace *a, const bt_trace *b)
{
	size_t la, lb;
	char *sa = to_json(a, &la), *sb = to_json(b, &lb);
	if (la != lb || memcmp(sa, sb, la) != 0) {
		fprintf(stderr, "serialisations differ:\n%s%s", sa, sb);
		abort();
	}
	free(sa);
	free(sb);
}

static void check_line(const char *line, size_t len, int depth)
{
	char err[512];
	bt_trace *fast = bt_trace_from_json_fast(line, len);
	err[0] = '\0';
	bt_trace *gen = bt_trace_from_json_general(line, len, err, sizeof(err));
	if (fast != NULL) {
		if (gen == NULL) {
			fprintf(stderr, "fast path accepts, jansson refuses: %s\n", err);
			abort();
		}
		same_or_abort(fast, gen);
	}
	if (gen == NULL && (err[0] == '\0' || memchr(err, '\0', sizeof(err)) == NULL))
		abort();

	/* The combined entry point the readers use. */
	err[0] = '\0';
	bt_trace *t = bt_trace_from_json(line, len, err, sizeof(err));
	if ((t == NULL) != (gen == NULL))
		abort();
	if (t != NULL && depth == 0) {
		size_t n;
		char *s = to_json(t, &n);
		if (n == 0 || s[n - 1] != '\n')
			abort();
		bt_trace *back = bt_trace_from_json(s, n - 1, err, sizeof(err));
		if (back == NULL) {
			fprintf(stderr, "written record does not read back: %s\n%s", err, s);
			abort();
		}
		same_or_abort(t, back);
		/* and the written form is itself subject to the differential */
		check_line(s, n - 1, depth + 1);
		bt_trace_free(back);
		free(s);
	}
	bt_trace_free(t);
	bt_trace_free(fast);
	bt_trace_free(gen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Each line in a buffer of its own, exactly sized, for ASan. */
	size_t start = 0;
	for (size_t i = 0; i <= size; i++) {
		if (i < size && data[i] != '\n')
			continue;
		size_t len = i - start;
		char *line = malloc(len ? len : 1);
		if (line == NULL)
			return 0;
		memcpy(line, data + start, len);
		check_line(line, len, 0);
		free(line);
		start = i + 1;
	}

	/* The file reader over the whole input. */
	FILE *f = fmemopen((void *)data, size ? size : 1, "r");
	if (f == NULL)
		return 0;
	if (size == 0) {
		fclose(f);
		return 0;
	}
	bt_trace_reader *r = bt_trace_reader_fdopen(f, "fuzz.jsonl");
	if (r != NULL) {
		char err[1024];
		bt_trace *t;
		int rc;
		unsigned guard = 0;
		while ((rc = bt_trace_reader_next(r, &t, err, sizeof(err))) != 0 && guard++ < 100000) {
			if (rc > 0)
				bt_trace_free(t);
			else if (strncmp(err, "fuzz.jsonl:", 11) != 0)
				abort(); /* errors name file and line */
		}
		bt_trace_reader_close(r);
	}
	fclose(f);
	return 0;
}
