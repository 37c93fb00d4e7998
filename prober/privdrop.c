/* bordertrace — giving up privileges (see include/bordertrace/privdrop.h). */
#include "bordertrace/privdrop.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static int clear_caps(char *err, size_t errlen)
{
	cap_t none = cap_init(); /* all three sets empty */
	if (none == NULL || cap_set_proc(none) != 0) {
		snprintf(err, errlen, "clearing capabilities: %s", strerror(errno));
		if (none)
			cap_free(none);
		return -1;
	}
	cap_free(none);
	return 0;
}

int bt_privdrop_check_user(const char *user, char *err, size_t errlen)
{
	if (user == NULL || *user == '\0')
		user = BT_PRIVDROP_DEFAULT_USER;
	errno = 0;
	struct passwd *pw = getpwnam(user);
	if (pw == NULL) {
		snprintf(err, errlen, "user '%s' does not exist (choose one with --user)", user);
		return -1;
	}
	if (pw->pw_uid == 0) {
		snprintf(err, errlen, "user '%s' is root: choose an unprivileged user with --user", user);
		return -1;
	}
	return 0;
}

int bt_privdrop(const char *user, char *err, size_t errlen)
{
	if (user == NULL || *user == '\0')
		user = BT_PRIVDROP_DEFAULT_USER;
	/* No capability may come back through an exec. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		snprintf(err, errlen, "no_new_privs: %s", strerror(errno));
		return -1;
	}
	(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (geteuid() == 0 || getuid() == 0) {
		if (bt_privdrop_check_user(user, err, errlen) != 0)
			return -1;
		struct passwd *pw = getpwnam(user);
		if (pw == NULL) {
			snprintf(err, errlen, "user '%s' has gone (choose one with --user)", user);
			return -1;
		}
		/* The bounding set first: dropping from it needs CAP_SETPCAP,
		 * which goes away with the uid change below. */
		for (int c = 0; c <= CAP_LAST_CAP; c++)
			if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0 && errno != EINVAL) {
				snprintf(err, errlen, "dropping capability %d from the bounding set: %s", c,
					 strerror(errno));
				return -1;
			}
		if (setgroups(0, NULL) != 0 || setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) != 0 ||
		    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) != 0) {
			snprintf(err, errlen, "switching to user '%s': %s", user, strerror(errno));
			return -1;
		}
	}
	if (clear_caps(err, errlen) != 0)
		return -1;
	/* Check, rather than trust: no way back to uid 0 or to any capability. */
	if (getuid() != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		snprintf(err, errlen, "could regain root after dropping privileges");
		return -1;
	}
	cap_t now = cap_get_proc();
	cap_t none = cap_init();
	int differs = now == NULL || none == NULL || cap_compare(now, none) != 0;
	if (now)
		cap_free(now);
	if (none)
		cap_free(none);
	if (differs) {
		snprintf(err, errlen, "capabilities remain after dropping them");
		return -1;
	}
	return 0;
}

pid_t bt_privsep_fork(const char *user, char *err, size_t errlen)
{
	pid_t parent = getpid();
	fflush(NULL); /* no buffered output written twice */
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid > 0)
		return pid;
	/* The child never outlives the parent that must commit its output. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 || getppid() != parent)
		_exit(3);
	char why[256];
	if (bt_privdrop(user, why, sizeof(why)) != 0) {
		fprintf(stderr, "bordertrace-probe: giving up privileges: %s\n", why);
		_exit(3);
	}
	/* The kernel clears the parent-death signal when the credentials
	 * change (commit_creds), so it is set again as the new user. Found
	 * when children of killed test runs went on alone. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 || getppid() != parent)
		_exit(3);
	return 0;
}

int bt_privsep_wait(pid_t child, volatile int *stop)
{
	bool forwarded = false;
	for (;;) {
		int st;
		pid_t r = waitpid(child, &st, 0);
		if (r == child)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
		if (r < 0 && errno != EINTR)
			return -1;
		if (stop && *stop && !forwarded) {
			kill(child, SIGTERM);
			forwarded = true;
		}
	}
}
