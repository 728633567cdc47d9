/*
 * conf_fleet.c: the [fleet] section as a whole (DESIGN.md "Fleet"), once
 * the file is parsed: which keys go together, and the secrets, read here
 * so that they are read at start and on every SIGHUP, with conf_load.
 * A secret file must be mode 0600 and readable by the loading process
 * (the daemon's `user` on SIGHUP); its content lands in struct conf only,
 * never in a message (fleet/secret.c names the file, never the bytes).
 */
#include <sys/stat.h>

#include <pwd.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conf_internal.h"
#include "fleet.h"

/* The line of [fleet] key name (0: not given). */
static int
fleet_line(const struct conf_ctx *ctx, const char *name)
{
	size_t i;

	for (i = 0; i < NKEYDEFS; i++)
		if (keydefs[i].sec == SEC_FLEET &&
		    strcmp(keydefs[i].name, name) == 0)
			return ctx->key_line[i];
	return 0;
}

/* The uid the daemon runs as after the privilege drop (priv.c): root
 * when user is empty, -1 when unknown (reported elsewhere). */
static long long
fleet_run_uid(const struct conf *c)
{
	struct passwd *pw;
	char *end;
	unsigned long n;

	if (c->user[0] == '\0')
		return 0;
	if ((pw = getpwnam(c->user)) != NULL)
		return pw->pw_uid;
	n = strtoul(c->user, &end, 10);
	return *end == '\0' ? (long long)n : -1;
}

static void
fleet_secret(struct conf_ctx *ctx, const char *key, const char *path,
    char *dst, size_t len, char *login, size_t loginlen)
{
	long long uid = fleet_run_uid(ctx->conf);
	char err[512];
	struct stat sb;

	if (*path == '\0')
		return;
	if (fleet_secret_read(path, dst, len, login, loginlen, err,
	    sizeof(err)) == -1) {
		conf_err(ctx, fleet_line(ctx, key), "%s: %s", key, err);
		return;
	}
	/* mode 0600: only its owner reads it, and SIGHUP rereads it as
	 * user, so a file the start (as root) could read may not be */
	if (uid > 0 && stat(path, &sb) == 0 && (long long)sb.st_uid != uid)
		conf_err(ctx, fleet_line(ctx, key), "%s: %s: owned by uid %u, "
		    "not readable by user %s (chown %s %s)", key, path,
		    (unsigned)sb.st_uid, ctx->conf->user, ctx->conf->user,
		    path);
}

void
conf_fleet_check(struct conf_ctx *ctx)
{
	struct conf *c = ctx->conf;
	char login[sizeof(c->fleet_machine_id)] = "";
	int line = fleet_line(ctx, "lapi_url");

	if (c->fleet_lapi_url[0] == '\0') {
		/* (a bad lapi_url was reported already) */
		if (line == 0 && (c->fleet_password_file[0] != '\0' ||
		    c->fleet_bouncer_key_file[0] != '\0'))
			conf_err(ctx, fleet_line(ctx,
			    c->fleet_password_file[0] ? "password_file" :
			    "bouncer_key_file"), "[fleet] credentials without "
			    "lapi_url");
		return;
	}
	if (c->fleet_password_file[0] == '\0' &&
	    c->fleet_bouncer_key_file[0] == '\0')
		conf_err(ctx, line, "lapi_url: neither password_file "
		    "(publish) nor bouncer_key_file (pull) is set");
	if (c->fleet_ca_file[0] != '\0') {
		if (strncmp(c->fleet_lapi_url, "https://", 8) != 0)
			conf_err(ctx, fleet_line(ctx, "ca_file"), "ca_file: "
			    "lapi_url is not https://");
		else if (access(c->fleet_ca_file, R_OK) == -1)
			conf_err(ctx, fleet_line(ctx, "ca_file"), "ca_file: "
			    "%s: cannot be read", c->fleet_ca_file);
	}
	if (c->fleet_pull_interval_us < 1000000 ||
	    c->fleet_pull_interval_us > 3600LL * 1000000)
		conf_err(ctx, fleet_line(ctx, "pull_interval"), "pull_interval:"
		    " 1s..1h");
	if (c->fleet_max_duration_us < 1000000)
		conf_err(ctx, fleet_line(ctx, "max_duration"), "max_duration: "
		    "at least 1s");
	fleet_secret(ctx, "password_file", c->fleet_password_file,
	    c->fleet_password, sizeof(c->fleet_password), login,
	    sizeof(login));
	fleet_secret(ctx, "bouncer_key_file", c->fleet_bouncer_key_file,
	    c->fleet_bouncer_key, sizeof(c->fleet_bouncer_key), NULL, 0);
	/* cscli's YAML names the machine: it may stand for machine_id */
	if (c->fleet_machine_id[0] == '\0' && login[0] != '\0' &&
	    conf_ident_ok(login, sizeof(c->fleet_machine_id) - 1))
		snprintf(c->fleet_machine_id, sizeof(c->fleet_machine_id),
		    "%s", login);
	if (c->fleet_password_file[0] != '\0' &&
	    c->fleet_machine_id[0] == '\0')
		conf_err(ctx, fleet_line(ctx, "password_file"), "password_file:"
		    " machine_id is not set (and the file names no login)");
}
