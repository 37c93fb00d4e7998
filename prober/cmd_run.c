/* bordertrace-probe run — a campaign's rounds, on schedule, unattended.
 *
 * Loads the campaign (doc/campaign.md) and its target lists, then runs one
 * round per interval slot: the engine traces every target once, the records
 * stream into a hidden temporary file that becomes "<id>.jsonl" only when the
 * round is complete. Restarted after a crash it removes stale temporary
 * files and goes on with the next slot; a finite schedule counts the complete
 * round files. SIGINT/SIGTERM stop it within a fraction of a second (the
 * round in progress is dropped, never half-written); SIGHUP reloads the
 * campaign before the next round, keeping the old one if the new is bad.
 * IPv4 and IPv6 targets are probed together in one round, under the one
 * rate limit; on a host without IPv6 the IPv6 targets end as errors and the
 * round's summary says why. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bordertrace/campaign.h"
#include "bordertrace/cli.h"
#include "bordertrace/engine.h"
#include "bordertrace/expand.h"
#include "bordertrace/privdrop.h"
#include "bordertrace/round.h"
#include "bordertrace/trace.h"
#include "cli.h"
#include "cmd.h"

static volatile sig_atomic_t g_stop, g_reload;

static void on_stop(int sig)
{
	(void)sig;
	g_stop = 1;
}

static void on_hup(int sig)
{
	(void)sig;
	g_reload = 1;
}

static bool g_tty; /* standard error is a terminal: live progress line */
static const char *g_user = BT_PRIVDROP_DEFAULT_USER; /* --user */

__attribute__((format(printf, 1, 2))) static void logmsg(const char *fmt, ...)
{
	va_list ap;
	if (g_tty)
		fputs("\r\033[K", stderr); /* clear the progress line */
	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: " PROG " run [options] CAMPAIGN\n"
"Run the campaign's rounds on schedule (see doc/campaign.md).\n"
"\n"
"      --vp ID        vantage point id (overrides the file's 'vp')\n"
"      --rounds N     stop after N complete rounds in the output directory\n"
"                     (overrides schedule.rounds; 0 = forever)\n"
"      --check        load the campaign and its lists, print what a round\n"
"                     would probe (and whether it may overrun the interval),\n"
"                     check --user, and exit (needs no privileges)\n"
"      --user USER    each round probes as USER with no capabilities, once\n"
"                     its sockets are open (default nobody; see doc/campaign.md)\n"
"  -h, --help         this help\n"
"\n"
"Signals: INT/TERM stop (the round in progress is dropped), HUP reloads the\n"
"campaign before the next round.\n"
"Exit status: 0 ok, 1 bad campaign or target file or runtime failure, 2 usage error.\n");
}

typedef struct campaign_state {
	bt_campaign c;
	bt_targets targets; /* what a round probes, IPv4 and IPv6 */
	size_t nv6;         /* of which IPv6 */
	bt_filter_stats fs;
	bt_campaign_list_counts lists;
	char *dir;          /* output/name/vp */
	int lockfd;
} campaign_state;

static void state_free(campaign_state *s)
{
	bt_campaign_free(&s->c);
	bt_targets_free(&s->targets);
	free(s->dir);
	if (s->lockfd >= 0)
		close(s->lockfd);
	memset(s, 0, sizeof(*s));
	s->lockfd = -1;
}

/* Loads everything a round needs; on error s is left empty. */
static int state_load(campaign_state *s, const char *path, const char *vp, long rounds,
		      char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	s->lockfd = -1;
	bt_targets_init(&s->targets);
	if (bt_campaign_load(&s->c, path, err, errlen) != 0)
		return -1;
	if (vp != NULL)
		snprintf(s->c.vp, sizeof(s->c.vp), "%s", vp);
	if (s->c.vp[0] == '\0') {
		snprintf(err, errlen, "%s: no 'vp' in the file and no --vp given", path);
		state_free(s);
		return -1;
	}
	s->c.eng.vp = s->c.vp;
	if (rounds >= 0)
		s->c.rounds = (uint32_t)rounds;
	if (bt_campaign_targets_counted(&s->c, &s->targets, &s->fs, &s->lists, err, errlen) != 0) {
		state_free(s);
		return -1;
	}
	for (size_t i = 0; i < s->targets.n; i++)
		s->nv6 += s->targets.a[i].family == AF_INET6;
	if (s->targets.n == 0) {
		snprintf(err, errlen, "%s: no target left to probe after exclusions%s", path,
			 s->fs.special && !s->c.lab ? " (test ranges need 'lab = true')" : "");
		state_free(s);
		return -1;
	}
	if (asprintf(&s->dir, "%s/%s/%s", s->c.output, s->c.name, s->c.vp) < 0) {
		snprintf(err, errlen, "out of memory");
		s->dir = NULL;
		state_free(s);
		return -1;
	}
	return 0;
}

/* One family's line: what its lists gave, what was kept, what was dropped
 * and why (the special-purpose ones by address class). */
static void describe_family(const char *fam, const bt_family_stats *f, bool lab, const char *note)
{
	char classes[512] = "";
	size_t off = 0;
	for (int c = 0; c < BT_CLASS_COUNT && off < sizeof(classes); c++)
		if (f->by_class[c])
			off += (size_t)snprintf(classes + off, sizeof(classes) - off, "%s%s %zu",
						off ? ", " : " (", bt_addrclass_name((bt_addrclass)c),
						f->by_class[c]);
	if (off && off < sizeof(classes) - 1)
		strcat(classes, ")");
	logmsg("  %s: %zu from the lists, %zu kept%s; dropped: %zu special-purpose%s%s, "
	       "%zu on the exclusion lists, %zu duplicates",
	       fam, f->listed, f->kept, note, f->special, lab ? " or outside the test ranges" : "",
	       classes, f->excluded, f->duplicates);
}

/* A round that may overrun its interval delays the next and skips slots:
 * said with the worst case (bt_campaign_round_probes_max) at the rate. */
static void warn_fit(const campaign_state *s)
{
	const bt_campaign *c = &s->c;
	uint64_t probes = bt_campaign_round_probes_max(c, s->targets.n);
	double secs = (double)probes / c->eng.rate_pps;
	if (secs <= c->interval_s)
		return;
	logmsg("warning: a round may not fit its interval: up to %llu probes (%zu targets x %u flows x "
	       "%u TTLs x %u attempts, every TTL to its last attempt) take %.0f s at rate %u/s; the "
	       "interval is %u s (an overrunning round delays the next, and slots are skipped)",
	       (unsigned long long)probes, s->targets.n, c->eng.multipath ? BT_MDA_FLOWS : c->eng.nflows,
	       c->eng.max_ttl - c->eng.first_ttl + 1, c->eng.attempts, secs, c->eng.rate_pps, c->interval_s);
}

/* "2 flow(s)", or "multipath at 95% (min share 25%)". */
static const char *flows_text(const bt_campaign *c, char *buf, size_t len)
{
	if (c->eng.multipath)
		snprintf(buf, len, "multipath at %u%% (min share %u%%)", c->eng.confidence, c->eng.min_share);
	else
		snprintf(buf, len, "%u flow(s)", c->eng.nflows);
	return buf;
}

static void describe(const campaign_state *s, bool lists)
{
	const bt_campaign *c = &s->c;
	char v6[64] = "", fl[64];
	if (s->nv6)
		snprintf(v6, sizeof(v6), " (%zu IPv6)", s->nv6);
	logmsg("campaign %s, vp %s: %zu targets (%zu special-purpose%s, %zu excluded, %zu duplicates "
	       "dropped)%s, %s, %s, rate %u/s, every %u s%s, %s rounds -> %s",
	       c->name, c->vp, s->targets.n, s->fs.special, c->lab ? " or outside the test ranges" : "",
	       s->fs.excluded, s->fs.duplicates, v6, bt_method_name(c->eng.method), flows_text(c, fl, sizeof(fl)),
	       c->eng.rate_pps, c->interval_s, c->jitter_ms ? " (jittered)" : "",
	       c->rounds ? "finite" : "endless", s->dir);
	for (size_t i = 0; lists && i < c->ntarget_files; i++)
		logmsg("  list %s: %zu IPv4, %zu IPv6 targets", c->target_files[i], s->lists.v4[i],
		       s->lists.v6[i]);
	if (s->fs.v4.listed)
		describe_family("IPv4", &s->fs.v4, c->lab, "");
	if (s->fs.v6.listed)
		describe_family("IPv6", &s->fs.v6, c->lab, "");
	warn_fit(s);
}

/* ---- one round ---- */

typedef struct round_ctx {
	bt_round_file rf;
	bt_engine *e;
	char *buf; /* the JSON writer's, kept from one record to the next */
	size_t cap;
	size_t ntraces;
	int write_error;
	const char *id;
	uint64_t last_probes, last_us;
	double pps;
} round_ctx;

static int on_trace(bt_trace *t, void *arg)
{
	round_ctx *r = arg;
	int rc = bt_trace_write_buf(r->rf.f, t, &r->buf, &r->cap);
	bt_trace_free(t);
	if (rc != 0) {
		r->write_error = errno ? errno : EIO;
		return -1;
	}
	r->ntraces++;
	return 0;
}

static void fmt_dur(double s, char *buf, size_t len)
{
	if (!(s >= 0) || s > 1e7)
		snprintf(buf, len, "?");
	else if (s >= 3600)
		snprintf(buf, len, "%d:%02d:%02d", (int)s / 3600, (int)s / 60 % 60, (int)s % 60);
	else
		snprintf(buf, len, "%d:%02d", (int)s / 60, (int)s % 60);
}

static void on_progress(const bt_engine_progress *p, void *arg)
{
	round_ctx *r = arg;
	double dt = (double)(p->elapsed_us - r->last_us) / 1e6;
	if (dt > 0.2) {
		r->pps = (double)(p->probes_sent - r->last_probes) / dt;
		r->last_probes = p->probes_sent;
		r->last_us = p->elapsed_us;
	}
	double el = (double)p->elapsed_us / 1e6;
	double eta = p->targets_done ? el * (double)(p->targets_total - p->targets_done) / (double)p->targets_done : -1;
	char etas[32];
	fmt_dur(eta, etas, sizeof(etas));
	if (g_tty)
		fprintf(stderr, "\r\033[Kround %s: %llu/%llu targets, %.0f probes/s, %llu replies, ETA %s",
			r->id, (unsigned long long)p->targets_done, (unsigned long long)p->targets_total,
			r->pps, (unsigned long long)p->replies, etas);
	else
		fprintf(stderr, PROG ": round %s: progress %llu/%llu targets, %.0f probes/s, %llu replies, "
			"ETA %s\n", r->id, (unsigned long long)p->targets_done,
			(unsigned long long)p->targets_total, r->pps, (unsigned long long)p->replies, etas);
	fflush(stderr);
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The child's part of a round (privileges already dropped): probe, write
 * the records into the open round file, make them durable, print the
 * summary. Exit status: 0 complete, 1 stopped by a signal, 2 failed. */
static int probe_round(campaign_state *s, bt_targets *order, const char *id, round_ctx *r)
{
	char err[512];
	bt_engine *e = r->e;
	/* The directory lock belongs to the parent: a copy held here would
	 * outlive a parent killed with -9 and lock out its restart. */
	if (s->lockfd >= 0)
		close(s->lockfd);
	s->lockfd = -1;
	bt_engine_set_progress(e, on_progress, r, g_tty ? 500 : s->c.progress_s * 1000u);
	uint64_t t0 = mono_ms();
	int rc = bt_engine_run(e, order->a, order->n, on_trace, r, &g_stop, err, sizeof(err));
	double secs = (double)(mono_ms() - t0) / 1000.0;
	if (g_tty)
		fputs("\r\033[K", stderr);
	bt_engine_stats st;
	bt_engine_get_stats(e, &st);
	char v6[256] = "";
	const char *v6why = bt_engine_ipv6_error(e);
	if (s->nv6 && v6why != NULL)
		snprintf(v6, sizeof(v6), ", %zu IPv6 targets not probed (ended as errors: %s)", s->nv6, v6why);
	bt_engine_close(e);
	free(r->buf);
	if (rc == 0 && !r->write_error && (fflush(r->rf.f) != 0 || fsync(fileno(r->rf.f)) != 0))
		r->write_error = errno ? errno : EIO;
	if (rc != 0 || r->write_error) {
		if (rc < 0)
			logmsg("round %s: %s; round dropped", id, err);
		else if (r->write_error)
			logmsg("round %s: writing %s failed: %s; round dropped", id, s->dir, strerror(r->write_error));
		else
			logmsg("round %s: stopped after %.1f s; the unfinished round was not written", id, secs);
		return rc > 0 && !r->write_error ? 1 : 2;
	}
	char path[BT_ROUND_ID_LEN + 8];
	snprintf(path, sizeof(path), "%s.jsonl", id);
	double per = st.targets_total ? (double)st.state_bytes_peak / (double)st.targets_total : 0;
	char rl[160] = "";
	if (st.meters_on || st.meters_given_up)
		snprintf(rl, sizeof(rl),
			 ", rate limits: %llu TTL meters (at most %llu at once, %llu targets waiting), %llu TTLs given up",
			 (unsigned long long)st.meters_on, (unsigned long long)st.meters_peak,
			 (unsigned long long)st.parked_peak, (unsigned long long)st.meters_given_up);
	char steady[64] = "none (every target fit in the window at once)";
	if (st.run_steady_us > 0)
		snprintf(steady, sizeof(steady), "%.0f probes/s over %.1f s",
			 (double)st.run_steady_probes * 1e6 / (double)st.run_steady_us, (double)st.run_steady_us / 1e6);
	logmsg("round %s: %zu targets, %zu traces, %llu probes, %llu replies, %llu foreign replies ignored, "
	       "%llu late, %llu pcap drops, %llu probes saved (%llu traces filled), %.1f s, %.0f probes/s, "
	       "steady %s, probing %.1f s, "
	       "engine state %.1f B/target (peak %.1f KiB, window %llu, spool %.1f MiB)%s%s -> %s/%s",
	       id, order->n, r->ntraces, (unsigned long long)st.probes_sent, (unsigned long long)st.replies,
	       (unsigned long long)st.foreign, (unsigned long long)st.late,
	       (unsigned long long)(st.pcap_dropped + st.pcap_ifdropped),
	       (unsigned long long)st.probes_saved, (unsigned long long)st.traces_filled, secs,
	       secs > 0 ? (double)st.probes_sent / secs : 0.0,
	       steady, (double)st.run_probing_us / 1e6,
	       per, (double)st.state_bytes_peak / 1024.0,
	       (unsigned long long)st.active_max, (double)st.spool_bytes / 1048576.0, rl, v6, s->dir, path);
	char sp[256];
	bt_send_path_summary(&st, s->c.eng.send_path, sp, sizeof(sp));
	if (sp[0])
		logmsg("round %s: %s", id, sp);
	return 0;
}

/* Runs one round; 0 complete and committed, 1 stopped by a signal, -1
 * failed (logged). fatal is set when retrying later cannot help. */
static int run_round(campaign_state *s, bt_targets *order, const char *id, bool *fatal)
{
	char err[512];
	bool eperm = false;
	bt_engine_opts o = s->c.eng;
	o.round = id;
	o.skip_partial = true; /* a stopped round is dropped: do not build it */
	*fatal = false;
	bt_engine *e = bt_engine_open(&o, err, sizeof(err), &eperm);
	if (e == NULL) {
		logmsg("round %s: %s%s", id, err, eperm ? " (sending probes needs CAP_NET_RAW)" : "");
		*fatal = eperm;
		return -1;
	}
	round_ctx r = { .e = e, .id = id };
	if (bt_round_file_open(&r.rf, s->dir, id, err, sizeof(err)) != 0) {
		logmsg("round %s: %s", id, err);
		bt_engine_close(e);
		return -1;
	}
	/* Privilege separation: the sockets and the round file are open; the
	 * child gives up its user and every capability before it sends a probe
	 * or parses a packet, and writes the records; this process only waits
	 * and then commits (or drops) the round file. */
	pid_t child = bt_privsep_fork(g_user, err, sizeof(err));
	if (child < 0) {
		logmsg("round %s: %s", id, err);
		bt_round_file_abort(&r.rf);
		bt_engine_close(e);
		return -1;
	}
	if (child == 0)
		_exit(probe_round(s, order, id, &r));
	bt_engine_close(e); /* the child has its own descriptors */
	int status = bt_privsep_wait(child, (volatile int *)&g_stop);
	if (status == 3) {
		*fatal = true; /* cannot give up privileges: every round would fail */
		bt_round_file_abort(&r.rf);
		return -1;
	}
	if (status != 0) {
		bt_round_file_abort(&r.rf);
		if (status > 128)
			logmsg("round %s: the probing process died (signal %d); round dropped", id, status - 128);
		return status == 1 ? 1 : -1;
	}
	if (bt_round_file_commit(&r.rf, err, sizeof(err)) != 0) {
		logmsg("round %s: %s; round dropped", id, err);
		return -1;
	}
	return 0;
}

/* Sleeps until the wall clock reaches t_ms (ms since the epoch) or a
 * signal asks for attention; short steps so that a stop is seen at once. */
static void sleep_until(int64_t t_ms)
{
	for (;;) {
		if (g_stop || g_reload)
			return;
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		int64_t n = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
		if (n >= t_ms)
			return;
		int64_t d = t_ms - n > 100 ? 100 : t_ms - n;
		struct timespec ts = { .tv_sec = 0, .tv_nsec = d * 1000000 };
		nanosleep(&ts, NULL);
	}
}

static int prepare_dir(campaign_state *s, size_t *complete)
{
	char err[512];
	size_t stale = 0;
	if (bt_round_dir_prepare(s->dir, &stale, complete, err, sizeof(err)) != 0) {
		logmsg("%s", err);
		return -1;
	}
	if ((s->lockfd = bt_round_dir_lock(s->dir, err, sizeof(err))) < 0) {
		logmsg("%s", err);
		return -1;
	}
	/* again under the lock: the first pass may have raced another runner */
	size_t more = 0;
	if (bt_round_dir_prepare(s->dir, &more, complete, err, sizeof(err)) != 0) {
		logmsg("%s", err);
		return -1;
	}
	stale += more;
	if (stale)
		logmsg("removed %zu unfinished round file(s) left by an earlier run", stale);
	logmsg("%zu complete round(s) in %s", *complete, s->dir);
	return 0;
}

/* Before the first round, which may be hours away: a round of no targets
 * (nothing is sent) through the same steps as a real one: the sockets with
 * the campaign's interface and sources (CAP_NET_RAW), the drop to --user,
 * the spool file as that user. 0, or -1 (logged). */
static int preflight(campaign_state *s)
{
	char err[512];
	bool eperm = false;
	bt_engine_opts o = s->c.eng;
	o.skip_partial = true;
	bt_engine *e = bt_engine_open(&o, err, sizeof(err), &eperm);
	if (e == NULL) {
		logmsg("start-up check failed: nothing probed: %s%s", err,
		       eperm ? " (sending probes needs CAP_NET_RAW)" : "");
		return -1;
	}
	pid_t child = bt_privsep_fork(g_user, err, sizeof(err));
	if (child == 0) {
		if (s->lockfd >= 0)
			close(s->lockfd); /* the parent's (probe_round says why) */
		int rc = bt_engine_run(e, NULL, 0, NULL, NULL, &g_stop, err, sizeof(err));
		if (rc < 0)
			logmsg("as user %s: %s", g_user, err);
		_exit(rc == 0 ? 0 : 2);
	}
	bt_engine_close(e);
	int status = child < 0 ? -1 : bt_privsep_wait(child, (volatile int *)&g_stop);
	if (status == 0)
		return 0;
	if (child < 0)
		logmsg("%s", err);
	logmsg("start-up check failed: nothing probed: a round could not run as user %s (above)", g_user);
	return -1;
}

/* What the command line asked for. */
typedef struct run_args {
	const char *vp; /* --vp, or NULL */
	long rounds;    /* --rounds, or -1 */
	bool check;
	const char *path;
} run_args;

static const struct option lopts[] = {
	{ "vp", required_argument, NULL, 'V' },
	{ "rounds", required_argument, NULL, 'n' },
	{ "check", no_argument, NULL, 'c' },
	{ "user", required_argument, NULL, 'u' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* The options into a; returns -1 to go on, or the exit status (--help). */
static int parse_args(int argc, char **argv, run_args *a)
{
	char why[128];
	int c;
	*a = (run_args){ .rounds = -1 };
	while ((c = bt_cli_getopt(argc, argv, "h", lopts, why, sizeof(why))) != -1) {
		switch (c) {
		case 'V': a->vp = bt_cli_id("run", "--vp", optarg); break;
		case 'n': a->rounds = bt_cli_uint("run", "--rounds", optarg, 0, UINT32_MAX); break;
		case 'c': a->check = true; break;
		case 'u': g_user = bt_cli_user("run", optarg); break;
		case 'h': usage(stdout); return BT_EXIT_OK;
		default: bt_cli_usage_error("run", "%s", why);
		}
	}
	if (optind != argc - 1)
		bt_cli_usage_error("run", "run needs exactly one CAMPAIGN file");
	a->path = argv[optind];
	return -1;
}

/* SIGHUP: the campaign loaded again; the old one kept if the new is bad.
 * false when the new output directory cannot be prepared. */
static bool reload(campaign_state *s, const run_args *a, size_t *complete, int64_t *last_slot)
{
	char err[512];
	campaign_state ns;
	if (state_load(&ns, a->path, a->vp, a->rounds, err, sizeof(err)) != 0) {
		logmsg("reload failed, keeping the campaign as it was: %s", err);
		return true;
	}
	logmsg("reloaded %s", a->path);
	bool same_dir = strcmp(ns.dir, s->dir) == 0;
	if (same_dir) {
		ns.lockfd = s->lockfd;
		s->lockfd = -1;
	}
	state_free(s);
	*s = ns;
	/* the engine options point into the campaign struct, which has just
	 * moved: point them at its new home */
	s->c.eng.vp = s->c.vp[0] ? s->c.vp : NULL;
	s->c.eng.campaign = s->c.name;
	s->c.eng.device = s->c.eng.device ? s->c.device : NULL;
	describe(s, false);
	if (same_dir)
		return true;
	*last_slot = INT64_MIN;
	return prepare_dir(s, complete) == 0;
}

static int64_t now_ms(const struct timespec *now)
{
	return (int64_t)now->tv_sec * 1000 + now->tv_nsec / 1000000;
}

/* The next round to run: the slot now, unless it is done already (or was
 * just run); its id in id, its start (jittered) in *start_ms. -1 when the
 * clock is outside the years an id can name. */
static int64_t next_slot(const campaign_state *s, int64_t last_slot, char *id, size_t idlen,
			 int64_t *start_ms)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	int64_t slot = bt_round_slot(now.tv_sec, s->c.interval_s);
	if (slot <= last_slot || (bt_round_id(slot, id, idlen) && bt_round_exists(s->dir, id)))
		slot = (slot > last_slot ? slot : last_slot) + s->c.interval_s;
	if (bt_round_id(slot, id, idlen) == NULL)
		return -1;
	uint32_t jitter = 0;
	if (s->c.jitter_ms) {
		uint32_t rnd = 0;
		if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
			rnd = (uint32_t)now.tv_nsec;
		jitter = rnd % (s->c.jitter_ms + 1);
	}
	*start_ms = slot * 1000 + jitter;
	if (*start_ms > now_ms(&now) + 50)
		logmsg("next round %s starts in %.1f s", id, (double)(*start_ms - now_ms(&now)) / 1000.0);
	return slot;
}

/* A new order each round (seeded by the round): neighbouring networks are
 * not probed back to back. 0 or -1 (out of memory). */
static int shuffle_targets(const campaign_state *s, int64_t slot, bt_targets *order)
{
	bt_targets_free(order);
	bt_targets_init(order);
	order->a = malloc(s->targets.n * sizeof(bt_addr));
	if (order->a == NULL)
		return -1;
	memcpy(order->a, s->targets.a, s->targets.n * sizeof(bt_addr));
	order->n = order->cap = s->targets.n;
	bt_expand_shuffle(order, (uint64_t)slot * 0x9e3779b97f4a7c15ULL ^ s->c.prefix_seed);
	return 0;
}

/* Rounds until the schedule is done or a signal stops it; the exit status. */
static int run_rounds(campaign_state *s, const run_args *a, size_t complete)
{
	bt_targets order;
	bt_targets_init(&order);
	int status = BT_EXIT_OK;
	int64_t last_slot = INT64_MIN;
	while (!g_stop) {
		if (g_reload) {
			g_reload = 0;
			if (!reload(s, a, &complete, &last_slot)) {
				status = BT_EXIT_DATA;
				break;
			}
		}
		if (s->c.rounds && complete >= s->c.rounds) {
			logmsg("all %u rounds complete in %s", s->c.rounds, s->dir);
			break;
		}
		char id[BT_ROUND_ID_LEN];
		int64_t start_ms, slot = next_slot(s, last_slot, id, sizeof(id), &start_ms);
		if (slot < 0) {
			logmsg("the clock is outside the years 0000..9999");
			status = BT_EXIT_DATA;
			break;
		}
		sleep_until(start_ms);
		if (g_stop)
			break;
		if (g_reload)
			continue; /* reload first; the slot is computed again */
		if (shuffle_targets(s, slot, &order) != 0) {
			logmsg("out of memory");
			status = BT_EXIT_DATA;
			break;
		}
		bool fatal;
		int rc = run_round(s, &order, id, &fatal);
		last_slot = slot;
		if (rc == 0)
			complete++;
		else if (rc > 0)
			break;
		else if (fatal) {
			status = BT_EXIT_DATA;
			break;
		}
	}
	if (g_stop)
		logmsg("stopped");
	bt_targets_free(&order);
	return status;
}

int cmd_run(int argc, char **argv)
{
	run_args a;
	campaign_state s;
	char err[512];
	int status = parse_args(argc, argv, &a);
	if (status >= 0)
		return status;
	g_tty = isatty(STDERR_FILENO) == 1;
	if (state_load(&s, a.path, a.vp, a.rounds, err, sizeof(err)) != 0)
		return bt_cli_data_error("%s", err);
	describe(&s, a.check);
	if (bt_privdrop_check_user(g_user, err, sizeof(err)) != 0) {
		state_free(&s);
		return bt_cli_data_error("%s", err);
	}
	if (a.check) {
		state_free(&s);
		return BT_EXIT_OK;
	}
	bt_cli_signals(on_stop, on_hup);
	size_t complete = 0;
	if (prepare_dir(&s, &complete) != 0 || preflight(&s) != 0)
		status = BT_EXIT_DATA;
	else
		status = run_rounds(&s, &a, complete);
	state_free(&s);
	return status;
}
