/*
 * replay.c: `nflogmon replay`, the engine run over pcap files (or, with
 * --maillog, over mail logs: input_maillog.c merges those itself).
 *
 * Every record of every file (input_pcap.c) goes, in timestamp order,
 * through the same decoder, classifier and engine as live capture; the
 * packet timestamp (Unix time in
 * microseconds) is the engine clock, so verdict times are wall clock as
 * they are.  Replay never touches the kernel, a socket or a user database
 * (beyond what conf_load needs to resolve names); the engine itself
 * simulates the kernel set by its judgements.
 *
 * Bad input is refused before anything is printed: a file that cannot be
 * opened, is not pcap/pcapng, or has a link type the decoder does not know
 * gives one line "nflogmon: FILE: reason" and exit 1.  A read error in the
 * middle (a truncated last record) is reported the same way, but what was
 * read is still replayed and printed, and the exit status is 1.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nflogmon.h"

#define REPLAY_TOP	20

/*
 * The verdicts so far.  A verdict is rare (once per offender per timeout),
 * so appending to an array that doubles is acceptable in the packet path;
 * the decode and the engine themselves allocate nothing.
 */
struct verdicts {
	struct verdict	*v;
	size_t		 n, max;
};

static int
replay_usage(void)
{
	fprintf(stderr,
	    "usage: nflogmon replay [-c FILE] [--json] [--maillog] "
	    "FILE...\n");
	return EXIT_USAGE;
}

static int
verdicts_add(struct verdicts *vs, const struct verdict *v)
{
	if (vs->n == vs->max) {
		size_t nmax = vs->max ? vs->max * 2 : 64;
		struct verdict *nv;

		if ((nv = reallocarray(vs->v, nmax, sizeof(*nv))) == NULL)
			return -1;
		vs->v = nv;
		vs->max = nmax;
	}
	vs->v[vs->n++] = *v;
	return 0;
}

/*
 * Replay's sink: the engine clock and a batch of events.  The clock never
 * goes back: an event older than the one before (a file out of order) is
 * fed at the latest time seen.  Events are fed ENGINE_BATCH at a time,
 * which is the same as one by one, only faster.
 */
struct replay_sink {
	struct engine	*e;
	struct verdicts	*vs;
	struct event	 ev[ENGINE_BATCH];
	size_t		 n;
	int64_t		 now_us;
	bool		 oom;
};

static void
replay_flush(struct replay_sink *rs)
{
	struct verdict v[ENGINE_BATCH];
	size_t nv, j;

	nv = engine_feed_batch(rs->e, rs->ev, rs->n, v);
	rs->n = 0;
	for (j = 0; j < nv; j++)
		if (verdicts_add(rs->vs, &v[j]) != 0)
			rs->oom = true;
}

static void
replay_put(void *arg, const struct event *ev, size_t n)
{
	struct replay_sink *rs = arg;
	size_t i;

	for (i = 0; i < n; i++) {
		rs->ev[rs->n] = ev[i];
		if (ev[i].t_us > rs->now_us)
			rs->now_us = ev[i].t_us;
		rs->ev[rs->n].t_us = rs->now_us;
		if (++rs->n == ENGINE_BATCH)
			replay_flush(rs);
	}
}

/*
 * Feeds every record of every input, merged in timestamp order (ties: the
 * earliest file on the command line; a record whose time is impossible
 * first).  Returns -1 on a read error (reported, the rest still fed) or
 * -2 when out of memory; *last_us is the engine time at the end.
 */
static int
replay_feed(struct engine *e, struct input **in, int n, bool maillog,
    struct verdicts *vs, int64_t *last_us)
{
	struct replay_sink rs = { .e = e, .vs = vs, .now_us = INT64_MIN };
	struct event_sink sink = { replay_put, &rs, NULL };
	int64_t t, best_t;
	int i, best, rc = 0;

	if (maillog) {		/* one input: it merges its files itself */
		while (in[0]->ops->read(in[0], &sink) != -1)
			;
		replay_flush(&rs);
		*last_us = rs.now_us == INT64_MIN ? 0 : rs.now_us;
		if (rs.oom)
			return -2;
		return input_maillog_failed(in[0]) ? -1 : 0;
	}
	while (n == 1 && in[0]->ops->read(in[0], &sink) != -1)
		;		/* one file: nothing to merge */
	while (n > 1) {
		best = -1;
		best_t = INT64_MAX;
		for (i = 0; i < n; i++)
			if ((t = input_pcap_next_us(in[i])) < best_t ||
			    (best == -1 && t != INT64_MAX)) {
				best = i;
				best_t = t;
			}
		if (best == -1 || best_t == INT64_MAX)
			break;
		(void)in[best]->ops->read(in[best], &sink);
	}
	replay_flush(&rs);
	for (i = 0; i < n; i++)
		if (input_pcap_failed(in[i]))
			rc = -1;
	*last_us = rs.now_us == INT64_MIN ? 0 : rs.now_us;
	return rs.oom ? -2 : rc;
}

static int
replay_print_json(const struct input_stats *is, const struct engine_stats *st,
    const struct verdicts *vs, const struct engine_talker *top, size_t ntop,
    const struct conf *conf)
{
	json_t *o, *arr, *tarr;
	size_t i;
	int rc = 0;

	if ((o = json_object()) == NULL)
		return -1;
	if (report_stats_json(o, is, st) != 0)
		rc = -1;
	if ((arr = json_array()) == NULL ||
	    json_object_set_new(o, "verdicts", arr) != 0)
		rc = -1;
	for (i = 0; rc == 0 && i < vs->n; i++)
		if (json_array_append_new(arr,
		    report_verdict_json(&vs->v[i], 0)) != 0)
			rc = -1;
	/* An addition to DESIGN.md's object: the top talkers by peak. */
	if (rc == 0 && ((tarr = json_array()) == NULL ||
	    json_object_set_new(o, "top", tarr) != 0))
		rc = -1;
	for (i = 0; rc == 0 && i < ntop; i++)
		if (json_array_append_new(tarr,
		    report_talker_json(&top[i], conf)) != 0)
			rc = -1;
	if (rc == 0)
		rc = report_json_print(o, stdout);
	json_decref(o);
	return rc;
}

static void
replay_print_human(const struct input_stats *is,
    const struct engine_stats *st, const struct verdicts *vs,
    const struct engine_talker *top, size_t ntop, const struct conf *conf)
{
	report_stats_print(is, st, stdout);
	fputc('\n', stdout);
	report_verdicts_print(vs->v, vs->n, 0, stdout);
	fputc('\n', stdout);
	report_talkers_print(top, ntop, conf, stdout);
}

/* The engine's hash key: fixed, so a replay is reproducible.  The input is
 * the operator's own capture, not an attacker's choice of timing. */
static const uint8_t replay_hashkey[16] = {
	0x6e, 0x66, 0x6c, 0x6f, 0x67, 0x6d, 0x6f, 0x6e,
	0x2d, 0x72, 0x65, 0x70, 0x6c, 0x61, 0x79, 0x21,
};

static int
replay_run(const struct conf *conf, struct input **in, int n, bool maillog,
    bool json)
{
	struct engine *e;
	struct engine_stats st;
	struct input_stats is, one;
	struct engine_talker top[REPLAY_TOP];
	struct verdicts vs = { NULL, 0, 0 };
	int64_t last_us = 0;
	size_t ntop;
	int rc, status = EXIT_OK;

	if ((e = engine_new(conf, replay_hashkey)) == NULL) {
		fprintf(stderr, "nflogmon: replay: cannot create the engine\n");
		return EXIT_ERR;
	}
	rc = replay_feed(e, in, n, maillog, &vs, &last_us);
	if (rc == -2) {
		fprintf(stderr, "nflogmon: replay: out of memory\n");
		free(vs.v);
		engine_free(e);
		return EXIT_ERR;
	}
	if (rc != 0)
		status = EXIT_ERR;
	memset(&st, 0, sizeof(st));
	engine_stats(e, &st);
	memset(&is, 0, sizeof(is));
	is.unit = maillog ? "lines" : "packets";
	is.kind = maillog ? INPUT_MAILLOG : INPUT_FORWARD;
	for (int i = 0; i < n; i++) {	/* the files' records together */
		in[i]->ops->stats(in[i], &one);
		is.records += one.records;
		is.events += one.events;
		is.ignored += one.ignored;
		is.malformed += one.malformed;
	}
	memset(top, 0, sizeof(top));
	ntop = engine_top(e, top, REPLAY_TOP, true, last_us);
	if (json) {
		if (replay_print_json(&is, &st, &vs, top, ntop, conf) != 0) {
			fprintf(stderr, "nflogmon: replay: cannot write JSON\n");
			status = EXIT_ERR;
		}
	} else
		replay_print_human(&is, &st, &vs, top, ntop, conf);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "nflogmon: replay: stdout: %s\n",
		    strerror(errno));
		status = EXIT_ERR;
	}
	free(vs.v);
	engine_free(e);
	return status;
}

int
cmd_replay(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json",	no_argument,		NULL, 'j' },
		{ "maillog",	no_argument,		NULL, 'm' },
		{ "config",	required_argument,	NULL, 'c' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 },
	};
	const char *cpath = NULL;
	struct conf *conf;
	struct input **in;
	bool json = false, maillog = false;
	int ch, i, n, status;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+c:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			cpath = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'm':
			maillog = true;
			break;
		case 'h':
			fprintf(stdout, "usage: nflogmon replay [-c FILE] "
			    "[--json] [--maillog] FILE...\n");
			return EXIT_OK;
		default:
			if (optopt == 'c')
				fprintf(stderr, "nflogmon: replay: -c needs a "
				    "FILE\n");
			else
				fprintf(stderr, "nflogmon: replay: unknown "
				    "option '%s'\n", argv[optind - 1]);
			return replay_usage();
		}
	}
	if ((n = argc - optind) == 0) {
		fprintf(stderr, "nflogmon: replay: no capture file given\n");
		return replay_usage();
	}
	if ((conf = conf_load(cpath, stderr)) == NULL)
		return EXIT_ERR;
	if ((in = calloc((size_t)n, sizeof(*in))) == NULL) {
		fprintf(stderr, "nflogmon: replay: out of memory\n");
		conf_free(conf);
		return EXIT_ERR;
	}
	status = EXIT_OK;
	if (maillog) {		/* Postfix or Exim logs, plain or gzip */
		if ((in[0] = input_maillog_replay(argv + optind, n, conf)) ==
		    NULL)
			status = EXIT_ERR;
		else
			status = replay_run(conf, in, 1, true, json);
		n = 1;
	}
	for (i = 0; i < n && status == EXIT_OK && !maillog; i++)
		if ((in[i] = input_pcap_open(argv[optind + i], conf)) == NULL)
			status = EXIT_ERR;
	if (status == EXIT_OK && !maillog)
		status = replay_run(conf, in, n, false, json);
	for (i = 0; i < n; i++)
		if (in[i] != NULL)
			in[i]->ops->close(in[i]);
	free(in);
	conf_free(conf);
	return status;
}
