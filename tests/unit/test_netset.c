/*
 * test_netset.c: longest-prefix match over both families, duplicates, and
 * a set of many thousand entries checked against a linear scan.
 */
#include <sys/socket.h>
#include <arpa/inet.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nflogmon.h"

static struct addr
A(const char *s)
{
	struct addr a;
	int plen;

	if (parse_prefix(s, &a, &plen) == -1)
		fail_msg("bad address %s", s);
	return a;
}

static void
add(struct netset *ns, const char *s, int value)
{
	struct addr a;
	int plen;

	if (parse_prefix(s, &a, &plen) == -1)
		fail_msg("bad prefix %s", s);
	if (netset_add(ns, &a, plen, value) == -1)
		fail_msg("netset_add %s: %s", s, strerror(errno));
}

static const struct {
	const char	*prefix;
	int		 value;
} entries[] = {
	{ "0.0.0.0/0", 0 },
	{ "192.0.2.0/24", 1 },
	{ "192.0.2.128/25", 2 },
	{ "192.0.2.200", 3 },
	{ "198.18.0.0/15", 4 },
	{ "198.51.100.0/24", 5 },
	{ "2001:db8::/32", 10 },
	{ "2001:db8:1::/48", 11 },
	{ "2001:db8:1:2::/64", 12 },
	{ "2001:db8:1:2::25", 13 },
	{ "2001:db8:ff00::/40", 14 },
};

static const struct {
	const char	*addr;
	int		 value;
} lookups[] = {
	{ "192.0.2.1", 1 },
	{ "192.0.2.127", 1 },
	{ "192.0.2.128", 2 },
	{ "192.0.2.199", 2 },
	{ "192.0.2.200", 3 },
	{ "192.0.2.201", 2 },
	{ "192.0.2.255", 2 },
	{ "192.0.3.0", 0 },
	{ "198.18.0.1", 4 },
	{ "198.19.255.255", 4 },
	{ "198.20.0.0", 0 },
	{ "198.51.100.77", 5 },
	{ "203.0.113.1", 0 },
	{ "2001:db8::1", 10 },
	{ "2001:db8:1::1", 11 },
	{ "2001:db8:1:2::1", 12 },
	{ "2001:db8:1:2::25", 13 },
	{ "2001:db8:1:3::25", 11 },
	{ "2001:db8:ff12::1", 14 },
	{ "2001:db8:fe00::1", 10 },
	{ "2001:db9::1", -1 },		/* no v6 default route */
	{ "::", -1 },
};

static void
test_longest_match(void **state)
{
	struct netset *ns;
	struct addr a;
	size_t i;

	(void)state;
	assert_non_null(ns = netset_new());
	for (i = 0; i < sizeof(entries) / sizeof(entries[0]); i++)
		add(ns, entries[i].prefix, entries[i].value);
	assert_int_equal(netset_count(ns), sizeof(entries) / sizeof(entries[0]));
	for (i = 0; i < sizeof(lookups) / sizeof(lookups[0]); i++) {
		a = A(lookups[i].addr);
		if (netset_lookup(ns, &a) != lookups[i].value)
			fail_msg("lookup %s = %d, want %d", lookups[i].addr,
			    netset_lookup(ns, &a), lookups[i].value);
	}
	a = A("192.0.2.0");
	assert_int_equal(netset_get(ns, &a, 24), 1);
	assert_int_equal(netset_get(ns, &a, 23), -1);
	a.family = 0;
	assert_int_equal(netset_lookup(ns, &a), -1);
	netset_free(ns);
}

static void
test_empty(void **state)
{
	struct netset *ns;
	struct addr a = A("192.0.2.1"), b = A("2001:db8::1");

	(void)state;
	assert_non_null(ns = netset_new());
	assert_int_equal(netset_count(ns), 0);
	assert_int_equal(netset_lookup(ns, &a), -1);
	assert_int_equal(netset_lookup(ns, &b), -1);
	netset_free(ns);
	netset_free(NULL);
}

static void
test_errors(void **state)
{
	struct netset *ns;
	struct addr a = A("192.0.2.77");

	(void)state;
	assert_non_null(ns = netset_new());
	assert_int_equal(netset_add(ns, &a, 24, 1), 0);
	/* same prefix, host bits differ: still the same prefix */
	errno = 0;
	assert_int_equal(netset_add(ns, &a, 24, 2), -1);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(netset_get(ns, &a, 24), 1);
	assert_int_equal(netset_add(ns, &a, 33, 1), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(netset_add(ns, &a, -1, 1), -1);
	assert_int_equal(netset_add(ns, &a, 25, -1), -1);
	a.family = 7;
	assert_int_equal(netset_add(ns, &a, 8, 1), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(netset_count(ns), 1);
	netset_free(ns);
}

/* A deterministic generator, so failures reproduce. */
static uint64_t rng = 0x2545f4914f6cdd1dULL;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

struct ref {
	struct addr	 a;
	int		 plen;
	int		 value;
};

static bool
contains(const struct ref *r, const struct addr *a)
{
	int full = r->plen / 8, rest = r->plen % 8;

	if (r->a.family != a->family || memcmp(r->a.b, a->b, (size_t)full))
		return false;
	return rest == 0 ||
	    ((r->a.b[full] ^ a->b[full]) & (0xff00 >> rest)) == 0;
}

/* Many entries in 198.18.0.0/15 and 2001:db8::/32, checked against a scan. */
static void
test_many(void **state)
{
	enum { N = 5000, Q = 20000 };
	struct ref *refs;
	struct netset *ns;
	struct addr a;
	int i, j, n = 0, best, bestlen, got;

	(void)state;
	assert_non_null(refs = calloc(N, sizeof(*refs)));
	assert_non_null(ns = netset_new());
	for (i = 0; i < N; i++) {
		struct ref *r = &refs[n];
		uint32_t x = rnd();

		memset(&r->a, 0, sizeof(r->a));
		if (i % 2 == 0) {
			uint32_t v4 = 0xc6120000u | (x & 0x1ffff);

			r->a.family = AF_INET;
			r->plen = 15 + (int)(rnd() % 18);	/* 15..32 */
			v4 &= r->plen ? ~0u << (32 - r->plen) : 0;
			v4 = htonl(v4);
			memcpy(r->a.b, &v4, 4);
		} else {
			r->a.family = AF_INET6;
			r->a.b[0] = 0x20; r->a.b[1] = 0x01;
			r->a.b[2] = 0x0d; r->a.b[3] = 0xb8;
			memcpy(r->a.b + 4, &x, 4);
			r->plen = 32 + (int)(rnd() % 97);	/* 32..128 */
			for (j = 0; j < 16; j++) {
				int bits = r->plen - j * 8;

				if (bits < 8)
					r->a.b[j] &= bits <= 0 ? 0 :
					    (uint8_t)(0xff00 >> bits);
			}
		}
		r->value = i;
		if (netset_add(ns, &r->a, r->plen, r->value) == 0)
			n++;
		else
			assert_int_equal(errno, EEXIST);
	}
	assert_true(n > N / 2);
	assert_int_equal(netset_count(ns), (size_t)n);
	for (i = 0; i < Q; i++) {
		/* half the queries near a stored prefix, half anywhere */
		a = refs[rnd() % (uint32_t)n].a;
		if (i % 2) {
			uint32_t x = rnd();

			if (a.family == AF_INET)
				a.b[3] ^= (uint8_t)x, a.b[2] ^= (uint8_t)(x >> 8);
			else
				memcpy(a.b + 8, &x, 4);
		}
		best = -1;
		bestlen = -1;
		for (j = 0; j < n; j++)
			if (refs[j].plen > bestlen && contains(&refs[j], &a)) {
				best = refs[j].value;
				bestlen = refs[j].plen;
			}
		got = netset_lookup(ns, &a);
		if (got != best)
			fail_msg("query %d: got %d, want %d", i, got, best);
	}
	netset_free(ns);
	free(refs);
}

struct collect {
	int	 n;
	int	 values[8];
};

static void
collect(const struct addr *a, int plen, int value, void *arg)
{
	struct collect *c = arg;

	(void)a;
	(void)plen;
	c->values[c->n++] = value;
}

static void
test_foreach_order(void **state)
{
	struct collect c = { 0, { 0 } };
	struct netset *ns;

	(void)state;
	assert_non_null(ns = netset_new());
	add(ns, "2001:db8::/32", 7);
	add(ns, "192.0.2.0/24", 3);
	add(ns, "203.0.113.5", 5);
	netset_foreach(ns, collect, &c);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.values[0], 7);
	assert_int_equal(c.values[1], 3);
	assert_int_equal(c.values[2], 5);
	netset_free(ns);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_longest_match),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_foreach_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
