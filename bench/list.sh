#!/usr/bin/env bash
# The listing rows of make bench (root: the daemon runs): `nflogmon list
# --json` with BENCH_LIST_BLOCKS (1,000,000) blocks held, the whole client
# process, wall clock, best of 3, against `jq -c .` of the same JSON (a
# program that reads and writes that much JSON; one run, it takes ~20 s)
# and, for information, `cat` of it (the cost of the bytes alone).  Goal: under 5 s.  The daemon
# runs with backend none and nothing captured, from a first-release text
# state file; it touches no network and no firewall.  Prints one
# "figure|nflogmon|baseline|ratio|goal" line per row.
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
NFLOGMON=${NFLOGMON:-$PWD/$BUILD/nflogmon}
N=${BENCH_LIST_BLOCKS:-1000000}
work=$(mktemp -d /tmp/nflogmon-bench-list.XXXXXX)
pid=""
cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	rm -rf "$work"
}
trap cleanup EXIT

cat > "$work/nflogmon.conf" <<EOF
[daemon]
control_socket = $work/nflogmon.sock
state_file     = $work/state
[capture]
forward_group  = off
output_group   = off
[block]
backend        = none
EOF
python3 - "$work/state" "$N" <<'PY' || exit 1
import sys, time
path, n = sys.argv[1], int(sys.argv[2])
now = int(time.time() * 1e6)
rules = ("burst", "sustained", "fanout")
with open(path, "w") as f:
    f.write("nflogmon-state 1\nsaved %d\n" % now)
    for i in range(n):
        if i < 131072:
            s = "198.%d.%d.%d" % (18 + (i >> 16), (i >> 8) & 255, i & 255)
        else:
            j = i - 131072
            s = "2001:db8:%x:%x::/64" % (j >> 16, j & 0xffff)
        f.write("block %s %s block %d %d %d 1 %d 1 - -\n" % (s,
            rules[i % 3], i % 50, now - i * 1000, now + 86400 * 10**6, i % 7))
    f.write("end %d 0\n" % n)
PY

"$NFLOGMON" run -f -c "$work/nflogmon.conf" 2>"$work/daemon.log" &
pid=$!
for _ in $(seq 600); do
	"$NFLOGMON" status -s "$work/nflogmon.sock" >/dev/null 2>&1 && break
	kill -0 "$pid" 2>/dev/null || { cat "$work/daemon.log" >&2; exit 1; }
	sleep 0.2
done

secs_of() {	# command...: wall seconds of one run, output to $work/out
	local t0=$EPOCHREALTIME
	"$@" > "$work/out" 2>/dev/null || return 1
	awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f\n", b - a }'
}
best_of() {	# N command...: the lowest of N runs' seconds
	local n=$1 best="" s; shift
	for _ in $(seq "$n"); do
		s=$(secs_of "$@") || return 1
		best=$(awk -v a="$best" -v b="$s" \
		    'BEGIN { print (a == "" || b < a) ? b : a }')
	done
	echo "$best"
}

t=$(best_of 3 "$NFLOGMON" list --json -s "$work/nflogmon.sock") ||
    { echo "bench: list --json failed" >&2; exit 1; }
rows=$(grep -o '{"source":' "$work/out" | wc -l)
[ "$rows" -eq "$N" ] || { echo "bench: listed $rows of $N" >&2; exit 1; }
mv "$work/out" "$work/list.json"
jqt=$(best_of 1 jq -c . "$work/list.json") || exit 1
catt=$(best_of 3 cat "$work/list.json") || exit 1
ok=$(awk -v t="$t" 'BEGIN { print (t < 5) }')
[ "$ok" = 1 ] && verdict=met || verdict="NOT MET"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }'; }
echo "list --json, $N blocks, s|$t|$jqt|$(ratio "$t" "$jqt")|< 5 s (baseline jq -c .): $verdict"
echo "  same, vs cat of its output, s|$t|$catt|$(ratio "$t" "$catt")|(information)"
