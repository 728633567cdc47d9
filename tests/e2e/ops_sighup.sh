#!/usr/bin/env bash
# SIGHUP with a bad config: the errors are logged, nothing of the file is
# applied, the daemon keeps running on the old config (its control socket
# answers, its rules still block).  A good file then applies at once.
. "$(dirname "$0")/lib.sh"
nfl_net_up
nfl_conf
ctl() { nfl_in "$NS_GW" "$NFLOGMON" "$@" -c "$NFL_CONF"; }
nfl_daemon_start
nfl_iptables_load
ctl block 192.0.2.67 --timeout 2h || nfl_fail "block"
cp "$NFL_CONF" "$NFL_WORK/good.conf"

# Bad: an unknown key and a bad value; the good part (dry_run) must not
# apply either.
sed -i -e 's/^\[block\]$/[block]\ndry_run = yes\nbogus_key = 1/' \
    -e 's|^burst = .*|burst = many|' "$NFL_CONF"
kill -HUP "$NFL_DAEMON_PID"
nfl_wait_until 5 grep -q 'bogus_key' "$NFL_WORK/daemon.log" ||
    nfl_fail "the config errors were not logged"
nfl_daemon_alive || nfl_fail "daemon died on a bad config"
# The control socket uses the daemon's config, not the file's.
s=$(nfl_in "$NS_GW" "$NFLOGMON" status --json -s "$NFL_WORK/nflogmon.sock") ||
    nfl_fail "status after a bad reload"
echo "$s" | jq -e '.dry_run == false' >/dev/null || nfl_fail "part of the bad file applied"
echo "$s" | jq -e '.blocks[] | select(.source == "192.0.2.67")' >/dev/null ||
    nfl_fail "blocks lost by a bad reload"
nfl_client --src $BOT4 --dst ${SRV4}+8 --port 25 --count 8 --timeout 1 >/dev/null
nfl_wait_until 5 nfl_set_has "$SET4" $BOT4 || nfl_fail "old rules stopped blocking"

# Good again, now with dry_run: applies, keeps the blocks.
cp "$NFL_WORK/good.conf" "$NFL_CONF"
sed -i 's/^\[block\]$/[block]\ndry_run = yes/' "$NFL_CONF"
kill -HUP "$NFL_DAEMON_PID"
nfl_wait_until 5 sh -c "'$NFLOGMON' status --json -s '$NFL_WORK/nflogmon.sock' |
    jq -e '.dry_run == true'" || nfl_fail "a good reload did not apply"
ctl list --json | jq -e '[.blocks[].source] | index("192.0.2.67") != null' \
    >/dev/null || nfl_fail "a good reload lost the blocks"
echo PASS
