/*
 * fuzz_pcap.c: libFuzzer target for replay's capture reader: the input is
 * a whole capture file, opened through input_pcap_open as replay opens
 * one.  A plain pcap file's records are read by input_pcap.c's own direct
 * reader, which hands over to libpcap at the first record it does not
 * take: both paths and the handover run here.  The file is a memfd, so
 * the direct reader sees a regular file.  Besides ASan/UBSan, every record
 * read must be counted exactly once, as an event, ignored or malformed.
 */
#define _GNU_SOURCE
#include <sys/mman.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "nflogmon.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static size_t events_put;

static void
count_put(void *arg, const struct event *ev, size_t n)
{
	(void)arg;
	(void)ev;
	events_put += n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct conf *conf;
	static int fd = -1;
	static char path[64];
	struct event_sink sink = { .put = count_put };
	struct input_stats st;
	struct input *in;
	size_t reads = 0;

	if (conf == NULL) {
		if ((conf = conf_defaults()) == NULL ||
		    (fd = memfd_create("fuzz_pcap", 0)) == -1)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) != 0 ||
	    (size > 0 && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();
	if ((in = input_pcap_open(path, conf)) == NULL)
		return 0;
	events_put = 0;
	/* a record is at least 16 bytes: more reads than that is a loop */
	while (in->ops->read(in, &sink) == 1)
		if (++reads > size / 16 + 1)
			__builtin_trap();
	in->ops->stats(in, &st);
	if (st.records != reads || st.events != events_put ||
	    st.events + st.ignored + st.malformed != st.records)
		__builtin_trap();
	in->ops->close(in);
	return 0;
}
