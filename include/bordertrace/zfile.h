/* bordertrace — a file read as a byte stream, decompressed on the way:
 * gzip (zlib), bzip2 (libbz2), xz (liblzma) or plain, told apart by the
 * first bytes, never by the name. Concatenated streams (pbzip2, pigz, xz
 * -T) are read through. Round files, RIPE Atlas dumps (.bz2) and CAIDA
 * files (.gz) come through here: the line reader (textfile.h) and the
 * analysis's input sniffing (input.h). */
#ifndef BORDERTRACE_ZFILE_H
#define BORDERTRACE_ZFILE_H

#include <stddef.h>

typedef enum bt_zkind { BT_Z_PLAIN = 0, BT_Z_GZIP, BT_Z_BZIP2, BT_Z_XZ } bt_zkind;

typedef struct bt_zfile bt_zfile;

/* NULL with "PATH: reason" in err (a missing file, out of memory). A
 * file that cannot be positioned (a FIFO) is read as gzip or plain. */
bt_zfile *bt_zfile_open(const char *path, char *err, size_t errlen);
/* Up to n bytes into buf: their number, 0 at the end, or -1 with
 * "WHERE: read error: reason" in err (a damaged or truncated stream, an
 * I/O error; "a directory" for one). */
long bt_zfile_read(bt_zfile *z, void *buf, size_t n, const char *where, char *err,
		   size_t errlen);
bt_zkind bt_zfile_kind(const bt_zfile *z);
void bt_zfile_close(bt_zfile *z);

/* The compression whose magic starts head[0..n): what bt_zfile_open
 * would decompress. */
bt_zkind bt_zfile_sniff(const unsigned char *head, size_t n);

#endif
