/*
 * policy-load.c: a load generator for a Postfix policy service.  Opens
 * CONNS connections to a unix socket, each sending one recipient request
 * at a time (as smtpd does) and waiting for its reply, for SECONDS
 * seconds, all in one epoll loop; prints "requests/s p50_us p99_us".
 * Each connection is its own account from its own client address, so a
 * policy service counts but never blocks.  Used by bench/policy.sh
 * against nflogmon and against policy-responder.
 *
 * usage: policy-load SOCKET CONNS SECONDS
 */
#define _GNU_SOURCE
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_clock.h"

#define MAX_CONNS	1024
#define MAX_LAT		(8 * 1024 * 1024)

struct conn {
	int		 fd;
	char		 req[512];
	size_t		 reqlen;
	char		 in[256];
	size_t		 inlen;
	int64_t		 sent_ns;
};

static int
cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static void
send_req(struct conn *c)
{
	c->sent_ns = now_ns();
	if (send(c->fd, c->req, c->reqlen, MSG_NOSIGNAL) != (ssize_t)c->reqlen) {
		perror("send");
		exit(1);
	}
}

int
main(int argc, char **argv)
{
	static struct conn conns[MAX_CONNS];
	struct epoll_event ev, evs[64];
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int64_t *lat, end_ns, t0;
	size_t nlat = 0;
	int n, nconns, secs, ep, i;
	ssize_t r;

	if (argc != 4 || (nconns = atoi(argv[2])) < 1 || nconns > MAX_CONNS ||
	    (secs = atoi(argv[3])) < 1) {
		fprintf(stderr, "usage: policy-load SOCKET CONNS SECONDS\n");
		return 2;
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", argv[1]);
	if ((lat = malloc(MAX_LAT * sizeof(*lat))) == NULL ||
	    (ep = epoll_create1(0)) == -1)
		return 1;
	for (i = 0; i < nconns; i++) {
		struct conn *c = &conns[i];

		if ((c->fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
		    connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
			perror(argv[1]);
			return 1;
		}
		c->reqlen = (size_t)snprintf(c->req, sizeof(c->req),
		    "request=smtpd_access_policy\nprotocol_state=RCPT\n"
		    "protocol_name=ESMTP\nclient_address=198.51.100.%d\n"
		    "client_name=unknown\nhelo_name=client.example\n"
		    "sender=user%d@example.org\nrecipient=rcpt@example.com\n"
		    "recipient_count=0\nqueue_id=\ninstance=%d.1\nsize=0\n"
		    "sasl_method=PLAIN\nsasl_username=user%d@example.org\n"
		    "sasl_sender=\n\n", 1 + i % 254, i, i, i);
		ev.events = EPOLLIN;
		ev.data.u32 = (uint32_t)i;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) == -1)
			return 1;
	}
	t0 = now_ns();
	end_ns = t0 + (int64_t)secs * 1000000000;
	for (i = 0; i < nconns; i++)
		send_req(&conns[i]);
	while (now_ns() < end_ns) {
		n = epoll_wait(ep, evs, 64, 1000);
		for (i = 0; i < n; i++) {
			struct conn *c = &conns[evs[i].data.u32];

			r = recv(c->fd, c->in + c->inlen,
			    sizeof(c->in) - c->inlen, 0);
			if (r <= 0) {
				fprintf(stderr, "policy-load: connection "
				    "closed by the service\n");
				return 1;
			}
			c->inlen += (size_t)r;
			if (c->inlen < 2 || memcmp(c->in + c->inlen - 2,
			    "\n\n", 2) != 0) {
				if (c->inlen == sizeof(c->in))
					return 1;
				continue;
			}
			if (nlat < MAX_LAT)
				lat[nlat++] = now_ns() - c->sent_ns;
			c->inlen = 0;
			send_req(c);
		}
	}
	if (nlat == 0)
		return 1;
	qsort(lat, nlat, sizeof(*lat), cmp64);
	printf("%.0f %.1f %.1f\n", (double)nlat * 1e9 / (double)(now_ns() - t0),
	    (double)lat[nlat / 2] / 1000, (double)lat[nlat * 99 / 100] / 1000);
	return 0;
}
