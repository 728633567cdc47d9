#!/usr/bin/env bash
# bench/flood.sh: the full-size floods of issue 14 (2) as rows of make
# bench (root; called by bench/run.sh).  The namespace network of
# tests/e2e/lib.sh (unique names, removed on exit whatever happens); one
# line per row on stdout, "figure|nflogmon|baseline|ratio|goal", for
# run.sh to format; progress on stderr.  bench/README.md explains the rows.
# tests/e2e/flood_sources_bounded.sh and flood_accounts_bounded.sh are the
# same checks scaled down for CI; this is the size the issue names.
#
#   sources   a gateway nflogmon (ipset backend, the capture rules of
#             `nflogmon rules`, the default detect rules) with
#             capture.max_sources = MAX_SOURCES, IPv4 and IPv6 forwarding.
#             bench/synflood sends one SYN from each of 2,000,000 sources:
#             the 131,070 host addresses of 198.18.0.0/15, then 1,868,930
#             distinct /64s of 2001:db8:8000::/33 (ipv6_prefix = 64: one
#             source each).  Inside the flood a real bot (TCP connects,
#             100/s, from the LAN namespace: bench/connect-loop) and two
#             office hosts (four connections each, IPv4 and IPv6).
#   accounts  an nflogmon with the policy service alone (backend none),
#             accounts.max_accounts = MAX_ACCOUNTS and the default account
#             rules: bench/policy-logins sends 100,000 distinct logins
#             while a hijacked account sends recipients past its limit
#             and an office account sends a few.
#
# The memory bound: a table costs max x (entry + 4 B of hash bucket,
# rounded to a power of two), the entry being bench/engine-mem's figure
# (one struct source at the default rules); the accounts add the login
# names table, bounded by its own fixed size (names.c: 2^18 slots of 32 B
# and at most 3/4 of them holding a login, 48 B each with malloc's
# overhead).  Goal: peak resident (VmHWM) <= 1.5 x that + 32 MiB, the
# 32 MiB for what does not grow with the flood (code, libraries, SQLite's
# cache, buffers), measured at about 12 MiB at start here.  An unbounded
# table would hold 2,000,000 sources: 460 MiB at 240 B each.
set -u
BENCH_TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$BENCH_TOP/$BUILD ;; esac
NFLOGMON=${NFLOGMON:-$BUILD/nflogmon}
SYNFLOOD=$BUILD/bench/synflood
LOGINS_BIN=$BUILD/bench/policy-logins
CONNECT=$BUILD/bench/connect-loop
ENGINE_MEM=$BUILD/bench/engine-mem
MAX_SOURCES=${BENCH_FLOOD_MAX_SOURCES:-100000}
SOURCES=${BENCH_FLOOD_SOURCES:-2000000}
RATE=${BENCH_FLOOD_RATE:-200000}	# SYN/s offered
V4=131070				# synflood's hosts of 198.18.0.0/15
MAX_ACCOUNTS=${BENCH_FLOOD_MAX_ACCOUNTS:-10000}
LOGINS=${BENCH_FLOOD_LOGINS:-100000}
LOGIN_RATE=${BENCH_FLOOD_LOGIN_RATE:-20000}	# requests/s offered
BURST=20				# detect.burst's default, per minute
RCPT=500				# accounts.recipients' default, per hour
NAMES_BYTES=$(((1 << 18) * 32 + 3 * (1 << 16) * 48))	# names.c, above
# The SYNs' destinations: addresses of the internet link that nobody
# holds, with permanent neighbour entries in the gateway (bench/live.sh):
# the gateway forwards and logs each SYN, the internet namespace drops it.
DST4=203.0.113.99
DST6=2001:db8:ff::99

. "$BENCH_TOP/tests/e2e/lib.sh"

for b in "$SYNFLOOD" "$LOGINS_BIN" "$CONNECT" "$ENGINE_MEM"; do
	[ -x "$b" ] || nfl_fail "missing $b (make bench builds it)"
done
[ "$SOURCES" -gt $V4 ] || nfl_fail "BENCH_FLOOD_SOURCES must exceed $V4"

read -r ENTRY _ < <("$ENGINE_MEM" 1000) || nfl_fail "engine-mem failed"
vm() { awk -v k="$1:" '$1 == k { print $2 }' /proc/"$NFL_DAEMON_PID"/status; }
pow2() { local n=1; while [ $n -lt "$1" ]; do n=$((n * 2)); done; echo $n; }
# The bound in KiB of a table of max entries plus fixed bytes.
bound_kib() {
	echo $(((3 * ($1 * ENTRY + $(pow2 "$1") * 4 + $2) / 2 + \
	    32 * 1048576) / 1024))
}
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
verdict() { [ "$1" = 1 ] && echo "met" || echo "NOT MET"; }
short() {	# 2000000 -> 2M, 100000 -> 100k
	awk -v n="$1" 'BEGIN { if (n % 1000000 == 0) printf "%dM", n / 1000000;
	    else if (n % 1000 == 0) printf "%dk", n / 1000; else print n }'
}

# ------------------------------------------------------ sources

nfl_net_up
ip -n "$NS_GW" neigh replace $DST4 lladdr 02:00:00:00:00:99 dev wan0 \
    nud permanent || nfl_fail "neighbour for the IPv4 sink"
ip -n "$NS_GW" -6 neigh replace $DST6 lladdr 02:00:00:00:00:99 dev wan0 \
    nud permanent || nfl_fail "neighbour for the IPv6 sink"
# The default detect rules (nfl_conf turns sustained and fanout off).
nfl_conf capture.max_sources="$MAX_SOURCES" detect.burst=$BURST/1m \
    detect.sustained=120/1h detect.fanout=15/10m
nfl_daemon_start
nfl_iptables_load
rss0=$(vm VmRSS)
echo "flood: $SOURCES sources at $RATE SYN/s, max_sources $MAX_SOURCES; daemon VmRSS $rss0 kB at start" >&2

f4=$(nfl_in "$NS_LAN" "$SYNFLOOD" flood $DST4 25 "$RATE" $V4 30) ||
    nfl_fail "synflood flood failed"
# (Background processes started here, not through a function, so $! is
# the process cleanup must kill.)
ip netns exec "$NS_LAN" "$SYNFLOOD" flood6 $DST6 25 "$RATE" \
    $((SOURCES - V4)) 30 > "$NFL_WORK/flood6.out" 2>&1 &
fpid=$!
NFL_PIDS+=("$fpid")
sleep 0.5
# The office hosts: four connections each, 1.5 s apart, IPv4 and IPv6.
ip netns exec "$NS_LAN" python3 "$NFL_TOOLS/client.py" --src $OFFICE4 \
    --dst $SRV4 --port 25 --count 4 --interval 1.5 --timeout 2 \
    --deadline 20 > "$NFL_WORK/office4.out" &
NFL_PIDS+=($!)
o4pid=$!
ip netns exec "$NS_LAN" python3 "$NFL_TOOLS/client.py" --src ${HOST6_NET}10 \
    --dst ${SRV6}100 --port 25 --count 4 --interval 1.5 --timeout 2 \
    --deadline 20 > "$NFL_WORK/office6.out" &
NFL_PIDS+=($!)
o6pid=$!
# The bot: 200 TCP connects at 100 a second (bench/connect-loop), the
# handshake or, once blocked, the reset of the gateway's reject rule.
nfl_in "$NS_LAN" "$CONNECT" $BOT4 $SRV4 25 100 200 2000 > "$NFL_WORK/bot.out" ||
    nfl_fail "connect-loop failed"
wait "$o4pid" "$o6pid"
wait "$fpid" || nfl_fail "synflood flood6 failed: $(cat "$NFL_WORK/flood6.out")"
sleep 0.5
nfl_daemon_alive || nfl_fail "the daemon died in the flood"
read -r _ s4 _ sec4 <<< "$f4"
read -r _ s6 _ sec6 < "$NFL_WORK/flood6.out"
j=$(nfl_status_json) || nfl_fail "no status"
hwm=$(vm VmHWM)
read -r tracked evicted max < <(echo "$j" |
    jq -r '.sources | "\(.tracked) \(.evicted) \(.max)"')
read -r got lost < <(echo "$j" | jq -r '[.capture.groups[] |
    select(.group == 1)][0] | "\(.packets) \(.dropped)"')
read -r _ ok _ refused _ timedout _ _ _ _ _ brate < "$NFL_WORK/bot.out"
tries=$((ok + refused + timedout))
brate=${brate%.*}
o4=$(grep -c '^ok ' "$NFL_WORK/office4.out")
o6=$(grep -c '^ok ' "$NFL_WORK/office6.out")
bot_set=no
nfl_set_has "$SET4" $BOT4 && bot_set=yes
office_blocked=0
nfl_set_has "$SET4" $OFFICE4 && office_blocked=$((office_blocked + 1))
nfl_set_entries "$SET6" | grep -q '^2001:db8:2::' &&
    office_blocked=$((office_blocked + 1))
flood_blocked=$(nfl_set_entries "$SET4" | grep -c '^198\.1[89]\.' || true)
flood_blocked=$((flood_blocked + $(nfl_set_entries "$SET6" |
    grep -Ec '^2001:db8:[89a-f][0-9a-f]{3}:' || true)))
nfl_daemon_stop
sent=$((s4 + s6))
secs=$(awk -v a="$sec4" -v b="$sec6" 'BEGIN { printf "%.1f", a + b }')
bound=$(bound_kib "$MAX_SOURCES" 0)
echo "  sent $s4 IPv4 + $s6 IPv6 SYNs in $secs s; received $got, lost $lost" >&2
echo "  sources: tracked $tracked of max $max, evicted $evicted; VmHWM $hwm kB (bound $bound kB)" >&2
echo "  bot: $ok of $tries connections through at ~$brate/s, in the set: $bot_set; office: $o4/4 IPv4, $o6/4 IPv6 through; flood sources blocked: $flood_blocked" >&2

label="flood $(short "$SOURCES") sources"
echo "$label, offered SYN/s|$(awk -v n="$sent" -v a="$sec4" -v b="$sec6" \
    'BEGIN { printf "%.0f", n / (a + b) }')|-|-|(information: $sent in $secs s, received $got, lost $lost)"
ok_mem=$(awk -v h="$hwm" -v b="$bound" 'BEGIN { print (h <= b) }')
echo "$label, peak RSS MiB|$(mib "$hwm")|$(mib "$bound")|$(awk -v h="$hwm" \
    -v b="$bound" 'BEGIN { printf "%.2f", h / b }')|<= 1.5x table + 32 MiB: $(verdict "$ok_mem")"
ok_ev=$(awk -v e="$evicted" -v t="$tracked" -v m="$max" \
    'BEGIN { print (e > 0 && t <= m) }')
echo "$label, evicted (max $max)|$evicted|-|-|> 0, tracked $tracked <= max: $(verdict "$ok_ev")"
ok_bot=$(awk -v s="$bot_set" -v ok="$ok" -v b=$BURST -v r="$brate" \
    'BEGIN { print (s == "yes" && ok <= b + 5 && r >= 50) }')
echo "$label, bot conns before block|$ok|$BURST|-|blocked within $BURST + 5, bot >= 50/s ($brate/s): $(verdict "$ok_bot")"
ok_off=$(awk -v o="$office_blocked" -v f="$flood_blocked" -v a="$o4" \
    -v b="$o6" 'BEGIN { print (o == 0 && f == 0 && a == 4 && b == 4) }')
echo "$label, office/flood blocked|$office_blocked/$flood_blocked|-|-|none (office $o4/4 + $o6/4 through): $(verdict "$ok_off")"

# ------------------------------------------------------ accounts

SOCK=$NFL_WORK/policy.sock
nfl_conf_alone "$NFL_WORK/accounts.conf" <<CONF
[accounts]
max_accounts = $MAX_ACCOUNTS
recipients = $RCPT/1h
[mta]
policy_listen = unix:$SOCK
policy_group = 0
CONF
NFL_CONF=$NFL_WORK/accounts.conf
rm -f "$NFL_WORK"/state*
ip netns exec "$NS_GW" "$NFLOGMON" run -f -c "$NFL_CONF" \
    >> "$NFL_WORK/daemon.log" 2>&1 &
NFL_DAEMON_PID=$!
NFL_PIDS+=("$NFL_DAEMON_PID")
sock_up() {
	python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).connect(sys.argv[1])' \
	    "$1" 2>/dev/null
}
nfl_wait_until 15 sock_up "$SOCK" || nfl_fail "no policy socket"
nfl_wait_until 15 sock_up "$NFL_WORK/nflogmon.sock" || nfl_fail "no control socket"
rss0=$(vm VmRSS)
echo "flood: $LOGINS logins at $LOGIN_RATE/s, max_accounts $MAX_ACCOUNTS; daemon VmRSS $rss0 kB at start" >&2

"$LOGINS_BIN" "$SOCK" 8 "$LOGINS" "$LOGIN_RATE" 30 > "$NFL_WORK/logins.out" &
fpid=$!
NFL_PIDS+=("$fpid")
sleep 0.3
timeout 30 python3 "$NFL_TOOLS/policy_client.py" "$SOCK" \
    --login jane@example.org --clients 192.0.2.10 --count 5 \
    --interval 0.5 --deadline 20 > "$NFL_WORK/jane.out" &
NFL_PIDS+=($!)
jpid=$!
# The hijacked account: LIMIT + 60 recipients, about 200 a second.
timeout 30 python3 "$NFL_TOOLS/policy_client.py" "$SOCK" \
    --login mallory@example.org --clients 192.0.2.66 --count $((RCPT + 60)) \
    --interval 0.004 --deadline 20 > "$NFL_WORK/mallory.out"
wait "$jpid"
wait "$fpid" || nfl_fail "policy-logins failed: $(cat "$NFL_WORK/logins.out")"
nfl_daemon_alive || nfl_fail "the daemon died in the login flood"
read -r _ lsent _ lrep _ lsecs < "$NFL_WORK/logins.out"
j=$("$NFLOGMON" status -c "$NFL_CONF" --json) || nfl_fail "no status"
hwm=$(vm VmHWM)
read -r tracked evicted max < <(echo "$j" |
    jq -r '.accounts | "\(.tracked) \(.evicted) \(.max)"')
blocked=$(echo "$j" | jq -r '[.blocks[].source] | sort | join(" ")')
nfl_daemon_stop
# The recipient first refused, and whether any was accepted after it.
read -r first after < <(awk '$1 == "summary" { next }
    { n++; if ($1 != "DUNNO" && !f) f = n; if (f && $1 == "DUNNO") a++ }
    END { print (f ? f : "-"), a + 0 }' "$NFL_WORK/mallory.out")
jane=$(tail -1 "$NFL_WORK/jane.out")
bound=$(bound_kib "$MAX_ACCOUNTS" $NAMES_BYTES)
echo "  $lsent logins sent, $lrep replies in $lsecs s; accounts: tracked $tracked of max $max, evicted $evicted; VmHWM $hwm kB (bound $bound kB)" >&2
echo "  hijacked: first refused at recipient $first ($after accepted after); $jane; blocked: $blocked" >&2

label="flood $(short "$LOGINS") logins"
echo "$label, requests/s|$(awk -v n="$lrep" -v s="$lsecs" \
    'BEGIN { printf "%.0f", n / s }')|-|-|(information: $lrep replies in $lsecs s)"
ok_mem=$(awk -v h="$hwm" -v b="$bound" 'BEGIN { print (h <= b) }')
echo "$label, peak RSS MiB|$(mib "$hwm")|$(mib "$bound")|$(awk -v h="$hwm" \
    -v b="$bound" 'BEGIN { printf "%.2f", h / b }')|<= 1.5x tables + 32 MiB: $(verdict "$ok_mem")"
ok_ev=$(awk -v e="$evicted" -v t="$tracked" -v m="$max" \
    'BEGIN { print (e > 0 && t <= m) }')
echo "$label, evicted (max $max)|$evicted|-|-|> 0, tracked $tracked <= max: $(verdict "$ok_ev")"
ok_h=$(awk -v f="$first" -v a="$after" -v l=$RCPT \
    'BEGIN { print (f != "-" && f <= l + 5 && a == 0) }')
echo "$label, hijacked refused at rcpt|$first|$RCPT|-|within $RCPT + 5, none after: $(verdict "$ok_h")"
ok_off=0
case $jane in
*" accepted=5 refused=0 error=0")
	[ "$blocked" = "account:mallory@example.org" ] && ok_off=1 ;;
esac
echo "$label, office refused|$(echo "$jane" | sed -n 's/.*refused=\([0-9]*\).*/\1/p')|-|-|0, blocks the hijacked only: $(verdict "$ok_off")"
