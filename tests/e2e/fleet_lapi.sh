#!/bin/bash
# The fleet client against Debian's real CrowdSec LAPI (1.4), without the
# daemon (the act path will call the same client): gateway A publishes an
# address and an IPv6 prefix as alerts of one decision each, the LAPI
# stores them as scope Ip and Range with nflogmon's origin and scenario
# and stop_at the block's start; gateway B's decision stream brings them;
# A ignores its own decision; unblock on A deletes exactly its decision by
# id, and B sees it deleted; a restarted LAPI (every token void) makes A
# log in again; publications made while the LAPI is down wait in the
# queue and arrive once it is back; decisions for loopback, B's own
# address, the LAPI's, an allowlisted MTA and an IPv4 range are refused
# and counted by B, never handed on.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_crowdsec.sh"

nfl_require
DRIVER=${FLEET_DRIVER:-$NFL_TOP/${BUILD:-build}/tools/fleet-driver}
[ -x "$DRIVER" ] || nfl_fail "no fleet-driver at $DRIVER (make)"
trap nfl_cleanup EXIT
NFL_WORK=$(mktemp -d /tmp/nfl-e2e.XXXXXX)

GWA=$NFL_ID-gwa
GWB=$NFL_ID-gwb
nfl_ns_add "$GWA"
nfl_ns_add "$GWB"
cs_up
cs_link "$GWA" 198.51.100.1
cs_link "$GWB" 198.51.100.2
cs_machine gwa "$NFL_WORK/gwa.yaml"
cs_machine gwb "$NFL_WORK/gwb.yaml"
cs_bouncer gwa "$NFL_WORK/gwa.key"
cs_bouncer gwb "$NFL_WORK/gwb.key"

A() { nfl_in "$GWA" "$DRIVER" -u "$CS_URL" -p "$NFL_WORK/gwa.yaml" \
    -k "$NFL_WORK/gwa.key" "$@"; }
B() { nfl_in "$GWB" "$DRIVER" -u "$CS_URL" -k "$NFL_WORK/gwb.key" \
    -A 192.0.2.25 -H "$@"; }

# --- a secret file readable by others is refused, naming the file only
cp "$NFL_WORK/gwa.yaml" "$NFL_WORK/open.yaml"
chmod 0644 "$NFL_WORK/open.yaml"
out=$(nfl_in "$GWA" "$DRIVER" -u "$CS_URL" -p "$NFL_WORK/open.yaml" \
    publish 203.0.113.70 burst 60 2>&1) && nfl_fail "a 0644 secret was used"
echo "$out" | grep -q "must be 0600" || nfl_fail "mode not named: $out"
pw=$(awk '/^password:/ {print $2}' "$NFL_WORK/gwa.yaml")
echo "$out" | grep -qF "$pw" && nfl_fail "the password was printed"

# --- publish: an address (Ip) and an IPv6 prefix (Range, 30 s old)
out=$(A publish 203.0.113.77 burst 3600) || nfl_fail "publish: $out"
id4=$(echo "$out" | awk '/^published 203.0.113.77 / {print $3}')
[ -n "$id4" ] || nfl_fail "no decision id: $out"
out=$(A publish 2001:db8:5::/64 fanout 600 30) || nfl_fail "publish v6: $out"
id6=$(echo "$out" | awk '/^published 2001:db8:5::\/64 / {print $3}')
[ -n "$id6" ] || nfl_fail "no decision id for the prefix: $out"

alerts=$(cs_cscli alerts list -a -o json) || nfl_fail "cscli alerts list"
echo "$alerts" | jq -e '[.[] | select(.source.scope == "Ip" and
    .source.value == "203.0.113.77" and .scenario == "nflogmon/burst" and
    .decisions[0].origin == "nflogmon" and .decisions[0].type == "ban" and
    .decisions[0].scope == "Ip")] | length == 1' >/dev/null ||
    nfl_fail "the LAPI does not hold A's Ip alert: $alerts"
echo "$alerts" | jq -e '[.[] | select(.source.scope == "Range" and
    .source.value == "2001:db8:5::/64" and
    .scenario == "nflogmon/fanout")] | length == 1' >/dev/null ||
    nfl_fail "the LAPI does not hold A's Range alert: $alerts"

# --- B pulls both, with their remaining time (stop_at is the start)
out=$(B pull) || nfl_fail "pull: $out"
echo "$out" | grep -Eq "^new $id4 203\.0\.113\.77 35[0-9]{2} nflogmon/burst nflogmon$" ||
    nfl_fail "B did not get the address: $out"
rem=$(echo "$out" | awk -v id="$id6" '$1 == "new" && $2 == id {print $4}')
[ -n "$rem" ] && [ "$rem" -ge 540 ] && [ "$rem" -le 570 ] ||
    nfl_fail "the prefix's remaining time is not 600 s from its start: $out"

# --- A's own decision is ignored by A
out=$(A publish-pull 203.0.113.78 sustained 3600) || nfl_fail "$out"
echo "$out" | grep -Eq "own [1-9]" || nfl_fail "A did not ignore its own: $out"
echo "$out" | grep -q "^new [0-9]* 203.0.113.78 " &&
    nfl_fail "A handed on its own decision: $out"

# --- unblock on A: exactly its decision, by id; B sees it deleted
cs_cscli decisions add -i 203.0.113.77 -d 1h -R nflogmon/other >/dev/null 2>&1 ||
    nfl_fail "cscli decisions add"
out=$(A unpublish 203.0.113.77 "$id4") || nfl_fail "unpublish: $out"
echo "$out" | grep -q "^unpublished 203.0.113.77" || nfl_fail "$out"
alerts=$(cs_cscli decisions list -a -o json) || nfl_fail "decisions list"
echo "$alerts" | jq -e --argjson id "$id4" '[.[].decisions[] |
    select(.id == $id)] | length == 0' >/dev/null ||
    nfl_fail "A's decision $id4 is still active"
echo "$alerts" | jq -e '[.[].decisions[] | select(.value ==
    "203.0.113.77" and .origin == "cscli")] | length == 1' >/dev/null ||
    nfl_fail "unblock deleted another origin's decision: $alerts"
# (the LAPI lists an expired decision as deleted only for a value with no
# active decision left: the prefix, not the address cscli still bans)
out=$(A unpublish 2001:db8:5::/64 "$id6") || nfl_fail "unpublish: $out"
out=$(B pull) || nfl_fail "pull: $out"
echo "$out" | grep -q "^deleted $id6 2001:db8:5::/64$" ||
    nfl_fail "B did not see the decision deleted: $out"
echo "$out" | grep -q "^new $id6 " && nfl_fail "B still has $id6: $out"

# --- a LAPI restart voids the token: A logs in again
flag=$NFL_WORK/restarted
# (simple commands in the background: $! is the driver, for nfl_kill)
ip netns exec "$GWA" "$DRIVER" -u "$CS_URL" -p "$NFL_WORK/gwa.yaml" \
    relogin 203.0.113.80 203.0.113.81 burst "$flag" \
    > "$NFL_WORK/relogin.out" 2>&1 &
rpid=$!
NFL_PIDS+=("$rpid")
nfl_wait_until 20 grep -q "first done" "$NFL_WORK/relogin.out" ||
    nfl_fail "relogin: first publication: $(cat "$NFL_WORK/relogin.out")"
cs_restart
touch "$flag"
wait "$rpid" || nfl_fail "relogin failed: $(cat "$NFL_WORK/relogin.out")"
grep -q "^logins 2$" "$NFL_WORK/relogin.out" ||
    nfl_fail "no new login: $(cat "$NFL_WORK/relogin.out")"

# --- the LAPI down: the publication waits in the queue, then arrives
cs_stop
ip netns exec "$GWA" "$DRIVER" -u "$CS_URL" -p "$NFL_WORK/gwa.yaml" -t 40 \
    queue-down 203.0.113.90 burst 3600 > "$NFL_WORK/down.out" 2>&1 &
dpid=$!
NFL_PIDS+=("$dpid")
nfl_wait_until 15 grep -q "^queued" "$NFL_WORK/down.out" ||
    nfl_fail "queue-down: $(cat "$NFL_WORK/down.out")"
grep -Eq "^queued 1 error login: .+" "$NFL_WORK/down.out" ||
    nfl_fail "the queue or its error is not shown: $(cat "$NFL_WORK/down.out")"
cs_start_lapi
wait "$dpid" || nfl_fail "the queued publication failed: $(cat "$NFL_WORK/down.out")"
grep -q "^published 203.0.113.90 " "$NFL_WORK/down.out" ||
    nfl_fail "not published: $(cat "$NFL_WORK/down.out")"

# --- refusals: loopback, B's own address, the LAPI's, the allowlisted
# MTA, an IPv4 range; each counted, none handed on
for ip in 127.0.0.1 198.51.100.2 $CS_ADDR 192.0.2.25; do
	cs_cscli decisions add -i "$ip" -d 1h -R nflogmon/test >/dev/null 2>&1 ||
	    nfl_fail "cscli decisions add $ip"
done
cs_cscli decisions add -r 203.0.113.0/24 -d 1h -R nflogmon/test >/dev/null 2>&1 ||
    nfl_fail "cscli decisions add range"
out=$(B pull) || nfl_fail "pull: $out"
for bad in 127.0.0.1 198.51.100.2 $CS_ADDR 192.0.2.25 203.0.113.0; do
	echo "$out" | grep -q "^new [0-9]* $bad" && nfl_fail "$bad applied: $out"
done
stats=$(echo "$out" | grep "^stats")
for r in "loopback 1" "local 2" "allowlisted 1" "ipv4_range 1"; do
	echo "$stats" | grep -q "refused $r" || nfl_fail "not counted: $r: $stats"
done
echo "$out" | grep -q "^new [0-9]* 203.0.113.90 " ||
    nfl_fail "B lacks the decision published after the outage: $out"
exit 0
