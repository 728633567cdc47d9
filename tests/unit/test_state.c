/*
 * test_state.c: the first release's state file format, now imported only
 * (write -> parse round trip, a table of corrupt inputs that must all be
 * refused).  The files themselves (import, corrupt set aside) are
 * test_store.c's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon.h"

static struct state_block
sb(const char *src, enum rule rule, enum action act, int64_t expires_us,
    const char *reason, uint32_t attempts)
{
	struct state_block s;
	char err[64];

	memset(&s, 0, sizeof(s));
	assert_int_equal(key_parse(src, 64, &s.b.key, err, sizeof(err)), 0);
	s.b.rule = rule;
	s.b.action = act;
	s.b.connections = 21;
	s.b.destinations = rule == RULE_FANOUT ? 16 :
	    rule == RULE_BURST ? 4294967295U : 0;
	s.b.since_us = 1700000003450000LL;
	s.b.expires_us = expires_us;
	s.b.strikes = 3;
	s.b.enforced = act != ACT_DRY_RUN;
	snprintf(s.b.reason, sizeof(s.b.reason), "%s", reason);
	if (act == ACT_THROTTLE) {
		s.b.throttle_rate.n = 5;
		s.b.throttle_rate.w_us = 60 * US_PER_S;
	}
	s.attempts = attempts;
	return s;
}

static char *
to_text(const struct state *st, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	assert_non_null(f);
	assert_int_equal(state_write(f, st), 0);
	fclose(f);
	return buf;
}

static void
test_roundtrip(void **state)
{
	struct state_block blocks[5];
	struct state_strike strikes[3];
	struct state st = { .saved_us = 1700000100000000LL }, back;
	char err[256], *text, *text2;
	size_t len, len2, i;

	(void)state;
	blocks[0] = sb("192.0.2.7", RULE_BURST, ACT_BLOCK,
	    1700003603450000LL, "", 57);
	blocks[1] = sb("2001:db8:1:2::/64", RULE_FANOUT, ACT_THROTTLE,
	    DURATION_PERMANENT, "", 0);
	blocks[2] = sb("uid:1001", RULE_MANUAL, ACT_BLOCK, 1700090000000000LL,
	    "ticket 12: 100% spam - see %20 café", 4294967295U);
	blocks[3] = sb("198.51.100.9", RULE_SUSTAINED, ACT_DRY_RUN,
	    1700003603450000LL, "-", 1);
	blocks[4] = sb("203.0.113.1", RULE_MANUAL, ACT_BLOCK,
	    1700003603450000LL, "adopted", 0);
	for (i = 0; i < 3; i++) {
		char e[64];
		assert_int_equal(key_parse(i == 2 ? "uid:0" : "192.0.2.7", 64,
		    &strikes[i].key, e, sizeof(e)), 0);
		strikes[i].at_us = 1700000000000000LL + (int64_t)i;
	}
	strikes[1].at_us = -5;		/* before the epoch: still valid */
	st.blocks = blocks;
	st.nblocks = 5;
	st.strikes = strikes;
	st.nstrikes = 3;

	text = to_text(&st, &len);
	assert_int_equal(state_parse(text, len, 64, &back, err, sizeof(err)),
	    0);
	assert_int_equal(back.saved_us, st.saved_us);
	assert_int_equal(back.nblocks, 5);
	assert_int_equal(back.nstrikes, 3);
	for (i = 0; i < 5; i++) {
		assert_true(key_equal(&back.blocks[i].b.key, &blocks[i].b.key));
		assert_int_equal(back.blocks[i].b.rule, blocks[i].b.rule);
		assert_int_equal(back.blocks[i].b.action, blocks[i].b.action);
		assert_int_equal(back.blocks[i].b.connections, 21);
		assert_int_equal(back.blocks[i].b.destinations,
		    blocks[i].b.destinations);
		assert_int_equal(back.blocks[i].b.since_us, blocks[i].b.since_us);
		assert_int_equal(back.blocks[i].b.expires_us,
		    blocks[i].b.expires_us);
		assert_int_equal(back.blocks[i].b.strikes, 3);
		assert_int_equal(back.blocks[i].b.enforced,
		    blocks[i].b.enforced);
		assert_string_equal(back.blocks[i].b.reason,
		    blocks[i].b.reason);
		assert_int_equal(back.blocks[i].b.throttle_rate.n,
		    blocks[i].b.throttle_rate.n);
		assert_int_equal(back.blocks[i].b.throttle_rate.w_us,
		    blocks[i].b.throttle_rate.w_us);
		assert_int_equal(back.blocks[i].attempts, blocks[i].attempts);
	}
	for (i = 0; i < 3; i++) {
		assert_true(key_equal(&back.strikes[i].key, &strikes[i].key));
		assert_int_equal(back.strikes[i].at_us, strikes[i].at_us);
	}
	/* Writing what was read gives the same bytes. */
	text2 = to_text(&back, &len2);
	assert_int_equal(len, len2);
	assert_memory_equal(text, text2, len);
	free(text);
	free(text2);
	state_free(&back);
}

#define HDR "nflogmon-state 1\nsaved 1700000000000000\n"
#define HDR2 "nflogmon-state 2\nsaved 1700000000000000\n"
#define HK "hashkey 000102030405060708090a0b0c0d0e0f\n"
#define BK0 "0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0"
#define BK1 "0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,4"
/* counts SOURCE CONN FIRST LAST BURST_BUCKET B.. SUST_BUCKET S.. TICK N */
#define C(first, last, b, n) "counts 192.0.2.9 4 " first " " last " 3750000 " \
	    b " 0 " BK0 " 9375000 " n "\n"
#define C1 C("1699999990000000", "1699999995000000", BK1, "2")
#define B1 "block 192.0.2.7 burst block 21 1700000003450000 1700003603450000 " \
	   "1 57 1 - -\n"

static const struct {
	const char	*text;
	int		 rv;
	size_t		 nblocks, nstrikes, ncounts;
} parses[] = {
	{ HDR "end 0 0\n", 0, 0, 0, 0 },
	{ HDR B1 "strike 192.0.2.7 1700000003450000\nend 1 1\n", 0, 1, 1, 0 },
	{ HDR B1 "block 192.0.2.8 manual block 0 1 permanent 0 0 0 - x%25y\n"
	    "end 2 0\n", 0, 2, 0, 0 },
	{ "", -1, 0, 0, 0 },					/* empty */
	{ HDR, -1, 0, 0, 0 },					/* no end */
	{ HDR B1, -1, 0, 0, 0 },
	{ HDR B1 "end 1 0", -1, 0, 0, 0 },				/* no newline */
	{ HDR B1 "end 2 0\n", -1, 0, 0, 0 },			/* count */
	{ HDR B1 "end 1 0\nend 1 0\n", -1, 0, 0, 0 },		/* after end */
	{ "nflogmon-state 3\nsaved 1\nend 0 0 0\n", -1, 0, 0, 0 },	/* version */
	{ "nflogmon-state 0\nsaved 1\nend 0 0\n", -1, 0, 0, 0 },
	/* version 2: window counters */
	{ HDR2 "end 0 0 0\n", 0, 0, 0, 0 },
	{ HDR2 B1 HK C1 "dsts 1f:3,ffffffff:0\nend 1 0 1\n", 0, 1, 0, 1 },
	{ HDR2 HK C("1", "2", BK0, "0") C("1", "2", BK1, "1") "dsts 5:63\n"
	    "end 0 0 2\n", 0, 0, 0, 2 },
	{ HDR2 HK C("1", "2", BK0, "3") "dsts 5:63\ndsts 6:1,7:1\n"
	    "end 0 0 1\n", 0, 0, 0, 1 },			/* 2 lines */
	{ HDR2 "end 0 0\n", -1, 0, 0, 0 },			/* v2 end */
	{ HDR "end 0 0 0\n", -1, 0, 0, 0 },			/* v1 end */
	{ HDR HK "end 0 0\n", -1, 0, 0, 0 },			/* v1 key */
	{ HDR2 C1 "dsts 1f:3,2:0\nend 0 0 1\n", -1, 0, 0, 0 },	/* no key */
	{ HDR2 HK HK "end 0 0 0\n", -1, 0, 0, 0 },		/* key twice */
	{ HDR2 "hashkey 0001\nend 0 0 0\n", -1, 0, 0, 0 },
	{ HDR2 "hashkey 000102030405060708090a0b0c0d0e0g\nend 0 0 0\n", -1,
	    0, 0, 0 },
	{ HDR2 HK C1 "end 0 0 1\n", -1, 0, 0, 0 },		/* dsts due */
	{ HDR2 HK C1 "dsts 1f:3\nend 0 0 1\n", -1, 0, 0, 0 },
	{ HDR2 HK C1 "dsts 1f:3,2:0,3:0\nend 0 0 1\n", -1, 0, 0, 0 },
	{ HDR2 HK C1 "dsts 1f:3\ndsts 2:0\nend 0 0 1\n", 0, 0, 0, 1 },
	{ HDR2 HK C1 "dsts 1f:3,0:0\nend 0 0 1\n", -1, 0, 0, 0 },	/* hash 0 */
	{ HDR2 HK C1 "dsts 1f:3,2:64\nend 0 0 1\n", -1, 0, 0, 0 },	/* age */
	{ HDR2 HK C1 "dsts 1f:3,100000000:1\nend 0 0 1\n", -1, 0, 0, 0 },
	{ HDR2 HK C1 "dsts 1F:3,2:1\nend 0 0 1\n", -1, 0, 0, 0 },
	{ HDR2 HK C1 "dsts 1f:3,:1\nend 0 0 1\n", -1, 0, 0, 0 },
	{ HDR2 HK C1 "dsts 1f:3,2:1,\nend 0 0 1\n", -1, 0, 0, 0 },
	{ HDR2 HK C1 "dsts -1:3,2:1\nend 0 0 1\n", -1, 0, 0, 0 },
	{ HDR2 HK "dsts 1f:3\nend 0 0 0\n", -1, 0, 0, 0 },	/* no counts */
	{ HDR2 HK C("5", "4", BK0, "0") "end 0 0 1\n", -1, 0, 0, 0 },
	{ HDR2 HK C("1", "2", "0,0,0,0,0,0,0,0,0,0,0,0,0,0,0", "0")
	    "end 0 0 1\n", -1, 0, 0, 0 },				/* 15 */
	{ HDR2 HK C("1", "2", BK0 ",0", "0") "end 0 0 1\n", -1, 0, 0, 0 },
	{ HDR2 HK C("1", "2", "65536,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0", "0")
	    "end 0 0 1\n", -1, 0, 0, 0 },
	{ HDR2 HK C("1", "2", "0,0,0,0,0,0,0,0,,0,0,0,0,0,0,0", "0")
	    "end 0 0 1\n", -1, 0, 0, 0 },
	{ HDR2 HK C("1", "2", BK0, "1025") "end 0 0 1\n", -1, 0, 0, 0 },
	{ HDR2 HK C("1", "9999999999999999999", BK0, "0") "end 0 0 1\n", -1,
	    0, 0, 0 },
	{ HDR2 HK "counts 192.0.2.9 0 1 2 1 " BK0 " 1 " BK0 " 1 0\n"
	    "end 0 0 1\n", -1, 0, 0, 0 },				/* conns */
	{ HDR2 HK "counts 192.0.2.9 1 1 2 1 " BK0 " 1 " BK0 " 1\n"
	    "end 0 0 1\n", -1, 0, 0, 0 },				/* fields */
	{ HDR2 HK C("1", "2", BK0, "0") "end 0 0 2\n", -1, 0, 0, 0 },
	{ HDR2 HK C("1", "2", BK0, "0") "end 0 0 0\n", -1, 0, 0, 0 },
	{ "something else\nsaved 1\nend 0 0\n", -1, 0, 0, 0 },
	{ "nflogmon-state 1\nend 0 0\n", -1, 0, 0, 0 },		/* no saved */
	{ HDR "block 192.0.2.7 burst block 21 1 2 1 57 1 -\nend 1 0\n", -1, 0,
	    0, 0 },						/* fields */
	{ HDR "block 192.0.2.7 burst block 21 1 2 1 57 1 - - x\nend 1 0\n",
	    -1, 0, 0, 0 },
	{ HDR "block 192.0.2.7  burst block 21 1 2 1 57 1 - -\nend 1 0\n", -1,
	    0, 0, 0 },						/* 2 spaces */
	{ HDR "block 192.0.2.300 burst block 21 1 2 1 57 1 - -\nend 1 0\n",
	    -1, 0, 0, 0 },						/* source */
	{ HDR "block 192.0.2.7 none block 21 1 2 1 57 1 - -\nend 1 0\n", -1,
	    0, 0, 0 },						/* rule */
	{ HDR "block 192.0.2.7 burst allowed 21 1 2 1 57 1 - -\nend 1 0\n",
	    -1, 0, 0, 0 },						/* action */
	{ HDR "block 192.0.2.7 burst block -1 1 2 1 57 1 - -\nend 1 0\n", -1,
	    0, 0, 0 },						/* negative */
	{ HDR "block 192.0.2.7 burst block 4294967296 1 2 1 57 1 - -\n"
	    "end 1 0\n", -1, 0, 0, 0 },				/* u32 */
	{ HDR "block 192.0.2.7 burst block 21 1 2 1 57 2 - -\nend 1 0\n", -1,
	    0, 0, 0 },						/* enforced */
	{ HDR "block 192.0.2.7 burst block 21 1 2 1 57 1 - a%2\nend 1 0\n",
	    -1, 0, 0, 0 },						/* escape */
	{ HDR "block 192.0.2.7 burst block 21 1 2 1 57 1 - a%0Ab\nend 1 0\n",
	    -1, 0, 0, 0 },						/* newline */
	{ HDR "block 192.0.2.7 burst throttle 21 1 2 1 57 1 - -\nend 1 0\n",
	    -1, 0, 0, 0 },						/* no rate */
	{ HDR "block 192.0.2.7 burst throttle 21 1 2 1 57 1 5/0 -\n"
	    "end 1 0\n", -1, 0, 0, 0 },
	{ HDR "block 192.0.2.7 burst block 21 1 2 1 57 1 - -\r\nend 1 0\n",
	    -1, 0, 0, 0 },						/* CR */
	{ HDR "block 192.0.2.7 burst block 21 +1 2 1 57 1 - -\nend 1 0\n",
	    -1, 0, 0, 0 },
	{ HDR "block 192.0.2.7 burst block 21 99999999999999999999 2 1 57 1 "
	    "- -\nend 1 0\n", -1, 0, 0, 0 },			/* overflow */
	/* destinations: an optional 13th field */
	{ HDR "block 192.0.2.7 burst block 21 1 2 1 57 1 - - 6\nend 1 0\n", 0,
	    1, 0, 0 },
	{ HDR "block 192.0.2.7 burst block 21 1 2 1 57 1 - - 4294967295\n"
	    "end 1 0\n", 0, 1, 0, 0 },
	{ HDR2 "block 192.0.2.7 burst block 21 1 2 1 57 1 - - 0\nend 1 0 0\n",
	    0, 1, 0, 0 },
	{ HDR "block 192.0.2.7 burst block 21 1 2 1 57 1 - - 4294967296\n"
	    "end 1 0\n", -1, 0, 0, 0 },
	{ HDR "block 192.0.2.7 burst block 21 1 2 1 57 1 - - -1\nend 1 0\n",
	    -1, 0, 0, 0 },
	{ HDR "block 192.0.2.7 burst block 21 1 2 1 57 1 - - 6 7\nend 1 0\n",
	    -1, 0, 0, 0 },
	{ HDR "block 192.0.2.7 burst block 21 1 2 1 57 1 - - 6 \nend 1 0\n",
	    -1, 0, 0, 0 },
	{ HDR "strike 192.0.2.7\nend 0 1\n", -1, 0, 0, 0 },
	{ HDR "strike 192.0.2.7 x\nend 0 1\n", -1, 0, 0, 0 },
	/* strike times: moved onto the monotonic clock at restore, so far
	 * from overflow (INT64_MAX / 4 = 2305843009213693951) */
	{ HDR "strike 192.0.2.7 -5\nend 0 1\n", 0, 0, 1, 0 },
	{ HDR "strike 192.0.2.7 -2305843009213693951\nend 0 1\n", 0, 0, 1,
	    0 },
	{ HDR "strike 192.0.2.7 2305843009213693951\nend 0 1\n", 0, 0, 1,
	    0 },
	{ HDR "strike 192.0.2.7 -2305843009213693952\nend 0 1\n", -1, 0, 0,
	    0 },
	{ HDR "strike 192.0.2.7 2305843009213693952\nend 0 1\n", -1, 0, 0,
	    0 },
	{ HDR "strike 192.0.2.7 -9223372036854775807\nend 0 1\n", -1, 0, 0,
	    0 },						/* INT64_MIN + 1 */
	{ HDR "strike 192.0.2.7 9223372036854775806\nend 0 1\n", -1, 0, 0,
	    0 },
	{ HDR "ban 192.0.2.7 1\nend 0 0\n", -1, 0, 0, 0 },
	{ HDR "\nend 0 0\n", -1, 0, 0, 0 },
};

/*
 * Window counters round-trip, slots over several dsts lines included; the
 * file says version 2 only when it holds them.
 */
static void
test_roundtrip_counts(void **state)
{
	struct engine_slot slots[70];
	struct engine_counters c[2];
	struct state st = { .saved_us = 1700000100000000LL }, back;
	char err[256], *text, *text2;
	size_t len, len2, i;
	int j;

	(void)state;
	text = to_text(&st, &len);
	assert_memory_equal(text, "nflogmon-state 1\n", 17);
	free(text);

	memset(c, 0, sizeof(c));
	for (i = 0; i < 70; i++) {
		slots[i].dsthash = 0x9e3779b9U * (uint32_t)(i + 1);
		slots[i].age = (uint16_t)(i % 64);
	}
	assert_int_equal(key_parse("2001:db8:1:2::/64", 64, &c[0].key, err,
	    sizeof(err)), 0);
	c[0].connections = 4000000000U;
	c[0].first_us = 1699999000000000LL;
	c[0].last_us = 1700000099000000LL;
	c[0].bucket_us[RULE_BURST] = 3750000;
	c[0].bucket_us[RULE_SUSTAINED] = 225000000;
	c[0].distinct_tick_us = 9375000;
	for (j = 0; j < ENGINE_BUCKETS; j++) {
		c[0].buckets[RULE_BURST][j] = (uint16_t)(j * 4000);
		c[0].buckets[RULE_SUSTAINED][j] = (uint16_t)(65535 - j);
	}
	c[0].nslots = 70;
	c[0].slots = slots;
	assert_int_equal(key_parse("uid:1001", 64, &c[1].key, err,
	    sizeof(err)), 0);
	c[1].connections = 1;
	c[1].first_us = c[1].last_us = -7;
	st.has_hashkey = true;
	for (i = 0; i < 16; i++)
		st.hashkey[i] = (uint8_t)(0xf0 + i);
	st.counts = c;
	st.ncounts = 2;

	text = to_text(&st, &len);
	assert_memory_equal(text, "nflogmon-state 2\n", 17);
	assert_int_equal(state_parse(text, len, 64, &back, err, sizeof(err)),
	    0);
	assert_true(back.has_hashkey);
	assert_memory_equal(back.hashkey, st.hashkey, 16);
	assert_int_equal(back.ncounts, 2);
	assert_int_equal(back.nslots, 70);
	for (i = 0; i < 2; i++) {
		const struct engine_counters *a = &c[i], *b = &back.counts[i];
		assert_true(key_equal(&a->key, &b->key));
		assert_int_equal(a->connections, b->connections);
		assert_int_equal(a->first_us, b->first_us);
		assert_int_equal(a->last_us, b->last_us);
		assert_int_equal(a->bucket_us[RULE_BURST], b->bucket_us[RULE_BURST]);
		assert_int_equal(a->bucket_us[RULE_SUSTAINED], b->bucket_us[RULE_SUSTAINED]);
		assert_int_equal(a->distinct_tick_us, b->distinct_tick_us);
		assert_memory_equal(a->buckets[RULE_BURST], b->buckets[RULE_BURST], sizeof(a->buckets[RULE_BURST]));
		assert_memory_equal(a->buckets[RULE_SUSTAINED], b->buckets[RULE_SUSTAINED],
		    sizeof(a->buckets[RULE_SUSTAINED]));
		assert_int_equal(a->nslots, b->nslots);
	}
	assert_null(back.counts[1].slots);
	for (i = 0; i < 70; i++) {
		assert_int_equal(back.counts[0].slots[i].dsthash,
		    slots[i].dsthash);
		assert_int_equal(back.counts[0].slots[i].age, slots[i].age);
	}
	text2 = to_text(&back, &len2);
	assert_int_equal(len, len2);
	assert_memory_equal(text, text2, len);
	free(text);
	free(text2);
	state_free(&back);
}

static void
test_parse_table(void **state)
{
	struct state st;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(parses) / sizeof(parses[0]); i++) {
		err[0] = '\0';
		if (state_parse(parses[i].text, strlen(parses[i].text), 64, &st,
		    err, sizeof(err)) != parses[i].rv)
			fail_msg("case %zu: expected %d (%s)", i, parses[i].rv,
			    err);
		if (parses[i].rv == 0) {
			assert_int_equal(st.nblocks, parses[i].nblocks);
			assert_int_equal(st.nstrikes, parses[i].nstrikes);
			assert_int_equal(st.ncounts, parses[i].ncounts);
			state_free(&st);
		} else {
			assert_true(err[0] != '\0');
			assert_null(st.blocks);
			assert_null(st.strikes);
			assert_null(st.counts);
			assert_null(st.slots);
		}
	}
}

/* A line too long and a NUL byte are refused, not read past. */
static void
test_parse_limits(void **state)
{
	char buf[STATE_MAX_LINE + 200], err[128];
	struct state st;
	size_t n;

	(void)state;
	n = (size_t)snprintf(buf, sizeof(buf), HDR "block ");
	memset(buf + n, 'a', STATE_MAX_LINE);
	strcpy(buf + n + STATE_MAX_LINE, "\nend 0 0\n");
	assert_int_equal(state_parse(buf, strlen(buf), 64, &st, err,
	    sizeof(err)), -1);
	n = (size_t)snprintf(buf, sizeof(buf), HDR "end 0 0\n");
	buf[5] = '\0';
	assert_int_equal(state_parse(buf, n, 64, &st, err, sizeof(err)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_roundtrip_counts),
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_parse_limits),
	};

	log_init("test_state", true, false);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
