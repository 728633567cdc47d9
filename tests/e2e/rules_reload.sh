#!/usr/bin/env bash
# Loading `nflogmon rules` again, as an operator does after editing the
# config, keeps what the daemon made in its table: the elements of its
# blocked and throttled sets, its per-rate sets and its throttle chains;
# blocking and throttling still work afterwards, and the daemon's ruleset
# check finds nothing to warn about (before and after a SIGHUP).
. "$(dirname "$0")/lib.sh"
N=2 W=1m
nfl_net_up
nfl_conf block.backend=nft detect.burst=5/1m block.response=throttle \
    block.throttle_rate=$N/$W
nfl_daemon_start		# loads `nflogmon rules -c CONF | nft -f -` first

nft_has() { nfl_in "$NS_GW" nft list set inet nflogmon "$1" | grep -q -- "$2"; }
warnings() { nfl_status_json | jq -c '.capture.warnings'; }

[ "$(warnings)" = "[]" ] || nfl_fail "warnings with the config's own rules: $(warnings)"

# A throttled bot (verdict) and a blocked host (manual block).
nfl_client --src $BOT4 --dst ${SRV4}+6 --port 25 --count 6 --interval 0.05 >/dev/null
nfl_wait_until 5 nft_has throttled4 "$BOT4" || nfl_fail "bot not in throttled4"
nft_has throttle_2_60s4 "$BOT4" || nfl_fail "bot not in throttle_2_60s4"
nfl_in "$NS_GW" "$NFLOGMON" block -c "$NFL_CONF" 192.0.2.67 --timeout 1h ||
    nfl_fail "nflogmon block"
nfl_wait_until 5 nft_has blocked4 192.0.2.67 || nft_has throttled4 192.0.2.67 ||
    nfl_fail "192.0.2.67 in neither blocked4 nor throttled4"
chains() {
	nfl_in "$NS_GW" nft list table inet nflogmon |
	    awk '/chain throttle/,/^\t}/' | grep -v '^$'
}
before=$(chains)
echo "$before" | grep -q 'limit rate' || nfl_fail "no throttle rule before the reload: $before"

# The operator's reload.
"$NFLOGMON" rules -c "$NFL_CONF" | nfl_in "$NS_GW" nft -f - ||
    nfl_fail "nflogmon rules | nft -f - (again)"
nft_has throttled4 "$BOT4" || nfl_fail "reload lost the bot from throttled4"
nft_has throttle_2_60s4 "$BOT4" || nfl_fail "reload lost the bot from throttle_2_60s4"
nft_has blocked4 192.0.2.67 || nft_has throttled4 192.0.2.67 ||
    nfl_fail "reload lost 192.0.2.67"
after=$(chains)
[ "$before" = "$after" ] || nfl_fail "throttle chains changed by the reload:
before: $before
after: $after"

# Still enforced: the bot gets at most N+1 of 6 quick tries through (its
# bucket is nearly empty already), the other hosts' SMTP is untouched.
out=$(nfl_client --src $BOT4 --dst ${SRV4}+6 --port 25 --count 6 --interval 0.05 --timeout 2)
ok=$(echo "$out" | grep -c '^ok ')
refused=$(echo "$out" | grep -c '^refused ')
nfl_log "throttled bot after the reload: $ok ok, $refused refused"
[ "$ok" -le $((N + 1)) ] && [ "$refused" -ge 1 ] ||
    nfl_fail "throttling broken after the reload: $ok ok, $refused refused"
out=$(nfl_client --src $OFFICE4 --dst ${SRV4}+3 --port 25 --count 3 --timeout 2)
[ "$(echo "$out" | grep -c '^ok ')" = 3 ] || nfl_fail "office SMTP broken: $out"

# Still captured, and nothing to warn about, also after a SIGHUP's check.
clean_checks() { grep -c 'capture: the loaded ruleset logs to every group' "$NFL_WORK/daemon.log"; }
n=$(clean_checks)
kill -HUP "$NFL_DAEMON_PID"
nfl_wait_until 10 sh -c "[ \$(grep -c 'capture: the loaded ruleset logs to every group' '$NFL_WORK/daemon.log') -gt $n ]" ||
    nfl_fail "no clean ruleset check after SIGHUP: $(tail -5 "$NFL_WORK/daemon.log")"
[ "$(warnings)" = "[]" ] || nfl_fail "warnings after the reload: $(warnings)"
p=$(nfl_status_json | jq '.capture.groups[] | select(.group == 1) | .packets')
[ "${p:-0}" -ge 12 ] || nfl_fail "group 1 captured $p packets, want >= 12"
nfl_daemon_alive || nfl_fail "daemon died"
echo PASS
