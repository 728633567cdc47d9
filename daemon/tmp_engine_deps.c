/*
 * tmp_engine_deps.c: TEMPORARY weak placeholders for what the engine calls
 * in key.c, netset.c and conf.c until those land on main.  Deleted before
 * landing for good.
 */
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nflogmon.h"

#define WEAK __attribute__((weak))

WEAK void
key_from_addr(struct key *k, const struct addr *a, int plen)
{
	int i;

	memset(k, 0, sizeof(*k));
	if (a->family == AF_INET) {
		k->kind = KEY_V4;
		k->plen = 32;
		memcpy(k->addr, a->b, 4);
	} else if (a->family == AF_INET6) {
		k->kind = KEY_V6;
		k->plen = (uint8_t)plen;
		for (i = 0; i < 16; i++, plen -= 8)
			k->addr[i] = plen >= 8 ? a->b[i] : plen > 0 ?
			    (uint8_t)(a->b[i] & (0xff << (8 - plen))) : 0;
	}
}

WEAK void
key_from_uid(struct key *k, uint32_t uid)
{
	memset(k, 0, sizeof(*k));
	k->kind = KEY_UID;
	k->uid = uid;
}

WEAK bool
key_equal(const struct key *a, const struct key *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

struct netset {
	int		n;
	struct addr	a[64];
	int		plen[64];
	int		value[64];
};

WEAK struct netset *
netset_new(void)
{
	return calloc(1, sizeof(struct netset));
}

WEAK void
netset_free(struct netset *s)
{
	free(s);
}

WEAK int
netset_add(struct netset *s, const struct addr *a, int plen, int value)
{
	if (s->n == 64)
		return -1;
	s->a[s->n] = *a;
	s->plen[s->n] = plen;
	s->value[s->n++] = value;
	return 0;
}

static bool
match(const struct addr *net, int plen, const struct addr *a)
{
	int i;

	if (net->family != a->family)
		return false;
	for (i = 0; plen > 0; i++, plen -= 8) {
		uint8_t m = plen >= 8 ? 0xff : (uint8_t)(0xff << (8 - plen));
		if ((net->b[i] & m) != (a->b[i] & m))
			return false;
	}
	return true;
}

WEAK int
netset_lookup(const struct netset *s, const struct addr *a)
{
	int i, best = -1, v = -1;

	for (i = 0; i < s->n; i++)
		if (s->plen[i] > best && match(&s->a[i], s->plen[i], a)) {
			best = s->plen[i];
			v = s->value[i];
		}
	return v;
}

WEAK size_t
netset_count(const struct netset *s)
{
	return (size_t)s->n;
}

WEAK bool
conf_port_watched(const struct conf *c, uint16_t port)
{
	int i;

	for (i = 0; i < c->nports; i++)
		if (c->ports[i] == port)
			return true;
	return false;
}

WEAK bool
conf_uid_allowed(const struct conf *c, uint32_t uid)
{
	int i;

	for (i = 0; i < c->nallow_uids; i++)
		if (c->allow_uids[i] == uid)
			return true;
	return false;
}
