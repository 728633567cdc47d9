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
 * drive it alike.
 */
#include <sys/socket.h>
#include <arpa/inet.h>

#include <stdint.h>
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
