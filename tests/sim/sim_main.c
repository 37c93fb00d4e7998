/* bt-sim — an Internet simulator behind a TUN device, for the scale benchmark
 * and for scoring traces against ground truth.
 *
 *   bt-sim serve --tun NAME [model options] [--phase P]
 *   bt-sim truth [model options] [--phase P] [--method M] [--flows LIST]
 *                [--src ADDR] [--dport PORT] [--targets FILE]
 *                [--family 4|6] [--flowlabel L]
 *   bt-sim plan [model options] [--family 4|6]   prefix, ASN, org, country
 *   bt-sim interfaces [model options] [--family 4|6]   every router interface
 *   bt-sim info [model options]         sizes of the generated Internet
 *
 *   bt-sim schedule | routes | changes | crossings | ixps | asrel   the changing
 *                                       Internet's truth (sim_rounds.c)
 *
 * serve never opens a socket: it only reads and writes the TUN device it is
 * given, so packets exist only in the namespace the caller put it in (the
 * test creates one and routes 198.18.0.0/15 and 2001:db8::/32 into the
 * device). IPv6 addresses are the IPv4 ones' twins (sim_model.h). Phase changes
 * on SIGUSR1 (toggles 0 <-> 1); counters on SIGUSR2 and at exit. Model and
 * formats: doc/sim.md. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "sim_branches.h"
#include "sim_cli.h"
#include "sim_model.h"
#include "sim_packet.h"
#include "sim_sched.h"
#include "sim_serve.h"

#define PROG "bt-sim"

static void usage(FILE *f)
{
	bt_sim_params d;
	bt_sim_params_default(&d);
	fprintf(f,
"usage: " PROG " serve --tun NAME [--io uring|plain] [model options] [--phase P] [--round R]\n"
"       " PROG " truth [model options] [--phase P] [--round R] [--method M] [--flows LIST]\n"
"                     [--src ADDR] [--dport PORT] [--targets FILE]\n"
"                     [--family 4|6] [--flowlabel L]\n"
"       " PROG " crossings [the options of truth]\n"
"       " PROG " plan | interfaces [model options] [--family 4|6] (interfaces: [--round R])\n"
"       " PROG " info | schedule | ixps | asrel [model options]\n"
"       " PROG " routes [model options] [--by prefix|as]\n"
"       " PROG " changes [model options] [--by prefix|as] [--per-vp] [--gone-after K]\n"
"       " PROG " branches [model options] [--phase P] [--targets FILE] [--family 4|6]\n"
"                     every interface and link over all ECMP branches\n"
"\n"
"model options (the same values give the same Internet):\n"
"  --seed N            generator seed (default %llu)\n"
"  --prefixes N        target /24s in 198.18.0.0/16, 8..%d (default %u)\n"
"  --ases N            destination ASes, AS131279 included (default %u)\n"
"  --transits N        transit ASes, AS4837 and AS20485 included (default %u)\n"
"  --countries N       countries of the synthetic ASes (default %u)\n"
"  --ecmp N            ECMP fan-out, 1 = none (default %u)\n"
"  --silent F          fraction of silent routers (default %.2f)\n"
"  --rate-limited F    fraction of ICMP rate-limiting routers (default %.2f)\n"
"  --rl-rate PPS       their bucket's refill rate (default %.0f)\n"
"  --rl-burst N        their bucket's depth (default %u)\n"
"  --dark F            fraction of targets that never answer (default %.2f)\n"
"  --nbr-numbered F    fraction of border ingresses numbered from the\n"
"                      neighbour's space (default %.2f)\n"
"  --change-share PCT  phase 1: percent of the moved /24's flows on the new\n"
"                      route (default %u)\n"
"  --vps N             VPs 198.51.100.1..N, each in its own upstream (default 1)\n"
"  --rounds N          rounds of the change schedule, 1..%d (default 1)\n"
"  --changes N         border changes drawn into the schedule (default 0)\n"
"  --noise N           other changes drawn into it (default 0)\n"
"  --schedule-seed N   the schedule's seed (default 0: --seed)\n"
"  --noise-kinds LIST  only these kinds of noise, e.g. thirdparty,ixp (default all)\n"
"  --round R           the round whose state is served or written (default 0)\n"
"serve:\n"
"  --tun NAME          TUN device to create (or attach to) and answer on\n"
"  --io uring|plain    batches of reads and writes in one io_uring_enter\n"
"                      (default), or a read and a write call a packet\n"
"  --phase P           0 = base, 1 = the border route appeared (default 0)\n"
"truth:\n"
"  --method M          icmp-paris (default), udp-paris, tcp-syn\n"
"  --flows LIST        prober flow numbers, e.g. 0,1 or 0-3 (default 0)\n"
"  --src ADDR          the prober's source address (default 198.51.100.1,\n"
"                      over IPv6 2001:db8:51:100::1)\n"
"  --dport PORT        UDP/TCP destination port (default the prober's)\n"
"  --targets FILE      only these targets (one per line, IPv4 or IPv6; each\n"
"                      line answered in its own family), else all\n"
"  --family 4|6        write addresses as IPv4 (default) or their IPv6 twins;\n"
"                      an IPv6 --src implies 6\n"
"  --flowlabel L       the IPv6 probes' flow label, 0..1048575, or 'prober'\n"
"                      (default): the prober's, 0x10000 + flow\n",
		(unsigned long long)d.seed, BT_SIM_MAX_PREFIXES, d.prefixes, d.ases, d.transits,
		d.countries, d.ecmp, d.silent, d.ratelimited, d.rl_rate, d.rl_burst, d.dark,
		d.nbr_numbered, d.change_share, BT_SIM_MAX_ROUNDS);
}

static void die(const char *fmt, const char *a)
{
	fprintf(stderr, PROG ": ");
	fprintf(stderr, fmt, a);
	fputc('\n', stderr);
	exit(2);
}

static double parse_num(const char *opt, const char *s, double min, double max)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= min && v <= max))
		die("%s: value out of range", opt);
	return v;
}

static unsigned parse_uint(const char *opt, const char *s, unsigned max)
{
	double v = parse_num(opt, s, 0, max);
	if (v != (double)(unsigned)v)
		die("%s: not a whole number", opt);
	return (unsigned)v;
}

typedef bt_sim_cli cli;

static void parse_flows(const char *s, uint8_t *set)
{
	memset(set, 0, BT_SIM_FLOW_BYTES);
	const char *p = s;
	while (*p) {
		char *end;
		unsigned long a = strtoul(p, &end, 10), b = a;
		if (end == p)
			die("--flows: '%s' is not a list like 0,1 or 0-3", s);
		if (*end == '-') {
			p = end + 1;
			b = strtoul(p, &end, 10);
			if (end == p)
				die("--flows: '%s' is not a list like 0,1 or 0-3", s);
		}
		if (a > b || b > 4095)
			die("--flows: '%s': flows are 0..4095", s);
		for (unsigned long f = a; f <= b; f++)
			set[f / 8] |= (uint8_t)(1u << (f % 8));
		p = end;
		if (*p == ',')
			p++;
		else if (*p)
			die("--flows: '%s' is not a list like 0,1 or 0-3", s);
	}
}

/* --noise-kinds intra,ixp,...: a bit per change kind that is not a border change. */
static uint32_t parse_kinds(const char *s)
{
	uint32_t set = 0;
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", s);
	for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		unsigned k = BT_SIM_CH_INTRA;
		while (k < BT_SIM_CH_NKINDS && strcmp(t, bt_sim_change_name(k)))
			k++;
		if (k == BT_SIM_CH_NKINDS)
			die("--noise-kinds: '%s' is not intra, rehash, renumber, nbrflip, thirdparty, ixp, unannounced, rlborder or dark", t);
		set |= 1u << k;
	}
	if (!set)
		die("--noise-kinds: '%s' names no kind", s);
	return set;
}

static void parse_cli(int argc, char **argv, cli *c)
{
	enum { O_SEED = 256, O_PFX, O_ASES, O_TRANSITS, O_CC, O_ECMP, O_SILENT, O_RL, O_RLRATE,
	       O_RLBURST, O_DARK, O_NBR, O_SHARE, O_TUN, O_PHASE, O_METHOD, O_FLOWS, O_SRC, O_DPORT,
	       O_TARGETS, O_FAMILY, O_LABEL, O_VPS, O_ROUNDS, O_CHANGES, O_NOISE, O_SSEED, O_ROUND,
	       O_BY, O_PERVP, O_GONE, O_NKINDS, O_IO };
	static const struct option lopts[] = {
		{ "seed", required_argument, NULL, O_SEED },
		{ "prefixes", required_argument, NULL, O_PFX },
		{ "ases", required_argument, NULL, O_ASES },
		{ "transits", required_argument, NULL, O_TRANSITS },
		{ "countries", required_argument, NULL, O_CC },
		{ "ecmp", required_argument, NULL, O_ECMP },
		{ "silent", required_argument, NULL, O_SILENT },
		{ "rate-limited", required_argument, NULL, O_RL },
		{ "rl-rate", required_argument, NULL, O_RLRATE },
		{ "rl-burst", required_argument, NULL, O_RLBURST },
		{ "dark", required_argument, NULL, O_DARK },
		{ "nbr-numbered", required_argument, NULL, O_NBR },
		{ "change-share", required_argument, NULL, O_SHARE },
		{ "tun", required_argument, NULL, O_TUN },
		{ "io", required_argument, NULL, O_IO },
		{ "phase", required_argument, NULL, O_PHASE },
		{ "method", required_argument, NULL, O_METHOD },
		{ "flows", required_argument, NULL, O_FLOWS },
		{ "src", required_argument, NULL, O_SRC },
		{ "dport", required_argument, NULL, O_DPORT },
		{ "targets", required_argument, NULL, O_TARGETS },
		{ "family", required_argument, NULL, O_FAMILY },
		{ "flowlabel", required_argument, NULL, O_LABEL },
		{ "vps", required_argument, NULL, O_VPS },
		{ "rounds", required_argument, NULL, O_ROUNDS },
		{ "changes", required_argument, NULL, O_CHANGES },
		{ "noise", required_argument, NULL, O_NOISE },
		{ "schedule-seed", required_argument, NULL, O_SSEED },
		{ "round", required_argument, NULL, O_ROUND },
		{ "by", required_argument, NULL, O_BY },
		{ "per-vp", no_argument, NULL, O_PERVP },
		{ "gone-after", required_argument, NULL, O_GONE },
		{ "noise-kinds", required_argument, NULL, O_NKINDS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	memset(c, 0, sizeof(*c));
	bt_sim_params_default(&c->p);
	c->src = BT_SIM_VP_ADDR;
	c->label = -1;
	c->round = -1;
	c->gone_after = 2;
	c->flows[0] = 1;
	int o;
	struct in_addr ia;
	struct in6_addr ia6;
	bool src6 = false;
	while ((o = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (o) {
		case O_SEED: c->p.seed = (uint64_t)parse_num("--seed", optarg, 0, 4294967295.0); break;
		case O_PFX: c->p.prefixes = parse_uint("--prefixes", optarg, 100000); break;
		case O_ASES: c->p.ases = parse_uint("--ases", optarg, 100000); break;
		case O_TRANSITS: c->p.transits = parse_uint("--transits", optarg, 100000); break;
		case O_CC: c->p.countries = parse_uint("--countries", optarg, 100000); break;
		case O_ECMP: c->p.ecmp = parse_uint("--ecmp", optarg, 100000); break;
		case O_SILENT: c->p.silent = parse_num("--silent", optarg, 0, 1); break;
		case O_RL: c->p.ratelimited = parse_num("--rate-limited", optarg, 0, 1); break;
		case O_RLRATE: c->p.rl_rate = parse_num("--rl-rate", optarg, 0.001, 1e9); break;
		case O_RLBURST: c->p.rl_burst = parse_uint("--rl-burst", optarg, 1000000); break;
		case O_DARK: c->p.dark = parse_num("--dark", optarg, 0, 1); break;
		case O_NBR: c->p.nbr_numbered = parse_num("--nbr-numbered", optarg, 0, 1); break;
		case O_SHARE: c->p.change_share = parse_uint("--change-share", optarg, 100); break;
		case O_TUN:
			if (strlen(optarg) >= IFNAMSIZ || !*optarg)
				die("--tun: '%s' is not a valid interface name", optarg);
			c->tun = optarg;
			break;
		case O_IO:
			if (strcmp(optarg, "uring") && strcmp(optarg, "plain"))
				die("--io: '%s' is not uring or plain", optarg);
			c->io = optarg[0] == 'u' ? BT_SIM_IO_URING : BT_SIM_IO_PLAIN;
			break;
		case O_PHASE: c->phase = parse_uint("--phase", optarg, 1); break;
		case O_METHOD:
			if (!strcmp(optarg, "icmp-paris"))
				c->method = 0;
			else if (!strcmp(optarg, "udp-paris"))
				c->method = 1;
			else if (!strcmp(optarg, "tcp-syn"))
				c->method = 2;
			else
				die("--method: '%s' is not icmp-paris, udp-paris or tcp-syn", optarg);
			break;
		case O_FLOWS: parse_flows(optarg, c->flows); break;
		case O_SRC:
			if (inet_pton(AF_INET, optarg, &ia) == 1) {
				c->src = ntohl(ia.s_addr);
				src6 = false;
			} else if (inet_pton(AF_INET6, optarg, &ia6) == 1) {
				c->src = bt_sim_key_src6(ia6.s6_addr);
				src6 = true;
			} else {
				die("--src: '%s' is not an IPv4 or IPv6 address", optarg);
			}
			break;
		case O_FAMILY:
			if (strcmp(optarg, "4") && strcmp(optarg, "6"))
				die("--family: '%s' is not 4 or 6", optarg);
			c->family = optarg[0] - '0';
			break;
		case O_LABEL:
			c->label = strcmp(optarg, "prober") ? (int64_t)parse_uint("--flowlabel", optarg, 0xfffff) : -1;
			break;
		case O_VPS: c->p.vps = parse_uint("--vps", optarg, 100000); break;
		case O_ROUNDS: c->p.rounds = parse_uint("--rounds", optarg, 100000); break;
		case O_CHANGES: c->p.changes = parse_uint("--changes", optarg, 100000); break;
		case O_NOISE: c->p.noise = parse_uint("--noise", optarg, 100000); break;
		case O_SSEED: c->p.sched_seed = (uint64_t)parse_num("--schedule-seed", optarg, 0, 4294967295.0); break;
		case O_ROUND: c->round = (int)parse_uint("--round", optarg, 100000); break;
		case O_GONE: c->gone_after = parse_uint("--gone-after", optarg, 64); break;
		case O_PERVP: c->per_vp = 1; break;
		case O_NKINDS: c->p.noise_kinds = parse_kinds(optarg); break;
		case O_BY:
			if (strcmp(optarg, "prefix") && strcmp(optarg, "as"))
				die("--by: '%s' is not prefix or as", optarg);
			c->by_as = optarg[0] == 'a';
			break;
		case O_DPORT: c->dport = (uint16_t)parse_uint("--dport", optarg, 65535); break;
		case O_TARGETS: c->targets = optarg; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (optind < argc)
		die("unexpected argument '%s'", argv[optind]);
	if (src6 && c->family == 4)
		die("--src is an IPv6 address but --family is 4%s", "");
	if (src6)
		c->family = 6;
	if (c->gone_after < 1)
		die("--gone-after: '%s' must be at least 1", "0");
}

static char *fmt_addr(uint32_t a, char *buf)
{
	snprintf(buf, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
	return buf;
}

#define ADDR_BUF INET6_ADDRSTRLEN

char *bt_sim_fmt(uint32_t a, int family, char *buf)
{
	if (family != 6)
		return fmt_addr(a, buf);
	uint8_t v6[16];
	bt_sim_addr6(a, v6);
	return (char *)inet_ntop(AF_INET6, v6, buf, ADDR_BUF);
}

/* ---- truth ---- */

/* One (target, flow): an IPv6 probe's key is its IPv4 twin's (sim_model.h)
 * plus the flow label, so only the spelling and the label differ; with the
 * prober's labels (non-zero) its IPv6 flows take other branches than its
 * IPv4 ones, with label 0 (scamper's) the same. */
unsigned bt_sim_cli_path(const bt_sim_model *m, const cli *c, uint32_t dst, int family, unsigned flow,
			 uint32_t path[BT_SIM_MAX_HOPS])
{
	bt_sim_flowkey k;
	bt_sim_flowkey_prober(&k, c->method, c->src, dst, flow, c->dport);
	if (family == 6)
		k.label = c->label < 0 ? BT_SIM_PROBER_LABEL_BASE + flow : (uint32_t)c->label;
	return bt_sim_path(m, &k, c->phase, path);
}

static void truth_line(const bt_sim_model *m, const cli *c, uint32_t dst, int family, unsigned flow, void *arg)
{
	FILE *f = arg;
	uint32_t path[BT_SIM_MAX_HOPS];
	char a[ADDR_BUF];
	unsigned n = bt_sim_cli_path(m, c, dst, family, flow, path);
	fprintf(f, "%s\t%u\t", bt_sim_fmt(dst, family, a), flow);
	for (unsigned i = 0; i < n; i++) {
		const bt_sim_iface *x = &m->ifaces[path[i]];
		fputs(i ? " " : "", f);
		fputs(m->routers[x->router].flags & BT_SIM_SILENT ? "*" : bt_sim_fmt(x->addr, family, a), f);
	}
	if (n && bt_sim_target_answers(m, dst))
		fprintf(f, " %s", bt_sim_fmt(dst, family, a));
	fputc('\n', f);
}

static void each_flow(const bt_sim_model *m, const cli *c, uint32_t dst, int family, bt_sim_target_fn fn,
		      void *arg)
{
	for (unsigned fl = 0; fl < 4096; fl++)
		if (c->flows[fl / 8] & (1u << (fl % 8)))
			fn(m, c, dst, family, fl, arg);
}

int bt_sim_each_target(const bt_sim_model *m, const cli *c, bt_sim_target_fn fn, void *arg)
{
	if (!c->targets) {
		for (uint32_t j = 0; j < m->p.prefixes * 256; j++)
			each_flow(m, c, BT_SIM_TARGET_NET + j, c->family, fn, arg);
		return 0;
	}
	FILE *f = fopen(c->targets, "r");
	if (!f) {
		fprintf(stderr, PROG ": %s: %s\n", c->targets, strerror(errno));
		return 1;
	}
	char line[256];
	unsigned lineno = 0;
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		char *s = line + strspn(line, " \t");
		s[strcspn(s, " \t\r\n#")] = '\0';
		if (!*s)
			continue;
		struct in_addr ia;
		struct in6_addr ia6;
		uint32_t dst = 0;
		int family = c->family;
		if (inet_pton(AF_INET, s, &ia) == 1) {
			dst = ntohl(ia.s_addr);
			family = family ? family : 4;
		} else if (inet_pton(AF_INET6, s, &ia6) == 1) {
			family = family ? family : 6;
			if (!bt_sim_addr4(ia6.s6_addr, &dst))
				dst = 0; /* no twin: not a target */
		} else {
			fprintf(stderr, PROG ": %s:%u: '%s' is not an IP address\n", c->targets, lineno, s);
			fclose(f);
			return 2;
		}
		if (!bt_sim_is_target(m, dst)) {
			fprintf(stderr, PROG ": %s:%u: %s is not a target of this model\n", c->targets, lineno, s);
			fclose(f);
			return 2;
		}
		each_flow(m, c, dst, family, fn, arg);
	}
	fclose(f);
	return 0;
}

static int cmd_truth(bt_sim_model *m, const cli *c)
{
	return bt_sim_each_target(m, c, truth_line, stdout);
}

/* ---- plan, interfaces, info ---- */

static void plan_line(const bt_sim_as *a, const char *prefix)
{
	printf("%s\t%u\t%s\t%s\n", prefix, a->asn, a->org, a->cc);
}

/* A /24 of the plan, or over IPv6 the /64 its twins share (2001:db8:S:X::/64). */
static void plan_prefix(const bt_sim_as *a, uint32_t net, int family)
{
	char pfx[ADDR_BUF + 4], s[ADDR_BUF];
	snprintf(pfx, sizeof(pfx), "%s/%d", bt_sim_fmt(net, family, s), family == 6 ? 64 : 24);
	plan_line(a, pfx);
}

static int cmd_plan(bt_sim_model *m, const cli *c)
{
	for (unsigned j = 0; j < m->p.prefixes; j++)
		plan_prefix(&m->ases[m->pfx_as[j]], BT_SIM_TARGET_NET | j << 8, c->family);
	for (unsigned i = 0; i < m->nas; i++)
		plan_prefix(&m->ases[i], BT_SIM_ROUTER_NET | i << 8, c->family);
	plan_prefix(&m->ases[0], BT_SIM_VP_NET, c->family);
	return 0;
}

static int cmd_interfaces(bt_sim_model *m, const cli *c)
{
	char a[ADDR_BUF];
	for (unsigned i = 0; i < m->niface; i++) {
		const bt_sim_iface *f = &m->ifaces[i];
		const bt_sim_router *r = &m->routers[f->router];
		unsigned kind = m->if_kind ? m->if_kind[i] : 0;
		char flags[128] = "";
		if (r->flags & BT_SIM_SILENT)
			strcat(flags, ",silent");
		if (r->flags & BT_SIM_RATELIMITED)
			strcat(flags, ",ratelimited");
		if (f->space_as != r->as && f->space_as != BT_SIM_NO_AS && !(kind & BT_SIM_IF_THIRDPARTY))
			strcat(flags, ",nbr-numbered");
		if (kind & BT_SIM_IF_RENUMBERED)
			strcat(flags, ",renumbered");
		if (kind & BT_SIM_IF_THIRDPARTY)
			strcat(flags, ",third-party");
		if (kind & BT_SIM_IF_IXP)
			strcat(flags, ",ixp");
		if (kind & BT_SIM_IF_UNANNOUNCED)
			strcat(flags, ",unannounced");
		printf("%s\t%u\t%u\t%u\t%s\t%s\n", bt_sim_fmt(f->addr, c->family, a), m->ases[r->as].asn,
		       f->space_as == BT_SIM_NO_AS ? 0 : m->ases[f->space_as].asn, f->router,
		       bt_sim_role_name(r->role), flags[0] ? flags + 1 : "-");
	}
	return 0;
}

static int cmd_info(bt_sim_model *m, const cli *c)
{
	unsigned silent = 0, rl = 0, nbr = 0, hist[BT_SIM_MAX_HOPS + 1] = { 0 }, dark = 0;
	for (unsigned i = 0; i < m->nrouters; i++) {
		silent += !!(m->routers[i].flags & BT_SIM_SILENT);
		rl += !!(m->routers[i].flags & BT_SIM_RATELIMITED);
	}
	for (unsigned i = 0; i < m->niface; i++)
		nbr += m->ifaces[i].space_as != m->routers[m->ifaces[i].router].as;
	uint32_t path[BT_SIM_MAX_HOPS];
	for (uint32_t j = 0; j < m->p.prefixes * 256; j++) {
		bt_sim_flowkey k;
		bt_sim_flowkey_prober(&k, 0, c->src, BT_SIM_TARGET_NET + j, 0, 0);
		hist[bt_sim_path(m, &k, 0, path)]++;
		dark += !bt_sim_target_answers(m, BT_SIM_TARGET_NET + j);
	}
	char a[16];
	const bt_sim_as *kp = &m->ases[m->kp_as];
	printf("targets\t%u (%u /24s), %u do not answer\n", m->p.prefixes * 256, m->p.prefixes, dark);
	printf("ases\t%u (%u transit, %u destination)\n", m->nas, m->p.transits, m->p.ases);
	printf("routers\t%u (%u silent, %u rate-limited at %.0f/s burst %u)\n", m->nrouters, silent, rl,
	       m->p.rl_rate, m->p.rl_burst);
	printf("interfaces\t%u (%u numbered from a neighbour's space)\n", m->niface, nbr);
	printf("model bytes\t%zu\n", m->bytes);
	printf("routers per path (icmp flow 0)");
	for (unsigned i = 1; i <= BT_SIM_MAX_HOPS; i++)
		if (hist[i])
			printf(" %u:%u", i, hist[i]);
	printf("\nmoved prefix\t%s/24 (AS%u: via AS%u in phase 0, AS%u in phase 1 for %u%% of flows)\n",
	       fmt_addr(BT_SIM_TARGET_NET | m->moved_pfx << 8, a), kp->asn,
	       m->ases[kp->route[0].transit[kp->route[0].ntransit - 1]].asn,
	       m->ases[kp->route[1].transit[kp->route[1].ntransit - 1]].asn, m->p.change_share);
	if (m->sched) {
		unsigned kinds[BT_SIM_CH_NKINDS] = { 0 };
		for (unsigned i = 0; i < m->sched->n; i++)
			kinds[m->sched->c[i].kind]++;
		printf("schedule\t%u rounds, %u VPs, %u border changes, %u other changes:", m->p.rounds, m->p.vps,
		       m->sched->nborder, m->sched->n - m->sched->nborder);
		for (unsigned k = 0; k < BT_SIM_CH_NKINDS; k++)
			if (kinds[k])
				printf(" %s %u", bt_sim_change_name(k), kinds[k]);
		putchar('\n');
	}
	return 0;
}

/* ---- serve ---- */

static int cmd_serve(bt_sim_model *m, const cli *c)
{
	if (!c->tun)
		die("serve needs --tun NAME%s", "");
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, PROG ": /dev/net/tun: %s\n", strerror(errno));
		return 1;
	}
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", c->tun);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		fprintf(stderr, PROG ": TUNSETIFF %s: %s\n", c->tun, strerror(errno));
		close(fd);
		return 1;
	}
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	int sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0) {
		fprintf(stderr, PROG ": signalfd: %s\n", strerror(errno));
		close(fd);
		return 1;
	}
	unsigned phase = c->phase;
	fprintf(stderr, PROG ": serving on %s, round %u, phase %u, %u targets, %u routers, %zu bytes of model\n",
		ifr.ifr_name, m->round, phase, m->p.prefixes * 256, m->nrouters, m->bytes);

	int rc = bt_sim_serve(m, phase, fd, sfd, ifr.ifr_name, c->io);
	close(sfd);
	close(fd);
	return rc;
}

static int cmd_branches(bt_sim_model *m, const cli *c)
{
	return bt_sim_cmd_branches(m, c->phase, c->family, c->targets);
}

/* The command table. Other files add their commands here (a row each). */
typedef struct command {
	const char *name;
	int (*fn)(bt_sim_model *m, const cli *c);
	bool per_round; /* takes --round */
} command;

static const command k_commands[] = {
	{ "serve", cmd_serve, true },
	{ "truth", cmd_truth, true },
	{ "plan", cmd_plan, false },
	{ "interfaces", cmd_interfaces, true },
	{ "info", cmd_info, false },
	{ "schedule", bt_sim_cmd_schedule, false },
	{ "routes", bt_sim_cmd_routes, false },
	{ "changes", bt_sim_cmd_changes, false },
	{ "crossings", bt_sim_cmd_crossings, true },
	{ "ixps", bt_sim_cmd_ixps, false },
	{ "asrel", bt_sim_cmd_asrel, false },
	{ "branches", cmd_branches, false },
};

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	const command *cmd = NULL;
	for (size_t i = 0; i < sizeof(k_commands) / sizeof(k_commands[0]); i++)
		if (!strcmp(argv[1], k_commands[i].name))
			cmd = &k_commands[i];
	if (!cmd) {
		fprintf(stderr, PROG ": unknown command '%s' (try '" PROG " --help')\n", argv[1]);
		return 2;
	}
	cli c;
	parse_cli(argc - 1, argv + 1, &c);
	if (c.round >= 0 && !cmd->per_round)
		die("--round: '%s' takes no round (it covers them all or none)", cmd->name);
	char err[256];
	bt_sim_model *m = bt_sim_model_new(&c.p, err, sizeof(err));
	if (!m) {
		fprintf(stderr, PROG ": %s\n", err);
		return 2;
	}
	if (c.round >= 0 && bt_sim_set_round(m, (unsigned)c.round) != 0) {
		fprintf(stderr, PROG ": --round %d: the schedule has rounds 0..%u (--rounds)\n", c.round,
			m->p.rounds - 1);
		bt_sim_model_free(m);
		return 2;
	}
	int rc = cmd->fn(m, &c);
	if (fflush(stdout) != 0 && rc == 0)
		rc = 1;
	bt_sim_model_free(m);
	return rc;
}
