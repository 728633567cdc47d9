#!/usr/bin/env bash
# `make install` into a DESTDIR puts every file where nflogmon(8) says, the
# installed config passes check-config, the installed unit passes
# systemd-analyze verify against the installed binary, and a second
# install keeps an operator's edited config.
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
dest=$(mktemp -d /tmp/nflogmon-install.XXXXXX)
trap 'rm -rf "$dest"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

make -s install DESTDIR="$dest" PREFIX=/usr >/dev/null || fail "make install"
for f in usr/sbin/nflogmon usr/share/man/man8/nflogmon.8 \
    usr/share/man/man5/nflogmon.conf.5 usr/share/nflogmon/rules.nft \
    usr/share/nflogmon/nflogmon.iptables usr/share/nflogmon/nflogmon.ip6tables \
    usr/share/nflogmon/nflogmon.conf.example usr/share/nflogmon/hook-mail \
    usr/share/nflogmon/hook-suspend-account \
    etc/nflogmon/nflogmon.conf usr/lib/systemd/system/nflogmon.service; do
	[ -s "$dest/$f" ] || fail "not installed: /$f"
done
[ -x "$dest/usr/sbin/nflogmon" ] || fail "binary not executable"
[ -x "$dest/usr/share/nflogmon/hook-mail" ] || fail "hook not executable"
"$dest/usr/sbin/nflogmon" check-config -c "$dest/etc/nflogmon/nflogmon.conf" \
    >/dev/null || fail "installed config does not pass check-config"

unit=$dest/usr/lib/systemd/system/nflogmon.service
grep -qx 'ExecStart=/usr/sbin/nflogmon run -f' "$unit" || fail "ExecStart: $(grep ExecStart "$unit")"
# Verify with the installed binary at the path the unit names.
sed "s|/usr/sbin/nflogmon|$dest/usr/sbin/nflogmon|" "$unit" > "$dest/nflogmon.service"
out=$(cd "$dest" && systemd-analyze verify --man=no ./nflogmon.service 2>&1) ||
    fail "systemd-analyze verify: $out"
[ -z "$out" ] || fail "systemd-analyze verify warned: $out"

echo "; edited by the operator" >> "$dest/etc/nflogmon/nflogmon.conf"
make -s install DESTDIR="$dest" PREFIX=/usr >/dev/null || fail "second make install"
grep -q 'edited by the operator' "$dest/etc/nflogmon/nflogmon.conf" ||
    fail "a second install overwrote the operator's config"
echo PASS
