#!/usr/bin/env bash
# Bad input: one line "nflogmon: FILE: reason" on stderr, exit 1 and
# nothing on stdout; a truncated last record is reported but what was read
# is printed (exit 1); usage errors exit 2; a bad config exits 1.
. "$(dirname "$0")/lib.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "this is not a capture, just some text" >"$tmp/text.pcap"
: >"$tmp/empty.pcap"
head -c 4096 /dev/zero >"$tmp/zeros.pcap"
size=$(stat -c %s $P/office.pcap)
head -c $((size - 10)) $P/office.pcap >"$tmp/trunc.pcap"

# bad FILE...: exit 1, stdout empty, stderr one line naming the file.
bad() {
	local name=$1 file=$2 out err rc; shift 2
	out=$("$NFLOGMON" replay -c $C/defaults.conf "$@" 2>"$tmp/err")
	rc=$?
	err=$(cat "$tmp/err")
	[ $rc -eq 1 ] || fail "$name: exit $rc, want 1"
	[ -z "$out" ] || fail "$name: something on stdout: $out"
	[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "$name: stderr is not one line: $err"
	case $err in
	"nflogmon: $file: "*) echo "ok: $name: $err" ;;
	*) fail "$name: stderr does not name $file: $err" ;;
	esac
}
bad "text file" "$tmp/text.pcap" "$tmp/text.pcap"
bad "empty file" "$tmp/empty.pcap" "$tmp/empty.pcap"
bad "zeros" "$tmp/zeros.pcap" --json "$tmp/zeros.pcap"
bad "missing file" "$tmp/missing.pcap" "$tmp/missing.pcap"
bad "directory" "$tmp" "$tmp"
bad "unknown link type" "$P/badlink.pcap" $P/badlink.pcap
grep -q "link type 147" "$tmp/err" || fail "unknown link type: the type is not named"
bad "good then bad" "$tmp/text.pcap" $P/office.pcap "$tmp/text.pcap"
bad "bad then good" "$tmp/missing.pcap" --json "$tmp/missing.pcap" $P/office.pcap

# Truncated last record: reported, the rest printed, exit 1.
out=$("$NFLOGMON" replay -c $C/office.conf --json "$tmp/trunc.pcap" 2>"$tmp/err")
rc=$?
[ $rc -eq 1 ] || fail "truncated: exit $rc, want 1"
grep -q "^nflogmon: $tmp/trunc.pcap: .*truncated" "$tmp/err" ||
    fail "truncated: stderr: $(cat "$tmp/err")"
expect "truncated: packets read" "$(jq .packets <<<"$out")" 1907
expect "truncated: verdicts kept" "$(verdicts <<<"$out" | cut -d' ' -f1-5)" \
"192.0.2.25 fanout 16 16 allowed
192.0.2.66 burst 21 12 block"

# Usage errors.
for args in "" "--json" "--bogus $P/office.pcap" "-c"; do
	# shellcheck disable=SC2086
	"$NFLOGMON" replay $args >/dev/null 2>&1
	rc=$?
	[ $rc -eq 2 ] || fail "usage 'replay $args': exit $rc, want 2"
done

# A bad config: its errors, exit 1, nothing on stdout.
printf '[detect]\nburst = lots\nnosuchkey = 1\n' >"$tmp/bad.conf"
out=$("$NFLOGMON" replay -c "$tmp/bad.conf" $P/office.pcap 2>"$tmp/err")
rc=$?
[ $rc -eq 1 ] || fail "bad config: exit $rc, want 1"
[ -z "$out" ] || fail "bad config: something on stdout"
grep -q "bad.conf:2" "$tmp/err" || fail "bad config: no error for line 2: $(cat "$tmp/err")"
grep -q "bad.conf:3" "$tmp/err" || fail "bad config: no error for line 3: $(cat "$tmp/err")"
"$NFLOGMON" replay -c "$tmp/missing.conf" $P/office.pcap >/dev/null 2>&1
rc=$?
[ $rc -eq 1 ] || fail "missing config: exit $rc, want 1"
finish
