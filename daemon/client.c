/*
 * client.c: `nflogmon status|list|block|unblock`, the operator's side of
 * the control socket.  Parses the command line, sends one request, prints
 * the reply: as is with --json, else as aligned tables with relative times
 * that fit in 100 columns.  Exit statuses follow DESIGN.md: 0 ok, 1 error
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
source_label(const json_t *r, char *buf, size_t len)
{
	const char *src = jstr(r, "source", "?");
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

static int
source_width(const json_t *rows, int min)
{
	char label[128];
	const json_t *r;
	size_t i;
	int w = min, n;

	for (i = 0; i < json_array_size(rows); i++) {
		r = json_array_get(rows, i);
		n = (int)strlen(source_label(r, label, sizeof(label)));
		if (n > w)
			w = n;
	}
	return w > 43 ? 43 : w;
}

/*
 * Prints the blocks of one response ("block" or "throttle"; dry-run ones
 * with the blocks), headed by title.  Returns how many were printed.
 */
static int
print_blocks(FILE *f, const json_t *blocks, const char *response,
    const char *title, double now)
{
	char since[32], exp[48], rel[32], row[512], label[128];
	const json_t *b, *e;
	const char *state, *reason;
	int w = source_width(blocks, 15), n = 0;
	size_t i, end;

	for (i = 0; i < json_array_size(blocks); i++) {
		b = json_array_get(blocks, i);
		if (strcmp(jstr(b, "response", "block"), response) != 0)
			continue;
		if (n++ == 0)
			fprintf(f, "%-*s %-9s %6s %3s %8s %-9s %-14s %s\n", w,
			    title, "RULE", "CONN", "STR", "ATTEMPTS", "SINCE",
			    "EXPIRES", "STATE/REASON");
		snprintf(since, sizeof(since), "%s ago", fmt_rel(now -
		    json_number_value(json_object_get(b, "since")), rel,
		    sizeof(rel)));
		e = json_object_get(b, "expires");
		if (json_is_number(e))
			snprintf(exp, sizeof(exp), "in %s",
			    fmt_rel(json_number_value(e) - now, rel,
			    sizeof(rel)));
		else
			snprintf(exp, sizeof(exp), "permanent");
		if (strcmp(jstr(b, "action", ""), "dry_run") == 0)
			state = "dry run";
		else if (!json_is_true(json_object_get(b, "enforced")))
			state = "not enforced";
		else
			state = "";
		reason = jstr(b, "reason", "");
		snprintf(row, sizeof(row),
		    "%-*s %-9s %6lld %3lld %8lld %-9s %-14s %s%s%s",
		    w, source_label(b, label, sizeof(label)), jstr(b, "rule", "?"),
		    jint(b, "connections"), jint(b, "strikes"),
		    jint(b, "attempts"), since, exp, state,
		    *state != '\0' && *reason != '\0' ? ", " : "", reason);
		/* No padding left at the end of a row without state. */
		for (end = strlen(row); end > 0 && row[end - 1] == ' '; end--)
			;
		fprintf(f, "%.*s\n", (int)end, row);
	}
	return n;
}

void
client_print_list(FILE *f, const json_t *reply, double now)
{
	const json_t *blocks = json_object_get(reply, "blocks");
	int n;

	n = print_blocks(f, blocks, "block", "BLOCKED", now);
	if (n > 0 && json_array_size(blocks) > (size_t)n)
		fputc('\n', f);
	n += print_blocks(f, blocks, "throttle", "THROTTLED", now);
	if (n == 0)
		fprintf(f, "no blocks\n");
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
client_print_status(FILE *f, const json_t *r, double now)
{
	const json_t *be = json_object_get(r, "backend");
	const json_t *cap = json_object_get(r, "capture");
	const json_t *src = json_object_get(r, "sources");
	const json_t *top = json_object_get(r, "top");
	const json_t *g, *t, *groups;
	char rel[32], b1[32], b2[32], b3[32], label[128];
	size_t i;
	int w;

	fprintf(f, "nflogmon %s, up %s%s\n", jstr(r, "version", "?"),
	    fmt_rel(json_number_value(json_object_get(r, "uptime")), rel,
	    sizeof(rel)), json_is_true(json_object_get(r, "dry_run")) ?
	    ", DRY RUN (nothing is blocked)" : "");
	fprintf(f, "backend  %s: %s\n", jstr(be, "name", "?"),
	    json_is_true(json_object_get(be, "ok")) ? "ok" :
	    jstr(be, "error", "error"));
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
	fprintf(f, "sources  tracked %lld of %lld, evicted %lld\n",
	    jint(src, "tracked"), jint(src, "max"), jint(src, "evicted"));

	if (json_array_size(top) > 0) {
		w = source_width(top, 15);
		fprintf(f, "\n%-*s %14s %14s %14s\n", w, "TOP TALKERS",
		    "BURST", "SUSTAINED", "FANOUT");
		for (i = 0; i < json_array_size(top); i++) {
			t = json_array_get(top, i);
			fprintf(f, "%-*s %14s %14s %14s\n", w,
			    source_label(t, label, sizeof(label)),
			    fmt_count(t, "burst", b1, sizeof(b1)),
			    fmt_count(t, "sustained", b2, sizeof(b2)),
			    fmt_count(t, "fanout", b3, sizeof(b3)));
		}
	}
	fputc('\n', f);
	client_print_list(f, r, now);
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

static int
client_run(int argc, char **argv, enum proto_cmd cmd)
{
	struct proto_request req;
	struct client_opts o;
	json_t *jreq, *reply;
	struct key k;
	char sock[sizeof(((struct conf *)0)->control_socket)], err[512];
	int rv;

	if (client_args(argc, argv, cmd, &o) == -1)
		return client_usage(argv[0]);
	memset(&req, 0, sizeof(req));
	req.cmd = cmd;
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
	if ((jreq = proto_request_json(&req)) == NULL) {
		fprintf(stderr, "nflogmon: out of memory\n");
		return EXIT_ERR;
	}
	rv = proto_call(sock, jreq, &reply, err, sizeof(err));
	json_decref(jreq);
	if (rv != 0) {
		fprintf(stderr, "nflogmon: %s\n", err);
		return rv == -3 ? EXIT_NODAEMON : EXIT_ERR;
	}
	if (!json_is_true(json_object_get(reply, "ok"))) {
		fprintf(stderr, "nflogmon: %s\n", jstr(reply, "error",
		    "the daemon refused"));
		json_decref(reply);
		return EXIT_ERR;
	}
	json_object_del(reply, "ok");
	if (o.json)
		json_dumpf(reply, stdout, JSON_COMPACT | JSON_REAL_PRECISION(17));
	if (o.json)
		fputc('\n', stdout);
	else if (cmd == PROTO_STATUS)
		client_print_status(stdout, reply, (double)clock_wall_us() /
		    US_PER_S);
	else if (cmd == PROTO_LIST)
		client_print_list(stdout, reply, (double)clock_wall_us() /
		    US_PER_S);
	else if (json_is_string(json_object_get(reply, "message")))
		printf("%s\n", jstr(reply, "message", ""));
	json_decref(reply);
	return fflush(stdout) == EOF ? EXIT_ERR : EXIT_OK;
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
