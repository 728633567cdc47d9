/*
 * input_nflog.c: the live input from the kernel's NFLOG groups
 * (libnetfilter_log).  One input, and one netlink socket, per group
 * (forward_group, output_group), so each has its own receive buffer, its
 * own sequence numbers and its own ENOBUFS.  Each message becomes one
 * pkt_decode_ip + pkt_event; the events of one datagram go to the sink
 * together.  It never calls the engine or the act path: the sink does.
 * Untrusted bytes are only ever read by pkt_decode_ip; a message without
 * a payload is counted malformed, never trusted.  The functions here are
 * prefixed capture_: nflog_* belongs to the library.
 *
 * Settings per group (NOTES.md): copy mode packet with a range of 256
 * bytes (IPv6 extension headers fit); flag SEQ (per-group sequence
 * numbers: the only true count of lost messages); no flag is needed for the
 * UID: the kernel adds it to every message whose packet has a local socket
 * (the output hook); a 128 KiB netlink buffer; a 16 MiB socket
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
 * wobbles).  A rate that jumps is also followed between ticks, upwards,
 * once 5 ms of it were measured (capture_ramp): the first 100 ms of a
 * flood at threshold 1 overflowed the receive buffer.
 *
 * While the daemon starts, nobody reads: the group is bound early (what
 * arrives meanwhile is queued, not lost) at the batch threshold, and
 * capture_start, when the loop is about to run, brings it to 1 unless a
 * backlog is already waiting.  The receive buffer's limit counts each
 * datagram's whole size, so a message alone costs more of it than its
 * share of a batch, and once the buffer overflows the kernel drops every
 * message until the queue is read empty.  At 450k SYN/s, a start held up
 * 300 ms lost 73,000 messages at threshold 1; at the batch threshold,
 * none (measured with bench/live.sh's flood).
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
#include <stdlib.h>
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
#define CAPTURE_RCVBUF		(16 * 1024 * 1024)
#define CAPTURE_BATCH		64		/* datagrams per loop turn */
#define CAPTURE_TIMEOUT_10MS	1		/* flush timeout, 1/100 s */
#define CAPTURE_QTHRESH_MAX	128
#define CAPTURE_TICK_US		(100 * 1000)
#define CAPTURE_RAMP_US		(5 * 1000)	/* capture_ramp */
#define CAPTURE_WARN_US		(10 * US_PER_S)

#ifndef SOL_NETLINK
#define SOL_NETLINK		270
#endif

/* Events of one datagram at most (a 128 KiB datagram of ~100-byte
 * messages), handed to the sink in one call. */
#define CAPTURE_EVBATCH		1024

/*
 * Invariant: a group with h != NULL is bound; in.fd is its socket.
 * ev[0..nev) are the events of the datagram being read.
 */
struct capture_group {
	struct input		 in;
	const struct conf	*conf;
	struct nflog_handle	*h;
	struct nflog_g_handle	*gh;
	int			 fd;
	struct input_stats	 st;
	struct input_stats	*stats;		/* = &st */
	const struct event_sink	*sink;		/* during read */
	struct event		 ev[CAPTURE_EVBATCH];
	size_t			 nev;
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

static struct capture_group	*groups[2];
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

static void
capture_flush(struct capture_group *g)
{
	if (g->nev > 0 && g->sink != NULL)
		g->sink->put(g->sink->arg, g->ev, g->nev);
	g->nev = 0;
}

/* The library's per-message callback: one message, at most one event. */
static int
capture_message(struct nflog_g_handle *gh, struct nfgenmsg *nfmsg,
    struct nflog_data *nfd, void *arg)
{
	struct capture_group *g = arg;
	struct pkt p;
	enum pkt_result r;
	char *payload;
	uint32_t uid;
	int len;

	(void)gh;
	(void)nfmsg;
	g->stats->records++;
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
	if (g->nev == CAPTURE_EVBATCH)
		capture_flush(g);
	r = pkt_event(g->conf, &p, r, g->now_us, &g->ev[g->nev]);
	if (r == PKT_OK) {
		g->stats->events++;
		g->nev++;
	} else if (r == PKT_IGNORED)
		g->stats->ignored++;
	else
		g->stats->malformed++;
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

static void	capture_ramp(struct capture_group *);

/* The input's read: drains the socket in a bounded batch; the events of
 * each datagram reach the sink as soon as it is parsed. */
static int
capture_read(struct input *in, const struct event_sink *sink)
{
	struct capture_group *g = in->priv;
	ssize_t n;
	int i;

	g->sink = sink;
	for (i = 0; i < CAPTURE_BATCH; i++) {
		n = recv(g->fd, capture_buf, sizeof(capture_buf), MSG_DONTWAIT);
		g->now_us = clock_mono_us();
		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				capture_ramp(g);
				return i > 0;
			}
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				capture_overflow(g);
				continue;
			}
			log_warn("NFLOG group %d: recv", g->stats->group);
			return -1;
		}
		if (capture_error(g, capture_buf, (size_t)n))
			continue;
		/* -1 here is no error of ours: the library answers the
		 * NLMSG_DONE that ends every batch of more than one message
		 * with -1/EAGAIN, after every message reached
		 * capture_message.  (Measured: 302000 callbacks and
		 * sequence numbers for 302000 logged packets.) */
		(void)nflog_handle_packet(g->h, capture_buf, (int)n);
		capture_flush(g);
	}
	capture_ramp(g);
	return 1;
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

/* Measures g's rate since its last measure and moves its threshold
 * there (hysteresis: by a factor of 2 or more; up only if up_only). */
static void
capture_adapt(struct capture_group *g, int64_t now_us, bool up_only)
{
	uint32_t t;

	/* Too short to measure: the first tick may fall due right after
	 * capture_start, with a slow start behind it. */
	if (now_us - g->tick_us < CAPTURE_RAMP_US)
		return;
	t = capture_target(g->tick_msgs, now_us - g->tick_us);
	if (up_only && t < g->qthresh * 2)
		return;
	g->tick_msgs = 0;
	g->tick_us = now_us;
	if (t < g->qthresh * 2 && t * 2 > g->qthresh)
		return;
	if (capture_set_qthresh(g, t) == -1) {
		log_warn("NFLOG group %d: cannot set queue threshold "
		    "%" PRIu32, g->stats->group, t);
		return;
	}
	log_debug("NFLOG group %d: queue threshold %" PRIu32 " -> %"
	    PRIu32, g->stats->group, g->qthresh, t);
	g->cfg_prev = g->qthresh;
	g->qthresh = t;
}

/*
 * A rate that jumps is followed within CAPTURE_RAMP_US of the last
 * measure, not at the next tick: a flood of 400,000 messages/s met with a
 * threshold of 1 for up to 100 ms is 40,000 datagrams, more than the
 * receive buffer holds, lost where a fixed batching consumer loses none.
 * Upwards only (the tick brings the threshold down); usually one step,
 * straight to the rate's threshold.
 */
static void
capture_ramp(struct capture_group *g)
{
	if (g->h != NULL)
		capture_adapt(g, g->now_us, true);
}

/* Every 100 ms: adapts each group's queue threshold to its rate. */
static void
capture_tick(struct daemon *d, int64_t now_us)
{
	int i;

	(void)d;
	for (i = 0; i < ngroups; i++)
		if (groups[i]->h != NULL)
			capture_adapt(groups[i], now_us, false);
}

static void
capture_group_close(struct capture_group *g)
{
	if (g->gh != NULL)
		(void)nflog_unbind_group(g->gh);
	if (g->h != NULL)
		nflog_close(g->h);
	g->h = NULL;
	g->gh = NULL;
}

static void
capture_stats_of(const struct input *in, struct input_stats *st)
{
	const struct capture_group *g = in->priv;

	*st = g->st;
}

static void
capture_reconf(struct input *in, const struct conf *c)
{
	((struct capture_group *)in->priv)->conf = c;
}

/* Ends the group; the caller has taken its fd out of the loop. */
static void
capture_close_input(struct input *in)
{
	struct capture_group *g = in->priv;
	int i, j;

	capture_group_close(g);
	for (i = j = 0; i < ngroups; i++)
		if (groups[i] != g)
			groups[j++] = groups[i];
	ngroups = j;
	free(g);
}

static const struct input_ops capture_ops = {
	.name = "nflog",
	.read = capture_read,
	.stats = capture_stats_of,
	.reconf = capture_reconf,
	.close = capture_close_input,
};

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
capture_group_open(struct capture_group *g, int group, char *err,
    size_t errlen)
{
	int rcvbuf = CAPTURE_RCVBUF, off = 0;

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
	    nflog_set_qthresh(g->gh, CAPTURE_QTHRESH_MAX) == -1 ||
	    nflog_set_timeout(g->gh, CAPTURE_TIMEOUT_10MS) == -1) {
		snprintf(err, errlen, "cannot configure NFLOG group %d: %s",
		    group, strerror(errno));
		goto fail;
	}
	g->qthresh = CAPTURE_QTHRESH_MAX;
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
	g->tick_us = clock_mono_us();
	return 0;
fail:
	capture_group_close(g);
	return -1;
}

struct input *
input_nflog_open(const struct conf *c, int group, enum input_kind kind,
    char *err, size_t errlen)
{
	struct capture_group *g;

	if (ngroups == (int)(sizeof(groups) / sizeof(groups[0]))) {
		snprintf(err, errlen, "NFLOG group %d: too many groups", group);
		return NULL;
	}
	if ((g = calloc(1, sizeof(*g))) == NULL) {
		snprintf(err, errlen, "NFLOG group %d: out of memory", group);
		return NULL;
	}
	g->conf = c;
	g->stats = &g->st;
	g->st.kind = kind;
	g->st.unit = "packets";
	g->st.group = group;
	if (capture_group_open(g, group, err, errlen) == -1) {
		free(g);
		return NULL;
	}
	if (ngroups == 0 && loop_every(CAPTURE_TICK_US, capture_tick) == -1) {
		snprintf(err, errlen, "no timer slot for capture");
		capture_group_close(g);
		free(g);
		return NULL;
	}
	g->in.ops = &capture_ops;
	g->in.fd = g->fd;
	g->in.priv = g;
	groups[ngroups++] = g;
	log_info("capturing NFLOG group %d (%s)", group,
	    input_kind_name(kind));
	return &g->in;
}

int
capture_fds(int *fds, int max)
{
	int i, n = 0;

	for (i = 0; i < ngroups && n < max; i++)
		if (groups[i]->h != NULL)
			fds[n++] = groups[i]->fd;
	return n;
}

/* The loop is about to run: each group idle until now goes to threshold
 * 1 (lowest latency); one with a backlog keeps batching, and the ramp and
 * the tick follow its rate from here.  See the top of the file. */
void
capture_start(void)
{
	struct pollfd pfd;
	struct capture_group *g;
	int i;

	for (i = 0; i < ngroups; i++) {
		g = groups[i];
		if (g->h == NULL)
			continue;
		g->tick_us = clock_mono_us();
		g->tick_msgs = 0;
		pfd.fd = g->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 0) != 0) {
			log_debug("NFLOG group %d: a backlog at start, queue "
			    "threshold stays %" PRIu32, g->stats->group,
			    g->qthresh);
			continue;
		}
		if (capture_set_qthresh(g, 1) == -1) {
			log_warn("NFLOG group %d: cannot set queue threshold 1",
			    g->stats->group);
			continue;
		}
		log_debug("NFLOG group %d: queue threshold %" PRIu32 " -> 1 "
		    "(started)", g->stats->group, g->qthresh);
		g->cfg_prev = g->qthresh;
		g->qthresh = 1;
	}
}
