#!/usr/bin/env bash
# The policy service against hostile clients (tools/policy_abuse.py):
# over-long lines, NUL bytes, too many attributes, a bad login, a line
# without '=', a thousand idle connections, a client that never reads, a
# request that never ends.  Each closes its own connection and is counted
# (malformed, or dropped for the connections the service closed); other
# requests are answered within 1 s; the daemon's memory stays bounded.
. "$(dirname "$0")/lib.sh"

nfl_require
trap nfl_cleanup EXIT
trap 'exit 1' INT TERM
NFL_WORK=$(mktemp -d /tmp/nflogmon-e2e.XXXXXX)
nfl_ns_add "$NS_GW"
nfl_conf capture.forward_group=off capture.output_group=off \
    block.backend=none
# thresholds the floods of good requests never reach
printf '[accounts]\nrecipients = 1000000000/1h\n[mta]\npolicy_listen = unix:%s\npolicy_group = 0\n' \
    "$NFL_WORK/policy.sock" >> "$NFL_CONF"
ip netns exec "$NS_GW" "$NFLOGMON" run -f -c "$NFL_CONF" \
    >> "$NFL_WORK/daemon.log" 2>&1 &
NFL_DAEMON_PID=$!
NFL_PIDS+=($NFL_DAEMON_PID)
nfl_wait_until 15 test -S "$NFL_WORK/policy.sock" ||
    nfl_fail "no policy socket within 15 s"
[ "$(stat -c %a "$NFL_WORK/policy.sock")" = 660 ] ||
    nfl_fail "policy socket mode $(stat -c %a "$NFL_WORK/policy.sock"), want 660"
rss0=$(awk '/^VmRSS/ { print $2 }' /proc/$NFL_DAEMON_PID/status)

nfl_in "$NS_GW" timeout 120 python3 "$NFL_TOOLS/policy_abuse.py" \
    "$NFL_WORK/policy.sock" || nfl_fail "policy_abuse.py failed"

nfl_daemon_alive || nfl_fail "the daemon died"
rss1=$(awk '/^VmRSS/ { print $2 }' /proc/$NFL_DAEMON_PID/status)
[ $((rss1 - rss0)) -lt 8192 ] ||
    nfl_fail "resident memory grew by $((rss1 - rss0)) KiB (want < 8 MiB)"
j=$(nfl_in "$NS_GW" "$NFLOGMON" status -c "$NFL_CONF" --json) ||
    nfl_fail "status --json failed"
in=$(echo "$j" | jq -c '.inputs[] | select(.kind == "policy")')
# 6 malformed requests + the one that never ends (the cut-off one is
# counted too: 7 at least); the 1000 idle ones beyond 256 slots and the
# reader that never reads are dropped.
[ "$(echo "$in" | jq .malformed)" -ge 7 ] ||
    nfl_fail "malformed not counted: $in"
[ "$(echo "$in" | jq .dropped)" -ge 745 ] ||
    nfl_fail "closed connections not counted: $in"
[ "$(echo "$in" | jq .events)" -ge 4 ] ||
    nfl_fail "good requests not counted: $in"
echo "PASS: hostile policy clients closed and counted ($in), memory" \
    "+$((rss1 - rss0)) KiB"
