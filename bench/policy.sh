#!/usr/bin/env bash
# bench/policy.sh: the policy service rows of make bench.  nflogmon (the
# policy input only: no capture, backend none, thresholds it never
# reaches) and bench/policy-responder (same protocol, parses nothing,
# answers DUNNO) each get bench/policy-load with 50 connections for 5 s,
# one request in flight per connection as smtpd sends them (requests/s),
# then with one connection (the reply's latency).  Prints rows
# "figure|nflogmon|baseline|ratio|goal" for run.sh.  No root needed.
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
NFLOGMON=${NFLOGMON:-$PWD/$BUILD/nflogmon}
CONNS=${BENCH_POLICY_CONNS:-50}
SECS=${BENCH_POLICY_SECONDS:-5}
work=$(mktemp -d /tmp/nflogmon-bench-policy.XXXXXX)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT

wait_sock() {	# path: until something listens (bounded, 10 s)
	local i
	for i in $(seq 100); do
		python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).connect(sys.argv[1])' \
		    "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

cat > "$work/c.conf" <<CONF
[daemon]
control_socket = $work/ctl.sock
state_file = $work/state
[capture]
forward_group = off
output_group = off
[block]
backend = none
[accounts]
clients = 1000/10m
recipients = 100000000/1h
foreign_senders = 100000000/1h
[mta]
policy_listen = unix:$work/policy.sock
policy_group = 0
CONF
"$NFLOGMON" run -f -c "$work/c.conf" > "$work/daemon.log" 2>&1 &
pids+=($!)
"$BUILD/bench/policy-responder" "$work/resp.sock" &
pids+=($!)
wait_sock "$work/policy.sock" && wait_sock "$work/resp.sock" || {
	echo "bench/policy: a service did not start: $(cat "$work/daemon.log")" >&2
	exit 1
}
load() {	# socket conns: "requests/s p50_us p99_us"
	"$BUILD/bench/policy-load" "$1" "$2" "$SECS"
}
read -r n_rps _ _ < <(load "$work/policy.sock" "$CONNS") || exit 1
read -r b_rps _ _ < <(load "$work/resp.sock" "$CONNS") || exit 1
# Latency: one connection, one request at a time (with 50 in flight the
# figure would be queueing: 50 / rate).
read -r _ n_p50 n_p99 < <(load "$work/policy.sock" 1) || exit 1
read -r _ b_p50 b_p99 < <(load "$work/resp.sock" 1) || exit 1
ratio=$(awk -v a="$n_rps" -v b="$b_rps" 'BEGIN { printf "%.2f", a / b }')
ok=$(awk -v r="$ratio" 'BEGIN { print (r >= 0.5) ? "met" : "NOT MET" }')
okl=$(awk -v l="$n_p99" 'BEGIN { print (l <= 1000) ? "met" : "NOT MET" }')
echo "policy, $CONNS conns, requests/s|$n_rps|$b_rps|$ratio|>= 0.5x responder: $ok"
echo "policy reply p50 (1 conn), us|$n_p50|$b_p50|-|-"
echo "policy reply p99 (1 conn), us|$n_p99|$b_p99|-|<= 1000: $okl"
