/*
 * test_pkt.c: the decoder against packets built byte by byte from a table
 * of specs (link type, VLAN tags, IPv4 options, IPv6 extension chain,
 * fragment offset, protocol, TCP data offset, cut length), plus raw NFLOG
 * TLV cases.  Every packet is also decoded at every shorter length from an
 * exactly sized heap copy, so a sanitizer build catches any over-read.
 */
#include <sys/socket.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nflogmon.h"

#define MAXPKT		1024
#define MAXEXT		12

static const uint8_t src4[4] = { 192, 0, 2, 7 };
static const uint8_t dst4[4] = { 198, 51, 100, 25 };
static const uint8_t src6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2,
    0, 0, 0, 0, 0, 0, 0, 7 };
static const uint8_t dst6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0x25 };

struct buf {
	uint8_t		b[MAXPKT];
	size_t		n;
};

static void
put8(struct buf *b, unsigned v)
{
	assert_true(b->n < MAXPKT);
	b->b[b->n++] = (uint8_t)v;
}

static void
put16(struct buf *b, unsigned v)
{
	put8(b, v >> 8);
	put8(b, v & 0xff);
}

static void
put32(struct buf *b, uint32_t v)
{
	put16(b, v >> 16);
	put16(b, v & 0xffff);
}

static void
putmem(struct buf *b, const void *p, size_t n)
{
	assert_true(b->n + n <= MAXPKT);
	memcpy(b->b + b->n, p, n);
	b->n += n;
}

static void
set16(struct buf *b, size_t off, unsigned v)
{
	b->b[off] = (uint8_t)(v >> 8);
	b->b[off + 1] = (uint8_t)(v & 0xff);
}

/* NFLOG TLV header: host byte order, as libpcap hands it to us. */
static void
put_tlv_hdr(struct buf *b, unsigned len, unsigned type)
{
	uint16_t v[2] = { (uint16_t)len, (uint16_t)type };

	putmem(b, v, sizeof(v));
}

static void
pad4(struct buf *b)
{
	while (b->n % 4 != 0)
		put8(b, 0);
}

/* One packet: what to build and what the decoder must say. */
struct spec {
	const char	*name;
	int		 link;
	int		 vlans;		/* 802.1Q/802.1ad tags (Ether, SLL*) */
	unsigned	 ethertype;	/* 0: the IP version's */
	int		 ipver;		/* 4 or 6 */
	int		 v4_optlen;	/* IPv4 options, multiple of 4 */
	int		 ihl;		/* 0: computed; 16 writes 0 */
	int		 totlen_delta;	/* added to IPv4 total length */
	unsigned	 frag;		/* fragment offset (8-byte units) */
	int		 nexts;		/* IPv6 extension headers ... */
	uint8_t		 exts[MAXEXT];	/* ... their protocol numbers */
	uint8_t		 proto;		/* 6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6 */
	int		 tcp_optlen;
	int		 doff;		/* 0: computed; 16 writes 0 */
	unsigned	 nflog_family;	/* 0: from ipver */
	bool		 nflog_uid;
	uint32_t	 uid;
	uint16_t	 group;
	size_t		 padding;	/* bytes after the IP packet */
	size_t		 cut;		/* 0: whole packet */

	enum pkt_result	 want;
	uint8_t		 want_flags;
};

/* The TCP segment or a small other-protocol header. */
static void
build_l4(struct buf *b, const struct spec *s)
{
	int i, doff;

	if (s->proto != 6) {
		for (i = 0; i < 8; i++)	/* UDP/ICMP header, contents unused */
			put8(b, (unsigned)i);
		return;
	}
	doff = s->doff ? s->doff : (20 + s->tcp_optlen) / 4;
	put16(b, 40025);		/* sport */
	put16(b, 25);			/* dport */
	put32(b, 0x01020304);		/* seq */
	put32(b, 0);			/* ack */
	put8(b, ((unsigned)doff & 0x0f) << 4);
	put8(b, TCP_SYN);
	put16(b, 64240);		/* window */
	put16(b, 0);			/* checksum */
	put16(b, 0);			/* urgent */
	for (i = 0; i < s->tcp_optlen; i++)
		put8(b, 1);		/* NOP */
}

static void
build_ipv4(struct buf *b, const struct spec *s)
{
	size_t start = b->n;
	int i, ihl;

	ihl = s->ihl ? s->ihl : (20 + s->v4_optlen) / 4;
	put8(b, 0x40 | ((unsigned)ihl & 0x0f));
	put8(b, 0);			/* tos */
	put16(b, 0);			/* total length, patched below */
	put16(b, 0x1234);		/* id */
	put16(b, s->frag & 0x1fff);	/* flags, fragment offset */
	put8(b, 64);			/* ttl */
	put8(b, s->proto);
	put16(b, 0);			/* checksum */
	putmem(b, src4, 4);
	putmem(b, dst4, 4);
	for (i = 0; i < s->v4_optlen; i++)
		put8(b, i + 1 == s->v4_optlen ? 0 : 1);	/* NOPs, EOL */
	build_l4(b, s);
	set16(b, start + 2, (unsigned)((int)(b->n - start) + s->totlen_delta));
}

/* An extension header of type t followed by next header nh. */
static void
build_ext(struct buf *b, uint8_t t, uint8_t nh, unsigned frag)
{
	int i;

	put8(b, nh);
	switch (t) {
	case 0:				/* hop-by-hop: 16 bytes, len 1 */
		put8(b, 1);
		put8(b, 1); put8(b, 12);	/* PadN of 12 */
		for (i = 0; i < 12; i++)
			put8(b, 0);
		break;
	case 43:			/* routing: 24 bytes, len 2 */
		put8(b, 2);
		put8(b, 0); put8(b, 0);		/* type 0, segments left 0 */
		for (i = 0; i < 20; i++)
			put8(b, 0);
		break;
	case 44:			/* fragment: 8 bytes */
		put8(b, 0);
		put16(b, frag << 3 | 1);	/* offset, M */
		put32(b, 0xabcd);
		break;
	case 51:			/* AH: (1 + 2) * 4 = 12 bytes */
		put8(b, 1);
		for (i = 0; i < 10; i++)
			put8(b, 0);
		break;
	default:			/* destination options, 8 bytes */
		put8(b, 0);
		put8(b, 1); put8(b, 4);		/* PadN of 4 */
		for (i = 0; i < 4; i++)
			put8(b, 0);
		break;
	}
}

static void
build_ipv6(struct buf *b, const struct spec *s)
{
	size_t start = b->n;
	int i;

	put32(b, 0x60000000);
	put16(b, 0);			/* payload length, patched below */
	put8(b, s->nexts ? s->exts[0] : s->proto);
	put8(b, 64);
	putmem(b, src6, 16);
	putmem(b, dst6, 16);
	for (i = 0; i < s->nexts; i++)
		build_ext(b, s->exts[i],
		    i + 1 < s->nexts ? s->exts[i + 1] : s->proto, s->frag);
	build_l4(b, s);
	set16(b, start + 4, (unsigned)(b->n - start - 40));
}

static void
build_ip(struct buf *b, const struct spec *s)
{
	size_t i;

	if (s->ipver == 4)
		build_ipv4(b, s);
	else
		build_ipv6(b, s);
	for (i = 0; i < s->padding; i++)
		put8(b, 0);
}

static void
build_tags(struct buf *b, const struct spec *s, unsigned et)
{
	int i;

	for (i = 0; i < s->vlans; i++) {
		put16(b, 100 + (unsigned)i);	/* TCI: vlan id */
		put16(b, i + 1 < s->vlans ? 0x8100 : et);
	}
}

static void
build(struct buf *b, const struct spec *s)
{
	struct buf ip;
	unsigned et, first;
	int i;

	memset(b, 0, sizeof(*b));
	et = s->ethertype ? s->ethertype : s->ipver == 4 ? 0x0800 : 0x86dd;
	first = s->vlans ? 0x88a8 : et;
	switch (s->link) {
	case LINK_ETHERNET:
		for (i = 0; i < 12; i++)
			put8(b, 0x02 + (unsigned)i);	/* dst, src MAC */
		put16(b, first);
		build_tags(b, s, et);
		build_ip(b, s);
		break;
	case LINK_LINUX_SLL:
		put16(b, 4);			/* outgoing */
		put16(b, 1);			/* ARPHRD_ETHER */
		put16(b, 6);
		for (i = 0; i < 8; i++)
			put8(b, 0x02 + (unsigned)i);
		put16(b, first);
		build_tags(b, s, et);
		build_ip(b, s);
		break;
	case LINK_LINUX_SLL2:
		put16(b, first);
		put16(b, 0);			/* reserved */
		put32(b, 3);			/* ifindex */
		put16(b, 1);			/* ARPHRD_ETHER */
		put8(b, 4);			/* outgoing */
		put8(b, 6);
		for (i = 0; i < 8; i++)
			put8(b, 0x02 + (unsigned)i);
		build_tags(b, s, et);
		build_ip(b, s);
		break;
	case LINK_NFLOG:
		memset(&ip, 0, sizeof(ip));
		build_ip(&ip, s);
		put8(b, s->nflog_family ? s->nflog_family :
		    s->ipver == 4 ? 2 : 10);
		put8(b, 0);			/* version */
		put16(b, s->group);
		put_tlv_hdr(b, 4 + 6, 10);	/* NFULA_PREFIX "smtp" */
		putmem(b, "smtp\0", 6);
		pad4(b);
		if (s->nflog_uid) {
			put_tlv_hdr(b, 8, 11);	/* NFULA_UID */
			put32(b, s->uid);
		}
		put_tlv_hdr(b, 4 + (unsigned)ip.n, 9);	/* NFULA_PAYLOAD */
		putmem(b, ip.b, ip.n);
		pad4(b);
		break;
	default:			/* raw IP link types */
		build_ip(b, s);
		break;
	}
	if (s->cut != 0 && s->cut < b->n)
		b->n = s->cut;
}

/* Decodes n bytes from an exactly sized heap copy (ASan sees overreads). */
static enum pkt_result
decode_copy(int link, const uint8_t *p, size_t n, struct pkt *out)
{
	enum pkt_result r;
	uint8_t *c;

	c = malloc(n ? n : 1);
	assert_non_null(c);
	memcpy(c, p, n);
	memset(out, 0xa5, sizeof(*out));	/* stale garbage */
	r = pkt_decode_link(link, c, n, out);
	free(c);
	return r;
}

#define V4	.ipver = 4, .proto = 6
#define V6	.ipver = 6, .proto = 6
#define OK	.want = PKT_OK, .want_flags = TCP_SYN

static const struct spec specs[] = {
	/* IPv4 */
	{ "raw v4", LINK_RAW, V4, OK },
	{ "ipv4 link", LINK_IPV4, V4, OK },
	{ "v4 options 12", LINK_IPV4, V4, .v4_optlen = 12, OK },
	{ "v4 options 40", LINK_IPV4, V4, .v4_optlen = 40, OK },
	{ "v4 tcp options", LINK_RAW, V4, .tcp_optlen = 20, OK },
	{ "v4 both options", LINK_RAW, V4, .v4_optlen = 8, .tcp_optlen = 40,
	    OK },
	{ "v4 ihl 4", LINK_RAW, V4, .ihl = 4, .want = PKT_MALFORMED },
	{ "v4 ihl 0", LINK_RAW, V4, .ihl = 16, .want = PKT_MALFORMED },
	{ "v4 ihl 15 no bytes", LINK_RAW, V4, .ihl = 15,
	    .want = PKT_MALFORMED },
	{ "v4 ihl 6, options 0", LINK_RAW, V4, .ihl = 6, .want = PKT_MALFORMED },
	{ "v4 total < ihl", LINK_RAW, V4, .totlen_delta = -21,
	    .want = PKT_MALFORMED },
	{ "v4 total = ihl", LINK_RAW, V4, .totlen_delta = -20,
	    .want = PKT_MALFORMED },
	{ "v4 total cuts tcp", LINK_RAW, V4, .totlen_delta = -1,
	    .want = PKT_MALFORMED },
	{ "v4 total > caplen", LINK_RAW, V4, .totlen_delta = 500, OK },
	{ "v4 padding after total", LINK_ETHERNET, V4, .padding = 6, OK },
	{ "v4 padding, tcp cut by total", LINK_ETHERNET, V4, .padding = 30,
	    .totlen_delta = -4, .want = PKT_MALFORMED },
	{ "v4 doff 4", LINK_RAW, V4, .doff = 4, .want = PKT_MALFORMED },
	{ "v4 doff 0", LINK_RAW, V4, .doff = 16, .want = PKT_MALFORMED },
	{ "v4 doff 6 no options", LINK_RAW, V4, .doff = 6,
	    .want = PKT_MALFORMED },
	{ "v4 doff 15 no options", LINK_RAW, V4, .doff = 15,
	    .want = PKT_MALFORMED },
	{ "v4 first fragment", LINK_RAW, V4, .frag = 0, OK },
	{ "v4 non-first fragment", LINK_RAW, V4, .frag = 1,
	    .want = PKT_IGNORED },
	{ "v4 non-first fragment, max", LINK_RAW, V4, .frag = 0x1fff,
	    .want = PKT_IGNORED },
	{ "v4 udp", LINK_RAW, .ipver = 4, .proto = 17, .want = PKT_IGNORED },
	{ "v4 icmp", LINK_RAW, .ipver = 4, .proto = 1, .want = PKT_IGNORED },
	{ "v4 cut ip header", LINK_RAW, V4, .cut = 19, .want = PKT_MALFORMED },
	{ "v4 cut tcp header", LINK_RAW, V4, .cut = 39, .want = PKT_MALFORMED },
	{ "v4 cut tcp options", LINK_RAW, V4, .tcp_optlen = 4, .cut = 43,
	    .want = PKT_MALFORMED },
	{ "v4 as v6 link", LINK_IPV6, V4, .want = PKT_MALFORMED },

	/* IPv6 */
	{ "raw v6", LINK_RAW, V6, OK },
	{ "ipv6 link", LINK_IPV6, V6, OK },
	{ "v6 as v4 link", LINK_IPV4, V6, .want = PKT_MALFORMED },
	{ "v6 hbh+rt+frag", LINK_RAW, V6, .nexts = 3, .exts = { 0, 43, 44 },
	    OK },
	{ "v6 dst+ah", LINK_RAW, V6, .nexts = 2, .exts = { 60, 51 }, OK },
	{ "v6 8 ext headers", LINK_RAW, V6, .nexts = 8,
	    .exts = { 0, 60, 43, 60, 60, 51, 60, 44 }, OK },
	{ "v6 9 ext headers", LINK_RAW, V6, .nexts = 9,
	    .exts = { 0, 60, 43, 60, 60, 51, 60, 60, 44 },
	    .want = PKT_MALFORMED },
	{ "v6 first fragment", LINK_RAW, V6, .nexts = 1, .exts = { 44 },
	    .frag = 0, OK },
	{ "v6 non-first fragment", LINK_RAW, V6, .nexts = 3,
	    .exts = { 0, 43, 44 }, .frag = 185, .want = PKT_IGNORED },
	{ "v6 esp", LINK_RAW, .ipver = 6, .proto = 50, .want = PKT_IGNORED },
	{ "v6 no next header", LINK_RAW, .ipver = 6, .proto = 59,
	    .want = PKT_IGNORED },
	{ "v6 udp", LINK_RAW, .ipver = 6, .proto = 17, .want = PKT_IGNORED },
	{ "v6 icmpv6 after hbh", LINK_RAW, .ipver = 6, .proto = 58,
	    .nexts = 1, .exts = { 0 }, .want = PKT_IGNORED },
	{ "v6 tcp options", LINK_RAW, V6, .tcp_optlen = 40, OK },
	{ "v6 doff 3", LINK_RAW, V6, .doff = 3, .want = PKT_MALFORMED },
	{ "v6 cut fixed header", LINK_RAW, V6, .cut = 39,
	    .want = PKT_MALFORMED },
	{ "v6 cut in hbh", LINK_RAW, V6, .nexts = 1, .exts = { 0 },
	    .cut = 40 + 10, .want = PKT_MALFORMED },
	{ "v6 cut after hbh", LINK_RAW, V6, .nexts = 1, .exts = { 0 },
	    .cut = 40 + 16, .want = PKT_MALFORMED },
	{ "v6 cut in tcp", LINK_RAW, V6, .cut = 59, .want = PKT_MALFORMED },
	{ "v6 padding after payload", LINK_ETHERNET, V6, .padding = 6, OK },

	/* Ethernet and VLANs */
	{ "ether v4", LINK_ETHERNET, V4, OK },
	{ "ether v6", LINK_ETHERNET, V6, OK },
	{ "ether 1 vlan", LINK_ETHERNET, V4, .vlans = 1, OK },
	{ "ether 2 vlans (QinQ)", LINK_ETHERNET, V6, .vlans = 2, OK },
	{ "ether 4 vlans", LINK_ETHERNET, V4, .vlans = 4, OK },
	{ "ether 5 vlans", LINK_ETHERNET, V4, .vlans = 5,
	    .want = PKT_IGNORED },
	{ "ether arp", LINK_ETHERNET, V4, .ethertype = 0x0806,
	    .want = PKT_IGNORED },
	{ "ether v4 type, v6 packet", LINK_ETHERNET, V6, .ethertype = 0x0800,
	    .want = PKT_MALFORMED },
	{ "ether cut header", LINK_ETHERNET, V4, .cut = 13,
	    .want = PKT_MALFORMED },
	{ "ether cut vlan tag", LINK_ETHERNET, V4, .vlans = 2, .cut = 20,
	    .want = PKT_MALFORMED },
	{ "ether udp", LINK_ETHERNET, .ipver = 4, .proto = 17,
	    .want = PKT_IGNORED },

	/* Linux cooked captures */
	{ "sll v4", LINK_LINUX_SLL, V4, OK },
	{ "sll v6", LINK_LINUX_SLL, V6, OK },
	{ "sll vlan", LINK_LINUX_SLL, V4, .vlans = 1, OK },
	{ "sll cut", LINK_LINUX_SLL, V4, .cut = 15, .want = PKT_MALFORMED },
	{ "sll arp", LINK_LINUX_SLL, V4, .ethertype = 0x0806,
	    .want = PKT_IGNORED },
	{ "sll2 v4", LINK_LINUX_SLL2, V4, OK },
	{ "sll2 v6 with exts", LINK_LINUX_SLL2, V6, .nexts = 2,
	    .exts = { 0, 44 }, OK },
	{ "sll2 cut", LINK_LINUX_SLL2, V4, .cut = 19, .want = PKT_MALFORMED },

	/* NFLOG */
	{ "nflog v4", LINK_NFLOG, V4, .group = 1, OK },
	{ "nflog v6 uid", LINK_NFLOG, V6, .group = 2, .nflog_uid = true,
	    .uid = 1001, OK },
	{ "nflog v4 uid 0", LINK_NFLOG, V4, .group = 2, .nflog_uid = true,
	    .uid = 0, OK },
	{ "nflog v4 big uid", LINK_NFLOG, V4, .group = 65535,
	    .nflog_uid = true, .uid = 4294967294u, OK },
	{ "nflog udp", LINK_NFLOG, .ipver = 4, .proto = 17, .group = 1,
	    .want = PKT_IGNORED },
	{ "nflog family bridge", LINK_NFLOG, V4, .nflog_family = 7,
	    .group = 1, .want = PKT_IGNORED },
	{ "nflog family v6, v4 packet", LINK_NFLOG, V4, .nflog_family = 10,
	    .group = 1, .want = PKT_MALFORMED },
	{ "nflog non-first fragment", LINK_NFLOG, V4, .frag = 3, .group = 1,
	    .want = PKT_IGNORED },
	{ "nflog cut header", LINK_NFLOG, V4, .cut = 3, .group = 0,
	    .want = PKT_MALFORMED },
};

static void
check_ok_fields(const struct spec *s, const struct pkt *p)
{
	if (s->ipver == 4) {
		assert_int_equal(p->src.family, AF_INET);
		assert_int_equal(p->dst.family, AF_INET);
		assert_memory_equal(p->src.b, src4, 4);
		assert_memory_equal(p->dst.b, dst4, 4);
	} else {
		assert_int_equal(p->src.family, AF_INET6);
		assert_int_equal(p->dst.family, AF_INET6);
		assert_memory_equal(p->src.b, src6, 16);
		assert_memory_equal(p->dst.b, dst6, 16);
	}
	assert_int_equal(p->sport, 40025);
	assert_int_equal(p->dport, 25);
	assert_int_equal(p->tcp_flags, s->want_flags);
}

/* What every result must leave in the link-level fields. */
static void
check_link_fields(const struct spec *s, const struct pkt *p, size_t n)
{
	if (s->link == LINK_NFLOG && n >= 4)
		assert_int_equal(p->group, s->group);
	else
		assert_int_equal(p->group, PKT_GROUP_NONE);
	if (!(s->link == LINK_NFLOG && s->nflog_uid))
		assert_false(p->has_uid);
}

static void
test_table(void **state)
{
	const struct spec *s;
	struct buf b;
	struct pkt p;
	enum pkt_result r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		s = &specs[i];
		build(&b, s);
		r = decode_copy(s->link, b.b, b.n, &p);
		if (r != s->want) {
			print_error("%s: result %d, want %d\n", s->name, r,
			    s->want);
			fail();
		}
		check_link_fields(s, &p, b.n);
		if (r == PKT_OK) {
			check_ok_fields(s, &p);
			if (s->link == LINK_NFLOG && s->nflog_uid) {
				assert_true(p.has_uid);
				assert_int_equal(p.uid, s->uid);
			}
		} else {
			assert_int_equal(p.sport, 0);
			assert_int_equal(p.dport, 0);
			assert_int_equal(p.tcp_flags, 0);
		}
	}
}

/*
 * Every proper prefix of a valid packet: an OK packet cut anywhere is
 * malformed (its last bytes are TCP; NFLOG puts the payload last), and an
 * ignored one is never OK.
 */
static void
test_truncate_all(void **state)
{
	const struct spec *s;
	struct buf b;
	struct pkt p;
	enum pkt_result r;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		s = &specs[i];
		build(&b, s);
		if (s->padding != 0 || s->totlen_delta > 0)
			continue;	/* cutting padding changes nothing */
		for (n = 0; n < b.n; n++) {
			r = decode_copy(s->link, b.b, n, &p);
			check_link_fields(s, &p, n);
			if ((s->want == PKT_OK && r != PKT_MALFORMED) ||
			    r == PKT_OK) {
				print_error("%s cut at %zu: result %d\n",
				    s->name, n, r);
				fail();
			}
		}
	}
}

/* Padding after the IP packet: cutting it keeps the verdict. */
static void
test_truncate_padding(void **state)
{
	const struct spec *s;
	struct buf b;
	struct pkt p;
	size_t i, n, iplen;

	(void)state;
	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		s = &specs[i];
		if (s->padding == 0 || s->want != PKT_OK)
			continue;
		build(&b, s);
		iplen = b.n - s->padding;
		for (n = iplen; n <= b.n; n++)
			assert_int_equal(decode_copy(s->link, b.b, n, &p),
			    PKT_OK);
		assert_int_equal(decode_copy(s->link, b.b, iplen - 1, &p),
		    PKT_MALFORMED);
	}
}

/* Raw NFLOG records with bad or unusual TLVs. */
struct tlv {
	int		 len;		/* -1: 4 + value length */
	unsigned	 type;
	int		 val;		/* VAL_* */
	size_t		 vlen;		/* for VAL_ZERO */
};

enum { VAL_NONE, VAL_SYN4, VAL_UID, VAL_ZERO };

struct nflog_case {
	const char	*name;
	int		 ntlv;
	struct tlv	 tlv[4];
	size_t		 trailing;	/* stray bytes after the TLVs */
	enum pkt_result	 want;
	bool		 has_uid;
};

#define PAYLOAD		{ -1, 9, VAL_SYN4, 0 }
#define UID		{ -1, 11, VAL_UID, 0 }

static const struct nflog_case nflog_cases[] = {
	{ "payload only", 1, { PAYLOAD }, 0, PKT_OK, false },
	{ "uid then payload", 2, { UID, PAYLOAD }, 0, PKT_OK, true },
	{ "payload then uid", 2, { PAYLOAD, UID }, 0, PKT_OK, true },
	{ "nested flag on payload type", 1, { { -1, 9 | 0x8000, VAL_SYN4,
	    0 } }, 0, PKT_OK, false },
	{ "no TLVs", 0, { { 0 } }, 0, PKT_MALFORMED, false },
	{ "no payload", 1, { UID }, 0, PKT_MALFORMED, true },
	{ "empty payload", 1, { { -1, 9, VAL_NONE, 0 } }, 0, PKT_MALFORMED,
	    false },
	{ "tlv len 0", 2, { { 0, 10, VAL_ZERO, 4 }, PAYLOAD }, 0,
	    PKT_MALFORMED, false },
	{ "tlv len 3", 2, { { 3, 10, VAL_ZERO, 4 }, PAYLOAD }, 0,
	    PKT_MALFORMED, false },
	{ "tlv len 4 (empty value)", 2, { { 4, 10, VAL_NONE, 0 }, PAYLOAD },
	    0, PKT_OK, false },
	{ "tlv overlong", 2, { PAYLOAD, { 200, 10, VAL_ZERO, 8 } }, 0,
	    PKT_MALFORMED, false },
	{ "payload overlong", 1, { { 400, 9, VAL_SYN4, 0 } }, 0,
	    PKT_MALFORMED, false },
	{ "uid too short", 2, { { 6, 11, VAL_ZERO, 2 }, PAYLOAD }, 0,
	    PKT_MALFORMED, false },
	{ "stray bytes after TLVs", 1, { PAYLOAD }, 2, PKT_MALFORMED, false },
	{ "unknown types skipped", 3, { { -1, 0x7fff, VAL_ZERO, 5 },
	    { -1, 16, VAL_ZERO, 4 }, PAYLOAD }, 0, PKT_OK, false },
};

static void
build_nflog(struct buf *b, const struct nflog_case *c)
{
	const struct tlv *t;
	struct buf v;
	struct spec s = { "syn", LINK_RAW, V4, OK };
	int i;

	memset(b, 0, sizeof(*b));
	put8(b, 2);
	put8(b, 0);
	put16(b, 7);				/* group 7 */
	for (i = 0; i < c->ntlv; i++) {
		t = &c->tlv[i];
		memset(&v, 0, sizeof(v));
		switch (t->val) {
		case VAL_SYN4:
			build(&v, &s);
			break;
		case VAL_UID:
			put32(&v, 1001);
			break;
		case VAL_ZERO:
			v.n = t->vlen;
			break;
		default:
			break;
		}
		put_tlv_hdr(b, t->len < 0 ? 4 + (unsigned)v.n :
		    (unsigned)t->len, t->type);
		putmem(b, v.b, v.n);
		pad4(b);
	}
	for (i = 0; i < (int)c->trailing; i++)
		put8(b, 0);
}

static void
test_nflog_tlvs(void **state)
{
	const struct nflog_case *c;
	struct buf b;
	struct pkt p;
	enum pkt_result r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(nflog_cases) / sizeof(nflog_cases[0]); i++) {
		c = &nflog_cases[i];
		build_nflog(&b, c);
		r = decode_copy(LINK_NFLOG, b.b, b.n, &p);
		if (r != c->want) {
			print_error("%s: result %d, want %d\n", c->name, r,
			    c->want);
			fail();
		}
		assert_int_equal(p.group, 7);
		if (r == PKT_OK) {
			assert_int_equal(p.has_uid, c->has_uid);
			assert_int_equal(p.uid, c->has_uid ? 1001 : 0);
			assert_int_equal(p.dport, 25);
		}
	}
}

/* pkt_decode_ip leaves group and uid alone and clears the rest. */
static void
test_decode_ip_fields(void **state)
{
	struct spec s = { "syn6", LINK_RAW, V6, OK };
	struct buf b;
	struct pkt p;

	(void)state;
	build(&b, &s);
	memset(&p, 0xa5, sizeof(p));
	p.group = 42;
	p.has_uid = true;
	p.uid = 77;
	assert_int_equal(pkt_decode_ip(b.b, b.n, &p), PKT_OK);
	assert_int_equal(p.group, 42);
	assert_true(p.has_uid);
	assert_int_equal(p.uid, 77);
	check_ok_fields(&s, &p);

	memset(&p, 0xa5, sizeof(p));
	assert_int_equal(pkt_decode_ip(b.b, 0, &p), PKT_MALFORMED);
	assert_int_equal(p.src.family, 0);
	assert_int_equal(p.sport, 0);
	b.b[0] = 0x50;				/* version 5 */
	assert_int_equal(pkt_decode_ip(b.b, b.n, &p), PKT_MALFORMED);
}

static void
test_linktypes(void **state)
{
	static const struct {
		int	link;
		bool	known;
	} t[] = {
		{ LINK_ETHERNET, true }, { LINK_RAW, true },
		{ LINK_LINUX_SLL, true }, { LINK_IPV4, true },
		{ LINK_IPV6, true }, { LINK_NFLOG, true },
		{ LINK_LINUX_SLL2, true }, { 0, false }, { 12, false },
		{ 14, false }, { 127, false }, { -1, false }, { 277, false },
	};
	struct spec s = { "syn", LINK_RAW, V4, OK };
	struct buf b;
	struct pkt p;
	size_t i;

	(void)state;
	build(&b, &s);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(pkt_linktype_supported(t[i].link),
		    t[i].known);
		if (!t[i].known) {
			memset(&p, 0xa5, sizeof(p));
			assert_int_equal(pkt_decode_link(t[i].link, b.b, b.n,
			    &p), PKT_MALFORMED);
			assert_int_equal(p.group, PKT_GROUP_NONE);
			assert_false(p.has_uid);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_truncate_all),
		cmocka_unit_test(test_truncate_padding),
		cmocka_unit_test(test_nflog_tlvs),
		cmocka_unit_test(test_decode_ip_fields),
		cmocka_unit_test(test_linktypes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
