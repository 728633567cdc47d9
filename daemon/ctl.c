/*
 * ctl.c: the control socket server (status, list, block, unblock).
 *
 * Clients are untrusted and may be slow, hostile or numerous, and the
 * daemon must keep capturing whatever they do.  So every client socket is
 * non-blocking, lives in a fixed table of CTL_MAX_CLIENTS slots (when
 * they are all taken, a new connection takes the slot of the oldest client
 * that has no reply under way, so idle connections cannot starve the
 * others; with no such client it is closed at once), has a bounded input
 * buffer (one
 * request) and one pending reply, and a deadline: a client that does not
 * finish its request, or take the next part of its reply, within
 * CTL_IDLE_US is dropped.  status and list stream (listing.c): their rows
 * are written into a buffer of CTL_WBUF bytes only when the client has
 * taken the last one, so a slow reader costs neither time nor memory
 * beyond that buffer and its listing's snapshot of keys; at most
 * CTL_MAX_LISTINGS full listings run at once (their snapshots are the
 * size of the block list), a further one waits for a free place.
 * Garbage, an oversized length or a short message closes that client only.
 * All descriptors sit in a private epoll instance so the main loop watches
 * one fd.  Who may do what is decided from the peer's credentials as the
 * kernel reports them (SO_PEERCRED, SO_PEERGROUPS), never from the request.
 */
#define _GNU_SOURCE
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"

#define CTL_MAX_CLIENTS		64
#define CTL_IDLE_US		(5 * US_PER_S)
#define CTL_ACCEPT_BURST	128	/* accepts per dispatch */
#define CTL_EVENTS		16
#define CTL_TOP			10	/* top talkers in status */
#define CTL_LISTENER		UINT64_MAX
#define CTL_WBUF		(64 * 1024)	/* a streamed reply's buffer */
#define CTL_MAX_LISTINGS	4	/* full listings at once */
#define CTL_FILLS		4	/* buffers sent per event, at most */

/*
 * A client slot: fd -1 when free.  rbuf holds at most one request
 * (PROTO_HDR_LEN + PROTO_MAX_MSG bytes); while wbuf holds a reply, or a
 * listing has more of it, the client is not read from, so a client has at
 * most one reply in flight.  wbuf[woff..wlen) is still to send, wcap its
 * size; a listing refills it once it is all sent.  waiting: a full
 * listing asked for (wreq) while CTL_MAX_LISTINGS run; not read from.
 */
struct ctl_client {
	int		 fd;
	uid_t		 uid;
	bool		 reader;	/* may status, list */
	bool		 admin;		/* may block, unblock */
	int64_t		 deadline_us;	/* monotonic */
	uint8_t		*rbuf;
	size_t		 rlen;
	uint8_t		*wbuf;
	size_t		 wlen, woff, wcap;
	struct listing	*listing;
	bool		 full;		/* listing of every block */
	bool		 waiting;
	struct proto_request wreq;
};

/* A group of the config resolved to a gid; name "" is no group. */
struct ctl_group {
	char		 name[64];
	bool		 valid;
	gid_t		 gid;
};

struct ctl {
	struct daemon	*d;
	int		 epfd;
	int		 lfd;
	char		 path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct ctl_group socket_group, admin_group;
	struct ctl_client clients[CTL_MAX_CLIENTS];
	int		 nfull;		/* full listings running */
};

/* Resolves a group name or number, caching it for the unchanged name. */
static bool
ctl_group_gid(struct ctl_group *g, const char *name, gid_t *gid)
{
	struct group *gr;
	char *end;
	unsigned long n;

	if (name[0] == '\0')
		return false;
	if (strcmp(g->name, name) != 0) {
		snprintf(g->name, sizeof(g->name), "%s", name);
		g->valid = false;
		if (isdigit((unsigned char)name[0])) {
			n = strtoul(name, &end, 10);
			if (*end == '\0' && n < UINT32_MAX) {
				g->gid = (gid_t)n;
				g->valid = true;
			}
		} else if ((gr = getgrnam(name)) != NULL) {
			g->gid = gr->gr_gid;
			g->valid = true;
		}
		if (!g->valid)
			log_warnx("control: unknown group %s", name);
	}
	*gid = g->gid;
	return g->valid;
}

/* Does the peer of fd belong to gid by its primary or supplementary groups? */
static bool
peer_in_group(int fd, gid_t primary, gid_t gid)
{
	gid_t small[64], *groups = small;
	socklen_t len = sizeof(small);
	bool found = false;
	size_t i;

	if (primary == gid)
		return true;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == -1) {
		if (errno != ERANGE || len == 0 || len > 65536 * sizeof(gid_t) ||
		    (groups = malloc(len)) == NULL)
			return false;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len)
		    == -1) {
			free(groups);
			return false;
		}
	}
	for (i = 0; i < len / sizeof(gid_t); i++)
		if (groups[i] == gid)
			found = true;
	if (groups != small)
		free(groups);
	return found;
}

/* Frees the client's listing, if any, and its place among the full ones. */
static void
ctl_listing_end(struct ctl *c, struct ctl_client *cl)
{
	if (cl->listing != NULL && cl->full)
		c->nfull--;
	listing_free(cl->listing);
	cl->listing = NULL;
	cl->full = false;
}

static void
ctl_client_close(struct ctl *c, struct ctl_client *cl)
{
	if (cl->fd == -1)
		return;
	epoll_ctl(c->epfd, EPOLL_CTL_DEL, cl->fd, NULL);
	close(cl->fd);
	ctl_listing_end(c, cl);
	free(cl->rbuf);
	free(cl->wbuf);
	memset(cl, 0, sizeof(*cl));
	cl->fd = -1;
}

/*
 * A free slot, else the slot of the oldest client with no reply under way
 * (silent, or its request unfinished), closed for the newcomer: -1 when
 * every client is being answered.
 */
static int
ctl_slot(struct ctl *c)
{
	struct ctl_client *cl;
	int i, old = -1;

	for (i = 0; i < CTL_MAX_CLIENTS; i++) {
		cl = &c->clients[i];
		if (cl->fd == -1)
			return i;
		if (cl->wbuf != NULL || cl->listing != NULL || cl->waiting)
			continue;
		if (old == -1 || cl->deadline_us < c->clients[old].deadline_us)
			old = i;
	}
	if (old != -1)
		ctl_client_close(c, &c->clients[old]);
	return old;
}

static void ctl_readable(struct ctl *, struct ctl_client *, int);

static void
ctl_accept(struct ctl *c)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct ctl_client *cl;
	struct ucred cred;
	socklen_t len;
	gid_t gid;
	int fd, n, i;

	for (n = 0; n < CTL_ACCEPT_BURST; n++) {
		if ((fd = sock_accept(c->lfd, "control")) == -1)
			return;
		if ((i = ctl_slot(c)) == -1) {
			close(fd);
			continue;
		}
		len = sizeof(cred);
		if (i == CTL_MAX_CLIENTS || getsockopt(fd, SOL_SOCKET,
		    SO_PEERCRED, &cred, &len) == -1) {
			close(fd);
			continue;
		}
		cl = &c->clients[i];
		memset(cl, 0, sizeof(*cl));
		cl->fd = fd;
		cl->uid = cred.uid;
		cl->admin = cred.uid == 0 ||
		    (ctl_group_gid(&c->admin_group, c->d->conf->admin_group,
		    &gid) && peer_in_group(fd, cred.gid, gid));
		cl->reader = cl->admin ||
		    (ctl_group_gid(&c->socket_group, c->d->conf->socket_group,
		    &gid) && peer_in_group(fd, cred.gid, gid));
		cl->deadline_us = clock_mono_us() + CTL_IDLE_US;
		ev.data.u64 = (uint64_t)i;
		if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, fd, &ev) == -1) {
			log_warn("control: epoll_ctl");
			ctl_client_close(c, cl);
			continue;
		}
		/* A request that came with the connection is served now,
		 * before later connections of this burst may need the slot. */
		ctl_readable(c, cl, i);
	}
}

static const char *
cmd_word(enum proto_cmd cmd)
{
	return cmd == PROTO_BLOCK ? "block" : "unblock";
}

static json_t *
ctl_do_block(struct ctl *c, const struct proto_request *r)
{
	struct daemon *d = c->d;
	struct block b;
	char err[256];
	int64_t timeout_us, now_us = clock_wall_us();
	struct block *nb;
	json_t *o;

	memset(&b, 0, sizeof(b));
	if (key_parse(r->source, d->conf->ipv6_prefix, &b.key, err,
	    sizeof(err)) == -1)
		return proto_error("%s", err);
	timeout_us = r->has_timeout ? r->timeout_us : d->conf->timeout_us;
	b.rule = RULE_MANUAL;
	b.action = ACT_BLOCK;
	b.since_us = now_us;
	b.expires_us = timeout_us == DURATION_PERMANENT ||
	    timeout_us > DURATION_PERMANENT - now_us ? DURATION_PERMANENT :
	    now_us + timeout_us;
	b.strikes = engine_strikes(d->engine, &b.key, clock_mono_us());
	snprintf(b.reason, sizeof(b.reason), "%s", r->reason);
	if (act_block(d, &b, timeout_us, err, sizeof(err)) == -1)
		return proto_error("%s", err);
	/* The record as act_block left it (enforced, strikes). */
	if ((o = json_pack("{s:b}", "ok", 1)) != NULL &&
	    (nb = blocks_find(d->blocks, &b.key)) != NULL)
		json_object_set_new(o, "block", proto_block_json(nb,
		    engine_attempts(d->engine, &b.key)));
	return o;
}

static json_t *
ctl_do_unblock(struct ctl *c, const struct proto_request *r)
{
	struct key k;
	char err[256];

	if (key_parse(r->source, c->d->conf->ipv6_prefix, &k, err,
	    sizeof(err)) == -1)
		return proto_error("%s", err);
	if (act_unblock(c->d, &k, "manual", err, sizeof(err)) == -1)
		return proto_error("%s", err);
	return json_pack("{s:b}", "ok", 1);
}

/* Answers a request that is not a listing. */
static json_t *
ctl_answer(struct ctl *c, struct ctl_client *cl, const struct proto_request *r)
{
	const char *g;

	switch (r->cmd) {
	case PROTO_STATUS:
	case PROTO_LIST:
		return proto_error("permission denied: %s needs root "
		    "or group %s", r->cmd == PROTO_STATUS ? "status" :
		    "list", c->d->conf->socket_group[0] != '\0' ?
		    c->d->conf->socket_group : c->d->conf->admin_group);
	case PROTO_BLOCK:
	case PROTO_UNBLOCK:
		if (!cl->admin) {
			g = c->d->conf->admin_group;
			return proto_error("permission denied: %s needs root%s%s",
			    cmd_word(r->cmd), *g != '\0' ? " or group " : "", g);
		}
		if (r->cmd == PROTO_BLOCK)
			return ctl_do_block(c, r);
		return ctl_do_unblock(c, r);
	}
	return proto_error("unknown command");
}

/* Puts reply, packed, as the client's pending message; -1: drop it. */
static int
ctl_reply(struct ctl_client *cl, json_t *reply)
{
	uint8_t *m;
	size_t mlen;
	int rv;

	if (reply == NULL)
		reply = proto_error("out of memory");
	if (reply == NULL)
		return -1;
	rv = proto_pack(reply, PROTO_MAX_REPLY, &m, &mlen);
	json_decref(reply);
	if (rv == -1)
		return -1;
	free(cl->wbuf);
	cl->wbuf = m;
	cl->wlen = cl->wcap = mlen;
	cl->woff = 0;
	return 0;
}

/*
 * Starts a status or list reply: the header now (with the status fields
 * and the count of blocks held), the rows as the client takes them.  A
 * full listing beyond CTL_MAX_LISTINGS waits.  -1: drop the client.
 */
static int
ctl_listing_start(struct ctl *c, struct ctl_client *cl,
    const struct proto_request *r)
{
	json_t *o;

	if (r->recent == 0 && c->nfull >= CTL_MAX_LISTINGS) {
		cl->waiting = true;
		cl->wreq = *r;
		return 0;
	}
	cl->waiting = false;
	if ((cl->listing = listing_new(c->d->blocks, r->recent)) == NULL)
		return ctl_reply(cl, proto_error("out of memory"));
	cl->full = r->recent == 0;
	if (cl->full)
		c->nfull++;
	o = r->cmd == PROTO_STATUS ? ctl_status_json(c->d) : json_object();
	if (o == NULL || json_object_set_new(o, "ok", json_true()) == -1 ||
	    json_object_set_new(o, "stream", json_true()) == -1 ||
	    json_object_set_new(o, "count", json_integer((json_int_t)
	    listing_held(cl->listing))) == -1) {
		/* An error instead, and no rows after it. */
		json_decref(o);
		o = NULL;
		ctl_listing_end(c, cl);
	}
	return ctl_reply(cl, o);
}

/* The next buffer of a listing, once the last one is sent: 0, or -1. */
static int
ctl_listing_fill(struct ctl *c, struct ctl_client *cl)
{
	uint8_t *w;
	int rv;

	cl->wlen = cl->woff = 0;
	if (cl->wcap < CTL_WBUF) {
		if ((w = realloc(cl->wbuf, CTL_WBUF)) == NULL)
			return -1;
		cl->wbuf = w;
		cl->wcap = CTL_WBUF;
	}
	if ((rv = listing_fill(cl->listing, c->d, cl->wbuf, &cl->wlen,
	    cl->wcap)) == -1)
		return -1;
	/* The client took a whole buffer: that is progress. */
	cl->deadline_us = clock_mono_us() + CTL_IDLE_US;
	if (rv == 1)
		ctl_listing_end(c, cl);
	return 0;
}

/*
 * Sends what can be sent of the pending reply, refilling from the
 * client's listing (at most CTL_FILLS buffers an event, so one fast reader
 * does not hold the loop); then waits for the client to be writable, or
 * once the reply is over, for its next request.  -1: drop the client.
 */
static int
ctl_flush(struct ctl *c, struct ctl_client *cl, int idx)
{
	struct epoll_event ev = { .data.u64 = (uint64_t)idx };
	int fills = 0;
	ssize_t n;

	for (;;) {
		if (cl->woff == cl->wlen) {
			if (cl->listing == NULL)
				break;
			if (fills++ == CTL_FILLS) {
				ev.events = EPOLLOUT;
				return epoll_ctl(c->epfd, EPOLL_CTL_MOD,
				    cl->fd, &ev);
			}
			if (ctl_listing_fill(c, cl) == -1)
				return -1;
			continue;
		}
		n = send(cl->fd, cl->wbuf + cl->woff, cl->wlen - cl->woff,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN) {
			ev.events = EPOLLOUT;
			return epoll_ctl(c->epfd, EPOLL_CTL_MOD, cl->fd, &ev);
		}
		if (n <= 0)
			return -1;
		cl->woff += (size_t)n;
	}
	free(cl->wbuf);
	cl->wbuf = NULL;
	cl->wlen = cl->woff = cl->wcap = 0;
	cl->deadline_us = clock_mono_us() + CTL_IDLE_US;
	/* A waiting client is not read from: one request at a time. */
	ev.events = cl->waiting ? 0 : EPOLLIN;
	return epoll_ctl(c->epfd, EPOLL_CTL_MOD, cl->fd, &ev);
}

/* Handles the complete message at the head of rbuf; -1: drop the client. */
static int
ctl_message(struct ctl *c, struct ctl_client *cl, size_t msglen)
{
	struct proto_request r;
	json_t *req, *reply;
	char err[256];
	int rv;

	req = proto_unpack(cl->rbuf + PROTO_HDR_LEN, msglen - PROTO_HDR_LEN,
	    PROTO_MAX_MSG, err, sizeof(err));
	memmove(cl->rbuf, cl->rbuf + msglen, cl->rlen - msglen);
	cl->rlen -= msglen;
	if (req == NULL) {
		log_debug("control: uid %u: %s", (unsigned)cl->uid, err);
		return -1;
	}
	rv = proto_request_parse(req, &r, err, sizeof(err));
	json_decref(req);
	if (rv == -1)
		reply = proto_error("%s", err);
	else if ((r.cmd == PROTO_STATUS || r.cmd == PROTO_LIST) && cl->reader)
		return ctl_listing_start(c, cl, &r);
	else
		reply = ctl_answer(c, cl, &r);
	return ctl_reply(cl, reply);
}

static void
ctl_readable(struct ctl *c, struct ctl_client *cl, int idx)
{
	const size_t cap = PROTO_HDR_LEN + PROTO_MAX_MSG;
	size_t msglen;
	ssize_t n;
	int f;

	if (cl->rbuf == NULL && (cl->rbuf = malloc(cap)) == NULL) {
		ctl_client_close(c, cl);
		return;
	}
	n = recv(cl->fd, cl->rbuf + cl->rlen, cap - cl->rlen, MSG_DONTWAIT);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {		/* closed, possibly mid-message */
		ctl_client_close(c, cl);
		return;
	}
	cl->rlen += (size_t)n;
	f = proto_frame(cl->rbuf, cl->rlen, PROTO_MAX_MSG, &msglen);
	if (f == -1 || (f == 1 && (ctl_message(c, cl, msglen) == -1 ||
	    ctl_flush(c, cl, idx) == -1)))
		ctl_client_close(c, cl);
}

/* Starts the listings that wait, while there is room for them. */
static void
ctl_wake(struct ctl *c)
{
	struct ctl_client *cl;
	int i;

	for (i = 0; i < CTL_MAX_CLIENTS && c->nfull < CTL_MAX_LISTINGS; i++) {
		cl = &c->clients[i];
		if (cl->fd == -1 || !cl->waiting)
			continue;
		if (ctl_listing_start(c, cl, &cl->wreq) == -1 ||
		    ctl_flush(c, cl, i) == -1)
			ctl_client_close(c, cl);
	}
}

void
ctl_dispatch(struct ctl *c)
{
	struct epoll_event ev[CTL_EVENTS];
	struct ctl_client *cl;
	int i, n;

	n = epoll_wait(c->epfd, ev, CTL_EVENTS, 0);
	for (i = 0; i < n; i++) {
		if (ev[i].data.u64 == CTL_LISTENER) {
			ctl_accept(c);
			continue;
		}
		if (ev[i].data.u64 >= CTL_MAX_CLIENTS)
			continue;
		cl = &c->clients[ev[i].data.u64];
		if (cl->fd == -1)
			continue;
		if (ev[i].events & (EPOLLERR | EPOLLHUP) &&
		    !(ev[i].events & EPOLLIN)) {
			ctl_client_close(c, cl);
			continue;
		}
		if (cl->wbuf != NULL || cl->listing != NULL) {
			if (ctl_flush(c, cl, (int)ev[i].data.u64) == -1)
				ctl_client_close(c, cl);
		} else if (ev[i].events & EPOLLIN)
			ctl_readable(c, cl, (int)ev[i].data.u64);
	}
	ctl_wake(c);
}

void
ctl_tick(struct ctl *c)
{
	int64_t now = clock_mono_us();
	int i;

	/* A client waiting for a listing's place is not idle. */
	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		if (c->clients[i].fd != -1 && !c->clients[i].waiting &&
		    c->clients[i].deadline_us < now)
			ctl_client_close(c, &c->clients[i]);
	ctl_wake(c);
}

int
ctl_fd(const struct ctl *c)
{
	return c->epfd;
}

/* Creates the parent directories of path (0755) that are missing. */
static int
mkdir_parents(const char *path)
{
	char dir[sizeof(((struct ctl *)0)->path)];
	char *p;

	snprintf(dir, sizeof(dir), "%s", path);
	for (p = dir + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(dir, 0755) == -1 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return 0;
}

struct ctl *
ctl_open(struct daemon *d, char *err, size_t errlen)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = CTL_LISTENER };
	const char *path = d->conf->control_socket;
	struct ctl *c;
	struct ctl_group sockgrp = { .name = "" };
	const char *group;
	char why[256];
	gid_t gid = (gid_t)-1;
	int i;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->d = d;
	c->lfd = c->epfd = -1;
	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		c->clients[i].fd = -1;
	/* Without socket_group, admins still need to connect. */
	group = d->conf->socket_group[0] != '\0' ? d->conf->socket_group :
	    d->conf->admin_group;
	if (group[0] != '\0' && !ctl_group_gid(&sockgrp, group, &gid)) {
		snprintf(err, errlen, "unknown group %s", group);
		goto fail;
	}
	if (mkdir_parents(path) == -1) {
		snprintf(err, errlen, "control socket %s: %s", path,
		    strerror(errno));
		goto fail;
	}
	c->lfd = sock_listen_unix(path, gid, why, sizeof(why));
	if (c->lfd < 0) {
		if (c->lfd == SOCK_LISTEN_BUSY)
			snprintf(err, errlen, "another nflogmon is running "
			    "(%s)", path);
		else
			snprintf(err, errlen, "control socket %s", why);
		c->lfd = -1;
		goto fail;
	}
	snprintf(c->path, sizeof(c->path), "%s", path);
	if ((c->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    epoll_ctl(c->epfd, EPOLL_CTL_ADD, c->lfd, &ev) == -1) {
		snprintf(err, errlen, "control socket %s: %s", path,
		    strerror(errno));
		goto fail;
	}
	return c;
fail:
	ctl_close(c);
	return NULL;
}

void
ctl_close(struct ctl *c)
{
	int i;

	if (c == NULL)
		return;
	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		ctl_client_close(c, &c->clients[i]);
	if (c->lfd != -1) {
		close(c->lfd);
		if (c->path[0] != '\0')
			unlink(c->path);
	}
	if (c->epfd != -1)
		close(c->epfd);
	free(c);
}
