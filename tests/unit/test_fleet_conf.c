/*
 * test_fleet_conf.c: the [fleet] section: defaults, the secret files (mode
 * 0600, cscli's YAML or one line, the login standing for machine_id),
 * which keys go together, bad URLs, and check-config's printing: the
 * files' names with "(set)", never their content, read back the same.
 */
#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fleet.h"

static char dir[64], pwyaml[128], pwline[128], key[128], open_key[128];

static void
write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static int
setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/test_fleet_conf.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(pwyaml, sizeof(pwyaml), "%s/gw.yaml", dir);
	snprintf(pwline, sizeof(pwline), "%s/gw.pw", dir);
	snprintf(key, sizeof(key), "%s/gw.key", dir);
	snprintf(open_key, sizeof(open_key), "%s/open.key", dir);
	write_file(pwyaml, "url: http://198.51.100.5:8080\nlogin: gw-a\n"
	    "password: Secret-Pw-1\n", 0600);
	write_file(pwline, "Secret-Pw-2\n", 0400);
	write_file(key, "Secret-Key-3", 0600);
	write_file(open_key, "Secret-Key-4\n", 0644);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Loads text; errs gets the messages. */
static struct conf *
load(const char *text, char *errs, size_t len)
{
	FILE *f = fmemopen((void *)(uintptr_t)text, strlen(text), "r");
	FILE *e = fmemopen(errs, len, "w");
	struct conf *c;

	assert_non_null(f);
	assert_non_null(e);
	memset(errs, 0, len);
	c = conf_load_stream(f, "t.conf", e);
	fclose(f);
	fclose(e);
	return c;
}

static void
test_defaults(void **state)
{
	struct conf *c = conf_defaults();

	(void)state;
	assert_string_equal(c->fleet_lapi_url, "");
	assert_int_equal(c->fleet_pull_interval_us, 1000000);
	assert_int_equal(c->fleet_max_duration_us, 7LL * 86400 * 1000000);
	assert_int_equal(c->fleet_max_new_blocks.n, 1000);
	assert_int_equal(c->fleet_max_new_blocks.w_us, 60LL * 1000000);
	conf_free(c);
}

static void
test_secrets(void **state)
{
	char text[1024], errs[2048], *out;
	struct conf *c, *c2;
	size_t len;
	FILE *f;

	(void)state;
	snprintf(text, sizeof(text), "[fleet]\nlapi_url = http://198.51.100.5:"
	    "8080/\npassword_file = %s\nbouncer_key_file = %s\n"
	    "pull_interval = 2s\nmax_duration = 1d\nmax_new_blocks = 50/1m\n",
	    pwyaml, key);
	c = load(text, errs, sizeof(errs));
	if (c == NULL)
		fail_msg("%s", errs);
	assert_string_equal(c->fleet_password, "Secret-Pw-1");
	assert_string_equal(c->fleet_machine_id, "gw-a");	/* the login */
	assert_string_equal(c->fleet_bouncer_key, "Secret-Key-3");
	assert_int_equal(c->fleet_pull_interval_us, 2000000);
	assert_int_equal(c->fleet_max_new_blocks.n, 50);
	/* printed: names with (set), no secret; it reads back the same */
	f = open_memstream(&out, &len);
	conf_print(c, f);
	fclose(f);
	assert_null(strstr(out, "Secret"));
	assert_non_null(strstr(out, "(set)"));
	assert_non_null(strstr(out, "machine_id     = gw-a\n"));
	c2 = load(out, errs, sizeof(errs));
	if (c2 == NULL)
		fail_msg("printed config does not load: %s", errs);
	assert_string_equal(c2->fleet_password, "Secret-Pw-1");
	assert_string_equal(c2->fleet_lapi_url, c->fleet_lapi_url);
	free(out);
	conf_free(c);
	conf_free(c2);
	/* the password alone on a line; machine_id then required */
	snprintf(text, sizeof(text), "[fleet]\nlapi_url = https://lapi.example"
	    ":8080\nmachine_id = gw-b\npassword_file = %s\n", pwline);
	c = load(text, errs, sizeof(errs));
	if (c == NULL)
		fail_msg("%s", errs);
	assert_string_equal(c->fleet_password, "Secret-Pw-2");
	assert_string_equal(c->fleet_bouncer_key, "");
	conf_free(c);
	snprintf(text, sizeof(text), "[fleet]\nlapi_url = https://lapi.example"
	    ":8080\npassword_file = %s\n", pwline);
	assert_null(load(text, errs, sizeof(errs)));
	assert_non_null(strstr(errs, "t.conf:3: password_file: machine_id is "
	    "not set"));
}

static void
test_errors(void **state)
{
	static const struct {
		const char	*text;
		const char	*err;
	} rows[] = {
		{ "[fleet]\nlapi_url = ftp://x\n", "t.conf:2: lapi_url: 'ftp://x'"
		    " is not an http:// or https:// URL" },
		{ "[fleet]\nlapi_url = http://u:p@x/\n", "t.conf:2: lapi_url: "
		    "bad URL" },
		{ "[fleet]\nlapi_url = http://\n", "t.conf:2: lapi_url: bad URL" },
		{ "[fleet]\nlapi_url = http://x/?a=b\n", "bad URL" },
		{ "[fleet]\nlapi_url = http://x:8080\n", "t.conf:2: lapi_url: "
		    "neither password_file (publish) nor bouncer_key_file" },
		{ "[fleet]\nmachine_id = 9x\n", "t.conf:2: machine_id: bad name" },
		{ "[fleet]\nbouncer_key_file = KEY\n", "t.conf:2: [fleet] "
		    "credentials without lapi_url" },
		{ "[fleet]\nlapi_url = http://x\nbouncer_key_file = OPEN\n",
		    "t.conf:3: bouncer_key_file: OPEN: mode 0644, must be 0600" },
		{ "[fleet]\nlapi_url = http://x\nbouncer_key_file = /nonexistent"
		    "\n", "t.conf:3: bouncer_key_file: /nonexistent: No such" },
		{ "[fleet]\nlapi_url = http://x\nbouncer_key_file = KEY\n"
		    "ca_file = KEY\n", "t.conf:4: ca_file: lapi_url is not "
		    "https://" },
		{ "[fleet]\nlapi_url = http://x\nbouncer_key_file = KEY\n"
		    "pull_interval = 2h\n", "t.conf:4: pull_interval: 1s..1h" },
		{ "[fleet]\nlapi_url = http://x\nbouncer_key_file = KEY\n"
		    "max_duration = permanent\n", "t.conf:4: max_duration: bad "
		    "duration" },
		{ "[fleet]\nmax_new_blocks = off\n", "t.conf:2: max_new_blocks: "
		    "bad rate" },
		{ "[fleet]\npassword = x\n", "t.conf:2: unknown key 'password' "
		    "in [fleet]" },
		{ "[daemon]\nuser = nobody\n[fleet]\nlapi_url = http://x\n"
		    "bouncer_key_file = KEY\n", "t.conf:5: bouncer_key_file: "
		    "KEYPATH: owned by uid" },
	};
	char text[512], errs[2048], want[256];
	const char *s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		/* KEY and OPEN stand for the files made in setup */
		text[0] = '\0';
		for (s = rows[i].text; *s != '\0';) {
			if (strncmp(s, "KEY", 3) == 0) {
				strcat(text, key);
				s += 3;
			} else if (strncmp(s, "OPEN", 4) == 0) {
				strcat(text, open_key);
				s += 4;
			} else
				strncat(text, s++, 1);
		}
		snprintf(want, sizeof(want), "%s", rows[i].err);
		if (strstr(want, "KEYPATH") != NULL) {
			char *o = strstr(want, "KEYPATH");
			char rest[128];

			snprintf(rest, sizeof(rest), "%s", o + 7);
			snprintf(o, sizeof(want) - (size_t)(o - want), "%s%s",
			    key, rest);
		}
		if (strstr(want, "OPEN") != NULL) {
			char *o = strstr(want, "OPEN");
			char rest[128];

			snprintf(rest, sizeof(rest), "%s", o + 4);
			snprintf(o, sizeof(want) - (size_t)(o - want), "%s%s",
			    open_key, rest);
		}
		if (load(text, errs, sizeof(errs)) != NULL)
			fail_msg("row %zu loaded", i);
		if (strstr(errs, want) == NULL)
			fail_msg("row %zu: want '%s', got '%s'", i, want, errs);
		if (strstr(errs, "Secret") != NULL)
			fail_msg("row %zu: a secret in a message", i);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_secrets),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
