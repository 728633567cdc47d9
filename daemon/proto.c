/*
 * proto.c: the control socket's wire format, shared by the daemon (ctl.c)
 * and the client (client.c).  A message is a 4-byte big-endian length and
 * that many bytes of one JSON object; nothing else ever crosses the socket.
 * Both ends treat the other's bytes as untrusted: every length is checked
 * before it is used, and a request is validated field by field before the
 * daemon acts on it.  This file never acts on a request itself.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"

static const char *const cmd_names[] = {
	[PROTO_STATUS] = "status",
	[PROTO_LIST] = "list",
	[PROTO_BLOCK] = "block",
	[PROTO_UNBLOCK] = "unblock",
};

int
proto_frame(const uint8_t *buf, size_t have, size_t max, size_t *msglen)
{
	uint32_t n;

	if (have < PROTO_HDR_LEN)
		return 0;
	n = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 |
	    (uint32_t)buf[2] << 8 | (uint32_t)buf[3];
	if (n == 0 || n > max)
		return -1;
	if (have < PROTO_HDR_LEN + (size_t)n)
		return 0;
	*msglen = PROTO_HDR_LEN + (size_t)n;
	return 1;
}

int
proto_pack(const json_t *obj, size_t max, uint8_t **out, size_t *outlen)
{
	char *s;
	size_t n;
	uint8_t *m;

	if ((s = json_dumps(obj, JSON_COMPACT)) == NULL)
		return -1;
	n = strlen(s);
	if (n == 0 || n > max || n > UINT32_MAX ||
	    (m = malloc(PROTO_HDR_LEN + n)) == NULL) {
		free(s);
		return -1;
	}
	m[0] = (uint8_t)(n >> 24);
	m[1] = (uint8_t)(n >> 16);
	m[2] = (uint8_t)(n >> 8);
	m[3] = (uint8_t)n;
	memcpy(m + PROTO_HDR_LEN, s, n);
	free(s);
	*out = m;
	*outlen = PROTO_HDR_LEN + n;
	return 0;
}

json_t *
proto_unpack(const uint8_t *payload, size_t len, size_t max, char *err,
    size_t errlen)
{
	json_error_t jerr;
	json_t *o;

	if (len == 0 || len > max) {
		snprintf(err, errlen, "bad message length %zu", len);
		return NULL;
	}
	/* NUL inside strings is rejected by jansson's default flags. */
	o = json_loadb((const char *)payload, len, JSON_REJECT_DUPLICATES,
	    &jerr);
	if (o == NULL) {
		snprintf(err, errlen, "bad JSON: %s", jerr.text);
		return NULL;
	}
	if (!json_is_object(o)) {
		json_decref(o);
		snprintf(err, errlen, "message is not a JSON object");
		return NULL;
	}
	return o;
}

/* Copies a JSON string member into buf; absent is "" when optional. */
static int
get_string(const json_t *req, const char *name, bool required, char *buf,
    size_t len, char *err, size_t errlen)
{
	const json_t *v = json_object_get(req, name);
	const char *s;
	size_t i, n;

	buf[0] = '\0';
	if (v == NULL || json_is_null(v)) {
		if (!required)
			return 0;
		snprintf(err, errlen, "missing \"%s\"", name);
		return -1;
	}
	if (!json_is_string(v)) {
		snprintf(err, errlen, "\"%s\" is not a string", name);
		return -1;
	}
	s = json_string_value(v);
	n = json_string_length(v);
	if (n >= len) {
		snprintf(err, errlen, "\"%s\" is longer than %zu bytes", name,
		    len - 1);
		return -1;
	}
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			snprintf(err, errlen, "\"%s\" has a control character",
			    name);
			return -1;
		}
	memcpy(buf, s, n);
	buf[n] = '\0';
	return 0;
}

/* "recent": absent (every block) or an integer 1..PROTO_RECENT_MAX. */
static int
get_recent(const json_t *req, struct proto_request *r, char *err,
    size_t errlen)
{
	const json_t *v = json_object_get(req, "recent");

	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > PROTO_RECENT_MAX) {
		snprintf(err, errlen, "\"recent\" is not an integer from 1 "
		    "to %d", PROTO_RECENT_MAX);
		return -1;
	}
	r->recent = (uint32_t)json_integer_value(v);
	return 0;
}

int
proto_request_parse(const json_t *req, struct proto_request *r, char *err,
    size_t errlen)
{
	char cmd[16];
	const json_t *t;
	double secs;
	size_t i;

	memset(r, 0, sizeof(*r));
	if (get_string(req, "cmd", true, cmd, sizeof(cmd), err, errlen) == -1)
		return -1;
	for (i = 0; i < sizeof(cmd_names) / sizeof(cmd_names[0]); i++)
		if (strcmp(cmd, cmd_names[i]) == 0)
			break;
	if (i == sizeof(cmd_names) / sizeof(cmd_names[0])) {
		snprintf(err, errlen, "unknown command \"%s\"", cmd);
		return -1;
	}
	r->cmd = (enum proto_cmd)i;
	if (r->cmd == PROTO_STATUS || r->cmd == PROTO_LIST)
		return get_recent(req, r, err, errlen);
	if (get_string(req, "source", true, r->source, sizeof(r->source),
	    err, errlen) == -1)
		return -1;
	if (r->cmd == PROTO_UNBLOCK)
		return 0;
	if (get_string(req, "reason", false, r->reason, sizeof(r->reason),
	    err, errlen) == -1)
		return -1;
	if ((t = json_object_get(req, "timeout")) == NULL)
		return 0;
	r->has_timeout = true;
	if (json_is_null(t)) {
		r->timeout_us = DURATION_PERMANENT;
		return 0;
	}
	if (!json_is_number(t)) {
		snprintf(err, errlen, "\"timeout\" is not a number of seconds");
		return -1;
	}
	secs = json_number_value(t);
	/* Beyond ~292 years of microseconds int64 overflows: say permanent. */
	if (!isfinite(secs) || secs < 1 || secs > 9.2e12) {
		snprintf(err, errlen, "\"timeout\" out of range");
		return -1;
	}
	r->timeout_us = (int64_t)(secs * US_PER_S);
	return 0;
}

json_t *
proto_request_json(const struct proto_request *r)
{
	json_t *o;

	o = json_pack("{s:s}", "cmd", cmd_names[r->cmd]);
	if (o == NULL)
		return NULL;
	if (r->cmd == PROTO_STATUS || r->cmd == PROTO_LIST) {
		if (r->recent != 0 && json_object_set_new(o, "recent",
		    json_integer(r->recent)) == -1)
			goto fail;
		return o;
	}
	if (json_object_set_new(o, "source", json_string(r->source)) == -1)
		goto fail;
	if (r->cmd == PROTO_BLOCK) {
		if (r->reason[0] != '\0' && json_object_set_new(o, "reason",
		    json_string(r->reason)) == -1)
			goto fail;
		if (r->has_timeout && json_object_set_new(o, "timeout",
		    r->timeout_us == DURATION_PERMANENT ? json_null() :
		    json_real((double)r->timeout_us / US_PER_S)) == -1)
			goto fail;
	}
	return o;
fail:
	json_decref(o);
	return NULL;
}

json_t *
proto_error(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	char *p;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* One line, whatever the cause said. */
	for (p = buf; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	return json_pack("{s:b,s:s}", "ok", 0, "error", buf);
}

static json_t *
wall_json(int64_t us)
{
	if (us == DURATION_PERMANENT)
		return json_null();
	return json_real((double)us / US_PER_S);
}

json_t *
proto_block_json(const struct block *b, uint32_t attempts)
{
	char src[KEY_STRLEN], rate[64];
	json_t *o;

	key_format(&b->key, src, sizeof(src));
	o = json_pack("{s:s,s:s,s:s,s:I,s:o,s:o,s:i,s:I,s:b,s:o}",
	    "source", src,
	    "rule", rule_name(b->rule),
	    "response", b->action == ACT_THROTTLE ? "throttle" : "block",
	    "connections", (json_int_t)b->connections,
	    "since", wall_json(b->since_us),
	    "expires", wall_json(b->expires_us),
	    "strikes", b->strikes,
	    "attempts", (json_int_t)attempts,
	    "enforced", b->enforced,
	    "reason", b->reason[0] != '\0' ? json_string(b->reason) :
	    json_null());
	if (o == NULL)
		return NULL;
	/* Additions to DESIGN's object: the action and the throttle rate. */
	if (json_object_set_new(o, "action", json_string(action_name(b->action)))
	    == -1)
		goto fail;
	if (b->action == ACT_THROTTLE) {
		fmt_rate(&b->throttle_rate, rate, sizeof(rate));
		if (json_object_set_new(o, "throttle_rate", json_string(rate))
		    == -1)
			goto fail;
	}
	return o;
fail:
	json_decref(o);
	return NULL;
}

/* ------------------------------------------------------------ row frames */

static uint8_t *
put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return p + 4;
}

static uint8_t *
put_i64(uint8_t *p, int64_t v)
{
	p = put_u32(p, (uint32_t)((uint64_t)v >> 32));
	return put_u32(p, (uint32_t)v);
}

/* A string as its length (2 bytes, big-endian: an account source is
 * longer than 255) and its bytes. */
static uint8_t *
put_str(uint8_t *p, const char *s, size_t n)
{
	*p++ = (uint8_t)(n >> 8);
	*p++ = (uint8_t)n;
	memcpy(p, s, n);
	return p + n;
}

size_t
proto_rows_begin(uint8_t *p)
{
	memset(p, 0, PROTO_HDR_LEN);
	p[PROTO_HDR_LEN] = PROTO_ROW_FRAME;
	return PROTO_HDR_LEN + 1;
}

void
proto_rows_end(uint8_t *p, size_t len)
{
	put_u32(p, (uint32_t)(len - PROTO_HDR_LEN));
}

size_t
proto_row_put(uint8_t *p, size_t room, const struct block *b,
    uint32_t attempts)
{
	char src[KEY_STRLEN], rate[PROTO_RATE_MAX];
	const char *rule = rule_name(b->rule), *act = action_name(b->action);
	size_t nsrc, nrule = strlen(rule), nact = strlen(act);
	size_t nreason = strnlen(b->reason, sizeof(b->reason) - 1);
	size_t nrate = 0, need;
	uint8_t *q = p;

	nsrc = strlen(key_format(&b->key, src, sizeof(src)));
	if (b->action == ACT_THROTTLE)
		nrate = strlen(fmt_rate(&b->throttle_rate, rate, sizeof(rate)));
	if (nrule >= PROTO_NAME_MAX)
		nrule = PROTO_NAME_MAX - 1;
	if (nact >= PROTO_NAME_MAX)
		nact = PROTO_NAME_MAX - 1;
	need = 5 * 2 + nsrc + nrule + nact + nreason + nrate + 3 * 4 + 2 * 8 +
	    1;
	if (need > room)
		return 0;
	q = put_str(q, src, nsrc);
	q = put_str(q, rule, nrule);
	q = put_str(q, act, nact);
	q = put_u32(q, b->connections);
	q = put_u32(q, attempts);
	q = put_u32(q, (uint32_t)b->strikes);
	*q++ = b->enforced ? 1 : 0;
	q = put_i64(q, b->since_us);
	q = put_i64(q, b->expires_us);
	q = put_str(q, b->reason, nreason);
	q = put_str(q, rate, nrate);
	return (size_t)(q - p);
}

/* A reader of untrusted bytes: every get checks what is left first. */
struct rd {
	const uint8_t	*p;
	size_t		 left;
	bool		 bad;
};

static uint32_t
get_u32(struct rd *r)
{
	uint32_t v;

	if (r->bad || r->left < 4) {
		r->bad = true;
		return 0;
	}
	v = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 |
	    (uint32_t)r->p[2] << 8 | r->p[3];
	r->p += 4;
	r->left -= 4;
	return v;
}

static int64_t
get_i64(struct rd *r)
{
	uint64_t hi = get_u32(r);

	return (int64_t)(hi << 32 | get_u32(r));
}

/*
 * A string into buf (len bytes): shorter than len, and of printable ASCII
 * without quote or backslash (names, sources: JSON as they are), or for
 * free text (reason) of anything but control characters.
 */
static void
get_str(struct rd *r, char *buf, size_t len, bool text)
{
	size_t n, i;

	buf[0] = '\0';
	if (r->bad || r->left < 2 ||
	    (n = (size_t)r->p[0] << 8 | r->p[1]) >= len || r->left < 2 + n) {
		r->bad = true;
		return;
	}
	for (i = 0; i < n; i++) {
		uint8_t c = r->p[2 + i];

		if (c < 0x20 || c == 0x7f || (!text && (c > 0x7e ||
		    c == '"' || c == '\\'))) {
			r->bad = true;
			return;
		}
	}
	memcpy(buf, r->p + 2, n);
	buf[n] = '\0';
	r->p += 2 + n;
	r->left -= 2 + n;
}

size_t
proto_row_get(const uint8_t *buf, size_t len, struct proto_row *row)
{
	struct rd r = { .p = buf, .left = len };
	uint32_t enforced;

	get_str(&r, row->source, sizeof(row->source), false);
	get_str(&r, row->rule, sizeof(row->rule), false);
	get_str(&r, row->action, sizeof(row->action), false);
	row->connections = get_u32(&r);
	row->attempts = get_u32(&r);
	row->strikes = (int32_t)get_u32(&r);
	if (r.bad || r.left < 1 || (enforced = r.p[0]) > 1)
		return 0;
	row->enforced = enforced == 1;
	r.p++;
	r.left--;
	row->since_us = get_i64(&r);
	row->expires_us = get_i64(&r);
	get_str(&r, row->reason, sizeof(row->reason), true);
	get_str(&r, row->throttle_rate, sizeof(row->throttle_rate), false);
	if (r.bad || row->source[0] == '\0' || row->rule[0] == '\0' ||
	    row->action[0] == '\0')
		return 0;
	return len - r.left;
}

/* Decimal digits of v at the end of a 24-byte scratch: where they start. */
static char *
fmt_u64(uint64_t v, char *end)
{
	do
		*--end = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	return end;
}

static char *
put_text(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return p + n;
}

static char *
put_int(char *p, int64_t v)
{
	char tmp[24], *d;
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;

	if (v < 0)
		*p++ = '-';
	d = fmt_u64(u, tmp + sizeof(tmp));
	memcpy(p, d, (size_t)(tmp + sizeof(tmp) - d));
	return p + (tmp + sizeof(tmp) - d);
}

/*
 * Wall microseconds as seconds: "1700000003.45", "1700000003.0", or null.
 * The decimal is exact, so it reads back as the double that
 * (double)us / 1e6 gives (both are the nearest double to us / 10^6).
 */
static char *
put_wall(char *p, int64_t us)
{
	uint64_t u;
	char frac[6];
	int i, n;

	if (us == DURATION_PERMANENT)
		return put_text(p, "null");
	u = us < 0 ? -(uint64_t)us : (uint64_t)us;
	if (us < 0)
		*p++ = '-';
	p = put_int(p, (int64_t)(u / US_PER_S));
	*p++ = '.';
	u %= US_PER_S;
	for (i = 5; i >= 0; i--, u /= 10)
		frac[i] = (char)('0' + u % 10);
	for (n = 6; n > 1 && frac[n - 1] == '0'; n--)
		;
	memcpy(p, frac, (size_t)n);
	return p + n;
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t
utf8_len(const uint8_t *s, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates, beyond U+10FFFF. */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

/* A JSON string of free text: escaped as jansson does; a byte that is not
 * UTF-8 becomes U+FFFD, so the output is always valid JSON. */
static char *
put_jstring(char *p, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *u = (const uint8_t *)s;
	size_t n = strlen(s), k;

	*p++ = '"';
	while (n > 0) {
		if (*u == '"' || *u == '\\') {
			*p++ = '\\';
			*p++ = (char)*u;
			k = 1;
		} else if (*u < 0x20) {
			p = put_text(p, "\\u00");
			*p++ = hex[*u >> 4];
			*p++ = hex[*u & 15];
			k = 1;
		} else if ((k = utf8_len(u, n)) == 0) {
			p = put_text(p, "\\ufffd");
			k = 1;
		} else {
			memcpy(p, u, k);
			p += k;
		}
		u += k;
		n -= k;
	}
	*p++ = '"';
	return p;
}

size_t
proto_row_json(const struct proto_row *r, char *buf)
{
	char *p = buf;

	p = put_text(p, "{\"source\":\"");
	p = put_text(p, r->source);
	p = put_text(p, "\",\"rule\":\"");
	p = put_text(p, r->rule);
	p = put_text(p, "\",\"response\":\"");
	p = put_text(p, strcmp(r->action, "throttle") == 0 ? "throttle" :
	    "block");
	p = put_text(p, "\",\"connections\":");
	p = put_int(p, r->connections);
	p = put_text(p, ",\"since\":");
	p = put_wall(p, r->since_us);
	p = put_text(p, ",\"expires\":");
	p = put_wall(p, r->expires_us);
	p = put_text(p, ",\"strikes\":");
	p = put_int(p, r->strikes);
	p = put_text(p, ",\"attempts\":");
	p = put_int(p, r->attempts);
	p = put_text(p, r->enforced ? ",\"enforced\":true,\"reason\":" :
	    ",\"enforced\":false,\"reason\":");
	if (r->reason[0] != '\0')
		p = put_jstring(p, r->reason);
	else
		p = put_text(p, "null");
	p = put_text(p, ",\"action\":\"");
	p = put_text(p, r->action);
	*p++ = '"';
	if (r->throttle_rate[0] != '\0') {
		p = put_text(p, ",\"throttle_rate\":\"");
		p = put_text(p, r->throttle_rate);
		*p++ = '"';
	}
	*p++ = '}';
	*p = '\0';
	return (size_t)(p - buf);
}

/* ---------------------------------------------------------- client side */

static int64_t
ms_left(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (deadline->tv_sec - now.tv_sec) * 1000 +
	    (deadline->tv_nsec - now.tv_nsec) / 1000000;
}

static void
deadline_in(struct timespec *dl, int timeout_ms)
{
	clock_gettime(CLOCK_MONOTONIC, dl);
	dl->tv_sec += timeout_ms / 1000;
	dl->tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (dl->tv_nsec >= 1000000000L) {
		dl->tv_sec++;
		dl->tv_nsec -= 1000000000L;
	}
}

/* Waits for fd to become ready for ev before the deadline; 0 or -1. */
static int
wait_fd(int fd, short ev, const struct timespec *deadline)
{
	struct pollfd pfd = { .fd = fd, .events = ev };
	int64_t left;
	int n;

	for (;;) {
		if ((left = ms_left(deadline)) <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		n = poll(&pfd, 1, (int)left);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n > 0)
			return 0;
	}
}

static int
write_all(int fd, const uint8_t *p, size_t len, const struct timespec *dl)
{
	ssize_t n;

	while (len > 0) {
		if (wait_fd(fd, POLLOUT, dl) == -1)
			return -1;
		n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * connect() on a Unix stream socket waits while the listener's queue is
 * full, for as long as SO_SNDTIMEO allows (forever by default): a daemon
 * that is stopped (SIGSTOP, a debugger) would hang every client.  So the
 * wait is bounded by what is left of the call's deadline, after which
 * connect fails with EAGAIN.
 */
static int
connect_until(int fd, const struct sockaddr_un *sun,
    const struct timespec *deadline)
{
	struct timeval tv;
	int64_t left = ms_left(deadline);

	if (left <= 0)
		left = 1;
	tv.tv_sec = (time_t)(left / 1000);
	tv.tv_usec = (suseconds_t)(left % 1000 * 1000);
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1)
		return -1;
	return connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
}

/*
 * The reading side of a call: a buffer of one message at most, the
 * stream's progress, and where its parts go.
 */
struct call {
	const char	*path;
	int		 fd;
	int		 timeout_ms;
	struct timespec	 dl;
	uint8_t		*buf;		/* PROTO_HDR_LEN + PROTO_MAX_REPLY */
	size_t		 have;
	bool		 got_first;
	bool		 stream;
	uint64_t	 rows;
	const struct proto_sink *sink;
	char		*err;
	size_t		 errlen;
};

/* The rows of one row frame (payload p of n bytes, its type byte first). */
static int
call_rows(struct call *c, const uint8_t *p, size_t n)
{
	struct proto_row row;
	size_t used;

	for (p++, n--; n > 0; p += used, n -= used) {
		if ((used = proto_row_get(p, n, &row)) == 0) {
			snprintf(c->err, c->errlen, "bad row from the daemon");
			return -1;
		}
		c->rows++;
		if (c->sink->row != NULL && c->sink->row(c->sink->arg, &row)
		    == -1) {
			snprintf(c->err, c->errlen, "stopped");
			return -1;
		}
	}
	return 0;
}

/* One whole message (payload p, n bytes): 1 the reply is over, 0 more
 * follows, -1 error. */
static int
call_message(struct call *c, const uint8_t *p, size_t n)
{
	json_t *o;
	int rv;

	if (c->stream && p[0] == PROTO_ROW_FRAME)
		return call_rows(c, p, n) == -1 ? -1 : 0;
	if ((o = proto_unpack(p, n, PROTO_MAX_REPLY, c->err, c->errlen))
	    == NULL)
		return -1;
	if (c->stream) {
		/* The end: it counts the rows, so a cut is never silent. */
		rv = json_is_true(json_object_get(o, "end")) &&
		    json_is_integer(json_object_get(o, "rows")) &&
		    (uint64_t)json_integer_value(json_object_get(o, "rows")) ==
		    c->rows ? 1 : -1;
		if (rv == -1)
			snprintf(c->err, c->errlen, "bad end of reply from "
			    "the daemon");
		json_decref(o);
		return rv;
	}
	c->got_first = true;
	c->stream = json_is_true(json_object_get(o, "ok")) &&
	    json_is_true(json_object_get(o, "stream"));
	rv = c->sink->reply(c->sink->arg, o);
	json_decref(o);
	if (rv == -1) {
		snprintf(c->err, c->errlen, "stopped");
		return -1;
	}
	return c->stream ? 0 : 1;
}

/* Reads and hands on messages until the reply is over: 0, -1, -3. */
static int
call_read(struct call *c)
{
	size_t msglen, off;
	ssize_t n;
	int f, rv;

	for (;;) {
		if (wait_fd(c->fd, POLLIN, &c->dl) == -1)
			goto cut;
		n = recv(c->fd, c->buf + c->have, PROTO_HDR_LEN +
		    PROTO_MAX_REPLY - c->have, MSG_DONTWAIT);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n == 0)
			errno = ECONNRESET;
		if (n <= 0)
			goto cut;
		c->have += (size_t)n;
		/* Each later message within timeout_ms of progress. */
		deadline_in(&c->dl, c->timeout_ms);
		for (off = 0; (f = proto_frame(c->buf + off, c->have - off,
		    PROTO_MAX_REPLY, &msglen)) == 1; off += msglen) {
			rv = call_message(c, c->buf + off + PROTO_HDR_LEN,
			    msglen - PROTO_HDR_LEN);
			if (rv != 0)
				return rv == 1 ? 0 : -1;
		}
		if (f == -1) {
			snprintf(c->err, c->errlen, "bad reply from the daemon");
			return -1;
		}
		memmove(c->buf, c->buf + off, c->have - off);
		c->have -= off;
	}
cut:
	if (!c->got_first && c->have == 0) {
		snprintf(c->err, c->errlen, "no daemon answers on %s: %s",
		    c->path, strerror(errno));
		return -3;
	}
	snprintf(c->err, c->errlen, "reply cut short: %s", strerror(errno));
	return -1;
}

int
proto_call_sink(const char *sockpath, const json_t *req, int timeout_ms,
    const struct proto_sink *sink, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct call c = { .path = sockpath, .fd = -1, .timeout_ms = timeout_ms, .sink = sink,
	    .err = err, .errlen = errlen };
	uint8_t *msg = NULL;
	size_t msglen;
	int rv = -1;

	/* One deadline for connect, request and the first message. */
	deadline_in(&c.dl, timeout_ms);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(sockpath) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "%s: socket path too long", sockpath);
		return -1;
	}
	strncpy(sun.sun_path, sockpath, sizeof(sun.sun_path) - 1);
	if ((c.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect_until(c.fd, &sun, &c.dl) == -1) {
		/* The socket's permissions refuse us: an error, not absence. */
		if (errno == EACCES || errno == EPERM) {
			snprintf(err, errlen, "permission denied on %s (root or "
			    "the socket's group only)", sockpath);
			goto out;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINPROGRESS)
			snprintf(err, errlen, "no daemon answers on %s: "
			    "connection not accepted within %d ms", sockpath,
			    timeout_ms);
		else
			snprintf(err, errlen, "no daemon answers on %s: %s",
			    sockpath, strerror(errno));
		rv = -3;
		goto out;
	}
	if (proto_pack(req, PROTO_MAX_MSG, &msg, &msglen) == -1) {
		snprintf(err, errlen, "request too large");
		goto out;
	}
	if (write_all(c.fd, msg, msglen, &c.dl) == -1) {
		snprintf(err, errlen, "no daemon answers on %s: %s", sockpath,
		    strerror(errno));
		rv = -3;
		goto out;
	}
	if ((c.buf = malloc(PROTO_HDR_LEN + PROTO_MAX_REPLY)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	rv = call_read(&c);
out:
	free(msg);
	free(c.buf);
	close(c.fd);
	return rv;
}

/* proto_call's sink: the reply, a stream's rows gathered in "blocks". */
struct gather {
	json_t		*reply;
	json_t		*blocks;
};

static int
gather_reply(void *arg, json_t *reply)
{
	struct gather *g = arg;

	g->reply = json_incref(reply);
	if (!json_is_true(json_object_get(reply, "stream")))
		return 0;
	if ((g->blocks = json_array()) == NULL ||
	    json_object_set(reply, "blocks", g->blocks) == -1)
		return -1;
	json_object_del(reply, "stream");
	json_object_del(reply, "count");
	return 0;
}

static int
gather_row(void *arg, const struct proto_row *row)
{
	struct gather *g = arg;
	char buf[PROTO_ROW_JSON_MAX];
	size_t n = proto_row_json(row, buf);

	return json_array_append_new(g->blocks, json_loadb(buf, n, 0, NULL));
}

int
proto_call(const char *sockpath, const json_t *req, json_t **reply,
    char *err, size_t errlen)
{
	return proto_call_timeout(sockpath, req, reply, PROTO_CALL_TIMEOUT_MS,
	    err, errlen);
}

int
proto_call_timeout(const char *sockpath, const json_t *req, json_t **reply,
    int timeout_ms, char *err, size_t errlen)
{
	struct gather g = { NULL, NULL };
	struct proto_sink sink = { gather_reply, gather_row, &g };
	int rv;

	rv = proto_call_sink(sockpath, req, timeout_ms, &sink, err, errlen);
	json_decref(g.blocks);
	if (rv != 0) {
		json_decref(g.reply);
		g.reply = NULL;
	}
	*reply = g.reply;
	return rv;
}
