/*
 * window.c: counting in time windows, pure.  Two counters per source and
 * rule kind: events in the last W (burst, sustained) as 16 time buckets,
 * and distinct destinations in the last W (fanout) as a few slots of
 * (destination hash, tick).  The caller owns the memory and the clock;
 * nothing here allocates, reads a clock or knows about sources.
 */
#include <string.h>

#include "nflogmon.h"
#include "engine_internal.h"

int64_t
window_bucket_us(int64_t w_us)
{
	int64_t b = w_us / WINDOW_BUCKETS;

	return b > 0 ? b : 1;
}

/* The bucket of absolute bucket number j; j - 15 may be negative near t 0,
 * and 2^64 is a multiple of WINDOW_BUCKETS, so unsigned wrap is exact. */
static unsigned
slot(int64_t j)
{
	return (unsigned)((uint64_t)j % WINDOW_BUCKETS);
}

void
window_clear(struct window *w)
{
	memset(w, 0, sizeof(*w));
}

uint32_t
window_add(struct window *w, int64_t bucket_us, bool fresh, int64_t last_us,
    int64_t now_us)
{
	int64_t head = last_us / bucket_us, idx = now_us / bucket_us, j;
	uint16_t *c;

	if (fresh || idx - head >= WINDOW_BUCKETS)
		window_clear(w);
	else
		for (j = head + 1; j <= idx; j++)	/* buckets skipped */
			w->b[slot(j)] = 0;
	if (idx < head)		/* clock went back: count it in the newest */
		idx = head;
	c = &w->b[slot(idx)];
	if (*c < UINT16_MAX)
		(*c)++;
	return window_count(w, bucket_us, idx * bucket_us, idx * bucket_us);
}

uint32_t
window_count(const struct window *w, int64_t bucket_us, int64_t last_us,
    int64_t now_us)
{
	int64_t head = last_us / bucket_us, idx = now_us / bucket_us, j, lo;
	uint32_t sum = 0;

	if (idx < head)
		idx = head;
	lo = idx - (WINDOW_BUCKETS - 1);
	if (lo < head - (WINDOW_BUCKETS - 1))
		lo = head - (WINDOW_BUCKETS - 1);
	for (j = lo; j <= head; j++)
		sum += w->b[slot(j)];
	return sum;
}

/*
 * The fanout area: uint32_t hash[nslots] followed by uint16_t tick[nslots].
 * Two arrays rather than an array of structs save the padding: 6 bytes a
 * slot instead of 8.
 */
size_t
fanout_area_size(int nslots)
{
	return (size_t)nslots * (sizeof(uint32_t) + sizeof(uint16_t));
}

int64_t
fanout_tick_us(int64_t w_us)
{
	int64_t t = w_us / FANOUT_TICKS;

	return t > 0 ? t : 1;
}

void
fanout_clear(void *area, int nslots)
{
	memset(area, 0, fanout_area_size(nslots));
}

static uint16_t
fanout_tick(int64_t tick_us, int64_t now_us)
{
	return (uint16_t)(uint64_t)(now_us / tick_us);
}

uint32_t
fanout_add(void *area, int nslots, uint32_t dsthash, int64_t tick_us,
    int64_t now_us)
{
	uint32_t *h = area;
	uint16_t *tk = (uint16_t *)(h + nslots);
	uint16_t now = fanout_tick(tick_us, now_us), age, oldest_age = 0;
	int i, found = -1, freeslot = -1, oldest = 0;
	uint32_t live = 0;

	if (dsthash == 0)
		dsthash = 1;
	for (i = 0; i < nslots; i++) {
		if (h[i] == 0)
			goto isfree;
		age = (uint16_t)(now - tk[i]);
		if (age >= FANOUT_TICKS) {
			h[i] = 0;
			goto isfree;
		}
		if (h[i] == dsthash)
			found = i;
		if (age >= oldest_age) {
			oldest_age = age;
			oldest = i;
		}
		live++;
		continue;
isfree:
		if (freeslot < 0)
			freeslot = i;
	}
	if (found >= 0) {
		tk[found] = now;
		return live;
	}
	if (freeslot >= 0) {
		h[freeslot] = dsthash;
		tk[freeslot] = now;
		return live + 1;
	}
	h[oldest] = dsthash;	/* all live: count stays nslots */
	tk[oldest] = now;
	return live;
}

uint32_t
fanout_count(const void *area, int nslots, int64_t tick_us, int64_t now_us)
{
	const uint32_t *h = area;
	const uint16_t *tk = (const uint16_t *)(h + nslots);
	uint16_t now = fanout_tick(tick_us, now_us);
	uint32_t live = 0;
	int i;

	for (i = 0; i < nslots; i++)
		if (h[i] != 0 && (uint16_t)(now - tk[i]) < FANOUT_TICKS)
			live++;
	return live;
}

/* ------------------------------------------------- export and import */

_Static_assert(WINDOW_BUCKETS == ENGINE_BUCKETS, "bucket counts differ");
_Static_assert(FANOUT_TICKS - 1 == ENGINE_SLOT_MAX_AGE, "slot ages differ");
_Static_assert(FANOUT_MAX_SLOTS == ENGINE_MAX_SLOTS, "slot limits differ");

void
window_save(const struct window *w, int64_t bucket_us, int64_t last_us,
    uint16_t counts[WINDOW_BUCKETS])
{
	int64_t head = last_us / bucket_us;
	int i;

	for (i = 0; i < WINDOW_BUCKETS; i++)
		counts[i] = w->b[slot(head - (WINDOW_BUCKETS - 1) + i)];
}

void
window_load(struct window *w, int64_t bucket_us, int64_t last_us,
    const uint16_t counts[WINDOW_BUCKETS])
{
	int64_t head = last_us / bucket_us;
	int i;

	for (i = 0; i < WINDOW_BUCKETS; i++)
		w->b[slot(head - (WINDOW_BUCKETS - 1) + i)] = counts[i];
}

uint32_t
fanout_save(const void *area, int nslots, int64_t tick_us, int64_t now_us,
    struct engine_slot *out)
{
	const uint32_t *h = area;
	const uint16_t *tk = (const uint16_t *)(h + nslots);
	uint16_t now = fanout_tick(tick_us, now_us), age;
	uint32_t n = 0;
	int i;

	for (i = 0; i < nslots; i++) {
		age = (uint16_t)(now - tk[i]);
		if (h[i] == 0 || age >= FANOUT_TICKS)
			continue;
		out[n].dsthash = h[i];
		out[n].age = age;
		n++;
	}
	return n;
}

void
fanout_load(void *area, int nslots, int64_t tick_us, int64_t now_us,
    const struct engine_slot *in, uint32_t n)
{
	uint32_t *h = area;
	uint16_t *tk = (uint16_t *)(h + nslots);
	uint16_t now = fanout_tick(tick_us, now_us), oldest_age;
	int j, used = 0, dst;
	uint32_t i;

	fanout_clear(area, nslots);
	for (i = 0; i < n; i++) {
		if (in[i].dsthash == 0 || in[i].age > ENGINE_SLOT_MAX_AGE)
			continue;
		for (j = 0; j < used && h[j] != in[i].dsthash; j++)
			;
		if (j < used) {		/* repeated: its youngest age */
			if ((uint16_t)(now - tk[j]) > in[i].age)
				tk[j] = (uint16_t)(now - in[i].age);
			continue;
		}
		if (used < nslots)
			dst = used++;
		else {			/* full: the oldest goes if older */
			oldest_age = in[i].age;
			dst = -1;
			for (j = 0; j < used; j++)
				if ((uint16_t)(now - tk[j]) > oldest_age) {
					oldest_age = (uint16_t)(now - tk[j]);
					dst = j;
				}
			if (dst < 0)
				continue;
		}
		h[dst] = in[i].dsthash;
		tk[dst] = (uint16_t)(now - in[i].age);
	}
}
