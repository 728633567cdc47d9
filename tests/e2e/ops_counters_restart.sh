#!/usr/bin/env bash
# A clean restart keeps the window counters: a bot that made burst-2
# connections before a SIGTERM restart is blocked by the 3rd after it,
# with connections = burst+1, and `status` shows its count carried over.
# A kill -9 restart saves no counters (only blocks and strikes are saved
# synchronously): a second bot doing the same is not blocked, which shows
# that the test can tell.  burst 5/10m: a slow machine stays within W.
. "$(dirname "$0")/lib.sh"
nfl_net_up
nfl_conf detect.burst=5/10m
BURST=5
BOT2=192.0.2.67
ctl() { nfl_in "$NS_GW" "$NFLOGMON" "$@" -c "$NFL_CONF"; }
# N SMTP connections from SRC to N servers.
connect_n() { nfl_client --src "$1" --dst ${SRV4}+"$2" --port 25 --count "$2" --timeout 1 >/dev/null; }
blocked_json() { ctl list --json | jq -ce --arg s "$1" '.blocks[] | select(.source == $s)'; }
# True when status shows SRC with a burst count of N.
talker_burst_is() {
	nfl_status_json | jq -e --arg s "$1" --argjson n "$2" \
	    '[.top[] | select(.source == $s and .burst == $n)] | length == 1' >/dev/null
}

nfl_daemon_start
nfl_iptables_load

# --- SIGTERM: the counts survive.
connect_n $BOT4 $((BURST - 2))
nfl_wait_until 5 talker_burst_is $BOT4 $((BURST - 2)) ||
    nfl_fail "the daemon did not count the bot: $(nfl_status_json)"
nfl_daemon_stop
[ "$(nfl_state_sql "SELECT count(*) FROM counters WHERE source = '192.0.2.66'")" = 1 ] ||
    nfl_fail "no counters in the state after SIGTERM: $(nfl_state_sql 'SELECT * FROM counters')"
[ "$(nfl_state_sql "SELECT count(*) FROM meta WHERE name = 'hashkey'")" = 1 ] ||
    nfl_fail "no hash key in the state after SIGTERM"
nfl_daemon_start
talker_burst_is $BOT4 $((BURST - 2)) ||
    nfl_fail "the count was not restored: $(nfl_status_json)"
[ "$(nfl_state_sql 'SELECT count(*) FROM counters')" = 0 ] ||
    nfl_fail "the counters were not dropped after the start"
connect_n $BOT4 3
nfl_wait_until 5 blocked_json $BOT4 ||
    nfl_fail "the bot was not blocked after a SIGTERM restart: $(nfl_status_json)"
b=$(blocked_json $BOT4)
[ "$(echo "$b" | jq .connections)" = $((BURST + 1)) ] ||
    nfl_fail "connections of the block: $b, want $((BURST + 1))"
[ "$(echo "$b" | jq -r .rule)" = burst ] || nfl_fail "rule: $b"
nfl_connect_refused $BOT4 ${SRV4%.*}.140 25 || nfl_fail "bot not enforced"

# --- kill -9: no counters, the same bot behaviour is not blocked.
connect_n $BOT2 $((BURST - 2))
nfl_wait_until 5 talker_burst_is $BOT2 $((BURST - 2)) ||
    nfl_fail "the daemon did not count bot 2: $(nfl_status_json)"
kill -KILL "$NFL_DAEMON_PID"; wait "$NFL_DAEMON_PID" 2>/dev/null
nfl_daemon_start
blocked_json $BOT4 >/dev/null || nfl_fail "the first bot's block was lost"
connect_n $BOT2 3
nfl_wait_until 5 talker_burst_is $BOT2 3 ||
    nfl_fail "bot 2 not counted afresh after kill -9: $(nfl_status_json)"
blocked_json $BOT2 >/dev/null &&
    nfl_fail "bot 2 was blocked although kill -9 saves no counters"
echo PASS
