#!/usr/bin/env bash
# The systemd unit, rendered as `make install` renders it, passes
# `systemd-analyze verify` (man pages aside: they are checked by their own
# installation), and its hardening lines are all there.
set -u
cd "$(dirname "$0")/../.." || exit 1
NFLOGMON=${NFLOGMON:-$PWD/build/nflogmon}
command -v systemd-analyze >/dev/null || { echo "no systemd-analyze"; exit 77; }
[ -x "$NFLOGMON" ] || { echo "FAIL: no binary $NFLOGMON"; exit 1; }

tmp=$(mktemp -d /tmp/nflogmon-unit.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
sbindir=$(dirname "$(readlink -f "$NFLOGMON")")
sed "s|@SBINDIR@|$sbindir|g" systemd/nflogmon.service.in > "$tmp/nflogmon.service"

grep -q '@' "$tmp/nflogmon.service" && { echo "FAIL: unsubstituted @VAR@"; exit 1; }
for line in 'Type=notify' "ExecStart=$sbindir/nflogmon run -f" \
    'ExecReload=/bin/kill -HUP $MAINPID' 'Restart=on-failure' \
    'NoNewPrivileges=yes' 'ProtectSystem=strict' 'ProtectHome=yes' \
    'PrivateTmp=yes' 'RuntimeDirectory=nflogmon' 'StateDirectory=nflogmon'; do
	grep -qxF "$line" "$tmp/nflogmon.service" || {
		echo "FAIL: missing line: $line"; exit 1; }
done
grep -q '^CapabilityBoundingSet=CAP_NET_ADMIN' "$tmp/nflogmon.service" || {
	echo "FAIL: bounding set"; exit 1; }

out=$(cd "$tmp" && systemd-analyze verify --man=no ./nflogmon.service 2>&1)
rc=$?
echo "$out"
[ $rc -eq 0 ] || { echo "FAIL: systemd-analyze verify rc=$rc"; exit 1; }
[ -z "$out" ] || { echo "FAIL: systemd-analyze verify warned"; exit 1; }
echo PASS
