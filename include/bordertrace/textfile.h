/* bordertrace — text inputs, read whole: target lists, exclusion lists and
 * campaign files (prober), prefix tables and IXP lists (analysis).
 *
 * A file is read whole into memory, gzip-compressed or plain (zlib reads
 * plain files as they are; CAIDA ships prefix2as gzipped, and a large
 * target list may come gzipped too), and then parsed by pure functions over
 * the buffer, line by line, so that the parsers are tested on strings. */
#ifndef BORDERTRACE_TEXTFILE_H
#define BORDERTRACE_TEXTFILE_H

#include <stddef.h>
#include <stdint.h>

/* Reads path (gzip-compressed or not) into a NUL-terminated malloc'ed
 * buffer; *len does not count the terminator, and NUL bytes inside the file
 * are kept (the parsers refuse them). Returns 0, or -1 with a message that
 * starts with the path: "PATH: No such file or directory",
 * "PATH: read error: Is a directory", "PATH: read error: <zlib's reason>"
 * for a damaged gzip stream, "PATH: out of memory". */
int bt_textfile_read(const char *path, char **buf, size_t *len, char *err, size_t errlen);

/* Line cursor over a buffer: yields each line without its "\n" / "\r\n";
 * a last line without a newline is still a line. */
typedef struct bt_lines {
	const char *p, *end;
	uint32_t lineno; /* 1-based number of the line last returned */
} bt_lines;

void bt_lines_init(bt_lines *l, const char *buf, size_t len);
/* Returns 1 and the line in *line / *len, or 0 at the end. */
int bt_lines_next(bt_lines *l, const char **line, size_t *len);

/* Trims ASCII blanks (space, tab) at both ends of [*s, *s + *n). */
void bt_trim(const char **s, size_t *n);

#endif
