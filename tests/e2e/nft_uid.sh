#!/usr/bin/env bash
# nft backend, local web apps: a process of an unprivileged uid on the
# gateway that spams is blocked as uid:4242 (blocked_uids, the output
# hook's reset) while a process of an allowlisted uid keeps sending and
# the spammer's other ports keep working.  No account is needed: setpriv
# runs the client under bare numbers.
. "$(dirname "$0")/lib.sh"
command -v setpriv >/dev/null || nfl_fail "missing tool: setpriv"
nfl_net_up
nfl_conf block.backend=nft detect.burst=5/1m allow.uids=4343
nfl_daemon_start

# The client and its interpreter must be reachable by the unprivileged
# uids (not a python3 shim in root's home).
py=$(PATH=/usr/local/bin:/usr/bin:/bin command -v python3) || nfl_fail "no system python3"
client=$NFL_WORK/uidclient.py
cp "$NFL_TOOLS/client.py" "$client"
chmod 755 "$NFL_WORK"
chmod 644 "$client"

as_uid() {	# UID client.py arguments...
	local uid=$1; shift
	nfl_in "$NS_GW" setpriv --reuid "$uid" --regid "$uid" --clear-groups \
	    "$py" "$client" "$@"
}
nft_has() { nfl_in "$NS_GW" nft list set inet nflogmon "$1" | grep -qw -- "$2"; }

out=$(as_uid 4242 --dst ${SRV4}+20 --port 25 --count 12 --interval 0.05)
ok=$(echo "$out" | grep -c '^ok ')
nfl_log "uid 4242: ok=$ok, $(echo "$out" | tail -n 1)"
[ "$ok" -ge 5 ] || nfl_fail "uid 4242 got only $ok connections before the block"
[ "$ok" -le 7 ] || nfl_fail "uid 4242 got $ok connections through, more than burst+2"
nfl_wait_until 5 nft_has blocked_uids 4242 ||
    nfl_fail "4242 not in blocked_uids: $(nfl_in "$NS_GW" nft list set inet nflogmon blocked_uids)"
nfl_in "$NS_GW" nft list set inet nflogmon blocked_uids
out=$(as_uid 4242 --dst ${SRV4%.*}.160 --port 25 --count 1)
echo "$out" | grep -q '^refused ' || nfl_fail "blocked uid's SMTP not reset: $out"
out=$(as_uid 4242 --dst ${SRV4%.*}.160 --port 80 --count 1)
echo "$out" | grep -q '^ok ' || nfl_fail "blocked uid's HTTP broken: $out"
# The gateway's address is not blocked: only the uid is.
nft_has blocked4 203.0.113.1 && nfl_fail "gateway address blocked instead of the uid"

# The allowlisted uid (the MTA's) sends far over the burst.
out=$(as_uid 4343 --dst ${SRV4}+20 --port 25 --count 20)
[ "$(echo "$out" | grep -c '^ok ')" = 20 ] || nfl_fail "allowlisted uid 4343 hindered: $out"
nft_has blocked_uids 4343 && nfl_fail "allowlisted uid 4343 blocked"
# A third uid, under the burst, is untouched.
out=$(as_uid 4444 --dst ${SRV4}+3 --port 25 --count 3)
[ "$(echo "$out" | grep -c '^ok ')" = 3 ] || nfl_fail "uid 4444 hindered: $out"
nfl_daemon_alive || nfl_fail "daemon died"
echo "PASS"
