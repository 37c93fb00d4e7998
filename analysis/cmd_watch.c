/* bordertrace watch --db URL — a long-running service (doc/store.md): it
 * LISTENs for rounds added to the store, and at start-up and after each
 * notification makes a pass: the path-diff carried on from the state the
 * store keeps (wdiff.h) over the rounds not taken in yet and the open ones
 * (the newest round ids, where a late VP may still add a round); each new,
 * gone or returned border event not yet in bt.events for this watch's
 * name goes to the journal (a line on stderr) and, as one JSON object, to
 * the standard input of --exec CMD (/bin/sh -c). The event is recorded
 * once the command exited 0; a failed command is logged and the pass made
 * again (at-least-once); the state is stored once every event is. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "bordertrace/cli.h"
#include "bordertrace/id.h"
#include "bordertrace/asrel.h"
#include "bordertrace/owner.h"
#include "commands.h"

#define RETRY_MS 30000 /* a pass with a failed command is run again after this */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bordertrace watch --db URL [--name NAME] [--exec CMD] [OPTIONS]\n"
		"\n"
		"Waits for rounds pushed into the central store (LISTEN/NOTIFY) and, for\n"
		"each new, gone or returned border route event not fired before by this\n"
		"watch, writes a line to stderr (the journal) and runs CMD with /bin/sh -c,\n"
		"the event as one JSON object on its stdin. An event is recorded as fired\n"
		"in the store once CMD exited 0; otherwise it is tried again (doc/store.md).\n"
		"Run it as a role in bt_watch. Runs until killed.\n"
		"\n"
		"  --db URL                libpq connection string or URI, without a password\n"
		"  --campaign ID, --vp ID  watch only rounds of this campaign, of these VPs\n"
		"  --name NAME             the watch's name in the store (default)\n"
		"  --exec CMD              the command run for each event (none: journal only)\n"
		"  --by prefix|as|country  what a target network is (as)\n"
		"  --level as|country|both events at AS level, country level or both (as)\n"
		"  --open-rounds N         the newest N round ids stay open for VPs that push\n"
		"                          late (2); a round older than those rebuilds the state\n"
		"  -v, --verbose           a line per pass (routes loaded, rounds read, events)\n"
		"sources (as for 'bordertrace resolve'):\n"
		"  --asn-db FILE, --country-db FILE, --asn-layout L, --country-layout L,\n"
		"  --pfx2as FILE, --ixp FILE, --prefer-pfx2as, --lookup-test-ranges\n"
		"  --as-rel FILE           AS relationships for the interface owners (as diff)\n"
		"  -h, --help              this text\n"
		"\n"
		"exit status: 1 the store refused us or a database failed, 2 usage error\n");
}

enum { OPT_NAME = BT_OPT_NEXT, OPT_EXEC, OPT_BY, OPT_LEVEL, OPT_OPEN, OPT_AS_REL };

typedef struct watch {
	const char *name, *exec;
	bt_cmd_sources src;
	bt_cmd_dbsrc db;
	bt_pipeline_opts po;
	const char *asrel_path; /* --as-rel FILE */
	struct bt_asrel *asrel;
	unsigned open_rounds; /* round ids kept open for VPs that push late */
	bool verbose;
	size_t nroutes; /* routes the pass loaded (for -v) */
	bt_store_notes notes; /* rounds notified since the last pass */
	bool full; /* list every round not taken in: at start, after a reconnection or a failed pass */
} watch;

static int set_option(watch *w, int c, const char *v)
{
	const char *why;
	switch (c) {
	case OPT_NAME:
		if ((why = bt_id_problem(v)) != NULL)
			return bt_cmd_usage_error("watch", "--name: '%s' is not an id: %s", v, why);
		w->name = v;
		return 0;
	case OPT_EXEC: w->exec = v; return 0;
	case OPT_AS_REL:
		if (w->asrel_path != NULL)
			return bt_cmd_usage_error("watch", "--as-rel: given twice (one file of AS relationships)");
		w->asrel_path = v;
		return 0;
	case OPT_OPEN: {
		char *end;
		errno = 0;
		unsigned long n = strtoul(v, &end, 10);
		if (errno || end == v || *end || v[0] == '-' || n > 1000)
			return bt_cmd_usage_error("watch", "--open-rounds: expected 0..1000, got '%s'", v);
		w->open_rounds = (unsigned)n;
		return 0;
	}
	case OPT_BY:
		if (bt_agg_parse(v, &w->po.agg) != 0)
			return bt_cmd_usage_error("watch", "--by: '%s' is not prefix, as or country", v);
		return 0;
	case OPT_LEVEL:
		w->po.levels = bt_levels_parse(v);
		if (w->po.levels == 0)
			return bt_cmd_usage_error("watch", "--level: '%s' is not as, country or both", v);
		return 0;
	}
	return bt_cmd_usage_error("watch", "unexpected option");
}

/* -1 to go on, or the exit status. */
static int parse_args(int argc, char **argv, watch *w)
{
	static const struct option opts[] = {
		BT_CMD_SOURCE_OPTIONS,
		BT_CMD_DB_OPTIONS,
		{ "name", required_argument, NULL, OPT_NAME },
		{ "exec", required_argument, NULL, OPT_EXEC },
		{ "by", required_argument, NULL, OPT_BY },
		{ "level", required_argument, NULL, OPT_LEVEL },
		{ "open-rounds", required_argument, NULL, OPT_OPEN },
		{ "as-rel", required_argument, NULL, OPT_AS_REL },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char why[128];
	int c, taken;
	optind = 1;
	while ((c = bt_cli_getopt(argc, argv, "hv", opts, why, sizeof(why))) != -1) {
		if (c == 'h') {
			usage(stdout);
			return BT_EXIT_OK;
		}
		if (c == 'v') {
			w->verbose = true;
			continue;
		}
		if (c == '?')
			return bt_cmd_usage_error("watch", "%s", why);
		if (c == BT_OPT_SINCE || c == BT_OPT_UNTIL)
			return bt_cmd_usage_error("watch", "--since/--until: not for watch (every round counts)");
		if ((taken = bt_cmd_source_option("watch", &w->src, c, optarg)) < 0 ||
		    (!taken && (taken = bt_cmd_dbsrc_option("watch", &w->db, c, optarg, argc)) < 0))
			return BT_EXIT_USAGE;
		if (!taken && set_option(w, c, optarg) != 0)
			return BT_EXIT_USAGE;
	}
	if (optind < argc)
		return bt_cmd_usage_error("watch", "unexpected argument '%s'", argv[optind]);
	if (w->db.url == NULL)
		return bt_cmd_usage_error("watch", "--db URL is required");
	return bt_cmd_sources_check("watch", &w->src) ? BT_EXIT_USAGE : -1;
}

static json_t *time_json(int64_t us)
{
	char buf[BT_TIME_STRLEN];
	return json_string(bt_time_format(us, buf, sizeof(buf)));
}

/* The event as one line of JSON (malloc'ed), or NULL. */
static char *event_json(const watch *w, const bt_diff_event *e)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
			      "watch", w->name, "event", bt_diff_event_name(e->kind),
			      "level", bt_diff_level_name(e->level), "aggregate", bt_agg_name(w->po.agg),
			      "target_network", e->target, "upstream", e->upstream,
			      "upstream_country", e->level == BT_LEVEL_AS ? e->note : e->upstream, "into", e->into);
	if (o == NULL)
		return NULL;
	json_object_set_new(o, "round", json_string(e->round));
	json_object_set_new(o, "first_seen", time_json(e->first_seen_us));
	json_object_set_new(o, "last_seen", time_json(e->last_seen_us));
	json_object_set_new(o, "rounds_seen", json_integer(e->rounds_seen));
	json_object_set_new(o, "traces", json_integer(e->traces));
	json_object_set_new(o, "vps", json_string(e->vps));
	json_object_set_new(o, "evidence", json_string(e->evidence));
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return s;
}

/* Runs --exec with the JSON on its stdin: its exit status, or -1 (said). */
static int run_command(const char *cmd, const char *json)
{
	int fd[2];
	if (pipe(fd) != 0) {
		fprintf(stderr, "bordertrace watch: pipe: %s\n", strerror(errno));
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "bordertrace watch: fork: %s\n", strerror(errno));
		close(fd[0]);
		close(fd[1]);
		return -1;
	}
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		close(fd[1]);
		if (dup2(fd[0], STDIN_FILENO) < 0)
			_exit(126);
		close(fd[0]);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(fd[0]);
	size_t len = strlen(json), off = 0;
	while (off < len) { /* a command that does not read its stdin gets EPIPE: fine */
		ssize_t n = write(fd[1], json + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	if (off == len)
		(void)!write(fd[1], "\n", 1);
	close(fd[1]);
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* One event: fired before (0), or to the journal and the command, and
 * recorded once it exited 0. 0, 1 the command failed, -1 a store error (said). */
static int fire(watch *w, const bt_diff_event *e)
{
	char err[1024];
	bt_watch_key k = { w->name, bt_diff_level_name(e->level), e->target, e->upstream, e->into,
			   bt_diff_event_name(e->kind), e->round };
	bool fired = false;
	if (bt_store_watch_fired(w->db.st, &k, &fired, err, sizeof(err)) != 0) {
		fprintf(stderr, "bordertrace watch: store: %s\n", err);
		return -1;
	}
	if (fired)
		return 0;
	char *js = event_json(w, e);
	if (js == NULL) {
		fprintf(stderr, "bordertrace watch: out of memory\n");
		return -1;
	}
	fprintf(stderr, "bordertrace watch: event: %s\n", js);
	int rc = w->exec ? run_command(w->exec, js) : 0;
	free(js);
	if (rc != 0) {
		fprintf(stderr, "bordertrace watch: --exec failed (status %d) for %s %s %s -> %s round %s: "
			"not recorded, tried again at the next pass\n", rc, k.kind, k.target, k.upstream, k.into, k.round);
		return 1;
	}
	if (bt_store_watch_record(w->db.st, &k, e, err, sizeof(err)) != 0) {
		fprintf(stderr, "bordertrace watch: store: recording a fired event: %s\n", err);
		return -1;
	}
	return 0;
}

/* The events of the pass, each fired unless it was. */
static int fire_all(watch *w, const bt_wdiff *d)
{
	int worst = 0;
	for (size_t i = 0; i < bt_wdiff_nevents(d); i++) {
		int rc = fire(w, bt_wdiff_event_at(d, i));
		if (rc < 0)
			return -1;
		if (rc > worst)
			worst = rc;
	}
	return worst;
}

static int take_obs(void *ctx, const bt_diff_obs *o)
{
	return bt_wdiff_add(ctx, o);
}

/* The rounds of the pass: those not taken in yet and the open ones (round
 * ids after the settled one). A new round at or before the settled one
 * came too late for the state: *rebuild, and every round. 0 or -1 (said). */
static int list_rounds(watch *w, const char *settled, bool *rebuild)
{
	char err[2048];
	bt_store_round_refs_free(w->db.refs, w->db.nrefs);
	w->db.refs = NULL;
	w->db.nrefs = 0;
	w->db.f.watch = *rebuild ? NULL : w->name;
	w->db.f.after = settled;
	w->db.f.notified = w->full || w->notes.oom ? NULL : w->notes.buf ? w->notes.buf : "";
	if (bt_store_list_rounds(w->db.st, &w->db.f, &w->db.refs, &w->db.nrefs, err, sizeof(err)) != 0) {
		fprintf(stderr, "bordertrace watch: store: %s\n", err);
		return -1;
	}
	for (size_t i = 0; !*rebuild && settled[0] && i < w->db.nrefs; i++) {
		const bt_store_round_ref *r = &w->db.refs[i];
		if (!r->watched && strcmp(r->round, settled) <= 0) {
			fprintf(stderr, "bordertrace watch: round %s/%s/%s came after round %s was settled: "
				"the state is rebuilt from every round\n", r->campaign, r->vp, r->round, settled);
			*rebuild = true;
			return list_rounds(w, settled, rebuild);
		}
	}
	return 0;
}

static int cmp_round_ids(const void *pa, const void *pb)
{
	const bt_store_round_ref *a = pa, *b = pb;
	int c = strcmp(a->round, b->round);
	if (c == 0)
		c = strcmp(a->campaign, b->campaign);
	return c ? c : strcmp(a->vp, b->vp);
}

/* The state, the rounds of the pass read into it and stepped: 0 or -1 (said). */
static int compute(watch *w, bt_wdiff *d, bool rebuild, unsigned nsettled)
{
	char err[2048];
	size_t nroutes = 0;
	bt_wdiff_set_settled(d, rebuild ? 0 : nsettled);
	if (!rebuild && bt_store_wstate_load(w->db.st, w->name, d, &nroutes, err, sizeof(err)) != 0) {
		fprintf(stderr, "bordertrace watch: store: %s\n", err);
		return -1;
	}
	/* a round at a time in round order: wdiff steps each as the next begins */
	if (w->db.nrefs > 1)
		qsort(w->db.refs, w->db.nrefs, sizeof(*w->db.refs), cmp_round_ids);
	int ok = 1;
	for (size_t i = 0; i < w->db.nrefs; i++)
		ok &= bt_wdiff_round(d, w->db.refs[i].round) == 0;
	if (!ok || bt_wdiff_begin(d, w->open_rounds) != 0) {
		fprintf(stderr, "bordertrace watch: out of memory\n");
		return -1;
	}
	bt_pipeline_opts po = w->po;
	po.on_obs = take_obs;
	po.obs_ctx = d;
	bt_pipeline *p = bt_pipeline_new(&po, err, sizeof(err));
	int rc = p != NULL && bt_cmd_dbsrc_feed(&w->db, p, err, sizeof(err)) == 0 ? 0 : -1;
	bt_pipeline_free(p);
	if (rc == 0 && bt_wdiff_finish(d) != 0)
		snprintf(err, sizeof(err), "out of memory"), rc = -1;
	if (rc != 0)
		fprintf(stderr, "bordertrace watch: %s\n", err);
	w->nroutes = nroutes;
	return rc;
}

static double ms(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

/* A pass: the open and new rounds stepped from the stored state, their
 * events fired, then the state as of the settled round, and the rounds,
 * stored in one transaction. 0, 1 a command failed, -1 an error (said). */
static int pass(watch *w)
{
	char err[2048], settled[BT_ID_MAX];
	unsigned nsettled = 0;
	bool rebuild = false;
	if (bt_store_wstate_progress(w->db.st, w->name, settled, sizeof(settled), &nsettled, err, sizeof(err)) != 0) {
		fprintf(stderr, "bordertrace watch: store: %s\n", err);
		return -1;
	}
	int listed = list_rounds(w, settled, &rebuild);
	w->notes.len = 0; /* taken: those that come from now on are the next pass's */
	w->notes.oom = false;
	if (w->notes.buf != NULL)
		w->notes.buf[0] = '\0';
	if (listed != 0)
		return -1;
	if (w->db.nrefs == 0)
		return 0;
	struct timespec t0, t1, c0, c1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
	bt_wdiff *d = bt_wdiff_new(&w->po.diff, w->po.levels);
	int rc = d == NULL ? -1 : compute(w, d, rebuild, nsettled);
	if (d == NULL)
		fprintf(stderr, "bordertrace watch: out of memory\n");
	if (rc == 0 && (rc = fire_all(w, d)) == 0 &&
	    bt_store_wstate_commit(w->db.st, w->name, d, rebuild, w->db.refs, w->db.nrefs, err, sizeof(err)) != 0) {
		fprintf(stderr, "bordertrace watch: store: %s\n", err);
		rc = -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
	if (rc == 0 && w->verbose)
		fprintf(stderr, "bordertrace watch: pass: %zu route(s) loaded, %zu round(s) read, %u round id(s) settled, "
			"%zu event(s), %.0f ms (CPU %.0f ms)\n", w->nroutes, w->db.nrefs, bt_wdiff_nsettled(d),
			bt_wdiff_nevents(d), ms(&t0, &t1), ms(&c0, &c1));
	bt_wdiff_free(d);
	return rc;
}

/* Connected and listening (waiting for the store with back-off as long
 * as it does not answer): 0, or 1 the store refused us (said). */
static int attach(watch *w)
{
	char err[2048];
	for (;;) {
		if (!bt_store_connected(w->db.st) && bt_store_reopen(w->db.st, err, sizeof(err)) != 0) {
			fprintf(stderr, "bordertrace watch: store: %s\n", err);
			return 1;
		}
		if (bt_store_check_schema(w->db.st, err, sizeof(err)) == 0 &&
		    bt_store_watch_check(w->db.st, err, sizeof(err)) == 0 &&
		    bt_store_watch_lock(w->db.st, w->name, err, sizeof(err)) == 0 &&
		    bt_store_listen(w->db.st, err, sizeof(err)) == 0)
			return 0;
		if (bt_store_connected(w->db.st)) {
			fprintf(stderr, "bordertrace watch: store: %s\n", err);
			return 1;
		}
	}
}

/* Passes at start-up and after notifications, until a refusal. */
static int serve(watch *w)
{
	char err[2048];
	if ((w->db.st = bt_store_connect(w->db.url, 1e9, err, sizeof(err))) == NULL) {
		fprintf(stderr, "bordertrace watch: store: %s\n", err);
		return BT_EXIT_DATA;
	}
	if (attach(w) != 0)
		return BT_EXIT_DATA;
	fprintf(stderr, "bordertrace watch: %s: listening for rounds\n", w->name);
	w->full = true;
	for (;;) {
		int rc = pass(w), got = 0;
		w->full = rc != 0; /* the rounds of a failed pass were not taken in */
		while (bt_store_connected(w->db.st) &&
		       (got = bt_store_wait_notify(w->db.st, rc != 0 ? RETRY_MS : -1, &w->notes, err, sizeof(err))) == 0 &&
		       rc == 0)
			;
		if (got >= 0 && bt_store_connected(w->db.st))
			continue;
		fprintf(stderr, "bordertrace watch: store away, reconnecting (back-off up to 30 s)\n");
		if (attach(w) != 0)
			return BT_EXIT_DATA;
		w->full = true; /* notifications may have been missed */
	}
}

int bt_cmd_watch(int argc, char **argv)
{
	watch w = { .name = "default", .open_rounds = 2 };
	int status = bt_cmd_sources_init("watch", &w.src, argc);
	if (status != 0)
		return status;
	w.po.agg = BT_AGG_AS;
	w.po.levels = 1;
	w.po.owners = BT_OWNER_ALL; /* as diff --db computes it */
	bt_diff_opts_default(&w.po.diff);
	if ((status = parse_args(argc, argv, &w)) < 0) {
		char err[2048];
		bt_resolver *r = NULL;
		signal(SIGPIPE, SIG_IGN);
		if ((status = bt_cmd_asrel_load("watch", w.asrel_path, &w.asrel, &w.po)) != 0) {
			;
		} else if (bt_resolver_open(&w.src.cfg, &r, err, sizeof(err)) != 0) {
			fprintf(stderr, "bordertrace watch: %s\n", err);
			status = BT_EXIT_DATA;
		} else {
			w.po.resolve = bt_cmd_resolve_hop;
			w.po.rctx = r;
			status = serve(&w);
			bt_resolver_close(r);
		}
	}
	bt_cmd_dbsrc_close(&w.db);
	bt_cmd_sources_free(&w.src);
	bt_asrel_free(w.asrel);
	free(w.notes.buf);
	return status;
}
