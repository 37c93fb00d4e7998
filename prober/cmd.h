/* bordertrace-probe — the subcommands main() dispatches to. */
#ifndef BORDERTRACE_PROBER_CMD_H
#define BORDERTRACE_PROBER_CMD_H

#define PROG "bordertrace-probe"

#include <stdio.h>

#include "bordertrace/engine.h"
#include "bordertrace/trace.h"

int cmd_run(int argc, char **argv);

/* In a trace callback: sets t->filled_below_ttl from the engine
 * (bt_engine_trace_filled_below: split TTL), kept within t's hops. */
void bt_record_mark_filled(bt_trace *t, const bt_engine *e);

/* Writes t as one JSON line. buf/len/cap: a reusable buffer. 0 or -1 (errno). */
int bt_record_write(FILE *f, const bt_trace *t, char **buf, size_t *len, size_t *cap);

#endif
