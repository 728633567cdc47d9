/*
 * nflog-baseline.c: the reference consumers of make bench's live rows,
 * written as plainly as libnetfilter_log allows, so that what they measure
 * is the kernel and the library, not nflogmon.  Only ever run inside the
 * bench's own network namespace (bench/live.sh).
 *
 *   nflog-baseline count GROUP SECONDS
 *	The do-nothing consumer at throughput-optimal settings: queue
 *	threshold 64, flush timeout 10 ms, 16 MiB receive buffer
 *	(SO_RCVBUFFORCE), 128 KiB netlink buffer, copy range 256, sequence
 *	numbers on.  Counts messages and sequence gaps until SIGTERM or
 *	SECONDS (at most 60), then prints
 *	"received N dropped D seq_gaps G enobufs E".
 *   nflog-baseline react GROUP SET BURST SECONDS
 *	The do-nothing blocker, the floor of the block latency: queue
 *	threshold 1 (latency optimal); counts SYNs per source (IPv4,
 *	198.51.100.0/24 only, by last octet) and on a source's (BURST+1)-th
 *	adds it to the ipset SET with libipset (type cached, one netlink
 *	round trip), then prints "ADDR T_NS": CLOCK_MONOTONIC right after
 *	the add returned.  Ends on SIGTERM or after SECONDS.
 */
#define _GNU_SOURCE
#include <sys/socket.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libnetfilter_log/libnetfilter_log.h>
#include <libipset/ipset.h>
#include <libipset/nf_inet_addr.h>

#define NLBUFSIZ	(128 * 1024)
#define RCVBUF		(16 * 1024 * 1024)
#define SECONDS_MAX	60
#define BOT_NET		0xc6336400U	/* 198.51.100.0/24 */

static volatile sig_atomic_t	stop;
static char			buf[NLBUFSIZ];

/* count */
static uint64_t	received, dropped, seq_gaps, enobufs;
static uint32_t	last_seq;
static int	have_seq;

/* react */
static struct ipset_session	*session;
static const struct ipset_type	*set_type;
static const char		*set_name;
static unsigned			 burst;
static unsigned			 seen[256];
static int64_t			 added_ns[256];

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int64_t
mono_ns(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
on_count(struct nflog_g_handle *gh, struct nfgenmsg *nfmsg,
    struct nflog_data *nfd, void *arg)
{
	uint32_t seq;

	(void)gh; (void)nfmsg; (void)arg;
	received++;
	if (nflog_get_seq(nfd, &seq) == 0) {
		if (have_seq && seq != last_seq + 1) {
			seq_gaps++;
			dropped += seq - last_seq - 1;
		}
		have_seq = 1;
		last_seq = seq;
	}
	return 0;
}

static int
ipset_quiet(struct ipset_session *s, void *p, const char *fmt, ...)
{
	(void)s; (void)p; (void)fmt;
	return 0;
}

static void
react_add(uint32_t addr)
{
	union nf_inet_addr ip;
	uint8_t family = AF_INET;
	uint32_t timeout_s = 3600;

	memset(&ip, 0, sizeof(ip));
	ip.ip = addr;
	if (ipset_session_data_set(session, IPSET_SETNAME, set_name) < 0 ||
	    ipset_session_data_set(session, IPSET_OPT_TYPE, set_type) < 0 ||
	    ipset_session_data_set(session, IPSET_OPT_FAMILY, &family) < 0 ||
	    ipset_session_data_set(session, IPSET_OPT_IP, &ip) < 0 ||
	    ipset_session_data_set(session, IPSET_OPT_TIMEOUT,
	    &timeout_s) < 0 || ipset_cmd(session, IPSET_CMD_ADD, 0) < 0)
		fprintf(stderr, "nflog-baseline: ipset add: %s\n",
		    ipset_session_report_msg(session));
	ipset_data_reset(ipset_session_data(session));
}

static int
on_react(struct nflog_g_handle *gh, struct nfgenmsg *nfmsg,
    struct nflog_data *nfd, void *arg)
{
	char *p;
	uint32_t src;
	int len;
	unsigned o;

	(void)gh; (void)nfmsg; (void)arg;
	if ((len = nflog_get_payload(nfd, &p)) < 20 || (p[0] & 0xf0) != 0x40)
		return 0;
	memcpy(&src, p + 12, 4);
	if ((ntohl(src) & 0xffffff00U) != BOT_NET)
		return 0;
	o = ntohl(src) & 0xff;
	if (++seen[o] == burst + 1) {
		react_add(src);
		added_ns[o] = mono_ns();
	}
	return 0;
}

static void
react_init(void)
{
	ipset_load_types();
	if ((session = ipset_session_init(ipset_quiet, NULL)) == NULL) {
		fprintf(stderr, "nflog-baseline: no libipset session\n");
		exit(1);
	}
	ipset_envopt_set(session, IPSET_ENV_EXIST);
	if (ipset_session_data_set(session, IPSET_SETNAME, set_name) < 0 ||
	    (set_type = ipset_type_get(session, IPSET_CMD_ADD)) == NULL) {
		fprintf(stderr, "nflog-baseline: set %s: %s\n", set_name,
		    ipset_session_report_msg(session));
		exit(1);
	}
	ipset_data_reset(ipset_session_data(session));
	(void)ipset_cache_add(set_name, set_type, AF_INET);
}

int
main(int argc, char *argv[])
{
	struct nflog_handle *h;
	struct nflog_g_handle *gh;
	struct pollfd pfd;
	int64_t end_ns;
	int react, group, seconds, rcvbuf = RCVBUF, off = 0, i;
	ssize_t n;

	react = argc == 6 && strcmp(argv[1], "react") == 0;
	if (!react && !(argc == 4 && strcmp(argv[1], "count") == 0)) {
		fprintf(stderr, "usage: nflog-baseline count GROUP SECONDS\n"
		    "       nflog-baseline react GROUP SET BURST SECONDS\n");
		return 2;
	}
	group = atoi(argv[2]);
	seconds = atoi(argv[argc - 1]);
	if (seconds < 1 || seconds > SECONDS_MAX || group < 0 ||
	    group > 65535) {
		fprintf(stderr, "nflog-baseline: 1 <= SECONDS <= %d\n",
		    SECONDS_MAX);
		return 2;
	}
	if (react) {
		set_name = argv[3];
		burst = (unsigned)atoi(argv[4]);
		react_init();
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);

	if ((h = nflog_open()) == NULL ||
	    (gh = nflog_bind_group(h, (uint16_t)group)) == NULL ||
	    nflog_set_mode(gh, NFULNL_COPY_PACKET, 256) == -1 ||
	    nflog_set_flags(gh, NFULNL_CFG_F_SEQ) == -1 ||
	    nflog_set_nlbufsiz(gh, NLBUFSIZ) == -1 ||
	    nflog_set_qthresh(gh, react ? 1 : 64) == -1 ||
	    nflog_set_timeout(gh, 1) == -1 ||
	    nflog_callback_register(gh, react ? on_react : on_count,
	    NULL) == -1) {
		perror("nflog-baseline: NFLOG setup");
		return 1;
	}
	pfd.fd = nflog_fd(h);
	pfd.events = POLLIN;
	if (setsockopt(pfd.fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
	    sizeof(rcvbuf)) == -1)
		perror("nflog-baseline: SO_RCVBUFFORCE");
	(void)setsockopt(pfd.fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &off,
	    sizeof(off));
	fprintf(stderr, "nflog-baseline: bound group %d\n", group);

	end_ns = mono_ns() + (int64_t)seconds * 1000000000;
	while (!stop && mono_ns() < end_ns) {
		if (poll(&pfd, 1, 100) < 1)
			continue;
		/* Drain, as nflogmon does, until EAGAIN. */
		for (;;) {
			n = recv(pfd.fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (n == -1) {
				if (errno == ENOBUFS) {
					enobufs++;
					continue;
				}
				break;
			}
			(void)nflog_handle_packet(h, buf, (int)n);
		}
	}
	(void)nflog_unbind_group(gh);
	nflog_close(h);
	if (react) {
		for (i = 0; i < 256; i++)
			if (added_ns[i] != 0)
				printf("198.51.100.%d %lld\n", i,
				    (long long)added_ns[i]);
		ipset_session_fini(session);
	} else
		printf("received %llu dropped %llu seq_gaps %llu enobufs "
		    "%llu\n", (unsigned long long)received,
		    (unsigned long long)dropped, (unsigned long long)seq_gaps,
		    (unsigned long long)enobufs);
	return 0;
}
