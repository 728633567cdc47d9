/*
 * sock.c: the daemon's two unix listening sockets (the control socket and
 * the policy service) are made the same way: a stale socket file left by a
 * crash is replaced, one where somebody answers is refused, the file is
 * mode 0660 from the start (bound under umask 0117, so no other user ever
 * reaches it) and given its group.  Every listener accepts the same way.
 */
#define _GNU_SOURCE
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"

int
sock_listen_unix(const char *path, gid_t gid, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct stat st;
	mode_t old;
	int fd, rv;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "%s exists and is not a socket",
			    path);
			return -1;
		}
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
			goto fail;
		rv = connect(fd, (const struct sockaddr *)&sun, sizeof(sun));
		close(fd);
		if (rv == 0)
			return SOCK_LISTEN_BUSY;
		if (errno != ECONNREFUSED || (unlink(path) == -1 &&
		    errno != ENOENT))
			goto fail;
	} else if (errno != ENOENT)
		goto fail;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		goto fail;
	old = umask(0117);
	rv = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (rv == 0 && (chmod(path, 0660) == -1 || (gid != (gid_t)-1 &&
	    chown(path, (uid_t)-1, gid) == -1) || listen(fd, 128) == -1)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(path);
		rv = -1;
	} else if (rv == -1)
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	if (rv == -1) {
		close(fd);
		return -1;
	}
	return fd;
fail:
	snprintf(err, errlen, "%s: %s", path, strerror(errno));
	return -1;
}

int
sock_accept(int lfd, const char *what)
{
	int fd;

	fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd == -1 && errno != EAGAIN && errno != EINTR &&
	    errno != ECONNABORTED)
		log_warn("%s: accept", what);
	return fd;
}
