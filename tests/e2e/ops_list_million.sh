#!/usr/bin/env bash
# With 1,000,000 blocks held (a first-release text state file, backend
# none, nothing captured): `list` and `list --json` print every block once,
# `status --json` every block and blocks_by_rule, the human `status` the 20
# most recent and "999980 more: nflogmon list"; no reply is refused for
# size.  Clients that ask for the whole list and never read (or read late)
# neither stall the daemon (another client's status is answered meanwhile)
# nor grow its memory by their reply; one that never reads is dropped
# after the idle timeout, one that reads late still gets all of it.
. "$(dirname "$0")/lib.sh"
nfl_require
trap nfl_cleanup EXIT
trap 'exit 1' INT TERM
NFL_WORK=$(mktemp -d /tmp/nflogmon-e2e.XXXXXX)
nfl_ns_add "$NS_GW"
N=1000000
SOCK=$NFL_WORK/nflogmon.sock
ctl() { nfl_in "$NS_GW" "$NFLOGMON" "$@" -s "$SOCK"; }

nfl_conf_alone "$NFL_WORK/nflogmon.conf" < /dev/null

# The state: 131072 IPv4 sources of 198.18.0.0/15, then IPv6 /64s of
# 2001:db8::/32; rules in turn; every 1000th throttled, every 997th manual
# with a reason; since a permutation of the last N ms, so the 20 most
# recent are known.  expected.json keeps what the checks compare.
python3 - "$NFL_WORK" $N <<'PY' || nfl_fail "cannot write the state file"
import ipaddress, json, sys, time
work, n = sys.argv[1], int(sys.argv[2])
now = int(time.time() * 1e6)
rules = ("burst", "sustained", "fanout")
by_rule = {"burst": 0, "sustained": 0, "fanout": 0, "clients": 0,
           "recipients": 0, "foreign_senders": 0, "manual": 0,
           "fleet": 0}
recent, sample = [], {}
def src(i):
    if i < 131072:
        return "198.%d.%d.%d" % (18 + (i >> 16), (i >> 8) & 255, i & 255)
    j = i - 131072
    # As the daemon prints it (RFC 5952), e.g. 2001:db8::/64.
    return "%s/64" % ipaddress.IPv6Address((0x20010db8 << 96) |
                                           (j << 64))
with open(work + "/state", "w") as f:
    f.write("nflogmon-state 1\nsaved %d\n" % now)
    for i in range(n):
        s = src(i)
        age = (i * 7919) % n
        rule = "manual" if i % 997 == 0 else rules[i % 3]
        by_rule[rule] += 1
        act = "throttle" if i % 1000 == 1 else "block"
        rate = "5/60000000" if act == "throttle" else "-"
        reason = "ticket%20" + str(i) + "%20%22q%22" if rule == "manual" else "-"
        exp = "permanent" if i % 5 == 0 else str(now + 86400 * 10**6)
        f.write("block %s %s %s %d %d %s %d %d 1 %s %s\n" % (s, rule, act,
            i % 50, now - age * 1000, exp, 1 + i % 3, i % 7, rate, reason))
        if age < 20:
            recent.append(s)
        if i in (0, 997, 1001, 131072, n - 1):
            sample[s] = {"rule": rule, "response": act,
                "connections": i % 50, "since": (now - age * 1000) / 1e6,
                "strikes": 1 + i % 3, "enforced": True,
                "reason": 'ticket %d "q"' % i if rule == "manual" else None,
                "permanent": i % 5 == 0}
    f.write("end %d 0\n" % n)
json.dump({"by_rule": by_rule, "recent": recent, "sample": sample},
          open(work + "/expected.json", "w"))
PY

ip netns exec "$NS_GW" "$NFLOGMON" run -f -c "$NFL_WORK/nflogmon.conf" \
    >> "$NFL_WORK/daemon.log" 2>&1 &
NFL_DAEMON_PID=$!
NFL_PIDS+=($NFL_DAEMON_PID)
# Loading a million blocks takes a while; status answers once it is done.
nfl_wait_until 300 ctl status || nfl_fail "daemon did not come up"
grep -q "state: $N blocks" "$NFL_WORK/daemon.log" ||
    nfl_fail "state not restored: $(tail -n 3 "$NFL_WORK/daemon.log")"

check_list() {	# file: one JSON object {"blocks": [...]} of every block
	python3 - "$1" "$NFL_WORK/expected.json" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
exp = json.load(open(sys.argv[2]))
status = sys.argv[3] == "status"
b = d["blocks"]
if not status and list(d) != ["blocks"]:
    sys.exit("list --json has members %s" % list(d))
if len(b) != 1000000:
    sys.exit("%d blocks listed" % len(b))
srcs = set(x["source"] for x in b)
if len(srcs) != len(b):
    sys.exit("%d blocks listed more than once" % (len(b) - len(srcs)))
rows = {x["source"]: x for x in b}
for s, e in exp["sample"].items():
    r = rows.get(s)
    if r is None:
        sys.exit("%s not listed" % s)
    for k in ("rule", "response", "connections", "strikes", "enforced",
              "reason"):
        if r[k] != e[k]:
            sys.exit("%s: %s is %r, want %r" % (s, k, r[k], e[k]))
    if abs(r["since"] - e["since"]) > 1e-6:
        sys.exit("%s: since %r, want %r" % (s, r["since"], e["since"]))
    if (r["expires"] is None) != e["permanent"]:
        sys.exit("%s: expires %r" % (s, r["expires"]))
    if (r["response"] == "throttle") != ("throttle_rate" in r):
        sys.exit("%s: throttle_rate %r" % (s, r))
if status:
    if d["blocks_by_rule"] != exp["by_rule"]:
        sys.exit("blocks_by_rule %r, want %r" % (d["blocks_by_rule"],
                 exp["by_rule"]))
    for k in ("version", "uptime", "backend", "capture", "sources", "top",
              "hook", "breaker_trips"):
        if k not in d:
            sys.exit("status --json without %s" % k)
    # The protocol's own members stay between daemon and client.
    for k in ("ok", "stream", "count"):
        if k in d:
            sys.exit("status --json has %s" % k)
PY
}

ctl list --json > "$NFL_WORK/list.json" || nfl_fail "list --json"
check_list "$NFL_WORK/list.json" list || nfl_fail "list --json is wrong"
ctl status --json > "$NFL_WORK/status.json" || nfl_fail "status --json"
check_list "$NFL_WORK/status.json" status || nfl_fail "status --json is wrong"
[ "$(wc -l < "$NFL_WORK/status.json")" -eq 1 ] ||
    nfl_fail "status --json is not one line"
rm -f "$NFL_WORK/list.json" "$NFL_WORK/status.json"

# Human list: every block on its line, one table of each response.
ctl list > "$NFL_WORK/list.txt" || nfl_fail "list"
n=$(grep -cE '^(198\.1[89]\.|2001:db8:)' "$NFL_WORK/list.txt")
[ "$n" -eq $N ] || nfl_fail "list printed $n blocks, want $N"
[ "$(grep -c '^BLOCKED ' "$NFL_WORK/list.txt")" -eq 1 ] &&
    [ "$(grep -c '^THROTTLED ' "$NFL_WORK/list.txt")" -eq 1 ] ||
    nfl_fail "list: not one table of each response"
grep -q 'ticket 997 "q"' "$NFL_WORK/list.txt" || nfl_fail "list: no reason"
rm -f "$NFL_WORK/list.txt"

# Human status: the 20 most recent, then how many more.
ctl status > "$NFL_WORK/status.txt" || nfl_fail "status"
python3 - "$NFL_WORK/status.txt" "$NFL_WORK/expected.json" <<'PY' ||
import json, sys
lines = open(sys.argv[1]).read().splitlines()
exp = json.load(open(sys.argv[2]))
shown = [l.split()[0] for l in lines if l.startswith(("198.", "2001:db8:"))]
if sorted(shown) != sorted(exp["recent"]):
    sys.exit("status shows %s, want %s" % (shown, exp["recent"]))
if lines[-1] != "999980 more: nflogmon list":
    sys.exit("last line %r" % lines[-1])
if any(len(l) > 100 for l in lines):
    sys.exit("a line wider than 100")
PY
    nfl_fail "status: $(cat "$NFL_WORK/status.txt")"

# Clients that ask for the whole list and do not read.
rss() { awk '/^VmRSS:/ { print $2 }' /proc/$NFL_DAEMON_PID/status; }
rss0=$(rss)
cat > "$NFL_WORK/slow.py" <<'PY'
import json, socket, struct, subprocess, sys, time
path, status_cmd = sys.argv[1], sys.argv[2:]
def ask():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(20)
    s.connect(path)
    req = b'{"cmd":"list"}'
    s.sendall(struct.pack(">I", len(req)) + req)
    return s
def read_stream(s):
    """Messages until the end; (rows of the end message, True) or
    (None, False) when the daemon closed first."""
    buf, off, first = bytearray(), 0, True
    while True:
        try:
            chunk = s.recv(1 << 20)
        except ConnectionResetError:
            return None, False
        if not chunk:
            return None, False
        del buf[:off]
        off = 0
        buf += chunk
        while len(buf) - off >= 4:
            n = struct.unpack_from(">I", buf, off)[0]
            if len(buf) - off < 4 + n:
                break
            msg = buf[off + 4:off + 4 + n]
            off += 4 + n
            if msg[:1] == b"R":
                continue
            if first:
                first = False
                continue
            return json.loads(bytes(msg))["rows"], True
late, never = ask(), ask()
time.sleep(1)
# Both stalled with a million rows to go: another client is answered.
t = time.time()
r = subprocess.run(status_cmd, stdout=subprocess.DEVNULL)
print("status rc %d in %.2f s" % (r.returncode, time.time() - t))
if r.returncode != 0:
    sys.exit("status failed while two listings stall")
sys.stdout.flush()
sys.stdin.readline()		# the shell measures the daemon's memory
# The late reader reads now (within the idle timeout): all of it.
rows, ended = read_stream(late)
if not ended or rows != 1000000:
    sys.exit("late reader got %r rows, ended %r" % (rows, ended))
print("late reader: %d rows" % rows)
# The one that never read is dropped after the idle timeout.
time.sleep(max(0, 7 - (time.time() - t)))
rows, ended = read_stream(never)
if ended:
    sys.exit("a client that never read was kept to the end")
print("never-reader dropped")
PY
coproc SLOW { python3 "$NFL_WORK/slow.py" "$SOCK" ip netns exec "$NS_GW" \
    "$NFLOGMON" status -s "$SOCK" 2>&1; }
slow_pid=$SLOW_PID
NFL_PIDS+=($slow_pid)
read -r -t 60 line <&"${SLOW[0]}" || nfl_fail "slow clients: no answer"
echo "$line"
case $line in "status rc 0"*) ;; *) nfl_fail "slow clients: $line" ;; esac
rss1=$(rss)
echo >&"${SLOW[1]}"
out=$(timeout 60 cat <&"${SLOW[0]}")
echo "$out"
wait "$slow_pid" || nfl_fail "slow clients: $out"
grep -q 'never-reader dropped' <<< "$out" || nfl_fail "slow clients: $out"
# Two stalled listings cost their snapshots of keys (28 bytes a block)
# and a buffer each, not their 200 MB replies.
echo "daemon RSS ${rss0} kB, ${rss1} kB with two stalled listings"
[ $((rss1 - rss0)) -lt $((96 * 1024)) ] ||
    nfl_fail "daemon grew by $((rss1 - rss0)) kB for two stalled listings"
ctl status > /dev/null || nfl_fail "status after the slow clients"
exit 0
