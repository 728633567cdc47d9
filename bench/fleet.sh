#!/bin/bash
# bench/fleet.sh: the fleet's rows (needs root and Debian's crowdsec):
# publish-to-pulled latency through a real LAPI, over 100 bots: gateway
# A's client publishes one bot every 20-80 ms, gateway B's client pulls
# the decision stream every pull_interval (1 s).  Target: p99 <=
# pull_interval + 200 ms.  The enforcement on B (one set add, microseconds:
# see the block latency rows) is not included yet: the daemon's act path
# will call the same client.  Prints rows "figure|nflogmon|baseline|ratio|goal".
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
. tests/e2e/lib.sh
. tests/e2e/lib_crowdsec.sh
DRIVER=$NFL_TOP/$BUILD/tools/fleet-driver
N=${FLEET_BOTS:-100}
[ -x "$DRIVER" ] || { echo "bench/fleet.sh: no $DRIVER (make)" >&2; exit 1; }
command -v crowdsec >/dev/null || {
	echo "fleet: publish-to-pull p99, ms|-|-|-|not measured (no crowdsec)"
	exit 0
}
trap nfl_cleanup EXIT
NFL_WORK=$(mktemp -d /tmp/nfl-bench.XXXXXX)
GWA=$NFL_ID-gwa
nfl_ns_add "$GWA"
cs_up >&2
cs_link "$GWA" 198.51.100.1
cs_machine gwa "$NFL_WORK/gwa.yaml"
cs_bouncer gwb "$NFL_WORK/gwb.key"
out=$(nfl_in "$GWA" "$DRIVER" -u "$CS_URL" -p "$NFL_WORK/gwa.yaml" \
    -k "$NFL_WORK/gwb.key" -i 1000 -t 60 latency "$N" | grep "^latency") ||
    { echo "bench/fleet.sh: $out" >&2; exit 1; }
read -r _ n seen med p99 <<< "$out"
ok=$(awk -v p="$p99" 'BEGIN { print (p + 0 <= 1200) }')
v=$([ "$ok" = 1 ] && [ "$seen" = "$n" ] && echo met || echo "NOT MET")
echo "fleet: publish-to-pull median, ms|$med|-|-|(information; pull 1s)"
echo "fleet: publish-to-pull p99, ms|$p99|-|-|<= 1200 ($seen/$n seen): $v"
