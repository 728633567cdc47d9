/*
 * state_import.c: the first release's state file, now read only to be
 * imported into the store (store.c) and written only by tests and the
 * fuzz target.  Pure: text <-> struct state, no file, clock or log.
 * The file is line-oriented text, versioned, with a trailer that counts
 * its records so a truncated file is detected:
 *
 *	nflogmon-state 1
 *	saved WALL_US
 *	block SOURCE RULE ACTION CONNECTIONS SINCE_US EXPIRES_US|permanent
 *	      STRIKES ATTEMPTS ENFORCED(0|1) THROTTLE(N/W_US|-) REASON(%XX|-)
 *	      [DESTINATIONS]
 *	strike SOURCE AT_US
 *	end NBLOCKS NSTRIKES
 *
 * (a block record is one line).  Times are wall-clock Unix microseconds.
 * DESTINATIONS (the verdict's distinct destinations, for the unblock hook)
 * was added later, in both versions: absent it is 0, and it is written
 * only when not 0, so a file of manual blocks stays readable by an older
 * nflogmon (which sets a file with the field aside as corrupt and adopts
 * the kernel's entries).
 *
 * Version 2 adds the window counters that a clean shutdown saves (the
 * engine's struct engine_counters), after the strikes:
 *
 *	hashkey HEX32
 *	counts SOURCE CONNECTIONS FIRST_US LAST_US BURST_BUCKET_US B0,..,B15
 *	       SUSTAINED_BUCKET_US S0,..,S15 FANOUT_TICK_US NSLOTS
 *	dsts HASH:AGE,HASH:AGE,...	(hex, decimal; up to 64 a line, NSLOTS
 *					 in all, right after their counts)
 *	end NBLOCKS NSTRIKES NCOUNTS
 *
 * A file without counters is written as version 1; both versions are
 * read.  A corrupt counters section makes the whole file corrupt, as any
 * other damage: the file was written atomically by the first release, so
 * damage anywhere means it cannot be trusted anywhere.
 *
 * The file is read as untrusted input: line and record counts are bounded,
 * every field is checked, anything unexpected makes the whole file corrupt
 * (store.c then renames it aside, never overwritten).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

#define STATE_MAGIC		"nflogmon-state"
#define STATE_VERSION		2	/* read: 1 and 2 */
#define STATE_DSTS_PER_LINE	64
#define STATE_MAX_FIELDS	13

/* The bounds of a saved time that the daemon moves between the wall and
 * the monotonic clock (strikes, counters): far from any overflow when
 * moved.  Blocks' times stay on the wall clock, [0, INT64_MAX - 1]. */
#define STATE_TIME_MAX		(INT64_MAX / 4)

void
state_free(struct state *st)
{
	free(st->blocks);
	free(st->strikes);
	free(st->counts);
	free(st->slots);
	free(st->fleet);
	memset(st, 0, sizeof(*st));
}

/* Strict decimal: optional '-', digits only, within [min, max]. */
static int
parse_i64(const char *s, int64_t min, int64_t max, int64_t *v)
{
	long long n;
	char *end;

	if (*s == '\0' || (*s != '-' && (*s < '0' || *s > '9')))
		return -1;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || n < min || n > max)
		return -1;
	*v = n;
	return 0;
}

/* "-" is empty; %XX escapes; the result must be printable text. */
static int
reason_decode(const char *s, char *out, size_t len)
{
	size_t o = 0;
	int hi, lo;

	if (strcmp(s, "-") == 0) {
		out[0] = '\0';
		return 0;
	}
	for (; *s != '\0'; s++) {
		char c = *s;
		if (c == '%') {
			if ((hi = parse_hexdigit(s[1])) < 0 || (lo = parse_hexdigit(s[2])) < 0)
				return -1;
			c = (char)(hi << 4 | lo);
			s += 2;
		}
		if ((unsigned char)c < 0x20 || c == 0x7f || o + 1 >= len)
			return -1;
		out[o++] = c;
	}
	out[o] = '\0';
	return 0;
}

static void
reason_encode(FILE *f, const char *s)
{
	if (*s == '\0') {
		fputc('-', f);
		return;
	}
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (c <= 0x20 || c >= 0x7f || c == '%' || c == '-')
			fprintf(f, "%%%02X", c);
		else
			fputc(c, f);
	}
}

static int
parse_key(const char *s, int ipv6_prefix, struct key *k)
{
	char err[128];

	if (key_parse(s, ipv6_prefix, k, err, sizeof(err)) == -1 ||
	    k->kind == KEY_NONE)
		return -1;
	return 0;
}

static int
parse_block(char **f, int n, int ipv6_prefix, struct state_block *sb)
{
	struct block *b = &sb->b;
	int64_t v;
	int i;
	char *slash;

	memset(sb, 0, sizeof(*sb));
	if (parse_key(f[1], ipv6_prefix, &b->key) == -1)
		return -1;
	if ((i = rule_from_name(f[2])) < 0)
		return -1;
	b->rule = (enum rule)i;
	if ((i = action_from_name(f[3])) < 0)
		return -1;
	b->action = (enum action)i;
	if (parse_i64(f[4], 0, UINT32_MAX, &v) == -1)
		return -1;
	b->connections = (uint32_t)v;
	if (parse_i64(f[5], 0, INT64_MAX - 1, &b->since_us) == -1)
		return -1;
	if (strcmp(f[6], "permanent") == 0)
		b->expires_us = DURATION_PERMANENT;
	else if (parse_i64(f[6], 0, INT64_MAX - 1, &b->expires_us) == -1)
		return -1;
	if (parse_i64(f[7], 0, 1000000, &v) == -1)
		return -1;
	b->strikes = (int)v;
	if (parse_i64(f[8], 0, UINT32_MAX, &v) == -1)
		return -1;
	sb->attempts = (uint32_t)v;
	if (strcmp(f[9], "0") != 0 && strcmp(f[9], "1") != 0)
		return -1;
	b->enforced = f[9][0] == '1';
	if (strcmp(f[10], "-") != 0) {
		if ((slash = strchr(f[10], '/')) == NULL)
			return -1;
		*slash = '\0';
		if (parse_i64(f[10], 1, UINT32_MAX, &v) == -1)
			return -1;
		b->throttle_rate.n = (uint32_t)v;
		if (parse_i64(slash + 1, 1, INT64_MAX - 1,
		    &b->throttle_rate.w_us) == -1)
			return -1;
	} else if (b->action == ACT_THROTTLE)
		return -1;
	if (n == 13) {
		if (parse_i64(f[12], 0, UINT32_MAX, &v) == -1)
			return -1;
		b->destinations = (uint32_t)v;
	}
	return reason_decode(f[11], b->reason, sizeof(b->reason));
}

/* Splits line on single spaces in place; returns the field count. */
static int
split(char *line, char **f, int max)
{
	int n = 0;

	for (;;) {
		if (n == max)
			return -1;
		f[n++] = line;
		if ((line = strchr(line, ' ')) == NULL)
			return n;
		*line++ = '\0';
	}
}

int
state_grow(void **p, size_t n, size_t more, size_t *cap, size_t size)
{
	void *np;
	size_t ncap = *cap == 0 ? 64 : *cap;

	if (n + more <= *cap)
		return 0;
	while (ncap < n + more)
		ncap *= 2;
	if ((np = reallocarray(*p, ncap, size)) == NULL)
		return -1;
	*p = np;
	*cap = ncap;
	mem_hugepages(np, ncap * size);
	return 0;
}

static int
grow(void **p, size_t n, size_t *cap, size_t size)
{
	return state_grow(p, n, 1, cap, size);
}

/* ------------------------------------------------------------ counters */

/* The bounds of a counters time or duration (see STATE_TIME_MAX). */
#define COUNTS_TIME_MAX		STATE_TIME_MAX

/* "N0,N1,...,N15": exactly ENGINE_BUCKETS counts of 0..65535. */
static int
parse_buckets(char *s, uint16_t *out)
{
	char *comma;
	int64_t v;
	int i;

	for (i = 0; i < ENGINE_BUCKETS; i++) {
		comma = strchr(s, ',');
		if ((comma == NULL) != (i == ENGINE_BUCKETS - 1))
			return -1;
		if (comma != NULL)
			*comma = '\0';
		if (parse_i64(s, 0, UINT16_MAX, &v) == -1)
			return -1;
		out[i] = (uint16_t)v;
		if (comma != NULL)
			s = comma + 1;
	}
	return 0;
}

static int
parse_counts(char **f, int ipv6_prefix, struct engine_counters *c)
{
	int64_t v;

	memset(c, 0, sizeof(*c));
	if (parse_key(f[1], ipv6_prefix, &c->key) == -1 ||
	    parse_i64(f[2], 1, UINT32_MAX, &v) == -1)
		return -1;
	c->connections = (uint32_t)v;
	if (parse_i64(f[3], -COUNTS_TIME_MAX, COUNTS_TIME_MAX,
	    &c->first_us) == -1 ||
	    parse_i64(f[4], c->first_us, COUNTS_TIME_MAX, &c->last_us) == -1 ||
	    parse_i64(f[5], 0, COUNTS_TIME_MAX, &c->bucket_us[RULE_BURST]) == -1 ||
	    parse_buckets(f[6], c->buckets[RULE_BURST]) == -1 ||
	    parse_i64(f[7], 0, COUNTS_TIME_MAX, &c->bucket_us[RULE_SUSTAINED]) == -1 ||
	    parse_buckets(f[8], c->buckets[RULE_SUSTAINED]) == -1 ||
	    parse_i64(f[9], 0, COUNTS_TIME_MAX, &c->distinct_tick_us) == -1 ||
	    parse_i64(f[10], 0, ENGINE_MAX_SLOTS, &v) == -1)
		return -1;
	c->nslots = (uint32_t)v;
	return 0;
}

/* "HASH:AGE,...": appends to slots; at most *pending of them. */
static int
parse_dsts(char *s, struct state *st, size_t *scap, uint32_t *pending)
{
	struct engine_slot *e;
	char *comma, *colon, *end;
	unsigned long h;
	int64_t v;

	for (;;) {
		if (*pending == 0 || st->nslots >= STATE_MAX_SLOTS ||
		    grow((void **)&st->slots, st->nslots, scap,
		    sizeof(*st->slots)) == -1)
			return -1;
		if ((comma = strchr(s, ',')) != NULL)
			*comma = '\0';
		if ((colon = strchr(s, ':')) == NULL || colon == s ||
		    colon - s > 8)
			return -1;
		*colon = '\0';
		if (strspn(s, "0123456789abcdef") != (size_t)(colon - s))
			return -1;
		h = strtoul(s, &end, 16);
		if (*end != '\0' || h == 0 || h > UINT32_MAX ||
		    parse_i64(colon + 1, 0, ENGINE_SLOT_MAX_AGE, &v) == -1)
			return -1;
		e = &st->slots[st->nslots++];
		e->dsthash = (uint32_t)h;
		e->age = (uint16_t)v;
		(*pending)--;
		if (comma == NULL)
			return 0;
		s = comma + 1;
	}
}

static int
parse_hashkey(const char *s, uint8_t key[16])
{
	return parse_hex(s, key, 16);
}

/* Points every record at its slots (they follow each other in slots[]). */
static void
counts_link(struct state *st)
{
	size_t i, off = 0;

	for (i = 0; i < st->ncounts; i++) {
		st->counts[i].slots = st->counts[i].nslots > 0 ?
		    st->slots + off : NULL;
		off += st->counts[i].nslots;
	}
}

static void
buckets_write(FILE *f, const uint16_t *b)
{
	int i;

	for (i = 0; i < ENGINE_BUCKETS; i++)
		fprintf(f, "%s%u", i > 0 ? "," : "", b[i]);
}

static void
counts_write(FILE *f, const struct engine_counters *c)
{
	char src[KEY_STRLEN];
	uint32_t i;

	fprintf(f, "counts %s %u %lld %lld %lld ",
	    key_format(&c->key, src, sizeof(src)), c->connections,
	    (long long)c->first_us, (long long)c->last_us,
	    (long long)c->bucket_us[RULE_BURST]);
	buckets_write(f, c->buckets[RULE_BURST]);
	fprintf(f, " %lld ", (long long)c->bucket_us[RULE_SUSTAINED]);
	buckets_write(f, c->buckets[RULE_SUSTAINED]);
	fprintf(f, " %lld %u\n", (long long)c->distinct_tick_us, c->nslots);
	for (i = 0; i < c->nslots; i++)
		fprintf(f, "%s%x:%u%s", i % STATE_DSTS_PER_LINE == 0 ?
		    "dsts " : ",", c->slots[i].dsthash, c->slots[i].age,
		    i % STATE_DSTS_PER_LINE == STATE_DSTS_PER_LINE - 1 ||
		    i + 1 == c->nslots ? "\n" : "");
}

int
state_parse(const char *buf, size_t len, int ipv6_prefix, struct state *st,
    char *err, size_t errlen)
{
	char line[STATE_MAX_LINE + 1], *f[STATE_MAX_FIELDS];
	size_t off = 0, ll, lineno = 0, bcap = 0, scap = 0, ccap = 0, dcap = 0;
	const char *nl;
	int64_t nb, ns, nc, version = 0;
	uint32_t pending = 0;	/* dsts still due to the last counts */
	bool ended = false;
	int n;

	memset(st, 0, sizeof(*st));
	while (off < len) {
		lineno++;
		if (ended) {
			snprintf(err, errlen, "line %zu: data after end", lineno);
			goto bad;
		}
		nl = memchr(buf + off, '\n', len - off);
		if (nl == NULL) {
			snprintf(err, errlen, "line %zu: truncated", lineno);
			goto bad;
		}
		ll = (size_t)(nl - (buf + off));
		if (ll > STATE_MAX_LINE || memchr(buf + off, '\0', ll) != NULL) {
			snprintf(err, errlen, "line %zu: too long or binary",
			    lineno);
			goto bad;
		}
		memcpy(line, buf + off, ll);
		line[ll] = '\0';
		off += ll + 1;
		if ((n = split(line, f, STATE_MAX_FIELDS)) == -1)
			goto badline;
		if (lineno == 1) {
			if (n != 2 || strcmp(f[0], STATE_MAGIC) != 0 ||
			    parse_i64(f[1], 1, STATE_VERSION, &version)
			    == -1) {
				snprintf(err, errlen, "not a version 1 to %d "
				    "state file", STATE_VERSION);
				goto bad;
			}
		} else if (pending > 0) {
			if (n != 2 || strcmp(f[0], "dsts") != 0 ||
			    parse_dsts(f[1], st, &dcap, &pending) == -1)
				goto badline;
		} else if (lineno == 2) {
			if (n != 2 || strcmp(f[0], "saved") != 0 ||
			    parse_i64(f[1], 0, INT64_MAX - 1, &st->saved_us)
			    == -1)
				goto badline;
		} else if (strcmp(f[0], "block") == 0 && (n == 12 || n == 13)) {
			if (st->nblocks + st->nstrikes + st->ncounts >=
			    STATE_MAX_RECORDS ||
			    grow((void **)&st->blocks, st->nblocks, &bcap,
			    sizeof(*st->blocks)) == -1)
				goto toomany;
			if (parse_block(f, n, ipv6_prefix,
			    &st->blocks[st->nblocks]) == -1)
				goto badline;
			st->nblocks++;
		} else if (strcmp(f[0], "strike") == 0 && n == 3) {
			struct state_strike *s;
			if (st->nblocks + st->nstrikes + st->ncounts >=
			    STATE_MAX_RECORDS ||
			    grow((void **)&st->strikes, st->nstrikes, &scap,
			    sizeof(*st->strikes)) == -1)
				goto toomany;
			s = &st->strikes[st->nstrikes];
			if (parse_key(f[1], ipv6_prefix, &s->key) == -1 ||
			    parse_i64(f[2], -STATE_TIME_MAX, STATE_TIME_MAX,
			    &s->at_us) == -1)
				goto badline;
			st->nstrikes++;
		} else if (strcmp(f[0], "hashkey") == 0 && n == 2 &&
		    version >= 2 && !st->has_hashkey) {
			if (parse_hashkey(f[1], st->hashkey) == -1)
				goto badline;
			st->has_hashkey = true;
		} else if (strcmp(f[0], "counts") == 0 && n == 11 &&
		    st->has_hashkey) {
			if (st->nblocks + st->nstrikes + st->ncounts >=
			    STATE_MAX_RECORDS ||
			    grow((void **)&st->counts, st->ncounts, &ccap,
			    sizeof(*st->counts)) == -1)
				goto toomany;
			if (parse_counts(f, ipv6_prefix,
			    &st->counts[st->ncounts]) == -1)
				goto badline;
			pending = st->counts[st->ncounts++].nslots;
		} else if (strcmp(f[0], "end") == 0 && n == (version >= 2 ? 4 : 3)) {
			nc = 0;
			if (parse_i64(f[1], 0, STATE_MAX_RECORDS, &nb) == -1 ||
			    parse_i64(f[2], 0, STATE_MAX_RECORDS, &ns) == -1 ||
			    (version >= 2 &&
			    parse_i64(f[3], 0, STATE_MAX_RECORDS, &nc) == -1) ||
			    (size_t)nb != st->nblocks ||
			    (size_t)ns != st->nstrikes ||
			    (size_t)nc != st->ncounts) {
				snprintf(err, errlen, "line %zu: record count "
				    "mismatch", lineno);
				goto bad;
			}
			ended = true;
		} else
			goto badline;
	}
	if (!ended) {
		snprintf(err, errlen, "truncated (no end line)");
		goto bad;
	}
	counts_link(st);
	return 0;
badline:
	snprintf(err, errlen, "line %zu: bad record", lineno);
	goto bad;
toomany:
	snprintf(err, errlen, "line %zu: too many records", lineno);
bad:
	state_free(st);
	return -1;
}

int
state_write(FILE *f, const struct state *st)
{
	char src[KEY_STRLEN];
	const struct block *b;
	size_t i;

	/* Version 1 when it says all: older readers can read it. */
	fprintf(f, "%s %d\nsaved %lld\n", STATE_MAGIC,
	    st->has_hashkey ? 2 : 1, (long long)st->saved_us);
	for (i = 0; i < st->nblocks; i++) {
		b = &st->blocks[i].b;
		if (rule_from_name(rule_name(b->rule)) < 0 ||
		    action_from_name(action_name(b->action)) < 0)
			continue;
		fprintf(f, "block %s %s %s %u %lld ",
		    key_format(&b->key, src, sizeof(src)),
		    rule_name(b->rule), action_name(b->action),
		    b->connections, (long long)b->since_us);
		if (b->expires_us == DURATION_PERMANENT)
			fputs("permanent", f);
		else
			fprintf(f, "%lld", (long long)b->expires_us);
		fprintf(f, " %d %u %d ", b->strikes, st->blocks[i].attempts,
		    b->enforced ? 1 : 0);
		if (b->action == ACT_THROTTLE)
			fprintf(f, "%u/%lld", b->throttle_rate.n,
			    (long long)b->throttle_rate.w_us);
		else
			fputc('-', f);
		fputc(' ', f);
		reason_encode(f, b->reason);
		if (b->destinations != 0)
			fprintf(f, " %u", b->destinations);
		fputc('\n', f);
	}
	for (i = 0; i < st->nstrikes; i++)
		fprintf(f, "strike %s %lld\n",
		    key_format(&st->strikes[i].key, src, sizeof(src)),
		    (long long)st->strikes[i].at_us);
	if (!st->has_hashkey) {
		fprintf(f, "end %zu %zu\n", st->nblocks, st->nstrikes);
		return ferror(f) ? -1 : 0;
	}
	fputs("hashkey ", f);
	for (i = 0; i < sizeof(st->hashkey); i++)
		fprintf(f, "%02x", st->hashkey[i]);
	fputc('\n', f);
	for (i = 0; i < st->ncounts; i++)
		counts_write(f, &st->counts[i]);
	fprintf(f, "end %zu %zu %zu\n", st->nblocks, st->nstrikes,
	    st->ncounts);
	return ferror(f) ? -1 : 0;
}

