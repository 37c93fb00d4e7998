/* bordertrace — fuzz target: scamper warts files (analysis/warts.c).
 *
 * Input: the file's bytes, read through bt_input_open as `diff` reads a
 * file (an in-memory file named by /proc/self/fd). Properties: the file is
 * read to its end or to an error that names the file; every trace handed
 * on passes bt_trace_check (what the pipeline and the writer assume); every
 * skip note names the file. Faults deep inside a record are
 * libscamperfile's own (it asserts on some): the framing, lengths and
 * truncation are ours. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bordertrace/input.h"
#include "bordertrace/trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

static void on_skip(void *ctx, const char *where, const char *what)
{
	(void)ctx;
	if (strncmp(where, path, strlen(path)) != 0 || where[strlen(path)] != '@' || what[0] == '\0')
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("warts", 0);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	bt_input_opts o = { .skipped = on_skip };
	char err[1024], msg[256];
	bt_input *in = bt_input_open(path, &o, err, sizeof(err));
	if (in != NULL) {
		bt_trace *t;
		int rc;
		while ((rc = bt_input_next(in, &t, err, sizeof(err))) == 1) {
			if (bt_trace_check(t, msg, sizeof(msg)) != 0)
				abort();
			bt_trace_free(t);
		}
		if (rc < 0 && strncmp(err, path, strlen(path)) != 0)
			abort();
		bt_input_close(in);
	}
	close(fd);
	return 0;
}
