/*
 * loop.c: the daemon's one event loop.  A fixed table of poll slots (the
 * NFLOG sockets, the signalfd, the control listener and its clients) and a
 * fixed table of periodic timers with deadlines on CLOCK_MONOTONIC.  One
 * thread; every callback runs to completion and must be short (nflog.c
 * drains in bounded batches so the control socket is still served under a
 * flood).  Never allocates.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <string.h>

#include "daemon.h"

/*
 * Invariant: slots[i].fd == pfds[i].fd for i < nslots; a free slot has
 * fd -1 (poll ignores it) and is reused by loop_add.  nslots only grows,
 * up to LOOP_MAX_FDS, so indexes stay stable while a callback runs.
 */
struct loop_slot {
	int		 fd;
	void		(*cb)(int, short, void *);
	void		*arg;
};

struct loop_timer {
	int64_t		 period_us;
	int64_t		 next_us;	/* CLOCK_MONOTONIC deadline */
	void		(*fn)(struct daemon *, int64_t);
};

static struct loop_slot	 slots[LOOP_MAX_FDS];
static struct pollfd	 pfds[LOOP_MAX_FDS];
static int		 nslots;
static struct loop_timer timers[LOOP_MAX_TIMERS];
static int		 ntimers;
static bool		 loop_stopping;

static int
loop_find(int fd)
{
	int i;

	for (i = 0; i < nslots; i++)
		if (slots[i].fd == fd)
			return i;
	return -1;
}

int
loop_add(int fd, short events, void (*cb)(int, short, void *), void *arg)
{
	int i;

	if (fd < 0 || loop_find(fd) != -1)
		return -1;
	i = loop_find(-1);
	if (i == -1) {
		if (nslots == LOOP_MAX_FDS)
			return -1;
		i = nslots++;
	}
	slots[i].fd = fd;
	slots[i].cb = cb;
	slots[i].arg = arg;
	pfds[i].fd = fd;
	pfds[i].events = events;
	pfds[i].revents = 0;	/* not a stale result of a previous owner */
	return 0;
}

void
loop_del(int fd)
{
	int i = loop_find(fd);

	if (i == -1 || fd < 0)
		return;
	slots[i].fd = -1;
	pfds[i].fd = -1;
	pfds[i].revents = 0;
}

void
loop_set_events(int fd, short events)
{
	int i = loop_find(fd);

	if (i != -1 && fd >= 0)
		pfds[i].events = events;
}

int
loop_every(int64_t period_us, void (*fn)(struct daemon *, int64_t))
{
	if (ntimers == LOOP_MAX_TIMERS || period_us <= 0)
		return -1;
	timers[ntimers].period_us = period_us;
	timers[ntimers].next_us = clock_mono_us() + period_us;
	timers[ntimers].fn = fn;
	ntimers++;
	return 0;
}

void
loop_stop(void)
{
	loop_stopping = true;
}

/* Milliseconds until the earliest timer deadline, rounded up, for poll. */
static int
loop_timeout_ms(int64_t now_us)
{
	int64_t wait_us = INT_MAX;
	int i;

	for (i = 0; i < ntimers; i++) {
		int64_t w = timers[i].next_us - now_us;

		if (w < wait_us)
			wait_us = w;
	}
	if (wait_us <= 0)
		return 0;
	if (wait_us >= (int64_t)INT_MAX * 1000)
		return -1;
	return (int)((wait_us + 999) / 1000);
}

/* Runs the timers that are due.  A late timer runs once, then keeps its
 * phase (no burst of catch-up calls after a stall). */
static void
loop_timers_run(struct daemon *d, int64_t now_us)
{
	int i;

	for (i = 0; i < ntimers; i++) {
		struct loop_timer *t = &timers[i];

		if (t->next_us > now_us)
			continue;
		t->next_us += t->period_us;
		if (t->next_us <= now_us)
			t->next_us = now_us + t->period_us;
		t->fn(d, now_us);
	}
}

void
loop_run(struct daemon *d)
{
	int i, n;

	loop_stopping = false;
	while (!loop_stopping) {
		n = poll(pfds, (nfds_t)nslots, loop_timeout_ms(clock_mono_us()));
		if (n == -1 && errno != EINTR)
			fatal("poll");
		for (i = 0; n > 0 && i < nslots && !loop_stopping; i++) {
			short rev = pfds[i].revents;

			if (rev == 0 || slots[i].fd < 0)
				continue;
			pfds[i].revents = 0;
			slots[i].cb(slots[i].fd, rev, slots[i].arg);
		}
		if (!loop_stopping)
			loop_timers_run(d, clock_mono_us());
	}
}
