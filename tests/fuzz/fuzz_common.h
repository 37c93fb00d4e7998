/* bordertrace — small helpers shared by the fuzz targets (header-only). */
#ifndef BT_FUZZ_COMMON_H
#define BT_FUZZ_COMMON_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "bordertrace/addr.h"

/* An exactly sized heap copy of the input, so that ASan reports a read one
 * byte past the end (libFuzzer's own buffer is exact too; the replayer's is
 * made exact the same way). */
static inline char *fuzz_copy(const unsigned char *data, size_t size)
{
	char *b = malloc(size ? size : 1);
	if (b != NULL)
		memcpy(b, data, size);
	return b;
}

/* True when addr lies inside prefix/len (same family). */
static inline bool fuzz_in_prefix(const bt_addr *addr, const bt_addr *prefix, unsigned len)
{
	if (addr->family != prefix->family || len > (addr->family == AF_INET ? 32u : 128u))
		return false;
	for (unsigned i = 0; i < len; i++) {
		unsigned byte = i / 8, bit = 7 - i % 8;
		if (((addr->bytes[byte] >> bit) & 1) != ((prefix->bytes[byte] >> bit) & 1))
			return false;
	}
	return true;
}

#endif
