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

# Keep trying for 3 W + 0.5 s, one attempt every 20 ms (at most 600), each
# stamped (Unix seconds) just before its SYN leaves.  client.py cannot
# stamp, hence this small loop; a process per attempt would add ~0.1 s of
# lag, and with a bucket of one token lag delays every next pass.
times=$NFL_WORK/passed
nfl_in "$NS_LAN" python3 - "$BOT4" "${SRV4%.*}" $((3 * W)).5 > "$NFL_WORK/stamps" <<'PY' ||
import socket, sys, time
src, net, span = sys.argv[1], sys.argv[2], float(sys.argv[3])
start = time.time()
print("start %.6f" % start)
for i in range(600):
    t = time.time()
    if t - start >= span:
        break
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(2)
    s.bind((src, 0))
    try:
        s.connect(("%s.%d" % (net, 128 + i % 50), 25))
        print("ok %.6f" % t)
    except OSError:
        print("refused %.6f" % t)
    finally:
        s.close()
    time.sleep(0.02)
print("stop %.6f" % time.time())
PY
    nfl_fail "stamping client failed"
start=$(awk '$1 == "start" { print $2 }' "$NFL_WORK/stamps")
stop=$(awk '$1 == "stop" { print $2 }' "$NFL_WORK/stamps")
awk '$1 == "ok" { print $2 }' "$NFL_WORK/stamps" > "$times"
tries=$(grep -c '^ok \|^refused ' "$NFL_WORK/stamps")
refused=$(grep -c '^refused ' "$NFL_WORK/stamps")
passed=$(wc -l < "$times")
nfl_log "passes at: $(awk -v a="$start" '{ printf " %.2f", $1 - a }' "$times"), stop at $(awk -v a="$start" -v b="$stop" 'BEGIN { printf "%.2f", b - a }')"
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

# No fewer than N per span W while trying: over the whole run at least N
# per full W, and no gap between passes much longer than W/N.  (A bucket
# of one token is full W/N after the last pass, so a source that retries
# every d seconds waits W/N + d at most: "at least N" is N per W less the
# client's own retry lag.)
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
