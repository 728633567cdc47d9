#!/usr/bin/env bash
# Differential test: for K seeds (DIFF_SEEDS, default 30, from DIFF_FIRST,
# default 1), gen-random.py writes a random capture and config, and
# `nflogmon replay --json` must give exactly the verdicts of model.py, an
# independent exact reading of DESIGN.md "Rules, precisely": the counts,
# and per verdict source, rule, action, connections, destinations, strike,
# timeout, at and first_seen (to the microsecond).  On a difference it
# prints the seed, how to reproduce it, and the first differing verdict.
# DIFF_BREAKER=design compares with the model's literal reading of the
# breaker (see model.py) instead of the engine's episodes.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || { echo "FAIL: python3 missing"; exit 1; }
K=${DIFF_SEEDS:-30}
FIRST=${DIFF_FIRST:-1}
BREAKER=${DIFF_BREAKER:-engine}
tmp=$(mktemp -d /tmp/nflogmon-diff.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# compare REPLAY.json MODEL.json: silent when equal, else the first
# difference; exit 1 on a difference.
compare() {
	python3 - "$1" "$2" <<'PY'
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
counts = ("packets", "events", "ignored", "malformed", "sources", "evicted")
def row(v):
    return (v["source"], v["rule"], v["action"], v["connections"],
            v["destinations"], v["strike"], v["timeout"],
            round(v["at"] * 1e6), round(v["first_seen"] * 1e6))
bad = False
for k in counts:
    if a[k] != b[k]:
        print("  %s: replay %s, model %s" % (k, a[k], b[k]))
        bad = True
ra, rb = [row(v) for v in a["verdicts"]], [row(v) for v in b["verdicts"]]
for i in range(max(len(ra), len(rb))):
    x = ra[i] if i < len(ra) else None
    y = rb[i] if i < len(rb) else None
    if x != y:
        print("  verdict %d (of %d replay, %d model):" % (i, len(ra), len(rb)))
        print("    replay: %s" % (x,))
        print("    model:  %s" % (y,))
        bad = True
        break
sys.exit(1 if bad else 0)
PY
}

nverdicts=0
for seed in $(seq "$FIRST" $((FIRST + K - 1))); do
	d=$tmp/$seed
	if ! files=$(python3 $C/gen-random.py "$seed" "$d"); then
		fail "seed $seed: gen-random.py failed"
		continue
	fi
	# shellcheck disable=SC2086
	if ! "$NFLOGMON" replay -c "$d/nflogmon.conf" --json $files \
	    >"$d/replay.json"; then
		fail "seed $seed: replay failed"
		continue
	fi
	# shellcheck disable=SC2086
	python3 $C/model.py --breaker "$BREAKER" -c "$d/nflogmon.conf" \
	    $files >"$d/model.json" || { fail "seed $seed: model failed"; continue; }
	check_sum "$(cat "$d/replay.json")" "seed $seed"
	if ! diffout=$(compare "$d/replay.json" "$d/model.json"); then
		fail "seed $seed differs (reproduce: $C/gen-random.py $seed DIR; " \
		    "nflogmon replay -c DIR/nflogmon.conf --json DIR/*.pcap)"
		printf '%s\n' "$diffout"
		continue
	fi
	n=$(jq '.verdicts | length' "$d/model.json")
	nverdicts=$((nverdicts + n))
	echo "ok: seed $seed ($(jq -r '"\(.events) events, \(.verdicts | length) verdicts: \([.verdicts[].action] | group_by(.) | map("\(.[0]) \(length)") | join(", "))"' "$d/model.json"))"
done
# The comparison must be about something: verdicts of every kind.
[ "$nverdicts" -gt 0 ] || fail "no verdict at all in $K seeds"
finish
