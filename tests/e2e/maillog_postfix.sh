#!/usr/bin/env bash
# [mta] maillog with a real Postfix: the daemon follows the instance's
# maillog_file (no policy service) and blocks the account used from a 6th
# client address (clients = 5/10m), by the log's own delay, while an
# account sending from one address is never blocked.  The same mail that
# policy_clients.sh refuses through the policy service.  The log is then
# replayed with replay --maillog: the same verdict.
. "$(dirname "$0")/lib_postfix.sh"

pf_net_up
pf_setup "permit_sasl_authenticated, reject_unauth_destination"
pf_accounts victim@example.org busy@example.org
pf_start
nfl_conf capture.forward_group=off capture.output_group=off \
    block.backend=none
printf '[mta]\nmaillog = %s\n' "$PF_DIR/maillog" >>"$NFL_CONF"
[ -f "$PF_DIR/maillog" ] || nfl_fail "postfix wrote no maillog_file"
ip netns exec "$NS_MTA" "$NFLOGMON" run -f -c "$NFL_CONF" \
    >>"$NFL_WORK/daemon.log" 2>&1 &
NFL_DAEMON_PID=$!
NFL_PIDS+=($NFL_DAEMON_PID)
nfl_wait_until 15 grep -q "following from its end" "$NFL_WORK/daemon.log" ||
    nfl_fail "daemon not following: $(tail -n 5 "$NFL_WORK/daemon.log")"

blocked() {
	pf_status_json | jq -r '[.blocks[].source] | sort | join(" ")'
}
for i in 1 2 3; do
	pf_send $PF_CLI_NET4.20 busy@example.org busy@example.org \
	    "b$i@example.com" || nfl_fail "busy $i: swaks exit $?"
done
for i in 1 2 3 4 5 6; do
	pf_send $PF_CLI_NET4.3$i victim@example.org victim@example.org \
	    "v$i@example.com" || nfl_fail "victim $i: swaks exit $?"
done
pf_wait_log 9 'qmgr.*nrcpt=1' 20 || nfl_fail "postfix did not queue 9 messages"
nfl_wait_until 10 sh -c "[ \"\$(ip netns exec $NS_MTA $NFLOGMON status -c $NFL_CONF --json 2>/dev/null | jq '.blocks | length')\" -ge 1 ]" ||
    nfl_fail "no block: $(pf_status_json | jq -c .inputs)"
[ "$(blocked)" = "account:victim@example.org" ] ||
    nfl_fail "blocked: '$(blocked)' (want the victim only)"
rule=$(pf_status_json | jq -r '.blocks[0].rule')
[ "$rule" = clients ] || nfl_fail "victim's block is by $rule, not clients"

# The same log replayed gives the same verdict.
TZ=UTC "$NFLOGMON" replay -c "$NFL_CONF" --json --maillog "$PF_DIR/maillog" \
    >"$NFL_WORK/replay.json" || nfl_fail "replay --maillog failed"
v=$(jq -r '.verdicts[] | [.source, .rule, .action] | join(" ")' \
    "$NFL_WORK/replay.json")
[ "$v" = "account:victim@example.org clients block" ] ||
    nfl_fail "replay verdicts: '$v'"
[ -n "${MAILLOG_KEEP:-}" ] && cp "$PF_DIR/maillog" "$MAILLOG_KEEP"
nfl_log "ok: the followed maillog blocked the victim, replay agrees"
