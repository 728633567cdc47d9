/*
 * act_fleet.c: the fleet client (fleet/) plugged into the daemon
 * (DESIGN.md "Fleet"; the glue fleet/fleet.h lists).  The act path hands
 * each block verdict of an address or IPv6 prefix to the publication
 * queue and each end of such a block to its withdrawal; a decision of the
 * stream becomes a block with rule fleet through the same act path; the
 * store keeps the ids of what was published and the pending publications,
 * so that a restart neither re-applies this gateway's own decisions nor
 * loses what the LAPI has not received yet.  Everything here runs from
 * the loop; nothing on the capture or policy path waits on the network.
 */
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "fleet.h"

#define FLEET_TICK_US		(100 * 1000)
#define FLEET_SAVE_TICKS	10	/* pending publications saved, 1 s */

/*
 * Invariants: breaker counts the stream's new blocks; local holds this
 * host's and the LAPI's addresses for the filter while the fleet is
 * open; saved_sig is what the store's fleet_jobs were last written
 * from (a change of it rewrites them).
 */
static struct {
	struct fleet_breaker	 breaker;
	struct netset		*local;
	uint64_t		 calls;		/* publish/unpublish handed */
	uint64_t		 saved_sig;
	unsigned		 ticks;
	bool			 timer;
} fl;

static void
fleetd_conf(const struct conf *c, struct fleet_conf *fc)
{
	memset(fc, 0, sizeof(*fc));
	snprintf(fc->lapi_url, sizeof(fc->lapi_url), "%s", c->fleet_lapi_url);
	snprintf(fc->ca_file, sizeof(fc->ca_file), "%s", c->fleet_ca_file);
	snprintf(fc->machine_id, sizeof(fc->machine_id), "%s",
	    c->fleet_machine_id);
	memcpy(fc->password, c->fleet_password, sizeof(fc->password));
	memcpy(fc->bouncer_key, c->fleet_bouncer_key,
	    sizeof(fc->bouncer_key));
	fc->pull_interval_us = c->fleet_pull_interval_us;
	fc->max_duration_us = c->fleet_max_duration_us;
}

/* this host's and the LAPI's addresses, anew (blocking: start, SIGHUP) */
static struct netset *
fleetd_local(const struct conf *c)
{
	struct netset *ns;
	char err[256];

	if ((ns = netset_new()) == NULL)
		return NULL;
	if (fleet_local_addrs(ns, err, sizeof(err)) == -1 ||
	    fleet_lapi_addrs(c->fleet_lapi_url, ns, err, sizeof(err)) == -1)
		log_warnx("fleet: %s", err);
	return ns;
}

static void
fleetd_filter(const struct conf *c, struct fleet_filter *flt)
{
	memset(flt, 0, sizeof(*flt));
	flt->allow = c->allow_src;
	flt->local = fl.local;
	flt->ipv6_prefix = c->ipv6_prefix;
}

/* ------------------------------------------------------ the stream */

/* A decision of the stream, through the one block path. */
static enum fleet_apply
fleetd_decision(const struct fleet_decision *fd, void *arg)
{
	struct daemon *d = arg;
	struct block *held = blocks_find(d->blocks, &fd->key), b;
	char err[256];

	if (fd->deleted) {
		if (held == NULL || held->rule != RULE_FLEET)
			return FLEET_IGNORED;
		return act_unblock(d, &fd->key, "deleted by the fleet", err,
		    sizeof(err)) == 0 ? FLEET_APPLIED : FLEET_IGNORED;
	}
	if (held != NULL && held->rule != RULE_FLEET)
		return FLEET_IGNORED;
	if (held == NULL && !fleet_breaker_take(&fl.breaker,
	    clock_mono_us()))
		return FLEET_REFUSED_BREAKER;
	memset(&b, 0, sizeof(b));
	b.key = fd->key;
	b.rule = RULE_FLEET;
	b.action = d->conf->dry_run ? ACT_DRY_RUN : ACT_BLOCK;
	b.since_us = clock_wall_us();
	b.expires_us = clock_add_sat(b.since_us, fd->remaining_us);
	snprintf(b.reason, sizeof(b.reason), "%.60s from %.60s", fd->scenario,
	    fd->origin);
	return act_block(d, &b, fd->remaining_us, err, sizeof(err)) == 0 ?
	    FLEET_APPLIED : FLEET_IGNORED;
}

static void
fleetd_published(const struct key *k, int64_t id, void *arg)
{
	struct daemon *d = arg;

	if (store_fleet_id(d->store, k, id) == -1)
		log_warnx("state: a fleet decision id was not saved");
}

/* ------------------------------------------------------ the act path */

/* After a block started: a verdict's block of an address or prefix. */
void
act_fleet_block(struct daemon *d, const struct block *b, int64_t timeout_us)
{
	struct fleet_pub p;
	char src[KEY_STRLEN];

	if (d->fleet == NULL || b->action != ACT_BLOCK ||
	    !RULE_COUNTED(b->rule) || b->key.client ||
	    (b->key.kind != KEY_V4 && b->key.kind != KEY_V6))
		return;
	p = fleet_pub_make(&b->key, rule_name(b->rule), b->since_us,
	    timeout_us);
	fl.calls++;
	if (fleet_publish(d->fleet, &p) == -1)
		log_warnx("fleet: queue full, %s not published",
		    key_format(&b->key, src, sizeof(src)));
}

/* After a block ended: its publication withdrawn (a fleet block is the
 * fleet's: its end is local). */
void
act_fleet_unblock(struct daemon *d, const struct block *b)
{
	if (d->fleet == NULL || b->rule == RULE_FLEET || b->key.client ||
	    (b->key.kind != KEY_V4 && b->key.kind != KEY_V6))
		return;
	fl.calls++;
	/* the id now lives in the pending withdrawal (saved with it) */
	if (fleet_ids_get(fleet_queue(d->fleet), &b->key) != 0)
		(void)store_fleet_id(d->store, &b->key, 0);
	if (fleet_unpublish(d->fleet, &b->key) == -1)
		log_warnx("fleet: queue full, a withdrawal is not sent");
}

/* ------------------------------------------------------ the store */

/* The pending publications to the store when they changed. */
static void
fleetd_save(struct daemon *d, bool force)
{
	const struct fleet_queue *q;
	const struct fleet_job *j;
	struct fleet_status st;
	struct state_fleet *rows;
	uint64_t sig;
	size_t i, n;

	if (d->fleet == NULL || d->store == NULL)
		return;
	fleet_status(d->fleet, &st);
	sig = fl.calls * 1000003u + st.published * 10007u + st.unpublished *
	    101u + st.dropped + st.queued * 7u;
	if (!force && sig == fl.saved_sig)
		return;
	q = fleet_queue(d->fleet);
	n = fleet_queue_count(q);
	if ((rows = calloc(n > 0 ? n : 1, sizeof(*rows))) == NULL)
		return;
	for (i = 0; i < n; i++) {
		j = fleet_queue_at(q, i);
		rows[i].key = j->pub.key;
		rows[i].job = true;
		rows[i].unpublish = j->op == FLEET_UNPUBLISH;
		snprintf(rows[i].rule, sizeof(rows[i].rule), "%s",
		    j->pub.rule);
		rows[i].since_us = j->pub.since_us;
		rows[i].duration_us = j->pub.duration_us > 0 ?
		    j->pub.duration_us : 1;
		rows[i].decision_id = j->decision_id;
	}
	if (store_fleet_jobs(d->store, rows, n) == 0)
		fl.saved_sig = sig;
	else
		log_warnx("state: the fleet's pending publications were not "
		    "saved");
	free(rows);
}

/* The rows of the store back in the queue: ids first, then the jobs in
 * their order (an unpublish carries its id). */
static void
fleetd_restore(struct daemon *d, const struct state_fleet *rows, size_t n)
{
	struct fleet_queue *q = fleet_queue(d->fleet);
	struct fleet_pub p;
	int64_t now = clock_mono_us();
	size_t i, ids = 0, jobs = 0;

	for (i = 0; i < n; i++)
		if (!rows[i].job && fleet_ids_put(q, &rows[i].key,
		    rows[i].decision_id) == 0)
			ids++;
	for (i = 0; i < n; i++) {
		if (!rows[i].job)
			continue;
		if (rows[i].unpublish) {
			if (fleet_ids_put(q, &rows[i].key,
			    rows[i].decision_id) == 0 &&
			    fleet_queue_unpublish(q, &rows[i].key, now) == 0)
				jobs++;
			continue;
		}
		p = fleet_pub_make(&rows[i].key, rows[i].rule,
		    rows[i].since_us, rows[i].duration_us);
		if (fleet_queue_publish(q, &p, now) == 0)
			jobs++;
	}
	if (ids + jobs > 0)
		log_info("fleet: %zu decision ids and %zu pending publications "
		    "restored", ids, jobs);
}

/* ------------------------------------------------------ start, stop */

static void
fleetd_tick(struct daemon *d, int64_t now_mono_us)
{
	(void)now_mono_us;
	if (d->fleet == NULL)
		return;
	fleet_tick(d->fleet);
	if (++fl.ticks % FLEET_SAVE_TICKS == 0)
		fleetd_save(d, false);
}

static int
fleetd_start(struct daemon *d, char *err, size_t errlen)
{
	struct fleet_conf fc;
	struct fleet_env env;

	if ((fl.local = fleetd_local(d->conf)) == NULL) {
		snprintf(err, errlen, "fleet: out of memory");
		return -1;
	}
	fleet_breaker_init(&fl.breaker, &d->conf->fleet_max_new_blocks);
	fleetd_conf(d->conf, &fc);
	memset(&env, 0, sizeof(env));
	env.fd_add = loop_add;
	env.fd_del = loop_del;
	env.fd_events = loop_set_events;
	env.mono_us = clock_mono_us;
	env.wall_us = clock_wall_us;
	env.decision = fleetd_decision;
	env.published = fleetd_published;
	env.arg = d;
	fleetd_filter(d->conf, &env.filter);
	d->fleet = fleet_open(&fc, &env, err, errlen);
	explicit_bzero(&fc, sizeof(fc));
	if (d->fleet == NULL) {
		netset_free(fl.local);
		fl.local = NULL;
		return -1;
	}
	log_info("fleet: %s (%s%s)", d->conf->fleet_lapi_url,
	    d->conf->fleet_password[0] != '\0' ? "publishing" : "",
	    d->conf->fleet_bouncer_key[0] == '\0' ? "" :
	    d->conf->fleet_password[0] != '\0' ? ", pulling" : "pulling");
	return 0;
}

/* At start, after the state is restored: rows are the store's. */
int
act_fleet_open(struct daemon *d, const struct state_fleet *rows, size_t n)
{
	char err[512];

	if (!fl.timer) {
		if (loop_every(FLEET_TICK_US, fleetd_tick) == -1) {
			log_warnx("no timer slot");
			return -1;
		}
		fl.timer = true;
	}
	if (d->conf->fleet_lapi_url[0] == '\0')
		return 0;
	if (fleetd_start(d, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		return -1;
	}
	fleetd_restore(d, rows, n);
	fleetd_save(d, true);
	return 0;
}

/* SIGHUP, with the new config in d->conf: on, off, or new settings. */
void
act_fleet_reconf(struct daemon *d)
{
	struct fleet_filter flt;
	struct fleet_conf fc;
	struct netset *old;
	char err[512];

	if (d->conf->fleet_lapi_url[0] == '\0') {
		if (d->fleet != NULL)
			log_info("fleet: off");
		act_fleet_close(d);
		return;
	}
	if (d->fleet == NULL) {
		if (fleetd_start(d, err, sizeof(err)) == -1)
			log_warnx("%s", err);
		return;
	}
	old = fl.local;
	if ((fl.local = fleetd_local(d->conf)) == NULL)
		fl.local = old;
	else
		netset_free(old);
	fleetd_filter(d->conf, &flt);
	fleet_filter_set(d->fleet, &flt);
	fleet_breaker_init(&fl.breaker, &d->conf->fleet_max_new_blocks);
	fleetd_conf(d->conf, &fc);
	fleet_reconf(d->fleet, &fc);
	explicit_bzero(&fc, sizeof(fc));
}

/* At exit: what is pending goes to the store for the next start. */
void
act_fleet_close(struct daemon *d)
{
	if (d->fleet == NULL)
		return;
	fleetd_save(d, true);
	fleet_close(d->fleet);
	d->fleet = NULL;
	netset_free(fl.local);
	fl.local = NULL;
}
