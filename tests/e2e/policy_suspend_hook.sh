#!/usr/bin/env bash
# examples/hook-suspend-account with a real Postfix: an account blocked by
# the clients rule gets the hook as `HOOK block account:LOGIN clients N`
# with NFLOGMON_ACCOUNT and NFLOGMON_CLIENTS; the hook writes LOGIN REJECT
# into a check_sasl_access map and runs postmap, and Postfix refuses the
# login through that map even with nflogmon stopped (fail open otherwise);
# another account still sends; unblock removes the line and the login is
# accepted again.
. "$(dirname "$0")/lib_postfix.sh"

HOOK=$PWD/examples/hook-suspend-account
[ -x "$HOOK" ] || nfl_fail "no executable $HOOK"
pf_net_up
pf_setup "$(pf_policy_restrictions)"
MAP=$NFL_WORK/sasl_access
# As the README says: the map exists before Postfix opens it.
: > "$MAP"
nfl_in "$NS_MTA" postmap -c "$PF_DIR/etc" "hash:$MAP" || nfl_fail "postmap of the empty map"
echo "smtpd_sender_restrictions = check_sasl_access hash:$MAP" \
    >> "$PF_DIR/etc/main.cf"
pf_accounts alice@example.org bob@example.org
pf_start

# The daemon's hook environment is clean: a wrapper records what the
# daemon gave and tells the example where this test's map and Postfix are.
OUT=$NFL_WORK/hook.out
cat > "$NFL_WORK/hook.sh" <<EOS
#!/bin/sh
{ echo "argv: \$*"; env | grep '^NFLOGMON_' | sort; echo end; } >> "$OUT"
NFLOGMON_SASL_ACCESS=$MAP MAIL_CONFIG=$PF_DIR/etc
export NFLOGMON_SASL_ACCESS MAIL_CONFIG
exec "$HOOK" "\$@"
EOS
chmod 755 "$NFL_WORK/hook.sh"
pf_nflogmon_conf accounts.clients=5/10m block.hook="$NFL_WORK/hook.sh" \
    block.hook_timeout=8s
pf_nflogmon_start

for i in 1 2 3 4 5; do
	pf_send $PF_CLI_NET4.1$i alice@example.org alice@example.org \
	    "a$i@example.com" || nfl_fail "address $i of 5: swaks exit $?"
done
pf_send $PF_CLI_NET4.16 alice@example.org alice@example.org a6@example.com
[ $? -eq 24 ] || nfl_fail "6th address not refused at RCPT"

ran() { grep -q '^argv: block ' "$OUT" 2>/dev/null &&
    grep -q '^alice@example.org REJECT' "$MAP" 2>/dev/null; }
nfl_wait_until 15 ran || nfl_fail "the hook did not run or did not write the map: $(cat "$OUT" "$MAP" 2>&1)"
argv=$(grep -m1 '^argv: block ' "$OUT")
[ "$argv" = "argv: block account:alice@example.org clients 6" ] ||
    nfl_fail "hook arguments: '$argv' (want block account:alice@example.org clients 6)"
grep -qx 'NFLOGMON_ACCOUNT=alice@example.org' "$OUT" ||
    nfl_fail "no NFLOGMON_ACCOUNT=alice@example.org: $(cat "$OUT")"
clients=$(grep -m1 '^NFLOGMON_CLIENTS=' "$OUT")
for i in 1 2 3 4 5 6; do
	case " ${clients#NFLOGMON_CLIENTS=} " in
	*" $PF_CLI_NET4.1$i "*) ;;
	*) nfl_fail "$PF_CLI_NET4.1$i not in $clients" ;;
	esac
done
[ -s "$MAP.db" ] || nfl_fail "postmap made no $MAP.db"

# Postfix itself refuses the login now, nflogmon stopped (the policy
# service fails open: only the map can refuse).
nfl_kill "$NFL_DAEMON_PID"
pf_send $PF_CLI_NET4.11 alice@example.org alice@example.org a7@example.com
rc=$?
[ $rc -eq 24 ] || nfl_fail "suspended login through the map: swaks exit $rc (want 24)"
tail -n 8 "$NFL_WORK/swaks.log" | grep -q '^<\*\* *554 5.7.1 .*Account suspended' ||
    nfl_fail "no 554 5.7.1 Account suspended from the map in the transcript"
pf_send $PF_CLI_NET4.11 bob@example.org bob@example.org b1@example.com ||
    nfl_fail "another account: swaks exit $? (want 0)"

# Back up (the block is in the store), unblock: the hook removes the line.
pf_nflogmon_start
nfl_in "$NS_MTA" "$NFLOGMON" unblock -c "$NFL_CONF" account:alice@example.org ||
    nfl_fail "unblock account:alice@example.org failed"
unran() { grep -q '^argv: unblock account:alice@example.org ' "$OUT" &&
    ! grep -q '^alice@example.org ' "$MAP"; }
nfl_wait_until 15 unran || nfl_fail "the unblock hook did not clear the map: $(cat "$OUT" "$MAP")"
sleep 1		# postmap done: the next smtpd session reopens the map
pf_send $PF_CLI_NET4.11 alice@example.org alice@example.org a8@example.com ||
    nfl_fail "after unblock: swaks exit $? (want 0)"
echo "PASS: the hook suspends the login in Postfix's map and unblock lifts it"
