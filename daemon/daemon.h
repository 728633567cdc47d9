/*
 * daemon.h: the running daemon's context, shared by the files of
 * `nflogmon run` (daemon.c, act.c, inputs.c, loop.c, input_nflog.c,
 * blocks.c, hook.c, ctl.c, listing.c, status.c, store.c, reconcile.c,
 * priv.c, metrics.c).  Replay and the engine never include it.
 *
 * One place for each fact: the engine owns counting, judgement and strike
 * history; blocks.c owns the list of blocks the daemon holds (what status
 * shows and the store keeps); the backend owns the kernel sets; store.c
 * owns the state on disk.  act.c is the only way a block starts or ends,
 * whether it comes from a verdict, the control socket, the state at start
 * or an expiry, and the only caller of the backend, so the kernel, the
 * records, the store, the hook and the log never disagree.
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
	uint32_t	 attempts_saved; /* as the store has them */
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
/* The records of keys of kind (and client or not), in O(1). */
size_t		 blocks_count_kind(struct blocks *, enum key_kind, bool client);
/* The i-th record, 0 <= i < blocks_count (order unspecified, stable
 * between modifications). */
struct block	*blocks_at(struct blocks *, size_t i);
/* Room for more records without growing (a start restoring many). */
int		 blocks_reserve(struct blocks *, size_t more);
/* Earliest expiry (wall us), DURATION_PERMANENT when none. */
int64_t		 blocks_next_expiry(struct blocks *);
/* 1 with *k set to a block whose expiry is at or before now_us (the
 * earliest; it stays until removed or refreshed), 0 when none is due. */
int		 blocks_due(struct blocks *, int64_t now_us, struct key *k);

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
	struct store	*store;		/* NULL: no state_file */
	struct fleet	*fleet;		/* NULL: [fleet] lapi_url is off */
	int64_t		 start_mono_us;
	int64_t		 start_wall_us;
	uint64_t	 hook_runs, hook_failures;
	uint64_t	 backend_errors;
	uint64_t	 backend_resyncs;	/* sets found gone or short */
	uint64_t	 breaker_trips;
	uint64_t	 blocks_by_rule[RULE_MAX];
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
	/* The last ruleset check (ruleset_check.c), at start and SIGHUP. */
	struct ruleset_report capture_check;
};

/* Clocks: the engine runs on CLOCK_MONOTONIC, everything shown on wall. */
int64_t	 clock_mono_us(void);
int64_t	 clock_wall_us(void);
int64_t	 daemon_mono_to_wall(const struct daemon *, int64_t mono_us);
/* t_us + d_us, DURATION_PERMANENT when d_us is or the sum would overflow. */
int64_t	 clock_add_sat(int64_t t_us, int64_t d_us);

/* Records the outcome of a backend operation for status: err NULL for a
 * success (ok again), else the error (not ok, counted).  (act.c) */
void	 daemon_backend_result(struct daemon *, const char *err);

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
 * engine and each verdict to act_verdict.  0, or -1 with err. */
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
/* Right before the loop runs: the groups leave their start-up batching
 * (input_nflog.c). */
void		 capture_start(void);

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
 * that many bytes of one JSON object, or (in a stream, below) of a row
 * frame.  Requests: {"cmd": "status"|"list"|"block"|"unblock",
 * "source": S, "timeout": seconds (absent: the config's timeout; null:
 * permanent), "reason": TEXT, "recent": N (status, list: only the N most
 * recent blocks)}, at most PROTO_MAX_MSG bytes.  Replies: {"ok": true, ...}
 * or {"ok": false, "error": E}.
 *
 * status and list stream their blocks, so no reply is ever too large and
 * neither end holds them all: a header {"ok": true, "stream": true,
 * "count": blocks held, ...the status fields}, then row frames (payload
 * PROTO_ROW_FRAME and back-to-back binary rows, at most PROTO_MAX_FRAME
 * bytes), then {"end": true, "rows": rows sent}.
 */
#include <jansson.h>

#define PROTO_HDR_LEN		4
#define PROTO_MAX_MSG		(64 * 1024)	/* payload bytes of a request */
/* Any one message of a reply (a header, a frame, a single reply). */
#define PROTO_MAX_REPLY		(256 * 1024)
#define PROTO_REASON_MAX	128		/* = sizeof(struct block.reason) */
#define PROTO_ROW_FRAME		'R'		/* first byte of a row frame */
#define PROTO_MAX_FRAME		(16 * 1024)	/* payload of a row frame */
#define PROTO_RATE_MAX		48		/* "5/1m", the throttle rate */
#define PROTO_NAME_MAX		32		/* a rule or action name */
/* Bytes of one row at most: five strings (2 length bytes and text), 5 x u32
 * or i32 and 2 x i64 of numbers, the enforced byte. */
#define PROTO_ROW_MAX		(5 * 2 + KEY_STRLEN + 2 * PROTO_NAME_MAX + \
				 PROTO_REASON_MAX + PROTO_RATE_MAX + 4 * 4 + \
				 2 * 8 + 1)
/* Bytes of a row's JSON text at most (reason escaped 6 bytes a byte). */
#define PROTO_ROW_JSON_MAX	(1024 + 6 * PROTO_REASON_MAX)
#define PROTO_RECENT_MAX	1000		/* "recent" at most */
/* How long the client waits for the daemon's first message, and then for
 * each next one. */
#define PROTO_CALL_TIMEOUT_MS	10000

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
	uint32_t	 recent;		/* status, list; 0: every block */
};

/* A block as a row frame carries it: the facts of proto_block_json. */
struct proto_row {
	char		 source[KEY_STRLEN];
	char		 rule[PROTO_NAME_MAX];
	char		 action[PROTO_NAME_MAX];
	char		 reason[PROTO_REASON_MAX];	/* "" none */
	char		 throttle_rate[PROTO_RATE_MAX];	/* "" not throttled */
	uint32_t	 connections;
	uint32_t	 attempts;
	int32_t		 strikes;
	bool		 enforced;
	int64_t		 since_us;			/* wall */
	int64_t		 expires_us;			/* DURATION_PERMANENT */
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
/*
 * Row frames.  proto_rows_begin writes a frame's header at p (the length
 * comes later) and returns its size; proto_rows_end sets the length of
 * the frame of len bytes at p.  proto_row_put appends one block of at
 * most PROTO_ROW_MAX bytes: its size, or 0 when it does not fit in room.
 * proto_row_get decodes (and checks) the row at the head of buf: its size,
 * or 0 when malformed.
 */
size_t	 proto_rows_begin(uint8_t *p);
void	 proto_rows_end(uint8_t *p, size_t len);
size_t	 proto_row_put(uint8_t *p, size_t room, const struct block *,
	    uint32_t attempts);
size_t	 proto_row_get(const uint8_t *buf, size_t len, struct proto_row *);
/* The row as the JSON text of proto_block_json (same members, same
 * numbers) into buf of at least PROTO_ROW_JSON_MAX bytes: its length. */
size_t	 proto_row_json(const struct proto_row *, char *buf);

/*
 * Client side: connects, sends req, reads the reply.  The reply (or a
 * stream's header) goes to reply(); a stream's rows to row(), as they
 * arrive.  A callback returns 0, or -1 to stop (the call fails with err).
 * The first message must come within timeout_ms of the start, each later
 * one within timeout_ms of the one before (a stopped daemon whose listen
 * queue is full never accepts: connect is bounded too).
 * Returns 0, -1 (err says why), or -3 when no daemon answers.
 */
struct proto_sink {
	int	(*reply)(void *arg, json_t *reply);
	int	(*row)(void *arg, const struct proto_row *);
	void	*arg;
};
int	 proto_call_sink(const char *sockpath, const json_t *req,
	    int timeout_ms, const struct proto_sink *, char *err,
	    size_t errlen);
/* One reply as one JSON object (a stream's rows gathered in "blocks"),
 * within PROTO_CALL_TIMEOUT_MS; for small replies and tests. */
int	 proto_call(const char *sockpath, const json_t *req, json_t **reply,
	    char *err, size_t errlen);
/* The same within timeout_ms (tests). */
int	 proto_call_timeout(const char *sockpath, const json_t *req,
	    json_t **reply, int timeout_ms, char *err, size_t errlen);

/* ------------------------------------------------------------- client.c */
#define CLIENT_STATUS_RECENT	20	/* blocks the human status shows */
#define CLIENT_LIST_BUFFER	1000	/* rows measured before printing */

/*
 * The human table of blocks, fed row by row: the first CLIENT_LIST_BUFFER
 * rows are kept to size the columns and printed blocked first, then
 * throttled; past them rows are printed as they come (the daemon sends
 * the blocked first), so memory stays bounded at any count.
 */
struct client_list {
	FILE		*f;
	double		 now;		/* wall seconds */
	struct proto_row *buf;		/* CLIENT_LIST_BUFFER rows */
	size_t		 nbuf;
	uint64_t	 printed;
	int		 width;		/* source column, once streaming */
	bool		 streaming;
	char		 section[PROTO_NAME_MAX];	/* streaming: response */
};
int	 client_list_begin(struct client_list *, FILE *, double now);
void	 client_list_row(struct client_list *, const struct proto_row *);
/* Prints what is kept, "no blocks", or (held > printed, the human
 * status) "N more: nflogmon list".  Frees the buffer. */
void	 client_list_end(struct client_list *, uint64_t held);
/* The human status before its blocks. */
void	 client_print_status(FILE *, const json_t *);

/* ------------------------------------------------------ ruleset_check.c */
/* Reads the loaded ruleset back and compares it with d->conf; logs every
 * warning and keeps the report for status.  At start and on SIGHUP. */
void	 ruleset_check_daemon(struct daemon *);
/* status --json capture.warnings: an array of sentences (new ref). */
json_t	*ruleset_warnings_json(const struct daemon *);

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

/* ------------------------------------------------------------- status.c */
/* The status object of DESIGN.md without its "blocks" (they stream), with
 * "blocks_by_rule": rule name -> blocks held now under it. */
json_t		*ctl_status_json(struct daemon *);

/* ------------------------------------------------------------ listing.c */
/*
 * A status or list reply in progress: a snapshot of the keys of the blocks
 * held when it starts, written out as row frames a buffer at a time, when
 * the client can take them.  Each block is looked up again as its row is
 * written: one that ended since is left out, one that started since is
 * not in the snapshot, so every block held during the whole listing
 * appears exactly once, with its facts at the time its row is written.
 */
struct listing;
/* recent 0: every block, blocked before throttled; else the `recent` most
 * recent (by since), newest first.  NULL when out of memory. */
struct listing	*listing_new(struct blocks *, uint32_t recent);
/* Blocks held when the listing started. */
uint64_t	 listing_held(const struct listing *);
/* Appends row frames to buf[*len..cap), then the end message: 1 when the
 * end message is in, 0 when buf is full first, -1 out of memory. */
int		 listing_fill(struct listing *, struct daemon *, uint8_t *buf,
		    size_t *len, size_t cap);
void		 listing_free(struct listing *);

/* ------------------------------------------------------- state_import.c */
/*
 * What survives a restart, in memory: blocks, strike history and (from a
 * clean shutdown) the window counters with the hash key their fanout
 * slots were counted under.  Times are wall-clock microseconds.  The
 * store (store.c) loads into it; the first release's text file
 * (state_import.c) parses into it and is imported.
 */
struct state_block {
	struct block	 b;
	uint32_t	 attempts;
};

struct state_strike {
	struct key	 key;
	int64_t		 at_us;
};

/* The fleet's rows (fleet/fleet.h "store"): a decision id of a key this
 * gateway published (job false), or a pending publication (job true). */
struct state_fleet {
	struct key	 key;
	bool		 job;
	bool		 unpublish;	/* job: a withdrawal, else a publish */
	char		 rule[32];	/* publish: the block's rule */
	int64_t		 since_us;	/* publish: wall, the block's start */
	int64_t		 duration_us;	/* publish: DURATION_PERMANENT ok */
	int64_t		 decision_id;	/* an id, or an unpublish's */
};

/* state_import.c: room for n + more entries of size bytes in *p of *cap
 * entries (the growing arrays of struct state).  0, or -1. */
int	 state_grow(void **p, size_t n, size_t more, size_t *cap, size_t size);

struct state {
	int64_t		 saved_us;
	struct state_fleet *fleet;
	size_t		 nfleet;
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
/* Pure: the first release's text <-> struct state.  parse returns 0, or
 * -1 with err. */
int	 state_parse(const char *buf, size_t len, int ipv6_prefix,
	    struct state *, char *err, size_t errlen);
int	 state_write(FILE *, const struct state *);

/* --------------------------------------------------------------- store.c */
/*
 * The state store: SQLite at state_file (DESIGN.md "State store").  Every
 * write is one statement; store_begin/store_commit group them (nested:
 * the outermost commits, or rolls back if any failed).  Every function
 * takes a NULL store (no state_file) and does nothing.  Errors are logged
 * and counted; the functions return 0 or -1.
 */
struct store;
/* Opens path and loads it into st (database, imported text file, or
 * nothing; a corrupt file renamed aside with its -wal and -shm).  Only an
 * unusable path is fatal. */
struct store	*store_open(const char *path, int ipv6_prefix, struct state *);
/* After the privilege drop: the WAL checkpoint thread. */
int		 store_checkpoints_start(struct store *);
void		 store_close(struct store *);
int		 store_begin(struct store *);
int		 store_commit(struct store *);
int		 store_block_put(struct store *, const struct block *,
		    uint32_t attempts);
int		 store_block_delete(struct store *, const struct key *);
int		 store_blocks_clear(struct store *);
int		 store_strike_add(struct store *, const struct key *,
		    int64_t at_us);
int		 store_attempts(struct store *, const struct key *,
		    uint32_t attempts);
int		 store_strikes_prune(struct store *, int64_t until_us);
/* The fleet: a published key's decision id (0: forgotten), and the
 * pending publications (job rows), replacing the saved ones. */
int		 store_fleet_id(struct store *, const struct key *, int64_t id);
int		 store_fleet_jobs(struct store *, const struct state_fleet *,
		    size_t n);
/* The window counters and hash key of st (has_hashkey), replacing any. */
int		 store_counters_save(struct store *, const struct state *);
int		 store_counters_drop(struct store *);
uint64_t	 store_errors(const struct store *);
/* store_load.c: the rows of an open database into st, each checked;
 * -1 with err on a database error (corruption). */
struct sqlite3;
extern const char *const store_schema;	/* the tables (fuzz_store) */
int		 store_load_rows(struct sqlite3 *, const char *path,
		    int ipv6_prefix, struct state *, char *err, size_t errlen);
/* The name -> id lookup of action_name() (a block's actions only); -1
 * for an unknown name.  Rules: rule_from_name (rules.c). */
int		 action_from_name(const char *);

/* ----------------------------------------------------------- reconcile.c */
/* At start, before the engine: opens the store into st (d->store). */
void	 reconcile_load(struct daemon *, struct state *);
/* After backend init and engine: reconciles st with the kernel sets
 * through the act path, restores strikes and counters, frees st. */
void	 reconcile_run(struct daemon *, struct state *, bool sets_created);
/* At a clean stop: attempts and window counters to the store. */
void	 reconcile_save_shutdown(struct daemon *);

/* ----------------------------------------------------------------- act.c */
/*
 * The one act path, the only caller of the backend's verbs (see act.c).
 * act_block/act_unblock: a manual block or unblock (control socket):
 * kernel set, engine judgement, record,
 * store, hook and one log line; 0, or -1 with a one-line reason in err.
 * timeout_us DURATION_PERMANENT for permanent.  Unknown source: -1, "not
 * blocked".
 */
int	 act_init(struct daemon *);		/* the backend, at start */
void	 act_fini(struct daemon *);
int	 act_block(struct daemon *, const struct block *, int64_t timeout_us,
	    char *err, size_t errlen);
int	 act_unblock(struct daemon *, const struct key *, const char *why,
	    char *err, size_t errlen);
/* block, throttle and dry_run start a block; allowed and breaker are
 * logged. */
void	 act_verdict(struct daemon *, const struct verdict *);
void	 act_expire(struct daemon *, int64_t now_mono_us);	/* timer */
void	 act_state_tick(struct daemon *, int64_t now_mono_us);	/* timer */
void	 act_state_flush(struct daemon *);	/* at a clean stop */
/* Reconcile's verbs: a block put back (the record and its judgement),
 * after a reboot all of them into the kernel too (in batches: counts of
 * those put back and failed), and the kernel's entries. */
void	 act_restore(struct daemon *, struct block *, uint32_t attempts,
	    int64_t wall_to_mono_us);
void	 act_restore_kernel(struct daemon *, size_t *restored,
	    size_t *failed);
int	 act_list(struct daemon *, struct backend_entry **, size_t *,
	    char *err, size_t errlen);
/* resync.c's verbs: the backend's sets as the kernel has them (count),
 * and the backend set up again with every live block put back. */
int	 act_count(struct daemon *, struct backend_count *, size_t *n,
	    char *err, size_t errlen);
int	 act_resync(struct daemon *, size_t *restored, size_t *failed,
	    char *err, size_t errlen);

/* ------------------------------------------------------------- resync.c */
/* Every RESYNC_TICK_US: the backend's sets checked against the blocks the
 * daemon holds, made again and refilled when gone or short (nflogmon(8)
 * "Sets removed by hand"). */
#define RESYNC_TICK_US		(10 * US_PER_S)
void	 resync_tick(struct daemon *, int64_t now_mono_us);
/* Pure: the sets that need it, given the enforced blocks each should
 * hold (expected[i] for sets[i]); the first such index, or -1. */
int	 resync_short(const struct backend_count *sets, size_t n,
	    const size_t *expected);

/* ---------------------------------------------------------- act_behind.c */
/*
 * The writes the store refused (a full disk), written on a later state
 * tick: note: a key whose record or end was not written (strike_at_us:
 * its strike, wall clock, 0 none); all: the whole blocks table (a failed
 * reconciliation); count: records waiting (status).
 */
void	 act_behind_note(struct daemon *, const struct key *,
	    int64_t strike_at_us);
void	 act_behind_all(struct daemon *);
size_t	 act_behind_count(const struct daemon *);
void	 act_behind_tick(struct daemon *, int64_t now_mono_us);
void	 act_behind_close(void);

/* ----------------------------------------------------------- act_fleet.c */
/*
 * The fleet client in the daemon (DESIGN.md "Fleet").  open: at start,
 * after the state is restored (rows: the store's fleet rows), with its
 * timer; reconf: on SIGHUP with the new d->conf in place; close: at exit,
 * the pending publications saved.  act.c calls block after a verdict's
 * block started and unblock after any block ended.
 */
int	 act_fleet_open(struct daemon *, const struct state_fleet *rows,
	    size_t n);
void	 act_fleet_reconf(struct daemon *);
void	 act_fleet_close(struct daemon *);
void	 act_fleet_block(struct daemon *, const struct block *,
	    int64_t timeout_us);
void	 act_fleet_unblock(struct daemon *, const struct block *);

/* --------------------------------------------------------- act_clients.c */
/*
 * block_clients (see act_clients.c).  reconf: at start and on SIGHUP with
 * d->conf in place (this host's addresses read again); act.c calls block
 * after an account's block started from a verdict and unblock after an
 * account's block was ended by hand.  eligible and own are the pure part
 * and its input.
 */
void	 act_clients_reconf(struct daemon *);
void	 act_clients_close(void);
void	 act_clients_block(struct daemon *, const struct block *account,
	    int64_t timeout_us, const struct verdict *);
void	 act_clients_unblock(struct daemon *, const struct key *account,
	    const char *why);
bool	 act_clients_eligible(const struct conf *, const struct netset *own,
	    const struct addr *);
struct netset *act_clients_own(const struct conf *);

/* --------------------------------------------------------------- sock.c */
/* A listening unix socket at path (mode 0660, group gid unless -1): its
 * non-blocking fd; SOCK_LISTEN_BUSY when another process answers there; -1
 * with err. */
#define SOCK_LISTEN_BUSY (-2)
int	 sock_listen_unix(const char *path, gid_t gid, char *err,
	    size_t errlen);
/* One accepted connection (non-blocking) of any listener, or -1: none
 * ready, or an error logged with what. */
int	 sock_accept(int lfd, const char *what);

/* --------------------------------------------------------------- priv.c */
/* Creates/chowns writable paths, switches user, keeps only CAP_NET_ADMIN.
 * Any failure is fatal. */
void	 priv_drop(const struct conf *);
/* At start, before the store opens: the state directory, made and given
 * to the user as priv_drop would. */
void	 priv_prepare_state(const struct conf *);

/* ------------------------------------------------------------ metrics.c */
/* Rewrites conf->metrics_file atomically (no-op when unset). */
int	 metrics_write(struct daemon *);
int	 metrics_format(FILE *, struct daemon *);	/* the text itself */

#endif /* NFLOGMON_DAEMON_H */
