/*
 * replay.c: `nflogmon replay`, the engine run over pcap files.
 *
 * Every record of every file goes, in timestamp order, through the same
 * decoder and engine as live capture; the packet timestamp (Unix time in
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
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>

#include "nflogmon.h"

#define REPLAY_TOP	20
#define REPLAY_IOBUF	(64 * 1024)	/* stdio buffer of a capture */

/*
 * One open capture.  Invariant: while !done, h and data are the file's
 * next record, not yet fed (libpcap keeps them valid until the next
 * pcap_next_ex on this handle).
 */
struct input {
	const char		*path;
	pcap_t			*p;
	int			 link;		/* LINK_* */
	struct pcap_pkthdr	*h;
	const u_char		*data;
	bool			 done;
	char			*iobuf;		/* fp's stdio buffer */
};

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
	    "usage: nflogmon replay [-c FILE] [--json] FILE.pcap...\n");
	return EXIT_USAGE;
}

/* The LINK_* value of an open capture: pcap_datalink gives DLT_ values,
 * which equal the file's LINKTYPE_ values except DLT_RAW (12 on Linux,
 * 14 on OpenBSD) for LINKTYPE_RAW (101). */
static int
replay_link(pcap_t *p)
{
	int dlt = pcap_datalink(p);

	return dlt == DLT_RAW ? LINK_RAW : dlt;
}

/* Opens path into in; prints the one-line reason and returns -1 on error. */
static int
replay_open(struct input *in, const char *path)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct stat st;
	FILE *fp;
	const char *lname;

	memset(in, 0, sizeof(*in));
	in->path = path;
	if ((fp = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "nflogmon: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(fp), &st) == 0 && (S_ISDIR(st.st_mode) ||
	    (S_ISREG(st.st_mode) && st.st_size == 0))) {
		fprintf(stderr, "nflogmon: %s: %s\n", path,
		    S_ISDIR(st.st_mode) ? "is a directory" :
		    "empty file, not a capture");
		fclose(fp);
		return -1;
	}
	/*
	 * libpcap reads a record with two small freads: a large buffer makes
	 * one read(2) serve a thousand records, and since only this thread
	 * ever touches fp, stdio need not lock it on every fread.
	 */
	if ((in->iobuf = malloc(REPLAY_IOBUF)) != NULL &&
	    setvbuf(fp, in->iobuf, _IOFBF, REPLAY_IOBUF) != 0) {
		free(in->iobuf);
		in->iobuf = NULL;
	}
	__fsetlocking(fp, FSETLOCKING_BYCALLER);
	errbuf[0] = '\0';
	/* On success the pcap_t owns fp; on failure we still do. */
	if ((in->p = pcap_fopen_offline(fp, errbuf)) == NULL) {
		fprintf(stderr, "nflogmon: %s: not a pcap or pcapng capture "
		    "(%s)\n", path, errbuf);
		fclose(fp);
		free(in->iobuf);
		in->iobuf = NULL;
		return -1;
	}
	in->link = replay_link(in->p);
	if (!pkt_linktype_supported(in->link)) {
		lname = pcap_datalink_val_to_name(pcap_datalink(in->p));
		fprintf(stderr, "nflogmon: %s: unsupported link type %d (%s)\n",
		    path, pcap_datalink(in->p), lname ? lname : "unknown");
		pcap_close(in->p);
		in->p = NULL;
		free(in->iobuf);
		in->iobuf = NULL;
		return -1;
	}
	return 0;
}

/* Reads the next record of in; at the end or on an error marks it done.
 * Returns -1 after reporting a read error (e.g. a truncated record). */
static int
replay_next(struct input *in)
{
	int rc;

	if (in->done)
		return 0;
	rc = pcap_next_ex(in->p, &in->h, &in->data);
	if (rc == 1)
		return 0;
	in->done = true;
	if (rc == PCAP_ERROR_BREAK)
		return 0;
	fprintf(stderr, "nflogmon: %s: %s; the records before it are "
	    "replayed\n", in->path, pcap_geterr(in->p));
	return -1;
}

/* The latest record time replay believes: the end of the year 9999. */
#define REPLAY_MAX_S	253402300799LL

/*
 * A record's time in microseconds, or -1 when it cannot be a time: a
 * pcapng timestamp is 64 bits of any unit plus an offset, so tv_sec may be
 * anything, and seconds times 10^6 would overflow.  Such a record is
 * counted as malformed and does not move the clock.
 */
static int64_t
rec_time_us(const struct pcap_pkthdr *h)
{
	if (h->ts.tv_sec < 0 || h->ts.tv_sec > REPLAY_MAX_S ||
	    h->ts.tv_usec < 0 || h->ts.tv_usec >= US_PER_S)
		return -1;
	return (int64_t)h->ts.tv_sec * US_PER_S + (int64_t)h->ts.tv_usec;
}

/* The input holding the earliest pending record (ties: the earliest file
 * on the command line), or NULL when all are done.  A linear scan: the
 * number of files is small. */
static struct input *
replay_earliest(struct input *in, int n)
{
	struct input *best = NULL;
	int i;

	for (i = 0; i < n; i++) {
		if (in[i].done)
			continue;
		if (best == NULL || rec_time_us(in[i].h) < rec_time_us(best->h))
			best = &in[i];
	}
	return best;
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
 * Feeds every record of every input, merged in timestamp order.  A record
 * older than the one before (a file out of order) is fed at the latest
 * time seen, since the engine clock never goes back; one whose time is
 * impossible (rec_time_us -1, merged first) is malformed.  Records are
 * decoded ENGINE_BATCH at a time (libpcap's buffer only holds the last
 * one) and fed as a batch, which is the same as one by one, only faster.
 * Returns -1 on a read error (reported, the rest still fed) or -2 when
 * out of memory; *last_us is the engine time at the end.
 */
static int
replay_feed(struct engine *e, struct input *in, int n, struct verdicts *vs,
    int64_t *last_us)
{
	struct input *cur;
	struct pkt p[ENGINE_BATCH];
	enum pkt_result r[ENGINE_BATCH];
	int64_t t_us[ENGINE_BATCH];
	struct verdict v[ENGINE_BATCH];
	int64_t now_us = INT64_MIN;
	size_t nb, nv, j;
	int i, rc = 0;

	for (i = 0; i < n; i++)
		if (replay_next(&in[i]) != 0)
			rc = -1;
	do {
		for (nb = 0; nb < ENGINE_BATCH &&
		    (cur = replay_earliest(in, n)) != NULL; nb++) {
			int64_t t = rec_time_us(cur->h);

			memset(&p[nb], 0, sizeof(p[nb]));
			if (t < 0)	/* a time we cannot believe */
				r[nb] = PKT_MALFORMED;
			else {
				if (t > now_us)
					now_us = t;
				r[nb] = pkt_decode_link(cur->link, cur->data,
				    cur->h->caplen, &p[nb]);
			}
			t_us[nb] = now_us;
			if (replay_next(cur) != 0)
				rc = -1;
		}
		nv = engine_feed_batch(e, p, r, t_us, nb, v);
		for (j = 0; j < nv; j++)
			if (verdicts_add(vs, &v[j]) != 0)
				return -2;
	} while (nb == ENGINE_BATCH);
	*last_us = now_us == INT64_MIN ? 0 : now_us;
	return rc;
}

static int
replay_print_json(const struct engine_stats *st, const struct verdicts *vs,
    const struct engine_talker *top, size_t ntop, const struct conf *conf)
{
	json_t *o, *arr, *tarr;
	size_t i;
	int rc = 0;

	if ((o = json_object()) == NULL)
		return -1;
	if (report_stats_json(o, st) != 0)
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
replay_print_human(const struct engine_stats *st, const struct verdicts *vs,
    const struct engine_talker *top, size_t ntop, const struct conf *conf)
{
	report_stats_print(st, stdout);
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
replay_run(const struct conf *conf, struct input *in, int n, bool json)
{
	struct engine *e;
	struct engine_stats st;
	struct engine_talker top[REPLAY_TOP];
	struct verdicts vs = { NULL, 0, 0 };
	int64_t last_us = 0;
	size_t ntop;
	int rc, status = EXIT_OK;

	if ((e = engine_new(conf, replay_hashkey)) == NULL) {
		fprintf(stderr, "nflogmon: replay: cannot create the engine\n");
		return EXIT_ERR;
	}
	rc = replay_feed(e, in, n, &vs, &last_us);
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
	memset(top, 0, sizeof(top));
	ntop = engine_top(e, top, REPLAY_TOP, true, last_us);
	if (json) {
		if (replay_print_json(&st, &vs, top, ntop, conf) != 0) {
			fprintf(stderr, "nflogmon: replay: cannot write JSON\n");
			status = EXIT_ERR;
		}
	} else
		replay_print_human(&st, &vs, top, ntop, conf);
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
		{ "config",	required_argument,	NULL, 'c' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 },
	};
	const char *cpath = NULL;
	struct conf *conf;
	struct input *in;
	bool json = false;
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
		case 'h':
			fprintf(stdout, "usage: nflogmon replay [-c FILE] "
			    "[--json] FILE.pcap...\n");
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
	for (i = 0; i < n && status == EXIT_OK; i++)
		if (replay_open(&in[i], argv[optind + i]) != 0)
			status = EXIT_ERR;
	if (status == EXIT_OK)
		status = replay_run(conf, in, n, json);
	for (i = 0; i < n; i++) {
		if (in[i].p != NULL)
			pcap_close(in[i].p);
		free(in[i].iobuf);	/* fp used it until the close */
	}
	free(in);
	conf_free(conf);
	return status;
}
