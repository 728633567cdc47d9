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

# Keep trying for 3 W + 0.5 s, one attempt every 20 ms (at most 600).
# Each attempt is stamped twice on the monotonic clock (the kernel's
# buckets count on it; a step of the wall clock is no gap): just before
# its socket is made and once connect has returned, so its SYN left
# between the two stamps however late this process was scheduled.
# client.py cannot stamp, hence this small loop; a process per attempt
# would add ~0.1 s of lag, and with a bucket of one token lag delays every
# next pass.
nfl_in "$NS_LAN" python3 - "$BOT4" "${SRV4%.*}" $((3 * W)).5 > "$NFL_WORK/stamps" <<'PY' ||
import socket, sys, time
src, net, span = sys.argv[1], sys.argv[2], float(sys.argv[3])
start = time.monotonic()
print("start %.6f" % start)
for i in range(600):
    t = time.monotonic()
    if t - start >= span:
        break
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(2)
    s.bind((src, 0))
    try:
        s.connect(("%s.%d" % (net, 128 + i % 50), 25))
        print("ok %.6f %.6f" % (t, time.monotonic()))
    except OSError:
        print("refused %.6f %.6f" % (t, time.monotonic()))
    finally:
        s.close()
    time.sleep(0.02)
print("stop %.6f" % time.monotonic())
PY
    nfl_fail "stamping client failed"
start=$(awk '$1 == "start" { print $2 }' "$NFL_WORK/stamps")
stop=$(awk '$1 == "stop" { print $2 }' "$NFL_WORK/stamps")
times=$NFL_WORK/passed
awk '$1 == "ok" { print $2, $3 }' "$NFL_WORK/stamps" > "$times"
tries=$(grep -c '^ok \|^refused ' "$NFL_WORK/stamps")
refused=$(grep -c '^refused ' "$NFL_WORK/stamps")
passed=$(wc -l < "$times")
# The client's own longest pause between two attempts (load shows here).
pause=$(awk '$1 == "ok" || $1 == "refused" { if (p != "" && $2 - p > m) m = $2 - p; p = $3 } END { printf "%.2f", m }' "$NFL_WORK/stamps")
nfl_log "passes at: $(awk -v a="$start" '{ printf " %.2f", $1 - a }' "$times"), stop at $(awk -v a="$start" -v b="$stop" 'BEGIN { printf "%.2f", b - a }')"
nfl_log "throttled bot: $tries tries, $passed passed, $refused refused; longest pause of the client between tries ${pause}s"
[ "$refused" -gt 0 ] || nfl_fail "nothing was refused: not throttled"

# At most N+1 in any span W: passes i..j whose SYNs were surely within
# less than W of each other (j's connect returned less than W after i's
# first stamp; 50 ms of slack).
awk -v n=$N -v w=$W '
	{ t[NR] = $1; u[NR] = $2 }
	END {
		for (i = 1; i <= NR; i++) {
			c = 0
			for (j = i; j <= NR && u[j] - t[i] <= w - 0.05; j++)
				c++
			if (c > n + 1) { printf "%d passed within %s s from %s\n", c, w, t[i]; exit 1 }
		}
	}' "$times" || nfl_fail "more than N+1 = $((N + 1)) connections in a span of ${W}s"

# No fewer than N per span W while trying: a bucket of one token is full
# W/N after the last pass, so every attempt made later than that must
# pass.  An attempt refused more than W/N (+ 10 ms of clock reading)
# after the last pass's SYN had surely left is a broken promise, however
# slowly the client itself ran.
awk -v n=$N -v w=$W '
	$1 == "ok" { last = $3 }
	$1 == "refused" && last != "" && $2 - last > w / n + 0.01 {
		printf "refused at %s, %.3f s after the pass done at %s\n", $2, $2 - last, last
		exit 1
	}' "$NFL_WORK/stamps" || nfl_fail "an attempt refused although the bucket was full again"
# And while the client kept its pace (no pause of its own over W/N), the
# passes themselves: at least N per full W, no gap much longer than W/N.
full=$(awk -v a="$start" -v b="$stop" -v w=$W 'BEGIN { printf "%d", (b - a) / w }')
if awk -v p="$pause" -v w=$W -v n=$N 'BEGIN { exit !(p < w / n / 2) }'; then
	[ "$passed" -ge $((N * full)) ] ||
	    nfl_fail "$passed passed in $full spans of ${W}s, fewer than N per span"
	awk -v n=$N -v w=$W -v a="$start" '
		BEGIN { prev = a }
		{ if ($1 - prev > w / n + 0.6) { printf "gap %.2f s after %s\n", $1 - prev, prev; exit 1 }; prev = $1 }
		' "$times" || nfl_fail "a gap between passes longer than W/N"
else
	nfl_log "the client paused ${pause}s itself (a loaded machine): the per-attempt check above stands for the count"
fi

# Throttling touches SMTP only, and only the throttled source.
nfl_connect_ok $BOT4 ${SRV4%.*}.200 80 || nfl_fail "throttled bot's HTTP broken"
out=$(nfl_client --src $OFFICE4 --dst ${SRV4}+4 --port 25 --count 4)
[ "$(echo "$out" | grep -c '^ok ')" = 4 ] || nfl_fail "office SMTP throttled: $out"
nfl_daemon_alive || nfl_fail "daemon died"
echo "PASS"
