/*
 * nflog.c: live capture from the kernel's NFLOG groups (libnetfilter_log).
 * One netlink socket per group (forward_group, output_group), so each has
 * its own receive buffer, its own sequence numbers and its own ENOBUFS.
 * Each message becomes one pkt_decode_ip + engine_feed; a verdict goes to
 * daemon_verdict.  Untrusted bytes are only ever read by pkt_decode_ip;
 * a message without a payload is fed as PKT_MALFORMED (counted, never
 * trusted).  The functions here are prefixed capture_: nflog_* belongs to
 * the library.
 *
 * Settings per group (NOTES.md): copy mode packet with a range of 256
 * bytes (IPv6 extension headers fit); flag SEQ (per-group sequence
 * numbers: the only true count of lost messages); no flag is needed for the
 * UID: the kernel adds it to every message whose packet has a local socket
 * (the output hook); a 128 KiB netlink buffer; an 8 MiB socket
 * receive buffer by SO_RCVBUFFORCE (needs CAP_NET_ADMIN, so this runs
 * before the privilege drop; falls back to SO_RCVBUF with a warning);
 * NETLINK_NO_ENOBUFS off, so overflows are reported.
 *
 * Loss accounting: a message whose sequence number is not last + 1 opens a
 * gap: seq_gaps++ and dropped += the missing count (a gap shows only when
 * the next message arrives).  recv failing with ENOBUFS is one overflow
 * episode: enobufs++, and a warning at most every 10 s.
 *
 * Adaptive queue threshold.  The kernel sends a group's messages to us in
 * batches of qthresh messages, or when the flush timeout expires.  A
 * threshold of 1 gives the lowest latency but costs the kernel ~25% of its
 * forwarding rate under a flood; 64-256 is throughput-optimal.  So the
 * threshold follows the rate: every 100 ms we measure each group's message
 * rate and choose
 *
 *	qthresh = rate x 0.5 ms, clamped to [1, 128]
 *
 * so a full batch takes about half a millisecond to fill at the current
 * rate and the 1 ms median latency goal holds at any rate, while a flood
 * gets batches of 128.  The flush timeout is set once to its minimum
 * (1 = 10 ms), so a partial batch after a rate drop never waits longer.  A
 * new threshold is applied only when it differs from the current one by a
 * factor of 2 or more (hysteresis: no netlink chatter when the rate
 * wobbles).  At start the threshold is 1.
 *
 * A run-time threshold change is one NFULNL_MSG_CONFIG message sent on the
 * group's own socket (the kernel ties the instance to the socket's portid)
 * without NLM_F_ACK, and nothing is waited for: the library's
 * nflog_set_qthresh waits for the ack and meanwhile hands packet messages
 * to a callback path that stops at the first one, so the rest of their
 * batch was lost.  Now every packet message is read by capture_read alone.
 * The kernel answers only an error, as an NLMSG_ERROR datagram of its
 * own, which capture_read logs (and then forgets the change).
 *
 * Draining: a readable socket is read with MSG_DONTWAIT until EAGAIN, but
 * at most CAPTURE_BATCH datagrams per loop iteration, so the control
 * socket is served even under a flood.  Events are stamped with
 * clock_mono_us() once per datagram (its messages arrived together).
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/netlink.h>
#include <cap-ng.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_log/libnetfilter_log.h>

#include "daemon.h"

#define CAPTURE_RANGE		256		/* bytes copied per packet */
#define CAPTURE_NLBUFSIZ	(128 * 1024)
#define CAPTURE_RCVBUF		(8 * 1024 * 1024)
#define CAPTURE_BATCH		64		/* datagrams per loop turn */
#define CAPTURE_TIMEOUT_10MS	1		/* flush timeout, 1/100 s */
#define CAPTURE_QTHRESH_MAX	128
#define CAPTURE_TICK_US		(100 * 1000)
#define CAPTURE_WARN_US		(10 * US_PER_S)

#ifndef SOL_NETLINK
#define SOL_NETLINK		270
#endif

/*
 * Invariant: a group with h != NULL is bound and its fd is in the loop;
 * stats points into daemon.capture[] and is owned by status.
 */
struct capture_group {
	struct daemon		*d;
	struct nflog_handle	*h;
	struct nflog_g_handle	*gh;
	int			 fd;
	struct capture_stats	*stats;
	bool			 have_seq;
	uint32_t		 last_seq;
	uint32_t		 qthresh;	/* last requested */
	uint32_t		 cfg_seq;	/* of the last config message */
	uint32_t		 cfg_prev;	/* qthresh before it */
	uint64_t		 tick_msgs;	/* messages since the last tick */
	int64_t			 tick_us;
	int64_t			 warned_us;	/* last ENOBUFS warning */
	int64_t			 now_us;	/* stamp of the datagram */
};

static struct capture_group	groups[2];
static int			ngroups;
/* One datagram: the netlink buffer size bounds what the kernel sends. */
static char			capture_buf[CAPTURE_NLBUFSIZ]
				    __attribute__((aligned(8)));

static void
capture_seq(struct capture_group *g, struct nflog_data *nfd)
{
	uint32_t seq, gap;

	if (nflog_get_seq(nfd, &seq) != 0)
		return;
	if (g->have_seq && seq != g->last_seq + 1) {
		gap = seq - g->last_seq - 1;	/* modulo 2^32 */
		g->stats->seq_gaps++;
		g->stats->dropped += gap;
	}
	g->have_seq = true;
	g->last_seq = seq;
}

/* The library's per-message callback: one message, one engine event. */
static int
capture_message(struct nflog_g_handle *gh, struct nfgenmsg *nfmsg,
    struct nflog_data *nfd, void *arg)
{
	struct capture_group *g = arg;
	struct verdict v;
	struct pkt p;
	enum pkt_result r;
	char *payload;
	uint32_t uid;
	int len;

	(void)gh;
	(void)nfmsg;
	g->stats->packets++;
	g->tick_msgs++;
	capture_seq(g, nfd);

	memset(&p, 0, sizeof(p));
	len = nflog_get_payload(nfd, &payload);
	if (len <= 0)
		r = PKT_MALFORMED;
	else
		r = pkt_decode_ip((const uint8_t *)payload, (size_t)len, &p);
	p.group = g->stats->group;
	if (nflog_get_uid(nfd, &uid) == 0) {
		p.has_uid = true;
		p.uid = uid;
	}
	if (engine_feed(g->d->engine, &p, r, g->now_us, &v))
		daemon_verdict(g->d, &v);
	return 0;
}

static void
capture_overflow(struct capture_group *g)
{
	g->stats->enobufs++;
	if (g->warned_us != 0 && g->now_us - g->warned_us < CAPTURE_WARN_US)
		return;
	g->warned_us = g->now_us;
	log_warnx("NFLOG group %d: receive buffer overflow, messages lost "
	    "(%" PRIu64 " overflows, %" PRIu64 " messages known lost so far)",
	    g->stats->group, g->stats->enobufs, g->stats->dropped);
}

/*
 * A datagram that starts with NLMSG_ERROR is the kernel's answer to one of
 * our config messages (it sends no ack unless asked, and each answer is a
 * datagram of its own): logged here, never given to the library, which
 * would stop at it.  Returns true when buf was such a datagram.
 */
static bool
capture_error(struct capture_group *g, const void *buf, size_t len)
{
	const struct nlmsghdr *nlh = buf;
	const struct nlmsgerr *e;
	int n = (int)len;

	if (!mnl_nlmsg_ok(nlh, n) || nlh->nlmsg_type != NLMSG_ERROR)
		return false;
	for (; mnl_nlmsg_ok(nlh, n); nlh = mnl_nlmsg_next(nlh, &n)) {
		if (nlh->nlmsg_type != NLMSG_ERROR ||
		    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
			continue;
		e = mnl_nlmsg_get_payload(nlh);
		if (e->error == 0)
			continue;
		log_warnx("NFLOG group %d: the kernel refused a queue "
		    "threshold change: %s", g->stats->group,
		    strerror(-e->error));
		if (nlh->nlmsg_seq == g->cfg_seq)
			g->qthresh = g->cfg_prev;
	}
	return true;
}

/*
 * Sets the group's queue threshold (and the flush timeout again) with one
 * config message that asks for no ack and waits for nothing (see the top
 * of the file).  0, or -1 with errno when it could not be sent.
 */
static int
capture_set_qthresh(struct capture_group *g, uint32_t qthresh)
{
	union {
		struct nlmsghdr	 h;
		char		 b[128];	/* header + 2 attributes */
	} msg;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;
	ssize_t n;

	nlh = mnl_nlmsg_put_header(msg.b);
	nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = ++g->cfg_seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons((uint16_t)g->stats->group);
	mnl_attr_put_u32(nlh, NFULA_CFG_QTHRESH, htonl(qthresh));
	mnl_attr_put_u32(nlh, NFULA_CFG_TIMEOUT, htonl(CAPTURE_TIMEOUT_10MS));
	do
		n = sendto(g->fd, nlh, nlh->nlmsg_len, 0,
		    (struct sockaddr *)&kernel, sizeof(kernel));
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	if ((size_t)n != nlh->nlmsg_len) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

/* The loop's callback: drains one socket in a bounded batch. */
static void
capture_read(int fd, short revents, void *arg)
{
	struct capture_group *g = arg;
	ssize_t n;
	int i;

	(void)revents;
	for (i = 0; i < CAPTURE_BATCH; i++) {
		n = recv(fd, capture_buf, sizeof(capture_buf), MSG_DONTWAIT);
		g->now_us = clock_mono_us();
		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				capture_overflow(g);
				continue;
			}
			log_warn("NFLOG group %d: recv", g->stats->group);
			return;
		}
		if (capture_error(g, capture_buf, (size_t)n))
			continue;
		/* -1 here is no error of ours: the library answers the
		 * NLMSG_DONE that ends every batch of more than one message
		 * with -1/EAGAIN, after every message reached
		 * capture_message.  (Measured: 302000 callbacks and
		 * sequence numbers for 302000 logged packets.) */
		(void)nflog_handle_packet(g->h, capture_buf, (int)n);
	}
}

static uint32_t
capture_target(uint64_t msgs, int64_t elapsed_us)
{
	/* rate x 0.5 ms = msgs / elapsed_us x 500 us */
	uint64_t t;

	if (elapsed_us <= 0)
		return 1;
	t = msgs * 500 / (uint64_t)elapsed_us;
	if (t < 1)
		t = 1;
	if (t > CAPTURE_QTHRESH_MAX)
		t = CAPTURE_QTHRESH_MAX;
	return (uint32_t)t;
}

/* Every 100 ms: adapts each group's queue threshold to its rate. */
static void
capture_tick(struct daemon *d, int64_t now_us)
{
	int i;

	(void)d;
	for (i = 0; i < ngroups; i++) {
		struct capture_group *g = &groups[i];
		uint32_t t;

		if (g->h == NULL)
			continue;
		t = capture_target(g->tick_msgs, now_us - g->tick_us);
		g->tick_msgs = 0;
		g->tick_us = now_us;
		if (t < g->qthresh * 2 && t * 2 > g->qthresh)
			continue;
		if (capture_set_qthresh(g, t) == -1) {
			log_warn("NFLOG group %d: cannot set queue threshold "
			    "%" PRIu32, g->stats->group, t);
			continue;
		}
		log_debug("NFLOG group %d: queue threshold %" PRIu32 " -> %"
		    PRIu32, g->stats->group, g->qthresh, t);
		g->cfg_prev = g->qthresh;
		g->qthresh = t;
	}
}

static void
capture_group_close(struct capture_group *g)
{
	if (g->h == NULL)
		return;
	loop_del(g->fd);
	if (g->gh != NULL)
		(void)nflog_unbind_group(g->gh);
	nflog_close(g->h);
	g->h = NULL;
	g->gh = NULL;
}

/* Why nflog_bind_group failed, as one line naming the fix.  The kernel
 * answers EPERM both to a caller without CAP_NET_ADMIN and for a group
 * another socket holds (nfnetlink_log.c: peer_portid mismatch), so the
 * capability decides which. */
static void
capture_bind_error(int group, int error, char *err, size_t errlen)
{
	bool admin;

	capng_clear(CAPNG_SELECT_BOTH);
	admin = capng_get_caps_process() == 0 &&
	    capng_have_capability(CAPNG_EFFECTIVE, CAP_NET_ADMIN);
	log_debug("NFLOG group %d: bind: %s (CAP_NET_ADMIN %s)", group,
	    strerror(error), admin ? "held" : "not held");
	if ((error == EPERM || error == EBUSY) && admin)
		snprintf(err, errlen, "NFLOG group %d is already bound by "
		    "another program (ulogd? another nflogmon?)", group);
	else if (error == EPERM || error == EACCES)
		snprintf(err, errlen, "cannot bind NFLOG group %d: permission "
		    "denied (run as root or with CAP_NET_ADMIN)", group);
	else
		snprintf(err, errlen, "cannot bind NFLOG group %d: %s", group,
		    strerror(error));
}

static int
capture_group_open(struct daemon *d, struct capture_group *g, int group,
    enum capture_kind kind, char *err, size_t errlen)
{
	int rcvbuf = CAPTURE_RCVBUF, off = 0;

	memset(g, 0, sizeof(*g));
	g->d = d;
	g->stats = &d->capture[d->ncapture];
	memset(g->stats, 0, sizeof(*g->stats));
	g->stats->group = group;
	g->stats->kind = kind;
	if ((g->h = nflog_open()) == NULL) {
		snprintf(err, errlen, "cannot open an NFLOG socket: %s%s",
		    strerror(errno), errno == EPERM || errno == EACCES ?
		    " (run as root or with CAP_NET_ADMIN)" : "");
		return -1;
	}
	g->fd = nflog_fd(g->h);
	(void)fcntl(g->fd, F_SETFD, FD_CLOEXEC);
	errno = 0;
	if ((g->gh = nflog_bind_group(g->h, (uint16_t)group)) == NULL) {
		capture_bind_error(group, errno ? errno : EPERM, err, errlen);
		goto fail;
	}
	/* The callback first: the library hands packets that arrive while
	 * it waits for the acks below to it (without one they were lost). */
	if (nflog_callback_register(g->gh, capture_message, g) == -1) {
		snprintf(err, errlen, "NFLOG group %d: cannot register the "
		    "callback", group);
		goto fail;
	}
	g->now_us = clock_mono_us();
	if (nflog_set_mode(g->gh, NFULNL_COPY_PACKET, CAPTURE_RANGE) == -1 ||
	    nflog_set_flags(g->gh, NFULNL_CFG_F_SEQ) == -1 ||
	    nflog_set_nlbufsiz(g->gh, CAPTURE_NLBUFSIZ) == -1 ||
	    nflog_set_qthresh(g->gh, 1) == -1 ||
	    nflog_set_timeout(g->gh, CAPTURE_TIMEOUT_10MS) == -1) {
		snprintf(err, errlen, "cannot configure NFLOG group %d: %s",
		    group, strerror(errno));
		goto fail;
	}
	g->qthresh = 1;
	if (setsockopt(g->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
	    sizeof(rcvbuf)) == -1) {
		log_warn("NFLOG group %d: SO_RCVBUFFORCE %d (falling back to "
		    "SO_RCVBUF, capped by net.core.rmem_max; expect loss "
		    "under floods)", group, rcvbuf);
		(void)setsockopt(g->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
		    sizeof(rcvbuf));
	}
	/* Off is the kernel default; said explicitly because loss must be
	 * seen. */
	(void)setsockopt(g->fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &off,
	    sizeof(off));
	if (loop_add(g->fd, POLLIN, capture_read, g) == -1) {
		snprintf(err, errlen, "NFLOG group %d: no loop slot", group);
		goto fail;
	}
	g->tick_us = clock_mono_us();
	d->ncapture++;
	log_info("capturing NFLOG group %d (%s)", group,
	    kind == CAPTURE_FORWARD ? "forward" : "output");
	return 0;
fail:
	if (g->gh != NULL)
		(void)nflog_unbind_group(g->gh);
	g->gh = NULL;
	nflog_close(g->h);
	g->h = NULL;
	return -1;
}

int
capture_open(struct daemon *d, char *err, size_t errlen)
{
	const struct conf *c = d->conf;

	d->ncapture = 0;
	ngroups = 0;
	if (c->forward_group != CONF_GROUP_OFF) {
		if (capture_group_open(d, &groups[ngroups], c->forward_group,
		    CAPTURE_FORWARD, err, errlen) == -1)
			return -1;
		ngroups++;
	}
	if (c->output_group != CONF_GROUP_OFF) {
		if (capture_group_open(d, &groups[ngroups], c->output_group,
		    CAPTURE_OUTPUT, err, errlen) == -1) {
			capture_close(d);
			return -1;
		}
		ngroups++;
	}
	if (ngroups == 0)
		log_warnx("forward_group and output_group are both off: "
		    "nothing is captured");
	if (loop_every(CAPTURE_TICK_US, capture_tick) == -1) {
		snprintf(err, errlen, "no timer slot for capture");
		capture_close(d);
		return -1;
	}
	return 0;
}

void
capture_close(struct daemon *d)
{
	int i;

	(void)d;
	for (i = 0; i < ngroups; i++)
		capture_group_close(&groups[i]);
	ngroups = 0;
}

int
capture_fds(int *fds, int max)
{
	int i, n = 0;

	for (i = 0; i < ngroups && n < max; i++)
		if (groups[i].h != NULL)
			fds[n++] = groups[i].fd;
	return n;
}
