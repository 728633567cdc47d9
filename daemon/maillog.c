/*
 * maillog.c: the mail-log line parser (DESIGN.md "Mail logs"), pure.
 *
 * A line of a Postfix or Exim log becomes account events: one per
 * recipient of an authenticated message, its client address as the value,
 * the first recipient flagged EVENT_MESSAGE (and EVENT_FOREIGN when the
 * envelope sender's domain is not the login's own).  Postfix tells who
 * authenticated (smtpd "client=..., sasl_username=") and how many
 * recipients the message has (qmgr "from=<...>, size=, nrcpt=") on two
 * lines joined by queue id; Exim tells the login on its "<=" line and the
 * recipients there (+received_recipients) or on its "=>"/"->" lines.  The
 * join table is bounded: when full, the oldest entry goes.
 *
 * Lines are untrusted (a client chooses its HELO, sender and login): every
 * field is bounded and checked; nothing here reads a clock, a file or the
 * network.  The times of the lines are parsed by maillog_time, which needs
 * a reference time to guess the year of a syslog line.
 */
#define _GNU_SOURCE	/* memrchr */
#include <sys/socket.h>
#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "nflogmon.h"

#define ID_MAX		32	/* bytes of a queue or message id, NUL incl. */
#define EV_CHUNK	64	/* events handed to the sink at once */

/*
 * One message waiting for its recipients.  Invariant: an entry is live
 * when id[0] != '\0', and then exactly one slot of the index points at it.
 */
struct entry {
	char		 id[ID_MAX];
	struct key	 key;
	struct addr	 value;
	uint64_t	 login_dom;	/* hash of the login's domain, 0: none */
	uint8_t		 flags;		/* EVENT_ALLOWED, EVENT_FOREIGN */
	bool		 exim;		/* recipients come from => lines */
	bool		 counted;	/* the first recipient was handed out */
};

/*
 * The join table: entries used as a ring (the next insert takes slot
 * next % cap, evicting what lives there: the oldest), and an index by id
 * with linear probing of 2 * cap slots, each 0 (empty) or entry + 1.
 */
struct maillog {
	const struct conf *conf;
	struct entry	*e;
	uint32_t	*idx;
	size_t		 cap;		/* entries, a power of two */
	size_t		 next;
	uint64_t	 evicted;
};

/* ------------------------------------------------------------- the table */

static uint64_t
hash_bytes(const char *s, size_t n, bool lower)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */
	size_t i;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (lower && c >= 'A' && c <= 'Z')
			c = (unsigned char)(c + 32);
		h = (h ^ c) * 1099511628211ULL;
	}
	return h;
}

static size_t
idx_home(const struct maillog *m, const char *id, size_t n)
{
	return (size_t)hash_bytes(id, n, false) & (2 * m->cap - 1);
}

/* The index slot of id, or the empty slot where it would go. */
static size_t
idx_find(const struct maillog *m, const char *id, size_t n)
{
	size_t mask = 2 * m->cap - 1, s = idx_home(m, id, n);
	const struct entry *e;

	while (m->idx[s] != 0) {
		e = &m->e[m->idx[s] - 1];
		if (strncmp(e->id, id, n) == 0 && e->id[n] == '\0')
			return s;
		s = (s + 1) & mask;
	}
	return s;
}

static struct entry *
table_get(struct maillog *m, const char *id, size_t n)
{
	size_t s = idx_find(m, id, n);

	return m->idx[s] ? &m->e[m->idx[s] - 1] : NULL;
}

/* Removes a live entry: backward-shift deletion keeps every probe chain
 * unbroken without tombstones. */
static void
table_del(struct maillog *m, struct entry *e)
{
	size_t mask = 2 * m->cap - 1, hole, s, home;
	const struct entry *o;

	hole = idx_find(m, e->id, strlen(e->id));
	e->id[0] = '\0';
	m->idx[hole] = 0;
	for (s = (hole + 1) & mask; m->idx[s] != 0; s = (s + 1) & mask) {
		o = &m->e[m->idx[s] - 1];
		home = idx_home(m, o->id, strlen(o->id));
		/* o may fill the hole when its home is not in (hole, s]. */
		if (((s - home) & mask) >= ((s - hole) & mask)) {
			m->idx[hole] = m->idx[s];
			m->idx[s] = 0;
			hole = s;
		}
	}
}

/* A new entry for id (n < ID_MAX), replacing one of the same id. */
static struct entry *
table_put(struct maillog *m, const char *id, size_t n)
{
	struct entry *e;
	size_t s;

	if ((e = table_get(m, id, n)) != NULL)
		table_del(m, e);
	e = &m->e[m->next++ & (m->cap - 1)];
	if (e->id[0] != '\0') {
		table_del(m, e);
		m->evicted++;
	}
	memset(e, 0, sizeof(*e));
	memcpy(e->id, id, n);
	s = idx_find(m, id, n);
	m->idx[s] = (uint32_t)(e - m->e) + 1;
	return e;
}

struct maillog *
maillog_new(const struct conf *conf, size_t max_ids)
{
	struct maillog *m;
	size_t cap = 16;

	while (cap < max_ids && cap < ((size_t)1 << 24))
		cap *= 2;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	m->conf = conf;
	m->cap = cap;
	if ((m->e = calloc(cap, sizeof(*m->e))) == NULL ||
	    (m->idx = calloc(2 * cap, sizeof(*m->idx))) == NULL) {
		maillog_free(m);
		return NULL;
	}
	return m;
}

void
maillog_reconf(struct maillog *m, const struct conf *conf)
{
	m->conf = conf;
}

void
maillog_free(struct maillog *m)
{
	if (m == NULL)
		return;
	free(m->e);
	free(m->idx);
	free(m);
}

uint64_t
maillog_evicted(const struct maillog *m)
{
	return m->evicted;
}

/* -------------------------------------------------------------- times */

static int
num2(const char *s)
{
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return -1;
	return (s[0] - '0') * 10 + (s[1] - '0');
}

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static int64_t
days_from_civil(int64_t y, int mon, int d)
{
	int64_t era, yoe, doy, doe;

	y -= mon <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (mon + (mon > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static const int mdays[12] = {
	31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

/* "HH:MM:SS" at s, then optional ".digits"; seconds of the day, or -1;
 * *end past it. */
static int64_t
parse_hms(const char *s, const char *lim, int64_t *frac_us, const char **end)
{
	int h, mi, se;
	int64_t f = 0, scale = 100000;

	if (lim - s < 8 || s[2] != ':' || s[5] != ':' ||
	    (h = num2(s)) < 0 || (mi = num2(s + 3)) < 0 ||
	    (se = num2(s + 6)) < 0 || h > 23 || mi > 59 || se > 60)
		return -1;
	s += 8;
	if (s < lim && *s == '.') {
		for (s++; s < lim && *s >= '0' && *s <= '9'; s++) {
			f += (*s - '0') * scale;
			scale /= 10;
		}
	}
	*frac_us = f;
	*end = s;
	return (int64_t)h * 3600 + mi * 60 + se;
}

/* A date is a date: day within its month (29 February of any year). */
static bool
date_ok(int mon, int day)
{
	return mon >= 1 && mon <= 12 && day >= 1 && day <= mdays[mon - 1];
}

/*
 * The local time's offset from UTC at a naive (local) time, from mktime,
 * cached per hour: logs without a zone are written in local time.
 */
static int64_t
local_offset(struct maillog_clock *c, int64_t naive_s)
{
	struct tm tm;
	time_t t, lt;
	int64_t hour = naive_s / 3600;

	if (c->off_valid && hour == c->off_hour)
		return c->off_s;
	t = (time_t)(hour * 3600);
	if (gmtime_r(&t, &tm) == NULL)
		return 0;
	tm.tm_isdst = -1;
	if ((lt = mktime(&tm)) == (time_t)-1)
		return 0;
	c->off_hour = hour;
	c->off_s = hour * 3600 - (int64_t)lt;
	c->off_valid = true;
	return c->off_s;
}

void
maillog_clock_init(struct maillog_clock *c, int64_t ref_s)
{
	struct tm tm;
	time_t t = (time_t)ref_s;

	memset(c, 0, sizeof(*c));
	c->ref_s = ref_s;
	c->ref_year = 1970;
	c->ref_naive_s = ref_s;
	if (localtime_r(&t, &tm) != NULL) {
		c->ref_year = tm.tm_year + 1900;
		c->ref_naive_s = ref_s + tm.tm_gmtoff;
	}
}

static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

/*
 * The header of a line: its time and where the rest begins.  Formats:
 * syslog "Mmm dd HH:MM:SS[.frac] host prog[pid]: " (the day padded with a
 * space, with a zero or not at all; Postfix's maillog_file writes the
 * same with microseconds), RFC 3339 "YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm)
 * host prog[pid]: " (rsyslog's high precision) and Exim's own
 * "YYYY-MM-DD HH:MM:SS[.frac] [+hhmm ]".  Returns the time in Unix
 * microseconds (0 when c is NULL: the shape only) or -1; h->body is what
 * follows the time.
 */
struct hdr {
	const char	*body;		/* after the time and its space */
	bool		 syslog;	/* host and prog follow */
};

static int64_t
hdr_time(struct maillog_clock *c, const char *s, size_t len, struct hdr *h)
{
	const char *lim = s + len, *p, *mp;
	int64_t sod, frac, naive, t, off;
	int y, mon, day, year, oh, om;
	bool zone = false;

	off = 0;
	if (len >= 15 && s[0] >= 'A' && s[0] <= 'Z') {
		for (mp = months; mp < months + 36; mp += 3)
			if (memcmp(mp, s, 3) == 0)
				break;
		if (mp == months + 36 || s[3] != ' ')
			return -1;
		mon = (int)(mp - months) / 3 + 1;
		p = s + 4;
		if (*p == ' ')
			p++;
		if (*p < '0' || *p > '9')
			return -1;
		day = *p++ - '0';
		if (*p >= '0' && *p <= '9')
			day = day * 10 + (*p++ - '0');
		if (*p++ != ' ' || !date_ok(mon, day))
			return -1;
		if ((sod = parse_hms(p, lim, &frac, &p)) < 0 || p >= lim ||
		    *p != ' ')
			return -1;
		h->body = p + 1;
		h->syslog = true;
		if (c == NULL)
			return 0;
		/* The latest year that puts the line at most a day after the
		 * reference (a log is read after it is written). */
		year = c->ref_year + 1;
		naive = -1;
		do {
			if (mon == 2 && day == 29 && !(year % 4 == 0 &&
			    (year % 100 != 0 || year % 400 == 0))) {
				year--;
				continue;
			}
			naive = days_from_civil(year, mon, day) * 86400 + sod;
			if (naive <= c->ref_naive_s + 86400)
				break;
			year--;
		} while (year > c->ref_year - 8);
		if (naive < 0)
			return -1;
		t = naive - local_offset(c, naive);
		return t < 0 ? -1 : t * US_PER_S + frac;
	}
	if (len < 19 || s[4] != '-' || s[7] != '-' ||
	    (s[10] != ' ' && s[10] != 'T'))
		return -1;
	if ((y = num2(s)) < 0 || (oh = num2(s + 2)) < 0 ||
	    (mon = num2(s + 5)) < 0 || (day = num2(s + 8)) < 0 ||
	    !date_ok(mon, day))
		return -1;
	year = y * 100 + oh;
	if ((sod = parse_hms(s + 11, lim, &frac, &p)) < 0)
		return -1;
	h->syslog = s[10] == 'T';
	if (h->syslog) {	/* RFC 3339: a zone is required */
		if (p < lim && *p == 'Z')
			p++;
		else if (lim - p >= 6 && (*p == '+' || *p == '-') &&
		    p[3] == ':' && (oh = num2(p + 1)) >= 0 &&
		    (om = num2(p + 4)) >= 0) {
			off = (oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
			p += 6;
		} else
			return -1;
		zone = true;
	} else if (lim - p >= 7 && p[0] == ' ' && (p[1] == '+' ||
	    p[1] == '-') && (oh = num2(p + 2)) >= 0 &&
	    (om = num2(p + 4)) >= 0 && p[6] == ' ') {
		off = (oh * 3600 + om * 60) * (p[1] == '-' ? -1 : 1);
		p += 6;
		zone = true;
	}
	if (p >= lim || *p != ' ')
		return -1;
	h->body = p + 1;
	if (c == NULL)
		return 0;
	naive = days_from_civil(year, mon, day) * 86400 + sod;
	t = naive - (zone ? off : local_offset(c, naive));
	return t * US_PER_S + frac;
}

int64_t
maillog_time(struct maillog_clock *c, const char *line, size_t len)
{
	struct hdr h;
	size_t n;

	/* Lines of one second share their header: most lines cost a
	 * compare.  A syslog line's first 15 bytes are its time. */
	if (c->last_len != 0 && len > c->last_len &&
	    memcmp(line, c->last, c->last_len) == 0)
		return c->last_us;
	if ((c->last_us = hdr_time(c, line, len, &h)) < 0) {
		c->last_len = 0;
		return -1;
	}
	n = (size_t)(h.body - line);
	/* The same header bytes are the same time. */
	if (n <= sizeof(c->last)) {
		memcpy(c->last, line, n);
		c->last_len = n;
	} else
		c->last_len = 0;
	return c->last_us;
}

/* ---------------------------------------------------------- the lines */

/* What one line handed out, and where to. */
struct emit {
	const struct event_sink	*sink;
	struct event		 ev[EV_CHUNK];
	size_t			 n;
};

static void
emit_put(struct emit *em, const struct event *ev)
{
	em->ev[em->n++] = *ev;
	if (em->n == EV_CHUNK) {
		em->sink->put(em->sink->arg, em->ev, em->n);
		em->n = 0;
	}
}

static void
emit_flush(struct emit *em)
{
	if (em->n > 0)
		em->sink->put(em->sink->arg, em->ev, em->n);
	em->n = 0;
}

/* Hands out nrcpt recipient events of entry e at t_us. */
static void
emit_rcpts(struct emit *em, struct entry *e, unsigned long nrcpt,
    int64_t t_us)
{
	struct event ev;
	unsigned long i;

	memset(&ev, 0, sizeof(ev));
	ev.t_us = t_us;
	ev.key = e->key;
	ev.value = e->value;
	ev.count = 1;
	ev.kind = INPUT_MAILLOG;
	for (i = 0; i < nrcpt; i++) {
		ev.flags = e->flags & EVENT_ALLOWED;
		if (!e->counted) {
			ev.flags = (uint8_t)(e->flags | EVENT_MESSAGE);
			e->counted = true;
		}
		emit_put(em, &ev);
	}
}

/*
 * needle (not empty) in [s, lim), or NULL.  Its first byte by memchr,
 * then the rest: the needles searched in every line start with a byte
 * rare in a mail log (',' or '>'), where glibc's memmem set up its search
 * on every call and was a third of replay --maillog's time.
 */
static const char *
find(const char *s, const char *lim, const char *needle)
{
	size_t n = strlen(needle);
	const char *p = s;

	while ((size_t)(lim - p) >= n &&
	    (p = memchr(p, needle[0], (size_t)(lim - p) - n + 1)) != NULL) {
		if (memcmp(p + 1, needle + 1, n - 1) == 0)
			return p;
		p++;
	}
	return NULL;
}

static bool
starts(const char *s, const char *lim, const char *pfx)
{
	size_t n = strlen(pfx);

	return (size_t)(lim - s) >= n && memcmp(s, pfx, n) == 0;
}

/* An address of a log ("192.0.2.1", "2001:db8::1", "IPv6:2001:db8::1"). */
static int
parse_addr(const char *s, size_t n, struct addr *a)
{
	char buf[INET6_ADDRSTRLEN + 8];

	if (n > 5 && strncasecmp(s, "IPv6:", 5) == 0) {
		s += 5;
		n -= 5;
	}
	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, buf, a->b) == 1)
		a->family = AF_INET;
	else if (inet_pton(AF_INET6, buf, a->b) == 1)
		a->family = AF_INET6;
	else
		return -1;
	return 0;
}

/*
 * Fills what an entry knows of its login: the key, whether it is
 * allowlisted, the hash of its domain.  -1: not a login (malformed).
 */
static int
entry_login(const struct maillog *m, struct entry *e, const char *login,
    size_t n)
{
	char name[ACCOUNT_MAX + 1];
	const char *at;
	size_t i;

	if (key_from_account(&e->key, login, n) != 0)
		return -1;
	for (i = 0; i < n; i++)
		name[i] = (char)((login[i] >= 'A' && login[i] <= 'Z') ?
		    login[i] + 32 : login[i]);
	name[n] = '\0';
	if (conf_account_allowed(m->conf, name))
		e->flags |= EVENT_ALLOWED;
	at = memrchr(name, '@', n);
	e->login_dom = at != NULL ? hash_bytes(at + 1, n - (size_t)(at + 1 -
	    name), true) : 0;
	return 0;
}

/*
 * Whether an envelope sender is foreign to the entry's login: its domain
 * (after the last '@') is neither the login's nor one of sender_domains.
 * The null sender is never foreign, nor is an unqualified local sender.
 */
static bool
sender_foreign(const struct maillog *m, const struct entry *e,
    const char *s, size_t n)
{
	const char *at;
	size_t dn;

	if (n == 0 || (at = memrchr(s, '@', n)) == NULL)
		return false;
	dn = n - (size_t)(at + 1 - s);
	if (e->login_dom != 0 && hash_bytes(at + 1, dn, true) == e->login_dom)
		return false;
	return !conf_sender_domain_ok(m->conf, at + 1, dn);
}

/* A queue id or Exim message id: 1..ID_MAX-1 bytes of [0-9A-Za-z-]. */
static size_t
id_len(const char *s, const char *lim, char stop)
{
	const char *p;

	for (p = s; p < lim && p - s < ID_MAX - 1; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= 'a' && *p <= 'z') || *p == '-'))
			break;
	if (p == s || p >= lim || *p != stop)
		return 0;
	return (size_t)(p - s);
}

/* Postfix smtpd: "ID: client=NAME[ADDR], sasl_method=M,
 * sasl_username=LOGIN[, sasl_sender=...]". */
static enum maillog_result
postfix_smtpd(struct maillog *m, const char *s, const char *lim)
{
	const char *id = s, *u, *ue, *lb, *rb;
	struct entry *e;
	struct addr a;
	size_t n;

	if ((n = id_len(s, lim, ':')) == 0 || !starts(s + n, lim,
	    ": client="))
		return MAILLOG_IGNORED;
	s += n + 9;
	if ((u = find(s, lim, ", sasl_username=")) == NULL)
		return MAILLOG_IGNORED;		/* not authenticated */
	/* NAME[ADDR] or, with smtpd_client_port_logging, NAME[ADDR]:PORT */
	if ((rb = memchr(s, ',', (size_t)(lim - s))) == NULL ||
	    (rb = memrchr(s, ']', (size_t)(rb - s))) == NULL)
		return MAILLOG_MALFORMED;
	if ((lb = memrchr(s, '[', (size_t)(rb - s))) == NULL ||
	    parse_addr(lb + 1, (size_t)(rb - lb - 1), &a) != 0)
		return MAILLOG_MALFORMED;
	u += 16;
	if ((ue = find(u, lim, ", sasl_sender=")) == NULL)
		ue = lim;
	while (ue > u && (ue[-1] == ' ' || ue[-1] == '\r'))
		ue--;
	e = table_put(m, id, n);
	if (entry_login(m, e, u, (size_t)(ue - u)) != 0) {
		table_del(m, e);
		return MAILLOG_MALFORMED;
	}
	addr_aggregate(&a, m->conf->ipv6_prefix);
	e->value = a;
	return MAILLOG_IGNORED;		/* joined later */
}

/* A decimal number of at most max, ending at a non-digit. */
static int
parse_ulong(const char *s, const char *lim, unsigned long max,
    unsigned long *v, const char **end)
{
	unsigned long n = 0;
	const char *p;

	for (p = s; p < lim && *p >= '0' && *p <= '9'; p++)
		if ((n = n * 10 + (unsigned long)(*p - '0')) > max)
			return -1;
	if (p == s)
		return -1;
	*v = n;
	*end = p;
	return 0;
}

/* Postfix qmgr: "ID: from=<SENDER>, size=N, nrcpt=N (queue active)" (the
 * first for an id counts; the entry goes with it) and "ID: removed". */
static enum maillog_result
postfix_qmgr(struct maillog *m, const char *s, const char *lim,
    int64_t t_us, struct emit *em)
{
	const char *id = s, *se, *p;
	struct entry *e;
	unsigned long nrcpt;
	size_t n;

	if ((n = id_len(s, lim, ':')) == 0 || (e = table_get(m, id, n)) ==
	    NULL)
		return MAILLOG_IGNORED;
	s += n + 2;
	if (starts(s - 2, lim, ": removed")) {
		table_del(m, e);
		return MAILLOG_IGNORED;
	}
	if (!starts(s - 2, lim, ": from=<"))
		return MAILLOG_IGNORED;
	s += 6;
	/* The sender may hold ">, size=" itself: take the last one. */
	for (se = NULL, p = s; (p = find(p, lim, ">, size=")) != NULL; p++)
		se = p;
	if (se == NULL || (p = find(se, lim, ", nrcpt=")) == NULL ||
	    parse_ulong(p + 8, lim, MAILLOG_MAX_RCPT, &nrcpt, &p) != 0) {
		table_del(m, e);
		return MAILLOG_MALFORMED;
	}
	if (sender_foreign(m, e, s, (size_t)(se - s)))
		e->flags |= EVENT_FOREIGN;
	emit_rcpts(em, e, nrcpt, t_us);
	table_del(m, e);
	return nrcpt > 0 ? MAILLOG_EVENTS : MAILLOG_IGNORED;
}

/* The next space-separated field of an Exim line; a quoted value
 * (T="...") runs to its closing quote, with backslash escapes. */
static const char *
exim_field(const char *s, const char *lim, const char **end)
{
	const char *p;
	bool q = false;

	while (s < lim && *s == ' ')
		s++;
	if (s >= lim)
		return NULL;
	for (p = s; p < lim; p++) {
		if (q && *p == '\\' && p + 1 < lim)
			p++;
		else if (*p == '"')
			q = !q;
		else if (!q && *p == ' ')
			break;
	}
	*end = p;
	return s;
}

/* Whether a field is NAME=...: one or two capital letters and '='. */
static bool
exim_is_tag(const char *f, const char *fe)
{
	return fe - f >= 2 && f[0] >= 'A' && f[0] <= 'Z' && (f[1] == '=' ||
	    (fe - f >= 3 && f[1] >= 'A' && f[1] <= 'Z' && f[2] == '='));
}

/* Exim "<=": an authenticated message when it has A=AUTH:LOGIN and a
 * P= ending in 'a' (esmtpa, esmtpsa, utf8esmtpsa...). */
static enum maillog_result
exim_arrival(struct maillog *m, const char *id, size_t idn, const char *s,
    const char *lim, int64_t t_us, struct emit *em)
{
	const char *f, *fe, *snd, *sndend, *login = NULL, *loginend = NULL;
	const char *addr = NULL, *addrend = NULL, *rcpts = NULL, *c, *g, *ge;
	struct entry tmp, *e;
	struct addr a;
	bool auth = false;
	unsigned long nrcpt = 0;

	if ((snd = exim_field(s, lim, &sndend)) == NULL)
		return MAILLOG_IGNORED;
	if (sndend - snd == 2 && snd[0] == '<' && snd[1] == '>')
		sndend = snd;			/* the null sender */
	for (s = sndend; (f = exim_field(s, lim, &fe)) != NULL; s = fe) {
		if (exim_is_tag(f, fe)) {
			if (f[0] == 'A' && f[1] == '=') {
				if ((c = memchr(f, ':', (size_t)(fe - f))) ==
				    NULL)
					return MAILLOG_MALFORMED;
				login = c + 1;
				loginend = fe;
			} else if (f[0] == 'P' && f[1] == '=')
				auth = fe - f > 2 && fe[-1] == 'a' &&
				    find(f, fe, "smtp") != NULL;
			else if (f[0] == 'H' && f[1] == '=' && addr == NULL) {
				/* H=name (helo) [ADDR]:port, H=[ADDR]: the
				 * first field in brackets before the next
				 * tag.  The fields stay for the outer loop. */
				for (g = f + 2, ge = fe; g != NULL &&
				    (g == f + 2 || !exim_is_tag(g, ge));
				    g = exim_field(ge, lim, &ge))
					if (g < ge && *g == '[')
						break;
				/* None: malformed if the message is an
				 * authenticated one. */
				if (g == NULL || g >= ge || *g != '[' ||
				    exim_is_tag(g, ge) || (c = memchr(g, ']',
				    (size_t)(ge - g))) == NULL)
					continue;
				addr = g + 1;
				addrend = c;
			}
			continue;
		}
		if (fe - f == 3 && memcmp(f, "for", 3) == 0) {
			rcpts = fe;
			break;
		}
	}
	if (login == NULL || !auth)
		return MAILLOG_IGNORED;
	if (addr == NULL || parse_addr(addr, (size_t)(addrend - addr), &a) != 0)
		return MAILLOG_MALFORMED;
	memset(&tmp, 0, sizeof(tmp));
	if (entry_login(m, &tmp, login, (size_t)(loginend - login)) != 0)
		return MAILLOG_MALFORMED;
	addr_aggregate(&a, m->conf->ipv6_prefix);
	tmp.value = a;
	/* the null sender "<>" already ends where it starts */
	if (sndend > snd && *snd == '<')
		snd++;
	if (sndend > snd && sndend[-1] == '>')
		sndend--;
	if (sender_foreign(m, &tmp, snd, (size_t)(sndend - snd)))
		tmp.flags |= EVENT_FOREIGN;
	if (rcpts != NULL) {		/* +received_recipients */
		for (s = rcpts; (f = exim_field(s, lim, &fe)) != NULL; s = fe)
			nrcpt++;
		if (nrcpt > MAILLOG_MAX_RCPT)
			return MAILLOG_MALFORMED;
		emit_rcpts(em, &tmp, nrcpt, t_us);
		/* Recorded as counted: its => lines must not count again. */
		e = table_put(m, id, idn);
		e->key = tmp.key;
		e->counted = true;
		return nrcpt > 0 ? MAILLOG_EVENTS : MAILLOG_IGNORED;
	}
	e = table_put(m, id, idn);
	tmp.exim = true;
	memcpy(tmp.id, e->id, sizeof(tmp.id));
	*e = tmp;
	return MAILLOG_IGNORED;			/* its => lines count */
}

/* An Exim line: "[pid] " optional, then "ID <= ", "ID => ", "ID -> " or
 * "ID Completed". */
static enum maillog_result
exim_line(struct maillog *m, const char *s, const char *lim, int64_t t_us,
    struct emit *em)
{
	struct entry *e;
	size_t n;

	if (s < lim && *s == '[') {
		if ((s = memchr(s, ']', (size_t)(lim - s))) == NULL)
			return MAILLOG_IGNORED;
		s += 2;
	}
	if (s >= lim || (n = id_len(s, lim, ' ')) < 16 || s[6] != '-')
		return MAILLOG_IGNORED;
	if (lim - (s + n) < 4)
		return MAILLOG_IGNORED;
	if (memcmp(s + n, " <= ", 4) == 0)
		return exim_arrival(m, s, n, s + n + 4, lim, t_us, em);
	if ((e = table_get(m, s, n)) == NULL)
		return MAILLOG_IGNORED;
	if (memcmp(s + n, " => ", 4) == 0 || memcmp(s + n, " -> ", 4) == 0) {
		if (!e->exim)
			return MAILLOG_IGNORED;	/* counted at arrival */
		emit_rcpts(em, e, 1, t_us);
		return MAILLOG_EVENTS;
	}
	if (starts(s + n, lim, " Completed"))
		table_del(m, e);
	return MAILLOG_IGNORED;
}

/*
 * The program of a syslog line: "host prog[pid]: " -> prog and the body
 * after ": ".  Returns NULL when the line has no such shape.
 */
static const char *
syslog_prog(const char *s, const char *lim, const char **prog,
    const char **progend)
{
	const char *p, *c;

	if ((p = memchr(s, ' ', (size_t)(lim - s))) == NULL)
		return NULL;
	*prog = ++p;
	if ((c = memchr(p, ':', (size_t)(lim - p))) == NULL || c + 1 >= lim ||
	    c[1] != ' ')
		return NULL;
	*progend = c;
	if (c > p && c[-1] == ']')
		*progend = memrchr(p, '[', (size_t)(c - p));
	if (*progend == NULL)
		*progend = c;
	return c + 2;
}

static bool
ends(const char *s, const char *e, const char *sfx)
{
	size_t n = strlen(sfx);

	return (size_t)(e - s) >= n && memcmp(e - n, sfx, n) == 0;
}

enum maillog_result
maillog_line(struct maillog *m, const char *line, size_t len, int64_t t_us,
    const struct event_sink *sink)
{
	struct hdr h;
	struct emit em;
	const char *lim = line + len, *prog, *progend, *body;
	enum maillog_result r = MAILLOG_IGNORED;

	while (lim > line && (lim[-1] == '\n' || lim[-1] == '\r'))
		lim--;
	if (memchr(line, '\0', (size_t)(lim - line)) != NULL)
		return MAILLOG_MALFORMED;
	/* Only the header's shape matters here: t_us is the time. */
	if (hdr_time(NULL, line, (size_t)(lim - line), &h) < 0)
		return MAILLOG_IGNORED;
	em.sink = sink;
	em.n = 0;
	if (!h.syslog)
		r = exim_line(m, h.body, lim, t_us, &em);
	else if ((body = syslog_prog(h.body, lim, &prog, &progend)) !=
	    NULL) {
		if (ends(prog, progend, "/smtpd"))
			r = postfix_smtpd(m, body, lim);
		else if (ends(prog, progend, "/qmgr"))
			r = postfix_qmgr(m, body, lim, t_us, &em);
		else if (ends(prog, progend, "exim") ||
		    ends(prog, progend, "exim4"))
			r = exim_line(m, body, lim, t_us, &em);
	}
	emit_flush(&em);
	return r;
}
