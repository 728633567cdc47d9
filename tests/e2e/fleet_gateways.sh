#!/bin/bash
# Two gateways, each running nflogmon with its own CrowdSec credentials,
# share their blocks through the real LAPI (Debian's crowdsec, alone in a
# namespace).  A bot behind gateway A is blocked on A and then appears in
# B's set with rule fleet; `unblock` on A lifts it on B; A does not
# re-apply its own decision after a restart (its decision ids are in its
# state store); with the LAPI stopped both gateways go on blocking
# locally, A's status shows the queue, the pending publication survives a
# restart of A, and once the LAPI is back it arrives on B; after a SIGHUP
# A still publishes; a uid block
# never appears in the LAPI (cscli alerts list -a).
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_crowdsec.sh"

nfl_net_up
GWB=$NFL_ID-gwb
SETB4="nfb$$r$RANDOM"
SETB6="${SETB4}6"
nfl_ns_add "$GWB"
cs_up
cs_link "$NS_GW" 198.51.100.1
cs_link "$GWB" 198.51.100.2
cs_machine gwa "$NFL_WORK/gwa.yaml"
cs_machine gwb "$NFL_WORK/gwb.yaml"
cs_bouncer gwa "$NFL_WORK/gwa.key"
cs_bouncer gwb "$NFL_WORK/gwb.key"

# --- gateway A: the test network's gateway; B: a second one, no LAN
nfl_conf detect.burst=5/1m block.timeout=1h block.escalate=1h
cat >> "$NFL_CONF" <<EOF
[fleet]
lapi_url = $CS_URL
password_file = $NFL_WORK/gwa.yaml
bouncer_key_file = $NFL_WORK/gwa.key
pull_interval = 1s
EOF
BCONF=$NFL_WORK/b.conf
cat > "$BCONF" <<EOF
[daemon]
control_socket = $NFL_WORK/b.sock
state_file = $NFL_WORK/b.state
[capture]
forward_group = 1
output_group = 2
ports = 25
[detect]
burst = 5/1m
[block]
backend = ipset
create_sets = yes
ipset_name = $SETB4
timeout = 1h
[allow]
addresses = $MTA4, $MTA6
[fleet]
lapi_url = $CS_URL
password_file = $NFL_WORK/gwb.yaml
bouncer_key_file = $NFL_WORK/gwb.key
pull_interval = 1s
EOF

ip netns exec "$GWB" "$NFLOGMON" run -f -c "$BCONF" \
    >> "$NFL_WORK/b.log" 2>&1 &
BPID=$!
NFL_PIDS+=("$BPID")
nfl_daemon_start
nfl_iptables_load
nfl_wait_until 15 nfl_in "$GWB" "$NFLOGMON" status -c "$BCONF" ||
    nfl_fail "gateway B did not start: $(tail -n 5 "$NFL_WORK/b.log")"

A_status() { nfl_status_json; }
B_status() { nfl_in "$GWB" "$NFLOGMON" status -c "$BCONF" --json 2>/dev/null; }
B_list() { nfl_in "$GWB" "$NFLOGMON" list -c "$BCONF" --json 2>/dev/null; }
B_has() { nfl_in "$GWB" ipset test "$SETB4" "$1" 2>/dev/null; }
B_lacks() { ! B_has "$1"; }
# A bot of 20 SMTP connections to 20 servers: blocked by burst on A.
bot() {
	nfl_client --src "$1" --dst $SRV4+20 --port 25 --count 20 \
	    --interval 0.05 --timeout 2 --deadline 30 >/dev/null ||
	    nfl_fail "client failed"
	nfl_wait_until 5 nfl_set_has "$SET4" "$1" ||
	    nfl_fail "$1 not blocked on A: $(nfl_set_entries "$SET4")"
}

# --- a bot behind A: blocked on A, then in B's set with rule fleet
BOT=$BOT4
bot "$BOT"
nfl_wait_until 10 B_has "$BOT" || nfl_fail "$BOT did not reach B: \
$(B_status | jq -c .fleet) $(tail -n 5 "$NFL_WORK/b.log")"
nfl_log "$BOT blocked on A and on B"
rec=$(B_list | jq -c --arg s "$BOT" '.blocks[] | select(.source == $s)')
echo "$rec" | jq -e '.rule == "fleet" and .strikes == 0 and
    (.reason | test("nflogmon/burst")) and .enforced == true' >/dev/null ||
    nfl_fail "B's record of $BOT: $rec"
B_status | jq -e '.fleet.ok == true and .fleet.applied >= 1' >/dev/null ||
    nfl_fail "B's fleet status: $(B_status | jq -c .fleet)"
A_status | jq -e '.fleet.published >= 1 and .fleet.queued == 0' \
    >/dev/null || nfl_fail "A's fleet status: $(A_status | jq -c .fleet)"
nfl_in "$NS_GW" "$NFLOGMON" status -c "$NFL_CONF" | grep -q '^fleet .*ok' ||
    nfl_fail "the human status has no fleet line"
# A's own decision is not applied on A: its block stays a burst block
nfl_list_json | jq -e --arg s "$BOT" '[.blocks[] | select(.source == $s and
    .rule == "burst")] | length == 1' >/dev/null ||
    nfl_fail "A's block of $BOT: $(nfl_list_json | jq -c .blocks)"

# --- unblock on A lifts it on B
nfl_in "$NS_GW" "$NFLOGMON" unblock -c "$NFL_CONF" "$BOT" >/dev/null ||
    nfl_fail "unblock on A"
nfl_wait_until 10 B_lacks "$BOT" || nfl_fail "$BOT still blocked on B"
B_list | jq -e --arg s "$BOT" '[.blocks[] | select(.source == $s)] |
    length == 0' >/dev/null || nfl_fail "B still holds $BOT"
nfl_log "unblock on A lifted $BOT on B"

# --- A restarts: its own decision is recognised, not re-applied
BOT2=192.0.2.67
bot "$BOT2"
nfl_wait_until 10 B_has "$BOT2" || nfl_fail "$BOT2 did not reach B"
nfl_state_sql "SELECT count(*) FROM fleet_ids WHERE source = '$BOT2'" |
    grep -qx 1 || nfl_fail "A's store lacks the decision id of $BOT2"
nfl_daemon_stop
nfl_daemon_start
nfl_wait_until 10 sh -c "'$NFLOGMON' status -c '$NFL_CONF' --json 2>/dev/null |
    jq -e '.fleet.last_pull != null and .fleet.own >= 1'" ||
    nfl_fail "A did not see its own decision after the restart: \
$(A_status | jq -c .fleet)"
A_status | jq -e '.blocks_by_rule.fleet == 0 and .fleet.applied == 0' \
    >/dev/null || nfl_fail "A re-applied its own decision: \
$(A_status | jq -c '{fleet, blocks_by_rule}')"
nfl_list_json | jq -e --arg s "$BOT2" '[.blocks[] | select(.source == $s and
    .rule == "burst")] | length == 1' >/dev/null ||
    nfl_fail "A's block of $BOT2 after the restart: $(nfl_list_json | jq -c .blocks)"

# --- the LAPI stopped: both block locally, A queues and keeps the queue
# across a restart, and the decision arrives once the LAPI is back
cs_stop
BOT3=192.0.2.68
bot "$BOT3"
nfl_in "$GWB" "$NFLOGMON" block -c "$BCONF" 203.0.113.50 >/dev/null ||
    nfl_fail "B does not block while the LAPI is down"
B_has 203.0.113.50 || nfl_fail "B's manual block is not in its set"
nfl_wait_until 10 sh -c "'$NFLOGMON' status -c '$NFL_CONF' --json 2>/dev/null |
    jq -e '.fleet.queued >= 1 and .fleet.ok == false and .fleet.error != null'" ||
    nfl_fail "A's status does not show the queue: $(A_status | jq -c .fleet)"
nfl_in "$NS_GW" "$NFLOGMON" status -c "$NFL_CONF" |
    grep -Eq '^fleet .*queued [1-9]' || nfl_fail "the human status hides the queue"
nfl_daemon_stop
nfl_state_sql "SELECT op, source FROM fleet_jobs" | grep -qx "publish|$BOT3" ||
    nfl_fail "A's pending publication was not saved: \
$(nfl_state_sql 'SELECT * FROM fleet_jobs')"
nfl_daemon_start
nfl_set_has "$SET4" "$BOT3" || nfl_fail "$BOT3 lost on A's restart"
cs_start_lapi
nfl_wait_until 20 B_has "$BOT3" || nfl_fail "the pending decision did not \
arrive on B: $(A_status | jq -c .fleet)"
nfl_wait_until 10 sh -c "'$NFLOGMON' status -c '$NFL_CONF' --json 2>/dev/null |
    jq -e '.fleet.queued == 0'" || nfl_fail "A's queue is not empty"
nfl_log "the publication queued while the LAPI was down arrived on B"

# --- B restarts: its fleet block comes back from its store, still rule
# fleet, and the stream's startup list leaves it so
nfl_kill "$BPID"
ip netns exec "$GWB" "$NFLOGMON" run -f -c "$BCONF" \
    >> "$NFL_WORK/b.log" 2>&1 &
BPID=$!
NFL_PIDS+=("$BPID")
nfl_wait_until 15 sh -c "'$NFLOGMON' status -c '$BCONF' --json 2>/dev/null |
    jq -e '.fleet.last_pull != null'" || nfl_fail "B did not come back"
B_has "$BOT3" || nfl_fail "$BOT3 lost on B's restart"
B_list | jq -e --arg s "$BOT3" '[.blocks[] | select(.source == $s and
    .rule == "fleet")] | length == 1' >/dev/null ||
    nfl_fail "B's block of $BOT3 after its restart: $(B_list | jq -c .blocks)"

# --- SIGHUP on A: the fleet goes on with the reloaded config
kill -HUP "$NFL_DAEMON_PID"
nfl_wait_until 10 grep -q "reload: .* applied" "$NFL_WORK/daemon.log" ||
    nfl_fail "A did not reload"
BOT4B=192.0.2.69
bot "$BOT4B"
nfl_wait_until 10 B_has "$BOT4B" || nfl_fail "$BOT4B did not reach B after A's SIGHUP: $(A_status | jq -c .fleet)"

# --- a uid block, a manual block and B's manual block never reach the LAPI
nfl_in "$NS_GW" "$NFLOGMON" block -c "$NFL_CONF" uid:1001 >/dev/null ||
    nfl_fail "block uid:1001"
nfl_in "$NS_GW" "$NFLOGMON" block -c "$NFL_CONF" 203.0.113.51 >/dev/null ||
    nfl_fail "block 203.0.113.51"
sleep 2
alerts=$(cs_cscli alerts list -a -o json) || nfl_fail "cscli alerts list"
echo "$alerts" | jq -e '[.[] | select(.source.value != null) |
    .source.value | select(test("uid|account|203\\.0\\.113\\.5[01]"))] |
    length == 0' >/dev/null || nfl_fail "a local-only block reached the LAPI: $alerts"
echo "$alerts" | jq -e --arg a "$BOT3" '[.[] | select(.source.value == $a)] |
    length == 1' >/dev/null || nfl_fail "$BOT3 published not exactly once: $alerts"

nfl_daemon_alive || nfl_fail "A died"
kill -0 "$BPID" 2>/dev/null || nfl_fail "B died"
echo "PASS"
