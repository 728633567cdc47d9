#!/usr/bin/env bash
# Issue 10's story on a gateway whose LAN interface is "office0", not the
# "lan0" of the examples.
# 1. The example rules.nft loaded unchanged (as most operators do on a
#    first try) captures nothing forwarded; `nflogmon status` says why, in
#    words and in the JSON field capture.warnings, and the bot is not
#    blocked.
# 2. A ruleset naming an interface this gateway lacks (lan0), loaded and
#    followed by a SIGHUP: status names the missing interface.
# 3. Following the README: edit one file (the example config: LAN
#    interface, backend nft, the test's paths), check-config, `nflogmon
#    rules | nft -f -`, start: the bot is blocked and nothing is warned.
NFL_LAN_IF=office0
. "$(dirname "$0")/lib.sh"
nfl_net_up
BURST=5

# The example config as an operator edits it: only what the README says
# to edit, plus the paths of this test.
edit_conf() {	# LAN_INTERFACES OUTFILE
	sed -e "s|^lan_interfaces *=.*|lan_interfaces = $1|" \
	    -e "s|^backend *=.*|backend        = nft|" \
	    -e "s|^control_socket *=.*|control_socket = $NFL_WORK/nflogmon.sock|" \
	    -e "s|^state_file *=.*|state_file     = $NFL_WORK/state|" \
	    -e "s|^burst *=.*|burst          = $BURST/1m|" \
	    "$NFL_TOP/examples/nflogmon.conf" > "$2"
	grep -q "^lan_interfaces = $1\$" "$2" || nfl_fail "could not edit lan_interfaces"
}
bot() {
	nfl_client --src $BOT4 --dst $SRV4+20 --port 25 --count 20 \
	    --interval 0.05 --timeout 2 --deadline 30
}

# --- 1. The example rules.nft, unchanged.
edit_conf office0 "$NFL_WORK/nflogmon.conf"
NFL_CONF=$NFL_WORK/nflogmon.conf
nfl_in "$NS_GW" nft -f "$NFL_TOP/rules.nft" || nfl_fail "nft -f rules.nft"
NFL_RULES=nft
nfl_daemon_start
out=$(bot)
[ "$(echo "$out" | grep -c '^ok ')" = 20 ] ||
    nfl_fail "the bot was stopped although nothing is captured: $(echo "$out" | tail -1)"
human=$(nfl_in "$NS_GW" "$NFLOGMON" status -c "$NFL_CONF") || nfl_fail "status"
nfl_log "status: $human"
awk 'length > 100 { bad = 1 } END { exit bad }' <<<"$human" ||
    nfl_fail "status wider than 100 columns"
# The sentences, their continuation lines joined.
human=$(awk '/^capture: WARNING: / { if (w != "") print w; w = $0; next }
	w != "" && substr($0, 1, 18) == sprintf("%18s", "") &&
	    substr($0, 19, 1) != " " { sub(/^ +/, " "); w = w $0; next }
	{ if (w != "") print w; w = ""; print } END { if (w != "") print w }' <<<"$human")
echo "$human" | grep -q '^capture: WARNING: nothing captured: group 1 (forward) has received no packet since start' ||
    nfl_fail "status does not say that group 1 captured nothing: $human"
echo "$human" | grep -q 'no rule in the loaded ruleset logs to NFLOG group 1 (forward)' ||
    nfl_fail "status does not say why: $human"
echo "$human" | grep -q 'lan_interfaces' ||
    nfl_fail "status does not point at lan_interfaces: $human"
nfl_status_json | jq -e '
	(.capture.groups[] | select(.group == 1) | .packets) == 0 and
	(.capture.warnings | length) >= 2 and
	(.capture.warnings[0] | test("^nothing captured: group 1 \\(forward\\) has received no packet since start, and the ruleset check failed: no rule in the loaded ruleset logs to NFLOG group 1")) and
	(.capture.warnings | map(select(test("group 2"))) | length) == 0' >/dev/null ||
    nfl_fail "capture.warnings: $(nfl_status_json | jq -c .capture)"
[ "$(nfl_list_json | jq '.blocks | length')" = 0 ] || nfl_fail "something was blocked"

# --- 2. A ruleset for "lan0", which this gateway lacks; SIGHUP checks again.
edit_conf lan0 "$NFL_WORK/lan0.conf"
"$NFLOGMON" rules -c "$NFL_WORK/lan0.conf" | nfl_in "$NS_GW" nft -f - ||
    nfl_fail "loading the lan0 ruleset"
kill -HUP "$NFL_DAEMON_PID"
nfl_wait_until 10 sh -c "'$NFLOGMON' status -c '$NFL_CONF' --json 2>/dev/null | grep -q 'LAN interface lan0'" ||
    nfl_fail "status does not name the missing interface: $(nfl_status_json | jq -c .capture.warnings)"
nfl_status_json | jq -e '
	(.capture.warnings[0] | test("^nothing captured: group 1 \\(forward\\) has received no packet since start, and the ruleset check failed: the ruleset names LAN interface lan0 .*which does not exist here")) and
	(.capture.warnings | map(select(test("differ from \\[capture\\] lan_interfaces: ruleset only: lan0; config only: office0"))) | length) == 1' >/dev/null ||
    nfl_fail "capture.warnings after SIGHUP: $(nfl_status_json | jq -c .capture.warnings)"
nfl_daemon_stop

# --- 3. The README's steps.
nfl_in "$NS_GW" nft delete table inet nflogmon || nfl_fail "nft delete table"
nfl_in "$NS_GW" "$NFLOGMON" check-config -c "$NFL_CONF" > "$NFL_WORK/check.out" 2> "$NFL_WORK/check.err" ||
    nfl_fail "check-config: $(cat "$NFL_WORK/check.err")"
[ ! -s "$NFL_WORK/check.err" ] || nfl_fail "check-config warned: $(cat "$NFL_WORK/check.err")"
nfl_in "$NS_GW" "$NFLOGMON" rules -c "$NFL_CONF" | nfl_in "$NS_GW" nft -f - ||
    nfl_fail "nflogmon rules | nft -f -"
: > "$NFL_WORK/daemon.log"
nfl_daemon_start
out=$(bot)
ok=$(echo "$out" | grep -c '^ok ')
nfl_log "bot: $ok of 20 got through"
[ "$ok" -ge $BURST ] && [ "$ok" -le $((BURST + 2)) ] ||
    nfl_fail "bot not blocked after burst $BURST: $ok got through"
nfl_connect_refused $BOT4 ${SRV4%.*}.200 25 || nfl_fail "bot's SMTP not reset"
nfl_list_json | jq -e --arg s $BOT4 '.blocks[] | select(.source == $s and .rule == "burst")' >/dev/null ||
    nfl_fail "no burst block of $BOT4: $(nfl_list_json)"
[ "$(nfl_status_json | jq -c .capture.warnings)" = "[]" ] ||
    nfl_fail "warnings with the README's rules: $(nfl_status_json | jq -c .capture.warnings)"
nfl_in "$NS_GW" "$NFLOGMON" status -c "$NFL_CONF" | grep -q WARNING &&
    nfl_fail "status warns with the README's rules"
echo PASS
