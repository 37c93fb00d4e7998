/* bordertrace — Internet simulator, the model: a synthetic Internet generated
 * deterministically from a seed and a few parameters, and the path one probe
 * takes through it, computed on the fly.
 *
 * Only routers are stored (a few hundred to a few thousand); the path of a
 * (target, flow) is rebuilt from the tree in O(path length) per packet, so
 * 65,536 targets times any number of flows cost no memory. The serving loop
 * (sim_main.c), the reply builder (sim_packet.c) and the truth/plan writers
 * all call the same bt_sim_path(), which is what makes the ground truth true.
 * See doc/sim.md for the model and its parameters. */
#ifndef BT_SIM_MODEL_H
#define BT_SIM_MODEL_H

#include "bordertrace/probe6.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Limits that keep every address in its planned /24 (doc/sim.md). */
#define BT_SIM_MAX_PREFIXES 256  /* target /24s: 198.18.0.0/16 */
#define BT_SIM_MAX_ASES 200      /* destination ASes */
#define BT_SIM_MAX_TRANSITS 32
#define BT_SIM_MAX_ECMP 8
#define BT_SIM_MAX_HOPS 16       /* routers on one path, at most */
#define BT_SIM_MAX_VPS 8         /* VP k is 198.51.100.k, k = 1..8 */
#define BT_SIM_MAX_ROUTES 4      /* border routes a destination AS can be reached by */
#define BT_SIM_MAX_ROUNDS 64     /* rounds of a change schedule (sim_sched.c) */
#define BT_SIM_QUOTE_MAX 548     /* 576 - IP - ICMP header, as Linux quotes */
#define BT_SIM_QUOTE6_MAX 1232   /* 1280 - IPv6 - ICMPv6 header (RFC 4443 2.4(c)) */

/* Addresses in host order. */
#define BT_SIM_TARGET_NET 0xC6120000u /* 198.18.0.0/16 */
#define BT_SIM_ROUTER_NET 0xC6130000u /* 198.19.0.0/16, one /24 per AS */
#define BT_SIM_VP_NET 0xC6336400u     /* 198.51.100.0/24, the VP's side */
#define BT_SIM_VP_ADDR 0xC6336401u    /* 198.51.100.1 */

/* IPv6: every address of the model has a twin in 2001:db8::/32 (RFC 3849),
 * one-to-one over 198.0.0.0/8: 198.S.X.Y <-> 2001:db8:S:X::Y, each octet
 * written in decimal digits as one hex group, so that 198.18.178.5 is
 * 2001:db8:18:178::5 and a hop reads the same in both families. Targets are
 * 2001:db8:18:X::Y (one /64 per target /24), routers 2001:db8:19:K::H, the
 * VP 2001:db8:51:100::1. doc/sim.md, "IPv6". */
#define BT_SIM_VP_ADDR6 "2001:db8:51:100::1"
/* The prober's IPv6 flow label is this + flow (doc/probing.md "IPv6"): the
 * prober's own constant, so that the truth cannot drift from it. */
#define BT_SIM_PROBER_LABEL_BASE ((uint32_t)BT_PROBE6_FLOWLABEL_BASE)

/* The IPv6 twin of a 198.0.0.0/8 address (host order). */
void bt_sim_addr6(uint32_t v4, uint8_t out[16]);
/* The inverse: true and *v4 set when a is the twin of a 198.0.0.0/8 address. */
bool bt_sim_addr4(const uint8_t a[16], uint32_t *v4);
/* The 32 bits an IPv6 source address puts into the flow key: its IPv4 twin
 * when it has one (a VP's flow then takes the same branches over both
 * families), else a hash of its 128 bits. */
uint32_t bt_sim_key_src6(const uint8_t a[16]);

typedef struct bt_sim_params {
	uint64_t seed;
	unsigned prefixes;    /* target /24s */
	unsigned ases;        /* destination ASes, AS131279 included */
	unsigned transits;    /* transit ASes, AS4837 and AS20485 included */
	unsigned countries;   /* countries the synthetic ASes are spread over */
	unsigned ecmp;        /* fan-out at ECMP stages; 1 = no ECMP */
	double silent;        /* fraction of routers that never send time exceeded */
	double ratelimited;   /* fraction of routers with an ICMP token bucket */
	double rl_rate;       /* bucket refill, replies per second */
	unsigned rl_burst;    /* bucket depth */
	double dark;          /* fraction of targets that never answer */
	double nbr_numbered;  /* fraction of border ingress interfaces numbered
				 from the upstream neighbour's space */
	unsigned change_share; /* phase 1: percent of the moved prefix's flows
				  that take the new border route */
	/* The changing Internet (doc/sim.md, "Rounds"): with the defaults (1 VP,
	 * 1 round, no changes, no noise) the Internet is bit for bit the one
	 * generated before these existed. */
	unsigned vps;         /* VPs, each in its own VP network and upstream AS */
	unsigned rounds;      /* rounds of the change schedule */
	unsigned changes;     /* border changes to draw into the schedule */
	unsigned noise;       /* changes that are not border changes */
	uint64_t sched_seed;  /* the schedule's seed (default: --seed) */
	uint32_t noise_kinds; /* bit k: noise of change kind k may be drawn; 0 = all */
} bt_sim_params;

void bt_sim_params_default(bt_sim_params *p);
/* 0, or -1 with a message when the parameters cannot make a plan. */
int bt_sim_params_check(const bt_sim_params *p, char *err, size_t errlen);

/* Router flags (per router, shared by its interfaces). */
#define BT_SIM_SILENT 0x01
#define BT_SIM_RATELIMITED 0x02

typedef enum bt_sim_role {
	BT_SIM_ROLE_VPGW = 0,   /* the VP's first hop */
	BT_SIM_ROLE_ACCESS,     /* the upstream's ECMP access routers */
	BT_SIM_ROLE_CORE,       /* the upstream's core: chooses the transit */
	BT_SIM_ROLE_TINGRESS,   /* a transit AS's ingress */
	BT_SIM_ROLE_TRANSIT,    /* a transit AS's internal router */
	BT_SIM_ROLE_BORDER,     /* a destination AS's border router */
	BT_SIM_ROLE_INTERNAL,   /* a destination AS's internal router */
	BT_SIM_ROLE_GATEWAY,    /* the router in front of one target /24 */
} bt_sim_role;

typedef struct bt_sim_router {
	uint16_t as;       /* index into ases[]: who operates it */
	uint8_t flags;     /* BT_SIM_SILENT, BT_SIM_RATELIMITED */
	uint8_t role;      /* bt_sim_role */
	double tokens;     /* token bucket (serve only) */
	uint64_t last_ns;  /* last refill, CLOCK_MONOTONIC */
} bt_sim_router;

/* One interface: what a traceroute hop shows. */
typedef struct bt_sim_iface {
	uint32_t addr;     /* host order */
	uint16_t router;
	uint16_t space_as; /* whose /24 the address comes from */
} bt_sim_iface;

/* A stage is a set of alternative interfaces at one hop: one, or an ECMP
 * group from which a per-flow hash picks. */
typedef struct bt_sim_stage {
	uint32_t first;    /* index into ifaces[] */
	uint8_t count;
	uint8_t epoch;     /* ECMP re-hashes so far (0: the base hash) */
} bt_sim_stage;

typedef enum bt_sim_as_kind {
	BT_SIM_AS_VP = 0, BT_SIM_AS_UPSTREAM, BT_SIM_AS_TIER1, BT_SIM_AS_REGIONAL, BT_SIM_AS_DEST,
} bt_sim_as_kind;

/* The transits a destination AS is reached through, and its border
 * interface on that link. */
typedef struct bt_sim_route {
	uint16_t transit[2]; /* as indexes, first is entered first */
	uint8_t ntransit;
	uint32_t border;     /* iface index of the destination's border */
} bt_sim_route;

typedef struct bt_sim_as {
	uint32_t asn;
	char org[48];
	char cc[3];
	uint8_t kind;          /* bt_sim_as_kind */
	uint16_t parent;       /* regional transits: the tier-1 they hang off */
	uint32_t stage_first;  /* transits: their stages; dest: internal stages */
	uint8_t nstages;
	uint8_t nroutes;       /* dest: 1 (AS131279 2), then the schedule's
				  alternates (at most BT_SIM_MAX_ROUTES) */
	bt_sim_route route[BT_SIM_MAX_ROUTES];
	uint16_t next_host;    /* address allocation in 198.19.<index>.0/24 */
	uint32_t alt_first;    /* transits: an alternative internal path (the
				  same number of stages), used from a schedule's
				  'intra' change on; 0 = none */
	uint32_t base_first;   /* transits: the base internal path */
} bt_sim_as;

/* Where a prefix's flows go, per VP, in the current round: route a, or a
 * per-flow split with share percent on route b (BGP multipath). */
typedef struct bt_sim_pfxroute {
	uint8_t a, b, share;
} bt_sim_pfxroute;

/* Interface kinds beyond the base plan (flags of `bt-sim interfaces`). */
#define BT_SIM_IF_RENUMBERED 0x01
#define BT_SIM_IF_THIRDPARTY 0x02
#define BT_SIM_IF_IXP 0x04
#define BT_SIM_IF_UNANNOUNCED 0x08
/* space_as of an address in no AS's space (IXP LANs, unannounced space) */
#define BT_SIM_NO_AS 0xffff
/* /24s of 198.19.0.0/16 above the ASes' router space: IXP peering LANs
 * (in no plan, listed by `bt-sim ixps`) and unannounced router space. */
#define BT_SIM_IXP_FIRST 254u      /* 198.19.254.0/24, 198.19.255.0/24 */
#define BT_SIM_UNANN_FIRST 250u    /* 198.19.250.0/24 .. 198.19.253.0/24 */

struct bt_sim_sched;

typedef struct bt_sim_model {
	bt_sim_params p;
	unsigned nas;
	bt_sim_as *ases;
	unsigned nrouters, niface, nstage;
	bt_sim_router *routers;
	bt_sim_iface *ifaces;
	bt_sim_stage *stages;
	uint16_t pfx_as[BT_SIM_MAX_PREFIXES];      /* target /24 -> dest AS index */
	uint32_t pfx_gw[BT_SIM_MAX_PREFIXES];      /* target /24 -> gateway iface */
	uint32_t vp_stage;     /* the three VP-side stages of VP 1, in order */
	uint32_t vp_stages[BT_SIM_MAX_VPS]; /* VP k+1's three stages */
	uint16_t vp_as[BT_SIM_MAX_VPS];     /* VP k+1's network (its upstream is +1) */
	/* The current round (bt_sim_set_round): per VP and prefix where its
	 * flows go, which /24s went dark, and the base values the schedule's
	 * changes are applied over. */
	unsigned round;
	bt_sim_pfxroute (*pfxr)[BT_SIM_MAX_PREFIXES]; /* [vps][prefixes] */
	uint8_t pfx_dark[BT_SIM_MAX_PREFIXES];
	uint32_t *base_addr;   /* [niface] */
	uint16_t *base_space;  /* [niface] */
	uint8_t *base_flags;   /* [nrouters] */
	uint8_t *if_kind;      /* [niface] BT_SIM_IF_* */
	uint16_t ixp_next, unann_next; /* host allocation in those /24s */
	struct bt_sim_sched *sched;
	unsigned kp_as;        /* index of AS131279 */
	unsigned moved_pfx;    /* the /24 whose route changes in phase 1 */
	size_t bytes;          /* memory the model holds */
} bt_sim_model;

/* Builds the model; NULL with a message on error. Deterministic: the same
 * parameters give the same Internet, bit for bit. */
bt_sim_model *bt_sim_model_new(const bt_sim_params *p, char *err, size_t errlen);
void bt_sim_model_free(bt_sim_model *m);

/* The fields a per-flow load balancer hashes (Paris traceroute): addresses,
 * protocol and, for ICMP, type/code + checksum, for UDP/TCP the ports; for
 * IPv6 also the flow label. An IPv6 probe's key is written in IPv4 terms
 * (sim_packet.c): addresses by bt_sim_addr4/bt_sim_key_src6, ICMPv6 (58) as
 * ICMP (1), echo request 128/0 as 8/0; a label of 0 then hashes exactly as
 * the IPv4 flow with the same fields. */
typedef struct bt_sim_flowkey {
	uint32_t src, dst; /* host order */
	uint8_t proto;
	uint16_t a, b;     /* icmp: type<<8|code, checksum; udp/tcp: sport, dport */
	uint32_t label;    /* IPv6 flow label (20 bits); 0 for IPv4 */
} bt_sim_flowkey;

/* The key of one prober flow (doc/probing.md): method 0 icmp-paris,
 * 1 udp-paris, 2 tcp-syn; dport 0 = the prober's default; label 0. */
void bt_sim_flowkey_prober(bt_sim_flowkey *k, int method, uint32_t src, uint32_t dst,
			   unsigned flow, uint16_t dport);

/* The path of one packet: the interfaces of the routers it crosses, in
 * order (hop 1 first). Returns how many (0 = no route: the destination is
 * not a target). The target itself is at hop n + 1. */
unsigned bt_sim_path(const bt_sim_model *m, const bt_sim_flowkey *k, unsigned phase,
		     uint32_t out[BT_SIM_MAX_HOPS]);

/* Whether the target answers (echo reply, port unreachable, RST). */
bool bt_sim_target_answers(const bt_sim_model *m, uint32_t dst);

/* Whether dst is one of the model's targets. */
bool bt_sim_is_target(const bt_sim_model *m, uint32_t dst);

/* Takes one token from router r's bucket at time now_ns; false = over the
 * limit (the reply is dropped). Routers without a bucket always pass. */
bool bt_sim_ratelimit_pass(bt_sim_model *m, unsigned r, uint64_t now_ns);

const char *bt_sim_role_name(unsigned role);

/* The VP (0-based) a probe's source belongs to: 198.51.100.k is VP k - 1;
 * any other source is VP 0, as with one VP. */
unsigned bt_sim_vp_of(const bt_sim_model *m, uint32_t src);

/* A new address in AS index space_as's router /24 (or, with BT_SIM_NO_AS and
 * ixp true/false, an IXP LAN's or unannounced space); 0 when it is full. */
uint32_t bt_sim_alloc_addr(bt_sim_model *m, unsigned space_as, bool ixp);

/* The last transit (AS index) of a destination's route. */
unsigned bt_sim_route_upstream(const bt_sim_model *m, const bt_sim_route *rt);

#endif
