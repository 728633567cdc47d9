#!/usr/bin/env bash
# Without CAP_NET_ADMIN (an unprivileged uid, no account needed) the
# daemon refuses to start with one clear line saying what is missing and
# how to fix it, exit non-zero, and leaves nothing behind.
. "$(dirname "$0")/lib.sh"
nfl_require
trap nfl_cleanup EXIT
trap 'exit 1' INT TERM
NFL_WORK=$(mktemp -d /tmp/nflogmon-e2e.XXXXXX)
chmod 755 "$NFL_WORK"
nfl_ns_add "$NS_GW"
# Its socket and state in a directory it may write: what it lacks is the
# capability, nothing else.
mkdir "$NFL_WORK/run" && chown 4242:4242 "$NFL_WORK/run"
nfl_conf block.backend=none daemon.control_socket="$NFL_WORK/run/sock" \
    daemon.state_file="$NFL_WORK/run/state"
chmod 644 "$NFL_CONF"

timeout 10 ip netns exec "$NS_GW" setpriv --reuid 4242 --regid 4242 \
    --clear-groups --inh-caps=-all "$NFLOGMON" run -f -c "$NFL_CONF" \
    > "$NFL_WORK/refused.log" 2>&1
rc=$?
cat "$NFL_WORK/refused.log" >&2
[ $rc -ne 124 ] || nfl_fail "daemon started without CAP_NET_ADMIN"
[ $rc -ne 0 ] || nfl_fail "daemon exited 0"
[ "$(wc -l < "$NFL_WORK/refused.log")" -le 3 ] || nfl_fail "more than a short error"
grep -qi 'CAP_NET_ADMIN\|run as root' "$NFL_WORK/refused.log" ||
    nfl_fail "the error does not say what is missing"
nfl_in "$NS_GW" awk 'END { exit NR != 0 }' /proc/net/netfilter/nfnetlink_log ||
    nfl_fail "an NFLOG group is still bound"
echo PASS
