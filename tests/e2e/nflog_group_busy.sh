#!/usr/bin/env bash
# An NFLOG group already bound by another program (here tcpdump, as an
# operator capturing for tuning might do): the daemon refuses to start with
# one clear line naming the group and the likely culprit, exit non-zero,
# and starts normally once the group is free.
. "$(dirname "$0")/lib.sh"
nfl_require
command -v tcpdump >/dev/null || nfl_fail "missing tool: tcpdump"
trap nfl_cleanup EXIT
trap 'exit 1' INT TERM
NFL_WORK=$(mktemp -d /tmp/nflogmon-e2e.XXXXXX)
nfl_ns_add "$NS_GW"
nfl_conf block.backend=none

ip netns exec "$NS_GW" tcpdump -i nflog:1 -s 0 -w "$NFL_WORK/cap.pcap" \
    > "$NFL_WORK/tcpdump.log" 2>&1 &
tpid=$!
NFL_PIDS+=($tpid)
nfl_wait_until 10 nfl_in "$NS_GW" awk '$1 == 1 { f = 1 } END { exit !f }' \
    /proc/net/netfilter/nfnetlink_log || nfl_fail "tcpdump did not bind group 1"

timeout 10 ip netns exec "$NS_GW" "$NFLOGMON" run -f -c "$NFL_CONF" \
    > "$NFL_WORK/refused.log" 2>&1
rc=$?
cat "$NFL_WORK/refused.log" >&2
[ $rc -ne 124 ] || nfl_fail "daemon started although group 1 is bound"
[ $rc -ne 0 ] || nfl_fail "daemon exited 0"
grep -qi 'group 1.*already bound' "$NFL_WORK/refused.log" ||
    nfl_fail "no clear error naming the bound group"

nfl_kill "$tpid"
nfl_daemon_start
nfl_daemon_alive || nfl_fail "daemon did not start once the group was free"
echo PASS
