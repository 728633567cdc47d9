/*
 * fuzz_mta_policy.c: the policy protocol parser on arbitrary bytes, fed
 * whole and again in pieces whose sizes the first byte chooses: both must
 * give the same requests and the same end, every kept string must end
 * within its field, and a malformed end must say why.  The same bytes,
 * as a string, go through the [mta] value checks.
 */
#include <sys/socket.h>

#include <stdlib.h>
#include <string.h>

#include "nflogmon.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_MAX_REQS	4096

struct run {
	enum mta_policy_result	 end;
	size_t			 nreq;
	size_t			 used;
	struct mta_policy_request last;
};

static void
check_strings(const struct mta_policy_request *r)
{
	if (memchr(r->request, '\0', sizeof(r->request)) == NULL ||
	    memchr(r->protocol_state, '\0', sizeof(r->protocol_state)) == NULL ||
	    memchr(r->sasl_username, '\0', sizeof(r->sasl_username)) == NULL ||
	    memchr(r->sender, '\0', sizeof(r->sender)) == NULL ||
	    memchr(r->recipient, '\0', sizeof(r->recipient)) == NULL ||
	    memchr(r->instance, '\0', sizeof(r->instance)) == NULL ||
	    memchr(r->queue_id, '\0', sizeof(r->queue_id)) == NULL ||
	    r->nattrs == 0 || r->nattrs > MTA_POLICY_ATTRS_MAX)
		abort();
}

static void
run(struct mta_policy *p, const uint8_t *data, size_t len, size_t step,
    struct run *out)
{
	enum mta_policy_result r = MTA_POLICY_MORE;
	const char *why;
	size_t off = 0, n, used;

	mta_policy_init(p);
	memset(out, 0, sizeof(*out));
	while (off < len) {
		n = step == 0 || len - off < step ? len - off : step;
		r = mta_policy_feed(p, data + off, n, &used, &why);
		if (used > n)
			abort();
		off += used;
		if (r == MTA_POLICY_MALFORMED) {
			if (why == NULL)
				abort();
			break;
		}
		if (r == MTA_POLICY_REQUEST) {
			check_strings(&p->req);
			out->nreq++;
			out->last = p->req;
		} else if (used != n)
			abort();
	}
	out->end = r == MTA_POLICY_MALFORMED ? r : MTA_POLICY_MORE;
	out->used = off;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct mta_policy p;
	static struct run whole, pieces;

	struct mta_listen l;
	char str[600], err[256];

	if (len == 0)
		return 0;
	/* the [mta] value checks on the same bytes as a string */
	memcpy(str, data, len < sizeof(str) ? len : sizeof(str) - 1);
	str[len < sizeof(str) ? len : sizeof(str) - 1] = '\0';
	if (mta_listen_parse(str, &l, err, sizeof(err)) == 0 &&
	    l.family != AF_UNIX && l.port == 0)
		abort();
	(void)mta_reply_check(str, err, sizeof(err));
	run(&p, data + 1, len - 1, 0, &whole);
	run(&p, data + 1, len - 1, (size_t)data[0] % 17 + 1, &pieces);
	/* where in its piece a malformed byte was is not said */
	if (whole.end != pieces.end || whole.nreq != pieces.nreq ||
	    (whole.end != MTA_POLICY_MALFORMED && whole.used != pieces.used) ||
	    memcmp(&whole.last, &pieces.last, sizeof(whole.last)) != 0)
		abort();
	return 0;
}
