#!/usr/bin/env bash
# nft backend, response = throttle: an offender is not cut off but let
# through at throttle_rate N/W by a per-source kernel token bucket with a
# burst of one: in any span W it gets at most N+1 new SMTP connections and,
# while it keeps trying, no fewer than N.  Other ports and other hosts are
# untouched.  W is short (3 s) so the test is quick; the loop is bounded.
. "$(dirname "$0")/lib.sh"
N=3 W=3
nfl_net_up
nfl_conf block.backend=nft detect.burst=5/1m block.response=throttle \
    block.throttle_rate=$N/${W}s
nfl_daemon_start

nft_has() { nfl_in "$NS_GW" nft list set inet nflogmon "$1" | grep -q -- "$2"; }

# Offend: 6 connections in a row.
nfl_client --src $BOT4 --dst ${SRV4}+6 --port 25 --count 6 --interval 0.05 >/dev/null
nfl_wait_until 5 nft_has throttled4 "$BOT4" || nfl_fail "bot not in throttled4"
nft_has throttle_${N}_${W}s4 "$BOT4" || nfl_fail "bot not in throttle_${N}_${W}s4"
nft_has blocked4 "$BOT4" && nfl_fail "throttled bot is in blocked4"
nfl_in "$NS_GW" nft list chain inet nflogmon throttle |
    grep -q "limit rate 1/second burst 1 packets" ||
    nfl_fail "no 1/second rule for $N/${W}s: $(nfl_in "$NS_GW" nft list chain inet nflogmon throttle)"

# Keep trying for about 3 W: one attempt every ~0.1 s, at most 150, each
# stamped just before its SYN leaves.
times=$NFL_WORK/passed
: > "$times"
tries=0 refused=0 start=$EPOCHREALTIME
end=$(awk -v s="$start" -v w=$W 'BEGIN { printf "%.6f", s + 3 * w + 0.5 }')
while [ $tries -lt 150 ]; do
	now=$EPOCHREALTIME
	awk -v n="$now" -v e="$end" 'BEGIN { exit !(n < e) }' || break
	tries=$((tries + 1))
	if nfl_connect_ok $BOT4 ${SRV4%.*}.$((128 + tries % 50)) 25; then
		echo "$now" >> "$times"
	else
		refused=$((refused + 1))
	fi
	sleep 0.05
done
stop=$EPOCHREALTIME
passed=$(wc -l < "$times")
nfl_log "throttled bot: $tries tries, $passed passed, $refused refused"
[ "$refused" -gt 0 ] || nfl_fail "nothing was refused: not throttled"

# At most N+1 in any span W (stamps are taken before the SYN, so a pass
# is stamped no later than the kernel saw it; 50 ms of slack for that).
awk -v n=$N -v w=$W '
	{ t[NR] = $1 }
	END {
		for (i = 1; i <= NR; i++) {
			c = 0
			for (j = i; j <= NR && t[j] - t[i] <= w - 0.05; j++)
				c++
			if (c > n + 1) { printf "%d passed within %s s from %s\n", c, w, t[i]; exit 1 }
		}
	}' "$times" || nfl_fail "more than N+1 = $((N + 1)) connections in a span of ${W}s"

# No fewer than N per span W while trying: over the whole run that is at
# least N per full W, and no gap between passes much longer than W/N.
full=$(awk -v a="$start" -v b="$stop" -v w=$W 'BEGIN { printf "%d", (b - a) / w }')
[ "$passed" -ge $((N * full)) ] ||
    nfl_fail "$passed passed in $full spans of ${W}s, fewer than N per span"
awk -v n=$N -v w=$W -v a="$start" '
	BEGIN { prev = a }
	{ if ($1 - prev > w / n + 0.6) { printf "gap %.2f s after %s\n", $1 - prev, prev; exit 1 }; prev = $1 }
	' "$times" || nfl_fail "a gap between passes longer than W/N"

# Throttling touches SMTP only, and only the throttled source.
nfl_connect_ok $BOT4 ${SRV4%.*}.200 80 || nfl_fail "throttled bot's HTTP broken"
out=$(nfl_client --src $OFFICE4 --dst ${SRV4}+4 --port 25 --count 4)
[ "$(echo "$out" | grep -c '^ok ')" = 4 ] || nfl_fail "office SMTP throttled: $out"
nfl_daemon_alive || nfl_fail "daemon died"
echo "PASS"
