#!/usr/bin/env bash
# A hook that hangs and forks a storm of children (each of which hangs
# too) is killed with its whole process group after hook_timeout, counted
# in status (hook failures) and logged; the block itself is in place at
# once, the daemon keeps capturing and blocking, and the next block runs
# the hook again.
. "$(dirname "$0")/lib.sh"
nfl_net_up
PIDS=$NFL_WORK/hook.pids
cat > "$NFL_WORK/hook.sh" <<EOS
#!/bin/sh
echo \$\$ >> "$PIDS"
i=0
while [ \$i -lt 40 ]; do
	sleep 300 &
	echo \$! >> "$PIDS"
	i=\$((i + 1))
done
sleep 300
EOS
chmod 755 "$NFL_WORK/hook.sh"
nfl_conf detect.burst=5/1m block.hook="$NFL_WORK/hook.sh" block.hook_timeout=2s
nfl_daemon_start
nfl_iptables_load
hook() { nfl_status_json | jq -r ".hook.$1"; }

t0=$(date +%s)
nfl_client --src $BOT4 --dst ${SRV4}+8 --port 25 --count 8 --timeout 1 >/dev/null
nfl_set_has "$SET4" $BOT4 || nfl_fail "$BOT4 not blocked while its hook hangs"
storm() { [ "$(wc -l < "$PIDS" 2>/dev/null || echo 0)" -ge 41 ]; }
nfl_wait_until 10 storm || nfl_fail "the hook did not fork its children"
failed() { [ "$(hook failures)" -ge 1 ]; }
nfl_wait_until 10 failed || nfl_fail "hung hook not counted: $(nfl_status_json | jq -c .hook)"
nfl_log "hook killed and counted $(( $(date +%s) - t0 )) s after the block (hook_timeout 2 s): $(nfl_status_json | jq -c .hook)"
grep -q "killed after hook_timeout" "$NFL_WORK/daemon.log" ||
    nfl_fail "the kill is not logged"
# Nothing of the storm is left (the kernel may take a moment to reap).
alive() {
	local p
	while read -r p; do
		[ -d /proc/$p ] && ! grep -q '^State:.*Z' /proc/$p/status 2>/dev/null && return 0
	done < "$PIDS"
	return 1
}
dead() { ! alive; }
nfl_wait_until 5 dead ||
    nfl_fail "$(while read -r p; do [ -d /proc/$p ] && echo $p; done < "$PIDS" | wc -l) of the hook's processes survived"
# The daemon goes on: the next offender is blocked and its hook runs.
nfl_client --src $OFFICE4 --dst ${SRV4}+8 --port 25 --count 8 --timeout 1 >/dev/null
nfl_set_has "$SET4" $OFFICE4 || nfl_fail "the next offender was not blocked"
runs2() { [ "$(hook runs)" -ge 2 ]; }
nfl_wait_until 5 runs2 || nfl_fail "the hook did not run for the next block"
# Its hook hangs too: killed and counted again, nothing left behind.
failed2() { [ "$(hook failures)" -ge 2 ]; }
nfl_wait_until 10 failed2 || nfl_fail "the second hung hook not counted"
nfl_wait_until 5 dead || nfl_fail "the second hook's processes survived"
nfl_daemon_alive || nfl_fail "daemon died"
echo PASS
