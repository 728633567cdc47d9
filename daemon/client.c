/*
 * client.c: `nflogmon status|list|block|unblock`, the operator's side of
 * the control socket.  Parses the command line, sends one request, prints
 * the reply: as is with --json, else as aligned tables with relative times
 * that fit in 100 columns.  status and list are printed as their rows
 * stream in (proto.c), so a million blocks need neither the whole reply
 * in memory nor a JSON tree: --json writes the header's members, then
 * each row's JSON as it comes; the human tables keep CLIENT_LIST_BUFFER
 * rows at most.  The human status asks for the CLIENT_STATUS_RECENT most
 * recent blocks only and says how many more `list` shows.  Exit statuses follow DESIGN.md: 0 ok, 1 error
 * (one line on stderr), 2 usage, 3 no daemon answers (nothing on stdout).
 * It never touches the kernel or the state file itself.
 */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon.h"

struct client_opts {
	const char	*sock;
	const char	*conf;
	bool		 json;
	const char	*timeout;
	const char	*reason;
	const char	*source;
};

/* "42s", "17m", "3h 5m", "2d 4h": a duration in seconds, coarsely. */
static char *
fmt_rel(double secs, char *buf, size_t len)
{
	long long s = secs < 0 ? 0 : (long long)(secs + 0.5);

	if (s < 60)
		snprintf(buf, len, "%llds", s);
	else if (s < 3600)
		snprintf(buf, len, "%lldm", s / 60);
	else if (s < 86400)
		snprintf(buf, len, "%lldh %lldm", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, len, "%lldd %lldh", s / 86400, s % 86400 / 3600);
	return buf;
}

static const char *
jstr(const json_t *o, const char *name, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, name));

	return s != NULL ? s : dflt;
}

static long long
jint(const json_t *o, const char *name)
{
	const json_t *v = json_object_get(o, name);

	return json_is_number(v) ? (long long)json_number_value(v) : 0;
}

/* "4/20" (count/limit), or "4" when the rule is off. */
static char *
fmt_count(const json_t *t, const char *name, char *buf, size_t len)
{
	char lim[32];
	const json_t *l;

	snprintf(lim, sizeof(lim), "%s_limit", name);
	l = json_object_get(t, lim);
	if (json_is_integer(l))
		snprintf(buf, len, "%lld/%lld", jint(t, name),
		    (long long)json_integer_value(l));
	else
		snprintf(buf, len, "%lld", jint(t, name));
	return buf;
}

/*
 * A row's source as people read it: "uid:33 (www-data)" when the uid has
 * an account here.  Only the client looks names up (the daemon never
 * blocks on the user database), and only for human output; --json keeps
 * "uid:N" alone.
 */
static const char *
source_label(const char *src, char *buf, size_t len)
{
	struct passwd *pw;
	unsigned long uid;
	char *end;

	if (strncmp(src, "uid:", 4) != 0)
		return src;
	errno = 0;
	uid = strtoul(src + 4, &end, 10);
	if (errno != 0 || *end != '\0' || uid > UINT32_MAX ||
	    (pw = getpwuid((uid_t)uid)) == NULL)
		return src;
	snprintf(buf, len, "%s (%s)", src, pw->pw_name);
	return buf;
}

/* The width of a source column: its longest label, min..43. */
static int
label_width(int w, const char *src)
{
	char label[128];
	int n = (int)strlen(source_label(src, label, sizeof(label)));

	return n > w ? (n > 43 ? 43 : n) : w;
}

static int
talkers_width(const json_t *rows)
{
	size_t i;
	int w = 15;

	for (i = 0; i < json_array_size(rows); i++)
		w = label_width(w, jstr(json_array_get(rows, i), "source",
		    "?"));
	return w;
}

static int
rows_width(const struct proto_row *rows, size_t n)
{
	size_t i;
	int w = 15;

	for (i = 0; i < n; i++)
		w = label_width(w, rows[i].source);
	return w;
}

/* "block" or "throttle": the table a row goes in (dry run with blocks). */
static const char *
row_response(const struct proto_row *r)
{
	return strcmp(r->action, "throttle") == 0 ? "throttle" : "block";
}

static void
print_title(FILE *f, const char *response, int w)
{
	fprintf(f, "%-*s %-9s %6s %3s %8s %-9s %-14s %s\n", w,
	    strcmp(response, "throttle") == 0 ? "THROTTLED" : "BLOCKED",
	    "RULE", "CONN", "STR", "ATTEMPTS", "SINCE", "EXPIRES",
	    "STATE/REASON");
}

static void
print_row(FILE *f, const struct proto_row *b, int w, double now)
{
	char since[32], exp[48], rel[32], row[512], label[128];
	const char *state;
	size_t end;

	snprintf(since, sizeof(since), "%s ago", fmt_rel(now -
	    (double)b->since_us / US_PER_S, rel, sizeof(rel)));
	if (b->expires_us != DURATION_PERMANENT)
		snprintf(exp, sizeof(exp), "in %s", fmt_rel((double)
		    b->expires_us / US_PER_S - now, rel, sizeof(rel)));
	else
		snprintf(exp, sizeof(exp), "permanent");
	if (strcmp(b->action, "dry_run") == 0)
		state = "dry run";
	else if (!b->enforced)
		state = "not enforced";
	else
		state = "";
	snprintf(row, sizeof(row),
	    "%-*s %-9s %6lu %3ld %8lu %-9s %-14s %s%s%s",
	    w, source_label(b->source, label, sizeof(label)), b->rule,
	    (unsigned long)b->connections, (long)b->strikes,
	    (unsigned long)b->attempts, since, exp, state,
	    *state != '\0' && b->reason[0] != '\0' ? ", " : "", b->reason);
	/* No padding left at the end of a row without state. */
	for (end = strlen(row); end > 0 && row[end - 1] == ' '; end--)
		;
	fprintf(f, "%.*s\n", (int)end, row);
}

/* The kept rows of one response, headed by its title: how many. */
static uint64_t
print_kept(struct client_list *l, const char *response, int w)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < l->nbuf; i++) {
		if (strcmp(row_response(&l->buf[i]), response) != 0)
			continue;
		if (n++ == 0)
			print_title(l->f, response, w);
		print_row(l->f, &l->buf[i], w, l->now);
	}
	return n;
}

/* Streaming: a row printed at once, a new title when its table changes. */
static void
print_streamed(struct client_list *l, const struct proto_row *r)
{
	const char *resp = row_response(r);

	if (strcmp(l->section, resp) != 0) {
		if (l->printed > 0)
			fputc('\n', l->f);
		print_title(l->f, resp, l->width);
		snprintf(l->section, sizeof(l->section), "%s", resp);
	}
	print_row(l->f, r, l->width, l->now);
	l->printed++;
}

int
client_list_begin(struct client_list *l, FILE *f, double now)
{
	memset(l, 0, sizeof(*l));
	l->f = f;
	l->now = now;
	l->buf = calloc(CLIENT_LIST_BUFFER, sizeof(*l->buf));
	return l->buf == NULL ? -1 : 0;
}

/* One warning sentence in lines of at most 100 columns, cut at spaces. */
static void
print_warning(FILE *f, const char *s)
{
	const char *prefix = "capture: WARNING: ";
	size_t width = 100 - strlen(prefix), n, cut;

	for (;;) {
		n = strlen(s);
		cut = n;
		if (n > width) {
			for (cut = width; cut > 0 && s[cut] != ' '; cut--)
				;
			if (cut == 0)
				cut = width;
		}
		fprintf(f, "%s%.*s\n", prefix, (int)cut, s);
		s += cut;
		while (*s == ' ')
			s++;
		if (*s == '\0')
			return;
		prefix = "                  ";
	}
}

void
client_list_row(struct client_list *l, const struct proto_row *r)
{
	size_t i;

	if (!l->streaming && l->nbuf < CLIENT_LIST_BUFFER) {
		l->buf[l->nbuf++] = *r;
		return;
	}
	if (!l->streaming) {
		/* The columns are sized by the kept rows; later ones follow. */
		l->streaming = true;
		l->width = rows_width(l->buf, l->nbuf);
		for (i = 0; i < l->nbuf; i++)
			print_streamed(l, &l->buf[i]);
		l->nbuf = 0;
	}
	print_streamed(l, r);
}

void
client_list_end(struct client_list *l, uint64_t more)
{
	uint64_t n;
	int w;

	if (!l->streaming) {
		w = rows_width(l->buf, l->nbuf);
		n = print_kept(l, "block", w);
		if (n > 0 && l->nbuf > n)
			fputc('\n', l->f);
		l->printed = n + print_kept(l, "throttle", w);
	}
	if (more > 0)
		fprintf(l->f, "%s%llu more: nflogmon list\n",
		    l->printed > 0 ? "\n" : "", (unsigned long long)more);
	else if (l->printed == 0)
		fprintf(l->f, "no blocks\n");
	free(l->buf);
	l->buf = NULL;
}

/*
 * One line per input of status --json's "inputs": its kind, what it
 * read (its own unit: packets, requests), the events it made and the
 * malformed ones.
 */
static void
print_inputs(FILE *f, const json_t *inputs)
{
	static const char *const units[] = { "packets", "requests", "lines" };
	const json_t *in;
	const char *unit;
	char label[64];
	size_t i, u;

	for (i = 0; i < json_array_size(inputs); i++) {
		in = json_array_get(inputs, i);
		unit = "records";
		for (u = 0; u < sizeof(units) / sizeof(units[0]); u++)
			if (json_object_get(in, units[u]) != NULL) {
				unit = units[u];
				break;
			}
		/* "forward (nflog)", but "policy" once */
		if (strcmp(jstr(in, "kind", "?"), jstr(in, "input", "?")) == 0)
			snprintf(label, sizeof(label), "%s", jstr(in, "kind",
			    "?"));
		else
			snprintf(label, sizeof(label), "%s (%s)", jstr(in,
			    "kind", "?"), jstr(in, "input", "?"));
		fprintf(f, "%-8s %s: %s %lld, events %lld, malformed %lld\n",
		    i == 0 ? "inputs" : "", label, unit, jint(in, unit),
		    jint(in, "events"), jint(in, "malformed"));
	}
}

void
client_print_status(FILE *f, const json_t *r)
{
	const json_t *be = json_object_get(r, "backend");
	const json_t *cap = json_object_get(r, "capture");
	const json_t *src = json_object_get(r, "sources");
	const json_t *top = json_object_get(r, "top");
	const json_t *g, *t, *groups;
	char rel[32], b1[32], b2[32], b3[32], label[128];
	size_t i;
	int w, k;

	fprintf(f, "nflogmon %s, up %s%s\n", jstr(r, "version", "?"),
	    fmt_rel(json_number_value(json_object_get(r, "uptime")), rel,
	    sizeof(rel)), json_is_true(json_object_get(r, "dry_run")) ?
	    ", DRY RUN (nothing is blocked)" : "");
	fprintf(f, "backend  %s: %s\n", jstr(be, "name", "?"),
	    json_is_true(json_object_get(be, "ok")) ? "ok" :
	    jstr(be, "error", "error"));
	/* only when the sets were found removed by hand: the exception */
	if (jint(be, "resyncs") > 0)
		fprintf(f, "resync   the sets were found gone or short and "
		    "refilled %lld times\n", jint(be, "resyncs"));
	/* only when the store has refused a write: it is the exception */
	if (jint(be, "state_errors") > 0 || jint(be, "state_unsaved") > 0)
		fprintf(f, "state    %lld writes failed, %lld blocks waiting to "
		    "be written\n", jint(be, "state_errors"),
		    jint(be, "state_unsaved"));
	groups = json_object_get(cap, "groups");
	for (i = 0; i < json_array_size(groups); i++) {
		g = json_array_get(groups, i);
		fprintf(f, "%-8s group %lld (%s): packets %lld, dropped %lld, "
		    "gaps %lld, enobufs %lld\n", i == 0 ? "capture" : "",
		    jint(g, "group"), jstr(g, "kind", "?"), jint(g, "packets"),
		    jint(g, "dropped"), jint(g, "seq_gaps"), jint(g, "enobufs"));
	}
	fprintf(f, "%-8s malformed %lld\n",
	    json_array_size(groups) == 0 ? "capture" :
	    "", jint(cap, "malformed"));
	/* The ruleset check's sentences, one line each. */
	t = json_object_get(cap, "warnings");
	for (i = 0; i < json_array_size(t); i++)
		print_warning(f, json_string_value(json_array_get(t, i)) !=
		    NULL ? json_string_value(json_array_get(t, i)) : "?");
	print_inputs(f, json_object_get(r, "inputs"));
	fprintf(f, "sources  tracked %lld of %lld, evicted %lld\n",
	    jint(src, "tracked"), jint(src, "max"), jint(src, "evicted"));
	src = json_object_get(r, "accounts");
	fprintf(f, "accounts tracked %lld of %lld, evicted %lld\n",
	    jint(src, "tracked"), jint(src, "max"), jint(src, "evicted"));

	if ((t = json_object_get(r, "fleet")) != NULL)
		fprintf(f, "fleet    %s: queued %lld, published %lld, applied "
		    "%lld, refused %lld\n", json_is_true(json_object_get(t,
		    "ok")) ? "ok" : jstr(t, "error", "error"), jint(t, "queued"),
		    jint(t, "published"), jint(t, "applied"), jint(t, "refused"));

	/* Packet sources and accounts apart: each with its own rules. */
	for (k = 0; k < 2 && json_array_size(top) > 0; k++) {
		static const char *const hdr[2][4] = {
			{ "TOP TALKERS", "burst", "sustained", "fanout" },
			{ "TOP ACCOUNTS", "clients", "recipients",
			    "foreign_senders" },
		};
		bool any = false;

		w = talkers_width(top);
		for (i = 0; i < json_array_size(top); i++) {
			t = json_array_get(top, i);
			if ((strncmp(jstr(t, "source", ""), "account:", 8) ==
			    0) != (k == 1))
				continue;
			if (!any)
				fprintf(f, "\n%-*s %14s %14s %16s\n", w,
				    hdr[k][0], k ? "CLIENTS" : "BURST",
				    k ? "RECIPIENTS" : "SUSTAINED",
				    k ? "FOREIGN_SENDERS" : "FANOUT");
			any = true;
			fprintf(f, "%-*s %14s %14s %16s\n", w,
			    source_label(jstr(t, "source", "?"), label,
			    sizeof(label)),
			    fmt_count(t, hdr[k][1], b1, sizeof(b1)),
			    fmt_count(t, hdr[k][2], b2, sizeof(b2)),
			    fmt_count(t, hdr[k][3], b3, sizeof(b3)));
		}
	}
	fputc('\n', f);
}

static int
client_usage(const char *cmd)
{
	if (strcmp(cmd, "block") == 0)
		fprintf(stderr, "usage: nflogmon block [-s SOCK | -c FILE] "
		    "SOURCE [--timeout DURATION] [--reason TEXT]\n");
	else if (strcmp(cmd, "unblock") == 0)
		fprintf(stderr, "usage: nflogmon unblock [-s SOCK | -c FILE] "
		    "SOURCE\n");
	else
		fprintf(stderr, "usage: nflogmon %s [-s SOCK | -c FILE] "
		    "[--json]\n", cmd);
	return EXIT_USAGE;
}

/* Parses argv of cmd; returns -1 on a usage error. */
static int
client_args(int argc, char **argv, enum proto_cmd cmd,
    struct client_opts *o)
{
	static const struct option lopts[] = {
		{ "json",	no_argument,		NULL, 'j' },
		{ "timeout",	required_argument,	NULL, 't' },
		{ "reason",	required_argument,	NULL, 'r' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 },
	};
	bool src = cmd == PROTO_BLOCK || cmd == PROTO_UNBLOCK;
	int ch;

	memset(o, 0, sizeof(*o));
	optind = 1;
	opterr = 1;
	while ((ch = getopt_long(argc, argv, "s:c:", lopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			o->sock = optarg;
			break;
		case 'c':
			o->conf = optarg;
			break;
		case 'j':
			if (src)
				return -1;
			o->json = true;
			break;
		case 't':
			if (cmd != PROTO_BLOCK)
				return -1;
			o->timeout = optarg;
			break;
		case 'r':
			if (cmd != PROTO_BLOCK)
				return -1;
			o->reason = optarg;
			break;
		default:
			return -1;
		}
	}
	if (o->sock != NULL && o->conf != NULL)
		return -1;
	if (src) {
		if (argc - optind != 1)
			return -1;
		o->source = argv[optind];
	} else if (argc != optind)
		return -1;
	return 0;
}

/* The socket: -s, else the control_socket of -c FILE or the default. */
static int
client_socket(const struct client_opts *o, char *buf, size_t len)
{
	struct conf *c;

	if (o->sock != NULL) {
		snprintf(buf, len, "%s", o->sock);
		return 0;
	}
	if ((c = conf_load(o->conf, stderr)) == NULL)
		return -1;
	snprintf(buf, len, "%s", c->control_socket);
	conf_free(c);
	return 0;
}

/* Prints a reply that is one message: block, unblock, or an error. */
static int
client_single(json_t *reply, enum proto_cmd cmd, bool json)
{
	if (!json_is_true(json_object_get(reply, "ok"))) {
		fprintf(stderr, "nflogmon: %s\n", jstr(reply, "error",
		    "the daemon refused"));
		return EXIT_ERR;
	}
	if (cmd == PROTO_STATUS || cmd == PROTO_LIST) {
		fprintf(stderr, "nflogmon: bad reply from the daemon\n");
		return EXIT_ERR;
	}
	json_object_del(reply, "ok");
	if (json) {
		json_dumpf(reply, stdout, JSON_COMPACT |
		    JSON_REAL_PRECISION(17));
		fputc('\n', stdout);
	} else if (json_is_string(json_object_get(reply, "message")))
		printf("%s\n", jstr(reply, "message", ""));
	return fflush(stdout) == EOF ? EXIT_ERR : EXIT_OK;
}

/*
 * Where a reply goes as it arrives: a single reply is kept; a stream's
 * header and rows are printed at once (JSON or the human tables).
 */
struct client_out {
	enum proto_cmd	 cmd;
	bool		 json;
	double		 now;
	json_t		*reply;		/* a single reply */
	bool		 stream;
	uint64_t	 count;		/* blocks held (the header's) */
	uint64_t	 rows;
	struct client_list list;
};

static int
out_reply(void *arg, json_t *r)
{
	struct client_out *o = arg;
	char *s;
	size_t n;

	if (!json_is_true(json_object_get(r, "stream"))) {
		o->reply = json_incref(r);
		return 0;
	}
	o->stream = true;
	o->count = (uint64_t)jint(r, "count");
	json_object_del(r, "ok");
	json_object_del(r, "stream");
	json_object_del(r, "count");
	if (!o->json) {
		if (o->cmd == PROTO_STATUS)
			client_print_status(stdout, r);
		return client_list_begin(&o->list, stdout, o->now);
	}
	/* The header's members, then the blocks as they come. */
	if ((s = json_dumps(r, JSON_COMPACT | JSON_REAL_PRECISION(17))) ==
	    NULL)
		return -1;
	n = strlen(s);
	fwrite(s, 1, n - 1, stdout);
	fputs(json_object_size(r) > 0 ? ",\"blocks\":[" : "\"blocks\":[",
	    stdout);
	free(s);
	return 0;
}

static int
out_row(void *arg, const struct proto_row *row)
{
	struct client_out *o = arg;
	char buf[PROTO_ROW_JSON_MAX + 1];
	size_t n;

	if (!o->json) {
		client_list_row(&o->list, row);
		o->rows++;
		return 0;
	}
	n = 0;
	if (o->rows++ > 0)
		buf[n++] = ',';
	n += proto_row_json(row, buf + n);
	return fwrite(buf, 1, n, stdout) == n ? 0 : -1;
}

static int
client_call(const char *sock, const struct proto_request *req, bool json)
{
	static char obuf[64 * 1024];
	struct client_out o = { .cmd = req->cmd, .json = json,
	    .now = (double)clock_wall_us() / US_PER_S };
	struct proto_sink sink = { out_reply, out_row, &o };
	json_t *jreq;
	char err[512];
	int rv;

	if ((jreq = proto_request_json(req)) == NULL) {
		fprintf(stderr, "nflogmon: out of memory\n");
		return EXIT_ERR;
	}
	/* A million rows: fewer, larger writes. */
	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	rv = proto_call_sink(sock, jreq, PROTO_CALL_TIMEOUT_MS, &sink, err,
	    sizeof(err));
	json_decref(jreq);
	if (rv != 0) {
		free(o.list.buf);
		json_decref(o.reply);
		fflush(stdout);
		fprintf(stderr, "nflogmon: %s\n", err);
		return rv == -3 ? EXIT_NODAEMON : EXIT_ERR;
	}
	if (o.stream) {
		if (json)
			fputs("]}\n", stdout);
		else
			client_list_end(&o.list, req->cmd == PROTO_STATUS &&
			    o.count > o.rows ? o.count - o.rows : 0);
		return fflush(stdout) == EOF ? EXIT_ERR : EXIT_OK;
	}
	rv = client_single(o.reply, req->cmd, json);
	json_decref(o.reply);
	return rv;
}

static int
client_run(int argc, char **argv, enum proto_cmd cmd)
{
	struct proto_request req;
	struct client_opts o;
	struct key k;
	char sock[sizeof(((struct conf *)0)->control_socket)], err[512];

	if (client_args(argc, argv, cmd, &o) == -1)
		return client_usage(argv[0]);
	memset(&req, 0, sizeof(req));
	req.cmd = cmd;
	/* The human status shows the most recent blocks only. */
	if (cmd == PROTO_STATUS && !o.json)
		req.recent = CLIENT_STATUS_RECENT;
	if (o.source != NULL) {
		if (strlen(o.source) >= sizeof(req.source)) {
			fprintf(stderr, "nflogmon: bad source '%s'\n", o.source);
			return EXIT_ERR;
		}
		snprintf(req.source, sizeof(req.source), "%s", o.source);
		/*
		 * Bad input is exit 1 whether or not a daemon answers; the
		 * daemon parses it again with its own ipv6_prefix.
		 */
		if (key_parse(o.source, 64, &k, err, sizeof(err)) == -1) {
			fprintf(stderr, "nflogmon: %s\n", err);
			return EXIT_ERR;
		}
	}
	if (o.timeout != NULL) {
		req.has_timeout = true;
		if (parse_duration(o.timeout, &req.timeout_us) == -1 ||
		    req.timeout_us <= 0) {
			fprintf(stderr, "nflogmon: bad duration '%s'\n",
			    o.timeout);
			return EXIT_ERR;
		}
	}
	if (o.reason != NULL) {
		if (strlen(o.reason) >= sizeof(req.reason)) {
			fprintf(stderr, "nflogmon: reason longer than %zu "
			    "bytes\n", sizeof(req.reason) - 1);
			return EXIT_ERR;
		}
		snprintf(req.reason, sizeof(req.reason), "%s", o.reason);
	}
	if (client_socket(&o, sock, sizeof(sock)) == -1)
		return EXIT_ERR;
	return client_call(sock, &req, o.json);
}

int
cmd_status(int argc, char **argv)
{
	return client_run(argc, argv, PROTO_STATUS);
}

int
cmd_list(int argc, char **argv)
{
	return client_run(argc, argv, PROTO_LIST);
}

int
cmd_block(int argc, char **argv)
{
	return client_run(argc, argv, PROTO_BLOCK);
}

int
cmd_unblock(int argc, char **argv)
{
	return client_run(argc, argv, PROTO_UNBLOCK);
}
