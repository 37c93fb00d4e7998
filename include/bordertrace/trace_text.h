/* bordertrace — the trace record as a traceroute-style text table.
 *
 * The human-readable form beside the JSON Lines writer (trace_json.c): one
 * header line, one line per TTL (address, RTT, an unreachable marker in
 * traceroute's notation, TCP flags, MPLS labels), the stop reason. The
 * markers are listed in doc/cli.md. */
#ifndef BORDERTRACE_TRACE_TEXT_H
#define BORDERTRACE_TRACE_TEXT_H

#include <stddef.h>
#include <stdio.h>

#include "bordertrace/trace.h"

#define BT_MARKER_LEN 8 /* "!<255>" and its NUL */

/* The marker traceroute prints after a reply of this hop: "!N", "!H", ...,
 * "!<code>" for an unreachable code it has no letter for, "" for none (a
 * time exceeded, an echo reply, a TCP reply, a port unreachable from the
 * destination). buf (BT_MARKER_LEN bytes) holds the "!<code>" form; the
 * result is buf or a string constant. */
const char *bt_hop_marker(const bt_trace *t, const bt_hop *h, char *buf, size_t buflen);

/* Prints t as a table followed by a blank line. */
void bt_trace_print_text(FILE *f, const bt_trace *t);

#endif
