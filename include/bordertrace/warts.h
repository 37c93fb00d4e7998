/* bordertrace — scamper warts files (CAIDA Ark and scamper's own output) as
 * a trace source of bordertrace/input.h, read through Debian's
 * libscamperfile. doc/warts.md has the mapping of every field.
 *
 * Streaming, plain or gzip'd (libscamperfile 20211212 reads neither a
 * compressed file nor a stream it did not open itself, so this module frames
 * the records from zlib and hands them to the library one by one). Places
 * are "FILE@OFFSET": the byte offset of the record's header in the
 * (decompressed) file. Objects that are not traces, and traces our record
 * cannot hold, go to the options' skip callback; malformed warts is an
 * error naming the file and offset. */
#ifndef BORDERTRACE_WARTS_H
#define BORDERTRACE_WARTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bordertrace/input.h"

/* The warts magic 0x1205 at the start, and a known object type after it. */
bool bt_warts_sniff(const uint8_t *head, size_t n);
/* bt_input_backend.open for warts files. */
void *bt_warts_open(const char *path, const bt_input_opts *o, const bt_input_ops **ops, char *err,
		    size_t errlen);

/* Flow numbers (doc/probing.md): icmp-paris checksum 0x1000 + flow, UDP and
 * TCP source port 40000 + flow; other values map modulo 65536, so that two
 * flows of scamper's are never one of ours. */
#define BT_WARTS_ICMP_SUM_BASE 0x1000
#define BT_WARTS_SPORT_BASE 40000

/* The records longer than this are refused (a trace record is a few KB). */
#define BT_WARTS_RECORD_MAX (16u << 20)

#endif
