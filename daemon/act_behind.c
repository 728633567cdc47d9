/*
 * act_behind.c: what the state store could not write is written later.
 *
 * A block starts or ends in the kernel and in memory even when its
 * transaction fails (a full disk, an I/O error: store.c rolls it back and
 * counts it), because enforcement must not wait on the disk.  Without
 * this file those records would stay unwritten until the next time the
 * same source changed, and a restart would bring back a source unblocked
 * by hand or forget one blocked while the disk was full.  So the act path
 * notes each key whose write failed; every state tick (1 s) writes the
 * current truth of each noted key in one transaction: its record if it is
 * still blocked, its row deleted if not, and its strike.  Past
 * BEHIND_MAX keys, or when a whole reconciliation failed, the blocks
 * table is rewritten from memory instead (strikes noted then are lost).
 */
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

#define BEHIND_MAX	65536	/* keys noted before a full rewrite */
#define BEHIND_WAIT_MAX_US	(30 * US_PER_S)	/* between tries */

struct behind {
	struct key	 key;
	int64_t		 strike_at_us;	/* wall clock; 0: no strike */
};

static struct behind	*behind;	/* BEHIND_MAX, made at first use */
static size_t		 nbehind;
static bool		 rewrite;	/* the whole blocks table */
static int64_t		 next_try_us, wait_us;	/* monotonic; backoff */

void
act_behind_note(struct daemon *d, const struct key *k, int64_t strike_at_us)
{
	(void)d;
	if (rewrite)
		return;
	if (behind == NULL &&
	    (behind = calloc(BEHIND_MAX, sizeof(*behind))) == NULL) {
		rewrite = true;
		return;
	}
	if (nbehind == BEHIND_MAX) {
		rewrite = true;
		nbehind = 0;
		return;
	}
	behind[nbehind].key = *k;
	behind[nbehind].strike_at_us = strike_at_us;
	nbehind++;
}

void
act_behind_all(struct daemon *d)
{
	(void)d;
	rewrite = true;
	nbehind = 0;
}

/* Records waiting to be written (status): every block when rewriting. */
size_t
act_behind_count(const struct daemon *d)
{
	return rewrite ? blocks_count(d->blocks) : nbehind;
}

static void
behind_put(struct daemon *d, const struct key *k)
{
	struct block *b;

	if ((b = blocks_find(d->blocks, k)) != NULL) {
		store_block_put(d->store, b, engine_attempts(d->engine, k));
		b->attempts_saved = engine_attempts(d->engine, k);
	} else
		store_block_delete(d->store, k);
}

/*
 * One transaction; on failure everything stays noted and is tried again
 * after a wait that doubles up to BEHIND_WAIT_MAX_US, so a disk that stays
 * full costs neither a rewrite nor a log line every second.
 */
void
act_behind_tick(struct daemon *d, int64_t now_mono_us)
{
	size_t i, n = rewrite ? blocks_count(d->blocks) : nbehind;

	if (d->store == NULL || (!rewrite && nbehind == 0) ||
	    now_mono_us < next_try_us)
		return;
	store_begin(d->store);
	if (rewrite) {
		store_blocks_clear(d->store);
		for (i = 0; i < n; i++)
			behind_put(d, &blocks_at(d->blocks, i)->key);
	} else
		for (i = 0; i < n; i++) {
			behind_put(d, &behind[i].key);
			if (behind[i].strike_at_us != 0)
				store_strike_add(d->store, &behind[i].key,
				    behind[i].strike_at_us);
		}
	if (store_commit(d->store) == -1) {
		wait_us = wait_us == 0 ? US_PER_S :
		    wait_us * 2 > BEHIND_WAIT_MAX_US ? BEHIND_WAIT_MAX_US :
		    wait_us * 2;
		next_try_us = now_mono_us + wait_us;
		return;
	}
	wait_us = next_try_us = 0;
	log_info("state: %zu %s written after an earlier failure", n,
	    rewrite ? "blocks (the whole table)" : "records");
	rewrite = false;
	nbehind = 0;
}

void
act_behind_close(void)
{
	free(behind);
	behind = NULL;
	nbehind = 0;
	rewrite = false;
	wait_us = next_try_us = 0;
}
