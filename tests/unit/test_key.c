/*
 * test_key.c: keys from addresses and uids, their text forms, and the
 * SOURCE syntax of the command line and state file, as tables of input ->
 * expected output, plus format/parse round trips.
 */
#include <sys/socket.h>
#include <arpa/inet.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine_test.h"

/* key_from_addr then key_format. */
static const struct {
	const char	*addr;
	int		 prefix;
	const char	*want;
	int		 want_plen;
} from_addr[] = {
	{ "192.0.2.7", 64, "192.0.2.7", 32 },
	{ "203.0.113.255", 0, "203.0.113.255", 32 },
	{ "2001:db8:1:2:aaaa:bbbb:cccc:dddd", 64, "2001:db8:1:2::/64", 64 },
	{ "2001:db8:1:2:aaaa:bbbb:cccc:dddd", 48, "2001:db8:1::/48", 48 },
	{ "2001:db8:1:2:aaaa:bbbb:cccc:dddd", 56, "2001:db8:1::/56", 56 },
	{ "2001:db8:1:2ff:aaaa:bbbb:cccc:dddd", 60, "2001:db8:1:2f0::/60", 60 },
	{ "2001:db8:1:2ff:aaaa:bbbb:cccc:dddd", 57, "2001:db8:1:280::/57", 57 },
	{ "2001:db8::25", 128, "2001:db8::25/128", 128 },
	{ "2001:db8::25", 127, "2001:db8::24/127", 127 },
	{ "2001:db8::25", 200, "2001:db8::25/128", 128 },	/* clamped */
	{ "2001:db8::25", 0, "::/0", 0 },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1, "8000::/1", 1 },
	{ "::ffff:192.0.2.1", 128, "::ffff:192.0.2.1/128", 128 },
};

static void
test_from_addr(void **state)
{
	struct key k, k2;
	struct addr a;
	char buf[KEY_STRLEN];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(from_addr) / sizeof(from_addr[0]); i++) {
		a = taddr(from_addr[i].addr);
		memset(&k, 0xa5, sizeof(k));
		key_from_addr(&k, &a, from_addr[i].prefix);
		assert_int_equal(k.kind,
		    a.family == AF_INET ? KEY_V4 : KEY_V6);
		assert_int_equal(k.plen, from_addr[i].want_plen);
		assert_int_equal(k.uid, 0);
		assert_int_equal(k.client | k.pad, 0);
		if (k.kind == KEY_V4)
			assert_true(memcmp(k.addr + 4, "\0\0\0\0\0\0\0\0\0\0\0\0",
			    12) == 0);
		assert_string_equal(key_format(&k, buf, sizeof(buf)),
		    from_addr[i].want);
		/* Two addresses of one prefix make one key. */
		a.b[a.family == AF_INET ? 3 : 15] ^= 1;
		memset(&k2, 0x5a, sizeof(k2));
		key_from_addr(&k2, &a, from_addr[i].prefix);
		assert_int_equal(key_equal(&k, &k2),
		    k.kind == KEY_V6 && k.plen < 128);
	}
}

static void
test_uid(void **state)
{
	struct key k, k2;
	char buf[KEY_STRLEN];

	(void)state;
	memset(&k, 0xa5, sizeof(k));
	key_from_uid(&k, 1001);
	assert_int_equal(k.kind, KEY_UID);
	assert_int_equal(k.plen, 0);
	assert_string_equal(key_format(&k, buf, sizeof(buf)), "uid:1001");
	key_from_uid(&k2, 1001);
	assert_true(key_equal(&k, &k2));
	key_from_uid(&k2, 1002);
	assert_false(key_equal(&k, &k2));
	key_from_uid(&k, UINT32_MAX);
	assert_string_equal(key_format(&k, buf, sizeof(buf)),
	    "uid:4294967295");
	/* uid 0 and the address 0.0.0.0 differ. */
	key_from_uid(&k, 0);
	struct addr a = taddr("0.0.0.0");
	key_from_addr(&k2, &a, 64);
	assert_false(key_equal(&k, &k2));
}

static void
test_format_small(void **state)
{
	struct key k;
	struct addr a = taddr("2001:db8:1:2::");
	char buf[8];

	(void)state;
	key_from_addr(&k, &a, 64);
	assert_ptr_equal(key_format(&k, buf, sizeof(buf)), buf);
	assert_string_equal(buf, "2001:db");	/* truncated, terminated */
	memset(&k, 0, sizeof(k));
	assert_string_equal(key_format(&k, buf, sizeof(buf)), "none");
}

/* key_parse with ipv6_prefix 64: input -> formatted key, or NULL (error). */
static const struct {
	const char	*in;
	const char	*want;
} parse[] = {
	{ "192.0.2.7", "192.0.2.7" },
	{ "192.0.2.7/32", "192.0.2.7" },
	{ "2001:db8:1:2::/64", "2001:db8:1:2::/64" },
	{ "2001:db8:1::/48", "2001:db8:1::/48" },
	{ "2001:db8:1:2::9/64", "2001:db8:1:2::/64" },	/* host bits masked */
	{ "2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64" },	/* bare: /64 */
	{ "2001:db8::25/128", "2001:db8::25/128" },
	{ "2001:DB8::25/128", "2001:db8::25/128" },
	{ "2001:db8::/1", "::/1" },
	{ "uid:1001", "uid:1001" },
	{ "uid:0", "uid:0" },
	{ "uid:4294967295", "uid:4294967295" },
	{ "uid:007", "uid:7" },
	{ "uid:4294967296", NULL },
	{ "uid:99999999999999999999999", NULL },
	{ "uid:", NULL },
	{ "uid:-1", NULL },
	{ "uid:+1", NULL },
	{ "uid: 1", NULL },
	{ "uid:1x", NULL },
	{ "uid:0x10", NULL },
	{ "UID:1", NULL },
	{ "", NULL },
	{ "/", NULL },
	{ "192.0.2.0/24", NULL },
	{ "192.0.2.7/", NULL },
	{ "192.0.2", NULL },
	{ "192.0.2.256", NULL },
	{ " 192.0.2.7", NULL },
	{ "192.0.2.7 ", NULL },
	{ "2001:db8::/0", NULL },
	{ "2001:db8::/129", NULL },
	{ "2001:db8::/-1", NULL },
	{ "2001:db8::/64x", NULL },
	{ "2001:db8::/ 64", NULL },
	{ "2001:db8::/64/64", NULL },
	{ "2001:db8:::1", NULL },
	{ "example.com", NULL },
	{ "2001:db8:1:2:3:4:5:6:7:8:9:a:b:c:d:e:f:0:1:2:3:4:5:6/64", NULL },
};

static void
test_parse(void **state)
{
	struct key k;
	char buf[KEY_STRLEN], err[256];
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(parse) / sizeof(parse[0]); i++) {
		err[0] = '\0';
		rc = key_parse(parse[i].in, 64, &k, err, sizeof(err));
		if (parse[i].want == NULL) {
			if (rc != -1) {
				print_error("'%s' parsed\n", parse[i].in);
				fail();
			}
			assert_true(err[0] != '\0');
			continue;
		}
		if (rc != 0) {
			print_error("'%s': %s\n", parse[i].in, err);
			fail();
		}
		assert_string_equal(key_format(&k, buf, sizeof(buf)),
		    parse[i].want);
	}
}

/* A bare IPv6 address stands for its ipv6_prefix; /128 keeps it whole. */
static void
test_parse_prefix_setting(void **state)
{
	struct key k, k2;
	struct addr a = taddr("2001:db8:1:2:3:4:5:6");
	char buf[KEY_STRLEN], err[128];

	(void)state;
	assert_int_equal(key_parse("2001:db8:1:2:3:4:5:6", 48, &k, err,
	    sizeof(err)), 0);
	assert_string_equal(key_format(&k, buf, sizeof(buf)),
	    "2001:db8:1::/48");
	key_from_addr(&k2, &a, 48);
	assert_true(key_equal(&k, &k2));
	assert_int_equal(key_parse("2001:db8:1:2:3:4:5:6", 128, &k, err,
	    sizeof(err)), 0);
	key_from_addr(&k2, &a, 128);
	assert_true(key_equal(&k, &k2));
	assert_string_equal(key_format(&k, buf, sizeof(buf)),
	    "2001:db8:1:2:3:4:5:6/128");
}

/* format(parse(s)) == s and parse(format(k)) == k for canonical forms. */
static void
test_round_trip(void **state)
{
	static const char *canon[] = {
		"192.0.2.7", "198.51.100.0", "0.0.0.0", "255.255.255.255",
		"2001:db8:1:2::/64", "2001:db8::/32", "2001:db8:0:ff00::/56",
		"uid:0", "uid:1001", "uid:4294967295",
	};
	struct key k, k2;
	char buf[KEY_STRLEN], err[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(canon) / sizeof(canon[0]); i++) {
		assert_int_equal(key_parse(canon[i], 64, &k, err,
		    sizeof(err)), 0);
		assert_string_equal(key_format(&k, buf, sizeof(buf)),
		    canon[i]);
		assert_int_equal(key_parse(buf, 64, &k2, err, sizeof(err)), 0);
		assert_true(key_equal(&k, &k2));
	}
	/* A /128 prints bare; it parses back whole only as /128 or with
	 * ipv6_prefix 128. */
	assert_int_equal(key_parse("2001:db8::25/128", 64, &k, err,
	    sizeof(err)), 0);
	key_format(&k, buf, sizeof(buf));
	assert_int_equal(key_parse(buf, 128, &k2, err, sizeof(err)), 0);
	assert_true(key_equal(&k, &k2));
}

/* An account whose name the names table does not hold (a fuzzed state
 * file pinned the table full) prints as its whole hash and parses back to
 * the same key; no login can take that form. */
static void
test_account_hash(void **state)
{
	struct key k, back;
	char buf[KEY_STRLEN], err[128];
	size_t i;

	(void)state;
	memset(&k, 0, sizeof(k));
	k.kind = KEY_ACCOUNT;
	for (i = 0; i < 16; i++)
		k.addr[i] = (uint8_t)(0xa0 + i * 7);
	key_format(&k, buf, sizeof(buf));
	assert_string_equal(buf, "account:#a0a7aeb5bcc3cad1d8dfe6edf4fb0209");
	assert_int_equal(key_parse(buf, 64, &back, err, sizeof(err)), 0);
	assert_memory_equal(&back, &k, sizeof(k));
	assert_int_equal(key_from_account(&back,
	    "#a0a7aeb5bcc3cad1d8dfe6edf4fb0209", 33), -1);
	/* one digit short, or one more: an ordinary login */
	assert_int_equal(key_parse("account:#a0a7aeb5bcc3cad1d8dfe6edf4fb020",
	    64, &back, err, sizeof(err)), 0);
	assert_memory_not_equal(&back, &k, sizeof(k));
	assert_int_equal(key_from_account(&back,
	    "#a0a7aeb5bcc3cad1d8dfe6edf4fb0209a", 34), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_from_addr),
		cmocka_unit_test(test_uid),
		cmocka_unit_test(test_format_small),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_prefix_setting),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_account_hash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
