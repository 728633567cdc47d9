/*
 * act_clients.c: [accounts] block_clients (DESIGN.md "Account rules").
 * When an account is blocked, each client address its verdict lists (the
 * engine keeps its last clients N + 1) gets a block of its own: rule
 * clients, reason account:NAME, the account's timeout, no strike, no hook,
 * never published to the fleet, in the backend's clients sets (a key
 * marked client), which the ruleset enforces on the submission ports only.
 * Unblocking the account lifts them.  The breaker counted the account's
 * verdict once; its clients add nothing to it.
 *
 * Never blocked: loopback, this host's own addresses (read at start and on
 * reload) and allowlisted addresses.  Blocks go through act_block, the one
 * act path: this file calls no backend verb.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <ifaddrs.h>

#include <stdlib.h>
#include <string.h>

#include "daemon.h"

/* This host's addresses, IPv6 ones as their ipv6_prefix. */
static struct netset *own;

/* Whether allowlisted prefix (a, plen) lies inside the client's. */
struct inside {
	const struct addr *client;
	int		 plen;
	bool		 found;
};

static bool
prefix_inside(const struct addr *a, int plen, const struct addr *p,
    int pplen)
{
	int i, bits = pplen;

	if (a->family != p->family || plen < pplen)
		return false;
	for (i = 0; bits > 0; i++, bits -= 8) {
		uint8_t m = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));

		if ((a->b[i] & m) != (p->b[i] & m))
			return false;
	}
	return true;
}

static void
inside_fn(const struct addr *a, int plen, int value, void *arg)
{
	struct inside *in = arg;

	(void)value;
	if (prefix_inside(a, plen, in->client, in->plen))
		in->found = true;
}

static bool
is_loopback(const struct addr *a)
{
	static const uint8_t v6lo[16] = { [15] = 1 };

	if (a->family == AF_INET)
		return a->b[0] == 127;
	return memcmp(a->b, v6lo, 16) == 0;
}

/*
 * Whether client a (an IPv6 one aggregated to ipv6_prefix) may be
 * blocked: not loopback, unspecified, this host (ownset, as made by
 * act_clients_own) nor allowlisted, in whole or in part.
 */
bool
act_clients_eligible(const struct conf *c, const struct netset *ownset,
    const struct addr *a)
{
	static const uint8_t zero[16];
	struct inside in;
	int plen;

	if (a->family != AF_INET && a->family != AF_INET6)
		return false;
	plen = a->family == AF_INET ? 32 : c->ipv6_prefix;
	if (is_loopback(a) ||
	    memcmp(a->b, zero, a->family == AF_INET ? 4 : 16) == 0)
		return false;
	if (ownset != NULL && netset_lookup(ownset, a) >= 0)
		return false;
	if (c->allow_src == NULL)
		return true;
	if (netset_lookup(c->allow_src, a) >= 0)
		return false;
	memset(&in, 0, sizeof(in));
	in.client = a;
	in.plen = plen;
	netset_foreach(c->allow_src, inside_fn, &in);
	return !in.found;
}

/* This host's addresses as a set (IPv6 as their ipv6_prefix); NULL when
 * they cannot be read (then only loopback and the allowlist hold). */
struct netset *
act_clients_own(const struct conf *c)
{
	struct ifaddrs *ifa, *i;
	struct netset *s;
	struct addr a;

	if (getifaddrs(&ifa) == -1) {
		log_warn("block_clients: getifaddrs");
		return NULL;
	}
	if ((s = netset_new()) == NULL) {
		freeifaddrs(ifa);
		return NULL;
	}
	for (i = ifa; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL)
			continue;
		memset(&a, 0, sizeof(a));
		if (i->ifa_addr->sa_family == AF_INET) {
			a.family = AF_INET;
			memcpy(a.b, &((const struct sockaddr_in *)(const void *)
			    i->ifa_addr)->sin_addr, 4);
			(void)netset_add(s, &a, 32, 0);
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			a.family = AF_INET6;
			memcpy(a.b, &((const struct sockaddr_in6 *)(const void *)
			    i->ifa_addr)->sin6_addr, 16);
			addr_aggregate(&a, c->ipv6_prefix);
			(void)netset_add(s, &a, c->ipv6_prefix, 0);
		}
	}
	freeifaddrs(ifa);
	return s;
}

void
act_clients_reconf(struct daemon *d)
{
	netset_free(own);
	own = NULL;
	if (d->conf->block_clients)
		own = act_clients_own(d->conf);
}

void
act_clients_close(void)
{
	netset_free(own);
	own = NULL;
}

/* The reason of a client's block: "account:NAME", or for a login too long
 * for a record's reason, "account:#" and its key's hash (unique too). */
static void
clients_reason(const struct key *account, char *buf, size_t len)
{
	char name[KEY_STRLEN], hex[33];

	key_format(account, name, sizeof(name));
	if (strlen(name) < len) {
		memcpy(buf, name, strlen(name) + 1);
		return;
	}
	snprintf(buf, len, "account:#%s", fmt_hex(account->addr, 16, hex,
	    sizeof(hex)));
}

/*
 * After the block of an account (acct) started from verdict v: a block
 * for each of its eligible clients.
 */
void
act_clients_block(struct daemon *d, const struct block *acct,
    int64_t timeout_us, const struct verdict *v)
{
	char name[KEY_STRLEN], src[KEY_STRLEN], err[256];
	struct block b, *old;
	int i, skipped = 0;

	if (!d->conf->block_clients || acct->key.kind != KEY_ACCOUNT ||
	    acct->action != ACT_BLOCK)
		return;
	key_format(&acct->key, name, sizeof(name));
	for (i = 0; i < v->ndsts && i < VERDICT_MAX_DSTS; i++) {
		if (!act_clients_eligible(d->conf, own, &v->dsts[i])) {
			skipped++;
			continue;
		}
		memset(&b, 0, sizeof(b));
		key_client(&b.key, &v->dsts[i], d->conf->ipv6_prefix);
		/* a longer block of the same client stays */
		if ((old = blocks_find(d->blocks, &b.key)) != NULL &&
		    old->expires_us >= acct->expires_us)
			continue;
		b.rule = RULE_CLIENTS;
		b.action = ACT_BLOCK;
		b.since_us = acct->since_us;
		b.expires_us = acct->expires_us;
		clients_reason(&acct->key, b.reason, sizeof(b.reason));
		if (act_block(d, &b, timeout_us, err, sizeof(err)) == -1)
			log_warnx("block_clients: %s of %s: %s",
			    key_format(&b.key, src, sizeof(src)), name, err);
	}
	if (skipped > 0)
		log_info("block_clients: %d client addresses of %s not blocked "
		    "(loopback, this host or allowlisted)", skipped, name);
}

/* After the block of an account ended by hand: its clients' blocks. */
void
act_clients_unblock(struct daemon *d, const struct key *account,
    const char *why)
{
	char name[sizeof(((struct block *)0)->reason)], err[256];
	struct key *keys = NULL, *nk;
	size_t i, n = 0, cap = 0, total = blocks_count(d->blocks);
	struct block *b;

	if (account->kind != KEY_ACCOUNT)
		return;
	clients_reason(account, name, sizeof(name));
	for (i = 0; i < total; i++) {
		b = blocks_at(d->blocks, i);
		if (!b->key.client || strcmp(b->reason, name) != 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((nk = reallocarray(keys, cap, sizeof(*keys))) ==
			    NULL) {
				log_warnx("block_clients: out of memory "
				    "unblocking the clients of %s", name);
				break;
			}
			keys = nk;
		}
		keys[n++] = b->key;
	}
	for (i = 0; i < n; i++)
		(void)act_unblock(d, &keys[i], why, err, sizeof(err));
	free(keys);
}
