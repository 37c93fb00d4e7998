/* bordertrace — Internet simulator, the command line shared by sim_main.c
 * (option parsing, the command table, serve/truth/plan/interfaces/info) and
 * the files holding other commands (sim_rounds.c: the changing Internet's
 * ground truth). */
#ifndef BT_SIM_CLI_H
#define BT_SIM_CLI_H

#include <stdint.h>

#include "sim_model.h"

#define BT_SIM_FLOW_BYTES 512 /* 4096 prober flows, one bit each */
#define BT_SIM_ADDR_BUF 46    /* INET6_ADDRSTRLEN */

/* Everything the command line can say. */
typedef struct bt_sim_cli {
	bt_sim_params p;
	const char *tun, *targets;
	unsigned phase;
	int round;        /* --round R, -1 = not given (round 0) */
	int method;
	uint16_t dport;
	uint32_t src;     /* the key's source: IPv4, or an IPv6 source's key */
	int family;       /* 0 = not given, 4, 6 */
	int64_t label;    /* IPv6 flow label; -1 = the prober's (base + flow) */
	int io;          /* serve --io: BT_SIM_IO_URING (0, the default) or _PLAIN */
	int by_as;        /* changes/routes: target networks are ASes, not /24s */
	int per_vp;       /* changes: per VP */
	unsigned gone_after;
	uint8_t flows[BT_SIM_FLOW_BYTES];
} bt_sim_cli;

/* An address of the model in family 4, or its IPv6 twin (RFC 5952). */
char *bt_sim_fmt(uint32_t a, int family, char *buf);

/* The path of one prober flow as truth computes it (method, --src, --dport,
 * the flow label over IPv6, --phase); returns the routers' count. */
unsigned bt_sim_cli_path(const bt_sim_model *m, const bt_sim_cli *c, uint32_t dst, int family, unsigned flow,
			 uint32_t path[BT_SIM_MAX_HOPS]);

/* Calls fn for every (target, flow) truth asks for: all targets, or those of
 * --targets (each line in its own family); 0, or the exit status. */
typedef void (*bt_sim_target_fn)(const bt_sim_model *m, const bt_sim_cli *c, uint32_t dst, int family,
				 unsigned flow, void *arg);
int bt_sim_each_target(const bt_sim_model *m, const bt_sim_cli *c, bt_sim_target_fn fn, void *arg);

/* Commands of sim_rounds.c: 0 ok, else the exit status. */
int bt_sim_cmd_schedule(bt_sim_model *m, const bt_sim_cli *c);
int bt_sim_cmd_routes(bt_sim_model *m, const bt_sim_cli *c);
int bt_sim_cmd_changes(bt_sim_model *m, const bt_sim_cli *c);
int bt_sim_cmd_crossings(bt_sim_model *m, const bt_sim_cli *c);
int bt_sim_cmd_ixps(bt_sim_model *m, const bt_sim_cli *c);
int bt_sim_cmd_asrel(bt_sim_model *m, const bt_sim_cli *c);

#endif
