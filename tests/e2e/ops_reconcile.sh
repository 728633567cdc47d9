#!/usr/bin/env bash
# At restart the state is reconciled with the kernel sets: an entry
# removed from the set by hand is forgotten, one added by hand is adopted
# as a manual block (reason "adopted", expiry from the kernel's timeout);
# when the sets are gone altogether (a reboot) every unexpired block of
# the state is put back.
. "$(dirname "$0")/lib.sh"
nfl_net_up
nfl_conf
ctl() { nfl_in "$NS_GW" "$NFLOGMON" "$@" -c "$NFL_CONF"; }
blocked_json() { ctl list --json | jq -ce --arg s "$1" '.blocks[] | select(.source == $s)'; }

nfl_daemon_start
ctl block 192.0.2.67 --timeout 2h || nfl_fail "block .67"
ctl block 192.0.2.68 --timeout 2h || nfl_fail "block .68"
nfl_daemon_stop

# By hand, while the daemon is down.
nfl_in "$NS_GW" ipset del "$SET4" 192.0.2.67 || nfl_fail "ipset del"
nfl_in "$NS_GW" ipset add "$SET4" 192.0.2.69 timeout 1800 || nfl_fail "ipset add"
nfl_daemon_start
blocked_json 192.0.2.67 >/dev/null && nfl_fail "entry removed by hand not forgotten"
blocked_json 192.0.2.68 >/dev/null || nfl_fail "untouched entry lost"
b=$(blocked_json 192.0.2.69) || nfl_fail "entry added by hand not adopted"
echo "$b" | jq -e '.rule == "manual" and .reason == "adopted" and .enforced' \
    >/dev/null || nfl_fail "adopted block: $b"
left=$(echo "$b" | jq '(.expires - .since) | floor')
[ "$left" -gt 1700 ] && [ "$left" -le 1800 ] || nfl_fail "adopted expiry $left s, want ~1800"
# The store followed: the forgotten row is gone, the adopted one is there.
[ "$(nfl_state_sql "SELECT count(*) FROM blocks WHERE source = '192.0.2.67'")" = 0 ] ||
    nfl_fail "the forgotten block is still in the store"
[ "$(nfl_state_sql "SELECT rule, reason, enforced FROM blocks WHERE source = '192.0.2.69'")" = "manual|adopted|1" ] ||
    nfl_fail "the adoption is not in the store: $(nfl_state_sql 'SELECT * FROM blocks')"
# The adoption is in the state file now: it survives the next restart.
nfl_daemon_stop
nfl_daemon_start
blocked_json 192.0.2.69 | jq -e '.reason == "adopted"' >/dev/null ||
    nfl_fail "adopted block lost at the next restart"

# A reboot: the sets are gone; the blocks come back into new sets.
nfl_daemon_stop
nfl_in "$NS_GW" ipset destroy "$SET4" || nfl_fail "ipset destroy"
nfl_in "$NS_GW" ipset destroy "$SET6" || nfl_fail "ipset destroy 6"
nfl_daemon_start
for a in 192.0.2.68 192.0.2.69; do
	nfl_set_has "$SET4" $a || nfl_fail "$a not put back after the sets were lost"
	blocked_json $a >/dev/null || nfl_fail "$a not listed after the sets were lost"
done
t=$(nfl_set_entries "$SET4" | awk '$1 == "192.0.2.68" { print $3 }')
[ "$t" -gt 6000 ] && [ "$t" -le 7200 ] || nfl_fail "put-back timeout $t, want the rest of 2h"
echo PASS
