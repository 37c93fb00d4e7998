/* bordertrace — fuzz target: MaxMind DB files (`--asn-db`, `--country-db`).
 *
 * libmaxminddb opens files by path, so each input is written to a memfd and
 * opened through /proc/self/fd/N by the project's own bt_mmdb_open (which
 * also samples records to detect the layout), then looked up at a handful of
 * IPv4 and IPv6 addresses, twice each (the second answer comes from the
 * record memo and must equal the first).
 *
 * Input: the file itself, opened twice: with the layout detected, then with
 * a layout forced (which one: the input's size mod 4, so that a seed is a
 * plain .mmdb file and the fuzzer can still reach every forced layout). Seeds are the databases the resolver tests
 * build from tests/analysis/data/truth.txt (no binary DB is committed, as
 * for every other test database): meson passes that directory to the
 * replayer, and run.sh copies them into the work corpus. corpus/mmdb/ holds
 * only small hand-made and regression inputs. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bordertrace/mmdb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int memfd = -1;

static const char *const addrs[] = {
	"0.0.0.0", "1.0.0.1", "175.45.176.1", "198.18.0.1", "198.19.255.255",
	"255.255.255.255", "::", "2001:db8::1", "2a01:4f8::1", "ffff:ffff::1",
	"::ffff:175.45.176.1",
};

static void lookups(bt_mmdb *db)
{
	for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		bt_addr a;
		if (bt_addr_parse(addrs[i], &a) != 0)
			abort();
		const bt_mmdb_record *rec = NULL, *rec2 = NULL;
		unsigned block = 0, block2 = 0;
		char err[512];
		int r = bt_mmdb_lookup(db, &a, &rec, &block, err, sizeof(err));
		int r2 = bt_mmdb_lookup(db, &a, &rec2, &block2, err, sizeof(err));
		if (r != r2 || block != block2)
			abort();
		if (r == 1) {
			if (rec == NULL || rec2 == NULL || rec->asn != rec2->asn ||
			    memcmp(rec->country, rec2->country, 3) != 0 ||
			    memchr(rec->country, '\0', 3) == NULL ||
			    memchr(rec->reg_country, '\0', 3) == NULL)
				abort();
			if (rec->org != NULL)
				(void)strlen(rec->org);
		}
		if (block > (a.family == AF_INET ? 32u : 128u))
			abort();
	}
}

static void open_and_look(const char *path, bt_mmdb_layout force)
{
	bt_mmdb *db = NULL;
	char err[1024];
	err[0] = '\0';
	if (bt_mmdb_open(path, force, &db, err, sizeof(err)) != 0) {
		if (err[0] == '\0' || db != NULL)
			abort();
		return;
	}
	(void)bt_mmdb_describe(db);
	(void)bt_mmdb_database_type(db);
	(void)bt_mmdb_has_asn(db);
	(void)bt_mmdb_has_country(db);
	lookups(db);
	bt_mmdb_close(db);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (memfd < 0) {
		memfd = memfd_create("bt-fuzz-mmdb", 0);
		if (memfd < 0)
			abort();
	}
	if (ftruncate(memfd, 0) != 0)
		abort();
	size_t off = 0;
	while (off < size) {
		ssize_t w = pwrite(memfd, data + off, size - off, (off_t)off);
		if (w <= 0)
			abort();
		off += (size_t)w;
	}
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	open_and_look(path, BT_MMDB_AUTO);
	open_and_look(path, (bt_mmdb_layout)(1 + size % (BT_MMDB_LAYOUT_COUNT - 1)));
	return 0;
}
