/*
 * test_engine.c: the engine end to end, as tables of runs of events ->
 * the verdict expected on the last event of each run (and none before it),
 * following DESIGN.md "Rules, precisely".  Defaults: burst 20/1m,
 * sustained 120/1h, fanout 15/10m, escalate 1h, 1d, 7d, strike_memory 30d,
 * max_new_blocks 20/1m.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine_test.h"

enum op {
	OP_EVENTS = 0,	/* n events */
	OP_RECONF,	/* engine_reconf with the case's reconf config */
	OP_RECONF2,	/* engine_reconf back to the case's own config */
	OP_JUDGE,	/* engine_judge(src) until t + dt (manual block) */
	OP_RELEASE,	/* engine_release(src) */
	OP_ATTEMPTS,	/* engine_attempts(src) == n */
	OP_STRIKES,	/* engine_strikes(src, t) == n */
};

struct row {
	enum op		 op;
	int		 n;		/* events in the run */
	int64_t		 t_ms;		/* time of the first */
	int64_t		 dt_ms;		/* between events */
	const char	*src;
	int		 sstep;		/* added to src's last byte per event */
	const char	*dst;
	int		 dstep;		/* added to dst's last byte per event */
	int		 dmod;		/* ... modulo this (0: no modulo) */
	const char	*expect;	/* verdict of the last event; NULL none */
	int		 group;		/* 0: forward group (1) */
	uint32_t	 uid;		/* 0: none */
	uint16_t	 dport;		/* 0: 25 */
	uint8_t		 flags;		/* 0: SYN */
	enum pkt_result	 result;
};

struct ecase {
	const char	*name;
	void		(*setup)(struct conf *);
	void		(*reconf)(struct conf *);
	struct row	 rows[24];
	const char	*stats;		/* "events=.. ignored=.." or NULL */
};

#define A	"192.0.2.7"
#define B	"192.0.2.8"
#define C	"192.0.2.9"
#define D	"192.0.2.10"
#define MX	"203.0.113.1"

#define RUN(n_, t_, dt_, src_, dst_, exp_) \
	{ .n = (n_), .t_ms = (t_), .dt_ms = (dt_), .src = (src_), \
	  .dst = (dst_), .expect = (exp_) }
/* 21 events one second apart to one destination from t_ms on. */
#define BURST21(t_, src_, exp_) \
	RUN(20, (t_), 1000, src_, MX, NULL), \
	RUN(1, (t_) + 20000, 0, src_, MX, exp_)

/* ---------------------------------------------------------- setups */

static void set_burst15(struct conf *c) { c->rate[RULE_BURST] = trate(15, MIN); }
static void set_sust15(struct conf *c)
{
	c->rate[RULE_BURST] = trate_off();
	c->rate[RULE_SUSTAINED] = trate(15, HOUR);
}
static void set_burst15_sust15(struct conf *c)
{
	c->rate[RULE_BURST] = trate(15, MIN);
	c->rate[RULE_SUSTAINED] = trate(15, HOUR);
}
static void set_fanout_off(struct conf *c) { c->rate[RULE_FANOUT] = trate_off(); }

static void
set_classes(struct conf *c)
{
	struct conf_class *k;

	k = tconf_class(c, "web", "198.51.100.0/24");
	k->has_rate[RULE_BURST] = true;
	k->rate[RULE_BURST] = trate(100, MIN);
	k = tconf_class(c, "one", "198.51.100.7/32");
	k->has_rate[RULE_BURST] = true;
	k->rate[RULE_BURST] = trate(5, MIN);
	k->has_response = true;
	k->response = RESP_THROTTLE;
	k->has_throttle_rate = true;
	k->throttle_rate = trate(2, MIN);
	k = tconf_class(c, "v6", "2001:db8:5::/48");
	k->has_rate[RULE_SUSTAINED] = true;
	k->rate[RULE_SUSTAINED] = trate(10, HOUR);
}

static void
set_allow(struct conf *c)
{
	tnet_add(&c->allow_src, "192.0.2.25", 0);
	tnet_add(&c->allow_src, "203.0.113.0/24", 0);
	tnet_add(&c->allow_src, "2001:db8:1:2::25", 0);
	tconf_allow_uid(c, 1001);
}

static void set_allow_dst(struct conf *c)
{
	tnet_add(&c->allow_dst, "192.0.2.99", 0);
	tnet_add(&c->allow_dst, "2001:db8:99::/48", 0);
}
static void set_out_off(struct conf *c) { c->output_group = CONF_GROUP_OFF; }
static void set_perm(struct conf *c)
{
	c->escalate_us[1] = DURATION_PERMANENT;
	c->nescalate = 2;
}
static void set_noescalate(struct conf *c)
{
	c->nescalate = 0;
	c->timeout_us = 2 * HOUR;
}
static void set_breaker2(struct conf *c) { c->max_new_blocks = trate(2, MIN); }
static void set_breaker1(struct conf *c) { c->max_new_blocks = trate(1, MIN); }
static void set_dry(struct conf *c) { c->dry_run = true; }
static void set_dry_classes(struct conf *c) { set_classes(c); set_dry(c); }
static void set_max3(struct conf *c) { c->max_sources = 3; }
static void set_max2(struct conf *c) { c->max_sources = 2; }
static void set_max1(struct conf *c) { c->max_sources = 1; }
static void set_bigfanout(struct conf *c)
{
	struct conf_class *k = tconf_class(c, "wide", "198.51.100.0/24");

	k->has_rate[RULE_FANOUT] = true;
	k->rate[RULE_FANOUT] = trate(50, 10 * MIN);
}
static void set_burst30(struct conf *c) { c->rate[RULE_BURST] = trate(30, MIN); }
static void set_timeout1m(struct conf *c)
{
	c->nescalate = 0;
	c->timeout_us = MIN;
}
static void set_burst_off(struct conf *c) { c->rate[RULE_BURST] = trate_off(); }

/* ------------------------------------------------------------ cases */

static const struct ecase cases[] = {
	{ "burst: exactly N in < W is no verdict, the N+1-th is", NULL, NULL, {
		RUN(20, 0, 1000, A, MX, NULL),
		RUN(1, 20000, 0, A, MX, A " burst block c=21 d=1 s=1 t=3600 f=0"),
	}, "packets=21 events=21 ignored=0 malformed=0" },
	{ "burst: N+1 in W minus one bucket", NULL, NULL, {
		RUN(20, 0, 2750, A, MX, NULL),
		RUN(1, 55000, 0, A, MX, A " burst block c=21 d=1 s=1 t=3600"),
	}, NULL },
	{ "burst: N+1 spanning exactly W, and well beyond W", NULL, NULL, {
		RUN(21, 0, 3000, A, MX, NULL),
		RUN(60, 0, 4000, B, MX, NULL),
	}, NULL },
	{ "sustained: N+1 in < W; beyond W nothing", NULL, NULL, {
		RUN(120, 0, 25000, A, MX, NULL),
		RUN(1, 3000000, 0, A, MX, A " sustained block c=121 d=1 s=1 t=3600"),
		RUN(300, 0, 31000, B, MX, NULL),
	}, NULL },
	{ "fanout: distinct destinations, repeats count once", NULL, NULL, {
		RUN(15, 0, 10000, A, MX, NULL),		/* 15 x the same */
		{ .n = 60, .t_ms = 0, .dt_ms = 5000, .src = B, .dst = MX,
		  .dstep = 1, .dmod = 15 },
		{ .n = 1, .t_ms = 300000, .src = B, .dst = "203.0.113.200",
		  .expect = B " fanout block c=61 d=16 s=1 t=3600" },
		{ .n = 15, .t_ms = 0, .dt_ms = 10000, .src = C, .dst = MX,
		  .dstep = 1 },
		{ .n = 1, .t_ms = 150000, .src = C, .dst = "203.0.113.100",
		  .expect = C " fanout block c=16 d=16 s=1 t=3600" },
		{ .n = 40, .t_ms = 0, .dt_ms = 45000, .src = D, .dst = MX,
		  .dstep = 1 },
	}, NULL },
	{ "order: burst before fanout", set_burst15, NULL, {
		{ .n = 15, .dt_ms = 1000, .src = A, .dst = MX, .dstep = 1 },
		{ .n = 1, .t_ms = 15000, .src = A, .dst = "203.0.113.99",
		  .expect = A " burst block c=16 d=16 s=1 t=3600" },
	}, NULL },
	{ "order: sustained before fanout", set_sust15, NULL, {
		{ .n = 15, .dt_ms = 1000, .src = A, .dst = MX, .dstep = 1 },
		{ .n = 1, .t_ms = 15000, .src = A, .dst = "203.0.113.99",
		  .expect = A " sustained block c=16 d=16 s=1 t=3600" },
	}, NULL },
	{ "order: burst before sustained", set_burst15_sust15, NULL, {
		RUN(15, 0, 1000, A, MX, NULL),
		RUN(1, 15000, 0, A, MX, A " burst block c=16 d=1 s=1 t=3600"),
	}, NULL },
	{ "destinations counted over [detect] fanout W when fanout is off",
	  set_fanout_off, NULL, {
		{ .n = 20, .dt_ms = 1000, .src = A, .dst = MX, .dstep = 1 },
		{ .n = 1, .t_ms = 20000, .src = A, .dst = "203.0.113.99",
		  .expect = A " burst block c=21 d=21 s=1 t=3600" },
	}, NULL },
	{ "classes: most specific wins, the rest falls back", set_classes,
	  NULL, {
		RUN(5, 0, 1000, "198.51.100.7", MX, NULL),
		RUN(1, 5000, 0, "198.51.100.7", MX,
		    "198.51.100.7 burst throttle c=6 d=1 s=1 t=3600 r=2/60"),
		RUN(100, 0, 500, "198.51.100.8", MX, NULL),
		RUN(1, 50000, 0, "198.51.100.8", MX,
		    "198.51.100.8 burst block c=101 d=1 s=1 t=3600"),
		{ .n = 15, .dt_ms = 1000, .src = "198.51.100.9", .dst = MX,
		  .dstep = 1 },
		{ .n = 1, .t_ms = 15000, .src = "198.51.100.9",
		  .dst = "203.0.113.99",
		  .expect = "198.51.100.9 fanout block c=16 d=16 s=1 t=3600" },
		BURST21(0, A, A " burst block c=21 d=1 s=1 t=3600"),
		RUN(10, 0, 100000, "2001:db8:5:1::1", MX, NULL),
		RUN(1, 1000000, 0, "2001:db8:5:1::1", MX,
		    "2001:db8:5:1::/64 sustained block c=11 d=1 s=1 t=3600"),
	}, NULL },
	{ "allowlist: address, network, uid, IPv6 address keyed /128",
	  set_allow, NULL, {
		BURST21(0, "192.0.2.25",
		    "192.0.2.25 burst allowed c=21 d=1 s=0 t=0"),
		RUN(100, 21000, 1000, "192.0.2.25", MX, NULL),
		BURST21(3620000, "192.0.2.25",
		    "192.0.2.25 burst allowed c=21 d=1 s=0 t=0 f=3620000"),
		BURST21(0, "203.0.113.50",
		    "203.0.113.50 burst allowed c=21 d=1 s=0 t=0"),
		{ .n = 21, .dt_ms = 1000, .src = A, .dst = MX, .group = 2,
		  .uid = 1001, .expect = "uid:1001 burst allowed c=21 d=1 s=0 t=0" },
		RUN(20, 0, 1000, "2001:db8:1:2::25", MX, NULL),
		RUN(20, 0, 1000, "2001:db8:1:2::9", MX, NULL),
		RUN(1, 20000, 0, "2001:db8:1:2::25", MX,
		    "2001:db8:1:2::25 burst allowed c=21 d=1 s=0 t=0"),
		RUN(1, 20000, 0, "2001:db8:1:2::9", MX,
		    "2001:db8:1:2::/64 burst block c=21 d=1 s=1 t=3600"),
	}, "events=226 ignored=0 malformed=0 attempts=100" },
	{ "destination allowlist and what is ignored", set_allow_dst, NULL, {
		RUN(50, 0, 100, A, "192.0.2.99", NULL),
		RUN(50, 0, 100, A, "2001:db8:99::25", NULL),
		{ .n = 10, .src = A, .dst = MX, .flags = TCP_SYN | TCP_ACK },
		{ .n = 10, .src = A, .dst = MX, .flags = TCP_ACK },
		{ .n = 10, .src = A, .dst = MX, .dport = 587 },
		{ .n = 5, .src = A, .dst = MX, .result = PKT_IGNORED },
		{ .n = 7, .src = A, .dst = MX, .result = PKT_MALFORMED },
		BURST21(1000, A, A " burst block c=21 d=1 s=1 t=3600 f=1000"),
	}, "packets=163 events=21 ignored=135 malformed=7" },
	{ "IPv6 aggregated to /64", NULL, NULL, {
		{ .n = 20, .dt_ms = 1000, .src = "2001:db8:1:2::1", .sstep = 1,
		  .dst = "2001:db8:ff::25" },
		RUN(20, 0, 1000, "2001:db8:1:3::1", "2001:db8:ff::25", NULL),
		RUN(1, 20000, 0, "2001:db8:1:2:ffff::1", "2001:db8:ff::25",
		    "2001:db8:1:2::/64 burst block c=21 d=1 s=1 t=3600"),
	}, "events=41" },
	{ "uid keys from the output group only", NULL, NULL, {
		{ .n = 21, .dt_ms = 1000, .src = A, .dst = MX, .group = 2,
		  .uid = 1001, .expect = "uid:1001 burst block c=21 d=1 s=1 t=3600" },
		{ .n = 21, .dt_ms = 1000, .src = B, .dst = MX, .group = 1,
		  .uid = 1002, .expect = B " burst block c=21 d=1 s=1 t=3600" },
		{ .n = 21, .dt_ms = 1000, .src = C, .dst = MX, .group = 7,
		  .uid = 1003, .expect = C " burst block c=21 d=1 s=1 t=3600" },
		{ .n = 21, .dt_ms = 1000, .src = D, .dst = MX, .group = 2,
		  .expect = D " burst block c=21 d=1 s=1 t=3600" },
	}, "sources=4" },
	{ "output group off: no uid keys", set_out_off, NULL, {
		{ .n = 21, .dt_ms = 1000, .src = A, .dst = MX, .group = -1,
		  .uid = 1001, .expect = A " burst block c=21 d=1 s=1 t=3600" },
	}, NULL },
	{ "judgement: attempts, then counted afresh", NULL, NULL, {
		BURST21(0, A, A " burst block c=21 d=1 s=1 t=3600 f=0"),
		RUN(10, 30000, 1000, A, MX, NULL),
		{ .op = OP_ATTEMPTS, .src = A, .n = 10 },
		RUN(1, 3619999, 0, A, MX, NULL),
		{ .op = OP_ATTEMPTS, .src = A, .n = 11 },
		BURST21(3620000, A,
		    A " burst block c=21 d=1 s=2 t=86400 f=3620000"),
		{ .op = OP_ATTEMPTS, .src = A, .n = 0 },
		{ .op = OP_STRIKES, .src = A, .t_ms = 3640000, .n = 2 },
	}, "events=53 attempts=11" },
	{ "escalation 1h, 1d, 7d, 7d; strike_memory counted back", NULL,
	  NULL, {
		BURST21(0, A, A " burst block c=21 d=1 s=1 t=3600"),
		BURST21(3620000, A, A " burst block c=21 d=1 s=2 t=86400"),
		BURST21(90040000, A, A " burst block c=21 d=1 s=3 t=604800"),
		BURST21(694860000, A, A " burst block c=21 d=1 s=4 t=604800"),
		/* 30d later only the strike at 694880 s is remembered */
		BURST21(2700000000, A, A " burst block c=21 d=1 s=2 t=86400"),
		BURST21(10000000000, A, A " burst block c=21 d=1 s=1 t=3600"),
	}, NULL },
	{ "permanent timeout", set_perm, NULL, {
		BURST21(0, A, A " burst block c=21 d=1 s=1 t=3600"),
		BURST21(3620000, A, A " burst block c=21 d=1 s=2 t=perm"),
		RUN(100, 99999999000, 1000, A, MX, NULL),
		{ .op = OP_ATTEMPTS, .src = A, .n = 100 },
	}, NULL },
	/* Found by tests/replay/differential.sh: a judgement shorter than
	 * the fanout window; what came before it is not in the new figure. */
	{ "destinations counted afresh after a judgement", set_timeout1m,
	  NULL, {
		{ .n = 16, .dt_ms = 1000, .src = A, .dst = "203.0.113.100",
		  .dstep = 1, .expect = A " fanout block c=16 d=16 s=1 t=60" },
		RUN(20, 120000, 1000, A, MX, NULL),
		RUN(1, 140000, 0, A, MX,
		    A " burst block c=21 d=1 s=2 t=60 f=120000"),
	}, NULL },
	{ "escalate empty: every strike gets timeout", set_noescalate, NULL, {
		BURST21(0, A, A " burst block c=21 d=1 s=1 t=7200"),
		BURST21(7220000, A, A " burst block c=21 d=1 s=2 t=7200"),
	}, NULL },
	{ "breaker: one verdict per source while full, judged afresh after",
	  set_breaker2, NULL, {
		RUN(20, 0, 100, A, MX, NULL),
		RUN(1, 2000, 0, A, MX, A " burst block c=21 d=1 s=1 t=3600"),
		RUN(20, 3000, 100, B, MX, NULL),
		RUN(1, 5000, 0, B, MX, B " burst block c=21 d=1 s=1 t=3600"),
		RUN(20, 6000, 100, C, MX, NULL),
		RUN(1, 8000, 0, C, MX, C " burst breaker c=21 d=1 s=0 t=0"),
		RUN(20, 9000, 100, D, MX, NULL),
		RUN(1, 11000, 0, D, MX, D " burst breaker c=21 d=1 s=0 t=0"),
		RUN(10, 12000, 1000, C, MX, NULL),
		RUN(1, 62000, 0, C, MX, C " burst block c=32 d=1 s=1 t=3600"),
		/* the same episode: refusals less than W apart */
		RUN(1, 63000, 0, D, MX, NULL),
		BURST21(130000, "192.0.2.11",
		    "192.0.2.11 burst block c=21 d=1 s=1 t=3600"),
		BURST21(131000, "192.0.2.12",
		    "192.0.2.12 burst block c=21 d=1 s=1 t=3600"),
		/* a new episode: D's refusal comes W after the last one */
		BURST21(132000, D, D " burst breaker c=43 d=1 s=0 t=0"),
	}, NULL },
	{ "breaker: manual blocks do not count", set_breaker1, NULL, {
		{ .op = OP_JUDGE, .src = B, .t_ms = 0, .dt_ms = 3600000 },
		{ .op = OP_JUDGE, .src = C, .t_ms = 0, .dt_ms = 3600000 },
		BURST21(0, A, A " burst block c=21 d=1 s=1 t=3600"),
		BURST21(0, D, D " burst breaker c=21 d=1 s=0 t=0"),
		RUN(5, 1000, 1000, B, MX, NULL),
		{ .op = OP_ATTEMPTS, .src = B, .n = 5 },
		{ .op = OP_RELEASE, .src = B },
		{ .op = OP_ATTEMPTS, .src = B, .n = 0 },
		RUN(20, 30000, 100, B, MX, NULL),
		{ .op = OP_STRIKES, .src = B, .t_ms = 40000, .n = 0 },
	}, NULL },
	{ "dry_run: a strike with a timeout", set_dry_classes, NULL, {
		BURST21(0, A, A " burst dry_run c=21 d=1 s=1 t=3600"),
		BURST21(3620000, A, A " burst dry_run c=21 d=1 s=2 t=86400"),
		RUN(5, 0, 1000, "198.51.100.7", MX, NULL),
		RUN(1, 5000, 0, "198.51.100.7", MX,
		    "198.51.100.7 burst dry_run c=6 d=1 s=1 t=3600"),
	}, NULL },
	{ "eviction: least recently seen, judged sources kept", set_max3,
	  NULL, {
		BURST21(0, A, A " burst block c=21 d=1 s=1 t=3600"),
		RUN(1, 30000, 0, B, MX, NULL),
		RUN(1, 31000, 0, C, MX, NULL),
		RUN(1, 32000, 0, D, MX, NULL),		/* evicts B */
		RUN(1, 33000, 0, B, MX, NULL),		/* evicts C */
		RUN(1, 34000, 0, D, MX, NULL),
		RUN(1, 35000, 0, C, MX, NULL),		/* evicts B */
		RUN(1, 36000, 0, A, MX, NULL),
		{ .op = OP_ATTEMPTS, .src = A, .n = 1 },
	}, "events=28 sources=6 tracked=3 evicted=3 attempts=1" },
	{ "eviction: a table full of judged sources", set_max1, NULL, {
		BURST21(0, A, A " burst block c=21 d=1 s=1 t=3600"),
		BURST21(0, B, NULL),
		{ .op = OP_ATTEMPTS, .src = A, .n = 0 },
	}, "events=42 sources=1 tracked=1 evicted=0" },
	{ "eviction: run-out judgements make room", set_max1, NULL, {
		BURST21(0, A, A " burst block c=21 d=1 s=1 t=3600"),
		RUN(1, 3619000, 0, B, MX, NULL),	/* untracked */
		RUN(1, 3620000, 0, B, MX, NULL),	/* A's is over */
		RUN(19, 3621000, 1000, B, MX, NULL),
		RUN(1, 3640000, 0, B, MX,
		    B " burst block c=21 d=1 s=1 t=3600 f=3620000"),
		RUN(1, 3700000, 0, A, MX, NULL),	/* untracked */
		{ .op = OP_STRIKES, .src = A, .t_ms = 3700000, .n = 1 },
	}, "events=44 sources=2 tracked=1 evicted=1" },
	{ "strikes survive eviction", set_max2, NULL, {
		BURST21(0, A, A " burst block c=21 d=1 s=1 t=3600"),
		{ .op = OP_RELEASE, .src = A },
		RUN(1, 30000, 0, B, MX, NULL),
		RUN(1, 31000, 0, C, MX, NULL),		/* evicts A */
		BURST21(40000, A, A " burst block c=21 d=1 s=2 t=86400"),
	}, "sources=4 tracked=2 evicted=2" },
	{ "reconf keeps counters, judgements and strikes (table rebuilt)",
	  NULL, set_bigfanout, {
		BURST21(0, B, B " burst block c=21 d=1 s=1 t=3600"),
		RUN(15, 0, 1000, A, MX, NULL),
		{ .op = OP_RECONF },
		RUN(5, 15000, 1000, A, MX, NULL),
		RUN(1, 20000, 0, A, MX, A " burst block c=21 d=1 s=1 t=3600"),
		RUN(3, 30000, 1000, B, MX, NULL),
		{ .op = OP_ATTEMPTS, .src = B, .n = 3 },
		BURST21(3620000, B, B " burst block c=21 d=1 s=2 t=86400"),
	}, "events=66 sources=2 evicted=0 attempts=3" },
	{ "reconf: a smaller table keeps judged and most recent sources",
	  NULL, set_max2, {
		BURST21(0, A, A " burst block c=21 d=1 s=1 t=3600"),
		RUN(1, 30000, 0, B, MX, NULL),
		RUN(1, 31000, 0, C, MX, NULL),
		RUN(1, 32000, 0, D, MX, NULL),
		RUN(1, 33000, 0, C, MX, NULL),
		{ .op = OP_RECONF },
		RUN(2, 34000, 1000, A, MX, NULL),
		{ .op = OP_ATTEMPTS, .src = A, .n = 2 },
		RUN(1, 40000, 0, C, MX, NULL),		/* kept */
	}, "events=28 sources=4 tracked=2 evicted=2" },
	{ "reconf: a rule turned off and on again starts empty", NULL,
	  set_burst_off, {
		RUN(15, 0, 1000, A, MX, NULL),
		{ .op = OP_RECONF },
		RUN(10, 15000, 1000, A, MX, NULL),
		{ .op = OP_RECONF2 },
		RUN(20, 25000, 1000, A, MX, NULL),
		RUN(1, 45000, 0, A, MX, A " burst block c=46 d=1 s=1 t=3600"),
	}, NULL },
	{ "reconf: new thresholds apply to the counts so far", NULL,
	  set_burst30, {
		RUN(20, 0, 1000, A, MX, NULL),
		{ .op = OP_RECONF },
		RUN(10, 20000, 1000, A, MX, NULL),
		RUN(1, 30000, 0, A, MX, A " burst block c=31 d=1 s=1 t=3600"),
	}, NULL },
};

/* ------------------------------------------------------------ runner */

static struct addr
addr_step(const char *s, int step, int mod, int i)
{
	struct addr a = taddr(s);
	int last = a.family == AF_INET ? 3 : 15, k = mod > 0 ? i % mod : i;

	a.b[last] = (uint8_t)(a.b[last] + step * k);
	return a;
}

static void
check_stats(const struct engine *e, const char *want)
{
	struct engine_stats st;
	char buf[64], *p, *sp = NULL;
	unsigned long long v, got;

	engine_stats(e, &st);
	snprintf(buf, sizeof(buf), "%s", want);
	for (p = strtok_r(buf, " ", &sp); p != NULL; p = strtok_r(NULL, " ", &sp)) {
		char name[32];

		assert_int_equal(sscanf(p, "%31[a-z]=%llu", name, &v), 2);
		if (strcmp(name, "packets") == 0) got = tin.records;
		else if (strcmp(name, "events") == 0) got = st.events;
		else if (strcmp(name, "ignored") == 0) got = tin.ignored;
		else if (strcmp(name, "malformed") == 0) got = tin.malformed;
		else if (strcmp(name, "sources") == 0) got = st.sources;
		else if (strcmp(name, "tracked") == 0) got = st.tracked;
		else if (strcmp(name, "evicted") == 0) got = st.evicted;
		else if (strcmp(name, "attempts") == 0) got = st.attempts;
		else
			fail_msg("unknown stat %s", name);
		if (got != v)
			fail_msg("stat %s: got %llu, want %llu", name, got, v);
	}
	assert_int_equal(tin.records, st.events + tin.ignored + tin.malformed);
}

static void
run_events(struct engine *e, const struct row *r, int rowno)
{
	struct verdict v;
	struct pkt p;
	char got[256];
	bool hit;
	int i;

	for (i = 0; i < r->n; i++) {
		memset(&p, 0, sizeof(p));
		p.src = addr_step(r->src, r->sstep, 0, i);
		p.dst = addr_step(r->dst, r->dstep, r->dmod, i);
		p.sport = 40000;
		p.dport = r->dport ? r->dport : 25;
		p.tcp_flags = r->flags ? r->flags : TCP_SYN;
		p.group = r->group ? r->group : 1;
		p.has_uid = r->uid != 0;
		p.uid = r->uid;
		hit = tfeed(e, &p, r->result,
		    (r->t_ms + i * r->dt_ms) * MS, &v);
		if (i < r->n - 1 || r->expect == NULL) {
			if (hit)
				fail_msg("row %d event %d: unexpected verdict %s",
				    rowno, i + 1, tverdict_fmt(&v, true, got,
				    sizeof(got)));
			continue;
		}
		if (!hit)
			fail_msg("row %d: no verdict, want %s", rowno,
			    r->expect);
		tverdict_fmt(&v, strstr(r->expect, " f=") != NULL, got,
		    sizeof(got));
		if (strcmp(got, r->expect) != 0)
			fail_msg("row %d: got  %s\n        want %s", rowno, got,
			    r->expect);
	}
}

static void
run_case(void **state)
{
	const struct ecase *c = *state;
	struct conf *cf = tconf_new(), *cf2 = NULL, *cf3 = NULL;
	struct engine *e;
	const struct row *r;
	struct key k;
	size_t i;

	if (c->setup != NULL)
		c->setup(cf);
	e = tengine_new(cf, test_hashkey);
	assert_non_null(e);
	for (i = 0; i < sizeof(c->rows) / sizeof(c->rows[0]); i++) {
		r = &c->rows[i];
		if (r->op == OP_EVENTS && r->n == 0)
			break;
		if (r->src != NULL)
			k = tkey(r->src, cf->ipv6_prefix);
		switch (r->op) {
		case OP_EVENTS:
			run_events(e, r, (int)i + 1);
			break;
		case OP_RECONF:
			cf2 = tconf_new();
			if (c->setup != NULL)
				c->setup(cf2);
			c->reconf(cf2);
			assert_int_equal(tengine_reconf(e, cf2), 0);
			break;
		case OP_RECONF2:
			cf3 = tconf_new();
			if (c->setup != NULL)
				c->setup(cf3);
			assert_int_equal(tengine_reconf(e, cf3), 0);
			break;
		case OP_JUDGE:
			assert_int_equal(engine_judge(e, &k,
			    (r->t_ms + r->dt_ms) * MS, 0), 0);
			break;
		case OP_RELEASE:
			engine_release(e, &k);
			break;
		case OP_ATTEMPTS:
			assert_int_equal(engine_attempts(e, &k), r->n);
			break;
		case OP_STRIKES:
			assert_int_equal(engine_strikes(e, &k, r->t_ms * MS),
			    r->n);
			break;
		}
	}
	if (c->stats != NULL)
		check_stats(e, c->stats);
	engine_free(e);
	tconf_free(cf);
	tconf_free(cf2);
	tconf_free(cf3);
}

/* ------------------------------------------------------- other tests */

static void
test_bytes_per_source(void **state)
{
	struct conf *c = tconf_new();
	struct engine *e = tengine_new(c, test_hashkey);

	(void)state;
	assert_non_null(e);
	assert_true(engine_bytes_per_source(e) <= 256);
	engine_free(e);
	tconf_free(c);
}

/* The verdict lists the newest distinct destinations, newest first. */
static void
test_verdict_dsts(void **state)
{
	struct conf *c = tconf_new();
	struct engine *e;
	struct verdict v;
	struct pkt p;
	char want[32], got[64];
	int i;
	bool hit = false;

	(void)state;
	c->rate[RULE_FANOUT] = trate(30, 10 * MIN);
	e = tengine_new(c, test_hashkey);
	assert_non_null(e);
	for (i = 0; i < 21; i++) {
		snprintf(want, sizeof(want), "203.0.113.%d", 1 + i % 12);
		p = tpkt(A, want);
		hit = tfeed(e, &p, PKT_OK, i * SEC, &v);
		/* another source's events in between do not show */
		if (i % 2 == 0) {
			struct verdict vb;

			p = tpkt(B, "198.51.100.1");
			assert_false(tfeed(e, &p, PKT_OK, i * SEC, &vb));
		}
	}
	assert_true(hit);
	assert_int_equal(v.connections, 21);
	assert_int_equal(v.destinations, 12);
	assert_int_equal(v.ndsts, 8);
	for (i = 0; i < 8; i++) {
		/* the 21st went to .9, then .8, ... and .2, .1, .12 */
		snprintf(want, sizeof(want), "203.0.113.%d",
		    1 + (20 - i) % 12);
		inet_ntop(AF_INET, v.dsts[i].b, got, sizeof(got));
		assert_string_equal(got, want);
	}
	engine_free(e);
	tconf_free(c);
}

static void
test_top(void **state)
{
	struct conf *c = tconf_new();
	struct engine *e;
	struct engine_talker t[4];
	struct verdict v;
	struct pkt p;
	char buf[KEY_STRLEN];
	size_t n;
	int i;

	(void)state;
	e = tengine_new(c, test_hashkey);
	assert_non_null(e);
	/* A: 10 events (burst 10/20); B: 5 to 5 destinations (fanout 5/15);
	 * C: 2 events (burst 2/20) */
	for (i = 0; i < 10; i++) {
		p = tpkt(A, MX);
		assert_false(tfeed(e, &p, PKT_OK, i * SEC, &v));
	}
	for (i = 0; i < 5; i++) {
		char d[32];

		snprintf(d, sizeof(d), "203.0.113.%d", 50 + i);
		p = tpkt(B, d);
		assert_false(tfeed(e, &p, PKT_OK, i * SEC, &v));
	}
	for (i = 0; i < 2; i++) {
		p = tpkt(C, MX);
		assert_false(tfeed(e, &p, PKT_OK, i * SEC, &v));
	}
	n = engine_top(e, t, 4, false, 10 * SEC);
	assert_int_equal(n, 3);
	assert_string_equal(tkey_fmt(&t[0].key, buf, sizeof(buf)), A);
	assert_int_equal(t[0].count[RULE_BURST], 10);
	assert_int_equal(t[0].count[RULE_SUSTAINED], 10);
	assert_int_equal(t[0].count[RULE_FANOUT], 1);
	assert_string_equal(tkey_fmt(&t[1].key, buf, sizeof(buf)), B);
	assert_int_equal(t[1].count[RULE_FANOUT], 5);
	assert_string_equal(tkey_fmt(&t[2].key, buf, sizeof(buf)), C);
	/* max 2 keeps the first two */
	assert_int_equal(engine_top(e, t, 2, false, 10 * SEC), 2);
	assert_string_equal(tkey_fmt(&t[1].key, buf, sizeof(buf)), B);
	/* 2 minutes later the bursts are gone, the fanouts not */
	n = engine_top(e, t, 4, false, 120 * SEC);
	assert_int_equal(n, 3);
	assert_string_equal(tkey_fmt(&t[0].key, buf, sizeof(buf)), B);
	assert_int_equal(t[1].count[RULE_BURST], 0);
	assert_int_equal(t[1].count[RULE_SUSTAINED], 10);
	/* peaks stay */
	n = engine_top(e, t, 4, true, 0);
	assert_int_equal(n, 3);
	assert_string_equal(tkey_fmt(&t[0].key, buf, sizeof(buf)), A);
	assert_int_equal(t[0].count[RULE_BURST], 10);
	/* a judged source leaves the current top, not the peaks */
	for (i = 10; i < 21; i++) {
		p = tpkt(A, MX);
		tfeed(e, &p, PKT_OK, i * SEC, &v);
	}
	n = engine_top(e, t, 4, false, 21 * SEC);
	assert_int_equal(n, 2);
	n = engine_top(e, t, 4, true, 0);
	assert_int_equal(n, 3);
	assert_int_equal(t[0].count[RULE_BURST], 21);
	engine_free(e);
	tconf_free(c);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(rule_name(RULE_BURST), "burst");
	assert_string_equal(rule_name(RULE_SUSTAINED), "sustained");
	assert_string_equal(rule_name(RULE_FANOUT), "fanout");
	assert_string_equal(rule_name(RULE_MANUAL), "manual");
	assert_string_equal(action_name(ACT_BLOCK), "block");
	assert_string_equal(action_name(ACT_THROTTLE), "throttle");
	assert_string_equal(action_name(ACT_DRY_RUN), "dry_run");
	assert_string_equal(action_name(ACT_ALLOWED), "allowed");
	assert_string_equal(action_name(ACT_BREAKER), "breaker");
}

static void
collect_strike(const struct key *k, int64_t at_us, void *arg)
{
	int64_t *sum = arg;

	(void)k;
	*sum += at_us;
}

/* Restored strikes escalate like the engine's own. */
static void
test_restored_strikes(void **state)
{
	struct conf *c = tconf_new();
	struct engine *e = tengine_new(c, test_hashkey);
	struct key k = tkey(A, 64);
	struct verdict v;
	struct pkt p = tpkt(A, MX);
	int64_t sum = 0;
	int i;

	(void)state;
	assert_non_null(e);
	engine_add_strike(e, &k, 100 * SEC);
	engine_add_strike(e, &k, 50 * SEC);
	assert_int_equal(engine_strikes(e, &k, 200 * SEC), 2);
	assert_int_equal(engine_strikes(e, &k, 75 * SEC), 1);
	engine_foreach_strike(e, collect_strike, &sum);
	assert_int_equal(sum, 150 * SEC);
	for (i = 0; i < 21; i++)
		if (tfeed(e, &p, PKT_OK, 1000 * SEC + i * SEC, &v))
			break;
	assert_int_equal(i, 20);
	assert_int_equal(v.strike, 3);
	assert_int_equal(v.timeout_us, 7 * DAY);
	engine_free(e);
	tconf_free(c);
}

int
main(void)
{
	struct CMUnitTest t[sizeof(cases) / sizeof(cases[0]) + 8];
	size_t i, n = 0;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&t[n], 0, sizeof(t[n]));
		t[n].name = cases[i].name;
		t[n].test_func = run_case;
		t[n].initial_state = (void *)(uintptr_t)&cases[i];
		n++;
	}
	t[n++] = (struct CMUnitTest)cmocka_unit_test(test_bytes_per_source);
	t[n++] = (struct CMUnitTest)cmocka_unit_test(test_verdict_dsts);
	t[n++] = (struct CMUnitTest)cmocka_unit_test(test_top);
	t[n++] = (struct CMUnitTest)cmocka_unit_test(test_names);
	t[n++] = (struct CMUnitTest)cmocka_unit_test(test_restored_strikes);
	return _cmocka_run_group_tests("engine", t, n, NULL, NULL);
}
