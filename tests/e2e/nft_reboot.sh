#!/usr/bin/env bash
# nft backend after a reboot: the table is gone when the daemon starts, so
# every block of its state goes back into new sets, each with the time it
# has left, a transaction holding many (backend block_many: one by one,
# 100,000 blocks held the start 5 s).  The same while it runs: the table
# deleted by hand is made again and refilled at the next resync check.
. "$(dirname "$0")/lib.sh"
nfl_net_up
nfl_conf block.backend=nft
nfl_daemon_start
ctl() { nfl_in "$NS_GW" "$NFLOGMON" "$@" -c "$NFL_CONF"; }
N=300
for i in $(seq 1 $N); do
	ctl block 198.18.$((i / 256)).$((i % 256)) --timeout 2h >/dev/null ||
	    nfl_fail "block $i"
done
for i in 1 2 3; do
	ctl block 2001:db8:77:$i::/64 --timeout 1h >/dev/null ||
	    nfl_fail "block 2001:db8:77:$i::/64"
done
# Elements of a set with this timeout, as nft lists them.
count() { nfl_in "$NS_GW" nft list set inet nflogmon "$1" | grep -o "timeout $2" | wc -l; }
[ "$(count blocked4 2h)" = $N ] || nfl_fail "blocked4 holds $(count blocked4 2h) of $N"
nfl_daemon_stop

nfl_in "$NS_GW" nft delete table inet nflogmon || nfl_fail "nft delete table"
sleep 2		# the blocks' time runs on while the machine is down
nfl_daemon_start
all_back() {
	[ "$(nfl_in "$NS_GW" nft list set inet nflogmon blocked4 | grep -o 'expires' | wc -l)" = $N ] &&
	[ "$(nfl_in "$NS_GW" nft list set inet nflogmon blocked6 | grep -o 'expires' | wc -l)" = 3 ]
}
all_back || nfl_fail "not every block back after the reboot: $(nfl_in "$NS_GW" nft list table inet nflogmon | head -30)"
# Each with the time it has left: under 2h (the 2 s down counted), over
# 1h59m.
left=$(nfl_in "$NS_GW" nft -j list set inet nflogmon blocked4 |
    jq '[.nftables[] | .set? // empty | .elem[] | .elem.expires] | min')
[ "$left" -lt 7198 ] && [ "$left" -gt 7140 ] ||
    nfl_fail "a block put back with $left s left, want the rest of 2h"
grep -q 'could not be put back' "$NFL_WORK/daemon.log" &&
    nfl_fail "a block failed: $(grep 'put back' "$NFL_WORK/daemon.log")"
[ "$(ctl list --json | jq '[.blocks[] | select(.enforced)] | length')" = $((N + 3)) ] ||
    nfl_fail "the daemon does not list every block as enforced"

# While it runs: the table deleted by hand, refilled at the resync check.
nfl_in "$NS_GW" nft delete table inet nflogmon || nfl_fail "nft delete table"
nfl_wait_until 25 all_back || nfl_fail "not every block back after the resync"
nfl_status_json | jq -e '.backend.resyncs >= 1' >/dev/null ||
    nfl_fail "no resync counted: $(nfl_status_json | jq -c .backend)"
nfl_daemon_alive || nfl_fail "daemon died"
echo PASS
