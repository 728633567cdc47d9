#!/usr/bin/env bash
# Live and replay agree.  A second log statement (group 3) next to the
# forward one, captured with `tcpdump -i nflog:3 -s 0` as the README tells
# operators to capture a day for tuning; a mixed scenario (office hosts, an
# allowlisted MTA, a bursting bot, a fan-out host, IPv6 hosts rotating in
# a /64); then `nflogmon replay --json` of the capture with the daemon's
# own config must give the verdicts the daemon gave (source, rule,
# connections, strike), and as many events as SYNs were sent.
. "$(dirname "$0")/lib.sh"
command -v tcpdump >/dev/null || nfl_fail "missing tool: tcpdump"
# Without the MTA in the rules' allow sets: the daemon's [allow] decides
# (an "allowed" verdict on both sides).
nfl_net_up --no-allow-rules

BURST=8 FANOUT=5
nfl_conf detect.burst=$BURST/1m detect.fanout=$FANOUT/10m \
    detect.sustained=off block.timeout=1h block.escalate=1h

# The capture group: the daemon captures group 1 through the iptables
# rules of its config; an nft ruleset made by `nflogmon rules` from the
# same config with forward_group = 3 (and no output group) logs the same
# SYNs to group 3, where tcpdump reads them.
sed -e 's/^forward_group = .*/forward_group = 3/' \
    -e 's/^output_group = .*/output_group = off/' "$NFL_CONF" > "$NFL_WORK/group3.conf"
"$NFLOGMON" rules -c "$NFL_WORK/group3.conf" > "$NFL_WORK/group3.nft" ||
    nfl_fail "nflogmon rules of the group 3 config"
[ "$(grep -c 'log group 3 snaplen 256' "$NFL_WORK/group3.nft")" = 1 ] ||
    nfl_fail "no group 3 log rule in: $(cat "$NFL_WORK/group3.nft")"
nfl_in "$NS_GW" nft -f "$NFL_WORK/group3.nft" || nfl_fail "nft -f the group 3 ruleset"

nfl_daemon_start
nfl_iptables_load

cap=$NFL_WORK/capture.pcap
ip netns exec "$NS_GW" tcpdump -i nflog:3 -s 0 -U -w "$cap" \
    >"$NFL_WORK/tcpdump.log" 2>&1 &
TCPDUMP_PID=$!
NFL_PIDS+=("$TCPDUMP_PID")
nfl_group3_bound() {
	kill -0 "$TCPDUMP_PID" 2>/dev/null ||
	    nfl_fail "tcpdump exited: $(cat "$NFL_WORK/tcpdump.log")"
	nfl_in "$NS_GW" awk '$1 == 3 { found = 1 } END { exit !found }' \
	    /proc/net/netfilter/nfnetlink_log
}
nfl_wait_until 15 nfl_group3_bound || nfl_fail "tcpdump not bound to NFLOG group 3"
nfl_log "tcpdump capturing nflog:3 (pid $TCPDUMP_PID)"

# The scenario.  Every connection is answered (accepted or reset) within
# its 2 s timeout, so each sent exactly one SYN: SYNs sent = ok + refused.
syns=0
run() {	# what, client arguments...
	local what=$1 out ok refused; shift
	out=$(nfl_client "$@" --port 25 --timeout 2 --deadline 60) ||
	    nfl_fail "$what: client failed"
	ok=$(grep -c '^ok ' <<<"$out")
	refused=$(grep -c '^refused ' <<<"$out")
	grep -Eq '^(timeout|error)' <<<"$out" &&
	    nfl_fail "$what: a connection neither accepted nor reset: $(grep -E '^(timeout|error)' <<<"$out" | head -1)"
	syns=$((syns + ok + refused))
	nfl_log "$what: $ok ok, $refused reset"
}
for h in 10 11 12 13 14; do
	run "office 192.0.2.$h" --src 192.0.2.$h --dst $SRV4+100 --count 3
done
run "office 2001:db8:1::10" --src 2001:db8:1::10 --dst ${SRV6}100+100 --count 3
run "MTA" --src $MTA4 --dst $SRV4+100 --count 30 --interval 0.02
run "bot" --src $BOT4 --dst ${SRV4%.*}.200 --count 30 --interval 0.05
run "fan-out host" --src 192.0.2.67 --dst $SRV4+100 --count $((FANOUT + 3)) \
    --interval 0.1
run "IPv6 hosts of one /64" --src ${HOST6_NET}1+12 --dst ${SRV6}100+3 \
    --count 12 --interval 0.05
run "office 192.0.2.10 again" --src 192.0.2.10 --dst $SRV4+100 --count 2

# The daemon has seen every SYN (status), then the capture ends.
live_packets() {
	nfl_status_json | jq -e --argjson n "$syns" \
	    '[.capture.groups[] | select(.group == 1) | .packets] | add == $n'
}
nfl_wait_until 10 live_packets ||
    nfl_fail "daemon saw $(nfl_status_json | jq -c '.capture.groups') packets, $syns SYNs were sent"
# tcpdump -U writes each record as it comes: wait until all are there.
captured() {
	"$NFLOGMON" replay --json -c "$NFL_CONF" "$cap" 2>/dev/null |
	    jq -e --argjson n "$syns" '.packets == $n'
}
nfl_wait_until 10 captured ||
    nfl_fail "the capture does not hold the $syns SYNs sent"
nfl_kill "$TCPDUMP_PID"
[ -s "$cap" ] || nfl_fail "empty capture: $(cat "$NFL_WORK/tcpdump.log")"

# The daemon's verdicts, from its log: "block SRC: rule R, N connections,
# D destinations, strike S, ..." and "allowed SRC: rule R, N connections"
# (no strike: null, as in replay's JSON).
live=$(sed -nE \
    -e 's/^(nflogmon: )?block ([^ ]+): rule ([a-z]+), ([0-9]+) connections.*, strike ([0-9]+),.*/\2 \3 \4 \5/p' \
    -e 's/^(nflogmon: )?(allowed|breaker) ([^ ]+): rule ([a-z]+), ([0-9]+) connections.*/\3 \4 \5 null/p' \
    "$NFL_WORK/daemon.log" | sort)
# ... and its blocks as `nflogmon list` has them.
listed=$(nfl_list_json | jq -r '.blocks[] | "\(.source) \(.rule) \(.connections) \(.strikes)"' | sort)

json=$("$NFLOGMON" replay --json -c "$NFL_CONF" "$cap") ||
    nfl_fail "replay of the capture failed"
replayed=$(jq -r '.verdicts[] | "\(.source) \(.rule) \(.connections) \(.strike)"' <<<"$json" | sort)
replayed_blocks=$(jq -r '.verdicts[] | select(.action == "block") | "\(.source) \(.rule) \(.connections) \(.strike)"' <<<"$json" | sort)
nfl_log "live verdicts:"$'\n'"$live"
nfl_log "replay verdicts:"$'\n'"$replayed"

# The scenario's own expectations, so that agreement is about something.
expected=$(sort <<EOF
$BOT4 burst $((BURST + 1)) 1
192.0.2.67 fanout $((FANOUT + 1)) 1
${HOST6_NET}/64 burst $((BURST + 1)) 1
$MTA4 fanout $((FANOUT + 1)) null
EOF
)
[ "$live" = "$expected" ] ||
    nfl_fail "the daemon's verdicts are not the scenario's:"$'\n'"$(diff <(echo "$expected") <(echo "$live"))"
[ "$replayed" = "$live" ] ||
    nfl_fail "replay differs from the live daemon:"$'\n'"$(diff <(echo "$live") <(echo "$replayed"))"
[ "$replayed_blocks" = "$listed" ] ||
    nfl_fail "replay's blocks differ from nflogmon list:"$'\n'"$(diff <(echo "$listed") <(echo "$replayed_blocks"))"

counts=$(jq -r '"\(.packets) \(.events) \(.ignored) \(.malformed)"' <<<"$json")
[ "$counts" = "$syns $syns 0 0" ] ||
    nfl_fail "replay counted packets events ignored malformed = $counts; $syns SYNs were sent"
nfl_daemon_alive || nfl_fail "daemon died"
echo "PASS: $syns SYNs; live and replay agree on $(wc -l <<<"$live") verdicts"
