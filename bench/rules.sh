#!/usr/bin/env bash
# bench/rules.sh (root): the capture rules of a large config.  Prints rows
# "figure|nflogmon|baseline|ratio|goal" for bench/run.sh:
#   rules     `nflogmon rules` of a config with 10,000 allowlisted addresses
#             against `nflogmon check-config` of the same file (the load
#             both pay); goal: the printing adds at most the load again
#   check     the daemon's ruleset check at start with that ruleset loaded
#             (its own "checked in" figure) against `nft -j list ruleset`
#             alone (what it must read); goal <= 1 s, it runs at start and
#             on SIGHUP only
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
NFLOGMON=${NFLOGMON:-$PWD/$BUILD/nflogmon}
N=${BENCH_RULES_ALLOW:-10000}
ns=nflbench-rules-$$
work=$(mktemp -d /tmp/nflogmon-bench-rules.XXXXXX)
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$ns" || exit 1
ip -n "$ns" link add lan0 type veth peer name lan0p || exit 1

ms_of() {	# command...: best of 3 wall-clock runs, ms
	local best="" t0 t
	for _ in 1 2 3; do
		t0=$EPOCHREALTIME
		"$@" >/dev/null 2>&1 || return 1
		t=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", (b - a) * 1000 }')
		best=$(awk -v a="${best:-$t}" -v b="$t" 'BEGIN { print (b < a) ? b : a }')
	done
	echo "$best"
}

# 10,000 hosts of the benchmarking range, on one line.
addrs=$(awk -v n="$N" 'BEGIN { for (i = 0; i < n; i++)
	printf "%s198.18.%d.%d", i ? ", " : "", int(i / 250), i % 250 + 1 }')
cat > "$work/c.conf" <<CONF
[daemon]
control_socket = $work/sock
state_file = $work/state
[capture]
lan_interfaces = lan0
ports = 25, 465, 587
log_allowed = no
[block]
backend = none
[allow]
addresses = $addrs
CONF

rules=$(ms_of "$NFLOGMON" rules -c "$work/c.conf") || { echo "rules.sh: nflogmon rules failed" >&2; exit 1; }
load=$(ms_of "$NFLOGMON" check-config -c "$work/c.conf") || exit 1
"$NFLOGMON" rules -c "$work/c.conf" | ip netns exec "$ns" nft -f - || exit 1
list=$(ms_of ip netns exec "$ns" nft -j list ruleset) || exit 1
ip netns exec "$ns" "$NFLOGMON" run -f -c "$work/c.conf" > "$work/log" 2>&1 &
pid=$!
for _ in $(seq 100); do
	grep -q 'checked in' "$work/log" && break
	sleep 0.1
done
check=$(sed -n 's/.*checked in \([0-9.]*\) ms.*/\1/p' "$work/log" | head -1)
grep -q 'logs to every group' "$work/log" ||
    { echo "rules.sh: the check warned: $(grep capture: "$work/log")" >&2; exit 1; }
[ -n "$check" ] || { echo "rules.sh: no check figure" >&2; exit 1; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
met() { [ "$1" = 1 ] && echo met || echo "NOT MET"; }
echo "nflogmon rules, $N allowlisted, ms|$rules|$load|$(ratio "$rules" "$load")|<= 2x check-config: $(met "$(awk -v a="$rules" -v b="$load" 'BEGIN { print (a <= 2 * b) }')")"
echo "ruleset check, $N allowlisted, ms|$check|$list|$(ratio "$check" "$list")|<= 1000 ms: $(met "$(awk -v a="$check" 'BEGIN { print (a <= 1000) }')")"
