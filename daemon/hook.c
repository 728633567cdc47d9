/*
 * hook.c: runs the operator's hook (conf->hook) when a block starts or
 * ends, as `HOOK EVENT SOURCE RULE COUNT` with the facts in NFLOGMON_*
 * environment variables.  No shell: argv and envp are built here and
 * passed to posix_spawn (fork+exec without copying the page tables of a
 * daemon that may hold a million sources).  The daemon never waits for a
 * hook: children sit in a fixed table with a deadline, are killed (their
 * whole process group) after hook_timeout and reaped on SIGCHLD.  A hook
 * that fails, hangs or cannot start is logged and counted, never fatal.
 * Every fd the daemon opens is O_CLOEXEC, so a hook inherits none of the
 * NFLOG or control sockets; stdin is /dev/null.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "daemon.h"

/* Invariant: a slot with pid > 0 is a child not yet reaped; its process
 * group id is its pid (POSIX_SPAWN_SETPGROUP 0). */
struct hook_child {
	pid_t		 pid;
	int64_t		 deadline_us;	/* CLOCK_MONOTONIC */
	bool		 killed;
	char		 what[KEY_STRLEN + 16];	/* "block 192.0.2.7" for the log */
};

static struct hook_child children[HOOK_MAX_RUNNING];

#define HOOK_NENV	16
#define HOOK_ENVLEN	(KEY_STRLEN + 32)	/* NFLOGMON_SOURCE=account:... */
#define HOOK_DSTS_VAR	"NFLOGMON_RECENT_DESTINATIONS="
#define HOOK_CLIENTS_VAR	"NFLOGMON_CLIENTS="

/* dsts holds its variable whole: eight IPv6 addresses do not fit in
 * HOOK_ENVLEN, and a hook must never see half an address. */
struct hook_env {
	char		 buf[HOOK_NENV][HOOK_ENVLEN];
	char		 dsts[sizeof(HOOK_DSTS_VAR) +
			    VERDICT_MAX_DSTS * INET6_ADDRSTRLEN];
	char		*envp[HOOK_NENV + 2];
	int		 n;
};

static void __attribute__((format(printf, 2, 3)))
hook_setenv(struct hook_env *e, const char *fmt, ...)
{
	va_list ap;

	if (e->n == HOOK_NENV)
		return;
	va_start(ap, fmt);
	vsnprintf(e->buf[e->n], HOOK_ENVLEN, fmt, ap);
	va_end(ap);
	e->envp[e->n] = e->buf[e->n];
	e->n++;
}

/* Up to eight recent destinations, space separated. */
static void
hook_dsts(const struct verdict *v, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	size_t off = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; v != NULL && i < v->ndsts && i < VERDICT_MAX_DSTS; i++) {
		int af = v->dsts[i].family == AF_INET6 ? AF_INET6 : AF_INET;
		int w;

		if (inet_ntop(af, v->dsts[i].b, a, sizeof(a)) == NULL)
			continue;
		w = snprintf(buf + off, len - off, "%s%s", off ? " " : "", a);
		if (w < 0 || (size_t)w >= len - off)
			break;
		off += (size_t)w;
	}
}

static void
hook_env_build(struct hook_env *e, const char *event, const char *source,
    const struct block *b, int64_t timeout_us, const struct verdict *v)
{
	memset(e, 0, sizeof(*e));
	hook_setenv(e, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:"
	    "/usr/bin:/sbin:/bin");
	hook_setenv(e, "NFLOGMON_EVENT=%s", event);
	hook_setenv(e, "NFLOGMON_SOURCE=%s", source);
	hook_setenv(e, "NFLOGMON_RULE=%s", rule_name(b->rule));
	hook_setenv(e, "NFLOGMON_ACTION=%s", action_name(b->action));
	hook_setenv(e, "NFLOGMON_CONNECTIONS=%" PRIu32, b->connections);
	/* From the block, so that unblock tells the same facts as block. */
	hook_setenv(e, "NFLOGMON_DESTINATIONS=%" PRIu32, b->destinations);
	/* An account's recent values are its client addresses. */
	snprintf(e->dsts, sizeof(e->dsts), "%s", b->key.kind == KEY_ACCOUNT ?
	    HOOK_CLIENTS_VAR : HOOK_DSTS_VAR);
	hook_dsts(v, e->dsts + strlen(e->dsts), sizeof(e->dsts) -
	    strlen(e->dsts));
	if (b->key.kind == KEY_ACCOUNT)	/* the login alone, for scripts */
		hook_setenv(e, "NFLOGMON_ACCOUNT=%s", source +
		    sizeof("account:") - 1);
	if (e->n < HOOK_NENV)
		e->envp[e->n++] = e->dsts;
	hook_setenv(e, "NFLOGMON_STRIKE=%d", b->strikes);
	/* Seconds, or "permanent"; EXPIRES in Unix seconds, or "never". */
	if (timeout_us == DURATION_PERMANENT)
		hook_setenv(e, "NFLOGMON_TIMEOUT=permanent");
	else
		hook_setenv(e, "NFLOGMON_TIMEOUT=%" PRId64,
		    (int64_t)(timeout_us / US_PER_S));
	if (b->expires_us == DURATION_PERMANENT)
		hook_setenv(e, "NFLOGMON_EXPIRES=never");
	else
		hook_setenv(e, "NFLOGMON_EXPIRES=%" PRId64,
		    (int64_t)(b->expires_us / US_PER_S));
	hook_setenv(e, "NFLOGMON_REASON=%s", b->reason);
	e->envp[e->n] = NULL;
}

static struct hook_child *
hook_free_slot(void)
{
	int i;

	for (i = 0; i < HOOK_MAX_RUNNING; i++)
		if (children[i].pid <= 0)
			return &children[i];
	return NULL;
}

/*
 * Starts the hook: own process group (so a kill reaches its children), no
 * blocked signals (the daemon blocks them for its signalfd), default
 * dispositions, stdin from /dev/null.  0, or an errno value when any step
 * fails (nothing started then).
 */
static int
hook_spawn(const char *hook, char *const argv[], char *const envp[],
    pid_t *pid)
{
	posix_spawnattr_t attr;
	posix_spawn_file_actions_t fa;
	sigset_t none, dfl;
	int error;

	sigemptyset(&none);
	sigfillset(&dfl);
	if ((error = posix_spawnattr_init(&attr)) != 0)
		return error;
	if ((error = posix_spawn_file_actions_init(&fa)) != 0) {
		posix_spawnattr_destroy(&attr);
		return error;
	}
	if ((error = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP |
	    POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)) == 0 &&
	    (error = posix_spawnattr_setpgroup(&attr, 0)) == 0 &&
	    (error = posix_spawnattr_setsigmask(&attr, &none)) == 0 &&
	    (error = posix_spawnattr_setsigdefault(&attr, &dfl)) == 0 &&
	    (error = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO,
	    "/dev/null", O_RDONLY, 0)) == 0)
		error = posix_spawn(pid, hook, &fa, &attr, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	return error;
}

void
hook_run(struct daemon *d, const char *event, const struct block *b,
    int64_t timeout_us, const struct verdict *v)
{
	const char *hook = d->conf->hook;
	char source[KEY_STRLEN], count[16];
	char *argv[6];
	struct hook_env env;
	struct hook_child *c;
	pid_t pid;
	int error;

	if (hook[0] == '\0')
		return;
	key_format(&b->key, source, sizeof(source));
	if ((c = hook_free_slot()) == NULL) {
		d->hook_skipped++;
		d->hook_failures++;
		log_warnx("hook %s %s not run: %d hooks still running",
		    event, source, HOOK_MAX_RUNNING);
		return;
	}
	snprintf(count, sizeof(count), "%" PRIu32, b->connections);
	argv[0] = (char *)(uintptr_t)hook;
	argv[1] = (char *)(uintptr_t)event;
	argv[2] = source;
	argv[3] = (char *)(uintptr_t)rule_name(b->rule);
	argv[4] = count;
	argv[5] = NULL;
	hook_env_build(&env, event, source, b, timeout_us, v);

	error = hook_spawn(hook, argv, env.envp, &pid);
	d->hook_runs++;
	if (error != 0) {
		d->hook_failures++;
		errno = error;
		log_warn("hook %s %s: cannot run %s", event, source, hook);
		return;
	}
	c->pid = pid;
	c->killed = false;
	c->deadline_us = clock_add_sat(clock_mono_us(),
	    d->conf->hook_timeout_us);
	snprintf(c->what, sizeof(c->what), "%s %s", event, source);
	log_debug("hook %s: pid %ld", c->what, (long)pid);
}

/* Logs how a child ended; anything but exit 0 is a failure. */
static void
hook_ended(struct daemon *d, struct hook_child *c, int status)
{
	if (c->killed) {
		d->hook_failures++;
		log_warnx("hook %s: killed after hook_timeout %" PRId64 "s",
		    c->what, (int64_t)(d->conf->hook_timeout_us / US_PER_S));
	} else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
		d->hook_failures++;
		log_warnx("hook %s: exited with status %d", c->what,
		    WEXITSTATUS(status));
	} else if (WIFSIGNALED(status)) {
		d->hook_failures++;
		log_warnx("hook %s: killed by signal %d", c->what,
		    WTERMSIG(status));
	}
	c->pid = 0;
}

void
hook_reap(struct daemon *d)
{
	int i, status;
	pid_t r;

	for (i = 0; i < HOOK_MAX_RUNNING; i++) {
		if (children[i].pid <= 0)
			continue;
		r = waitpid(children[i].pid, &status, WNOHANG);
		if (r == children[i].pid)
			hook_ended(d, &children[i], status);
		else if (r == -1 && errno == ECHILD)
			children[i].pid = 0;	/* reaped elsewhere */
	}
}

void
hook_tick(struct daemon *d, int64_t now_mono_us)
{
	int i;

	(void)d;
	for (i = 0; i < HOOK_MAX_RUNNING; i++) {
		struct hook_child *c = &children[i];

		if (c->pid <= 0 || c->killed || now_mono_us < c->deadline_us)
			continue;
		/* The group first, then the pid in case it left its group. */
		(void)kill(-c->pid, SIGKILL);
		(void)kill(c->pid, SIGKILL);
		c->killed = true;
	}
}

int
hook_running(void)
{
	int i, n = 0;

	for (i = 0; i < HOOK_MAX_RUNNING; i++)
		if (children[i].pid > 0)
			n++;
	return n;
}
