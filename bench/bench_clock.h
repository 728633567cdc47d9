/*
 * bench_clock.h: the monotonic clock in nanoseconds, for the bench's
 * load generators (policy-load, policy-logins, connect-loop), which pace
 * and time themselves without linking the daemon's objects.
 */
#ifndef BENCH_CLOCK_H
#define BENCH_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

#endif
