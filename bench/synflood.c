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
 *   synflood flood6 DST6 PORT RATE COUNT SECONDS
 *	The same over IPv6 (raw IPv6 SYNs, the header ours): SYN i comes from
 *	2001:db8:XXXX:YYYY::1, each from its own /64, the 31-bit counter
 *	spread over XXXX:YYYY by an odd multiplier and the top bit set
 *	(2001:db8:8000::/33), so the /64s are distinct for up to 2^31 SYNs
 *	and clear of the namespace network's own (2001:db8:1::/64 ...).
 *   synflood bots DST PORT K BURST GAP_US
 *	K bots (at most 250), 198.51.100.1 onwards: each sends BURST SYNs back
 *	to back, then its trigger SYN, then the next bot starts GAP_US later.
 *	Prints one line per bot, "ADDR T_NS": CLOCK_MONOTONIC read right
 *	before the trigger's send (the clock the daemon stamps with; ip netns
 *	makes no time namespace, so both read the same clock).
 *
 * Never sends from anything but 198.18.0.0/15, 198.51.100.0/24 and
 * 2001:db8:8000::/33.
 */
#define _GNU_SOURCE
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_clock.h"

#define FLOOD_NET	0xc6120000U	/* 198.18.0.0/15 */
#define FLOOD_HOSTS	131070U		/* .0.1 .. .1.255.254 */
#define BOT_NET		0xc6336400U	/* 198.51.100.0/24 */
#define COUNT_MAX	2000000UL
#define SECONDS_MAX	30.0
#define BOTS_MAX	250
#define BURST_MAX	1000
#define BATCH		64		/* packets per sendmmsg */
#define FLOOD6_TOP	0x80000000U	/* 2001:db8:8000::/33 */
#define FLOOD6_MUL	0x9e3779b1U	/* odd: a bijection of the 31 bits */

struct syn {
	struct iphdr	ip;
	struct tcphdr	tcp;
};

struct syn6 {
	struct ip6_hdr	ip6;
	struct tcphdr	tcp;
};

static uint32_t	dst_addr;		/* network order */
static struct in6_addr dst6;
static uint16_t	dst_port;

/* The TCP header of a SYN from sport to the flood's port; check 0. */
static void
tcp_syn(struct tcphdr *t, uint16_t sport)
{
	t->source = htons(sport);
	t->dest = dst_port;
	t->seq = htonl(1);
	t->doff = 5;
	t->syn = 1;
	t->window = htons(65535);
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
	tcp_syn(&p->tcp, sport);
	/* The pseudo-header, then the header (check still 0). */
	sum += (src >> 16) + (src & 0xffff);
	sum += (ntohl(dst_addr) >> 16) + (ntohl(dst_addr) & 0xffff);
	sum += IPPROTO_TCP + sizeof(p->tcp);
	for (i = 0; i < sizeof(p->tcp) / 2; i++)
		sum += ntohs(w[i]);
	p->tcp.check = htons(csum_fold(sum));
}

/* An IPv6 SYN from the /64 of counter i: 2001:db8:XXXX:YYYY::1. */
static void
syn6_fill(struct syn6 *p, uint32_t i, uint16_t sport)
{
	const uint16_t *w;
	uint32_t sum = 0, net = FLOOD6_TOP | ((i * FLOOD6_MUL) & ~FLOOD6_TOP);
	size_t k;

	memset(p, 0, sizeof(*p));
	p->ip6.ip6_flow = htonl(6U << 28);
	p->ip6.ip6_plen = htons(sizeof(p->tcp));
	p->ip6.ip6_nxt = IPPROTO_TCP;
	p->ip6.ip6_hlim = 64;
	p->ip6.ip6_src.s6_addr[0] = 0x20;
	p->ip6.ip6_src.s6_addr[1] = 0x01;
	p->ip6.ip6_src.s6_addr[2] = 0x0d;
	p->ip6.ip6_src.s6_addr[3] = 0xb8;
	p->ip6.ip6_src.s6_addr[4] = (uint8_t)(net >> 24);
	p->ip6.ip6_src.s6_addr[5] = (uint8_t)(net >> 16);
	p->ip6.ip6_src.s6_addr[6] = (uint8_t)(net >> 8);
	p->ip6.ip6_src.s6_addr[7] = (uint8_t)net;
	p->ip6.ip6_src.s6_addr[15] = 1;
	p->ip6.ip6_dst = dst6;
	tcp_syn(&p->tcp, sport);
	/* The pseudo-header (addresses, length, next header), then the
	 * header (check still 0). */
	w = (const uint16_t *)&p->ip6.ip6_src;
	for (k = 0; k < 16; k++)	/* source and destination, adjacent */
		sum += ntohs(w[k]);
	sum += sizeof(p->tcp) + IPPROTO_TCP;
	w = (const uint16_t *)&p->tcp;
	for (k = 0; k < sizeof(p->tcp) / 2; k++)
		sum += ntohs(w[k]);
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

/* IPv6 has no IP_HDRINCL: a raw socket of protocol IPPROTO_RAW takes the
 * whole header as given (raw(7), ipv6(7)). */
static int
raw6_open(void)
{
	struct sockaddr_in6 sin6;
	int s, sndbuf = 4 << 20;

	if ((s = socket(AF_INET6, SOCK_RAW, IPPROTO_RAW)) == -1) {
		perror("synflood: raw IPv6 socket");
		exit(1);
	}
	(void)setsockopt(s, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr = dst6;
	if (connect(s, (struct sockaddr *)&sin6, sizeof(sin6)) == -1) {
		perror("synflood: connect");
		exit(1);
	}
	return s;
}

/* Fills the first n packets of a batch: SYNs number first onwards. */
static void
batch_fill(void *pkts, int v6, unsigned long first, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		unsigned long k = first + (unsigned long)i;
		uint16_t sport = (uint16_t)(10000 + k % 50000);

		if (v6)
			syn6_fill((struct syn6 *)pkts + i, (uint32_t)k, sport);
		else
			syn_fill((struct syn *)pkts + i, FLOOD_NET + 1 +
			    (uint32_t)(k % FLOOD_HOSTS), sport);
	}
}

static void
flood(int s, int v6, double rate, unsigned long count, double seconds)
{
	static struct syn pkts4[BATCH];
	static struct syn6 pkts6[BATCH];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	int64_t t0 = now_ns(), now, end;
	unsigned long sent = 0, due;
	int i, n, r;

	end = t0 + (int64_t)(seconds * 1e9);
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < BATCH; i++) {
		if (v6) {
			iov[i].iov_base = &pkts6[i];
			iov[i].iov_len = sizeof(pkts6[i]);
		} else {
			iov[i].iov_base = &pkts4[i];
			iov[i].iov_len = sizeof(pkts4[i]);
		}
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	while (sent < count && (now = now_ns()) < end) {
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
		batch_fill(v6 ? (void *)pkts6 : (void *)pkts4, v6, sent, n);
		if ((r = sendmmsg(s, msgs, n, 0)) == -1) {
			if (errno == ENOBUFS || errno == EAGAIN ||
			    errno == EINTR)
				continue;
			perror("synflood: sendmmsg");
			exit(1);
		}
		sent += (unsigned long)r;
	}
	printf("sent %lu seconds %.3f\n", sent, (double)(now_ns() - t0) / 1e9);
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
				t_ns[b] = now_ns();
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
	    "       synflood flood6 DST6 PORT RATE COUNT SECONDS\n"
	    "       synflood bots DST PORT K BURST GAP_US\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct in_addr a;
	int s, v6;

	if (argc != 7)
		usage();
	v6 = strcmp(argv[1], "flood6") == 0;
	if (v6 ? inet_pton(AF_INET6, argv[2], &dst6) != 1 :
	    inet_pton(AF_INET, argv[2], &a) != 1)
		usage();
	if (!v6)
		dst_addr = a.s_addr;
	dst_port = htons((uint16_t)atoi(argv[3]));
	if (v6 || strcmp(argv[1], "flood") == 0) {
		double rate = atof(argv[4]), seconds = atof(argv[6]);
		unsigned long count = strtoul(argv[5], NULL, 10);

		if (rate < 0 || count > COUNT_MAX || seconds <= 0 ||
		    seconds > SECONDS_MAX) {
			fprintf(stderr, "synflood: count <= %lu, 0 < seconds "
			    "<= %.0f\n", COUNT_MAX, SECONDS_MAX);
			return 2;
		}
		s = v6 ? raw6_open() : raw_open();
		flood(s, v6, rate, count, seconds);
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
