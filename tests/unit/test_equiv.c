/*
 * test_equiv.c: the engine's fast paths against their plain versions over
 * random event sequences.  window_add, which sums its buckets before it
 * stores, against the version that counts with window_count afterwards;
 * engine_feed_batch, which prepares and prefetches a batch first, against
 * engine_feed one record at a time (verdicts, stats and talkers equal),
 * in a table small enough to evict and in one large enough to prefetch.
 * Deterministic: a fixed xorshift seed per case.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine_test.h"
#include "engine_internal.h"

static uint32_t
rnd(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/* window_add as it was first written: count after the store. */
static uint32_t
ref_window_add(struct window *w, int64_t bucket_us, bool fresh,
    int64_t last_us, int64_t now_us)
{
	int64_t head = last_us / bucket_us, idx = now_us / bucket_us, j;
	uint16_t *c;

	if (fresh || idx - head >= WINDOW_BUCKETS)
		window_clear(w);
	else
		for (j = head + 1; j <= idx; j++)
			w->b[(uint64_t)j % WINDOW_BUCKETS] = 0;
	if (idx < head)
		idx = head;
	c = &w->b[(uint64_t)idx % WINDOW_BUCKETS];
	if (*c < UINT16_MAX)
		(*c)++;
	return window_count(w, bucket_us, idx * bucket_us, idx * bucket_us);
}

static void
test_window_add_equiv(void **state)
{
	static const int64_t ws[] = { 10, MIN, HOUR, 7 * SEC + 3 };
	struct window a, b;
	uint32_t x = 2463534242u, ga, gb;
	int64_t bucket, last, now, step;
	size_t k;
	int i, seq;

	(void)state;
	for (k = 0; k < sizeof(ws) / sizeof(ws[0]); k++) {
		bucket = window_bucket_us(ws[k]);
		for (seq = 0; seq < 200; seq++) {
			window_clear(&a);
			window_clear(&b);
			last = (int64_t)(rnd(&x) % 1000) * bucket;
			for (i = 0; i < 300; i++) {
				switch (rnd(&x) % 6) {
				case 0:		/* same instant */
					step = 0;
					break;
				case 1:		/* within a bucket */
					step = rnd(&x) % (uint32_t)bucket;
					break;
				case 2:		/* a few buckets */
					step = (int64_t)(rnd(&x) % 40) * bucket
					    / 3;
					break;
				case 3:		/* about W */
					step = ws[k] - bucket + (int64_t)
					    (rnd(&x) % 3) * bucket;
					break;
				case 4:		/* clock back */
					step = -(int64_t)(rnd(&x) %
					    (uint32_t)(2 * bucket + 1));
					break;
				default:	/* long silence */
					step = (int64_t)(rnd(&x) % 100) * ws[k];
				}
				now = last + step;
				ga = window_add(&a, bucket, i == 0, last, now);
				gb = ref_window_add(&b, bucket, i == 0, last,
				    now);
				if (ga != gb || memcmp(&a, &b, sizeof(a)) != 0)
					fail_msg("W %lld seq %d event %d: %u, "
					    "want %u", (long long)ws[k], seq, i,
					    ga, gb);
				if (now > last)
					last = now;
			}
		}
	}
}

static void
test_window_add_saturates_equiv(void **state)
{
	struct window a, b;
	int64_t bucket = window_bucket_us(MIN);
	uint32_t ga = 0, gb = 0;
	int i;

	(void)state;
	window_clear(&a);
	window_clear(&b);
	for (i = 0; i < 80000; i++) {
		/* 10 000 events in a bucket, then 70 000 in the next */
		int64_t t = i < 10000 ? 0 : bucket;

		ga = window_add(&a, bucket, i == 0, i == 0 ? 0 :
		    (i <= 10000 ? 0 : bucket), t);
		gb = ref_window_add(&b, bucket, i == 0, i == 0 ? 0 :
		    (i <= 10000 ? 0 : bucket), t);
		if (ga != gb)
			fail_msg("event %d: %u, want %u", i, ga, gb);
	}
	assert_int_equal(ga, 10000 + 65535);
	assert_memory_equal(&a, &b, sizeof(a));
}

/* ------------------------------------------------------------ batch */

#define NREC	60000

struct recs {
	struct pkt	 p[NREC];
	enum pkt_result	 r[NREC];
	int64_t		 t[NREC];
};

/*
 * Random records: sources from a pool of npool (64 of them hot),
 * destinations from 40, some not SYNs, not port 25, ignored or
 * malformed, times 0 to 3 s apart with now and then a long silence.
 */
static void
recs_fill(struct recs *rs, uint32_t npool, uint32_t seed)
{
	uint32_t x = seed, s, u;
	int64_t t = 1700000000 * SEC;
	int i;

	memset(rs, 0, sizeof(*rs));
	for (i = 0; i < NREC; i++) {
		struct pkt *p = &rs->p[i];

		u = rnd(&x);
		s = u % 4 == 0 ? (u >> 2) % 64 : rnd(&x) % npool;
		p->src.family = AF_INET;
		p->src.b[0] = 198;
		p->src.b[1] = (uint8_t)(18 + (s >> 16));
		p->src.b[2] = (uint8_t)(s >> 8);
		p->src.b[3] = (uint8_t)s;
		p->dst.family = AF_INET;
		p->dst.b[0] = 203;
		p->dst.b[2] = 113;
		p->dst.b[3] = (uint8_t)(rnd(&x) % 40);
		p->sport = 40000;
		p->dport = rnd(&x) % 50 == 0 ? 587 : 25;
		p->tcp_flags = rnd(&x) % 40 == 0 ? TCP_SYN | TCP_ACK : TCP_SYN;
		p->group = 1;
		u = rnd(&x) % 100;
		rs->r[i] = u == 0 ? PKT_MALFORMED : u == 1 ? PKT_IGNORED :
		    PKT_OK;
		t += rnd(&x) % 2000 == 0 ? 20 * MIN :
		    (int64_t)(rnd(&x) % (3 * SEC / 1000)) * 1000 / npool;
		rs->t[i] = t;
	}
}

static void
batch_case(uint32_t npool, uint32_t max_sources, uint32_t seed)
{
	static struct recs rs;
	static struct event ev[NREC];
	static struct verdict va[NREC], vb[NREC];
	size_t nev = 0, nign = 0, nmal = 0;
	struct engine_talker ta[20], tb[20];
	struct engine_stats sa, sb;
	struct conf *c = tconf_new();
	struct engine *a, *b;
	size_t na = 0, nb = 0, i, n, k, nta, ntb;
	uint32_t x = seed ^ 0x9e3779b9u;

	c->max_sources = max_sources;
	c->rate[RULE_BURST] = trate(6, MIN);
	c->rate[RULE_FANOUT] = trate(4, 10 * MIN);
	c->max_new_blocks = trate(50, MIN);
	recs_fill(&rs, npool, seed);
	if ((a = tengine_new(c, test_hashkey)) == NULL ||
	    (b = tengine_new(c, test_hashkey)) == NULL)
		fail_msg("engine_new");
	/* the input's part, once: classification into events */
	for (i = 0; i < NREC; i++)
		switch (pkt_event(c, &rs.p[i], rs.r[i], rs.t[i], &ev[nev])) {
		case PKT_OK:
			nev++;
			break;
		case PKT_IGNORED:
			nign++;
			break;
		default:
			nmal++;
		}
	for (i = 0; i < nev; i++)
		if (engine_feed(a, &ev[i], &va[na]))
			na++;
	for (i = 0; i < nev; i += n) {
		n = 1 + rnd(&x) % (2 * ENGINE_BATCH + 3);
		if (n > nev - i)
			n = nev - i;
		nb += engine_feed_batch(b, &ev[i], n, &vb[nb]);
	}
	engine_stats(a, &sa);
	engine_stats(b, &sb);
	if (memcmp(&sa, &sb, sizeof(sa)) != 0)
		fail_msg("pool %u: stats differ (events %llu/%llu, attempts "
		    "%llu/%llu, evicted %llu/%llu)", npool,
		    (unsigned long long)sa.events,
		    (unsigned long long)sb.events,
		    (unsigned long long)sa.attempts,
		    (unsigned long long)sb.attempts,
		    (unsigned long long)sa.evicted,
		    (unsigned long long)sb.evicted);
	assert_int_equal(na, nb);
	for (k = 0; k < na; k++) {
		char ba[256], bb[256];

		if (memcmp(&va[k], &vb[k], sizeof(va[k])) != 0)
			fail_msg("pool %u: verdict %zu: %s, want %s", npool, k,
			    tverdict_fmt(&vb[k], true, bb, sizeof(bb)),
			    tverdict_fmt(&va[k], true, ba, sizeof(ba)));
	}
	memset(ta, 0, sizeof(ta));
	memset(tb, 0, sizeof(tb));
	nta = engine_top(a, ta, 20, true, rs.t[NREC - 1]);
	ntb = engine_top(b, tb, 20, true, rs.t[NREC - 1]);
	assert_int_equal(nta, ntb);
	assert_memory_equal(ta, tb, sizeof(ta));
	/* the case must mean something: verdicts of several kinds */
	assert_true(na > 20);
	assert_true(nign > 0 && nmal > 0 && sa.attempts > 0);
	engine_free(a);
	engine_free(b);
	tconf_free(c);
}

/* Fewer sources than the table holds; no eviction, no prefetch. */
static void
test_batch_small(void **state)
{
	(void)state;
	batch_case(300, 1000, 1);
}

/* A table of 64 for 300 sources: eviction, and a table all judged. */
static void
test_batch_evicting(void **state)
{
	(void)state;
	batch_case(300, 64, 2);
}

/* More sources than ENGINE_PREFETCH_MIN: the prefetching path. */
static void
test_batch_large(void **state)
{
	(void)state;
	batch_case(20000, 30000, 3);
}

/* The large path with eviction: a table of 6000 for 20000 sources. */
static void
test_batch_large_evicting(void **state)
{
	(void)state;
	batch_case(20000, 6000, 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window_add_equiv),
		cmocka_unit_test(test_window_add_saturates_equiv),
		cmocka_unit_test(test_batch_small),
		cmocka_unit_test(test_batch_evicting),
		cmocka_unit_test(test_batch_large),
		cmocka_unit_test(test_batch_large_evicting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
