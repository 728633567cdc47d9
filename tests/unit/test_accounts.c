/*
 * test_accounts.c: account keys and the account rules (DESIGN.md "Account
 * rules") in the engine: events as the policy service or a mail log hand
 * them over, rows of input -> expected verdict, and the account table kept
 * apart from the packet sources.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "engine_test.h"
#include "engine_internal.h"

/* An account event: login, client address, flags, at t_us. */
static struct event
tacct(const char *login, const char *client, unsigned flags, int64_t t_us)
{
	struct event ev;

	memset(&ev, 0, sizeof(ev));
	if (key_from_account(&ev.key, login, strlen(login)) != 0)
		abort();
	ev.value = taddr(client);
	addr_aggregate(&ev.value, 64);
	ev.kind = INPUT_POLICY;
	ev.flags = (uint8_t)flags;
	ev.count = 1;
	ev.t_us = t_us;
	return ev;
}

static void
test_key(void **state)
{
	struct key a, b;
	char buf[KEY_STRLEN], err[128];
	static const char *const bad[] = {
		"", "a b", "caf\xc3\xa9", "tab\tx", "nul",
	};
	char big[300];
	size_t i;

	(void)state;
	assert_int_equal(key_from_account(&a, "Bob@Example.COM", 15), 0);
	assert_int_equal(key_from_account(&b, "bob@example.com", 15), 0);
	assert_true(key_equal(&a, &b));
	assert_string_equal(key_format(&a, buf, sizeof(buf)),
	    "account:bob@example.com");
	assert_int_equal(rule_table_of(&a), TABLE_ACCOUNTS);
	assert_int_equal(key_parse("account:BOB@example.com", 64, &b, err,
	    sizeof(err)), 0);
	assert_true(key_equal(&a, &b));
	assert_int_equal(key_from_account(&b, "alice", 5), 0);
	assert_false(key_equal(&a, &b));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(key_from_account(&a, bad[i],
		    i == 4 ? 4 : strlen(bad[i])), -1);	/* "nul" + NUL */
	memset(big, 'x', sizeof(big));
	assert_int_equal(key_from_account(&a, big, 255), 0);
	assert_int_equal(key_from_account(&a, big, 256), -1);
	assert_int_equal(key_parse("account:", 64, &a, err, sizeof(err)), -1);
}

struct row {
	const char	*what;
	const char	*login;
	int		 n;		/* events */
	int		 nclients;	/* distinct clients, cycled */
	unsigned	 flags;
	int64_t		 dt_us;
	const char	*expect;	/* last event's verdict, NULL none */
};

static const struct row rows[] = {
	{ "5 clients are fine", "a@example.com", 5, 5, 0, SEC, NULL },
	{ "a 6th client address", "b@example.com", 6, 6, 0, SEC,
	    "account:b@example.com clients block c=6 d=6 s=1 t=3600" },
	{ "one client, 500 recipients", "c@example.com", 500, 1, 0,
	    100 * MS, NULL },
	{ "501 recipients", "d@example.com", 501, 1, 0, 100 * MS,
	    "account:d@example.com recipients block c=501 d=1 s=1 t=3600" },
	{ "20 foreign messages", "e@example.com", 20, 1,
	    EVENT_MESSAGE | EVENT_FOREIGN, SEC, NULL },
	{ "21 foreign messages", "f@example.com", 21, 1,
	    EVENT_MESSAGE | EVENT_FOREIGN, SEC,
	    "account:f@example.com foreign_senders block c=21 d=1 s=1 t=3600" },
	{ "foreign but not a new message", "g@example.com", 30, 1,
	    EVENT_FOREIGN, SEC, NULL },
	{ "clients spread wider than 10m", "h@example.com", 12, 12, 0,
	    2 * MIN, NULL },
	{ "allowlisted", "i@example.com", 6, 6, EVENT_ALLOWED, SEC,
	    "account:i@example.com clients allowed c=6 d=6 s=0 t=0" },
};

static void
test_rules(void **state)
{
	struct conf *c = tconf_new();
	struct engine *e;
	struct verdict v;
	struct event ev;
	char got[256], client[64];
	size_t r;
	int i;
	bool hit;

	(void)state;
	c->response = RESP_THROTTLE;	/* accounts are never throttled */
	c->max_new_blocks = trate(1000, MIN);
	assert_non_null(e = engine_new(c, test_hashkey));
	for (r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		for (i = 0; i < rows[r].n; i++) {
			snprintf(client, sizeof(client), "2001:db8:%x::1",
			    i % rows[r].nclients + 1);
			ev = tacct(rows[r].login, client, rows[r].flags,
			    (int64_t)r * DAY + i * rows[r].dt_us);
			hit = engine_feed(e, &ev, &v);
			if (i < rows[r].n - 1 || rows[r].expect == NULL) {
				if (hit)
					fail_msg("%s: event %d: unexpected %s",
					    rows[r].what, i + 1, tverdict_fmt(&v,
					    false, got, sizeof(got)));
				continue;
			}
			if (!hit)
				fail_msg("%s: no verdict", rows[r].what);
			tverdict_fmt(&v, false, got, sizeof(got));
			if (strcmp(got, rows[r].expect) != 0)
				fail_msg("%s: got %s, want %s", rows[r].what,
				    got, rows[r].expect);
		}
	}
	engine_free(e);
	tconf_free(c);
}

/* A flood of packet sources fills their table; accounts stay counted. */
/*
 * Two accounts keep apart: a verdict's client addresses are its own
 * account's only (the hook's NFLOGMON_CLIENTS, block_clients), and
 * different logins hash differently (not one bucket chain for all).
 */
static void
test_accounts_apart(void **state)
{
	struct conf *c = tconf_new();
	struct engine *e;
	struct verdict v;
	struct event ev;
	struct key a, b;
	char client[64];
	int j;
	int i;

	(void)state;
	assert_int_equal(key_from_account(&a, "alice@example.org", 17), 0);
	assert_int_equal(key_from_account(&b, "jane@example.org", 16), 0);
	assert_true(hash_key(test_hashkey, &a) != hash_key(test_hashkey, &b));
	c->max_new_blocks = trate(1000, MIN);
	assert_non_null(e = tengine_new(c, test_hashkey));
	for (i = 0; i < 4; i++) {
		ev = tacct("alice@example.org", "192.0.2.10", 0, i * SEC);
		assert_false(engine_feed(e, &ev, &v));
		ev = tacct("bob@example.org", "198.51.100.7", 0, i * SEC + 1);
		assert_false(engine_feed(e, &ev, &v));
	}
	for (i = 0; i < 6; i++) {
		snprintf(client, sizeof(client), "203.0.113.%d", 10 + i);
		ev = tacct("jane@example.org", client, 0, 10 * SEC + i);
		if (engine_feed(e, &ev, &v))
			break;
	}
	assert_int_equal(i, 5);
	assert_int_equal(v.rule, RULE_CLIENTS);
	assert_int_equal(v.ndsts, 6);
	for (j = 0; j < v.ndsts; j++) {
		assert_int_equal(v.dsts[j].b[0], 203);
		assert_int_equal(v.dsts[j].b[2], 113);
	}
	engine_free(e);
	tconf_free(c);
}

static void
test_tables_apart(void **state)
{
	struct conf *c = tconf_new();
	struct engine_stats st;
	struct engine *e;
	struct verdict v;
	struct event ev;
	struct pkt p;
	char client[64];
	int i;

	(void)state;
	c->max_sources = 64;
	c->max_accounts = 64;
	c->max_new_blocks = trate(1000, MIN);
	assert_non_null(e = tengine_new(c, test_hashkey));
	for (i = 0; i < 3; i++) {
		snprintf(client, sizeof(client), "192.0.2.%d", i + 1);
		ev = tacct("victim@example.com", client, 0, i * SEC);
		assert_false(engine_feed(e, &ev, &v));
	}
	for (i = 0; i < 10000; i++) {
		p = tpkt("198.18.0.0", "203.0.113.1");
		p.src.b[2] = (uint8_t)(i >> 8);
		p.src.b[3] = (uint8_t)i;
		(void)tfeed(e, &p, PKT_OK, 10 * SEC + i, &v);
	}
	engine_stats(e, &st);
	assert_int_equal(st.tracked, 64);
	assert_true(st.evicted >= 10000 - 64);
	assert_int_equal(st.accounts_tracked, 1);
	assert_int_equal(st.accounts_evicted, 0);
	/* the account kept its 3 clients: 3 more make 6 > 5 */
	for (i = 3; i < 6; i++) {
		snprintf(client, sizeof(client), "192.0.2.%d", i + 1);
		ev = tacct("victim@example.com", client, 0, 20 * SEC + i);
		if (engine_feed(e, &ev, &v))
			break;
	}
	assert_int_equal(i, 5);
	assert_int_equal(v.rule, RULE_CLIENTS);
	assert_int_equal(v.destinations, 6);
	engine_free(e);
	tconf_free(c);
}

/* Whether v lists client (an IPv4 address) among its values. */
static bool
tlists(const struct verdict *v, const char *client)
{
	struct addr a = taddr(client);
	int j;

	for (j = 0; j < v->ndsts; j++)
		if (v->dsts[j].family == a.family &&
		    memcmp(v->dsts[j].b, a.b, 4) == 0)
			return true;
	return false;
}

/*
 * block_clients: an account keeps its last clients N + 1 client addresses
 * itself, so a flood of packet sources between its events does not wash
 * them out of the verdict (the engine-wide ring would); an old client
 * outside the window is not listed; a reconf that moves the table keeps
 * them; a new account in a reused entry starts with none.
 */
static void
test_block_clients(void **state)
{
	struct conf *c = tconf_new();
	struct engine *e;
	struct verdict v;
	struct event ev;
	struct pkt p;
	char client[64];
	int i;

	(void)state;
	c->block_clients = true;
	c->rate[RULE_CLIENTS] = trate(5, 10 * MIN);
	c->max_accounts = 2;
	c->max_new_blocks = trate(1000, MIN);
	assert_non_null(e = tengine_new(c, test_hashkey));
	/* an old client, out of the window by the verdict */
	ev = tacct("victim@example.com", "198.51.100.99", 0, 0);
	assert_false(engine_feed(e, &ev, &v));
	for (i = 0; i < 5; i++) {
		snprintf(client, sizeof(client), "192.0.2.%d", i + 1);
		ev = tacct("victim@example.com", client, 0,
		    10 * MIN + i * SEC);
		assert_false(engine_feed(e, &ev, &v));
		/* the same client again changes nothing */
		assert_false(engine_feed(e, &ev, &v));
	}
	/* a flood of packet sources: the ring forgets the account */
	for (i = 0; i < 5000; i++) {
		p = tpkt("198.18.0.0", "203.0.113.1");
		p.src.b[2] = (uint8_t)(i >> 8);
		p.src.b[3] = (uint8_t)i;
		(void)tfeed(e, &p, PKT_OK, 11 * MIN + i, &v);
	}
	/* a reconf that moves the account table */
	c->max_accounts = 8;
	assert_int_equal(tengine_reconf(e, c), 0);
	ev = tacct("victim@example.com", "192.0.2.6", 0, 12 * MIN);
	assert_true(engine_feed(e, &ev, &v));
	assert_int_equal(v.rule, RULE_CLIENTS);
	assert_int_equal(v.action, ACT_BLOCK);
	assert_int_equal(v.ndsts, 6);
	for (i = 0; i < 6; i++) {
		snprintf(client, sizeof(client), "192.0.2.%d", i + 1);
		assert_true(tlists(&v, client));
	}
	assert_false(tlists(&v, "198.51.100.99"));
	/* newest first */
	assert_int_equal(v.dsts[0].b[3], 6);
	/* fill the table: a new account in a reused entry lists its own */
	for (i = 0; i < 20; i++) {
		snprintf(client, sizeof(client), "acct%d@example.com", i);
		ev = tacct(client, "203.0.113.7", 0, 13 * MIN + i);
		(void)engine_feed(e, &ev, &v);
	}
	for (i = 0; i < 6; i++) {
		snprintf(client, sizeof(client), "203.0.113.%d", 20 + i);
		ev = tacct("acct19@example.com", client, 0, 14 * MIN + i);
		if (engine_feed(e, &ev, &v))
			break;
	}
	assert_int_equal(i, 4);		/* .7 and .20-.24: 6 > 5 */
	assert_int_equal(v.ndsts, 6);
	assert_true(tlists(&v, "203.0.113.7"));
	assert_false(tlists(&v, "192.0.2.1"));
	engine_free(e);
	tconf_free(c);
}

/* The top lists accounts with their own rules' counts. */
static void
test_top(void **state)
{
	struct conf *c = tconf_new();
	struct engine_talker t[4];
	struct engine *e;
	struct verdict v;
	struct event ev;
	size_t n;
	int i;

	(void)state;
	assert_non_null(e = engine_new(c, test_hashkey));
	for (i = 0; i < 4; i++) {
		ev = tacct("busy@example.com", i % 2 ? "192.0.2.1" :
		    "192.0.2.2", 0, i * SEC);
		assert_false(engine_feed(e, &ev, &v));
	}
	memset(t, 0, sizeof(t));
	n = engine_top(e, t, 4, false, 5 * SEC);
	assert_int_equal(n, 1);
	assert_int_equal(t[0].count[RULE_CLIENTS], 2);
	assert_int_equal(t[0].count[RULE_RECIPIENTS], 4);
	assert_int_equal(t[0].count[RULE_BURST], 0);
	assert_int_equal(t[0].connections, 4);
	engine_free(e);
	tconf_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_tables_apart),
		cmocka_unit_test(test_accounts_apart),
		cmocka_unit_test(test_block_clients),
		cmocka_unit_test(test_top),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
