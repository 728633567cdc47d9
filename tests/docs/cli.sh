#!/usr/bin/env bash
# The command line keeps the promises of nflogmon(8) and DESIGN.md that a
# script relies on, without a daemon or root:
# - `--help` and `CMD --help` print the usage on stdout and exit 0, and the
#   usage names every option of the man page's SYNOPSIS;
# - usage errors exit 2; bad input exits 1 even when no daemon runs; no
#   daemon on the socket exits 3 with nothing on stdout and one line on
#   stderr;
# - the example config holds every key at its built-in default
#   (nflogmon.conf(5), FILES).
set -u
cd "$(dirname "$0")/../.." || exit 1
NFLOGMON=${NFLOGMON:-$PWD/build/nflogmon}
T=$(mktemp -d /tmp/nflogmon-cli.XXXXXX)
trap 'rm -rf "$T"' EXIT
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
