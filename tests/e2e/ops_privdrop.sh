#!/usr/bin/env bash
# With `user` set the daemon runs as that uid with CAP_NET_ADMIN only, and
# still writes the kernel sets (a verdict's block, a manual block and an
# unblock), the state file and the metrics file.
. "$(dirname "$0")/lib.sh"
nfl_net_up
chmod 0711 "$NFL_WORK"
U=$((42000 + RANDOM % 1000))
nfl_conf daemon.user=$U \
    daemon.control_socket="$NFL_WORK/nflogmon-run/nflogmon.sock" \
    daemon.state_file="$NFL_WORK/nflogmon-lib/state" \
    daemon.metrics_file="$NFL_WORK/nflogmon-prom/nflogmon.prom"
nfl_daemon_start
nfl_iptables_load
st=/proc/$NFL_DAEMON_PID/status
awk '/^Uid:/ { exit !($2 == u && $3 == u && $4 == u && $5 == u) }' u=$U $st ||
    nfl_fail "uid: $(grep Uid: $st)"
for c in CapEff CapPrm; do
	v=$(awk -v c="$c:" '$1 == c { print $2 }' $st)
	[ "$v" = 0000000000001000 ] || nfl_fail "$c $v, want CAP_NET_ADMIN only"
done
# The bounding set is cleared (no exec can gain anything back).
v=$(awk '$1 == "CapBnd:" { print $2 }' $st)
[ "$v" = 0000000000001000 ] || [ "$v" = 0000000000000000 ] || nfl_fail "CapBnd $v"
[ "$(awk '/^CapInh:/ { print $2 }' $st)" = 0000000000000000 ] || nfl_fail "CapInh"
grep -q '^Groups:\s*$' $st || nfl_fail "supplementary groups kept: $(grep Groups: $st)"

ctl() { nfl_in "$NS_GW" "$NFLOGMON" "$@" -c "$NFL_CONF"; }
nfl_client --src $BOT4 --dst ${SRV4}+8 --port 25 --count 8 --timeout 1 >/dev/null
nfl_wait_until 5 nfl_set_has "$SET4" $BOT4 || nfl_fail "verdict block not in the set"
ctl block 192.0.2.67 || nfl_fail "manual block"
nfl_set_has "$SET4" 192.0.2.67 || nfl_fail "manual block not in the set"
ctl unblock 192.0.2.67 || nfl_fail "unblock"
nfl_set_has "$SET4" 192.0.2.67 && nfl_fail "unblock did not reach the set"
db=$NFL_WORK/nflogmon-lib/state
[ "$(sqlite3 "$db" "SELECT rule FROM blocks WHERE source = '$BOT4'")" = burst ] ||
    nfl_fail "state not written after the drop: $(sqlite3 "$db" 'SELECT * FROM blocks' 2>&1)"
for f in "$db" "$db-wal" "$db-shm"; do
	[ "$(stat -c %u "$f")" = $U ] || nfl_fail "owner of $f: $(stat -c %u "$f")"
done
# The store's checkpoints (a connection opened after the drop) work: the
# WAL is moved into the database within a few seconds.
checkpointed() { [ "$(sqlite3 "file:$db?immutable=1" "SELECT count(*) FROM blocks WHERE source = '$BOT4'")" = 1 ]; }
nfl_wait_until 10 checkpointed || nfl_fail "no checkpoint after the drop"
nfl_wait_until 8 grep -q '^nflogmon_blocks_active 1$' "$NFL_WORK/nflogmon-prom/nflogmon.prom" ||
    nfl_fail "metrics: $(cat "$NFL_WORK/nflogmon-prom/nflogmon.prom" 2>&1)"
grep -q '^nflogmon_blocks_total{rule="burst"} 1$' "$NFL_WORK/nflogmon-prom/nflogmon.prom" ||
    nfl_fail "metrics blocks_total"
grep -q '^# TYPE nflogmon_packets_total counter$' "$NFL_WORK/nflogmon-prom/nflogmon.prom" ||
    nfl_fail "metrics TYPE lines"
nfl_daemon_alive || nfl_fail "daemon died"
echo PASS
