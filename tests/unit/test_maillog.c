/*
 * test_maillog.c: the mail-log line parser (maillog.c), table-driven:
 * sequences of lines in, the events out (count, flags, client), and the
 * times of the header formats.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <time.h>

#include "engine_test.h"

struct got {
	int		 n;
	unsigned	 flags[64];
	struct addr	 value[64];
	struct key	 key[64];
};

static void
got_put(void *arg, const struct event *ev, size_t n)
{
	struct got *g = arg;
	size_t i;

	for (i = 0; i < n; i++, g->n++)
		if (g->n < 64) {
			g->flags[g->n] = ev[i].flags;
			g->value[g->n] = ev[i].value;
			g->key[g->n] = ev[i].key;
			assert_int_equal(ev[i].kind, INPUT_MAILLOG);
			assert_int_equal(ev[i].count, 1);
		}
}

#define PF	"Dec  4 09:00:00 mx postfix/"
#define EX	"2026-12-04 09:00:00 "
#define SMTPD(id, addr, login) PF "smtpd[1]: " id ": client=h[" addr \
	"], sasl_method=PLAIN, sasl_username=" login
#define QMGR(id, from, n) PF "qmgr[2]: " id ": from=<" from ">, size=9, " \
	"nrcpt=" n " (queue active)"
#define M	EVENT_MESSAGE
#define F	EVENT_FOREIGN
#define A	EVENT_ALLOWED

struct row {
	const char	*what;
	const char	*lines[6];
	int		 last;		/* enum maillog_result of the last */
	int		 n;		/* events */
	unsigned	 flags0, flags1;	/* of the first two */
	const char	*client;	/* of the first */
};

static const struct row rows[] = {
	{ "postfix joined", { SMTPD("ABC1", "192.0.2.7", "Bob@Example.com"),
	    QMGR("ABC1", "bob@example.com", "3") }, MAILLOG_EVENTS, 3, M, 0,
	    "192.0.2.7" },
	{ "postfix foreign", { SMTPD("ABC1", "192.0.2.7", "bob@example.com"),
	    QMGR("ABC1", "x@bank.example", "1") }, MAILLOG_EVENTS, 1, M | F,
	    0, "192.0.2.7" },
	{ "postfix other domain ok", { SMTPD("A2", "192.0.2.7",
	    "bob@example.com"), QMGR("A2", "x@Partner.Example", "1") },
	    MAILLOG_EVENTS, 1, M, 0, "192.0.2.7" },
	{ "postfix null sender", { SMTPD("A3", "192.0.2.7", "bob@example.com"),
	    QMGR("A3", "", "2") }, MAILLOG_EVENTS, 2, M, 0, "192.0.2.7" },
	{ "postfix deferred, counted once", { SMTPD("A4", "192.0.2.7", "b@x"),
	    QMGR("A4", "b@x", "2"), QMGR("A4", "b@x", "2") }, MAILLOG_IGNORED,
	    2, M, 0, "192.0.2.7" },
	{ "postfix allowlisted", { SMTPD("A5", "2001:db8:1:2::9", "ok@x"),
	    QMGR("A5", "ok@x", "2") }, MAILLOG_EVENTS, 2, M | A, A,
	    "2001:db8:1:2::" },
	{ "postfix unauthenticated", { PF "smtpd[1]: A6: client=h[192.0.2.7]",
	    QMGR("A6", "b@x", "2") }, MAILLOG_IGNORED, 0, 0, 0, NULL },
	{ "postfix port logged", { PF "smtpd[1]: A7: client=h[192.0.2.7]:25,"
	    " sasl_method=LOGIN, sasl_username=b@x, sasl_sender=", QMGR("A7",
	    "b@x", "1") }, MAILLOG_EVENTS, 1, M, 0, "192.0.2.7" },
	{ "postfix bad address", { SMTPD("A8", "nope", "b@x") },
	    MAILLOG_MALFORMED, 0, 0, 0, NULL },
	{ "postfix bad login", { SMTPD("A9", "192.0.2.7", "b c") },
	    MAILLOG_MALFORMED, 0, 0, 0, NULL },
	{ "postfix bad nrcpt", { SMTPD("B1", "192.0.2.7", "b@x"),
	    QMGR("B1", "b@x", "x") }, MAILLOG_MALFORMED, 0, 0, 0, NULL },
	{ "postfix removed first", { SMTPD("B2", "192.0.2.7", "b@x"),
	    PF "qmgr[2]: B2: removed", QMGR("B2", "b@x", "1") },
	    MAILLOG_IGNORED, 0, 0, 0, NULL },
	{ "rfc3339 header", { "2026-12-04T09:00:00.123456+01:00 mx "
	    "postfix/submission/smtpd[1]: C1: client=h[192.0.2.8], "
	    "sasl_method=PLAIN, sasl_username=b@x", "2026-12-04T09:00:00Z mx "
	    "postfix/qmgr[2]: C1: from=<b@x>, size=1, nrcpt=1 (queue active)" },
	    MAILLOG_EVENTS, 1, M, 0, "192.0.2.8" },
	{ "exim received_recipients", { EX "1tA001-000001-AB <= b@x "
	    "H=h (helo) [192.0.2.9]:25 P=esmtpsa A=plain:B@X S=1 "
	    "T=\"for you\" for r@y s@y" }, MAILLOG_EVENTS, 2, M, 0,
	    "192.0.2.9" },
	{ "exim => lines", { EX "1tA001-000001-AB <= o@bank.example "
	    "H=[192.0.2.9] P=esmtpa A=login:b@x S=1",
	    EX "1tA001-000001-AB => r@y R=r T=t",
	    EX "1tA001-000001-AB -> s@y R=r T=t",
	    EX "1tA001-000001-AB Completed",
	    EX "1tA001-000001-AB => r@y R=r T=t" }, MAILLOG_IGNORED, 2, M | F,
	    0, "192.0.2.9" },
	/* the null sender (a bounce): once read before its start (fuzz) */
	{ "exim null sender", { EX "1tA001-000001-AB <= <> H=(h) "
	    "[192.0.2.9]:25 P=esmtpa A=plain:b@x for r@y s@y" },
	    MAILLOG_EVENTS, 2, M, 0, "192.0.2.9" },
	{ "exim syslog, pid", { "Dec 4 09:00:00 mx exim[7]: 1tA001-000001-AB "
	    "<= b@x H=(h) [IPv6:2001:db8::1]:25 P=esmtpa A=plain:b@x for r@y" },
	    MAILLOG_EVENTS, 1, M, 0, "2001:db8::" },
	{ "exim unauthenticated", { EX "1tA001-000001-AB <= b@x H=[192.0.2.9] "
	    "P=esmtps S=1 for r@y" }, MAILLOG_IGNORED, 0, 0, 0, NULL },
	{ "exim no login", { EX "1tA001-000001-AB <= b@x H=[192.0.2.9] "
	    "P=esmtpa A=plain S=1 for r@y" }, MAILLOG_MALFORMED, 0, 0, 0,
	    NULL },
	{ "exim no address", { EX "1tA001-000001-AB <= b@x H=(h) [bad] "
	    "P=esmtpa A=plain:b@x for r@y" }, MAILLOG_MALFORMED, 0, 0, 0,
	    NULL },
	{ "NUL byte", { "Dec  4 09:00:00 mx postfix/smtpd[1]: A\0" },
	    MAILLOG_MALFORMED, 0, 0, 0, NULL },
	{ "not a log line", { "hello" }, MAILLOG_IGNORED, 0, 0, 0, NULL },
	{ "another program", { PF "smtp[1]: A1: to=<r@y>, status=sent" },
	    MAILLOG_IGNORED, 0, 0, 0, NULL },
};

static void
test_rows(void **state)
{
	struct conf *c = conf_defaults();
	struct maillog *m;
	struct event_sink sink = { .put = got_put };
	struct got g;
	struct addr a;
	size_t i, j;
	int r = 0;

	(void)state;
	assert_non_null(c);
	c->allow_accounts.v = calloc(1, sizeof(char *));
	c->allow_accounts.v[0] = strdup("ok@x");
	c->allow_accounts.n = 1;
	c->sender_domains.v = calloc(1, sizeof(char *));
	c->sender_domains.v[0] = strdup("partner.example");
	c->sender_domains.n = 1;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assert_non_null(m = maillog_new(c, 64));
		memset(&g, 0, sizeof(g));
		sink.put = got_put;
		sink.arg = &g;
		for (j = 0; j < 6 && rows[i].lines[j] != NULL; j++)
			r = maillog_line(m, rows[i].lines[j],
			    strlen(rows[i].lines[j]) + (strcmp(rows[i].what,
			    "NUL byte") == 0), 1000, &sink);
		if (r != rows[i].last || g.n != rows[i].n)
			fail_msg("%s: result %d events %d", rows[i].what, r,
			    g.n);
		if (g.n > 0 && g.flags[0] != rows[i].flags0)
			fail_msg("%s: flags %#x", rows[i].what, g.flags[0]);
		if (g.n > 1 && g.flags[1] != rows[i].flags1)
			fail_msg("%s: flags[1] %#x", rows[i].what, g.flags[1]);
		if (rows[i].client != NULL) {
			a = taddr(rows[i].client);
			assert_memory_equal(&a, &g.value[0], sizeof(a));
		}
		maillog_free(m);
	}
	conf_free(c);
}

/* The table is bounded: the oldest message waiting goes. */
static void
test_bounded(void **state)
{
	struct conf *c = conf_defaults();
	struct maillog *m;
	struct event_sink sink = { .put = got_put };
	struct got g;
	char l[256];
	int i;

	(void)state;
	assert_non_null(m = maillog_new(c, 16));
	memset(&g, 0, sizeof(g));
	sink.arg = &g;
	for (i = 0; i < 100; i++) {
		snprintf(l, sizeof(l), SMTPD("Q%d", "192.0.2.1", "b@x"), i);
		maillog_line(m, l, strlen(l), 0, &sink);
	}
	assert_int_equal(maillog_evicted(m), 84);
	snprintf(l, sizeof(l), QMGR("Q0", "b@x", "1"));
	assert_int_equal(maillog_line(m, l, strlen(l), 0, &sink),
	    MAILLOG_IGNORED);
	for (i = 84; i < 100; i++) {
		snprintf(l, sizeof(l), QMGR("Q%d", "b@x", "1"), i);
		assert_int_equal(maillog_line(m, l, strlen(l), 0, &sink),
		    MAILLOG_EVENTS);
	}
	assert_int_equal(g.n, 16);
	maillog_free(m);
	conf_free(c);
}

struct trow {
	const char	*line;
	int64_t		 ref_s;
	int64_t		 want_s;	/* -1: no time */
};

static void
test_times(void **state)
{
	/* 2026-12-04 09:00:00 UTC = 1796374800 */
	static const struct trow t[] = {
		{ "Dec  4 09:00:00 h p: x", 1796374800, 1796374800 },
		{ "Dec 4 09:00:00 h p: x", 1796374800, 1796374800 },
		{ "Dec 04 09:00:00 h p: x", 1796374800, 1796374800 },
		{ "Dec  4 09:00:00.250000 h p: x", 1796374800, 1796374800 },
		/* a December line read in January is last year's */
		{ "Dec 31 23:00:00 h p: x", 1798761600 + 3600, 1798758000 },
		/* tomorrow's line is still this year's (clock skew) */
		{ "Dec  5 09:00:00 h p: x", 1796374800, 1796461200 },
		{ "2026-12-04 09:00:00 x", 0, 1796374800 },
		{ "2026-12-04 10:00:00 +0100 x", 0, 1796374800 },
		{ "2026-12-04T10:00:00.5+01:00 h p: x", 0, 1796374800 },
		{ "2026-12-04T09:00:00Z h p: x", 0, 1796374800 },
		{ "2026-12-04T09:00:00 h p: x", 0, -1 },	/* no zone */
		{ "Feb 30 09:00:00 h p: x", 1796374800, -1 },
		{ "Dex  4 09:00:00 h p: x", 1796374800, -1 },
		{ "Dec  4 25:00:00 h p: x", 1796374800, -1 },
		{ "", 0, -1 },
	};
	struct maillog_clock c;
	size_t i;
	int64_t got;

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		maillog_clock_init(&c, t[i].ref_s);
		got = maillog_time(&c, t[i].line, strlen(t[i].line));
		if (got != (t[i].want_s < 0 ? -1 : t[i].want_s * US_PER_S +
		    (strstr(t[i].line, ".25") ? 250000 : strstr(t[i].line,
		    ".5+") ? 500000 : 0)))
			fail_msg("%s: %lld", t[i].line, (long long)got);
		/* the cache gives the same */
		assert_int_equal(maillog_time(&c, t[i].line,
		    strlen(t[i].line)), got);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_times),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
