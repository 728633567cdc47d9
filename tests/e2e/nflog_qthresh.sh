#!/usr/bin/env bash
# The adaptive queue threshold changes under load without losing messages,
# and leaves its start-up batching once the daemon runs.
# A flood of SYNs from 198.18.0.0/15 (one each: nobody offends) raises the
# rate, so the daemon (-d) raises the group's threshold; each change is one
# config message without an ack, so no packet message is read outside the
# normal drain.  Checked: the changes are logged and none is refused by
# the kernel; every SYN is received or counted lost; and messages are lost
# only with a buffer overflow (enobufs): a sequence gap without one would
# be messages the daemon itself dropped (the old ack wait lost the rest of
# a batch that way).
. "$(dirname "$0")/lib.sh"
nfl_net_up
nfl_conf block.backend=none detect.burst=1000/1m
nfl_rules_load nft
ip netns exec "$NS_GW" "$NFLOGMON" run -f -d -c "$NFL_CONF" \
    >> "$NFL_WORK/daemon.log" 2>&1 &
NFL_DAEMON_PID=$!
NFL_PIDS+=($NFL_DAEMON_PID)
nfl_wait_until 15 nfl_daemon_ready || nfl_fail "daemon not ready within 15 s"
# The groups are bound batched (nobody reads while the daemon starts) and
# go to threshold 1 once it runs, nothing waiting.
nfl_wait_until 10 grep -q 'NFLOG group 1: queue threshold 128 -> 1 (started)' \
    "$NFL_WORK/daemon.log" ||
    nfl_fail "group 1 never left its start-up batching: $(grep 'queue threshold' "$NFL_WORK/daemon.log")"

# The flood generator of make bench (C: a rate a Python loop cannot
# reach), built here when make bench has not.
SYNFLOOD=$NFL_TOP/build/bench/synflood
if [ ! -x "$SYNFLOOD" ]; then
	SYNFLOOD=$NFL_WORK/synflood
	${CC:-cc} -O2 -o "$SYNFLOOD" "$NFL_TOP/bench/synflood.c" ||
	    nfl_fail "cannot build bench/synflood.c"
fi
# The SYNs go to an address nobody holds, with a permanent neighbour in
# the gateway: forwarded and logged, then dropped (no handshake load).
DST=203.0.113.99
nfl_in "$NS_GW" ip neigh replace $DST lladdr 02:00:00:00:00:99 dev wan0 \
    nud permanent || nfl_fail "neighbour entry"

# Rounds of flood and pause: the rate rises and falls, so the threshold
# changes again and again, each time with messages queued.
# Meanwhile the instance's queue length is sampled: the kernel holds
# several messages back (qlen >= 2) only under a threshold above 1 (at 1,
# a sample may still catch the one message between its count and its
# flush), so such a sample shows that a change reached the kernel.
sample_qlen() {
	local i
	for i in $(seq 1 400); do
		awk '$1 == 1 { print $3 }' /proc/net/netfilter/nfnetlink_log
		sleep 0.005
	done
}
sent=0
for round in 1 2 3 4 5 6; do
	ip netns exec "$NS_GW" bash -c "$(declare -f sample_qlen); sample_qlen" \
	    >> "$NFL_WORK/qlen" 2>/dev/null &
	spid=$!
	NFL_PIDS+=($spid)
	out=$(nfl_in "$NS_LAN" "$SYNFLOOD" flood $DST 25 50000 50000 1) ||
	    nfl_fail "synflood failed: $out"
	set -- $out
	sent=$((sent + $2))
	wait $spid
	sleep 0.3
done
qmax=$(sort -n "$NFL_WORK/qlen" | tail -1)
nfl_log "queue length samples: $(wc -l < "$NFL_WORK/qlen"), max $qmax, 2 or more: $(awk '$1 > 1' "$NFL_WORK/qlen" | wc -l)"
[ "${qmax:-0}" -ge 2 ] ||
    nfl_fail "the kernel never held messages back: no threshold change applied"
nfl_log "flood: sent $sent in 6 rounds"
[ "$sent" -ge 10000 ] || nfl_fail "the flood sent only $sent SYNs"
# A trickle after it: a loss at the flood's tail shows as a gap.
for i in 1 2 3; do
	nfl_connect_ok $OFFICE4 ${SRV4%.*}.151 25 >/dev/null
	sent=$((sent + 1))
done

g='[.capture.groups[] | select(.group == 1)][0]'
accounted() {
	local j
	j=$(nfl_status_json) || return 1
	[ "$(echo "$j" | jq "$g | .packets + .dropped")" -ge "$sent" ]
}
nfl_wait_until 20 accounted ||
    nfl_fail "not every SYN accounted for: sent $sent, status $(nfl_status_json | jq -c "$g")"
st=$(nfl_status_json | jq -c "$g")
nfl_log "group 1: $st"

grep -q 'NFLOG group 1: queue threshold 1 -> ' "$NFL_WORK/daemon.log" ||
    nfl_fail "no queue threshold change logged under the flood"
nfl_log "threshold changes: $(grep -c 'queue threshold' "$NFL_WORK/daemon.log")"
! grep -q 'refused a queue threshold\|cannot set queue threshold' \
    "$NFL_WORK/daemon.log" || nfl_fail "a threshold change failed: $(grep 'queue threshold' "$NFL_WORK/daemon.log" | tail -3)"
if [ "$(echo "$st" | jq '.enobufs')" = 0 ]; then
	[ "$(echo "$st" | jq '.dropped')" = 0 ] ||
	    nfl_fail "messages lost without a buffer overflow: $st"
else
	nfl_log "the buffer overflowed (a slow machine): loss not judged"
fi
nfl_daemon_alive || nfl_fail "daemon died"
echo "PASS"
