/*
 * input_maillog.c: mail logs as an input (DESIGN.md "Mail logs").
 *
 * Replay: the files of `replay --maillog`, plain or gzip (zlib reads both),
 * are one input whose lines are merged in time order (ties: the earliest
 * file on the command line), so a rotated day (mail.log.2.gz mail.log.1
 * mail.log) reads as one log and a message split across two files is
 * still joined.  A line's time is its own header's (the year of a syslog
 * line is guessed from the file's modification time); a line without one
 * goes with the line before it.
 *
 * Live: [mta] maillog is followed from its end, through inotify on its
 * directory in the one event loop: lines appended, a truncation (copy
 * and truncate) read from the start again, a rename (the file replaced
 * by a new one) read to its end and then the new file from its start, a
 * file gone waited for.  Live events are stamped with the monotonic time
 * they were read.
 *
 * Untrusted bytes: a line longer than MAILLOG_LINE_MAX is skipped, a line
 * with NUL bytes (a binary file) counted malformed; both are reported
 * once per file, and the rest is still read.  Nothing here may stop the
 * daemon: an error is logged and the input waits for the file.
 */
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "daemon.h"

#define ML_BUF		(256 * 1024)	/* read buffer of a file */

/* ---------------------------------------------------------- lines */

/*
 * Splits what arrives into lines.  Invariant: buf[pos..len) is read and
 * not yet handed out, and holds no complete line when the caller asks
 * for more; skipping: the start of an over-long line was dropped and its
 * end is still to come.
 */
struct lines {
	char		*buf;
	size_t		 pos, len;
	bool		 skipping;
	uint64_t	 lineno;
	uint64_t	 toolong;	/* lines skipped */
};

/* The next complete line (newline excluded) or NULL when more bytes are
 * needed; at eof the last bytes without a newline are a line too. */
static const char *
lines_next(struct lines *l, size_t *n, bool eof)
{
	char *s, *nl;

	for (;;) {
		s = l->buf + l->pos;
		nl = memchr(s, '\n', l->len - l->pos);
		if (nl == NULL) {
			if (l->len - l->pos > MAILLOG_LINE_MAX) {
				l->skipping = true;	/* drop what we have */
				l->pos = l->len;
			}
			if (eof && l->skipping) {	/* it ends here */
				l->skipping = false;
				l->lineno++;
				l->toolong++;
			}
			if (!eof || l->pos == l->len)
				return NULL;
			nl = l->buf + l->len;
		}
		l->pos = (size_t)(nl - l->buf) + (nl < l->buf + l->len);
		l->lineno++;
		if (l->skipping || (size_t)(nl - s) > MAILLOG_LINE_MAX) {
			l->skipping = false;
			l->toolong++;
			continue;
		}
		*n = (size_t)(nl - s);
		return s;
	}
}

/* Room to read into: what is left moves to the front. */
static size_t
lines_room(struct lines *l, char **at)
{
	if (l->pos > 0) {
		memmove(l->buf, l->buf + l->pos, l->len - l->pos);
		l->len -= l->pos;
		l->pos = 0;
	}
	*at = l->buf + l->len;
	return ML_BUF - l->len;
}

/* ------------------------------------------------------------ replay */

/* One file of replay; line/linelen is its pending line (when !done). */
struct ml_file {
	const char	*path;
	gzFile		 gz;
	struct lines	 l;
	struct maillog_clock clock;
	const char	*line;
	size_t		 linelen;
	int64_t		 t_us;		/* the pending line's time */
	bool		 eof, done, failed;
	bool		 warned_binary;
	uint64_t	 toolong_told;
};

struct ml_replay {
	struct input		 in;
	struct maillog		*m;
	struct ml_file		*f;
	int			 n;
	struct input_stats	 st;
};

/* Makes the file's next line pending, reading as needed. */
static void
file_advance(struct ml_file *f)
{
	char *at;
	size_t room;
	int got, errnum;
	int64_t t;

	while (!f->done) {
		f->line = lines_next(&f->l, &f->linelen, f->eof);
		if (f->l.toolong > f->toolong_told) {
			fprintf(stderr, "nflogmon: %s:%" PRIu64 ": a line over "
			    "%d bytes, skipped\n", f->path, f->l.lineno -
			    (f->line != NULL), MAILLOG_LINE_MAX);
			f->toolong_told = f->l.toolong;
		}
		if (f->line != NULL) {
			if ((t = maillog_time(&f->clock, f->line,
			    f->linelen)) >= 0)
				f->t_us = t;
			return;
		}
		if (f->eof) {
			f->done = true;
			return;
		}
		room = lines_room(&f->l, &at);
		if ((got = gzread(f->gz, at, (unsigned)room)) > 0) {
			f->l.len += (size_t)got;
			continue;
		}
		f->eof = true;
		if (got < 0 || gzerror(f->gz, &errnum) == NULL || errnum != Z_OK) {
			fprintf(stderr, "nflogmon: %s: %s; the lines before it "
			    "are replayed\n", f->path, errnum == Z_ERRNO ?
			    strerror(errno) : gzerror(f->gz, &errnum));
			f->failed = true;
		}
	}
}

static int
file_open(struct ml_file *f, const char *path)
{
	struct stat st;
	int fd;

	f->path = path;
	f->t_us = INT64_MIN;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		fprintf(stderr, "nflogmon: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || S_ISDIR(st.st_mode)) {
		fprintf(stderr, "nflogmon: %s: %s\n", path,
		    S_ISDIR(st.st_mode) ? "is a directory" : strerror(errno));
		close(fd);
		return -1;
	}
	if ((f->l.buf = malloc(ML_BUF)) == NULL ||
	    (f->gz = gzdopen(fd, "rb")) == NULL) {
		fprintf(stderr, "nflogmon: %s: out of memory\n", path);
		close(fd);
		return -1;
	}
	(void)gzbuffer(f->gz, ML_BUF);
	maillog_clock_init(&f->clock, (int64_t)st.st_mtim.tv_sec);
	file_advance(f);
	return 0;
}

static int
replay_read(struct input *i, const struct event_sink *sink)
{
	struct ml_replay *r = i->priv;
	struct ml_file *f, *best = NULL;
	int k;

	for (k = 0; k < r->n; k++) {
		f = &r->f[k];
		if (!f->done && (best == NULL || f->t_us < best->t_us))
			best = f;
	}
	if (best == NULL)
		return -1;
	r->st.records++;
	switch (maillog_line(r->m, best->line, best->linelen, best->t_us,
	    sink)) {
	case MAILLOG_EVENTS:
		r->st.events++;
		break;
	case MAILLOG_MALFORMED:
		r->st.malformed++;
		if (!best->warned_binary && memchr(best->line, '\0',
		    best->linelen) != NULL) {
			fprintf(stderr, "nflogmon: %s:%" PRIu64 ": binary "
			    "data (NUL bytes); such lines are counted "
			    "malformed\n", best->path, best->l.lineno);
			best->warned_binary = true;
		}
		break;
	default:
		r->st.ignored++;
		break;
	}
	file_advance(best);
	return 1;
}

static void
replay_stats(const struct input *i, struct input_stats *st)
{
	const struct ml_replay *r = i->priv;
	int k;

	*st = r->st;
	/* A skipped over-long line is a record, malformed. */
	for (k = 0; k < r->n; k++) {
		st->records += r->f[k].l.toolong;
		st->malformed += r->f[k].l.toolong;
	}
}

static void
replay_close(struct input *i)
{
	struct ml_replay *r = i->priv;
	int k;

	for (k = 0; k < r->n; k++) {
		if (r->f[k].gz != NULL)
			gzclose(r->f[k].gz);
		free(r->f[k].l.buf);
	}
	free(r->f);
	maillog_free(r->m);
	free(r);
}

static const struct input_ops replay_ops = {
	.name = "maillog",
	.read = replay_read,
	.stats = replay_stats,
	.close = replay_close,
};

struct input *
input_maillog_replay(char *const *paths, int n, const struct conf *conf)
{
	struct ml_replay *r;
	int k;

	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->f = calloc((size_t)n, sizeof(*r->f))) == NULL ||
	    (r->m = maillog_new(conf, MAILLOG_IDS)) == NULL) {
		fprintf(stderr, "nflogmon: replay: out of memory\n");
		if (r != NULL)
			free(r->f);
		free(r);
		return NULL;
	}
	r->n = n;
	r->in.ops = &replay_ops;
	r->in.fd = -1;
	r->in.priv = r;
	r->st.kind = INPUT_MAILLOG;
	r->st.unit = "lines";
	r->st.group = -1;
	for (k = 0; k < n; k++)
		if (file_open(&r->f[k], paths[k]) == -1) {
			replay_close(&r->in);
			return NULL;
		}
	return &r->in;
}

bool
input_maillog_failed(const struct input *i)
{
	const struct ml_replay *r = i->priv;
	int k;

	for (k = 0; k < r->n; k++)
		if (r->f[k].failed)
			return true;
	return false;
}

/* ------------------------------------------------------------ follow */

/*
 * The followed log.  Invariant: fd is the file we read (or -1 while the
 * path is gone), dev/ino its identity and off how far we read it; the
 * inotify watch on its directory (in.fd) wakes the loop on any change.
 */
struct ml_follow {
	struct input		 in;
	struct maillog		*m;
	char			 path[PATH_MAX];
	const char		*base;		/* in path */
	int			 fd;
	dev_t			 dev;
	ino_t			 ino;
	off_t			 off;
	struct lines		 l;
	bool			 gone_told;
	uint64_t		 toolong_told;
	struct input_stats	 st;
};

static void
follow_line(struct ml_follow *fl, const char *s, size_t n, int64_t now_us,
    const struct event_sink *sink)
{
	fl->st.records++;
	switch (maillog_line(fl->m, s, n, now_us, sink)) {
	case MAILLOG_EVENTS:
		fl->st.events++;
		break;
	case MAILLOG_MALFORMED:
		fl->st.malformed++;
		break;
	default:
		fl->st.ignored++;
		break;
	}
}

/* Reads fd to its current end, handing out every complete line. */
static void
follow_drain(struct ml_follow *fl, const struct event_sink *sink)
{
	const char *s;
	char *at;
	size_t room, n;
	ssize_t got;
	int64_t now_us = clock_mono_us();
	int rounds;

	/* Bounded: a writer faster than us yields to the loop now and then;
	 * inotify tells again. */
	for (rounds = 0; fl->fd != -1 && rounds < 64; rounds++) {
		room = lines_room(&fl->l, &at);
		if ((got = read(fl->fd, at, room)) <= 0) {
			if (got < 0 && errno != EAGAIN && errno != EINTR)
				log_warn("maillog %s", fl->path);
			break;
		}
		fl->off += got;
		fl->l.len += (size_t)got;
		while ((s = lines_next(&fl->l, &n, false)) != NULL)
			follow_line(fl, s, n, now_us, sink);
		if (fl->l.toolong > fl->toolong_told) {
			log_warnx("maillog %s: a line over %d bytes, skipped",
			    fl->path, MAILLOG_LINE_MAX);
			fl->toolong_told = fl->l.toolong;
			fl->st.records++;
			fl->st.malformed++;
		}
	}
}

/* Opens the path from its start (a new file) or end; -1 with errno. */
static int
follow_open(struct ml_follow *fl, bool at_end)
{
	struct stat st;
	int fd;

	if ((fd = open(fl->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		if (errno == 0 || !S_ISREG(st.st_mode))
			errno = EINVAL;
		close(fd);
		return -1;
	}
	fl->off = at_end ? lseek(fd, 0, SEEK_END) : 0;
	if (fl->off < 0)
		fl->off = 0;
	fl->fd = fd;
	fl->dev = st.st_dev;
	fl->ino = st.st_ino;
	fl->l.pos = fl->l.len = 0;
	fl->l.skipping = false;
	return 0;
}

/* After any change in the directory: the new lines, then whether the
 * file was truncated, replaced or removed. */
static void
follow_check(struct ml_follow *fl, const struct event_sink *sink)
{
	struct stat st;

	follow_drain(fl, sink);
	if (fl->fd != -1 && fstat(fl->fd, &st) == 0 && st.st_size < fl->off) {
		log_info("maillog %s: truncated, reading it from the start",
		    fl->path);
		(void)lseek(fl->fd, 0, SEEK_SET);
		fl->off = 0;
		fl->l.pos = fl->l.len = 0;
		fl->l.skipping = false;
		follow_drain(fl, sink);
	}
	if (stat(fl->path, &st) == -1) {
		if (!fl->gone_told)
			log_warnx("maillog %s: %s; waiting for it", fl->path,
			    strerror(errno));
		fl->gone_told = true;
		return;
	}
	if (fl->fd != -1 && st.st_dev == fl->dev && st.st_ino == fl->ino)
		return;
	/* Replaced: what was still written to the old file is read, then
	 * the new file from its start. */
	if (fl->fd != -1) {
		close(fl->fd);
		fl->fd = -1;
	}
	if (follow_open(fl, false) == -1) {
		if (!fl->gone_told)
			log_warn("maillog %s; waiting for it", fl->path);
		fl->gone_told = true;
		return;
	}
	log_info("maillog %s: a new file, reading it from the start",
	    fl->path);
	fl->gone_told = false;
	follow_drain(fl, sink);
}

static int
follow_read(struct input *i, const struct event_sink *sink)
{
	struct ml_follow *fl = i->priv;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;
	int rounds = 0;

	/* What changed does not matter: every wake-up checks the file. */
	while ((n = read(fl->in.fd, buf, sizeof(buf))) > 0 && ++rounds < 16)
		;
	if (n == -1 && errno != EAGAIN && errno != EINTR)
		log_warn("maillog %s: inotify", fl->path);
	follow_check(fl, sink);
	return 1;
}

static void
follow_stats(const struct input *i, struct input_stats *st)
{
	*st = ((const struct ml_follow *)i->priv)->st;
}

static void
follow_reconf(struct input *i, const struct conf *c)
{
	maillog_reconf(((struct ml_follow *)i->priv)->m, c);
}

static void
follow_close(struct input *i)
{
	struct ml_follow *fl = i->priv;

	if (fl->fd != -1)
		close(fl->fd);
	if (fl->in.fd != -1)
		close(fl->in.fd);
	free(fl->l.buf);
	maillog_free(fl->m);
	free(fl);
}

static const struct input_ops follow_ops = {
	.name = "maillog",
	.read = follow_read,
	.stats = follow_stats,
	.reconf = follow_reconf,
	.close = follow_close,
};

struct input *
input_maillog_follow(const struct conf *c, char *err, size_t errlen)
{
	struct ml_follow *fl;
	char dir[PATH_MAX];
	char *slash;

	if ((fl = calloc(1, sizeof(*fl))) == NULL ||
	    (fl->l.buf = malloc(ML_BUF)) == NULL ||
	    (fl->m = maillog_new(c, MAILLOG_IDS)) == NULL) {
		snprintf(err, errlen, "maillog: out of memory");
		if (fl != NULL)
			free(fl->l.buf);
		free(fl);
		return NULL;
	}
	fl->fd = -1;
	fl->in.fd = -1;
	fl->in.ops = &follow_ops;
	fl->in.priv = fl;
	fl->st.kind = INPUT_MAILLOG;
	fl->st.unit = "lines";
	fl->st.group = -1;
	snprintf(fl->path, sizeof(fl->path), "%s", c->maillog);
	snprintf(dir, sizeof(dir), "%s", c->maillog);
	slash = strrchr(dir, '/');	/* conf: an absolute path */
	if (slash == dir)
		slash[1] = '\0';
	else if (slash != NULL)
		*slash = '\0';
	fl->base = strrchr(fl->path, '/') + 1;
	if (follow_open(fl, true) == -1) {
		snprintf(err, errlen, "maillog %s: %s", fl->path,
		    strerror(errno));
		goto fail;
	}
	if ((fl->in.fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1 ||
	    inotify_add_watch(fl->in.fd, dir, IN_MODIFY | IN_CREATE |
	    IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE | IN_CLOSE_WRITE |
	    IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF) == -1) {
		snprintf(err, errlen, "maillog %s: inotify on %s: %s",
		    fl->path, dir, strerror(errno));
		goto fail;
	}
	log_info("maillog %s: following from its end", fl->path);
	return &fl->in;
fail:
	follow_close(&fl->in);
	return NULL;
}

/* --------------------------------------------------- the start check */

/*
 * Whether the daemon's user can read the log and its directory (the
 * daemon follows it after dropping privileges and reopens it after each
 * rotation).  Tried for real, in a child that becomes the user: modes,
 * groups and ACLs all count, as they will.
 */
int
input_maillog_check_user(const struct conf *c, const char *path, char *err,
    size_t errlen)
{
	struct passwd *pw;
	char dir[PATH_MAX], *slash;
	uid_t uid;
	gid_t gid;
	pid_t pid;
	int status, fd;

	if (c->user[0] == '\0')
		return 0;		/* stays root */
	if ((pw = getpwnam(c->user)) != NULL) {
		uid = pw->pw_uid;
		gid = pw->pw_gid;
	} else {
		char *end;
		unsigned long n;

		errno = 0;
		n = strtoul(c->user, &end, 10);
		if (errno != 0 || *end != '\0' || n >= UINT32_MAX) {
			snprintf(err, errlen, "unknown user %s", c->user);
			return -1;
		}
		uid = (uid_t)n;
		gid = (pw = getpwuid(uid)) != NULL ? pw->pw_gid : (gid_t)n;
	}
	if (uid == 0)
		return 0;
	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) != NULL)
		slash[slash == dir] = '\0';
	if ((pid = fork()) == -1) {
		snprintf(err, errlen, "maillog: fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		if ((pw != NULL ? initgroups(pw->pw_name, gid) :
		    setgroups(0, NULL)) == -1 || setgid(gid) == -1 ||
		    setuid(uid) == -1)
			_exit(255);
		if ((fd = open(path, O_RDONLY | O_NONBLOCK)) == -1)
			_exit(errno & 0x7f);
		close(fd);
		if ((fd = open(dir, O_RDONLY | O_DIRECTORY)) == -1)
			_exit(0x80 | (errno & 0x7f));
		_exit(0);
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			snprintf(err, errlen, "maillog: waitpid: %s",
			    strerror(errno));
			return -1;
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (!WIFEXITED(status) || WEXITSTATUS(status) == 255)
		snprintf(err, errlen, "maillog %s: cannot check as user %s",
		    path, c->user);
	else
		snprintf(err, errlen, "maillog %s: user %s cannot read %s (%s); "
		    "Debian's logs are root:adm 0640: add %s to group adm",
		    path, c->user, WEXITSTATUS(status) & 0x80 ? dir : "it",
		    strerror(WEXITSTATUS(status) & 0x7f), c->user);
	return -1;
}
