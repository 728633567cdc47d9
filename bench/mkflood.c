/*
 * mkflood.c: writes the bench capture: COUNT raw-IPv4 TCP SYNs to port 25
 * from SOURCES distinct hosts of 198.18.0.0/15 (the benchmarking range) to
 * 256 servers of 203.0.113.0/24, one every 1 ms (50 minutes for 3M: a busy day's hour, few verdicts).  Deterministic.
 * usage: mkflood FILE COUNT SOURCES
 */
#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

int
main(int argc, char **argv)
{
	pcap_t *p;
	pcap_dumper_t *d;
	struct pcap_pkthdr h;
	uint8_t pkt[40];
	unsigned long count, sources, i;
	uint32_t src, x = 2463534242u;

	if (argc != 4) {
		fprintf(stderr, "usage: mkflood FILE COUNT SOURCES\n");
		return 2;
	}
	count = strtoul(argv[2], NULL, 10);
	sources = strtoul(argv[3], NULL, 10);
	if (sources == 0 || sources > 131072) {
		fprintf(stderr, "mkflood: SOURCES must be 1..131072\n");
		return 2;
	}
	if ((p = pcap_open_dead(DLT_RAW, 256)) == NULL ||
	    (d = pcap_dump_open(p, argv[1])) == NULL) {
		fprintf(stderr, "mkflood: %s: cannot write\n", argv[1]);
		return 1;
	}
	memset(pkt, 0, sizeof(pkt));
	pkt[0] = 0x45;
	put16(pkt + 2, 40);
	pkt[8] = 64;
	pkt[9] = 6;
	pkt[12] = 198;
	pkt[13] = 18;
	pkt[16] = 203;
	pkt[17] = 0;
	pkt[18] = 113;
	put16(pkt + 22, 25);
	pkt[32] = 5 << 4;
	pkt[33] = 0x02;		/* SYN */
	for (i = 0; i < count; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		src = x % sources;
		pkt[13] = 18 + (src >> 16);
		pkt[14] = (src >> 8) & 0xff;
		pkt[15] = src & 0xff;
		pkt[19] = x >> 24;
		put16(pkt + 20, 1024 + (x & 0x7fff));
		h.ts.tv_sec = 1700000000 + i / 1000;
		h.ts.tv_usec = (i % 1000) * 1000;
		h.caplen = h.len = sizeof(pkt);
		pcap_dump((u_char *)d, &h, pkt);
	}
	pcap_dump_close(d);
	pcap_close(p);
	return 0;
}
