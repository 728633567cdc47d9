#!/usr/bin/env bash
# The command line keeps the promises of nflogmon(8) and DESIGN.md that a
# script relies on, without a daemon or root:
# - `--help` and `CMD --help` print the usage on stdout and exit 0, and the
#   usage names every option of the man page's SYNOPSIS;
# - usage errors exit 2; bad input exits 1 even when no daemon runs; no
#   daemon on the socket exits 3 with nothing on stdout and one line on
#   stderr;
# - a listing that breaks off, or carries a bad row or a wrong count,
#   exits 1 with one line on stderr, never 0 or 3 (a fake daemon);
# - the example config holds every key at its built-in default
#   (nflogmon.conf(5), FILES).
set -u
cd "$(dirname "$0")/../.." || exit 1
NFLOGMON=${NFLOGMON:-$PWD/build/nflogmon}
T=$(mktemp -d /tmp/nflogmon-cli.XXXXXX)
fake_pid=""
trap '[ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null; rm -rf "$T"' EXIT
fail=0
no() { echo "FAIL: $*"; fail=1; }

# run CMD...: sets rc, and $T/out, $T/err.
run() { "$NFLOGMON" "$@" >"$T/out" 2>"$T/err"; rc=$?; }

run --help
[ $rc -eq 0 ] && [ -s "$T/out" ] && [ ! -s "$T/err" ] ||
    no "--help: rc=$rc, want 0 and the usage on stdout only"
usage=$(cat "$T/out")
for cmd in run status list block unblock replay rules check-config; do
	run "$cmd" --help
	[ $rc -eq 0 ] && [ ! -s "$T/err" ] && grep -q "nflogmon $cmd " "$T/out" ||
	    no "$cmd --help: rc=$rc, want 0 and the usage on stdout"
done

# Every option of each SYNOPSIS line of nflogmon(8) is in --help's line of
# the same command.
syn=$(LC_ALL=C.UTF-8 MANWIDTH=200 man -l man/nflogmon.8 2>/dev/null |
    sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | grep 'nflogmon ')
[ -n "$syn" ] || no "no SYNOPSIS in nflogmon(8)"
while read -r _ cmd rest; do
	case $cmd in --help) continue ;; esac
	line=$(grep -E "nflogmon $cmd( |$)" <<<"$usage")
	for opt in $(grep -oE -- '--?[a-z][a-z0-9]*' <<<"$rest"); do
		grep -q -- "$opt\b" <<<"$line" ||
		    no "--help does not show $cmd $opt (nflogmon(8) does)"
	done
done <<<"$syn"

run
[ $rc -eq 2 ] || no "no command: rc=$rc, want 2"
run frobnicate
[ $rc -eq 2 ] || no "unknown command: rc=$rc, want 2"
run status --bogus
[ $rc -eq 2 ] || no "status --bogus: rc=$rc, want 2"
run block
[ $rc -eq 2 ] || no "block without SOURCE: rc=$rc, want 2"

sock=$T/none.sock
for args in "status" "status --json" "list" "list --json" \
    "block 192.0.2.7" "block uid:1001 --timeout 1h" "unblock 2001:db8::7"; do
	# shellcheck disable=SC2086
	run $args -s "$sock"
	[ $rc -eq 3 ] || no "$args without a daemon: rc=$rc, want 3"
	[ ! -s "$T/out" ] || no "$args without a daemon printed on stdout"
	[ "$(wc -l <"$T/err")" -eq 1 ] ||
	    no "$args without a daemon: $(wc -l <"$T/err") lines on stderr, want 1"
done
# A fake daemon, one scenario per connection, in order: the streamed
# replies of proto.c (header, row frames, end) done right and wrong.
cat >"$T/fake.py" <<'PY'
import json, os, socket, struct, sys
path = sys.argv[1]
def msg(b):
    return struct.pack(">I", len(b)) + b
def js(o):
    return msg(json.dumps(o).encode())
def s16(t):
    t = t.encode()
    return struct.pack(">H", len(t)) + t
row = (s16("192.0.2.7") + s16("burst") + s16("block") +
       struct.pack(">IIiB", 21, 57, 1, 1) +
       struct.pack(">qq", 1700000003450000, 1700003603450000) +
       s16("ticket \"12\"") + s16(""))
head = {"ok": True, "stream": True, "count": 1}
scenarios = [
    js(head),					# cut after the header
    js(head) + msg(b"R" + b"\x40garbage"),	# a bad row
    js(head) + js({"end": True, "rows": 5}),	# a wrong count
    js({"ok": True}),				# list not streamed
    js(head) + msg(b"R" + row) + js({"end": True, "rows": 1}),
]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(8)
srv.settimeout(30)
print("ready", flush=True)
for reply in scenarios:
    c, _ = srv.accept()
    c.settimeout(10)
    n = struct.unpack(">I", c.recv(4))[0]
    c.recv(n)
    c.sendall(reply)
    c.close()
PY
python3 "$T/fake.py" "$T/fake.sock" >"$T/fake.out" 2>&1 &
fake_pid=$!
for _ in $(seq 50); do grep -q ready "$T/fake.out" 2>/dev/null && break; sleep 0.1; done
for want in "reply cut short" "bad row" "bad end" "bad reply"; do
	run list --json -s "$T/fake.sock"
	[ $rc -eq 1 ] && [ "$(wc -l <"$T/err")" -eq 1 ] &&
	    grep -q "$want" "$T/err" ||
	    no "fake daemon, $want: rc=$rc, $(cat "$T/err")"
done
run list --json -s "$T/fake.sock"
[ $rc -eq 0 ] && jq -e '.blocks | length == 1 and .[0].source == "192.0.2.7"
    and .[0].reason == "ticket \"12\"" and .[0].attempts == 57
    and .[0].since == 1700000003.45' "$T/out" >/dev/null ||
    no "fake daemon, a good listing: rc=$rc, $(cat "$T/out" "$T/err")"
wait "$fake_pid" || no "fake daemon: $(cat "$T/fake.out")"
fake_pid=""

for args in "block 192.0.2.300" "block uid:x" "unblock 192.0.2.0/24" \
    "block 192.0.2.7 --timeout soon" "block 192.0.2.7 --timeout 0s"; do
	# shellcheck disable=SC2086
	run $args -s "$sock"
	[ $rc -eq 1 ] || no "$args: rc=$rc, want 1 (bad input)"
	[ "$(wc -l <"$T/err")" -eq 1 ] || no "$args: want one line on stderr"
done

: >"$T/empty.conf"
"$NFLOGMON" check-config -c "$T/empty.conf" | tail -n +2 >"$T/defaults" ||
    no "check-config of an empty file failed"
"$NFLOGMON" check-config -c examples/nflogmon.conf | tail -n +2 |
    sed '/^\[class /,$d' >"$T/example" || no "check-config of the example failed"
diff <(sed '/^$/d' "$T/defaults") <(sed '/^$/d' "$T/example") >"$T/diff" ||
    { no "examples/nflogmon.conf differs from the built-in defaults:"; cat "$T/diff"; }

[ $fail -eq 0 ] && echo "PASS: command line: help, exit statuses, defaults"
exit $fail
