/*
 * blocks.c: the list of blocks the daemon holds, one record per source:
 * what `status` and `list` show and what the store keeps.  A plain
 * container: it never talks to the kernel, the engine or the log (that is
 * act.c's job, so every change goes through one
 * place).  Lookups by key are hashed, so a verdict or a control command
 * costs O(1) however many sources are blocked, and expiries come from a
 * min-heap, so the 200 ms expiry tick costs O(log n) per block that ends
 * and nothing while none is due, with 1,000,000 blocks as with 10.
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
struct expiry {
	int64_t		 at_us;
	struct key	 key;
};

/*
 *  - heap[0..nheap) is a binary min-heap on at_us with one entry per put
 *    (lazy deletion): an entry is live while its key has a record whose
 *    expires_us is at_us, stale otherwise (the block ended or was
 *    refreshed); stale entries are dropped when they reach the top, and
 *    the heap is compacted when it holds more than twice the records.
 */
struct blocks {
	struct block	*recs;
	size_t		 n, nalloc;
	uint32_t	*index;
	size_t		 cap, ntomb;
	struct expiry	*heap;
	size_t		 nheap, heapalloc;
	size_t		 nkind[KEY_ACCOUNT + 1][2];	/* records by kind, client */
};

/* The nkind row of k (anything unknown counts as KEY_NONE). */
static size_t *
blocks_kind_slot(struct blocks *bs, const struct key *k)
{
	return &bs->nkind[k->kind <= KEY_ACCOUNT ? k->kind : KEY_NONE]
	    [k->client != 0];
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
	free(bs->heap);
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
	for (i = key_hash_unkeyed(k) & mask; bs->index[i] != SLOT_EMPTY;
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

	for (i = key_hash_unkeyed(&bs->recs[rec].key) & mask;
	    bs->index[i] != SLOT_EMPTY && bs->index[i] != SLOT_TOMB;
	    i = (i + 1) & mask)
		;
	if (bs->index[i] == SLOT_TOMB)
		bs->ntomb--;
	bs->index[i] = (uint32_t)rec + 1;
}

/* Makes room for more records: grows recs and rebuilds the index. */
static int
blocks_grow(struct blocks *bs, size_t more)
{
	size_t cap, i;
	uint32_t *index;

	if (bs->n + more > bs->nalloc) {
		size_t na = bs->nalloc ? bs->nalloc : 64;
		struct block *r;

		while (na < bs->n + more)
			na *= 2;
		if (na >= SLOT_TOMB - 1)
			return -1;
		r = reallocarray(bs->recs, na, sizeof(*r));
		if (r == NULL)
			return -1;
		bs->recs = r;
		bs->nalloc = na;
		mem_hugepages(r, na * sizeof(*r));
	}
	if ((bs->n + more + bs->ntomb) * 2 <= bs->cap)
		return 0;
	for (cap = 128; cap < (bs->n + more) * 4; cap *= 2)
		;
	index = calloc(cap, sizeof(*index));
	if (index == NULL)
		return -1;
	mem_hugepages(index, cap * sizeof(*index));
	free(bs->index);
	bs->index = index;
	bs->cap = cap;
	bs->ntomb = 0;
	for (i = 0; i < bs->n; i++)
		blocks_index_insert(bs, i);
	return 0;
}

int
blocks_reserve(struct blocks *bs, size_t more)
{
	struct expiry *h;

	if (bs->nheap + more > bs->heapalloc) {
		if ((h = reallocarray(bs->heap, bs->nheap + more,
		    sizeof(*h))) == NULL)
			return -1;
		bs->heap = h;
		bs->heapalloc = bs->nheap + more;
		mem_hugepages(h, bs->heapalloc * sizeof(*h));
	}
	return blocks_grow(bs, more);
}

/* ------------------------------------------------------------ expiries */

static void
heap_swap(struct expiry *h, size_t a, size_t b)
{
	struct expiry t = h[a];

	h[a] = h[b];
	h[b] = t;
}

static void
heap_down(struct blocks *bs, size_t i)
{
	struct expiry *h = bs->heap;
	size_t l, m;

	for (;;) {
		l = 2 * i + 1;
		m = i;
		if (l < bs->nheap && h[l].at_us < h[m].at_us)
			m = l;
		if (l + 1 < bs->nheap && h[l + 1].at_us < h[m].at_us)
			m = l + 1;
		if (m == i)
			return;
		heap_swap(h, i, m);
		i = m;
	}
}

static bool
heap_live(struct blocks *bs, const struct expiry *e)
{
	const struct block *b = blocks_find(bs, &e->key);

	return b != NULL && b->expires_us == e->at_us;
}

static void
heap_pop(struct blocks *bs)
{
	bs->heap[0] = bs->heap[--bs->nheap];
	heap_down(bs, 0);
}

/* Drops the stale entries (O(n)) once they outnumber the records. */
static void
heap_compact(struct blocks *bs)
{
	size_t i, j = 0;

	for (i = 0; i < bs->nheap; i++)
		if (heap_live(bs, &bs->heap[i]))
			bs->heap[j++] = bs->heap[i];
	bs->nheap = j;
	for (i = bs->nheap / 2; i-- > 0;)
		heap_down(bs, i);
}

static int
heap_push(struct blocks *bs, const struct key *k, int64_t at_us)
{
	struct expiry *h;
	size_t i, na;

	if (at_us == DURATION_PERMANENT)
		return 0;
	if (bs->nheap > 2 * bs->n + 64)
		heap_compact(bs);
	if (bs->nheap == bs->heapalloc) {
		na = bs->heapalloc ? bs->heapalloc * 2 : 64;
		if ((h = reallocarray(bs->heap, na, sizeof(*h))) == NULL)
			return -1;
		bs->heap = h;
		bs->heapalloc = na;
	}
	i = bs->nheap++;
	bs->heap[i].at_us = at_us;
	bs->heap[i].key = *k;
	while (i > 0 && bs->heap[(i - 1) / 2].at_us > bs->heap[i].at_us) {
		heap_swap(bs->heap, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	return 0;
}

/* The live top of the heap, stale entries dropped on the way; NULL. */
static const struct expiry *
heap_top(struct blocks *bs)
{
	while (bs->nheap > 0 && !heap_live(bs, &bs->heap[0]))
		heap_pop(bs);
	return bs->nheap > 0 ? &bs->heap[0] : NULL;
}

int64_t
blocks_next_expiry(struct blocks *bs)
{
	const struct expiry *e = heap_top(bs);

	return e != NULL ? e->at_us : DURATION_PERMANENT;
}

int
blocks_due(struct blocks *bs, int64_t now_us, struct key *k)
{
	const struct expiry *e = heap_top(bs);

	if (e == NULL || e->at_us > now_us)
		return 0;
	*k = e->key;
	return 1;
}

int
blocks_put(struct blocks *bs, const struct block *b)
{
	long s = blocks_slot(bs, &b->key);

	if (s != -1) {
		if (heap_push(bs, &b->key, b->expires_us) == -1)
			return -1;
		bs->recs[bs->index[s] - 1] = *b;
		return 0;
	}
	if (blocks_grow(bs, 1) == -1 ||
	    heap_push(bs, &b->key, b->expires_us) == -1)
		return -1;
	bs->recs[bs->n] = *b;
	blocks_index_insert(bs, bs->n);
	bs->n++;
	(*blocks_kind_slot(bs, &b->key))++;
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
	(*blocks_kind_slot(bs, &bs->recs[i].key))--;
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

size_t
blocks_count_kind(struct blocks *bs, enum key_kind kind, bool client)
{
	struct key k;

	memset(&k, 0, sizeof(k));
	k.kind = (uint8_t)kind;
	k.client = client;
	return *blocks_kind_slot(bs, &k);
}

struct block *
blocks_at(struct blocks *bs, size_t i)
{
	return i < bs->n ? &bs->recs[i] : NULL;
}
