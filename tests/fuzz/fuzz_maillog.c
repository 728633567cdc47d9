/*
 * fuzz_maillog.c: libFuzzer target for the mail-log parser.  The input is
 * a log: its lines go through maillog_time and maillog_line with one
 * small join table (so evictions happen), and every event must be an
 * account event of one recipient with a client address.
 */
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nflogmon.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_put(void *arg, const struct event *ev, size_t n)
{
	size_t i;

	(void)arg;
	for (i = 0; i < n; i++)
		if (ev[i].kind != INPUT_MAILLOG || ev[i].count != 1 ||
		    ev[i].key.kind != KEY_ACCOUNT ||
		    (ev[i].value.family != AF_INET &&
		    ev[i].value.family != AF_INET6))
			__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct conf *c;
	static struct maillog *m;
	struct maillog_clock clk;
	struct event_sink sink = { .put = fuzz_put };
	const char *s = (const char *)data, *lim = s + size, *nl;
	int64_t t;

	if (c == NULL && ((c = conf_defaults()) == NULL ||
	    (m = maillog_new(c, 16)) == NULL))
		abort();
	maillog_clock_init(&clk, 1796374800);
	while (s < lim) {
		if ((nl = memchr(s, '\n', (size_t)(lim - s))) == NULL)
			nl = lim;
		t = maillog_time(&clk, s, (size_t)(nl - s));
		(void)maillog_line(m, s, (size_t)(nl - s), t < 0 ? 0 : t,
		    &sink);
		s = nl + 1;
	}
	return 0;
}
