#!/usr/bin/env bash
# Where the policy service listens: a unix socket of group policy_group,
# mode 0660; a second daemon on the same path is refused while the first
# answers; a stale socket (the first killed) is replaced; a path that is
# not a socket is refused; inet: on loopback answers; check-config refuses
# an inet: address that is not loopback and a bad policy_reply.
. "$(dirname "$0")/lib.sh"

nfl_require
getent group postfix >/dev/null || nfl_fail "no group postfix (scripts/install-deps.sh)"
trap nfl_cleanup EXIT
trap 'exit 1' INT TERM
NFL_WORK=$(mktemp -d /tmp/nflogmon-e2e.XXXXXX)
nfl_ns_add "$NS_GW"
sock=$NFL_WORK/policy.sock

conf() {	# name listen: a policy-only config of its own
	cat > "$NFL_WORK/$1.conf" <<-CONF
	[daemon]
	control_socket = $NFL_WORK/$1.ctl
	state_file = $NFL_WORK/$1.state
	[capture]
	forward_group = off
	output_group = off
	[block]
	backend = none
	[mta]
	policy_listen = $2
	policy_group = postfix
	CONF
}
start() {	# name: runs it in the background, pid in $started
	ip netns exec "$NS_GW" "$NFLOGMON" run -f -c "$NFL_WORK/$1.conf" \
	    >> "$NFL_WORK/$1.log" 2>&1 &
	started=$!
	NFL_PIDS+=($started)
}
ask() {		# unix|inet ADDR: one request answered DUNNO
	nfl_in "$NS_GW" python3 - "$1" "$2" <<-'PY'
	import socket, sys
	kind, addr = sys.argv[1], sys.argv[2]
	if kind == "unix":
	    s = socket.socket(socket.AF_UNIX); s.settimeout(2); s.connect(addr)
	else:
	    h, p = addr.rsplit(":", 1)
	    s = socket.create_connection((h.strip("[]"), int(p)), timeout=2)
	s.sendall(b"protocol_state=RCPT\nsasl_username=a@example.org\n"
	          b"client_address=198.51.100.1\n\n")
	d = b""
	while not d.endswith(b"\n\n"):
	    c = s.recv(100)
	    if not c: break
	    d += c
	sys.exit(0 if d == b"action=DUNNO\n\n" else 1)
	PY
}

conf one "unix:$sock"
start one
one=$started
nfl_wait_until 15 ask unix "$sock" || nfl_fail "no answer on $sock"
[ "$(stat -c '%a %G' "$sock")" = "660 postfix" ] ||
    nfl_fail "socket is $(stat -c '%a %G' "$sock"), want 660 postfix"

# A second daemon on the same path: refused, the first keeps answering.
conf two "unix:$sock"
start two
nfl_wait_until 10 sh -c "! kill -0 $started 2>/dev/null" ||
    nfl_fail "a second daemon on $sock did not exit"
grep -q "another process answers on $sock" "$NFL_WORK/two.log" ||
    nfl_fail "second daemon: $(tail -n 2 "$NFL_WORK/two.log")"
ask unix "$sock" || nfl_fail "the first daemon stopped answering"

# Killed without cleanup: the stale socket is replaced at the next start.
exec 3>&2 2>/dev/null	# no "Killed" job notice
kill -KILL "$one"
wait "$one"
exec 2>&3 3>&-
[ -S "$sock" ] || nfl_fail "the killed daemon's socket vanished"
start two
nfl_wait_until 15 ask unix "$sock" || nfl_fail "stale socket not replaced: $(tail -n 2 "$NFL_WORK/two.log")"
nfl_kill "$started"

# Not a socket: refused, left alone.
echo keep > "$NFL_WORK/file"
conf three "unix:$NFL_WORK/file"
start three
nfl_wait_until 10 sh -c "! kill -0 $started 2>/dev/null" ||
    nfl_fail "a daemon on a regular file did not exit"
[ "$(cat "$NFL_WORK/file")" = keep ] || nfl_fail "the regular file was touched"

# inet: on loopback.
nfl_in "$NS_GW" ip link set lo up
conf four "inet:127.0.0.1:10040"
start four
nfl_wait_until 15 ask inet 127.0.0.1:10040 || nfl_fail "no answer on inet:127.0.0.1:10040"
nfl_kill "$started"
conf five "inet:[::1]:10041"
start five
nfl_wait_until 15 ask inet "[::1]:10041" || nfl_fail "no answer on inet:[::1]:10041"
nfl_kill "$started"

# check-config refusals.
conf six "inet:192.0.2.1:10040"
out=$("$NFLOGMON" check-config -c "$NFL_WORK/six.conf" 2>&1) &&
    nfl_fail "check-config accepted a non-loopback inet: address"
grep -q "policy_listen: 192.0.2.1 is not a loopback address" <<<"$out" ||
    nfl_fail "check-config: $out"
conf seven "unix:$sock"
echo "policy_reply = 250 ok" >> "$NFL_WORK/seven.conf"
out=$("$NFLOGMON" check-config -c "$NFL_WORK/seven.conf" 2>&1) &&
    nfl_fail "check-config accepted policy_reply = 250 ok"
grep -q "policy_reply: '250' is not an access(5) action" <<<"$out" ||
    nfl_fail "check-config: $out"
echo "PASS: unix socket 0660 postfix, second daemon refused, stale replaced," \
    "regular file refused, inet loopback answers, check-config refuses"
