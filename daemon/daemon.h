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
	uint32_t	 destinations;	/* the verdict's; 0 for a manual block */
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
#define DAEMON_MAX_INPUTS	8

struct daemon {
	struct conf	*conf;
	char		*conf_path;	/* NULL: the default path */
	struct engine	*engine;
	struct backend	 backend;
	/* Whether the last backend operation succeeded; while it is false,
	 * backend_error holds that operation's error (else ""). */
	bool		 backend_ok;
	char		 backend_error[256];
	struct blocks	*blocks;
	/* The inputs (NFLOG groups...): each one's fd is in the loop, and
	 * its events go to sink (engine, then the verdict path). */
	struct input	*inputs[DAEMON_MAX_INPUTS];
	int		 ninputs;
	struct event_sink sink;
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
	/* The engine's hash key: random, or the one a clean shutdown saved
	 * with its window counters (their fanout slots are keyed by it). */
	uint8_t		 hashkey[16];
};

/* Clocks: the engine runs on CLOCK_MONOTONIC, everything shown on wall. */
int64_t	 clock_mono_us(void);
int64_t	 clock_wall_us(void);
int64_t	 daemon_mono_to_wall(const struct daemon *, int64_t mono_us);
/* t_us + d_us, DURATION_PERMANENT when d_us is or the sum would overflow. */
int64_t	 clock_add_sat(int64_t t_us, int64_t d_us);

/* Records the outcome of a backend operation for status: err NULL for a
 * success (ok again), else the error (not ok, counted). */
void	 daemon_backend_result(struct daemon *, const char *err);

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

/* ------------------------------------------------------------- inputs.c */
/* Opens the inputs of d->conf into the loop, their events going to the
 * engine and each verdict to daemon_verdict.  0, or -1 with err. */
int	 inputs_open(struct daemon *, char *err, size_t errlen);
void	 inputs_close(struct daemon *);
void	 inputs_reconf(struct daemon *, const struct conf *);
void	 inputs_stats(const struct daemon *, int i, struct input_stats *);
void	 inputs_total(const struct daemon *, struct input_stats *);

/* -------------------------------------------------------- input_nflog.c */
/*
 * Live capture: one input per NFLOG group.  Opening binds the group, so
 * it needs CAP_NET_ADMIN and runs before the privilege drop.  NULL with
 * one line naming the cause and the fix in err.  The caller puts in->fd
 * into the loop and calls read when it is readable.
 */
struct input	*input_nflog_open(const struct conf *, int group,
		    enum input_kind, char *err, size_t errlen);
/* The fds of the NFLOG sockets (for closing in children): count filled. */
int		 capture_fds(int *fds, int max);

/* ------------------------------------------------------- input_policy.c */
/*
 * The Postfix policy service where [mta] policy_listen says (a unix
 * socket of group policy_group, mode 0660, or loopback TCP).  Opening
 * creates the socket, so it runs before the privilege drop.  NULL with
 * one line naming the cause in err.  The input's fd is a private epoll
 * instance holding the listener and every connection.
 */
struct input	*input_policy_open(const struct conf *, char *err,
		    size_t errlen);

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

/* -------------------------------------------------------------- proto.c */
/*
 * The control socket's wire format, shared by the daemon (ctl.c) and the
 * client (client.c): each message is a 4-byte big-endian payload length and
 * that many bytes of one JSON object, at most PROTO_MAX_MSG bytes.
 * Requests: {"cmd": "status"|"list"|"block"|"unblock", "source": S,
 * "timeout": seconds (absent: the config's timeout; null: permanent),
 * "reason": TEXT}.  Replies: {"ok": true, ...} or {"ok": false, "error": E}.
 */
#include <jansson.h>

#define PROTO_HDR_LEN		4
#define PROTO_MAX_MSG		(64 * 1024)	/* payload bytes of a request */
/* A reply lists every block; it may be larger than a request. */
#define PROTO_MAX_REPLY		(16 * 1024 * 1024)
#define PROTO_REASON_MAX	128		/* = sizeof(struct block.reason) */

enum proto_cmd {
	PROTO_STATUS = 0,
	PROTO_LIST,
	PROTO_BLOCK,
	PROTO_UNBLOCK,
};

struct proto_request {
	enum proto_cmd	 cmd;
	char		 source[KEY_STRLEN];	/* block, unblock */
	bool		 has_timeout;		/* false: the config's timeout */
	int64_t		 timeout_us;		/* DURATION_PERMANENT */
	char		 reason[PROTO_REASON_MAX];
};

/* 1: a whole message of *msglen bytes (header included) is in buf; 0: need
 * more; -1: the header announces an empty payload or one over max. */
int	 proto_frame(const uint8_t *buf, size_t have, size_t max,
	    size_t *msglen);
/* Encodes obj as one message in a malloc'd buffer; -1 if over max. */
int	 proto_pack(const json_t *obj, size_t max, uint8_t **out,
	    size_t *outlen);
/* Decodes a payload (header excluded): a JSON object, or NULL with err. */
json_t	*proto_unpack(const uint8_t *payload, size_t len, size_t max,
	    char *err, size_t errlen);
int	 proto_request_parse(const json_t *, struct proto_request *,
	    char *err, size_t errlen);
json_t	*proto_request_json(const struct proto_request *);
json_t	*proto_error(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
/* One block as in status --json; wall-clock times. */
json_t	*proto_block_json(const struct block *, uint32_t attempts);
/* Client side: connects, sends req, waits for the reply, all within
 * 10 s (a stopped daemon whose listen queue is full never accepts).
 * Returns 0, -1 (err says why), or -3 when no daemon answers. */
int	 proto_call(const char *sockpath, const json_t *req, json_t **reply,
	    char *err, size_t errlen);
/* The same within timeout_ms (tests). */
int	 proto_call_timeout(const char *sockpath, const json_t *req,
	    json_t **reply, int timeout_ms, char *err, size_t errlen);

/* ------------------------------------------------------------- client.c */
/* The human renderings of a status or list reply (now: wall seconds). */
void	 client_print_status(FILE *, const json_t *, double now);
void	 client_print_list(FILE *, const json_t *, double now);

/* ---------------------------------------------------------------- ctl.c */
/*
 * The control socket server.  All of its descriptors sit in one private
 * epoll instance, so the main loop watches a single fd (ctl_fd) and calls
 * ctl_dispatch when it is readable, and ctl_tick about once a second.
 */
struct ctl;
/* Refuses (-1, err) when another instance answers on the socket. */
struct ctl	*ctl_open(struct daemon *, char *err, size_t errlen);
int		 ctl_fd(const struct ctl *);
void		 ctl_dispatch(struct ctl *);
void		 ctl_tick(struct ctl *);		/* idle timeouts */
void		 ctl_close(struct ctl *);		/* unlinks the socket */
json_t		*ctl_status_json(struct daemon *);
json_t		*ctl_list_json(struct daemon *);

/* -------------------------------------------------------------- state.c */
/*
 * The state file (DESIGN.md "State"): blocks and strike history, written
 * atomically, read as untrusted input.  Times are wall-clock microseconds.
 * A clean shutdown adds the window counters of the sources not under
 * judgement and the hash key their fanout slots were counted under.
 */
struct state_block {
	struct block	 b;
	uint32_t	 attempts;
};

struct state_strike {
	struct key	 key;
	int64_t		 at_us;
};

struct state {
	int64_t		 saved_us;
	struct state_block *blocks;
	size_t		 nblocks;
	struct state_strike *strikes;
	size_t		 nstrikes;
	/* Counters: only with has_hashkey.  Times are wall clock; the slots
	 * of counts[i] are its nslots entries of slots[], in order. */
	bool		 has_hashkey;
	uint8_t		 hashkey[16];
	struct engine_counters *counts;
	size_t		 ncounts;
	struct engine_slot *slots;
	size_t		 nslots;
};

#define STATE_MAX_RECORDS	(4 * 1024 * 1024)	/* of all kinds */
#define STATE_MAX_SLOTS		(16 * 1024 * 1024)
#define STATE_MAX_LINE		1024

void	 state_free(struct state *);
/* Pure: text <-> struct state.  parse returns 0, or -1 with err. */
int	 state_parse(const char *buf, size_t len, int ipv6_prefix,
	    struct state *, char *err, size_t errlen);
int	 state_write(FILE *, const struct state *);
/* Atomic save of st to path (temp, fsync, rename, fsync dir). */
int	 state_save_file(const char *path, const struct state *, char *err,
	    size_t errlen);
/* 1 loaded, 0 no file, -1 corrupt (renamed aside, warning logged). */
int	 state_load_file(const char *path, int ipv6_prefix, struct state *);
/* Daemon side. */
int	 state_collect(struct daemon *, struct state *);
int	 state_save(struct daemon *);		/* logs its own errors */
/* At a clean shutdown: state_save with the window counters too. */
int	 state_save_shutdown(struct daemon *);
/* At start, before the engine exists (it needs the saved hash key):
 * loads conf->state_file into st; as state_load_file. */
int	 state_load(struct daemon *, struct state *);
/* After backend init and engine: reconciles st (loaded by state_load)
 * with the kernel sets, restores it, and frees it. */
void	 state_restore(struct daemon *, struct state *, bool sets_created);

/* --------------------------------------------------------------- priv.c */
/* Creates/chowns writable paths, switches user, keeps only CAP_NET_ADMIN.
 * Any failure is fatal. */
void	 priv_drop(const struct conf *);

/* ------------------------------------------------------------ metrics.c */
/* Rewrites conf->metrics_file atomically (no-op when unset). */
int	 metrics_write(struct daemon *);
int	 metrics_format(FILE *, struct daemon *);	/* the text itself */

#endif /* NFLOGMON_DAEMON_H */
