#!/usr/bin/env bash
# A corrupt state database is renamed aside (state.corrupt-TIME, with its
# -wal and -shm beside it as state.corrupt-TIME-wal/-shm, never
# overwritten), a warning is logged, and the daemon starts from the kernel
# sets.  A file that is neither a database nor a first-release text file
# is corrupt too.  A hand-edited row with a bad value is refused with a
# message naming it, and the rest of the state loads.
. "$(dirname "$0")/lib.sh"
nfl_net_up
nfl_conf
ctl() { nfl_in "$NS_GW" "$NFLOGMON" "$@" -c "$NFL_CONF"; }
blocked_json() { ctl list --json | jq -ce --arg s "$1" '.blocks[] | select(.source == $s)'; }
main_asides() { ls "$NFL_WORK"/state.corrupt-* 2>/dev/null | grep -Ev -- '-(wal|shm)$'; }

nfl_daemon_start
ctl block 192.0.2.67 --timeout 2h || nfl_fail "block"
# kill -9: the -wal and -shm files stay beside the database.
kill -KILL "$NFL_DAEMON_PID"; wait "$NFL_DAEMON_PID" 2>/dev/null
[ -e "$NFL_WORK/state-wal" ] || nfl_fail "no -wal file after kill -9"
# Damage the header after the magic ("file is not a database"), and the
# WAL's header too (else its frames, valid, would still be read).
for f in state state-wal; do
	printf '\377%.0s' $(seq 40) |
	    dd of="$NFL_WORK/$f" bs=1 seek=20 conv=notrunc 2>/dev/null
done
cp "$NFL_WORK/state" "$NFL_WORK/cut"
nfl_daemon_start
aside=$(main_asides)
[ "$(echo "$aside" | grep -c .)" = 1 ] || nfl_fail "no state.corrupt-TIME file: $(ls "$NFL_WORK")"
cmp -s "$aside" "$NFL_WORK/cut" || nfl_fail "the corrupt file was not kept as it was"
[ -e "$aside-wal" ] || nfl_fail "the -wal file was not set aside with it: $(ls "$NFL_WORK")"
grep -q "corrupt" "$NFL_WORK/daemon.log" || nfl_fail "no warning logged"
# From the kernel sets: the entry is still there, adopted.
ctl list --json | jq -e '.blocks[] | select(.source == "192.0.2.67" and
    .reason == "adopted")' >/dev/null || nfl_fail "not started from the kernel sets"
# A new, valid database holds the adoption.
[ "$(nfl_state_sql "SELECT reason FROM blocks WHERE source = '192.0.2.67'")" = adopted ] ||
    nfl_fail "no new state database"

# Garbage a second time, in the same second or not: both kept.
nfl_daemon_stop
printf '\x00\x01garbage' > "$NFL_WORK/state"
nfl_daemon_start
[ "$(main_asides | wc -l)" = 2 ] || nfl_fail "second corrupt file not kept"
nfl_daemon_alive || nfl_fail "daemon died"

# A truncated database (pages missing): corrupt too.
ctl block 192.0.2.68 --timeout 2h || nfl_fail "block .68"
nfl_daemon_stop
truncate -s 8192 "$NFL_WORK/state"
nfl_daemon_start
[ "$(main_asides | wc -l)" = 3 ] || nfl_fail "truncated database not set aside"
blocked_json 192.0.2.68 | jq -e '.reason == "adopted"' >/dev/null ||
    nfl_fail "not started from the kernel sets after truncation"

# Hand-edited rows: refused by name, never trusted; the others load.
ctl block 192.0.2.70 --timeout 2h --reason keep || nfl_fail "block .70"
nfl_daemon_stop
nfl_state_sql "UPDATE blocks SET rule = 'bogus' WHERE source = '192.0.2.68';
    UPDATE blocks SET expires_us = 'soon' WHERE source = '192.0.2.67';
    INSERT INTO blocks VALUES ('192.0.2.300', 'manual', 'block', 0, 0, 1, NULL, 0, 0, 1, NULL, NULL, '');
    INSERT INTO strikes VALUES ('192.0.2.71', 'yesterday');"
nfl_daemon_start
grep -q "blocks row '192.0.2.68' refused: unknown rule" "$NFL_WORK/daemon.log" ||
    nfl_fail "bad rule not refused by name"
grep -q "blocks row '192.0.2.67' refused: expires_us is not an integer" "$NFL_WORK/daemon.log" ||
    nfl_fail "bad time not refused by name"
grep -q "blocks row '192.0.2.300' refused: bad source" "$NFL_WORK/daemon.log" ||
    nfl_fail "bad key not refused by name"
grep -q "strikes row '192.0.2.71' refused: at_us is not an integer" "$NFL_WORK/daemon.log" ||
    nfl_fail "bad strike not refused by name"
blocked_json 192.0.2.70 | jq -e '.reason == "keep"' >/dev/null ||
    nfl_fail "the good row was not loaded"
# The kernel still holds .68: adopted rather than trusted from the bad row.
blocked_json 192.0.2.68 | jq -e '.reason == "adopted"' >/dev/null ||
    nfl_fail "the refused row's kernel entry was not adopted"
blocked_json 192.0.2.300 >/dev/null 2>&1 && nfl_fail "a bad key was listed"
nfl_daemon_alive || nfl_fail "daemon died"
echo PASS
