/*
 * policy-responder.c: the do-nothing Postfix policy service of the bench:
 * the same protocol as nflogmon's (requests end with an empty line) and
 * the same shape (one epoll loop, non-blocking peers), but it parses
 * nothing and answers every request "action=DUNNO".  The baseline of
 * bench/policy.sh.
 *
 * usage: policy-responder SOCKET
 */
#define _GNU_SOURCE
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MAX_FDS		4096

static char	tail[MAX_FDS];	/* the last byte read per peer */

int
main(int argc, char **argv)
{
	static const char dunno[] = "action=DUNNO\n\n";
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct epoll_event ev, evs[64];
	char buf[4096];
	int lfd, ep, n, i, fd, k;
	ssize_t r, j;

	if (argc != 2)
		return 2;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", argv[1]);
	unlink(sun.sun_path);
	if ((lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1 ||
	    bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(lfd, 128) == -1 || (ep = epoll_create1(0)) == -1) {
		perror(argv[1]);
		return 1;
	}
	ev.events = EPOLLIN;
	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	for (;;) {
		n = epoll_wait(ep, evs, 64, -1);
		for (i = 0; i < n; i++) {
			fd = evs[i].data.fd;
			if (fd == lfd) {
				while ((fd = accept4(lfd, NULL, NULL,
				    SOCK_NONBLOCK)) != -1) {
					if (fd >= MAX_FDS) {
						close(fd);
						continue;
					}
					tail[fd] = 0;
					ev.data.fd = fd;
					epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
				}
				continue;
			}
			if ((r = recv(fd, buf, sizeof(buf), 0)) <= 0) {
				close(fd);
				continue;
			}
			/* one reply per empty line ("\n\n") */
			for (k = 0, j = 0; j < r; j++) {
				if (buf[j] == '\n' && tail[fd] == '\n')
					k++;
				tail[fd] = buf[j];
			}
			while (k-- > 0)
				(void)send(fd, dunno, sizeof(dunno) - 1,
				    MSG_NOSIGNAL);
		}
	}
}
