#!/usr/bin/env bash
# Blocks and strikes survive a SIGTERM restart and a kill -9 restart: the
# kernel set, `list` and the strike count come back, and a second offence
# after the restart is strike 2 with the second escalation step (1d).
# A kill -9 in the middle of a stream of blocks loses none whose command
# returned.  The state is the SQLite store.
. "$(dirname "$0")/lib.sh"
nfl_net_up
nfl_conf block.escalate="1h, 1d, 7d"
ctl() { nfl_in "$NS_GW" "$NFLOGMON" "$@" -c "$NFL_CONF"; }
# The bot opens 8 SMTP connections (burst 5/1m): blocked on the 6th.
offend() { nfl_client --src "$1" --dst ${SRV4}+8 --port 25 --count 8 --timeout 1 >/dev/null; }
blocked_json() { ctl list --json | jq -ce --arg s "$1" '.blocks[] | select(.source == $s)'; }
kernel_timeout() { nfl_set_entries "$SET4" | awk -v a="$1" '$1 == a { print $3 }'; }

nfl_daemon_start
nfl_iptables_load
offend $BOT4
nfl_wait_until 5 blocked_json $BOT4 || nfl_fail "the bot was not blocked"
b=$(blocked_json $BOT4)
[ "$(echo "$b" | jq .strikes)" = 1 ] || nfl_fail "first block: $b"
[ "$(echo "$b" | jq -r .rule)" = burst ] || nfl_fail "first block rule: $b"
t=$(kernel_timeout $BOT4)
[ "$t" -gt 3000 ] && [ "$t" -le 3600 ] || nfl_fail "first timeout $t, want ~1h"
# A manual block too, with a reason.
ctl block 192.0.2.67 --timeout 2h --reason "by hand" || nfl_fail "manual block"

# --- SIGTERM restart.
nfl_daemon_stop
nfl_set_has "$SET4" $BOT4 || nfl_fail "the set lost the bot at shutdown"
nfl_daemon_start
b=$(blocked_json $BOT4) || nfl_fail "bot's block lost by a SIGTERM restart"
[ "$(echo "$b" | jq .strikes)" = 1 ] || nfl_fail "after restart: $b"
blocked_json 192.0.2.67 | jq -e '.reason == "by hand" and .rule == "manual"' \
    >/dev/null || nfl_fail "manual block lost: $(ctl list --json)"

# Unblock ends the block but not the strike history: the next offence is
# strike 2, 1d.
ctl unblock $BOT4 || nfl_fail "unblock"
nfl_set_has "$SET4" $BOT4 && nfl_fail "unblocked bot still in the set"
# Restart between unblock and the offence, with kill -9 this time.
kill -KILL "$NFL_DAEMON_PID"; wait "$NFL_DAEMON_PID" 2>/dev/null
nfl_daemon_start
offend $BOT4
nfl_wait_until 5 blocked_json $BOT4 || nfl_fail "the bot was not blocked again"
b=$(blocked_json $BOT4)
[ "$(echo "$b" | jq .strikes)" = 2 ] || nfl_fail "second offence is not strike 2: $b"
t=$(kernel_timeout $BOT4)
[ "$t" -gt 80000 ] && [ "$t" -le 86400 ] || nfl_fail "second timeout $t, want ~1d"

# --- kill -9 right after a block: nothing is lost.
ctl block 192.0.2.68 --timeout permanent || nfl_fail "permanent block"
kill -KILL "$NFL_DAEMON_PID"; wait "$NFL_DAEMON_PID" 2>/dev/null
nfl_daemon_start
blocked_json $BOT4 | jq -e '.strikes == 2' >/dev/null ||
    nfl_fail "strike 2 block lost by kill -9: $(ctl list --json)"
blocked_json 192.0.2.68 | jq -e '.expires == null' >/dev/null ||
    nfl_fail "permanent block lost by kill -9"
blocked_json 192.0.2.67 >/dev/null || nfl_fail "manual block lost by kill -9"
nfl_connect_refused $BOT4 ${SRV4%.*}.140 25 || nfl_fail "bot not enforced after restart"
# The store holds the rows an operator reads with sqlite3.
[ "$(nfl_state_sql "SELECT rule, strikes FROM blocks WHERE source = '$BOT4'")" = "burst|2" ] ||
    nfl_fail "store row of the bot: $(nfl_state_sql 'SELECT * FROM blocks')"
[ "$(nfl_state_sql "SELECT count(*) FROM strikes WHERE source = '$BOT4'")" = 2 ] ||
    nfl_fail "store strikes: $(nfl_state_sql 'SELECT * FROM strikes')"

# --- kill -9 during a stream of blocks: every block acknowledged is kept.
: > "$NFL_WORK/acked"
(
	for i in $(seq 1 60); do
		ctl block 198.51.100.$i --timeout 2h >/dev/null 2>&1 &&
		    echo 198.51.100.$i >> "$NFL_WORK/acked"
	done
) &
stream=$!
acked() { [ "$(wc -l < "$NFL_WORK/acked")" -ge "$1" ]; }
nfl_wait_until 20 acked 10 || nfl_fail "the stream of blocks did not start"
kill -KILL "$NFL_DAEMON_PID"; wait "$NFL_DAEMON_PID" 2>/dev/null
wait $stream
n=$(wc -l < "$NFL_WORK/acked")
[ "$n" -lt 60 ] || nfl_fail "the kill came after the whole stream ($n blocks)"
nfl_daemon_start
listed=$(ctl list --json | jq -r '.blocks[].source')
while read -r a; do
	echo "$listed" | grep -qxF "$a" || nfl_fail "acknowledged block of $a lost by kill -9 ($n acknowledged)"
	nfl_set_has "$SET4" "$a" || nfl_fail "acknowledged block of $a not in the set"
done < "$NFL_WORK/acked"
nfl_log "kill -9 after $n acknowledged blocks: none lost"
echo PASS
