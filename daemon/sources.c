/*
 * sources.c: the bounded table of tracked sources.
 *
 * One array of cap entries allocated once (calloc, so pages of entries
 * never used cost nothing), keyed hash chains for lookup and an LRU list by
 * last seen for eviction.  When the table is full one of the least recently
 * seen sources that are not under judgement makes room (sources_victim):
 * judged sources are kept out of the LRU list, so a block is never
 * forgotten while it lasts.
 * Nothing here allocates after sources_init, reads a clock or decides
 * anything; engine.c says when a source is seen, judged or released.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nflogmon.h"
#include "engine_internal.h"

/* Least recently seen entries looked at for the one to evict. */
#define SOURCES_VICTIM_SCAN	4

/*
 * A multiple of 32 bytes, in an array aligned to 64 (sources_init): an
 * entry of up to 224 bytes then spans at most four cache lines, and every
 * event reads the whole entry (at the defaults 216 bytes rounded to 224:
 * four lines, where a stride of 216 makes one entry in four span five).
 */
size_t
sources_stride(int nslots)
{
	size_t s = offsetof(struct source, fanout) + fanout_area_size(nslots);

	return (s + 31) & ~(size_t)31;
}

int
sources_init(struct sources *t, uint32_t cap, int nslots,
    const uint8_t hashkey[HASH_KEYLEN])
{
	uint32_t nb = 16;

	memset(t, 0, sizeof(*t));
	if (cap == 0)
		cap = 1;
	while (nb < cap && nb < (1U << 31))
		nb <<= 1;
	t->stride = sources_stride(nslots);
	t->shift = __builtin_ctzll(t->stride);
	/* Newton's iteration doubles the correct low bits of the inverse of
	 * an odd number each step: 3 bits (odd * odd = 1 mod 8) to 96. */
	t->inv = t->stride >> t->shift;
	for (int k = 0; k < 5; k++)
		t->inv *= 2 - (t->stride >> t->shift) * t->inv;
	t->nslots = nslots;
	t->cap = cap;
	t->mask = nb - 1;
	memcpy(t->hashkey, hashkey, HASH_KEYLEN);
	/* one entry more (at least 64 bytes) to align mem in */
	if ((t->alloc = calloc((size_t)cap + 1, t->stride)) == NULL ||
	    (t->lru = calloc(cap, sizeof(*t->lru))) == NULL ||
	    (t->buckets = calloc(nb, sizeof(*t->buckets))) == NULL) {
		sources_fini(t);
		return -1;
	}
	t->mem = (uint8_t *)(((uintptr_t)t->alloc + 63) & ~(uintptr_t)63);
	/* entries are used from the first on: dense, huge pages suit them
	 * (the buckets, touched at random, stay on small ones) */
	mem_hugepages(t->mem, (size_t)cap * t->stride);
	return 0;
}

void
sources_fini(struct sources *t)
{
	free(t->alloc);
	free(t->lru);
	free(t->buckets);
	t->alloc = t->mem = NULL;
	t->lru = NULL;
	t->buckets = NULL;
}

uint64_t
sources_hash(const struct sources *t, const struct key *k)
{
	return hash_key(t->hashkey, k);
}

struct source *
sources_lookup(const struct sources *t, const struct key *k, uint64_t hash)
{
	uint32_t i = t->buckets[hash & t->mask];
	struct source *s;

	while (i != 0) {
		s = sources_at(t, i - 1);
		if (key_equal(&s->key, k))
			return s;
		i = s->hnext;
	}
	return NULL;
}

static void
lru_unlink(struct sources *t, uint32_t i)
{
	struct lru_link *l = &t->lru[i - 1];

	if (l->prev != 0)
		t->lru[l->prev - 1].next = l->next;
	else
		t->lru_head = l->next;
	if (l->next != 0)
		t->lru[l->next - 1].prev = l->prev;
	else
		t->lru_tail = l->prev;
	l->prev = l->next = 0;
}

static void
lru_link(struct sources *t, uint32_t i)
{
	struct lru_link *l = &t->lru[i - 1];

	l->prev = 0;
	l->next = t->lru_head;
	if (t->lru_head != 0)
		t->lru[t->lru_head - 1].prev = i;
	else
		t->lru_tail = i;
	t->lru_head = i;
}

void
sources_lru_unlink(struct sources *t, struct source *s)
{
	lru_unlink(t, sources_index(t, s) + 1);
}

void
sources_lru_link(struct sources *t, struct source *s)
{
	lru_link(t, sources_index(t, s) + 1);
}

void
sources_touch(struct sources *t, struct source *s)
{
	uint32_t i = sources_index(t, s) + 1;

	if (s->judged || t->lru_head == i)
		return;
	lru_unlink(t, i);
	lru_link(t, i);
}

/* Removes s from its hash chain (and the LRU list); s must be in use. */
static void
sources_remove(struct sources *t, struct source *s)
{
	uint32_t *p = &t->buckets[sources_hash(t, &s->key) & t->mask];
	uint32_t i = sources_index(t, s) + 1;

	while (*p != 0 && *p != i)
		p = &sources_at(t, *p - 1)->hnext;
	if (*p == i)
		*p = s->hnext;
	if (!s->judged)
		sources_lru_unlink(t, s);
}

/*
 * The entry to make room with: of the SOURCES_VICTIM_SCAN least recently
 * seen, the one with the fewest counted events (the least recently seen of
 * those: plain LRU among equals).  A flood of made-up keys, each seen
 * once, then evicts its own kind before a real offender that has been
 * seen twice and comes back more slowly than the table turns over.  NULL:
 * all judged.
 */
static struct source *
sources_victim(const struct sources *t)
{
	struct source *s, *best = NULL;
	uint32_t i, n;

	for (i = t->lru_tail, n = 0; i != 0 && n < SOURCES_VICTIM_SCAN;
	    i = t->lru[i - 1].prev, n++) {
		s = sources_at(t, i - 1);
		if (best == NULL || s->connections < best->connections)
			best = s;
	}
	return best;
}

struct source *
sources_insert(struct sources *t, const struct key *k, uint64_t hash,
    bool *evicted)
{
	struct source *s;
	uint32_t *b;

	*evicted = false;
	if (t->used < t->cap)
		s = sources_at(t, t->used++);
	else {
		if ((s = sources_victim(t)) == NULL)
			return NULL;	/* every entry is judged */
		sources_remove(t, s);
		*evicted = true;
	}
	memset(s, 0, t->stride);
	s->key = *k;
	s->cls = -1;
	b = &t->buckets[hash & t->mask];
	s->hnext = *b;
	*b = sources_index(t, s) + 1;
	sources_lru_link(t, s);
	return s;
}
