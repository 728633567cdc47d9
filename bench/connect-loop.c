/*
 * connect-loop.c: a real bot for bench/flood.sh, full TCP connects from
 * one source address at a steady rate, so that a loaded machine slows the
 * flood rather than the bot (a Python loop managed 25 to 40 a second
 * there).  Connection i starts at i / RATE seconds (one at a time: each
 * ends, by its handshake, a reset or TIMEOUT_MS, before the next starts);
 * IP_FREEBIND lets SRC be any address routed to the namespace.  Bounded:
 * COUNT connections (at most 10,000), all within 30 s.
 *
 * usage: connect-loop SRC DST PORT RATE COUNT TIMEOUT_MS
 * prints "ok N refused N timeout N error N seconds S rate R", R being
 * the connections tried per second over the run.
 */
#define _GNU_SOURCE
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_clock.h"

#define COUNT_MAX	10000
#define DEADLINE_NS	(30LL * 1000000000)

enum result { C_OK, C_REFUSED, C_TIMEOUT, C_ERROR, C_N };

/* Fills ss from an IPv4 or IPv6 address; its length, 0 if none. */
static socklen_t
addr_parse(const char *s, uint16_t port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		return sizeof(*sin);
	}
	if (inet_pton(AF_INET6, s, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		return sizeof(*sin6);
	}
	return 0;
}

static enum result
connect_one(const struct sockaddr_storage *src, socklen_t srclen,
    const struct sockaddr_storage *dst, socklen_t dstlen, int timeout_ms)
{
	struct pollfd pfd;
	socklen_t len = sizeof(int);
	int s, one = 1, err = 0;
	enum result r = C_ERROR;

	if ((s = socket(dst->ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1)
		return C_ERROR;
	if (dst->ss_family == AF_INET6)
		(void)setsockopt(s, IPPROTO_IPV6, IPV6_FREEBIND, &one,
		    sizeof(one));
	else
		(void)setsockopt(s, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
	if (bind(s, (const struct sockaddr *)src, srclen) == -1)
		goto out;
	if (connect(s, (const struct sockaddr *)dst, dstlen) == 0) {
		r = C_OK;
		goto out;
	}
	if (errno != EINPROGRESS) {
		r = errno == ECONNREFUSED ? C_REFUSED : C_ERROR;
		goto out;
	}
	pfd.fd = s;
	pfd.events = POLLOUT;
	if (poll(&pfd, 1, timeout_ms) == 0) {
		r = C_TIMEOUT;
		goto out;
	}
	if (getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		goto out;
	r = err == 0 ? C_OK : err == ECONNREFUSED || err == ECONNRESET ?
	    C_REFUSED : err == ETIMEDOUT ? C_TIMEOUT : C_ERROR;
out:
	close(s);
	return r;
}

int
main(int argc, char **argv)
{
	struct sockaddr_storage src, dst;
	socklen_t srclen, dstlen;
	unsigned long n[C_N] = { 0 };
	double rate;
	int64_t t0, due, now;
	int count, timeout_ms, i;

	if (argc != 7 ||
	    (srclen = addr_parse(argv[1], 0, &src)) == 0 ||
	    (dstlen = addr_parse(argv[2], (uint16_t)atoi(argv[3]), &dst)) == 0 ||
	    src.ss_family != dst.ss_family ||
	    (rate = atof(argv[4])) <= 0 ||
	    (count = atoi(argv[5])) < 1 || count > COUNT_MAX ||
	    (timeout_ms = atoi(argv[6])) < 1 || timeout_ms > 10000) {
		fprintf(stderr, "usage: connect-loop SRC DST PORT RATE COUNT "
		    "TIMEOUT_MS\n  (RATE > 0, COUNT <= %d, TIMEOUT_MS <= "
		    "10000)\n", COUNT_MAX);
		return 2;
	}
	t0 = now_ns();
	for (i = 0; i < count; i++) {
		due = t0 + (int64_t)((double)i * 1e9 / rate);
		if ((now = now_ns()) - t0 > DEADLINE_NS)
			break;
		if (due > now) {
			struct timespec nap = { (due - now) / 1000000000,
			    (due - now) % 1000000000 };

			nanosleep(&nap, NULL);
		}
		n[connect_one(&src, srclen, &dst, dstlen, timeout_ms)]++;
	}
	now = now_ns();
	printf("ok %lu refused %lu timeout %lu error %lu seconds %.3f "
	    "rate %.1f\n", n[C_OK], n[C_REFUSED], n[C_TIMEOUT], n[C_ERROR],
	    (double)(now - t0) / 1e9, (double)i * 1e9 / (double)(now - t0));
	return 0;
}
