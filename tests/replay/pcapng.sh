#!/usr/bin/env bash
# pcapng is read like pcap: office.pcapng (the same records as office.pcap,
# written as pcapng blocks by the generator) gives the very same JSON, and
# merging it with a pcap file works.
set -u
cd "$(dirname "$0")/../.." || exit 1
NFLOGMON=${NFLOGMON:-./nflogmon}
a=$("$NFLOGMON" replay -c tests/replay/office.conf --json pcaps/office.pcap) || { echo "FAIL: pcap"; exit 1; }
b=$("$NFLOGMON" replay -c tests/replay/office.conf --json pcaps/office.pcapng) || { echo "FAIL: pcapng"; exit 1; }
[ "$a" = "$b" ] || { echo "FAIL: pcapng and pcap differ"; diff <(echo "$a") <(echo "$b"); exit 1; }
n=$(jq '.verdicts | length' <<<"$b")
[ "$n" -ge 1 ] || { echo "FAIL: no verdict from office.pcapng"; exit 1; }
m=$("$NFLOGMON" replay -c tests/replay/office.conf --json pcaps/office.pcapng pcaps/slowbot.pcap |
    jq '.packets') || { echo "FAIL: merge of pcapng and pcap"; exit 1; }
p1=$(jq .packets <<<"$a")
p2=$("$NFLOGMON" replay -c tests/replay/office.conf --json pcaps/slowbot.pcap | jq .packets)
[ "$m" -eq $((p1 + p2)) ] || { echo "FAIL: merged packets $m != $p1 + $p2"; exit 1; }
echo "PASS: pcapng gives the pcap's $n verdicts"
