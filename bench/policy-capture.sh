#!/usr/bin/env bash
# bench/policy-capture.sh: the policy service's rows under capture load
# (root; called by bench/run.sh).  The namespaces and helpers of
# bench/live.sh; one line per row on stdout,
# "figure|nflogmon|baseline|ratio|goal"; progress on stderr.
#
# One nflogmon in the gateway runs both inputs at once: NFLOG capture
# (backend none, thresholds nothing reaches) and the policy service on a
# unix socket.  While bench/synflood sends 100k SYN/s through the gateway,
# bench/policy-load (50 connections, one request in flight each, as smtpd
# sends them) runs for SECS against nflogmon, then for SECS against
# bench/policy-responder (the do-nothing service, same machine, same
# flood), twice in turn (the better of each: a neighbour's burst costs
# both sides alike), then with one connection each (the reply's p99).
# Rows: requests/s and p99 of both, and the capture's messages lost
# during the whole run (goal: none).
set -u
BENCH_TOP=$(cd "$(dirname "$0")/.." && pwd)
BENCH_LIVE_LIB=1
# shellcheck source=bench/live.sh
. "$BENCH_TOP/bench/live.sh"
CONNS=${BENCH_POLICY_CONNS:-50}
SECS=${BENCH_POLICY_SECONDS:-3}
ROUNDS=2
RATE=${BENCH_POLICY_FLOOD_RATE:-100000}
LOAD=$BUILD/bench/policy-load
RESPONDER=$BUILD/bench/policy-responder
for b in "$LOAD" "$RESPONDER"; do
	[ -x "$b" ] || nfl_fail "missing $b (make bench builds it)"
done

nfl_net_up
ip -n "$NS_GW" neigh replace $DST lladdr 02:00:00:00:00:99 dev wan0 \
    nud permanent || nfl_fail "neighbour for the sink"

nfl_conf block.backend=none detect.burst=100000/1m \
    detect.sustained=off detect.fanout=off capture.max_sources=262144 \
    daemon.state_file="$NFL_WORK/state-none"
cat >> "$NFL_CONF" <<CONF
[accounts]
clients = 1000/10m
recipients = 100000000/1h
foreign_senders = 100000000/1h
[mta]
policy_listen = unix:$NFL_WORK/policy.sock
policy_group = 0
CONF
nfl_rules_load nft
live_daemon_start
"$RESPONDER" "$NFL_WORK/resp.sock" &
NFL_PIDS+=($!)
sock_up() {
	python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).connect(sys.argv[1])' \
	    "$1" 2>/dev/null
}
nfl_wait_until 10 sock_up "$NFL_WORK/policy.sock" || nfl_fail "no policy socket"
nfl_wait_until 10 sock_up "$NFL_WORK/resp.sock" || nfl_fail "no responder socket"

# The flood covers both loads with a second's margin either side.
LSECS=${BENCH_POLICY_LAT_SECONDS:-2}
fsecs=$((2 * ROUNDS * SECS + 2 * LSECS + 3))	# synflood sends at most 2,000,000
echo "policy under capture: ${RATE} SYN/s for ${fsecs}s, $CONNS conns, ${SECS}s each..." >&2
nfl_in "$NS_LAN" "$SYNFLOOD" flood $DST 25 "$RATE" $((RATE * fsecs)) \
    "$fsecs" > "$NFL_WORK/flood.out" &
fpid=$!
NFL_PIDS+=($fpid)
sleep 1
# The better round of each side: the more requests/s, with its p99.
n_rps=0 b_rps=0 n_p99=- b_p99=-
for _ in $(seq "$ROUNDS"); do
	read -r rps _ p99 < <("$LOAD" "$NFL_WORK/policy.sock" "$CONNS" "$SECS") ||
	    nfl_fail "policy-load against nflogmon failed"
	[ "${rps%.*}" -gt "${n_rps%.*}" ] && n_rps=$rps n_p99=$p99
	read -r rps _ p99 < <("$LOAD" "$NFL_WORK/resp.sock" "$CONNS" "$SECS") ||
	    nfl_fail "policy-load against the responder failed"
	[ "${rps%.*}" -gt "${b_rps%.*}" ] && b_rps=$rps b_p99=$p99
done
# The reply's latency: one connection, one request at a time (with 50 in
# flight the p99 is mostly queueing, 50 / rate).
read -r _ _ n_l99 < <("$LOAD" "$NFL_WORK/policy.sock" 1 "$LSECS") ||
    nfl_fail "policy-load against nflogmon failed"
read -r _ _ b_l99 < <("$LOAD" "$NFL_WORK/resp.sock" 1 "$LSECS") ||
    nfl_fail "policy-load against the responder failed"
wait "$fpid" || nfl_fail "synflood failed"
sleep 0.5
read -r _ sent _ fs < "$NFL_WORK/flood.out"
st=$(nfl_status_json | jq -r '.capture.groups[] | select(.group == 1) |
    "\(.packets) \(.dropped)"')
[ -n "$st" ] || nfl_fail "no status from the daemon"
read -r got lost <<< "$st"
echo "  $CONNS conns: nflogmon $n_rps req/s p99 $n_p99 us; responder $b_rps req/s p99 $b_p99 us" >&2
echo "  1 conn: nflogmon p99 $n_l99 us; responder p99 $b_l99 us" >&2
echo "  flood: $sent sent in ${fs}s; nflogmon received $got, lost $lost" >&2
nfl_daemon_stop
awk -v nr="$n_rps" -v br="$b_rps" -v np="$n_p99" -v bp="$b_p99" \
    -v nl="$n_l99" -v bl="$b_l99" \
    -v c="$CONNS" -v k="$((RATE / 1000))" -v sent="$sent" -v fs="$fs" \
    -v got="$got" -v lost="$lost" 'BEGIN {
	r = nr / br
	printf "policy + capture %dk/s, %d conns, req/s|%d|%d|%.2f|>= 0.5x responder: %s\n",
	    k, c, nr, br, r, (r >= 0.5) ? "met" : "NOT MET"
	printf "policy + capture %dk/s, %d conns, p99 us|%d|%d|%.2f|(information: queueing)\n",
	    k, c, np, bp, np / bp
	printf "policy + capture %dk/s, reply p99 (1 conn), us|%d|%d|-|<= 1000: %s\n",
	    k, nl, bl, (nl <= 1000) ? "met" : "NOT MET"
	printf "  capture meanwhile, offered k/s|%.0f|-|-|(information)\n",
	    sent / fs / 1000
	printf "  capture meanwhile, messages lost|%d|-|-|0: %s\n",
	    lost, (lost == 0) ? "met" : "NOT MET"
}'
