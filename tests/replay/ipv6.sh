#!/usr/bin/env bash
# ipv6.pcap (raw IPv6): a bot using a new address for each connection
# inside one /64 gives one verdict naming the /64.
. "$(dirname "$0")/lib.sh"

j=$(replay_json $C/defaults.conf $P/ipv6.pcap) || finish
expect "ipv6 counts" "$(counts <<<"$j")" "39 33 6 0 2 0"
expect "ipv6 verdicts" "$(verdicts <<<"$j")" \
"2001:db8:1:2::/64 burst 21 10 block 1 3600 20 10"
finish
