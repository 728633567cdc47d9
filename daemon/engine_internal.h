/*
 * engine_internal.h: the parts of the detection engine (hash.c, window.c,
 * sources.c, policy.c, engine.c) as seen by each other and by their unit
 * tests.  Nothing outside the engine includes this; the rest of the program
 * uses the engine.c section of nflogmon.h.
 */
#ifndef ENGINE_INTERNAL_H
#define ENGINE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nflogmon.h"

/* ---------------------------------------------------------------- hash.c */
#define HASH_KEYLEN	16

/* SipHash-1-3 of data under a 128-bit key. */
uint64_t	hash_siphash(const uint8_t key[HASH_KEYLEN], const void *, size_t);
/* The hash of a source key: its meaningful bytes only. */
uint64_t	hash_key(const uint8_t key[HASH_KEYLEN], const struct key *);

/* -------------------------------------------------------------- window.c */
/*
 * A count of events in the last W, kept in WINDOW_BUCKETS buckets of
 * bucket_us = W / WINDOW_BUCKETS each.  The buckets are indexed by absolute
 * bucket number (t / bucket_us) modulo WINDOW_BUCKETS; the newest bucket is
 * the one of the source's last counted event, so no head is stored: the
 * caller passes last_us (the time of that event, never decreasing).
 *
 * Invariant: b[j % 16] holds the events of absolute bucket j for every j in
 * (head - 16, head], head = last_us / bucket_us; counts saturate at 65535.
 * The count at t is the sum of buckets head-15 .. head that are also within
 * t/bucket_us - 15 .. : a span shorter than W - bucket_us is always counted
 * whole, one of W or more never (DESIGN.md allows the difference).
 */
#define WINDOW_BUCKETS	16

/* The rules of each table, and the RULE_EVENTS rules among them (each
 * has a window in every entry of its table); RULE_TABLE_MAX and
 * RULE_WINDOWS are the larger of the two tables'. */
#define RULE_ONE_(...)			+ 1
#define RULE_WIN_(id, nm, cnt, ...)	+ ((cnt) == RULE_EVENTS)
enum {
	RULE_NSOURCES = 0 RULES_SOURCES(RULE_ONE_),
	RULE_NACCOUNTS = 0 RULES_ACCOUNTS(RULE_ONE_),
	RULE_WSOURCES = 0 RULES_SOURCES(RULE_WIN_),
	RULE_WACCOUNTS = 0 RULES_ACCOUNTS(RULE_WIN_),
	RULE_TABLE_MAX = RULE_NSOURCES > RULE_NACCOUNTS ? RULE_NSOURCES :
	    RULE_NACCOUNTS,
	RULE_WINDOWS = RULE_WSOURCES > RULE_WACCOUNTS ? RULE_WSOURCES :
	    RULE_WACCOUNTS,
};
#undef RULE_ONE_
#undef RULE_WIN_

struct window {
	uint16_t	b[WINDOW_BUCKETS];
};

int64_t		window_bucket_us(int64_t w_us);
void		window_clear(struct window *);
/* Counts one event at now_us >= last_us; fresh: no previous event. */
uint32_t	window_add(struct window *, int64_t bucket_us, bool fresh,
		    int64_t last_us, int64_t now_us);
/* The same, adding n events, given head = last_us / bucket_us and idx =
 * now_us / bucket_us (any head <= idx - WINDOW_BUCKETS when the window
 * is to be cleared). */
uint32_t	window_add_idx(struct window *, bool fresh, int64_t head,
		    int64_t idx, uint32_t n);
uint32_t	window_count(const struct window *, int64_t bucket_us,
		    int64_t last_us, int64_t now_us);
/* The buckets as counts, oldest first, ending with the bucket of last_us
 * (window_save), and back into a window whose last event is at last_us
 * (window_load): what engine_export and engine_import carry. */
void		window_save(const struct window *, int64_t bucket_us,
		    int64_t last_us, uint16_t counts[WINDOW_BUCKETS]);
void		window_load(struct window *, int64_t bucket_us,
		    int64_t last_us, const uint16_t counts[WINDOW_BUCKETS]);

/*
 * Distinct destinations in the last W: nslots slots, stored as two arrays in
 * one area (uint32_t hash[nslots], then uint8_t tick[nslots]).  A slot
 * holds the keyed 32-bit hash of a destination address (never 0; 0 marks a
 * free slot) and the tick (t / tick_us modulo 2^8, tick_us = W / 64) at
 * which that destination was last seen.  A slot whose age is 64 ticks or
 * more has left the window and is freed on the next event.  Ages are
 * computed modulo 2^8, which is exact because the caller clears the whole
 * area when the source has been silent for W or more, so no live slot is
 * ever older than 129 ticks, and reads the slots only at most W after the
 * source's last event (engine_count_at) or at it (engine_export).  When
 * every slot is live and a new destination comes, the oldest slot is
 * reused: the count then stays at nslots, which is more than any fanout
 * threshold the table was sized for.
 */
#define FANOUT_TICKS		64
#define FANOUT_MAX_SLOTS	1024

size_t		fanout_area_size(int nslots);
int64_t		fanout_tick_us(int64_t w_us);
void		fanout_clear(void *area, int nslots);
uint32_t	fanout_add(void *area, int nslots, uint32_t dsthash,
		    int64_t tick_us, int64_t now_us);
/* The same given the tick of now_us: (now_us / tick_us) modulo 2^8. */
uint32_t	fanout_add_tick(void *area, int nslots, uint32_t dsthash,
		    uint8_t now);
uint32_t	fanout_count(const void *area, int nslots, int64_t tick_us,
		    int64_t now_us);
/* The live slots at now_us as (hash, age in ticks); returns how many
 * (at most nslots) were written to out. */
uint32_t	fanout_save(const void *area, int nslots, int64_t tick_us,
		    int64_t now_us, struct engine_slot *out);
/* Fills a cleared area from n (hash, age) pairs aged back from now_us:
 * ages over ENGINE_SLOT_MAX_AGE and hash 0 are skipped, a repeated hash
 * keeps its youngest age, and the youngest win when n > nslots. */
void		fanout_load(void *area, int nslots, int64_t tick_us,
		    int64_t now_us, const struct engine_slot *in, uint32_t n);

/* ------------------------------------------------------------- sources.c */
/*
 * One tracked source.  Entries live in one preallocated array of stride
 * bytes (the header below plus the fanout slots), so the fanout area is the
 * flexible tail; its links in the LRU list live apart (struct lru_link).
 * Links are entry index + 1, 0 meaning none, so that a calloc'd array is a
 * valid empty table.
 *
 * Invariants: an entry is in use iff key.kind != KEY_NONE; it is in
 * exactly one hash chain; it is in the LRU list iff it is not judged;
 * connections == 0 iff the source has had no counted event since it was
 * inserted or counted afresh (first_us and last_us are then meaningless).
 */
struct source {
	struct key	key;
	uint32_t	hnext;		/* hash chain */
	uint32_t	connections;	/* counted events since afresh */
	uint32_t	attempts;	/* events while judged */
	int16_t		cls;		/* class index, -1 none */
	uint16_t	breaker_epoch;	/* breaker episode already reported */
	int64_t		first_us;	/* first counted event since afresh */
	int64_t		last_us;	/* latest counted event (max) */
	int64_t		until_us;	/* judged: end, DURATION_PERMANENT */
	struct window	win[RULE_WINDOWS];	/* its table's RULE_EVENTS
						   rules' */
	uint16_t	peak[RULE_TABLE_MAX];	/* highest count of the i-th
						   rule of its table */
	uint8_t		judged;
	uint8_t		pad;
	uint8_t		fanout[];	/* fanout area, nslots slots */
};

/*
 * Entry i's neighbours in the LRU list, in an array of their own: every
 * counted event relinks its source at the head, writing to the entries of
 * its two neighbours, which are anywhere in the table.  In this array of 8
 * bytes a source they are among 8 others a cache line, and the array of a
 * table larger than the cache mostly stays in it, while the entries come
 * from memory.
 */
struct lru_link {
	uint32_t	prev;		/* towards the most recently seen */
	uint32_t	next;		/* towards the least recently seen */
};

struct sources {
	uint8_t		*mem;		/* cap entries of stride bytes */
	void		*alloc;		/* mem, before its alignment to 64 */
	struct lru_link	*lru;		/* cap links, entry i's at i */
	size_t		 stride;
	uint64_t	 inv;		/* sources_index without a division */
	int		 shift;
	int		 nslots;
	uint32_t	 cap;
	uint32_t	 used;		/* entries 0 .. used-1 are in use */
	uint32_t	*buckets;	/* heads of the hash chains */
	uint32_t	 mask;		/* number of buckets - 1 */
	uint32_t	 lru_head;	/* most recently seen */
	uint32_t	 lru_tail;	/* least recently seen: evicted first */
	uint8_t		 hashkey[HASH_KEYLEN];
};

size_t		 sources_stride(int nslots);
int		 sources_init(struct sources *, uint32_t cap, int nslots,
		    const uint8_t hashkey[HASH_KEYLEN]);
void		 sources_fini(struct sources *);
uint64_t	 sources_hash(const struct sources *, const struct key *);
/* Entry i (0-based): inline, every event of the packet path calls it. */
static inline struct source *
sources_at(const struct sources *t, uint32_t i)
{
	return (struct source *)(void *)(t->mem + (size_t)i * t->stride);
}
/*
 * The index of entry s.  Its offset is an exact multiple of the stride, so
 * the quotient is the offset shifted by the stride's trailing zero bits
 * times the inverse of its odd part modulo 2^64: a multiply where a
 * division by a stride known only at run time takes tens of cycles.
 */
static inline uint32_t
sources_index(const struct sources *t, const struct source *s)
{
	uint64_t off = (uint64_t)((const uint8_t *)s - t->mem);

	return (uint32_t)((off >> t->shift) * t->inv);
}
struct source	*sources_lookup(const struct sources *, const struct key *,
		    uint64_t hash);
/*
 * A new zeroed entry for key (cls -1, in the LRU list at the head).  When
 * the table is full the least recently seen source that is not judged is
 * evicted and *evicted set; NULL when every entry is judged.
 */
struct source	*sources_insert(struct sources *, const struct key *,
		    uint64_t hash, bool *evicted);
void		 sources_touch(struct sources *, struct source *);
void		 sources_lru_unlink(struct sources *, struct source *);
void		 sources_lru_link(struct sources *, struct source *);

/* -------------------------------------------------------------- policy.c */
/*
 * Strike history, kept apart from the source table so that an evicted
 * source keeps its strikes.  A fixed table of STRIKES_MAX_KEYS keys, each
 * with its last CONF_MAX_ESCALATE strike times in ascending order; when
 * full, the key struck least recently is replaced (its history is lost).
 * Links are index + 1 as in sources.c.
 */
#define STRIKES_MAX_KEYS	65536

struct strike_ent {
	struct key	key;
	uint32_t	hnext;
	uint32_t	lru_prev;	/* towards the most recently struck */
	uint32_t	lru_next;
	uint32_t	n;		/* times in t[] */
	int64_t		t[CONF_MAX_ESCALATE];
};

/*
 * The circuit breaker: the times of the last n strikes in a ring.  A new
 * strike is allowed when fewer than n are remembered or the oldest of them
 * is w or more ago.
 *
 * Each source held back is reported once per episode.  An episode is a run
 * of refusals with gaps shorter than w between them: under a sustained
 * flood the breaker has room for a moment every w/n and loses it at once,
 * and counting each such moment as the end of the episode would report
 * every held-back source again and again.  brk_epoch numbers the episodes
 * (never 0 once one began); brk_last_us is the time of the last refusal.
 */
struct policy {
	struct strike_ent *ents;
	uint32_t	 cap, used;
	uint32_t	*buckets;
	uint32_t	 mask;
	uint32_t	 lru_head, lru_tail;
	uint8_t		 hashkey[HASH_KEYLEN];

	int64_t		*brk;		/* ring of strike times */
	uint32_t	 brk_cap;	/* n of max_new_blocks (>= 1 slot) */
	uint32_t	 brk_len;
	uint32_t	 brk_head;	/* oldest */
	bool		 brk_refused;	/* brk_last_us is valid */
	int64_t		 brk_last_us;	/* last refusal */
	uint16_t	 brk_epoch;
};

int		 policy_init(struct policy *, uint32_t maxkeys,
		    const struct rate *max_new_blocks,
		    const uint8_t hashkey[HASH_KEYLEN]);
void		 policy_fini(struct policy *);
int		 policy_reconf(struct policy *, const struct rate *);
void		 policy_add_strike(struct policy *, const struct key *,
		    int64_t at_us);
int		 policy_strikes(const struct policy *, const struct key *,
		    int64_t now_us, int64_t memory_us);
/* The timeout of the n-th strike (n >= 1). */
int64_t		 policy_timeout(const struct conf *, int n);
/* Whether a new strike at now_us fits under max_new_blocks. */
bool		 policy_breaker_room(struct policy *, const struct rate *,
		    int64_t now_us);
void		 policy_breaker_note(struct policy *, const struct rate *,
		    int64_t now_us);
void		 policy_foreach_strike(const struct policy *,
		    void (*)(const struct key *, int64_t, void *), void *);

#endif /* ENGINE_INTERNAL_H */
