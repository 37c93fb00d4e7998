/* bordertrace — giving up privileges once the sockets are open.
 *
 * The prober needs CAP_NET_RAW only to open its raw socket and its capture;
 * everything after that (sending on those descriptors, parsing packets that
 * anyone can forge) runs without privileges. bt_privsep_fork splits the
 * program: the child gets the open descriptors, drops everything — becomes
 * an unprivileged user (as root), loses every capability including the
 * bounding set, cannot regain them (no_new_privs) and dies with its parent —
 * then probes and parses; the parent keeps what it needs to put the child's
 * finished output in place (an atomic rename in a directory the unprivileged
 * user may not write) and touches no packet. OpenBSD's traceroute and
 * scamper do the same in spirit. */
#ifndef BORDERTRACE_PRIVDROP_H
#define BORDERTRACE_PRIVDROP_H

#include <stddef.h>
#include <sys/types.h>

#define BT_PRIVDROP_DEFAULT_USER "nobody"

/* Drops privileges in the calling process. As root: to `user`'s uid and
 * gid, no supplementary groups, empty capability sets and bounding set.
 * Not root (e.g. a binary with file capability cap_net_raw+ep): clears the
 * effective, permitted, inheritable and ambient sets (the bounding set
 * cannot be changed without CAP_SETPCAP). Both: no_new_privs. Verifies the
 * result. 0, or -1 with a message. */
int bt_privdrop(const char *user, char *err, size_t errlen);

/* Whether bt_privdrop could become user as root: it exists and is not
 * root. 0, or -1 with "user 'x' does not exist (choose one with --user)".
 * Needs no privileges (a start-up check, before any round). */
int bt_privdrop_check_user(const char *user, char *err, size_t errlen);

/* Forks. In the child: drops privileges (exit status 3 with a message on
 * stderr if that fails) and returns 0. In the parent: returns the child's
 * pid, or -1 with a message. */
pid_t bt_privsep_fork(const char *user, char *err, size_t errlen);

/* Waits for the child; while waiting, a non-zero *stop is forwarded to it as
 * SIGTERM once. Returns its exit status (128 + signal if killed), -1 on error. */
int bt_privsep_wait(pid_t child, volatile int *stop);

#endif
