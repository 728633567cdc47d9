#!/usr/bin/env bash
# The policy service under abuse does not cost the capture: while
# tools/policy_abuse.py runs its hostile clients (over-long lines, NUL
# bytes, a thousand idle connections, a client that never reads, a
# request that never ends) against the daemon's policy socket, a bot's
# SMTP connections are still all counted from NFLOG with none lost, the
# bot is still blocked, status is still served, and resident memory stays
# bounded.  (policy_bad_input.sh checks the policy side itself.)
. "$(dirname "$0")/lib.sh"
nfl_net_up
nfl_conf
printf '[accounts]\nrecipients = 1000000000/1h\n[mta]\npolicy_listen = unix:%s\npolicy_group = 0\n' \
    "$NFL_WORK/policy.sock" >> "$NFL_CONF"
nfl_daemon_start
nfl_iptables_load
nfl_wait_until 15 test -S "$NFL_WORK/policy.sock" || nfl_fail "no policy socket"

packets() { nfl_status_json | jq '[.capture.groups[].packets] | add'; }
lost() { nfl_status_json | jq '[.capture.groups[] | .dropped + .seq_gaps + .enobufs] | add'; }
p0=$(packets) l0=$(lost)
rss0=$(awk '/^VmRSS/ { print $2 }' /proc/$NFL_DAEMON_PID/status)
nfl_in "$NS_GW" timeout 120 python3 -u "$NFL_TOOLS/policy_abuse.py" \
    "$NFL_WORK/policy.sock" > "$NFL_WORK/abuse.out" 2>&1 &
apid=$!
NFL_PIDS+=($apid)
# Once the thousand idle connections are open, and again while a reader
# that never reads and a request that never ends are held.
nfl_wait_until 30 grep -q 'idle' "$NFL_WORK/abuse.out" ||
    nfl_fail "policy_abuse.py did not get to its idle clients: $(cat "$NFL_WORK/abuse.out")"
nfl_client --src $BOT4 --dst ${SRV4}+8 --port 25 --count 8 --timeout 1 >/dev/null
nfl_wait_until 10 nfl_set_has "$SET4" $BOT4 || nfl_fail "bot not blocked under policy abuse"
nfl_client --src $OFFICE4 --dst ${SRV4}+4 --port 25 --count 4 --timeout 1 >/dev/null
p1=$(packets) l1=$(lost)
rss1=$(awk '/^VmRSS/ { print $2 }' /proc/$NFL_DAEMON_PID/status)
wait $apid || nfl_fail "policy_abuse.py: $(grep FAIL "$NFL_WORK/abuse.out")"
nfl_daemon_alive || nfl_fail "the daemon died"
nfl_log "under policy abuse: $((p1 - p0)) NFLOG messages counted (12 SYNs sent), lost $l0 -> $l1, resident memory +$((rss1 - rss0)) KiB"
# Every SYN is logged (before the block drops the bot's later ones).
[ $((p1 - p0)) -ge 12 ] || nfl_fail "NFLOG messages under policy abuse: $((p1 - p0))"
[ "$l1" = "$l0" ] || nfl_fail "NFLOG messages lost under policy abuse: $l0 -> $l1"
[ $((rss1 - rss0)) -lt 16384 ] ||
    nfl_fail "resident memory grew by $((rss1 - rss0)) KiB under policy abuse"
echo PASS
