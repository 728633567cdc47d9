/*
 * test_hook.c: the hook's contract (DESIGN.md): run as
 * `HOOK EVENT SOURCE RULE COUNT` with the facts and up to eight recent
 * destinations in NFLOGMON_* variables.  A real child is spawned: a shell
 * script that writes its argv and environment to files, which are then
 * compared with strings built here independently of hook.c.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon.h"

static char dir[64];

static void
slurp(const char *name, char *buf, size_t len)
{
	char path[128];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
	unlink(path);
}

/* Runs the hook for v and waits for the child. */
static void
run_hook(struct daemon *d, const char *event, const struct block *b,
    const struct verdict *v)
{
	int status;
	pid_t pid;

	hook_run(d, event, b, 3600 * US_PER_S, v);
	assert_int_equal(hook_running(), 1);
	pid = waitpid(-1, &status, 0);
	assert_true(pid > 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	hook_reap(d);		/* the slot is freed (reaped here) */
	assert_int_equal(hook_running(), 0);
}

static const struct {
	const char	*name;
	int		 family;
	const char	*dsts[VERDICT_MAX_DSTS];
} cases[] = {
	{ "none", AF_INET, { NULL } },
	{ "ipv4", AF_INET, { "192.0.2.1", "198.51.100.200", "203.0.113.255" } },
	/* Eight of the longest IPv6 forms: longer than one plain variable. */
	{ "ipv6 x8", AF_INET6, {
	    "2001:db8:ffff:ffff:ffff:ffff:ffff:fff1",
	    "2001:db8:ffff:ffff:ffff:ffff:ffff:fff2",
	    "2001:db8:ffff:ffff:ffff:ffff:ffff:fff3",
	    "2001:db8:ffff:ffff:ffff:ffff:ffff:fff4",
	    "2001:db8:ffff:ffff:ffff:ffff:ffff:fff5",
	    "2001:db8:ffff:ffff:ffff:ffff:ffff:fff6",
	    "2001:db8:ffff:ffff:ffff:ffff:ffff:fff7",
	    "2001:db8:ffff:ffff:ffff:ffff:ffff:fff8" } },
};

static void
test_hook_contract(void **state)
{
	struct daemon d;
	struct block b;
	struct verdict v;
	char script[128], got[1024], want[1024], tmpl[] = "/tmp/nflogmon-hook-XXXXXX";
	FILE *f;
	size_t c;
	int i;

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	snprintf(dir, sizeof(dir), "%s", tmpl);
	snprintf(script, sizeof(script), "%s/hook", dir);
	f = fopen(script, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\necho \"$#:$1:$2:$3:$4\" > %s/argv\n"
	    "printf '%%s' \"$NFLOGMON_RECENT_DESTINATIONS\" > %s/dsts\n"
	    "printf '%%s' \"$NFLOGMON_SOURCE $NFLOGMON_RULE "
	    "$NFLOGMON_TIMEOUT $NFLOGMON_DESTINATIONS\" > %s/facts\n",
	    dir, dir, dir);
	fclose(f);
	assert_int_equal(chmod(script, 0755), 0);

	memset(&d, 0, sizeof(d));
	d.conf = conf_defaults();
	assert_non_null(d.conf);
	snprintf(d.conf->hook, sizeof(d.conf->hook), "%s", script);

	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		memset(&b, 0, sizeof(b));
		memset(&v, 0, sizeof(v));
		assert_int_equal(key_parse("192.0.2.7", 64, &b.key, got,
		    sizeof(got)), 0);
		b.rule = RULE_FANOUT;
		b.action = ACT_BLOCK;
		b.connections = 21;
		b.expires_us = DURATION_PERMANENT;
		want[0] = '\0';
		for (i = 0; i < VERDICT_MAX_DSTS && cases[c].dsts[i]; i++) {
			v.dsts[i].family = (uint8_t)cases[c].family;
			assert_int_equal(inet_pton(cases[c].family,
			    cases[c].dsts[i], v.dsts[i].b), 1);
			if (i > 0)
				strcat(want, " ");
			strcat(want, cases[c].dsts[i]);
		}
		v.ndsts = i;
		v.destinations = 15;
		b.destinations = 15;	/* daemon_verdict copies it */

		run_hook(&d, "block", &b, &v);
		slurp("argv", got, sizeof(got));
		assert_string_equal(got, "4:block:192.0.2.7:fanout:21\n");
		slurp("dsts", got, sizeof(got));
		if (strcmp(got, want) != 0)
			fail_msg("%s: got '%s', want '%s'", cases[c].name, got,
			    want);
		slurp("facts", got, sizeof(got));
		assert_string_equal(got, "192.0.2.7 fanout 3600 15");
	}
	/* unblock has no verdict but tells the same facts. */
	b.destinations = 6;
	b.connections = 16;
	run_hook(&d, "unblock", &b, NULL);
	slurp("argv", got, sizeof(got));
	assert_string_equal(got, "4:unblock:192.0.2.7:fanout:16\n");
	slurp("dsts", got, sizeof(got));
	assert_string_equal(got, "");
	slurp("facts", got, sizeof(got));
	assert_string_equal(got, "192.0.2.7 fanout 3600 6");
	unlink(script);
	rmdir(dir);
	conf_free(d.conf);
}

/* A hook that cannot start is counted as a failure and holds no slot. */
static void
test_hook_cannot_start(void **state)
{
	struct daemon d;
	struct block b;
	char err[128];

	(void)state;
	memset(&d, 0, sizeof(d));
	d.conf = conf_defaults();
	assert_non_null(d.conf);
	snprintf(d.conf->hook, sizeof(d.conf->hook), "/nonexistent/hook");
	memset(&b, 0, sizeof(b));
	assert_int_equal(key_parse("192.0.2.7", 64, &b.key, err, sizeof(err)),
	    0);
	b.rule = RULE_BURST;
	b.action = ACT_BLOCK;
	hook_run(&d, "block", &b, 3600 * US_PER_S, NULL);
	assert_int_equal(d.hook_runs, 1);
	assert_int_equal(d.hook_failures, 1);
	assert_int_equal(hook_running(), 0);
	conf_free(d.conf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hook_contract),
		cmocka_unit_test(test_hook_cannot_start),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
