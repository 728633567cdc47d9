#!/usr/bin/env bash
# An account used from more than [accounts] clients addresses, through a
# real Postfix and the policy service: refused from its 6th client address
# on (the client sees policy_reply's 450 at RCPT), from its old addresses
# too, while another account keeps sending from that same address;
# unblock account:NAME lifts it at once.
. "$(dirname "$0")/lib_postfix.sh"

pf_net_up
pf_setup "$(pf_policy_restrictions)"
pf_accounts alice@example.org bob@example.org
pf_start
pf_nflogmon_conf accounts.clients=5/10m
pf_nflogmon_start

for i in 1 2 3 4 5; do
	pf_send $PF_CLI_NET4.1$i alice@example.org alice@example.org \
	    "a$i@example.com" || nfl_fail "address $i of 5: swaks exit $?"
done
pf_send $PF_CLI_NET4.16 alice@example.org alice@example.org a6@example.com
rc=$?
[ $rc -eq 24 ] || nfl_fail "6th address: swaks exit $rc (want 24: refused at RCPT)"
tail -n 8 "$NFL_WORK/swaks.log" | grep -q '^<\*\* *450 4.7.1 .*Sending from this account is suspended' ||
    nfl_fail "6th address: no 450 4.7.1 policy_reply in the transcript"
pf_send $PF_CLI_NET4.11 alice@example.org alice@example.org a7@example.com
[ $? -eq 24 ] || nfl_fail "a blocked account was accepted from an old address"
pf_send $PF_CLI_NET4.16 bob@example.org bob@example.org b1@example.com ||
    nfl_fail "another account from the same address: swaks exit $?"

j=$(pf_status_json) || nfl_fail "status --json failed"
b=$(echo "$j" | jq -c '.blocks[] | select(.source == "account:alice@example.org")')
[ -n "$b" ] || nfl_fail "no block of account:alice@example.org: $j"
[ "$(echo "$b" | jq -r .rule)" = clients ] ||
    nfl_fail "block rule: $b (want clients)"
[ "$(echo "$j" | jq '[.blocks[] | select(.source == "account:bob@example.org")] | length')" -eq 0 ] ||
    nfl_fail "bob was blocked"
[ "$(pf_log_count 'discard.*status=sent')" -eq 6 ] ||
    pf_wait_log 6 'discard.*status=sent' ||
    nfl_fail "$(pf_log_count 'discard.*status=sent') deliveries, want 6"

# The human status: a line for the policy input, one for accounts.
h=$(nfl_in "$NS_MTA" "$NFLOGMON" status -c "$NFL_CONF") ||
    nfl_fail "status failed"
n=$(echo "$j" | jq '.inputs[] | select(.input == "policy") | .requests')
echo "$h" | grep -qE "^inputs +policy: requests [0-9]+, events [0-9]+, malformed 0$" ||
    nfl_fail "no human line for the policy input: $h"
[ "${n:-0}" -ge 7 ] || nfl_fail "policy requests $n (want >= 7)"
echo "$h" | grep -qE "^accounts tracked 2 of [0-9]+, evicted 0$" ||
    nfl_fail "no accounts line (2 tracked): $h"
nfl_in "$NS_MTA" "$NFLOGMON" unblock -c "$NFL_CONF" account:alice@example.org ||
    nfl_fail "unblock account:alice@example.org failed"
pf_send $PF_CLI_NET4.11 alice@example.org alice@example.org a8@example.com ||
    nfl_fail "after unblock: swaks exit $? (want 0)"
echo "PASS: refused from the 6th client address on, others unaffected, unblock lifts it"
