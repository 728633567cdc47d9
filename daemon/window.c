/*
 * window.c: counting in time windows, pure.  Two counters per source and
 * rule kind: events in the last W (burst, sustained) as 16 time buckets,
 * and distinct destinations in the last W (fanout) as a few slots of
 * (destination hash, tick).  The caller owns the memory and the clock;
 * nothing here allocates, reads a clock or knows about sources.
 */
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

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

/*
 * The count after the event is window_count at the newest bucket, i.e. the
 * sum of all 16 buckets.  It is summed before anything is stored (a flat
 * sum the compiler turns into a few vector adds; read after a store into
 * the same buckets it would wait for that store to land), then the buckets
 * cleared and the one incremented are accounted for.
 */
uint32_t
window_add(struct window *w, int64_t bucket_us, bool fresh, int64_t last_us,
    int64_t now_us)
{
	return window_add_idx(w, fresh, last_us / bucket_us, now_us / bucket_us,
	    1);
}

uint32_t
window_add_idx(struct window *w, bool fresh, int64_t head, int64_t idx,
    uint32_t n)
{
	int64_t j;
	uint32_t sum = 0;
	uint16_t *c;
	int i;

	if (fresh || idx - head >= WINDOW_BUCKETS)
		window_clear(w);
	else {
		for (i = 0; i < WINDOW_BUCKETS; i++)
			sum += w->b[i];
		for (j = head + 1; j <= idx; j++) {	/* buckets skipped */
			sum -= w->b[slot(j)];
			w->b[slot(j)] = 0;
		}
	}
	if (idx < head)		/* clock went back: count it in the newest */
		idx = head;
	c = &w->b[slot(idx)];
	if (n > (uint32_t)(UINT16_MAX - *c))	/* saturates */
		n = (uint32_t)(UINT16_MAX - *c);
	*c = (uint16_t)(*c + n);
	return sum + n;
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
 * The fanout area: uint32_t hash[nslots] followed by uint8_t tick[nslots].
 * Two arrays rather than an array of structs save the padding: 5 bytes a
 * slot instead of 8.  A tick of 8 bits is exact (engine_internal.h) and
 * makes the default 16 slots 80 bytes, not 96: the source entry then
 * spans four cache lines where it spanned five about half the time.
 */
size_t
fanout_area_size(int nslots)
{
	return (size_t)nslots * (sizeof(uint32_t) + sizeof(uint8_t));
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

static uint8_t
fanout_tick(int64_t tick_us, int64_t now_us)
{
	return (uint8_t)(uint64_t)(now_us / tick_us);
}

/*
 * The slots from i on, one at a time: frees those that left the window and
 * notes the match (the last), the first free slot and the live count.
 */
static void
fanout_scan(uint32_t *h, const uint8_t *tk, int i, int nslots,
    uint32_t dsthash, uint8_t now, int *found, int *freeslot,
    uint32_t *live)
{
	for (; i < nslots; i++) {
		if (h[i] != 0 && (uint8_t)(now - tk[i]) >= FANOUT_TICKS)
			h[i] = 0;
		if (h[i] == 0) {
			if (*freeslot < 0)
				*freeslot = i;
			continue;
		}
		if (h[i] == dsthash)
			*found = i;
		(*live)++;
	}
}

#ifdef __SSE2__
/* The set bits of a 16-bit mask, inline (without -mpopcnt the builtin is
 * a call into libgcc). */
static uint32_t
popcount16(unsigned x)
{
	x = x - ((x >> 1) & 0x5555u);
	x = (x & 0x3333u) + ((x >> 2) & 0x3333u);
	x = (x + (x >> 4)) & 0x0f0fu;
	return (x + (x >> 8)) & 0x1fu;
}

/*
 * The same over the slots 0 .. 16k-1, 16 at a time: every compare of a
 * group is one instruction and its outcome a bit mask, so the scan has no
 * branch per slot (a destination flood makes those unpredictable).
 * Returns the first slot not scanned.
 */
static int
fanout_scan16(uint32_t *h, const uint8_t *tk, int nslots, uint32_t dsthash,
    uint8_t now, int *found, int *freeslot, uint32_t *live)
{
	const __m128i zero = _mm_setzero_si128();
	const __m128i nowv = _mm_set1_epi8((char)now);
	const __m128i oldm = _mm_set1_epi8((char)(uint8_t)~(FANOUT_TICKS - 1));
	const __m128i dv = _mm_set1_epi32((int)dsthash);
	__m128i h0, h1, h2, h3, t0;
	unsigned young, used, match, lm, dead;
	int i;

	for (i = 0; i + 16 <= nslots; i += 16) {
		h0 = _mm_loadu_si128((const __m128i *)(const void *)(h + i));
		h1 = _mm_loadu_si128((const __m128i *)(const void *)(h + i + 4));
		h2 = _mm_loadu_si128((const __m128i *)(const void *)(h + i + 8));
		h3 = _mm_loadu_si128((const __m128i *)(const void *)(h + i + 12));
		t0 = _mm_loadu_si128((const __m128i *)(const void *)(tk + i));
		/* age (now - tick, modulo 2^8) below FANOUT_TICKS */
		t0 = _mm_cmpeq_epi8(_mm_and_si128(_mm_sub_epi8(nowv, t0),
		    oldm), zero);
		young = (unsigned)_mm_movemask_epi8(t0);
		used = ~(unsigned)_mm_movemask_epi8(_mm_packs_epi16(
		    _mm_packs_epi32(_mm_cmpeq_epi32(h0, zero),
		    _mm_cmpeq_epi32(h1, zero)),
		    _mm_packs_epi32(_mm_cmpeq_epi32(h2, zero),
		    _mm_cmpeq_epi32(h3, zero)))) & 0xffffu;
		match = (unsigned)_mm_movemask_epi8(_mm_packs_epi16(
		    _mm_packs_epi32(_mm_cmpeq_epi32(h0, dv),
		    _mm_cmpeq_epi32(h1, dv)),
		    _mm_packs_epi32(_mm_cmpeq_epi32(h2, dv),
		    _mm_cmpeq_epi32(h3, dv))));
		lm = used & young;
		for (dead = used & ~young; dead != 0; dead &= dead - 1)
			h[i + __builtin_ctz(dead)] = 0;
		match &= lm;
		if (match != 0)
			*found = i + 31 - __builtin_clz(match);
		if (*freeslot < 0 && lm != 0xffffu)
			*freeslot = i + __builtin_ctz(~lm);
		*live += popcount16(lm);
	}
	return i;
}
#endif

uint32_t
fanout_add(void *area, int nslots, uint32_t dsthash, int64_t tick_us,
    int64_t now_us)
{
	return fanout_add_tick(area, nslots, dsthash,
	    fanout_tick(tick_us, now_us));
}

uint32_t
fanout_add_tick(void *area, int nslots, uint32_t dsthash, uint8_t now)
{
	uint32_t *h = area;
	uint8_t *tk = (uint8_t *)(h + nslots);
	uint8_t age, oldest_age = 0;
	int i = 0, found = -1, freeslot = -1, oldest = 0;
	uint32_t live = 0;

	if (dsthash == 0)
		dsthash = 1;
#ifdef __SSE2__
	i = fanout_scan16(h, tk, nslots, dsthash, now, &found, &freeslot,
	    &live);
#endif
	fanout_scan(h, tk, i, nslots, dsthash, now, &found, &freeslot, &live);
	if (found >= 0) {
		tk[found] = now;
		return live;
	}
	if (freeslot >= 0) {
		h[freeslot] = dsthash;
		tk[freeslot] = now;
		return live + 1;
	}
	/* all live: the oldest (the last of equal age) is reused, the count
	 * stays nslots */
	for (i = 0; i < nslots; i++) {
		age = (uint8_t)(now - tk[i]);
		if (age >= oldest_age) {
			oldest_age = age;
			oldest = i;
		}
	}
	h[oldest] = dsthash;
	tk[oldest] = now;
	return live;
}

uint32_t
fanout_count(const void *area, int nslots, int64_t tick_us, int64_t now_us)
{
	const uint32_t *h = area;
	const uint8_t *tk = (const uint8_t *)(h + nslots);
	uint8_t now = fanout_tick(tick_us, now_us);
	uint32_t live = 0;
	int i;

	for (i = 0; i < nslots; i++)
		if (h[i] != 0 && (uint8_t)(now - tk[i]) < FANOUT_TICKS)
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
	const uint8_t *tk = (const uint8_t *)(h + nslots);
	uint8_t now = fanout_tick(tick_us, now_us), age;
	uint32_t n = 0;
	int i;

	for (i = 0; i < nslots; i++) {
		age = (uint8_t)(now - tk[i]);
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
	uint8_t *tk = (uint8_t *)(h + nslots);
	uint8_t now = fanout_tick(tick_us, now_us), oldest_age;
	int j, used = 0, dst;
	uint32_t i;

	fanout_clear(area, nslots);
	for (i = 0; i < n; i++) {
		if (in[i].dsthash == 0 || in[i].age > ENGINE_SLOT_MAX_AGE)
			continue;
		for (j = 0; j < used && h[j] != in[i].dsthash; j++)
			;
		if (j < used) {		/* repeated: its youngest age */
			if ((uint8_t)(now - tk[j]) > in[i].age)
				tk[j] = (uint8_t)(now - in[i].age);
			continue;
		}
		if (used < nslots)
			dst = used++;
		else {			/* full: the oldest goes if older */
			oldest_age = in[i].age;
			dst = -1;
			for (j = 0; j < used; j++)
				if ((uint8_t)(now - tk[j]) > oldest_age) {
					oldest_age = (uint8_t)(now - tk[j]);
					dst = j;
				}
			if (dst < 0)
				continue;
		}
		h[dst] = in[i].dsthash;
		tk[dst] = (uint8_t)(now - in[i].age);
	}
}
