/*
 * input_policy.c: the Postfix policy service (DESIGN.md "Policy
 * service"), an input like NFLOG: it reads the MTA's requests, turns each
 * recipient request of an authenticated client into one account event for
 * the sink, and answers at once.  The answer is policy_reply when the
 * sink says the account is blocked (the verdict of this very request
 * included: the sink has taken its event before we ask), else DUNNO; no
 * answer ever waits for the network, a kernel set or a hook.
 *
 * The peers are untrusted: anyone in policy_group (with inet:, any local
 * user) can connect and write anything.  So every connection is
 * non-blocking, lives in a fixed table of POLICY_MAX_CONNS slots, parses
 * with the bounded mta_policy.c, and has a bounded output buffer and a
 * deadline: POLICY_IDLE_US between requests (longer than Postfix's own
 * smtpd_policy_service_max_idle of 300 s, so Postfix closes first), and
 * POLICY_STALL_US for a request begun and not finished or replies not
 * read.  A malformed request closes its connection (counted malformed);
 * a full table closes the connection idle the longest to make room, so a
 * thousand idle peers cannot lock Postfix out (Postfix reconnects once on
 * a closed connection); a peer whose replies pile up unread is closed.
 * Those closings are counted in `dropped`.  Every descriptor sits in a
 * private epoll instance, the input's one fd in the loop (as ctl.c).
 *
 * It never calls the engine or the act path: the sink does.
 */
#define _GNU_SOURCE
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "daemon.h"

#define POLICY_MAX_CONNS	256
#define POLICY_IDLE_US		(330 * US_PER_S)
#define POLICY_STALL_US		(10 * US_PER_S)
#define POLICY_OUT_MAX		4096	/* unread reply bytes per peer */
#define POLICY_READ_MAX		4096	/* bytes read per turn and peer */
#define POLICY_ACCEPT_BURST	64
#define POLICY_EVENTS		64
#define POLICY_TICK_US		US_PER_S
#define POLICY_LISTENER		UINT64_MAX

/*
 * A connection slot: fd -1 when free.  out[outoff..outlen) are replies
 * not yet sent; instance is the Postfix instance (message) of the last
 * recipient request, so the first recipient of each message is told.
 */
struct policy_conn {
	int		 fd;
	int64_t		 active_us;	/* last request or accept */
	struct mta_policy parser;
	char		 instance[MTA_POLICY_SHORT_MAX];
	char		 out[POLICY_OUT_MAX];
	size_t		 outlen, outoff;
	bool		 pollout;	/* EPOLLOUT watched: out is stuck */
};

struct policy {
	struct input	 in;		/* in.fd: the epoll instance */
	const struct conf *conf;
	int		 lfd;
	char		 path[MTA_LISTEN_PATH_MAX];	/* unix: to unlink */
	char		 listen[MTA_POLICY_LISTEN_MAX];	/* as started */
	struct input_stats st;
	struct policy_conn *conns;	/* POLICY_MAX_CONNS */
	int		 nconns;
};

/* The one policy input of the process, for the loop's tick. */
static struct policy	*the_policy;
static bool		 policy_ticking;

static void
policy_conn_close(struct policy *p, struct policy_conn *c)
{
	if (c->fd == -1)
		return;
	epoll_ctl(p->in.fd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	p->nconns--;
}

/* Whether the peer has begun a request and not ended it. */
static bool
policy_conn_midway(const struct policy_conn *c)
{
	return c->parser.reqlen != 0 && !c->parser.done;
}

/* Whether a slot's peer is past its deadline at now_us. */
static bool
policy_conn_expired(const struct policy_conn *c, int64_t now_us)
{
	bool busy = policy_conn_midway(c) || c->outoff < c->outlen;

	return now_us - c->active_us > (busy ? POLICY_STALL_US :
	    POLICY_IDLE_US);
}

static void
policy_tick(struct daemon *d, int64_t now_us)
{
	struct policy *p = the_policy;
	int i;

	(void)d;
	if (p == NULL)
		return;
	for (i = 0; i < POLICY_MAX_CONNS; i++)
		if (p->conns[i].fd != -1 &&
		    policy_conn_expired(&p->conns[i], now_us)) {
			if (policy_conn_midway(&p->conns[i])) {
				p->st.records++;	/* never ended */
				p->st.malformed++;
			} else
				p->st.dropped++;
			policy_conn_close(p, &p->conns[i]);
		}
}

/* A free slot, or the one idle the longest, closed (counted). */
static int
policy_slot(struct policy *p)
{
	int i, oldest = -1;

	for (i = 0; i < POLICY_MAX_CONNS; i++) {
		if (p->conns[i].fd == -1)
			return i;
		if (oldest == -1 ||
		    p->conns[i].active_us < p->conns[oldest].active_us)
			oldest = i;
	}
	p->st.dropped++;
	policy_conn_close(p, &p->conns[oldest]);
	return oldest;
}

static void
policy_accept(struct policy *p, int64_t now_us)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct policy_conn *c;
	int fd, n, i;

	for (n = 0; n < POLICY_ACCEPT_BURST; n++) {
		if ((fd = sock_accept(p->lfd, "policy")) == -1)
			return;
		i = policy_slot(p);
		c = &p->conns[i];
		c->fd = fd;
		c->active_us = now_us;
		c->instance[0] = '\0';
		c->outlen = c->outoff = 0;
		c->pollout = false;
		mta_policy_init(&c->parser);
		ev.data.u64 = (uint64_t)i;
		p->nconns++;
		if (epoll_ctl(p->in.fd, EPOLL_CTL_ADD, fd, &ev) == -1) {
			log_warn("policy: epoll_ctl");
			policy_conn_close(p, c);
		}
	}
}

/* Whether the envelope sender's domain is foreign to the login. */
static bool
policy_foreign(const struct conf *cf, const char *login, const char *sender)
{
	const char *dom, *own;

	if (sender[0] == '\0')			/* the null sender */
		return false;
	dom = mta_policy_domain(sender);
	if ((own = strrchr(login, '@')) != NULL &&
	    strcasecmp(dom, own + 1) == 0)
		return false;
	return !conf_sender_domain_ok(cf, dom, strlen(dom));
}

/*
 * The event of a recipient request of an authenticated client: 1 with
 * *ev filled, 0 when the request is none (another state, no login), -1
 * when malformed (a login outside DESIGN.md's rules, no client address).
 */
static int
policy_event(struct policy *p, struct policy_conn *c, int64_t now_us,
    struct event *ev)
{
	const struct mta_policy_request *r = &c->parser.req;
	char login[MTA_POLICY_LOGIN_MAX];
	size_t i, len;

	if (strcasecmp(r->protocol_state, "RCPT") != 0 ||
	    r->sasl_username[0] == '\0')
		return 0;
	if (!r->has_client)
		return -1;
	len = strlen(r->sasl_username);
	for (i = 0; i <= len; i++)
		login[i] = (char)tolower((unsigned char)r->sasl_username[i]);
	memset(ev, 0, sizeof(*ev));
	if (key_from_account(&ev->key, login, len) == -1)
		return -1;
	ev->t_us = now_us;
	ev->count = 1;
	ev->kind = INPUT_POLICY;
	ev->value = r->client;
	addr_aggregate(&ev->value, p->conf->ipv6_prefix);
	/* the first recipient of a message: a new instance (none: each) */
	if (r->instance[0] == '\0' || strcmp(r->instance, c->instance) != 0) {
		ev->flags |= EVENT_MESSAGE;
		if (policy_foreign(p->conf, login, r->sender))
			ev->flags |= EVENT_FOREIGN;
	}
	snprintf(c->instance, sizeof(c->instance), "%s", r->instance);
	if (conf_account_allowed(p->conf, login))
		ev->flags |= EVENT_ALLOWED;
	return 1;
}

/* Queues "action=...\n\n"; -1 when the peer's unread replies are full. */
static int
policy_reply(struct policy_conn *c, const char *action)
{
	size_t len = strlen(action) + sizeof("action=\n\n") - 1;

	if (c->outoff == c->outlen)
		c->outoff = c->outlen = 0;
	if (len >= sizeof(c->out) - c->outlen)	/* and snprintf's NUL */
		return -1;
	c->outlen += (size_t)snprintf(c->out + c->outlen,
	    sizeof(c->out) - c->outlen, "action=%s\n\n", action);
	return 0;
}

/* Answers the complete request in c->parser; -1: close the peer. */
static int
policy_request(struct policy *p, struct policy_conn *c,
    const struct event_sink *sink, int64_t now_us)
{
	const char *action = "DUNNO";
	struct event ev;
	int r;

	p->st.records++;
	c->active_us = now_us;
	if ((r = policy_event(p, c, now_us, &ev)) == -1) {
		p->st.malformed++;
		return -1;
	}
	if (r == 0)
		p->st.ignored++;
	else {
		p->st.events++;
		sink->put(sink->arg, &ev, 1);
		if (sink->blocked != NULL && sink->blocked(sink->arg, &ev.key))
			action = p->conf->policy_reply;
	}
	if (policy_reply(c, action) == -1) {
		p->st.dropped++;		/* never reads its replies */
		return -1;
	}
	return 0;
}

/* Sends what the peer takes, watching for room only while it is full;
 * -1: close it. */
static int
policy_flush(struct policy *p, struct policy_conn *c, int idx)
{
	struct epoll_event ev = { .data.u64 = (uint64_t)idx };
	ssize_t n;

	while (c->outoff < c->outlen) {
		n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN) {
			if (c->pollout)
				return 0;
			c->pollout = true;
			ev.events = EPOLLIN | EPOLLOUT;
			return epoll_ctl(p->in.fd, EPOLL_CTL_MOD, c->fd, &ev);
		}
		if (n <= 0)
			return -1;
		c->outoff += (size_t)n;
	}
	if (c->pollout) {
		c->pollout = false;
		ev.events = EPOLLIN;
		return epoll_ctl(p->in.fd, EPOLL_CTL_MOD, c->fd, &ev);
	}
	return 0;
}

/* Reads what the peer sent and answers every request in it. */
static int
policy_readable(struct policy *p, struct policy_conn *c,
    const struct event_sink *sink, int64_t now_us)
{
	uint8_t buf[POLICY_READ_MAX];
	enum mta_policy_result r;
	const char *why;
	size_t off = 0, used;
	ssize_t n;

	n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		if (policy_conn_midway(c)) {	/* closed mid-request */
			p->st.records++;
			p->st.malformed++;
		}
		return -1;
	}
	while (off < (size_t)n) {
		r = mta_policy_feed(&c->parser, buf + off, (size_t)n - off,
		    &used, &why);
		off += used;
		if (r == MTA_POLICY_MALFORMED) {
			p->st.records++;
			p->st.malformed++;
			log_debug("policy: %s: connection closed", why);
			return -1;
		}
		if (r == MTA_POLICY_REQUEST &&
		    policy_request(p, c, sink, now_us) == -1)
			return -1;
	}
	return 0;
}

static int
policy_read(struct input *in, const struct event_sink *sink)
{
	struct policy *p = in->priv;
	struct epoll_event ev[POLICY_EVENTS];
	struct policy_conn *c;
	int64_t now_us = clock_mono_us();
	int i, n, idx;

	n = epoll_wait(p->in.fd, ev, POLICY_EVENTS, 0);
	for (i = 0; i < n; i++) {
		if (ev[i].data.u64 == POLICY_LISTENER) {
			policy_accept(p, now_us);
			continue;
		}
		if (ev[i].data.u64 >= POLICY_MAX_CONNS)
			continue;
		idx = (int)ev[i].data.u64;
		c = &p->conns[idx];
		if (c->fd == -1)
			continue;
		if ((ev[i].events & (EPOLLERR | EPOLLHUP)) &&
		    !(ev[i].events & EPOLLIN)) {
			policy_conn_close(p, c);
			continue;
		}
		if (((ev[i].events & EPOLLIN) &&
		    policy_readable(p, c, sink, now_us) == -1) ||
		    policy_flush(p, c, idx) == -1)
			policy_conn_close(p, c);
	}
	return n > 0 ? 1 : 0;
}

static void
policy_stats(const struct input *in, struct input_stats *st)
{
	const struct policy *p = in->priv;

	*st = p->st;
}

/* A reload takes the new policy_reply and thresholds' conf at once; the
 * socket is the one of the start. */
static void
policy_reconf(struct input *in, const struct conf *c)
{
	struct policy *p = in->priv;

	if (strcmp(c->policy_listen, p->listen) != 0)
		log_warnx("policy_listen changed: it takes effect at the next "
		    "start (still listening on %s)", p->listen);
	p->conf = c;
}

static void
policy_close(struct input *in)
{
	struct policy *p = in->priv;
	int i;

	if (p == NULL)
		return;
	if (p->conns != NULL)
		for (i = 0; i < POLICY_MAX_CONNS; i++)
			policy_conn_close(p, &p->conns[i]);
	if (p->lfd != -1) {
		close(p->lfd);
		if (p->path[0] != '\0')
			unlink(p->path);	/* may fail once unprivileged */
	}
	if (p->in.fd != -1)
		close(p->in.fd);
	if (the_policy == p)
		the_policy = NULL;
	free(p->conns);
	free(p);
}

static const struct input_ops policy_ops = {
	.name = "policy",
	.read = policy_read,
	.stats = policy_stats,
	.reconf = policy_reconf,
	.close = policy_close,
};

/* The group of the unix socket, by name or number; -1 unknown. */
static int
policy_gid(const char *name, gid_t *gid)
{
	struct group *gr;
	char *end;
	unsigned long n;

	if (isdigit((unsigned char)name[0])) {
		n = strtoul(name, &end, 10);
		if (*end != '\0' || n >= UINT32_MAX)
			return -1;
		*gid = (gid_t)n;
		return 0;
	}
	if ((gr = getgrnam(name)) == NULL)
		return -1;
	*gid = gr->gr_gid;
	return 0;
}

static int
policy_listen_unix(struct policy *p, const struct mta_listen *l, char *err,
    size_t errlen)
{
	char why[256];
	gid_t gid = (gid_t)-1;

	if (p->conf->policy_group[0] != '\0' &&
	    policy_gid(p->conf->policy_group, &gid) == -1) {
		snprintf(err, errlen, "policy_group: unknown group %s",
		    p->conf->policy_group);
		return -1;
	}
	p->lfd = sock_listen_unix(l->path, gid, why, sizeof(why));
	if (p->lfd == SOCK_LISTEN_BUSY)
		snprintf(err, errlen, "policy_listen: another process answers "
		    "on %s", l->path);
	else if (p->lfd == -1)
		snprintf(err, errlen, "policy_listen: %s", why);
	if (p->lfd < 0) {
		p->lfd = -1;
		return -1;
	}
	snprintf(p->path, sizeof(p->path), "%s", l->path);
	return 0;
}

static int
policy_listen_inet(struct policy *p, const struct mta_listen *l)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int one = 1;

	memset(&ss, 0, sizeof(ss));
	if (l->family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(l->port);
		memcpy(&sin->sin_addr, l->addr.b, 4);
		len = sizeof(*sin);
	} else {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(l->port);
		memcpy(&sin6->sin6_addr, l->addr.b, 16);
		len = sizeof(*sin6);
	}
	if ((p->lfd = socket(l->family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1 ||
	    setsockopt(p->lfd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) == -1 ||
	    bind(p->lfd, (struct sockaddr *)&ss, len) == -1)
		return -1;
	return 0;
}

struct input *
input_policy_open(const struct conf *cf, char *err, size_t errlen)
{
	struct epoll_event ev = { .events = EPOLLIN,
	    .data.u64 = POLICY_LISTENER };
	struct mta_listen l;
	struct policy *p;
	int i, rv;

	if (mta_listen_parse(cf->policy_listen, &l, err, errlen) == -1)
		return NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->conns = calloc(POLICY_MAX_CONNS, sizeof(*p->conns))) == NULL) {
		free(p);
		snprintf(err, errlen, "policy: out of memory");
		return NULL;
	}
	p->conf = cf;
	snprintf(p->listen, sizeof(p->listen), "%s", cf->policy_listen);
	p->lfd = p->in.fd = -1;
	p->in.ops = &policy_ops;
	p->in.priv = p;
	p->st.kind = INPUT_POLICY;
	p->st.unit = "requests";
	p->st.group = -1;
	for (i = 0; i < POLICY_MAX_CONNS; i++)
		p->conns[i].fd = -1;
	err[0] = '\0';
	rv = l.family == AF_UNIX ? policy_listen_unix(p, &l, err, errlen) :
	    policy_listen_inet(p, &l);
	if (rv == -1 || (l.family != AF_UNIX && listen(p->lfd, 128) == -1) ||
	    (p->in.fd = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    epoll_ctl(p->in.fd, EPOLL_CTL_ADD, p->lfd, &ev) == -1)
		goto fail;
	if (!policy_ticking) {
		if (loop_every(POLICY_TICK_US, policy_tick) == -1) {
			snprintf(err, errlen, "policy: no loop timer left");
			goto fail;
		}
		policy_ticking = true;
	}
	the_policy = p;
	log_info("policy service listening on %s", cf->policy_listen);
	return &p->in;
fail:
	if (err[0] == '\0')
		snprintf(err, errlen, "policy_listen %s: %s",
		    cf->policy_listen, strerror(errno));
	policy_close(&p->in);
	return NULL;
}
