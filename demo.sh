#!/usr/bin/env bash
# demo.sh: one office hour in a minute.  Builds a small network out of
# network namespaces (the office LAN, the gateway running the rules
# `nflogmon rules` prints for the demo's config and nflogmon with the nft
# backend, the internet's mail servers), plays an
# hour of SMTP traffic in fast-forward (1 s here = 1 min there: the demo's
# windows are 60 times shorter than the defaults), lets one workstation
# get infected, one web application get hacked and one mailbox's password
# get stolen (the MTA asks nflogmon's policy service about each message,
# played here by tests/e2e/tools/policy_client.py), and shows nflogmon
# catching all three.  Everything is removed at the end, on Ctrl-C or failure.
# Run as root (make demo, or ./make.sh demo on a fresh machine).
#
# The network is the one the end-to-end tests use (tests/e2e/lib.sh), so
# what the demo shows is what the tests check.
set -u
cd "$(dirname "$0")" || exit 1

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: needs root (it builds network namespaces); try: sudo make demo" >&2
	echo "demo: without root, the offline demo: make demo-offline" >&2
	exit 1
fi
[ -x build/nflogmon ] || make -s -j"$(nproc)" nflogmon || exit 1
export NFLOGMON=$PWD/build/nflogmon

# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh

if [ -t 1 ]; then
	B=$'\e[1m' R=$'\e[31m' G=$'\e[32m' Y=$'\e[33m' N=$'\e[0m'
else
	B="" R="" G="" Y="" N=""
fi
WEBAPP_UID=1001
T0=0

say() { printf '%s\n' "$*"; }
clock() { printf 't=%3ds' $((SECONDS - T0)); }

# The demo's config: defaults divided by 60 in time, the nft backend so
# the web app's uid can be blocked, a hook that writes the operator's alert.
demo_conf() {
	cat > "$NFL_WORK/hook" <<'EOF'
#!/bin/sh
# The demo's hook: what examples/hook-mail would mail the operator.
{
	echo "ALERT $1 $2: rule $3 after $4 connections"
	echo "  action $NFLOGMON_ACTION, strike ${NFLOGMON_STRIKE:-}, timeout ${NFLOGMON_TIMEOUT:-}"
	if [ -n "${NFLOGMON_ACCOUNT:-}" ]; then
		echo "  account $NFLOGMON_ACCOUNT suspended; client addresses:"
		echo "${NFLOGMON_CLIENTS:-}"
	else
		echo "  recent destinations:"
		echo "${NFLOGMON_RECENT_DESTINATIONS:-}"
	fi | fold -s -w 72 | sed '2,$s/^/    /'
} >> "$(dirname "$0")/alerts.log"
EOF
	chmod 755 "$NFL_WORK/hook"
	nfl_conf block.backend=nft \
	    detect.burst=20/1s detect.sustained=120/1m detect.fanout=15/10s \
	    block.timeout=10m block.escalate="10m, 1h" \
	    block.hook="$NFL_WORK/hook" block.hook_timeout=5s \
	    allow.addresses="$MTA4, $MTA6"
	# The MTA's policy service: an account seen from more than 5 client
	# addresses within 10 minutes (10 s here) is suspended.
	printf '[accounts]\nclients = 5/10s\n[mta]\npolicy_listen = unix:%s\npolicy_group = 0\n' \
	    "$NFL_WORK/policy.sock" >> "$NFL_CONF"
}

# Traffic of the hour, each sender a background process, bounded in count
# and time (lib.sh kills them by PID on exit).
sender() {	# namespace, uid or "", client.py arguments...
	local ns=$1 uid=$2; shift 2
	if [ -n "$uid" ]; then
		# The system's python: a per-user one (pyenv) is not readable
		# by another uid.
		ip netns exec "$ns" setpriv --reuid "$uid" --regid "$uid" \
		    --clear-groups /usr/bin/python3 "$NFL_TOOLS/client.py" "$@" \
		    >> "$NFL_WORK/senders.log" 2>&1 &
	else
		ip netns exec "$ns" python3 "$NFL_TOOLS/client.py" "$@" \
		    >> "$NFL_WORK/senders.log" 2>&1 &
	fi
	NFL_PIDS+=($!)
}

office_hour() {
	local h
	# Ten workstations: a handful of mails each over the hour.
	for h in 10 11 12 13 14 15 16 17 18 19; do
		sender "$NS_LAN" "" --src 192.0.2.$h --dst ${SRV4%.*}.$((128 + h))+3 \
		    --count 4 --interval $((6 + h % 5)) --deadline 50
	done
	# The MTA: the office's sanctioned mail server, the busiest sender
	# all hour (allowlisted: nflogmon counts it and never blocks it).
	sender "$NS_LAN" "" --src "$MTA4" --dst "$SRV4+8" --count 110 \
	    --interval 0.4 --deadline 50
}

infect_workstation() {	# 192.0.2.66 hammers ten mail exchangers
	sender "$NS_LAN" "" --src "$BOT4" --dst "$SRV4+10" --count 100 \
	    --interval 0.02 --timeout 1 --deadline 20
}

# A mail account's messages as the MTA's policy requests (one per
# message), from the given client addresses.
mail_account() {	# login, clients (ADDR+N), count, interval
	ip netns exec "$NS_GW" python3 "$NFL_TOOLS/policy_client.py" \
	    "$NFL_WORK/policy.sock" --login "$1" --clients "$2" --count "$3" \
	    --interval "$4" --deadline 45 >> "$NFL_WORK/accounts.log" 2>&1 &
	NFL_PIDS+=($!)
}

office_accounts() {	# three mailboxes, from the office and a phone
	mail_account alice@example.org 192.0.2.10 40 1
	mail_account bob@example.org 192.0.2.11+1 30 1.3
	mail_account bob@example.org 198.51.100.7 10 4
	mail_account carol@example.org 192.0.2.12 25 1.6
}

hijack_account() {	# jane's password, from a dozen addresses of a botnet
	mail_account jane@example.org 203.0.113.10+12 40 0.25
}

hack_webapp() {		# a web app on the gateway, as its own uid, fans out slowly
	sender "$NS_GW" "$WEBAPP_UID" --dst "${SRV4%.*}.160+60" --count 40 \
	    --interval 0.3 --timeout 1 --deadline 20
}

status_json() { nfl_in "$NS_GW" "$NFLOGMON" status -c "$NFL_CONF" --json 2>/dev/null; }

# One frame of the live view: the top talkers against the thresholds.
frame() {
	local js=$1
	printf '%s  %-22s %8s %10s %8s   %s\n' "$(clock)" "top talkers" "burst" \
	    "sustained" "fanout" "(thresholds 20/1s, 120/1m, 15/10s)"
	jq -r '[.top[] | select(.source | startswith("account:") | not)][:4][] |
	    [.source, .burst, .sustained, .fanout] | @tsv' <<<"$js" |
	while IFS=$'\t' read -r src b s f; do
		printf '        %-22s %8s %10s %8s\n' "$src" "$b" "$s" "$f"
	done
}

# Announces each new block once, as it happens.
announce_blocks() {
	local js=$1 src rule conns
	while IFS=$'\t' read -r src rule conns; do
		[ -n "$src" ] || continue
		grep -qxF "$src" "$NFL_WORK/announced" 2>/dev/null && continue
		echo "$src" >> "$NFL_WORK/announced"
		printf '%s  %s%sBLOCKED %s%s  rule %s after %s connections\n' \
		    "$(clock)" "$B" "$R" "$src" "$N" "$rule" "$conns"
	done < <(jq -r '.blocks[] | [.source, .rule, .connections] | @tsv' <<<"$js")
}

main() {
	say "${B}nflogmon demo${N}: an office hour in one minute (1 s here = 1 min of real traffic)"
	say ""
	say "  office LAN 192.0.2.0/24 ──► gateway: nflogmon rules + run ──► internet: 100 mail servers"
	say "  10 workstations, the MTA 192.0.2.25 (allowlisted), a web app as uid $WEBAPP_UID on the gateway"
	say "  mailboxes alice, bob, carol and jane @example.org, asked about by the MTA (policy service)"
	say ""
	say "Building the network (namespaces $NFL_ID-*)..."
	# The MTA is protected by nflogmon's allowlist, not left out by the
	# ruleset, so the demo shows it counted and never blocked.
	nfl_net_up --no-allow-rules
	demo_conf
	say "Capture rules from the config: nflogmon rules -c nflogmon.conf | nft -f -"
	nfl_rules_load nft
	nfl_daemon_start
	say "nflogmon is running on the gateway (nft backend, thresholds 20/1s, 120/1m, 15/10s)."
	say ""

	T0=$SECONDS
	office_hour
	office_accounts
	local infected=0 hacked=0 hijacked=0 js last=-5
	while [ $((SECONDS - T0)) -lt 42 ]; do
		if [ $infected = 0 ] && [ $((SECONDS - T0)) -ge 10 ]; then
			say "$(clock)  ${Y}192.0.2.66 is infected${N}: it starts hammering ten mail exchangers"
			infect_workstation; infected=1
		fi
		if [ $hacked = 0 ] && [ $((SECONDS - T0)) -ge 22 ]; then
			say "$(clock)  ${Y}the web app (uid $WEBAPP_UID) is hacked${N}: it sends spam from the gateway"
			hack_webapp; hacked=1
		fi
		if [ $hijacked = 0 ] && [ $((SECONDS - T0)) -ge 30 ]; then
			say "$(clock)  ${Y}jane@example.org's password is stolen${N}: a botnet sends through the MTA from 12 addresses"
			hijack_account; hijacked=1
		fi
		js=$(status_json) || nfl_fail "nflogmon status failed"
		announce_blocks "$js"
		if [ $((SECONDS - last)) -ge 5 ]; then
			frame "$js"; last=$SECONDS
		fi
		sleep 0.5
	done

	say ""
	say "${B}The operator's view: nflogmon status${N}"
	nfl_in "$NS_GW" "$NFLOGMON" status -c "$NFL_CONF"
	say ""
	say "${B}The kernel's view: nft list set inet nflogmon blocked4 / blocked_uids${N}"
	nfl_in "$NS_GW" nft list set inet nflogmon blocked4 | sed -n '/elements/,/}/p'
	nfl_in "$NS_GW" nft list set inet nflogmon blocked_uids | sed -n '/elements/,/}/p'
	say ""
	say "${B}The hook's alert (examples/hook-mail would mail this)${N}"
	cat "$NFL_WORK/alerts.log" 2>/dev/null || say "(no alert)"
	say ""
	local ok
	ok=$(grep -c '^ok .* 192\.0\.2\.66 \|^ok 192\.0\.2\.66 ' "$NFL_WORK/senders.log")
	say "The infected workstation got ${ok} of its 100 connections out before the block;"
	say "the workstations and the MTA were never blocked: ${G}$(nfl_mta_blocked)${N}."
	say "$(accounts_summary)"
	say "Cleaning up (namespaces removed)."
}

# What the policy service answered each account's messages.
accounts_summary() {
	local jane others
	jane=$(awk '$2 == "jane@example.org" && $1 == "DUNNO" { n++ }
	    END { print n + 0 }' "$NFL_WORK/accounts.log")
	others=$(awk '$2 ~ /@/ && $2 != "jane@example.org" && $1 != "DUNNO" &&
	    $1 != "summary" { n++ }
	    END { print n + 0 }' "$NFL_WORK/accounts.log")
	echo "The hijacked mailbox got $jane messages out before its suspension;"
	if [ "$others" -eq 0 ]; then
		echo "alice, bob and carol kept sending: ${G}none of their messages was refused${N}."
	else
		echo "alice, bob and carol: ${R}$others of their messages were refused${N}."
	fi
}

nfl_mta_blocked() {
	if status_json | jq -e --arg m "$MTA4" '.blocks[] | select(.source == $m)' >/dev/null; then
		echo "the MTA WAS BLOCKED"
	else
		echo "nobody else is in the sets"
	fi
}

main
