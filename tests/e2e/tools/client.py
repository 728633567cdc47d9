#!/usr/bin/env python3
"""TCP client for the e2e tests: opens COUNT connections, one after the
other, and reports each one as ok (the handshake completed), refused (a
TCP reset in reply to the SYN), timeout or error.

  client.py --src 192.0.2.66 --dst 203.0.113.128+100 --port 25 --count 100

ADDR+N stands for N consecutive addresses from ADDR (IPv4 or IPv6).
Connection i goes from source i mod |src| to destination i mod |dst|; a
source that is not an address of this namespace needs a local route
(AnyIP); IP_FREEBIND is set so it can be bound.  Bounded: at most COUNT
connections, each within --timeout, all within --deadline seconds.

Output: one line per connection "RESULT SRC DST PORT", then
"summary ok=N refused=N timeout=N error=N"; with --json a single JSON
object {"ok": N, ..., "results": [[result, src, dst, port], ...]}."""
import argparse
import errno
import ipaddress
import json
import socket
import sys
import time

IP_FREEBIND = 15
IPV6_FREEBIND = 78


def addr_range(spec):
    base, _, n = spec.partition("+")
    ip = ipaddress.ip_address(base)
    return [str(ip + i) for i in range(int(n) if n else 1)]


def connect_one(src, dst, port, timeout):
    fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    try:
        s.settimeout(timeout)
        if src:
            if fam == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, IPV6_FREEBIND, 1)
            else:
                s.setsockopt(socket.IPPROTO_IP, IP_FREEBIND, 1)
            s.bind((src, 0))
        s.connect((dst, port))
        return "ok"
    except ConnectionRefusedError:
        return "refused"
    except (socket.timeout, TimeoutError):
        return "timeout"
    except OSError as e:
        if e.errno in (errno.ECONNREFUSED, errno.ECONNRESET):
            return "refused"
        if e.errno == errno.ETIMEDOUT:
            return "timeout"
        if e.errno == errno.EPIPE:
            # A reset in CLOSE_WAIT (tcp_reset): the handshake completed
            # and the server's FIN came before a reset raced the check of
            # connect's result.  The connection got through.
            return "ok"
        return "error:" + (errno.errorcode.get(e.errno, str(e.errno)))
    finally:
        s.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--src", action="append", default=[],
                    help="source ADDR or ADDR+N (repeatable)")
    ap.add_argument("--dst", action="append", required=True,
                    help="destination ADDR or ADDR+N (repeatable)")
    ap.add_argument("--port", type=int, default=25)
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--interval", type=float, default=0.0,
                    help="pause between connections, seconds")
    ap.add_argument("--timeout", type=float, default=2.0)
    ap.add_argument("--deadline", type=float, default=60.0)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    srcs = [a for spec in args.src for a in addr_range(spec)] or [None]
    dsts = [a for spec in args.dst for a in addr_range(spec)]
    if args.count > 100000:
        sys.exit("client: --count above 100000")
    counts = {"ok": 0, "refused": 0, "timeout": 0, "error": 0}
    results = []
    end = time.monotonic() + args.deadline
    for i in range(args.count):
        if time.monotonic() >= end:
            break
        src, dst = srcs[i % len(srcs)], dsts[i % len(dsts)]
        r = connect_one(src, dst, args.port, args.timeout)
        counts[r.split(":")[0]] += 1
        results.append([r, src or "-", dst, args.port])
        if not args.json:
            print(r, src or "-", dst, args.port, flush=True)
        if args.interval > 0 and i + 1 < args.count:
            time.sleep(args.interval)
    if args.json:
        print(json.dumps(dict(counts, results=results)))
    else:
        print("summary " + " ".join("%s=%d" % kv for kv in counts.items()))


if __name__ == "__main__":
    main()
