#!/usr/bin/env bash
# [mta] maillog: the daemon follows a live Exim log from its end, across a
# rotation by rename, a truncation (copy and truncate) and a file that
# disappears and comes back; the hijacked account is blocked at its 6th
# client address.  A log the daemon's user cannot read fails the start
# with a clear message.  No network is needed: both capture groups off,
# backend none, the daemon in a namespace of its own.
set -u
[ "$(id -u)" = 0 ] || { echo "needs root"; exit 77; }
NFLOGMON=${NFLOGMON:-$(cd "$(dirname "$0")/../.." && pwd)/build/nflogmon}
ns="nflml-$$-$RANDOM"
work=$(mktemp -d)
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; tail -n 20 "$work/daemon.log" 2>/dev/null; exit 1; }
ip netns add "$ns" || fail "ip netns add"
log=$work/mainlog
: >"$log"
conf() {
	cat >"$work/nflogmon.conf" <<EOC
[daemon]
control_socket = $work/sock
state_file = $work/state
$1
[capture]
forward_group = off
output_group = off
[block]
backend = none
[mta]
maillog = $log
EOC
}
# A message of victim@example.com from 203.0.113.N, three recipients.
n=0
msg() {
	n=$((n + 1))
	printf '%s 1tB%03d-000%03d-AB <= victim@example.com H=(pc) [203.0.113.%d]:4000 P=esmtpa A=login:victim@example.com S=10 for a@example.org b@example.org c@example.org\n' \
	    "$(date '+%F %T')" $n $n "$1"
}
lines() {
	ip netns exec "$ns" "$NFLOGMON" status -c "$work/nflogmon.conf" --json \
	    2>/dev/null | jq -r '[.inputs[] | select(.kind == "maillog") |
	    .lines] | add // -1'
}
wait_lines() {	# wait_lines N: bounded, 10 s
	local i
	for i in $(seq 100); do
		[ "$(lines)" -ge "$1" ] 2>/dev/null && return 0
		sleep 0.1
	done
	fail "the daemon read $(lines) lines, not $1"
}
blocked() {
	ip netns exec "$ns" "$NFLOGMON" list -c "$work/nflogmon.conf" --json \
	    2>/dev/null | grep -q 'account:victim@example.com'
}

# Unreadable for the daemon's user: the start fails, saying why.
conf "user = nobody"
chmod 0600 "$log"
ip netns exec "$ns" timeout 10 "$NFLOGMON" run -f -c "$work/nflogmon.conf" \
    >"$work/daemon.log" 2>&1 && fail "started with an unreadable log"
grep -q "user nobody cannot read" "$work/daemon.log" ||
    fail "no clear message: $(cat "$work/daemon.log")"
chmod 0644 "$log"

conf ""
echo "old line, before the start: $(msg 1)" >>"$log"
ip netns exec "$ns" "$NFLOGMON" run -f -c "$work/nflogmon.conf" \
    >"$work/daemon.log" 2>&1 &
pid=$!
for i in $(seq 100); do
	[ -S "$work/sock" ] && break
	sleep 0.1
done
[ -S "$work/sock" ] || fail "daemon not ready"
wait_lines 0
[ "$(lines)" = 0 ] || fail "read lines written before the start"

msg 1 >>"$log"; msg 2 >>"$log"
wait_lines 2
# Rotation by rename: the old file's last line, then the new file.
mv "$log" "$log.1"
msg 3 >>"$log.1"
msg 4 >"$log"
wait_lines 4
grep -q "a new file" "$work/daemon.log" || fail "rotation not logged"
blocked && fail "blocked at 4 addresses"
# Copy and truncate.
cp "$log" "$log.2"; : >"$log"
msg 5 >>"$log"
wait_lines 5
grep -q "truncated" "$work/daemon.log" || fail "truncation not logged"
# Gone, then back: the 6th address blocks.
rm "$log"
sleep 0.3
kill -0 $pid || fail "the daemon died when the log disappeared"
grep -q "waiting for it" "$work/daemon.log" || fail "disappearance not logged"
msg 6 >"$log"
wait_lines 6
for i in $(seq 50); do blocked && break; sleep 0.1; done
blocked || fail "victim not blocked at its 6th address"
kill -0 $pid || fail "daemon died"
echo "ok: maillog followed across rename, truncate and removal"
