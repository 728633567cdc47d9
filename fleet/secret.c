/*
 * secret.c: the fleet's secrets, read from files at start and on SIGHUP:
 * the machine's password (the password alone on one line, or the YAML
 * `cscli machines add -f FILE` writes, whose login may stand for
 * machine_id) and the bouncer's key (alone on one line).  A file must be
 * a regular file of mode 0600 or stricter; its content is never logged
 * or printed, and a message names the file, never what is in it.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fleet.h"

#define SECRET_FILE_MAX	4096

/* The value of a line "name: value" (YAML scalar, quotes removed). */
static bool
secret_yaml(char *line, const char *name, char **val)
{
	size_t n = strlen(name), l;
	char *v;

	if (strncmp(line, name, n) != 0 || line[n] != ':')
		return false;
	v = line + n + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	l = strlen(v);
	if (l >= 2 && (v[0] == '"' || v[0] == '\'') && v[l - 1] == v[0]) {
		v[l - 1] = '\0';
		v++;
	}
	*val = v;
	return true;
}

static bool
secret_ok(const char *s, size_t len)
{
	size_t i;

	if (*s == '\0' || strlen(s) >= len)
		return false;
	for (i = 0; s[i] != '\0'; i++)
		if (!isgraph((unsigned char)s[i]))
			return false;
	return true;
}

int
fleet_secret_read(const char *path, char *secret, size_t len, char *login,
    size_t loginlen, char *err, size_t errlen)
{
	char buf[SECRET_FILE_MAX + 1], *line, *next, *v, *first = NULL;
	char *pw = NULL, *lg = NULL;
	struct stat sb;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if ((sb.st_mode & 077) != 0) {
		snprintf(err, errlen, "%s: mode %04o, must be 0600 (a secret)",
		    path, (unsigned)(sb.st_mode & 07777));
		close(fd);
		return -1;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0 || n > SECRET_FILE_MAX) {
		snprintf(err, errlen, "%s: %s", path, n < 0 ? strerror(errno) :
		    "larger than 4096 bytes");
		return -1;
	}
	buf[n] = '\0';
	for (line = buf; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		line[strcspn(line, "\r")] = '\0';
		if (secret_yaml(line, "password", &v))
			pw = v;
		else if (secret_yaml(line, "login", &v))
			lg = v;
		else if (first == NULL && *line != '\0' && *line != '#')
			first = line;
	}
	if (pw == NULL)
		pw = first;
	if (pw == NULL || !secret_ok(pw, len)) {
		snprintf(err, errlen, "%s: no secret in it (one line of "
		    "printable characters, or cscli's YAML)", path);
		explicit_bzero(buf, sizeof(buf));
		return -1;
	}
	memcpy(secret, pw, strlen(pw) + 1);
	if (login != NULL && loginlen > 0) {
		*login = '\0';
		if (lg != NULL && secret_ok(lg, loginlen))
			memcpy(login, lg, strlen(lg) + 1);
	}
	explicit_bzero(buf, sizeof(buf));
	return 0;
}
