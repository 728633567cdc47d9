#!/usr/bin/env bash
# The policy service with a real Postfix (check_policy_service first in
# smtpd_recipient_restrictions, as the README says): with nflogmon not
# running Postfix keeps delivering (fail open); with it running every
# recipient request is answered DUNNO at once and counted in status
# (inputs: kind policy, requests, events); stopped again, mail flows.
. "$(dirname "$0")/lib_postfix.sh"

pf_net_up
pf_setup "$(pf_policy_restrictions)"
pf_accounts alice@example.org bob@example.org
pf_start

# 1. nflogmon not running: the socket is missing, Postfix goes on.
pf_send $PF_CLI_NET4.10 alice@example.org alice@example.org a1@example.com ||
    nfl_fail "nflogmon down: swaks exit $? (want 0: fail open)"
[ "$(pf_log_count 'nflogmon.*(No such file|problem talking)')" -ge 1 ] ||
    nfl_fail "postfix did not try the policy service"

# 2. nflogmon running: DUNNO, counted.
warned=$(pf_log_count 'warning:.*nflogmon')
pf_nflogmon_conf
pf_nflogmon_start
for i in 1 2 3; do
	pf_send $PF_CLI_NET4.1$i alice@example.org alice@example.org \
	    "a$i@example.com" || nfl_fail "message $i: swaks exit $?"
done
pf_send ${PF_CLI_NET6}:5 bob@example.org bob@example.org b1@example.com \
    --to b1@example.com,b2@example.com ||
    nfl_fail "IPv6, two recipients: swaks exit $?"
pf_send $PF_CLI_NET4.30 - x@example.org local@example.com
[ $? -eq 24 ] || nfl_fail "unauthenticated relay was not refused"
j=$(pf_status_json) || nfl_fail "status --json failed"
in=$(echo "$j" | jq -c '.inputs[] | select(.kind == "policy")')
[ -n "$in" ] || nfl_fail "no policy input in status --json: $j"
# Unauthenticated relay is refused before the policy is asked.
[ "$(echo "$in" | jq .requests)" -eq 5 ] &&
    [ "$(echo "$in" | jq .events)" -eq 5 ] &&
    [ "$(echo "$in" | jq .malformed)" -eq 0 ] ||
    nfl_fail "policy input counts: $in (want 5 requests, 5 events)"
[ "$(pf_log_count 'warning:.*nflogmon')" -eq "$warned" ] ||
    nfl_fail "postfix warned about the policy service while nflogmon ran"
[ "$(pf_log_count 'reject:')" -eq 1 ] ||
    nfl_fail "postfix rejected more than the unauthenticated relay"

# 3. nflogmon stopped: fail open again.
nfl_daemon_stop
pf_send $PF_CLI_NET4.10 alice@example.org alice@example.org a9@example.com ||
    nfl_fail "nflogmon stopped: swaks exit $? (want 0: fail open)"
pf_wait_log 7 'discard.*status=sent' ||
    nfl_fail "$(pf_log_count 'discard.*status=sent') deliveries, want 7"
echo "PASS: fail open without nflogmon, DUNNO and counted with it"
