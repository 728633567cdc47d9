# Sourced by the replay tests (not a test itself: not executable).
# Every fixture starts at T0; times are checked as seconds after it.
set -u
cd "$(dirname "$0")/../.." || exit 1
NFLOGMON=${NFLOGMON:-./nflogmon}
T0=1700000000
P=pcaps
C=tests/replay
fails=0

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# replay_json CONF FILE...: the JSON of a successful replay, or fails.
replay_json() {
	local conf=$1 out rc; shift
	out=$("$NFLOGMON" replay -c "$conf" --json "$@")
	rc=$?
	if [ $rc -ne 0 ]; then
		fail "replay -c $conf $* exited $rc"
		return 1
	fi
	printf '%s\n' "$out"
}

# One line per verdict: source rule connections destinations action strike
# timeout at first_seen (times in seconds after T0).
verdicts() {
	jq -r --argjson t0 "$T0" '.verdicts[] | [.source, .rule,
	    .connections, .destinations, .action, (.strike | tostring),
	    (.timeout | tostring), (.at - $t0 | . * 1000 | round / 1000),
	    (.first_seen - $t0 | . * 1000 | round / 1000)] | join(" ")'
}

# packets events ignored malformed sources evicted
counts() {
	jq -r '[(.packets // .lines), .events, .ignored, .malformed, .sources, .evicted]
	    | join(" ")'
}

# expect NAME ACTUAL EXPECTED
expect() {
	if [ "$2" != "$3" ]; then
		fail "$1"
		diff <(printf '%s\n' "$3") <(printf '%s\n' "$2") |
		    sed 's/^/    /'
	else
		echo "ok: $1"
	fi
}

# The JSON invariant packets = events + ignored + malformed.
check_sum() {
	local j=$1 name=$2
	[ "$(jq '.packets == .events + .ignored + .malformed' <<<"$j")" = true ] ||
	    fail "$name: packets != events + ignored + malformed"
}

finish() {
	[ $fails -eq 0 ] && { echo "all ok"; exit 0; }
	echo "$fails failure(s)"
	exit 1
}
