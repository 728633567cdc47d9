#!/usr/bin/env bash
# What `nflogmon rules` prints is accepted by the kernel's own tools, for
# a table of configs: `nft -c -f -` (check mode), `iptables-restore
# --test` and `ip6tables-restore --test`, each in a fresh namespace; and
# loading the nft output for real twice in a row works.  `rules` itself
# never touches the kernel: the namespace's ruleset is still empty after
# it ran there.
. "$(dirname "$0")/lib.sh"
nfl_require
trap nfl_cleanup EXIT
trap 'exit 1' INT TERM
NFL_WORK=$(mktemp -d /tmp/nflogmon-e2e.XXXXXX)
nfl_ns_add "$NS_GW"
nfl_in "$NS_GW" ip link add lan0 type veth peer name lan0p
nfl_in "$NS_GW" ipset create nflogmon hash:ip family inet timeout 0
nfl_in "$NS_GW" ipset create nflogmon6 hash:net family inet6 timeout 0
nfl_in "$NS_GW" ipset create nfl-x.1 hash:ip family inet timeout 0
nfl_in "$NS_GW" ipset create nfl-x.16 hash:net family inet6 timeout 0

# One config a line: sections and keys, "\n" between lines.
n=0
while IFS= read -r conf; do
	n=$((n + 1))
	printf '%b\n' "$conf" > "$NFL_WORK/c$n.conf"
	nfl_in "$NS_GW" "$NFLOGMON" rules -c "$NFL_WORK/c$n.conf" > "$NFL_WORK/c$n.nft" 2>/dev/null ||
	    nfl_fail "config $n: nflogmon rules failed: $conf"
	[ -z "$(nfl_in "$NS_GW" nft list ruleset)" ] ||
	    nfl_fail "config $n: nflogmon rules changed the ruleset"
	nfl_in "$NS_GW" nft -c -f "$NFL_WORK/c$n.nft" ||
	    nfl_fail "config $n: nft -c refused: $conf"
	for fam in iptables ip6tables; do
		"$NFLOGMON" rules --$fam -c "$NFL_WORK/c$n.conf" 2>/dev/null |
		    nfl_in "$NS_GW" $fam-restore --test --noflush ||
		    nfl_fail "config $n: $fam-restore --test refused: $conf"
	done
	nfl_in "$NS_GW" nft -f "$NFL_WORK/c$n.nft" || nfl_fail "config $n: nft -f: $conf"
	nfl_in "$NS_GW" nft -f "$NFL_WORK/c$n.nft" || nfl_fail "config $n: nft -f again: $conf"
	nfl_in "$NS_GW" nft flush ruleset
done <<'CONFS'
[capture]\nforward_group = 1
[capture]\nlan_interfaces = lan0
[capture]\nlan_interfaces = lan0, eth1.100, br-office, wg_0\nports = 25, 465, 587\nforward_group = 7\noutput_group = 8
[capture]\nlan_interfaces = lan0\nlog_allowed = no\n[allow]\naddresses = 192.0.2.25, 2001:db8:1::25\nnetworks = 198.51.100.0/24, 2001:db8:99::/48, 203.0.113.0/25\nuids = 0, 4242
[capture]\nlan_interfaces = lan0\nforward_group = off\n[allow]\naddresses = 192.0.2.25
[capture]\nlan_interfaces = lan0\noutput_group = off\nlog_allowed = no\n[allow]\nuids = 0
[capture]\nlan_interfaces = lan0\n[block]\nbackend = nft\nnft_table = inet nfl-x.1\nipset_name = nfl-x.1
[capture]\nlan_interfaces = lan0\nlog_allowed = no\n[allow]\nnetworks = ::/0\ndestinations = 203.0.113.0/24
CONFS
nfl_log "$n configs accepted by nft -c, iptables-restore --test, ip6tables-restore --test"
[ "$n" -ge 8 ] || nfl_fail "only $n configs read"
echo PASS
