#!/usr/bin/env bash
# (e) A SYN flood larger than the daemon's socket buffer is reported as
# counted loss, the daemon keeps running, and it still blocks a bot
# afterwards.  To overflow the buffer whatever the machine's speed, the
# daemon is paused (SIGSTOP, by PID) while 200k SYNs from 198.18.0.0/15
# (one each: no source offends) cross the gateway, then resumed.
. "$(dirname "$0")/lib.sh"
nfl_net_up
BURST=5
nfl_conf detect.burst=$BURST/1m capture.max_sources=1000000
nfl_daemon_start
nfl_iptables_load

kill -STOP "$NFL_DAEMON_PID" || nfl_fail "cannot pause the daemon"
flood=$(nfl_in "$NS_LAN" timeout 60 python3 "$NFL_TOOLS/synflood.py" \
    --dst ${SRV4%.*}.150 --port 25 --count 200000 --seconds 20) ||
    { kill -CONT "$NFL_DAEMON_PID"; nfl_fail "synflood failed: $flood"; }
kill -CONT "$NFL_DAEMON_PID"
nfl_log "flood: $flood (daemon paused meanwhile)"
sent=${flood#sent }
[ "$sent" -ge 50000 ] || nfl_fail "the flood sent only $sent SYNs"

# Loss is counted: status (when the control socket exists) or the log.
loss_reported() {
	local j
	if nfl_have_ctl; then
		j=$(nfl_status_json) || return 1
		echo "$j" | jq -e '[.capture.groups[] | select(.group == 1)][0] | .dropped > 0 and .enobufs > 0' >/dev/null
	else
		grep -q 'NFLOG group 1: receive buffer overflow' "$NFL_WORK/daemon.log"
	fi
}
# The gap shows when a later message arrives: keep a trickle of SYNs.
for i in $(seq 1 100); do
	loss_reported && break
	nfl_connect_ok $OFFICE4 ${SRV4%.*}.151 25 >/dev/null
	sleep 0.2
done
loss_reported || nfl_fail "the daemon did not report the loss"
nfl_daemon_alive || nfl_fail "the daemon died in the flood"
if nfl_have_ctl; then
	nfl_log "status: $(nfl_status_json | jq -c '.capture')"
	# Every SYN of the flood is accounted for: received or counted lost.
	total=$(nfl_status_json | jq '[.capture.groups[] | select(.group == 1)][0] | .packets + .dropped')
	[ "$total" -ge "$sent" ] ||
	    nfl_fail "group 1: packets + dropped = $total, fewer than the $sent SYNs sent"
else
	nfl_log "log: $(grep 'overflow' "$NFL_WORK/daemon.log" | tail -1)"
fi

# Nobody of the flood was blocked (one SYN each).
[ -z "$(nfl_set_entries "$SET4")" ] || nfl_fail "flood sources blocked: $(nfl_set_entries "$SET4" | head -3)"

# And the daemon still does its job.
out=$(nfl_client --src $BOT4 --dst $SRV4+100 --port 25 --count 100 \
    --interval 0.05 --timeout 2 --deadline 60)
ok=$(echo "$out" | grep -c '^ok ')
nfl_log "bot after the flood: $ok got through"
[ "$ok" -le $((BURST + 2)) ] || nfl_fail "after the flood the bot got $ok connections through"
nfl_set_has "$SET4" $BOT4 || nfl_fail "the bot was not blocked after the flood"
nfl_daemon_alive || nfl_fail "daemon died"
echo "PASS"
