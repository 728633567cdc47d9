/*
 * nft.c: the nftables backend (libnftables for the table, libnftnl batches
 * for the elements, nft_nl.c).  Blocks sources in the sets
 * of one table (default `inet nflogmon`), which rules.nft enforces, and
 * owns throttling outright: for each distinct throttle_rate it keeps a set
 * and the rules that let its members through at that rate.
 *
 * The table:
 *   blocked4, throttled4     ipv4_addr, flags timeout
 *   blocked6, throttled6     ipv6_addr, flags interval, timeout (prefixes)
 *   blocked_uids, throttled_uids   uid, flags timeout (meta skuid)
 *   throttle_<tag>{4,6,_uids}      one rate's members (tag "5_60s")
 *   throttle_<tag>_meter{4,6,_uids} per-source token buckets (dynamic)
 *   clients4, clients6       block_clients: an account's client addresses
 *                            (keys marked client), refused on submission
 *   chains throttle_forward, throttle_output (base, priority filter + 10)
 *   jump to chain throttle, which holds each rate's rules.
 * The throttled* sets hold every throttled source (what list reports and
 * an operator inspects); the per-rate set says at which rate.  Both are
 * written in one transaction, so they never disagree.
 *
 * Every verb is one kernel transaction, all or nothing: block and unblock
 * one netlink batch (nft_nl.c), init one libnftables command buffer.  Idempotence without parsing error texts:
 * an element is removed with "add; delete" (the add makes the delete
 * always find it) and (re)added with "add; delete; add with timeout", which
 * also refreshes its timeout on kernels where a plain add of an existing
 * element keeps the old one.  Measured on 6.18 that add updates it, but
 * older kernels do not; the three-step form works on both.
 *
 * Measured (1000 IPv4 sources): block 30-50 us as a batch (151 us as
 * libnftables text), test 33 us, list of 1000 in 4.4 ms.  Element
 * timeouts are the real ones (nft has no ipset-like 24.8-day limit;
 * 3000 days measured); permanent means no timeout.  The throttle meters
 * forget a source after W idle; one whose members outnumber the meter
 * (65536 active within W) rejects the rest: fail closed.
 *
 * A block costs about what ipset's does, so act.c calls the backend in
 * line.  Still never per packet; only verdicts, expiries, the control
 * socket, reconciliation and a resync reach it.  libnftables
 * (text, ~61 us a command) is left to the rare verbs: init, list, test and
 * a throttle rate first seen at block time.  It must never touch any
 * table but its own.
 *
 * This file holds the verbs, init and the command plumbing; the throttle
 * sets, meters and rules are nft_throttle.c's, the list verb nft_list.c's.
 */
#define _GNU_SOURCE	/* strchrnul, reallocarray */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <jansson.h>
#include <nftables/libnftables.h>

#include "nflogmon.h"
#include "nft.h"

/* The kernel's answer when an element is absent (a missing set or table
 * is reported by libnftables' own cache, without "Could not process"). */
#define NFT_ENOENT_ELEM		"Could not process rule: No such file or directory"

const char *const nft_kind_suffix[] = {
	[KEY_V4] = "4", [KEY_V6] = "6", [KEY_UID] = "_uids",
};

const char *const nft_kind_type[] = {
	[KEY_V4] = "ipv4_addr", [KEY_V6] = "ipv6_addr", [KEY_UID] = "uid",
};

void
cb_printf(struct cmdbuf *cb, const char *fmt, ...)
{
	va_list	ap;
	int	n;
	char	*ns;
	size_t	ncap;

	if (cb->oom)
		return;
	for (;;) {
		if (cb->cap > cb->len) {
			va_start(ap, fmt);
			n = vsnprintf(cb->s + cb->len, cb->cap - cb->len, fmt, ap);
			va_end(ap);
			if (n < 0) {
				cb->oom = true;
				return;
			}
			if ((size_t)n < cb->cap - cb->len) {
				cb->len += (size_t)n;
				return;
			}
		}
		ncap = cb->cap ? cb->cap * 2 : 1024;
		if ((ns = realloc(cb->s, ncap)) == NULL) {
			cb->oom = true;
			return;
		}
		cb->s = ns;
		cb->cap = ncap;
	}
}

static bool
nft_name_ok(const char *s, size_t max)
{
	size_t i;

	if (s[0] == '\0' || !isalpha((unsigned char)s[0]))
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		if (i >= max || !(isalnum((unsigned char)s[i]) || s[i] == '_' ||
		    s[i] == '-' || s[i] == '.'))
			return false;
	}
	return true;
}

char *
nft_elem_format(const struct key *k, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	switch (k->kind) {
	case KEY_V4:
		if (inet_ntop(AF_INET, k->addr, a, sizeof(a)) == NULL)
			return NULL;
		snprintf(buf, len, "%s", a);
		return buf;
	case KEY_V6:
		if (k->plen > 128 ||
		    inet_ntop(AF_INET6, k->addr, a, sizeof(a)) == NULL)
			return NULL;
		if (k->plen == 128)
			snprintf(buf, len, "%s", a);
		else
			snprintf(buf, len, "%s/%u", a, (unsigned)k->plen);
		return buf;
	case KEY_UID:
		snprintf(buf, len, "%lu", (unsigned long)k->uid);
		return buf;
	default:
		return NULL;
	}
}

/*
 * Copies libnftables' error buffer into out as one line: the "Error: "
 * lines joined with "; ", without the echoed command and carets.
 */
static void
nft_errtext(const char *ebuf, char *out, size_t outlen)
{
	const char	*p, *nl;
	size_t		 o = 0, n;

	out[0] = '\0';
	if (ebuf == NULL)
		return;
	for (p = ebuf; *p != '\0' && o + 1 < outlen; p = nl + (*nl != '\0')) {
		nl = strchrnul(p, '\n');
		if (strncmp(p, "Error: ", 7) != 0)
			continue;
		p += 7;
		n = (size_t)(nl - p);
		if (o > 0 && o + 2 < outlen) {
			memcpy(out + o, "; ", 2);
			o += 2;
		}
		if (n > outlen - 1 - o)
			n = outlen - 1 - o;
		memcpy(out + o, p, n);
		o += n;
		out[o] = '\0';
	}
	if (o == 0 && ebuf[0] != '\0') {	/* no "Error:" line: first line */
		nl = strchrnul(ebuf, '\n');
		n = (size_t)(nl - ebuf);
		if (n > outlen - 1)
			n = outlen - 1;
		memcpy(out, ebuf, n);
		out[n] = '\0';
	}
	if (out[0] == '\0')
		snprintf(out, outlen, "libnftables failed without a message");
}

/*
 * Runs one command buffer (one transaction).  json: JSON output (for
 * list and get).  On success *out (if asked) points into libnftables'
 * output buffer, valid until the next run.  On failure nerr holds the
 * kernel's (or libnftables') words.
 */
int
nft_exec(struct nft_priv *p, const char *cmd, bool json, const char **out,
    char *nerr, size_t nerrlen)
{
	const char	*o, *e;
	int		 rv;

	nft_ctx_output_set_flags(p->ctx, json ? NFT_CTX_OUTPUT_JSON : 0);
	rv = nft_run_cmd_from_buffer(p->ctx, cmd);
	o = nft_ctx_get_output_buffer(p->ctx);
	e = nft_ctx_get_error_buffer(p->ctx);
	if (rv != 0) {
		nft_errtext(e, nerr, nerrlen);
		return -1;
	}
	if (out != NULL)
		*out = o != NULL ? o : "";
	return 0;
}

int
nft_exec_buf(struct nft_priv *p, struct cmdbuf *cb, char *nerr,
    size_t nerrlen)
{
	if (cb->oom) {
		snprintf(nerr, nerrlen, "out of memory building a command");
		return -1;
	}
	if (cb->len == 0)
		return 0;
	return nft_exec(p, cb->s, false, NULL, nerr, nerrlen);
}

bool
nft_kind_held(const struct nft_priv *p, enum key_kind kind)
{
	return kind == KEY_UID || (kind == KEY_V4 && p->v4) ||
	    (kind == KEY_V6 && p->v6);
}

/* The set declaration of a member set of kind. */
void
cb_set_decl(struct cmdbuf *cb, const struct nft_priv *p, const char *name,
    enum key_kind kind)
{
	cb_printf(cb, "add set %s %s %s { type %s; flags %stimeout; }\n",
	    p->family, p->table, name, nft_kind_type[kind],
	    kind == KEY_V6 ? "interval, " : "");
}

/* ------------------------------------------------------------ init */

/* What init found in the table. */
struct nft_found {
	json_t		*root;		/* owns the strings below */
	bool		 table;
	bool		 rejects[KEY_UID + 1];	/* a rule rejects @blocked* */
};

static json_t *
nft_found_set(const struct nft_found *f, const char *name)
{
	json_t		*items, *it, *set;
	const char	*n;
	size_t		 i;

	items = json_object_get(f->root, "nftables");
	json_array_foreach(items, i, it) {
		if ((set = json_object_get(it, "set")) == NULL)
			continue;
		n = json_string_value(json_object_get(set, "name"));
		if (n != NULL && strcmp(n, name) == 0)
			return set;
	}
	return NULL;
}

static bool
nft_json_has_flag(json_t *set, const char *flag)
{
	json_t	*flags, *f;
	size_t	 i;

	flags = json_object_get(set, "flags");
	if (json_is_string(flags))
		return strcmp(json_string_value(flags), flag) == 0;
	json_array_foreach(flags, i, f)
		if (json_is_string(f) && strcmp(json_string_value(f), flag) == 0)
			return true;
	return false;
}

/* Reads the table (JSON) into f; a missing table is not an error. */
static int
nft_read_table(struct nft_priv *p, struct nft_found *f, char *err,
    size_t errlen)
{
	char		 cmd[160], nerr[512], ref[32];
	const char	*out;
	json_t		*items, *it, *rule, *expr;
	json_error_t	 jerr;
	size_t		 i;
	char		*s;
	int		 kind;

	memset(f, 0, sizeof(*f));
	snprintf(cmd, sizeof(cmd), "list table %s %s", p->family, p->table);
	if (nft_exec(p, cmd, true, &out, nerr, sizeof(nerr)) != 0) {
		if (strstr(nerr, "No such file or directory") != NULL)
			return 0;
		snprintf(err, errlen, "nft table %s %s: %s", p->family,
		    p->table, nerr);
		return -1;
	}
	if ((f->root = json_loads(out, 0, &jerr)) == NULL) {
		snprintf(err, errlen, "nft table %s %s: unreadable JSON "
		    "listing: %s", p->family, p->table, jerr.text);
		return -1;
	}
	f->table = true;
	items = json_object_get(f->root, "nftables");
	json_array_foreach(items, i, it) {
		if ((rule = json_object_get(it, "rule")) == NULL)
			continue;
		expr = json_object_get(rule, "expr");
		if ((s = json_dumps(expr, JSON_COMPACT)) == NULL)
			continue;
		for (kind = KEY_V4; kind <= KEY_UID; kind++) {
			snprintf(ref, sizeof(ref), "\"@blocked%s\"",
			    nft_kind_suffix[kind]);
			if (strstr(s, ref) != NULL &&
			    (strstr(s, "\"reject\"") != NULL ||
			    strstr(s, "\"drop\"") != NULL))
				f->rejects[kind] = true;
		}
		free(s);
	}
	return 0;
}

/*
 * Checks one set the daemon needs: right type and flags when present;
 * when missing, declares it in cb (create) or fails.  *missing is set.
 */
static int
nft_check_set(struct nft_priv *p, const struct nft_found *f,
    const char *name, enum key_kind kind, bool dynamic, bool create,
    struct cmdbuf *cb, bool *missing, char *err, size_t errlen)
{
	json_t		*set, *type;
	const char	*t;
	char		*dump;

	*missing = false;
	if ((set = nft_found_set(f, name)) == NULL) {
		*missing = true;
		if (!create) {
			snprintf(err, errlen, "nft table %s %s: set %s is "
			    "missing and create_sets = no; load the ruleset "
			    "with `nft -f rules.nft`", p->family, p->table,
			    name);
			return -1;
		}
		if (!dynamic)
			cb_set_decl(cb, p, name, kind);
		return 0;
	}
	type = json_object_get(set, "type");
	t = json_string_value(type);
	if (t == NULL || strcmp(t, nft_kind_type[kind]) != 0) {
		dump = t == NULL ? json_dumps(type, JSON_COMPACT) : NULL;
		snprintf(err, errlen, "nft table %s %s: set %s has type %s, "
		    "expected %s; delete it (nft delete set %s %s %s) or fix "
		    "the ruleset", p->family, p->table, name,
		    t != NULL ? t : dump != NULL ? dump : "?",
		    nft_kind_type[kind], p->family, p->table, name);
		free(dump);
		return -1;
	}
	if (!nft_json_has_flag(set, "timeout") ||
	    (kind == KEY_V6 && !dynamic && !nft_json_has_flag(set, "interval"))) {
		snprintf(err, errlen, "nft table %s %s: set %s lacks flags "
		    "expected: type %s; flags %stimeout", p->family, p->table,
		    name, nft_kind_type[kind],
		    kind == KEY_V6 && !dynamic ? "interval, " : "");
		return -1;
	}
	return 0;
}

/* A rate tag as nft_rate_tag writes it ("5_60s"): safe in a command. */
static bool
nft_tag_ok(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return false;
	return len > 0;
}

/*
 * Remembers the rate tags of throttle_* member sets already in the table,
 * so unblock empties them even when the config no longer names them.  A set
 * name is any string to the kernel (nft -j can make "throttle_a } ; ...4"),
 * and tags are pasted into commands: a name that nft_rate_tag cannot have
 * written is not ours and is left alone.
 */
static int
nft_found_rates(struct nft_priv *p, const struct nft_found *f)
{
	json_t		*items, *it, *set;
	const char	*n, *suf;
	char		 tag[48];
	size_t		 i, len, slen;
	int		 kind;

	items = json_object_get(f->root, "nftables");
	json_array_foreach(items, i, it) {
		if ((set = json_object_get(it, "set")) == NULL ||
		    (n = json_string_value(json_object_get(set, "name"))) ==
		    NULL || strncmp(n, "throttle_", 9) != 0 ||
		    strstr(n, "_meter") != NULL)
			continue;
		n += 9;
		len = strlen(n);
		for (kind = KEY_V4; kind <= KEY_UID; kind++) {
			suf = nft_kind_suffix[kind];
			slen = strlen(suf);
			if (len > slen && len - slen < sizeof(tag) &&
			    strcmp(n + len - slen, suf) == 0 &&
			    nft_tag_ok(n, len - slen)) {
				memcpy(tag, n, len - slen);
				tag[len - slen] = '\0';
				if (nft_rate_add(p, tag) == NULL)
					return -1;
				break;
			}
		}
	}
	return 0;
}

static void
nft_warn_unenforced(const struct nft_priv *p, const struct nft_found *f)
{
	char	miss[96];
	size_t	o = 0;
	int	kind;

	miss[0] = '\0';
	for (kind = KEY_V4; kind <= KEY_UID; kind++) {
		if (!nft_kind_held(p, kind) || f->rejects[kind])
			continue;
		o += (size_t)snprintf(miss + o, sizeof(miss) - o, "%s@blocked%s",
		    o ? ", " : "", nft_kind_suffix[kind]);
	}
	if (o > 0)
		log_warnx("nft table %s %s: no rule rejects sources in %s: "
		    "such blocks are recorded but not enforced; load the "
		    "enforcement rules with `nft -f rules.nft`", p->family,
		    p->table, miss);
}

static void
nft_priv_free(struct nft_priv *p)
{
	if (p == NULL)
		return;
	if (p->ctx != NULL)
		nft_ctx_free(p->ctx);
	nft_nl_close(p);
	free(p->rates);
	free(p);
}

static int
nft_init_priv(struct backend *b, const struct conf *conf, char *err,
    size_t errlen)
{
	struct nft_priv *p;

	if (!nft_name_ok(conf->nft_family, sizeof(conf->nft_family)) ||
	    !nft_name_ok(conf->nft_table, sizeof(conf->nft_table))) {
		snprintf(err, errlen, "nft_table \"%s %s\": family and table "
		    "must be names", conf->nft_family, conf->nft_table);
		return -1;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		snprintf(err, errlen, "nft: %s", strerror(errno));
		return -1;
	}
	if ((p->ctx = nft_ctx_new(NFT_CTX_DEFAULT)) == NULL ||
	    nft_ctx_buffer_output(p->ctx) != 0 ||
	    nft_ctx_buffer_error(p->ctx) != 0) {
		snprintf(err, errlen, "nft: cannot start a libnftables context");
		nft_priv_free(p);
		return -1;
	}
	snprintf(p->family, sizeof(p->family), "%s", conf->nft_family);
	snprintf(p->table, sizeof(p->table), "%s", conf->nft_table);
	if (nft_nl_open(p, err, errlen) != 0) {
		nft_priv_free(p);
		return -1;
	}
	p->v4 = strcmp(p->family, "ip6") != 0;
	p->v6 = strcmp(p->family, "ip") != 0;
	p->ipv6_prefix = conf->ipv6_prefix;
	p->clients = conf->block_clients;
	p->nports = conf->nports;
	memcpy(p->ports, conf->ports, sizeof(p->ports));
	if (p->nports == 0) {
		p->ports[0] = 25;
		p->nports = 1;
	}
	b->priv = p;
	b->conf = conf;
	return 0;
}

static int
nft_init(struct backend *b, const struct conf *conf, bool *created,
    char *err, size_t errlen)
{
	static const char *const bases[] = { "blocked", "throttled" };
	struct nft_priv	*p;
	struct nft_found f;
	struct cmdbuf	 cb = { 0 };
	char		 name[128], nerr[512];
	bool		 missing;
	size_t		 i, j;
	int		 kind, rv = -1;

	*created = false;
	if (nft_init_priv(b, conf, err, errlen) != 0)
		return -1;
	p = b->priv;
	if (nft_read_table(p, &f, err, errlen) != 0)
		goto out;
	if (!f.table) {
		if (!conf->create_sets) {
			snprintf(err, errlen, "nft table %s %s is missing and "
			    "create_sets = no; load the ruleset with "
			    "`nft -f rules.nft`", p->family, p->table);
			goto out;
		}
		cb_printf(&cb, "add table %s %s\n", p->family, p->table);
	}
	if (nft_conf_rates(p, conf) != 0 || nft_found_rates(p, &f) != 0) {
		snprintf(err, errlen, "nft: out of memory");
		goto out;
	}
	for (kind = KEY_V4; kind <= KEY_UID; kind++) {
		if (!nft_kind_held(p, kind))
			continue;
		for (i = 0; i < 2; i++) {
			snprintf(name, sizeof(name), "%s%s", bases[i],
			    nft_kind_suffix[kind]);
			if (nft_check_set(p, &f, name, kind, false,
			    conf->create_sets, &cb, &missing, err, errlen) != 0)
				goto out;
			*created |= missing;
		}
		if (p->clients && kind != KEY_UID) {
			snprintf(name, sizeof(name), "clients%s",
			    nft_kind_suffix[kind]);
			if (nft_check_set(p, &f, name, kind, false,
			    conf->create_sets, &cb, &missing, err, errlen) != 0)
				goto out;
			*created |= missing;
		}
		/* The daemon's own throttle sets: always created. */
		for (j = 0; j < p->nrates; j++) {
			snprintf(name, sizeof(name), "throttle_%s%s",
			    p->rates[j].tag, nft_kind_suffix[kind]);
			if (nft_check_set(p, &f, name, kind, false, true, &cb,
			    &missing, err, errlen) != 0)
				goto out;
			snprintf(name, sizeof(name), "throttle_%s_meter%s",
			    p->rates[j].tag, nft_kind_suffix[kind]);
			if (nft_check_set(p, &f, name, kind, true, true, &cb,
			    &missing, err, errlen) != 0)
				goto out;
		}
	}
	cb_chains(&cb, p);
	for (j = 0; j < p->nrates; j++)
		if (p->rates[j].has_rate && cb_rate(&cb, p, &p->rates[j].rate,
		    p->rates[j].tag, err, errlen) != 0)
			goto out;
	if (nft_exec_buf(p, &cb, nerr, sizeof(nerr)) != 0) {
		snprintf(err, errlen, "nft table %s %s: setting up sets and "
		    "throttle rules: %s", p->family, p->table, nerr);
		goto out;
	}
	nft_warn_unenforced(p, &f);
	rv = 0;
out:
	json_decref(f.root);
	free(cb.s);
	if (rv != 0) {
		nft_priv_free(p);
		b->priv = NULL;
	}
	return rv;
}

/* ------------------------------------------------------------ verbs */

static int
nft_key_check(struct nft_priv *p, const struct key *k, char *elem,
    size_t elemlen, char *err, size_t errlen)
{
	char ks[KEY_STRLEN];

	if (p == NULL) {
		snprintf(err, errlen, "nft: backend not initialised");
		return -1;
	}
	if (k->kind < KEY_V4 || k->kind > KEY_UID ||
	    nft_elem_format(k, elem, elemlen) == NULL) {
		snprintf(err, errlen, "nft: cannot hold source %s",
		    key_format(k, ks, sizeof(ks)));
		return -1;
	}
	if (!nft_kind_held(p, k->kind) || (k->client && (!p->clients ||
	    k->kind == KEY_UID))) {
		snprintf(err, errlen, "nft table %s %s holds no sets for %s",
		    p->family, p->table, key_format(k, ks, sizeof(ks)));
		return -1;
	}
	return 0;
}

static bool
nft_kept(const char *name, const char *keep1, const char *keep2)
{
	return (keep1 != NULL && strcmp(name, keep1) == 0) ||
	    (keep2 != NULL && strcmp(name, keep2) == 0);
}

/* Empties every set of k's kind that could hold it, except keep1, keep2. */
static void
nft_remove_all(struct nft_batch *nb, struct nft_priv *p,
    const struct key *k, const char *keep1, const char *keep2)
{
	static const char *const bases[] = { "blocked", "throttled" };
	char	name[128];
	size_t	i;

	for (i = 0; i < 2; i++) {
		snprintf(name, sizeof(name), "%s%s", bases[i],
		    nft_kind_suffix[k->kind]);
		if (!nft_kept(name, keep1, keep2))
			nft_batch_remove(nb, p, name, k);
	}
	for (i = 0; i < p->nrates; i++) {
		snprintf(name, sizeof(name), "throttle_%s%s", p->rates[i].tag,
		    nft_kind_suffix[k->kind]);
		if (!nft_kept(name, keep1, keep2))
			nft_batch_remove(nb, p, name, k);
	}
}

static int
nft_fail(const struct nft_priv *p, const char *set, const struct key *k,
    const char *nerr, char *err, size_t errlen)
{
	char ks[KEY_STRLEN];

	snprintf(err, errlen, "nft table %s %s set %s, %s: %s", p->family,
	    p->table, set, key_format(k, ks, sizeof(ks)), nerr);
	return -1;
}

/*
 * Appends k's block to nb: out of every other set that could hold it,
 * into its own (set: its name, for the error).  0, or -1 with err when k
 * cannot be blocked here (nothing appended then).
 */
static int
nft_block_build(struct nft_priv *p, struct nft_batch *nb,
    const struct backend_put *bp, char *set, size_t setlen, char *err,
    size_t errlen)
{
	const struct key *k = bp->key;
	char		 elem[INET6_ADDRSTRLEN + 8], rset[160], tag[48];

	if (nft_key_check(p, k, elem, sizeof(elem), err, errlen) != 0)
		return -1;
	if (bp->timeout_us <= 0) {
		snprintf(err, errlen, "nft: timeout must be positive");
		return -1;
	}
	if (k->client) {	/* block_clients: its own sets, blocked only */
		snprintf(set, setlen, "clients%s", nft_kind_suffix[k->kind]);
		nft_batch_put(nb, p, set, k, bp->timeout_us);
	} else if (bp->resp == RESP_THROTTLE) {
		if (bp->throttle_rate == NULL || bp->throttle_rate->off) {
			snprintf(err, errlen, "nft: throttle without a rate");
			return -1;
		}
		if (nft_rate_ensure(p, bp->throttle_rate, tag, sizeof(tag),
		    err, errlen) != 0)
			return -1;
		snprintf(set, setlen, "throttled%s", nft_kind_suffix[k->kind]);
		snprintf(rset, sizeof(rset), "throttle_%s%s", tag,
		    nft_kind_suffix[k->kind]);
		/* out of blocked* and every other rate's set */
		nft_remove_all(nb, p, k, set, rset);
		nft_batch_put(nb, p, set, k, bp->timeout_us);
		nft_batch_put(nb, p, rset, k, bp->timeout_us);
	} else {
		snprintf(set, setlen, "blocked%s", nft_kind_suffix[k->kind]);
		nft_remove_all(nb, p, k, set, NULL);
		nft_batch_put(nb, p, set, k, bp->timeout_us);
	}
	return 0;
}

static int
nft_block(struct backend *b, const struct key *k, int64_t timeout_us,
    enum response resp, const struct rate *throttle_rate, char *err,
    size_t errlen)
{
	struct nft_priv	*p = b->priv;
	struct nft_batch nb = { 0 };
	struct backend_put bp = { k, timeout_us, resp, throttle_rate };
	char		 set[128], nerr[512];
	int		 rv;

	if (nft_block_build(p, &nb, &bp, set, sizeof(set), err, errlen) != 0) {
		nft_batch_free(&nb);
		return -1;
	}
	rv = nft_batch_run(p, &nb, nerr, sizeof(nerr));
	nft_batch_free(&nb);
	if (rv != 0)
		return nft_fail(p, set, k, nerr, err, errlen);
	return 0;
}

/* A transaction of many blocks stays under this many bytes, well inside
 * a netlink socket's default send buffer (a larger message is refused),
 * and its acks (one a message) within what the receive buffer holds
 * (maxacks), with room for one more block's messages at most: */
#define NFT_MANY_BYTES		(96 * 1024)
#define NFT_MANY_PER_BLOCK	64

/*
 * Many blocks (a start after a reboot, a resync) in transactions of many
 * elements each: one transaction costs the kernel about 50 us whatever it
 * holds: 100,000 blocks took 8.6 s one by one, 3.1 s so.  A transaction
 * that fails is all or nothing: its blocks are then tried one by one, so
 * each error is reported against its own key.
 */
static int
nft_block_many(struct backend *b, const struct backend_put *bp, size_t n,
    int *rc, char *err, size_t errlen)
{
	struct nft_priv	*p = b->priv;
	struct nft_batch nb = { 0 };
	char		 set[128], nerr[512], e1[512];
	size_t		 i, j, from = 0;
	int		 failed = 0;

	err[0] = '\0';
	for (i = 0; i < n; i++) {
		rc[i] = nft_block_build(p, &nb, &bp[i], set, sizeof(set), e1,
		    sizeof(e1));
		if (rc[i] != 0 && failed++ == 0)
			snprintf(err, errlen, "%s", e1);
		if (i + 1 < n && nb.len < NFT_MANY_BYTES &&
		    nb.nmsgs + NFT_MANY_PER_BLOCK <= p->maxacks)
			continue;
		if (nft_batch_run(p, &nb, nerr, sizeof(nerr)) != 0)
			for (j = from; j <= i; j++) {
				if (rc[j] != 0)
					continue;
				rc[j] = nft_block(b, bp[j].key, bp[j].timeout_us,
				    bp[j].resp, bp[j].throttle_rate, e1,
				    sizeof(e1));
				if (rc[j] != 0 && failed++ == 0)
					snprintf(err, errlen, "%s", e1);
			}
		nft_batch_free(&nb);
		from = i + 1;
	}
	nft_batch_free(&nb);
	return failed > 0 ? -1 : 0;
}

static int
nft_unblock(struct backend *b, const struct key *k, char *err,
    size_t errlen)
{
	struct nft_priv	*p = b->priv;
	struct nft_batch nb = { 0 };
	char		 elem[INET6_ADDRSTRLEN + 8], set[128], nerr[512];
	int		 rv;

	if (nft_key_check(p, k, elem, sizeof(elem), err, errlen) != 0)
		return -1;
	snprintf(set, sizeof(set), "%s%s", k->client ? "clients" : "blocked",
	    nft_kind_suffix[k->kind]);
	if (k->client)
		nft_batch_remove(&nb, p, set, k);
	else
		nft_remove_all(&nb, p, k, NULL, NULL);
	rv = nft_batch_run(p, &nb, nerr, sizeof(nerr));
	nft_batch_free(&nb);
	if (rv != 0)
		return nft_fail(p, set, k, nerr, err, errlen);
	return 0;
}

/*
 * 1 when k is in blocked* or throttled*.  Hash sets are asked with `get
 * element`; the interval set of IPv6 is listed instead, since nft 1.0.6's
 * `get` misses a prefix that another one adjoins (measured).
 */
static int
nft_test(struct backend *b, const struct key *k, char *err, size_t errlen)
{
	static const char *const bases[] = { "blocked", "throttled" };
	static const char *const cbases[] = { "clients" };
	struct nft_priv	*p = b->priv;
	struct backend_entry *v = NULL;
	char		 elem[INET6_ADDRSTRLEN + 8], set[128], cmd[384];
	char		 nerr[512];
	size_t		 cnt, cap, i, j;

	if (nft_key_check(p, k, elem, sizeof(elem), err, errlen) != 0)
		return -1;
	for (i = 0; i < (k->client ? 1 : 2); i++) {
		snprintf(set, sizeof(set), "%s%s", k->client ? cbases[i] :
		    bases[i], nft_kind_suffix[k->kind]);
		if (k->kind == KEY_V6) {
			cnt = cap = 0;
			if (nft_list_set(p, set, KEY_V6, false, &v, &cnt, &cap,
			    err, errlen) != 0) {
				free(v);
				return -1;
			}
			for (j = 0; j < cnt; j++) {
				v[j].key.client = k->client;	/* the set's */
				if (key_equal(&v[j].key, k)) {
					free(v);
					return 1;
				}
			}
			free(v);
			v = NULL;
			continue;
		}
		snprintf(cmd, sizeof(cmd), "get element %s %s %s { %s }",
		    p->family, p->table, set, elem);
		if (nft_exec(p, cmd, true, NULL, nerr, sizeof(nerr)) == 0)
			return 1;
		/* only the kernel's "no such element" means absent */
		if (strcmp(nerr, NFT_ENOENT_ELEM) != 0)
			return nft_fail(p, set, k, nerr, err, errlen);
	}
	return 0;
}

static void
nft_fini(struct backend *b)
{
	nft_priv_free(b->priv);
	b->priv = NULL;
}

struct nft_want {
	struct backend_count	*sets;
	size_t			 n;
};

static void
nft_count_seen(const char *name, void *arg)
{
	struct nft_want	*w = arg;
	const char	*set;
	size_t		 i;

	for (i = 0; i < w->n; i++) {
		/* "inet nflogmon blocked4": the set's name is the last word */
		set = strrchr(w->sets[i].name, ' ');
		if (set != NULL && strcmp(set + 1, name) == 0)
			w->sets[i].missing = false;
	}
}

/* Whether each set block and unblock write is still there (resync.c);
 * nft counts no elements cheaply, so only presence. */
static int
nft_count(struct backend *b, struct backend_count *sets, size_t *n,
    char *err, size_t errlen)
{
	static const char *const bases[] = { "blocked", "throttled",
	    "clients" };
	struct nft_priv	*p = b->priv;
	struct nft_want	 w = { sets, 0 };
	char		 nerr[256];
	size_t		 i;
	int		 kind;

	*n = 0;
	for (kind = KEY_V4; kind <= KEY_UID; kind++) {
		if (!nft_kind_held(p, kind))
			continue;
		for (i = 0; i < 3; i++) {
			if (i == 2 && (!p->clients || kind == KEY_UID))
				continue;
			if (w.n == BACKEND_COUNT_MAX)
				break;
			memset(&sets[w.n], 0, sizeof(sets[w.n]));
			snprintf(sets[w.n].name, sizeof(sets[w.n].name),
			    "%s %s %s%s", p->family, p->table, bases[i],
			    nft_kind_suffix[kind]);
			sets[w.n].kind = (enum key_kind)kind;
			sets[w.n].client = i == 2;
			sets[w.n].missing = true;
			w.n++;
		}
	}
	if (nft_nl_sets(p, nft_count_seen, &w, nerr, sizeof(nerr)) != 0) {
		snprintf(err, errlen, "nft table %s %s: %s", p->family,
		    p->table, nerr);
		return -1;
	}
	*n = w.n;
	return 0;
}

static bool
nft_enforces(const struct backend *b, const struct key *k)
{
	(void)b;
	return k->kind == KEY_V4 || k->kind == KEY_V6 || k->kind == KEY_UID;
}

const struct backend_ops backend_nft_ops = {
	.name = "nft",
	.init = nft_init,
	.block = nft_block,
	.block_many = nft_block_many,
	.unblock = nft_unblock,
	.test = nft_test,
	.list = nft_list,
	.fini = nft_fini,
	.enforces = nft_enforces,
	.count = nft_count,
};
