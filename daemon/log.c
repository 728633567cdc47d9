/*
 * log.c: every message of the program goes through here, in the OpenBSD
 * manner.  Before log_init, and with -f, to stderr; otherwise to syslog's
 * daemon facility.  errno is preserved so callers can log and then test it.
 * Must never allocate on behalf of a caller in the packet path beyond what
 * vsyslog does; the hot path logs nothing.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "nflogmon.h"

static bool log_foreground = true;
static bool log_verbose;
static const char *log_prog = "nflogmon";

void
log_init(const char *progname, bool foreground, bool debug)
{
	log_prog = progname;
	log_foreground = foreground;
	log_verbose = debug;
	if (!foreground)
		openlog(progname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
vlog(int pri, const char *fmt, va_list ap)
{
	int saved = errno;

	if (log_foreground) {
		fprintf(stderr, "%s: ", log_prog);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		fflush(stderr);
	} else
		vsyslog(pri, fmt, ap);
	errno = saved;
}

/* Formats "message: strerror(errno)" into one line. */
static void vlog_errno(int, const char *, va_list)
    __attribute__((format(printf, 2, 0)));

static void
vlog_errno(int pri, const char *fmt, va_list ap)
{
	char msg[1024];
	int saved = errno;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_foreground)
		fprintf(stderr, "%s: %s: %s\n", log_prog, msg, strerror(saved));
	else
		syslog(pri, "%s: %s", msg, strerror(saved));
	errno = saved;
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_errno(LOG_WARNING, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_errno(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(EXIT_ERR);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(EXIT_ERR);
}
