#!/usr/bin/env bash
# repeat.pcap: a source offending again after each block ends gets the
# next entry of escalate: 1h, then 1d, then 7d.
. "$(dirname "$0")/lib.sh"

j=$(replay_json $C/defaults.conf $P/repeat.pcap) || finish
expect "repeat counts" "$(counts <<<"$j")" "81 77 4 0 2 0"
expect "repeat verdicts" "$(verdicts <<<"$j")" \
"192.0.2.99 burst 21 5 block 1 3600 120 100
192.0.2.99 burst 21 5 block 2 86400 10920 10900
192.0.2.99 burst 21 5 block 3 604800 104520 104500"
finish
