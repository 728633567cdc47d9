#!/usr/bin/env bash
# slowbot.pcap: a bot under burst and sustained that talks to a new server
# every 30 s is caught by fanout alone, at its 16th destination.
. "$(dirname "$0")/lib.sh"

j=$(replay_json $C/defaults.conf $P/slowbot.pcap) || finish
expect "slowbot counts" "$(counts <<<"$j")" "100 55 45 0 4 0"
check_sum "$j" slowbot
expect "slowbot verdicts" "$(verdicts <<<"$j")" \
"192.0.2.77 fanout 16 16 block 1 3600 510 60"
finish
