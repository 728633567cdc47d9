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

/* How long the client waits for the daemon, in total, per call. */
#define PROTO_CALL_TIMEOUT_MS	10000

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
		return 0;
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
	if (o == NULL || r->cmd == PROTO_STATUS || r->cmd == PROTO_LIST)
		return o;
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

static int64_t
ms_left(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (deadline->tv_sec - now.tv_sec) * 1000 +
	    (deadline->tv_nsec - now.tv_nsec) / 1000000;
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

static int
read_all(int fd, uint8_t *p, size_t len, const struct timespec *dl)
{
	ssize_t n;

	while (len > 0) {
		if (wait_fd(fd, POLLIN, dl) == -1)
			return -1;
		n = recv(fd, p, len, MSG_DONTWAIT);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n == 0)
			errno = ECONNRESET;
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
	struct sockaddr_un sun;
	struct timespec dl;
	uint8_t hdr[PROTO_HDR_LEN], *msg = NULL, *payload = NULL;
	size_t msglen, n;
	int fd, rv = -1;

	*reply = NULL;
	/* One deadline for the whole call: connect, request, reply. */
	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += timeout_ms / 1000;
	dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(sockpath) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "%s: socket path too long", sockpath);
		return -1;
	}
	strncpy(sun.sun_path, sockpath, sizeof(sun.sun_path) - 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect_until(fd, &sun, &dl) == -1) {
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
	if (write_all(fd, msg, msglen, &dl) == -1 ||
	    read_all(fd, hdr, sizeof(hdr), &dl) == -1) {
		snprintf(err, errlen, "no daemon answers on %s: %s", sockpath,
		    strerror(errno));
		rv = -3;
		goto out;
	}
	/* proto_frame bounds the announced length before we allocate it. */
	if (proto_frame(hdr, sizeof(hdr), PROTO_MAX_REPLY, &n) == -1) {
		snprintf(err, errlen, "bad reply from the daemon");
		goto out;
	}
	n = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 |
	    (size_t)hdr[2] << 8 | hdr[3];
	if ((payload = malloc(n)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (read_all(fd, payload, n, &dl) == -1) {
		snprintf(err, errlen, "reply cut short: %s", strerror(errno));
		goto out;
	}
	if ((*reply = proto_unpack(payload, n, PROTO_MAX_REPLY, err,
	    errlen)) != NULL)
		rv = 0;
out:
	free(msg);
	free(payload);
	close(fd);
	return rv;
}
