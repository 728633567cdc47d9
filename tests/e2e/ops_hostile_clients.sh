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
path = sys.argv[1]
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
for s in many:
    s.close()
print("connected", len(many))
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
nfl_in "$NS_GW" timeout 60 python3 "$NFL_WORK/hostile.py" "$NFL_WORK/nflogmon.sock" &
hpid=$!
NFL_PIDS+=($hpid)
# While it runs, the daemon still captures and blocks, and answers.
nfl_client --src $BOT4 --dst ${SRV4}+8 --port 25 --count 8 --timeout 1 >/dev/null
nfl_wait_until 10 nfl_set_has "$SET4" $BOT4 || nfl_fail "no block during the client flood"
wait $hpid || nfl_fail "hostile clients: see above"
nfl_daemon_alive || nfl_fail "daemon died"
ctl status --json | jq -e --arg b $BOT4 '.blocks[] | select(.source == $b)' \
    >/dev/null || nfl_fail "status after the flood"
# Open descriptors are back to a handful (nothing leaked).
n=$(ls /proc/$NFL_DAEMON_PID/fd | wc -l)
[ "$n" -lt 30 ] || nfl_fail "daemon holds $n fds after the clients left"
echo PASS
