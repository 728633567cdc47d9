#!/usr/bin/env bash
# Issue 14 (2), sources, scaled down for CI: a spoofed flood of 100,000
# single-SYN sources (198.18.0.0/15) against capture.max_sources = 2000.
# The engine's table stays within its bound (tracked <= max, the rest
# evicted, shown in status --json), the daemon's resident memory does not
# grow with the flood (VmHWM), and a real bot at 50 SYN/s inside the flood
# is still blocked while an office host is not.  The full size
# (2,000,000 sources, max 100,000) belongs to make bench.
. "$(dirname "$0")/lib.sh"
nfl_net_up
BURST=5
MAX=2000
FLOOD=100000
nfl_conf detect.burst=$BURST/1m capture.max_sources=$MAX
nfl_daemon_start
nfl_iptables_load

vm() { awk -v k="$1:" '$1 == k { print $2 }' /proc/"$NFL_DAEMON_PID"/status; }
rss0=$(vm VmRSS)
nfl_log "before the flood: VmRSS $rss0 kB, VmHWM $(vm VmHWM) kB"

nfl_in "$NS_LAN" timeout 60 python3 "$NFL_TOOLS/synflood.py" \
    --dst ${SRV4%.*}.150 --port 25 --count $FLOOD --seconds 30 \
    > "$NFL_WORK/flood.out" 2>&1 &
fpid=$!
NFL_PIDS+=($fpid)
sleep 0.5
# The bot: 100 SYNs at 50/s, inside the flood.
out=$(nfl_client --src $BOT4 --dst $SRV4+100 --port 25 --count 100 \
    --interval 0.02 --timeout 2 --deadline 40)
ok=$(echo "$out" | grep -c '^ok ')
# An office host: a few connections, well under the threshold.
for i in 1 2 3; do
	nfl_connect_ok $OFFICE4 $SRV4 25 >/dev/null ||
	    nfl_fail "the office host could not connect (try $i)"
done
wait "$fpid" || nfl_fail "synflood failed: $(cat "$NFL_WORK/flood.out")"
flood=$(cat "$NFL_WORK/flood.out")
sent=${flood#sent }
nfl_log "flood: $flood; bot: $ok of 100 got through"
[ "$sent" -ge 50000 ] || nfl_fail "the flood sent only $sent SYNs"
nfl_daemon_alive || nfl_fail "the daemon died in the flood"

j=$(nfl_status_json) || nfl_fail "no status"
nfl_log "sources: $(echo "$j" | jq -c .sources); capture: $(echo "$j" | jq -c '[.capture.groups[] | select(.group == 1)][0]')"
tracked=$(echo "$j" | jq .sources.tracked)
evicted=$(echo "$j" | jq .sources.evicted)
max=$(echo "$j" | jq .sources.max)
[ "$max" -eq $MAX ] || nfl_fail "status says max $max, configured $MAX"
[ "$tracked" -le $MAX ] || nfl_fail "tracked $tracked sources, above max $MAX"
# Every source received beyond the table's room was evicted.
got=$(echo "$j" | jq '[.capture.groups[] | select(.group == 1)][0] | .packets')
[ "$evicted" -ge $((got - MAX - 200)) ] ||
    nfl_fail "evicted $evicted with $got SYNs received and room for $MAX"
[ "$evicted" -gt 0 ] || nfl_fail "no eviction shown"

hwm=$(vm VmHWM)
nfl_log "after the flood: VmRSS $(vm VmRSS) kB, VmHWM $hwm kB (grew $((hwm - rss0)) kB)"
# An unbounded table would hold 100,000 sources (tens of MB); the bounded
# one holds 2,000: allow 8 MiB for everything else.
[ $((hwm - rss0)) -le 8192 ] ||
    nfl_fail "resident memory grew $((hwm - rss0)) kB in the flood"

nfl_set_has "$SET4" $BOT4 || nfl_fail "the bot inside the flood was not blocked"
[ "$ok" -le $((BURST + 2)) ] || nfl_fail "the bot got $ok connections through"
! nfl_set_has "$SET4" $OFFICE4 || nfl_fail "the office host was blocked"
n=$(nfl_set_entries "$SET4" | grep -c '^198\.18\.\|^198\.19\.' || true)
[ "$n" -eq 0 ] || nfl_fail "$n flood sources blocked (one SYN each)"
echo "PASS"
