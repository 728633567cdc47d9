#!/usr/bin/env bash
# (b) Office hosts opening a few connections each and the MTA opening
# hundreds are never blocked.  rules.nft is loaded without its allow sets,
# so every SYN of the MTA reaches the daemon and its [allow] list is what
# keeps the MTA out of the sets.
. "$(dirname "$0")/lib.sh"
nfl_net_up --no-allow-rules
BURST=5
nfl_conf detect.burst=$BURST/1m detect.fanout=15/10m
nfl_daemon_start
nfl_iptables_load

# Office hosts: a few connections each (below the burst).  IPv6 hosts of
# one /64 count together, so one of them only.
for h in 10 11 12 13 14; do
	out=$(nfl_client --src 192.0.2.$h --dst $SRV4+100 --port 25 --count 3 --timeout 2)
	[ "$(echo "$out" | grep -c '^ok ')" = 3 ] || nfl_fail "office host 192.0.2.$h: $(echo "$out" | tail -1)"
done
out=$(nfl_client --src 2001:db8:1::10 --dst ${SRV6}100+100 --port 25 --count 3 --timeout 2)
[ "$(echo "$out" | grep -c '^ok ')" = 3 ] || nfl_fail "office host 2001:db8:1::10: $(echo "$out" | tail -1)"

# The MTA: hundreds of connections to 100 servers, far above every rule.
out=$(nfl_client --src $MTA4 --dst $SRV4+100 --port 25 --count 300 --timeout 2 --deadline 120)
[ "$(echo "$out" | grep -c '^ok ')" = 300 ] || nfl_fail "MTA (IPv4) was refused: $(echo "$out" | tail -1)"
out=$(nfl_client --src $MTA6 --dst ${SRV6}100+100 --port 25 --count 200 --timeout 2 --deadline 120)
[ "$(echo "$out" | grep -c '^ok ')" = 200 ] || nfl_fail "MTA (IPv6) was refused: $(echo "$out" | tail -1)"
# The allowlisted MTA6 is keyed by its full address: its connections never
# add to its /64's counts, so the office host there still has room.
out=$(nfl_client --src 2001:db8:1::10 --dst ${SRV6}100+100 --port 25 --count 2 --timeout 2)
[ "$(echo "$out" | grep -c '^ok ')" = 2 ] || nfl_fail "office host 2001:db8:1::10 after the MTA: $(echo "$out" | tail -1)"

# The daemon saw the MTA (the allowed verdict is logged) yet blocked nothing.
nfl_wait_until 10 grep -q "$MTA4" "$NFL_WORK/daemon.log" ||
    nfl_fail "the daemon never reported the allowlisted MTA: is capture working?"
[ -z "$(nfl_set_entries "$SET4")" ] || nfl_fail "$SET4 not empty: $(nfl_set_entries "$SET4")"
[ -z "$(nfl_set_entries "$SET6")" ] || nfl_fail "$SET6 not empty: $(nfl_set_entries "$SET6")"
grep -E "^nflogmon: (block|breaker) " "$NFL_WORK/daemon.log" &&
    nfl_fail "the daemon blocked (or nearly blocked) someone"
if nfl_have_ctl; then
	n=$(nfl_list_json | jq '.blocks | length')
	[ "$n" = 0 ] || nfl_fail "nflogmon list shows $n blocks"
fi
nfl_daemon_alive || nfl_fail "daemon died"
echo "PASS"
