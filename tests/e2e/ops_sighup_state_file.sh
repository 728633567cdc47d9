#!/usr/bin/env bash
# SIGHUP with a new state_file: the daemon says it applies after a
# restart, and until then every block still reaches the file the running
# daemon was started with (the one the next start would read).
. "$(dirname "$0")/lib.sh"
nfl_net_up
nfl_conf
nfl_daemon_start
old=$NFL_WORK/state
sed -i "s|^state_file = .*|state_file = $NFL_WORK/elsewhere/state|" "$NFL_CONF"
kill -HUP "$NFL_DAEMON_PID"
nfl_wait_until 5 grep -q 'reload: .* applied' "$NFL_WORK/daemon.log" ||
    nfl_fail "the reload was not applied"
grep -q 'settings changed; they apply after a restart' "$NFL_WORK/daemon.log" ||
    nfl_fail "the reload did not say the state file moves only at a restart"
nfl_in "$NS_GW" "$NFLOGMON" block 192.0.2.68 --timeout 2h \
    -s "$NFL_WORK/nflogmon.sock" >/dev/null || nfl_fail "block"
[ "$(sqlite3 "$old" "SELECT count(*) FROM blocks WHERE source = '192.0.2.68'")" = 1 ] ||
    nfl_fail "the block did not reach $old: $(sqlite3 "$old" 'SELECT * FROM blocks')"
[ ! -e "$NFL_WORK/elsewhere/state" ] ||
    nfl_fail "the state moved to the new path before a restart"
! grep -q 'state.* not saved' "$NFL_WORK/daemon.log" ||
    nfl_fail "$(grep 'state.* not saved' "$NFL_WORK/daemon.log" | head -1)"
nfl_daemon_alive || nfl_fail "daemon died"
echo PASS
