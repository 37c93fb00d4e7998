/* bordertrace — a plain file mapped for one reader going through it from
 * start to end (the analysis reads gigabytes: round files through
 * textfile.h's line reader, RIPE Atlas results through atlas.h), rather
 * than copied out of the page cache by read().
 *
 * What is resident stays a window around the reader, not the file: the
 * pages ahead are made ready in one call (not a fault every few pages),
 * those behind are let go. A file that shrinks while mapped (another
 * program truncating it) would kill the process with SIGBUS at the first
 * byte past its new end: a handler puts zero pages over the rest of the
 * mapping and marks it shrunk, which the reader checks after looking at
 * bytes and then refuses the file. A SIGBUS outside every mapping gets the
 * default action. At most 8 files are mapped at once. */
#ifndef BORDERTRACE_MAPFILE_H
#define BORDERTRACE_MAPFILE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct bt_mapfile bt_mapfile;

/* path mapped whole, read-only: NULL when it cannot be (not a regular
 * file, empty, no free slot, the handler or mmap refused): read it
 * instead. The caller has checked that it is not compressed. */
bt_mapfile *bt_mapfile_open(const char *path);
const char *bt_mapfile_data(const bt_mapfile *m);
size_t bt_mapfile_size(const bt_mapfile *m);
/* The reader is at offset pos: pages ahead made ready, behind let go. */
void bt_mapfile_at(bt_mapfile *m, size_t pos);
/* Whether the file shrank under the mapping (its lost end reads as zeros). */
bool bt_mapfile_shrunk(const bt_mapfile *m);
void bt_mapfile_close(bt_mapfile *m);

#endif
