#!/usr/bin/env bash
# bench/store.sh: the state store's rows of make bench (root; called by
# bench/run.sh).  The namespaces and helpers of bench/live.sh; one line per
# row on stdout, "figure|nflogmon|baseline|ratio|goal"; progress on stderr.
# The store lives on the real disk (/var/tmp), never on tmpfs.
#
# HELD blocks (1,000,000: IPv6 /64 prefixes of 2001:db8::/32, the only
# documentation range that holds that many) are built fast: an empty
# database made by the daemon itself, then one SQL bulk insert, and the
# same prefixes put into the kernel set with one `ipset restore`.
#
#   start           nflogmon run until "running" (load + reconcile: every
#                   row read as untrusted input, the kernel set listed,
#                   compared both ways), with SMALL (100,000) and HELD
#                   blocks.  Baseline: reading the same two sides with the
#                   stock tools (sqlite3 SELECT * and ipset list).
#   block latency   with HELD blocks held: bench/live.sh's method, the
#                   end stamp being the daemon's "durable" trace (logged
#                   after the store's commit, which follows the kernel add
#                   returning).  Baseline: bench/nflog-baseline react.
#   capture + wave  with HELD blocks held: a 100k SYN/s flood from
#                   198.18.0.0/15 while the sources of 198.18.0.0/22 (a
#                   class with burst 1/1m, breaker raised) are blocked in
#                   one wave when the flood wraps around to them: about
#                   1,000 blocks committed within a few ms, mid-flood.
#                   Messages lost (sequence gaps) against the do-nothing
#                   consumer at the same rate.
set -u
BENCH_TOP=$(cd "$(dirname "$0")/.." && pwd)
BENCH_LIVE_LIB=1
# shellcheck source=bench/live.sh
. "$BENCH_TOP/bench/live.sh"
HELD=${BENCH_STORE_HELD:-1000000}
SMALL=${BENCH_STORE_SMALL:-100000}
WAVE_RATE=100000
WAVE_S=3
[ "$HELD" -le 4000000 ] && [ "$SMALL" -lt "$HELD" ] ||
    nfl_fail "BENCH_STORE_SMALL < BENCH_STORE_HELD <= 4000000"

nfl_net_up
SDIR=$(mktemp -d /var/tmp/nflogmon-bench-store.XXXXXX)
trap 'rc=$?; rm -rf "$SDIR"; (exit $rc); nfl_cleanup' EXIT
# The capture (NFLOG) rules of the default config, once, as bench/live.sh
# does: without them no SYN reaches the daemon and no bot is blocked.
nfl_conf
nfl_rules_load nft
ip -n "$NS_GW" route add 198.51.100.0/24 via 192.0.2.2 ||
    nfl_fail "route for the bots"
ip -n "$NS_GW" neigh replace $DST lladdr 02:00:00:00:00:99 dev wan0 \
    nud permanent || nfl_fail "neighbour for the sink"
STATE=$SDIR/state

store_conf() {
	nfl_conf block.backend=ipset detect.burst=$BURST/1m \
	    block.timeout=2h block.max_new_blocks=5000/1m \
	    block.ipset_maxelem=$((2 * HELD)) \
	    capture.max_sources=$((HELD + 300000)) \
	    daemon.state_file="$STATE"
	# The wave: the first 1022 sources of the flood, blocked on their
	# second SYN (a class of lower threshold).
	printf '[class wave]\nnetworks = 198.18.0.0/22\nburst = 1/1m\n' \
	    >> "$NFL_CONF"
}

# Prints elapsed seconds until "running" is logged (the loop is next).
store_start() {
	local t0=$EPOCHREALTIME i
	: > "$NFL_WORK/daemon.log"
	ip netns exec "$NS_GW" "$NFLOGMON" run -f -d -c "$NFL_CONF" \
	    >> "$NFL_WORK/daemon.log" 2>&1 &
	NFL_DAEMON_PID=$!
	NFL_PIDS+=($NFL_DAEMON_PID)
	for i in $(seq 6000); do	# 60 s
		grep -q 'running (backend' "$NFL_WORK/daemon.log" && break
		kill -0 "$NFL_DAEMON_PID" 2>/dev/null ||
		    nfl_fail "daemon exited: $(tail -n 5 "$NFL_WORK/daemon.log")"
		sleep 0.01
	done
	START_S=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
	grep -q 'running (backend' "$NFL_WORK/daemon.log" ||
	    nfl_fail "daemon not running within 60 s"
}

# The kernel set and the store both hold blocks FROM..TO-1 (prefix i is
# 2001:db8:HI:LO::/64, i = HI * 65536 + LO).
held_add() {
	local from=$1 to=$2 now
	now=$(( $(date +%s) * 1000000 ))
	awk -v f="$from" -v t="$to" -v s="$SET6" 'BEGIN {
		for (i = f; i < t; i++)
			printf "add %s 2001:db8:%x:%x::/64 timeout 7200\n", s,
			    int(i / 65536), i % 65536 }' |
	    nfl_in "$NS_GW" ipset restore || nfl_fail "ipset restore"
	sqlite3 "$STATE" "PRAGMA journal_mode=WAL; BEGIN;
	    WITH RECURSIVE c(i) AS (SELECT $from UNION ALL SELECT i + 1 FROM c
	        WHERE i < $to - 1)
	    INSERT INTO blocks SELECT printf('2001:db8:%x:%x::/64', i / 65536,
	        i % 65536), 'manual', 'block', 0, 0, $now, $now + 7200000000,
	        0, 0, 1, NULL, NULL, 'bench' FROM c; COMMIT;" >/dev/null ||
	    nfl_fail "sqlite bulk insert"
}

# Reading both sides with the stock tools: the floor of a start.
read_floor() {
	local t0=$EPOCHREALTIME
	sqlite3 "$STATE" "SELECT * FROM blocks" > /dev/null
	nfl_in "$NS_GW" ipset list "$SET6" > /dev/null
	awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }'
}

restored_ok() {	# N: the daemon says it restored N + what it held before
	grep -q "state: $1 blocks, " "$NFL_WORK/daemon.log" ||
	    nfl_fail "the daemon did not restore $1 blocks: $(grep 'state:' "$NFL_WORK/daemon.log" | tail -3)"
}

start_row() {	# N seconds floor goal
	local ok
	ok=$(awk -v s="$2" -v g="$4" 'BEGIN { print (s < g) }')
	echo "start with $1 blocks, s|$2|$3|$(ratio "$2" "$3")|< $4: $(verdict "$ok")"
}

# ------------------------------------------------------ build, start

echo "store: an empty database, then $SMALL blocks held..." >&2
store_conf
store_start
nfl_daemon_stop
held_add 0 "$SMALL"
sync
floor=$(read_floor)
store_start
restored_ok "$SMALL"
echo "  start with $SMALL: ${START_S}s (floor ${floor}s)" >&2
start_row "$SMALL" "$START_S" "$floor" 2
nfl_daemon_stop

echo "store: $HELD blocks held..." >&2
held_add "$SMALL" "$HELD"
sync
floor=$(read_floor)

# The floors of the live rows, while no daemon holds the NFLOG group.
nfl_in "$NS_GW" ipset flush "$SET4"
lat_base=""
for round in $(seq "$LAT_ROUNDS"); do
	lat_baseline
	lat_base+="$LAT"$'\n'
done
echo "  latency floor: $lat_base" >&2
FLOOD_S=$WAVE_S cap_baseline "$WAVE_RATE"
wave_base=$CAP
nfl_in "$NS_GW" ipset flush "$SET4"

store_start
restored_ok "$HELD"
echo "  start with $HELD: ${START_S}s (floor ${floor}s)" >&2
start_row "$HELD" "$START_S" "$floor" 10

# ------------------------------------------------------ one more block

durable() { [ "$(grep -c 'trace: .* durable at' "$NFL_WORK/daemon.log")" -ge "$1" ]; }
lat_store=""
for round in $(seq "$LAT_ROUNDS"); do
	n0=$(grep -c 'trace: .* durable at' "$NFL_WORK/daemon.log")
	lat_send
	nfl_wait_until 5 durable $((n0 + BOTS)) || true
	sed -n 's/.*trace: \([0-9.]*\) durable at \([0-9]*\) us.*/\1 \2/p' \
	    "$NFL_WORK/daemon.log" | tail -n +$((n0 + 1)) > "$NFL_WORK/durable.txt"
	LAT=$(lat_stats "$NFL_WORK/sent.txt" "$NFL_WORK/durable.txt" 1)
	echo "  round $round: durable + in the set with $HELD held: $LAT" >&2
	lat_store+="$LAT"$'\n'
	# The next round's bots are new offenders again.
	for i in $(seq "$BOTS"); do
		"$NFLOGMON" unblock 198.51.100.$i -s "$NFL_WORK/nflogmon.sock" \
		    >/dev/null 2>&1
	done
done
read -r bn bmed bp99 < <(lat_best "$lat_base")
read -r sn smed sp99 < <(lat_best "$lat_store")
lat_rows "store, $HELD held, durable" "$sn" "$smed" "$sp99" "$bn" "$bmed" "$bp99"

# ------------------------------------------------------ capture + wave

echo "capture: ${WAVE_RATE}/s for ${WAVE_S}s with a wave of blocks, $HELD held..." >&2
b0=$(grep -c 'block 198\.18\.' "$NFL_WORK/daemon.log")
FLOOD_S=$WAVE_S cap_flood "$WAVE_RATE"
wave=$(( $(grep -c 'block 198\.18\.' "$NFL_WORK/daemon.log") - b0 ))
brk=$(grep -c 'breaker 198\.18\.' "$NFL_WORK/daemon.log")
nfl_daemon_stop
# status --json cannot carry this many blocks yet: the counts of the
# whole run, from the line the daemon logs at exit, less the bots' SYNs.
read -r msgs lost < <(sed -n 's/.*NFLOG group 1: \([0-9]*\) messages, \([0-9]*\) known lost.*/\1 \2/p' \
    "$NFL_WORK/daemon.log" | tail -1)
[ -n "${msgs:-}" ] || nfl_fail "no capture counts at exit"
wave_n="$FLOOD $((msgs - LAT_ROUNDS * BOTS * (BURST + 1))) $lost"
echo "  baseline: $wave_base; nflogmon: $wave_n (offered seconds received lost); wave: $wave blocks, $brk breaker" >&2
read -r no ns nr nl <<< "$wave_n"
read -r bo bs br bl <<< "$wave_base"
rows_ok=$(awk -v w="$wave" 'BEGIN { print (w >= 1000) }')
awk -v no="$no" -v nr="$nr" -v nl="$nl" -v bo="$bo" -v br="$br" \
    -v bl="$bl" -v w="$wave" -v ok="$rows_ok" -v h="$HELD" 'BEGIN {
	n = nr / no; b = br / bo
	printf "capture 100k/s + wave of %d blocks, lost|%d|%d|-|0, %d held: %s\n",
	    w, nl, bl, h, (nl == 0 && ok) ? "met" : "NOT MET"
	printf "capture 100k/s + wave, received %%|%.2f%%|%.2f%%|%.3f|(information)\n",
	    100 * n, 100 * b, n / b
}'
