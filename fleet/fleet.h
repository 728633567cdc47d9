/*
 * fleet.h: the fleet client (DESIGN.md "Fleet"), a backend-like module
 * beside ipset/ and nft/: publication of block verdicts to CrowdSec's
 * Local API (LAPI) and consumption of its decision stream.
 *
 *   alert.c   the JSON of one alert, of a login, and reading the LAPI's
 *             answers (pure)
 *   stream.c  the decision stream parser and its refusals, the fleet
 *             breaker (pure; the stream is untrusted)
 *   queue.c   the bounded publication queue with backoff, and the decision
 *             ids of what was published (pure)
 *   local.c   this host's and the LAPI's addresses (never blocked)
 *   secret.c  the password and bouncer key files
 *   report.c  the status object and the metrics lines
 *   lapi.c    HTTP with libcurl's multi interface driven by the one event
 *             loop (no threads): login, push, delete, pull
 *
 * Nothing here runs on the capture or policy path: the daemon hands
 * publications to the queue (through the act path) and applies pulled
 * decisions through its one block path, from the loop.
 *
 * How the daemon plugs it in (the glue left for the act path and store):
 * - start and SIGHUP: a struct fleet_conf from conf->fleet_* (secrets
 *   included), a filter with conf->allow_src and a netset filled by
 *   fleet_local_addrs + fleet_lapi_addrs; fleet_open with env = loop_add,
 *   loop_del, loop_set_events, clock_mono_us, clock_wall_us, the two
 *   callbacks below; loop_every(100 ms) calling fleet_tick; on SIGHUP
 *   fleet_reconf.  Off when conf->fleet_lapi_url is "".
 * - act path, after a block verdict of KEY_V4/KEY_V6 with ACT_BLOCK and a
 *   counted rule (never throttle, dry run, manual, uid, account, fleet):
 *   fleet_publish; after any unblock of such a key: fleet_unpublish.
 * - env.decision: deleted -> unblock the key if it is held with rule
 *   fleet (else FLEET_IGNORED); new -> FLEET_IGNORED if the key is held
 *   under any other rule, else fleet_breaker_take (FLEET_REFUSED_BREAKER)
 *   then a block with rule fleet, reason "SCENARIO from ORIGIN",
 *   timeout remaining_us, no strike, not republished.
 * - store: env.published persists (key, decision id); at start the ids go
 *   back with fleet_ids_put and the pending jobs (fleet_queue_at) with
 *   fleet_queue_publish / fleet_queue_unpublish.
 * - status --json: "fleet": fleet_status_json(fleet_status(), queue);
 *   metrics: fleet_metrics.
 */
#ifndef NFLOGMON_FLEET_H
#define NFLOGMON_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nflogmon.h"

#define FLEET_ORIGIN		"nflogmon"
#define FLEET_SCENARIO_PREFIX	"nflogmon/"
#define FLEET_USER_AGENT	"nflogmon/" NFLOGMON_VERSION
/* A stream response larger than this is refused whole (1,000,000
 * decisions of the 1.4 format fit in about 250 MB; 16 MiB holds some
 * 60,000, far beyond any breaker). */
#define FLEET_MAX_RESPONSE	(16 * 1024 * 1024)
/* Decisions read from one response; the rest are refused as over-size. */
#define FLEET_MAX_DECISIONS	100000
/* Longest duration accepted from the stream: longer is absurd. */
#define FLEET_MAX_DURATION_US	(366LL * 86400 * 1000000)
#define FLEET_TEXT_MAX		64	/* scenario and origin kept */
#define FLEET_TOKEN_MAX		2048
#define FLEET_SECRET_MAX	CONF_SECRET_MAX

/* ------------------------------------------------------------- alert.c */

/* One publication: a block verdict of an address or IPv6 prefix. */
struct fleet_pub {
	struct key	 key;		/* KEY_V4 or KEY_V6 only */
	char		 rule[32];	/* "burst"...: scenario nflogmon/RULE */
	int64_t		 since_us;	/* wall: the block's start (stop_at) */
	int64_t		 duration_us;	/* the block's timeout; permanent ok */
};

/* One publication (rule cut to fit). */
struct fleet_pub fleet_pub_make(const struct key *, const char *rule,
	    int64_t since_us, int64_t duration_us);
/*
 * The body of POST /v1/alerts for one publication: a JSON array of one
 * alert with one decision (scope Ip or Range, type ban, origin nflogmon,
 * scenario nflogmon/RULE, duration "Ns" capped at max_duration_us,
 * stop_at the block's start), every field the 1.4 swagger requires.
 * A malloc'd string, or NULL (a key that is not published, or no memory).
 */
char	*fleet_alert_json(const struct fleet_pub *, int64_t max_duration_us);
/* The duration published: the block's, capped; at least one second. */
int64_t	 fleet_alert_duration(const struct fleet_pub *, int64_t max_us);
/* The body of POST /v1/watchers/login.  malloc'd or NULL. */
char	*fleet_login_json(const char *machine_id, const char *password);
/* The token of a login answer: 0, or -1 (malformed, too long). */
int	 fleet_login_token(const char *body, size_t len, char *tok,
	    size_t toklen);
/* The alert id of a POST /v1/alerts answer (["12"]): 0 or -1. */
int	 fleet_alert_id(const char *body, size_t len, int64_t *id);
/* The decision id in a GET /v1/alerts/ID answer: 0 or -1. */
int	 fleet_alert_decision_id(const char *body, size_t len, int64_t *id);

/* ------------------------------------------------------------ stream.c */

/* Why a decision of the stream was not applied.  Names: fleet_refusal_name */
enum fleet_refusal {
	FLEET_REF_MALFORMED = 0,	/* not a decision, bad value */
	FLEET_REF_SCOPE,		/* neither Ip nor Range */
	FLEET_REF_TYPE,			/* not ban */
	FLEET_REF_LOOPBACK,
	FLEET_REF_LINKLOCAL,
	FLEET_REF_MULTICAST,		/* and other non-unicast */
	FLEET_REF_LOCAL,		/* this host's or the LAPI's address */
	FLEET_REF_ALLOW,		/* overlaps [allow] */
	FLEET_REF_V4RANGE,		/* the IPv4 sets hold hosts */
	FLEET_REF_V6SHORT,		/* an IPv6 range shorter than /48 */
	FLEET_REF_DURATION,		/* absurd or unreadable */
	FLEET_REF_OVERSIZE,		/* past the size or count bound */
	FLEET_REF_BREAKER,		/* more than max_new_blocks */
	FLEET_REF_MAX
};
const char	*fleet_refusal_name(enum fleet_refusal);

/* One decision as the stream gives it, validated. */
struct fleet_decision {
	int64_t		 id;
	struct key	 key;
	int64_t		 remaining_us;	/* > 0 for a new decision */
	bool		 deleted;
	char		 scenario[FLEET_TEXT_MAX];
	char		 origin[FLEET_TEXT_MAX];
};

/* What became of a decision handed to the daemon. */
enum fleet_apply {
	FLEET_APPLIED = 0,	/* a block started, refreshed or lifted */
	FLEET_IGNORED,		/* held under another rule, or nothing to lift */
	FLEET_REFUSED_BREAKER,	/* over max_new_blocks */
};

/* What the parser needs from the daemon. */
struct fleet_filter {
	const struct netset *allow;	/* [allow] addresses and networks */
	const struct netset *local;	/* this host's and the LAPI's */
	int		 ipv6_prefix;	/* a bare IPv6 Ip value stands for it */
	/* Whether the decision id is one this gateway published; NULL: no */
	bool		(*own)(int64_t id, void *arg);
	void		*arg;
};

struct fleet_stream_stats {
	uint64_t	 new_ok;	/* new decisions handed on */
	uint64_t	 deleted_ok;	/* deleted decisions handed on */
	uint64_t	 own;		/* ignored: published here */
	uint64_t	 refused[FLEET_REF_MAX];
	uint64_t	 bad_responses;	/* not JSON, wrong shape, too big */
};

/*
 * Parses one response of GET /v1/decisions/stream (untrusted): "new" and
 * "deleted" may be null or absent; every value is validated.  Calls fn for
 * each accepted decision (deleted first, then new, so that a decision
 * replaced within one response ends applied).  Counts into st (added).
 * Returns 0, or -1 for a response refused whole (bad JSON, over-size).
 * Pure: no clock, no allocation kept.
 */
int	 fleet_stream_parse(const char *body, size_t len,
	    const struct fleet_filter *, void (*fn)(const struct fleet_decision *,
	    void *), void *arg, struct fleet_stream_stats *st);
/* A Go duration ("3h59m58.123s", "-1.5s", "1h"): 0 or -1. */
int	 fleet_go_duration(const char *, int64_t *us);
/* Whether a key may come from the fleet: FLEET_REF_MAX when it may. */
enum fleet_refusal fleet_key_check(const struct key *,
	    const struct fleet_filter *);

/*
 * The fleet breaker: at most max_new_blocks new blocks from the stream per
 * window (its own, separate from the local breaker).  Pure: now passed in.
 */
struct fleet_breaker {
	struct rate	 rate;
	int64_t		 win_start_us;
	uint32_t	 n;
	uint64_t	 trips;
};
void	 fleet_breaker_init(struct fleet_breaker *, const struct rate *);
/* true: one more block may start now (and is counted). */
bool	 fleet_breaker_take(struct fleet_breaker *, int64_t now_us);

/* ------------------------------------------------------------- queue.c */

enum fleet_op {
	FLEET_PUBLISH = 0,	/* POST an alert, then read its decision id */
	FLEET_UNPUBLISH,	/* DELETE /v1/decisions/{id} */
};

/* A pending publication: what the state store persists. */
struct fleet_job {
	enum fleet_op	 op;
	struct fleet_pub pub;		/* PUBLISH; pub.key also for UNPUBLISH */
	int64_t		 decision_id;	/* UNPUBLISH */
	uint32_t	 attempts;
	int64_t		 next_us;	/* monotonic: not before */
	char		 error[128];	/* the last attempt's, "" none */
};

/*
 * Invariant: jobs are in arrival order; at most one job per key and op;
 * a PUBLISH and an UNPUBLISH of the same key cancel out while neither has
 * started.  The ids map key -> decision id of what was published.
 */
struct fleet_queue;
struct fleet_queue *fleet_queue_new(size_t cap, size_t ids_cap);
void	 fleet_queue_free(struct fleet_queue *);
/* 0, or -1 when full (counted in dropped). */
int	 fleet_queue_publish(struct fleet_queue *, const struct fleet_pub *,
	    int64_t now_us);
/* An unblock: the publication cancelled if still queued, else the
 * decision deleted if its id is known.  0, 1 nothing to do, -1 full. */
int	 fleet_queue_unpublish(struct fleet_queue *, const struct key *,
	    int64_t now_us);
/* The first job due at now, NULL none.  The job stays queued. */
struct fleet_job *fleet_queue_next(struct fleet_queue *, int64_t now_us);
/* The job (a copy of fleet_queue_next's) succeeded: decision_id read
 * back for a PUBLISH, else 0. */
void	 fleet_queue_done(struct fleet_queue *, const struct fleet_job *,
	    int64_t decision_id, int64_t now_us);
/* The job failed: retried after a backoff of 1 s doubling to 5 min. */
void	 fleet_queue_failed(struct fleet_queue *, const struct fleet_job *,
	    const char *error, int64_t now_us);
size_t	 fleet_queue_count(const struct fleet_queue *);
const struct fleet_job *fleet_queue_at(const struct fleet_queue *, size_t);
uint64_t fleet_queue_dropped(const struct fleet_queue *);
/* Decision ids of what this gateway published (restored from the store
 * with fleet_ids_put). */
int	 fleet_ids_put(struct fleet_queue *, const struct key *, int64_t id);
int64_t	 fleet_ids_get(const struct fleet_queue *, const struct key *);
bool	 fleet_ids_own(const struct fleet_queue *, int64_t id);
size_t	 fleet_ids_count(const struct fleet_queue *);

/* ------------------------------------------------------------- local.c */
/* Adds this host's addresses (every interface's) to ns: the filter's
 * local set.  0, or -1 with err. */
int	 fleet_local_addrs(struct netset *ns, char *err, size_t errlen);
/* Adds the addresses the LAPI's URL resolves to (blocking: at start and
 * on SIGHUP only).  0, or -1 with err. */
int	 fleet_lapi_addrs(const char *url, struct netset *ns, char *err,
	    size_t errlen);

/* ------------------------------------------------------------ secret.c */
/*
 * Reads a secret file (mode 0600 or stricter, a regular file): the
 * password of cscli's YAML or the first line.  login (may be NULL) gets
 * the YAML's login, "" none.  0, or -1 with err naming the file only.
 */
int	 fleet_secret_read(const char *path, char *secret, size_t len,
	    char *login, size_t loginlen, char *err, size_t errlen);

/* -------------------------------------------------------------- lapi.c */

struct fleet_conf {
	char		 lapi_url[512];	/* no trailing '/' */
	char		 ca_file[4096];	/* "" none */
	char		 machine_id[128];
	char		 password[FLEET_SECRET_MAX];	/* "" no publishing */
	char		 bouncer_key[FLEET_SECRET_MAX];	/* "" no pulling */
	int64_t		 pull_interval_us;
	int64_t		 max_duration_us;
	int64_t		 timeout_us;	/* of one request */
};

/* How lapi.c reaches the event loop and the daemon. */
struct fleet_env {
	int	(*fd_add)(int fd, short events, void (*cb)(int, short, void *),
		    void *arg);
	void	(*fd_del)(int fd);
	void	(*fd_events)(int fd, short events);
	int64_t	(*mono_us)(void);
	int64_t	(*wall_us)(void);
	/* A decision accepted from the stream (new or deleted): the daemon
	 * applies it through its block path, the fleet breaker
	 * (fleet_breaker_take) for a new block included. */
	enum fleet_apply (*decision)(const struct fleet_decision *, void *arg);
	/* A publication's decision id, read back (for the store). */
	void	(*published)(const struct key *, int64_t id, void *arg);
	void	*arg;
	struct fleet_filter filter;	/* own: set by fleet_open */
};

struct fleet_status {
	bool		 ok;		/* the last request succeeded */
	int64_t		 last_push_us;	/* wall, 0 never */
	int64_t		 last_pull_us;
	size_t		 queued;
	uint64_t	 published, unpublished, dropped;
	uint64_t	 pulls, logins;
	uint64_t	 applied;	/* decisions of the stream applied */
	char		 error[256];	/* the last error, "" none */
	struct fleet_stream_stats stream;
};

struct fleet;
/* NULL with err.  Installs a timerfd into the loop through env. */
struct fleet	*fleet_open(const struct fleet_conf *, const struct fleet_env *,
		    char *err, size_t errlen);
void		 fleet_close(struct fleet *);
/* New secrets or settings (SIGHUP): the token is dropped. */
void		 fleet_reconf(struct fleet *, const struct fleet_conf *);
/* A new filter (SIGHUP: [allow] and the local addresses); own stays. */
void		 fleet_filter_set(struct fleet *, const struct fleet_filter *);
/* Queues a publication / its withdrawal; never blocks. 0 or -1 full. */
int		 fleet_publish(struct fleet *, const struct fleet_pub *);
int		 fleet_unpublish(struct fleet *, const struct key *);
/* Periodic (from the loop, e.g. every 100 ms): starts due work. */
void		 fleet_tick(struct fleet *);
/* Pull now (startup=true on the first pull). */
void		 fleet_pull_now(struct fleet *);
void		 fleet_status(const struct fleet *, struct fleet_status *);
struct fleet_queue *fleet_queue(struct fleet *);
/* Whether no request runs and nothing is queued (for tests). */
bool		 fleet_idle(const struct fleet *);

/* ------------------------------------------------------------ report.c */
#include <stdio.h>
#include <jansson.h>

/* The `fleet` object of status --json; q (may be NULL) lists what is
 * pending.  A new reference, or NULL. */
json_t	*fleet_status_json(const struct fleet_status *,
	    const struct fleet_queue *q);
/* The fleet's lines of the metrics file. */
void	 fleet_metrics(FILE *, const struct fleet_status *);

#endif /* NFLOGMON_FLEET_H */
