#!/usr/bin/env bash
# The same scenario in Linux cooked v1 and v2, VLAN-tagged Ethernet
# (802.1Q and 802.1ad+802.1Q) and raw IP (both families).
. "$(dirname "$0")/lib.sh"

for f in sll:192.0.2.101 sll2:192.0.2.102 vlan:192.0.2.103; do
	name=${f%%:*} bot=${f#*:}
	j=$(replay_json $C/defaults.conf $P/$name.pcap) || continue
	expect "$name counts" "$(counts <<<"$j")" "31 27 4 0 2 0"
	expect "$name verdicts" "$(verdicts <<<"$j")" \
	    "$bot burst 21 6 block 1 3600 30 10"
done
j=$(replay_json $C/defaults.conf $P/raw.pcap) || finish
expect "raw counts" "$(counts <<<"$j")" "56 52 4 0 3 0"
expect "raw verdicts" "$(verdicts <<<"$j")" \
"192.0.2.104 burst 21 6 block 1 3600 30 10
2001:db8:4::/64 burst 21 6 block 1 3600 32 12"
finish
