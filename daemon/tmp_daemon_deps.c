/*
 * tmp_daemon_deps.c: TEMPORARY weak placeholders for what the other helpers
 * have not landed on main yet, so `nflogmon run` links and can be smoke
 * tested.  Each real definition overrides its placeholder.  Delete when
 * conf.c, parse.c and engine.c are on main.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "nflogmon.h"

#define WEAK __attribute__((weak))

/* A config with the defaults that matter to the daemon; the stub reads
 * "forward_group = N", "output_group = N", "hook = PATH", "dry_run = yes"
 * lines and ignores everything else. */
WEAK struct conf *
conf_load(const char *path, FILE *errs)
{
	struct conf *c = calloc(1, sizeof(*c));
	char line[512], k[64], v[400];
	FILE *f;

	if (c == NULL)
		return NULL;
	c->forward_group = 1;
	c->output_group = 2;
	c->ports[0] = 25;
	c->nports = 1;
	c->max_sources = 1000;
	c->backend = BACKEND_NONE;
	c->hook_timeout_us = 10 * US_PER_S;
	c->timeout_us = 3 * US_PER_S;
	if (path == NULL) {
		c->defaults = true;
		return c;
	}
	if ((f = fopen(path, "r")) == NULL) {
		fprintf(errs, "%s: cannot open\n", path);
		free(c);
		return NULL;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, " %63[a-z_] = %399s", k, v) != 2)
			continue;
		if (strcmp(k, "forward_group") == 0)
			c->forward_group = strcmp(v, "off") ? atoi(v) : -1;
		else if (strcmp(k, "output_group") == 0)
			c->output_group = strcmp(v, "off") ? atoi(v) : -1;
		else if (strcmp(k, "hook") == 0)
			snprintf(c->hook, sizeof(c->hook), "%s", v);
		else if (strcmp(k, "dry_run") == 0)
			c->dry_run = strcmp(v, "yes") == 0;
	}
	fclose(f);
	return c;
}

WEAK void
conf_free(struct conf *c)
{
	free(c);
}

/* A stub engine: every 5th SYN gives a 3 s block of its source. */
struct engine {
	const struct conf *conf;
	unsigned n;
};

WEAK struct engine *
engine_new(const struct conf *c, const uint8_t hashkey[16])
{
	struct engine *e = calloc(1, sizeof(*e));

	(void)hashkey;
	if (e != NULL)
		e->conf = c;
	return e;
}

WEAK void engine_free(struct engine *e) { free(e); }
WEAK int engine_reconf(struct engine *e, const struct conf *c)
{ e->conf = c; return 0; }
WEAK int engine_judge(struct engine *e, const struct key *k, int64_t u,
    uint32_t a) { (void)e; (void)k; (void)u; (void)a; return 0; }
WEAK void engine_release(struct engine *e, const struct key *k)
{ (void)e; (void)k; }
WEAK uint32_t engine_attempts(const struct engine *e, const struct key *k)
{ (void)e; (void)k; return 0; }

WEAK bool
engine_feed(struct engine *e, const struct pkt *p, enum pkt_result r,
    int64_t now_us, struct verdict *v)
{
	if (r != PKT_OK || (p->tcp_flags & (TCP_SYN | TCP_ACK)) != TCP_SYN)
		return false;
	if (++e->n % 5 != 0)
		return false;
	memset(v, 0, sizeof(*v));
	v->key.kind = KEY_V4;
	v->key.plen = 32;
	memcpy(v->key.addr, p->src.b, 4);
	v->rule = RULE_BURST;
	v->action = e->conf->dry_run ? ACT_DRY_RUN : ACT_BLOCK;
	v->connections = 5;
	v->destinations = 1;
	v->at_us = now_us;
	v->timeout_us = e->conf->timeout_us;
	v->strike = 1;
	v->ndsts = 1;
	v->dsts[0] = p->dst;
	return true;
}

WEAK const char *
rule_name(enum rule r)
{
	static const char *n[] = { "none", "burst", "sustained", "fanout",
	    "manual" };
	return (unsigned)r <= RULE_MANUAL ? n[r] : "?";
}

WEAK const char *
action_name(enum action a)
{
	static const char *n[] = { "block", "throttle", "dry_run", "allowed",
	    "breaker" };
	return (unsigned)a <= ACT_BREAKER ? n[a] : "?";
}

WEAK char *
fmt_duration(int64_t us, char *buf, size_t len)
{
	if (us == DURATION_PERMANENT)
		snprintf(buf, len, "permanent");
	else
		snprintf(buf, len, "%" PRId64 "s", (int64_t)(us / US_PER_S));
	return buf;
}

WEAK char *
fmt_rate(const struct rate *r, char *buf, size_t len)
{
	snprintf(buf, len, "%" PRIu32 "/%" PRId64 "s", r->n,
	    (int64_t)(r->w_us / US_PER_S));
	return buf;
}
