/*
 * conf.c: the configuration file (DESIGN.md "Configuration and defaults")
 * and `nflogmon check-config`.
 *
 * Every error is "file:line: message" and all of them are reported in one
 * run, syntax and semantics alike; conf_load then returns NULL so that the
 * daemon refuses to start, or keeps its old config on SIGHUP.  A loaded
 * struct conf is never modified afterwards.
 *
 * inih does the INI dispatch, but Debian's libinih is built with 200-byte
 * lines and hands the handler no line number, while allowlists must fit on
 * lines of many thousand characters.  So inih reads through conf_reader,
 * which reads whole physical lines itself, counts them, strips comments and
 * hands inih a short canonical line ("key=@" or "[section]"); the handler
 * then takes the full key, value and line number from struct conf_ctx.
 * inih is line-synchronous (reader, then handler, then the next line), so
 * the context always describes the line being handled.
 *
 * Syntax decided here (documented in nflogmon.conf(5)):
 * - ';' or '#' starts a comment at the start of a line or after whitespace;
 * - a line that starts with whitespace and has no '=' continues the list of
 *   the previous key (lists only); an indented "key = value" is a key;
 * - list items are separated by commas; one trailing comma is allowed.
 */
#define _GNU_SOURCE		/* vasprintf */

#include <sys/socket.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <ini.h>
#include <pwd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "nflogmon.h"

#define CONF_MAX_CLASSES	4096
#define CONF_KEY_MAX		64

enum section {
	SEC_NONE = 0,		/* before any section header */
	SEC_DAEMON,
	SEC_CAPTURE,
	SEC_DETECT,
	SEC_BLOCK,
	SEC_ALLOW,
	SEC_CLASS,
	SEC_IGNORE,		/* bad header, already reported */
};

static const char *const section_names[] = {
	[SEC_DAEMON] = "daemon",
	[SEC_CAPTURE] = "capture",
	[SEC_DETECT] = "detect",
	[SEC_BLOCK] = "block",
	[SEC_ALLOW] = "allow",
};

enum ktype {
	K_PATH,		/* absolute path, required */
	K_PATH_OPT,	/* absolute path or empty */
	K_GROUP,	/* group name or number, or empty */
	K_USER,		/* user name or number, or empty */
	K_NFGROUP,	/* 0..65535 or off */
	K_PORTS,	/* list of 1..65535 */
	K_INT,		/* int in min..max */
	K_U32,		/* uint32_t in min..max */
	K_RATE,		/* N/W */
	K_RATE_OFF,	/* N/W or off */
	K_DURATION,	/* duration, permanent allowed */
	K_DURATION_FIN,	/* finite duration */
	K_DURLIST,	/* list of durations (escalate) */
	K_BOOL,
	K_BACKEND,
	K_RESPONSE,
	K_IPSET_NAME,
	K_NFT_TABLE,
	K_ADDRS,	/* list of addresses into a netset */
	K_NETS,		/* list of addresses or prefixes into a netset */
	K_UIDS,
	K_CLASS_NETS,	/* list of prefixes into class_nets */
};

/*
 * One row per key.  off is into struct conf, or into struct conf_class for
 * SEC_CLASS rows; has is offset + 1 of the class's has_* flag (0: none);
 * tag is the netset value for K_ADDRS/K_NETS (0 addresses, 1 networks), so
 * that conf_print can tell them apart.
 */
struct keydef {
	enum section	 sec;
	const char	*name;
	enum ktype	 type;
	size_t		 off;
	size_t		 size;
	int64_t		 min, max;
	size_t		 has;
	int		 tag;
};

#define D(f)	offsetof(struct conf, f), sizeof(((struct conf *)0)->f)
#define C(f)	offsetof(struct conf_class, f), \
		sizeof(((struct conf_class *)0)->f)
#define HAS(f)	(offsetof(struct conf_class, f) + 1)

/* The order of conf_print and of the man page. */
static const struct keydef keydefs[] = {
	{ SEC_DAEMON, "control_socket", K_PATH, D(control_socket), 0, 0, 0, 0 },
	{ SEC_DAEMON, "socket_group", K_GROUP, D(socket_group), 0, 0, 0, 0 },
	{ SEC_DAEMON, "admin_group", K_GROUP, D(admin_group), 0, 0, 0, 0 },
	{ SEC_DAEMON, "state_file", K_PATH, D(state_file), 0, 0, 0, 0 },
	{ SEC_DAEMON, "user", K_USER, D(user), 0, 0, 0, 0 },
	{ SEC_DAEMON, "metrics_file", K_PATH_OPT, D(metrics_file), 0, 0, 0, 0 },
	{ SEC_CAPTURE, "forward_group", K_NFGROUP, D(forward_group), 0, 0, 0, 0 },
	{ SEC_CAPTURE, "output_group", K_NFGROUP, D(output_group), 0, 0, 0, 0 },
	{ SEC_CAPTURE, "ports", K_PORTS, D(ports), 0, 0, 0, 0 },
	{ SEC_CAPTURE, "ipv6_prefix", K_INT, D(ipv6_prefix), 1, 128, 0, 0 },
	{ SEC_CAPTURE, "max_sources", K_U32, D(max_sources), 1, UINT32_MAX,
	    0, 0 },
	{ SEC_DETECT, "burst", K_RATE_OFF, D(burst), 0, 0, 0, 0 },
	{ SEC_DETECT, "sustained", K_RATE_OFF, D(sustained), 0, 0, 0, 0 },
	{ SEC_DETECT, "fanout", K_RATE_OFF, D(fanout), 0, 0, 0, 0 },
	{ SEC_BLOCK, "backend", K_BACKEND, D(backend), 0, 0, 0, 0 },
	{ SEC_BLOCK, "create_sets", K_BOOL, D(create_sets), 0, 0, 0, 0 },
	{ SEC_BLOCK, "ipset_name", K_IPSET_NAME, D(ipset_name), 0, 0, 0, 0 },
	{ SEC_BLOCK, "ipset_maxelem", K_U32, D(ipset_maxelem), 1, UINT32_MAX,
	    0, 0 },
	{ SEC_BLOCK, "nft_table", K_NFT_TABLE, D(nft_table), 0, 0, 0, 0 },
	{ SEC_BLOCK, "timeout", K_DURATION, D(timeout_us), 0, 0, 0, 0 },
	{ SEC_BLOCK, "escalate", K_DURLIST, D(escalate_us), 0, 0, 0, 0 },
	{ SEC_BLOCK, "strike_memory", K_DURATION, D(strike_memory_us), 0, 0,
	    0, 0 },
	{ SEC_BLOCK, "max_new_blocks", K_RATE, D(max_new_blocks), 0, 0, 0, 0 },
	{ SEC_BLOCK, "dry_run", K_BOOL, D(dry_run), 0, 0, 0, 0 },
	{ SEC_BLOCK, "response", K_RESPONSE, D(response), 0, 0, 0, 0 },
	{ SEC_BLOCK, "throttle_rate", K_RATE, D(throttle_rate), 0, 0, 0, 0 },
	{ SEC_BLOCK, "hook", K_PATH_OPT, D(hook), 0, 0, 0, 0 },
	{ SEC_BLOCK, "hook_timeout", K_DURATION_FIN, D(hook_timeout_us), 0, 0,
	    0, 0 },
	{ SEC_ALLOW, "addresses", K_ADDRS, D(allow_src), 0, 0, 0, 0 },
	{ SEC_ALLOW, "networks", K_NETS, D(allow_src), 0, 0, 0, 1 },
	{ SEC_ALLOW, "uids", K_UIDS, D(allow_uids), 0, 0, 0, 0 },
	{ SEC_ALLOW, "destinations", K_NETS, D(allow_dst), 0, 0, 0, 0 },
	{ SEC_CLASS, "networks", K_CLASS_NETS, 0, 0, 0, 0, 0, 0 },
	{ SEC_CLASS, "burst", K_RATE_OFF, C(burst), 0, 0, HAS(has_burst), 0 },
	{ SEC_CLASS, "sustained", K_RATE_OFF, C(sustained), 0, 0,
	    HAS(has_sustained), 0 },
	{ SEC_CLASS, "fanout", K_RATE_OFF, C(fanout), 0, 0, HAS(has_fanout),
	    0 },
	{ SEC_CLASS, "response", K_RESPONSE, C(response), 0, 0,
	    HAS(has_response), 0 },
	{ SEC_CLASS, "throttle_rate", K_RATE, C(throttle_rate), 0, 0,
	    HAS(has_throttle_rate), 0 },
};

#define NKEYDEFS	(sizeof(keydefs) / sizeof(keydefs[0]))

struct conf_msg {
	int		 line;
	int		 seq;
	char		*msg;
};

/* Where each key of one class was given (0: not given). */
struct class_lines {
	int		 header;
	int		 key[NKEYDEFS];
};

/*
 * The state of one load.  The reader fills lineno, key, val and cont for
 * the line it hands to inih; the handler consumes them before the reader
 * runs again.
 */
struct conf_ctx {
	FILE		*f;
	const char	*name;
	FILE		*errs;
	struct conf	*conf;
	int		 nerrs;

	char		*buf;		/* getline's, the current line */
	size_t		 bufsz;
	int		 lineno;
	char		 key[CONF_KEY_MAX + 1];
	const char	*val;		/* into buf */
	bool		 cont;		/* a continuation line of key */

	enum section	 sec;
	int		 cls;		/* SEC_CLASS: index into classes */
	char		 prev_key[CONF_KEY_MAX + 1];	/* "" none */
	bool		 prev_ok;	/* continuations of prev_key apply */

	int		 key_line[NKEYDEFS];	/* fixed sections */
	struct class_lines *clines;		/* one per class */
	int		 nports_line;		/* line of an empty ports */

	struct conf_msg	*msgs;			/* errors, printed at the end */
	int		 nmsgs;
};

static void conf_err(struct conf_ctx *, int, const char *, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Errors are collected and printed in line order at the end, so that the
 * semantic errors found after parsing sit among the others.
 */
static void
conf_err(struct conf_ctx *ctx, int line, const char *fmt, ...)
{
	struct conf_msg *m;
	va_list ap;
	char *msg;
	int r;

	ctx->nerrs++;
	if (ctx->errs == NULL)
		return;
	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r == -1 || (m = reallocarray(ctx->msgs, (size_t)ctx->nmsgs + 1,
	    sizeof(*m))) == NULL) {
		if (r != -1)
			free(msg);
		fprintf(ctx->errs, "%s:%d: (out of memory for the message)\n",
		    ctx->name, line);
		return;
	}
	ctx->msgs = m;
	m[ctx->nmsgs].line = line;
	m[ctx->nmsgs].seq = ctx->nmsgs;
	m[ctx->nmsgs].msg = msg;
	ctx->nmsgs++;
}

static int
conf_msg_cmp(const void *a, const void *b)
{
	const struct conf_msg *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void
conf_flush_errs(struct conf_ctx *ctx)
{
	int i;

	if (ctx->nmsgs > 1)
		qsort(ctx->msgs, (size_t)ctx->nmsgs, sizeof(*ctx->msgs),
		    conf_msg_cmp);
	for (i = 0; i < ctx->nmsgs; i++) {
		fprintf(ctx->errs, "%s:%d: %s\n", ctx->name, ctx->msgs[i].line,
		    ctx->msgs[i].msg);
		free(ctx->msgs[i].msg);
	}
	free(ctx->msgs);
	ctx->msgs = NULL;
	ctx->nmsgs = 0;
}

/* ------------------------------------------------------------ defaults */

struct conf *
conf_defaults(void)
{
	struct conf *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if ((c->allow_src = netset_new()) == NULL ||
	    (c->allow_dst = netset_new()) == NULL ||
	    (c->class_nets = netset_new()) == NULL) {
		conf_free(c);
		return NULL;
	}
	snprintf(c->path, sizeof(c->path), "%s", NFLOGMON_CONF);
	snprintf(c->control_socket, sizeof(c->control_socket), "%s",
	    "/run/nflogmon/nflogmon.sock");
	snprintf(c->state_file, sizeof(c->state_file), "%s",
	    "/var/lib/nflogmon/state");
	c->forward_group = 1;
	c->output_group = 2;
	c->ports[0] = 25;
	c->nports = 1;
	c->ipv6_prefix = 64;
	c->max_sources = 1000000;
	c->burst = (struct rate){ 20, 60 * US_PER_S, false };
	c->sustained = (struct rate){ 120, 3600 * US_PER_S, false };
	c->fanout = (struct rate){ 15, 600 * US_PER_S, false };
	c->backend = BACKEND_IPSET;
	c->create_sets = true;
	snprintf(c->ipset_name, sizeof(c->ipset_name), "nflogmon");
	c->ipset_maxelem = 1048576;
	snprintf(c->nft_family, sizeof(c->nft_family), "inet");
	snprintf(c->nft_table, sizeof(c->nft_table), "nflogmon");
	c->timeout_us = 3600 * US_PER_S;
	c->escalate_us[0] = 3600 * US_PER_S;
	c->escalate_us[1] = 86400 * US_PER_S;
	c->escalate_us[2] = 7 * 86400 * US_PER_S;
	c->nescalate = 3;
	c->strike_memory_us = 30 * 86400 * US_PER_S;
	c->max_new_blocks = (struct rate){ 20, 60 * US_PER_S, false };
	c->response = RESP_BLOCK;
	c->throttle_rate = (struct rate){ 5, 60 * US_PER_S, false };
	c->hook_timeout_us = 10 * US_PER_S;
	return c;
}

void
conf_free(struct conf *c)
{
	if (c == NULL)
		return;
	netset_free(c->allow_src);
	netset_free(c->allow_dst);
	netset_free(c->class_nets);
	free(c->allow_uids);
	free(c->classes);
	free(c);
}

/* --------------------------------------------------------- the values */

static const char *
conf_sec_name(const struct conf_ctx *ctx, char *buf, size_t len)
{
	if (ctx->sec == SEC_CLASS)
		snprintf(buf, len, "class %s", ctx->conf->classes[ctx->cls].name);
	else
		snprintf(buf, len, "%s", section_names[ctx->sec]);
	return buf;
}

/* Names of users and groups as useradd(8) allows them. */
static bool
conf_name_ok(const char *s)
{
	size_t i;

	if (*s == '\0' || *s == '-' || strlen(s) > 32)
		return false;
	for (i = 0; s[i] != '\0'; i++)
		if (!isalnum((unsigned char)s[i]) && strchr("_.-", s[i]) == NULL &&
		    !(s[i] == '$' && s[i + 1] == '\0'))
			return false;
	return true;
}

/* A decimal number in 0..max, nothing else. */
static int
conf_number(const char *s, uint64_t max, uint64_t *v)
{
	uint64_t n = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (n > (max - (uint64_t)(*s - '0')) / 10)
			return -1;
		n = n * 10 + (uint64_t)(*s - '0');
	}
	*v = n;
	return 0;
}

static int
conf_uid(const char *s, uint32_t *uid)
{
	struct passwd *pw;
	uint64_t v;

	if (conf_number(s, UINT32_MAX - 1, &v) == 0) {
		*uid = (uint32_t)v;
		return 0;
	}
	if (!conf_name_ok(s) || (pw = getpwnam(s)) == NULL)
		return -1;
	*uid = pw->pw_uid;
	return 0;
}

/*
 * Calls fn for every comma-separated item of val, trimmed.  An empty item
 * is an error except after a final comma (so a list may continue on the
 * next line).
 */
static void
conf_items(struct conf_ctx *ctx, const struct keydef *kd, const char *val,
    void (*fn)(struct conf_ctx *, const struct keydef *, const char *))
{
	const char *p = val, *end, *comma;
	char *item;
	size_t n;

	if (*val == '\0')
		return;
	for (;;) {
		comma = strchr(p, ',');
		end = comma ? comma : p + strlen(p);
		while (p < end && isspace((unsigned char)*p))
			p++;
		n = (size_t)(end - p);
		while (n > 0 && isspace((unsigned char)p[n - 1]))
			n--;
		if (n == 0) {
			if (comma == NULL && p != val)
				return;		/* after a final comma */
			conf_err(ctx, ctx->lineno, "%s: empty list item",
			    kd->name);
		} else {
			if ((item = strndup(p, n)) == NULL) {
				conf_err(ctx, ctx->lineno, "out of memory");
				return;
			}
			fn(ctx, kd, item);
			free(item);
		}
		if (comma == NULL)
			return;
		p = comma + 1;
	}
}

static void *
conf_field(struct conf_ctx *ctx, const struct keydef *kd)
{
	if (kd->sec == SEC_CLASS)
		return (char *)&ctx->conf->classes[ctx->cls] + kd->off;
	return (char *)ctx->conf + kd->off;
}

static void
item_port(struct conf_ctx *ctx, const struct keydef *kd, const char *s)
{
	struct conf *c = ctx->conf;
	uint64_t v;
	int i;

	if (conf_number(s, 65535, &v) == -1 || v == 0) {
		conf_err(ctx, ctx->lineno, "%s: bad port '%s' (1..65535)",
		    kd->name, s);
		return;
	}
	for (i = 0; i < c->nports; i++)
		if (c->ports[i] == v) {
			conf_err(ctx, ctx->lineno, "%s: port %s listed twice",
			    kd->name, s);
			return;
		}
	if (c->nports == CONF_MAX_PORTS) {
		conf_err(ctx, ctx->lineno, "%s: more than %d ports", kd->name,
		    CONF_MAX_PORTS);
		return;
	}
	c->ports[c->nports++] = (uint16_t)v;
}

static void
item_escalate(struct conf_ctx *ctx, const struct keydef *kd, const char *s)
{
	struct conf *c = ctx->conf;
	int64_t us;

	if (parse_duration(s, &us) == -1) {
		conf_err(ctx, ctx->lineno, "%s: bad duration '%s' (e.g. 30s, "
		    "10m, 1h, 7d or permanent)", kd->name, s);
		return;
	}
	if (c->nescalate == CONF_MAX_ESCALATE) {
		conf_err(ctx, ctx->lineno, "%s: more than %d timeouts",
		    kd->name, CONF_MAX_ESCALATE);
		return;
	}
	c->escalate_us[c->nescalate++] = us;
}

static void
item_uid(struct conf_ctx *ctx, const struct keydef *kd, const char *s)
{
	struct conf *c = ctx->conf;
	uint32_t uid, *u;
	int i;

	if (conf_uid(s, &uid) == -1) {
		conf_err(ctx, ctx->lineno, "%s: unknown user '%s'", kd->name, s);
		return;
	}
	for (i = 0; i < c->nallow_uids; i++)
		if (c->allow_uids[i] == uid) {
			conf_err(ctx, ctx->lineno, "%s: uid %u listed twice",
			    kd->name, uid);
			return;
		}
	if ((u = reallocarray(c->allow_uids, (size_t)c->nallow_uids + 1,
	    sizeof(*u))) == NULL) {
		conf_err(ctx, ctx->lineno, "out of memory");
		return;
	}
	c->allow_uids = u;
	c->allow_uids[c->nallow_uids++] = uid;
}

/* Addresses, allow networks and destinations: one netset per key. */
static void
item_net(struct conf_ctx *ctx, const struct keydef *kd, const char *s)
{
	struct netset *ns = *(struct netset **)conf_field(ctx, kd);
	char err[160];
	struct addr a;
	int plen;

	if (kd->type == K_ADDRS && strchr(s, '/') != NULL) {
		conf_err(ctx, ctx->lineno, "%s: '%s' is a network; list it "
		    "under networks", kd->name, s);
		return;
	}
	if (parse_prefix_err(s, &a, &plen, err, sizeof(err)) == -1) {
		conf_err(ctx, ctx->lineno, "%s: %s", kd->name, err);
		return;
	}
	if (netset_add(ns, &a, plen, kd->tag) == -1) {
		if (errno == EEXIST)
			conf_err(ctx, ctx->lineno, "%s: %s listed twice",
			    kd->name, s);
		else
			conf_err(ctx, ctx->lineno, "%s", strerror(errno));
	}
}

static void
item_class_net(struct conf_ctx *ctx, const struct keydef *kd, const char *s)
{
	struct conf *c = ctx->conf;
	char err[160];
	struct addr a;
	int plen, owner;

	if (parse_prefix_err(s, &a, &plen, err, sizeof(err)) == -1) {
		conf_err(ctx, ctx->lineno, "%s: %s", kd->name, err);
		return;
	}
	if (netset_add(c->class_nets, &a, plen, ctx->cls) == 0)
		return;
	if (errno != EEXIST)
		conf_err(ctx, ctx->lineno, "%s", strerror(errno));
	else if ((owner = netset_get(c->class_nets, &a, plen)) == ctx->cls)
		conf_err(ctx, ctx->lineno, "%s: %s listed twice", kd->name, s);
	else
		conf_err(ctx, ctx->lineno, "%s: %s is already in [class %s] "
		    "(line %d)", kd->name, s, c->classes[owner].name,
		    ctx->clines[owner].header);
}

/* A path: absolute, printable, fitting its field. */
static void
set_path(struct conf_ctx *ctx, const struct keydef *kd, char *dst,
    const char *v)
{
	size_t i;

	if (*v == '\0') {
		if (kd->type == K_PATH)
			conf_err(ctx, ctx->lineno, "%s: a path is required",
			    kd->name);
		else
			*dst = '\0';
		return;
	}
	if (*v != '/') {
		conf_err(ctx, ctx->lineno, "%s: '%s' is not an absolute path",
		    kd->name, v);
		return;
	}
	for (i = 0; v[i] != '\0'; i++)
		if (iscntrl((unsigned char)v[i])) {
			conf_err(ctx, ctx->lineno, "%s: control character in "
			    "path", kd->name);
			return;
		}
	if (i >= kd->size) {
		conf_err(ctx, ctx->lineno, "%s: path longer than %zu "
		    "characters", kd->name, kd->size - 1);
		return;
	}
	memcpy(dst, v, i + 1);
}

static void
set_account(struct conf_ctx *ctx, const struct keydef *kd, char *dst,
    const char *v)
{
	uint64_t n;
	bool ok;

	if (*v == '\0' || conf_number(v, UINT32_MAX - 1, &n) == 0)
		ok = true;
	else if (!conf_name_ok(v) || strlen(v) >= kd->size)
		ok = false;
	else if (kd->type == K_GROUP)
		ok = getgrnam(v) != NULL;
	else
		ok = getpwnam(v) != NULL;
	if (!ok) {
		conf_err(ctx, ctx->lineno, "%s: unknown %s '%s'", kd->name,
		    kd->type == K_GROUP ? "group" : "user", v);
		return;
	}
	snprintf(dst, kd->size, "%s", v);
}

static bool
conf_ident_ok(const char *s, size_t max)
{
	size_t i;

	if (*s == '\0' || strlen(s) > max || !isalpha((unsigned char)*s))
		return false;
	for (i = 0; s[i] != '\0'; i++)
		if (!isalnum((unsigned char)s[i]) && strchr("_.-", s[i]) == NULL)
			return false;
	return true;
}

static void
set_nft_table(struct conf_ctx *ctx, const struct keydef *kd,
    const char *v)
{
	struct conf *c = ctx->conf;
	char fam[16], name[64], junk[2];

	if (sscanf(v, "%15s %63s %1s", fam, name, junk) != 2 ||
	    strcmp(fam, "inet") != 0 ||
	    !conf_ident_ok(name, sizeof(c->nft_table) - 1)) {
		conf_err(ctx, ctx->lineno, "%s: bad table '%s' (expected "
		    "'inet NAME', NAME of letters, digits, '_', '-', '.')",
		    kd->name, v);
		return;
	}
	snprintf(c->nft_family, sizeof(c->nft_family), "%s", fam);
	snprintf(c->nft_table, sizeof(c->nft_table), "%s", name);
}

/* Keywords of an enum or a bool. */
struct word {
	const char	*w;
	int		 v;
};

static const struct word bool_words[] = {
	{ "yes", 1 }, { "no", 0 }, { "true", 1 }, { "false", 0 },
	{ "on", 1 }, { "off", 0 }, { NULL, 0 }
};
static const struct word backend_words[] = {
	{ "ipset", BACKEND_IPSET }, { "nft", BACKEND_NFT },
	{ "none", BACKEND_NONE }, { NULL, 0 }
};
static const struct word response_words[] = {
	{ "block", RESP_BLOCK }, { "throttle", RESP_THROTTLE }, { NULL, 0 }
};

static int
conf_word(const struct word *w, const char *v, int *out)
{
	for (; w->w != NULL; w++)
		if (strcmp(w->w, v) == 0) {
			*out = w->v;
			return 0;
		}
	return -1;
}

static const char *
conf_word_name(const struct word *w, int v)
{
	for (; w->w != NULL; w++)
		if (w->v == v)
			return w->w;
	return "?";
}

/* Sets one scalar key from its value; errors are reported, never fatal. */
static void
conf_set_scalar(struct conf_ctx *ctx, const struct keydef *kd, const char *v)
{
	void *field = conf_field(ctx, kd);
	uint64_t n;
	int64_t us;
	int w;

	switch (kd->type) {
	case K_PATH:
	case K_PATH_OPT:
		set_path(ctx, kd, field, v);
		return;
	case K_GROUP:
	case K_USER:
		set_account(ctx, kd, field, v);
		return;
	case K_NFGROUP:
		if (strcmp(v, "off") == 0)
			*(int *)field = CONF_GROUP_OFF;
		else if (conf_number(v, 65535, &n) == 0)
			*(int *)field = (int)n;
		else
			conf_err(ctx, ctx->lineno, "%s: bad NFLOG group '%s' "
			    "(0..65535 or off)", kd->name, v);
		return;
	case K_INT:
	case K_U32:
		if (conf_number(v, (uint64_t)kd->max, &n) == -1 ||
		    n < (uint64_t)kd->min) {
			conf_err(ctx, ctx->lineno, "%s: bad number '%s' "
			    "(%lld..%lld)", kd->name, v, (long long)kd->min,
			    (long long)kd->max);
			return;
		}
		if (kd->type == K_INT)
			*(int *)field = (int)n;
		else
			*(uint32_t *)field = (uint32_t)n;
		return;
	case K_RATE:
	case K_RATE_OFF:
		if (parse_rate(v, field, kd->type == K_RATE_OFF) == -1)
			conf_err(ctx, ctx->lineno, "%s: bad rate '%s' "
			    "(COUNT/DURATION, e.g. 20/1m%s)", kd->name, v,
			    kd->type == K_RATE_OFF ? ", or off" : "");
		return;
	case K_DURATION:
	case K_DURATION_FIN:
		if (parse_duration(v, &us) == -1 ||
		    (kd->type == K_DURATION_FIN && us == DURATION_PERMANENT))
			conf_err(ctx, ctx->lineno, "%s: bad duration '%s' "
			    "(e.g. 30s, 10m, 1h, 7d%s)", kd->name, v,
			    kd->type == K_DURATION ? " or permanent" : "");
		else
			*(int64_t *)field = us;
		return;
	case K_BOOL:
		if (conf_word(bool_words, v, &w) == -1)
			conf_err(ctx, ctx->lineno, "%s: bad value '%s' "
			    "(yes or no)", kd->name, v);
		else
			*(bool *)field = w;
		return;
	case K_BACKEND:
		if (conf_word(backend_words, v, &w) == -1)
			conf_err(ctx, ctx->lineno, "%s: bad backend '%s' "
			    "(ipset, nft or none)", kd->name, v);
		else
			*(enum backend_kind *)field = w;
		return;
	case K_RESPONSE:
		if (conf_word(response_words, v, &w) == -1)
			conf_err(ctx, ctx->lineno, "%s: bad response '%s' "
			    "(block or throttle)", kd->name, v);
		else
			*(enum response *)field = w;
		return;
	case K_IPSET_NAME:
		if (!conf_ident_ok(v, IPSET_NAME_MAX))
			conf_err(ctx, ctx->lineno, "%s: bad set name '%s' "
			    "(1..%d letters, digits, '_', '-', '.', starting "
			    "with a letter; the IPv6 set adds '6')", kd->name,
			    v, IPSET_NAME_MAX);
		else
			snprintf(field, kd->size, "%s", v);
		return;
	case K_NFT_TABLE:
		set_nft_table(ctx, kd, v);
		return;
	default:
		return;
	}
}

static bool
conf_is_list(const struct keydef *kd)
{
	switch (kd->type) {
	case K_PORTS:
	case K_DURLIST:
	case K_ADDRS:
	case K_NETS:
	case K_UIDS:
	case K_CLASS_NETS:
		return true;
	default:
		return false;
	}
}

/* One line of a list key; first: the key's own line (resets defaults). */
static void
conf_set_list(struct conf_ctx *ctx, const struct keydef *kd, const char *v,
    bool first)
{
	struct conf *c = ctx->conf;

	switch (kd->type) {
	case K_PORTS:
		if (first) {
			c->nports = 0;
			ctx->nports_line = ctx->lineno;
		}
		conf_items(ctx, kd, v, item_port);
		return;
	case K_DURLIST:
		if (first)
			c->nescalate = 0;
		conf_items(ctx, kd, v, item_escalate);
		return;
	case K_UIDS:
		conf_items(ctx, kd, v, item_uid);
		return;
	case K_ADDRS:
	case K_NETS:
		conf_items(ctx, kd, v, item_net);
		return;
	case K_CLASS_NETS:
		conf_items(ctx, kd, v, item_class_net);
		return;
	default:
		return;
	}
}

/* ------------------------------------------------ reader and handler */

/* Cuts a comment: ';' or '#' at the start or after whitespace. */
static void
conf_strip_comment(char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if ((s[i] == ';' || s[i] == '#') &&
		    (i == 0 || isspace((unsigned char)s[i - 1]))) {
			s[i] = '\0';
			return;
		}
}

static char *
conf_trim(char *s)
{
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

static bool
conf_key_ok(const char *s)
{
	size_t i;

	if (*s == '\0' || strlen(s) > CONF_KEY_MAX)
		return false;
	for (i = 0; s[i] != '\0'; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
			return false;
	return true;
}

/* Opens a section from the text between the brackets. */
static void
conf_section(struct conf_ctx *ctx, char *name)
{
	struct conf *c = ctx->conf;
	struct conf_class *cl;
	struct class_lines *lines;
	int i;

	ctx->prev_key[0] = '\0';
	ctx->sec = SEC_IGNORE;
	for (i = SEC_DAEMON; i <= SEC_ALLOW; i++)
		if (strcmp(name, section_names[i]) == 0) {
			ctx->sec = i;
			return;
		}
	if (strncmp(name, "class", 5) != 0 ||
	    (name[5] != '\0' && !isspace((unsigned char)name[5]))) {
		conf_err(ctx, ctx->lineno, "unknown section [%s]", name);
		return;
	}
	name = conf_trim(name + 5);
	if (!conf_ident_ok(name, sizeof(cl->name) - 1)) {
		conf_err(ctx, ctx->lineno, "bad class name '%s' (1..%zu "
		    "letters, digits, '_', '-', '.', starting with a letter)",
		    name, sizeof(cl->name) - 1);
		return;
	}
	for (i = 0; i < c->nclasses; i++)
		if (strcmp(c->classes[i].name, name) == 0) {
			conf_err(ctx, ctx->lineno, "[class %s] given twice "
			    "(first at line %d)", name, ctx->clines[i].header);
			return;
		}
	if (c->nclasses == CONF_MAX_CLASSES) {
		conf_err(ctx, ctx->lineno, "more than %d classes",
		    CONF_MAX_CLASSES);
		return;
	}
	if ((cl = reallocarray(c->classes, (size_t)c->nclasses + 1,
	    sizeof(*cl))) == NULL) {
		conf_err(ctx, ctx->lineno, "out of memory");
		return;
	}
	c->classes = cl;
	if ((lines = reallocarray(ctx->clines, (size_t)c->nclasses + 1,
	    sizeof(*lines))) == NULL) {
		conf_err(ctx, ctx->lineno, "out of memory");
		return;
	}
	ctx->clines = lines;
	memset(&cl[c->nclasses], 0, sizeof(*cl));
	snprintf(cl[c->nclasses].name, sizeof(cl->name), "%s", name);
	memset(&lines[c->nclasses], 0, sizeof(*lines));
	lines[c->nclasses].header = ctx->lineno;
	ctx->cls = c->nclasses++;
	ctx->sec = SEC_CLASS;
}

/*
 * Lexes one physical line; returns what inih gets: "\n" for nothing (blank,
 * comment, or an error already reported), "[s]\n" or "key=@\n".
 */
static const char *
conf_lex(struct conf_ctx *ctx, char *line)
{
	char *eq, *s;

	ctx->cont = false;
	conf_strip_comment(line);
	s = conf_trim(line);
	if (*s == '\0')
		return "\n";
	if (*s == '[') {
		size_t n = strlen(s);

		if (s[n - 1] != ']') {
			conf_err(ctx, ctx->lineno, "expected ']' at the end of "
			    "the section header");
			ctx->sec = SEC_IGNORE;
			return "\n";
		}
		s[n - 1] = '\0';
		conf_section(ctx, conf_trim(s + 1));
		return "[s]\n";
	}
	if ((eq = strchr(s, '=')) == NULL) {
		if (s != line && ctx->prev_key[0] != '\0') {
			memcpy(ctx->key, ctx->prev_key, sizeof(ctx->key));
			ctx->val = s;
			ctx->cont = true;
			return "k=@\n";
		}
		conf_err(ctx, ctx->lineno, "expected KEY = VALUE");
		return "\n";
	}
	*eq = '\0';
	s = conf_trim(s);
	if (!conf_key_ok(s)) {
		conf_err(ctx, ctx->lineno, "bad key name '%.64s'", s);
		ctx->prev_key[0] = '\0';
		return "\n";
	}
	snprintf(ctx->key, sizeof(ctx->key), "%s", s);
	memcpy(ctx->prev_key, ctx->key, sizeof(ctx->key));
	ctx->val = conf_trim(eq + 1);
	return "k=@\n";
}

/* inih's fgets-style reader: whole lines of any length, counted. */
static char *
conf_reader(char *str, int num, void *stream)
{
	struct conf_ctx *ctx = stream;
	const char *out;
	ssize_t n;
	char *line;

	if ((n = getline(&ctx->buf, &ctx->bufsz, ctx->f)) == -1) {
		if (ferror(ctx->f))
			conf_err(ctx, ctx->lineno + 1, "read error: %s",
			    strerror(errno));
		return NULL;
	}
	ctx->lineno++;
	line = ctx->buf;
	if (ctx->lineno == 1 && n >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0)
		line += 3;		/* UTF-8 byte order mark */
	if (memchr(ctx->buf, '\0', (size_t)n) != NULL) {
		conf_err(ctx, ctx->lineno, "NUL byte in line");
		ctx->prev_key[0] = '\0';
		out = "\n";
	} else
		out = conf_lex(ctx, line);
	if ((size_t)num <= strlen(out))
		return NULL;		/* cannot happen: num is 200 */
	memcpy(str, out, strlen(out) + 1);
	return str;
}

static const struct keydef *
conf_keydef(enum section sec, const char *name)
{
	size_t i;

	for (i = 0; i < NKEYDEFS; i++)
		if (keydefs[i].sec == sec && strcmp(keydefs[i].name, name) == 0)
			return &keydefs[i];
	return NULL;
}

static int
conf_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct conf_ctx *ctx = user;
	const struct keydef *kd;
	char sec[96];
	int *lines;

	(void)section;
	(void)name;
	(void)value;
	if (ctx->sec == SEC_IGNORE)
		return 1;
	if (ctx->sec == SEC_NONE) {
		if (!ctx->cont)
			conf_err(ctx, ctx->lineno, "'%s' outside any section",
			    ctx->key);
		return 1;
	}
	conf_sec_name(ctx, sec, sizeof(sec));
	if ((kd = conf_keydef(ctx->sec, ctx->key)) == NULL) {
		if (!ctx->cont)
			conf_err(ctx, ctx->lineno, "unknown key '%s' in [%s]",
			    ctx->key, sec);
		return 1;
	}
	lines = ctx->sec == SEC_CLASS ? ctx->clines[ctx->cls].key :
	    ctx->key_line;
	if (ctx->cont) {
		if (!ctx->prev_ok)
			return 1;
		if (!conf_is_list(kd))
			conf_err(ctx, ctx->lineno, "%s takes one value; only "
			    "lists continue on indented lines", kd->name);
		else
			conf_set_list(ctx, kd, ctx->val, false);
		return 1;
	}
	ctx->prev_ok = false;
	if (lines[kd - keydefs] != 0) {
		conf_err(ctx, ctx->lineno, "'%s' given twice in [%s] (first "
		    "at line %d)", kd->name, sec, lines[kd - keydefs]);
		return 1;
	}
	lines[kd - keydefs] = ctx->lineno;
	ctx->prev_ok = true;
	if (kd->has != 0)
		*((bool *)&ctx->conf->classes[ctx->cls] + kd->has - 1) = true;
	if (conf_is_list(kd))
		conf_set_list(ctx, kd, ctx->val, true);
	else
		conf_set_scalar(ctx, kd, ctx->val);
	return 1;
}

/* --------------------------------------------------- semantic checks */

static int
conf_line_of(const struct conf_ctx *ctx, const char *name)
{
	size_t i;

	for (i = 0; i < NKEYDEFS; i++)
		if (keydefs[i].sec != SEC_CLASS &&
		    strcmp(keydefs[i].name, name) == 0)
			return ctx->key_line[i];
	return 0;
}

static int
conf_class_line_of(const struct conf_ctx *ctx, int cls, const char *name)
{
	size_t i;

	for (i = 0; i < NKEYDEFS; i++)
		if (keydefs[i].sec == SEC_CLASS &&
		    strcmp(keydefs[i].name, name) == 0)
			return ctx->clines[cls].key[i];
	return 0;
}

static int
conf_max(int a, int b)
{
	return a > b ? a : b;
}

/* What conf_check learns of the class networks in one walk. */
struct class_scan {
	int		*counts;	/* networks per class */
	int		 ipv6_prefix;
	int		*long6;		/* per class: an IPv6 network longer than
					   ipv6_prefix, its length (0 none) */
};

static void
conf_class_count(const struct addr *a, int plen, int value, void *arg)
{
	struct class_scan *cs = arg;

	cs->counts[value]++;
	if (a->family == AF_INET6 && plen > cs->ipv6_prefix)
		cs->long6[value] = plen;
}

static int
conf_uid_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* What only the whole file can tell; every problem is reported. */
static void
conf_check(struct conf_ctx *ctx)
{
	struct conf *c = ctx->conf;
	struct class_scan cs;
	int *counts, i, line;

	if (c->response == RESP_THROTTLE && c->backend == BACKEND_IPSET)
		conf_err(ctx, conf_max(conf_line_of(ctx, "response"),
		    conf_line_of(ctx, "backend")), "response = throttle needs "
		    "backend nft or none (backend is ipset)");
	if (c->forward_group != CONF_GROUP_OFF &&
	    c->forward_group == c->output_group)
		conf_err(ctx, conf_max(conf_line_of(ctx, "forward_group"),
		    conf_line_of(ctx, "output_group")), "forward_group and "
		    "output_group are both %d", c->forward_group);
	if (c->nports == 0)
		conf_err(ctx, ctx->nports_line, "ports: at least one port is "
		    "needed");
	/* The breaker keeps one timestamp per allowed block. */
	if (c->max_new_blocks.n > CONF_MAX_NEW_BLOCKS)
		conf_err(ctx, conf_line_of(ctx, "max_new_blocks"),
		    "max_new_blocks: at most %d blocks per window",
		    CONF_MAX_NEW_BLOCKS);
	if ((counts = calloc(2 * ((size_t)c->nclasses + 1),
	    sizeof(*counts))) == NULL) {
		conf_err(ctx, ctx->lineno, "out of memory");
		return;
	}
	cs.counts = counts;
	cs.long6 = counts + c->nclasses + 1;
	cs.ipv6_prefix = c->ipv6_prefix;
	netset_foreach(c->class_nets, conf_class_count, &cs);
	for (i = 0; i < c->nclasses; i++) {
		if (counts[i] == 0)
			conf_err(ctx, ctx->clines[i].header, "[class %s] has "
			    "no networks", c->classes[i].name);
		/* A source is a whole prefix: it is in a class or not. */
		if (cs.long6[i] != 0)
			conf_err(ctx, conf_class_line_of(ctx, i, "networks"),
			    "[class %s] networks: an IPv6 network of /%d is "
			    "longer than ipv6_prefix (%d): IPv6 sources are "
			    "counted per /%d", c->classes[i].name, cs.long6[i],
			    c->ipv6_prefix, c->ipv6_prefix);
		if (c->classes[i].has_response &&
		    c->classes[i].response == RESP_THROTTLE &&
		    c->backend == BACKEND_IPSET) {
			line = conf_class_line_of(ctx, i, "response");
			conf_err(ctx, line, "response = throttle needs backend "
			    "nft or none (backend is ipset)");
		}
	}
	free(counts);
	if (c->nallow_uids > 1)
		qsort(c->allow_uids, (size_t)c->nallow_uids,
		    sizeof(*c->allow_uids), conf_uid_cmp);
}

/* -------------------------------------------------------------- load */

struct conf *
conf_load_stream(FILE *f, const char *name, FILE *errs)
{
	struct conf_ctx ctx;
	struct conf *c;
	int r;

	memset(&ctx, 0, sizeof(ctx));
	ctx.f = f;
	ctx.name = name;
	ctx.errs = errs;
	if ((c = conf_defaults()) == NULL) {
		if (errs != NULL)
			fprintf(errs, "%s: out of memory\n", name);
		return NULL;
	}
	snprintf(c->path, sizeof(c->path), "%s", name);
	ctx.conf = c;
	r = ini_parse_stream(conf_reader, &ctx, conf_handler, &ctx);
	if (r == -2)
		conf_err(&ctx, ctx.lineno, "out of memory");
	conf_check(&ctx);
	conf_flush_errs(&ctx);
	free(ctx.buf);
	free(ctx.clines);
	if (ctx.nerrs != 0) {
		conf_free(c);
		return NULL;
	}
	return c;
}

struct conf *
conf_load(const char *path, FILE *errs)
{
	struct conf *c;
	FILE *f;

	if ((f = fopen(path ? path : NFLOGMON_CONF, "r")) == NULL) {
		if (path == NULL && errno == ENOENT) {
			if ((c = conf_defaults()) == NULL) {
				if (errs != NULL)
					fprintf(errs, "out of memory\n");
				return NULL;
			}
			c->defaults = true;
					return c;
		}
		if (errs != NULL)
			fprintf(errs, "%s: %s\n", path ? path : NFLOGMON_CONF,
			    strerror(errno));
		return NULL;
	}
	c = conf_load_stream(f, path ? path : NFLOGMON_CONF, errs);
	fclose(f);
	return c;
}

bool
conf_port_watched(const struct conf *c, uint16_t port)
{
	int i;

	/* At most CONF_MAX_PORTS, usually one: a scan beats a derived copy. */
	for (i = 0; i < c->nports; i++)
		if (c->ports[i] == port)
			return true;
	return false;
}

bool
conf_uid_allowed(const struct conf *c, uint32_t uid)
{
	return c->nallow_uids > 0 && bsearch(&uid, c->allow_uids,
	    (size_t)c->nallow_uids, sizeof(uid), conf_uid_cmp) != NULL;
}

/* ------------------------------------------------------------- print */

struct print_nets {
	FILE		*f;
	int		 tag;	/* value to print, -1: every value */
	bool		 first;
};

static void
conf_print_net(const struct addr *a, int plen, int value, void *arg)
{
	struct print_nets *pn = arg;
	char buf[INET6_ADDRSTRLEN];

	if (pn->tag != -1 && value != pn->tag)
		return;
	inet_ntop(a->family, a->b, buf, sizeof(buf));
	fprintf(pn->f, "%s%s", pn->first ? " " : ", ", buf);
	if (plen != (a->family == AF_INET ? 32 : 128))
		fprintf(pn->f, "/%d", plen);
	pn->first = false;
}

static void
conf_print_netset(FILE *f, const struct netset *ns, int tag)
{
	struct print_nets pn = { f, tag, true };

	netset_foreach(ns, conf_print_net, &pn);
}

/* Prints one key of the row kd from base (a conf or a conf_class). */
static void
conf_print_key(FILE *f, const struct conf *c, const struct keydef *kd,
    const void *base, int cls)
{
	const char *field = (const char *)base + kd->off;
	char buf[64];
	int i;

	fprintf(f, "%-15s=", kd->name);
	switch (kd->type) {
	case K_PATH:
	case K_PATH_OPT:
	case K_GROUP:
	case K_USER:
	case K_IPSET_NAME:
		if (*field != '\0')
			fprintf(f, " %s", field);
		break;
	case K_NFGROUP:
		if (*(const int *)field == CONF_GROUP_OFF)
			fprintf(f, " off");
		else
			fprintf(f, " %d", *(const int *)field);
		break;
	case K_PORTS:
		for (i = 0; i < c->nports; i++)
			fprintf(f, "%s%u", i ? ", " : " ", c->ports[i]);
		break;
	case K_INT:
		fprintf(f, " %d", *(const int *)field);
		break;
	case K_U32:
		fprintf(f, " %u", *(const uint32_t *)field);
		break;
	case K_RATE:
	case K_RATE_OFF:
		fprintf(f, " %s", fmt_rate((const struct rate *)field, buf,
		    sizeof(buf)));
		break;
	case K_DURATION:
	case K_DURATION_FIN:
		fprintf(f, " %s", fmt_duration(*(const int64_t *)field, buf,
		    sizeof(buf)));
		break;
	case K_DURLIST:
		for (i = 0; i < c->nescalate; i++)
			fprintf(f, "%s%s", i ? ", " : " ",
			    fmt_duration(c->escalate_us[i], buf, sizeof(buf)));
		break;
	case K_BOOL:
		fprintf(f, " %s", *(const bool *)field ? "yes" : "no");
		break;
	case K_BACKEND:
		fprintf(f, " %s", conf_word_name(backend_words,
		    (int)*(const enum backend_kind *)field));
		break;
	case K_RESPONSE:
		fprintf(f, " %s", conf_word_name(response_words,
		    (int)*(const enum response *)field));
		break;
	case K_NFT_TABLE:
		fprintf(f, " %s %s", c->nft_family, c->nft_table);
		break;
	case K_ADDRS:
	case K_NETS:
		conf_print_netset(f, *(struct netset *const *)field,
		    kd->tag);
		break;
	case K_UIDS:
		for (i = 0; i < c->nallow_uids; i++)
			fprintf(f, "%s%u", i ? ", " : " ", c->allow_uids[i]);
		break;
	case K_CLASS_NETS:
		conf_print_netset(f, c->class_nets, cls);
		break;
	}
	fputc('\n', f);
}

/*
 * Prints the effective settings, every key, in the INI syntax conf_load
 * reads back.  A class prints only the keys it sets: the others fall back
 * to [detect] and [block].
 */
void
conf_print(const struct conf *c, FILE *f)
{
	const struct conf_class *cl;
	enum section sec = SEC_NONE;
	size_t i;
	int k;

	fprintf(f, "; nflogmon %s: effective configuration from %s\n",
	    NFLOGMON_VERSION, c->defaults ? "built-in defaults" : c->path);
	for (i = 0; i < NKEYDEFS && keydefs[i].sec != SEC_CLASS; i++) {
		if (keydefs[i].sec != sec) {
			sec = keydefs[i].sec;
			fprintf(f, "%s[%s]\n", sec == SEC_DAEMON ? "" : "\n",
			    section_names[sec]);
		}
		conf_print_key(f, c, &keydefs[i], c, -1);
	}
	for (k = 0; k < c->nclasses; k++) {
		cl = &c->classes[k];
		fprintf(f, "\n[class %s]\n", cl->name);
		for (i = 0; i < NKEYDEFS; i++) {
			if (keydefs[i].sec != SEC_CLASS)
				continue;
			if (keydefs[i].has != 0 &&
			    !*((const bool *)cl + keydefs[i].has - 1))
				continue;
			conf_print_key(f, c, &keydefs[i], cl, k);
		}
	}
}

/* ------------------------------------------------------ check-config */

static void
check_config_usage(void)
{
	fprintf(stderr, "usage: nflogmon check-config [-c FILE]\n");
}

int
cmd_check_config(int argc, char **argv)
{
	const char *path = NULL;
	struct conf *c;
	int ch;

	optind = 0;
	opterr = 0;
	while ((ch = getopt(argc, argv, "+:c:h")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'h':
			check_config_usage();
			return EXIT_OK;
		case ':':
			fprintf(stderr, "nflogmon check-config: -%c needs an "
			    "argument\n", optopt);
			check_config_usage();
			return EXIT_USAGE;
		default:
			fprintf(stderr, "nflogmon check-config: unknown option "
			    "-%c\n", optopt);
			check_config_usage();
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		check_config_usage();
		return EXIT_USAGE;
	}
	if ((c = conf_load(path, stderr)) == NULL)
		return EXIT_ERR;
	if (c->defaults)
		fprintf(stderr, "nflogmon: %s does not exist; built-in "
		    "defaults apply\n", NFLOGMON_CONF);
	conf_print(c, stdout);
	conf_free(c);
	if (fflush(stdout) == EOF || ferror(stdout))
		return EXIT_ERR;
	return EXIT_OK;
}
