# lib.sh: the small network every e2e test runs in.  Source it, call
# nfl_net_up, then start the daemon with nfl_daemon_start.
#
#   LAN namespace          gateway namespace          "internet" namespace
#   eth0 192.0.2.2  ------ lan0 192.0.2.1
#                          [nflogmon run]
#                          wan0 203.0.113.1 --------- eth0 203.0.113.2
#   hosts 192.0.2.10-19, 66-69 (+ 2001:db8:1::same)   servers 203.0.113.128/25,
#   MTA 192.0.2.25, 2001:db8:1::25                      2001:db8:ff:1::/64
#   v6 hosts 2001:db8:2::/64 (routed)                   (TCP sinks, ports 25, 80)
#   floods 198.18.0.0/15 (routed)
#   The gateway forwards.  Its capture rules come from the daemon's own
#   config, as the README tells operators: `nflogmon rules | nft -f -`
#   before the daemon starts (nft and none backends), or `nflogmon rules
#   --iptables` / `--ip6tables` once the daemon made its ipsets
#   (nfl_iptables_load, ipset backend).
#
# Everything lives in three network namespaces named per run
# (nfl-PID-RANDOM-{lan,gw,net}); the host's own firewall, sets and routes
# are never touched.  `trap nfl_cleanup EXIT` (set by nfl_net_up) kills the
# processes this file started, by PID, and deletes the namespaces, even on
# failure.  Only documentation addresses are used.  The LAN and internet
# namespaces treat whole prefixes as local (AnyIP routes), so a client may
# use any source address of the LAN prefixes and reach any server address.
#
# Exit codes: nfl_fail exits 1, nfl_skip exits 77 with the reason on the
# last line (only for what CI cannot lack: root).  A missing tool fails.

set -u

NFL_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NFL_TOOLS=$NFL_TOP/tests/e2e/tools
NFLOGMON=${NFLOGMON:-$NFL_TOP/build/nflogmon}

NFL_ID="nfl-$$-$RANDOM"
NS_LAN=$NFL_ID-lan
NS_GW=$NFL_ID-gw
NS_NET=$NFL_ID-net
# Set names: unique per run, <= 31 characters with the "6".
SET4="nfl$$r$RANDOM"
SET6="${SET4}6"

# Addresses of the plan above.
LAN_GW4=192.0.2.1
LAN_GW6=2001:db8:1::1
MTA4=192.0.2.25
MTA6=2001:db8:1::25
BOT4=192.0.2.66
OFFICE4=192.0.2.10		# office hosts: 192.0.2.10, .11, .12...
HOST6_NET=2001:db8:2::		# the second LAN /64 (v6 hosts)
SRV4=203.0.113.128		# 100 servers: 203.0.113.128+100
SRV6=2001:db8:ff:1::		# servers: 2001:db8:ff:1::100+100

NFL_WORK=""
NFL_LAN_IF=${NFL_LAN_IF:-lan0}	# the gateway's LAN interface
NFL_NET_UP=0
NFL_RULES=""			# the rules loaded: "", nft, iptables
NFL_LOG_ALLOWED=no		# [capture] log_allowed of nfl_conf
NFL_PIDS=()
NFL_DAEMON_PID=""
NFL_NS_MADE=()

nfl_log() { echo "[$(date +%T.%N | cut -c1-12)] $*" >&2; }
nfl_fail() {
	echo "FAIL: $*" >&2
	exit 1
}
nfl_skip() {
	echo "SKIP: $*"
	exit 77
}

# Runs a command in a namespace.
nfl_in() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

nfl_require() {
	local t
	[ "$(id -u)" -eq 0 ] || nfl_skip "needs root (network namespaces)"
	for t in ip nft ipset iptables-restore ip6tables-restore python3 jq \
	    timeout; do
		command -v "$t" >/dev/null || nfl_fail "missing tool: $t"
	done
	[ -x "$NFLOGMON" ] || nfl_fail "no nflogmon binary at $NFLOGMON (make)"
}

# Kills one process started here, by PID, and reaps it.
nfl_kill() {
	local pid=$1
	[ -n "$pid" ] || return 0
	kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
	kill -CONT "$pid" 2>/dev/null
	kill -TERM "$pid" 2>/dev/null
	local i
	for i in $(seq 1 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

nfl_cleanup() {
	local rc=$? pid ns
	set +e
	for pid in "${NFL_PIDS[@]}"; do
		nfl_kill "$pid"
	done
	for ns in "${NFL_NS_MADE[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	if [ -n "$NFL_WORK" ] && [ -d "$NFL_WORK" ]; then
		# The daemon's log on failure (or always with NFL_VERBOSE=1).
		if [ -f "$NFL_WORK/daemon.log" ] &&
		    { [ $rc -ne 0 ] && [ $rc -ne 77 ] ||
		    [ "${NFL_VERBOSE:-0}" = 1 ]; }; then
			echo "--- daemon log (last 40 lines):" >&2
			tail -n 40 "$NFL_WORK/daemon.log" >&2
		fi
		rm -rf "$NFL_WORK"
	fi
	exit $rc
}

# Polls a command until it succeeds, at most TIMEOUT_S seconds.
nfl_wait_until() {
	local timeout_s=$1; shift
	local end=$((SECONDS + timeout_s))
	while ! "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.1
	done
	return 0
}

nfl_ns_add() {
	ip netns add "$1" || nfl_fail "cannot create namespace $1"
	NFL_NS_MADE+=("$1")
	nfl_in "$1" ip link set lo up
}

# Builds the three namespaces, their links, addresses and routes and starts
# the TCP sinks.  Options:
#   --no-allow-rules   rules that log the allowlisted MTA too (log_allowed
#                      = yes, the default of nflogmon.conf), so the daemon's
#                      own allowlist is what is tested; without it the tests
#                      run with log_allowed = no
nfl_net_up() {
	[ "${1:-}" = --no-allow-rules ] && NFL_LOG_ALLOWED=yes
	nfl_require
	trap nfl_cleanup EXIT
	trap 'exit 1' INT TERM
	NFL_WORK=$(mktemp -d /tmp/nflogmon-e2e.XXXXXX)

	nfl_ns_add "$NS_LAN"
	nfl_ns_add "$NS_GW"
	nfl_ns_add "$NS_NET"

	ip -n "$NS_GW" link add $NFL_LAN_IF type veth peer name eth0 netns "$NS_LAN" ||
	    nfl_fail "veth lan"
	ip -n "$NS_GW" link add wan0 type veth peer name eth0 netns "$NS_NET" ||
	    nfl_fail "veth wan"

	# Gateway.
	nfl_in "$NS_GW" sysctl -qw net.ipv4.ip_forward=1 \
	    net.ipv6.conf.all.forwarding=1 || nfl_fail "sysctl forwarding"
	ip -n "$NS_GW" addr add $LAN_GW4/24 dev $NFL_LAN_IF
	ip -n "$NS_GW" addr add $LAN_GW6/64 dev $NFL_LAN_IF nodad
	ip -n "$NS_GW" addr add 203.0.113.1/24 dev wan0
	ip -n "$NS_GW" addr add 2001:db8:ff::1/64 dev wan0 nodad
	ip -n "$NS_GW" link set $NFL_LAN_IF up
	ip -n "$NS_GW" link set wan0 up
	ip -n "$NS_GW" route add 198.18.0.0/15 via 192.0.2.2
	ip -n "$NS_GW" -6 route add ${HOST6_NET}/64 via 2001:db8:1::2
	ip -n "$NS_GW" route add 203.0.113.128/25 via 203.0.113.2
	ip -n "$NS_GW" -6 route add ${SRV6}/64 via 2001:db8:ff::2

	# LAN: the hosts on the link have their addresses; the routed
	# prefixes (v6 hosts, floods) are local as a whole (AnyIP).
	local a
	ip -n "$NS_LAN" addr add 192.0.2.2/24 dev eth0
	ip -n "$NS_LAN" addr add 2001:db8:1::2/64 dev eth0 nodad
	for a in 10 11 12 13 14 15 16 17 18 19 25 66 67 68 69; do
		ip -n "$NS_LAN" addr add 192.0.2.$a/32 dev eth0
		ip -n "$NS_LAN" addr add 2001:db8:1::$a/128 dev eth0 nodad
	done
	ip -n "$NS_LAN" link set eth0 up
	ip -n "$NS_LAN" route add default via $LAN_GW4
	ip -n "$NS_LAN" -6 route add default via $LAN_GW6
	ip -n "$NS_LAN" route add local 198.18.0.0/15 dev lo
	ip -n "$NS_LAN" -6 route add local ${HOST6_NET}/64 dev lo

	# Internet: the servers' prefixes are local.
	ip -n "$NS_NET" addr add 203.0.113.2/24 dev eth0
	ip -n "$NS_NET" addr add 2001:db8:ff::2/64 dev eth0 nodad
	ip -n "$NS_NET" link set eth0 up
	ip -n "$NS_NET" route add default via 203.0.113.1
	ip -n "$NS_NET" -6 route add default via 2001:db8:ff::1
	ip -n "$NS_NET" route add local 203.0.113.128/25 dev lo
	ip -n "$NS_NET" -6 route add local ${SRV6}/64 dev lo

	NFL_NET_UP=1
	nfl_server_start
	# The path works both ways before any test relies on it.
	nfl_wait_until 10 nfl_connect_ok $OFFICE4 $SRV4 80 ||
	    nfl_fail "network: IPv4 path broken"
	nfl_wait_until 10 nfl_connect_ok 2001:db8:1::10 ${SRV6}100 80 ||
	    nfl_fail "network: IPv6 path broken"
}

# Loads the rules `nflogmon rules` makes of $NFL_CONF into the gateway:
# nft (the default) or iptables (IPv4 and IPv6, after the daemon made
# its ipsets).  Loading nft again is safe (the README's reload).
nfl_rules_load() {
	local kind=${1:-nft}
	[ -n "${NFL_CONF:-}" ] || nfl_conf
	case $kind in
	nft)
		"$NFLOGMON" rules -c "$NFL_CONF" > "$NFL_WORK/rules.nft" ||
		    nfl_fail "nflogmon rules"
		nfl_in "$NS_GW" nft -f "$NFL_WORK/rules.nft" ||
		    nfl_fail "nflogmon rules | nft -f -"
		;;
	iptables)
		"$NFLOGMON" rules --iptables -c "$NFL_CONF" \
		    > "$NFL_WORK/rules.iptables" || nfl_fail "nflogmon rules --iptables"
		"$NFLOGMON" rules --ip6tables -c "$NFL_CONF" \
		    > "$NFL_WORK/rules.ip6tables" || nfl_fail "nflogmon rules --ip6tables"
		nfl_in "$NS_GW" iptables-restore --noflush < "$NFL_WORK/rules.iptables" ||
		    nfl_fail "nflogmon rules --iptables | iptables-restore --noflush"
		nfl_in "$NS_GW" ip6tables-restore --noflush < "$NFL_WORK/rules.ip6tables" ||
		    nfl_fail "nflogmon rules --ip6tables | ip6tables-restore --noflush"
		;;
	*) nfl_fail "nfl_rules_load: unknown kind $kind" ;;
	esac
	NFL_RULES=$kind
}

# The ipset backend's rules (capture and enforcement), once: loading them
# again would insert the jumps again, and every SYN would be logged twice.
nfl_iptables_load() {
	[ "$NFL_RULES" = iptables ] || nfl_rules_load iptables
}

nfl_server_start() {
	# Not through nfl_in: a function would fork, and $! would not be the
	# server.
	ip netns exec "$NS_NET" python3 "$NFL_TOOLS/server.py" 25 80 \
	    > "$NFL_WORK/server.log" 2>&1 &
	NFL_PIDS+=($!)
	nfl_wait_until 10 grep -q '^ready' "$NFL_WORK/server.log" ||
	    nfl_fail "TCP server did not start: $(cat "$NFL_WORK/server.log")"
}

# Runs the client in the LAN namespace; arguments go to client.py.
nfl_client() {
	nfl_in "$NS_LAN" python3 "$NFL_TOOLS/client.py" "$@"
}

# One connection SRC -> DST:PORT; true when it was accepted.
nfl_connect_ok() {
	nfl_client --src "$1" --dst "$2" --port "$3" --count 1 --timeout 2 |
	    grep -q '^ok '
}
# One connection; true when it was refused by a reset.
nfl_connect_refused() {
	nfl_client --src "$1" --dst "$2" --port "$3" --count 1 --timeout 2 |
	    grep -q '^refused '
}

# Writes FILE: a config for the daemon alone (no capture, backend none),
# its control socket and state in $NFL_WORK; more sections from stdin.
nfl_conf_alone() {
	{
		printf '[daemon]\ncontrol_socket = %s\nstate_file = %s\n' \
		    "$NFL_WORK/nflogmon.sock" "$NFL_WORK/state"
		printf '[capture]\nforward_group = off\noutput_group = off\n'
		printf '[block]\nbackend = none\n'
		cat
	} > "$1"
}

# Writes the daemon's config to $NFL_WORK/nflogmon.conf: the defaults of
# the tests, with any "section.key=value" arguments replacing or adding.
nfl_conf() {
	declare -A kv=(
		[daemon.control_socket]="$NFL_WORK/nflogmon.sock"
		[daemon.state_file]="$NFL_WORK/state"
		[capture.forward_group]=1
		[capture.output_group]=2
		[capture.ports]=25
		[capture.lan_interfaces]=$NFL_LAN_IF
		[capture.log_allowed]=$NFL_LOG_ALLOWED
		[detect.burst]=5/1m
		[detect.sustained]=off
		[detect.fanout]=off
		[block.backend]=ipset
		[block.create_sets]=yes
		[block.ipset_name]="$SET4"
		[block.ipset_maxelem]=65536
		[block.timeout]=1h
		[block.escalate]=1h
		[block.max_new_blocks]=20/1m
		[allow.addresses]="$MTA4, $MTA6"
	)
	local a sec key
	for a in "$@"; do
		kv[${a%%=*}]=${a#*=}
	done
	{
		for sec in daemon capture detect block allow; do
			echo "[$sec]"
			for key in "${!kv[@]}"; do
				[ "${key%%.*}" = "$sec" ] || continue
				echo "${key#*.} = ${kv[$key]}"
			done
		done
	} > "$NFL_WORK/nflogmon.conf"
	NFL_CONF=$NFL_WORK/nflogmon.conf
}

# Starts `nflogmon run -f` in the gateway, in the background, and waits
# (bounded) until its sets exist and its NFLOG groups are bound.
nfl_daemon_start() {
	[ -n "${NFL_CONF:-}" ] || nfl_conf
	# nft and none backends: the rules before the start, so the daemon's
	# ruleset check sees them (ipset: nfl_iptables_load after it).
	if [ "$NFL_NET_UP" = 1 ] && [ -z "$NFL_RULES" ] &&
	    ! grep -q '^\s*backend\s*=\s*ipset' "$NFL_CONF"; then
		nfl_rules_load nft
	fi
	ip netns exec "$NS_GW" "$NFLOGMON" run -f -c "$NFL_CONF" \
	    >> "$NFL_WORK/daemon.log" 2>&1 &
	NFL_DAEMON_PID=$!
	NFL_PIDS+=($NFL_DAEMON_PID)
	nfl_wait_until 15 nfl_daemon_ready ||
	    nfl_fail "daemon not ready within 15 s"
	nfl_log "daemon ready (pid $NFL_DAEMON_PID)"
}

nfl_daemon_ready() {
	kill -0 "$NFL_DAEMON_PID" 2>/dev/null ||
	    nfl_fail "daemon exited: $(tail -n 5 "$NFL_WORK/daemon.log")"
	if grep -q '^\s*backend\s*=\s*ipset' "$NFL_CONF"; then
		nfl_in "$NS_GW" ipset list -n 2>/dev/null | grep -qx "$SET4" ||
		    return 1
		nfl_in "$NS_GW" ipset list -n 2>/dev/null | grep -qx "$SET6" ||
		    return 1
	fi
	# /proc/net/netfilter/nfnetlink_log: one line per bound group, the
	# group number first.
	nfl_in "$NS_GW" awk '$1 == 1 { found = 1 } END { exit !found }' \
	    /proc/net/netfilter/nfnetlink_log
}

nfl_daemon_alive() { kill -0 "$NFL_DAEMON_PID" 2>/dev/null; }

nfl_daemon_stop() {
	nfl_kill "$NFL_DAEMON_PID"
	NFL_DAEMON_PID=""
}

# The entries of a set in the gateway, one "ADDR[/PLEN] timeout N" a line.
nfl_set_entries() {
	nfl_in "$NS_GW" ipset save "$1" | awk '$1 == "add" { $1 = ""; $2 = ""; sub(/^ +/, ""); print }'
}
# True when the set holds ADDR (as listed).
nfl_set_has() {
	nfl_set_entries "$1" | awk -v a="$2" '$1 == a { found = 1 } END { exit !found }'
}

# The daemon's view (needs the control socket; "" when it has none).
nfl_status_json() {
	nfl_in "$NS_GW" "$NFLOGMON" status -c "$NFL_CONF" --json 2>/dev/null
}
nfl_list_json() {
	nfl_in "$NS_GW" "$NFLOGMON" list -c "$NFL_CONF" --json 2>/dev/null
}
# True when `nflogmon list` answers at all (the control socket exists).
nfl_have_ctl() {
	local j
	j=$(nfl_list_json) && [ -n "$j" ] &&
	    echo "$j" | jq -e '.blocks | type == "array"' >/dev/null 2>&1
}

# One SQL query on the daemon's state store (an SQLite database), one row
# a line, columns separated by '|'.  The daemon may be running (WAL).
nfl_state_sql() {
	command -v sqlite3 >/dev/null || nfl_fail "sqlite3 is not installed (scripts/install-deps.sh)"
	sqlite3 "$NFL_WORK/state" "$1"
}
