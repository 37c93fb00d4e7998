/* bordertrace — Internet simulator, the serving loop: probes read from the
 * TUN device, bt_sim_answer() on each, replies written back; signals
 * (phase change, counters, exit) through a signalfd. Two ways of doing the
 * I/O, with the same answers and counters (doc/sim.md, "Serving"):
 *   uring  a batch of reads and the previous batch's writes in one
 *          io_uring_enter (liburing), the clock read once a batch;
 *   plain  one read and one write system call a packet, the clock read
 *          once every 64 packets of a burst.
 * uring falls back to plain where io_uring cannot be set up (disabled by
 * the kernel's io_uring_disabled, or filtered by a container). */
#ifndef BT_SIM_SERVE_H
#define BT_SIM_SERVE_H

#include "sim_model.h"

enum { BT_SIM_IO_URING, BT_SIM_IO_PLAIN };

/* Serves the open, non-blocking TUN device fd (named dev, for messages and
 * its drop counter) until SIGTERM/SIGINT/SIGHUP arrive on sfd (a
 * non-blocking signalfd for those and SIGUSR1/SIGUSR2). Prints the counters
 * at the end; 0, or 1 after an I/O error (printed). */
int bt_sim_serve(bt_sim_model *m, unsigned phase, int fd, int sfd, const char *dev, int io);

#endif
