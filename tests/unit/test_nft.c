/*
 * test_nft.c: the nftables backend.  The rate conversion and element
 * syntax are pure tables; the verbs run against the real kernel inside a
 * private network namespace (unshare(CLONE_NEWNET)), so the host's
 * ruleset is never seen nor touched.  Kernel cases skip (77) when not root
 * or without namespaces; CI has both.  Kernel state is read back with the
 * `nft` tool, a second opinion rather than the backend itself.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "nflogmon.h"
#include "kernel_test.h"
#include "../../nft/nft.h"

static struct conf conf;
static char err[1024];

/* ------------------------------------------------------------ pure */

static void
test_rate_units(void **state)
{
	static const struct {
		uint32_t	 n;
		int64_t		 w_us;
		int		 rv;
		uint64_t	 per;
		const char	*unit;
	} t[] = {
		{ 5, 60 * US_PER_S, 0, 5, "minute" },
		{ 7, 90 * US_PER_S, 0, 280, "hour" },
		{ 1, 1 * US_PER_S, 0, 1, "second" },
		{ 3, 3 * US_PER_S, 0, 1, "second" },
		{ 3, 1500000, 0, 2, "second" },
		{ 20, 7 * US_PER_S, 0, 1728000, "week" },
		/* inexact: rounded up per week */
		{ 5, 11 * US_PER_S, 0, 274910, "week" },
		{ 2, 7 * 86400 * US_PER_S, 0, 2, "week" },
		{ 1, 30 * 86400 * US_PER_S, -1, 0, NULL },
		{ 0, 60 * US_PER_S, -1, 0, NULL },
		{ 5, 0, -1, 0, NULL },
	};
	const char	*unit;
	uint64_t	 per;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct rate r = { .n = t[i].n, .w_us = t[i].w_us };

		per = 0;
		unit = NULL;
		assert_int_equal(nft_rate_units(&r, &per, &unit), t[i].rv);
		if (t[i].rv != 0)
			continue;
		assert_int_equal(per, t[i].per);
		assert_string_equal(unit, t[i].unit);
	}
	{
		struct rate off = { .n = 5, .w_us = US_PER_S, .off = true };

		assert_int_equal(nft_rate_units(&off, &per, &unit), -1);
	}
}

static void
test_format(void **state)
{
	struct key	 k;
	char		 buf[64];
	struct rate	 r = { .n = 5, .w_us = 60 * US_PER_S };
	struct rate	 r2 = { .n = 3, .w_us = 1500000 };

	(void)state;
	key_v4(&k, "192.0.2.7");
	assert_string_equal(nft_elem_format(&k, buf, sizeof(buf)), "192.0.2.7");
	key_v6(&k, "2001:db8:1:2::", 64);
	assert_string_equal(nft_elem_format(&k, buf, sizeof(buf)),
	    "2001:db8:1:2::/64");
	key_v6(&k, "2001:db8::25", 128);
	assert_string_equal(nft_elem_format(&k, buf, sizeof(buf)),
	    "2001:db8::25");
	key_uid(&k, 4242);
	assert_string_equal(nft_elem_format(&k, buf, sizeof(buf)), "4242");
	memset(&k, 0, sizeof(k));
	assert_null(nft_elem_format(&k, buf, sizeof(buf)));
	assert_string_equal(nft_rate_tag(&r, buf, sizeof(buf)), "5_60s");
	assert_string_equal(nft_rate_tag(&r2, buf, sizeof(buf)), "3_1500ms");
}

/* ---------------------------------------------------------- kernel */

static int
setup(void **state)
{
	(void)state;
	memset(&conf, 0, sizeof(conf));
	snprintf(conf.nft_family, sizeof(conf.nft_family), "inet");
	snprintf(conf.nft_table, sizeof(conf.nft_table), "nflogmon");
	conf.create_sets = true;
	conf.ipv6_prefix = 64;
	conf.ports[0] = 25;
	conf.ports[1] = 587;
	conf.nports = 2;
	conf.throttle_rate.n = 5;
	conf.throttle_rate.w_us = 60 * US_PER_S;
	sh("nft delete table inet nflogmon 2>/dev/null");
	return 0;
}

static const struct backend_entry *
find(const struct backend_entry *v, size_t n, const struct key *k)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (key_equal(&v[i].key, k))
			return &v[i];
	return NULL;
}

static void
test_create_block_list(void **state)
{
	struct backend		 b = { .ops = &backend_nft_ops };
	struct backend_entry	*v;
	const struct backend_entry *e;
	struct key		 k4, k6, k6b, ku;
	size_t			 n;
	bool			 created;

	(void)state;
	assert_verb(b.ops->init(&b, &conf, &created, err, sizeof(err)), 0);
	assert_true(created);
	/* the tool sees every set with its type */
	assert_non_null(strstr(sh("nft list set inet nflogmon blocked4"),
	    "type ipv4_addr"));
	assert_non_null(strstr(sh("nft list set inet nflogmon blocked6"),
	    "flags interval,timeout"));
	assert_non_null(strstr(sh("nft list set inet nflogmon blocked_uids"),
	    "type uid"));
	assert_non_null(strstr(sh("nft list set inet nflogmon throttled6"),
	    "type ipv6_addr"));
	assert_non_null(strstr(sh("nft list set inet nflogmon "
	    "throttle_5_60s_uids"), "type uid"));
	assert_non_null(strstr(sh("nft list chain inet nflogmon throttle"),
	    "limit rate 5/minute burst 1 packets"));
	assert_non_null(strstr(sh("nft list chain inet nflogmon "
	    "throttle_output"), "tcp dport { 25, 587 } jump throttle"));
	b.ops->fini(&b);

	/* a second start finds everything: nothing created */
	assert_verb(b.ops->init(&b, &conf, &created, err, sizeof(err)), 0);
	assert_false(created);
	/* chain throttle was rebuilt, not appended to */
	assert_string_equal(sh("nft list chain inet nflogmon throttle | "
	    "grep -c 'limit rate'"), "3\n");

	key_v4(&k4, "192.0.2.7");
	assert_verb(b.ops->block(&b, &k4, 100 * US_PER_S, RESP_BLOCK, NULL,
	    err, sizeof(err)), 0);
	assert_non_null(strstr(sh("nft list set inet nflogmon blocked4"),
	    "192.0.2.7 timeout 1m40s"));
	/* refresh: a longer timeout replaces the old one */
	assert_verb(b.ops->block(&b, &k4, 500 * US_PER_S, RESP_BLOCK, NULL,
	    err, sizeof(err)), 0);
	assert_non_null(strstr(sh("nft list set inet nflogmon blocked4"),
	    "192.0.2.7 timeout 8m20s"));
	assert_verb(b.ops->test(&b, &k4, err, sizeof(err)), 1);

	key_v6(&k6, "2001:db8:1:2::", 64);
	key_v6(&k6b, "2001:db8:1:3::", 64);
	assert_verb(b.ops->block(&b, &k6, DURATION_PERMANENT, RESP_BLOCK, NULL,
	    err, sizeof(err)), 0);
	assert_verb(b.ops->block(&b, &k6b, 3600 * US_PER_S, RESP_BLOCK, NULL,
	    err, sizeof(err)), 0);
	/* again: "already there" succeeds */
	assert_verb(b.ops->block(&b, &k6, DURATION_PERMANENT, RESP_BLOCK, NULL,
	    err, sizeof(err)), 0);
	assert_verb(b.ops->test(&b, &k6, err, sizeof(err)), 1);
	assert_verb(b.ops->test(&b, &k6b, err, sizeof(err)), 1);

	key_uid(&ku, 4242);
	assert_verb(b.ops->block(&b, &ku, 60 * US_PER_S, RESP_BLOCK, NULL,
	    err, sizeof(err)), 0);
	assert_non_null(strstr(sh("nft list set inet nflogmon blocked_uids"),
	    "4242 timeout 1m"));
	assert_true(b.ops->enforces(&b, &ku));

	assert_verb(b.ops->list(&b, &v, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 4);
	assert_non_null(e = find(v, n, &k4));
	assert_true(e->expires_in_us > 400 * US_PER_S &&
	    e->expires_in_us <= 500 * US_PER_S);
	assert_false(e->throttle);
	assert_non_null(e = find(v, n, &k6));
	assert_int_equal(e->expires_in_us, DURATION_PERMANENT);
	assert_non_null(e = find(v, n, &k6b));
	assert_true(e->expires_in_us > 3500 * US_PER_S);
	assert_non_null(e = find(v, n, &ku));
	free(v);

	/* unblock twice: "already gone" succeeds */
	assert_verb(b.ops->unblock(&b, &k4, err, sizeof(err)), 0);
	assert_verb(b.ops->unblock(&b, &k4, err, sizeof(err)), 0);
	assert_verb(b.ops->test(&b, &k4, err, sizeof(err)), 0);
	assert_null(strstr(sh("nft list set inet nflogmon blocked4"),
	    "192.0.2.7"));
	assert_verb(b.ops->unblock(&b, &k6, err, sizeof(err)), 0);
	assert_verb(b.ops->test(&b, &k6, err, sizeof(err)), 0);
	assert_verb(b.ops->test(&b, &k6b, err, sizeof(err)), 1);
	b.ops->fini(&b);
}

static void
test_throttle(void **state)
{
	struct backend		 b = { .ops = &backend_nft_ops };
	struct backend_entry	*v;
	const struct backend_entry *e;
	struct rate		 r7 = { .n = 7, .w_us = 90 * US_PER_S };
	struct key		 k4;
	size_t			 n;
	bool			 created;

	(void)state;
	assert_verb(b.ops->init(&b, &conf, &created, err, sizeof(err)), 0);
	key_v4(&k4, "198.51.100.9");
	assert_verb(b.ops->block(&b, &k4, 60 * US_PER_S, RESP_THROTTLE,
	    &conf.throttle_rate, err, sizeof(err)), 0);
	assert_non_null(strstr(sh("nft list set inet nflogmon throttled4"),
	    "198.51.100.9"));
	assert_non_null(strstr(sh("nft list set inet nflogmon "
	    "throttle_5_60s4"), "198.51.100.9"));
	assert_null(strstr(sh("nft list set inet nflogmon blocked4"),
	    "198.51.100.9"));
	assert_verb(b.ops->test(&b, &k4, err, sizeof(err)), 1);
	assert_verb(b.ops->list(&b, &v, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 1);
	assert_non_null(e = find(v, n, &k4));
	assert_true(e->throttle);
	free(v);

	/* a rate the config did not name gets its sets and rules */
	assert_verb(b.ops->block(&b, &k4, 60 * US_PER_S, RESP_THROTTLE,
	    &r7, err, sizeof(err)), 0);
	assert_non_null(strstr(sh("nft list chain inet nflogmon throttle"),
	    "limit rate 280/hour burst 1 packets"));
	assert_non_null(strstr(sh("nft list set inet nflogmon "
	    "throttle_7_90s4"), "198.51.100.9"));
	assert_null(strstr(sh("nft list set inet nflogmon throttle_5_60s4"),
	    "198.51.100.9"));

	/* blocking a throttled source moves it */
	assert_verb(b.ops->block(&b, &k4, 60 * US_PER_S, RESP_BLOCK, NULL,
	    err, sizeof(err)), 0);
	assert_non_null(strstr(sh("nft list set inet nflogmon blocked4"),
	    "198.51.100.9"));
	assert_null(strstr(sh("nft list set inet nflogmon throttled4"),
	    "198.51.100.9"));
	assert_null(strstr(sh("nft list set inet nflogmon throttle_7_90s4"),
	    "198.51.100.9"));
	assert_verb(b.ops->unblock(&b, &k4, err, sizeof(err)), 0);
	assert_verb(b.ops->test(&b, &k4, err, sizeof(err)), 0);
	b.ops->fini(&b);
}

/* Captures what log_warnx writes to stderr while fn runs. */
static const char *
capture_stderr(int (*fn)(void), int *rv)
{
	static char	 buf[4096];
	FILE		*tmp;
	int		 saved;
	size_t		 n;

	fflush(stderr);
	saved = dup(2);
	tmp = tmpfile();
	assert_non_null(tmp);
	dup2(fileno(tmp), 2);
	*rv = fn();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	n = fread(buf, 1, sizeof(buf) - 1, tmp);
	buf[n] = '\0';
	fclose(tmp);
	return buf;
}

static int
init_once(void)
{
	struct backend	b = { .ops = &backend_nft_ops };
	bool		created;
	int		rv;

	rv = b.ops->init(&b, &conf, &created, err, sizeof(err));
	if (rv == 0)
		b.ops->fini(&b);
	return rv;
}

static void
test_missing_and_wrong(void **state)
{
	const char	*out;
	int		 rv;

	(void)state;
	/* create_sets = no and no table */
	conf.create_sets = false;
	assert_verb(init_once(), -1);
	assert_non_null(strstr(err, "inet nflogmon is missing"));
	assert_non_null(strstr(err, "nft -f rules.nft"));

	/* a set of the wrong type */
	conf.create_sets = true;
	sh("nft add table inet nflogmon");
	sh("nft add set inet nflogmon blocked6 '{ type ipv4_addr; "
	    "flags timeout; }'");
	assert_verb(init_once(), -1);
	assert_non_null(strstr(err, "set blocked6 has type ipv4_addr, "
	    "expected ipv6_addr"));
	/* missing flags */
	sh("nft delete set inet nflogmon blocked6");
	sh("nft add set inet nflogmon blocked6 '{ type ipv6_addr; "
	    "flags timeout; }'");
	assert_verb(init_once(), -1);
	assert_non_null(strstr(err, "set blocked6 lacks flags"));
	sh("nft delete table inet nflogmon");

	/* no enforcement rules: a warning naming the fix */
	out = capture_stderr(init_once, &rv);
	assert_int_equal(rv, 0);
	assert_non_null(strstr(out, "@blocked4, @blocked6, @blocked_uids"));
	assert_non_null(strstr(out, "nft -f rules.nft"));
	/* with reject rules for all three: silent */
	sh("nft add chain inet nflogmon fw '{ type filter hook forward "
	    "priority 0; }'");
	sh("nft add rule inet nflogmon fw ip saddr @blocked4 reject");
	sh("nft add rule inet nflogmon fw ip6 saddr @blocked6 reject");
	sh("nft add rule inet nflogmon fw meta skuid @blocked_uids drop");
	out = capture_stderr(init_once, &rv);
	assert_int_equal(rv, 0);
	assert_null(strstr(out, "rules.nft"));
}

/*
 * A set in the table whose name looks like a throttle set but is no name
 * of ours (nft -j makes any string a set name): never pasted into a
 * command, so init, block and unblock work and nothing else is created.
 */
static void
test_foreign_set_name(void **state)
{
	struct backend	b = { .ops = &backend_nft_ops };
	struct key	k;
	bool		created;

	(void)state;
	sh("nft add table inet nflogmon");
	sh("echo '{\"nftables\": [{\"add\": {\"set\": {\"family\": "
	    "\"inet\", \"table\": \"nflogmon\", \"name\": "
	    "\"throttle_a ; add table ip nflogmon_evil ; x4\", \"type\": "
	    "\"ipv4_addr\", \"flags\": [\"timeout\"]}}}]}' | "
	    "nft -j -f -");
	assert_non_null(strstr(sh("nft list table inet nflogmon"),
	    "set throttle_a ; add table"));
	assert_verb(b.ops->init(&b, &conf, &created, err, sizeof(err)), 0);
	key_v4(&k, "192.0.2.1");
	assert_verb(b.ops->block(&b, &k, 60 * US_PER_S, RESP_BLOCK, NULL, err,
	    sizeof(err)), 0);
	assert_verb(b.ops->unblock(&b, &k, err, sizeof(err)), 0);
	b.ops->fini(&b);
	assert_null(strstr(sh("nft list tables"), "nflogmon_evil"));
	sh("nft delete table inet nflogmon");
}

static void
test_kernel_error(void **state)
{
	struct backend	b = { .ops = &backend_nft_ops };
	struct key	k;
	bool		created;

	(void)state;
	assert_verb(b.ops->init(&b, &conf, &created, err, sizeof(err)), 0);
	sh("nft delete table inet nflogmon");
	key_v4(&k, "192.0.2.1");
	assert_verb(b.ops->block(&b, &k, 60 * US_PER_S, RESP_BLOCK, NULL, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "blocked4"));
	assert_non_null(strstr(err, "192.0.2.1"));
	assert_non_null(strstr(err, "No such file or directory"));
	/* a missing set is an error for test, never "absent" */
	assert_verb(b.ops->test(&b, &k, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "192.0.2.1"));
	b.ops->fini(&b);
}

/*
 * The netlink batches (nft_nl.c) as nft itself reads them back: IPv6
 * prefixes of every shape, the top of the address space (an interval
 * without an end), and an error named by the set the kernel refused.
 */
static void
test_batch_edges(void **state)
{
	static const struct {
		const char	*addr;
		int		 plen;
		const char	*listed;
	} t[] = {
		{ "2001:db8::25", 128, "2001:db8::25 timeout 1m" },
		{ "2001:db8:7::", 48, "2001:db8:7::/48 timeout 1m" },
		{ "2001:db8:0:80::", 57, "2001:db8:0:80::/57 timeout 1m" },
		{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 128,
		    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff timeout 1m" },
	};
	struct backend		 b = { .ops = &backend_nft_ops };
	struct backend_entry	*v;
	struct key		 k[4], k4;
	size_t			 i, n;
	bool			 created;

	(void)state;
	assert_verb(b.ops->init(&b, &conf, &created, err, sizeof(err)), 0);
	for (i = 0; i < 4; i++) {
		key_v6(&k[i], t[i].addr, t[i].plen);
		assert_verb(b.ops->block(&b, &k[i], 60 * US_PER_S, RESP_BLOCK,
		    NULL, err, sizeof(err)), 0);
	}
	for (i = 0; i < 4; i++) {
		assert_non_null(strstr(sh("nft list set inet nflogmon "
		    "blocked6"), t[i].listed));
		assert_verb(b.ops->test(&b, &k[i], err, sizeof(err)), 1);
	}
	assert_verb(b.ops->list(&b, &v, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 4);
	for (i = 0; i < 4; i++)
		assert_non_null(find(v, n, &k[i]));
	free(v);
	for (i = 0; i < 4; i++) {
		assert_verb(b.ops->unblock(&b, &k[i], err, sizeof(err)), 0);
		assert_verb(b.ops->test(&b, &k[i], err, sizeof(err)), 0);
	}
	assert_null(strstr(sh("nft list set inet nflogmon blocked6"),
	    "timeout 1m"));

	/* one set gone: the transaction fails, named by that set */
	sh("nft delete set inet nflogmon throttled4");
	key_v4(&k4, "192.0.2.9");
	assert_verb(b.ops->block(&b, &k4, 60 * US_PER_S, RESP_BLOCK, NULL, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "192.0.2.9"));
	assert_non_null(strstr(err, "set throttled4: No such file or "
	    "directory"));
	/* all or nothing: blocked4 was not written either */
	assert_null(strstr(sh("nft list set inet nflogmon blocked4"),
	    "192.0.2.9"));
	b.ops->fini(&b);
	sh("nft delete table inet nflogmon");
}

/*
 * Many blocks in few transactions (block_many: a start after a reboot, a
 * resync): each block lands as block would put it, a block that cannot be
 * built fails alone, and a transaction the kernel refuses is tried again
 * one by one, so only the blocks it cannot hold fail, each by its set.
 */
#define MANY_V4		2900
#define MANY_V6		100
static void
test_block_many(void **state)
{
	static struct key	 k[MANY_V4 + MANY_V6 + 2];
	static struct backend_put bp[MANY_V4 + MANY_V6 + 2];
	static int		 rc[MANY_V4 + MANY_V6 + 2];
	struct backend		 b = { .ops = &backend_nft_ops };
	struct backend_entry	*v;
	const struct backend_entry *e;
	char			 a[64];
	size_t			 i, n = 0, nv;
	bool			 created;

	(void)state;
	assert_verb(b.ops->init(&b, &conf, &created, err, sizeof(err)), 0);
	for (i = 0; i < MANY_V4 + MANY_V6; i++) {
		if (i % 30 == 29) {	/* every 30th a v6 prefix */
			snprintf(a, sizeof(a), "2001:db8:%zx::", i);
			key_v6(&k[n], a, 64);
		} else {
			snprintf(a, sizeof(a), "198.18.%zu.%zu", i / 256,
			    i % 256);
			key_v4(&k[n], a);
		}
		bp[n].key = &k[n];
		bp[n].timeout_us = (60 + (int64_t)(i % 7)) * US_PER_S;
		bp[n].resp = RESP_BLOCK;
		n++;
	}
	key_v4(&k[n], "198.19.0.1");		/* a throttle */
	bp[n].key = &k[n];
	bp[n].timeout_us = 600 * US_PER_S;
	bp[n].resp = RESP_THROTTLE;
	bp[n].throttle_rate = &conf.throttle_rate;
	n++;
	key_v4(&k[n], "198.19.0.2");		/* no clients sets here */
	k[n].client = true;
	bp[n].key = &k[n];
	bp[n].timeout_us = 60 * US_PER_S;
	bp[n].resp = RESP_BLOCK;
	n++;
	assert_int_equal(b.ops->block_many(&b, bp, n, rc, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "holds no sets"));
	for (i = 0; i + 1 < n; i++)
		assert_int_equal(rc[i], 0);
	assert_int_equal(rc[n - 1], -1);
	assert_verb(b.ops->list(&b, &v, &nv, err, sizeof(err)), 0);
	assert_int_equal(nv, n - 1);
	for (i = 0; i + 1 < n; i++) {
		assert_non_null(e = find(v, nv, &k[i]));
		assert_int_equal(e->throttle, bp[i].resp == RESP_THROTTLE);
		assert_true(e->expires_in_us > bp[i].timeout_us - 10 * US_PER_S &&
		    e->expires_in_us <= bp[i].timeout_us);
	}
	free(v);

	/* blocked6 gone: a transaction with a v6 block fails whole; one by
	 * one, the v4 blocks land and the v6 ones fail on blocked6 */
	sh("nft delete set inet nflogmon blocked6");
	for (i = 0; i < n - 2; i++)
		bp[i].timeout_us = 300 * US_PER_S;
	assert_int_equal(b.ops->block_many(&b, bp, n - 2, rc, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "blocked6"));
	for (i = 0; i < n - 2; i++)
		assert_int_equal(rc[i], k[i].kind == KEY_V6 ? -1 : 0);
	assert_string_equal(sh("nft list set inet nflogmon blocked4 | "
	    "grep -o 'timeout 5m' | wc -l"), "2900\n");
	b.ops->fini(&b);
	sh("nft delete table inet nflogmon");
}

int
main(void)
{
	const struct CMUnitTest pure[] = {
		cmocka_unit_test(test_rate_units),
		cmocka_unit_test(test_format),
	};
	const struct CMUnitTest kernel[] = {
		cmocka_unit_test_setup(test_create_block_list, setup),
		cmocka_unit_test_setup(test_throttle, setup),
		cmocka_unit_test_setup(test_missing_and_wrong, setup),
		cmocka_unit_test_setup(test_foreign_set_name, setup),
		cmocka_unit_test_setup(test_kernel_error, setup),
		cmocka_unit_test_setup(test_batch_edges, setup),
		cmocka_unit_test_setup(test_block_many, setup),
	};
	int rv;

	if ((rv = cmocka_run_group_tests(pure, NULL, NULL)) != 0)
		return rv;
	if (geteuid() != 0) {
		printf("needs root for a private network namespace\n");
		return 77;
	}
	if (unshare(CLONE_NEWNET) != 0) {
		printf("unshare(CLONE_NEWNET) failed\n");
		return 77;
	}
	return cmocka_run_group_tests(kernel, NULL, NULL);
}
