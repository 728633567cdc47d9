/*
 * names.c: the names behind account keys.  An account key holds a 128-bit
 * hash of the login (key.c), so the tables stay as small as for packet
 * sources; this table remembers the login of each hash so that status,
 * the log, the hook and the state can print it.  It never decides
 * anything: a hash whose name is gone prints as "account:#HEX".
 *
 * Bounded: NAMES_CAP entries.  A name comes in on every account event
 * (names_put) and is pinned (names_pin) while something outlives the
 * counting tables: a block, a parsed SOURCE.  When the table is three
 * quarters full the unpinned names are dropped all at once (they come
 * back with their account's next event), so a flood of made-up logins
 * costs bounded memory and never evicts the name of a blocked account.
 *
 * The hash key is random per daemon (names_init) and fixed otherwise, so
 * no one can prepare two logins with one hash; the hash is two SipHashes
 * under two halves of the key (128 bits).
 */
#include <stdlib.h>
#include <string.h>

#include "nflogmon.h"
#include "engine_internal.h"

#define NAMES_CAP	(1u << 18)	/* slots, a power of two */
#define NAMES_FULL	(NAMES_CAP / 4 * 3)

/* Invariant: a slot is free iff name == NULL; linear probing. */
struct name_slot {
	uint8_t		 h[16];
	bool		 pinned;
	char		*name;
};

static struct name_slot	*slots;
static uint32_t		 nused;
static uint8_t		 hkey[2][HASH_KEYLEN] = {
	{ 'n', 'f', 'l', 'o', 'g', 'm', 'o', 'n', '-', 'a', 'c', 'c', 't', '-',
	  'k', '1' },
	{ 'n', 'f', 'l', 'o', 'g', 'm', 'o', 'n', '-', 'a', 'c', 'c', 't', '-',
	  'k', '2' },
};

void
names_init(const uint8_t key[32])
{
	memcpy(hkey[0], key, HASH_KEYLEN);
	memcpy(hkey[1], key + HASH_KEYLEN, HASH_KEYLEN);
}

void
names_hash(const char *name, size_t len, uint8_t out[16])
{
	uint64_t a = hash_siphash(hkey[0], name, len);
	uint64_t b = hash_siphash(hkey[1], name, len);

	memcpy(out, &a, 8);
	memcpy(out + 8, &b, 8);
}

static struct name_slot *
names_find(const uint8_t h[16], bool *found)
{
	uint32_t i;

	uint64_t x;
	memcpy(&x, h, sizeof(x));
	for (i = (uint32_t)x & (NAMES_CAP - 1);; i = (i + 1) & (NAMES_CAP - 1)) {
		if (slots[i].name == NULL) {
			*found = false;
			return &slots[i];
		}
		if (memcmp(slots[i].h, h, 16) == 0) {
			*found = true;
			return &slots[i];
		}
	}
}

/* Drops every unpinned name and rehashes the pinned ones. */
static void
names_sweep(void)
{
	struct name_slot *old = slots, *s;
	bool found;
	uint32_t i;

	if ((slots = calloc(NAMES_CAP, sizeof(*slots))) == NULL) {
		slots = old;		/* keep what we have */
		return;
	}
	nused = 0;
	for (i = 0; i < NAMES_CAP; i++) {
		if (old[i].name == NULL)
			continue;
		if (!old[i].pinned) {
			free(old[i].name);
			continue;
		}
		s = names_find(old[i].h, &found);
		*s = old[i];
		nused++;
	}
	free(old);
}

void
names_put(const uint8_t h[16], const char *name, size_t len, bool pin)
{
	struct name_slot *s;
	bool found;

	if (slots == NULL && (slots = calloc(NAMES_CAP, sizeof(*slots))) ==
	    NULL)
		return;
	s = names_find(h, &found);
	if (!found) {
		if (nused >= NAMES_FULL) {
			names_sweep();
			if (nused >= NAMES_FULL)
				return;		/* all pinned: print the hash */
			s = names_find(h, &found);
		}
		if ((s->name = malloc(len + 1)) == NULL)
			return;
		memcpy(s->name, name, len);
		s->name[len] = '\0';
		memcpy(s->h, h, 16);
		s->pinned = false;
		nused++;
	}
	if (pin)
		s->pinned = true;
}

void
names_pin(const struct key *k)
{
	struct name_slot *s;
	bool found;

	if (k->kind != KEY_ACCOUNT || slots == NULL)
		return;
	s = names_find(k->addr, &found);
	if (found)
		s->pinned = true;
}

const char *
names_get(const struct key *k)
{
	struct name_slot *s;
	bool found;

	if (k->kind != KEY_ACCOUNT || slots == NULL)
		return NULL;
	s = names_find(k->addr, &found);
	return found ? s->name : NULL;
}
