/*
 * act.c: the one act path.  Every block that starts or ends, whether from
 * a verdict, the control socket, the state at start (restore, adoption),
 * an expiry or a resync (the sets found gone or short and refilled,
 * resync.c), goes through here, and this is the only file that calls
 * the backend's verbs, so the kernel set, the block records, the store,
 * the hook and the log always tell the same story.
 *
 * The verdict path: an input -> inputs.c -> engine_feed_batch ->
 * act_verdict -> act_start_block -> backend, blocks_put, store, hook, one
 * log line.
 *
 * Every backend is called in line (ipset: a few microseconds an add; nft:
 * one libnftnl batch, about as fast), and capture waits on the disk for
 * one small transaction per block at most (store.c).  Never call ops->
 * anywhere else.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"

/* The ipset kernel limit on a timeout: 2,147,483 s.  A longer (or
 * permanent) block is added without a kernel timeout and the daemon
 * removes it when it ends. */
#define KERNEL_TIMEOUT_MAX_US	(2147483LL * US_PER_S)

/* ------------------------------------------------------ formatting */

/* "2026-11-23 21:33:22" local time, or "never". */
static char *
fmt_wall(int64_t wall_us, char *buf, size_t len)
{
	time_t t;
	struct tm tm;

	if (wall_us == DURATION_PERMANENT) {
		snprintf(buf, len, "never");
		return buf;
	}
	t = (time_t)(wall_us / US_PER_S);
	if (localtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)t);
	return buf;
}

/* "block", "throttle 5/1m", "dry run (nothing blocked)" */
static char *
fmt_action(const struct block *b, char *buf, size_t len)
{
	char rate[32];

	switch (b->action) {
	case ACT_THROTTLE:
		snprintf(buf, len, "throttle %s",
		    fmt_rate(&b->throttle_rate, rate, sizeof(rate)));
		break;
	case ACT_DRY_RUN:
		snprintf(buf, len, "dry run (nothing blocked)");
		break;
	default:
		snprintf(buf, len, "block");
		break;
	}
	return buf;
}

static int64_t
kernel_timeout_us(int64_t timeout_us)
{
	if (timeout_us == DURATION_PERMANENT ||
	    timeout_us > KERNEL_TIMEOUT_MAX_US)
		return DURATION_PERMANENT;
	return timeout_us;
}

/* status shows "ok" for the last operation, so a failure that the next
 * operation does not repeat (a set briefly full, a transient netlink
 * error) does not leave the backend reported broken forever. */
void
daemon_backend_result(struct daemon *d, const char *err)
{
	if (err == NULL) {
		d->backend_ok = true;
		d->backend_error[0] = '\0';
		return;
	}
	d->backend_ok = false;
	d->backend_errors++;
	snprintf(d->backend_error, sizeof(d->backend_error), "%s", err);
}

static const char *
act_backend_name(const struct daemon *d)
{
	return d->backend.ops != NULL ? d->backend.ops->name : "down";
}

/* One line carrying every fact of a block that starts. */
static void
block_log(struct daemon *d, const struct block *b, int64_t timeout_us,
    const struct verdict *v)
{
	char src[KEY_STRLEN], act[64], tmo[32], until[32], dst[48] = "";
	char unenf[64] = "";

	key_format(&b->key, src, sizeof(src));
	if (!b->enforced && b->action != ACT_DRY_RUN)
		snprintf(unenf, sizeof(unenf), ", not enforced (backend %s)",
		    act_backend_name(d));
	if (v != NULL)
		snprintf(dst, sizeof(dst), ", %" PRIu32 " destinations",
		    v->destinations);
	log_info("%s %s: rule %s, %" PRIu32 " connections%s, strike %d, "
	    "timeout %s, until %s%s%s%s", fmt_action(b, act, sizeof(act)), src,
	    rule_name(b->rule), b->connections, dst, b->strikes,
	    fmt_duration(timeout_us, tmo, sizeof(tmo)),
	    fmt_wall(b->expires_us, until, sizeof(until)),
	    unenf, b->reason[0] ? ", reason: " : "", b->reason);
}

static void
trace_in_set(const char *src, int64_t at_us, int64_t event_us)
{
	/* make bench measures block latency from this line: the add
	 * returned, so the element is in the set. */
	log_debug("trace: %s in the set at %" PRId64 " us, its event read at %"
	    PRId64 " us (monotonic)", src, at_us, event_us);
}

/* Puts rec in the kernel set (rec->enforced set): 0, or -1 with err. */
static int
act_backend_block(struct daemon *d, struct block *rec, int64_t timeout_us,
    int64_t event_us, char *err, size_t errlen)
{
	const struct backend_ops *ops = d->backend.ops;
	char src[KEY_STRLEN];

	if (ops->block(&d->backend, &rec->key, kernel_timeout_us(timeout_us),
	    rec->action == ACT_THROTTLE ? RESP_THROTTLE : RESP_BLOCK,
	    &rec->throttle_rate, err, errlen) == -1)
		return -1;
	rec->enforced = true;
	if (event_us != 0)
		trace_in_set(key_format(&rec->key, src, sizeof(src)),
		    clock_mono_us(), event_us);
	return 0;
}

/* ------------------------------------------------------ starting, ending */

/* The record and its strike in one transaction: durable before the act
 * returns (DESIGN.md "State store"). */
static void
act_store(struct daemon *d, const struct block *rec, const struct verdict *v)
{
	char src[KEY_STRLEN];

	store_begin(d->store);
	store_block_put(d->store, rec, engine_attempts(d->engine, &rec->key));
	if (v != NULL)
		store_strike_add(d->store, &rec->key,
		    daemon_mono_to_wall(d, v->at_us));
	if (store_commit(d->store) == -1) {
		log_warnx("state: the block of %s was not saved; it is written "
		    "once the store takes writes again", key_format(&rec->key,
		    src, sizeof(src)));
		act_behind_note(d, &rec->key, v != NULL ?
		    daemon_mono_to_wall(d, v->at_us) : 0);
		return;
	}
	/* make bench measures "durable and in the set" from this line. */
	if (v != NULL && d->store != NULL)
		log_debug("trace: %s durable at %" PRId64 " us, its event read "
		    "at %" PRId64 " us (monotonic)", key_format(&rec->key, src,
		    sizeof(src)), clock_mono_us(), v->at_us);
}

/*
 * Starts or refreshes a block.  v: the verdict behind it (NULL for a
 * manual block, which also puts the source under the engine's judgement;
 * a verdict's source is already judged by the engine).  A backend failure
 * fails a manual block outright; a verdict's block is still recorded,
 * unenforced, so status shows what was decided.
 */
static int
act_start_block(struct daemon *d, const struct block *b, int64_t timeout_us,
    const struct verdict *v, char *err, size_t errlen)
{
	const struct backend_ops *ops = d->backend.ops;
	struct block rec = *b;
	char src[KEY_STRLEN];
	int64_t now_mono, until_mono;
	int rc = 0;

	key_format(&rec.key, src, sizeof(src));
	rec.enforced = false;
	if (rec.action != ACT_DRY_RUN && ops != NULL &&
	    ops->enforces(&d->backend, &rec.key)) {
		/* traced (make bench): a verdict from its event, a fleet
		 * decision from its application */
		if (act_backend_block(d, &rec, timeout_us, v != NULL ?
		    v->at_us : rec.rule == RULE_FLEET ? clock_mono_us() : 0,
		    err, errlen) == -1) {
			daemon_backend_result(d, err);
			log_warnx("cannot block %s: %s", src, err);
			if (v == NULL)
				return -1;
			rc = -1;
		} else
			daemon_backend_result(d, NULL);
	}
	/* a fleet block is no judgement: a local verdict replaces it; an
	 * account's client is never counted */
	if (v == NULL && rec.rule != RULE_FLEET && !rec.key.client) {
		now_mono = clock_mono_us();
		until_mono = rec.expires_us == DURATION_PERMANENT ?
		    DURATION_PERMANENT :
		    now_mono + (rec.expires_us - clock_wall_us());
		if (engine_judge(d->engine, &rec.key, until_mono,
		    engine_attempts(d->engine, &rec.key)) == -1)
			log_warnx("%s: source table full, the block is not "
			    "counted by the engine", src);
	}
	rec.attempts_saved = engine_attempts(d->engine, &rec.key);
	if (blocks_put(d->blocks, &rec) == -1) {
		snprintf(err, errlen, "out of memory recording the block of "
		    "%s", src);
		log_warnx("%s", err);
		return -1;
	}
	act_store(d, &rec, v);
	/* an account's clients: its hook has them all */
	if (rec.action != ACT_DRY_RUN && !rec.key.client)
		hook_run(d, rec.action == ACT_THROTTLE ? "throttle" : "block",
		    &rec, timeout_us, v);
	block_log(d, &rec, timeout_us, v);
	if (v != NULL)
		act_fleet_block(d, &rec, timeout_us);
	if (rec.rule < RULE_MAX && !rec.key.client)
		d->blocks_by_rule[rec.rule]++;
	if (v != NULL)
		act_clients_block(d, &rec, timeout_us, v);
	return rc;
}

int
act_block(struct daemon *d, const struct block *b, int64_t timeout_us,
    char *err, size_t errlen)
{
	return act_start_block(d, b, timeout_us, NULL, err, errlen);
}

/*
 * Ends a block.  A backend failure keeps the record (the kernel still
 * blocks) and fails, unless force (expiry: the kernel's own timeout, if
 * any, clears the entry; the record must not outlive its expiry).
 */
static int
act_end_block(struct daemon *d, const struct key *k, const char *why,
    bool force, char *err, size_t errlen)
{
	struct block *b, rec;
	char src[KEY_STRLEN], since[32];
	int64_t timeout_us;
	uint32_t attempts;

	key_format(k, src, sizeof(src));
	if ((b = blocks_find(d->blocks, k)) == NULL) {
		snprintf(err, errlen, "%s is not blocked", src);
		return -1;
	}
	rec = *b;
	if (rec.enforced && d->backend.ops != NULL) {
		if (d->backend.ops->unblock(&d->backend, k, err,
		    errlen) == -1) {
			daemon_backend_result(d, err);
			if (!force) {
				log_warnx("cannot unblock %s: %s", src, err);
				return -1;
			}
			log_warnx("block of %s expired but the kernel refused "
			    "to remove it: %s", src, err);
		} else
			daemon_backend_result(d, NULL);
	}
	attempts = engine_attempts(d->engine, k);
	engine_release(d->engine, k);
	blocks_remove(d->blocks, k);
	act_fleet_unblock(d, &rec);
	if (store_block_delete(d->store, k) == -1) {
		log_warnx("state: the end of the block of %s was not saved; "
		    "it is written once the store takes writes again", src);
		act_behind_note(d, k, 0);
	}
	timeout_us = rec.expires_us == DURATION_PERMANENT ?
	    DURATION_PERMANENT : rec.expires_us - rec.since_us;
	if (rec.action != ACT_DRY_RUN && !rec.key.client)
		hook_run(d, "unblock", &rec, timeout_us, NULL);
	log_info("unblock %s: %s (rule %s, %" PRIu32 " connections, %"
	    PRIu32 " attempts while blocked, since %s)", src, why,
	    rule_name(rec.rule), rec.connections, attempts,
	    fmt_wall(rec.since_us, since, sizeof(since)));
	/* by hand: its clients too (at expiry theirs end with it) */
	if (!force)
		act_clients_unblock(d, k, why);
	return 0;
}

int
act_unblock(struct daemon *d, const struct key *k, const char *why,
    char *err, size_t errlen)
{
	return act_end_block(d, k, why, false, err, errlen);
}

/* Every 200 ms: ends the blocks whose time is up, so the kernel set and
 * status agree within a second.  The earliest first (blocks_due). */
void
act_expire(struct daemon *d, int64_t now_mono_us)
{
	int64_t now = clock_wall_us();
	char err[256];
	struct key k;

	(void)now_mono_us;
	while (blocks_due(d->blocks, now, &k) == 1)
		if (act_end_block(d, &k, "expired", true, err,
		    sizeof(err)) == -1)
			break;
}

void
act_verdict(struct daemon *d, const struct verdict *v)
{
	char src[KEY_STRLEN], err[256];
	struct block b;

	switch (v->action) {
	case ACT_BLOCK:
	case ACT_THROTTLE:
	case ACT_DRY_RUN:
		memset(&b, 0, sizeof(b));
		b.key = v->key;
		b.rule = v->rule;
		b.action = v->action;
		b.connections = v->connections;
		b.destinations = v->destinations;
		b.since_us = daemon_mono_to_wall(d, v->at_us);
		b.expires_us = clock_add_sat(b.since_us, v->timeout_us);
		b.strikes = v->strike;
		b.throttle_rate = v->throttle_rate;
		(void)act_start_block(d, &b, v->timeout_us, v, err,
		    sizeof(err));
		break;
	case ACT_ALLOWED:
		log_info("allowed %s: rule %s, %" PRIu32 " connections, %"
		    PRIu32 " destinations (allowlisted, not blocked)",
		    key_format(&v->key, src, sizeof(src)), rule_name(v->rule),
		    v->connections, v->destinations);
		break;
	case ACT_BREAKER:
		d->breaker_trips++;
		log_warnx("breaker %s: rule %s, %" PRIu32 " connections, %"
		    PRIu32 " destinations; not blocked: max_new_blocks "
		    "reached", key_format(&v->key, src, sizeof(src)),
		    rule_name(v->rule), v->connections, v->destinations);
		break;
	}
}

/* ------------------------------------------------------ restore, list */

/* Blocks put back a batch at a time (backend_ops.block_many's unit). */
#define ACT_PUT_BATCH		512

/* The batch bs[0..n) into the kernel; each one's enforced follows its
 * result, a change is stored. */
static void
act_put_batch(struct daemon *d, struct block **bs,
    const struct backend_put *bp, int *rc, size_t n, const char *what,
    size_t *restored, size_t *failed)
{
	char berr[256];
	size_t j, failed0 = *failed;
	bool was;

	(void)backend_block_many(&d->backend, bp, n, rc, berr, sizeof(berr));
	for (j = 0; j < n; j++) {
		was = bs[j]->enforced;
		bs[j]->enforced = rc[j] == 0;
		if (rc[j] == 0)
			(*restored)++;
		else
			(*failed)++;
		if (bs[j]->enforced != was)
			store_block_put(d->store, bs[j], bs[j]->attempts_saved);
	}
	if (*failed > failed0) {
		if (failed0 == 0)
			log_warnx("%s: a block could not be put back in the "
			    "kernel set: %s", what, berr);
		daemon_backend_result(d, berr);
	}
}

/*
 * Puts the live blocks back in the kernel sets with the time each has
 * left (a start after a reboot, a resync): those the backend enforces
 * (with only_enforced, those recorded as in the kernel), in batches, so a
 * backend with block_many (nft) puts many in one transaction.  Each
 * block's enforced follows the result; the first failure is logged
 * (what: whose), the counts are the caller's to report.
 */
static void
act_put_back_all(struct daemon *d, bool only_enforced, const char *what,
    size_t *restored, size_t *failed)
{
	struct block *bs[ACT_PUT_BATCH], *b;
	struct backend_put bp[ACT_PUT_BATCH];
	int rc[ACT_PUT_BATCH];
	int64_t now = clock_wall_us(), left_us;
	size_t i, n = blocks_count(d->blocks), k = 0;

	*restored = *failed = 0;
	if (d->backend.ops == NULL)
		return;
	for (i = 0; i < n; i++) {
		b = blocks_at(d->blocks, i);
		if (b->action == ACT_DRY_RUN || (only_enforced &&
		    !b->enforced) || !d->backend.ops->enforces(&d->backend,
		    &b->key))
			continue;
		if (b->expires_us != DURATION_PERMANENT &&
		    b->expires_us <= now)
			continue;	/* the expiry tick ends it */
		left_us = b->expires_us == DURATION_PERMANENT ?
		    DURATION_PERMANENT : b->expires_us - now;
		bs[k] = b;
		bp[k].key = &b->key;
		bp[k].timeout_us = kernel_timeout_us(left_us);
		bp[k].resp = b->action == ACT_THROTTLE ? RESP_THROTTLE :
		    RESP_BLOCK;
		bp[k].throttle_rate = &b->throttle_rate;
		if (++k == ACT_PUT_BATCH) {
			act_put_batch(d, bs, bp, rc, k, what, restored,
			    failed);
			k = 0;
		}
	}
	if (k > 0)
		act_put_batch(d, bs, bp, rc, k, what, restored, failed);
	if (*failed == 0)
		daemon_backend_result(d, NULL);
}

/* After a reboot (reconcile.c): every restored block recorded as in the
 * kernel goes back there. */
void
act_restore_kernel(struct daemon *d, size_t *restored, size_t *failed)
{
	act_put_back_all(d, true, "state", restored, failed);
}

/*
 * Puts one saved or adopted block back at start (reconcile.c): engine
 * judgement and record; the kernel's part after a reboot is
 * act_restore_kernel's, for all of them at once.  No hook and no log
 * line: the start logs a count.
 */
void
act_restore(struct daemon *d, struct block *b, uint32_t attempts,
    int64_t wall_to_mono_us)
{
	static size_t unjudged;
	char src[KEY_STRLEN];

	b->attempts_saved = attempts;
	/* a fleet block is no judgement, a client is never counted
	 * (act_start_block) */
	if (b->rule != RULE_FLEET && !b->key.client && engine_judge(d->engine, &b->key,
	    b->expires_us == DURATION_PERMANENT ? DURATION_PERMANENT :
	    b->expires_us + wall_to_mono_us, attempts) == -1 &&
	    unjudged++ == 0)
		log_warnx("state: source table full (max_sources), %s and "
		    "later restored blocks are not counted by the engine",
		    key_format(&b->key, src, sizeof(src)));
	if (blocks_put(d->blocks, b) == -1)
		fatalx("state: out of memory restoring %s",
		    key_format(&b->key, src, sizeof(src)));
}

/* The kernel's entries (reconcile.c). */
int
act_list(struct daemon *d, struct backend_entry **ents, size_t *n,
    char *err, size_t errlen)
{
	*ents = NULL;
	*n = 0;
	if (d->backend.ops == NULL || d->backend.ops->list == NULL)
		return 0;
	if (d->backend.ops->list(&d->backend, ents, n, err, errlen) == -1) {
		daemon_backend_result(d, err);
		return -1;
	}
	daemon_backend_result(d, NULL);
	return 0;
}

/* ------------------------------------------------------ resync */

/* The backend's sets as the kernel has them now (resync.c); *n 0 when
 * the backend cannot tell.  0, or -1 with err (also shown in status). */
int
act_count(struct daemon *d, struct backend_count *sets, size_t *n,
    char *err, size_t errlen)
{
	*n = 0;
	if (d->backend.ops == NULL || d->backend.ops->count == NULL)
		return 0;
	if (d->backend.ops->count(&d->backend, sets, n, err, errlen) == -1) {
		daemon_backend_result(d, err);
		return -1;
	}
	return 0;
}

/*
 * Sets the backend up again (its init makes what is missing, as at start,
 * with the config it was started with) and puts every live block back
 * with the time it has left, the way act_restore does; a block that was
 * not enforced (its add failed while the set was gone) is tried too.  A
 * backend that cannot be set up is down until a later call succeeds.
 * 0 with the blocks put back and those that failed; -1 with err.
 */
int
act_resync(struct daemon *d, size_t *restored, size_t *failed, char *err,
    size_t errlen)
{
	const struct backend_ops *ops;
	bool created;

	*restored = *failed = 0;
	if ((ops = d->backend.ops) == NULL)
		ops = backend_ops_for(d->backend_conf->backend);
	if (ops == NULL) {
		snprintf(err, errlen, "no backend for this configuration");
		return -1;
	}
	if (d->backend.ops != NULL)
		ops->fini(&d->backend);
	d->backend.ops = ops;
	d->backend.conf = d->backend_conf;
	d->backend.priv = NULL;
	if (ops->init(&d->backend, d->backend_conf, &created, err,
	    errlen) == -1) {
		d->backend.ops = NULL;
		daemon_backend_result(d, err);
		return -1;
	}
	store_begin(d->store);
	act_put_back_all(d, false, "resync", restored, failed);
	if (store_commit(d->store) == -1) {
		log_warnx("state: the blocks put back were not all saved; "
		    "they are written once the store takes writes again");
		act_behind_all(d);
	}
	return 0;
}

/* ------------------------------------------------------ state tick */

/*
 * Every second: the attempts of a slice of the blocks (those that changed,
 * in one transaction), so a whole pass takes about a minute at 1,000,000
 * blocks and no tick holds the loop long; after each whole pass the
 * strikes past strike_memory are forgotten.
 */
#define ACT_STATE_SLICE		20000

static void
act_state_pass(struct daemon *d, size_t max)
{
	static size_t cursor;
	size_t n = blocks_count(d->blocks), k;
	struct block *b;
	uint32_t a;

	store_begin(d->store);
	for (k = 0; k < max && k < n; k++) {
		if (cursor >= n)
			cursor = 0;
		b = blocks_at(d->blocks, cursor++);
		a = engine_attempts(d->engine, &b->key);
		if (a != b->attempts_saved) {
			store_attempts(d->store, &b->key, a);
			b->attempts_saved = a;
		}
	}
	if ((cursor >= n || max >= n) &&
	    d->conf->strike_memory_us != DURATION_PERMANENT) {
		store_strikes_prune(d->store, clock_wall_us() -
		    d->conf->strike_memory_us);
		cursor = 0;
	}
	if (store_commit(d->store) == -1)
		log_warnx("state: attempts not saved");
}

void
act_state_tick(struct daemon *d, int64_t now_mono_us)
{
	if (d->store == NULL)
		return;
	act_behind_tick(d, now_mono_us);
	act_state_pass(d, ACT_STATE_SLICE);
}

/* At a clean stop: every block's attempts. */
void
act_state_flush(struct daemon *d)
{
	if (d->store == NULL)
		return;
	act_behind_tick(d, INT64_MAX);	/* a last try, whatever the wait */
	act_state_pass(d, blocks_count(d->blocks));
}

/* ------------------------------------------------------ start, stop */

/* The backend for the config (before the state is restored). */
int
act_init(struct daemon *d)
{
	char err[512] = "";

	d->backend.ops = backend_ops_for(d->conf->backend);
	d->backend.conf = d->conf;
	d->backend.priv = NULL;
	d->backend_conf = d->conf;
	if (d->backend.ops == NULL) {
		log_warnx("no backend for this configuration");
		return -1;
	}
	if (d->backend.ops->init(&d->backend, d->conf, &d->sets_created,
	    err, sizeof(err)) == -1) {
		log_warnx("cannot start the %s backend: %s",
		    d->backend.ops->name, err);
		d->backend.ops = NULL;
		return -1;
	}
	daemon_backend_result(d, NULL);
	return 0;
}

/* The backend closed without flushing: the blocks must survive a
 * restart. */
void
act_fini(struct daemon *d)
{
	if (d->backend.ops != NULL)
		d->backend.ops->fini(&d->backend);
	d->backend.ops = NULL;
}
