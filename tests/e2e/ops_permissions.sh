#!/usr/bin/env bash
# Who may do what on the control socket, by the peer's groups as the kernel
# reports them: a non-root member of socket_group (a supplementary group)
# reads status and list but is refused block and unblock (exit 1, one
# line); a member of admin_group may block; a process in neither group is
# refused by the socket's mode (exit 1).
. "$(dirname "$0")/lib.sh"
nfl_net_up
command -v setpriv >/dev/null || nfl_fail "missing tool: setpriv"
chmod 0711 "$NFL_WORK"
RG=$((40000 + RANDOM % 1000)) AG=$((41000 + RANDOM % 1000))
nfl_conf daemon.control_socket="$NFL_WORK/nflogmon-run/nflogmon.sock" \
    daemon.socket_group=$RG daemon.admin_group=$AG
nfl_daemon_start
sock=$NFL_WORK/nflogmon-run/nflogmon.sock
[ "$(stat -c '%a %g' "$sock")" = "660 $RG" ] ||
    nfl_fail "socket mode/group: $(stat -c '%a %g' "$sock"), want 660 $RG"
# uid 4242 with primary group 4242 and the given supplementary groups.
as() { local g=$1; shift
	local gr=(--clear-groups)
	[ -n "$g" ] && gr=(--groups "$g")
	nfl_in "$NS_GW" setpriv --reuid 4242 --regid 4242 "${gr[@]}" \
	    "$NFLOGMON" "$@" -s "$sock"; }

as $RG status --json > "$NFL_WORK/st.json" || nfl_fail "reader: status refused"
jq -e '.version and .backend.name == "ipset"' "$NFL_WORK/st.json" >/dev/null ||
    nfl_fail "reader: bad status $(cat "$NFL_WORK/st.json")"
as $RG list --json | jq -e '.blocks' >/dev/null || nfl_fail "reader: list refused"
out=$(as $RG block 192.0.2.69 2>"$NFL_WORK/err"); rc=$?
[ $rc -eq 1 ] || nfl_fail "reader: block rc=$rc, want 1"
[ -z "$out" ] || nfl_fail "reader: block printed $out"
grep -q "permission denied: block needs root or group $AG" "$NFL_WORK/err" ||
    nfl_fail "reader: block error: $(cat "$NFL_WORK/err")"
[ "$(wc -l < "$NFL_WORK/err")" -eq 1 ] || nfl_fail "reader: more than one line"
nfl_set_has "$SET4" 192.0.2.69 && nfl_fail "refused block reached the set"
as $RG unblock 192.0.2.69 2>/dev/null; rc=$?
[ $rc -eq 1 ] || nfl_fail "reader: unblock rc=$rc, want 1"

# An admin (supplementary group; the socket's mode also wants the socket
# group) may block and unblock.
as "$RG,$AG" block 192.0.2.69 --reason admin || nfl_fail "admin: block refused"
nfl_set_has "$SET4" 192.0.2.69 || nfl_fail "admin block not in the set"
as "$AG,$RG" unblock 192.0.2.69 || nfl_fail "admin: unblock refused"
nfl_set_has "$SET4" 192.0.2.69 && nfl_fail "admin unblock left the set"

# Neither group: the socket's mode refuses; exit 1, not 3.
as "" status 2>"$NFL_WORK/err"; rc=$?
[ $rc -eq 1 ] || nfl_fail "outsider: status rc=$rc, want 1 ($(cat "$NFL_WORK/err"))"
nfl_daemon_alive || nfl_fail "daemon died"
echo PASS
