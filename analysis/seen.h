/* bordertrace — the traces already read, so that a trace read twice (a
 * directory given twice, two copies of a round file) counts once.
 *
 * Compact on purpose (bench/pathdiff.sh): per trace, 16 bytes in one
 * open-addressing table: a 64-bit hash of the trace id, a 32-bit digest of
 * the record and the index of the file it came from. */
#ifndef BORDERTRACE_SEEN_H
#define BORDERTRACE_SEEN_H

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
} bt_seen_result;

/* Records the trace whose id is id (the pipeline's trace id) read from file
 * number file. */
bt_seen_result bt_seen_add(bt_seen *s, const char *id, const bt_trace *t, uint32_t file,
			   uint32_t *first_file);

/* The digest of everything a record holds (pure; equal records, however
 * written, give equal digests). */
uint32_t bt_trace_digest(const bt_trace *t);

#endif
