#!/usr/bin/env bash
# The account rules besides clients, through a real Postfix and the policy
# service: recipients over the limit are refused from the first one over
# it; a foreign envelope sender counts once per message (foreign_senders);
# a domain of sender_domains is never foreign; the null sender is never
# foreign; an allowlisted account ([allow] accounts) is never refused.
. "$(dirname "$0")/lib_postfix.sh"

pf_net_up
pf_setup "$(pf_policy_restrictions)"
pf_accounts alice@example.org carol@example.org dave@example.org \
    erin@example.org frank@example.org
pf_start
pf_nflogmon_conf accounts.recipients=3/1h accounts.foreign_senders=1/1h \
    accounts.sender_domains=partner.example allow.accounts=erin@example.org
pf_nflogmon_start

refused() {	# the last transcript shows policy_reply's 450
	tail -n 8 "$NFL_WORK/swaks.log" |
	    grep -q '^<\*\* *450 4.7.1 .*Sending from this account is suspended'
}

# recipients = 3/1h: the 4th recipient is refused.
for i in 1 2 3; do
	pf_send $PF_CLI_NET4.10 alice@example.org alice@example.org \
	    "r$i@example.com" || nfl_fail "alice, recipient $i: swaks exit $?"
done
pf_send $PF_CLI_NET4.10 alice@example.org alice@example.org r4@example.com
[ $? -eq 24 ] && refused || nfl_fail "alice's 4th recipient was not refused"

# foreign_senders = 1/1h: the 2nd message as another domain is refused.
pf_send $PF_CLI_NET4.11 carol@example.org carol@elsewhere.example \
    c1@example.com || nfl_fail "carol, 1st foreign message: swaks exit $?"
pf_send $PF_CLI_NET4.11 carol@example.org carol@elsewhere.example \
    c2@example.com
[ $? -eq 24 ] && refused || nfl_fail "carol's 2nd foreign message was not refused"

# sender_domains and the null sender are never foreign (3 messages each,
# within recipients).
for i in 1 2 3; do
	pf_send $PF_CLI_NET4.12 dave@example.org "dave@partner.example" \
	    "d$i@example.com" || nfl_fail "dave (sender_domains) $i: swaks exit $?"
done
for i in 1 2; do
	pf_send $PF_CLI_NET4.13 frank@example.org "<>" "f$i@example.com" ||
	    nfl_fail "frank (null sender) $i: swaks exit $?"
done

# An allowlisted account goes over every limit and is never refused.
for i in 1 2 3 4 5 6; do
	pf_send $PF_CLI_NET4.2$i erin@example.org erin@elsewhere.example \
	    "e$i@example.com" || nfl_fail "erin (allowlisted) $i: swaks exit $?"
done

j=$(pf_status_json) || nfl_fail "status --json failed"
blocked=$(echo "$j" | jq -r '[.blocks[].source] | sort | join(" ")')
[ "$blocked" = "account:alice@example.org account:carol@example.org" ] ||
    nfl_fail "blocked: '$blocked' (want alice and carol only)"
[ "$(echo "$j" | jq -r '.blocks[] | select(.source == "account:alice@example.org") | .rule')" = recipients ] ||
    nfl_fail "alice's block is not by recipients: $j"
[ "$(echo "$j" | jq -r '.blocks[] | select(.source == "account:carol@example.org") | .rule')" = foreign_senders ] ||
    nfl_fail "carol's block is not by foreign_senders: $j"
echo "PASS: recipients and foreign_senders refuse at the line," \
    "sender_domains, the null sender and [allow] accounts pass"
