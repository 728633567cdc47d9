#!/usr/bin/env bash
# malformed.pcap: each kind of record lands in exactly one count.
. "$(dirname "$0")/lib.sh"

j=$(replay_json $C/defaults.conf $P/malformed.pcap) || finish
expect "malformed counts" "$(counts <<<"$j")" "18 3 7 8 3 0"
check_sum "$j" malformed
expect "malformed verdicts" "$(verdicts <<<"$j")" ""
finish
