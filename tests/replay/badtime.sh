#!/usr/bin/env bash
# Records whose timestamp cannot be a time (a pcapng timestamp is 64 bits:
# 2^64 - 1 microseconds would overflow the engine's int64_t clock) are
# malformed and do not move the clock; the SYNs around them count.
. "$(dirname "$0")/lib.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A pcapng, link type raw IPv4, microsecond timestamps: a SYN at T0, one at
# 2^64 - 1 us, one at 2^63 us, one at T0 + 1 s.
python3 - "$tmp/badtime.pcapng" "$T0" <<'PY'
import struct, sys
path, t0 = sys.argv[1], int(sys.argv[2])

def block(btype, body):
    body += b"\0" * (-len(body) % 4)
    n = 12 + len(body)
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)

def syn(src):
    tcp = struct.pack(">HHIIBBHHH", 40000, 25, 1, 0, 5 << 4, 0x02, 65535, 0, 0)
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0, 64, 6, 0,
                     bytes(src), bytes([198, 51, 100, 1]))
    return ip + tcp

def epb(ts_us, pkt):
    return block(6, struct.pack("<IIIII", 0, ts_us >> 32, ts_us & 0xffffffff,
                                len(pkt), len(pkt)) + pkt)

out = block(0x0a0d0d0a, struct.pack("<IHHq", 0x1a2b3c4d, 1, 0, -1))
out += block(1, struct.pack("<HHI", 101, 0, 0))
out += epb(t0 * 10**6, syn([192, 0, 2, 1]))
out += epb(2**64 - 1, syn([192, 0, 2, 2]))
out += epb(2**63, syn([192, 0, 2, 3]))
out += epb((t0 + 1) * 10**6, syn([192, 0, 2, 4]))
open(path, "wb").write(out)
PY

j=$(replay_json $C/defaults.conf "$tmp/badtime.pcapng") || finish
expect "bad times: counts" "$(counts <<<"$j")" "4 2 0 2 2 0"
check_sum "$j" badtime
finish
