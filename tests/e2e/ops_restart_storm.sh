#!/usr/bin/env bash
# Twenty kill -9 restarts at random moments under traffic: a stream of
# manual blocks and a bot that offends again after each unblock run
# across every kill.  After each restart every block and strike the daemon
# had committed before the kill (what `list` showed, every acknowledged
# manual block) is still there: in `list`, with no fewer strikes, and in
# the kernel set.  ROUNDS overrides the count (bounded).
. "$(dirname "$0")/lib.sh"
ROUNDS=${ROUNDS:-20}
nfl_net_up
nfl_conf block.escalate="1h, 1d, 7d, 30d"
ctl() { nfl_in "$NS_GW" "$NFLOGMON" "$@" -c "$NFL_CONF"; }
nfl_daemon_start
nfl_iptables_load
: > "$NFL_WORK/acked"

# Blocks manual ones, one after another, addresses n..end, until killed.
blocker() {
	local n=$1 end=$2
	while [ "$n" -le "$end" ]; do
		ctl block 198.51.100.$n --timeout 2h >/dev/null 2>&1 &&
		    echo 198.51.100.$n >> "$NFL_WORK/acked"
		n=$((n + 1))
	done
}
# The bot tries all along (bounded: 2000 tries, 40 a second); unblocked
# by hand each round, it offends again (a new strike).
nfl_client --src $BOT4 --dst ${SRV4}+50 --port 25 --count 2000 \
    --interval 0.025 --timeout 0.2 >/dev/null 2>&1 &
NFL_PIDS+=($!)

kills=0 botseen=0
[ "$ROUNDS" -le 20 ] || ROUNDS=20
for r in $(seq 1 "$ROUNDS"); do
	blocker $((12 * r - 11)) $((12 * r)) & bpid=$!
	ctl unblock $BOT4 >/dev/null 2>&1
	# A random moment 0.1 .. 0.9 s into the traffic.
	sleep "0.$((RANDOM % 9 + 1))"
	ctl list --json > "$NFL_WORK/before" 2>/dev/null || echo '{"blocks":[]}' > "$NFL_WORK/before"
	kill -KILL "$NFL_DAEMON_PID"; wait "$NFL_DAEMON_PID" 2>/dev/null
	kills=$((kills + 1))
	kill "$bpid" 2>/dev/null; wait "$bpid" 2>/dev/null
	jq -e --arg s $BOT4 '.blocks[] | select(.source == $s)' "$NFL_WORK/before" \
	    >/dev/null && botseen=$((botseen + 1))
	nfl_daemon_start
	ctl list --json > "$NFL_WORK/after" || nfl_fail "round $r: list after restart"
	# What list showed before the kill: each source, with its strikes.
	lost=$(jq -r --slurpfile a "$NFL_WORK/after" '.blocks[] |
	    . as $b | ($a[0].blocks | map(select(.source == $b.source)) | first) as $n |
	    if $n == null then "\($b.source) lost"
	    elif $n.strikes < $b.strikes then "\($b.source) strikes \($b.strikes) -> \($n.strikes)"
	    else empty end' "$NFL_WORK/before")
	[ -z "$lost" ] || nfl_fail "round $r: committed before the kill, not after: $lost"
	# Every acknowledged manual block: listed, and in the kernel set.
	while read -r a; do
		jq -e --arg s "$a" '.blocks[] | select(.source == $s)' "$NFL_WORK/after" >/dev/null ||
		    nfl_fail "round $r: acknowledged block of $a lost"
	done < "$NFL_WORK/acked"
	nfl_set_entries "$SET4" | awk '{ print $1 }' | sort > "$NFL_WORK/kernel"
	missing=$(jq -r '.blocks[] | select(.enforced) | .source' "$NFL_WORK/after" |
	    sort | comm -23 - "$NFL_WORK/kernel")
	[ -z "$missing" ] || nfl_fail "round $r: listed but not in the kernel set: $missing"
done
s=$(jq -r --arg s $BOT4 '.blocks[] | select(.source == $s) | .strikes' "$NFL_WORK/after")
nfl_log "$kills kill -9 restarts: $(wc -l < "$NFL_WORK/acked") manual blocks acknowledged, all kept; $(jq '.blocks | length' "$NFL_WORK/after") blocks listed; the bot blocked at $botseen kills (strikes kept), at strike ${s:-none} at the end"
nfl_daemon_alive || nfl_fail "daemon died"
echo PASS
