/* bordertrace-probe — the commands main() dispatches to. Each takes its own
 * argv (argv[0] is the command's name) and returns the exit status
 * (prober/cli.h). */
#ifndef BORDERTRACE_PROBER_CMD_H
#define BORDERTRACE_PROBER_CMD_H

int cmd_trace(int argc, char **argv);
int cmd_run(int argc, char **argv);

#endif
