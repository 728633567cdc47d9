#!/usr/bin/env bash
# (c) An IPv6 bot rotating its address inside one /64 is blocked as the
# whole /64 (a hash:net entry of the IPv6 set); another /64 keeps working.
. "$(dirname "$0")/lib.sh"
nfl_net_up
BURST=5
nfl_conf detect.burst=$BURST/1m capture.ipv6_prefix=64
nfl_daemon_start
nfl_iptables_load

# 100 connections, each from a new address of 2001:db8:2::/64.
out=$(nfl_client --src ${HOST6_NET}1000+100 --dst ${SRV6}100+100 --port 25 \
    --count 100 --interval 0.05 --timeout 2 --deadline 60) || nfl_fail "client failed"
ok=$(echo "$out" | grep -c '^ok ')
nfl_log "v6 bot: $ok connections got through"
[ "$ok" -ge "$BURST" ] || nfl_fail "blocked after only $ok connections"
[ "$ok" -le $((BURST + 2)) ] || nfl_fail "$ok connections got through, more than burst+2"

nfl_set_has "$SET6" ${HOST6_NET}/64 ||
    nfl_fail "${HOST6_NET}/64 not in $SET6: $(nfl_set_entries "$SET6")"
[ "$(nfl_set_entries "$SET6" | wc -l)" = 1 ] || nfl_fail "$SET6 holds more than the /64: $(nfl_set_entries "$SET6")"
[ -z "$(nfl_set_entries "$SET4")" ] || nfl_fail "$SET4 not empty"
# A fresh address of the same /64 is refused; its HTTP works.
nfl_connect_refused ${HOST6_NET}beef ${SRV6}200 25 || nfl_fail "new address in the blocked /64 not reset"
nfl_connect_ok ${HOST6_NET}beef ${SRV6}200 80 || nfl_fail "HTTP of the blocked /64 broken"
# Another /64 (the office LAN) is untouched.
nfl_connect_ok 2001:db8:1::10 ${SRV6}200 25 || nfl_fail "office IPv6 SMTP broken"
nfl_daemon_alive || nfl_fail "daemon died"
echo "PASS"
