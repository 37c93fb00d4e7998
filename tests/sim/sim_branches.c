/* bordertrace — Internet simulator: `bt-sim branches`, the multipath truth.
 *
 * A path is a sequence of stages (sim_model.c, bt_sim_path), each stage one
 * interface or an ECMP group whose member a per-flow hash picks,
 * independently of every other stage; in phase 1 the moved /24 has two
 * routes (the share of flows on each is --change-share). So over all flows
 * the interfaces at a TTL are the members of the stage at that position
 * (both routes' stages when both carry flows), and every member of one
 * stage links to every member of the next (a meshed diamond).
 *
 * Output, tab-separated, per target in order:
 *   I <dst> <ttl> <addr> <flags>   an interface: flags "-", or a comma list
 *                                   of silent, ratelimited, dest, dark
 *   L <dst> <ttl> <from> <to>      a link from TTL ttl to ttl + 1
 * The enumeration is checked against bt_sim_path for 256 flows of every
 * target printed: a hop it did not list is an error (exit 1). */
#include "sim_branches.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define HOPS_MAX (BT_SIM_MAX_HOPS + 1) /* the target at the end */
#define CHECK_FLOWS 256

/* One TTL of a route: its interfaces (ECMP members), or the target. */
typedef struct pos {
	uint32_t first;        /* iface index; UINT32_MAX: the target itself */
	uint8_t count;
} pos;

typedef struct route {
	pos p[HOPS_MAX];
	unsigned n;
} route;

static void add_stage(route *r, const bt_sim_model *m, uint32_t s)
{
	if (r->n < BT_SIM_MAX_HOPS)
		r->p[r->n++] = (pos){ m->stages[s].first, m->stages[s].count };
}

static void add_iface(route *r, uint32_t i)
{
	if (r->n < BT_SIM_MAX_HOPS)
		r->p[r->n++] = (pos){ i, 1 };
}

/* The positions of route rt of target /24 pfx, as bt_sim_path walks them. */
static void build_route(const bt_sim_model *m, unsigned pfx, const bt_sim_route *rt, route *r)
{
	const bt_sim_as *a = &m->ases[m->pfx_as[pfx]];
	r->n = 0;
	for (unsigned s = 0; s < 3; s++)
		add_stage(r, m, m->vp_stage + s);
	for (unsigned t = 0; t < rt->ntransit; t++) {
		const bt_sim_as *ta = &m->ases[rt->transit[t]];
		for (unsigned s = 0; s < ta->nstages; s++)
			add_stage(r, m, ta->stage_first + s);
	}
	add_iface(r, rt->border);
	for (unsigned s = 0; s < a->nstages; s++)
		add_stage(r, m, a->stage_first + s);
	add_iface(r, m->pfx_gw[pfx]);
	r->p[r->n++] = (pos){ UINT32_MAX, 1 };
}

/* The routes flows of this target take in this phase: 1 or 2. */
static unsigned target_routes(const bt_sim_model *m, uint32_t dst, unsigned phase, route r[2])
{
	unsigned pfx = (dst >> 8) & 0xff, n = 0;
	const bt_sim_as *a = &m->ases[m->pfx_as[pfx]];
	bool moved = phase == 1 && pfx == m->moved_pfx && a->nroutes > 1;
	if (!moved || m->p.change_share < 100)
		build_route(m, pfx, &a->route[0], &r[n++]);
	if (moved && m->p.change_share > 0)
		build_route(m, pfx, &a->route[1], &r[n++]);
	return n;
}

static const char *fmt(uint32_t a, int family, char *buf)
{
	uint8_t v6[16];
	uint32_t be = htonl(a);
	if (family != 6)
		return inet_ntop(AF_INET, &be, buf, INET6_ADDRSTRLEN);
	bt_sim_addr6(a, v6);
	return inet_ntop(AF_INET6, v6, buf, INET6_ADDRSTRLEN);
}

static uint32_t pos_addr(const bt_sim_model *m, const pos *p, unsigned k, uint32_t dst)
{
	return p->first == UINT32_MAX ? dst : m->ifaces[p->first + k].addr;
}

static void iface_flags(const bt_sim_model *m, const pos *p, unsigned k, uint32_t dst, char *out, size_t len)
{
	out[0] = '\0';
	if (p->first == UINT32_MAX) {
		snprintf(out, len, "%s", bt_sim_target_answers(m, dst) ? "dest" : "dest,dark");
		return;
	}
	uint8_t fl = m->routers[m->ifaces[p->first + k].router].flags;
	snprintf(out, len, "%s%s%s", fl & BT_SIM_SILENT ? "silent" : "",
		 (fl & BT_SIM_SILENT) && (fl & BT_SIM_RATELIMITED) ? "," : "",
		 fl & BT_SIM_RATELIMITED ? "ratelimited" : "");
	if (out[0] == '\0')
		snprintf(out, len, "-");
}

/* Whether (ttl index h, addr) is listed already by route r[0..i) at h. */
static bool seen_before(const bt_sim_model *m, const route *r, unsigned i, unsigned h, uint32_t a, uint32_t dst)
{
	for (unsigned j = 0; j < i; j++)
		if (h < r[j].n)
			for (unsigned k = 0; k < r[j].p[h].count; k++)
				if (pos_addr(m, &r[j].p[h], k, dst) == a)
					return true;
	return false;
}

static void print_target(const bt_sim_model *m, const route *r, unsigned nr, uint32_t dst, int family)
{
	char d[INET6_ADDRSTRLEN], a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN], fl[32];
	fmt(dst, family, d);
	for (unsigned i = 0; i < nr; i++)
		for (unsigned h = 0; h < r[i].n; h++)
			for (unsigned k = 0; k < r[i].p[h].count; k++) {
				uint32_t x = pos_addr(m, &r[i].p[h], k, dst);
				if (seen_before(m, r, i, h, x, dst))
					continue;
				iface_flags(m, &r[i].p[h], k, dst, fl, sizeof(fl));
				printf("I\t%s\t%u\t%s\t%s\n", d, h + 1, fmt(x, family, a), fl);
			}
	/* links: two routes share only their first stages, whose links the
	 * first route lists */
	for (unsigned i = 0; i < nr; i++)
		for (unsigned h = 0; h + 1 < r[i].n; h++) {
			if (i > 0 && h + 1 < r[0].n && r[0].p[h + 1].first == r[i].p[h + 1].first &&
			    r[0].p[h].first == r[i].p[h].first)
				continue;
			for (unsigned k = 0; k < r[i].p[h].count; k++)
				for (unsigned l = 0; l < r[i].p[h + 1].count; l++)
					printf("L\t%s\t%u\t%s\t%s\n", d, h + 1,
					       fmt(pos_addr(m, &r[i].p[h], k, dst), family, a),
					       fmt(pos_addr(m, &r[i].p[h + 1], l, dst), family, b));
		}
}

/* bt_sim_path's hops for CHECK_FLOWS prober flows all lie in the routes. */
static bool check_target(const bt_sim_model *m, const route *r, unsigned nr, uint32_t dst, unsigned phase)
{
	uint32_t path[BT_SIM_MAX_HOPS];
	for (unsigned f = 0; f < CHECK_FLOWS; f++) {
		bt_sim_flowkey key;
		bt_sim_flowkey_prober(&key, (int)(f % 3), BT_SIM_VP_ADDR, dst, f, 0);
		unsigned n = bt_sim_path(m, &key, phase, path);
		bool ok = false;
		for (unsigned i = 0; i < nr && !ok; i++) {
			ok = n + 1 == r[i].n;
			for (unsigned h = 0; ok && h < n; h++)
				ok = path[h] >= r[i].p[h].first && path[h] < r[i].p[h].first + r[i].p[h].count;
		}
		if (!ok)
			return false;
	}
	return true;
}

static int one_target(const bt_sim_model *m, uint32_t dst, unsigned phase, int family)
{
	route r[2];
	unsigned nr = target_routes(m, dst, phase, r);
	if (!check_target(m, r, nr, dst, phase)) {
		char d[INET6_ADDRSTRLEN];
		fprintf(stderr, "bt-sim: branches: %s: the model's paths disagree with the enumeration\n",
			fmt(dst, 4, d));
		return 1;
	}
	print_target(m, r, nr, dst, family);
	return 0;
}

/* A line of the targets file: 0 with *dst and *family, 1 blank, 2 bad. */
static int parse_target(const bt_sim_model *m, char *line, uint32_t *dst, int *family)
{
	char *s = line + strspn(line, " \t");
	s[strcspn(s, " \t\r\n#")] = '\0';
	if (!*s)
		return 1;
	struct in_addr ia;
	struct in6_addr ia6;
	if (inet_pton(AF_INET, s, &ia) == 1) {
		*dst = ntohl(ia.s_addr);
		*family = 4;
	} else if (inet_pton(AF_INET6, s, &ia6) == 1 && bt_sim_addr4(ia6.s6_addr, dst)) {
		*family = 6;
	} else {
		return 2;
	}
	return bt_sim_is_target(m, *dst) ? 0 : 2;
}

int bt_sim_cmd_branches(const bt_sim_model *m, unsigned phase, int family, const char *targets)
{
	if (targets == NULL) {
		for (uint32_t j = 0; j < m->p.prefixes * 256; j++)
			if (one_target(m, BT_SIM_TARGET_NET + j, phase, family ? family : 4) != 0)
				return 1;
		return 0;
	}
	FILE *f = fopen(targets, "r");
	if (f == NULL) {
		fprintf(stderr, "bt-sim: %s: %s\n", targets, strerror(errno));
		return 1;
	}
	char line[256];
	unsigned lineno = 0;
	int rc = 0;
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		uint32_t dst;
		int fam;
		lineno++;
		int p = parse_target(m, line, &dst, &fam);
		if (p == 2) {
			fprintf(stderr, "bt-sim: %s:%u: not a target of this model\n", targets, lineno);
			rc = 2;
		} else if (p == 0) {
			rc = one_target(m, dst, phase, family ? family : fam);
		}
	}
	fclose(f);
	return rc;
}
