#!/usr/bin/env bash
# Hostile control clients: garbage, an oversized length, a partial message
# left hanging, a client that asks and never reads, and 1000 clients at
# once.  The daemon keeps running, keeps serving status, and keeps
# capturing and blocking meanwhile; the hanging clients are dropped.
. "$(dirname "$0")/lib.sh"
nfl_net_up
nfl_conf
ctl() { nfl_in "$NS_GW" "$NFLOGMON" "$@" -c "$NFL_CONF"; }
nfl_daemon_start
nfl_iptables_load

cat > "$NFL_WORK/hostile.py" <<'PY'
import socket, struct, sys, time, json
path, release = sys.argv[1], sys.argv[2]
def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    return s
def closed_by_server(s):
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True		# closed with our bytes unread
    except socket.timeout:
        return False
# Garbage, oversized, a JSON array, a zero length: each is closed.
for payload in (struct.pack(">I", 5) + b"hello",
                struct.pack(">I", 10 * 1024 * 1024) + b"{",
                struct.pack(">I", 2) + b"[]",
                struct.pack(">I", 0),
                b"\xff" * 100000):
    s = conn()
    try:
        s.sendall(payload)
    except (BrokenPipeError, ConnectionResetError):
        continue
    if not closed_by_server(s):
        print("FAIL: server kept a bad client open:", payload[:12]); sys.exit(1)
    s.close()
# A partial message and a client that never reads its replies stay open
# while the others are served, and are dropped after the idle timeout.
hang = conn(); hang.sendall(struct.pack(">I", 100) + b'{"cmd"')
req = json.dumps({"cmd": "status"}).encode()
greedy = conn()
greedy.setblocking(False)
try:
    for i in range(5000):
        greedy.send(struct.pack(">I", len(req)) + req)
except BlockingIOError:
    pass
greedy.setblocking(True); greedy.settimeout(10)
# 1000 clients at once (bounded by the time the kernel accepts them).
many = []
for i in range(1000):
    try:
        many.append(conn())
    except OSError:
        pass
print("connected", len(many), flush=True)
# Held open (with the partial and the greedy one) until the test has been
# served and has captured beside them: at most 30 s.
for i in range(300):
    try:
        open(release).close()
        break
    except OSError:
        time.sleep(0.1)
for s in many:
    s.close()
t = time.time()
hang.settimeout(15)
if not closed_by_server(hang):
    print("FAIL: partial client not dropped"); sys.exit(1)
print("partial dropped after %.1f s" % (time.time() - t))
# The greedy one: drain what it has; the daemon must end it.  A close with
# its unread requests still queued makes the kernel send a reset instead
# of a FIN, so a reset is a drop too; only a timeout means it stayed.
try:
    while greedy.recv(65536):
        pass
    print("greedy dropped (EOF)")
except ConnectionResetError:
    print("greedy dropped (reset)")
except socket.timeout as e:
    print("FAIL: greedy client not dropped:", e); sys.exit(1)
PY
packets() { ctl status --json | jq '[.capture.groups[].packets] | add'; }
lost() { ctl status --json | jq '[.capture.groups[] | .dropped + .seq_gaps + .enobufs] | add'; }
p0=$(packets) l0=$(lost)
rss0=$(awk '/^VmRSS/ { print $2 }' /proc/$NFL_DAEMON_PID/status)
nfl_in "$NS_GW" timeout 90 python3 "$NFL_WORK/hostile.py" \
    "$NFL_WORK/nflogmon.sock" "$NFL_WORK/release" > "$NFL_WORK/hostile.out" &
hpid=$!
NFL_PIDS+=($hpid)
nfl_wait_until 30 grep -q '^connected' "$NFL_WORK/hostile.out" ||
    nfl_fail "the clients did not connect: $(cat "$NFL_WORK/hostile.out")"
nfl_log "$(grep '^connected' "$NFL_WORK/hostile.out") control clients held open"
# While they are held, the daemon answers others, captures and blocks.
t0=$(date +%s.%N)
timeout 5 ip netns exec "$NS_GW" "$NFLOGMON" status -c "$NFL_CONF" >/dev/null ||
    nfl_fail "status not served beside the held clients"
nfl_log "status served in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }') s beside them"
nfl_client --src $BOT4 --dst ${SRV4}+8 --port 25 --count 8 --timeout 1 >/dev/null
nfl_wait_until 10 nfl_set_has "$SET4" $BOT4 || nfl_fail "no block during the client flood"
p1=$(packets) l1=$(lost)
[ $((p1 - p0)) -ge 8 ] || nfl_fail "NFLOG messages under abuse: $((p1 - p0)), want >= 8"
[ "$l1" = "$l0" ] || nfl_fail "NFLOG messages lost under abuse: $l0 -> $l1"
rss1=$(awk '/^VmRSS/ { print $2 }' /proc/$NFL_DAEMON_PID/status)
nfl_log "under abuse: $((p1 - p0)) NFLOG messages counted, none lost; resident memory +$((rss1 - rss0)) KiB"
[ $((rss1 - rss0)) -lt 16384 ] ||
    nfl_fail "resident memory grew by $((rss1 - rss0)) KiB under 1000 clients (want < 16 MiB)"
touch "$NFL_WORK/release"
wait $hpid || nfl_fail "hostile clients: $(cat "$NFL_WORK/hostile.out")"
nfl_daemon_alive || nfl_fail "daemon died"
ctl status --json | jq -e --arg b $BOT4 '.blocks[] | select(.source == $b)' \
    >/dev/null || nfl_fail "status after the flood"
# Open descriptors are back to a handful (nothing leaked).
n=$(ls /proc/$NFL_DAEMON_PID/fd | wc -l)
[ "$n" -lt 30 ] || nfl_fail "daemon holds $n fds after the clients left"
echo PASS
