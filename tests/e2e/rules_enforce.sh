#!/usr/bin/env bash
# The rules `nflogmon rules` prints, without the daemon: a member of a
# blocked set gets a reset on port 25 and nothing else changes; the log
# rules copy outbound SYNs to port 25 (and only those) to NFLOG group 1.
. "$(dirname "$0")/lib.sh"
nfl_net_up
nfl_conf

# The ipset backend's sets as the daemon creates them, and the iptables
# rules that enforce them.
nfl_in "$NS_GW" ipset create "$SET4" hash:ip family inet timeout 0 || nfl_fail "ipset create"
nfl_in "$NS_GW" ipset create "$SET6" hash:net family inet6 timeout 0 || nfl_fail "ipset create 6"
nfl_iptables_load
# Reloading the chains alone, as the header of the output says: refilled,
# the jumps not repeated (a second jump would log every SYN twice).
for fam in iptables ip6tables; do
	"$NFLOGMON" rules --$fam -c "$NFL_CONF" | grep -v '^-I ' |
	    nfl_in "$NS_GW" $fam-restore --noflush || nfl_fail "$fam chains reload"
	[ "$(nfl_in "$NS_GW" $fam -S NFLOGMON_FWD | grep -c REJECT)" = 1 ] ||
	    nfl_fail "$fam: NFLOGMON_FWD not refilled on reload"
	[ "$(nfl_in "$NS_GW" $fam -S FORWARD | grep -c NFLOGMON_FWD)" = 1 ] ||
	    nfl_fail "$fam: the FORWARD jump repeated"
	[ "$(nfl_in "$NS_GW" $fam -S NFLOGMON_FWD | grep -c 'NFLOG --nflog-group 1')" = 1 ] ||
	    nfl_fail "$fam: no NFLOG group 1 rule: $(nfl_in "$NS_GW" $fam -S NFLOGMON_FWD)"
done

nfl_connect_ok $BOT4 ${SRV4%.*}.130 25 || nfl_fail "bot's SMTP fails before any block"
nfl_in "$NS_GW" ipset add "$SET4" $BOT4 timeout 60
nfl_in "$NS_GW" ipset add "$SET6" ${HOST6_NET}/64 timeout 60
nfl_connect_refused $BOT4 ${SRV4%.*}.130 25 || nfl_fail "ipset member's SMTP not reset"
nfl_connect_ok $BOT4 ${SRV4%.*}.130 80 || nfl_fail "ipset member's HTTP broken"
nfl_connect_ok $OFFICE4 ${SRV4%.*}.130 25 || nfl_fail "non-member's SMTP broken"
nfl_connect_refused ${HOST6_NET}77 ${SRV6}100 25 || nfl_fail "ipset6 member's SMTP not reset"
nfl_connect_ok ${HOST6_NET}77 ${SRV6}100 80 || nfl_fail "ipset6 member's HTTP broken"
nfl_connect_ok 2001:db8:1::10 ${SRV6}100 25 || nfl_fail "v6 non-member's SMTP broken"
nfl_in "$NS_GW" ipset flush "$SET4"
nfl_in "$NS_GW" ipset flush "$SET6"
nfl_connect_ok $BOT4 ${SRV4%.*}.130 25 || nfl_fail "SMTP still reset after the set was emptied"

# The nft backend's sets, enforced by the nft ruleset itself.
nfl_conf block.backend=nft
nfl_rules_load nft
nfl_in "$NS_GW" nft add element inet nflogmon blocked4 "{ $BOT4 timeout 60s }"
nfl_in "$NS_GW" nft add element inet nflogmon blocked6 "{ ${HOST6_NET}/64 timeout 60s }"
nfl_connect_refused $BOT4 ${SRV4%.*}.131 25 || nfl_fail "blocked4 member's SMTP not reset"
nfl_connect_ok $BOT4 ${SRV4%.*}.131 80 || nfl_fail "blocked4 member's HTTP broken"
nfl_connect_refused ${HOST6_NET}78 ${SRV6}101 25 || nfl_fail "blocked6 member's SMTP not reset"
nfl_connect_ok ${HOST6_NET}78 ${SRV6}101 80 || nfl_fail "blocked6 member's HTTP broken"
nfl_connect_ok $OFFICE4 ${SRV4%.*}.131 25 || nfl_fail "non-member's SMTP broken (nft)"
# Reloading the ruleset keeps the daemon's elements.
nfl_rules_load nft
nfl_in "$NS_GW" nft list set inet nflogmon blocked4 | grep -q "$BOT4" ||
    nfl_fail "reloading the ruleset lost blocked4's elements"
nfl_connect_refused $BOT4 ${SRV4%.*}.131 25 || nfl_fail "blocked4 not enforced after reload"

# Logging: the counter of the log rule in smtp_forward moves for SYNs to
# port 25 from the LAN, not for port 80, not for the allowlisted MTA.
nfl_in "$NS_GW" nft flush chain inet nflogmon smtp_forward
nfl_in "$NS_GW" nft add rule inet nflogmon smtp_forward ip saddr @allow4 return
nfl_in "$NS_GW" nft add rule inet nflogmon smtp_forward tcp flags \& \(syn \| ack\) == syn counter
logged() { nfl_in "$NS_GW" nft list chain inet nflogmon smtp_forward | awk '/counter/ { for (i = 1; i <= NF; i++) if ($i == "packets") print $(i + 1) }'; }
before=$(logged)
nfl_connect_ok $OFFICE4 ${SRV4%.*}.140 25 || nfl_fail "office SMTP"
nfl_connect_ok $OFFICE4 ${SRV4%.*}.140 80 || nfl_fail "office HTTP"
nfl_connect_ok $MTA4 ${SRV4%.*}.140 25 || nfl_fail "MTA SMTP"
after=$(logged)
[ "$((after - before))" = 1 ] || nfl_fail "expected 1 SMTP SYN counted, got $((after - before))"
echo "PASS"
