/* bordertrace — files decompressed as they are read (see zfile.h). */
#include "bordertrace/zfile.h"

#include <bzlib.h>
#include <errno.h>
#include <fcntl.h>
#include <lzma.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define ZIN_CHUNK (1u << 18)

struct bt_zfile {
	bt_zkind kind;
	int fd;
	char *path;
	gzFile gz;          /* gzip and plain */
	bz_stream bz;       /* bzip2 */
	lzma_stream xz;     /* xz */
	unsigned char *in;  /* compressed bytes for bzip2 and xz */
	bool in_eof, ended, dead;
};

bt_zkind bt_zfile_sniff(const unsigned char *h, size_t n)
{
	if (n >= 2 && h[0] == 0x1f && h[1] == 0x8b)
		return BT_Z_GZIP;
	if (n >= 4 && memcmp(h, "BZh", 3) == 0 && h[3] >= '1' && h[3] <= '9')
		return BT_Z_BZIP2;
	if (n >= 6 && memcmp(h, "\xfd" "7zXZ\0", 6) == 0)
		return BT_Z_XZ;
	return BT_Z_PLAIN;
}

/* The kind from the first bytes, read in place; a FIFO or a directory
 * cannot be read in place: gzip or plain (zlib reads both, and reports a
 * directory's read error). */
static bt_zkind kind_of(int fd)
{
	unsigned char h[6];
	ssize_t n = pread(fd, h, sizeof(h), 0);
	return n > 0 ? bt_zfile_sniff(h, (size_t)n) : BT_Z_PLAIN;
}

static int open_decoder(bt_zfile *z)
{
	if (z->kind == BT_Z_BZIP2) {
		memset(&z->bz, 0, sizeof(z->bz));
		return BZ2_bzDecompressInit(&z->bz, 0, 0) == BZ_OK ? 0 : -1;
	}
	lzma_stream init = LZMA_STREAM_INIT;
	z->xz = init;
	return lzma_stream_decoder(&z->xz, UINT64_MAX, LZMA_CONCATENATED) == LZMA_OK ? 0 : -1;
}

bt_zfile *bt_zfile_open(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	/* Round files and dumps run to gigabytes: read them in large blocks. */
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	bt_zfile *z = calloc(1, sizeof(*z));
	if (z == NULL) {
		close(fd);
		goto nomem;
	}
	z->fd = fd; /* closed by bt_zfile_close from here */
	if ((z->path = strdup(path)) == NULL)
		goto nomem;
	z->kind = kind_of(fd);
	if (z->kind == BT_Z_GZIP || z->kind == BT_Z_PLAIN) {
		if ((z->gz = gzdopen(fd, "rb")) == NULL)
			goto nomem;
		z->fd = -1; /* gzclose closes it */
		gzbuffer(z->gz, 1u << 18);
		return z;
	}
	if ((z->in = malloc(ZIN_CHUNK)) == NULL || open_decoder(z) != 0)
		goto nomem;
	return z;
nomem:
	bt_zfile_close(z);
	snprintf(err, errlen, "%s: out of memory", path);
	return NULL;
}

static long fail(bt_zfile *z, const char *where, const char *why, char *err, size_t errlen)
{
	z->dead = true;
	snprintf(err, errlen, "%s: read error: %s", where, why);
	return -1;
}

static long gz_read(bt_zfile *z, void *buf, size_t n, const char *where, char *err, size_t errlen)
{
	int got = gzread(z->gz, buf, (unsigned)(n > (1u << 30) ? 1u << 30 : n));
	if (got >= 0)
		return got;
	int saved = errno, zerr;
	const char *msg = gzerror(z->gz, &zerr);
	/* zlib's message starts with the path again: "PATH: reason" */
	size_t pl = strlen(z->path);
	if (strncmp(msg, z->path, pl) == 0 && strncmp(msg + pl, ": ", 2) == 0)
		msg += pl + 2;
	snprintf(err, errlen, "%s: read error: %s", where, zerr == Z_ERRNO ? strerror(saved) : msg);
	return -1;
}

/* More compressed input into z->in: its size, 0 at the end, -1 (errno). */
static long fill_in(bt_zfile *z)
{
	ssize_t n;
	while ((n = read(z->fd, z->in, ZIN_CHUNK)) < 0 && errno == EINTR)
		;
	if (n == 0)
		z->in_eof = true;
	return (long)n;
}

static long bz_read(bt_zfile *z, void *buf, size_t n, const char *where, char *err, size_t errlen)
{
	for (;;) {
		if (z->bz.avail_in == 0 && !z->in_eof) {
			long got = fill_in(z);
			if (got < 0)
				return fail(z, where, strerror(errno), err, errlen);
			z->bz.next_in = (char *)z->in;
			z->bz.avail_in = (unsigned)got;
		}
		if (z->ended) {
			if (z->bz.avail_in == 0 && z->in_eof)
				return 0;
			/* another stream follows (pbzip2 writes one per block) */
			BZ2_bzDecompressEnd(&z->bz);
			char *next = z->bz.next_in;
			unsigned avail = z->bz.avail_in;
			if (open_decoder(z) != 0)
				return fail(z, where, "out of memory", err, errlen);
			z->bz.next_in = next;
			z->bz.avail_in = avail;
			z->ended = false;
		}
		z->bz.next_out = buf;
		z->bz.avail_out = n > (1u << 30) ? 1u << 30 : (unsigned)n;
		unsigned want = z->bz.avail_out;
		int rc = BZ2_bzDecompress(&z->bz);
		if (rc == BZ_STREAM_END)
			z->ended = true;
		else if (rc != BZ_OK)
			return fail(z, where, rc == BZ_MEM_ERROR ? "out of memory" :
				    rc == BZ_DATA_ERROR_MAGIC ? "not bzip2 data (after a bzip2 stream)" :
				    "bzip2 data corrupt", err, errlen);
		long got = (long)(want - z->bz.avail_out);
		if (got > 0)
			return got;
		if (!z->ended && z->in_eof && z->bz.avail_in == 0)
			return fail(z, where, "bzip2 stream truncated (unexpected end of file)", err, errlen);
	}
}

static long xz_read(bt_zfile *z, void *buf, size_t n, const char *where, char *err, size_t errlen)
{
	for (;;) {
		if (z->ended)
			return 0;
		if (z->xz.avail_in == 0 && !z->in_eof) {
			long got = fill_in(z);
			if (got < 0)
				return fail(z, where, strerror(errno), err, errlen);
			z->xz.next_in = z->in;
			z->xz.avail_in = (size_t)got;
		}
		z->xz.next_out = buf;
		z->xz.avail_out = n;
		lzma_ret rc = lzma_code(&z->xz, z->in_eof ? LZMA_FINISH : LZMA_RUN);
		if (rc == LZMA_STREAM_END)
			z->ended = true;
		else if (rc == LZMA_MEM_ERROR)
			return fail(z, where, "out of memory", err, errlen);
		else if (rc == LZMA_BUF_ERROR)
			return fail(z, where, "xz stream truncated (unexpected end of file)", err, errlen);
		else if (rc != LZMA_OK)
			return fail(z, where, "xz data corrupt", err, errlen);
		long got = (long)(n - z->xz.avail_out);
		if (got > 0)
			return got;
	}
}

long bt_zfile_read(bt_zfile *z, void *buf, size_t n, const char *where, char *err, size_t errlen)
{
	if (z->dead)
		return 0;
	switch (z->kind) {
	case BT_Z_BZIP2: return bz_read(z, buf, n, where, err, errlen);
	case BT_Z_XZ: return xz_read(z, buf, n, where, err, errlen);
	default: return gz_read(z, buf, n, where, err, errlen);
	}
}

bt_zkind bt_zfile_kind(const bt_zfile *z)
{
	return z->kind;
}

void bt_zfile_close(bt_zfile *z)
{
	if (z == NULL)
		return;
	if (z->gz != NULL)
		gzclose(z->gz);
	if (z->in != NULL && z->kind == BT_Z_BZIP2)
		BZ2_bzDecompressEnd(&z->bz);
	if (z->in != NULL && z->kind == BT_Z_XZ)
		lzma_end(&z->xz);
	if (z->fd >= 0 && z->gz == NULL)
		close(z->fd);
	free(z->in);
	free(z->path);
	free(z);
}
