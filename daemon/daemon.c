/*
 * daemon.c: `nflogmon run`.  Brings the daemon up in a fixed order (config,
 * log, control socket, backend, state store, engine, NFLOG sockets,
 * privilege drop, reconciliation, detach, loop), and takes it down.  Every
 * block starts and ends in act.c.
 *
 * The event path: an input (input_nflog.c, ...) -> inputs.c (the sink)
 * -> engine_feed_batch -> act_verdict -> backend, blocks_put, store, hook,
 * one log line.
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

#define EXPIRE_TICK_US		(200 * 1000)
#define HOOK_TICK_US		(200 * 1000)
#define CTL_TICK_US		(1000 * 1000)		/* control idle timeouts */
#define METRICS_TICK_US		(5 * 1000 * 1000)
#define STATE_TICK_US		(1000 * 1000)	/* attempts, a slice */

static struct daemon	the_daemon;
static int		signal_fd = -1;
static struct ctl	*the_ctl;

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
	 * every block must still reach the store the next start reads. */
	memcpy(nc->state_file, d->conf->state_file, sizeof(nc->state_file));
	old = d->conf;
	d->conf = nc;
	inputs_reconf(d, nc);
	act_fleet_reconf(d);
	act_clients_reconf(d);
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
	/* Also when the file was refused: the ruleset may have changed. */
	ruleset_check_daemon(d);
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
	/* What the fleet has pending goes to the store before it closes. */
	act_fleet_close(d);
	act_clients_close();
	act_behind_close();
	act_fini(d);
	store_close(d->store);
	engine_free(d->engine);
	blocks_free(d->blocks);
	if (d->backend_conf != d->conf)
		conf_free(d->backend_conf);
	conf_free(d->conf);
	ruleset_report_free(&d->capture_check);
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

/* Everything up to the loop; on error: one line on stderr, EXIT_ERR. */
static int
run_start(struct daemon *d)
{
	struct state st;
	struct state_fleet *fleet_rows;
	size_t nfleet;
	char err[512];
	int rc;

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
	if (act_init(d) == -1)
		return -1;
	act_clients_reconf(d);
	/* The state before the engine: window counters saved by a clean
	 * shutdown come with the hash key their fanout slots were counted
	 * under, and the engine must be made with that key. */
	reconcile_load(d, &st);
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
	/* the fleet's rows outlive st: the fleet opens once blocks are back */
	fleet_rows = st.fleet;
	nfleet = st.nfleet;
	st.fleet = NULL;
	st.nfleet = 0;
	reconcile_run(d, &st, d->sets_created);
	rc = act_fleet_open(d, fleet_rows, nfleet);
	free(fleet_rows);
	if (rc == -1)
		return -1;
	ruleset_check_daemon(d);
	(void)store_checkpoints_start(d->store);
	if (loop_every(EXPIRE_TICK_US, act_expire) == -1 ||
	    loop_every(HOOK_TICK_US, hook_tick) == -1) {
		log_warnx("no timer slot");
		return -1;
	}
	if (loop_every(CTL_TICK_US, ctl_idle) == -1 ||
	    loop_every(METRICS_TICK_US, metrics_tick) == -1 ||
	    loop_every(STATE_TICK_US, act_state_tick) == -1 ||
	    loop_every(RESYNC_TICK_US, resync_tick) == -1) {
		log_warnx("no timer slot");
		return -1;
	}
	metrics_write(d);
	capture_start();
	return 0;
fail:
	state_free(&st);
	return -1;
}

int
cmd_run(int argc, char **argv)
{
	struct daemon *d = &the_daemon;
	uint8_t namekey[32];
	const char *path = NULL;
	int ch;

	memset(d, 0, sizeof(*d));
	/* The key of account names' hashes: random, before any is made. */
	if (getrandom(namekey, sizeof(namekey), 0) == (ssize_t)sizeof(namekey))
		names_init(namekey);
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
	reconcile_save_shutdown(d);
	metrics_write(d);
	run_report(d);
	free(d->conf_path);
	run_cleanup(d);
	log_info("stopped");
	return EXIT_OK;
}
