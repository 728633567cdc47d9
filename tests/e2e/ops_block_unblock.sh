#!/usr/bin/env bash
# `nflogmon block` and `unblock` reach the kernel set at once (ipset list),
# with the timeout and reason asked; `status` exits 3 with nothing on stdout
# when no daemon runs; the daemon's privileges are down to CAP_NET_ADMIN
# and set writes still work.
. "$(dirname "$0")/lib.sh"
nfl_net_up
nfl_conf
ctl() { nfl_in "$NS_GW" "$NFLOGMON" "$@" -c "$NFL_CONF"; }

# No daemon: exit 3, nothing on stdout.
out=$(ctl status 2>"$NFL_WORK/err"); rc=$?
[ $rc -eq 3 ] || nfl_fail "status without daemon: rc=$rc, want 3"
[ -z "$out" ] || nfl_fail "status without daemon printed: $out"
[ "$(wc -l < "$NFL_WORK/err")" -eq 1 ] || nfl_fail "want one line on stderr"

nfl_daemon_start

# A second instance refuses to start and leaves the first one alone.
nfl_in "$NS_GW" timeout 10 "$NFLOGMON" run -f -c "$NFL_CONF" 2>"$NFL_WORK/err2"; rc=$?
[ $rc -eq 1 ] || nfl_fail "second instance: rc=$rc"
grep -q "another nflogmon is running ($NFL_WORK/nflogmon.sock)" "$NFL_WORK/err2" ||
    nfl_fail "second instance said: $(cat "$NFL_WORK/err2")"
[ -S "$NFL_WORK/nflogmon.sock" ] || nfl_fail "second instance removed the socket"

# Only CAP_NET_ADMIN is left (bit 12).
capeff=$(awk '/^CapEff:/ { print $2 }' /proc/$NFL_DAEMON_PID/status)
capbnd=$(awk '/^CapBnd:/ { print $2 }' /proc/$NFL_DAEMON_PID/status)
[ "$capeff" = 0000000000001000 ] || nfl_fail "CapEff $capeff, want CAP_NET_ADMIN only"
[ "$capbnd" = 0000000000001000 ] || nfl_fail "CapBnd $capbnd, want CAP_NET_ADMIN only"

ctl block 192.0.2.77 --timeout 10m --reason "ticket 12" ||
    nfl_fail "block refused"
nfl_set_has "$SET4" 192.0.2.77 || nfl_fail "192.0.2.77 not in the set after block"
t=$(nfl_set_entries "$SET4" | awk '$1 == "192.0.2.77" { print $3 }')
[ "$t" -gt 500 ] && [ "$t" -le 600 ] || nfl_fail "kernel timeout $t, want ~600"
j=$(ctl list --json) || nfl_fail "list"
echo "$j" | jq -e '.blocks[] | select(.source == "192.0.2.77" and .rule == "manual"
    and .reason == "ticket 12" and .enforced == true and .expires != null)' \
    >/dev/null || nfl_fail "list does not show the manual block: $j"

# A bare IPv6 address stands for its /64.
ctl block 2001:db8:2::99 --timeout permanent || nfl_fail "block v6"
nfl_set_has "$SET6" 2001:db8:2::/64 || nfl_fail "2001:db8:2::/64 not in the v6 set"
ctl list --json | jq -e '.blocks[] | select(.source == "2001:db8:2::/64" and
    .expires == null)' >/dev/null || nfl_fail "permanent v6 block not listed"

# The human status prints the block with its reason.
ctl status > "$NFL_WORK/status.txt" || nfl_fail "status"
grep -q '192.0.2.77.*ticket 12' "$NFL_WORK/status.txt" ||
    nfl_fail "status: $(cat "$NFL_WORK/status.txt")"
awk 'length > 100 { exit 1 }' "$NFL_WORK/status.txt" || nfl_fail "status wider than 100"

ctl unblock 192.0.2.77 || nfl_fail "unblock refused"
nfl_set_has "$SET4" 192.0.2.77 && nfl_fail "192.0.2.77 still in the set"
ctl list --json | jq -e '.blocks[] | select(.source == "192.0.2.77")' >/dev/null &&
    nfl_fail "192.0.2.77 still listed"
# Unblocking what is not blocked is an error with one line.
ctl unblock 192.0.2.77 2>"$NFL_WORK/err"; rc=$?
[ $rc -eq 1 ] || nfl_fail "unblock of an unblocked source: rc=$rc"
# Bad input: exit 1; usage: exit 2.
ctl block 192.0.2.300 2>/dev/null; rc=$?
[ $rc -eq 1 ] || nfl_fail "bad source: rc=$rc, want 1"
ctl block 192.0.2.7 --timeout soon 2>/dev/null; rc=$?
[ $rc -eq 1 ] || nfl_fail "bad duration: rc=$rc, want 1"
nfl_in "$NS_GW" "$NFLOGMON" block 2>/dev/null; rc=$?
[ $rc -eq 2 ] || nfl_fail "usage: rc=$rc, want 2"
nfl_daemon_alive || nfl_fail "daemon died"
echo PASS
