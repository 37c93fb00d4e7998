/* bordertrace-probe — the privileged program: sends probes, writes traces.
 *
 * Only this binary needs CAP_NET_RAW. It parses options and targets, opens
 * the engine (raw socket + capture), runs it, and prints each trace as a
 * traceroute-style table or as JSON Lines. Fatal errors are printed here and
 * only here; exit status 2 for bad usage or input, 1 for runtime failures. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bordertrace/engine.h"
#include "bordertrace/privdrop.h"
#include "bordertrace/probe.h"
#include "bordertrace/trace.h"
#include "bordertrace/targets.h"
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
"       " PROG " run [--vp ID] [--rounds N] [--check] CAMPAIGN   (see run --help)\n"
"Trace the path to each IPv4 TARGET (all at once, under one rate limit).\n"
"\n"
"  -P, --method M       icmp-paris (default), udp-paris or tcp-syn\n"
"  -F, --flow N         Paris flow number 0..%d (default 0): picks the ICMP\n"
"                       checksum or the UDP/TCP source port that stays constant\n"
"      --flows N        trace N flows per target, from --flow on (default 1)\n"
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
"  -p, --dport PORT     UDP/TCP destination port (default 33435 / 80)\n"
"  -s, --source ADDR    source address (must be this host's)\n"
"  -i, --interface IF   send and capture on this interface only\n"
"  -T, --targets FILE   read targets from FILE (one per line, # comments)\n"
"      --vp ID          vantage point id written into each record\n"
"      --campaign ID    campaign id written into each record\n"
"      --round ID       round id written into each record (e.g. its UTC start)\n"
"      --json           JSON Lines on standard output instead of a table\n"
"  -o, --output FILE    JSON Lines into FILE (replaced atomically)\n"
"      --user USER      probe as USER with no capabilities once the sockets are\n"
"                       open (default nobody)\n"
"  -h, --help           this help\n"
"\n"
"Needs CAP_NET_RAW: run as root, or once: sudo setcap cap_net_raw+ep %s\n",
		BT_PROBE_MAX_FLOW, BT_PROBE_MAX_ATTEMPTS, "$(command -v " PROG ")");
}

static void die_usage(const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, PROG ": ");
	fprintf(stderr, fmt, a, b);
	fprintf(stderr, "\n(try '" PROG " trace --help')\n");
	exit(2);
}

static unsigned parse_uint(const char *opt, const char *s, unsigned min, unsigned max)
{
	char *end;
	char range[64];
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || *s == '-' || v < min || v > max) {
		snprintf(range, sizeof(range), "'%s' is not a whole number in %u..%u", s, min, max);
		die_usage("%s: %s", opt, range);
	}
	return (unsigned)v;
}

/* Ids go into every record and into file names: printable ASCII, no '/'. */
static bool id_ok(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (*s <= ' ' || *s > '~' || *s == '/' || *s == '"' || *s == '\\')
			return false;
	return true;
}

typedef struct out_ctx {
	bool json;
	FILE *f;
	size_t ntraces;
	char *buf;
	size_t len, cap;
} out_ctx;

static void print_table(FILE *f, const bt_trace *t)
{
	char a[BT_ADDR_STRLEN], b[BT_ADDR_STRLEN];
	fprintf(f, "trace to %s from %s, %s", bt_addr_format(&t->dst, a, sizeof(a)),
		bt_addr_format(&t->src, b, sizeof(b)), bt_method_name(t->method));
	if (t->method == BT_METHOD_ICMP_PARIS)
		fprintf(f, " flow %u (checksum 0x%04x)\n", t->flow, t->icmp_sum);
	else
		fprintf(f, " flow %u (ports %u -> %u)\n", t->flow, t->sport, t->dport);
	for (size_t i = 0; i < t->hop_count; i++) {
		const bt_hop *h = &t->hops[i];
		if (!bt_addr_is_set(&h->addr)) {
			fprintf(f, "%3u  *\n", h->probe_ttl);
			continue;
		}
		fprintf(f, "%3u  %-15s  %8.3f ms", h->probe_ttl, bt_addr_format(&h->addr, a, sizeof(a)),
			h->rtt_us / 1000.0);
		if (h->icmp_type == 3)
			fprintf(f, "  !%s", h->icmp_code == 3 ? "P" : h->icmp_code == 1 ? "H" :
					       h->icmp_code == 0 ? "N" : h->icmp_code == 13 ? "X" : "?");
		if (h->tcp_flags)
			fprintf(f, "  [%s]", (h->tcp_flags & 0x04) ? "RST" : "SYN-ACK");
		for (unsigned k = 0; k < h->mpls_count; k++)
			fprintf(f, "%s%u", k ? "," : "  MPLS ", h->mpls[k].label);
		fputc('\n', f);
	}
	if (t->filled_below_ttl)
		fprintf(f, "hops below TTL %u copied from another trace (split TTL)\n", t->filled_below_ttl);
	fprintf(f, "stop: %s", bt_stop_name(t->stop));
	if (t->stop_ttl)
		fprintf(f, " at TTL %u", t->stop_ttl);
	fprintf(f, ", %u probes\n\n", t->probes_sent);
}

static int on_trace(bt_trace *t, void *arg)
{
	out_ctx *o = arg;
	int rc = 0;
	if (o->json)
		rc = bt_record_write(o->f, t, &o->buf, &o->len, &o->cap);
	else
		print_table(o->f, t);
	if (!o->json || o->f == stdout)
		fflush(o->f);
	o->ntraces++;
	bt_trace_free(t);
	return rc != 0 || ferror(o->f) ? -1 : 0;
}

static int cmd_trace(int argc, char **argv)
{
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
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *user = BT_PRIVDROP_DEFAULT_USER;
	bt_engine_opts o;
	bt_engine_opts_default(&o);
	const char *outpath = NULL, *tfile = NULL;
	bool json = false;
	int c;
	char err[512];

	while ((c = getopt_long(argc, argv, "P:F:f:m:q:w:g:W:r:p:s:i:T:o:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'P':
			if (bt_method_parse(optarg, &o.method) != 0)
				die_usage("--method: '%s' is not one of icmp-paris, udp-paris, tcp-syn%s", optarg, "");
			break;
		case 'F': o.flow = (uint16_t)parse_uint("--flow", optarg, 0, BT_PROBE_MAX_FLOW); break;
		case 'f': o.first_ttl = (uint8_t)parse_uint("--first-ttl", optarg, 1, 255); break;
		case 'm': o.max_ttl = (uint8_t)parse_uint("--max-ttl", optarg, 1, 255); break;
		case 'q': o.attempts = (uint8_t)parse_uint("--attempts", optarg, 1, BT_PROBE_MAX_ATTEMPTS); break;
		case 'g': o.gap_limit = (uint8_t)parse_uint("--gap-limit", optarg, 1, 255); break;
		case 'W': o.window = (uint8_t)parse_uint("--window", optarg, 1, 32); break;
		case 'r': o.rate_pps = parse_uint("--rate", optarg, 1, 10000000); break;
		case 'p': o.dport = (uint16_t)parse_uint("--dport", optarg, 1, 65535); break;
		case 'w': {
			char *end;
			errno = 0;
			double w = strtod(optarg, &end);
			if (errno != 0 || end == optarg || *end != '\0' || !(w >= 0.001 && w <= 60.0))
				die_usage("--wait: '%s' is not a number of seconds in 0.001..60%s", optarg, "");
			o.wait_us = (uint32_t)(w * 1e6 + 0.5);
			break;
		}
		case 's':
			if (bt_addr_parse(optarg, &o.src) != 0 || o.src.family != AF_INET)
				die_usage("--source: '%s' is not an IPv4 address%s", optarg, "");
			break;
		case 'i':
			if (strlen(optarg) >= 16 || *optarg == '\0')
				die_usage("--interface: '%s' is not an interface name%s", optarg, "");
			o.device = optarg;
			break;
		case 'T': tfile = optarg; break;
		case 'o': outpath = optarg; json = true; break;
		case 'J': json = true; break;
		case 'V':
			if (strlen(optarg) >= BT_ID_MAX || !id_ok(optarg))
				die_usage("--vp: '%s' must be 1..63 printable ASCII characters%s", optarg, "");
			o.vp = optarg;
			break;
		case 'S': o.split_ttl = (uint8_t)parse_uint("--split-ttl", optarg, 1, 255); break;
		case 'A': o.active = parse_uint("--active", optarg, 1, 10000000); break;
		case 'N': o.nflows = (uint16_t)parse_uint("--flows", optarg, 1, BT_PROBE_MAX_FLOW + 1); break;
		case 'C':
		case 'R':
			if (strlen(optarg) >= BT_ID_MAX || !id_ok(optarg))
				die_usage("%s: '%s' must be 1..63 printable ASCII characters", c == 'C' ? "--campaign" : "--round", optarg);
			if (c == 'C')
				o.campaign = optarg;
			else
				o.round = optarg;
			break;
		case 'U':
			if (*optarg == '\0' || strlen(optarg) > 64)
				die_usage("--user: '%s' is not a user name%s", optarg, "");
			user = optarg;
			break;
		case 'h': usage(stdout); return 0;
		default: fprintf(stderr, "(try '" PROG " trace --help')\n"); return 2;
		}
	}
	if (o.flow + o.nflows - 1 > BT_PROBE_MAX_FLOW) {
		char a[16];
		snprintf(a, sizeof(a), "%d", BT_PROBE_MAX_FLOW);
		die_usage("--flow + --flows must stay within 0..%s%s", a, "");
	}
	if (o.first_ttl > o.max_ttl) {
		char a[16], b[16];
		snprintf(a, sizeof(a), "%u", o.first_ttl);
		snprintf(b, sizeof(b), "%u", o.max_ttl);
		die_usage("--first-ttl %s is above --max-ttl %s", a, b);
	}
	if (o.split_ttl && (o.split_ttl < o.first_ttl || o.split_ttl > o.max_ttl))
		die_usage("--split-ttl must lie between --first-ttl and --max-ttl%s%s", "", "");

	bt_targets tl;
	bt_targets_init(&tl);
	for (int i = optind; i < argc; i++) {
		if (bt_targets_add_string(&tl, argv[i], err, sizeof(err)) != 0) {
			fprintf(stderr, PROG ": target '%s': %s\n", argv[i], err);
			bt_targets_free(&tl);
			return 2;
		}
	}
	if (tfile && bt_targets_load(&tl, tfile, err, sizeof(err)) != 0) {
		fprintf(stderr, PROG ": %s\n", err);
		bt_targets_free(&tl);
		return 2;
	}
	if (tl.n == 0) {
		bt_targets_free(&tl);
		die_usage("no target given%s%s", "", "");
	}
	for (size_t i = 0; i < tl.n; i++) {
		if (tl.a[i].family != AF_INET) {
			char a[BT_ADDR_STRLEN];
			fprintf(stderr, PROG ": target '%s': IPv6 probing is not supported yet\n",
				bt_addr_format(&tl.a[i], a, sizeof(a)));
			bt_targets_free(&tl);
			return 2;
		}
	}
	size_t dups = bt_targets_dedup(&tl);
	if (dups)
		fprintf(stderr, PROG ": %zu duplicate target(s) traced once\n", dups);

	bool eperm;
	bt_engine *e = bt_engine_open(&o, err, sizeof(err), &eperm);
	if (e == NULL) {
		if (eperm)
			fprintf(stderr, PROG ": %s\n" PROG ": sending probes needs CAP_NET_RAW: run as root, "
				"or grant it once with: sudo setcap cap_net_raw+ep %s\n", err, "$(command -v " PROG ")");
		else
			fprintf(stderr, PROG ": %s\n", err);
		bt_targets_free(&tl);
		return eperm ? 1 : 2;
	}

	/* Output: stdout, or a temporary file renamed over FILE only when complete. */
	out_ctx oc = { .json = json, .f = stdout };
	char *tmp = NULL;
	if (outpath) {
		size_t n = strlen(outpath) + 16;
		tmp = malloc(n);
		snprintf(tmp, n, "%s.tmp.XXXXXX", outpath);
		int fd = mkstemp(tmp);
		if (fd < 0 || (oc.f = fdopen(fd, "w")) == NULL) {
			fprintf(stderr, PROG ": %s: cannot create a temporary file beside it: %s\n", outpath,
				strerror(errno));
			free(tmp);
			bt_engine_close(e);
			bt_targets_free(&tl);
			return 1;
		}
		fchmod(fd, 0644);
	}

	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	/* Privilege separation (include/bordertrace/privdrop.h): the child
	 * gives up its user and every capability, then probes and writes; this
	 * process waits and puts the output file in place. */
	pid_t child = bt_privsep_fork(user, err, sizeof(err));
	if (child < 0) {
		fprintf(stderr, PROG ": %s\n", err);
		child = -1;
	}
	if (child != 0) {
		bt_engine_close(e);
		int cs = child > 0 ? bt_privsep_wait(child, (volatile int *)&g_stop) : 1;
		int status = cs == 0 ? 0 : (cs == 2 ? 2 : 1);
		if (outpath) {
			/* the child wrote and fsynced through its copy of the descriptor */
			bool ok = status == 0;
			if (fclose(oc.f) != 0)
				ok = false;
			if (ok && rename(tmp, outpath) != 0) {
				fprintf(stderr, PROG ": %s: %s\n", outpath, strerror(errno));
				ok = false;
				status = 1;
			}
			if (!ok)
				unlink(tmp);
			free(tmp);
		}
		bt_targets_free(&tl);
		return status;
	}

	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int rc = bt_engine_run(e, tl.a, tl.n, on_trace, &oc, &g_stop, err, sizeof(err));
	free(oc.buf);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;

	bt_engine_stats st;
	bt_engine_get_stats(e, &st);
	bt_engine_close(e);

	int status = 0;
	if (rc < 0) {
		fprintf(stderr, PROG ": %s\n", err);
		status = 1;
	} else if (rc > 0) {
		fprintf(stderr, PROG ": %s\n", g_stop ? "interrupted: unfinished traces not written" :
						     "writing the output failed");
		status = 1;
	}
	if (outpath) {
		/* durable here; the parent renames it into place */
		if (status == 0 && (fflush(oc.f) != 0 || fsync(fileno(oc.f)) != 0)) {
			fprintf(stderr, PROG ": %s: write failed: %s\n", outpath, strerror(errno));
			status = 1;
		}
		free(tmp);
	} else if (fflush(stdout) != 0) {
		status = 1;
	}
	fprintf(stderr,
		PROG ": %zu traces, %llu probes, %llu replies, %llu foreign ignored, %llu late, "
		"%llu malformed, %llu send errors, %llu pcap drops, %.2f s\n",
		oc.ntraces, (unsigned long long)st.probes_sent, (unsigned long long)st.replies,
		(unsigned long long)st.foreign, (unsigned long long)st.late,
		(unsigned long long)st.malformed, (unsigned long long)st.send_errors,
		(unsigned long long)(st.pcap_dropped + st.pcap_ifdropped), secs);
	if (o.split_ttl)
		fprintf(stderr, PROG ": split TTL %u: %llu probes saved, %llu traces filled below it\n",
			o.split_ttl, (unsigned long long)st.probes_saved, (unsigned long long)st.traces_filled);
	bt_targets_free(&tl);
	return status;
}

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "trace") == 0)
		return cmd_trace(argc - 1, argv + 1);
	if (strcmp(argv[1], "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	fprintf(stderr, PROG ": unknown command '%s' (try '" PROG " --help')\n", argv[1]);
	return 2;
}
