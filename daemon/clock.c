/*
 * clock.c: the daemon's two clocks.  The engine runs on CLOCK_MONOTONIC
 * (immune to settimeofday and NTP steps, so windows and judgements never
 * jump); everything shown to people or written to disk is wall clock.
 * daemon_mono_to_wall converts at the edge using the pair of readings taken
 * at start.  Never called by the engine itself: its clock is an argument.
 */
#include <time.h>

#include "daemon.h"

static int64_t
clock_read_us(clockid_t id)
{
	struct timespec ts;

	/* Cannot fail for these clock ids on Linux. */
	(void)clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * US_PER_S + ts.tv_nsec / 1000;
}

int64_t
clock_mono_us(void)
{
	return clock_read_us(CLOCK_MONOTONIC);
}

int64_t
clock_wall_us(void)
{
	return clock_read_us(CLOCK_REALTIME);
}

/* A monotonic instant as wall clock, by the offset measured at start.
 * DURATION_PERMANENT stays permanent. */
int64_t
daemon_mono_to_wall(const struct daemon *d, int64_t mono_us)
{
	if (mono_us == DURATION_PERMANENT)
		return DURATION_PERMANENT;
	return d->start_wall_us + (mono_us - d->start_mono_us);
}

/* t + d, saturating at DURATION_PERMANENT: a config may name durations up
 * to ~292,000 years, and their sum with a time must not overflow. */
int64_t
clock_add_sat(int64_t t_us, int64_t d_us)
{
	if (d_us == DURATION_PERMANENT || (d_us > 0 &&
	    t_us > DURATION_PERMANENT - d_us))
		return DURATION_PERMANENT;
	return t_us + d_us;
}
