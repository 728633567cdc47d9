#!/usr/bin/env bash
# (f) The hook runs once per block, as `HOOK block SOURCE RULE COUNT`, with
# the facts in NFLOGMON_* variables; attempts while blocked do not run it
# again.
. "$(dirname "$0")/lib.sh"
nfl_net_up
BURST=5
HOOK_OUT=$NFL_WORK/hook.out
cat > "$NFL_WORK/hook.sh" <<EOS
#!/bin/sh
{ echo "argv: \$*"; env | grep '^NFLOGMON_' | sort; echo "--"; } >> "$HOOK_OUT"
EOS
chmod 755 "$NFL_WORK/hook.sh"
nfl_conf detect.burst=$BURST/1m block.hook="$NFL_WORK/hook.sh" block.hook_timeout=5s
nfl_daemon_start
nfl_iptables_load

nfl_client --src $BOT4 --dst $SRV4+50 --port 25 --count 50 --interval 0.02 \
    --timeout 2 >/dev/null || nfl_fail "client failed"
nfl_set_has "$SET4" $BOT4 || nfl_fail "$BOT4 was not blocked"
hook_ran() { grep -q '^argv: ' "$HOOK_OUT"; }
nfl_wait_until 15 hook_ran || nfl_fail "the hook never ran"
# More attempts while blocked; then the hook must still have run once.
nfl_client --src $BOT4 --dst $SRV4+10 --port 25 --count 10 --timeout 2 >/dev/null
sleep 1
cat "$HOOK_OUT" >&2
[ "$(grep -c '^argv: ' "$HOOK_OUT")" = 1 ] || nfl_fail "the hook ran $(grep -c '^argv: ' "$HOOK_OUT") times for one block"
argv=$(grep '^argv: ' "$HOOK_OUT")
[ "$argv" = "argv: block $BOT4 burst $((BURST + 1))" ] ||
    nfl_fail "hook arguments: got '$argv', want 'argv: block $BOT4 burst $((BURST + 1))'"
grep -qx "NFLOGMON_EVENT=block" "$HOOK_OUT" || nfl_fail "NFLOGMON_EVENT missing"
grep -qx "NFLOGMON_SOURCE=$BOT4" "$HOOK_OUT" || nfl_fail "NFLOGMON_SOURCE missing"
grep -qx "NFLOGMON_RULE=burst" "$HOOK_OUT" || nfl_fail "NFLOGMON_RULE missing"
grep -qx "NFLOGMON_CONNECTIONS=$((BURST + 1))" "$HOOK_OUT" || nfl_fail "NFLOGMON_CONNECTIONS wrong"
grep -q "^NFLOGMON_RECENT_DESTINATIONS=.*${SRV4%.*}\." "$HOOK_OUT" || nfl_fail "NFLOGMON_RECENT_DESTINATIONS missing"
nfl_daemon_alive || nfl_fail "daemon died"
echo "PASS"
