/*
 * pcap-baseline.c: the reference replay is measured against: a bare
 * pcap_next_ex loop that parses IPv4/TCP by hand and counts SYNs per
 * source in a flat array.  It does the least work any replay can do, so
 * "replay at half its rate" is a fair goal.  Prints packets per second.
 * With --unlocked it also turns off stdio's per-call locking of the
 * capture's FILE, as replay does: the information row of the bench that
 * shows what that setting alone is worth.
 * usage: pcap-baseline [--unlocked] FILE
 */
#include <pcap/pcap.h>
#include <stdio_ext.h>
#include <stdint.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *b;
	pcap_t *p;
	static uint32_t counts[1 << 17];
	unsigned long n = 0, syns = 0;
	double t0, t1;
	int ihl;

	int unlocked = argc == 3 && strcmp(argv[1], "--unlocked") == 0;

	if (argc != 2 + unlocked ||
	    (p = pcap_open_offline(argv[argc - 1], err)) == NULL) {
		fprintf(stderr, "usage: pcap-baseline [--unlocked] FILE (%s)\n",
		    argc >= 2 ? err : "");
		return 2;
	}
	if (unlocked)
		__fsetlocking(pcap_file(p), FSETLOCKING_BYCALLER);
	t0 = now_s();
	while (pcap_next_ex(p, &h, &b) == 1) {
		n++;
		if (h->caplen < 20 || (b[0] >> 4) != 4)
			continue;
		ihl = (b[0] & 0xf) * 4;
		if (b[9] != 6 || h->caplen < (unsigned)ihl + 14)
			continue;
		if ((b[ihl + 13] & 0x12) == 0x02) {
			syns++;
			counts[((b[13] & 1) << 16) | (b[14] << 8) | b[15]]++;
		}
	}
	t1 = now_s();
	printf("%.0f\n", n / (t1 - t0));
	fprintf(stderr, "pcap-baseline: %lu packets, %lu SYNs, %.3f s\n",
	    n, syns, t1 - t0);
	pcap_close(p);
	return 0;
}
