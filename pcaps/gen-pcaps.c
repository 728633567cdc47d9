/*
 * gen-pcaps.c: writes the replay fixtures (pcaps/README.md) into the
 * directory given as argv[1].
 *
 * Deterministic: fixed timestamps, a fixed-seed PRNG and libpcap's own
 * writer, so running it again must give byte-identical files (the replay
 * tests check this).  Every scenario is built in memory, sorted by time
 * (stable) and then dumped, so each file is in timestamp order.  Only
 * documentation addresses are used.  libpcap 1.10 cannot write pcapng, so
 * office.pcapng is written here by hand (pcapng_copy: the three block
 * types a reader needs) from office.pcap, record for record; replay reads
 * it through the same pcap_open_offline call.
 *
 * Timing is chosen well clear of window edges (the engine may keep windows
 * in buckets of 1/16 of a window) except where a comment says otherwise.
 */
#include <sys/types.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0_S		1700000000LL	/* 2023-11-14 22:13:20 UTC */
#define US		1000000LL
#define SNAPLEN		65535
#define REC_MAX		256

#define F_FIN		0x01
#define F_SYN		0x02
#define F_RST		0x04
#define F_ACK		0x10

/* Link types written; DLT_RAW is LINKTYPE_RAW (101) in the file. */
#define L_ETH		DLT_EN10MB
#define L_RAW		DLT_RAW
#define L_SLL		113
#define L_SLL2		276
#define L_IPV6		229
#define L_NFLOG		239
#define L_USER0		147

/* One record: its time, order of creation (stable sort) and bytes. */
struct rec {
	int64_t		t_us;
	uint32_t	seq;
	uint32_t	len;
	uint8_t		b[REC_MAX];
};

/*
 * A capture in the making.  Invariant: recs[0..n) are the records added so
 * far, in creation order until cap_write sorts them; sport is the next
 * client port handed out.
 */
struct cap {
	int		 linktype;
	struct rec	*recs;
	size_t		 n, max;
	uint16_t	 sport;
	uint16_t	 vlan;		/* L_ETH: 802.1Q tag, 0 none */
	int		 qinq;		/* L_ETH: 802.1ad outer tag too */
};

static uint32_t rng_state;

static void
rng_seed(uint32_t s)
{
	rng_state = s ? s : 1;
}

/* xorshift32: small, fixed, the same everywhere. */
static uint32_t
rng(void)
{
	uint32_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return rng_state = x;
}

static void
die(const char *msg)
{
	fprintf(stderr, "gen-pcaps: %s\n", msg);
	exit(1);
}

static void
cap_init(struct cap *c, int linktype)
{
	memset(c, 0, sizeof(*c));
	c->linktype = linktype;
	c->sport = 40000;
}

static uint16_t
cap_port(struct cap *c)
{
	uint16_t p = c->sport++;

	if (c->sport == 0)
		c->sport = 40000;
	return p;
}

/* Adds len bytes as one record at t_s seconds (relative to T0). */
static void
cap_add(struct cap *c, double t_s, const uint8_t *b, size_t len)
{
	struct rec *r;

	if (len > REC_MAX)
		die("record too long");
	if (c->n == c->max) {
		size_t nmax = c->max ? c->max * 2 : 256;
		struct rec *nr = realloc(c->recs, nmax * sizeof(*nr));

		if (nr == NULL)
			die("out of memory");
		c->recs = nr;
		c->max = nmax;
	}
	r = &c->recs[c->n];
	/* Round to whole microseconds so the times are exact. */
	r->t_us = T0_S * US + (int64_t)(t_s * US + 0.5);
	r->seq = (uint32_t)c->n;
	r->len = (uint32_t)len;
	memcpy(r->b, b, len);
	c->n++;
}

static int
rec_cmp(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;

	if (x->t_us != y->t_us)
		return x->t_us < y->t_us ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void
cap_write(struct cap *c, const char *dir, const char *name)
{
	char path[4096];
	pcap_t *p;
	pcap_dumper_t *d;
	size_t i;

	qsort(c->recs, c->n, sizeof(*c->recs), rec_cmp);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((p = pcap_open_dead(c->linktype, SNAPLEN)) == NULL)
		die("pcap_open_dead");
	if ((d = pcap_dump_open(p, path)) == NULL) {
		fprintf(stderr, "gen-pcaps: %s: %s\n", path, pcap_geterr(p));
		exit(1);
	}
	for (i = 0; i < c->n; i++) {
		struct pcap_pkthdr h;

		memset(&h, 0, sizeof(h));
		h.ts.tv_sec = (time_t)(c->recs[i].t_us / US);
		h.ts.tv_usec = (suseconds_t)(c->recs[i].t_us % US);
		h.caplen = h.len = c->recs[i].len;
		pcap_dump((u_char *)d, &h, c->recs[i].b);
	}
	if (pcap_dump_flush(d) != 0)
		die("pcap_dump_flush");
	pcap_dump_close(d);
	pcap_close(p);
	free(c->recs);
	c->recs = NULL;
	c->n = c->max = 0;
}

/* ---------------------------------------------------- IP and transport */

static void
put16(uint8_t *b, uint16_t v)
{
	b[0] = v >> 8;
	b[1] = v & 0xff;
}

static void
put32(uint8_t *b, uint32_t v)
{
	put16(b, v >> 16);
	put16(b + 2, v & 0xffff);
}

static uint32_t
sum_add(uint32_t sum, const uint8_t *b, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	return sum;
}

static uint16_t
sum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* An address written as text: "192.0.2.7" or "2001:db8::1". */
struct ip {
	int		af;
	uint8_t		b[16];
};

static struct ip
ipa(const char *s)
{
	struct ip a;

	memset(&a, 0, sizeof(a));
	a.af = strchr(s, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(a.af, s, a.b) != 1)
		die("bad address in generator");
	return a;
}

/* "prefix" with the last byte (v4) or last 8 bytes (v6) given. */
static struct ip
ip_host(const char *prefix, uint32_t host)
{
	struct ip a = ipa(prefix);

	if (a.af == AF_INET)
		a.b[3] = (uint8_t)host;
	else
		put32(a.b + 12, host);
	return a;
}

/*
 * Builds an IP header of af for proto and payload plen at b; returns the
 * header length.  The transport checksum is filled in afterwards.
 */
static size_t
ip_header(uint8_t *b, const struct ip *s, const struct ip *d, uint8_t proto,
    size_t plen)
{
	if (s->af == AF_INET) {
		memset(b, 0, 20);
		b[0] = 0x45;
		put16(b + 2, (uint16_t)(20 + plen));
		put16(b + 4, 0x1234);
		b[6] = 0x40;		/* DF */
		b[8] = 64;
		b[9] = proto;
		memcpy(b + 12, s->b, 4);
		memcpy(b + 16, d->b, 4);
		put16(b + 10, sum_fold(sum_add(0, b, 20)));
		return 20;
	}
	memset(b, 0, 40);
	b[0] = 0x60;
	put16(b + 4, (uint16_t)plen);
	b[6] = proto;
	b[7] = 64;
	memcpy(b + 8, s->b, 16);
	memcpy(b + 24, d->b, 16);
	return 40;
}

/* The transport checksum over the pseudo header and the segment. */
static uint16_t
l4_sum(const struct ip *s, const struct ip *d, uint8_t proto,
    const uint8_t *seg, size_t len)
{
	uint32_t sum = 0;
	uint8_t ph[4];
	size_t alen = s->af == AF_INET ? 4 : 16;

	sum = sum_add(sum, s->b, alen);
	sum = sum_add(sum, d->b, alen);
	put16(ph, 0);
	ph[1] = proto;
	sum = sum_add(sum, ph, 2);
	put32(ph, (uint32_t)len);
	sum = sum_add(sum, ph, 4);
	return sum_fold(sum_add(sum, seg, len));
}

/* A TCP segment in an IP packet; SYNs carry an MSS option (doff 6). */
static size_t
ip_tcp(uint8_t *b, const struct ip *s, const struct ip *d, uint16_t sport,
    uint16_t dport, uint8_t flags)
{
	size_t tlen = (flags & F_SYN) ? 24 : 20;
	size_t hl = ip_header(b, s, d, IPPROTO_TCP, tlen);
	uint8_t *t = b + hl;

	memset(t, 0, tlen);
	put16(t, sport);
	put16(t + 2, dport);
	put32(t + 4, 0x10000000u + sport);
	if (flags & F_ACK)
		put32(t + 8, 0x20000001u);
	t[12] = (uint8_t)((tlen / 4) << 4);
	t[13] = flags;
	put16(t + 14, 64240);
	if (tlen == 24) {
		t[20] = 2;		/* MSS */
		t[21] = 4;
		put16(t + 22, 1460);
	}
	put16(t + 16, l4_sum(s, d, IPPROTO_TCP, t, tlen));
	return hl + tlen;
}

/* A small UDP datagram (a DNS query's size). */
static size_t
ip_udp(uint8_t *b, const struct ip *s, const struct ip *d, uint16_t sport,
    uint16_t dport)
{
	size_t ulen = 8 + 29;
	size_t hl = ip_header(b, s, d, IPPROTO_UDP, ulen);
	uint8_t *u = b + hl;

	memset(u, 0, ulen);
	put16(u, sport);
	put16(u + 2, dport);
	put16(u + 4, (uint16_t)ulen);
	/* a query for example.com A: 12 header + 13 name + 4 bytes */
	memcpy(u + 8, "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
	    "\x07" "example" "\x03" "com" "\x00" "\x00\x01\x00\x01", 29);
	put16(u + 6, l4_sum(s, d, IPPROTO_UDP, u, ulen));
	return hl + ulen;
}

/* An ICMP echo request (IPv4). */
static size_t
ip_icmp(uint8_t *b, const struct ip *s, const struct ip *d)
{
	size_t hl = ip_header(b, s, d, IPPROTO_ICMP, 16);
	uint8_t *m = b + hl;

	memset(m, 0, 16);
	m[0] = 8;
	put16(m + 4, 1);
	put16(m + 6, 1);
	put16(m + 2, sum_fold(sum_add(0, m, 16)));
	return hl + 16;
}

/* ------------------------------------------------------- link layers */

static const uint8_t mac_gw[6] = { 0x02, 0, 0, 0, 0, 0x01 };

/* Frames an IP packet for the capture's link type and adds it. */
static void
cap_ip(struct cap *c, double t_s, const uint8_t *ip, size_t len)
{
	uint8_t b[REC_MAX] = { 0 };
	size_t h = 0;
	uint16_t etype = (ip[0] >> 4) == 6 ? 0x86dd : 0x0800;

	switch (c->linktype) {
	case L_ETH:
		memcpy(b, mac_gw, 6);
		memcpy(b + 6, mac_gw, 6);
		b[11] = ip[len > 19 ? 15 : 0];	/* source MAC varies a bit */
		h = 12;
		if (c->qinq) {
			put16(b + h, 0x88a8);
			put16(b + h + 2, 100);
			h += 4;
		}
		if (c->vlan) {
			put16(b + h, 0x8100);
			put16(b + h + 2, c->vlan);
			h += 4;
		}
		put16(b + h, etype);
		h += 2;
		break;
	case L_SLL:
		/* packet type 4 (outgoing), ARPHRD_ETHER, addr len 6 */
		memset(b, 0, 16);
		put16(b, 4);
		put16(b + 2, 1);
		put16(b + 4, 6);
		memcpy(b + 6, mac_gw, 6);
		put16(b + 14, etype);
		h = 16;
		break;
	case L_SLL2:
		memset(b, 0, 20);
		put16(b, etype);
		put32(b + 4, 2);	/* interface index */
		put16(b + 8, 1);	/* ARPHRD_ETHER */
		b[10] = 4;		/* outgoing */
		b[11] = 6;
		memcpy(b + 12, mac_gw, 6);
		h = 20;
		break;
	case L_RAW:
	case L_IPV6:
		break;
	default:
		die("cap_ip: link type");
	}
	if (h + len > sizeof(b))
		die("frame too long");
	memcpy(b + h, ip, len);
	cap_add(c, t_s, b, h + len);
}

/* Appends one NFLOG TLV (length and type in host order, as libpcap
 * writes them); returns the new offset. */
static size_t
nflog_tlv(uint8_t *b, size_t off, uint16_t type, const void *v, size_t vlen)
{
	uint16_t tl = (uint16_t)(4 + vlen), ty = type;

	memcpy(b + off, &tl, 2);
	memcpy(b + off + 2, &ty, 2);
	memcpy(b + off + 4, v, vlen);
	off += 4 + vlen;
	while (off % 4)
		b[off++] = 0;
	return off;
}

/* An NFLOG record of group (and uid when uid >= 0). */
static void
cap_nflog(struct cap *c, double t_s, int group, long uid, const uint8_t *ip,
    size_t len)
{
	uint8_t b[REC_MAX] = { 0 };
	uint8_t v[8];
	size_t off;

	memset(b, 0, sizeof(b));
	b[0] = (ip[0] >> 4) == 6 ? AF_INET6 : AF_INET;
	b[1] = 0;
	put16(b + 2, (uint16_t)group);	/* resource id: network order */
	off = 4;
	memset(v, 0, sizeof(v));
	put16(v, (ip[0] >> 4) == 6 ? 0x86dd : 0x0800);
	v[2] = 3;			/* NF_INET_LOCAL_OUT */
	off = nflog_tlv(b, off, 1, v, 4);		/* NFULA_PACKET_HDR */
	off = nflog_tlv(b, off, 10, "smtp", 5);	/* NFULA_PREFIX */
	if (uid >= 0) {
		put32(v, (uint32_t)uid);
		off = nflog_tlv(b, off, 11, v, 4);	/* NFULA_UID */
		off = nflog_tlv(b, off, 14, v, 4);	/* NFULA_GID */
	}
	if (off + 4 + len > sizeof(b))
		die("nflog record too long");
	off = nflog_tlv(b, off, 9, ip, len);		/* NFULA_PAYLOAD */
	cap_add(c, t_s, b, off);
}

/* ---------------------------------------------------------- behaviours */

/* A client's outbound TCP connection: SYN, and when answered, the
 * server's SYN/ACK 20 ms later and the client's ACK 40 ms later. */
static void
conn(struct cap *c, double t_s, const struct ip *s, const struct ip *d,
    uint16_t dport, int answered)
{
	uint8_t b[REC_MAX] = { 0 };
	uint16_t sp = cap_port(c);

	cap_ip(c, t_s, b, ip_tcp(b, s, d, sp, dport, F_SYN));
	if (!answered)
		return;
	cap_ip(c, t_s + 0.02, b, ip_tcp(b, d, s, dport, sp, F_SYN | F_ACK));
	cap_ip(c, t_s + 0.04, b, ip_tcp(b, s, d, sp, dport, F_ACK));
}

static void
dns(struct cap *c, double t_s, const struct ip *s)
{
	uint8_t b[REC_MAX] = { 0 };
	struct ip d = ipa("198.51.100.53");

	cap_ip(c, t_s, b, ip_udp(b, s, &d, cap_port(c), 53));
}

/* A bot's SYNs: n of them every step_s from t_s, to ndst servers in
 * turn ("203.0.113." + dst0 + k % ndst). */
static void
bot(struct cap *c, const struct ip *s, double t_s, int n, double step_s,
    const char *net, uint32_t dst0, int ndst)
{
	int k;

	for (k = 0; k < n; k++) {
		struct ip d = ip_host(net, dst0 + (uint32_t)(k % ndst));

		conn(c, t_s + k * step_s, s, &d, 25, 0);
	}
}

/* A random time in [from_s, to_s) with millisecond resolution. */
static double
rtime(double from_s, double to_s)
{
	uint32_t span_ms = (uint32_t)((to_s - from_s) * 1000);

	return from_s + (double)(rng() % span_ms) / 1000.0;
}

/* ------------------------------------------------------------ captures */

/*
 * A quiet office (12 workstations, 3 SMTP + 20 HTTPS connections and 10 DNS
 * queries each), a busy MTA (300 SMTP connections, one every 4 s, to 40
 * mail servers) and a burst bot (60 SYNs in 30 s to 12 servers).
 */
static void
gen_office(const char *dir)
{
	struct cap c;
	struct ip mta = ipa("192.0.2.25"), botip = ipa("192.0.2.66");
	int i, k;

	cap_init(&c, L_ETH);
	rng_seed(0x0ff1ce);
	for (i = 0; i < 12; i++) {
		struct ip ws = ip_host("192.0.2.0", 10 + (uint32_t)i);

		for (k = 0; k < 3; k++) {
			struct ip d = ip_host("203.0.113.0",
			    10 + (uint32_t)((i + k) % 5));

			conn(&c, rtime(0, 1790), &ws, &d, 25, 1);
		}
		for (k = 0; k < 20; k++) {
			struct ip d = ip_host("198.51.100.0",
			    80 + rng() % 10);

			conn(&c, rtime(0, 1790), &ws, &d, 443, 1);
		}
		for (k = 0; k < 10; k++)
			dns(&c, rtime(0, 1790), &ws);
	}
	for (k = 0; k < 300; k++) {
		struct ip d = ip_host("203.0.113.0", 100 + (uint32_t)(k % 40));

		conn(&c, 120 + 4.0 * k, &mta, &d, 25, 1);
	}
	bot(&c, &botip, 900, 60, 0.5, "203.0.113.0", 200, 12);
	cap_write(&c, dir, "office.pcap");
}

/* A bot that stays under burst and sustained but talks to a new server
 * every 30 s (40 in all), and three quiet hosts. */
static void
gen_slowbot(const char *dir)
{
	struct cap c;
	struct ip b = ipa("192.0.2.77");
	int i, k;

	cap_init(&c, L_ETH);
	rng_seed(0x510b07);
	bot(&c, &b, 60, 40, 30, "203.0.113.0", 10, 40);
	for (i = 0; i < 3; i++) {
		struct ip ws = ip_host("192.0.2.0", 10 + (uint32_t)i);
		struct ip mx = ipa("203.0.113.5");

		for (k = 0; k < 5; k++)
			conn(&c, rtime(0, 1290), &ws, &mx, 25, 1);
		for (k = 0; k < 5; k++)
			dns(&c, rtime(0, 1290), &ws);
	}
	cap_write(&c, dir, "slowbot.pcap");
}

/* A NAT gateway: 200 connections, one every 1.5 s, to 10 mail servers
 * (40 a minute), and one quiet host. */
static void
gen_natgw(const char *dir)
{
	struct cap c;
	struct ip gw = ipa("198.51.100.1"), ws = ipa("192.0.2.10");
	struct ip mx = ipa("203.0.113.5");

	cap_init(&c, L_ETH);
	bot(&c, &gw, 30, 200, 1.5, "203.0.113.0", 50, 10);
	conn(&c, 100, &ws, &mx, 25, 1);
	conn(&c, 200, &ws, &mx, 25, 1);
	cap_write(&c, dir, "natgw.pcap");
}

/* Raw IPv6: a bot in 2001:db8:1:2::/64 using a new address for each of
 * 30 SYNs (one every 0.5 s, 10 servers), and a quiet host elsewhere. */
static void
gen_ipv6(const char *dir)
{
	struct cap c;
	struct ip ws = ipa("2001:db8:1:3::5");
	int k;

	cap_init(&c, L_IPV6);
	rng_seed(0x6);
	for (k = 0; k < 30; k++) {
		struct ip s = ipa("2001:db8:1:2::");
		struct ip d = ip_host("2001:db8:ff::", 0x10 + (uint32_t)(k % 10));

		put32(s.b + 8, rng());
		put32(s.b + 12, rng());
		conn(&c, 10 + 0.5 * k, &s, &d, 25, 0);
	}
	for (k = 0; k < 3; k++) {
		struct ip d = ipa("2001:db8:ff::25");

		conn(&c, 5 + 20.0 * k, &ws, &d, 25, 1);
	}
	cap_write(&c, dir, "ipv6.pcap");
}

/*
 * NFLOG: a web server 192.0.2.80 whose uid 1001 spams (40 SYNs, one every
 * 0.5 s, 8 servers), uid 1002 (allowlisted by webapp.conf) sends 30
 * newsletters (one a second, 5 servers), uid 33 a few mails; two
 * output-group records without a uid; forward group 1 and a foreign group
 * 5 from LAN hosts.
 */
static void
gen_webapp(const char *dir)
{
	struct cap c;
	uint8_t b[REC_MAX] = { 0 };
	struct ip srv = ipa("192.0.2.80"), lan = ipa("192.0.2.30");
	struct ip lan2 = ipa("192.0.2.31"), mx = ipa("203.0.113.5");
	int k;

	cap_init(&c, L_NFLOG);
	for (k = 0; k < 40; k++) {
		struct ip d = ip_host("203.0.113.0", 20 + (uint32_t)(k % 8));

		cap_nflog(&c, 20 + 0.5 * k, 2, 1001,
		    b, ip_tcp(b, &srv, &d, cap_port(&c), 25, F_SYN));
	}
	for (k = 0; k < 30; k++) {
		struct ip d = ip_host("203.0.113.0", 60 + (uint32_t)(k % 5));

		cap_nflog(&c, 100 + 1.0 * k, 2, 1002,
		    b, ip_tcp(b, &srv, &d, cap_port(&c), 25, F_SYN));
	}
	for (k = 0; k < 3; k++)
		cap_nflog(&c, 5 + 50.0 * k, 2, 33,
		    b, ip_tcp(b, &srv, &mx, cap_port(&c), 25, F_SYN));
	for (k = 0; k < 2; k++)
		cap_nflog(&c, 7 + 60.0 * k, 2, -1,
		    b, ip_tcp(b, &srv, &mx, cap_port(&c), 25, F_SYN));
	for (k = 0; k < 3; k++)
		cap_nflog(&c, 9 + 40.0 * k, 1, -1,
		    b, ip_tcp(b, &lan, &mx, cap_port(&c), 25, F_SYN));
	for (k = 0; k < 2; k++)
		cap_nflog(&c, 11 + 40.0 * k, 5, 1001,
		    b, ip_tcp(b, &lan2, &mx, cap_port(&c), 25, F_SYN));
	cap_write(&c, dir, "webapp.pcap");
}

/* Adds an Ethernet frame given as raw bytes after the MAC addresses. */
static void
eth_raw(struct cap *c, double t_s, uint16_t etype, const uint8_t *p,
    size_t len)
{
	uint8_t b[REC_MAX] = { 0 };

	memcpy(b, mac_gw, 6);
	memcpy(b + 6, mac_gw, 6);
	put16(b + 12, etype);
	memcpy(b + 14, p, len);
	cap_add(c, t_s, b, 14 + len);
}

/*
 * One record per case, one a second: 3 events, 7 ignored, 8 malformed
 * (README.md lists them).
 */
static void
gen_malformed(const char *dir)
{
	struct cap c;
	uint8_t b[REC_MAX] = { 0 };
	struct ip s = ipa("192.0.2.10"), s2 = ipa("192.0.2.11");
	struct ip s6 = ipa("2001:db8:1:5::7"), d6 = ipa("2001:db8:ff::25");
	struct ip d = ipa("203.0.113.5");
	size_t n;
	double t = 1;

	cap_init(&c, L_ETH);
	/* events */
	cap_ip(&c, t++, b, ip_tcp(b, &s, &d, 40001, 25, F_SYN));
	cap_ip(&c, t++, b, ip_tcp(b, &s2, &d, 40002, 25, F_SYN));
	cap_ip(&c, t++, b, ip_tcp(b, &s6, &d6, 40003, 25, F_SYN));
	/* ignored: ARP, UDP, ICMP, ACK, SYN to 80, SYN/ACK, RST */
	memset(b, 0, 28);
	put16(b, 1);
	put16(b + 2, 0x0800);
	b[4] = 6;
	b[5] = 4;
	put16(b + 6, 1);
	memcpy(b + 14, s.b, 4);
	memcpy(b + 24, d.b, 4);
	eth_raw(&c, t++, 0x0806, b, 28);
	cap_ip(&c, t++, b, ip_udp(b, &s, &d, 40004, 53));
	cap_ip(&c, t++, b, ip_icmp(b, &s, &d));
	cap_ip(&c, t++, b, ip_tcp(b, &s, &d, 40005, 25, F_ACK));
	cap_ip(&c, t++, b, ip_tcp(b, &s, &d, 40006, 80, F_SYN));
	cap_ip(&c, t++, b, ip_tcp(b, &d, &s, 25, 40007, F_SYN | F_ACK));
	cap_ip(&c, t++, b, ip_tcp(b, &s, &d, 40008, 25, F_RST));
	/* malformed: Ethernet header cut to 10 bytes */
	memcpy(b, mac_gw, 6);
	memcpy(b + 6, mac_gw, 4);
	cap_add(&c, t++, b, 10);
	/* IPv4 header cut to 12 bytes */
	(void)ip_tcp(b, &s, &d, 40009, 25, F_SYN);
	eth_raw(&c, t++, 0x0800, b, 12);
	/* ihl 3 */
	n = ip_tcp(b, &s, &d, 40010, 25, F_SYN);
	b[0] = 0x43;
	eth_raw(&c, t++, 0x0800, b, n);
	/* total length 16, shorter than the header */
	n = ip_tcp(b, &s, &d, 40011, 25, F_SYN);
	put16(b + 2, 16);
	eth_raw(&c, t++, 0x0800, b, n);
	/* TCP header cut to 10 bytes */
	(void)ip_tcp(b, &s, &d, 40012, 25, F_SYN);
	put16(b + 2, 30);
	eth_raw(&c, t++, 0x0800, b, 30);
	/* doff 3 */
	n = ip_tcp(b, &s, &d, 40013, 25, F_SYN);
	b[20 + 12] = 0x30;
	eth_raw(&c, t++, 0x0800, b, n);
	/* doff 15 with 24 bytes of TCP */
	n = ip_tcp(b, &s, &d, 40014, 25, F_SYN);
	b[20 + 12] = 0xf0;
	eth_raw(&c, t++, 0x0800, b, n);
	/* IPv6 header cut to 30 bytes */
	(void)ip_tcp(b, &s6, &d6, 40015, 25, F_SYN);
	eth_raw(&c, t++, 0x86dd, b, 30);
	cap_write(&c, dir, "malformed.pcap");
}

/*
 * The same small scenario in each link type: a bot (25 SYNs, one a
 * second, 6 servers) and a quiet host (2 SYNs, answered).
 */
static void
gen_link(const char *dir, const char *name, int linktype, const char *botip,
    int vlan)
{
	struct cap c;
	struct ip b = ipa(botip), ws = ipa("192.0.2.10");
	struct ip mx = ipa("203.0.113.5");

	cap_init(&c, linktype);
	c.vlan = (uint16_t)vlan;
	bot(&c, &b, 10, 25, 1.0, "203.0.113.0", 30, 6);
	if (vlan)	/* the quiet host's frames are double tagged */
		c.qinq = 1;
	conn(&c, 5, &ws, &mx, 25, 1);
	conn(&c, 50, &ws, &mx, 25, 1);
	if (linktype == L_RAW) {	/* raw IP carries both families */
		struct ip b6 = ipa("2001:db8:4::66");

		c.sport = 50000;
		bot(&c, &b6, 12, 25, 1.0, "2001:db8:ff::", 0x30, 6);
	}
	cap_write(&c, dir, name);
}

/*
 * A repeat offender: three bursts (25 SYNs, one a second, 5 servers) at
 * 100 s, 3 h later and 26 h after that; strikes 1, 2, 3 get 1h, 1d, 7d.
 */
static void
gen_repeat(const char *dir)
{
	struct cap c;
	struct ip b = ipa("192.0.2.99"), ws = ipa("192.0.2.10");
	struct ip mx = ipa("203.0.113.5");
	double t2 = 100 + 3 * 3600, t3 = t2 + 26 * 3600;

	cap_init(&c, L_ETH);
	bot(&c, &b, 100, 25, 1.0, "203.0.113.0", 40, 5);
	bot(&c, &b, t2, 25, 1.0, "203.0.113.0", 40, 5);
	bot(&c, &b, t3, 25, 1.0, "203.0.113.0", 40, 5);
	conn(&c, 50, &ws, &mx, 25, 1);
	conn(&c, t3 + 600, &ws, &mx, 25, 1);
	cap_write(&c, dir, "repeat.pcap");
}

/* A link type replay does not know (DLT_USER0), one record. */
static void
gen_badlink(const char *dir)
{
	struct cap c;
	const uint8_t b[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

	cap_init(&c, L_USER0);
	cap_add(&c, 1, b, sizeof(b));
	cap_write(&c, dir, "badlink.pcap");
}

/* pcapng: little-endian blocks, each framed by its total length. */
static void
put32le(FILE *f, uint32_t v)
{
	uint8_t b[4] = { v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24 };

	fwrite(b, 1, 4, f);
}

static void
put16le(FILE *f, uint16_t v)
{
	uint8_t b[2] = { v & 0xff, v >> 8 };

	fwrite(b, 1, 2, f);
}

/*
 * Copies dir/in (pcap) to dir/out (pcapng): a Section Header Block, one
 * Interface Description Block (the link type, microsecond timestamps by
 * default) and an Enhanced Packet Block per record.
 */
static void
pcapng_copy(const char *dir, const char *in, const char *out)
{
	char err[PCAP_ERRBUF_SIZE], path[4096];
	struct pcap_pkthdr *h;
	const u_char *data;
	uint64_t ts;
	uint32_t pad, len;
	pcap_t *p;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, in);
	if ((p = pcap_open_offline(path, err)) == NULL) {
		fprintf(stderr, "gen-pcaps: %s\n", err);
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/%s", dir, out);
	if ((f = fopen(path, "wb")) == NULL) {
		fprintf(stderr, "gen-pcaps: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	put32le(f, 0x0a0d0d0a);		/* SHB */
	put32le(f, 28);
	put32le(f, 0x1a2b3c4d);
	put16le(f, 1);
	put16le(f, 0);
	put32le(f, 0xffffffff);		/* section length: unknown */
	put32le(f, 0xffffffff);
	put32le(f, 28);
	put32le(f, 1);			/* IDB */
	put32le(f, 20);
	put16le(f, (uint16_t)pcap_datalink(p));
	put16le(f, 0);
	put32le(f, (uint32_t)pcap_snapshot(p));
	put32le(f, 20);
	while (pcap_next_ex(p, &h, &data) == 1) {
		pad = (4 - h->caplen % 4) % 4;
		len = 32 + h->caplen + pad;
		ts = (uint64_t)h->ts.tv_sec * 1000000 + (uint64_t)h->ts.tv_usec;
		put32le(f, 6);		/* EPB */
		put32le(f, len);
		put32le(f, 0);
		put32le(f, (uint32_t)(ts >> 32));
		put32le(f, (uint32_t)ts);
		put32le(f, h->caplen);
		put32le(f, h->len);
		fwrite(data, 1, h->caplen, f);
		fwrite("\0\0\0", 1, pad, f);
		put32le(f, len);
	}
	pcap_close(p);
	if (fclose(f) != 0) {
		fprintf(stderr, "gen-pcaps: %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

int
main(int argc, char **argv)
{
	const char *dir;

	if (argc != 2) {
		fprintf(stderr, "usage: gen-pcaps DIR\n");
		return 2;
	}
	dir = argv[1];
	gen_office(dir);
	pcapng_copy(dir, "office.pcap", "office.pcapng");
	gen_slowbot(dir);
	gen_natgw(dir);
	gen_ipv6(dir);
	gen_webapp(dir);
	gen_malformed(dir);
	gen_link(dir, "sll.pcap", L_SLL, "192.0.2.101", 0);
	gen_link(dir, "sll2.pcap", L_SLL2, "192.0.2.102", 0);
	gen_link(dir, "vlan.pcap", L_ETH, "192.0.2.103", 10);
	gen_link(dir, "raw.pcap", L_RAW, "192.0.2.104", 0);
	gen_repeat(dir);
	gen_badlink(dir);
	return 0;
}
