/* bordertrace push — uploads a VP's completed round files into the store,
 * one transaction a round (doc/store.md). Deletes a local file only with
 * --prune-after, once the store holds it. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bordertrace/cli.h"
#include "bordertrace/store.h"
#include "bordertrace/textfile.h"
#include "commands.h"

#define DEPTH_MAX 16

struct push_args {
	const char *url, *dir;
	double retry_s;
	long prune_days; /* --prune-after; -1: never */
	bool verbose;
};

struct counts {
	size_t added, present, failed, left, pruned;
};

static void push_usage(FILE *f)
{
	fprintf(f,
		"usage: bordertrace push --db URL [OPTIONS] DIR\n"
		"\n"
		"Uploads every completed round file under DIR (*.jsonl, not hidden) that\n"
		"the store does not hold yet, one transaction a round. A round stored with\n"
		"the same content is skipped; with other content it is refused, never\n"
		"replaced. Local files are deleted only with --prune-after.\n"
		"\n"
		"  --db URL            libpq connection string or URI, without a password\n"
		"                      (~/.pgpass, PGPASSFILE or a service file: doc/store.md)\n"
		"  --retry-for SECONDS how long to wait for a server that is away, with\n"
		"                      back-off from 0.5 s to 30 s (default 300)\n"
		"  --prune-after DAYS  delete a round file older than DAYS days (by its\n"
		"                      modification time) once the store holds it with the\n"
		"                      same content; default: never delete\n"
		"  -v, --verbose       a line per round added\n"
		"  -h, --help          this text\n"
		"\n"
		"exit status: 0 every round is in the store, 1 a round was refused or the\n"
		"server stayed away, 2 usage error\n");
}

static int parse_args(int argc, char **argv, struct push_args *a)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"retry-for", required_argument, NULL, 'r'},
		{"prune-after", required_argument, NULL, 'p'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	char why[1024], *end;
	int c;
	optind = 1;
	while ((c = bt_cli_getopt(argc, argv, "vh", opts, why, sizeof(why))) != -1) {
		switch (c) {
		case 'h': push_usage(stdout); return BT_EXIT_OK;
		case 'd': a->url = optarg; break;
		case 'v': a->verbose = true; break;
		case 'r':
			errno = 0;
			a->retry_s = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(a->retry_s >= 0 && a->retry_s <= 86400))
				return bt_cmd_usage_error("push", "--retry-for: expected seconds 0..86400, got '%s'", optarg);
			break;
		case 'p':
			errno = 0;
			a->prune_days = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || a->prune_days < 0 || a->prune_days > 36500)
				return bt_cmd_usage_error("push", "--prune-after: expected days 0..36500, got '%s'", optarg);
			break;
		default: return bt_cmd_usage_error("push", "%s", why);
		}
	}
	if (a->url == NULL)
		return bt_cmd_usage_error("push", "no --db URL");
	if (argc - optind != 1)
		return bt_cmd_usage_error("push", "expected one DIR");
	a->dir = argv[optind];
	const char *bad = bt_store_conninfo_problem(a->url, why, sizeof(why));
	if (bad != NULL)
		return bt_cmd_usage_error("push", "--db: %s", bad);
	return -1;
}

struct files {
	char **v;
	size_t n, cap;
};

static int add_name(struct files *f, const char *dir, const char *name)
{
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 64;
		char **v = realloc(f->v, cap * sizeof(*v));
		if (v == NULL)
			return -1;
		f->v = v;
		f->cap = cap;
	}
	if (asprintf(&f->v[f->n], "%s/%s", dir, name) < 0)
		return -1;
	f->n++;
	return 0;
}

static int not_hidden(const struct dirent *de)
{
	return de->d_name[0] != '.';
}

static bool round_name(const char *name)
{
	size_t l = strlen(name);
	return l > 6 && strcmp(name + l - 6, ".jsonl") == 0;
}

static int collect(struct files *f, const char *dir, int depth, char *err, size_t errlen);

/* One entry of a directory: a directory is walked, a round file kept. */
static int collect_entry(struct files *f, const char *dir, const char *name, int depth, char *err,
			 size_t errlen)
{
	char *p = NULL;
	struct stat sb;
	int rc = 0;
	if (asprintf(&p, "%s/%s", dir, name) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (stat(p, &sb) != 0) {
		snprintf(err, errlen, "%s: %s", p, strerror(errno));
		rc = -1;
	} else if (S_ISDIR(sb.st_mode)) {
		rc = collect(f, p, depth + 1, err, errlen);
	} else if (S_ISREG(sb.st_mode) && round_name(name) && add_name(f, dir, name) != 0) {
		snprintf(err, errlen, "out of memory");
		rc = -1;
	}
	free(p);
	return rc;
}

/* The completed round files under dir, in name order: hidden names are
 * rounds being written (prober/round.c) or anything else not ours. */
static int collect(struct files *f, const char *dir, int depth, char *err, size_t errlen)
{
	if (depth > DEPTH_MAX) {
		snprintf(err, errlen, "%s: directories nested too deep", dir);
		return -1;
	}
	struct dirent **de;
	int n = scandir(dir, &de, not_hidden, alphasort);
	if (n < 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	int rc = 0;
	for (int i = 0; i < n; i++) {
		if (rc == 0)
			rc = collect_entry(f, dir, de[i]->d_name, depth, err, errlen);
		free(de[i]);
	}
	free(de);
	return rc;
}

/* Deletes a round file the store confirmed (added or found with the same
 * hash) once it is older than --prune-after, and only if it is still the
 * file that was read: same inode, size and modification time. */
static void prune(const char *path, const struct stat *read, const struct push_args *a, struct counts *c)
{
	struct stat now;
	if (a->prune_days < 0 || read->st_mtime > time(NULL) - (time_t)a->prune_days * 86400)
		return;
	if (stat(path, &now) != 0 || now.st_ino != read->st_ino || now.st_dev != read->st_dev ||
	    now.st_size != read->st_size || now.st_mtim.tv_sec != read->st_mtim.tv_sec ||
	    now.st_mtim.tv_nsec != read->st_mtim.tv_nsec) {
		fprintf(stderr, "bordertrace push: %s: changed since it was read: not pruned\n", path);
		c->failed++;
	} else if (unlink(path) != 0) {
		fprintf(stderr, "bordertrace push: %s: not pruned: %s\n", path, strerror(errno));
		c->failed++;
	} else {
		c->pruned++;
	}
}

/* One file: read, summarized, pushed. 0 go on, -1 the server stayed away. */
static int push_file(bt_store *st, const char *path, const struct push_args *a, struct counts *c)
{
	char err[1024], *buf = NULL;
	size_t len;
	bt_round_summary s;
	struct stat read;
	if (stat(path, &read) != 0) {
		fprintf(stderr, "bordertrace push: %s: %s (not pushed)\n", path, strerror(errno));
		c->failed++;
		return 0;
	}
	if (bt_textfile_read(path, &buf, &len, err, sizeof(err)) != 0 ||
	    bt_round_summarize(path, buf, len, &s, err, sizeof(err)) != 0) {
		free(buf);
		fprintf(stderr, "bordertrace push: %s (not pushed)\n", err);
		c->failed++;
		return 0;
	}
	free(buf);
	enum bt_push_result r = bt_store_push(st, path, &s, err, sizeof(err));
	bt_round_summary_free(&s);
	switch (r) {
	case BT_PUSH_ADDED:
		c->added++;
		if (a->verbose)
			fprintf(stderr, "bordertrace push: %s: added\n", path);
		prune(path, &read, a, c);
		return 0;
	case BT_PUSH_PRESENT:
		c->present++;
		prune(path, &read, a, c);
		return 0;
	case BT_PUSH_REFUSED:
		fprintf(stderr, "bordertrace push: %s\n", err);
		c->failed++;
		return 0;
	case BT_PUSH_AWAY: break;
	}
	fprintf(stderr, "bordertrace push: %s: the store stayed away for %g s: %s\n", path, a->retry_s, err);
	return -1;
}

static int push_all(const struct files *f, const struct push_args *a)
{
	char err[1024];
	struct counts c = { 0 };
	bt_store *st = bt_store_connect(a->url, a->retry_s, err, sizeof(err));
	if (st == NULL) {
		fprintf(stderr, "bordertrace push: %s (nothing pushed; %zu round files stay here)\n", err, f->n);
		return BT_EXIT_DATA;
	}
	size_t i;
	for (i = 0; i < f->n; i++)
		if (push_file(st, f->v[i], a, &c) != 0)
			break;
	c.left = f->n - i;
	unsigned lost = bt_store_reconnects(st);
	bt_store_close(st);
	if (lost)
		fprintf(stderr, "bordertrace push: the connection to the store was lost and made again %u time(s) "
			"(the round in flight was sent again)\n", lost);
	fprintf(stderr, "bordertrace push: %zu added, %zu already in the store, %zu refused or unreadable",
		c.added, c.present, c.failed);
	if (c.left)
		fprintf(stderr, ", %zu not tried (they stay here for the next push)", c.left);
	if (a->prune_days >= 0)
		fprintf(stderr, ", %zu pruned (stored, older than %ld days)", c.pruned, a->prune_days);
	fprintf(stderr, "\n");
	return c.failed || c.left ? BT_EXIT_DATA : BT_EXIT_OK;
}

int bt_cmd_push(int argc, char **argv)
{
	struct push_args a = { .retry_s = 300, .prune_days = -1 };
	int rc = parse_args(argc, argv, &a);
	if (rc >= 0)
		return rc;
	struct files f = { 0 };
	char err[1024];
	rc = collect(&f, a.dir, 0, err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "bordertrace push: %s\n", err);
	else if (f.n == 0) {
		fprintf(stderr, "bordertrace push: %s: no round files (*.jsonl) in it or below\n", a.dir);
		rc = BT_EXIT_DATA;
	} else
		rc = push_all(&f, &a);
	for (size_t i = 0; i < f.n; i++)
		free(f.v[i]);
	free(f.v);
	return rc != 0 ? BT_EXIT_DATA : BT_EXIT_OK;
}
