/*
 * hash.c: the keyed hash of the engine's tables (SipHash-1-3).
 *
 * Sources are chosen by whoever sends the packets, so a plain mixing
 * function lets an attacker (or just a /16 of neighbours, NOTES.md
 * "Hashing") pile every source into one chain.  SipHash with a random
 * 128-bit key makes the bucket of an address unpredictable.  The 1-3
 * variant (one compression and three finalisation rounds, as Rust's
 * HashMap uses) is the hot path's largest cost otherwise; hash_key feeds it
 * only the bytes of a key that carry meaning (6 for IPv4, 10 for a /64), so
 * a source costs one or two blocks, not four.  Pure, no state.
 */
#include <endian.h>
#include <stdint.h>
#include <string.h>

#include "nflogmon.h"
#include "engine_internal.h"

#define ROTL(x, b)	(uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

#define SIPROUND do {							\
	v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);	\
	v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;				\
	v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;				\
	v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);	\
} while (0)

/* Little-endian load, whatever the host order, so hashes are portable;
 * memcpy and le64toh compile to one load on little-endian hosts. */
static uint64_t
load64_le(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

uint64_t
hash_siphash(const uint8_t key[HASH_KEYLEN], const void *data, size_t len)
{
	const uint8_t *in = data;
	uint64_t k0 = load64_le(key), k1 = load64_le(key + 8);
	uint64_t v0 = 0x736f6d6570736575ULL ^ k0;
	uint64_t v1 = 0x646f72616e646f6dULL ^ k1;
	uint64_t v2 = 0x6c7967656e657261ULL ^ k0;
	uint64_t v3 = 0x7465646279746573ULL ^ k1;
	uint64_t m, b = (uint64_t)len << 56;
	size_t left = len & 7;
	const uint8_t *end = in + len - left;

	for (; in != end; in += 8) {
		m = load64_le(in);
		v3 ^= m;
		SIPROUND;
		v0 ^= m;
	}
	switch (left) {		/* the last 0..7 bytes, unrolled */
	case 7:
		b |= (uint64_t)in[6] << 48;
		/* FALLTHROUGH */
	case 6:
		b |= (uint64_t)in[5] << 40;
		/* FALLTHROUGH */
	case 5:
		b |= (uint64_t)in[4] << 32;
		/* FALLTHROUGH */
	case 4:
		b |= (uint64_t)in[3] << 24;
		/* FALLTHROUGH */
	case 3:
		b |= (uint64_t)in[2] << 16;
		/* FALLTHROUGH */
	case 2:
		b |= (uint64_t)in[1] << 8;
		/* FALLTHROUGH */
	case 1:
		b |= (uint64_t)in[0];
	}
	v3 ^= b;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t
hash_key(const uint8_t hashkey[HASH_KEYLEN], const struct key *k)
{
	uint8_t buf[2 + 16];
	size_t n = 2;

	buf[0] = k->kind;
	buf[1] = k->plen;
	if (k->kind == KEY_UID) {
		memcpy(buf + n, &k->uid, sizeof(k->uid));
		n += sizeof(k->uid);
	} else if (k->kind == KEY_ACCOUNT) {
		/* the name's 128-bit hash, whole (plen is 0: without this
		 * every account hashed alike, one bucket chain, one ring) */
		memcpy(buf + n, k->addr, sizeof(k->addr));
		n += sizeof(k->addr);
	} else {
		/* host bits are zero (struct key's invariant) */
		memcpy(buf + n, k->addr, (k->plen + 7u) / 8);
		n += (k->plen + 7u) / 8;
	}
	return hash_siphash(hashkey, buf, n);
}
