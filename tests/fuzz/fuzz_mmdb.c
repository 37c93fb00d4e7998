/* bordertrace — fuzz target: MaxMind DB files (`--asn-db`, `--country-db`).
 * Data only: the addresses below outside the test ranges (8.8.8.8,
 * 175.45.176.1, 2001:4860::1, ...) are database lookup keys; nothing is sent.
 *
 * libmaxminddb opens files by path, so each input is written to a memfd and
 * opened through /proc/self/fd/N by the project's own bt_mmdb_open_flags
 * (which samples records to detect the layout and flattens the networks into
 * an LPM), then looked up at 20 IPv4 and IPv6 addresses (the networks of the
 * test databases and some others), twice each: the second answer comes from
 * the record memo and must equal the first.
 *
 * Input: the file itself, opened three times: layout detected, flattened
 * (the default) and with lookups in the search tree, whose answers must
 * agree (a differential check of the flattening); then with a layout forced
 * (which one: the input's size mod 4, so that a seed stays a plain .mmdb
 * file). Seeds are the databases the resolver tests build from
 * tests/analysis/data/truth.txt (no binary DB is committed, as for every
 * other test database): meson passes them to the replayer, and run.sh copies
 * them into the work corpus. corpus/mmdb/ holds only tiny hand-made and
 * regression inputs. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bordertrace/mmdb.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int memfd = -1;

static const char *const addrs[] = {
	"0.0.0.0", "1.0.0.1", "5.5.5.5", "8.8.8.8", "175.45.176.1", "188.43.1.1",
	"195.69.144.1", "198.18.0.1", "198.18.1.255", "219.158.96.1", "219.158.1.1",
	"255.255.255.255", "::", "2001:db8::1", "2001:7fa:0:1::1", "2001:7f8:1::1",
	"2001:4860::1", "2a01:4f8::1", "ffff:ffff::1", "::ffff:175.45.176.1",
};
#define NADDRS (sizeof(addrs) / sizeof(addrs[0]))

/* What one lookup answered, copied out of the db (records are owned by it). */
struct answer {
	int r;
	unsigned block;
	uint32_t asn;
	char country[3], reg_country[3];
	char org[256];
	bool has_org;
};

static void lookups(bt_mmdb *db, struct answer out[NADDRS])
{
	for (size_t i = 0; i < NADDRS; i++) {
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
		if (block > (a.family == AF_INET ? 32u : 128u))
			abort();
		struct answer *o = &out[i];
		memset(o, 0, sizeof(*o));
		o->r = r;
		o->block = block;
		if (r == 1) {
			if (rec == NULL || rec2 == NULL || rec->asn != rec2->asn ||
			    memcmp(rec->country, rec2->country, 3) != 0 ||
			    memchr(rec->country, '\0', 3) == NULL ||
			    memchr(rec->reg_country, '\0', 3) == NULL)
				abort();
			o->asn = rec->asn;
			memcpy(o->country, rec->country, 3);
			memcpy(o->reg_country, rec->reg_country, 3);
			if (rec->org != NULL) {
				o->has_org = true;
				snprintf(o->org, sizeof(o->org), "%s", rec->org);
			}
		}
	}
}

/* Opens path with force and flags; fills answers and returns true when it
 * opens. */
static bool open_and_look(const char *path, bt_mmdb_layout force, unsigned flags,
			  struct answer ans[NADDRS], bool *flat)
{
	bt_mmdb *db = NULL;
	char err[1024];
	err[0] = '\0';
	if (bt_mmdb_open_flags(path, force, flags, &db, err, sizeof(err)) != 0) {
		if (err[0] == '\0' || db != NULL)
			abort();
		return false;
	}
	(void)bt_mmdb_describe(db);
	(void)bt_mmdb_database_type(db);
	(void)bt_mmdb_has_asn(db);
	(void)bt_mmdb_has_country(db);
	(void)bt_mmdb_network_count(db);
	if (flat != NULL)
		*flat = bt_mmdb_flattened(db);
	lookups(db, ans);
	bt_mmdb_close(db);
	return true;
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

	/* Differential: the flattened table (the default) answers as the
	 * search tree does. */
	static struct answer flat_ans[NADDRS], tree_ans[NADDRS];
	bool flat = false;
	bool ok_flat = open_and_look(path, BT_MMDB_AUTO, 0, flat_ans, &flat);
	bool ok_tree = open_and_look(path, BT_MMDB_AUTO, BT_MMDB_TREE_LOOKUPS, tree_ans, NULL);
	if (ok_flat != ok_tree)
		abort();
	if (ok_flat && flat) {
		for (size_t i = 0; i < NADDRS; i++) {
			const struct answer *x = &flat_ans[i], *y = &tree_ans[i];
			if (x->r != y->r || x->asn != y->asn || memcmp(x->country, y->country, 3) != 0 ||
			    memcmp(x->reg_country, y->reg_country, 3) != 0 || x->has_org != y->has_org ||
			    strcmp(x->org, y->org) != 0) {
				fprintf(stderr, "%s: flattened r=%d asn=%u block=%u, tree r=%d asn=%u block=%u\n",
					addrs[i], x->r, x->asn, x->block, y->r, y->asn, y->block);
				abort();
			}
		}
	}
	/* The block a lookup reports is what the resolver's cache relies on:
	 * every address inside it must get the same answer. (The flattened
	 * table may report a larger block than the tree's node depth, where the
	 * tree holds several empty nodes side by side; that is fine as long as
	 * this holds.) */
	for (int pass = 0; pass < 2 && ok_flat; pass++) {
		const struct answer *ans = pass == 0 ? flat_ans : tree_ans;
		for (size_t i = 0; i < NADDRS; i++) {
			bt_addr ai;
			bt_addr_parse(addrs[i], &ai);
			for (size_t j = 0; j < NADDRS; j++) {
				bt_addr aj;
				bt_addr_parse(addrs[j], &aj);
				/* an error (r = -1) reports no block */
				if (i == j || ans[i].r < 0 || !fuzz_in_prefix(&aj, &ai, ans[i].block))
					continue;
				if (ans[i].r != ans[j].r || ans[i].asn != ans[j].asn ||
				    memcmp(ans[i].country, ans[j].country, 3) != 0) {
					fprintf(stderr, "%s lookups: %s r=%d asn=%u in a /%u block, "
						"but %s inside it r=%d asn=%u\n",
						pass == 0 ? "flattened" : "tree", addrs[i], ans[i].r,
						ans[i].asn, ans[i].block, addrs[j], ans[j].r, ans[j].asn);
					abort();
				}
			}
		}
	}
	/* A forced layout (the input's size picks which, so that a seed stays
	 * a plain .mmdb file), in the tree: coverage of the layout checks. */
	open_and_look(path, (bt_mmdb_layout)(1 + size % (BT_MMDB_LAYOUT_COUNT - 1)),
		      BT_MMDB_TREE_LOOKUPS, tree_ans, NULL);
	return 0;
}
