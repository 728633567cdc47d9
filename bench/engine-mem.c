/*
 * engine-mem.c: memory per tracked source at the default thresholds.
 * Feeds one SYN from each of N distinct sources (198.18.0.0/15, in memory:
 * nothing is sent) through pkt_event and engine_feed and reports the engine's own entry
 * size and the resident memory the table grew by, divided by N.
 * usage: engine-mem N   (N <= 131072)
 */
#include <sys/resource.h>
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nflogmon.h"

static long
rss_kib(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long size = 0, res = 0;

	if (f == NULL)
		return -1;
	if (fscanf(f, "%ld %ld", &size, &res) != 2)
		res = -1;
	fclose(f);
	return res * 4;
}

int
main(int argc, char **argv)
{
	static const uint8_t hashkey[16] = { 1, 2, 3 };
	struct conf *conf = conf_defaults();
	struct engine *e;
	struct verdict v;
	struct engine_stats st;
	struct pkt p;
	struct event ev;
	long n = argc > 1 ? atol(argv[1]) : 131072, i, before, after;

	if (conf == NULL || n <= 0 || n > 131072) {
		fprintf(stderr, "usage: engine-mem N (1..131072)\n");
		return 2;
	}
	conf->max_sources = n;
	before = rss_kib();
	if ((e = engine_new(conf, hashkey)) == NULL)
		return 1;
	memset(&p, 0, sizeof(p));
	p.group = 1;
	p.src.family = p.dst.family = AF_INET;
	p.dst.b[0] = 203; p.dst.b[2] = 113; p.dst.b[3] = 9;
	p.dport = 25;
	p.tcp_flags = TCP_SYN;
	for (i = 0; i < n; i++) {
		p.src.b[0] = 198;
		p.src.b[1] = 18 + (i >> 16);
		p.src.b[2] = (i >> 8) & 0xff;
		p.src.b[3] = i & 0xff;
		if (pkt_event(conf, &p, PKT_OK, 1000000 + i, &ev) == PKT_OK)
			engine_feed(e, &ev, &v);
	}
	after = rss_kib();
	engine_stats(e, &st);
	if (st.tracked != (uint64_t)n) {
		fprintf(stderr, "engine-mem: %llu sources tracked, not %ld\n",
		    (unsigned long long)st.tracked, n);
		return 1;
	}
	printf("%zu %.1f\n", engine_bytes_per_source(e),
	    (after - before) * 1024.0 / n);
	engine_free(e);
	conf_free(conf);
	return 0;
}
