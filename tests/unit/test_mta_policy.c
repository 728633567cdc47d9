/*
 * test_mta_policy.c: the policy protocol parser as tables: each input is
 * fed whole and then split at every byte (the bytes of a socket arrive in
 * any pieces) and must give the same requests and the same end.
 */
#include <sys/socket.h>
#include <arpa/inet.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nflogmon.h"

#define REQ_RCPT							\
	"request=smtpd_access_policy\n"					\
	"protocol_state=RCPT\n"						\
	"protocol_name=ESMTP\n"						\
	"client_address=192.0.2.7\n"					\
	"client_name=unknown\n"						\
	"helo_name=mx.example\n"					\
	"sender=Alice@Example.ORG\n"					\
	"recipient=bob@example.net\n"					\
	"recipient_count=0\n"						\
	"queue_id=\n"							\
	"instance=1a2b.3c4d5e6f.7.0\n"					\
	"size=0\n"							\
	"sasl_method=PLAIN\n"						\
	"sasl_username=alice@example.org\n"				\
	"sasl_sender=\n"						\
	"ccert_subject=\n"						\
	"stress=\n"							\
	"\n"

struct want {
	const char	*state;
	const char	*login;
	const char	*client;	/* NULL: none */
	const char	*sender;
	const char	*recipient;
	const char	*instance;
	const char	*queue_id;
	uint32_t	 nattrs;
};

struct pcase {
	const char	*name;
	const char	*in;
	size_t		 len;		/* 0: strlen(in) */
	int		 nreq;		/* requests before the end */
	struct want	 w[3];
	/* the end: MTA_POLICY_MORE (waits for more) or MALFORMED + reason */
	enum mta_policy_result end;
	const char	*why;
};

static const struct pcase cases[] = {
	{ "postfix rcpt", REQ_RCPT, 0, 1,
	    { { "RCPT", "alice@example.org", "192.0.2.7", "Alice@Example.ORG",
	    "bob@example.net", "1a2b.3c4d5e6f.7.0", "", 17 } },
	    MTA_POLICY_MORE, NULL },
	{ "three on one connection",
	    "protocol_state=RCPT\nsasl_username=a\nclient_address=2001:db8::1\n"
	    "instance=i1\nsender=\n\n"
	    "protocol_state=RCPT\nsasl_username=b\nclient_address=198.51.100.9"
	    "\nqueue_id=4ABC\n\n"
	    "protocol_state=END-OF-MESSAGE\nrecipient=x@y\n\n", 0, 3,
	    { { "RCPT", "a", "2001:db8::1", "", "", "i1", "", 5 },
	      { "RCPT", "b", "198.51.100.9", "", "", "", "4ABC", 4 },
	      { "END-OF-MESSAGE", "", NULL, "", "x@y", "", "", 2 } },
	    MTA_POLICY_MORE, NULL },
	{ "a request cut short waits", "protocol_state=RCPT\nsasl_user", 0, 0,
	    { { 0 } }, MTA_POLICY_MORE, NULL },
	{ "no empty line yet", "protocol_state=RCPT\n", 0, 0,
	    { { 0 } }, MTA_POLICY_MORE, NULL },
	{ "unknown attributes are skipped",
	    "future_attribute=what=ever\nx=\nprotocol_state=DATA\n\n", 0, 1,
	    { { "DATA", "", NULL, "", "", "", "", 3 } },
	    MTA_POLICY_MORE, NULL },
	{ "values keep their spaces and '='",
	    "sender=a b=c@d\n\n", 0, 1,
	    { { "", "", NULL, "a b=c@d", "", "", "", 1 } },
	    MTA_POLICY_MORE, NULL },
	{ "IPv4-mapped IPv6 is IPv4", "client_address=::ffff:192.0.2.1\n\n",
	    0, 1, { { "", "", "192.0.2.1", "", "", "", "", 1 } },
	    MTA_POLICY_MORE, NULL },
	{ "empty client_address: none", "client_address=\n\n", 0, 1,
	    { { "", "", NULL, "", "", "", "", 1 } }, MTA_POLICY_MORE, NULL },
	{ "then garbage after a good one",
	    "protocol_state=RCPT\n\nno equals sign\n\n", 0, 1,
	    { { "RCPT", "", NULL, "", "", "", "", 1 } },
	    MTA_POLICY_MALFORMED, "without '='" },
	{ "an empty request", "\n", 0, 0, { { 0 } },
	    MTA_POLICY_MALFORMED, "empty request" },
	{ "an empty name", "=x\n\n", 0, 0, { { 0 } },
	    MTA_POLICY_MALFORMED, "without a name" },
	{ "a NUL byte", "sender=a\0b\n\n", 12, 0, { { 0 } },
	    MTA_POLICY_MALFORMED, "NUL" },
	{ "a NUL in a skipped line", "foo=\0\n\n", 7, 0, { { 0 } },
	    MTA_POLICY_MALFORMED, "NUL" },
	{ "a bad client_address", "client_address=192.0.2.300\n\n", 0, 0,
	    { { 0 } }, MTA_POLICY_MALFORMED, "no IP address" },
	{ "a client name as address", "client_address=mx.example\n\n", 0, 0,
	    { { 0 } }, MTA_POLICY_MALFORMED, "no IP address" },
	{ "a zone in the address", "client_address=fe80::1%eth0\n\n", 0, 0,
	    { { 0 } }, MTA_POLICY_MALFORMED, "no IP address" },
	{ "an attribute twice",
	    "sasl_username=a\nsasl_username=b\n\n", 0, 0, { { 0 } },
	    MTA_POLICY_MALFORMED, "twice" },
	{ "CR is no line end", "protocol_state=RCPT\r\n\r\n", 0, 0, { { 0 } },
	    MTA_POLICY_MALFORMED, "without '='" },
};

/* Feeds in[0..len) in pieces of step bytes (0: whole) and checks c. */
static void
run_case(const struct pcase *c, size_t len, size_t step)
{
	struct mta_policy *p;
	enum mta_policy_result r = MTA_POLICY_MORE;
	const struct want *w;
	const char *why = NULL;
	char buf[INET6_ADDRSTRLEN];
	size_t off = 0, n, used;
	int got = 0;

	p = malloc(sizeof(*p));
	assert_non_null(p);
	mta_policy_init(p);
	while (off < len) {
		n = step == 0 || len - off < step ? len - off : step;
		r = mta_policy_feed(p, (const uint8_t *)c->in + off, n, &used,
		    &why);
		assert_true(used <= n);
		off += used;
		if (r == MTA_POLICY_MALFORMED)
			break;
		if (r != MTA_POLICY_REQUEST) {
			assert_int_equal(used, n);
			continue;
		}
		if (got >= c->nreq)
			fail_msg("%s (step %zu): request %d too many", c->name,
			    step, got + 1);
		w = &c->w[got++];
		assert_string_equal(p->req.protocol_state, w->state);
		assert_string_equal(p->req.sasl_username, w->login);
		assert_string_equal(p->req.sender, w->sender);
		assert_string_equal(p->req.recipient, w->recipient);
		assert_string_equal(p->req.instance, w->instance);
		assert_string_equal(p->req.queue_id, w->queue_id);
		assert_int_equal(p->req.nattrs, w->nattrs);
		assert_int_equal(p->req.has_client, w->client != NULL);
		if (w->client != NULL) {
			assert_non_null(inet_ntop(p->req.client.family,
			    p->req.client.b, buf, sizeof(buf)));
			assert_string_equal(buf, w->client);
		}
	}
	if (got != c->nreq)
		fail_msg("%s (step %zu): %d requests, want %d", c->name, step,
		    got, c->nreq);
	if (r == MTA_POLICY_REQUEST)
		r = MTA_POLICY_MORE;
	assert_int_equal(r, c->end);
	if (c->end == MTA_POLICY_MALFORMED) {
		assert_non_null(why);
		if (strstr(why, c->why) == NULL)
			fail_msg("%s: reason \"%s\" lacks \"%s\"", c->name, why,
			    c->why);
	}
	free(p);
}

static void
test_table(void **state)
{
	size_t i, len, step;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		len = cases[i].len != 0 ? cases[i].len : strlen(cases[i].in);
		for (step = 0; step <= len; step++)
			run_case(&cases[i], len, step);
	}
}

/* A request of n copies of line (each ending in "\n"), and "\n". */
static enum mta_policy_result
feed_lines(const char *line, size_t n, const char **why)
{
	struct mta_policy *p = malloc(sizeof(*p));
	enum mta_policy_result r = MTA_POLICY_MORE;
	size_t i, used;

	assert_non_null(p);
	mta_policy_init(p);
	for (i = 0; i < n && r == MTA_POLICY_MORE; i++)
		r = mta_policy_feed(p, (const uint8_t *)line, strlen(line),
		    &used, why);
	if (r == MTA_POLICY_MORE)
		r = mta_policy_feed(p, (const uint8_t *)"\n", 1, &used, why);
	free(p);
	return r;
}

/* The bounds, each exactly at its limit and one past it. */
static void
test_bounds(void **state)
{
	char *line = malloc(MTA_POLICY_LINE_MAX + 3);
	const char *why;

	(void)state;
	assert_non_null(line);
	/* a line of MTA_POLICY_LINE_MAX bytes, then one more */
	memset(line, 'a', MTA_POLICY_LINE_MAX + 1);
	line[1] = '=';
	line[MTA_POLICY_LINE_MAX] = '\n';
	line[MTA_POLICY_LINE_MAX + 1] = '\0';
	assert_int_equal(feed_lines(line, 1, &why), MTA_POLICY_REQUEST);
	line[MTA_POLICY_LINE_MAX] = 'a';
	line[MTA_POLICY_LINE_MAX + 1] = '\n';
	line[MTA_POLICY_LINE_MAX + 2] = '\0';
	assert_int_equal(feed_lines(line, 1, &why), MTA_POLICY_MALFORMED);
	assert_non_null(strstr(why, "line too long"));
	/* a line that never ends */
	line[MTA_POLICY_LINE_MAX + 1] = 'a';
	assert_int_equal(feed_lines(line, 1, &why), MTA_POLICY_MALFORMED);
	/* attributes */
	assert_int_equal(feed_lines("x=1\n", MTA_POLICY_ATTRS_MAX, &why),
	    MTA_POLICY_REQUEST);
	assert_int_equal(feed_lines("x=1\n", MTA_POLICY_ATTRS_MAX + 1, &why),
	    MTA_POLICY_MALFORMED);
	assert_non_null(strstr(why, "too many attributes"));
	/* a request of many long lines: its total is bounded first */
	memset(line, 'a', 1023);
	line[1] = '=';
	line[1023] = '\n';
	line[1024] = '\0';
	assert_int_equal(feed_lines(line, MTA_POLICY_REQ_MAX / 1024 - 1,
	    &why), MTA_POLICY_REQUEST);
	assert_int_equal(feed_lines(line, MTA_POLICY_REQ_MAX / 1024, &why),
	    MTA_POLICY_MALFORMED);
	assert_non_null(strstr(why, "request too long"));
	free(line);
}

/* A kept value one byte longer than its field is malformed, never cut. */
static void
test_field_lengths(void **state)
{
	static const struct {
		const char	*name;
		size_t		 max;	/* longest value kept */
	} f[] = {
		{ "sasl_username", MTA_POLICY_LOGIN_MAX - 1 },
		{ "sender", MTA_POLICY_ADDR_MAX - 1 },
		{ "recipient", MTA_POLICY_ADDR_MAX - 1 },
		{ "instance", MTA_POLICY_SHORT_MAX - 1 },
		{ "protocol_state", MTA_POLICY_SHORT_MAX - 1 },
	};
	char line[MTA_POLICY_ADDR_MAX + 64];
	const char *why;
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		k = (size_t)snprintf(line, sizeof(line), "%s=", f[i].name);
		memset(line + k, 'x', f[i].max + 1);
		line[k + f[i].max] = '\n';
		line[k + f[i].max + 1] = '\0';
		assert_int_equal(feed_lines(line, 1, &why),
		    MTA_POLICY_REQUEST);
		line[k + f[i].max] = 'x';
		line[k + f[i].max + 1] = '\n';
		line[k + f[i].max + 2] = '\0';
		assert_int_equal(feed_lines(line, 1, &why),
		    MTA_POLICY_MALFORMED);
		assert_non_null(strstr(why, "too long"));
	}
}

static void
test_domain(void **state)
{
	(void)state;
	assert_string_equal(mta_policy_domain("a@example.org"), "example.org");
	assert_string_equal(mta_policy_domain("\"a@b\"@example.org"),
	    "example.org");
	assert_string_equal(mta_policy_domain("postmaster"), "");
	assert_string_equal(mta_policy_domain(""), "");
	assert_string_equal(mta_policy_domain("a@"), "");
}

/* [mta] policy_listen: loopback only, brackets for IPv6. */
static void
test_listen(void **state)
{
	static const struct {
		const char	*in;
		int		 family;	/* 0: refused */
		uint16_t	 port;
		const char	*why;
	} t[] = {
		{ "unix:/var/spool/postfix/private/nflogmon", AF_UNIX, 0, NULL },
		{ "inet:127.0.0.1:10040", AF_INET, 10040, NULL },
		{ "inet:127.1.2.3:1", AF_INET, 1, NULL },
		{ "inet:[::1]:65535", AF_INET6, 65535, NULL },
		{ "inet:192.0.2.1:10040", 0, 0, "not a loopback" },
		{ "inet:0.0.0.0:10040", 0, 0, "not a loopback" },
		{ "inet:[::]:10040", 0, 0, "not a loopback" },
		{ "inet:[2001:db8::1]:10040", 0, 0, "not a loopback" },
		{ "inet:[::ffff:127.0.0.1]:10040", 0, 0, "not a loopback" },
		{ "inet:::1:10040", 0, 0, "brackets" },
		{ "inet:localhost:10040", 0, 0, "bad address" },
		{ "inet:127.0.0.1:0", 0, 0, "bad port" },
		{ "inet:127.0.0.1:65536", 0, 0, "bad port" },
		{ "inet:127.0.0.1:+1", 0, 0, "bad port" },
		{ "inet:127.0.0.1:", 0, 0, "bad port" },
		{ "inet:127.0.0.1", 0, 0, "unix:PATH or" },
		{ "inet::10040", 0, 0, "unix:PATH or" },
		{ "unix:private/nflogmon", 0, 0, "absolute" },
		{ "unix:/" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0, 0,
		    "longer" },
		{ "tcp:127.0.0.1:10040", 0, 0, "unix:PATH or" },
		{ "", 0, 0, "unix:PATH or" },
	};
	struct mta_listen l;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		err[0] = '\0';
		if (mta_listen_parse(t[i].in, &l, err, sizeof(err)) == 0) {
			if (t[i].family == 0)
				fail_msg("\"%s\" accepted", t[i].in);
			assert_int_equal(l.family, t[i].family);
			assert_int_equal(l.port, t[i].port);
			continue;
		}
		if (t[i].family != 0)
			fail_msg("\"%s\" refused: %s", t[i].in, err);
		if (strstr(err, t[i].why) == NULL)
			fail_msg("\"%s\": reason \"%s\" lacks \"%s\"",
			    t[i].in, err, t[i].why);
	}
}

/* [mta] policy_reply: one line of an access(5) action. */
static void
test_reply(void **state)
{
	static const struct {
		const char	*in;
		int		 ret;
	} t[] = {
		{ "DEFER 4.7.1 Sending from this account is suspended: unusual "
		    "activity", 0 },
		{ "REJECT", 0 },
		{ "reject 5.7.1 no", 0 },
		{ "450 4.7.1 later", 0 },
		{ "554", 0 },
		{ "DEFER_IF_PERMIT suspended", 0 },
		{ "HOLD", 0 },
		{ "FILTER smtp:[192.0.2.25]", 0 },
		{ "FILTER", -1 },
		{ "FILTER  ", -1 },
		{ "REDIRECT", -1 },
		{ "", -1 },
		{ " REJECT", -1 },
		{ "REJECTX", -1 },
		{ "250 ok", -1 },
		{ "45x no", -1 },
		{ "4500 no", -1 },
		{ "DEFER tab\tinside", -1 },
		{ "DEFER line\nbreak", -1 },
		{ "DEFER \xc3\xa9", -1 },
		{ "action=DEFER", -1 },
	};
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (mta_reply_check(t[i].in, err, sizeof(err)) != t[i].ret)
			fail_msg("\"%s\": want %d", t[i].in, t[i].ret);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_field_lengths),
		cmocka_unit_test(test_domain),
		cmocka_unit_test(test_listen),
		cmocka_unit_test(test_reply),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
