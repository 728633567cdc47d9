#!/usr/bin/env bash
# office.pcap: the quiet workstations give no verdict, the allowlisted MTA
# is reported as allowed (never blocked), the burst bot is blocked.  Then
# the same capture under the defaults and under dry_run.
. "$(dirname "$0")/lib.sh"

j=$(replay_json $C/office.conf $P/office.pcap) || finish
expect "office counts" "$(counts <<<"$j")" "1908 396 1512 0 14 0"
check_sum "$j" office
expect "office verdicts" "$(verdicts <<<"$j")" \
"192.0.2.25 fanout 16 16 allowed null null 180 120
192.0.2.66 burst 21 12 block 1 3600 910 900"
grep -q 'e+' <<<"$j" && fail "office: a number printed with an exponent"

j=$(replay_json $C/defaults.conf $P/office.pcap) || finish
expect "office verdicts, no allowlist" "$(verdicts <<<"$j")" \
"192.0.2.25 fanout 16 16 block 1 3600 180 120
192.0.2.66 burst 21 12 block 1 3600 910 900"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '[block]\ndry_run = yes\n[allow]\naddresses = 192.0.2.25\n' >"$tmp/dry.conf"
j=$(replay_json "$tmp/dry.conf" $P/office.pcap) || finish
expect "office verdicts, dry_run" "$(verdicts <<<"$j")" \
"192.0.2.25 fanout 16 16 allowed null null 180 120
192.0.2.66 burst 21 12 dry_run 1 3600 910 900"
finish
