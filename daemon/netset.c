/*
 * netset.c: a set of IPv4/IPv6 prefixes with an int value each, answering
 * "the value of the longest prefix containing this address".  Serves the
 * allowlists, the smarthost destinations and the class networks.
 *
 * Built once at config load (the only place that allocates); lookups are
 * in the packet path, so they allocate nothing, take no lock and cost one
 * hash probe sequence per distinct prefix length present in the family,
 * longest first.  A config with thousands of host addresses and a few
 * networks therefore costs a handful of probes per packet.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nflogmon.h"

struct netset_entry {
	struct addr	 a;		/* host bits zero */
	uint8_t		 plen;
	int		 value;		/* >= 0 */
};

/*
 * Invariants:
 * - entries[0..n) holds every prefix once, in insertion order (so that
 *   netset_foreach and conf_print are deterministic).
 * - slots is an open-addressing table (linear probing) of nslots, a power
 *   of two, never more than half full; a slot holds an entry index + 1, or
 *   0 when empty.  Nothing is ever removed, so no tombstones.
 * - plens4[0..nplens4) / plens6[0..nplens6) are the distinct prefix lengths
 *   present per family, in decreasing order.
 */
struct netset {
	struct netset_entry *entries;
	size_t		 n, cap;
	uint32_t	*slots;
	size_t		 nslots;
	uint8_t		 plens4[33], plens6[129];
	int		 nplens4, nplens6;
};

#define NETSET_MIN_SLOTS	16

struct netset *
netset_new(void)
{
	struct netset *ns;

	if ((ns = calloc(1, sizeof(*ns))) == NULL)
		return NULL;
	if ((ns->slots = calloc(NETSET_MIN_SLOTS, sizeof(*ns->slots))) ==
	    NULL) {
		free(ns);
		return NULL;
	}
	ns->nslots = NETSET_MIN_SLOTS;
	return ns;
}

void
netset_free(struct netset *ns)
{
	if (ns == NULL)
		return;
	free(ns->entries);
	free(ns->slots);
	free(ns);
}

size_t
netset_count(const struct netset *ns)
{
	return ns->n;
}

/* Copies the first plen bits of a, the rest zero. */
static void
netset_mask(const struct addr *a, int plen, struct addr *out)
{
	int full = plen / 8, rest = plen % 8;

	memset(out, 0, sizeof(*out));
	out->family = a->family;
	memcpy(out->b, a->b, (size_t)full);
	if (rest != 0)
		out->b[full] = a->b[full] & (uint8_t)(0xff00 >> rest);
}

/* splitmix64's finalizer over the masked address and its length. */
static uint64_t
netset_hash(const struct addr *m, int plen)
{
	uint64_t x, y;

	memcpy(&x, m->b, 8);
	memcpy(&y, m->b + 8, 8);
	x ^= (y * 0x9e3779b97f4a7c15ULL) ^ ((uint64_t)plen << 8 | m->family);
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

/* Index of the slot holding (m, plen), or of the empty slot ending its
 * probe sequence. */
static size_t
netset_probe(const struct netset *ns, const struct addr *m, int plen)
{
	size_t mask = ns->nslots - 1, i;
	const struct netset_entry *e;

	for (i = netset_hash(m, plen) & mask;; i = (i + 1) & mask) {
		if (ns->slots[i] == 0)
			return i;
		e = &ns->entries[ns->slots[i] - 1];
		if (e->plen == plen && e->a.family == m->family &&
		    memcmp(e->a.b, m->b, sizeof(m->b)) == 0)
			return i;
	}
}

static int
netset_grow(struct netset *ns)
{
	uint32_t *slots, *old = ns->slots;
	size_t nslots = ns->nslots * 2, i, j;

	if (nslots > UINT32_MAX || (slots = calloc(nslots, sizeof(*slots))) ==
	    NULL) {
		errno = ENOMEM;
		return -1;
	}
	ns->slots = slots;
	ns->nslots = nslots;
	for (i = 0; i < ns->n; i++) {
		j = netset_probe(ns, &ns->entries[i].a, ns->entries[i].plen);
		ns->slots[j] = (uint32_t)(i + 1);
	}
	free(old);
	return 0;
}

/* Inserts plen into a decreasing list of distinct lengths. */
static void
netset_add_plen(uint8_t *plens, int *n, int plen)
{
	int i;

	for (i = 0; i < *n && plens[i] > plen; i++)
		;
	if (i < *n && plens[i] == plen)
		return;
	memmove(plens + i + 1, plens + i, (size_t)(*n - i));
	plens[i] = (uint8_t)plen;
	(*n)++;
}

/*
 * Adds a/plen with value (>= 0).  Bits of a beyond plen are ignored.
 * Returns 0, or -1 with errno EEXIST (the prefix is already present: look
 * it up with netset_get to name its owner), EINVAL (bad family, length or
 * value) or ENOMEM.
 */
int
netset_add(struct netset *ns, const struct addr *a, int plen, int value)
{
	struct netset_entry *e;
	struct addr m;
	size_t i;
	int max;

	max = a->family == AF_INET ? 32 : a->family == AF_INET6 ? 128 : -1;
	if (max == -1 || plen < 0 || plen > max || value < 0) {
		errno = EINVAL;
		return -1;
	}
	netset_mask(a, plen, &m);
	i = netset_probe(ns, &m, plen);
	if (ns->slots[i] != 0) {
		errno = EEXIST;
		return -1;
	}
	if (ns->n == ns->cap) {
		size_t cap = ns->cap ? ns->cap * 2 : 16;

		if (cap > UINT32_MAX - 1 ||
		    (e = reallocarray(ns->entries, cap, sizeof(*e))) == NULL) {
			errno = ENOMEM;
			return -1;
		}
		ns->entries = e;
		ns->cap = cap;
	}
	if ((ns->n + 1) * 2 > ns->nslots) {
		if (netset_grow(ns) == -1)
			return -1;
		i = netset_probe(ns, &m, plen);
	}
	e = &ns->entries[ns->n];
	e->a = m;
	e->plen = (uint8_t)plen;
	e->value = value;
	ns->slots[i] = (uint32_t)(ns->n + 1);
	ns->n++;
	if (m.family == AF_INET)
		netset_add_plen(ns->plens4, &ns->nplens4, plen);
	else
		netset_add_plen(ns->plens6, &ns->nplens6, plen);
	return 0;
}

/* The value of exactly a/plen, or -1 when it is not in the set. */
int
netset_get(const struct netset *ns, const struct addr *a, int plen)
{
	struct addr m;
	size_t i;

	if (plen < 0 || plen > (a->family == AF_INET ? 32 : 128))
		return -1;
	netset_mask(a, plen, &m);
	i = netset_probe(ns, &m, plen);
	return ns->slots[i] ? ns->entries[ns->slots[i] - 1].value : -1;
}

/* The value of the longest prefix containing a, or -1 when none does. */
int
netset_lookup(const struct netset *ns, const struct addr *a)
{
	const uint8_t *plens;
	struct addr m;
	int n, k;
	size_t i;

	if (a->family == AF_INET) {
		plens = ns->plens4;
		n = ns->nplens4;
	} else if (a->family == AF_INET6) {
		plens = ns->plens6;
		n = ns->nplens6;
	} else
		return -1;
	for (k = 0; k < n; k++) {
		netset_mask(a, plens[k], &m);
		i = netset_probe(ns, &m, plens[k]);
		if (ns->slots[i] != 0)
			return ns->entries[ns->slots[i] - 1].value;
	}
	return -1;
}

/* Calls fn for every prefix, in insertion order. */
void
netset_foreach(const struct netset *ns,
    void (*fn)(const struct addr *, int plen, int value, void *), void *arg)
{
	size_t i;

	for (i = 0; i < ns->n; i++)
		fn(&ns->entries[i].a, ns->entries[i].plen,
		    ns->entries[i].value, arg);
}
