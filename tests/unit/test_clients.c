/*
 * test_clients.c: block_clients' pure parts (act_clients.c, key.c): which
 * client addresses of a blocked account may be blocked (never loopback,
 * unspecified, this host's own or allowlisted ones, an IPv6 client prefix
 * that holds an allowlisted address included), and the client:ADDRESS keys
 * that keep them apart from packet sources.
 */
#include <sys/socket.h>
#include <arpa/inet.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon.h"
#include "engine_test.h"

static struct conf *
load_text(const char *text)
{
	struct conf *c;
	FILE *in;

	assert_non_null(in = fmemopen((void *)(uintptr_t)text, strlen(text),
	    "r"));
	c = conf_load_stream(in, "t.conf", stderr);
	fclose(in);
	assert_non_null(c);
	return c;
}

/* An address as an account event's value: IPv6 aggregated to /64. */
static struct addr
client(const char *s)
{
	struct addr a = taddr(s);

	if (a.family == AF_INET6)
		addr_aggregate(&a, 64);
	return a;
}

static void
test_eligible(void **state)
{
	static const struct {
		const char	*addr;
		bool		 ok;
	} cases[] = {
		{ "198.51.100.7", true },
		{ "127.0.0.1", false },		/* loopback */
		{ "127.9.9.9", false },
		{ "::1", false },
		{ "0.0.0.0", false },		/* unspecified */
		{ "192.0.2.25", false },	/* [allow] addresses */
		{ "203.0.113.9", false },	/* [allow] networks */
		{ "203.0.114.9", true },
		{ "2001:db8:7::1", true },
		{ "2001:db8:1::99", false },	/* holds an allowlisted /128 */
		{ "192.0.2.1", false },		/* this host */
		{ "2001:db8:2::5", false },	/* this host's /64 */
	};
	struct conf *c = load_text("[capture]\nforward_group = off\n"
	    "[allow]\naddresses = 192.0.2.25, 2001:db8:1::25\n"
	    "networks = 203.0.113.0/24\n");
	struct netset *own = netset_new();
	struct addr a;
	size_t i;

	(void)state;
	assert_non_null(own);
	a = client("192.0.2.1");
	assert_int_equal(netset_add(own, &a, 32, 0), 0);
	a = client("2001:db8:2::1");
	assert_int_equal(netset_add(own, &a, 64, 0), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		a = client(cases[i].addr);
		if (act_clients_eligible(c, own, &a) != cases[i].ok)
			fail_msg("%s: want %s", cases[i].addr, cases[i].ok ?
			    "eligible" : "never blocked");
	}
	memset(&a, 0, sizeof(a));		/* no address (a log line) */
	assert_false(act_clients_eligible(c, own, &a));
	a = client("198.51.100.7");
	assert_true(act_clients_eligible(c, NULL, &a));
	netset_free(own);
	conf_free(c);
}

/* This host's addresses as read: loopback at least, never an error. */
static void
test_own(void **state)
{
	struct conf *c = load_text("[capture]\nforward_group = off\n");
	struct netset *own = act_clients_own(c);
	struct addr a = client("127.0.0.1");

	(void)state;
	assert_non_null(own);
	assert_true(netset_lookup(own, &a) >= 0);
	assert_false(act_clients_eligible(c, own, &a));
	netset_free(own);
	conf_free(c);
}

static void
test_client_key(void **state)
{
	struct key k, s;
	struct addr a = client("198.51.100.7");
	char buf[KEY_STRLEN], err[128];

	(void)state;
	key_client(&k, &a, 64);
	key_from_addr(&s, &a, 64);
	assert_int_equal(k.client, 1);
	assert_false(key_equal(&k, &s));	/* apart from the source */
	assert_string_equal(key_format(&k, buf, sizeof(buf)),
	    "client:198.51.100.7");
	assert_int_equal(key_parse(buf, 64, &s, err, sizeof(err)), 0);
	assert_true(key_equal(&k, &s));
	a = client("2001:db8:5::9");
	key_client(&k, &a, 64);
	assert_string_equal(key_format(&k, buf, sizeof(buf)),
	    "client:2001:db8:5::/64");
	assert_int_equal(key_parse(buf, 64, &s, err, sizeof(err)), 0);
	assert_true(key_equal(&k, &s));
	assert_int_equal(key_parse("client:uid:5", 64, &s, err, sizeof(err)),
	    -1);
	assert_int_equal(key_parse("client:account:bob", 64, &s, err,
	    sizeof(err)), -1);
	assert_int_equal(key_parse("client:nonsense", 64, &s, err,
	    sizeof(err)), -1);
	assert_int_equal(key_parse("client:", 64, &s, err, sizeof(err)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eligible),
		cmocka_unit_test(test_own),
		cmocka_unit_test(test_client_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
