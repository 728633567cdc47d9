/*
 * state.c: the blocks and the strike history that survive a restart
 * (DESIGN.md "State").  The file is line-oriented text, versioned, with a
 * trailer that counts its records so a truncated file is detected:
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
 * A file without counters is written as version 1, so that an older
 * nflogmon still reads every state file but the one a clean shutdown
 * leaves; both versions are read.  The counters are not needed for kill -9
 * safety (blocks and strikes are saved synchronously, counters only
 * matter for sources below every threshold), so only the shutdown writes
 * them, and the first save after the start drops them: they are used
 * once.  A corrupt counters section makes the whole file corrupt, as any
 * other damage: the file was written atomically by us, so damage anywhere
 * means it cannot be trusted anywhere.
 *
 * The file is read as untrusted input: line and record counts are bounded,
 * every field is checked, anything unexpected makes the whole file corrupt;
 * a corrupt file is renamed aside, never overwritten.  Saving is atomic
 * (temporary file in the same directory, fsync, rename, fsync of the
 * directory), so a kill -9 at any moment leaves the old or the new file.
 */
#define _GNU_SOURCE
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"

#define STATE_MAGIC		"nflogmon-state"
#define STATE_VERSION		2	/* read: 1 and 2 */
#define STATE_DSTS_PER_LINE	64
#define STATE_MAX_FILE		(512 * 1024 * 1024)
#define STATE_MAX_FIELDS	13

/* The bounds of a saved time that the daemon moves between the wall and
 * the monotonic clock (strikes, counters): far from any overflow when
 * moved.  Blocks' times stay on the wall clock, [0, INT64_MAX - 1]. */
#define STATE_TIME_MAX		(INT64_MAX / 4)

static const char *const rule_names[] = {
	[RULE_BURST] = "burst",
	[RULE_SUSTAINED] = "sustained",
	[RULE_FANOUT] = "fanout",
	[RULE_MANUAL] = "manual",
};

static const char *const action_names[] = {
	[ACT_BLOCK] = "block",
	[ACT_THROTTLE] = "throttle",
	[ACT_DRY_RUN] = "dry_run",
};

void
state_free(struct state *st)
{
	free(st->blocks);
	free(st->strikes);
	free(st->counts);
	free(st->slots);
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

static int
name_index(const char *s, const char *const *names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (names[i] != NULL && strcmp(s, names[i]) == 0)
			return (int)i;
	return -1;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
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
			if ((hi = hexval(s[1])) < 0 || (lo = hexval(s[2])) < 0)
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
	if ((i = name_index(f[2], rule_names, RULE_MANUAL + 1)) < 0)
		return -1;
	b->rule = (enum rule)i;
	if ((i = name_index(f[3], action_names, ACT_DRY_RUN + 1)) < 0)
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

/* Room for n + more entries of size bytes in *p of *cap entries. */
static int
grow_by(void **p, size_t n, size_t more, size_t *cap, size_t size)
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
	return 0;
}

static int
grow(void **p, size_t n, size_t *cap, size_t size)
{
	return grow_by(p, n, 1, cap, size);
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
	int i, hi, lo;

	if (strlen(s) != 32)
		return -1;
	for (i = 0; i < 16; i++) {
		if ((hi = hexval(s[2 * i])) < 0 || (lo = hexval(s[2 * i + 1])) < 0)
			return -1;
		key[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
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
		if ((unsigned)b->rule > RULE_MANUAL || b->rule == RULE_NONE ||
		    (unsigned)b->action > ACT_DRY_RUN)
			continue;
		fprintf(f, "block %s %s %s %u %lld ",
		    key_format(&b->key, src, sizeof(src)),
		    rule_names[b->rule], action_names[b->action],
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

static int
fsync_dir(const char *path)
{
	char dir[PATH_MAX];
	int fd, rv;

	if (strlen(path) >= sizeof(dir))
		return -1;
	strcpy(dir, path);
	if ((fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	rv = fsync(fd);
	close(fd);
	return rv;
}

int
state_save_file(const char *path, const struct state *st, char *err,
    size_t errlen)
{
	char tmp[PATH_MAX];
	FILE *f;
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	if (fchmod(fd, 0600) == -1 || (f = fdopen(fd, "w")) == NULL) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (state_write(f, st) == -1 || fflush(f) == EOF ||
	    fsync(fileno(f)) == -1) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		fclose(f);
		unlink(tmp);
		return -1;
	}
	if (fclose(f) == EOF || rename(tmp, path) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	if (fsync_dir(path) == -1) {
		snprintf(err, errlen, "%s: fsync of its directory: %s", path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* Renames a corrupt file to PATH.corrupt-TIME[-N], never overwriting. */
static void
state_set_aside(const char *path, const char *why)
{
	char aside[PATH_MAX];
	long long t = (long long)(clock_wall_us() / US_PER_S);
	int i;

	for (i = 0; i < 100; i++) {
		if (i == 0)
			snprintf(aside, sizeof(aside), "%s.corrupt-%lld", path, t);
		else
			snprintf(aside, sizeof(aside), "%s.corrupt-%lld-%d",
			    path, t, i);
		if (renameat2(AT_FDCWD, path, AT_FDCWD, aside,
		    RENAME_NOREPLACE) == 0) {
			log_warnx("state file %s is corrupt (%s); kept as %s, "
			    "starting from the kernel sets", path, why, aside);
			return;
		}
		if (errno != EEXIST)
			break;
	}
	fatal("state file %s is corrupt (%s) and cannot be set aside", path,
	    why);
}

int
state_load_file(const char *path, int ipv6_prefix, struct state *st)
{
	char err[256];
	struct stat sb;
	char *buf;
	size_t off = 0;
	ssize_t n;
	int fd;

	memset(st, 0, sizeof(*st));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		if (errno == ENOENT)
			return 0;
		fatal("state file %s", path);
	}
	if (fstat(fd, &sb) == -1)
		fatal("state file %s", path);
	if (!S_ISREG(sb.st_mode) || sb.st_size > STATE_MAX_FILE) {
		close(fd);
		state_set_aside(path, "not a regular file or too large");
		return -1;
	}
	if ((buf = malloc((size_t)sb.st_size + 1)) == NULL)
		fatal("state file %s", path);
	while (off < (size_t)sb.st_size) {
		n = read(fd, buf + off, (size_t)sb.st_size - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			fatal("state file %s", path);
		if (n == 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	if (state_parse(buf, off, ipv6_prefix, st, err, sizeof(err)) == -1) {
		free(buf);
		state_set_aside(path, err);
		return -1;
	}
	free(buf);
	return 1;
}

/* ------------------------------------------------------ the daemon's side */

static int64_t
wall_to_mono(const struct daemon *d, int64_t wall_us)
{
	if (wall_us == DURATION_PERMANENT)
		return DURATION_PERMANENT;
	return wall_us - d->start_wall_us + d->start_mono_us;
}

struct strike_collect {
	struct daemon	*d;
	struct state	*st;
	size_t		 cap;
	int		 failed;
};

static void
collect_strike(const struct key *k, int64_t at_us, void *arg)
{
	struct strike_collect *sc = arg;
	struct state *st = sc->st;

	if (sc->failed || grow((void **)&st->strikes, st->nstrikes, &sc->cap,
	    sizeof(*st->strikes)) == -1) {
		sc->failed = 1;
		return;
	}
	st->strikes[st->nstrikes].key = *k;
	st->strikes[st->nstrikes].at_us = daemon_mono_to_wall(sc->d, at_us);
	st->nstrikes++;
}

int
state_collect(struct daemon *d, struct state *st)
{
	struct strike_collect sc = { .d = d, .st = st };
	size_t i, n = blocks_count(d->blocks);
	struct block *b;

	memset(st, 0, sizeof(*st));
	st->saved_us = clock_wall_us();
	if (n > 0 && (st->blocks = calloc(n, sizeof(*st->blocks))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if ((b = blocks_at(d->blocks, i)) == NULL)
			continue;
		st->blocks[st->nblocks].b = *b;
		st->blocks[st->nblocks].attempts =
		    engine_attempts(d->engine, &b->key);
		st->nblocks++;
	}
	engine_foreach_strike(d->engine, collect_strike, &sc);
	if (sc.failed) {
		state_free(st);
		return -1;
	}
	return 0;
}

/*
 * What one record of counters may add to the file at most, and what a
 * block or strike line may: the counters collected stop before the file
 * could grow past what state_load_file reads, so that they can never make
 * the blocks and strikes unreadable.
 */
#define COUNTS_LINE_MAX		512
#define SLOT_TEXT_MAX		16

struct counts_collect {
	struct daemon	*d;
	struct state	*st;
	size_t		 cap, scap;
	size_t		 budget;	/* bytes left for counters */
	size_t		 dropped;	/* no room, or out of memory */
};

static void
collect_counts(const struct engine_counters *c, void *arg)
{
	struct counts_collect *cc = arg;
	struct state *st = cc->st;
	struct engine_counters *n;
	size_t cost = COUNTS_LINE_MAX + (size_t)c->nslots * SLOT_TEXT_MAX;

	if (cost > cc->budget ||
	    st->nblocks + st->nstrikes + st->ncounts >= STATE_MAX_RECORDS ||
	    st->nslots + c->nslots > STATE_MAX_SLOTS ||
	    grow((void **)&st->counts, st->ncounts, &cc->cap,
	    sizeof(*st->counts)) == -1 ||
	    grow_by((void **)&st->slots, st->nslots, c->nslots, &cc->scap,
	    sizeof(*st->slots)) == -1) {
		cc->dropped++;
		return;
	}
	cc->budget -= cost;
	n = &st->counts[st->ncounts++];
	*n = *c;
	n->first_us = daemon_mono_to_wall(cc->d, c->first_us);
	n->last_us = daemon_mono_to_wall(cc->d, c->last_us);
	n->slots = NULL;
	if (c->nslots > 0)
		memcpy(st->slots + st->nslots, c->slots,
		    c->nslots * sizeof(*c->slots));
	st->nslots += c->nslots;
}

/* Adds the window counters and the hash key to a collected state. */
static void
state_collect_counts(struct daemon *d, struct state *st)
{
	struct counts_collect cc = { .d = d, .st = st };
	size_t used = 64 + st->nblocks * STATE_MAX_LINE +
	    st->nstrikes * (KEY_STRLEN + 32);

	cc.budget = used < STATE_MAX_FILE ? STATE_MAX_FILE - used : 0;
	st->has_hashkey = true;
	memcpy(st->hashkey, d->hashkey, sizeof(st->hashkey));
	engine_export(d->engine, clock_mono_us(), collect_counts, &cc);
	counts_link(st);
	if (cc.dropped > 0)
		log_warnx("state: window counters of %zu sources not saved "
		    "(no room)", cc.dropped);
	if (st->ncounts > 0)
		log_info("state: window counters saved (%zu sources)",
		    st->ncounts);
}

static int
state_save_counts(struct daemon *d, bool counts)
{
	struct state st;
	char err[512];
	int rv;

	if (d->conf->state_file[0] == '\0')
		return 0;
	if (state_collect(d, &st) == -1) {
		log_warnx("state: out of memory, %s not saved",
		    d->conf->state_file);
		return -1;
	}
	if (counts && d->engine != NULL)
		state_collect_counts(d, &st);
	if ((rv = state_save_file(d->conf->state_file, &st, err,
	    sizeof(err))) == -1)
		log_warnx("state not saved: %s", err);
	state_free(&st);
	return rv;
}

int
state_save(struct daemon *d)
{
	return state_save_counts(d, false);
}

/*
 * The window counters are saved only here: the blocks and strikes that a
 * kill -9 must not lose are saved as they happen, while counters of sources
 * below every threshold are worth a restart's trouble only when the stop
 * is clean (a restart for an upgrade or a config change that needs one).
 */
int
state_save_shutdown(struct daemon *d)
{
	return state_save_counts(d, true);
}

/* Puts one block back: kernel (when asked), engine judgement, record. */
static void
restore_block(struct daemon *d, struct block *b, uint32_t attempts,
    bool to_kernel, int64_t now_us)
{
	char src[KEY_STRLEN], err[256];
	int64_t left_us;

	key_format(&b->key, src, sizeof(src));
	if (to_kernel && b->enforced) {
		left_us = b->expires_us == DURATION_PERMANENT ?
		    DURATION_PERMANENT : b->expires_us - now_us;
		if (d->backend.ops->block(&d->backend, &b->key, left_us,
		    b->action == ACT_THROTTLE ? RESP_THROTTLE : RESP_BLOCK,
		    &b->throttle_rate, err, sizeof(err)) == -1) {
			log_warnx("state: cannot put %s back: %s", src, err);
			daemon_backend_result(d, err);
			b->enforced = false;
		} else
			daemon_backend_result(d, NULL);
	}
	if (engine_judge(d->engine, &b->key, wall_to_mono(d, b->expires_us),
	    attempts) == -1 || blocks_put(d->blocks, b) == -1)
		fatalx("state: out of memory restoring %s", src);
}

/*
 * Reconciling compares the saved blocks with the kernel's entries both
 * ways; each side is a sorted array of keys searched by bisection, so a
 * start with 1e5 blocks costs O(n log n), not n x m key comparisons.
 */
static int
key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct key));
}

static bool
keys_has(const struct key *keys, size_t n, const struct key *k)
{
	return n > 0 && bsearch(k, keys, n, sizeof(*keys), key_cmp) != NULL;
}

/* The keys of the kernel's entries, sorted. */
static struct key *
keys_of_entries(const struct backend_entry *e, size_t n)
{
	struct key *keys;
	size_t i;

	if (n == 0)
		return NULL;
	if ((keys = calloc(n, sizeof(*keys))) == NULL)
		fatalx("state: out of memory reconciling %zu kernel entries",
		    n);
	for (i = 0; i < n; i++)
		keys[i] = e[i].key;
	qsort(keys, n, sizeof(*keys), key_cmp);
	return keys;
}

/* The keys of the saved blocks not expired at now_us, sorted; *np set. */
static struct key *
keys_of_state(const struct state *st, int64_t now_us, size_t *np)
{
	struct key *keys;
	size_t i, n = 0;

	*np = 0;
	if (st->nblocks == 0)
		return NULL;
	if ((keys = calloc(st->nblocks, sizeof(*keys))) == NULL)
		fatalx("state: out of memory reconciling %zu blocks",
		    st->nblocks);
	for (i = 0; i < st->nblocks; i++)
		if (st->blocks[i].b.expires_us > now_us)
			keys[n++] = st->blocks[i].b.key;
	qsort(keys, n, sizeof(*keys), key_cmp);
	*np = n;
	return keys;
}

int
state_load(struct daemon *d, struct state *st)
{
	if (d->conf->state_file[0] == '\0') {
		memset(st, 0, sizeof(*st));
		return 0;
	}
	return state_load_file(d->conf->state_file, d->conf->ipv6_prefix, st);
}

/*
 * Puts the window counters of a clean shutdown back, once the blocks are
 * (a judged source is not overwritten).  The file's times are wall clock:
 * moved onto the engine's monotonic clock as the strikes' are, so the
 * downtime counts as time that passed.
 */
static void
restore_counts(struct daemon *d, const struct state *st)
{
	size_t i, n = 0, full = 0;
	int64_t now_us = clock_mono_us();
	int rv;

	if (st->ncounts == 0)
		return;
	if (memcmp(st->hashkey, d->hashkey, sizeof(d->hashkey)) != 0) {
		log_warnx("state: window counters under another hash key; "
		    "not restored");
		return;
	}
	for (i = 0; i < st->ncounts; i++) {
		if ((rv = engine_import(d->engine, &st->counts[i],
		    d->start_mono_us - d->start_wall_us, now_us)) == 1)
			n++;
		else if (rv == -1)
			full++;
	}
	log_info("state: window counters restored (%zu sources; %zu no "
	    "longer counted%s)", n, st->ncounts - n - full,
	    full > 0 ? ", some with no room in the table" : "");
}

/*
 * Reconciles the state with the kernel sets: after a reboot (sets_created)
 * every unexpired block goes back; otherwise the kernel is the truth for
 * what it enforces: an entry removed by hand is forgotten, one added by
 * hand is adopted.  Blocks the kernel never held (dry run, a uid under
 * ipset) are restored as they were.  Strikes are restored first so that
 * adopted blocks see them, window counters last so that they never touch
 * a judged source.  The first save, at the end, drops the counters.
 */
void
state_restore(struct daemon *d, struct state *stp, bool sets_created)
{
	struct backend_entry *ents = NULL;
	const struct backend_entry *e;
	struct key *kernel_keys = NULL, *saved_keys = NULL;
	struct state st = *stp;
	struct block b;
	char src[KEY_STRLEN], err[256];
	size_t i, nents = 0, nsaved = 0;
	int64_t now_us = clock_wall_us();
	bool have_list = false;
	bool loaded = st.saved_us != 0 || st.nblocks > 0;

	memset(stp, 0, sizeof(*stp));
	for (i = 0; i < st.nstrikes; i++)
		engine_add_strike(d->engine, &st.strikes[i].key,
		    wall_to_mono(d, st.strikes[i].at_us));

	if (!sets_created && d->conf->backend != BACKEND_NONE &&
	    d->backend.ops != NULL && d->backend.ops->list != NULL) {
		if (d->backend.ops->list(&d->backend, &ents, &nents, err,
		    sizeof(err)) == -1) {
			log_warnx("state: cannot list the kernel sets (%s); "
			    "keeping the saved blocks as they are", err);
			daemon_backend_result(d, err);
		} else {
			daemon_backend_result(d, NULL);
			have_list = true;
			kernel_keys = keys_of_entries(ents, nents);
			saved_keys = keys_of_state(&st, now_us, &nsaved);
		}
	}

	for (i = 0; i < st.nblocks; i++) {
		b = st.blocks[i].b;
		key_format(&b.key, src, sizeof(src));
		if (b.expires_us <= now_us)
			continue;
		if (have_list && b.enforced && b.action != ACT_DRY_RUN &&
		    !keys_has(kernel_keys, nents, &b.key)) {
			log_info("state: %s was removed from the kernel set by "
			    "hand; forgotten", src);
			continue;
		}
		restore_block(d, &b, st.blocks[i].attempts,
		    sets_created && b.action != ACT_DRY_RUN, now_us);
	}

	for (i = 0; have_list && i < nents; i++) {
		e = &ents[i];
		if (keys_has(saved_keys, nsaved, &e->key) &&
		    blocks_find(d->blocks, &e->key) != NULL)
			continue;
		memset(&b, 0, sizeof(b));
		b.key = e->key;
		b.rule = RULE_MANUAL;
		b.action = e->throttle ? ACT_THROTTLE : ACT_BLOCK;
		b.since_us = now_us;
		b.expires_us = e->expires_in_us == DURATION_PERMANENT ?
		    DURATION_PERMANENT : now_us + e->expires_in_us;
		b.strikes = engine_strikes(d->engine, &e->key,
		    clock_mono_us());
		b.enforced = true;
		if (e->throttle)
			b.throttle_rate = d->conf->throttle_rate;
		snprintf(b.reason, sizeof(b.reason), "adopted");
		log_info("state: adopted %s from the kernel set",
		    key_format(&b.key, src, sizeof(src)));
		restore_block(d, &b, 0, false, now_us);
	}
	free(ents);
	free(kernel_keys);
	free(saved_keys);
	if (loaded)
		log_info("state: %zu blocks, %zu strikes restored from %s",
		    blocks_count(d->blocks), st.nstrikes, d->conf->state_file);
	restore_counts(d, &st);
	state_free(&st);
	state_save(d);
}
