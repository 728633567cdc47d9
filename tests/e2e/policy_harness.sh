#!/usr/bin/env bash
# The real-MTA harness itself (lib_postfix.sh): a private Postfix with
# Cyrus sasldb accepts authenticated mail from three accounts and from
# IPv4 and IPv6 clients, hands it to its discard transport (the maillog
# shows it), and refuses to relay for a client that does not authenticate.
. "$(dirname "$0")/lib_postfix.sh"

pf_net_up
pf_setup
pf_accounts alice@example.org bob@example.org carol@example.net
pf_start

n=0
for acct in alice@example.org bob@example.org carol@example.net; do
	n=$((n + 1))
	pf_send $PF_CLI_NET4.$((10 + n)) "$acct" "$acct" \
	    "rcpt$n@example.com" ||
	    nfl_fail "$acct: swaks exit $? (want 0: accepted)"
done
pf_send ${PF_CLI_NET6}:7 bob@example.org bob@example.org \
    rcpt6@example.com || nfl_fail "IPv6 client: swaks exit $?"
grep -q '^<- *250 .*queued as' "$NFL_WORK/swaks.log" ||
    nfl_fail "no 250 queued reply in swaks' transcript"

# Each message is logged with its client and login, and discarded.
pf_wait_log 4 'discard.*status=sent' ||
    nfl_fail "the maillog shows $(pf_log_count 'status=sent') deliveries, want 4"
for acct in alice@example.org bob@example.org carol@example.net; do
	[ "$(pf_log_count "sasl_username=$acct")" -ge 1 ] ||
	    nfl_fail "no smtpd line with sasl_username=$acct"
done
[ "$(pf_log_count 'client=unknown\[2001:db8:5::7\], sasl_method')" -ge 1 ] ||
    nfl_fail "no smtpd line for the IPv6 client"

# A wrong password is refused (535), and so is relaying without AUTH (554).
PF_PASSWORD=wrong pf_send $PF_CLI_NET4.20 alice@example.org \
    alice@example.org x@example.com
rc=$?
[ $rc -eq 28 ] || nfl_fail "a wrong password: swaks exit $rc, want 28"
pf_send $PF_CLI_NET4.21 - alice@example.org x@example.com
rc=$?
[ $rc -eq 24 ] || nfl_fail "unauthenticated relay: swaks exit $rc, want 24"
grep -q 'Relay access denied' "$NFL_WORK/swaks.log" ||
    nfl_fail "no 'Relay access denied' in swaks' transcript"
[ "$(pf_log_count 'status=sent')" -eq 4 ] ||
    nfl_fail "refused mail was delivered"

echo "PASS: postfix accepts 4 authenticated messages, refuses a bad" \
    "password and unauthenticated relay"
