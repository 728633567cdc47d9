#!/usr/bin/env bash
# The mail-log fixtures (tests/maillog/): the same story told by Postfix and
# by Exim gives the same account verdicts: the hijacked account blocked by
# clients at its 6th address, the foreign sender by foreign_senders at its
# 21st message, the allowlisted account reported as allowed, the busy
# legitimate account never; a deferred message counted once.  Several
# files (gzip too) merge in time order; a file that cannot be read fails.
. "$(dirname "$0")/lib.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export TZ=UTC
# Syslog lines carry no year: it is guessed from the file's mtime.
for f in postfix exim; do
	cp tests/maillog/$f.log "$tmp/$f.log"
	touch -d "2026-12-04 12:00:00 UTC" "$tmp/$f.log"
done
T0=$(date -u -d "2026-12-04 09:00:00" +%s)
M=tests/maillog/accounts.conf

mlj() {
	local out rc
	out=$("$NFLOGMON" replay -c $M --json --maillog "$@")
	rc=$?
	[ $rc -eq 0 ] || fail "replay --maillog $* exited $rc"
	printf '%s\n' "$out"
}
short() {
	jq -r --argjson t0 "$T0" '.verdicts[] | [.source, .rule,
	    .connections, .action, (.at - $t0)] | join(" ")'
}
top() {
	jq -r '.top[] | [.source, .rcpts // .connections // empty] |
	    join(" ")' 2>/dev/null
}

j=$(mlj "$tmp/postfix.log")
expect "postfix counts" "$(counts <<<"$j")" "2540 377 2193 2 0 0"
expect "postfix verdicts" "$(short <<<"$j")" \
"account:victim@example.com clients 16 block 750
account:newsletter@example.com clients 11 allowed 1325
account:sales@example.com foreign_senders 21 block 2400"

j=$(mlj "$tmp/exim.log")
expect "exim counts" "$(counts <<<"$j")" "1067 377 720 2 0 0"
expect "exim verdicts" "$(short <<<"$j")" \
"account:victim@example.com clients 16 block 750
account:newsletter@example.com clients 11 allowed 1325
account:sales@example.com foreign_senders 21 block 2401"

# Lines written by the real Postfix of tests/e2e/maillog_postfix.sh (its
# maillog_file): busy@ from one address, victim@ from six.
cp tests/maillog/postfix-real.log "$tmp/real.log"
touch -d "2026-12-04 12:00:00 UTC" "$tmp/real.log"
j=$(mlj "$tmp/real.log")
expect "real postfix counts" "$(jq -r '[.lines, .malformed] | join(" ")' \
    <<<"$j")" "67 0"
expect "real postfix verdicts" "$(jq -r '.verdicts[] | [.source, .rule,
    .connections, .action] | join(" ")' <<<"$j")" \
"account:victim@example.org clients 6 block"

# Rotated: the first half gzipped, named after the second on the command
# line; one log again, in time order.
head -n 1200 "$tmp/postfix.log" | gzip -n >"$tmp/postfix.log.1.gz"
tail -n +1201 "$tmp/postfix.log" >"$tmp/postfix.log.0"
touch -d "2026-12-04 12:00:00 UTC" "$tmp/postfix.log.1.gz" "$tmp/postfix.log.0"
j=$(mlj "$tmp/postfix.log.0" "$tmp/postfix.log.1.gz")
expect "rotated verdicts" "$(short <<<"$j")" \
"account:victim@example.com clients 16 block 750
account:newsletter@example.com clients 11 allowed 1325
account:sales@example.com foreign_senders 21 block 2400"

# Without the allowlist the newsletter account is blocked.
printf '[accounts]\nclients = 5/10m\n' >"$tmp/d.conf"
out=$("$NFLOGMON" replay -c "$tmp/d.conf" --json --maillog "$tmp/exim.log")
expect "no allowlist" "$(short <<<"$out" | grep newsletter)" \
"account:newsletter@example.com clients 11 block 1325"

# Human output names the accounts with their peaks and thresholds.
out=$("$NFLOGMON" replay -c $M --maillog "$tmp/exim.log")
grep -q 'thresholds: clients 5/10m, recipients 500/1h, foreign_senders 20/1h' \
    <<<"$out" || fail "human: no thresholds line"
grep -Eq '^account:busy@example.com .*300/500' <<<"$out" ||
    fail "human: the busy account's peak"

# An over-long line, binary data: reported with file and line, the rest
# still read (the victim's messages after them block it).
{
	head -c 10000 /dev/zero | tr '\0' x; echo
	printf 'Dec  4 08:00:00 mx postfix/smtpd[1]: \0\1\2 binary\n'
	grep -i victim "$tmp/postfix.log"
} >"$tmp/bad.log"
touch -d "2026-12-04 12:00:00 UTC" "$tmp/bad.log"
out=$("$NFLOGMON" replay -c $M --json --maillog "$tmp/bad.log" 2>"$tmp/err")
expect "bad lines exit" "$?" 0
grep -q "bad.log:1: a line over 8192 bytes, skipped" "$tmp/err" ||
    fail "over-long line not reported: $(cat "$tmp/err")"
grep -q "bad.log:2: binary data" "$tmp/err" ||
    fail "binary data not reported: $(cat "$tmp/err")"
expect "bad lines verdicts" "$(short <<<"$out")" \
"account:victim@example.com clients 16 block 750"
expect "bad lines malformed" "$(jq .malformed <<<"$out")" 2

# A gzip file cut short: reported, what was read replayed, exit 1.
gzip -c "$tmp/postfix.log" | head -c 20000 >"$tmp/cut.gz"
"$NFLOGMON" replay -c $M --json --maillog "$tmp/cut.gz" >"$tmp/out" 2>"$tmp/err"
expect "cut gzip exit" "$?" 1
grep -q "cut.gz: .*the lines before it are replayed" "$tmp/err" ||
    fail "cut gzip not reported: $(cat "$tmp/err")"
[ "$(jq .lines "$tmp/out")" -gt 100 ] || fail "cut gzip: nothing replayed"

# check-config refuses the policy service and the log together.
printf '[mta]\npolicy_listen = unix:/run/x.sock\nmaillog = /var/log/mail.log\n' \
    >"$tmp/both.conf"
"$NFLOGMON" check-config -c "$tmp/both.conf" >/dev/null 2>"$tmp/err"
expect "both exit" "$?" 1
grep -q "both.conf:3: policy_listen and maillog together" "$tmp/err" ||
    fail "both: $(cat "$tmp/err")"

# A missing file, a directory: one line, exit 1, nothing on stdout.
out=$("$NFLOGMON" replay -c $M --maillog "$tmp/nope" 2>"$tmp/err")
rc=$?
expect "missing file exit" "$rc" 1
grep -q "nope: No such file" "$tmp/err" || fail "missing file message"
[ -z "$out" ] || fail "missing file: output on stdout"
"$NFLOGMON" replay -c $M --maillog "$tmp" 2>"$tmp/err" >/dev/null
grep -q "is a directory" "$tmp/err" || fail "directory message"
finish
