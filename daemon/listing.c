/*
 * listing.c: a status or list reply in progress (the control socket's
 * streamed replies, daemon.h "proto.c").  A listing is a snapshot of keys
 * and a cursor; ctl.c asks it for more row frames only when the client
 * has taken the last ones, so a million blocks cost the daemon a key and
 * an index each (28 bytes) for the snapshot and one bounded buffer, never
 * a reply built whole, and a client that stops reading stops costing
 * time.
 *
 * Why keys: blocks.c moves its last record into the hole of a removed
 * one, so an index into it would skip or repeat blocks while blocks end
 * during a listing.  Keys are looked up again when their row is written:
 * a block that ended since is left out, one that started since was not
 * in the snapshot; every block held during the whole listing appears
 * exactly once.  The price: taking the snapshot is one pass over the
 * blocks inside the loop (40 to 150 ms at 1,000,000 on a 2-core VM, most
 * of it the first touch of its 28 MB), once per `list` or `status
 * --json`; the human status's `recent` snapshot is one pass too, of a
 * few keys.  This file never changes the blocks.
 */
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

/*
 * Invariants: keys[0..n) are distinct (blocks holds one record per key);
 * keys[0..next) have been dealt with (written or found ended); rows counts
 * those written; ended once the end message is in a buffer.  at[i] is
 * where keys[i] was in blocks_at() order: looked at first, so the rows of
 * blocks that did not move cost no hash probe.
 */
struct listing {
	struct key	*keys;
	uint32_t	*at;
	size_t		 n, next;
	uint64_t	 held;
	uint64_t	 rows;
	bool		 ended;
};

/*
 * Every key, blocked (and dry run) first, then throttled, so that the
 * client can print the two tables as the rows come: one pass, the
 * throttled filled in from the end and turned round after.
 */
static int
listing_all(struct listing *l, struct blocks *bs)
{
	size_t i, n = blocks_count(bs), front = 0, back = n, pos, end;
	const struct block *b;
	struct key k;
	uint32_t at;

	if (n == 0)
		return 0;
	if ((l->keys = malloc(n * sizeof(*l->keys))) == NULL ||
	    (l->at = malloc(n * sizeof(*l->at))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		b = blocks_at(bs, i);
		pos = b->action == ACT_THROTTLE ? --back : front++;
		l->keys[pos] = b->key;
		l->at[pos] = (uint32_t)i;
	}
	for (pos = back, end = n - 1; pos < end; pos++, end--) {
		k = l->keys[pos];
		l->keys[pos] = l->keys[end];
		l->keys[end] = k;
		at = l->at[pos];
		l->at[pos] = l->at[end];
		l->at[end] = at;
	}
	l->n = n;
	return 0;
}

/* The `recent` most recent blocks by since, newest first: one pass with a
 * sorted array of `recent` at most (insertion, recent is small). */
static int
listing_recent(struct listing *l, struct blocks *bs, uint32_t recent)
{
	size_t i, j, n = blocks_count(bs), ntop = 0, *top;
	int64_t since;

	if ((top = calloc(recent, sizeof(*top))) == NULL ||
	    (l->keys = calloc(recent, sizeof(*l->keys))) == NULL ||
	    (l->at = calloc(recent, sizeof(*l->at))) == NULL) {
		free(top);
		return -1;
	}
	for (i = 0; i < n; i++) {
		since = blocks_at(bs, i)->since_us;
		if (ntop == recent &&
		    since <= blocks_at(bs, top[ntop - 1])->since_us)
			continue;
		if (ntop < recent)
			ntop++;
		for (j = ntop - 1; j > 0 &&
		    blocks_at(bs, top[j - 1])->since_us < since; j--)
			top[j] = top[j - 1];
		top[j] = i;
	}
	for (i = 0; i < ntop; i++) {
		l->keys[i] = blocks_at(bs, top[i])->key;
		l->at[i] = (uint32_t)top[i];
	}
	l->n = ntop;
	free(top);
	return 0;
}

struct listing *
listing_new(struct blocks *bs, uint32_t recent)
{
	struct listing *l;
	int rv;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return NULL;
	l->held = blocks_count(bs);
	rv = recent == 0 ? listing_all(l, bs) : listing_recent(l, bs, recent);
	if (rv == -1) {
		listing_free(l);
		return NULL;
	}
	return l;
}

uint64_t
listing_held(const struct listing *l)
{
	return l->held;
}

/* The end message, {"end": true, "rows": N}, if it fits: 1, 0, -1. */
static int
listing_end(struct listing *l, uint8_t *buf, size_t *len, size_t cap)
{
	json_t *o;
	uint8_t *m;
	size_t mlen;
	int rv;

	if ((o = json_pack("{s:b,s:I}", "end", 1, "rows",
	    (json_int_t)l->rows)) == NULL)
		return -1;
	rv = proto_pack(o, PROTO_MAX_MSG, &m, &mlen);
	json_decref(o);
	if (rv == -1)
		return -1;
	if (mlen > cap - *len) {
		free(m);
		return 0;
	}
	memcpy(buf + *len, m, mlen);
	*len += mlen;
	free(m);
	l->ended = true;
	return 1;
}

/* The block of keys[next] now: where it was, else wherever it went. */
static const struct block *
listing_block(const struct listing *l, struct blocks *bs)
{
	const struct block *b = blocks_at(bs, l->at[l->next]);

	if (b != NULL && key_equal(&b->key, &l->keys[l->next]))
		return b;
	return blocks_find(bs, &l->keys[l->next]);
}

int
listing_fill(struct listing *l, struct daemon *d, uint8_t *buf, size_t *len,
    size_t cap)
{
	const struct block *b;
	size_t flen, limit, k;
	uint8_t *frame;

	while (l->next < l->n) {
		if (cap - *len < PROTO_HDR_LEN + 1 + PROTO_ROW_MAX)
			return 0;
		frame = buf + *len;
		flen = proto_rows_begin(frame);
		limit = cap - *len;
		if (limit > PROTO_HDR_LEN + PROTO_MAX_FRAME)
			limit = PROTO_HDR_LEN + PROTO_MAX_FRAME;
		for (; l->next < l->n; l->next++) {
			if ((b = listing_block(l, d->blocks)) == NULL)
				continue;	/* ended since the snapshot */
			k = proto_row_put(frame + flen, limit - flen, b,
			    engine_attempts(d->engine, &b->key));
			if (k == 0)
				break;
			flen += k;
			l->rows++;
		}
		if (flen > PROTO_HDR_LEN + 1) {
			proto_rows_end(frame, flen);
			*len += flen;
		}
	}
	return l->ended ? 1 : listing_end(l, buf, len, cap);
}

void
listing_free(struct listing *l)
{
	if (l == NULL)
		return;
	free(l->keys);
	free(l->at);
	free(l);
}
