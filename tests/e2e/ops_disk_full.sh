#!/usr/bin/env bash
# The disk fills up under the state store: its directory is a 4 MiB tmpfs
# in a private mount namespace of the daemon (unshare -m), filled by hand.
# Blocks still go into the kernel set at once, the failed commits show in
# status (backend.state_errors) and the log, the daemon goes on, nothing
# committed before is lost, and once there is room again the next block
# commits.  What was blocked or unblocked while it was full is written
# once there is room (status backend.state_unsaved falls to 0): those
# blocks with the bot's strike are in the store, the unblocked row gone.
. "$(dirname "$0")/lib.sh"
command -v unshare >/dev/null && command -v nsenter >/dev/null ||
    nfl_skip "unshare/nsenter not installed"
nfl_net_up
mkdir -p "$NFL_WORK/st"
nfl_conf daemon.state_file="$NFL_WORK/st/state"
ctl() { nfl_in "$NS_GW" "$NFLOGMON" "$@" -c "$NFL_CONF"; }
start_small() {
	unshare -m --propagation private sh -c \
	    'mount -t tmpfs -o size=4m nfltmp "$1" && exec ip netns exec "$2" "$3" run -f -c "$4"' \
	    sh "$NFL_WORK/st" "$NS_GW" "$NFLOGMON" "$NFL_CONF" >> "$NFL_WORK/daemon.log" 2>&1 &
	NFL_DAEMON_PID=$!
	NFL_PIDS+=($NFL_DAEMON_PID)
	nfl_wait_until 15 nfl_daemon_ready || nfl_fail "daemon not ready"
}
in_mnt() { nsenter -t "$NFL_DAEMON_PID" -m "$@"; }
errors() { nfl_status_json | jq '.backend.state_errors'; }
unsaved() { nfl_status_json | jq '.backend.state_unsaved'; }
none_unsaved() { [ "$(unsaved)" = 0 ]; }
rows() { in_mnt sqlite3 "$NFL_WORK/st/state" "$1" 2>/dev/null; }
listed() { ctl list --json | jq -e --arg s "$1" '.blocks[] | select(.source == $s)' >/dev/null; }

start_small
nfl_iptables_load
for i in 1 2 3; do ctl block 198.51.100.$i --timeout 2h >/dev/null || nfl_fail "block before"; done
e0=$(errors)
# Fill the disk (bounded: 4 MiB of 64 KiB blocks).
in_mnt dd if=/dev/zero of="$NFL_WORK/st/fill" bs=64k count=80 2>/dev/null
in_mnt df -k "$NFL_WORK/st" | tail -1 >&2
# Blocks while the disk is full: detected and manual.
nfl_client --src $BOT4 --dst ${SRV4}+8 --port 25 --count 8 --timeout 1 >/dev/null
nfl_wait_until 5 nfl_set_has "$SET4" $BOT4 || nfl_fail "the bot is not in the kernel set with the disk full"
for i in $(seq 10 40); do ctl block 198.51.100.$i --timeout 2h >/dev/null 2>&1; done
for i in 10 40; do nfl_set_has "$SET4" 198.51.100.$i || nfl_fail "198.51.100.$i not in the kernel set with the disk full"; done
ctl unblock 198.51.100.2 >/dev/null || nfl_fail "unblock with the disk full"
u1=$(unsaved)
[ "$u1" -ge 33 ] || nfl_fail "state_unsaved $u1 with 33 blocks and an unblock not written"
ctl status | grep -q "^state .*waiting to be written" ||
    nfl_fail "the human status does not show the unsaved blocks"
e1=$(errors)
nfl_log "disk full: state_errors $e0 -> $e1; $(nfl_status_json | jq -c .backend)"
[ "$e1" -gt "$e0" ] || nfl_fail "no state error in status with the disk full"
grep -q "state" "$NFL_WORK/daemon.log" || nfl_fail "nothing logged"
nfl_daemon_alive || nfl_fail "the daemon died with the disk full"
for i in 1 3; do listed 198.51.100.$i || nfl_fail "198.51.100.$i lost"; done
# Room again: the next block commits, and the store (read in the daemon's
# mount namespace, the tmpfs goes with it) holds every block committed.
in_mnt rm -f "$NFL_WORK/st/fill"
ctl block 198.51.100.99 --timeout 2h >/dev/null || nfl_fail "block after the disk has room"
# The retries wait up to 30 s between them; the disk was full for less.
nfl_wait_until 40 none_unsaved || nfl_fail "state_unsaved still $(unsaved) with room on the disk"
rows 'SELECT source FROM blocks' > "$NFL_WORK/committed" || cp /dev/null "$NFL_WORK/committed"
for i in 1 3 99 $(seq 10 40); do
	grep -qx "198.51.100.$i" "$NFL_WORK/committed" ||
	    nfl_fail "198.51.100.$i not in the store: $(tr '\n' ' ' < "$NFL_WORK/committed")"
done
grep -qx "$BOT4" "$NFL_WORK/committed" || nfl_fail "the bot's block, made with the disk full, is not in the store"
! grep -qx "198.51.100.2" "$NFL_WORK/committed" || nfl_fail "198.51.100.2, unblocked with the disk full, is still in the store"
[ "$(rows "SELECT count(*) FROM strikes WHERE source = '$BOT4'")" = 1 ] ||
    nfl_fail "the bot's strike was not written"
grep -q "written after an earlier failure" "$NFL_WORK/daemon.log" || nfl_fail "the catch-up is not logged"
nfl_log "committed rows after the disk had room again: $(wc -l < "$NFL_WORK/committed")"
echo PASS
