/*
 * conf_value.c: the values of the configuration keys, one keydef row at a
 * time: numbers, rates, durations, paths, accounts, keywords and the list
 * items.  A bad value is reported through conf_err with its line and the
 * key is left as it was; it must never be fatal, never stop the load and
 * never look at another key (that is conf_check.c's job).
 */
#define _GNU_SOURCE		/* strndup */

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

#include "conf_internal.h"

/* --------------------------------------------------------- the values */

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

/* The port list of a K_PORTS key: tag 0 ports, 1 submission_ports. */
static uint16_t *
port_list(struct conf *c, const struct keydef *kd, int **n)
{
	if (kd->tag == 1) {
		*n = &c->nsubmission_ports;
		return c->submission_ports;
	}
	*n = &c->nports;
	return c->ports;
}

static void
item_port(struct conf_ctx *ctx, const struct keydef *kd, const char *s)
{
	uint64_t v;
	int i, *n;
	uint16_t *ports = port_list(ctx->conf, kd, &n);

	if (conf_number(s, 65535, &v) == -1 || v == 0) {
		conf_err(ctx, ctx->lineno, "%s: bad port '%s' (1..65535)",
		    kd->name, s);
		return;
	}
	for (i = 0; i < *n; i++)
		if (ports[i] == v) {
			conf_err(ctx, ctx->lineno, "%s: port %s listed twice",
			    kd->name, s);
			return;
		}
	if (*n == CONF_MAX_PORTS) {
		conf_err(ctx, ctx->lineno, "%s: more than %d ports", kd->name,
		    CONF_MAX_PORTS);
		return;
	}
	ports[(*n)++] = (uint16_t)v;
}

/* A domain name: labels of letters, digits and '-', at most 253 bytes. */
static bool
domain_ok(const char *s)
{
	size_t len = strlen(s), lab = 0;
	const char *p;

	if (len == 0 || len > 253 || s[0] == '.' || s[len - 1] == '.')
		return false;
	for (p = s; *p != '\0'; p++) {
		if (*p == '.') {
			if (lab == 0)
				return false;
			lab = 0;
		} else if (isalnum((unsigned char)*p) || *p == '-') {
			if (++lab > 63)
				return false;
		} else
			return false;
	}
	return true;
}

/* Domains and logins: lower-cased into the key's strlist, once each. */
static void
item_string(struct conf_ctx *ctx, const struct keydef *kd, const char *s)
{
	struct strlist *l = conf_field(ctx, kd);
	struct key k;
	char *v, **nv;
	int i;

	if (kd->type == K_DOMAINS && !domain_ok(s)) {
		conf_err(ctx, ctx->lineno, "%s: bad domain '%s'", kd->name, s);
		return;
	}
	if (kd->type == K_ACCOUNTS && key_from_account(&k, s,
	    strlen(s)) == -1) {
		conf_err(ctx, ctx->lineno, "%s: bad login '%.80s' (1-%d "
		    "printable characters, no space)", kd->name, s,
		    ACCOUNT_MAX);
		return;
	}
	if ((v = strdup(s)) == NULL) {
		conf_err(ctx, ctx->lineno, "out of memory");
		return;
	}
	for (i = 0; v[i] != '\0'; i++)
		v[i] = (char)tolower((unsigned char)v[i]);
	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i], v) == 0) {
			conf_err(ctx, ctx->lineno, "%s: '%s' listed twice",
			    kd->name, s);
			free(v);
			return;
		}
	if ((nv = reallocarray(l->v, (size_t)l->n + 1, sizeof(*nv))) == NULL) {
		conf_err(ctx, ctx->lineno, "out of memory");
		free(v);
		return;
	}
	l->v = nv;
	l->v[l->n++] = v;
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

bool
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

/* Keywords of an enum or a bool (struct word: conf_internal.h). */
static const struct word bool_words[] = {
	{ "yes", 1 }, { "no", 0 }, { "true", 1 }, { "false", 0 },
	{ "on", 1 }, { "off", 0 }, { NULL, 0 }
};
const struct word backend_words[] = {
	{ "ipset", BACKEND_IPSET }, { "nft", BACKEND_NFT },
	{ "none", BACKEND_NONE }, { NULL, 0 }
};
const struct word response_words[] = {
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

const char *
conf_word_name(const struct word *w, int v)
{
	for (; w->w != NULL; w++)
		if (w->v == v)
			return w->w;
	return "?";
}

/*
 * [mta] policy_listen and policy_reply: the protocol's own checks.
 * policy_group is checked for its syntax only: its default, postfix, must
 * load on a host without Postfix; the start resolves it (and fails there,
 * naming it) when a unix socket is made.
 */
static void
set_mta(struct conf_ctx *ctx, const struct keydef *kd, char *dst,
    const char *v)
{
	struct mta_listen l;
	char err[256];

	if (kd->type == K_POLICY_LISTEN && *v != '\0' &&
	    mta_listen_parse(v, &l, err, sizeof(err)) == -1) {
		conf_err(ctx, ctx->lineno, "%s: %s", kd->name, err);
		return;
	}
	if (kd->type == K_POLICY_REPLY &&
	    mta_reply_check(v, err, sizeof(err)) == -1) {
		conf_err(ctx, ctx->lineno, "%s: %s", kd->name, err);
		return;
	}
	if (kd->type == K_POLICY_GROUP && *v != '\0' && !conf_name_ok(v)) {
		conf_err(ctx, ctx->lineno, "%s: bad group name '%s'",
		    kd->name, v);
		return;
	}
	if (strlen(v) >= kd->size) {
		conf_err(ctx, ctx->lineno, "%s: longer than %zu characters",
		    kd->name, kd->size - 1);
		return;
	}
	snprintf(dst, kd->size, "%s", v);
}

/* Sets one scalar key from its value; errors are reported, never fatal. */
void
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
	case K_POLICY_LISTEN:
	case K_POLICY_REPLY:
	case K_POLICY_GROUP:
		set_mta(ctx, kd, field, v);
		return;
	default:
		return;
	}
}

bool
conf_is_list(const struct keydef *kd)
{
	switch (kd->type) {
	case K_PORTS:
	case K_DURLIST:
	case K_ADDRS:
	case K_NETS:
	case K_UIDS:
	case K_CLASS_NETS:
	case K_DOMAINS:
	case K_ACCOUNTS:
		return true;
	default:
		return false;
	}
}

/* One line of a list key; first: the key's own line (resets defaults). */
void
conf_set_list(struct conf_ctx *ctx, const struct keydef *kd, const char *v,
    bool first)
{
	struct conf *c = ctx->conf;

	switch (kd->type) {
	case K_PORTS:
		if (first) {
			if (kd->tag == 1) {
				c->nsubmission_ports = 0;
				ctx->nsubmission_line = ctx->lineno;
			} else {
				c->nports = 0;
				ctx->nports_line = ctx->lineno;
			}
		}
		conf_items(ctx, kd, v, item_port);
		return;
	case K_DOMAINS:
	case K_ACCOUNTS:
		conf_items(ctx, kd, v, item_string);
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
