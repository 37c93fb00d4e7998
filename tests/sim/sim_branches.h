/* bordertrace — Internet simulator: `bt-sim branches`, every interface and
 * link of every target over all its ECMP branches (sim_branches.c). */
#ifndef BT_SIM_BRANCHES_H
#define BT_SIM_BRANCHES_H

#include "sim_model.h"

/* Prints the branches of every target (targets NULL) or of the IPv4 or
 * IPv6 targets listed in the file, in phase, addresses in family 4 or 6
 * (0: each target's own). Returns the exit status (0, 1 the model's
 * paths disagree with the enumeration, 2 a bad targets file). */
int bt_sim_cmd_branches(const bt_sim_model *m, unsigned phase, int family, const char *targets);

#endif
