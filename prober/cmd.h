/* bordertrace-probe — the subcommands main() dispatches to. */
#ifndef BORDERTRACE_PROBER_CMD_H
#define BORDERTRACE_PROBER_CMD_H

#define PROG "bordertrace-probe"

int cmd_run(int argc, char **argv);

#endif
