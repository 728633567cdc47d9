/*
 * policy.c: what a verdict costs and whether it may be given.  The strike
 * history (which n-th strike this is, hence its timeout) and the circuit
 * breaker (at most max_new_blocks new strikes per window).  Both live
 * outside the source table: a source evicted from it must not come back
 * with a clean record.  Memory is allocated at init and reconf only; the
 * clock is an argument.
 */
#include <stdlib.h>
#include <string.h>

#include "nflogmon.h"
#include "engine_internal.h"

int
policy_init(struct policy *p, uint32_t maxkeys,
    const struct rate *max_new_blocks, const uint8_t hashkey[HASH_KEYLEN])
{
	uint32_t nb = 16;

	memset(p, 0, sizeof(*p));
	if (maxkeys == 0)
		maxkeys = 1;
	while (nb < maxkeys)
		nb <<= 1;
	p->cap = maxkeys;
	p->mask = nb - 1;
	memcpy(p->hashkey, hashkey, HASH_KEYLEN);
	if ((p->ents = calloc(maxkeys, sizeof(*p->ents))) == NULL ||
	    (p->buckets = calloc(nb, sizeof(*p->buckets))) == NULL ||
	    policy_reconf(p, max_new_blocks) == -1) {
		policy_fini(p);
		return -1;
	}
	return 0;
}

void
policy_fini(struct policy *p)
{
	free(p->ents);
	free(p->buckets);
	free(p->brk);
	p->ents = NULL;
	p->buckets = NULL;
	p->brk = NULL;
}

/* Resizes the breaker ring to max_new_blocks.n, keeping the newest times. */
int
policy_reconf(struct policy *p, const struct rate *mnb)
{
	uint32_t cap = mnb->off || mnb->n == 0 ? 1 : mnb->n, keep, i;
	int64_t *ring;

	if (cap == p->brk_cap)
		return 0;
	if ((ring = calloc(cap, sizeof(*ring))) == NULL)
		return -1;
	keep = p->brk_len < cap ? p->brk_len : cap;
	for (i = 0; i < keep; i++)
		ring[i] = p->brk[(p->brk_head + p->brk_len - keep + i) %
		    p->brk_cap];
	free(p->brk);
	p->brk = ring;
	p->brk_cap = cap;
	p->brk_len = keep;
	p->brk_head = 0;
	return 0;
}

/* ------------------------------------------------------------ strikes */

static uint64_t
policy_hash(const struct policy *p, const struct key *k)
{
	return hash_key(p->hashkey, k);
}

static struct strike_ent *
policy_at(const struct policy *p, uint32_t i)
{
	return &p->ents[i];
}

static struct strike_ent *
policy_lookup(const struct policy *p, const struct key *k)
{
	uint32_t i = p->buckets[policy_hash(p, k) & p->mask];

	while (i != 0) {
		if (key_equal(&policy_at(p, i - 1)->key, k))
			return policy_at(p, i - 1);
		i = policy_at(p, i - 1)->hnext;
	}
	return NULL;
}

static void
policy_lru_unlink(struct policy *p, struct strike_ent *e)
{
	if (e->lru_prev != 0)
		policy_at(p, e->lru_prev - 1)->lru_next = e->lru_next;
	else
		p->lru_head = e->lru_next;
	if (e->lru_next != 0)
		policy_at(p, e->lru_next - 1)->lru_prev = e->lru_prev;
	else
		p->lru_tail = e->lru_prev;
	e->lru_prev = e->lru_next = 0;
}

static void
policy_lru_link(struct policy *p, struct strike_ent *e)
{
	uint32_t i = (uint32_t)(e - p->ents) + 1;

	e->lru_next = p->lru_head;
	e->lru_prev = 0;
	if (p->lru_head != 0)
		policy_at(p, p->lru_head - 1)->lru_prev = i;
	else
		p->lru_tail = i;
	p->lru_head = i;
}

/* The entry of k, created (replacing the least recently struck) if new. */
static struct strike_ent *
policy_get(struct policy *p, const struct key *k)
{
	struct strike_ent *e;
	uint32_t *b, i;

	if ((e = policy_lookup(p, k)) != NULL) {
		policy_lru_unlink(p, e);
		policy_lru_link(p, e);
		return e;
	}
	if (p->used < p->cap)
		e = policy_at(p, p->used++);
	else {
		e = policy_at(p, p->lru_tail - 1);
		i = (uint32_t)(e - p->ents) + 1;
		b = &p->buckets[policy_hash(p, &e->key) & p->mask];
		while (*b != i)
			b = &policy_at(p, *b - 1)->hnext;
		*b = e->hnext;
		policy_lru_unlink(p, e);
	}
	memset(e, 0, sizeof(*e));
	e->key = *k;
	b = &p->buckets[policy_hash(p, k) & p->mask];
	e->hnext = *b;
	*b = (uint32_t)(e - p->ents) + 1;
	policy_lru_link(p, e);
	return e;
}

/* Keeps t[] ascending; when full the oldest time is dropped. */
void
policy_add_strike(struct policy *p, const struct key *k, int64_t at_us)
{
	struct strike_ent *e = policy_get(p, k);
	uint32_t i;

	if (e->n == CONF_MAX_ESCALATE) {
		if (at_us < e->t[0])
			return;
		memmove(&e->t[0], &e->t[1], (e->n - 1) * sizeof(e->t[0]));
		e->n--;
	}
	for (i = e->n; i > 0 && e->t[i - 1] > at_us; i--)
		e->t[i] = e->t[i - 1];
	e->t[i] = at_us;
	e->n++;
}

/*
 * Strikes at or before now_us and after now_us - memory_us.  At most
 * CONF_MAX_ESCALATE are remembered per key, enough for any escalation.
 */
int
policy_strikes(const struct policy *p, const struct key *k, int64_t now_us,
    int64_t memory_us)
{
	const struct strike_ent *e = policy_lookup(p, k);
	int n = 0;
	uint32_t i;

	if (e == NULL)
		return 0;
	for (i = 0; i < e->n; i++)
		if (e->t[i] <= now_us && (memory_us == DURATION_PERMANENT ||
		    e->t[i] > now_us - memory_us))
			n++;
	return n;
}

int64_t
policy_timeout(const struct conf *c, int n)
{
	if (c->nescalate <= 0)
		return c->timeout_us;
	if (n > c->nescalate)
		n = c->nescalate;
	return c->escalate_us[n < 1 ? 0 : n - 1];
}

void
policy_foreach_strike(const struct policy *p,
    void (*fn)(const struct key *, int64_t, void *), void *arg)
{
	uint32_t i, j;

	for (i = 0; i < p->used; i++)
		for (j = 0; j < p->ents[i].n; j++)
			fn(&p->ents[i].key, p->ents[i].t[j], arg);
}

/* ------------------------------------------------------------ breaker */

bool
policy_breaker_room(struct policy *p, const struct rate *mnb, int64_t now_us)
{
	if (mnb->off)
		return true;
	if (mnb->n > 0 && (p->brk_len < p->brk_cap ||
	    now_us - p->brk[p->brk_head] >= mnb->w_us))
		return true;
	if (!p->brk_refused || now_us - p->brk_last_us >= mnb->w_us) {
		if (++p->brk_epoch == 0)	/* a new episode */
			p->brk_epoch = 1;
	}
	p->brk_refused = true;
	p->brk_last_us = now_us;
	return false;
}

void
policy_breaker_note(struct policy *p, const struct rate *mnb, int64_t now_us)
{
	if (mnb->off || mnb->n == 0)
		return;
	if (p->brk_len < p->brk_cap)
		p->brk[(p->brk_head + p->brk_len++) % p->brk_cap] = now_us;
	else {
		p->brk[p->brk_head] = now_us;
		p->brk_head = (p->brk_head + 1) % p->brk_cap;
	}
}
