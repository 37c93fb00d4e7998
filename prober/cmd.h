/* bordertrace-probe — the subcommands main() dispatches to. */
#ifndef BORDERTRACE_PROBER_CMD_H
#define BORDERTRACE_PROBER_CMD_H

#define PROG "bordertrace-probe"

#include <stdio.h>

#include "bordertrace/trace.h"

int cmd_run(int argc, char **argv);

/* Writes t as one JSON line. buf/len/cap: a reusable buffer. 0 or -1 (errno). */
int bt_record_write(FILE *f, const bt_trace *t, char **buf, size_t *len, size_t *cap);

#endif
