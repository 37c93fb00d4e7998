/* bordertrace — text inputs, read whole: target lists, exclusion lists and
 * campaign files (prober), prefix tables and IXP lists (analysis).
 *
 * A file is read whole into memory, plain or compressed (gzip, bzip2, xz:
 * bordertrace/zfile.h; CAIDA ships prefix2as gzipped, and a large target
 * list may come compressed too), and then parsed by pure functions over
 * the buffer, line by line, so that the parsers are tested on strings. */
#ifndef BORDERTRACE_TEXTFILE_H
#define BORDERTRACE_TEXTFILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The caps on hostile or endless input (doc/bad-input.md): a line of any
 * text input, round files included, and a file read whole. */
#define BT_LINE_MAX (4u << 20)              /* 4 MiB */
#define BT_TEXTFILE_MAX ((size_t)1 << 30)   /* 1 GiB, after decompression */

/* Reads path (compressed or not) into a NUL-terminated malloc'ed
 * buffer; *len does not count the terminator, and NUL bytes inside the file
 * are kept (the parsers refuse them). Returns 0, or -1 with a message that
 * starts with the path: "PATH: No such file or directory",
 * "PATH: read error: Is a directory", "PATH: read error: <the reason>"
 * for a damaged compressed stream, "PATH: out of memory", and for the caps
 * "PATH:LINE: line longer than 4194304 bytes (the cap on a line)" or
 * "PATH: larger than 1073741824 bytes (the cap on a file read whole)". */
int bt_textfile_read(const char *path, char **buf, size_t *len, char *err, size_t errlen);
/* The same with another cap on the file's size (tests). */
int bt_textfile_read_max(const char *path, size_t max, char **buf, size_t *len, char *err,
			 size_t errlen);

/* A file read line by line, never whole (round files, standard input):
 * plain or compressed (zfile.h) when opened by path; a stream is read as it is,
 * and one that starts like a compressed file is refused as such. Lines are
 * capped at BT_LINE_MAX bytes; a UTF-8 byte order mark before the first
 * line is skipped. */
typedef struct bt_linereader bt_linereader;
/* NULL with "PATH: reason" in err. */
bt_linereader *bt_linereader_open(const char *path, char *err, size_t errlen);
/* Does not take ownership of f; NULL only on memory exhaustion. */
bt_linereader *bt_linereader_fdopen(FILE *f, const char *name);
/* 1 and the line (without "\n" or "\r\n"; valid until the next call), 0 at
 * the end, -1 with "NAME:LINE: reason" in err (a read error, a line over
 * the cap: the next call goes on after that line). */
int bt_linereader_next(bt_linereader *r, const char **line, size_t *len, char *err,
		       size_t errlen);
/* The 1-based number of the line last returned. */
unsigned long bt_linereader_lineno(const bt_linereader *r);
const char *bt_linereader_name(const bt_linereader *r);
void bt_linereader_close(bt_linereader *r);

/* Line cursor over a buffer: yields each line without its "\n" / "\r\n";
 * a last line without a newline is still a line; a UTF-8 byte order mark
 * at the start of the buffer is skipped. */
typedef struct bt_lines {
	const char *p, *end;
	uint32_t lineno; /* 1-based number of the (first) line last returned */
	uint32_t pending; /* line ends inside the CSV record last returned */
} bt_lines;

void bt_lines_init(bt_lines *l, const char *buf, size_t len);
/* Returns 1 and the line in *line / *len, or 0 at the end. */
int bt_lines_next(bt_lines *l, const char **line, size_t *len);

/* The same for CSV tables (RFC 4180): a field that opens with '"' may hold
 * line ends up to its closing quote, within BT_CSV_RECORD_MAX bytes of the
 * record's start; the record comes without its final line end, lineno is
 * its first line. A quote still open past that bound is left to the
 * parser, which names the line ("unterminated quote"). */
#define BT_CSV_RECORD_MAX 4096u
int bt_lines_next_csv(bt_lines *l, const char **line, size_t *len);

/* Trims ASCII blanks (space, tab) at both ends of [*s, *s + *n). */
void bt_trim(const char **s, size_t *n);

#endif
