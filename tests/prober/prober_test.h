/* What the prober's unit tests share: a reproducible random generator
 * (xorshift64) and a guard that ends a test that hangs instead of letting
 * it run into meson's timeout. */
#ifndef BT_TESTS_PROBER_TEST_H
#define BT_TESTS_PROBER_TEST_H

#include <signal.h>
#include <stddef.h>
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

/* The waits the timer tests cover, 1 ms..60 s (PT_NWAITS of them), and
 * where their clock starts: twenty waits before the 2^32 µs wrap. */
#define PT_NWAITS 6
static inline uint32_t pt_wait(size_t i)
{
	static const uint32_t waits[PT_NWAITS] = { 1000, 3000, 500000, 1000000, 7800000, 60000000 };
	return waits[i];
}
static inline uint64_t pt_before_wrap(uint32_t wait_us)
{
	return (1ull << 32) - 200ull * wait_us / 10;
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
