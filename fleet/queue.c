/*
 * queue.c: the publications waiting for the LAPI, and the decision ids of
 * what this gateway published.  Pure (times passed in), bounded: a full
 * queue refuses and counts, it never grows, and a LAPI that is down never
 * holds up a block (the block is local first; publishing is its echo).
 *
 * The state store persists both (DESIGN.md "Fleet": ids and pending
 * publications live there): it walks fleet_queue_at() and the ids, and
 * gives them back at start through fleet_queue_publish/fleet_ids_put.
 */
#include <stdlib.h>
#include <string.h>

#include "fleet.h"

#define BACKOFF_MIN_US	1000000LL
#define BACKOFF_MAX_US	(300LL * 1000000)

struct fleet_id {
	struct key	 key;
	int64_t		 id;
};

/*
 * Invariant: jobs[0..njobs) in arrival order; ids[0..nids) unordered, one
 * per key, every id > 0.  Both arrays are allocated once.
 */
struct fleet_queue {
	struct fleet_job *jobs;
	size_t		 njobs, cap;
	struct fleet_id	*ids;
	size_t		 nids, ids_cap;
	uint64_t	 dropped;
};

struct fleet_queue *
fleet_queue_new(size_t cap, size_t ids_cap)
{
	struct fleet_queue *q;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	q->cap = cap;
	q->ids_cap = ids_cap;
	q->jobs = calloc(cap ? cap : 1, sizeof(*q->jobs));
	q->ids = calloc(ids_cap ? ids_cap : 1, sizeof(*q->ids));
	if (q->jobs == NULL || q->ids == NULL) {
		fleet_queue_free(q);
		return NULL;
	}
	return q;
}

void
fleet_queue_free(struct fleet_queue *q)
{
	if (q == NULL)
		return;
	free(q->jobs);
	free(q->ids);
	free(q);
}

static struct fleet_job *
queue_find(struct fleet_queue *q, enum fleet_op op, const struct key *k)
{
	size_t i;

	for (i = 0; i < q->njobs; i++)
		if (q->jobs[i].op == op && key_equal(&q->jobs[i].pub.key, k))
			return &q->jobs[i];
	return NULL;
}

static void
queue_remove(struct fleet_queue *q, struct fleet_job *j)
{
	size_t i = (size_t)(j - q->jobs);

	memmove(&q->jobs[i], &q->jobs[i + 1],
	    (q->njobs - i - 1) * sizeof(*j));
	q->njobs--;
}

static struct fleet_job *
queue_add(struct fleet_queue *q, enum fleet_op op, int64_t now_us)
{
	struct fleet_job *j;

	if (q->njobs == q->cap) {
		q->dropped++;
		return NULL;
	}
	j = &q->jobs[q->njobs++];
	memset(j, 0, sizeof(*j));
	j->op = op;
	j->next_us = now_us;
	return j;
}

int
fleet_queue_publish(struct fleet_queue *q, const struct fleet_pub *p,
    int64_t now_us)
{
	struct fleet_job *j;

	/* a refresh of a queued block replaces it (the later start wins) */
	if ((j = queue_find(q, FLEET_PUBLISH, &p->key)) != NULL) {
		j->pub = *p;
		return 0;
	}
	if ((j = queue_add(q, FLEET_PUBLISH, now_us)) == NULL)
		return -1;
	j->pub = *p;
	return 0;
}

int
fleet_queue_unpublish(struct fleet_queue *q, const struct key *k,
    int64_t now_us)
{
	struct fleet_job *j;
	int64_t id;

	if ((j = queue_find(q, FLEET_PUBLISH, k)) != NULL) {
		queue_remove(q, j);
		if (fleet_ids_get(q, k) == 0)
			return 1;
	}
	if ((id = fleet_ids_get(q, k)) == 0)
		return 1;
	if (queue_find(q, FLEET_UNPUBLISH, k) != NULL)
		return 0;
	if ((j = queue_add(q, FLEET_UNPUBLISH, now_us)) == NULL)
		return -1;
	j->pub.key = *k;
	j->decision_id = id;
	return 0;
}

struct fleet_job *
fleet_queue_next(struct fleet_queue *q, int64_t now_us)
{
	size_t i;

	for (i = 0; i < q->njobs; i++)
		if (q->jobs[i].next_us <= now_us)
			return &q->jobs[i];
	return NULL;
}

static void
ids_del(struct fleet_queue *q, const struct key *k)
{
	size_t i;

	for (i = 0; i < q->nids; i++)
		if (key_equal(&q->ids[i].key, k)) {
			q->ids[i] = q->ids[--q->nids];
			return;
		}
}

/*
 * The job (a copy: the queue may move while a request runs) is found again
 * by op and key.  A publication unblocked while its request ran is gone
 * from the queue: its decision is then withdrawn at once.
 */
void
fleet_queue_done(struct fleet_queue *q, const struct fleet_job *copy,
    int64_t decision_id, int64_t now_us)
{
	struct fleet_job *j = queue_find(q, copy->op, &copy->pub.key);

	if (copy->op == FLEET_PUBLISH && decision_id > 0) {
		fleet_ids_put(q, &copy->pub.key, decision_id);
		if (j == NULL) {
			fleet_queue_unpublish(q, &copy->pub.key, now_us);
			return;
		}
	} else if (copy->op == FLEET_UNPUBLISH)
		ids_del(q, &copy->pub.key);
	if (j != NULL)
		queue_remove(q, j);
}

void
fleet_queue_failed(struct fleet_queue *q, const struct fleet_job *copy,
    const char *error, int64_t now_us)
{
	struct fleet_job *j = queue_find(q, copy->op, &copy->pub.key);
	int64_t backoff = BACKOFF_MIN_US;
	uint32_t i;

	if (j == NULL)
		return;
	j->attempts++;
	for (i = 1; i < j->attempts && backoff < BACKOFF_MAX_US; i++)
		backoff *= 2;
	if (backoff > BACKOFF_MAX_US)
		backoff = BACKOFF_MAX_US;
	j->next_us = now_us + backoff;
	strncpy(j->error, error, sizeof(j->error) - 1);
	j->error[sizeof(j->error) - 1] = '\0';
}

size_t
fleet_queue_count(const struct fleet_queue *q)
{
	return q->njobs;
}

const struct fleet_job *
fleet_queue_at(const struct fleet_queue *q, size_t i)
{
	return i < q->njobs ? &q->jobs[i] : NULL;
}

uint64_t
fleet_queue_dropped(const struct fleet_queue *q)
{
	return q->dropped;
}

/* A new id for a key replaces the old one (a refreshed publication). */
int
fleet_ids_put(struct fleet_queue *q, const struct key *k, int64_t id)
{
	size_t i;

	if (id <= 0)
		return -1;
	for (i = 0; i < q->nids; i++)
		if (key_equal(&q->ids[i].key, k)) {
			q->ids[i].id = id;
			return 0;
		}
	if (q->nids == q->ids_cap)
		return -1;
	q->ids[q->nids].key = *k;
	q->ids[q->nids].id = id;
	q->nids++;
	return 0;
}

int64_t
fleet_ids_get(const struct fleet_queue *q, const struct key *k)
{
	size_t i;

	for (i = 0; i < q->nids; i++)
		if (key_equal(&q->ids[i].key, k))
			return q->ids[i].id;
	return 0;
}

bool
fleet_ids_own(const struct fleet_queue *q, int64_t id)
{
	size_t i;

	for (i = 0; i < q->nids; i++)
		if (q->ids[i].id == id)
			return true;
	return false;
}

size_t
fleet_ids_count(const struct fleet_queue *q)
{
	return q->nids;
}
