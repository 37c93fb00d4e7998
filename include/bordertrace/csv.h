/* bordertrace — CSV output: RFC 4180 quoting, a header row, CRLF line ends,
 * and files that appear under their final name only when complete.
 *
 * Each file is written to a temporary name in the same directory, then
 * flushed, fsynced and renamed by bt_csv_commit (bt_csv_commit_set: several
 * files, renamed only once all are on disk); bt_csv_abort removes it. A
 * reader therefore never sees a half-written file. */
#ifndef BORDERTRACE_CSV_H
#define BORDERTRACE_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct bt_csv {
	FILE *f;
	char *path;    /* final name */
	char *tmp;     /* temporary name while writing */
	bool first;    /* no field written yet in this row */
	int failed;    /* errno of the first write error */
	char *buf;     /* rows are assembled here and written in large blocks */
	size_t len;
} bt_csv;

/* Opens dir/name for writing (through a temporary file) and writes the
 * header (none when header is NULL: a file that is not CSV, see bt_csv_bytes). */
int bt_csv_open(bt_csv *c, const char *dir, const char *name, const char *const *header,
		size_t ncols, char *err, size_t errlen);
/* Opens an already open stream (stdout): no temporary file, commit only
 * flushes (call it, or bt_csv_abort, to release the buffer). */
void bt_csv_wrap(bt_csv *c, FILE *f);
void bt_csv_header(bt_csv *c, const char *const *header, size_t ncols);
void bt_csv_str(bt_csv *c, const char *s);        /* quoted when needed; NULL = empty */
void bt_csv_u64(bt_csv *c, uint64_t v);
void bt_csv_i64(bt_csv *c, int64_t v);
void bt_csv_fixed(bt_csv *c, double v, int decimals);
void bt_csv_ms(bt_csv *c, uint32_t us);            /* microseconds as ms.mmm */
void bt_csv_time(bt_csv *c, int64_t us);           /* UTC ISO-8601 with Z; empty if 0 */
void bt_csv_end(bt_csv *c);                        /* ends the row */
/* Appends bytes as they are (no separator, no quoting): the same atomic
 * file for other formats (the report's HTML, SVG and PNG files). */
void bt_csv_bytes(bt_csv *c, const void *data, size_t n);
/* Appends fields already formatted (by bt_csv_format), commas included. */
void bt_csv_raw(bt_csv *c, const char *fields, size_t n);
/* Formats one field (quoted when needed) into dst, NUL-terminated; returns its
 * length, or 0 with dst = "" when it does not fit. */
size_t bt_csv_format(char *dst, size_t cap, const char *s);
/* How a cell must be written (OWASP, CSV injection): BT_CSV_QUOTE in double
 * quotes (a comma, quote, CR or LF in it, or a space
 * at either end); BT_CSV_GUARD also behind a ' (it
 * starts with =, +, -, @, tab or CR and is not a plain number such as -1 or
 * +1.5e3, so a spreadsheet would run it as a formula). */
enum { BT_CSV_QUOTE = 1, BT_CSV_GUARD = 2 };
int bt_csv_cell_kind(const char *s);
/* Writes one cell to f by the same rule (for writers with their own rows). */
void bt_csv_fput(FILE *f, const char *s);
/* Flush, fsync, rename to the final name, sync the directory. 0, or -1 with
 * a message. Releases the file either way (bt_csv_abort stays safe). */
int bt_csv_commit(bt_csv *c, char *err, size_t errlen);
/* All-or-nothing for n files of one directory dir (an export): every file
 * is written out and fsynced under its temporary name first; only when all
 * are, they are renamed into place and dir is synced. On a write failure
 * nothing is renamed (the message says dir holds what it held); only a
 * failing rename can leave some files new and others not, and the message
 * then names which. Releases every file either way. */
int bt_csv_commit_set(bt_csv *c, size_t n, const char *dir, char *err, size_t errlen);
/* Removes the temporary file (if any) and frees; safe after commit too. */
void bt_csv_abort(bt_csv *c);

#endif
