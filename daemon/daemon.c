/*
 * daemon.c: `nflogmon run`.  Brings the daemon up in a fixed order (config,
 * log, backend, engine, NFLOG sockets, control socket, privilege drop,
 * state, detach, loop), and owns the only two ways a block starts or ends:
 * daemon_block and daemon_unblock, so the kernel set, the block records,
 * the state file, the hook and the log always tell the same story.
 *
 * The verdict path: nflog.c -> engine_feed -> daemon_verdict ->
 * block_start -> backend, blocks_put, hook, one log line.
 *
 * Never blocks on anything but the kernel's answers: hooks run in the
 * background, the loop serves every fd.  Places where the ops helper's
 * modules plug in are marked "OPS:".
 */
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/close_range.h>
#include <systemd/sd-daemon.h>

#include "daemon.h"

/* The ipset kernel limit on a timeout: 2,147,483 s.  A longer (or
 * permanent) block is added without a kernel timeout and the daemon
 * removes it when it ends. */
#define KERNEL_TIMEOUT_MAX_US	(2147483LL * US_PER_S)
#define EXPIRE_TICK_US		(200 * 1000)
#define HOOK_TICK_US		(200 * 1000)
#define CTL_TICK_US		(1000 * 1000)		/* control idle timeouts */
#define METRICS_TICK_US		(5 * 1000 * 1000)
#define STATE_TICK_US		(60 * 1000 * 1000)	/* attempts batch */

static struct daemon	the_daemon;
static int		signal_fd = -1;
static struct ctl	*the_ctl;

/* ------------------------------------------------------- formatting */

/* "2026-11-23 21:33:22" local time, or "never". */
static char *
fmt_wall(int64_t wall_us, char *buf, size_t len)
{
	time_t t;
	struct tm tm;

	if (wall_us == DURATION_PERMANENT) {
		snprintf(buf, len, "never");
		return buf;
	}
	t = (time_t)(wall_us / US_PER_S);
	if (localtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)t);
	return buf;
}

/* "block", "throttle 5/1m", "dry run (nothing blocked)" */
static char *
fmt_action(const struct block *b, char *buf, size_t len)
{
	char rate[32];

	switch (b->action) {
	case ACT_THROTTLE:
		snprintf(buf, len, "throttle %s",
		    fmt_rate(&b->throttle_rate, rate, sizeof(rate)));
		break;
	case ACT_DRY_RUN:
		snprintf(buf, len, "dry run (nothing blocked)");
		break;
	default:
		snprintf(buf, len, "block");
		break;
	}
	return buf;
}

/* ------------------------------------------------------ blocks */

static int64_t
kernel_timeout_us(int64_t timeout_us)
{
	if (timeout_us == DURATION_PERMANENT ||
	    timeout_us > KERNEL_TIMEOUT_MAX_US)
		return DURATION_PERMANENT;
	return timeout_us;
}

/* status shows "ok" for the last operation, so a failure that the next
 * operation does not repeat (a set briefly full, a transient netlink
 * error) does not leave the backend reported broken forever. */
void
daemon_backend_result(struct daemon *d, const char *err)
{
	if (err == NULL) {
		d->backend_ok = true;
		d->backend_error[0] = '\0';
		return;
	}
	d->backend_ok = false;
	d->backend_errors++;
	snprintf(d->backend_error, sizeof(d->backend_error), "%s", err);
}

/* One line carrying every fact of a block that starts. */
static void
block_log(struct daemon *d, const struct block *b, int64_t timeout_us,
    const struct verdict *v)
{
	char src[KEY_STRLEN], act[64], tmo[32], until[32], dst[48] = "";
	char unenf[64] = "";

	key_format(&b->key, src, sizeof(src));
	if (!b->enforced && b->action != ACT_DRY_RUN)
		snprintf(unenf, sizeof(unenf), ", not enforced (backend %s)",
		    d->backend.ops != NULL ? d->backend.ops->name : "down");
	if (v != NULL)
		snprintf(dst, sizeof(dst), ", %" PRIu32 " destinations",
		    v->destinations);
	log_info("%s %s: rule %s, %" PRIu32 " connections%s, strike %d, "
	    "timeout %s, until %s%s%s%s", fmt_action(b, act, sizeof(act)), src,
	    rule_name(b->rule), b->connections, dst, b->strikes,
	    fmt_duration(timeout_us, tmo, sizeof(tmo)),
	    fmt_wall(b->expires_us, until, sizeof(until)),
	    unenf, b->reason[0] ? ", reason: " : "", b->reason);
}

/*
 * Starts or refreshes a block.  v: the verdict behind it (NULL for a
 * manual or restored block, which also puts the source under the engine's
 * judgement; a verdict's source is already judged by the engine).  A
 * backend failure fails a manual block outright; a verdict's block is
 * still recorded, unenforced, so status shows what was decided.
 */
static int
block_start(struct daemon *d, const struct block *b, int64_t timeout_us,
    const struct verdict *v, char *err, size_t errlen)
{
	const struct backend_ops *ops = d->backend.ops;
	struct block rec = *b;
	char src[KEY_STRLEN];
	int64_t now_mono, until_mono;
	int rc = 0;

	key_format(&rec.key, src, sizeof(src));
	rec.enforced = false;
	if (rec.action != ACT_DRY_RUN && ops != NULL &&
	    ops->enforces(&d->backend, &rec.key)) {
		if (ops->block(&d->backend, &rec.key,
		    kernel_timeout_us(timeout_us),
		    rec.action == ACT_THROTTLE ? RESP_THROTTLE : RESP_BLOCK,
		    &rec.throttle_rate, err, errlen) == -1) {
			daemon_backend_result(d, err);
			log_warnx("cannot block %s: %s", src, err);
			if (v == NULL)
				return -1;
			rc = -1;
		} else {
			daemon_backend_result(d, NULL);
			rec.enforced = true;
			/* make bench measures block latency from this line:
			 * the add returned, so the element is in the set. */
			if (v != NULL)
				log_debug("trace: %s in the set at %" PRId64
				    " us, its event read at %" PRId64 " us "
				    "(monotonic)", src, clock_mono_us(),
				    v->at_us);
		}
	}
	if (v == NULL) {
		now_mono = clock_mono_us();
		until_mono = rec.expires_us == DURATION_PERMANENT ?
		    DURATION_PERMANENT :
		    now_mono + (rec.expires_us - clock_wall_us());
		if (engine_judge(d->engine, &rec.key, until_mono,
		    engine_attempts(d->engine, &rec.key)) == -1)
			log_warnx("%s: source table full, the block is not "
			    "counted by the engine", src);
	}
	if (blocks_put(d->blocks, &rec) == -1) {
		snprintf(err, errlen, "out of memory recording the block of "
		    "%s", src);
		log_warnx("%s", err);
		return -1;
	}
	/* The block (and its strike) reaches the state file before
	 * daemon_block returns (DESIGN.md "State"). */
	state_save(d);
	if (rec.action != ACT_DRY_RUN)
		hook_run(d, rec.action == ACT_THROTTLE ? "throttle" : "block",
		    &rec, timeout_us, v);
	block_log(d, &rec, timeout_us, v);
	if (rec.rule <= RULE_MANUAL)
		d->blocks_by_rule[rec.rule]++;
	return rc;
}

int
daemon_block(struct daemon *d, const struct block *b, int64_t timeout_us,
    char *err, size_t errlen)
{
	return block_start(d, b, timeout_us, NULL, err, errlen);
}

/*
 * Ends a block.  A backend failure keeps the record (the kernel still
 * blocks) and fails, unless force (expiry: the kernel's own timeout, if
 * any, clears the entry; the record must not outlive its expiry).
 */
static int
block_end(struct daemon *d, const struct key *k, const char *why, bool force,
    char *err, size_t errlen)
{
	const struct backend_ops *ops = d->backend.ops;
	struct block *b, rec;
	char src[KEY_STRLEN], since[32];
	int64_t timeout_us;
	uint32_t attempts;

	key_format(k, src, sizeof(src));
	if ((b = blocks_find(d->blocks, k)) == NULL) {
		snprintf(err, errlen, "%s is not blocked", src);
		return -1;
	}
	rec = *b;
	if (rec.enforced && ops != NULL) {
		if (ops->unblock(&d->backend, k, err, errlen) == -1) {
			daemon_backend_result(d, err);
			if (!force) {
				log_warnx("cannot unblock %s: %s", src, err);
				return -1;
			}
			log_warnx("block of %s expired but the kernel refused "
			    "to remove it: %s", src, err);
		} else
			daemon_backend_result(d, NULL);
	}
	attempts = engine_attempts(d->engine, k);
	engine_release(d->engine, k);
	blocks_remove(d->blocks, k);
	state_save(d);
	timeout_us = rec.expires_us == DURATION_PERMANENT ?
	    DURATION_PERMANENT : rec.expires_us - rec.since_us;
	if (rec.action != ACT_DRY_RUN)
		hook_run(d, "unblock", &rec, timeout_us, NULL);
	log_info("unblock %s: %s (rule %s, %" PRIu32 " connections, %"
	    PRIu32 " attempts while blocked, since %s)", src, why,
	    rule_name(rec.rule), rec.connections, attempts,
	    fmt_wall(rec.since_us, since, sizeof(since)));
	return 0;
}

int
daemon_unblock(struct daemon *d, const struct key *k, const char *why,
    char *err, size_t errlen)
{
	return block_end(d, k, why, false, err, errlen);
}

/* Every 200 ms: ends the blocks whose time is up, so the kernel set and
 * status agree within a second. */
static void
daemon_expire(struct daemon *d, int64_t now_mono_us)
{
	int64_t now = clock_wall_us();
	char err[256];
	struct key k;
	size_t i = 0;

	(void)now_mono_us;
	if (blocks_next_expiry(d->blocks) > now)
		return;
	while (i < blocks_count(d->blocks)) {
		struct block *b = blocks_at(d->blocks, i);

		if (b->expires_us > now) {
			i++;
			continue;
		}
		k = b->key;	/* the record moves on removal */
		if (block_end(d, &k, "expired", true, err, sizeof(err)) == -1)
			i++;
	}
}

void
daemon_verdict(struct daemon *d, const struct verdict *v)
{
	char src[KEY_STRLEN], err[256];
	struct block b;

	switch (v->action) {
	case ACT_BLOCK:
	case ACT_THROTTLE:
	case ACT_DRY_RUN:
		memset(&b, 0, sizeof(b));
		b.key = v->key;
		b.rule = v->rule;
		b.action = v->action;
		b.connections = v->connections;
		b.destinations = v->destinations;
		b.since_us = daemon_mono_to_wall(d, v->at_us);
		b.expires_us = clock_add_sat(b.since_us, v->timeout_us);
		b.strikes = v->strike;
		b.throttle_rate = v->throttle_rate;
		(void)block_start(d, &b, v->timeout_us, v, err, sizeof(err));
		break;
	case ACT_ALLOWED:
		log_info("allowed %s: rule %s, %" PRIu32 " connections, %"
		    PRIu32 " destinations (allowlisted, not blocked)",
		    key_format(&v->key, src, sizeof(src)), rule_name(v->rule),
		    v->connections, v->destinations);
		break;
	case ACT_BREAKER:
		d->breaker_trips++;
		log_warnx("breaker %s: rule %s, %" PRIu32 " connections, %"
		    PRIu32 " destinations; not blocked: max_new_blocks "
		    "reached", key_format(&v->key, src, sizeof(src)),
		    rule_name(v->rule), v->connections, v->destinations);
		break;
	}
}

/* ------------------------------------------------------ reload */

/* Logs conf_load's error text line by line. */
static void
log_lines(char *text)
{
	char *line, *save = NULL;

	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		log_warnx("%s", line);
}

/* Settings that only a restart applies: say so on reload. */
static void
reload_restart_notes(const struct conf *o, const struct conf *n)
{
	if (o->backend != n->backend || o->create_sets != n->create_sets ||
	    strcmp(o->ipset_name, n->ipset_name) != 0 ||
	    o->ipset_maxelem != n->ipset_maxelem ||
	    strcmp(o->nft_family, n->nft_family) != 0 ||
	    strcmp(o->nft_table, n->nft_table) != 0)
		log_warnx("reload: backend settings changed; they apply "
		    "after a restart");
	if (o->forward_group != n->forward_group ||
	    o->output_group != n->output_group)
		log_warnx("reload: NFLOG groups changed; they apply after a "
		    "restart");
	if (strcmp(o->maillog, n->maillog) != 0)
		log_warnx("reload: [mta] maillog changed; it applies after a "
		    "restart");
	if (strcmp(o->control_socket, n->control_socket) != 0 ||
	    strcmp(o->socket_group, n->socket_group) != 0 ||
	    strcmp(o->user, n->user) != 0 ||
	    strcmp(o->state_file, n->state_file) != 0)
		log_warnx("reload: [daemon] settings changed; they apply "
		    "after a restart");
}

/* SIGHUP: a valid file applies at once, an invalid one changes nothing. */
static void
daemon_reload(struct daemon *d)
{
	const char *path = d->conf_path ? d->conf_path : NFLOGMON_CONF;
	struct conf *nc, *old;
	char *text = NULL;
	size_t len = 0;
	FILE *errs;

	log_info("reload: reading %s", path);
	errs = open_memstream(&text, &len);
	nc = conf_load(d->conf_path, errs != NULL ? errs : stderr);
	if (errs != NULL) {
		fclose(errs);
		if (text != NULL)
			log_lines(text);
		free(text);
	}
	if (nc == NULL) {
		log_warnx("reload: %s has errors; the running configuration "
		    "stays", path);
		return;
	}
	if (engine_reconf(d->engine, nc) == -1) {
		log_warnx("reload: the engine cannot apply %s (out of "
		    "memory?); the running configuration stays", path);
		conf_free(nc);
		return;
	}
	reload_restart_notes(d->conf, nc);
	/* The state file stays where priv_drop prepared it: a new path
	 * applies after a restart, as the note above says, and until then
	 * every block must still reach a file the next start reads. */
	memcpy(nc->state_file, d->conf->state_file, sizeof(nc->state_file));
	old = d->conf;
	d->conf = nc;
	inputs_reconf(d, nc);
	if (old != d->backend_conf)
		conf_free(old);
	/* OPS: metrics_file / socket_group changes hook in here. */
	log_info("reload: %s applied%s", path,
	    nc->defaults ? " (built-in defaults)" : "");
}

/* ------------------------------------------------------ signals */

static void
signal_term(struct daemon *d, int sig)
{
	(void)d;
	log_info("%s: shutting down", strsignal(sig));
	loop_stop();
}

static void
signal_hup(struct daemon *d, int sig)
{
	(void)sig;
	daemon_reload(d);
}

static void
signal_chld(struct daemon *d, int sig)
{
	(void)sig;
	hook_reap(d);
}

static const struct {
	int	 sig;
	void	(*fn)(struct daemon *, int);
} signal_table[] = {
	{ SIGTERM,	signal_term },
	{ SIGINT,	signal_term },
	{ SIGHUP,	signal_hup },
	{ SIGCHLD,	signal_chld },
};

static void
signal_read(int fd, short revents, void *arg)
{
	struct signalfd_siginfo si;
	size_t i;

	(void)revents;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		for (i = 0; i < sizeof(signal_table) /
		    sizeof(signal_table[0]); i++)
			if ((int)si.ssi_signo == signal_table[i].sig)
				signal_table[i].fn(arg, (int)si.ssi_signo);
}

/* The signals of the table arrive through a signalfd in the loop; no
 * asynchronous handler runs. */
static int
signals_open(struct daemon *d)
{
	sigset_t set;
	size_t i;

	sigemptyset(&set);
	for (i = 0; i < sizeof(signal_table) / sizeof(signal_table[0]); i++)
		sigaddset(&set, signal_table[i].sig);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1)
		return -1;
	signal(SIGPIPE, SIG_IGN);	/* a client that hangs up */
	signal_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (signal_fd == -1)
		return -1;
	return loop_add(signal_fd, POLLIN, signal_read, d);
}

/* ------------------------------------------------------ start and stop */

/* Without -f: fork, the parent exits 0, the child leaves the terminal.
 * Called after every start-up error had its chance to reach stderr. */
static void
daemon_detach(void)
{
	pid_t pid;
	int fd;

	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid != 0)
		_exit(EXIT_OK);
	if (setsid() == -1)
		fatal("setsid");
	if (chdir("/") == -1)
		fatal("chdir /");
	if ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) != -1) {
		(void)dup2(fd, STDIN_FILENO);
		(void)dup2(fd, STDOUT_FILENO);
		(void)dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
}

static int
run_usage(void)
{
	fprintf(stderr, "usage: nflogmon run [-c FILE] [-f] [-d]\n"
	    "  -c FILE  config file (default " NFLOGMON_CONF ")\n"
	    "  -f       stay in the foreground, log to stderr (systemd)\n"
	    "  -d       debug: log every decision and setting change\n");
	return EXIT_USAGE;
}

static int
run_backend_init(struct daemon *d)
{
	char err[512] = "";

	d->backend.ops = backend_ops_for(d->conf->backend);
	d->backend.conf = d->conf;
	d->backend.priv = NULL;
	d->backend_conf = d->conf;
	if (d->backend.ops == NULL) {
		log_warnx("no backend for this configuration");
		return -1;
	}
	if (d->backend.ops->init(&d->backend, d->conf, &d->sets_created,
	    err, sizeof(err)) == -1) {
		log_warnx("cannot start the %s backend: %s", d->backend.ops->name,
		    err);
		d->backend.ops = NULL;
		return -1;
	}
	daemon_backend_result(d, NULL);
	return 0;
}

/* The capture's health at exit, one line per group. */
static void
run_report(const struct daemon *d)
{
	struct input_stats st;
	int i;

	for (i = 0; i < d->ninputs; i++) {
		inputs_stats(d, i, &st);
		if (st.group < 0)
			continue;
		log_info("NFLOG group %d: %" PRIu64 " messages, %" PRIu64
		    " known lost in %" PRIu64 " gaps, %" PRIu64
		    " buffer overflows", st.group, st.records, st.dropped,
		    st.seq_gaps, st.enobufs);
	}
}

static void
run_cleanup(struct daemon *d)
{
	inputs_close(d);
	if (the_ctl != NULL) {
		loop_del(ctl_fd(the_ctl));
		ctl_close(the_ctl);
		the_ctl = NULL;
	}
	if (signal_fd != -1) {
		loop_del(signal_fd);
		close(signal_fd);
		signal_fd = -1;
	}
	/* fini without flushing: the blocks must survive a restart. */
	if (d->backend.ops != NULL)
		d->backend.ops->fini(&d->backend);
	engine_free(d->engine);
	blocks_free(d->blocks);
	if (d->backend_conf != d->conf)
		conf_free(d->backend_conf);
	conf_free(d->conf);
	memset(d, 0, sizeof(*d));
}

/* ------------------------------------------------------ ops ticks */

static void
ctl_ready(int fd, short revents, void *arg)
{
	(void)fd;
	(void)revents;
	ctl_dispatch(arg);
}

static void
ctl_idle(struct daemon *d, int64_t now_mono_us)
{
	(void)d;
	(void)now_mono_us;
	if (the_ctl != NULL)
		ctl_tick(the_ctl);
}

static void
metrics_tick(struct daemon *d, int64_t now_mono_us)
{
	(void)now_mono_us;
	metrics_write(d);
}

static void
state_tick(struct daemon *d, int64_t now_mono_us)
{
	(void)now_mono_us;
	state_save(d);
}

/* Everything up to the loop; on error: one line on stderr, EXIT_ERR. */
static int
run_start(struct daemon *d)
{
	struct state st;
	char err[512];

	d->start_mono_us = clock_mono_us();
	d->start_wall_us = clock_wall_us();
	/* First: a second instance must not touch the sets or the NFLOG
	 * groups of the running one. */
	if ((the_ctl = ctl_open(d, err, sizeof(err))) == NULL) {
		log_warnx("%s", err);
		return -1;
	}
	if (loop_add(ctl_fd(the_ctl), POLLIN, ctl_ready, the_ctl) == -1) {
		log_warnx("no loop slot for the control socket");
		return -1;
	}
	if (run_backend_init(d) == -1)
		return -1;
	/* The state before the engine: window counters saved by a clean
	 * shutdown come with the hash key their fanout slots were counted
	 * under, and the engine must be made with that key. */
	state_load(d, &st);
	if (st.has_hashkey)
		memcpy(d->hashkey, st.hashkey, sizeof(d->hashkey));
	else if (getrandom(d->hashkey, sizeof(d->hashkey), 0) !=
	    (ssize_t)sizeof(d->hashkey)) {
		log_warn("getrandom");
		goto fail;
	}
	if ((d->engine = engine_new(d->conf, d->hashkey)) == NULL ||
	    (d->blocks = blocks_new()) == NULL) {
		log_warnx("out of memory (max_sources %" PRIu32 ")",
		    d->conf->max_sources);
		goto fail;
	}
	if (signals_open(d) == -1) {
		log_warn("signals");
		goto fail;
	}
	if (inputs_open(d, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		goto fail;
	}
	priv_drop(d->conf);
	state_restore(d, &st, d->sets_created);
	if (loop_every(EXPIRE_TICK_US, daemon_expire) == -1 ||
	    loop_every(HOOK_TICK_US, hook_tick) == -1) {
		log_warnx("no timer slot");
		return -1;
	}
	if (loop_every(CTL_TICK_US, ctl_idle) == -1 ||
	    loop_every(METRICS_TICK_US, metrics_tick) == -1 ||
	    loop_every(STATE_TICK_US, state_tick) == -1) {
		log_warnx("no timer slot");
		return -1;
	}
	metrics_write(d);
	return 0;
fail:
	state_free(&st);
	return -1;
}

int
cmd_run(int argc, char **argv)
{
	struct daemon *d = &the_daemon;
	const char *path = NULL;
	int ch;

	memset(d, 0, sizeof(*d));
	/* Whatever fds we inherited must not reach the hooks either. */
	(void)syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
	optind = 1;
	while ((ch = getopt(argc, argv, "c:fdh")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'f':
			d->foreground = true;
			break;
		case 'd':
			d->debug = true;
			break;
		default:
			return run_usage();
		}
	}
	if (optind != argc)
		return run_usage();

	/* Until detached, every message goes to stderr. */
	log_init("nflogmon", true, d->debug);
	if ((d->conf = conf_load(path, stderr)) == NULL)
		return EXIT_ERR;
	d->conf_path = path != NULL ? strdup(path) : NULL;
	if (path != NULL && d->conf_path == NULL) {
		log_warnx("out of memory");
		conf_free(d->conf);
		return EXIT_ERR;
	}
	if (d->conf->defaults)
		log_info("%s does not exist: the built-in defaults apply",
		    NFLOGMON_CONF);
	if (run_start(d) == -1) {
		free(d->conf_path);
		run_cleanup(d);
		return EXIT_ERR;
	}
	if (!d->foreground) {
		daemon_detach();
		log_init("nflogmon", false, d->debug);
	}
	log_info("nflogmon %s running (backend %s%s)", NFLOGMON_VERSION,
	    d->backend.ops->name, d->conf->dry_run ? ", dry run" : "");
	(void)sd_notify(0, "READY=1");

	loop_run(d);

	(void)sd_notify(0, "STOPPING=1");
	/* The attempts since the last batch, and the window counters. */
	state_save_shutdown(d);
	metrics_write(d);
	run_report(d);
	free(d->conf_path);
	run_cleanup(d);
	log_info("stopped");
	return EXIT_OK;
}
