#!/usr/bin/env bash
# nft backend, what the daemon finds at start: a set of the wrong type
# makes it refuse to start with an error naming the set and both types; a
# table without the enforcement rules starts with a warning naming
# `nft -f rules.nft`; with rules.nft loaded there is no such warning; and
# create_sets = no without the table refuses to start.
. "$(dirname "$0")/lib.sh"
nfl_require
trap nfl_cleanup EXIT
trap 'exit 1' INT TERM
NFL_WORK=$(mktemp -d /tmp/nflogmon-e2e.XXXXXX)
nfl_ns_add "$NS_GW"
nfl_conf block.backend=nft

# Runs the daemon in the foreground, bounded; it must exit by itself.
run_refused() {
	local rc
	timeout 10 ip netns exec "$NS_GW" "$NFLOGMON" run -f -c "$NFL_CONF" \
	    > "$NFL_WORK/refused.log" 2>&1
	rc=$?
	[ $rc -ne 124 ] || nfl_fail "daemon did not refuse to start (still running)"
	[ $rc -ne 0 ] || nfl_fail "daemon exited 0 instead of refusing"
	cat "$NFL_WORK/refused.log" >&2
}

# 1. A set of the wrong type.
nfl_in "$NS_GW" nft add table inet nflogmon
nfl_in "$NS_GW" nft add set inet nflogmon blocked6 '{ type ipv4_addr; flags timeout; }'
run_refused
grep -q 'set blocked6 has type ipv4_addr, expected ipv6_addr' "$NFL_WORK/refused.log" ||
    nfl_fail "no clear error for the wrong set type"
nfl_in "$NS_GW" nft delete table inet nflogmon

# 2. create_sets = no and no table.
nfl_conf block.backend=nft block.create_sets=no
run_refused
grep -q 'inet nflogmon is missing' "$NFL_WORK/refused.log" ||
    nfl_fail "no clear error for the missing table"

# 3. No enforcement rules: the daemon creates its sets and warns.
nfl_conf block.backend=nft
nfl_daemon_start
nfl_wait_until 10 grep -q 'nft -f rules.nft' "$NFL_WORK/daemon.log" ||
    nfl_fail "no warning about the missing enforcement rules"
grep 'no rule rejects' "$NFL_WORK/daemon.log" | grep -q '@blocked4, @blocked6, @blocked_uids' ||
    nfl_fail "warning does not name the sets: $(grep rules.nft "$NFL_WORK/daemon.log")"
nfl_in "$NS_GW" nft list set inet nflogmon blocked_uids | grep -q 'type uid' ||
    nfl_fail "blocked_uids not created"
nfl_daemon_stop

# 4. The ruleset of `nflogmon rules` loaded: no warning, and the daemon's
#    sets and elements survive both orders of loading.
nfl_rules_load nft
: > "$NFL_WORK/daemon.log"
nfl_daemon_start
nfl_daemon_stop
grep -q 'rules.nft' "$NFL_WORK/daemon.log" &&
    nfl_fail "warning although rules.nft is loaded: $(cat "$NFL_WORK/daemon.log")"
echo "PASS"
