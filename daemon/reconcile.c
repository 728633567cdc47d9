/*
 * reconcile.c: what survives a restart, on the daemon's side (DESIGN.md
 * "State").  At start the store's blocks are reconciled with the kernel
 * sets (listed by a thread while the store loads, joined before anything
 * else runs) and put back through the act path (act_restore: this file never
 * calls the backend), the strikes and the window counters of a clean
 * shutdown go back into the engine; at a clean stop the window counters
 * are saved.  Only the records that the reconciliation changes are
 * written, in one transaction: a start never rewrites the whole state.
 *
 * Reconciling compares the saved blocks with the kernel's entries both
 * ways, each lookup hashed (the kernel's keys in a set made here, the
 * restored blocks in blocks.c), so a start costs O(n + m).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

/* Engine (monotonic) time = wall time + this. */
static int64_t
wall_to_mono_shift(const struct daemon *d)
{
	return d->start_mono_us - d->start_wall_us;
}

static int64_t
wall_to_mono(const struct daemon *d, int64_t wall_us)
{
	if (wall_us == DURATION_PERMANENT)
		return DURATION_PERMANENT;
	return wall_us + wall_to_mono_shift(d);
}

/*
 * The kernel's keys as an open-addressing hash set (kind KEY_NONE is an
 * empty slot; at most half full), so each saved block is checked in O(1).
 */
struct keyset {
	struct key	*slots;
	size_t		 mask;
};

/*
 * A start probes a table far larger than the cache once per block, each
 * probe a miss: the slot of the key RECONCILE_AHEAD places on is fetched
 * while this one is probed (a hint; nothing is read from it).
 */
#define RECONCILE_AHEAD	8

static void
keyset_prefetch(const struct keyset *ks, const struct key *k)
{
	__builtin_prefetch(&ks->slots[key_hash_unkeyed(k) & ks->mask], 1);
}

static void
keyset_make(struct keyset *ks, const struct backend_entry *e, size_t n)
{
	size_t cap = 16, i, j;

	while (cap < 2 * n)
		cap *= 2;
	if ((ks->slots = calloc(cap, sizeof(*ks->slots))) == NULL)
		fatalx("state: out of memory reconciling %zu kernel entries",
		    n);
	ks->mask = cap - 1;
	mem_hugepages(ks->slots, cap * sizeof(*ks->slots));
	for (i = 0; i < n; i++) {
		if (i + RECONCILE_AHEAD < n)
			keyset_prefetch(ks, &e[i + RECONCILE_AHEAD].key);
		for (j = key_hash_unkeyed(&e[i].key) & ks->mask;
		    ks->slots[j].kind != KEY_NONE &&
		    !key_equal(&ks->slots[j], &e[i].key);
		    j = (j + 1) & ks->mask)
			;
		ks->slots[j] = e[i].key;
	}
}

static bool
keyset_has(const struct keyset *ks, const struct key *k)
{
	size_t j;

	if (ks->slots == NULL)
		return false;
	for (j = key_hash_unkeyed(k) & ks->mask; ks->slots[j].kind != KEY_NONE;
	    j = (j + 1) & ks->mask)
		if (key_equal(&ks->slots[j], k))
			return true;
	return false;
}

/*
 * The kernel's entries, listed by a thread of their own while the store
 * loads (the two are the bulk of a start, and independent): the backend
 * is used by nobody else until reconcile_load joins it.
 */
static struct {
	struct daemon	*d;
	bool		 wanted;	/* the sets existed: compare */
	int		 rc;
	struct backend_entry *ents;
	size_t		 n;
	char		 err[256];
	int64_t		 ms;
} listing;

static int64_t	load_ms;	/* the start's figures, for its log line */

static void *
reconcile_list_main(void *arg)
{
	int64_t t0 = clock_mono_us();

	(void)arg;
	listing.rc = act_list(listing.d, &listing.ents, &listing.n,
	    listing.err, sizeof(listing.err));
	listing.ms = (clock_mono_us() - t0) / 1000;
	return NULL;
}

/* At start, before the engine exists (it needs the saved hash key). */
void
reconcile_load(struct daemon *d, struct state *st)
{
	int64_t t0 = clock_mono_us();
	pthread_t th;
	bool threaded = false;

	memset(st, 0, sizeof(*st));
	memset(&listing, 0, sizeof(listing));
	listing.d = d;
	listing.wanted = !d->sets_created && d->conf->backend != BACKEND_NONE;
	if (listing.wanted)
		threaded = pthread_create(&th, NULL, reconcile_list_main,
		    NULL) == 0;
	if (d->conf->state_file[0] != '\0') {
		priv_prepare_state(d->conf);
		d->store = store_open(d->conf->state_file,
		    d->conf->ipv6_prefix, st);
	}
	load_ms = (clock_mono_us() - t0) / 1000;
	if (threaded)
		pthread_join(th, NULL);
	else if (listing.wanted)
		(void)reconcile_list_main(NULL);
}

/*
 * Puts the window counters of a clean shutdown back, once the blocks are
 * (a judged source is not overwritten).  The saved times are wall clock:
 * moved onto the engine's monotonic clock as the strikes' are, so the
 * downtime counts as time that passed.  They are used once.
 */
static void
restore_counts(struct daemon *d, const struct state *st)
{
	size_t i, n = 0, full = 0;
	int64_t now_us = clock_mono_us();
	int rv;

	if (st->has_hashkey)
		(void)store_counters_drop(d->store);
	if (st->ncounts == 0)
		return;
	if (memcmp(st->hashkey, d->hashkey, sizeof(d->hashkey)) != 0) {
		log_warnx("state: window counters under another hash key; "
		    "not restored");
		return;
	}
	for (i = 0; i < st->ncounts; i++) {
		if ((rv = engine_import(d->engine, &st->counts[i],
		    wall_to_mono_shift(d), now_us)) == 1)
			n++;
		else if (rv == -1)
			full++;
	}
	log_info("state: window counters restored (%zu sources; %zu no "
	    "longer counted%s)", n, st->ncounts - n - full,
	    full > 0 ? ", some with no room in the table" : "");
}

/* A kernel entry nobody saved: a manual block, reason "adopted". */
static void
adopt(struct daemon *d, const struct backend_entry *e, int64_t now_us)
{
	char src[KEY_STRLEN];
	struct block b;

	memset(&b, 0, sizeof(b));
	b.key = e->key;
	b.rule = RULE_MANUAL;
	b.action = e->throttle ? ACT_THROTTLE : ACT_BLOCK;
	b.since_us = now_us;
	b.expires_us = e->expires_in_us == DURATION_PERMANENT ?
	    DURATION_PERMANENT : now_us + e->expires_in_us;
	b.strikes = engine_strikes(d->engine, &e->key, clock_mono_us());
	b.enforced = true;
	if (e->throttle)
		b.throttle_rate = d->conf->throttle_rate;
	snprintf(b.reason, sizeof(b.reason), "adopted");
	log_info("state: adopted %s from the kernel set",
	    key_format(&b.key, src, sizeof(src)));
	act_restore(d, &b, 0, wall_to_mono_shift(d));
	store_block_put(d->store, &b, 0);
}

/*
 * Reconciles st (from reconcile_load) with the kernel sets: after a
 * reboot (sets_created) every unexpired block goes back; otherwise the
 * kernel is the truth for what it enforces: an entry removed by hand is
 * forgotten, one added by hand is adopted.  Blocks the kernel never held
 * (dry run, a uid under ipset) are restored as they were.  Strikes are
 * restored first so that adopted blocks see them, window counters last so
 * that they never touch a judged source.  Frees st.
 */
void
reconcile_run(struct daemon *d, struct state *stp, bool sets_created)
{
	struct backend_entry *ents = NULL;
	struct keyset kernel = { NULL, 0 };
	struct state st = *stp;
	struct block b;
	char src[KEY_STRLEN];
	size_t i, nents = 0, gone = 0, matched = 0, put = 0, unput = 0;
	bool in_kernel;
	int64_t now_us = clock_wall_us(), t0 = clock_mono_us();
	bool have_list = false;

	memset(stp, 0, sizeof(*stp));
	for (i = 0; i < st.nstrikes; i++)
		engine_add_strike(d->engine, &st.strikes[i].key,
		    wall_to_mono(d, st.strikes[i].at_us));

	if (!sets_created && listing.wanted) {
		if (listing.rc == -1)
			log_warnx("state: cannot list the kernel sets (%s); "
			    "keeping the saved blocks as they are", listing.err);
		else {
			have_list = true;
			ents = listing.ents;
			nents = listing.n;
			keyset_make(&kernel, ents, nents);
		}
	}
	if (blocks_reserve(d->blocks, st.nblocks) == -1)
		fatalx("state: out of memory restoring %zu blocks", st.nblocks);

	store_begin(d->store);
	for (i = 0; i < st.nblocks; i++) {
		if (have_list && i + RECONCILE_AHEAD < st.nblocks)
			keyset_prefetch(&kernel,
			    &st.blocks[i + RECONCILE_AHEAD].b.key);
		b = st.blocks[i].b;
		if (b.expires_us <= now_us) {
			store_block_delete(d->store, &b.key);
			gone++;
			continue;
		}
		in_kernel = have_list && keyset_has(&kernel, &b.key);
		matched += in_kernel;
		if (have_list && b.action != ACT_DRY_RUN &&
		    in_kernel != b.enforced) {
			if (b.enforced) {
				log_info("state: %s was removed from the "
				    "kernel set by hand; forgotten",
				    key_format(&b.key, src, sizeof(src)));
				store_block_delete(d->store, &b.key);
				continue;
			}
			/* Saved unenforced (a failed add) yet in the
			 * kernel: it is enforced. */
			b.enforced = true;
			store_block_put(d->store, &b, st.blocks[i].attempts);
		}
		act_restore(d, &b, st.blocks[i].attempts,
		    wall_to_mono_shift(d));
	}
	/* After a reboot the sets are new and empty: every block recorded
	 * as enforced goes back, in batches (a failure is recorded in its
	 * block and stored). */
	if (sets_created) {
		act_restore_kernel(d, &put, &unput);
		if (unput > 0)
			log_warnx("state: %zu of %zu blocks could not be put "
			    "back in the new kernel sets", unput, put + unput);
	}

	/* Every saved block the kernel holds is restored by now: the
	 * others, if any, are adopted. */
	for (i = 0; have_list && matched < nents && i < nents; i++)
		if (blocks_find(d->blocks, &ents[i].key) == NULL)
			adopt(d, &ents[i], now_us);
	if (store_commit(d->store) == -1) {
		log_warnx("state: the reconciliation was not saved; the blocks "
		    "are written once the store takes writes again");
		act_behind_all(d);
	}
	free(ents);
	listing.ents = NULL;
	free(kernel.slots);
	if (st.nblocks > 0 || st.nstrikes > 0)
		log_info("state: %zu blocks, %zu strikes restored from %s (%zu "
		    "expired while stopped; loaded in %lld ms, %zu kernel "
		    "entries listed in %lld ms meanwhile, reconciled in %lld "
		    "ms)", blocks_count(d->blocks), st.nstrikes,
		    d->conf->state_file, gone, (long long)load_ms, nents,
		    (long long)listing.ms,
		    (long long)(clock_mono_us() - t0) / 1000);
	restore_counts(d, &st);
	state_free(&st);
}

/* ------------------------------------------------------ clean stop */

struct counts_collect {
	struct daemon	*d;
	struct state	*st;
	size_t		 cap, scap;
	size_t		 dropped;	/* out of memory */
};

static void
collect_counts(const struct engine_counters *c, void *arg)
{
	struct counts_collect *cc = arg;
	struct state *st = cc->st;
	struct engine_counters *n;

	if (st->ncounts >= STATE_MAX_RECORDS ||
	    st->nslots + c->nslots > STATE_MAX_SLOTS ||
	    state_grow((void **)&st->counts, st->ncounts, 1, &cc->cap,
	    sizeof(*st->counts)) == -1 ||
	    state_grow((void **)&st->slots, st->nslots, c->nslots, &cc->scap,
	    sizeof(*st->slots)) == -1) {
		cc->dropped++;
		return;
	}
	n = &st->counts[st->ncounts++];
	*n = *c;
	n->first_us = daemon_mono_to_wall(cc->d, c->first_us);
	n->last_us = daemon_mono_to_wall(cc->d, c->last_us);
	n->slots = NULL;
	if (c->nslots > 0)
		memcpy(st->slots + st->nslots, c->slots,
		    c->nslots * sizeof(*c->slots));
	st->nslots += c->nslots;
}

/*
 * At a clean stop: the attempts since the last batch, and the window
 * counters with the hash key their fanout slots were counted under.  The
 * blocks and strikes that a kill -9 must not lose were saved as they
 * happened; counters of sources below every threshold are worth a
 * restart's trouble only when the stop is clean.
 */
void
reconcile_save_shutdown(struct daemon *d)
{
	struct counts_collect cc = { .d = d };
	struct state st;
	size_t i, off = 0;

	if (d->store == NULL || d->engine == NULL)
		return;
	act_state_flush(d);
	memset(&st, 0, sizeof(st));
	cc.st = &st;
	st.has_hashkey = true;
	memcpy(st.hashkey, d->hashkey, sizeof(st.hashkey));
	engine_export(d->engine, clock_mono_us(), collect_counts, &cc);
	for (i = 0; i < st.ncounts; i++) {
		st.counts[i].slots = st.counts[i].nslots > 0 ?
		    st.slots + off : NULL;
		off += st.counts[i].nslots;
	}
	if (cc.dropped > 0)
		log_warnx("state: window counters of %zu sources not saved "
		    "(no room)", cc.dropped);
	if (store_counters_save(d->store, &st) == -1)
		log_warnx("state: window counters not saved");
	else if (st.ncounts > 0)
		log_info("state: window counters saved (%zu sources)",
		    st.ncounts);
	state_free(&st);
}
