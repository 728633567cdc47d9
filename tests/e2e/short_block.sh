#!/usr/bin/env bash
# (d) A short block (3 s) leaves the kernel set and the daemon's records on
# time, and the source's SMTP works again.  Polls with a generous bound;
# no timing is asserted beyond it.
. "$(dirname "$0")/lib.sh"
nfl_net_up
BURST=5
nfl_conf detect.burst=$BURST/1m block.timeout=3s block.escalate=3s
nfl_daemon_start
nfl_iptables_load

nfl_client --src $BOT4 --dst $SRV4+20 --port 25 --count 20 --interval 0.05 \
    --timeout 2 >/dev/null || nfl_fail "client failed"
nfl_set_has "$SET4" $BOT4 || nfl_fail "$BOT4 was not blocked"
t=$(nfl_set_entries "$SET4" | awk -v a=$BOT4 '$1 == a { print $3 }')
[ -n "$t" ] && [ "$t" -le 3 ] || nfl_fail "timeout in the set is $t, expected at most 3"
if nfl_have_ctl; then
	[ "$(nfl_list_json | jq -r '.blocks[].source')" = $BOT4 ] ||
	    nfl_fail "nflogmon list does not show the block: $(nfl_list_json)"
fi

gone_from_set() { ! nfl_set_has "$SET4" $BOT4; }
nfl_wait_until 30 gone_from_set || nfl_fail "$BOT4 still in $SET4 long after 3 s"
unblocked_in_log() { grep -q "unblock $BOT4" "$NFL_WORK/daemon.log"; }
nfl_wait_until 30 unblocked_in_log || nfl_fail "the daemon never logged the end of the block"
if nfl_have_ctl; then
	no_record() { [ "$(nfl_list_json | jq '.blocks | length')" = 0 ]; }
	nfl_wait_until 30 no_record || nfl_fail "nflogmon list still shows the block: $(nfl_list_json)"
fi
nfl_connect_ok $BOT4 ${SRV4%.*}.200 25 || nfl_fail "SMTP still refused after the block ended"
nfl_daemon_alive || nfl_fail "daemon died"
echo "PASS"
