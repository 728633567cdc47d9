/*
 * test_resync.c: the resync check's decision.  A set gone always needs a
 * resync; a counted set (ipset) needs one only when it holds fewer entries
 * than the blocks the daemon enforces in it (more is fine: entries added
 * by hand, or expired ones the kernel has not collected yet); a set whose
 * entries are not counted (nft) only when gone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "daemon.h"

static struct backend_count
set(bool missing, bool counted, size_t entries)
{
	struct backend_count c;

	memset(&c, 0, sizeof(c));
	c.missing = missing;
	c.counted = counted;
	c.entries = entries;
	c.kind = KEY_V4;
	return c;
}

static void
test_short(void **state)
{
	struct backend_count s[3];
	size_t want[3] = { 5, 0, 7 };

	(void)state;
	/* all in place, some with more entries than blocks */
	s[0] = set(false, true, 5);
	s[1] = set(false, true, 100);
	s[2] = set(false, true, 9);
	assert_int_equal(resync_short(s, 3, want), -1);
	/* nothing to check */
	assert_int_equal(resync_short(s, 0, want), -1);
	/* one short by one: that one */
	s[2] = set(false, true, 6);
	assert_int_equal(resync_short(s, 3, want), 2);
	/* flushed */
	s[0] = set(false, true, 0);
	assert_int_equal(resync_short(s, 3, want), 0);
	/* an empty set holding no blocks is fine; gone is not */
	s[0] = set(false, true, 5);
	s[2] = set(false, true, 7);
	assert_int_equal(resync_short(s, 3, want), -1);
	s[1] = set(true, false, 0);
	assert_int_equal(resync_short(s, 3, want), 1);
}

static void
test_uncounted(void **state)
{
	struct backend_count s[2];
	size_t want[2] = { 1000, 1000 };

	(void)state;
	/* nft: no counts, presence only */
	s[0] = set(false, false, 0);
	s[1] = set(false, false, 0);
	assert_int_equal(resync_short(s, 2, want), -1);
	s[1] = set(true, false, 0);
	assert_int_equal(resync_short(s, 2, want), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_short),
		cmocka_unit_test(test_uncounted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
