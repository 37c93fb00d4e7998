/* bordertrace — writing our trace records as scamper warts through
 * Debian's libscamperfile (doc/warts.md, "Writing warts"): the inverse of
 * analysis/warts.c's mapping, for `bordertrace convert --to warts`.
 *
 * One warts list per (VP, campaign) (monitor = VP, name = campaign), one
 * cycle per (list, round): a round id that is a time in whole seconds
 * ("2017-10-01T09:00:00Z") becomes cycle 0 started then, one of Ark's form
 * ("c0000005432") that cycle id, so that the reader gives the same round
 * back. Silent attempts, copied hops and the end time are not written (warts
 * lists replies only); a record with replies to several flows is written
 * as one scamper trace per flow. */
#ifndef BORDERTRACE_WARTS_WRITE_H
#define BORDERTRACE_WARTS_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "bordertrace/trace.h"

/* How a round id maps to a warts cycle: BT_WCYCLE_ARK with *id for
 * "cNNNNNNNNNN", BT_WCYCLE_TIME with *start for a time in whole seconds
 * written as our rounds are named, BT_WCYCLE_OTHER for anything else
 * (including ""). Pure. */
typedef enum { BT_WCYCLE_OTHER = 0, BT_WCYCLE_ARK, BT_WCYCLE_TIME } bt_wcycle_kind;
bt_wcycle_kind bt_warts_round_cycle(const char *round, uint32_t *id, uint32_t *start);

typedef struct bt_warts_writer bt_warts_writer;

/* Takes over fd (a new, empty file; name for messages). NULL with a
 * message on error (fd then closed). */
bt_warts_writer *bt_warts_writer_open(int fd, const char *name, char *err, size_t errlen);
/* Writes one record (one scamper trace per flow it holds). 0, or -1 with a
 * message. */
int bt_warts_writer_put(bt_warts_writer *w, const bt_trace *t, char *err, size_t errlen);
/* Writes the cycle stop records, syncs and closes. 0, or -1 with a
 * message; the writer is freed either way. */
int bt_warts_writer_close(bt_warts_writer *w, char *err, size_t errlen);
/* Frees without finishing (after an error). */
void bt_warts_writer_abort(bt_warts_writer *w);

#endif
