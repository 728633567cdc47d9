/*
 * mta_policy.c: the parser of Postfix's policy delegation protocol
 * (SMTPD_POLICY_README): "name=value" lines ended by an empty line, one
 * request after another on a connection.  It keeps the few attributes
 * nflogmon uses and skips the others.  The bytes come from a local
 * socket anyone in policy_group (or, with inet:, any local user) can
 * write to, so they are untrusted: every line, the attribute count and
 * the request are bounded, nothing is allocated, no length is trusted,
 * and anything out of the protocol is malformed.  It must never log, read
 * a clock or do I/O: the input (input_policy.c) and the fuzz target
 * drive it alike.  The syntax checks of [mta] policy_listen and
 * policy_reply live here too: they are the protocol's, and the config and
 * the input share them.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nflogmon.h"

#define REQ_(f)	offsetof(struct mta_policy_request, f), \
		sizeof(((struct mta_policy_request *)0)->f)

/* The attributes kept, and where; client_address (off CLIENT) is parsed
 * into req.client, not kept as text. */
#define CLIENT	SIZE_MAX
static const struct {
	const char	*name;
	size_t		 off, size;
} mta_policy_attrs[] = {
	{ "request", REQ_(request) },
	{ "protocol_state", REQ_(protocol_state) },
	{ "sasl_username", REQ_(sasl_username) },
	{ "sender", REQ_(sender) },
	{ "recipient", REQ_(recipient) },
	{ "instance", REQ_(instance) },
	{ "queue_id", REQ_(queue_id) },
	{ "client_address", CLIENT, INET6_ADDRSTRLEN },
};

#define MTA_POLICY_NATTRS \
	(sizeof(mta_policy_attrs) / sizeof(mta_policy_attrs[0]))

void
mta_policy_init(struct mta_policy *p)
{
	memset(p, 0, sizeof(*p));
}

/* An IPv4 or IPv6 address as Postfix prints it; 0 or -1. */
static int
mta_policy_client(struct addr *a, const char *v, size_t len)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	char buf[INET6_ADDRSTRLEN];

	memset(a, 0, sizeof(*a));
	if (len >= sizeof(buf))
		return -1;
	memcpy(buf, v, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, a->b) == 1) {
		a->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, buf, a->b) != 1)
		return -1;
	a->family = AF_INET6;
	if (memcmp(a->b, mapped, sizeof(mapped)) == 0) {
		memmove(a->b, a->b + 12, 4);
		memset(a->b + 4, 0, 12);
		a->family = AF_INET;
	}
	return 0;
}

/* One "name=value" line of line[0..linelen); NULL or the reason. */
static const char *
mta_policy_line(struct mta_policy *p)
{
	const char *eq;
	size_t i, namelen, vlen;
	char *dst;

	if (++p->req.nattrs > MTA_POLICY_ATTRS_MAX)
		return "too many attributes";
	if ((eq = memchr(p->line, '=', p->linelen)) == NULL)
		return "a line without '='";
	if ((namelen = (size_t)(eq - p->line)) == 0)
		return "an attribute without a name";
	vlen = p->linelen - namelen - 1;
	for (i = 0; i < MTA_POLICY_NATTRS; i++)
		if (strlen(mta_policy_attrs[i].name) == namelen &&
		    memcmp(mta_policy_attrs[i].name, p->line, namelen) == 0)
			break;
	if (i == MTA_POLICY_NATTRS)
		return NULL;			/* not one nflogmon uses */
	if (p->seen & (1u << i))
		return "an attribute given twice";
	p->seen |= 1u << i;
	if (vlen >= mta_policy_attrs[i].size)
		return "an attribute value too long";
	if (mta_policy_attrs[i].off == CLIENT) {
		if (vlen == 0)
			return NULL;
		if (mta_policy_client(&p->req.client, eq + 1, vlen) == -1)
			return "a client_address that is no IP address";
		p->req.has_client = true;
		return NULL;
	}
	dst = (char *)&p->req + mta_policy_attrs[i].off;
	memcpy(dst, eq + 1, vlen);
	dst[vlen] = '\0';
	return NULL;
}

enum mta_policy_result
mta_policy_feed(struct mta_policy *p, const uint8_t *buf, size_t len,
    size_t *used, const char **why)
{
	const uint8_t *nl;
	size_t i, n;

	*why = NULL;
	if (p->done) {
		memset(&p->req, 0, sizeof(p->req));
		p->seen = 0;
		p->reqlen = 0;
		p->done = false;
	}
	for (i = 0; i < len; i += n) {
		/* the bytes up to the next newline, or all there are */
		nl = memchr(buf + i, '\n', len - i);
		n = nl != NULL ? (size_t)(nl - (buf + i)) : len - i;
		if (memchr(buf + i, '\0', n) != NULL) {
			*why = "a NUL byte";
			break;
		}
		if (n > MTA_POLICY_LINE_MAX - p->linelen) {
			*why = "a line too long";
			break;
		}
		if (n + (nl != NULL) > MTA_POLICY_REQ_MAX - p->reqlen) {
			*why = "a request too long";
			break;
		}
		memcpy(p->line + p->linelen, buf + i, n);
		p->linelen += n;
		p->reqlen += n;
		if (nl == NULL)
			continue;
		n++;				/* the newline */
		p->reqlen++;
		if (p->linelen == 0) {		/* the empty line: the end */
			if (p->req.nattrs == 0) {
				*why = "an empty request";
				break;
			}
			p->done = true;
			*used = i + n;
			return MTA_POLICY_REQUEST;
		}
		*why = mta_policy_line(p);
		p->linelen = 0;
		if (*why != NULL)
			break;
	}
	*used = i;
	return *why != NULL ? MTA_POLICY_MALFORMED : MTA_POLICY_MORE;
}

const char *
mta_policy_domain(const char *address)
{
	const char *at = strrchr(address, '@');

	return at != NULL ? at + 1 : "";
}

int
mta_listen_parse(const char *s, struct mta_listen *l, char *err,
    size_t errlen)
{
	static const uint8_t loopback6[16] = { [15] = 1 };	/* ::1 */
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *h;
	unsigned long port;
	size_t hlen;
	char *end;

	memset(l, 0, sizeof(*l));
	if (strncmp(s, "unix:", 5) == 0) {
		if (s[5] != '/') {
			snprintf(err, errlen, "unix: needs an absolute path");
			return -1;
		}
		if (strlen(s + 5) >= sizeof(l->path)) {
			snprintf(err, errlen, "socket path longer than %zu "
			    "bytes", sizeof(l->path) - 1);
			return -1;
		}
		l->family = AF_UNIX;
		snprintf(l->path, sizeof(l->path), "%s", s + 5);
		return 0;
	}
	if (strncmp(s, "inet:", 5) != 0 ||
	    (colon = strrchr(s + 5, ':')) == NULL) {
		snprintf(err, errlen, "unix:PATH or inet:127.0.0.1:PORT");
		return -1;
	}
	h = s + 5;
	hlen = (size_t)(colon - h);
	if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') {
		h++;
		hlen -= 2;
	} else if (memchr(h, ':', hlen) != NULL) {
		snprintf(err, errlen, "an IPv6 address needs brackets: "
		    "inet:[::1]:PORT");
		return -1;
	}
	if (hlen == 0 || hlen >= sizeof(host)) {
		snprintf(err, errlen, "unix:PATH or inet:127.0.0.1:PORT");
		return -1;
	}
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	port = strtoul(colon + 1, &end, 10);
	if (colon[1] < '0' || colon[1] > '9' || *end != '\0' ||
	    port == 0 || port > 65535) {
		snprintf(err, errlen, "bad port '%s' (1..65535)", colon + 1);
		return -1;
	}
	l->port = (uint16_t)port;
	if (inet_pton(AF_INET, host, l->addr.b) == 1)
		l->family = l->addr.family = AF_INET;
	else if (inet_pton(AF_INET6, host, l->addr.b) == 1)
		l->family = l->addr.family = AF_INET6;
	else {
		snprintf(err, errlen, "bad address '%s' (inet: takes a "
		    "loopback address)", host);
		return -1;
	}
	if ((l->family == AF_INET && l->addr.b[0] != 127) ||
	    (l->family == AF_INET6 && memcmp(l->addr.b, loopback6, 16) != 0)) {
		snprintf(err, errlen, "%s is not a loopback address (every "
		    "host that reaches it could forge requests; use "
		    "unix:PATH)", host);
		return -1;
	}
	return 0;
}

/*
 * The access(5) actions a policy service may answer, and whether each
 * needs an argument (FILTER transport:destination, REDIRECT address...).
 * "4NN" and "5NN" are the numeric codes with an optional text.
 */
static const struct {
	const char	*word;
	bool		 arg;
} mta_reply_actions[] = {
	{ "OK", false }, { "DUNNO", false }, { "REJECT", false },
	{ "DEFER", false }, { "DEFER_IF_REJECT", false },
	{ "DEFER_IF_PERMIT", false }, { "HOLD", false }, { "DISCARD", false },
	{ "WARN", false }, { "INFO", false }, { "FILTER", true },
	{ "REDIRECT", true }, { "BCC", true }, { "PREPEND", true },
	{ "4NN", false }, { "5NN", false },
};

int
mta_reply_check(const char *s, char *err, size_t errlen)
{
	char word[32];
	size_t i, n, len = strlen(s);

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e) {
			snprintf(err, errlen, "one line of printable ASCII");
			return -1;
		}
	if (len == 0 || len >= MTA_POLICY_REPLY_MAX) {
		snprintf(err, errlen, "an access(5) action of 1..%d "
		    "characters", MTA_POLICY_REPLY_MAX - 1);
		return -1;
	}
	n = strcspn(s, " \t");
	if (n >= sizeof(word))
		n = sizeof(word) - 1;
	for (i = 0; i < n; i++)
		word[i] = (char)(s[i] >= 'a' && s[i] <= 'z' ? s[i] - 32 : s[i]);
	word[n] = '\0';
	if (n == 3 && (word[0] == '4' || word[0] == '5') &&
	    word[1] >= '0' && word[1] <= '9' && word[2] >= '0' &&
	    word[2] <= '9') {
		word[1] = word[2] = 'N';
	}
	for (i = 0; i < sizeof(mta_reply_actions) /
	    sizeof(mta_reply_actions[0]); i++)
		if (strcmp(word, mta_reply_actions[i].word) == 0)
			break;
	if (i == sizeof(mta_reply_actions) / sizeof(mta_reply_actions[0])) {
		snprintf(err, errlen, "'%.*s' is not an access(5) action "
		    "(e.g. DEFER text, REJECT text, 450 text)", (int)n, s);
		return -1;
	}
	if (mta_reply_actions[i].arg && s[n + strspn(s + n, " \t")] == '\0') {
		snprintf(err, errlen, "%s needs an argument", word);
		return -1;
	}
	return 0;
}
