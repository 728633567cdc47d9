#!/usr/bin/env bash
# [accounts] block_clients = yes through a real Postfix, ipset backend (nft
# with BC_BACKEND=nft: policy_block_clients_nft.sh): an account used from
# more than clients addresses is blocked and its client addresses land in
# <ipset_name>-clients, or nft's clients4 (rule clients, reason
# account:NAME, in status); an allowlisted client address is never added;
# a refused client gets a reset on the submission port (here 25, Postfix's
# only one) but still reaches port 80 on the same host; another account's
# client is untouched; a restart keeps them; `nflogmon unblock
# account:NAME` takes them all out.
. "$(dirname "$0")/lib_postfix.sh"

pf_net_up
pf_setup "$(pf_policy_restrictions)"
pf_accounts alice@example.org bob@example.org
pf_start
ALLOWED=$PF_CLI_NET4.14
BC_BACKEND=${BC_BACKEND:-ipset}
pf_nflogmon_conf block.backend=$BC_BACKEND block.create_sets=yes \
    "allow.addresses=$ALLOWED" \
    accounts.clients=3/10m accounts.block_clients=yes \
    accounts.submission_ports=25
if [ "$BC_BACKEND" = nft ]; then
	rules=$("$NFLOGMON" rules -c "$NFL_CONF") ||
	    nfl_fail "nflogmon rules failed"
	echo "$rules" | grep -q 'ip saddr @clients4 reject with tcp reset' ||
	    nfl_fail "rules: no clients rule: $rules"
	echo "$rules" | nfl_in "$NS_MTA" nft -f - ||
	    nfl_fail "nft -f of the rules failed"
	pf_nflogmon_start
	members() {
		nfl_in "$NS_MTA" nft -j list set inet nflogmon clients4 |
		    jq -r '.nftables[] | select(.set) | .set.elem // [] | .[] |
		    if type == "object" then .elem.val else . end' | sort
	}
else
	pf_nflogmon_start
	for s in "$SET4-clients" "$SET4-clients6"; do
		nfl_in "$NS_MTA" ipset list -n | grep -qx "$s" ||
		    nfl_fail "no ipset $s: $(nfl_in "$NS_MTA" ipset list -n)"
	done
	rules=$("$NFLOGMON" rules -c "$NFL_CONF" --iptables) ||
	    nfl_fail "nflogmon rules --iptables failed"
	echo "$rules" | grep -q -- "--match-set $SET4-clients src" ||
	    nfl_fail "rules --iptables: no clients rule: $rules"
	echo "$rules" | nfl_in "$NS_MTA" iptables-restore --noflush ||
	    nfl_fail "iptables-restore of the rules failed"
	members() {
		nfl_in "$NS_MTA" ipset list "$SET4-clients" |
		    awk '/^Members:/{m=1; next} m && NF {print $1}' | sort
	}
fi

# An HTTP stand-in on port 80 of the MTA.
ip netns exec "$NS_MTA" python3 "$NFL_TOOLS/server.py" 80 \
    > "$NFL_WORK/server.log" 2>&1 &
NFL_PIDS+=($!)
nfl_wait_until 10 grep -q '^ready' "$NFL_WORK/server.log" ||
    nfl_fail "TCP server did not start: $(cat "$NFL_WORK/server.log")"

cli_conn() {	# SRC PORT: "ok" or "refused" (client.py's first word)
	nfl_in "$NS_CLI" python3 "$NFL_TOOLS/client.py" --src "$1" \
	    --dst $PF_MTA4 --port "$2" --count 1 --timeout 2 | awk 'NR==1{print $1}'
}

pf_send $PF_CLI_NET4.30 bob@example.org bob@example.org b1@example.com ||
    nfl_fail "bob: swaks exit $?"
for i in 11 12 13; do
	pf_send $PF_CLI_NET4.$i alice@example.org alice@example.org \
	    "a$i@example.com" || nfl_fail "alice from .$i: swaks exit $?"
done
pf_send $ALLOWED alice@example.org alice@example.org a14@example.com
rc=$?
[ $rc -eq 24 ] || nfl_fail "4th address: swaks exit $rc (want 24: refused)"

want=$(printf '%s\n' $PF_CLI_NET4.11 $PF_CLI_NET4.12 $PF_CLI_NET4.13 | sort)
nfl_wait_until 5 test "$(members)" = "$want" ||
    nfl_fail "$SET4-clients holds [$(members | tr '\n' ' ')], want [$(echo $want)]"
if [ "$BC_BACKEND" = ipset ]; then
	nfl_in "$NS_MTA" ipset list "$SET4" | grep -q "^$PF_CLI_NET4" &&
	    nfl_fail "a client address is in the main set $SET4"
else
	nfl_in "$NS_MTA" nft list set inet nflogmon blocked4 |
	    grep -q "$PF_CLI_NET4" &&
	    nfl_fail "a client address is in the main set blocked4"
fi

# A restart keeps them: store, kernel sets and reconciliation agree.
nfl_daemon_stop
pf_nflogmon_start
[ "$(members)" = "$want" ] ||
    nfl_fail "after a restart $SET4-clients holds [$(members | tr '\n' ' ')]"
j=$(pf_status_json) || nfl_fail "status --json failed"
n=$(echo "$j" | jq '[.blocks[] | select(.rule == "clients" and
    (.source | startswith("client:"))
    and .reason == "account:alice@example.org")] | length')
[ "$n" -eq 3 ] || nfl_fail "status: $n client blocks of alice (want 3): $j"
echo "$j" | jq -e '.blocks[] | select(.source == "account:alice@example.org")' \
    >/dev/null || nfl_fail "no block of account:alice@example.org: $j"
l=$(nfl_in "$NS_MTA" "$NFLOGMON" list -c "$NFL_CONF") || nfl_fail "list failed"
echo "$l" | grep "client:$PF_CLI_NET4.12" | grep -q 'account:alice@example.org' ||
    nfl_fail "list: no client:$PF_CLI_NET4.12 with its reason: $l"

[ "$(cli_conn $PF_CLI_NET4.12 25)" = refused ] ||
    nfl_fail "a blocked client reached the submission port"
[ "$(cli_conn $PF_CLI_NET4.12 80)" = ok ] ||
    nfl_fail "a blocked client cannot reach port 80 of the same host"
[ "$(cli_conn $PF_CLI_NET4.30 25)" = ok ] ||
    nfl_fail "bob's client was refused"
pf_send $PF_CLI_NET4.30 bob@example.org bob@example.org b2@example.com ||
    nfl_fail "bob after alice's block: swaks exit $?"

nfl_in "$NS_MTA" "$NFLOGMON" unblock -c "$NFL_CONF" account:alice@example.org ||
    nfl_fail "unblock account:alice@example.org failed"
nfl_wait_until 5 test -z "$(members)" ||
    nfl_fail "after unblock $SET4-clients holds $(members | tr '\n' ' ')"
j=$(pf_status_json) || nfl_fail "status --json failed"
[ "$(echo "$j" | jq '[.blocks[] | select(.rule == "clients")] | length')" -eq 0 ] ||
    nfl_fail "after unblock: blocks left: $j"
[ "$(cli_conn $PF_CLI_NET4.12 25)" = ok ] ||
    nfl_fail "after unblock the client is still refused"
pf_send $PF_CLI_NET4.12 alice@example.org alice@example.org a9@example.com ||
    nfl_fail "after unblock: swaks exit $? (want 0)"
echo "PASS ($BC_BACKEND): block_clients blocks the clients on the submission port only; unblock lifts them"
