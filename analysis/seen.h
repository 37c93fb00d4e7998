/* bordertrace — the traces already read, so that a trace read twice (a
 * directory given twice, two copies of a round file) counts once.
 *
 * Compact on purpose (bench/pathdiff.sh): per trace, 16 bytes in an
 * open-addressing table: a 64-bit hash of the trace id, a 32-bit digest of
 * the record and the index of the file it came from.
 *
 * One table a round (the trace id holds the round: a trace can only be
 * read again in its own round). With a reader set (bt_seen_reread), a
 * round is closed when a trace of another round comes, its table freed
 * and only the files its traces came from kept; a trace of a closed round
 * opens it again, its table rebuilt by reading those files again through
 * the reader. Memory then holds the round being read, not the run, when
 * rounds come one after another (doc/trace-format.md).
 * Rounds that come interleaved cost those second reads; once they have
 * cost as many traces as were read, no round is closed any more. */
#ifndef BORDERTRACE_SEEN_H
#define BORDERTRACE_SEEN_H

#include <stddef.h>
#include <stdint.h>

#include "bordertrace/trace.h"

typedef struct bt_seen bt_seen;

bt_seen *bt_seen_new(void);
void bt_seen_free(bt_seen *s);

typedef enum bt_seen_result {
	BT_SEEN_NEW = 0,   /* first time: counted */
	BT_SEEN_SAME,      /* the id again with the same record: counted once */
	BT_SEEN_CONFLICT,  /* the id again with another record: *first_file set */
	BT_SEEN_NOMEM = -1,
	BT_SEEN_ERROR = -2, /* a closed round could not be read again: err */
} bt_seen_result;

/* Reads file number `file` again and gives every trace of round `round`
 * to bt_seen_rebuild (at most `limit` traces of the file: the file being
 * read, up to the trace before the current one); the traces read, or -1
 * (err set). */
typedef long (*bt_seen_reader)(void *ctx, uint32_t file, const char *round, uint64_t limit, char *err,
			       size_t errlen);

/* Closes rounds from now on, reading them again through fn when needed. */
void bt_seen_reread(bt_seen *s, bt_seen_reader fn, void *ctx);
/* File number `file` cannot be read again (standard input, a buffer): the
 * rounds its traces are in stay open. */
void bt_seen_pin_file(bt_seen *s, uint32_t file);
/* The current file's traces so far, the current one included (its limit
 * for the reader). */
void bt_seen_at(bt_seen *s, uint32_t file, uint64_t traces);
/* For the reader: a trace read again into its round's table. */
void bt_seen_rebuild(bt_seen *s, const char *id, const bt_trace *t, uint32_t file);
/* Rounds closed and opened again so far (for the tests). */
uint64_t bt_seen_reopened(const bt_seen *s);

/* Records the trace whose id is id (the pipeline's trace id) read from file
 * number file. */
bt_seen_result bt_seen_add(bt_seen *s, const char *id, const bt_trace *t, uint32_t file,
			   uint32_t *first_file, char *err, size_t errlen);

/* The digest of everything a record holds (pure; equal records, however
 * written, give equal digests). */
uint32_t bt_trace_digest(const bt_trace *t);

#endif
