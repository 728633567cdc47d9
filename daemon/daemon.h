/*
 * daemon.h: the running daemon's context, shared by the files of
 * `nflogmon run` (daemon.c, loop.c, nflog.c, blocks.c, hook.c, ctl.c,
 * state.c, priv.c, metrics.c).  Replay and the engine never include it.
 *
 * One place for each fact: the engine owns counting, judgement and strike
 * history; blocks.c owns the list of blocks the daemon holds (what status
 * shows and the state file keeps); the backend owns the kernel sets.
 * daemon_block()/daemon_unblock() are the only ways a block starts or ends,
 * whether it comes from a verdict, the control socket, the state file or
 * an expiry, so the kernel, the records, the state file, the hook and the
 * log never disagree.
 */
#ifndef NFLOGMON_DAEMON_H
#define NFLOGMON_DAEMON_H

#include "nflogmon.h"

/* -------------------------------------------------------------- blocks.c */
/*
 * A block the daemon holds: one per source in the kernel set (or that would
 * be, in dry run, or that the backend cannot enforce, e.g. uid under ipset).
 * Times are wall clock (Unix microseconds), as in status and the state file.
 */
struct block {
	struct key	 key;
	enum rule	 rule;		/* burst, sustained, fanout, manual */
	enum action	 action;	/* ACT_BLOCK, ACT_THROTTLE, ACT_DRY_RUN */
	uint32_t	 connections;
	int64_t		 since_us;
	int64_t		 expires_us;	/* DURATION_PERMANENT: never */
	int		 strikes;	/* strikes of the source at this block */
	bool		 enforced;	/* in the kernel set */
	char		 reason[128];	/* --reason of a manual block, "" none */
	struct rate	 throttle_rate;	/* ACT_THROTTLE */
};

struct blocks;
struct blocks	*blocks_new(void);
void		 blocks_free(struct blocks *);
/* Adds or replaces the record of b->key. 0, or -1 on allocation failure. */
int		 blocks_put(struct blocks *, const struct block *);
struct block	*blocks_find(struct blocks *, const struct key *);
int		 blocks_remove(struct blocks *, const struct key *);
size_t		 blocks_count(const struct blocks *);
/* The i-th record, 0 <= i < blocks_count (order unspecified, stable
 * between modifications). */
struct block	*blocks_at(struct blocks *, size_t i);
/* Earliest expiry (wall us), DURATION_PERMANENT when none. */
int64_t		 blocks_next_expiry(const struct blocks *);

/* ------------------------------------------------------------- daemon.c */
enum capture_kind {
	CAPTURE_FORWARD = 0,
	CAPTURE_OUTPUT,
};

/* Per NFLOG group health, as status reports it. */
struct capture_stats {
	int		 group;
	enum capture_kind kind;
	uint64_t	 packets;
	uint64_t	 dropped;	/* messages known lost (sequence numbers) */
	uint64_t	 seq_gaps;
	uint64_t	 enobufs;
};

struct daemon {
	struct conf	*conf;
	char		*conf_path;	/* NULL: the default path */
	struct engine	*engine;
	struct backend	 backend;
	bool		 backend_ok;
	char		 backend_error[256];	/* last error, "" none */
	struct blocks	*blocks;
	struct capture_stats capture[2];	/* forward, output */
	int		 ncapture;
	int64_t		 start_mono_us;
	int64_t		 start_wall_us;
	uint64_t	 hook_runs, hook_failures;
	uint64_t	 backend_errors;
	uint64_t	 breaker_trips;
	uint64_t	 blocks_by_rule[RULE_MANUAL + 1];
	bool		 foreground;
	bool		 debug;
	uint64_t	 hook_skipped;	/* too many running: not started */
	bool		 sets_created;	/* backend init found no sets */
	/* The config the backend was started with: backend settings change
	 * only with a restart, so a reload keeps this one alive. */
	struct conf	*backend_conf;
};

/* Clocks: the engine runs on CLOCK_MONOTONIC, everything shown on wall. */
int64_t	 clock_mono_us(void);
int64_t	 clock_wall_us(void);
int64_t	 daemon_mono_to_wall(const struct daemon *, int64_t mono_us);

/*
 * Starts (or refreshes) a block: kernel set, engine judgement, record,
 * state file, hook and one log line.  timeout_us DURATION_PERMANENT for
 * permanent.  Returns 0, or -1 with a one-line reason in err (e.g. the
 * backend's error).
 */
int	 daemon_block(struct daemon *, const struct block *, int64_t timeout_us,
	    char *err, size_t errlen);
/* Ends a block: kernel set, engine release, record, state file, hook, log.
 * Unknown source: -1 with "not blocked" in err. */
int	 daemon_unblock(struct daemon *, const struct key *, const char *why,
	    char *err, size_t errlen);

/*
 * The verdict path: called by nflog.c for every verdict engine_feed makes.
 * block, throttle and dry_run start a block (daemon_block with the
 * verdict's facts); allowed and breaker are logged.
 */
void	 daemon_verdict(struct daemon *, const struct verdict *);

/* --------------------------------------------------------------- loop.c */
/*
 * The one event loop: fixed slots of file descriptors polled together, and
 * periodic work on CLOCK_MONOTONIC deadlines.  No threads.  Callbacks are
 * short; a callback may add or delete any slot, including its own.
 */
#define LOOP_MAX_FDS		64	/* NFLOG x2, signalfd, control + clients */
#define LOOP_MAX_TIMERS		16

/* Watches fd for events (POLLIN...).  0, or -1 when every slot is taken. */
int	 loop_add(int fd, short events,
	    void (*cb)(int fd, short revents, void *arg), void *arg);
void	 loop_del(int fd);
void	 loop_set_events(int fd, short events);
/* Calls fn every period_us (first call one period from now).  0 or -1. */
int	 loop_every(int64_t period_us,
	    void (*fn)(struct daemon *, int64_t now_mono_us));
/* Runs until loop_stop (from a callback). */
void	 loop_run(struct daemon *);
void	 loop_stop(void);

/* -------------------------------------------------------------- nflog.c */
/*
 * Live capture.  Prefix capture_ (the library owns nflog_*).  capture_open
 * binds forward_group and output_group (unless off) and adds their sockets
 * to the loop; it needs CAP_NET_ADMIN, so it runs before the privilege
 * drop.  0, or -1 with one line naming the cause and the fix in err.
 */
int	 capture_open(struct daemon *, char *err, size_t errlen);
void	 capture_close(struct daemon *);
/* The fds of the NFLOG sockets (for closing in children): count filled. */
int	 capture_fds(int *fds, int max);

/* --------------------------------------------------------------- hook.c */
#define HOOK_MAX_RUNNING	16

/*
 * Runs conf->hook in the background for a block that starts (event
 * "block" or "throttle") or ends ("unblock").  v: the verdict behind the
 * block (recent destinations), NULL for manual and expiring blocks.
 * Never waits; failures are logged and counted, never fatal.
 */
void	 hook_run(struct daemon *, const char *event, const struct block *,
	    int64_t timeout_us, const struct verdict *v);
/* SIGCHLD: reaps finished hooks, logs failures. */
void	 hook_reap(struct daemon *);
/* Periodic: kills hooks past hook_timeout. */
void	 hook_tick(struct daemon *, int64_t now_mono_us);
/* Hooks running now. */
int	 hook_running(void);

#endif /* NFLOGMON_DAEMON_H */
