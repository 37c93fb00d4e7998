/* What the prober's unit tests share: a reproducible random generator
 * (xorshift64) and a guard that ends a test that hangs instead of letting
 * it run into meson's timeout. */
#ifndef BT_TESTS_PROBER_TEST_H
#define BT_TESTS_PROBER_TEST_H

#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

static inline uint64_t pt_rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static const char *pt_guarded;

static void pt_on_alarm(int sig)
{
	(void)sig;
	(void)!write(2, pt_guarded, strlen(pt_guarded));
	(void)!write(2, " did not return within 5 s\n", 27);
	_exit(1);
}

/* Fails the test if what has not returned within 5 s (pt_unguard then). */
static inline void pt_guard(const char *what)
{
	pt_guarded = what;
	signal(SIGALRM, pt_on_alarm);
	alarm(5);
}

static inline void pt_unguard(void)
{
	alarm(0);
}

#endif
