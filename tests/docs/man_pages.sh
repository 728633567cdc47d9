#!/usr/bin/env bash
# The man pages render without a warning (man -l), and they document what
# the program really accepts: every command of `nflogmon --help` is in
# nflogmon(8), every key that `check-config` prints is in nflogmon.conf(5).
set -u
cd "$(dirname "$0")/../.." || exit 1
NFLOGMON=${NFLOGMON:-$PWD/build/nflogmon}
command -v man >/dev/null || { echo "FAIL: man (man-db) is not installed"; exit 1; }
fail=0

for page in man/nflogmon.8 man/nflogmon.conf.5; do
	warn=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
	if [ -n "$warn" ]; then
		echo "FAIL: $page renders with warnings:"; echo "$warn"; fail=1
	fi
	lines=$(LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$page" 2>/dev/null | wc -l)
	[ "$lines" -gt 50 ] || { echo "FAIL: $page renders to $lines lines"; fail=1; }
done

text8=$(LC_ALL=C.UTF-8 MANWIDTH=200 man -l man/nflogmon.8 2>/dev/null)
for cmd in $("$NFLOGMON" --help | awk '$1 ~ /usage:|^nflogmon$/ { for (i = 1; i <= NF; i++) if ($i == "nflogmon") { print $(i + 1); break } }' | sort -u); do
	case $cmd in --help|--version|"") continue ;; esac
	grep -q -- "nflogmon $cmd\|^ *$cmd\b" <<<"$text8" ||
	    { echo "FAIL: nflogmon(8) does not document '$cmd'"; fail=1; }
done

text5=$(LC_ALL=C.UTF-8 MANWIDTH=200 man -l man/nflogmon.conf.5 2>/dev/null)
keys=$("$NFLOGMON" check-config -c examples/nflogmon.conf 2>/dev/null |
    awk -F= '/^[a-z_0-9]+ *=/ { gsub(/ /, "", $1); print $1 }' | sort -u)
[ -n "$keys" ] || { echo "FAIL: check-config printed no keys"; fail=1; }
for key in $keys; do
	grep -qw -- "$key" <<<"$text5" ||
	    { echo "FAIL: nflogmon.conf(5) does not document '$key'"; fail=1; }
done
[ $fail -eq 0 ] && echo "PASS: man pages render and document $(wc -w <<<"$keys") keys"
exit $fail
