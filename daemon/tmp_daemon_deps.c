/*
 * tmp_daemon_deps.c: TEMPORARY weak placeholders for what the other helpers
 * have not landed on main yet, so `nflogmon run` links and can be smoke
 * tested.  Each real definition overrides its placeholder.  Delete when
 * conf.c, engine.c, pkt.c, key.c, parse.c and backend.c are on main.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

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

/* IPv4 + TCP only. */
WEAK enum pkt_result
pkt_decode_ip(const uint8_t *b, size_t len, struct pkt *p)
{
	size_t ihl;

	if (len < 20 || (b[0] >> 4) != 4)
		return PKT_MALFORMED;
	ihl = (size_t)(b[0] & 15) * 4;
	if (ihl < 20 || len < ihl + 20)
		return PKT_MALFORMED;
	if (b[9] != 6)
		return PKT_IGNORED;
	p->src.family = p->dst.family = AF_INET;
	memcpy(p->src.b, b + 12, 4);
	memcpy(p->dst.b, b + 16, 4);
	p->sport = (uint16_t)(b[ihl] << 8 | b[ihl + 1]);
	p->dport = (uint16_t)(b[ihl + 2] << 8 | b[ihl + 3]);
	p->tcp_flags = b[ihl + 13];
	return PKT_OK;
}

WEAK char *
key_format(const struct key *k, char *buf, size_t len)
{
	if (k->kind == KEY_UID)
		snprintf(buf, len, "uid:%" PRIu32, k->uid);
	else if (inet_ntop(k->kind == KEY_V6 ? AF_INET6 : AF_INET, k->addr,
	    buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
	return buf;
}

WEAK bool
key_equal(const struct key *a, const struct key *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
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

static int none_init(struct backend *b, const struct conf *c, bool *cr,
    char *e, size_t l) { (void)b; (void)c; (void)e; (void)l; *cr = false;
    return 0; }
static int none_block(struct backend *b, const struct key *k, int64_t t,
    enum response r, const struct rate *rr, char *e, size_t l)
{ (void)b; (void)k; (void)t; (void)r; (void)rr; (void)e; (void)l; return 0; }
static int none_unblock(struct backend *b, const struct key *k, char *e,
    size_t l) { (void)b; (void)k; (void)e; (void)l; return 0; }
static void none_fini(struct backend *b) { (void)b; }
static bool none_enforces(const struct backend *b, const struct key *k)
{ (void)b; (void)k; return true; }

static const struct backend_ops stub_none_ops = {
	.name = "none", .init = none_init, .block = none_block,
	.unblock = none_unblock, .fini = none_fini, .enforces = none_enforces,
};

WEAK const struct backend_ops *
backend_ops_for(enum backend_kind k)
{
	(void)k;
	return &stub_none_ops;
}
