/*
 * pkt.c: turns untrusted bytes (an NFLOG payload, a pcap record, a fuzz
 * input) into a struct pkt, layer by layer: link header, IPv4 or IPv6 with
 * its extension chain, TCP.  Every length field is checked against the
 * bytes actually present before it is used, headers are read byte by byte
 * (never through bitfield structs, never byte-swapping a bitfield), and no
 * loop runs more than a fixed number of times.
 *
 * Pure: no allocation, no I/O, no clock, no global state.  It must never
 * read past the length it is given, whatever the bytes say.
 *
 * Results: PKT_OK is a TCP segment over IP with every field of struct pkt
 * valid; PKT_IGNORED decodes but is not TCP over IP (UDP, ICMP, ARP, a
 * non-first fragment, ESP); PKT_MALFORMED does not decode, which includes a
 * TCP header cut off by the capture length.  Every field of *out is
 * defined after any call; on a result other than PKT_OK the fields are
 * zero or whatever had been decoded before the verdict, and mean nothing.
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <string.h>

#include "nflogmon.h"

/* The NFLOG family byte: NFPROTO_IPV4 and NFPROTO_IPV6. */
#define NFPROTO_IPV4_NUM	2
#define NFPROTO_IPV6_NUM	10

#define ETHERTYPE_IPV4		0x0800
#define ETHERTYPE_IPV6		0x86dd
#define ETHERTYPE_8021Q		0x8100
#define ETHERTYPE_8021AD	0x88a8

#define ETHER_HDRLEN		14
#define VLAN_TAGLEN		4
#define VLAN_MAX_TAGS		4
#define SLL_HDRLEN		16
#define SLL_PROTO_OFF		14
#define SLL2_HDRLEN		20
#define SLL2_PROTO_OFF		0

#define IPV4_HDRLEN		20
#define IPV6_HDRLEN		40
#define IPV6_MAX_EXTHDRS	8
#define TCP_HDRLEN		20

/* linux/netfilter/nfnetlink_log.h: NFULA_PAYLOAD and NFULA_UID. */
#define NFLOG_HDRLEN		4
#define NFLOG_TLV_HDRLEN	4
#define NFLOG_TLV_TYPE_MASK	0x7fff	/* strips NLA_F_NESTED */
#define NFULA_PAYLOAD_NUM	9
#define NFULA_UID_NUM		11

static uint16_t
get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* The NFLOG TLV header is in the capturing host's order, which libpcap
 * has already converted to ours when reading the file. */
static uint16_t
get_host16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Clears what pkt_decode_ip fills, leaving group and uid to the caller. */
static void
ip_fields_clear(struct pkt *out)
{
	memset(&out->src, 0, sizeof(out->src));
	memset(&out->dst, 0, sizeof(out->dst));
	out->sport = 0;
	out->dport = 0;
	out->tcp_flags = 0;
}

static void
pkt_clear(struct pkt *out)
{
	memset(out, 0, sizeof(*out));
	out->group = PKT_GROUP_NONE;
}

/* The TCP header at p, len bytes available up to the IP packet's end. */
static enum pkt_result
decode_tcp(const uint8_t *p, size_t len, struct pkt *out)
{
	size_t doff;

	if (len < TCP_HDRLEN)
		return PKT_MALFORMED;
	doff = (size_t)(p[12] >> 4) * 4;
	if (doff < TCP_HDRLEN || doff > len)
		return PKT_MALFORMED;
	out->sport = get_be16(p);
	out->dport = get_be16(p + 2);
	out->tcp_flags = p[13];
	return PKT_OK;
}

/*
 * IPv4: version 4, ihl >= 5, header present, total length covering the
 * header.  The packet ends at the smaller of the capture and the total
 * length, so Ethernet padding is never taken for TCP bytes.
 */
static enum pkt_result
decode_ipv4(const uint8_t *p, size_t len, struct pkt *out)
{
	size_t ihl, total, end;

	ip_fields_clear(out);
	if (len < IPV4_HDRLEN || p[0] >> 4 != 4)
		return PKT_MALFORMED;
	ihl = (size_t)(p[0] & 0x0f) * 4;
	if (ihl < IPV4_HDRLEN || ihl > len)
		return PKT_MALFORMED;
	total = get_be16(p + 2);
	if (total < ihl)
		return PKT_MALFORMED;
	end = total < len ? total : len;

	out->src.family = out->dst.family = AF_INET;
	memcpy(out->src.b, p + 12, 4);
	memcpy(out->dst.b, p + 16, 4);

	if ((get_be16(p + 6) & 0x1fff) != 0)	/* non-first fragment */
		return PKT_IGNORED;
	if (p[9] != IPPROTO_TCP)
		return PKT_IGNORED;
	return decode_tcp(p + ihl, end - ihl, out);
}

/*
 * IPv6: the fixed header, then at most IPV6_MAX_EXTHDRS extension headers,
 * each wholly present, up to TCP.  A payload length of 0 (a jumbogram, or
 * a bogus field) leaves the capture length as the end.  A chain longer
 * than the bound is malformed: we refuse to walk it rather than guess.
 */
static enum pkt_result
decode_ipv6(const uint8_t *p, size_t len, struct pkt *out)
{
	size_t end, off, hlen, plen;
	uint8_t nh;
	int i;

	ip_fields_clear(out);
	if (len < IPV6_HDRLEN || p[0] >> 4 != 6)
		return PKT_MALFORMED;
	plen = get_be16(p + 4);
	end = len;
	if (plen != 0 && IPV6_HDRLEN + plen < len)
		end = IPV6_HDRLEN + plen;

	out->src.family = out->dst.family = AF_INET6;
	memcpy(out->src.b, p + 8, 16);
	memcpy(out->dst.b, p + 24, 16);

	nh = p[6];
	off = IPV6_HDRLEN;
	/* Pass i looks at what follows i extension headers. */
	for (i = 0; i <= IPV6_MAX_EXTHDRS; i++) {
		switch (nh) {
		case IPPROTO_TCP:
			return decode_tcp(p + off, end - off, out);
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
			if (end - off < 2)
				return PKT_MALFORMED;
			hlen = ((size_t)p[off + 1] + 1) * 8;
			break;
		case IPPROTO_FRAGMENT:
			if (end - off < 8)
				return PKT_MALFORMED;
			/* offset: the upper 13 bits of bytes 2-3 */
			if ((get_be16(p + off + 2) >> 3) != 0)
				return PKT_IGNORED;
			hlen = 8;
			break;
		case IPPROTO_AH:
			if (end - off < 2)
				return PKT_MALFORMED;
			hlen = ((size_t)p[off + 1] + 2) * 4;
			break;
		case IPPROTO_ESP:
		case IPPROTO_NONE:
		default:
			return PKT_IGNORED;
		}
		if (hlen > end - off)
			return PKT_MALFORMED;
		nh = p[off];
		off += hlen;
	}
	return PKT_MALFORMED;	/* more than IPV6_MAX_EXTHDRS headers */
}

enum pkt_result
pkt_decode_ip(const uint8_t *p, size_t len, struct pkt *out)
{
	ip_fields_clear(out);
	if (len < 1)
		return PKT_MALFORMED;
	switch (p[0] >> 4) {
	case 4:
		return decode_ipv4(p, len, out);
	case 6:
		return decode_ipv6(p, len, out);
	default:
		return PKT_MALFORMED;
	}
}

/*
 * What follows an ethertype at p: up to VLAN_MAX_TAGS 802.1Q/802.1ad tags
 * (TCI, then the next ethertype), then IPv4 or IPv6.  Shared by Ethernet
 * and both Linux cooked headers, whose protocol field is an ethertype.
 */
static enum pkt_result
decode_ethertype(uint16_t et, const uint8_t *p, size_t len, struct pkt *out)
{
	size_t off = 0;
	int tags;

	for (tags = 0; tags < VLAN_MAX_TAGS; tags++) {
		if (et != ETHERTYPE_8021Q && et != ETHERTYPE_8021AD)
			break;
		if (len - off < VLAN_TAGLEN)
			return PKT_MALFORMED;
		et = get_be16(p + off + 2);
		off += VLAN_TAGLEN;
	}
	switch (et) {
	case ETHERTYPE_IPV4:
		return decode_ipv4(p + off, len - off, out);
	case ETHERTYPE_IPV6:
		return decode_ipv6(p + off, len - off, out);
	default:
		return PKT_IGNORED;	/* ARP, a fifth tag, ... */
	}
}

/*
 * DLT_NFLOG: family, version, resource id (the group, big-endian), then
 * TLVs {length, type, value} padded to 4 bytes, length counting the TLV
 * header.  Every TLV is checked before the payload is decoded; the first
 * payload and uid TLVs count.
 */
static enum pkt_result
decode_nflog(const uint8_t *p, size_t len, struct pkt *out)
{
	const uint8_t *payload = NULL;
	size_t off, tlen, vlen, payload_len = 0;
	uint16_t type;
	uint8_t family;

	if (len < NFLOG_HDRLEN)
		return PKT_MALFORMED;
	family = p[0];
	out->group = get_be16(p + 2);

	/* Each TLV advances off by at least 4, so this loop is bounded. */
	for (off = NFLOG_HDRLEN; off < len; off += (tlen + 3) & ~(size_t)3) {
		if (len - off < NFLOG_TLV_HDRLEN)
			return PKT_MALFORMED;
		tlen = get_host16(p + off);
		type = get_host16(p + off + 2) & NFLOG_TLV_TYPE_MASK;
		if (tlen < NFLOG_TLV_HDRLEN || tlen > len - off)
			return PKT_MALFORMED;
		vlen = tlen - NFLOG_TLV_HDRLEN;
		if (type == NFULA_PAYLOAD_NUM && payload == NULL) {
			payload = p + off + NFLOG_TLV_HDRLEN;
			payload_len = vlen;
		} else if (type == NFULA_UID_NUM && !out->has_uid) {
			if (vlen < 4)
				return PKT_MALFORMED;
			out->uid = get_be32(p + off + NFLOG_TLV_HDRLEN);
			out->has_uid = true;
		}
	}
	if (payload == NULL)
		return PKT_MALFORMED;
	switch (family) {
	case NFPROTO_IPV4_NUM:
		return decode_ipv4(payload, payload_len, out);
	case NFPROTO_IPV6_NUM:
		return decode_ipv6(payload, payload_len, out);
	default:
		return PKT_IGNORED;	/* ARP, bridge: not IP */
	}
}

bool
pkt_linktype_supported(int linktype)
{
	switch (linktype) {
	case LINK_ETHERNET:
	case LINK_RAW:
	case LINK_LINUX_SLL:
	case LINK_IPV4:
	case LINK_IPV6:
	case LINK_NFLOG:
	case LINK_LINUX_SLL2:
		return true;
	default:
		return false;
	}
}

enum pkt_result
pkt_decode_link(int linktype, const uint8_t *p, size_t len, struct pkt *out)
{
	pkt_clear(out);
	switch (linktype) {
	case LINK_ETHERNET:
		if (len < ETHER_HDRLEN)
			return PKT_MALFORMED;
		return decode_ethertype(get_be16(p + 12), p + ETHER_HDRLEN,
		    len - ETHER_HDRLEN, out);
	case LINK_RAW:
		return pkt_decode_ip(p, len, out);
	case LINK_IPV4:
		return decode_ipv4(p, len, out);
	case LINK_IPV6:
		return decode_ipv6(p, len, out);
	case LINK_LINUX_SLL:
		if (len < SLL_HDRLEN)
			return PKT_MALFORMED;
		return decode_ethertype(get_be16(p + SLL_PROTO_OFF),
		    p + SLL_HDRLEN, len - SLL_HDRLEN, out);
	case LINK_LINUX_SLL2:
		if (len < SLL2_HDRLEN)
			return PKT_MALFORMED;
		return decode_ethertype(get_be16(p + SLL2_PROTO_OFF),
		    p + SLL2_HDRLEN, len - SLL2_HDRLEN, out);
	case LINK_NFLOG:
		return decode_nflog(p, len, out);
	default:
		return PKT_MALFORMED;
	}
}
