/*
 * synflood.c: the load of make bench's live rows, bare TCP SYNs through a
 * raw socket (IP_HDRINCL).  Only ever run inside the bench's own network
 * namespace (bench/live.sh); bounded in count and in time.
 *
 *   synflood flood DST PORT RATE COUNT SECONDS
 *	COUNT SYNs (at most 2,000,000) from sources walking through
 *	198.18.0.0/15, paced at RATE per second (0: as fast as the machine
 *	goes), stopping after SECONDS (at most 30) whatever was sent.
 *	Prints "sent N seconds S".
 *   synflood bots DST PORT K BURST GAP_US
 *	K bots (at most 250), 198.51.100.1 onwards: each sends BURST SYNs back
 *	to back, then its trigger SYN, then the next bot starts GAP_US later.
 *	Prints one line per bot, "ADDR T_NS": CLOCK_MONOTONIC read right
 *	before the trigger's send (the clock the daemon stamps with; ip netns
 *	makes no time namespace, so both read the same clock).
 *
 * Never sends from anything but 198.18.0.0/15 and 198.51.100.0/24.
 */
#define _GNU_SOURCE
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define FLOOD_NET	0xc6120000U	/* 198.18.0.0/15 */
#define FLOOD_HOSTS	131070U		/* .0.1 .. .1.255.254 */
#define BOT_NET		0xc6336400U	/* 198.51.100.0/24 */
#define COUNT_MAX	2000000UL
#define SECONDS_MAX	30.0
#define BOTS_MAX	250
#define BURST_MAX	1000
#define BATCH		64		/* packets per sendmmsg */

struct syn {
	struct iphdr	ip;
	struct tcphdr	tcp;
};

static uint32_t	dst_addr;		/* network order */
static uint16_t	dst_port;

static int64_t
mono_ns(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint16_t
csum_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* A SYN from src (host order) with source port sport; checksummed. */
static void
syn_fill(struct syn *p, uint32_t src, uint16_t sport)
{
	const uint16_t *w = (const uint16_t *)&p->tcp;
	uint32_t sum = 0;
	size_t i;

	memset(p, 0, sizeof(*p));
	p->ip.ihl = 5;
	p->ip.version = 4;
	p->ip.tot_len = htons(sizeof(*p));
	p->ip.ttl = 64;
	p->ip.protocol = IPPROTO_TCP;
	p->ip.saddr = htonl(src);
	p->ip.daddr = dst_addr;		/* the kernel fills id and check */
	p->tcp.source = htons(sport);
	p->tcp.dest = dst_port;
	p->tcp.seq = htonl(1);
	p->tcp.doff = 5;
	p->tcp.syn = 1;
	p->tcp.window = htons(65535);
	/* The pseudo-header, then the header (check still 0). */
	sum += (src >> 16) + (src & 0xffff);
	sum += (ntohl(dst_addr) >> 16) + (ntohl(dst_addr) & 0xffff);
	sum += IPPROTO_TCP + sizeof(p->tcp);
	for (i = 0; i < sizeof(p->tcp) / 2; i++)
		sum += ntohs(w[i]);
	p->tcp.check = htons(csum_fold(sum));
}

static int
raw_open(void)
{
	struct sockaddr_in sin;
	int s, one = 1, sndbuf = 4 << 20;

	if ((s = socket(AF_INET, SOCK_RAW, IPPROTO_RAW)) == -1 ||
	    setsockopt(s, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one)) == -1) {
		perror("synflood: raw socket");
		exit(1);
	}
	(void)setsockopt(s, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = dst_addr;
	if (connect(s, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		perror("synflood: connect");
		exit(1);
	}
	return s;
}

static void
flood(int s, double rate, unsigned long count, double seconds)
{
	static struct syn pkts[BATCH];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	int64_t t0 = mono_ns(), now, end;
	unsigned long sent = 0, due;
	int i, n, r;

	end = t0 + (int64_t)(seconds * 1e9);
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < BATCH; i++) {
		iov[i].iov_base = &pkts[i];
		iov[i].iov_len = sizeof(pkts[i]);
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	while (sent < count && (now = mono_ns()) < end) {
		due = rate > 0 ? (unsigned long)((double)(now - t0) * rate /
		    1e9) + 1 : count;
		if (due > count)
			due = count;
		if (due <= sent) {
			struct timespec nap = { 0, 20000 };

			nanosleep(&nap, NULL);
			continue;
		}
		n = due - sent < BATCH ? (int)(due - sent) : BATCH;
		for (i = 0; i < n; i++)
			syn_fill(&pkts[i], FLOOD_NET + 1 +
			    (uint32_t)((sent + i) % FLOOD_HOSTS),
			    (uint16_t)(10000 + (sent + i) % 50000));
		if ((r = sendmmsg(s, msgs, n, 0)) == -1) {
			if (errno == ENOBUFS || errno == EAGAIN ||
			    errno == EINTR)
				continue;
			perror("synflood: sendmmsg");
			exit(1);
		}
		sent += (unsigned long)r;
	}
	printf("sent %lu seconds %.3f\n", sent, (double)(mono_ns() - t0) / 1e9);
}

static void
bots(int s, int k, int burst, long gap_us)
{
	static int64_t t_ns[BOTS_MAX];
	struct timespec gap = { gap_us / 1000000, (gap_us % 1000000) * 1000 };
	struct syn p;
	int b, i;

	for (b = 0; b < k; b++) {
		for (i = 0; i <= burst; i++) {
			syn_fill(&p, BOT_NET + 1 + (uint32_t)b,
			    (uint16_t)(20000 + i));
			if (i == burst)
				t_ns[b] = mono_ns();
			if (send(s, &p, sizeof(p), 0) != (ssize_t)sizeof(p)) {
				perror("synflood: send");
				exit(1);
			}
		}
		nanosleep(&gap, NULL);
	}
	for (b = 0; b < k; b++)
		printf("198.51.100.%d %lld\n", b + 1, (long long)t_ns[b]);
}

static void
usage(void)
{
	fprintf(stderr, "usage: synflood flood DST PORT RATE COUNT SECONDS\n"
	    "       synflood bots DST PORT K BURST GAP_US\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct in_addr a;
	int s;

	if (argc != 7 || inet_pton(AF_INET, argv[2], &a) != 1)
		usage();
	dst_addr = a.s_addr;
	dst_port = htons((uint16_t)atoi(argv[3]));
	if (strcmp(argv[1], "flood") == 0) {
		double rate = atof(argv[4]), seconds = atof(argv[6]);
		unsigned long count = strtoul(argv[5], NULL, 10);

		if (rate < 0 || count > COUNT_MAX || seconds <= 0 ||
		    seconds > SECONDS_MAX) {
			fprintf(stderr, "synflood: count <= %lu, 0 < seconds "
			    "<= %.0f\n", COUNT_MAX, SECONDS_MAX);
			return 2;
		}
		s = raw_open();
		flood(s, rate, count, seconds);
	} else if (strcmp(argv[1], "bots") == 0) {
		int k = atoi(argv[4]), burst = atoi(argv[5]);
		long gap_us = atol(argv[6]);

		if (k < 1 || k > BOTS_MAX || burst < 0 || burst > BURST_MAX ||
		    gap_us < 0 || gap_us > 1000000) {
			fprintf(stderr, "synflood: 1 <= K <= %d, BURST <= %d, "
			    "GAP_US <= 1000000\n", BOTS_MAX, BURST_MAX);
			return 2;
		}
		s = raw_open();
		bots(s, k, burst, gap_us);
	} else
		usage();
	return 0;
}
