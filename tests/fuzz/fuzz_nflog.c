/*
 * fuzz_nflog.c: libFuzzer target for the NFLOG record: the 4-byte header
 * and the TLV walk (lengths, padding, payload and uid attributes) in front
 * of the IP decoder, via pkt_decode_link(LINK_NFLOG, ...).  The group is
 * the header's resource id whenever the header is present.
 */
#include <stddef.h>
#include <stdint.h>

#include "nflogmon.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pkt p;
	enum pkt_result r;

	r = pkt_decode_link(LINK_NFLOG, data, size, &p);
	if (size < 4) {
		if (r != PKT_MALFORMED || p.group != PKT_GROUP_NONE)
			__builtin_trap();
		return 0;
	}
	if (p.group != (data[2] << 8 | data[3]))
		__builtin_trap();
	if (r == PKT_OK && p.src.family == 0)
		__builtin_trap();
	if (r == PKT_MALFORMED && (p.sport != 0 || p.dport != 0))
		__builtin_trap();
	return 0;
}
