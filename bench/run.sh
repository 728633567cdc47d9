#!/usr/bin/env bash
# make bench: speed and memory figures, printed as a table, each compared
# with a baseline measured in the same run on the same machine.  Nothing
# here asserts a time; it reports, and says whether each goal is met.
#   replay rate     nflogmon replay vs a bare libpcap parse-and-count loop
#                   over the same capture (goal: at least half its rate)
#   memory/source   the engine's entry size and the resident growth per
#                   tracked source at the default thresholds (goal <= 256 B)
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
NFLOGMON=${NFLOGMON:-$PWD/$BUILD/nflogmon}
PACKETS=${BENCH_PACKETS:-3000000}
SOURCES=${BENCH_SOURCES:-100000}
work=$(mktemp -d /tmp/nflogmon-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

best_of() {	# N command...: the highest of N runs' printed rate
	local n=$1 best=0 r; shift
	for _ in $(seq "$n"); do
		r=$("$@") || return 1
		best=$(awk -v a="$best" -v b="$r" 'BEGIN { print (b > a) ? b : a }')
	done
	echo "$best"
}

replay_rate() {	# packets per second of a whole replay run (process included)
	local t0=$EPOCHREALTIME
	"$NFLOGMON" replay -c bench/bench.conf --json "$work/flood.pcap" >"$work/replay.json" || return 1
	awk -v a="$t0" -v b="$EPOCHREALTIME" -v n="$PACKETS" 'BEGIN { printf "%.0f\n", n / (b - a) }'
}

echo "generating $PACKETS SYNs from $SOURCES sources..." >&2
"$BUILD/bench/mkflood" "$work/flood.pcap" "$PACKETS" "$SOURCES" || exit 1

base=$(best_of 3 "$BUILD/bench/pcap-baseline" "$work/flood.pcap" 2>/dev/null) || exit 1
rate=$(best_of 3 replay_rate) || { echo "bench: replay failed" >&2; exit 1; }
read -r entry rss < <("$BUILD/bench/engine-mem" 131072) || exit 1

verdict() { [ "$1" = 1 ] && echo "met" || echo "NOT MET"; }
ratio=$(awk -v a="$rate" -v b="$base" 'BEGIN { printf "%.2f", a / b }')
ok_rate=$(awk -v r="$ratio" 'BEGIN { print (r >= 0.5) }')
ok_entry=$(awk -v e="$entry" 'BEGIN { print (e <= 256) }')
ok_rss=$(awk -v e="$rss" 'BEGIN { print (e <= 256) }')

printf '\n%-34s %14s %14s %8s  %s\n' "figure" "nflogmon" "baseline" "ratio" "goal"
printf '%-34s %14s %14s %8s  %s\n' "replay, packets/s (best of 3)" "$rate" "$base" "$ratio" \
    ">= 0.5x bare libpcap: $(verdict "$ok_rate")"
printf '%-34s %14s %14s %8s  %s\n' "engine entry, bytes/source" "$entry" "-" "-" \
    "<= 256: $(verdict "$ok_entry")"
printf '%-34s %14s %14s %8s  %s\n' "resident growth, bytes/source" "$rss" "-" "-" \
    "<= 256: $(verdict "$ok_rss")"
echo
jq -c '{packets, events, sources, verdicts: (.verdicts | length)}' "$work/replay.json"
