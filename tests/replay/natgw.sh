#!/usr/bin/env bash
# natgw.pcap: a NAT gateway at 40 connections a minute is blocked under
# the defaults and left alone under its class's higher thresholds.
. "$(dirname "$0")/lib.sh"

j=$(replay_json $C/defaults.conf $P/natgw.pcap) || finish
expect "natgw counts" "$(counts <<<"$j")" "206 202 4 0 2 0"
expect "natgw verdicts, defaults" "$(verdicts <<<"$j")" \
"198.51.100.1 burst 21 10 block 1 3600 60 30"

j=$(replay_json $C/natgw.conf $P/natgw.pcap) || finish
expect "natgw counts, class" "$(counts <<<"$j")" "206 202 4 0 2 0"
expect "natgw verdicts, class" "$(verdicts <<<"$j")" ""
expect "natgw top talker's class" \
    "$(jq -r '.top[] | select(.source == "198.51.100.1") | .class' <<<"$j")" \
    "natgw"
finish
