/* bordertrace — plain files mapped for a sequential reader (see
 * include/bordertrace/mapfile.h). */
#include "bordertrace/mapfile.h"

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAPS 8
#define AHEAD (4u << 20) /* page tables made ready ahead of the reader */
#define DROP (4u << 20) /* pages behind the reader let go by this much */

struct bt_mapfile {
	int slot;              /* in maps[] */
	const char *data;
	size_t size;
	size_t dropped, ready; /* pages let go below, made ready below */
};

static struct {
	char *volatile base;
	volatile size_t len; /* rounded up to pages */
	volatile sig_atomic_t shrunk;
} maps[MAPS];
static size_t page_size;
static struct sigaction old_bus;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	char *a = si->si_addr;
	for (int i = 0; i < MAPS; i++) {
		char *b = maps[i].base;
		if (b == NULL || a < b || a >= b + maps[i].len)
			continue;
		char *pg = (char *)((uintptr_t)a & ~(uintptr_t)(page_size - 1));
		if (mmap(pg, (size_t)(b + maps[i].len - pg), PROT_READ, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0) != MAP_FAILED) {
			maps[i].shrunk = 1;
			return;
		}
	}
	/* not ours: what would have happened without this handler */
	sigaction(sig, &old_bus, NULL);
}

static bool install(void)
{
	static bool installed;
	if (installed)
		return true;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	long ps = sysconf(_SC_PAGESIZE);
	page_size = ps > 0 ? (size_t)ps : 4096;
	if (sigaction(SIGBUS, &sa, &old_bus) != 0)
		return false;
	installed = true;
	return true;
}

bt_mapfile *bt_mapfile_open(const char *path)
{
	struct stat st;
	int slot = 0;
	while (slot < MAPS && maps[slot].base != NULL)
		slot++;
	if (slot == MAPS || !install())
		return NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	bt_mapfile *m = NULL;
	void *p = MAP_FAILED;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    (uint64_t)st.st_size < SIZE_MAX / 2 && (m = calloc(1, sizeof(*m))) != NULL)
		p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		free(m);
		return NULL;
	}
	(void)madvise(p, (size_t)st.st_size, MADV_SEQUENTIAL);
	m->slot = slot;
	m->data = p;
	m->size = (size_t)st.st_size;
	maps[slot].shrunk = 0;
	maps[slot].len = (m->size + page_size - 1) & ~(page_size - 1);
	maps[slot].base = p;
	return m;
}

const char *bt_mapfile_data(const bt_mapfile *m) { return m->data; }
size_t bt_mapfile_size(const bt_mapfile *m) { return m->size; }

void bt_mapfile_at(bt_mapfile *m, size_t pos)
{
	char *b = (char *)(uintptr_t)m->data;
#ifdef MADV_POPULATE_READ
	if (pos + AHEAD / 2 > m->ready && m->ready < m->size) {
		size_t to = m->ready + AHEAD < m->size ? m->ready + AHEAD : m->size;
		(void)madvise(b + m->ready, to - m->ready, MADV_POPULATE_READ); /* a hint */
		m->ready = to;
	}
#endif
	size_t below = pos & ~(page_size - 1);
	if (below >= m->dropped + DROP) {
		(void)madvise(b + m->dropped, below - m->dropped, MADV_DONTNEED);
		m->dropped = below;
	}
}

bool bt_mapfile_shrunk(const bt_mapfile *m) { return maps[m->slot].shrunk != 0; }

void bt_mapfile_close(bt_mapfile *m)
{
	if (m == NULL)
		return;
	munmap((void *)(uintptr_t)m->data, maps[m->slot].len);
	maps[m->slot].base = NULL;
	free(m);
}
