/*
 * engine_test.h: helpers shared by the engine's unit tests: a config built
 * by hand with DESIGN.md's defaults, packets and addresses from text, and a
 * verdict as one comparable line of text.
 */
#ifndef ENGINE_TEST_H
#define ENGINE_TEST_H

#include <sys/socket.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nflogmon.h"

#define MS		1000LL
#define SEC		US_PER_S
#define MIN		(60 * SEC)
#define HOUR		(60 * MIN)
#define DAY		(24 * HOUR)

static const uint8_t test_hashkey[16] = {
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16
};

static inline struct rate
trate(uint32_t n, int64_t w_us)
{
	struct rate r = { .n = n, .w_us = w_us, .off = false };

	return r;
}

static inline struct rate
trate_off(void)
{
	struct rate r = { .off = true };

	return r;
}

/* "192.0.2.7" or "2001:db8::1" */
static inline struct addr
taddr(const char *s)
{
	struct addr a;

	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, s, a.b) == 1)
		a.family = AF_INET;
	else if (inet_pton(AF_INET6, s, a.b) == 1)
		a.family = AF_INET6;
	else
		abort();
	return a;
}

/* "192.0.2.0/24", "2001:db8::25" (full length) into set with value. */
static inline void
tnet_add(struct netset **set, const char *s, int value)
{
	char buf[128], *slash;
	struct addr a;
	int plen;

	if (*set == NULL && (*set = netset_new()) == NULL)
		abort();
	snprintf(buf, sizeof(buf), "%s", s);
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	a = taddr(buf);
	plen = slash != NULL ? atoi(slash) : a.family == AF_INET ? 32 : 128;
	if (netset_add(*set, &a, plen, value) != 0)
		abort();
}

/*
 * The built-in defaults (conf_defaults), with backend none.
 */
static inline struct conf *
tconf_new(void)
{
	struct conf *c = conf_defaults();

	if (c == NULL)
		abort();
	c->backend = BACKEND_NONE;
	return c;
}

/* A class over the comma-separated networks; returns its conf_class. */
static inline struct conf_class *
tconf_class(struct conf *c, const char *name, const char *nets)
{
	char buf[512], *p, *sp = NULL;
	struct conf_class *k;

	c->classes = realloc(c->classes, (size_t)(c->nclasses + 1) *
	    sizeof(*c->classes));
	if (c->classes == NULL)
		abort();
	k = &c->classes[c->nclasses];
	memset(k, 0, sizeof(*k));
	snprintf(k->name, sizeof(k->name), "%s", name);
	snprintf(buf, sizeof(buf), "%s", nets);
	for (p = strtok_r(buf, ",", &sp); p != NULL; p = strtok_r(NULL, ",", &sp))
		tnet_add(&c->class_nets, p, c->nclasses);
	c->nclasses++;
	return k;
}

static inline void
tconf_allow_uid(struct conf *c, uint32_t uid)
{
	c->allow_uids = realloc(c->allow_uids, (size_t)(c->nallow_uids + 1) *
	    sizeof(*c->allow_uids));
	if (c->allow_uids == NULL)
		abort();
	c->allow_uids[c->nallow_uids++] = uid;	/* kept sorted: add ascending */
}

static inline void
tconf_free(struct conf *c)
{
	conf_free(c);
}

/* A SYN from src to dst:25 on the forward group. */
static inline struct pkt
tpkt(const char *src, const char *dst)
{
	struct pkt p;

	memset(&p, 0, sizeof(p));
	p.src = taddr(src);
	p.dst = taddr(dst);
	p.sport = 40000;
	p.dport = 25;
	p.tcp_flags = TCP_SYN;
	p.group = 1;
	return p;
}

/* A key as text, without key.c: "192.0.2.7", "2001:db8::/64", "uid:5". */
static inline char *
tkey_fmt(const struct key *k, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	switch (k->kind) {
	case KEY_V4:
		inet_ntop(AF_INET, k->addr, a, sizeof(a));
		snprintf(buf, len, "%s", a);
		break;
	case KEY_V6:
		inet_ntop(AF_INET6, k->addr, a, sizeof(a));
		if (k->plen == 128)
			snprintf(buf, len, "%s", a);
		else
			snprintf(buf, len, "%s/%u", a, k->plen);
		break;
	case KEY_UID:
		snprintf(buf, len, "uid:%u", k->uid);
		break;
	case KEY_ACCOUNT:
		key_format(k, buf, len);
		break;
	default:
		snprintf(buf, len, "none");
	}
	return buf;
}

static inline struct key
tkey(const char *s, int ipv6_prefix)
{
	struct key k;
	struct addr a;

	if (strncmp(s, "uid:", 4) == 0) {
		key_from_uid(&k, (uint32_t)strtoul(s + 4, NULL, 10));
		return k;
	}
	a = taddr(s);
	key_from_addr(&k, &a, ipv6_prefix);
	return k;
}

/*
 * "KEY RULE ACTION c=CONNECTIONS d=DESTINATIONS s=STRIKE t=TIMEOUT" with
 * the timeout in seconds or "perm"; long adds " f=FIRST_SEEN_MS".
 */
static inline char *
tverdict_fmt(const struct verdict *v, bool withfirst, char *buf, size_t len)
{
	char k[KEY_STRLEN], t[32];
	int n;

	if (v->timeout_us == DURATION_PERMANENT)
		snprintf(t, sizeof(t), "perm");
	else
		snprintf(t, sizeof(t), "%lld", (long long)(v->timeout_us / SEC));
	n = snprintf(buf, len, "%s %s %s c=%u d=%u s=%d t=%s",
	    tkey_fmt(&v->key, k, sizeof(k)), rule_name(v->rule),
	    action_name(v->action), v->connections, v->destinations,
	    v->strike, t);
	if (v->action == ACT_THROTTLE && n > 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, " r=%u/%lld",
		    v->throttle_rate.n,
		    (long long)(v->throttle_rate.w_us / SEC));
	if (withfirst && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, " f=%lld",
		    (long long)(v->first_seen_us / MS));
	return buf;
}

/*
 * The packet input as the tests drive it: input_pkt.c's classifier, then
 * the engine, with the input's counts kept in tin (what an input's stats
 * report).  tengine_new and tengine_reconf remember the conf the
 * classifier reads, as the daemon's inputs follow the running config.
 */
static struct input_stats tin;
static const struct conf *tfeed_conf;

static inline struct engine *
tengine_new(const struct conf *c, const uint8_t key[16])
{
	tfeed_conf = c;
	memset(&tin, 0, sizeof(tin));
	return engine_new(c, key);
}

static inline int
tengine_reconf(struct engine *e, const struct conf *c)
{
	tfeed_conf = c;
	return engine_reconf(e, c);
}

static inline bool
tfeed(struct engine *e, const struct pkt *p, enum pkt_result r,
    int64_t t_us, struct verdict *v)
{
	struct event ev;

	tin.records++;
	r = pkt_event(tfeed_conf, p, r, t_us, &ev);
	if (r == PKT_IGNORED) {
		tin.ignored++;
		return false;
	}
	if (r != PKT_OK) {
		tin.malformed++;
		return false;
	}
	tin.events++;
	return engine_feed(e, &ev, v);
}

#endif /* ENGINE_TEST_H */
