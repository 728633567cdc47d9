/*
 * conf.c: the configuration file (DESIGN.md "Configuration and defaults"):
 * the defaults, the table of keys, the reader and handler, and the load.
 * The values are conf_value.c's, the checks of the whole file
 * conf_check.c's, the printing and `nflogmon check-config` conf_print.c's.
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
#include <strings.h>

#include "conf_internal.h"

const char *const section_names[] = {
	[SEC_DAEMON] = "daemon",
	[SEC_CAPTURE] = "capture",
	[SEC_DETECT] = "detect",
	[SEC_BLOCK] = "block",
	[SEC_ALLOW] = "allow",
	[SEC_ACCOUNTS] = "accounts",
	[SEC_MTA] = "mta",
	[SEC_FLEET] = "fleet",
};

#define D(f)	offsetof(struct conf, f), sizeof(((struct conf *)0)->f)
#define C(f)	offsetof(struct conf_class, f), \
		sizeof(((struct conf_class *)0)->f)
#define HAS(f)	(offsetof(struct conf_class, f) + 1)
/* A counted rule's threshold in its section and in [class NAME]. */
#define RULE_KEY_(id, nm, cnt, knd, flg, sec, ...)			\
	{ SEC_##sec, #nm, K_RATE_OFF, D(rate[RULE_##id]), 0, 0, 0, 0 },
#define RULE_CLASS_KEY_(id, nm, ...)					\
	{ SEC_CLASS, #nm, K_RATE_OFF, C(rate[RULE_##id]), 0, 0,		\
	    HAS(has_rate[RULE_##id]), 0 },

/* The order of conf_print and of the man page. */
const struct keydef keydefs[] = {
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
	{ SEC_CAPTURE, "lan_interfaces", K_IFACES, D(lan_interfaces), 0, 0,
	    0, 0 },
	{ SEC_CAPTURE, "log_allowed", K_BOOL, D(log_allowed), 0, 0, 0, 0 },
	RULES_SOURCES(RULE_KEY_)
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
	RULES_ACCOUNTS(RULE_KEY_)
	{ SEC_ACCOUNTS, "sender_domains", K_DOMAINS, D(sender_domains), 0, 0,
	    0, 0 },
	{ SEC_ACCOUNTS, "max_accounts", K_U32, D(max_accounts), 1, UINT32_MAX,
	    0, 0 },
	{ SEC_ACCOUNTS, "block_clients", K_BOOL, D(block_clients), 0, 0, 0,
	    0 },
	{ SEC_ACCOUNTS, "submission_ports", K_PORTS, D(submission_ports), 0,
	    0, 0, 1 },
	{ SEC_MTA, "policy_listen", K_POLICY_LISTEN, D(policy_listen), 0, 0, 0,
	    0 },
	{ SEC_MTA, "policy_group", K_POLICY_GROUP, D(policy_group), 0, 0, 0,
	    0 },
	{ SEC_MTA, "policy_reply", K_POLICY_REPLY, D(policy_reply), 0, 0, 0,
	    0 },
	{ SEC_MTA, "maillog", K_PATH_OPT, D(maillog), 0, 0, 0, 0 },
	{ SEC_ALLOW, "addresses", K_ADDRS, D(allow_src), 0, 0, 0, 0 },
	{ SEC_ALLOW, "networks", K_NETS, D(allow_src), 0, 0, 0, 1 },
	{ SEC_ALLOW, "uids", K_UIDS, D(allow_uids), 0, 0, 0, 0 },
	{ SEC_ALLOW, "destinations", K_NETS, D(allow_dst), 0, 0, 0, 0 },
	{ SEC_ALLOW, "accounts", K_ACCOUNTS, D(allow_accounts), 0, 0, 0, 0 },
	{ SEC_FLEET, "lapi_url", K_URL, D(fleet_lapi_url), 0, 0, 0, 0 },
	{ SEC_FLEET, "ca_file", K_PATH_OPT, D(fleet_ca_file), 0, 0, 0, 0 },
	{ SEC_FLEET, "machine_id", K_IDENT, D(fleet_machine_id), 0, 0, 0, 0 },
	{ SEC_FLEET, "password_file", K_SECRET, D(fleet_password_file), 0, 0,
	    0, 0 },
	{ SEC_FLEET, "bouncer_key_file", K_SECRET, D(fleet_bouncer_key_file),
	    0, 0, 0, 0 },
	{ SEC_FLEET, "pull_interval", K_DURATION_FIN, D(fleet_pull_interval_us),
	    0, 0, 0, 0 },
	{ SEC_FLEET, "max_duration", K_DURATION_FIN, D(fleet_max_duration_us),
	    0, 0, 0, 0 },
	{ SEC_FLEET, "max_new_blocks", K_RATE, D(fleet_max_new_blocks), 0, 0,
	    0, 0 },
	{ SEC_CLASS, "networks", K_CLASS_NETS, 0, 0, 0, 0, 0, 0 },
	RULES_SOURCES(RULE_CLASS_KEY_)
	{ SEC_CLASS, "response", K_RESPONSE, C(response), 0, 0,
	    HAS(has_response), 0 },
	{ SEC_CLASS, "throttle_rate", K_RATE, C(throttle_rate), 0, 0,
	    HAS(has_throttle_rate), 0 },
};

/*
 * Errors are collected and printed in line order at the end, so that the
 * semantic errors found after parsing sit among the others.
 */
void
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
	c->log_allowed = true;
	for (int r = 1; r <= RULE_LAST_COUNTED; r++)
		c->rate[r] = rule_defs[r].def;
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
	c->fleet_pull_interval_us = US_PER_S;
	c->fleet_max_duration_us = 7 * 86400 * US_PER_S;
	c->fleet_max_new_blocks = (struct rate){ 1000, 60 * US_PER_S, false };
	c->max_accounts = 100000;
	c->submission_ports[0] = 25;
	c->submission_ports[1] = 465;
	c->submission_ports[2] = 587;
	c->nsubmission_ports = 3;
	snprintf(c->policy_group, sizeof(c->policy_group), "postfix");
	snprintf(c->policy_reply, sizeof(c->policy_reply), "%s",
	    "DEFER 4.7.1 Sending from this account is suspended: "
	    "unusual activity");
	return c;
}

static void
strlist_free(struct strlist *l)
{
	int i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
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
	strlist_free(&c->sender_domains);
	strlist_free(&c->allow_accounts);
	free(c->classes);
	explicit_bzero(c->fleet_password, sizeof(c->fleet_password));
	explicit_bzero(c->fleet_bouncer_key, sizeof(c->fleet_bouncer_key));
	free(c);
}

/* ------------------------------------------------ reader and handler */

static const char *
conf_sec_name(const struct conf_ctx *ctx, char *buf, size_t len)
{
	if (ctx->sec == SEC_CLASS)
		snprintf(buf, len, "class %s", ctx->conf->classes[ctx->cls].name);
	else
		snprintf(buf, len, "%s", section_names[ctx->sec]);
	return buf;
}

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
	for (i = SEC_DAEMON; i <= SEC_FLEET; i++)
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
	conf_fleet_check(&ctx);
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

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

bool
conf_account_allowed(const struct conf *c, const char *login)
{
	return c->allow_accounts.n > 0 && bsearch(&login, c->allow_accounts.v,
	    (size_t)c->allow_accounts.n, sizeof(char *), str_cmp) != NULL;
}

bool
conf_sender_domain_ok(const struct conf *c, const char *domain, size_t len)
{
	int i;

	for (i = 0; i < c->sender_domains.n; i++)
		if (strlen(c->sender_domains.v[i]) == len &&
		    strncasecmp(c->sender_domains.v[i], domain, len) == 0)
			return true;
	return false;
}

void
conf_sort_accounts(struct conf *c)
{
	if (c->allow_accounts.n > 1)
		qsort(c->allow_accounts.v, (size_t)c->allow_accounts.n,
		    sizeof(char *), str_cmp);
}

bool
conf_uid_allowed(const struct conf *c, uint32_t uid)
{
	return c->nallow_uids > 0 && bsearch(&uid, c->allow_uids,
	    (size_t)c->nallow_uids, sizeof(uid), conf_uid_cmp) != NULL;
}
