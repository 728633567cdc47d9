#!/usr/bin/env bash
# webapp.pcap (NFLOG): output-group records are keyed by uid; the spamming
# uid is blocked, the allowlisted uid reported as allowed; records of the
# forward group and of a foreign group are keyed by address.
. "$(dirname "$0")/lib.sh"

j=$(replay_json $C/webapp.conf $P/webapp.pcap) || finish
expect "webapp counts" "$(counts <<<"$j")" "80 80 0 0 6 0"
expect "webapp verdicts" "$(verdicts <<<"$j")" \
"uid:1001 burst 21 8 block 1 3600 30 20
uid:1002 burst 21 5 allowed null null 120 100"
expect "webapp talkers" \
    "$(jq -r '[.top[].source] | sort | join(" ")' <<<"$j")" \
    "192.0.2.30 192.0.2.31 192.0.2.80 uid:1001 uid:1002 uid:33"
finish
