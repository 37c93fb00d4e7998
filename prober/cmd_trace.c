/* bordertrace-probe trace — trace the paths to the targets given, now.
 *
 * Parses options and targets, opens the engine (raw socket + capture),
 * forks the unprivileged prober (include/bordertrace/privdrop.h), and
 * prints each trace as a traceroute-style table (common/trace_text.c) or
 * as JSON Lines (common/trace_json.c), to stdout or into a file replaced
 * atomically. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bordertrace/addrclass.h"
#include "bordertrace/cli.h"
#include "bordertrace/engine.h"
#include "bordertrace/expand.h"
#include "bordertrace/privdrop.h"
#include "bordertrace/probe.h"
#include "bordertrace/targets.h"
#include "bordertrace/trace.h"
#include "bordertrace/trace_text.h"
#include "cli.h"
#include "cmd.h"

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: " PROG " trace [options] TARGET...\n"
"Trace the path to each TARGET, IPv4 or IPv6 (all at once, under one rate limit).\n"
"\n"
"  -P, --method M       icmp-paris (default), udp-paris or tcp-syn\n"
"  -F, --flow N         Paris flow number 0..%d (default 0): picks the ICMP\n"
"                       checksum or the UDP/TCP source port that stays constant\n"
"      --flows N        trace N flows per target, from --flow on (default 1)\n"
"      --multipath      find every load-balanced path (MDA, doc/probing.md\n"
"                       \"Multipath\"): up to %d flows per target from --flow on,\n"
"                       one record per target with each reply's flow\n"
"      --confidence PCT multipath: the stopping rule's confidence, 50..99 (95)\n"
"      --min-share PCT  multipath: find a branch taking at least PCT%% of the\n"
"                       flows at that confidence, 0..50 (25; 0: plain MDA)\n"
"  -f, --first-ttl N    first TTL to probe (default 1)\n"
"  -m, --max-ttl N      last TTL to probe (default 32)\n"
"  -q, --attempts N     probes per hop before it counts as silent (default 2, max %d)\n"
"  -w, --wait SEC       how long to wait for each probe's reply (default 1)\n"
"  -g, --gap-limit N    stop after N consecutive silent hops (default 5)\n"
"  -W, --window N       probes in flight per target (default 1)\n"
"      --split-ttl N    start at TTL N, probe forward, then backward until a hop\n"
"                       another trace saw at that TTL (Doubletree; default off)\n"
"      --active N       targets in progress at once (default: from rate and wait,\n"
"                       at least 4096)\n"
"  -r, --rate PPS       packets per second for the whole run (default 100)\n"
"      --order ORDER    spread (default: targets start one after another, so\n"
"                       each router's probes spread over the run) or sweep\n"
"                       (all at once: every target's TTL 1, then TTL 2, ...)\n"
"      --rate-limits R  learn (default: a TTL whose replies a rate limit cuts\n"
"                       is probed more slowly) or ignore\n"
"      --send-path P    raw (default: a raw IP socket) or packet (IPv4 probes\n"
"                       by a packet socket to the kernel's route and gateway,\n"
"                       raw where that is not simple; doc/probing.md)\n"
"  -p, --dport PORT     UDP/TCP destination port (default 33435 / 80)\n"
"  -s, --source ADDR    source address (must be this host's); once per family\n"
"                       (default: the route's, per target)\n"
"  -i, --interface IF   send and capture on this interface only\n"
"  -T, --targets FILE   read targets from FILE (one per line, # comments)\n"
"      --lab            trace only the test ranges (198.18.0.0/15, 198.51.100.0/24,\n"
"                       203.0.113.0/24, 2001:db8::/32) and loopback; without it\n"
"                       special-purpose destinations (private, multicast, ...)\n"
"                       are refused, as by a campaign's lab switch\n"
"      --vp ID          vantage point id written into each record\n"
"      --campaign ID    campaign id written into each record\n"
"      --round ID       round id written into each record (e.g. its UTC start)\n"
"      --json           JSON Lines on standard output instead of a table\n"
"  -o, --output FILE    JSON Lines into FILE (replaced atomically)\n"
"      --user USER      probe as USER with no capabilities once the sockets are\n"
"                       open (default nobody)\n"
"  -h, --help           this help\n"
"\n"
"The table's markers (!N, !H, !P, ...) are traceroute's: see doc/cli.md.\n"
"Exit status: 0 ok, 1 bad target file or runtime failure, 2 usage error.\n"
"Needs CAP_NET_RAW: run as root, or once: sudo setcap cap_net_raw+ep %s\n",
		BT_PROBE_MAX_FLOW, BT_MDA_FLOWS, BT_PROBE_MAX_ATTEMPTS, "$(command -v " PROG ")");
}

/* What the command line asked for. */
typedef struct trace_args {
	bt_engine_opts o;
	const char *user;
	const char *outpath; /* -o: JSON Lines into this file */
	const char *tfile;   /* -T */
	bool json;
	bool lab;            /* --lab: the test ranges and loopback only */
} trace_args;

static const struct option lopts[] = {
	{ "method", required_argument, NULL, 'P' },
	{ "flow", required_argument, NULL, 'F' },
	{ "first-ttl", required_argument, NULL, 'f' },
	{ "max-ttl", required_argument, NULL, 'm' },
	{ "attempts", required_argument, NULL, 'q' },
	{ "wait", required_argument, NULL, 'w' },
	{ "gap-limit", required_argument, NULL, 'g' },
	{ "window", required_argument, NULL, 'W' },
	{ "rate", required_argument, NULL, 'r' },
	{ "order", required_argument, NULL, 'O' },
	{ "rate-limits", required_argument, NULL, 'K' },
	{ "send-path", required_argument, NULL, 'Y' },
	{ "dport", required_argument, NULL, 'p' },
	{ "source", required_argument, NULL, 's' },
	{ "interface", required_argument, NULL, 'i' },
	{ "targets", required_argument, NULL, 'T' },
	{ "output", required_argument, NULL, 'o' },
	{ "json", no_argument, NULL, 'J' },
	{ "vp", required_argument, NULL, 'V' },
	{ "flows", required_argument, NULL, 'N' },
	{ "campaign", required_argument, NULL, 'C' },
	{ "round", required_argument, NULL, 'R' },
	{ "split-ttl", required_argument, NULL, 'S' },
	{ "active", required_argument, NULL, 'A' },
	{ "user", required_argument, NULL, 'U' },
	{ "lab", no_argument, NULL, 'L' },
	{ "multipath", no_argument, NULL, 'M' },
	{ "confidence", required_argument, NULL, 'c' },
	{ "min-share", required_argument, NULL, 'x' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

#define USAGE_ERROR(...) bt_cli_usage_error("trace", __VA_ARGS__)

static uint32_t parse_wait(const char *s)
{
	char *end;
	errno = 0;
	double w = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(w >= 0.001 && w <= 60.0))
		USAGE_ERROR("--wait: '%s' is not a number of seconds in 0.001..60", s);
	return (uint32_t)(w * 1e6 + 0.5);
}

/* The numeric options: their value in a->o, or a usage error. */
static void set_number(trace_args *a, int c, const char *v)
{
	bt_engine_opts *o = &a->o;
	switch (c) {
	case 'F': o->flow = (uint16_t)bt_cli_uint("trace", "--flow", v, 0, BT_PROBE_MAX_FLOW); break;
	case 'f': o->first_ttl = (uint8_t)bt_cli_uint("trace", "--first-ttl", v, 1, 255); break;
	case 'm': o->max_ttl = (uint8_t)bt_cli_uint("trace", "--max-ttl", v, 1, 255); break;
	case 'q': o->attempts = (uint8_t)bt_cli_uint("trace", "--attempts", v, 1, BT_PROBE_MAX_ATTEMPTS); break;
	case 'g': o->gap_limit = (uint8_t)bt_cli_uint("trace", "--gap-limit", v, 1, 255); break;
	case 'W': o->window = (uint8_t)bt_cli_uint("trace", "--window", v, 1, 32); break;
	case 'r': o->rate_pps = bt_cli_uint("trace", "--rate", v, 1, 10000000); break;
	case 'p': o->dport = (uint16_t)bt_cli_uint("trace", "--dport", v, 1, 65535); break;
	case 'S': o->split_ttl = (uint8_t)bt_cli_uint("trace", "--split-ttl", v, 1, 255); break;
	case 'A': o->active = bt_cli_uint("trace", "--active", v, 1, 10000000); break;
	case 'N': o->nflows = (uint16_t)bt_cli_uint("trace", "--flows", v, 1, BT_PROBE_MAX_FLOW + 1); break;
	case 'w': o->wait_us = parse_wait(v); break;
	case 'c': o->confidence = (uint8_t)bt_cli_uint("trace", "--confidence", v, 50, 99); break;
	case 'x': o->min_share = (uint8_t)bt_cli_uint("trace", "--min-share", v, 0, 50); break;
	}
}

/* Every other option with a value. */
static void set_option(trace_args *a, int c, const char *v)
{
	bt_engine_opts *o = &a->o;
	switch (c) {
	case 'P':
		if (bt_method_parse(v, &o->method) != 0)
			USAGE_ERROR("--method: '%s' is not one of icmp-paris, udp-paris, tcp-syn", v);
		break;
	case 's': {
		bt_addr s;
		if (bt_addr_parse(v, &s) != 0)
			USAGE_ERROR("--source: '%s' is not an IPv4 or IPv6 address", v);
		bt_addr *slot = s.family == AF_INET6 ? &o->src6 : &o->src;
		if (bt_addr_is_set(slot))
			USAGE_ERROR("--source: one %s source only ('%s' is the second)",
				    s.family == AF_INET6 ? "IPv6" : "IPv4", v);
		*slot = s;
		break;
	}
	case 'i':
		if (strlen(v) >= 16 || *v == '\0')
			USAGE_ERROR("--interface: '%s' is not an interface name", v);
		o->device = v;
		break;
	case 'O':
		if (bt_order_parse(v, &o->order) != 0)
			USAGE_ERROR("--order: '%s' is not one of spread, sweep", v);
		break;
	case 'K':
		if (bt_rate_limits_parse(v, &o->ignore_rate_limits) != 0)
			USAGE_ERROR("--rate-limits: '%s' is not one of learn, ignore", v);
		break;
	case 'Y':
		if (bt_send_path_parse(v, &o->send_path) != 0)
			USAGE_ERROR("--send-path: '%s' is not one of raw, packet", v);
		break;
	case 'T': a->tfile = v; break;
	case 'o': a->outpath = v; a->json = true; break;
	case 'J': a->json = true; break;
	case 'L': a->lab = true; break;
	case 'M': o->multipath = true; break;
	case 'V': o->vp = bt_cli_id("trace", "--vp", v); break;
	case 'C': o->campaign = bt_cli_id("trace", "--campaign", v); break;
	case 'R': o->round = bt_cli_id("trace", "--round", v); break;
	case 'U': a->user = bt_cli_user("trace", v); break;
	default: set_number(a, c, v); break;
	}
}

/* The options into a; returns -1 to go on, or the exit status (--help). */
static int parse_args(int argc, char **argv, trace_args *a)
{
	char why[128];
	int c;
	memset(a, 0, sizeof(*a));
	bt_engine_opts_default(&a->o);
	a->user = BT_PRIVDROP_DEFAULT_USER;
	while ((c = bt_cli_getopt(argc, argv, "P:F:f:m:q:w:g:W:r:p:s:i:T:o:h", lopts, why, sizeof(why))) != -1) {
		if (c == 'h') {
			usage(stdout);
			return BT_EXIT_OK;
		}
		if (c == '?')
			USAGE_ERROR("%s", why);
		set_option(a, c, optarg);
	}
	const bt_engine_opts *o = &a->o;
	if (o->flow + o->nflows - 1 > BT_PROBE_MAX_FLOW)
		USAGE_ERROR("--flow + --flows must stay within 0..%d", BT_PROBE_MAX_FLOW);
	if (o->multipath && (o->nflows != 1 || o->split_ttl))
		USAGE_ERROR("--multipath chooses its flows itself: no --flows or --split-ttl with it");
	if (o->multipath && o->flow + BT_MDA_FLOWS - 1 > BT_PROBE_MAX_FLOW)
		USAGE_ERROR("--multipath: --flow + %d must stay within 0..%d", BT_MDA_FLOWS - 1, BT_PROBE_MAX_FLOW);
	if (o->first_ttl > o->max_ttl)
		USAGE_ERROR("--first-ttl %u is above --max-ttl %u", o->first_ttl, o->max_ttl);
	if (o->split_ttl && (o->split_ttl < o->first_ttl || o->split_ttl > o->max_ttl))
		USAGE_ERROR("--split-ttl must lie between --first-ttl and --max-ttl");
	return -1;
}

/* Why a is not traced (into why), or NULL when it may be: without --lab
 * only addresses of no special purpose, with it only the test ranges and
 * loopback (a campaign's lab switch, doc/campaign.md; loopback never leaves
 * the host). */
static const char *refusal(const bt_addr *a, bool lab, char *why, size_t whylen)
{
	char s[BT_ADDR_STRLEN];
	bt_addrclass c = bt_addrclass_of(a, NULL, NULL, NULL);
	bt_addr_format(a, s, sizeof(s));
	if (lab && (bt_expand_lab_ok(a) || c == BT_CLASS_LOOPBACK))
		return NULL;
	if (!lab && c == BT_CLASS_PUBLIC)
		return NULL;
	if (lab)
		snprintf(why, whylen, "target %s: outside the test ranges (--lab traces only 198.18.0.0/15, "
			 "198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32 and loopback)", s);
	else
		snprintf(why, whylen, "target %s: a%s %s address (special-purpose): not traced%s", s,
			 strchr("aeiou", bt_addrclass_name(c)[0]) ? "n" : "", bt_addrclass_name(c),
			 bt_expand_lab_ok(a) || c == BT_CLASS_LOOPBACK ? " (--lab traces the test ranges and loopback)" : "");
	return why;
}

/* Drops the targets that may not be traced, each said on stderr (the first
 * ten, then a count), before any socket is opened; 0, or the exit status
 * when none is left (a usage error for command-line targets, bad data for
 * a -T file). */
static int refuse_special(const trace_args *a, bt_targets *tl)
{
	char why[256];
	size_t w = 0, refused = 0;
	for (size_t i = 0; i < tl->n; i++) {
		if (refusal(&tl->a[i], a->lab, why, sizeof(why)) == NULL)
			tl->a[w++] = tl->a[i];
		else if (++refused <= 10)
			fprintf(stderr, PROG ": %s\n", why);
	}
	tl->n = w;
	if (refused > 10)
		fprintf(stderr, PROG ": and %zu more special-purpose targets not traced\n", refused - 10);
	if (w > 0)
		return 0;
	if (a->tfile)
		return bt_cli_data_error("no target left to trace (%zu refused)", refused);
	USAGE_ERROR("no target left to trace (%zu refused)", refused);
}

/* The targets from the arguments (usage errors) and from -T (data
 * errors), deduplicated; 0 or the exit status. */
static int load_targets(const trace_args *a, char **args, int nargs, bt_targets *tl)
{
	char err[512];
	for (int i = 0; i < nargs; i++)
		if (bt_targets_add_string(tl, args[i], err, sizeof(err)) != 0)
			USAGE_ERROR("target '%s': %s", args[i], err);
	if (a->tfile && bt_targets_load(tl, a->tfile, err, sizeof(err)) != 0)
		return bt_cli_data_error("%s", err);
	if (tl->n == 0 && a->tfile)
		return bt_cli_data_error("%s: no target in the file", a->tfile);
	if (tl->n == 0)
		USAGE_ERROR("no target given");
	size_t dups = bt_targets_dedup(tl);
	if (dups)
		fprintf(stderr, PROG ": %zu duplicate target(s) traced once\n", dups);
	return refuse_special(a, tl);
}

/* Where the traces go: stdout, or a temporary file beside -o FILE that
 * is renamed over it only when complete. */
typedef struct out_ctx {
	bool json;
	FILE *f;
	const char *path; /* -o FILE, or NULL */
	char *tmp;
	size_t ntraces;
	size_t nerrors; /* traces that ended as errors (nothing could be sent) */
	char *buf; /* the JSON writer's, kept from one record to the next */
	size_t cap;
} out_ctx;

static int out_open(out_ctx *oc, const trace_args *a)
{
	*oc = (out_ctx){ .json = a->json, .f = stdout, .path = a->outpath };
	if (a->outpath == NULL)
		return 0;
	if (asprintf(&oc->tmp, "%s.tmp.XXXXXX", a->outpath) < 0) {
		oc->tmp = NULL;
		return bt_cli_data_error("out of memory");
	}
	int fd = mkstemp(oc->tmp);
	if (fd < 0 || (oc->f = fdopen(fd, "w")) == NULL) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		free(oc->tmp);
		oc->tmp = NULL;
		return bt_cli_data_error("%s: cannot create a temporary file beside it: %s", a->outpath,
					 strerror(e));
	}
	fchmod(fd, 0644);
	return 0;
}

static int on_trace(bt_trace *t, void *arg)
{
	out_ctx *o = arg;
	int rc = 0;
	if (o->json)
		rc = bt_trace_write_buf(o->f, t, &o->buf, &o->cap);
	else
		bt_trace_print_text(o->f, t);
	if (!o->json || o->f == stdout)
		fflush(o->f);
	o->ntraces++;
	o->nerrors += t->stop == BT_STOP_ERROR;
	bt_trace_free(t);
	return rc != 0 || ferror(o->f) ? -1 : 0;
}

/* The parent's part: wait for the prober, then put the output in place
 * (the child wrote and fsynced it through its copy of the descriptor). */
static int parent_finish(pid_t child, out_ctx *oc)
{
	int cs = child > 0 ? bt_privsep_wait(child, (volatile int *)&g_stop) : 1;
	int status = cs == 0 ? BT_EXIT_OK : BT_EXIT_DATA;
	if (oc->path) {
		bool ok = status == 0;
		if (fclose(oc->f) != 0)
			ok = false;
		if (ok && rename(oc->tmp, oc->path) != 0) {
			status = bt_cli_data_error("%s: %s", oc->path, strerror(errno));
			ok = false;
		}
		if (!ok)
			unlink(oc->tmp);
		free(oc->tmp);
	}
	return status;
}

static void print_stats(const out_ctx *oc, const bt_engine_stats *st, double secs, unsigned split_ttl,
			uint8_t send_path)
{
	fprintf(stderr,
		PROG ": %zu traces, %llu probes, %llu replies, %llu foreign ignored, %llu late, "
		"%llu malformed, %llu send errors, %llu pcap drops, %.2f s\n",
		oc->ntraces, (unsigned long long)st->probes_sent, (unsigned long long)st->replies,
		(unsigned long long)st->foreign, (unsigned long long)st->late,
		(unsigned long long)st->malformed, (unsigned long long)st->send_errors,
		(unsigned long long)(st->pcap_dropped + st->pcap_ifdropped), secs);
	if (st->meters_on || st->meters_given_up)
		fprintf(stderr, PROG ": rate limits: %llu TTL meters (at most %llu at once, %llu targets waiting), "
			"%llu TTLs given up\n",
			(unsigned long long)st->meters_on, (unsigned long long)st->meters_peak,
			(unsigned long long)st->parked_peak, (unsigned long long)st->meters_given_up);
	char sp[256];
	bt_send_path_summary(st, send_path, sp, sizeof(sp));
	if (sp[0])
		fprintf(stderr, PROG ": %s\n", sp);
	if (split_ttl)
		fprintf(stderr, PROG ": split TTL %u: %llu probes saved, %llu traces filled below it\n",
			split_ttl, (unsigned long long)st->probes_saved, (unsigned long long)st->traces_filled);
}

/* The child's part (privileges dropped): probe, write, make it durable. */
static int child_run(bt_engine *e, const trace_args *a, const bt_targets *tl, out_ctx *oc)
{
	char err[512];
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int rc = bt_engine_run(e, tl->a, tl->n, on_trace, oc, &g_stop, err, sizeof(err));
	free(oc->buf);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	bt_engine_stats st;
	bt_engine_get_stats(e, &st);
	bt_engine_close(e);

	int status = BT_EXIT_OK;
	if (rc < 0)
		status = bt_cli_data_error("%s", err);
	else if (rc == 0 && oc->nerrors > 0 && oc->nerrors == oc->ntraces)
		status = bt_cli_data_error("no trace could run: every target ended as an error (%s)",
					   st.first_error[0] ? st.first_error : "reason unknown");
	else if (rc == 0 && oc->nerrors > 0)
		fprintf(stderr, PROG ": %zu of %zu traces ended as errors (the first: %s)\n", oc->nerrors,
			oc->ntraces, st.first_error[0] ? st.first_error : "reason unknown");
	else if (rc > 0)
		status = bt_cli_data_error("%s", g_stop ? "interrupted: unfinished traces not written" :
							 "writing the output failed");
	if (oc->path) {
		/* durable here; the parent renames it into place */
		if (status == 0 && (fflush(oc->f) != 0 || fsync(fileno(oc->f)) != 0))
			status = bt_cli_data_error("%s: write failed: %s", oc->path, strerror(errno));
		free(oc->tmp);
	} else if (fflush(stdout) != 0) {
		status = BT_EXIT_DATA;
	}
	print_stats(oc, &st, secs, a->o.split_ttl, a->o.send_path);
	return status;
}

/* Opens the engine; a usage error for a bad --source/--interface (what
 * opening reports without EPERM), a runtime failure for a missing
 * CAP_NET_RAW. */
static bt_engine *open_engine(const trace_args *a, int *status)
{
	char err[512];
	bool eperm;
	bt_engine *e = bt_engine_open(&a->o, err, sizeof(err), &eperm);
	if (e != NULL)
		return e;
	fprintf(stderr, PROG ": %s\n", err);
	if (eperm)
		fprintf(stderr, PROG ": sending probes needs CAP_NET_RAW: run as root, "
			"or grant it once with: sudo setcap cap_net_raw+ep $(command -v " PROG ")\n");
	*status = eperm ? BT_EXIT_DATA : BT_EXIT_USAGE;
	return NULL;
}

int cmd_trace(int argc, char **argv)
{
	trace_args a;
	bt_targets tl;
	out_ctx oc;
	char err[512];
	int status = parse_args(argc, argv, &a);
	if (status >= 0)
		return status;
	bt_targets_init(&tl);
	if ((status = load_targets(&a, argv + optind, argc - optind, &tl)) != 0)
		goto out;
	/* the IPv6 socket only when there are IPv6 targets, and then it must
	 * open: the targets are known before the privilege drop */
	a.o.ipv6 = BT_ENGINE_V6_OFF;
	for (size_t i = 0; i < tl.n; i++)
		if (tl.a[i].family == AF_INET6)
			a.o.ipv6 = BT_ENGINE_V6_NEED;
	bt_engine *e = open_engine(&a, &status);
	if (e == NULL)
		goto out;
	if ((status = out_open(&oc, &a)) != 0) {
		bt_engine_close(e);
		goto out;
	}
	bt_cli_signals(on_signal, NULL);
	/* Privilege separation: the child gives up its user and every
	 * capability, then probes and writes; this process waits and puts the
	 * output file in place. */
	pid_t child = bt_privsep_fork(a.user, err, sizeof(err));
	if (child < 0)
		bt_cli_data_error("%s", err);
	if (child != 0) {
		bt_engine_close(e);
		status = parent_finish(child, &oc);
	} else {
		status = child_run(e, &a, &tl, &oc);
	}
out:
	bt_targets_free(&tl);
	return status;
}
