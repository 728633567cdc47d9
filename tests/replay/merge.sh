#!/usr/bin/env bash
# Records of several files are merged in timestamp order: office.pcap split
# in two (by the parity of the destination address, so every host's
# records are interleaved across both files) gives the same counts and
# verdicts as the whole, whatever the order of the files on the command
# line.  A file split in two by time gives the same too.
. "$(dirname "$0")/lib.sh"

command -v tcpdump >/dev/null || { fail "tcpdump is needed to split captures"; finish; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# ip[19]: the last byte of an IPv4 destination; non-IP frames go to b.
tcpdump -n -r $P/office.pcap -w "$tmp/a.pcap" 'ip and ip[19] & 1 = 0' 2>/dev/null
tcpdump -n -r $P/office.pcap -w "$tmp/b.pcap" 'not (ip and ip[19] & 1 = 0)' 2>/dev/null
na=$(tcpdump -n -r "$tmp/a.pcap" 2>/dev/null | wc -l)
nb=$(tcpdump -n -r "$tmp/b.pcap" 2>/dev/null | wc -l)
[ "$na" -gt 100 ] && [ "$nb" -gt 100 ] || fail "split gave $na and $nb records"

whole=$(replay_json $C/office.conf $P/office.pcap) || finish
want="$(counts <<<"$whole")
$(verdicts <<<"$whole")"
[ -n "$(verdicts <<<"$whole")" ] || fail "the whole capture gave no verdicts"
for order in "a b" "b a"; do
	set -- $order
	j=$(replay_json $C/office.conf "$tmp/$1.pcap" "$tmp/$2.pcap") || continue
	expect "merge $order" "$(counts <<<"$j")
$(verdicts <<<"$j")" "$want"
done

# Split by time at 10000 s into early and late; given late first.
python3 - $P/repeat.pcap "$tmp/early.pcap" "$tmp/late.pcap" <<'PY'
import struct, sys
data = open(sys.argv[1], 'rb').read()
hdr, off, out = data[:24], 24, {0: [], 1: []}
while off < len(data):
    sec, usec, incl, orig = struct.unpack('<IIII', data[off:off + 16])
    out[sec >= 1700000000 + 10000].append(data[off:off + 16 + incl])
    off += 16 + incl
for k, name in ((0, sys.argv[2]), (1, sys.argv[3])):
    open(name, 'wb').write(hdr + b''.join(out[k]))
PY
whole=$(replay_json $C/defaults.conf $P/repeat.pcap) || finish
j=$(replay_json $C/defaults.conf "$tmp/late.pcap" "$tmp/early.pcap") || finish
expect "merge late+early" "$(counts <<<"$j")
$(verdicts <<<"$j")" "$(counts <<<"$whole")
$(verdicts <<<"$whole")"
[ "$(verdicts <<<"$j" | wc -l)" -eq 3 ] || fail "merge late+early: not 3 verdicts"
finish
