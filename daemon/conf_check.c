/*
 * conf_check.c: what only the whole configuration file can tell, once every
 * line is read: keys that contradict each other, classes without networks,
 * limits across sections.  Every problem is reported through conf_err at
 * the line that causes it; it must never stop at the first one and never
 * change a value a line has set (apart from sorting allow_uids for the
 * lookups of conf_uid_allowed).
 */
#include <sys/socket.h>

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

/* What only the whole file can tell; every problem is reported. */
void
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
	conf_sort_accounts(c);
	/* The policy service and the log see the same messages. */
	if (c->policy_listen[0] != '\0' && c->maillog[0] != '\0')
		conf_err(ctx, conf_max(conf_line_of(ctx, "policy_listen"),
		    conf_line_of(ctx, "maillog")), "policy_listen and maillog "
		    "together would count every message twice: use one");
	if (c->nsubmission_ports == 0)
		conf_err(ctx, ctx->nsubmission_line, "submission_ports: at "
		    "least one port is needed");
}
