/*
 * policy-logins.c: a flood of distinct mail logins for a Postfix policy
 * service (bench/flood.sh).  Request i (protocol_state RCPT) carries the
 * login u<i>@flood.example, so every request is an account the service has
 * not seen; CONNS connections to a unix socket, one request in flight each
 * (as smtpd sends them), all in one epoll loop, paced at RATE requests per
 * second (0: as fast as the service answers).  Bounded: COUNT requests (at
 * most 1,000,000), SECONDS (at most 60) whatever was sent.  It never reads
 * the replies' actions: a flood is not refused, it is only counted.
 *
 * usage: policy-logins SOCKET CONNS COUNT RATE SECONDS
 * prints "sent N replies M seconds S"
 */
#define _GNU_SOURCE
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_clock.h"

#define MAX_CONNS	256
#define MAX_COUNT	1000000UL
#define MAX_SECONDS	60.0

struct conn {
	int		 fd;
	int		 busy;		/* a request in flight */
	char		 in[512];
	size_t		 inlen;
};

/* Sends request number i on c. */
static void
send_login(struct conn *c, unsigned long i)
{
	char req[512];
	int n;

	n = snprintf(req, sizeof(req),
	    "request=smtpd_access_policy\nprotocol_state=RCPT\n"
	    "protocol_name=ESMTP\nclient_address=198.51.100.%lu\n"
	    "sasl_method=PLAIN\nsasl_username=u%lu@flood.example\n"
	    "sender=u%lu@flood.example\nrecipient=r%lu@example.net\n"
	    "queue_id=F%lu\n\n", 1 + i % 250, i, i, i, i);
	if (send(c->fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
		perror("policy-logins: send");
		exit(1);
	}
	c->busy = 1;
}

/* Reads what c has; 1 when its reply is complete, -1 on a closed or
 * overlong reply. */
static int
recv_reply(struct conn *c)
{
	ssize_t r;

	r = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen, 0);
	if (r <= 0)
		return -1;
	c->inlen += (size_t)r;
	if (c->inlen >= 2 && memcmp(c->in + c->inlen - 2, "\n\n", 2) == 0) {
		c->inlen = 0;
		c->busy = 0;
		return 1;
	}
	return c->inlen == sizeof(c->in) ? -1 : 0;
}

int
main(int argc, char **argv)
{
	static struct conn conns[MAX_CONNS];
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct epoll_event ev, evs[64];
	unsigned long count, sent = 0, replies = 0, due;
	double rate, secs;
	int64_t t0, end_ns, now;
	int nconns, ep, i, n, r;

	if (argc != 6 || (nconns = atoi(argv[2])) < 1 || nconns > MAX_CONNS ||
	    (count = strtoul(argv[3], NULL, 10)) < 1 || count > MAX_COUNT ||
	    (rate = atof(argv[4])) < 0 || (secs = atof(argv[5])) <= 0 ||
	    secs > MAX_SECONDS) {
		fprintf(stderr, "usage: policy-logins SOCKET CONNS COUNT RATE "
		    "SECONDS\n  (CONNS <= %d, COUNT <= %lu, SECONDS <= %.0f)\n",
		    MAX_CONNS, MAX_COUNT, MAX_SECONDS);
		return 2;
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", argv[1]);
	if ((ep = epoll_create1(0)) == -1) {
		perror("policy-logins: epoll");
		return 1;
	}
	for (i = 0; i < nconns; i++) {
		struct conn *c = &conns[i];

		if ((c->fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
		    connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
			perror(argv[1]);
			return 1;
		}
		ev.events = EPOLLIN;
		ev.data.u32 = (uint32_t)i;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) == -1)
			return 1;
	}
	t0 = now_ns();
	end_ns = t0 + (int64_t)(secs * 1e9);
	while (replies < count && (now = now_ns()) < end_ns) {
		/* The requests due by now, on the idle connections. */
		due = rate > 0 ? (unsigned long)((double)(now - t0) * rate /
		    1e9) + 1 : count;
		if (due > count)
			due = count;
		for (i = 0; i < nconns && sent < due; i++)
			if (!conns[i].busy)
				send_login(&conns[i], sent++);
		n = epoll_wait(ep, evs, 64, sent < due || rate == 0 ? 100 : 1);
		for (i = 0; i < n; i++) {
			r = recv_reply(&conns[evs[i].data.u32]);
			if (r == -1) {
				fprintf(stderr, "policy-logins: connection "
				    "closed by the service\n");
				return 1;
			}
			replies += (unsigned long)r;
		}
	}
	printf("sent %lu replies %lu seconds %.3f\n", sent, replies,
	    (double)(now_ns() - t0) / 1e9);
	return 0;
}
