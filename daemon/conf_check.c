/*
 * conf_check.c: what only the whole configuration file can tell, once every
 * line is read: keys that contradict each other, classes without networks,
 * limits across sections.  Every problem is reported through conf_err at
 * the line that causes it; it must never stop at the first one and never
 * change a value a line has set (apart from sorting allow_uids for the
 * lookups of conf_uid_allowed).
 */
#include <sys/socket.h>
#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>

#include "conf_internal.h"

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

int
conf_uid_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Allowlists as the ruleset holds them (ruleset.c): nft's interval sets
 * refuse overlapping elements, and an IPv4-mapped IPv6 address never
 * matches (IPv4 packets are matched as IPv4).  One netset entry each.
 */
struct allow_item {
	struct addr	 a;
	uint8_t		 end[16];	/* last address of the prefix */
	int		 plen, tag;
};

struct allow_scan {
	struct allow_item *v;
	size_t		 n, cap;
	bool		 oom;
};

static void
conf_allow_collect(const struct addr *a, int plen, int value, void *arg)
{
	struct allow_scan *as = arg;
	struct allow_item *it;
	int i, bits = a->family == AF_INET ? 32 : 128;

	if (as->n == as->cap) {
		it = reallocarray(as->v, as->cap ? as->cap * 2 : 64,
		    sizeof(*it));
		if (it == NULL) {
			as->oom = true;
			return;
		}
		as->v = it;
		as->cap = as->cap ? as->cap * 2 : 64;
	}
	it = &as->v[as->n++];
	it->a = *a;
	it->plen = plen;
	it->tag = value;
	memcpy(it->end, a->b, sizeof(it->end));
	for (i = plen; i < bits; i++)
		it->end[i / 8] |= (uint8_t)(0x80 >> (i % 8));
}

static int
conf_allow_cmp(const void *x, const void *y)
{
	const struct allow_item *a = x, *b = y;
	int r;

	if (a->a.family != b->a.family)
		return a->a.family < b->a.family ? -1 : 1;
	if ((r = memcmp(a->a.b, b->a.b, sizeof(a->a.b))) != 0)
		return r;
	return a->plen < b->plen ? -1 : a->plen > b->plen;
}

static const char *
conf_allow_fmt(const struct allow_item *it, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(it->a.family, it->a.b, a, sizeof(a));
	if (it->plen == (it->a.family == AF_INET ? 32 : 128))
		snprintf(buf, len, "%s", a);
	else
		snprintf(buf, len, "%s/%d", a, it->plen);
	return buf;
}

/* names[tag]: the key of entries with that netset value. */
static void
conf_check_allow(struct conf_ctx *ctx, const struct netset *ns,
    const char *const names[2])
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };
	struct allow_scan as = { NULL, 0, 0, false };
	const struct allow_item *cover = NULL, *it;
	char b1[64], b2[64];
	size_t i;
	int nerr = 0;

	netset_foreach(ns, conf_allow_collect, &as);
	if (as.oom) {
		conf_err(ctx, ctx->lineno, "out of memory");
		free(as.v);
		return;
	}
	if (as.n > 1)
		qsort(as.v, as.n, sizeof(*as.v), conf_allow_cmp);
	for (i = 0; i < as.n && nerr < 8; i++) {
		it = &as.v[i];
		if (it->a.family == AF_INET6 && it->plen >= 96 &&
		    memcmp(it->a.b, mapped, sizeof(mapped)) == 0) {
			conf_err(ctx, conf_line_of(ctx, names[it->tag]), "%s: %s "
			    "is an IPv4-mapped IPv6 address, which never "
			    "matches: list the IPv4 address", names[it->tag],
			    conf_allow_fmt(it, b1, sizeof(b1)));
			nerr++;
		}
		if (cover != NULL && cover->a.family == it->a.family &&
		    memcmp(it->a.b, cover->end, sizeof(it->a.b)) <= 0) {
			conf_err(ctx, conf_max(conf_line_of(ctx,
			    names[it->tag]), conf_line_of(ctx,
			    names[cover->tag])), "%s: %s lies inside %s (%s): "
			    "nft's interval sets refuse overlapping entries; "
			    "keep one of them", names[it->tag],
			    conf_allow_fmt(it, b1, sizeof(b1)),
			    conf_allow_fmt(cover, b2, sizeof(b2)),
			    names[cover->tag]);
			nerr++;
			continue;
		}
		cover = it;
	}
	free(as.v);
}

int
conf_warnings(const struct conf *c, FILE *f)
{
	int n = 0;

	if (c->forward_group != CONF_GROUP_OFF && c->nlan_interfaces == 0) {
		fprintf(f, "%s: warning: lan_interfaces is empty while "
		    "forward_group is %d: `nflogmon rules` writes no forward "
		    "rule, so forwarded traffic is not captured (name the LAN "
		    "interfaces, or set forward_group = off on a server that "
		    "forwards nothing)\n", c->defaults ? NFLOGMON_CONF : c->path,
		    c->forward_group);
		n++;
	}
	/* The engine keeps VERDICT_MAX_DSTS clients of an account. */
	if (c->block_clients && !c->rate[RULE_CLIENTS].off &&
	    c->rate[RULE_CLIENTS].n + 1ULL > VERDICT_MAX_DSTS) {
		fprintf(f, "%s: warning: block_clients = yes with clients = "
		    "%u/...: only the last %d client addresses of a blocked "
		    "account are blocked\n", c->defaults ? NFLOGMON_CONF :
		    c->path, c->rate[RULE_CLIENTS].n, VERDICT_MAX_DSTS);
		n++;
	}
	return n;
}

/* What only the whole file can tell; every problem is reported. */
void
conf_check(struct conf_ctx *ctx)
{
	static const char *const src_keys[2] = { "addresses", "networks" };
	static const char *const dst_keys[2] = { "destinations",
	    "destinations" };

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
	conf_check_allow(ctx, c->allow_src, src_keys);
	conf_check_allow(ctx, c->allow_dst, dst_keys);
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
	conf_sort_accounts(c);
	/* The policy service and the log see the same messages. */
	if (c->policy_listen[0] != '\0' && c->maillog[0] != '\0')
		conf_err(ctx, conf_max(conf_line_of(ctx, "policy_listen"),
		    conf_line_of(ctx, "maillog")), "policy_listen and maillog "
		    "together would count every message twice: use one");
	if (c->nsubmission_ports == 0)
		conf_err(ctx, ctx->nsubmission_line, "submission_ports: at "
		    "least one port is needed");
	if (c->block_clients && c->backend == BACKEND_IPSET &&
	    strlen(c->ipset_name) > IPSET_CLIENTS_NAME_MAX)
		conf_err(ctx, conf_max(conf_line_of(ctx, "block_clients"),
		    conf_line_of(ctx, "ipset_name")), "ipset_name: at most %d "
		    "characters with block_clients = yes (the clients sets "
		    "append \"-clients6\")", IPSET_CLIENTS_NAME_MAX);
}
