#!/usr/bin/env bash
# The sets removed by hand under the running daemon (issue 14, faults):
# within one resync check (every 10 s) the daemon warns, makes the sets
# again, puts every block back with the time it has left, counts the
# resync in status, and checks the capture ruleset again.
#   nft: `nft delete table` takes the sets and the capture rules that
#   lived in the table: the sets come back with the bot in them, and the
#   lost capture rules are reported (the operator loads them, so the
#   daemon does not); loading them again brings capture back.
#   ipset: a set destroyed (not referenced: before the iptables rules are
#   loaded) and a set flushed (referenced by them): the blocks come back
#   and the bot is refused again.
# Never a crash: the daemon is alive at the end.
. "$(dirname "$0")/lib.sh"
nfl_net_up
ctl() { nfl_in "$NS_GW" "$NFLOGMON" "$@" -c "$NFL_CONF"; }
resyncs() { nfl_status_json | jq -r '.backend.resyncs'; }
resyncs_are() { [ "$(resyncs)" = "$1" ]; }
nft_has() {	# SET ELEMENT
	nfl_in "$NS_GW" nft list set inet nflogmon "$1" 2>/dev/null | grep -q -- "$2"
}
# The seconds the set's entry for ADDR has left (ipset).
ipset_left() {
	nfl_set_entries "$1" | awk -v a="$2" '$1 == a { print $3 }'
}
bot_offends() {	# SRC: 12 connections, the 6th offends (burst 5/1m)
	nfl_client --src "$1" --dst ${SRV4}+20 --port 25 --count 12 --interval 0.05 >/dev/null
}

# ------------------------------------------------------------------ nft
nfl_conf block.backend=nft detect.burst=5/1m
nfl_daemon_start
[ "$(resyncs)" = 0 ] || nfl_fail "resyncs before anything: $(resyncs)"
bot_offends $BOT4
nfl_wait_until 5 nft_has blocked4 "$BOT4" || nfl_fail "nft: bot not in blocked4"
ctl block 2001:db8:1::67 --timeout 2h >/dev/null || nfl_fail "nft: block v6"
nfl_status_json | jq -e '.capture.warnings == []' >/dev/null ||
    nfl_fail "nft: capture warnings before: $(nfl_status_json | jq -c .capture.warnings)"

nfl_in "$NS_GW" nft delete table inet nflogmon || nfl_fail "nft delete table"
nfl_log "nft table deleted"
nfl_wait_until 15 nft_has blocked4 "$BOT4" ||
    nfl_fail "nft: bot not back in blocked4 within 15 s: $(tail -n 5 "$NFL_WORK/daemon.log")"
nft_has blocked6 "2001:db8:1::/64" || nfl_fail "nft: v6 block not back in blocked6"
nfl_in "$NS_GW" nft list set inet nflogmon blocked4 | grep -Eq "$BOT4 timeout 5[89]m[0-9]+s([0-9]+ms)? expires 5[89]m" ||
    nfl_fail "nft: bot's put-back element lost its time left: $(nfl_in "$NS_GW" nft list set inet nflogmon blocked4)"
nfl_wait_until 5 resyncs_are 1 || nfl_fail "nft: resyncs $(resyncs), want 1"
grep -q 'resync: set inet nflogmon blocked4 is gone' "$NFL_WORK/daemon.log" ||
    nfl_fail "nft: no warning naming the lost set"
grep -q 'resync: the nft backend.s sets are made again, 2 blocks put back' "$NFL_WORK/daemon.log" ||
    nfl_fail "nft: no resync line: $(grep resync "$NFL_WORK/daemon.log")"
# The capture rules went with the table: reported in status and the log.
nfl_status_json | jq -e '.capture.warnings | map(select(test("no rule in the loaded ruleset logs to NFLOG group 1"))) | length == 1' >/dev/null ||
    nfl_fail "nft: lost capture rules not reported: $(nfl_status_json | jq -c .capture.warnings)"
grep -q 'capture: no rule in the loaded ruleset logs to NFLOG group 1' "$NFL_WORK/daemon.log" ||
    nfl_fail "nft: lost capture rules not logged"
ctl status | grep -q '^resync .* refilled 1 times' || nfl_fail "nft: human status: $(ctl status)"
# The operator loads the rules again: capture and blocking work again.
nfl_rules_load nft
nfl_connect_refused $BOT4 ${SRV4%.*}.150 25 || nfl_fail "nft: bot not reset after the rules came back"
bot_offends 192.0.2.68
nfl_wait_until 5 nft_has blocked4 192.0.2.68 || nfl_fail "nft: no capture after the rules came back"
nfl_daemon_alive || nfl_fail "nft: daemon died"
nfl_daemon_stop
nfl_in "$NS_GW" nft delete table inet nflogmon || nfl_fail "nft: teardown"
NFL_RULES=""

# ---------------------------------------------------------------- ipset
rm -f "$NFL_WORK"/state*
nfl_conf detect.burst=5/1m daemon.metrics_file="$NFL_WORK/metrics"
nfl_daemon_start
[ "$(resyncs)" = 0 ] || nfl_fail "ipset: resyncs at start: $(resyncs)"
ctl block 192.0.2.67 --timeout 2h >/dev/null || nfl_fail "ipset: block .67"
ctl block 2001:db8:1::67 --timeout 2h >/dev/null || nfl_fail "ipset: block v6"
# Destroyed (nothing references it yet).
nfl_in "$NS_GW" ipset destroy "$SET4" || nfl_fail "ipset destroy"
nfl_log "$SET4 destroyed"
nfl_wait_until 15 nfl_set_has "$SET4" 192.0.2.67 ||
    nfl_fail "ipset: .67 not back in a new $SET4 within 15 s: $(tail -n 5 "$NFL_WORK/daemon.log")"
nfl_set_has "$SET6" 2001:db8:1::/64 || nfl_fail "ipset: the v6 block left $SET6"
t=$(ipset_left "$SET4" 192.0.2.67)
[ "$t" -gt 6000 ] && [ "$t" -le 7200 ] || nfl_fail "ipset: put-back timeout $t, want the rest of 2h"
nfl_wait_until 5 resyncs_are 1 || nfl_fail "ipset: resyncs $(resyncs), want 1"
grep -q "resync: set $SET4 is gone" "$NFL_WORK/daemon.log" ||
    nfl_fail "ipset: no warning naming the destroyed set"

# Flushed under the iptables rules that reference it: the bot is blocked
# by its traffic, passes once the set is empty, and is refused again once
# the daemon put it back.
nfl_iptables_load
bot_offends $BOT4
nfl_wait_until 5 nfl_set_has "$SET4" $BOT4 || nfl_fail "ipset: bot not blocked"
nfl_in "$NS_GW" ipset flush "$SET4" || nfl_fail "ipset flush"
nfl_log "$SET4 flushed"
nfl_connect_ok $BOT4 ${SRV4%.*}.150 25 || nfl_fail "ipset: bot refused with the set flushed?"
nfl_wait_until 15 nfl_set_has "$SET4" $BOT4 ||
    nfl_fail "ipset: bot not back in $SET4 within 15 s: $(tail -n 5 "$NFL_WORK/daemon.log")"
nfl_set_has "$SET4" 192.0.2.67 || nfl_fail "ipset: .67 not back after the flush"
# Exactly 2: a check that finds the sets in place (any between the two
# faults) does nothing.
nfl_wait_until 5 resyncs_are 2 || nfl_fail "ipset: resyncs $(resyncs), want 2"
grep -q "resync: set $SET4 holds 0 entries, the daemon enforces 2 blocks in it" "$NFL_WORK/daemon.log" ||
    nfl_fail "ipset: no warning with the counts: $(grep resync "$NFL_WORK/daemon.log")"
nfl_connect_refused $BOT4 ${SRV4%.*}.151 25 || nfl_fail "ipset: bot not reset after the resync"
nfl_status_json | jq -e '.backend.ok and .backend.errors == 0' >/dev/null ||
    nfl_fail "ipset: backend after the resync: $(nfl_status_json | jq -c .backend)"
# The store still says enforced; the metrics file counts the resyncs.
[ "$(nfl_state_sql "SELECT count(*) FROM blocks WHERE enforced = 0")" = 0 ] ||
    nfl_fail "ipset: blocks saved unenforced: $(nfl_state_sql 'SELECT * FROM blocks')"
nfl_wait_until 8 grep -qx 'nflogmon_backend_resyncs_total 2' "$NFL_WORK/metrics" ||
    nfl_fail "ipset: metrics: $(grep resync "$NFL_WORK/metrics")"
nfl_daemon_alive || nfl_fail "ipset: daemon died"
# Both daemons stop cleanly; under a sanitizer build, without a report.
nfl_daemon_stop
[ "$(grep -c '^nflogmon: stopped' "$NFL_WORK/daemon.log")" = 2 ] ||
    nfl_fail "the daemons did not both stop cleanly"
grep -E 'Sanitizer|runtime error' "$NFL_WORK/daemon.log" &&
    nfl_fail "a sanitizer report"
echo PASS
