#!/bin/bash
# A host without nflogmon enforces what a gateway published: Debian's
# crowdsec-firewall-bouncer (0.0.25) in nftables set-only mode, with the
# tables, sets and forward rules README "Many gateways" gives made before
# it starts, pulls from the test's own LAPI.  Gateway A's fleet client
# publishes an address and an IPv6 prefix: the address appears in the
# third host's set within 10 s, the unblock (delete by id) lifts it.
# What 0.0.25 makes of a Range is pinned down too, since README warns of
# it: it strips the length and adds the prefix's first address alone
# (2001:db8:5::/64 -> 2001:db8:5::), which in a set with `flags interval`
# became the open interval 2001:db8:5::-ffff:...:ffff (most of the IPv6
# Internet): so the README's IPv6 set has no interval flag.  The bouncer runs with its own config
# in the test's directory and is stopped by PID; the host's
# /etc/crowdsec is not read.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_crowdsec.sh"

nfl_require
DRIVER=${FLEET_DRIVER:-$NFL_TOP/${BUILD:-build}/tools/fleet-driver}
[ -x "$DRIVER" ] || nfl_fail "no fleet-driver at $DRIVER (make)"
command -v crowdsec-firewall-bouncer >/dev/null ||
    nfl_fail "missing tool: crowdsec-firewall-bouncer (scripts/install-deps.sh)"
trap nfl_cleanup EXIT
NFL_WORK=$(mktemp -d /tmp/nfl-e2e.XXXXXX)

GWA=$NFL_ID-gwa
H3=$NFL_ID-h3
nfl_ns_add "$GWA"
nfl_ns_add "$H3"
cs_up
cs_link "$GWA" 198.51.100.1
cs_link "$H3" 198.51.100.3
cs_machine gwa "$NFL_WORK/gwa.yaml"
cs_bouncer host3-fw "$NFL_WORK/h3.key"

# The README's tables, in the third host's namespace.
nfl_in "$H3" nft -f - <<'NFT' || nfl_fail "cannot load the bouncer's tables"
table ip crowdsec {
	set crowdsec-blacklists { type ipv4_addr; flags timeout; }
	chain forward { type filter hook forward priority filter - 1; ip saddr @crowdsec-blacklists tcp dport { 25, 465, 587 } reject with tcp reset; }
}
table ip6 crowdsec6 {
	set crowdsec6-blacklists { type ipv6_addr; flags timeout; }
	chain forward { type filter hook forward priority filter - 1; ip6 saddr @crowdsec6-blacklists tcp dport { 25, 465, 587 } reject with tcp reset; }
}
NFT

mkdir -p "$NFL_WORK/bouncer"
cat > "$NFL_WORK/bouncer/bouncer.yaml" <<EOF
mode: nftables
pid_dir: $NFL_WORK/bouncer/
update_frequency: 1s
daemonize: false
log_mode: file
log_dir: $NFL_WORK/bouncer/
log_level: info
api_url: $CS_URL/
api_key: $(cat "$NFL_WORK/h3.key")
disable_ipv6: false
deny_action: DROP
deny_log: false
supported_decisions_types:
  - ban
blacklists_ipv4: crowdsec-blacklists
blacklists_ipv6: crowdsec6-blacklists
nftables:
  ipv4:
    enabled: true
    set-only: true
    table: crowdsec
    chain: crowdsec-chain
  ipv6:
    enabled: true
    set-only: true
    table: crowdsec6
    chain: crowdsec6-chain
prometheus:
  enabled: false
  listen_addr: 127.0.0.1
  listen_port: 60601
EOF
chmod 0600 "$NFL_WORK/bouncer/bouncer.yaml"
# a simple command: $! is the bouncer (ip netns exec execs it)
ip netns exec "$H3" crowdsec-firewall-bouncer -c "$NFL_WORK/bouncer/bouncer.yaml" \
    > "$NFL_WORK/bouncer/stdout.log" 2>&1 &
NFL_PIDS+=("$!")
bpid=$!
sleep 1
kill -0 "$bpid" 2>/dev/null || nfl_fail "the bouncer exited: $(tail -n 5 \
    "$NFL_WORK/bouncer/"*.log)"

A() { nfl_in "$GWA" "$DRIVER" -u "$CS_URL" -p "$NFL_WORK/gwa.yaml" "$@"; }
out=$(A publish 203.0.113.77 burst 3600) || nfl_fail "publish: $out"
id4=$(echo "$out" | awk '/^published/ {print $3}')
out=$(A publish 2001:db8:5::/64 fanout 3600) || nfl_fail "publish: $out"
id6=$(echo "$out" | awk '/^published/ {print $3}')

in_set() { nfl_in "$H3" nft list set "$1" "$2" | grep -q "$3"; }
nfl_wait_until 10 in_set ip\ crowdsec crowdsec-blacklists 203.0.113.77 ||
    nfl_fail "the address is not in the third host's set: $(nfl_in "$H3" \
    nft list ruleset; tail -n 5 "$NFL_WORK/bouncer/"*.log)"
nfl_wait_until 10 in_set "ip6 crowdsec6" crowdsec6-blacklists \
    "2001:db8:5:: " || nfl_fail "the prefix's address is not in the IPv6 \
    set: $(nfl_in "$H3" nft list ruleset; tail -n 5 "$NFL_WORK/bouncer/"*.log)"
set6=$(nfl_in "$H3" nft list set ip6 crowdsec6 crowdsec6-blacklists)
echo "$set6" | grep -q "ffff:ffff" && nfl_fail "an open IPv6 interval: $set6"
kill -0 "$bpid" 2>/dev/null || nfl_fail "the bouncer died"

A unpublish 203.0.113.77 "$id4" >/dev/null || nfl_fail "unpublish v4"
A unpublish 2001:db8:5::/64 "$id6" >/dev/null || nfl_fail "unpublish v6"
gone() { ! in_set "$@"; }
nfl_wait_until 10 gone "ip crowdsec" crowdsec-blacklists 203.0.113.77 ||
    nfl_fail "the address stays in the third host's set after unblock"
nfl_wait_until 10 gone "ip6 crowdsec6" crowdsec6-blacklists "2001:db8:5:: " ||
    nfl_fail "the prefix stays in the IPv6 set after unblock"
exit 0
