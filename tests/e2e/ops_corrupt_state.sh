#!/usr/bin/env bash
# A corrupt or truncated state file is renamed aside (state.corrupt-TIME,
# never overwritten), a warning is logged, and the daemon starts from the
# kernel sets.
. "$(dirname "$0")/lib.sh"
nfl_net_up
nfl_conf
ctl() { nfl_in "$NS_GW" "$NFLOGMON" "$@" -c "$NFL_CONF"; }
nfl_daemon_start
ctl block 192.0.2.67 --timeout 2h || nfl_fail "block"
nfl_daemon_stop
# Truncate the file in the middle of its block record.
head -c $(( $(stat -c %s "$NFL_WORK/state") - 20 )) "$NFL_WORK/state" > "$NFL_WORK/cut"
cp "$NFL_WORK/cut" "$NFL_WORK/state"
nfl_daemon_start
aside=$(ls "$NFL_WORK"/state.corrupt-* 2>/dev/null)
[ "$(echo "$aside" | grep -c .)" = 1 ] || nfl_fail "no state.corrupt-TIME file"
cmp -s "$aside" "$NFL_WORK/cut" || nfl_fail "the corrupt file was not kept as it was"
grep -q "corrupt" "$NFL_WORK/daemon.log" || nfl_fail "no warning logged"
# From the kernel sets: the entry is still there, adopted.
ctl list --json | jq -e '.blocks[] | select(.source == "192.0.2.67" and
    .reason == "adopted")' >/dev/null || nfl_fail "not started from the kernel sets"
# A new, valid state file was written.
grep -q '^end ' "$NFL_WORK/state" || nfl_fail "no new state file"

# Garbage a second time, in the same second or not: both kept.
nfl_daemon_stop
printf '\x00\x01garbage' > "$NFL_WORK/state"
nfl_daemon_start
[ "$(ls "$NFL_WORK"/state.corrupt-* | wc -l)" = 2 ] || nfl_fail "second corrupt file not kept"
nfl_daemon_alive || nfl_fail "daemon died"
echo PASS
