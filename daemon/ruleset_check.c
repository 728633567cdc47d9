/*
 * ruleset_check.c: reads the loaded ruleset back (libnftables, JSON) at
 * start and on SIGHUP and tells, in words an operator understands, why
 * capture may not work: no rule logs to one of the daemon's NFLOG groups,
 * a LAN interface the ruleset names does not exist, the ruleset's ports,
 * LAN interfaces or allowlists differ from the config, or two rulesets log
 * the same group (every connection would count twice), or, with
 * block_clients, no rule refuses the clients sets.
 *
 * iptables-nft rules are nftables rules, so `nflogmon rules --iptables`
 * is read the same way; legacy iptables rules cannot be seen, and a
 * missing group then says so.  What it reads is untrusted: anything
 * unexpected in the JSON is skipped, never trusted.  Only warnings come
 * out of it; it must never change the ruleset or stop the daemon.
 *
 * ruleset_check_json is pure (the JSON text and an interface test in, a
 * report out) so the unit tests drive it with tables of rulesets.
 */
#define _GNU_SOURCE		/* asprintf */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <net/if.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <nftables/libnftables.h>

#include "nflogmon.h"
#include "daemon.h"

/*
 * A list of strings (interfaces, ports, sources).  strs_add appends, so a
 * set of many thousand allowlist elements is read in linear time;
 * strs_minus sorts and dedupes both sides before it compares.
 */
struct strs {
	char	**v;
	size_t	  n, cap;
	bool	  sorted;
};

static void
strs_add(struct strs *s, const char *v)
{
	char **nv;

	if (s->n == s->cap) {
		if ((nv = reallocarray(s->v, s->cap ? s->cap * 2 : 16,
		    sizeof(*nv))) == NULL)
			return;
		s->v = nv;
		s->cap = s->cap ? s->cap * 2 : 16;
	}
	if ((s->v[s->n] = strdup(v)) != NULL) {
		s->n++;
		s->sorted = false;
	}
}

static void
strs_free(struct strs *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* Linear: for the few interface names. */
static bool
strs_has(const struct strs *s, const char *v)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i], v) == 0)
			return true;
	return false;
}

static int
strs_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
strs_sort(struct strs *s)
{
	size_t i, o;

	if (s->sorted)
		return;
	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), strs_cmp);
	for (i = 0, o = 0; i < s->n; i++) {
		if (o > 0 && strcmp(s->v[o - 1], s->v[i]) == 0) {
			free(s->v[i]);
			continue;
		}
		s->v[o++] = s->v[i];
	}
	s->n = o;
	s->sorted = true;
}

/* "a, b" of what a has and b lacks, into buf ("" when nothing). */
static void
strs_minus(struct strs *a, struct strs *b, char *buf, size_t len)
{
	size_t i, o = 0;
	int n;

	strs_sort(a);
	strs_sort(b);
	buf[0] = '\0';
	for (i = 0; i < a->n && o < len; i++) {
		if (b->n > 0 && bsearch(&a->v[i], b->v, b->n, sizeof(*b->v),
		    strs_cmp) != NULL)
			continue;
		n = snprintf(buf + o, len - o, "%s%s", o ? ", " : "", a->v[i]);
		if (n < 0)
			return;
		o += (size_t)n;
	}
}

/* ------------------------------------------------------------ report */

void
ruleset_report_free(struct ruleset_report *r)
{
	size_t i;

	for (i = 0; i < r->nwarnings; i++)
		free(r->warnings[i]);
	free(r->warnings);
	memset(r, 0, sizeof(*r));
}

static void
report_add(struct ruleset_report *r, int gi, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* gi: index of the group it concerns (0 forward, 1 output), -1 none. */
static void
report_add(struct ruleset_report *r, int gi, const char *fmt, ...)
{
	va_list ap;
	char *s, **v;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		s = NULL;
	va_end(ap);
	if (s == NULL)
		return;
	if ((v = reallocarray(r->warnings, r->nwarnings + 1,
	    sizeof(*v))) == NULL) {
		free(s);
		return;
	}
	r->warnings = v;
	r->warnings[r->nwarnings++] = s;
	if (gi >= 0 && gi < 2 && r->reason[gi] < 0)
		r->reason[gi] = (int)r->nwarnings - 1;
}

/* -------------------------------------------------------- the ruleset */

struct rs {
	json_t		*items;		/* the "nftables" array */
};

static const char *
jstr(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s != NULL ? s : "";
}

/* The set family/table/name, or NULL. */
static const json_t *
rs_set(const struct rs *rs, const char *fam, const char *table,
    const char *name)
{
	const json_t *it, *s;
	size_t i;

	for (i = 0; i < json_array_size(rs->items) &&
	    (it = json_array_get(rs->items, i)) != NULL; i++) {
		if ((s = json_object_get(it, "set")) == NULL)
			continue;
		if (strcmp(jstr(s, "family"), fam) == 0 &&
		    strcmp(jstr(s, "table"), table) == 0 &&
		    strcmp(jstr(s, "name"), name) == 0)
			return s;
	}
	return NULL;
}

/* A source as "ADDR" (host) or "ADDR/LEN", canonical; false if not one. */
static bool
source_norm(const char *addr, int len, char *buf, size_t buflen)
{
	struct addr a;
	char s[INET6_ADDRSTRLEN];
	int plen, full;

	if (parse_prefix(addr, &a, &plen) == -1)
		return false;
	full = a.family == AF_INET ? 32 : 128;
	if (len >= 0)
		plen = len;
	if (plen < 0 || plen > full)
		return false;
	inet_ntop(a.family, a.b, s, sizeof(s));
	if (plen == full)
		snprintf(buf, buflen, "%s", s);
	else
		snprintf(buf, buflen, "%s/%d", s, plen);
	return true;
}

/*
 * Adds the values of one right-hand side to out: a string, a number, a
 * prefix, an anonymous set or "@name" (the named set's elements).  kind:
 * 'i' interface names, 'p' ports, 's' sources, 'u' uids.
 */
static void rs_values(const struct rs *, const char *fam, const char *table,
    const json_t *v, int kind, struct strs *out);

static void
rs_value(const struct rs *rs, const char *fam, const char *table,
    const json_t *v, int kind, struct strs *out)
{
	const json_t *p, *set;
	char buf[96];

	if (json_is_object(v) && (p = json_object_get(v, "elem")) != NULL) {
		rs_value(rs, fam, table, json_object_get(p, "val"), kind, out);
		return;
	}
	if (json_is_object(v) && (p = json_object_get(v, "set")) != NULL) {
		rs_values(rs, fam, table, p, kind, out);
		return;
	}
	if (json_is_object(v) && (p = json_object_get(v, "prefix")) != NULL) {
		if (kind == 's' && source_norm(jstr(p, "addr"),
		    (int)json_integer_value(json_object_get(p, "len")), buf,
		    sizeof(buf)))
			strs_add(out, buf);
		return;
	}
	if (json_is_object(v) && (p = json_object_get(v, "range")) != NULL) {
		/* A merged range: shown as such, it never equals a config
		 * entry, so a difference is reported. */
		snprintf(buf, sizeof(buf), "%s-%s",
		    json_string_value(json_array_get(p, 0)) ?
		    json_string_value(json_array_get(p, 0)) : "?",
		    json_string_value(json_array_get(p, 1)) ?
		    json_string_value(json_array_get(p, 1)) : "?");
		strs_add(out, buf);
		return;
	}
	if (json_is_integer(v)) {
		snprintf(buf, sizeof(buf), "%lld",
		    (long long)json_integer_value(v));
		strs_add(out, buf);
		return;
	}
	if (!json_is_string(v))
		return;
	if (json_string_value(v)[0] == '@') {
		set = rs_set(rs, fam, table, json_string_value(v) + 1);
		if (set != NULL)
			rs_values(rs, fam, table, json_object_get(set, "elem"),
			    kind, out);
		return;
	}
	if (kind == 's') {
		if (source_norm(json_string_value(v), -1, buf, sizeof(buf)))
			strs_add(out, buf);
		return;
	}
	strs_add(out, json_string_value(v));
}

static void
rs_values(const struct rs *rs, const char *fam, const char *table,
    const json_t *v, int kind, struct strs *out)
{
	const json_t *e;
	size_t i;

	if (!json_is_array(v)) {
		if (v != NULL)
			rs_value(rs, fam, table, v, kind, out);
		return;
	}
	for (i = 0; i < json_array_size(v) &&
	    (e = json_array_get(v, i)) != NULL; i++)
		rs_value(rs, fam, table, e, kind, out);
}

/* What a match compares: "iifname", "oifname", "dport", "saddr", "skuid"
 * or NULL. */
static const char *
match_what(const json_t *left)
{
	const json_t *p;
	const char *k;

	if ((p = json_object_get(left, "meta")) != NULL) {
		k = jstr(p, "key");
		if (strcmp(k, "iifname") == 0 || strcmp(k, "oifname") == 0 ||
		    strcmp(k, "skuid") == 0)
			return k;
		return NULL;
	}
	if ((p = json_object_get(left, "payload")) != NULL) {
		k = jstr(p, "field");
		if (strcmp(jstr(p, "protocol"), "tcp") == 0 &&
		    strcmp(k, "dport") == 0)
			return "dport";
		if ((strcmp(jstr(p, "protocol"), "ip") == 0 ||
		    strcmp(jstr(p, "protocol"), "ip6") == 0) &&
		    strcmp(k, "saddr") == 0)
			return "saddr";
	}
	return NULL;
}

/* The NFLOG group a rule logs to, -1 none. */
static int
rule_log_group(const json_t *rule)
{
	const json_t *ex = json_object_get(rule, "expr"), *e, *l, *g;
	size_t i;

	for (i = 0; i < json_array_size(ex) &&
	    (e = json_array_get(ex, i)) != NULL; i++)
		if ((l = json_object_get(e, "log")) != NULL &&
		    (g = json_object_get(l, "group")) != NULL &&
		    json_is_integer(g))
			return (int)json_integer_value(g);
	return -1;
}

static bool
rule_has(const json_t *rule, const char *verdict, const char *target)
{
	const json_t *ex = json_object_get(rule, "expr"), *e, *v;
	size_t i;

	for (i = 0; i < json_array_size(ex) &&
	    (e = json_array_get(ex, i)) != NULL; i++) {
		if ((v = json_object_get(e, verdict)) == NULL)
			continue;
		if (target == NULL ||
		    strcmp(jstr(v, "target"), target) == 0)
			return true;
	}
	return false;
}

/* Whether a rule matches against set (nft JSON "@NAME") and rejects. */
static bool
rule_matches_set(const json_t *rule, const char *set)
{
	const json_t *ex = json_object_get(rule, "expr"), *e, *m;
	size_t i;
	bool in = false;

	for (i = 0; i < json_array_size(ex) &&
	    (e = json_array_get(ex, i)) != NULL; i++)
		if ((m = json_object_get(e, "match")) != NULL &&
		    json_is_string(json_object_get(m, "right")) &&
		    strcmp(jstr(m, "right"), set) == 0)
			in = true;
	return in && json_object_get(json_array_get(ex,
	    json_array_size(ex) - 1), "reject") != NULL;
}

/*
 * block_clients: some rule must refuse the clients sets (nft: a reject of
 * @clients4 in the daemon's table; iptables-nft: a rule of the chain
 * NFLOGMON_CLIENTS, whose set match libnftables shows without its name).
 */
static void
check_clients(const struct conf *c, const struct rs *rs,
    struct ruleset_report *r)
{
	const json_t *it, *rule;
	size_t i;

	if (!c->block_clients || c->backend == BACKEND_NONE)
		return;
	for (i = 0; i < json_array_size(rs->items) &&
	    (it = json_array_get(rs->items, i)) != NULL; i++) {
		if ((rule = json_object_get(it, "rule")) == NULL)
			continue;
		if (c->backend == BACKEND_NFT &&
		    strcmp(jstr(rule, "table"), c->nft_table) == 0 &&
		    rule_matches_set(rule, "@clients4"))
			return;
		if (c->backend == BACKEND_IPSET &&
		    strcmp(jstr(rule, "chain"), "NFLOGMON_CLIENTS") == 0 &&
		    json_object_get(json_array_get(json_object_get(rule,
		    "expr"), json_array_size(json_object_get(rule, "expr")) -
		    1), "xt") != NULL)
			return;
	}
	report_add(r, -1, "block_clients = yes, but no rule of the loaded "
	    "ruleset refuses the clients sets, so blocked accounts' clients "
	    "can still submit mail: load the rules for this config with %s",
	    c->backend == BACKEND_IPSET ? "`nflogmon rules --iptables | "
	    "iptables-restore --noflush` (and --ip6tables)" :
	    "`nflogmon rules | nft -f -`");
}

/* What one group's capture looks like in one chain that logs it. */
struct capture_view {
	struct strs	 ifaces;	/* every interface named on the path */
	struct strs	 lan;		/* iifname ones (forward: the LAN) */
	struct strs	 ports;
	struct strs	 allow;		/* sources and uid:N skipped */
	bool		 has_ports;
};

/* Collects the matches of one rule into v (allow: only skipped sources). */
static void
view_rule(const struct rs *rs, const json_t *rule, struct capture_view *v,
    bool allow)
{
	const char *fam = jstr(rule, "family"), *table = jstr(rule, "table");
	const json_t *ex = json_object_get(rule, "expr"), *e, *m;
	struct strs tmp = { NULL, 0, 0, false };
	const char *what;
	char buf[32];
	size_t i, j;

	for (i = 0; i < json_array_size(ex) &&
	    (e = json_array_get(ex, i)) != NULL; i++) {
		if ((m = json_object_get(e, "match")) == NULL)
			continue;
		if ((what = match_what(json_object_get(m, "left"))) == NULL)
			continue;
		if (allow) {
			if (strcmp(jstr(m, "op"), "==") != 0)
				continue;
			if (strcmp(what, "saddr") == 0)
				rs_values(rs, fam, table,
				    json_object_get(m, "right"), 's', &v->allow);
			else if (strcmp(what, "skuid") == 0) {
				rs_values(rs, fam, table,
				    json_object_get(m, "right"), 'u', &tmp);
				for (j = 0; j < tmp.n; j++) {
					snprintf(buf, sizeof(buf), "uid:%s",
					    tmp.v[j]);
					strs_add(&v->allow, buf);
				}
				strs_free(&tmp);
			}
			continue;
		}
		if (strcmp(what, "iifname") == 0 || strcmp(what, "oifname") == 0) {
			rs_values(rs, fam, table, json_object_get(m, "right"),
			    'i', &v->ifaces);
			if (strcmp(what, "iifname") == 0)
				rs_values(rs, fam, table,
				    json_object_get(m, "right"), 'i', &v->lan);
		} else if (strcmp(what, "dport") == 0) {
			rs_values(rs, fam, table, json_object_get(m, "right"),
			    'p', &v->ports);
			v->has_ports = true;
		}
	}
}

/* The chain of one rule, and the rules that lead to it (one level). */
static void
view_chain(const struct rs *rs, const json_t *logrule,
    struct capture_view *v)
{
	const char *fam = jstr(logrule, "family");
	const char *table = jstr(logrule, "table");
	const char *chain = jstr(logrule, "chain");
	const json_t *it, *r;
	bool before = true;
	size_t i;

	for (i = 0; i < json_array_size(rs->items) &&
	    (it = json_array_get(rs->items, i)) != NULL; i++) {
		if ((r = json_object_get(it, "rule")) == NULL ||
		    strcmp(jstr(r, "family"), fam) != 0 ||
		    strcmp(jstr(r, "table"), table) != 0)
			continue;
		if (strcmp(jstr(r, "chain"), chain) == 0) {
			if (r == logrule) {
				before = false;
				view_rule(rs, r, v, false);
			} else if (before && rule_has(r, "return", NULL)) {
				view_rule(rs, r, v, true);
				view_rule(rs, r, v, false);
			}
			continue;
		}
		if (rule_has(r, "jump", chain) || rule_has(r, "goto", chain))
			view_rule(rs, r, v, false);
	}
}

static void
view_free(struct capture_view *v)
{
	strs_free(&v->ifaces);
	strs_free(&v->lan);
	strs_free(&v->ports);
	strs_free(&v->allow);
}

/* What the config expects skipped for a group in a table of family fam. */
struct expect {
	struct strs	*s;
	int		 family;	/* 0: both */
};

static void
expect_one(const struct addr *a, int plen, int value, void *arg)
{
	struct expect *x = arg;
	char s[INET6_ADDRSTRLEN], buf[INET6_ADDRSTRLEN + 8];

	(void)value;
	if (x->family != 0 && a->family != x->family)
		return;
	inet_ntop(a->family, a->b, s, sizeof(s));
	if (plen == (a->family == AF_INET ? 32 : 128))
		snprintf(buf, sizeof(buf), "%s", s);
	else
		snprintf(buf, sizeof(buf), "%s/%d", s, plen);
	strs_add(x->s, buf);
}

static void
check_view(const struct conf *c, const json_t *logrule,
    struct capture_view *v, int gi, int group,
    bool (*ifexists)(const char *), struct strs *missing,
    struct ruleset_report *r)
{
	const char *fam = jstr(logrule, "family");
	struct strs want = { NULL, 0, 0, false };
	struct expect x = { &want, 0 };
	char where[160], only_rs[512], only_conf[512], buf[16];
	size_t i;
	int j;

	snprintf(where, sizeof(where), "table %s %s, chain %s", fam,
	    jstr(logrule, "table"), jstr(logrule, "chain"));
	for (i = 0; i < v->ifaces.n; i++) {
		if (strcmp(v->ifaces.v[i], "lo") == 0 ||
		    strchr(v->ifaces.v[i], '*') != NULL ||
		    ifexists(v->ifaces.v[i]) ||
		    strs_has(missing, v->ifaces.v[i]))
			continue;
		strs_add(missing, v->ifaces.v[i]);
		report_add(r, gi, "the ruleset names LAN interface %s "
		    "(%s, group %d), which does not exist here, so "
		    "connections from the LAN are not captured: set [capture] "
		    "lan_interfaces and load `nflogmon rules` again",
		    v->ifaces.v[i], where, group);
	}
	if (gi == 0) {
		for (j = 0; j < c->nlan_interfaces; j++)
			strs_add(&want, c->lan_interfaces[j]);
		strs_minus(&v->lan, &want, only_rs, sizeof(only_rs));
		strs_minus(&want, &v->lan, only_conf, sizeof(only_conf));
		if (only_rs[0] != '\0' || only_conf[0] != '\0')
			report_add(r, gi, "the ruleset's LAN interfaces for "
			    "group %d (%s) differ from [capture] lan_interfaces"
			    ": ruleset only: %s; config only: %s", group,
			    where, only_rs[0] ? only_rs : "none",
			    only_conf[0] ? only_conf : "none");
		strs_free(&want);
	}
	if (v->has_ports) {
		for (j = 0; j < c->nports; j++) {
			snprintf(buf, sizeof(buf), "%u", c->ports[j]);
			strs_add(&want, buf);
		}
		strs_minus(&v->ports, &want, only_rs, sizeof(only_rs));
		strs_minus(&want, &v->ports, only_conf, sizeof(only_conf));
		if (only_rs[0] != '\0' || only_conf[0] != '\0')
			report_add(r, gi, "the ruleset's SMTP ports for group "
			    "%d (%s) differ from [capture] ports: ruleset "
			    "only: %s; config only: %s", group, where,
			    only_rs[0] ? only_rs : "none",
			    only_conf[0] ? only_conf : "none");
		strs_free(&want);
	}
	if (!c->log_allowed) {
		x.family = strcmp(fam, "ip") == 0 ? AF_INET :
		    strcmp(fam, "ip6") == 0 ? AF_INET6 : 0;
		netset_foreach(c->allow_src, expect_one, &x);
		for (j = 0; gi == 1 && j < c->nallow_uids; j++) {
			snprintf(buf, sizeof(buf), "uid:%u", c->allow_uids[j]);
			strs_add(&want, buf);
		}
	}
	strs_minus(&v->allow, &want, only_rs, sizeof(only_rs));
	strs_minus(&want, &v->allow, only_conf, sizeof(only_conf));
	if (only_rs[0] != '\0' || only_conf[0] != '\0')
		report_add(r, gi, "the ruleset's allowlist for group %d (%s) "
		    "differs from the config (%s): not logged by the ruleset "
		    "only: %s; config only: %s", group, where,
		    c->log_allowed ? "log_allowed = yes: every source is "
		    "logged" : "[allow] with log_allowed = no",
		    only_rs[0] ? only_rs : "none",
		    only_conf[0] ? only_conf : "none");
	strs_free(&want);
}

static bool
legacy_iptables(void)
{
	FILE *f;
	int ch = EOF;

	if ((f = fopen("/proc/net/ip_tables_names", "r")) != NULL) {
		ch = fgetc(f);
		fclose(f);
	}
	return ch != EOF;
}

int
ruleset_check_json(const struct conf *c, const char *json,
    bool (*ifexists)(const char *), struct ruleset_report *r)
{
	static const char *const kinds[] = { "forward", "output" };
	struct capture_view v;
	struct strs missing = { NULL, 0, 0, false };
	json_error_t jerr;
	json_t *root;
	struct rs rs;
	const json_t *it, *rule, *first;
	const char *fam;
	int groups[2], gi, nlog;
	bool inet, other;
	size_t i;

	memset(r, 0, sizeof(*r));
	r->reason[0] = r->reason[1] = -1;
	groups[0] = c->forward_group;
	groups[1] = c->output_group;
	if ((root = json_loads(json, 0, &jerr)) == NULL ||
	    !json_is_array(rs.items = json_object_get(root, "nftables"))) {
		report_add(r, -1, "cannot read the ruleset: unexpected JSON "
		    "from libnftables");
		r->failed = true;
		json_decref(root);
		return -1;
	}
	for (gi = 0; gi < 2; gi++) {
		if (groups[gi] == CONF_GROUP_OFF)
			continue;
		nlog = 0;
		inet = other = false;
		first = NULL;
		for (i = 0; i < json_array_size(rs.items) &&
	    (it = json_array_get(rs.items, i)) != NULL; i++) {
			if ((rule = json_object_get(it, "rule")) == NULL ||
			    rule_log_group(rule) != groups[gi])
				continue;
			nlog++;
			fam = jstr(rule, "family");
			if (strcmp(fam, "inet") == 0)
				inet = true;
			else
				other = true;
			if (first == NULL)
				first = rule;
			memset(&v, 0, sizeof(v));
			view_chain(&rs, rule, &v);
			check_view(c, rule, &v, gi, groups[gi], ifexists,
			    &missing, r);
			view_free(&v);
		}
		if (nlog == 0)
			report_add(r, gi, "no rule in the loaded ruleset logs "
			    "to NFLOG group %d (%s), so nothing is captured "
			    "for it: load the rules for this config with "
			    "%s%s%s", groups[gi], kinds[gi],
			    c->backend == BACKEND_IPSET ? "`nflogmon rules "
			    "--iptables | iptables-restore --noflush` (and "
			    "--ip6tables | ip6tables-restore --noflush)" :
			    "`nflogmon rules | nft -f -`", gi == 0 ? " (forwarded traffic needs "
			    "the LAN interfaces in [capture] lan_interfaces; a "
			    "ruleset made without them, like the example "
			    "rules.nft, has no forward rule)" : "",
			    legacy_iptables() ? " (legacy iptables rules "
			    "cannot be read here; if they log to this group, "
			    "ignore this)" : "");
		else if (inet && other)
			report_add(r, gi, "NFLOG group %d (%s) is logged both "
			    "by an nft table and by iptables rules, so every "
			    "connection counts twice: load `nflogmon rules` or "
			    "`nflogmon rules --iptables`, not both", groups[gi],
			    kinds[gi]);
	}
	check_clients(c, &rs, r);
	r->failed = r->nwarnings > 0;
	strs_free(&missing);
	json_decref(root);
	return 0;
}

static bool
ifname_exists(const char *name)
{
	return if_nametoindex(name) != 0;
}

int
ruleset_check(const struct conf *c, struct ruleset_report *r)
{
	struct nft_ctx *ctx;
	const char *out, *err;
	int rv;

	memset(r, 0, sizeof(*r));
	r->reason[0] = r->reason[1] = -1;
	if ((ctx = nft_ctx_new(NFT_CTX_DEFAULT)) == NULL ||
	    nft_ctx_buffer_output(ctx) != 0 ||
	    nft_ctx_buffer_error(ctx) != 0) {
		report_add(r, -1, "cannot read the ruleset: no libnftables "
		    "context");
		r->failed = true;
		if (ctx != NULL)
			nft_ctx_free(ctx);
		return -1;
	}
	nft_ctx_output_set_flags(ctx, NFT_CTX_OUTPUT_JSON);
	if (nft_run_cmd_from_buffer(ctx, "list ruleset") != 0) {
		err = nft_ctx_get_error_buffer(ctx);
		report_add(r, -1, "cannot read the ruleset: %.200s",
		    err != NULL && err[0] != '\0' ? err : "libnftables failed");
		r->failed = true;
		nft_ctx_free(ctx);
		return -1;
	}
	out = nft_ctx_get_output_buffer(ctx);
	rv = ruleset_check_json(c, out != NULL && out[0] != '\0' ? out :
	    "{\"nftables\": []}", ifname_exists, r);
	nft_ctx_free(ctx);
	return rv;
}

/* ------------------------------------------------------- the daemon */

void
ruleset_check_daemon(struct daemon *d)
{
	struct ruleset_report r;
	int64_t t0 = clock_mono_us();
	double ms;
	size_t i;

	ruleset_check(d->conf, &r);
	ms = (double)(clock_mono_us() - t0) / 1000.0;
	for (i = 0; i < r.nwarnings; i++)
		log_warnx("capture: %s", r.warnings[i]);
	if (r.nwarnings == 0)
		log_info("capture: the loaded ruleset logs to every group "
		    "with the config's ports, interfaces and allowlists "
		    "(checked in %.1f ms)", ms);
	else
		log_info("capture: the ruleset check found %zu problems "
		    "(checked in %.1f ms)", r.nwarnings, ms);
	ruleset_report_free(&d->capture_check);
	d->capture_check = r;
}

/*
 * capture.warnings: first, for each group that has received nothing since
 * start while the check failed, why in one sentence; then every warning.
 */
json_t *
ruleset_warnings_json(const struct daemon *d)
{
	static const char *const kinds[] = { "forward", "output" };
	const struct ruleset_report *r = &d->capture_check;
	struct input_stats cs;
	json_t *a;
	char *s;
	size_t i;
	int gi, k;

	if ((a = json_array()) == NULL)
		return NULL;
	for (k = 0; r->failed && k < d->ninputs; k++) {
		inputs_stats(d, k, &cs);
		if (cs.group < 0 || cs.records != 0 ||
		    (cs.kind != INPUT_FORWARD && cs.kind != INPUT_OUTPUT))
			continue;
		gi = cs.kind == INPUT_FORWARD ? 0 : 1;
		/* Only a group the check found fault with: an idle group
		 * with sound rules is just idle. */
		if (r->reason[gi] < 0)
			continue;
		if (asprintf(&s, "nothing captured: group %d (%s) has received "
		    "no packet since start, and the ruleset check failed: %s",
		    cs.group, kinds[gi], r->warnings[r->reason[gi]]) == -1)
			continue;
		json_array_append_new(a, json_string(s));
		free(s);
	}
	for (i = 0; i < r->nwarnings; i++)
		json_array_append_new(a, json_string(r->warnings[i]));
	return a;
}
