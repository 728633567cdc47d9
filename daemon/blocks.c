/*
 * blocks.c: the list of blocks the daemon holds, one record per source:
 * what `status` and `list` show and what the store keeps.  A plain
 * container: it never talks to the kernel, the engine or the log (that is
 * act.c's job, so every change goes through one
 * place).  Lookups by key are hashed, so a verdict or a control command
 * costs O(1) however many sources are blocked; the expiry scan is O(n)
 * every tick but skipped while nothing is due (blocks_next_expiry).
 */
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

#define SLOT_EMPTY	0u
#define SLOT_TOMB	UINT32_MAX

/*
 * Invariants:
 *  - recs[0..n) are the records, dense; order changes only on remove
 *    (the last record moves into the hole).
 *  - index has cap slots (a power of two, 0 when empty); a slot holds
 *    SLOT_EMPTY, SLOT_TOMB (a removed entry, keeps probe chains intact)
 *    or i + 1 for recs[i].  Every record has exactly one slot, found by
 *    linear probing from its key's hash.
 *  - n + ntomb <= cap / 2 (rebuilt before it would exceed), so a probe
 *    always reaches an empty slot.
 */
struct blocks {
	struct block	*recs;
	size_t		 n, nalloc;
	uint32_t	*index;
	size_t		 cap, ntomb;
};

/* FNV-1a over the key bytes; the key is all-zero padded (nflogmon.h).
 * Not keyed: blocked sources are few and chosen by the daemon, not by the
 * packets' senders alone (the breaker caps them). */
static uint64_t
blocks_hash(const struct key *k)
{
	const uint8_t *p = (const uint8_t *)k;
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < sizeof(*k); i++) {
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	return h ^ (h >> 29);
}

struct blocks *
blocks_new(void)
{
	return calloc(1, sizeof(struct blocks));
}

void
blocks_free(struct blocks *bs)
{
	if (bs == NULL)
		return;
	free(bs->recs);
	free(bs->index);
	free(bs);
}

/* The slot holding k's record, or -1. */
static long
blocks_slot(const struct blocks *bs, const struct key *k)
{
	size_t mask, i;

	if (bs->cap == 0)
		return -1;
	mask = bs->cap - 1;
	for (i = blocks_hash(k) & mask; bs->index[i] != SLOT_EMPTY;
	    i = (i + 1) & mask) {
		if (bs->index[i] != SLOT_TOMB &&
		    key_equal(&bs->recs[bs->index[i] - 1].key, k))
			return (long)i;
	}
	return -1;
}

static void
blocks_index_insert(struct blocks *bs, size_t rec)
{
	size_t mask = bs->cap - 1, i;

	for (i = blocks_hash(&bs->recs[rec].key) & mask;
	    bs->index[i] != SLOT_EMPTY && bs->index[i] != SLOT_TOMB;
	    i = (i + 1) & mask)
		;
	if (bs->index[i] == SLOT_TOMB)
		bs->ntomb--;
	bs->index[i] = (uint32_t)rec + 1;
}

/* Makes room for one more record: grows recs and rebuilds the index. */
static int
blocks_reserve(struct blocks *bs)
{
	size_t cap, i;
	uint32_t *index;

	if (bs->n == bs->nalloc) {
		size_t na = bs->nalloc ? bs->nalloc * 2 : 64;
		struct block *r;

		if (na >= SLOT_TOMB - 1)
			return -1;
		r = reallocarray(bs->recs, na, sizeof(*r));
		if (r == NULL)
			return -1;
		bs->recs = r;
		bs->nalloc = na;
	}
	if ((bs->n + 1 + bs->ntomb) * 2 <= bs->cap)
		return 0;
	for (cap = 128; cap < (bs->n + 1) * 4; cap *= 2)
		;
	index = calloc(cap, sizeof(*index));
	if (index == NULL)
		return -1;
	free(bs->index);
	bs->index = index;
	bs->cap = cap;
	bs->ntomb = 0;
	for (i = 0; i < bs->n; i++)
		blocks_index_insert(bs, i);
	return 0;
}

int
blocks_put(struct blocks *bs, const struct block *b)
{
	long s = blocks_slot(bs, &b->key);

	if (s != -1) {
		bs->recs[bs->index[s] - 1] = *b;
		return 0;
	}
	if (blocks_reserve(bs) == -1)
		return -1;
	bs->recs[bs->n] = *b;
	blocks_index_insert(bs, bs->n);
	bs->n++;
	return 0;
}

struct block *
blocks_find(struct blocks *bs, const struct key *k)
{
	long s = blocks_slot(bs, k);

	return s == -1 ? NULL : &bs->recs[bs->index[s] - 1];
}

int
blocks_remove(struct blocks *bs, const struct key *k)
{
	long s = blocks_slot(bs, k), last_s;
	size_t i;

	if (s == -1)
		return -1;
	i = bs->index[s] - 1;
	bs->index[s] = SLOT_TOMB;
	bs->ntomb++;
	bs->n--;
	if (i != bs->n) {
		/* The last record fills the hole; its slot follows it. */
		last_s = blocks_slot(bs, &bs->recs[bs->n].key);
		bs->recs[i] = bs->recs[bs->n];
		bs->index[last_s] = (uint32_t)i + 1;
	}
	return 0;
}

size_t
blocks_count(const struct blocks *bs)
{
	return bs->n;
}

struct block *
blocks_at(struct blocks *bs, size_t i)
{
	return i < bs->n ? &bs->recs[i] : NULL;
}

int64_t
blocks_next_expiry(const struct blocks *bs)
{
	int64_t next = DURATION_PERMANENT;
	size_t i;

	for (i = 0; i < bs->n; i++)
		if (bs->recs[i].expires_us < next)
			next = bs->recs[i].expires_us;
	return next;
}
