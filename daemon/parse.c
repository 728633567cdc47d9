/*
 * parse.c: the value syntaxes of DESIGN.md, shared by the config file, the
 * command line and the state file.  Strict on purpose: a value either means
 * exactly one thing or is rejected, so a typo never becomes a silent
 * default.  Callers trim surrounding whitespace; everything here rejects
 * leading or trailing junk, signs, bare numbers and overflow.  Pure: no
 * allocation, no I/O.
 */
#include <sys/socket.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "nflogmon.h"

struct unit {
	char		 suffix;
	int64_t		 us;
};

/*
 * The longest finite duration: 100 years (36500d).  Every time in the
 * program is int64_t microseconds, and callers add durations to clocks
 * (expiry = since + timeout) without saturating; 100 years keeps any such
 * sum far from overflow, and within what the kernel's sets accept (nft
 * element timeouts end near 584 years).  Longer is "permanent".
 */
#define DURATION_MAX_US		(36500LL * 86400 * US_PER_S)

/* Largest first: fmt_duration prints the largest unit that is exact. */
static const struct unit units[] = {
	{ 'd',	86400 * US_PER_S },
	{ 'h',	3600 * US_PER_S },
	{ 'm',	60 * US_PER_S },
	{ 's',	US_PER_S },
};

/*
 * Parses a run of decimal digits into *v, stopping at the first non-digit;
 * returns the end, or NULL when there is no digit or the value exceeds max.
 */
static const char *
parse_digits(const char *s, uint64_t max, uint64_t *v)
{
	const char *p;
	uint64_t n = 0;

	for (p = s; *p >= '0' && *p <= '9'; p++) {
		if (n > (max - (uint64_t)(*p - '0')) / 10)
			return NULL;
		n = n * 10 + (uint64_t)(*p - '0');
	}
	if (p == s)
		return NULL;
	*v = n;
	return p;
}

/*
 * "30s", "10m", "1h", "7d" or "permanent".  A bare number is rejected (is
 * "30" seconds or minutes?), and so is zero: no duration in nflogmon is
 * meaningful at zero, and so is one beyond DURATION_MAX_US.  The result
 * never equals DURATION_PERMANENT unless the word "permanent" was given.
 */
int
parse_duration(const char *s, int64_t *us)
{
	const char *end;
	uint64_t n;
	size_t i;

	if (s == NULL)
		return -1;
	if (strcmp(s, "permanent") == 0) {
		*us = DURATION_PERMANENT;
		return 0;
	}
	if ((end = parse_digits(s, UINT64_MAX / 10, &n)) == NULL || n == 0)
		return -1;
	if (end[0] == '\0' || end[1] != '\0')
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (*end != units[i].suffix)
			continue;
		if (n > (uint64_t)DURATION_MAX_US / (uint64_t)units[i].us)
			return -1;
		*us = (int64_t)n * units[i].us;
		return 0;
	}
	return -1;
}

/* "N/DURATION" with 1 <= N <= UINT32_MAX and a finite duration, or "off". */
int
parse_rate(const char *s, struct rate *r, bool allow_off)
{
	const char *end;
	uint64_t n;
	int64_t w_us;

	if (s == NULL)
		return -1;
	if (strcmp(s, "off") == 0) {
		if (!allow_off)
			return -1;
		r->n = 0;
		r->w_us = 0;
		r->off = true;
		return 0;
	}
	if ((end = parse_digits(s, UINT32_MAX, &n)) == NULL || n == 0)
		return -1;
	if (*end != '/' || parse_duration(end + 1, &w_us) == -1 ||
	    w_us == DURATION_PERMANENT)
		return -1;
	r->n = (uint32_t)n;
	r->w_us = w_us;
	r->off = false;
	return 0;
}

/*
 * An address or ADDRESS/LEN of either family.  A prefix whose host bits are
 * set is refused rather than silently masked: "192.0.2.1/24" is most likely
 * a typo, and the message says what was probably meant.
 */
int
parse_prefix_err(const char *s, struct addr *a, int *plen, char *err,
    size_t errlen)
{
	char buf[INET6_ADDRSTRLEN + 8], canon[INET6_ADDRSTRLEN];
	const char *slash, *end;
	struct addr m;
	uint64_t len;
	int max, i;
	size_t alen;

	if (s == NULL || *s == '\0') {
		snprintf(err, errlen, "empty address");
		return -1;
	}
	slash = strchr(s, '/');
	alen = slash ? (size_t)(slash - s) : strlen(s);
	if (alen == 0 || alen >= sizeof(buf)) {
		snprintf(err, errlen, "bad address '%s'", s);
		return -1;
	}
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	memset(&m, 0, sizeof(m));
	if (inet_pton(AF_INET, buf, m.b) == 1) {
		m.family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, m.b) == 1) {
		m.family = AF_INET6;
		max = 128;
	} else {
		snprintf(err, errlen, "bad address '%s'", s);
		return -1;
	}
	len = (uint64_t)max;
	if (slash != NULL) {
		end = parse_digits(slash + 1, 255, &len);
		if (end == NULL || *end != '\0' || len > (uint64_t)max ||
		    (slash[1] == '0' && slash[2] != '\0')) {
			snprintf(err, errlen, "bad prefix length in '%s' "
			    "(0..%d)", s, max);
			return -1;
		}
	}
	*a = m;
	for (i = 0; i < 16; i++) {
		int bits = (int)len - i * 8;

		if (bits >= 8)
			continue;
		m.b[i] &= bits <= 0 ? 0 : (uint8_t)(0xff00 >> bits);
	}
	if (memcmp(m.b, a->b, sizeof(m.b)) != 0) {
		inet_ntop(m.family, m.b, canon, sizeof(canon));
		snprintf(err, errlen, "host bits set in '%s' (did you mean "
		    "%s/%d?)", s, canon, (int)len);
		return -1;
	}
	*plen = (int)len;
	return 0;
}

int
parse_prefix(const char *s, struct addr *a, int *plen)
{
	char err[128];

	return parse_prefix_err(s, a, plen, err, sizeof(err));
}

/* The largest unit that divides us exactly; sub-second rests as "1.5s". */
char *
fmt_duration(int64_t us, char *buf, size_t len)
{
	const char *sign = "";
	uint64_t u;
	size_t i;

	if (us == DURATION_PERMANENT) {
		snprintf(buf, len, "permanent");
		return buf;
	}
	if (us == 0) {
		snprintf(buf, len, "0s");
		return buf;
	}
	if (us < 0) {
		sign = "-";
		u = (uint64_t)0 - (uint64_t)us;
	} else
		u = (uint64_t)us;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (u % (uint64_t)units[i].us == 0) {
			snprintf(buf, len, "%s%llu%c", sign,
			    (unsigned long long)(u / (uint64_t)units[i].us),
			    units[i].suffix);
			return buf;
		}
	}
	snprintf(buf, len, "%s%llu.%06llus", sign,
	    (unsigned long long)(u / US_PER_S),
	    (unsigned long long)(u % US_PER_S));
	/* trim trailing zeros of the fraction: "1.500000s" -> "1.5s" */
	if (u % US_PER_S != 0) {
		char *p = strchr(buf, 's');

		while (p != NULL && p > buf && p[-1] == '0') {
			memmove(p - 1, p, strlen(p) + 1);
			p--;
		}
	}
	return buf;
}

char *
fmt_rate(const struct rate *r, char *buf, size_t len)
{
	char d[32];

	if (r->off)
		snprintf(buf, len, "off");
	else
		snprintf(buf, len, "%u/%s", r->n,
		    fmt_duration(r->w_us, d, sizeof(d)));
	return buf;
}

int
parse_hexdigit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

char *
fmt_hex(const uint8_t *in, size_t n, char *buf, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	if (len == 0)
		return buf;
	for (i = 0; i < n && 2 * i + 2 < len; i++) {
		buf[2 * i] = digits[in[i] >> 4];
		buf[2 * i + 1] = digits[in[i] & 0xf];
	}
	buf[2 * i] = '\0';
	return buf;
}

int
parse_hex(const char *s, uint8_t *out, size_t n)
{
	size_t i;
	int hi, lo;

	if (strlen(s) != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		if ((hi = parse_hexdigit(s[2 * i])) < 0 ||
		    (lo = parse_hexdigit(s[2 * i + 1])) < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}
