#!/usr/bin/env bash
# (a) A bot opening 100 SMTP connections to 100 servers is blocked after at
# most burst+2 got through; then its SMTP is reset while its HTTP still
# works, and the gateway's ipset holds it with a timeout.
. "$(dirname "$0")/lib.sh"
nfl_net_up
BURST=5
nfl_conf detect.burst=$BURST/1m block.timeout=1h block.escalate=1h
nfl_daemon_start
nfl_iptables_load

out=$(nfl_client --src $BOT4 --dst $SRV4+100 --port 25 --count 100 \
    --interval 0.05 --timeout 2 --deadline 60) || nfl_fail "client failed"
echo "$out" > "$NFL_WORK/client.out"
ok=$(echo "$out" | grep -c '^ok ')
refused=$(echo "$out" | grep -c '^refused ')
nfl_log "bot: $ok connections got through, $refused were reset"
[ "$ok" -ge "$BURST" ] || nfl_fail "only $ok connections got through before the block (burst $BURST): blocked too early"
[ "$ok" -le $((BURST + 2)) ] || nfl_fail "$ok connections got through, more than burst+2 = $((BURST + 2))"
[ $((ok + refused)) = 100 ] ||
    nfl_fail "expected every connection ok or reset: $(echo "$out" | tail -1); not so: $(echo "$out" | grep -v '^ok \|^refused ' | head -5)"
# Once blocked, nothing more got through: the successes are the first ones.
echo "$out" | head -n "$ok" | grep -vq '^ok ' && nfl_fail "a connection got through after the block"

nfl_connect_refused $BOT4 ${SRV4%.*}.200 25 || nfl_fail "bot's SMTP not reset after the block"
nfl_connect_ok $BOT4 ${SRV4%.*}.200 80 || nfl_fail "bot's HTTP (port 80) broken by the block"
nfl_connect_ok $OFFICE4 ${SRV4%.*}.200 25 || nfl_fail "an office host's SMTP broken by the bot's block"

entry=$(nfl_set_entries "$SET4" | awk -v a=$BOT4 '$1 == a')
nfl_log "ipset $SET4: $entry"
[ -n "$entry" ] || nfl_fail "$BOT4 not in ipset $SET4: $(nfl_set_entries "$SET4")"
t=$(echo "$entry" | awk '{ for (i = 1; i < NF; i++) if ($i == "timeout") print $(i + 1) }')
[ -n "$t" ] && [ "$t" -gt 3000 ] && [ "$t" -le 3600 ] ||
    nfl_fail "$BOT4 in $SET4 without the expected timeout (~3600 s): $entry"
[ "$(nfl_set_entries "$SET4" | wc -l)" = 1 ] || nfl_fail "unexpected entries in $SET4: $(nfl_set_entries "$SET4")"
if nfl_have_ctl; then
	rec=$(nfl_list_json | jq -c --arg s $BOT4 '.blocks[] | select(.source == $s)')
	nfl_log "nflogmon list: $rec"
	echo "$rec" | jq -e --argjson c $((BURST + 1)) '.rule == "burst" and .connections == $c and .enforced == true and .strikes == 1 and .expires != null' >/dev/null ||
	    nfl_fail "nflogmon list: unexpected record for $BOT4: $rec"
fi
nfl_daemon_alive || nfl_fail "daemon died"
echo "PASS"
