#!/usr/bin/env bash
# A first-release text state file at state_file is imported into the new
# SQLite store and renamed aside (state.imported-TIME, unchanged): its
# blocks (back into the kernel set when the sets are new), strikes and
# reasons come back, and the database is created at the same path.
. "$(dirname "$0")/lib.sh"
nfl_net_up
nfl_conf block.escalate="1h, 1d, 7d"
ctl() { nfl_in "$NS_GW" "$NFLOGMON" "$@" -c "$NFL_CONF"; }
blocked_json() { ctl list --json | jq -ce --arg s "$1" '.blocks[] | select(.source == $s)'; }

now=$(( $(date +%s) * 1000000 ))
later=$(( now + 7200 * 1000000 ))
cat > "$NFL_WORK/state" <<TEXT
nflogmon-state 1
saved $now
block 192.0.2.67 burst block 8 $now $later 1 0 1 - by%20hand 3
block 192.0.2.68 manual block 0 $now permanent 0 0 1 - -
strike 192.0.2.67 $now
end 2 1
TEXT
cp "$NFL_WORK/state" "$NFL_WORK/text"
nfl_daemon_start
aside=$(ls "$NFL_WORK"/state.imported-* 2>/dev/null)
[ "$(echo "$aside" | grep -c .)" = 1 ] || nfl_fail "no state.imported-TIME: $(ls "$NFL_WORK")"
cmp -s "$aside" "$NFL_WORK/text" || nfl_fail "the text file was not kept as it was"
head -c 15 "$NFL_WORK/state" | grep -q "SQLite format 3" || nfl_fail "no database at state_file"
grep -q "imported" "$NFL_WORK/daemon.log" || nfl_fail "the import was not logged"
b=$(blocked_json 192.0.2.67) || nfl_fail "imported block lost"
echo "$b" | jq -e '.rule == "burst" and .strikes == 1 and .reason == "by hand" and .enforced' \
    >/dev/null || nfl_fail "imported block: $b"
blocked_json 192.0.2.68 | jq -e '.expires == null' >/dev/null || nfl_fail "permanent block lost"
for a in 192.0.2.67 192.0.2.68; do
	nfl_set_has "$SET4" $a || nfl_fail "$a not put into the new set"
done
[ "$(nfl_state_sql "SELECT count(*) FROM strikes WHERE source = '192.0.2.67'")" = 1 ] ||
    nfl_fail "the strike was not imported"
# The strike counts: the next offence of .67 after an unblock is strike 2 (1d).
ctl unblock 192.0.2.67 || nfl_fail "unblock"
nfl_iptables_load
nfl_client --src 192.0.2.67 --dst ${SRV4}+8 --port 25 --count 8 --timeout 1 >/dev/null
nfl_wait_until 5 blocked_json 192.0.2.67 || nfl_fail "not blocked again"
blocked_json 192.0.2.67 | jq -e '.strikes == 2' >/dev/null ||
    nfl_fail "imported strike not counted: $(blocked_json 192.0.2.67)"
# A restart reads the database, not the text.
nfl_daemon_stop
nfl_daemon_start
blocked_json 192.0.2.68 >/dev/null || nfl_fail "block lost at the restart after the import"
[ "$(ls "$NFL_WORK"/state.imported-* | wc -l)" = 1 ] || nfl_fail "imported twice"
echo PASS
