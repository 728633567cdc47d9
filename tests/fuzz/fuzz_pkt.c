/*
 * fuzz_pkt.c: libFuzzer target for the whole decoder.  The first input byte
 * picks one of the supported link types, the rest is the frame.  Besides
 * ASan/UBSan catching any read past the frame, a decoded packet must be
 * self-consistent, and its source must make a key that formats.
 */
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "nflogmon.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const int links[] = {
	LINK_ETHERNET, LINK_RAW, LINK_LINUX_SLL, LINK_IPV4, LINK_IPV6,
	LINK_NFLOG, LINK_LINUX_SLL2,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pkt p;
	struct key k;
	char buf[KEY_STRLEN];
	enum pkt_result r;
	int link;

	if (size < 1)
		return 0;
	link = links[data[0] % (sizeof(links) / sizeof(links[0]))];
	r = pkt_decode_link(link, data + 1, size - 1, &p);
	if (r != PKT_OK && r != PKT_IGNORED && r != PKT_MALFORMED)
		__builtin_trap();
	if (link != LINK_NFLOG && (p.group != PKT_GROUP_NONE || p.has_uid))
		__builtin_trap();
	if (r != PKT_OK)
		return 0;
	if ((p.src.family != AF_INET && p.src.family != AF_INET6) ||
	    p.src.family != p.dst.family)
		__builtin_trap();
	key_from_addr(&k, &p.src, 64);
	if (key_format(&k, buf, sizeof(buf)) != buf ||
	    memchr(buf, '\0', sizeof(buf)) == NULL)
		__builtin_trap();
	return 0;
}
