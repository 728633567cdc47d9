/*
 * engine.c: the detection engine's entry points (nflogmon.h "engine.c").
 *
 * engine_feed takes one event (what counts and its key are the input's
 * business: input_pkt.c for packets) and walks DESIGN.md "Rules,
 * precisely" in order: is its source under judgement (then it is an
 * attempt and nothing else), what do the windows of the rules that count
 * its kind say (rules.c's table, in verdict order), and if a rule
 * triggers, what verdict: allowed, breaker or a strike with its timeout.
 * Pure: the clock is an argument, nothing is allocated after engine_new
 * except by engine_reconf, nothing does I/O.
 *
 * The conf passed to engine_new / engine_reconf must outlive its use: the
 * engine keeps a pointer to it until the next engine_reconf.
 *
 * Where bounded memory makes the engine differ from the letter of DESIGN.md:
 * - Windows are bucketed (window.c): a span within one bucket (W/16) of W
 *   may be counted either way.  A bucket saturates at 65535 events, so a
 *   burst or sustained N of 65535 or more may never trigger.
 * - A table whose every entry is judged has no room: a new source's event
 *   is counted in the stats (events) but not tracked, until a judgement
 *   that has run out is found (engine_reap) or ends.
 * - Strikes: at most CONF_MAX_ESCALATE per key and STRIKES_MAX_KEYS keys
 *   are remembered (policy.c); the strike number saturates at 17, which
 *   changes no timeout since escalate has at most 16 entries.
 * - The RULE_DISTINCT rule (fanout) keeps its slots even while it is off,
 *   for the verdicts' destinations figure.
 * - destinations: the larger of the fanout slots' count (exact up to the
 *   largest fanout N + 1, at least FANOUT_MIN_SLOTS) and the distinct
 *   destinations of the source since it was last counted afresh among the
 *   last RECENT_LEN events of all sources (exact when those reach back a
 *   whole fanout window).  With
 *   fanout off (in the class and in [detect]) the window is 10 minutes.
 * - With block_clients, each account keeps its last clients N + 1 distinct
 *   client addresses (at most VERDICT_MAX_DSTS; struct client_ent), which
 *   its verdicts list, so a packet flood cannot wash them out of the ring.
 *   They are not saved at a restart (engine_export): an account's verdict
 *   right after one lists the clients seen since.
 * - The breaker reports a held-back source once per episode, an episode
 *   being refusals less than max_new_blocks' W apart (policy.c).
 * - stats.sources counts insertions: a source evicted and seen again
 *   counts twice.  stats.attempts includes events of allowlisted sources
 *   during the judgement an "allowed" verdict starts.
 */
#include <sys/socket.h>

#include <stdlib.h>
#include <string.h>

#include "nflogmon.h"
#include "engine_internal.h"

/* The window over which destinations are counted when fanout is off. */
#define FIGURE_FANOUT_W_US	(600 * US_PER_S)
/* Slots of fanout state at least, so the destinations figure of a burst or
 * sustained verdict is exact up to this many even with a small fanout N. */
#define FANOUT_MIN_SLOTS	16
/* Recent events remembered engine-wide, for the verdict's destinations,
 * and how many of those a verdict lists. */
#define RECENT_LEN		1024
#define RECENT_DSTS		8
/* Judged entries looked at per insertion into a table all judged. */
#define REAP_SCAN		64
/* Destination hashes remembered (a power of two). */
#define DSTMEMO			256

/*
 * The quotient t_us / div of the last time divided and the span of times
 * [start_us, end_us) that give the same: packets come in time order, so
 * nearly every packet falls in the span of the one before and its bucket
 * needs no division.  Empty (start_us == end_us) until first used.
 */
struct span {
	int64_t		 start_us, end_us;
	int64_t		 idx;
};

/*
 * One counted rule as it applies to one class.  win: the index of its
 * window in a source (RULE_EVENTS); span: engine_count's cache of the
 * bucket (or, for the RULE_DISTINCT rule, the tick) of the latest event.
 */
struct rule_rt {
	struct rate	 rate;
	int64_t		 bucket_us;		/* RULE_EVENTS */
	int		 win;			/* RULE_EVENTS */
	struct span	 span;
};

/* The rules that apply to one class (index 0: no class), by rule id. */
struct rules {
	struct rule_rt	 r[RULE_MAX];
	int64_t		 distinct_w_us;		/* also for the figure */
	int64_t		 distinct_tick_us;
	enum response	 response;
	struct rate	 throttle_rate;
};

/*
 * The last RECENT_LEN counted events of every source, newest at
 * recent[(recent_next - 1) % RECENT_LEN]: a verdict lists its source's
 * recent destinations from here instead of keeping them per source.
 */
struct recent {
	uint64_t	 keyhash;	/* sources_hash of the source's key */
	int64_t		 t_us;
	uint32_t	 dsthash;
	struct addr	 dst;
};

/*
 * A client address an account used, and when last (block_clients).  An
 * account's nclients entries are newest first; family 0: an empty entry.
 */
struct client_ent {
	int64_t		 t_us;
	struct addr	 a;
};

/*
 * One table: its rules (in verdict order; a source's peak[i] is of
 * ids[i]) and its bounded source table.  Accounts have no classes: their
 * rules array has the one entry of no class.
 */
struct etable {
	enum rule_table	 id;
	enum rule	 ids[RULE_TABLE_MAX];
	int		 nids;
	enum rule	 distinct;	/* the RULE_DISTINCT rule, or none */
	struct rules	*rules;		/* [0] defaults, [1 + i] class i */
	int		 nrules;
	struct sources	 src;
	uint32_t	 reap;		/* engine_reap's cursor */
	uint64_t	 sources;	/* entries ever inserted */
	uint64_t	 evicted;
	/* accounts under block_clients: nclients entries for each entry of
	 * src, by its index (src.cap * nclients); NULL, 0: none kept */
	struct client_ent *clients;
	int		 nclients;
};

/*
 * A destination and its hash (engine_dsthash), family 0 when empty: the
 * sources of a table send to few destinations (their mail exchangers), so
 * nearly every event finds its destination's hash here, slotted by its
 * last bytes, instead of computing a SipHash.  A miss costs a compare.
 */
struct dstmemo {
	struct addr	 a;
	uint32_t	 h;
};

struct engine {
	const struct conf *conf;
	uint8_t		 hashkey[HASH_KEYLEN];
	struct dstmemo	 dstmemo[DSTMEMO];
	struct etable	 t[TABLE_N];
	struct policy	 pol;
	struct recent	 recent[RECENT_LEN];
	uint32_t	 recent_next, recent_len;
	uint32_t	 scratch[RECENT_LEN];	/* distinct dsthashes */
	struct engine_stats st;
};

const char *
action_name(enum action a)
{
	static const char *const names[] = {
		[ACT_BLOCK] = "block", [ACT_THROTTLE] = "throttle",
		[ACT_DRY_RUN] = "dry_run", [ACT_ALLOWED] = "allowed",
		[ACT_BREAKER] = "breaker",
	};

	if ((unsigned)a >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[a];
}

static int64_t
add_sat(int64_t t_us, int64_t d_us)
{
	if (d_us == DURATION_PERMANENT || t_us > DURATION_PERMANENT - d_us)
		return DURATION_PERMANENT;
	return t_us + d_us;
}

/* ------------------------------------------------------------ rules */

/* The rules of table tab in verdict order and its RULE_DISTINCT rule. */
static void
table_rules(struct etable *t, enum rule_table tab)
{
	int r;

	t->id = tab;
	t->nids = 0;
	t->distinct = RULE_NONE;
	for (r = 1; r <= RULE_LAST_COUNTED; r++) {
		if (rule_defs[r].table != tab || t->nids == RULE_TABLE_MAX)
			continue;
		t->ids[t->nids++] = (enum rule)r;
		if (rule_defs[r].counts == RULE_DISTINCT &&
		    t->distinct == RULE_NONE)
			t->distinct = (enum rule)r;
	}
}

/* What the rules of table t are for class cls (-1: none). */
static void
rules_resolve(const struct conf *c, const struct etable *t, int cls,
    struct rules *ru)
{
	enum rule d = t->distinct;
	const struct rate *dr;
	int i, r, win = 0;

	for (i = 0; i < t->nids; i++) {
		r = t->ids[i];
		ru->r[r].rate = *rule_rate(c, cls, (enum rule)r);
		if (rule_defs[r].counts != RULE_EVENTS)
			continue;
		ru->r[r].win = win++;
		ru->r[r].bucket_us = window_bucket_us(ru->r[r].rate.w_us);
	}
	/* accounts are blocked, never throttled */
	ru->response = t->id == TABLE_ACCOUNTS ? RESP_BLOCK :
	    rule_response(c, cls);
	ru->throttle_rate = *rule_throttle_rate(c, cls);
	ru->distinct_w_us = FIGURE_FANOUT_W_US;
	if (d != RULE_NONE) {
		dr = &ru->r[d].rate;
		if (!dr->off && dr->w_us > 0)
			ru->distinct_w_us = dr->w_us;
		else if (!c->rate[d].off && c->rate[d].w_us > 0)
			ru->distinct_w_us = c->rate[d].w_us;
	}
	ru->distinct_tick_us = fanout_tick_us(ru->distinct_w_us);
}

/* The rules of every class (packet sources; accounts have none) and the
 * distinct slots they need. */
static struct rules *
rules_build(const struct conf *c, const struct etable *t, int *nrules,
    int *nslots)
{
	enum rule d = t->distinct;
	struct rules *r;
	int i, n = t->id == TABLE_SOURCES ? c->nclasses + 1 : 1;
	uint64_t want;

	if ((r = calloc((size_t)n, sizeof(*r))) == NULL)
		return NULL;
	*nslots = FANOUT_MIN_SLOTS;
	for (i = 0; i < n; i++) {
		rules_resolve(c, t, i - 1, &r[i]);
		if (d == RULE_NONE || r[i].r[d].rate.off)
			continue;
		want = (uint64_t)r[i].r[d].rate.n + 1;
		if (want > FANOUT_MAX_SLOTS) {
			log_warnx("%s %u too high to count, capped at %d",
			    rule_name(d), r[i].r[d].rate.n,
			    FANOUT_MAX_SLOTS - 1);
			want = FANOUT_MAX_SLOTS;
		}
		if ((int)want > *nslots)
			*nslots = (int)want;
	}
	*nrules = n;
	return r;
}

static const struct rules *
engine_rules(const struct etable *t, const struct source *s)
{
	int i = s->cls + 1;

	return &t->rules[i >= 0 && i < t->nrules ? i : 0];
}

/* The table a key is counted in. */
static struct etable *
engine_table(struct engine *e, const struct key *k)
{
	return &e->t[rule_table_of(k)];
}

static const struct etable *
engine_ctable(const struct engine *e, const struct key *k)
{
	return &e->t[rule_table_of(k)];
}

/* The table's capacity in the config. */
static uint32_t
table_cap(const struct conf *c, enum rule_table tab)
{
	uint32_t n = tab == TABLE_ACCOUNTS ? c->max_accounts : c->max_sources;

	return n > 0 ? n : 1;
}

/* Client addresses kept per account: clients N + 1 under block_clients
 * (the default N when the rule is off), none otherwise. */
static int
table_nclients(const struct conf *c, enum rule_table tab)
{
	const struct rate *r = &c->rate[RULE_CLIENTS];
	uint64_t n;

	if (tab != TABLE_ACCOUNTS || !c->block_clients)
		return 0;
	n = (uint64_t)(r->off ? rule_defs[RULE_CLIENTS].def.n : r->n) + 1;
	return n > VERDICT_MAX_DSTS ? VERDICT_MAX_DSTS : (int)n;
}

/* The n client entries of entry s of src in arr. */
static struct client_ent *
clients_of(const struct sources *src, struct client_ent *arr, int n,
    const struct source *s)
{
	size_t i = (size_t)((const uint8_t *)s - src->mem) / src->stride;

	return arr + i * (size_t)n;
}

/* Puts client a first in ents[0..n), the newest: moved up when there,
 * else the oldest entry makes room. */
static void
clients_note(struct client_ent *ents, int n, const struct addr *a,
    int64_t t_us)
{
	size_t len = a->family == AF_INET ? 4 : 16;
	int j;

	for (j = 0; j < n - 1; j++)
		if (ents[j].a.family == 0 || (ents[j].a.family == a->family &&
		    memcmp(ents[j].a.b, a->b, len) == 0))
			break;
	memmove(&ents[1], &ents[0], (size_t)j * sizeof(*ents));
	ents[0].t_us = t_us;
	ents[0].a = *a;
}

/* The class of a key: its address (an IPv6 prefix's first address). */
static int
engine_class(const struct conf *c, const struct key *k)
{
	struct addr a;
	int v;

	if (c->class_nets == NULL || c->nclasses == 0)
		return -1;
	memset(&a, 0, sizeof(a));
	switch (k->kind) {
	case KEY_V4:
		a.family = AF_INET;
		memcpy(a.b, k->addr, 4);
		break;
	case KEY_V6:
		a.family = AF_INET6;
		memcpy(a.b, k->addr, 16);
		break;
	default:
		return -1;
	}
	v = netset_lookup(c->class_nets, &a);
	return v >= 0 && v < c->nclasses ? v : -1;
}

/* ------------------------------------------------------- create, free */

size_t
engine_bytes_per_source(const struct engine *e)
{
	return e->t[TABLE_SOURCES].src.stride + sizeof(struct lru_link);
}

struct engine *
engine_new(const struct conf *c, const uint8_t hashkey[16])
{
	struct engine *e;
	struct etable *t;
	int nslots, tab;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	e->conf = c;
	memcpy(e->hashkey, hashkey, HASH_KEYLEN);
	for (tab = 0; tab < TABLE_N; tab++) {
		t = &e->t[tab];
		table_rules(t, (enum rule_table)tab);
		if ((t->rules = rules_build(c, t, &t->nrules, &nslots)) ==
		    NULL)
			goto fail;
		if (sources_init(&t->src, table_cap(c, t->id), nslots,
		    hashkey) == -1)
			goto fail;
		t->nclients = table_nclients(c, t->id);
		if (t->nclients > 0 && (t->clients = calloc(t->src.cap,
		    (size_t)t->nclients * sizeof(*t->clients))) == NULL)
			goto fail;
	}
	if (policy_init(&e->pol, STRIKES_MAX_KEYS, &c->max_new_blocks,
	    hashkey) == -1)
		goto fail;
	return e;
fail:
	engine_free(e);
	return NULL;
}

void
engine_free(struct engine *e)
{
	int tab;

	if (e == NULL)
		return;
	for (tab = 0; tab < TABLE_N; tab++) {
		sources_fini(&e->t[tab].src);
		free(e->t[tab].rules);
		free(e->t[tab].clients);
	}
	policy_fini(&e->pol);
	free(e);
}

/* ------------------------------------------------------- judgement */

static void
engine_judge_source(struct etable *t, struct source *s, int64_t until_us)
{
	if (!s->judged)
		sources_lru_unlink(&t->src, s);
	s->judged = 1;
	s->until_us = until_us;
	s->attempts = 0;
}

/* Ends a judgement: the source starts over as if first seen. */
static void
engine_afresh(struct etable *t, struct source *s)
{
	if (s->judged) {
		s->judged = 0;
		sources_lru_link(&t->src, s);
	}
	s->until_us = 0;
	s->attempts = 0;
	s->connections = 0;
	s->first_us = s->last_us = 0;
	s->breaker_epoch = 0;
	for (int w = 0; w < RULE_WINDOWS; w++)
		window_clear(&s->win[w]);
	fanout_clear(s->fanout, t->src.nslots);
	if (t->nclients > 0)
		memset(clients_of(&t->src, t->clients, t->nclients, s), 0,
		    (size_t)t->nclients * sizeof(*t->clients));
}

/* ------------------------------------------------------------- feed */

static uint32_t
engine_dsthash(struct engine *e, const struct addr *a)
{
	uint8_t buf[17];
	size_t len = a->family == AF_INET ? 4 : 16;
	struct dstmemo *m = &e->dstmemo[(a->b[len - 1] ^
	    (unsigned)a->b[len - 2] << 4) % DSTMEMO];

	if (a->family != 0 && m->a.family == a->family &&
	    memcmp(m->a.b, a->b, len) == 0)
		return m->h;
	buf[0] = a->family;
	memcpy(buf + 1, a->b, len);
	m->a = *a;
	m->h = (uint32_t)hash_siphash(e->hashkey, buf, len + 1);
	return m->h;
}

static void
engine_remember(struct engine *e, uint64_t keyhash, uint32_t dsthash,
    const struct addr *dst, int64_t now_us)
{
	struct recent *r = &e->recent[e->recent_next];

	r->keyhash = keyhash;
	r->t_us = now_us;
	r->dsthash = dsthash;
	r->dst = *dst;
	e->recent_next = (e->recent_next + 1) % RECENT_LEN;
	if (e->recent_len < RECENT_LEN)
		e->recent_len++;
}

/*
 * Fills the verdict's recent destinations (newest first, distinct) and
 * returns the distinct destinations of the source in the ring within the
 * last w_us and since first_us (the ring outlives a judgement, the figure
 * is counted afresh after it): a lower bound of the true figure, exact
 * while the ring reaches back that far.
 */
static uint32_t
engine_recent(struct engine *e, uint64_t keyhash, int64_t first_us,
    int64_t now_us, int64_t w_us, struct verdict *v)
{
	const struct recent *r;
	uint32_t i, j, n = 0, inwin = 0;
	bool in;

	v->ndsts = 0;
	for (i = 0; i < e->recent_len; i++) {
		r = &e->recent[(e->recent_next + RECENT_LEN - 1 - i) %
		    RECENT_LEN];
		if (r->keyhash != keyhash)
			continue;
		for (j = 0; j < n; j++)
			if (e->scratch[j] == r->dsthash)
				break;
		if (j < n)
			continue;	/* seen, and a newer one was in window */
		in = r->t_us >= first_us && r->t_us <= now_us &&
		    now_us - r->t_us < w_us;
		e->scratch[n++] = r->dsthash;
		if (in)
			inwin++;
		if (v->ndsts < RECENT_DSTS)
			v->dsts[v->ndsts++] = r->dst;
	}
	return inwin;
}

/*
 * An account's verdict lists its own clients, newest first: those of the
 * window (w_us) since it was last counted afresh.
 */
static void
engine_clients(const struct etable *t, const struct source *s, int64_t w_us,
    int64_t now_us, struct verdict *v)
{
	const struct client_ent *c = clients_of(&t->src, t->clients,
	    t->nclients, s);
	int i;

	v->ndsts = 0;
	for (i = 0; i < t->nclients && c[i].a.family != 0; i++)
		if (c[i].t_us >= s->first_us && c[i].t_us <= now_us &&
		    now_us - c[i].t_us < w_us && v->ndsts < VERDICT_MAX_DSTS)
			v->dsts[v->ndsts++] = c[i].a;
}

/* Fills what every verdict carries. */
static void
engine_figures(struct engine *e, const struct etable *t,
    const struct source *s, uint64_t keyhash, enum rule rule, int64_t now_us,
    struct verdict *v)
{
	const struct rules *ru = engine_rules(t, s);
	uint32_t ring;

	memset(v, 0, sizeof(*v));
	v->key = s->key;
	v->rule = rule;
	v->connections = s->connections;
	v->first_seen_us = s->first_us;
	v->at_us = now_us;
	v->cls = s->cls;
	v->destinations = fanout_count(s->fanout, t->src.nslots,
	    ru->distinct_tick_us, s->last_us);
	ring = engine_recent(e, keyhash, s->first_us, now_us,
	    ru->distinct_w_us, v);
	if (ring > v->destinations)
		v->destinations = ring;
	if (t->nclients > 0)
		engine_clients(t, s, ru->distinct_w_us, now_us, v);
}

/* A rule triggered: allowed, breaker (or nothing) or a strike. */
static bool
engine_decide(struct engine *e, struct etable *t, struct source *s,
    uint64_t keyhash, enum rule rule, bool allowed, int64_t now_us,
    struct verdict *v)
{
	const struct conf *c = e->conf;
	const struct rules *ru = engine_rules(t, s);
	enum action act;
	int64_t timeout_us = 0;
	int n = 0;

	if (allowed) {
		act = ACT_ALLOWED;
		engine_judge_source(t, s, add_sat(now_us, c->timeout_us));
	} else if (!policy_breaker_room(&e->pol, &c->max_new_blocks, now_us)) {
		if (s->breaker_epoch == e->pol.brk_epoch)
			return false;	/* reported in this episode */
		s->breaker_epoch = e->pol.brk_epoch;
		act = ACT_BREAKER;
	} else {
		n = policy_strikes(&e->pol, &s->key, now_us,
		    c->strike_memory_us) + 1;
		timeout_us = policy_timeout(c, n);
		policy_add_strike(&e->pol, &s->key, now_us);
		policy_breaker_note(&e->pol, &c->max_new_blocks, now_us);
		if (c->dry_run)
			act = ACT_DRY_RUN;
		else if (ru->response == RESP_THROTTLE)
			act = ACT_THROTTLE;
		else
			act = ACT_BLOCK;
		engine_judge_source(t, s, add_sat(now_us, timeout_us));
	}
	engine_figures(e, t, s, keyhash, rule, now_us, v);
	v->action = act;
	v->timeout_us = timeout_us;
	v->strike = n;
	if (ru->response == RESP_THROTTLE && act != ACT_ALLOWED &&
	    act != ACT_BREAKER)
		v->throttle_rate = ru->throttle_rate;
	e->st.verdicts[act]++;
	return true;
}

static uint16_t
sat16(uint32_t n)
{
	return n > UINT16_MAX ? UINT16_MAX : (uint16_t)n;
}

/* t_us / div (div > 0), through the span of the last quotient. */
static int64_t
span_index(struct span *c, int64_t div, int64_t t_us)
{
	if (t_us >= c->start_us && t_us < c->end_us)
		return c->idx;
	c->idx = t_us / div;
	if (t_us < 0) {		/* the quotient rounds towards zero */
		c->start_us = c->end_us = 0;
		return c->idx;
	}
	c->start_us = c->idx * div;
	if (__builtin_add_overflow(c->start_us, div, &c->end_us))
		c->end_us = INT64_MAX;
	return c->idx;
}

/*
 * The bucket head = last_us / div of a source whose latest event is at
 * last_us <= t_us, t_us being the last time through c: the same bucket
 * as t_us, WINDOW_BUCKETS or more behind (all window_add_idx needs to
 * know then), or the buckets between counted back from c's; a division
 * only for a time before c's start (a clock gone back).  At 100,000
 * sources nearly every source's last event is a few buckets back, and
 * the 64-bit division per event cost replay about 3%.
 */
static int64_t
span_head(const struct span *c, int64_t div, int64_t last_us)
{
	int64_t back_us;

	if (last_us >= c->start_us && last_us < c->end_us)
		return c->idx;
	if (last_us >= 0 && c->start_us > 0 &&
	    !__builtin_mul_overflow(div, WINDOW_BUCKETS - 1, &back_us) &&
	    last_us < c->start_us - back_us)
		return c->idx - WINDOW_BUCKETS;
	if (last_us >= 0 && last_us < c->start_us && c->start_us > 0) {
		/* 1 to WINDOW_BUCKETS - 1 buckets back (the test above) */
		int64_t k = 1, lo = c->start_us - div;

		while (last_us < lo) {
			lo -= div;
			k++;
		}
		return c->idx - k;
	}
	return last_us / div;
}

/* Counts one event of a source not under judgement in the windows of
 * the rules that count its kind; the first rule it breaks. */
static enum rule
engine_count(struct engine *e, struct etable *t, struct source *s,
    uint64_t keyhash, const struct event *ev)
{
	int ri = s->cls + 1;	/* engine_rules, for writing the spans */
	struct rules *ru = &t->rules[ri >= 0 && ri < t->nrules ? ri : 0];
	const struct rule_def *def;
	struct rule_rt *rt;
	bool fresh = s->connections == 0;
	int64_t t_us = fresh || ev->t_us > s->last_us ? ev->t_us : s->last_us;
	unsigned kind = INPUT_BIT(ev->kind);
	enum rule trig = RULE_NONE;
	uint32_t n, dh;
	int64_t idx;
	int i, r;

	dh = engine_dsthash(e, &ev->value);	/* for the ring too */
	if (fresh)
		s->first_us = ev->t_us;
	if (t->distinct != RULE_NONE &&
	    (fresh || t_us - s->last_us >= ru->distinct_w_us))
		fanout_clear(s->fanout, t->src.nslots);
	for (i = 0; i < t->nids; i++) {
		r = t->ids[i];
		def = &rule_defs[r];
		rt = &ru->r[r];
		if ((def->kinds & kind) == 0 || (def->flags & ~ev->flags) != 0)
			continue;
		if (def->counts == RULE_DISTINCT) {
			/* kept while off too: the destinations figure */
			n = fanout_add_tick(s->fanout, t->src.nslots, dh,
			    (uint8_t)(uint64_t)span_index(&rt->span,
			    ru->distinct_tick_us, t_us));
		} else if (!rt->rate.off) {
			idx = span_index(&rt->span, rt->bucket_us, t_us);
			n = window_add_idx(&s->win[rt->win], fresh, fresh ?
			    idx : span_head(&rt->span, rt->bucket_us,
			    s->last_us), idx, ev->count);
		} else
			continue;
		if (rt->rate.off)
			continue;
		if (sat16(n) > s->peak[i])
			s->peak[i] = sat16(n);
		if (n > rt->rate.n && trig == RULE_NONE)
			trig = (enum rule)r;
	}
	s->last_us = t_us;
	s->connections = ev->count > UINT32_MAX - s->connections ?
	    UINT32_MAX : s->connections + ev->count;
	engine_remember(e, keyhash, dh, &ev->value, t_us);
	if (t->nclients > 0 && (ev->value.family == AF_INET ||
	    ev->value.family == AF_INET6))
		clients_note(clients_of(&t->src, t->clients, t->nclients, s),
		    t->nclients, &ev->value, t_us);
	sources_touch(&t->src, s);
	return trig;
}

/*
 * A table where every source is judged has nothing to evict, yet some of
 * those judgements may have run out without their source coming back.
 * Ends up to REAP_SCAN of those, from a rotating cursor: room is found
 * within a few events, without a scan of the whole table per event.
 */
static void
engine_reap(struct etable *t, int64_t now_us)
{
	struct source *s;
	int i;

	for (i = 0; i < REAP_SCAN && t->src.used > 0; i++) {
		if (t->reap >= t->src.used)
			t->reap = 0;
		s = sources_at(&t->src, t->reap++);
		if (s->judged && now_us >= s->until_us)
			engine_afresh(t, s);
	}
}

/* The entry of k, inserted when new; NULL when the table is all judged. */
static struct source *
engine_source(struct engine *e, struct etable *t, const struct key *k,
    uint64_t h, int64_t now_us)
{
	struct source *s;
	bool evicted;

	if ((s = sources_lookup(&t->src, k, h)) != NULL)
		return s;
	if ((s = sources_insert(&t->src, k, h, &evicted)) == NULL) {
		engine_reap(t, now_us);
		if ((s = sources_insert(&t->src, k, h, &evicted)) == NULL)
			return NULL;
	}
	if (evicted)
		t->evicted++;
	t->sources++;
	s->cls = (int16_t)engine_class(e->conf, k);
	if (t->nclients > 0)
		memset(clients_of(&t->src, t->clients, t->nclients, s), 0,
		    (size_t)t->nclients * sizeof(*t->clients));
	return s;
}

/* engine_feed given the event's table and the hash of its key. */
static bool
engine_feed_hashed(struct engine *e, struct etable *t, const struct event *ev,
    uint64_t keyhash, struct verdict *v)
{
	struct source *s;
	enum rule rule;

	e->st.events++;
	/* A table full of judged sources: the event is counted, untracked. */
	if ((s = engine_source(e, t, &ev->key, keyhash, ev->t_us)) == NULL)
		return false;
	if (s->judged) {
		if (ev->t_us < s->until_us) {
			if (s->attempts < UINT32_MAX)
				s->attempts++;
			e->st.attempts++;
			return false;
		}
		engine_afresh(t, s);
	}
	rule = engine_count(e, t, s, keyhash, ev);
	if (rule == RULE_NONE)
		return false;
	return engine_decide(e, t, s, keyhash, rule,
	    (ev->flags & EVENT_ALLOWED) != 0, ev->t_us, v);
}

bool
engine_feed(struct engine *e, const struct event *ev, struct verdict *v)
{
	struct etable *t = engine_table(e, &ev->key);

	return engine_feed_hashed(e, t, ev, sources_hash(&t->src, &ev->key),
	    v);
}

/* Sources in the table from which engine_feed_batch prefetches: about
 * 1 MB of entries, which may not all be in the cache (as a guess: no
 * cache sizes are looked up).  Below, the prefetch costs more than the
 * misses it saves. */
#define ENGINE_PREFETCH_MIN	4096

/*
 * Prefetches the whole entry i + 1 for writing.  A macro: gcc takes a
 * function that only prefetches for one without side effects and drops
 * the calls.
 */
#define ENGINE_PREFETCH_ENTRY(t, i) do {				\
	const uint8_t *ent_ = (const uint8_t *)sources_at((t), (i) - 1);	\
	size_t off_;							\
									\
	for (off_ = 0; off_ < (t)->stride; off_ += 64)			\
		__builtin_prefetch(ent_ + off_, 1);			\
	__builtin_prefetch(ent_ + (t)->stride - 1, 1);			\
} while (0)

/*
 * In a table larger than the cache every event waits for memory three
 * times: for its hash bucket, for its entry, and for its neighbours in the
 * LRU list that the event relinks.  A batch waits for all of them at once:
 * every record is prepared and its bucket fetched, then every entry a
 * bucket leads to, then the entries' LRU neighbours (and the next entry of
 * the chain when the first is another key), then the records are fed in
 * order.  The fetches are only hints: the feeding looks everything up
 * again, so a record that inserts or evicts a source changes nothing but
 * the speed.
 */
size_t
engine_feed_batch(struct engine *e, const struct event *ev, size_t n,
    struct verdict *v)
{
	uint64_t h[ENGINE_BATCH];
	uint32_t ent[ENGINE_BATCH];
	const struct source *s;
	const struct lru_link *l;
	struct etable *t = n > 0 ? engine_table(e, &ev[0].key) : NULL;
	size_t i, nv = 0;

	if (n > ENGINE_BATCH) {
		for (i = 0; i < n; i += ENGINE_BATCH)
			nv += engine_feed_batch(e, ev + i,
			    n - i < ENGINE_BATCH ? n - i : ENGINE_BATCH,
			    v + nv);
		return nv;
	}
	for (i = 1; i < n && t != NULL; i++)	/* one table only */
		if (engine_table(e, &ev[i].key) != t)
			t = NULL;
	if (t == NULL || t->src.used < ENGINE_PREFETCH_MIN) {
		for (i = 0; i < n; i++)	/* in the cache, or mixed */
			if (engine_feed(e, &ev[i], &v[nv]))
				nv++;
		return nv;
	}
	for (i = 0; i < n; i++) {
		h[i] = sources_hash(&t->src, &ev[i].key);
		__builtin_prefetch(&t->src.buckets[h[i] & t->src.mask]);
	}
	for (i = 0; i < n; i++) {
		ent[i] = t->src.buckets[h[i] & t->src.mask];
		if (ent[i] != 0) {
			ENGINE_PREFETCH_ENTRY(&t->src, ent[i]);
			__builtin_prefetch(&t->src.lru[ent[i] - 1], 1);
		}
	}
	for (i = 0; i < n; i++) {
		if (ent[i] == 0)
			continue;
		s = sources_at(&t->src, ent[i] - 1);
		if (!key_equal(&s->key, &ev[i].key)) {
			if (s->hnext != 0)
				ENGINE_PREFETCH_ENTRY(&t->src, s->hnext);
			continue;
		}
		l = &t->src.lru[ent[i] - 1];
		if (l->prev != 0)
			__builtin_prefetch(&t->src.lru[l->prev - 1], 1);
		if (l->next != 0)
			__builtin_prefetch(&t->src.lru[l->next - 1], 1);
	}
	for (i = 0; i < n; i++)
		if (engine_feed_hashed(e, t, &ev[i], h[i], &v[nv]))
			nv++;
	return nv;
}

/* -------------------------------------------- manual and restored state */

int
engine_judge(struct engine *e, const struct key *k, int64_t until_us,
    uint32_t attempts)
{
	struct etable *t = engine_table(e, k);
	struct source *s;

	/* no clock here: nothing is reaped for a manual block */
	if ((s = engine_source(e, t, k, sources_hash(&t->src, k),
	    INT64_MIN)) == NULL)
		return -1;
	engine_judge_source(t, s, until_us);
	s->attempts = attempts;
	return 0;
}

void
engine_release(struct engine *e, const struct key *k)
{
	struct etable *t = engine_table(e, k);
	struct source *s = sources_lookup(&t->src, k, sources_hash(&t->src, k));

	if (s != NULL && s->judged)
		engine_afresh(t, s);
}

uint32_t
engine_attempts(const struct engine *e, const struct key *k)
{
	const struct etable *t = engine_ctable(e, k);
	const struct source *s = sources_lookup(&t->src, k,
	    sources_hash(&t->src, k));

	return s != NULL && s->judged ? s->attempts : 0;
}

void
engine_add_strike(struct engine *e, const struct key *k, int64_t at_us)
{
	policy_add_strike(&e->pol, k, at_us);
}

int
engine_strikes(const struct engine *e, const struct key *k, int64_t now_us)
{
	return policy_strikes(&e->pol, k, now_us, e->conf->strike_memory_us);
}

void
engine_foreach_strike(const struct engine *e,
    void (*fn)(const struct key *, int64_t, void *), void *arg)
{
	policy_foreach_strike(&e->pol, fn, arg);
}

void
engine_stats(const struct engine *e, struct engine_stats *st)
{
	*st = e->st;
	st->sources = e->t[TABLE_SOURCES].sources;
	st->evicted = e->t[TABLE_SOURCES].evicted;
	st->tracked = e->t[TABLE_SOURCES].src.used;
	st->accounts = e->t[TABLE_ACCOUNTS].sources;
	st->accounts_evicted = e->t[TABLE_ACCOUNTS].evicted;
	st->accounts_tracked = e->t[TABLE_ACCOUNTS].src.used;
}

/* ---------------------------------------------------------------- top */

static double
ratio(uint32_t count, const struct rate *r)
{
	if (r->off || count == 0)
		return 0;
	return (double)count / (double)(r->n > 0 ? r->n : 1);
}

static double
talker_ratio(const struct engine *e, const struct engine_talker *tk)
{
	const struct etable *t = engine_ctable(e, &tk->key);
	const struct rules *ru = &t->rules[tk->cls + 1 < t->nrules ?
	    tk->cls + 1 : 0];
	double a = 0, b;
	int i;

	for (i = 0; i < t->nids; i++)
		if ((b = ratio(tk->count[t->ids[i]], &ru->r[t->ids[i]].rate)) >
		    a)
			a = b;
	return a;
}

/* The count of rule r in the window of s at now_us (0 when off). */
static uint32_t
engine_count_at(const struct etable *t, const struct source *s,
    const struct rules *ru, int r, int64_t now_us)
{
	const struct rule_rt *rt = &ru->r[r];

	if (rt->rate.off)
		return 0;
	if (rule_defs[r].counts == RULE_DISTINCT)
		return now_us - s->last_us < ru->distinct_w_us ?
		    fanout_count(s->fanout, t->src.nslots,
		    ru->distinct_tick_us, now_us) : 0;
	return window_count(&s->win[rt->win], rt->bucket_us, s->last_us,
	    now_us);
}

/* The talker row of s: its peaks, or its counts at now_us. */
static void
engine_talker(const struct etable *t, const struct source *s, bool peak,
    int64_t now_us, struct engine_talker *tk)
{
	const struct rules *ru = engine_rules(t, s);
	int i;

	memset(tk, 0, sizeof(*tk));
	tk->key = s->key;
	tk->cls = s->cls;
	tk->connections = s->connections;
	if (peak) {
		for (i = 0; i < t->nids; i++)
			tk->count[t->ids[i]] = s->peak[i];
		return;
	}
	if (s->judged || s->connections == 0)
		return;
	for (i = 0; i < t->nids; i++)
		tk->count[t->ids[i]] = engine_count_at(t, s, ru, t->ids[i],
		    now_us);
}

/* Whether a ranks before b: higher ratio, then key bytes (stable). */
static bool
talker_before(const struct engine *e, const struct engine_talker *a,
    double ra, const struct engine_talker *b)
{
	double rb = talker_ratio(e, b);

	if (ra != rb)
		return ra > rb;
	return memcmp(&a->key, &b->key, sizeof(a->key)) < 0;
}

size_t
engine_top(const struct engine *e, struct engine_talker *out, size_t max,
    bool peak, int64_t now_us)
{
	const struct etable *t;
	struct engine_talker tk;
	size_t n = 0, j;
	uint32_t i;
	double r;
	int tab;

	if (max == 0)
		return 0;
	for (tab = 0; tab < TABLE_N; tab++) {
		t = &e->t[tab];
		for (i = 0; i < t->src.used; i++) {
			engine_talker(t, sources_at(&t->src, i), peak, now_us,
			    &tk);
			if ((r = talker_ratio(e, &tk)) <= 0)
				continue;
			if (n == max && !talker_before(e, &tk, r, &out[n - 1]))
				continue;
			j = n < max ? n++ : n - 1;
			for (; j > 0 && talker_before(e, &tk, r, &out[j - 1]);
			    j--)
				out[j] = out[j - 1];
			out[j] = tk;
		}
	}
	return n;
}

/* ------------------------------------------------------------- reconf */

/* Copies what a source knows into d, an entry of a new table. */
static void
engine_copy_source(struct sources *dt, struct source *d,
    const struct sources *st, const struct source *s)
{
	int n = st->nslots < dt->nslots ? st->nslots : dt->nslots, i, k = 0;
	const uint32_t *sh = (const uint32_t *)(const void *)s->fanout;
	const uint16_t *stk = (const uint16_t *)(sh + st->nslots);
	uint32_t *dh = (uint32_t *)(void *)d->fanout;
	uint16_t *dtk = (uint16_t *)(dh + dt->nslots);

	d->connections = s->connections;
	d->attempts = s->attempts;
	d->cls = s->cls;
	d->breaker_epoch = s->breaker_epoch;
	d->first_us = s->first_us;
	d->last_us = s->last_us;
	d->until_us = s->until_us;
	memcpy(d->win, s->win, sizeof(d->win));
	memcpy(d->peak, s->peak, sizeof(d->peak));
	for (i = 0; i < st->nslots && k < n; i++)
		if (sh[i] != 0) {
			dh[k] = sh[i];
			dtk[k++] = stk[i];
		}
	if (s->judged) {
		sources_lru_unlink(dt, d);
		d->judged = 1;
	}
}

/* Copies the newest of on old client entries into nn new ones. */
static void
clients_copy(struct client_ent *d, int nn, const struct client_ent *o,
    int on)
{
	memcpy(d, o, (size_t)(nn < on ? nn : on) * sizeof(*d));
}

/* Source s of t into table nt (and its clients into nc), or NULL: no room. */
static struct source *
engine_move_one(struct etable *t, struct sources *nt, struct client_ent *nc,
    int nk, const struct source *s, bool *evicted)
{
	struct source *d;

	d = sources_insert(nt, &s->key, sources_hash(nt, &s->key), evicted);
	if (d == NULL)
		return NULL;
	engine_copy_source(nt, d, &t->src, s);
	if (nc != NULL && t->clients != NULL)
		clients_copy(clients_of(nt, nc, nk, d), nk,
		    clients_of(&t->src, t->clients, t->nclients, s),
		    t->nclients);
	return d;
}

/*
 * Moves every source into a table of another size or stride: judged ones
 * first (they are never evicted), then the others from the least to the
 * most recently seen, so that a smaller table keeps the most recent.
 * Sources that do not fit are counted as evicted.
 */
static void
engine_move(struct etable *t, struct sources *nt, struct client_ent *nc,
    int nk)
{
	struct sources *ot = &t->src;
	struct source *s;
	uint32_t i;
	bool evicted;

	for (i = 0; i < ot->used; i++) {
		s = sources_at(ot, i);
		if (!s->judged)
			continue;
		if (engine_move_one(t, nt, nc, nk, s, &evicted) == NULL)
			t->evicted++;
	}
	for (i = ot->lru_tail; i != 0; i = ot->lru[i - 1].prev) {
		s = sources_at(ot, i - 1);
		if (engine_move_one(t, nt, nc, nk, s, &evicted) == NULL ||
		    evicted)
			t->evicted++;
	}
}

/* Table t under its new rules nr (of nslots distinct slots). */
static int
table_reconf(struct engine *e, struct etable *t, const struct conf *c,
    struct rules *nr, int nrules, int nslots)
{
	const struct rules *a, *b;
	struct sources nt;
	struct source *s;
	struct client_ent *nc = NULL;
	uint32_t i;
	int k, r, nk = table_nclients(c, t->id);
	bool move;

	if (nslots < t->src.nslots)
		nslots = t->src.nslots;		/* grow only */
	move = nslots != t->src.nslots || table_cap(c, t->id) != t->src.cap;
	if (nk > 0 && (move || nk != t->nclients) && (nc = calloc(table_cap(c,
	    t->id), (size_t)nk * sizeof(*nc))) == NULL)
		return -1;
	if (move) {
		if (sources_init(&nt, table_cap(c, t->id), nslots,
		    e->hashkey) == -1) {
			free(nc);
			return -1;
		}
		engine_move(t, &nt, nc, nk);
		sources_fini(&t->src);
		t->src = nt;
	} else if (nc != NULL && t->clients != NULL)
		for (i = 0; i < t->src.used; i++)
			clients_copy(nc + (size_t)i * nk, nk, t->clients +
			    (size_t)i * t->nclients, t->nclients);
	if (move || nk != t->nclients) {
		free(t->clients);
		t->clients = nc;
		t->nclients = nk;
	}
	/* New classes; a window whose length changed starts empty. */
	for (i = 0; i < t->src.used; i++) {
		s = sources_at(&t->src, i);
		a = &t->rules[s->cls + 1 < t->nrules ? s->cls + 1 : 0];
		s->cls = (int16_t)engine_class(c, &s->key);
		b = &nr[s->cls + 1 < nrules ? s->cls + 1 : 0];
		/* an off window was not kept up to date: clear it too */
		for (k = 0; k < t->nids; k++) {
			r = t->ids[k];
			if (rule_defs[r].counts == RULE_EVENTS &&
			    (a->r[r].rate.off || b->r[r].rate.off ||
			    a->r[r].bucket_us != b->r[r].bucket_us))
				window_clear(&s->win[a->r[r].win]);
		}
		if (a->distinct_tick_us != b->distinct_tick_us)
			fanout_clear(s->fanout, t->src.nslots);
	}
	free(t->rules);
	t->rules = nr;
	t->nrules = nrules;
	return 0;
}

int
engine_reconf(struct engine *e, const struct conf *c)
{
	struct rules *nr[TABLE_N] = { NULL };
	int nrules[TABLE_N], nslots[TABLE_N], tab;

	for (tab = 0; tab < TABLE_N; tab++)
		if ((nr[tab] = rules_build(c, &e->t[tab], &nrules[tab],
		    &nslots[tab])) == NULL)
			goto fail;
	if (policy_reconf(&e->pol, &c->max_new_blocks) == -1)
		goto fail;
	for (tab = 0; tab < TABLE_N; tab++) {
		if (table_reconf(e, &e->t[tab], c, nr[tab], nrules[tab],
		    nslots[tab]) == -1)
			goto fail;
		nr[tab] = NULL;
	}
	e->conf = c;
	return 0;
fail:
	for (tab = 0; tab < TABLE_N; tab++)
		free(nr[tab]);
	return -1;
}

/* ------------------------------------------------------ export, import */

/* Whether s has anything at now_us in the window of an enabled rule. */
static bool
engine_live(const struct etable *t, const struct source *s,
    const struct rules *ru, int64_t now_us)
{
	int i;

	for (i = 0; i < t->nids; i++)
		if (engine_count_at(t, s, ru, t->ids[i], now_us) > 0)
			return true;
	return false;
}

size_t
engine_export(const struct engine *e, int64_t now_us,
    void (*fn)(const struct engine_counters *, void *), void *arg)
{
	struct engine_slot slots[ENGINE_MAX_SLOTS];
	struct engine_counters c;
	const struct etable *t;
	const struct source *s;
	const struct rules *ru;
	const struct rule_rt *rt;
	uint32_t i;
	size_t n = 0;
	int k, r, tab;

	/* The LRU list holds exactly the sources not under judgement. */
	for (tab = 0; tab < TABLE_N; tab++)
	for (t = &e->t[tab], i = t->src.lru_tail; i != 0;
	    i = t->src.lru[i - 1].prev) {
		s = sources_at(&t->src, i - 1);
		ru = engine_rules(t, s);
		if (s->connections == 0 || !engine_live(t, s, ru, now_us))
			continue;
		memset(&c, 0, sizeof(c));
		c.key = s->key;
		c.connections = s->connections;
		c.first_us = s->first_us;
		c.last_us = s->last_us;
		for (k = 0; k < t->nids; k++) {
			r = t->ids[k];
			rt = &ru->r[r];
			if (rule_defs[r].counts != RULE_EVENTS || rt->rate.off)
				continue;
			c.bucket_us[r] = rt->bucket_us;
			window_save(&s->win[rt->win], rt->bucket_us,
			    s->last_us, c.buckets[r]);
		}
		c.distinct_tick_us = ru->distinct_tick_us;
		c.nslots = fanout_save(s->fanout, t->src.nslots,
		    ru->distinct_tick_us, s->last_us, slots);
		c.slots = slots;
		fn(&c, arg);
		n++;
	}
	return n;
}

/* Whether one of the record's fanout slots is still live at now_us once
 * its last event is at last_us (now_us - last_us < the fanout W). */
static bool
import_slots_live(const struct engine_counters *c, int64_t tick_us,
    int64_t last_us, int64_t now_us)
{
	int64_t ticks = now_us / tick_us - last_us / tick_us;
	uint32_t i;

	for (i = 0; i < c->nslots; i++)
		if (c->slots[i].dsthash != 0 &&
		    c->slots[i].age <= ENGINE_SLOT_MAX_AGE &&
		    ticks + c->slots[i].age < FANOUT_TICKS)
			return true;
	return false;
}

int
engine_import(struct engine *e, const struct engine_counters *c,
    int64_t shift_us, int64_t now_us)
{
	struct etable *t = engine_table(e, &c->key);
	const struct rules *ru;
	const struct rule_rt *rt;
	struct window w[RULE_WINDOWS];
	struct source *s;
	int64_t first_us, last_us, age_us;
	uint64_t h;
	bool live = false, slots_ok;
	int k, r;

	if ((c->key.kind != KEY_V4 && c->key.kind != KEY_V6 &&
	    c->key.kind != KEY_UID && c->key.kind != KEY_ACCOUNT) ||
	    c->connections == 0 ||
	    c->first_us > c->last_us)
		return 0;
	if (__builtin_add_overflow(c->last_us, shift_us, &last_us) ||
	    __builtin_add_overflow(c->first_us, shift_us, &first_us))
		return 0;
	if (last_us > now_us) {		/* the clock went back: now */
		if (__builtin_sub_overflow(last_us, now_us, &age_us) ||
		    __builtin_sub_overflow(first_us, age_us, &first_us))
			return 0;
		last_us = now_us;
	}
	/* Far in the past is outside every window; also keeps the bucket
	 * arithmetic below far from overflow. */
	if (__builtin_sub_overflow(now_us, last_us, &age_us) ||
	    age_us > INT64_MAX / 4)
		return 0;
	h = sources_hash(&t->src, &c->key);
	if (sources_lookup(&t->src, &c->key, h) != NULL)
		return 0;
	k = engine_class(e->conf, &c->key) + 1;
	ru = &t->rules[k < t->nrules ? k : 0];
	for (r = 0; r < RULE_WINDOWS; r++)
		window_clear(&w[r]);
	for (k = 0; k < t->nids; k++) {
		r = t->ids[k];
		rt = &ru->r[r];
		if (rule_defs[r].counts != RULE_EVENTS || rt->rate.off ||
		    c->bucket_us[r] != rt->bucket_us)
			continue;
		window_load(&w[rt->win], rt->bucket_us, last_us,
		    c->buckets[r]);
		live = live || window_count(&w[rt->win], rt->bucket_us,
		    last_us, now_us) > 0;
	}
	slots_ok = c->distinct_tick_us == ru->distinct_tick_us &&
	    c->nslots <= ENGINE_MAX_SLOTS && (c->nslots == 0 || c->slots != NULL);
	if (slots_ok && t->distinct != RULE_NONE &&
	    !ru->r[t->distinct].rate.off && age_us < ru->distinct_w_us)
		live = live || import_slots_live(c, ru->distinct_tick_us,
		    last_us, now_us);
	if (!live)
		return 0;

	if ((s = engine_source(e, t, &c->key, h, now_us)) == NULL)
		return -1;
	s->connections = c->connections;
	s->first_us = first_us;
	s->last_us = last_us;
	memcpy(s->win, w, sizeof(s->win));
	if (slots_ok)
		fanout_load(s->fanout, t->src.nslots, ru->distinct_tick_us,
		    last_us, c->slots, c->nslots);
	for (k = 0; k < t->nids; k++)
		s->peak[k] = sat16(engine_count_at(t, s, ru, t->ids[k],
		    last_us));
	return 1;
}
