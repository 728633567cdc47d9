#!/usr/bin/env bash
# Plain pcap records are read by replay's direct reader, every other
# capture (and every record from the first that is not plain) by libpcap
# (input_pcap.c): each way gives the same replay.  office.pcap rewritten
# as the other byte order, as nanoseconds, read through a pipe, with a
# record too large for the direct reader in the middle (libpcap takes over
# there), with one larger than the snapshot length (libpcap cuts it), and
# with big records before it so that records straddle the reader's buffer
# refills: the same verdicts and top talkers, and the added records counted.
# And each file gives the very same JSON as through a pipe (libpcap alone),
# also one whose snapshot length (40) cuts every record short.
. "$(dirname "$0")/lib.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 - "$P/office.pcap" "$tmp" <<'EOF' || { echo "FAIL: rewriting office.pcap"; exit 1; }
import struct, sys
src, out = sys.argv[1], sys.argv[2]
d = open(src, 'rb').read()
magic, vmaj, vmin, zone, sig, snap, link = struct.unpack('<IHHiIII', d[:24])
assert magic == 0xa1b2c3d4 and (vmaj, vmin) == (2, 4)
recs, off = [], 24
while off < len(d):
    sec, usec, cap, ln = struct.unpack('<IIII', d[off:off + 16])
    recs.append((sec, usec, cap, ln, d[off + 16:off + 16 + cap]))
    off += 16 + cap

def write(name, recs, endian='<', magic=0xa1b2c3d4, snap=snap, scale=1):
    with open(out + '/' + name, 'wb') as f:
        f.write(struct.pack(endian + 'IHHiIII', magic, 2, 4, 0, 0, snap, link))
        for sec, usec, cap, ln, data in recs:
            f.write(struct.pack(endian + 'IIII', sec, usec * scale, cap, ln))
            f.write(data)

def big(n, like):		# n bytes of zeros: an Ethernet frame of type 0
    return (like[0], like[1], n, n, bytes(n))

mid = len(recs) // 2
write('swapped.pcap', recs, endian='>')
write('nsec.pcap', recs, magic=0xa1b23c4d, scale=1000)
write('handoff.pcap', recs[:mid] + [big(70000, recs[mid])] + recs[mid:],
      snap=262144)
write('cut.pcap', recs[:mid] + [big(70000, recs[mid])] + recs[mid:])
write('refill.pcap', [big(65000, recs[0]) for _ in range(40)] + recs)
write('snap.pcap', recs, snap=40)
EOF

want=$(replay_json $C/office.conf $P/office.pcap) ||
    { fail "office.pcap: replay failed"; finish; }
same() {	# NAME FILE ADDED: same verdicts and top, ADDED more packets
	local name=$1 file=$2 added=$3 got
	got=$(replay_json $C/office.conf "$file") ||
	    { fail "$name: replay failed"; return; }
	check_sum "$got" "$name"
	expect "$name: verdicts" "$(jq -c '.verdicts, .top' <<<"$got")" \
	    "$(jq -c '.verdicts, .top' <<<"$want")"
	expect "$name: packets, events" "$(jq -c '[.packets, .events]' <<<"$got")" \
	    "$(jq -c "[.packets + $added, .events]" <<<"$want")"
}
same "other byte order" "$tmp/swapped.pcap" 0
same "nanoseconds" "$tmp/nsec.pcap" 0
same "through a pipe" <(cat $P/office.pcap) 0
same "libpcap takes over" "$tmp/handoff.pcap" 1
same "over the snapshot length" "$tmp/cut.pcap" 1
[ "$(stat -c %s "$tmp/refill.pcap")" -gt $((2 * 1024 * 1024)) ] ||
    fail "refill.pcap is not larger than two buffers"
same "records across refills" "$tmp/refill.pcap" 40
for f in "$tmp"/*.pcap; do
	a=$(replay_json $C/office.conf "$f") || { fail "$f: replay failed"; continue; }
	b=$(replay_json $C/office.conf <(cat "$f")) || { fail "$f: replay failed"; continue; }
	expect "$(basename "$f"): as through a pipe" "$a" "$b"
done
n=$(jq .malformed <<<"$(replay_json $C/office.conf "$tmp/snap.pcap")")
[ "$n" -gt 100 ] || fail "snap.pcap: $n malformed, the snapshot length did not cut"
finish
