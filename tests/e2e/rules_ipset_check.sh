#!/usr/bin/env bash
# The ipset backend's deployment as the README has it: the daemon starts
# first (it makes the ipsets) and warns that nothing logs to its groups;
# `nflogmon rules --iptables` / `--ip6tables` are loaded and a SIGHUP
# checks again: no warning, the iptables-nft rules are read like nft ones.
# Loading the nft ruleset as well makes every SYN count twice: the check
# says so.  The bot is blocked through the iptables rules all along.
. "$(dirname "$0")/lib.sh"
nfl_net_up
nfl_conf detect.burst=5/1m
nfl_daemon_start
warnings() { nfl_status_json | jq -c '.capture.warnings'; }
# Waits for the check that follows the n-th SIGHUP (counted in the log).
hup_check() {
	local n
	n=$(grep -c 'capture: .*checked in' "$NFL_WORK/daemon.log")
	kill -HUP "$NFL_DAEMON_PID"
	nfl_wait_until 10 sh -c "[ \$(grep -c 'capture: .*checked in' '$NFL_WORK/daemon.log') -gt $n ]" ||
	    nfl_fail "no ruleset check after SIGHUP"
}

nfl_status_json | jq -e '.capture.warnings | map(select(test("^no rule in the loaded ruleset logs to NFLOG group [12] .*`nflogmon rules --iptables \\| iptables-restore --noflush`"))) | length == 2' >/dev/null ||
    nfl_fail "before the iptables rules: $(warnings)"

nfl_iptables_load
hup_check
[ "$(warnings)" = "[]" ] || nfl_fail "warnings with the iptables rules of the config: $(warnings)"

out=$(nfl_client --src $BOT4 --dst $SRV4+20 --port 25 --count 20 --interval 0.05 --timeout 2)
ok=$(echo "$out" | grep -c '^ok ')
[ "$ok" -ge 5 ] && [ "$ok" -le 7 ] || nfl_fail "bot: $ok of 20 got through, want 5..7"
nfl_set_has "$SET4" $BOT4 || nfl_fail "bot not in $SET4"

"$NFLOGMON" rules -c "$NFL_CONF" | nfl_in "$NS_GW" nft -f - || nfl_fail "nft -f"
hup_check
nfl_status_json | jq -e '.capture.warnings | map(select(test("NFLOG group 1 \\(forward\\) is logged both by an nft table and by iptables rules, so every connection counts twice"))) | length == 1' >/dev/null ||
    nfl_fail "no double-count warning: $(warnings)"
echo PASS
