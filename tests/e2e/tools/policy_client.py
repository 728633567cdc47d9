#!/usr/bin/env python3
"""A mail account's logins as the MTA reports them: plays COUNT Postfix
policy requests (protocol_state RCPT) for one SASL login to nflogmon's
policy service, one connection each, as Postfix's smtpd would.

  policy_client.py SOCK --login jane@example.org \\
      --clients 203.0.113.10+12 --count 24 --interval 0.5

ADDR+N stands for N consecutive client addresses (IPv4 or IPv6); request
i comes from client i mod N.  Bounded: at most COUNT requests, each
within --timeout, all within --deadline seconds.

Output: one line per request "ACTION LOGIN CLIENT" (ACTION is the first
word of the reply: DUNNO, DEFER, REJECT..., or "error"), then
"summary LOGIN accepted=N refused=N error=N"."""
import argparse
import ipaddress
import socket
import sys
import time


def addr_range(spec):
    base, _, n = spec.partition("+")
    ip = ipaddress.ip_address(base)
    return [str(ip + i) for i in range(int(n or 1))]


def ask(sock_path, attrs, timeout):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(timeout)
    try:
        s.connect(sock_path)
        s.sendall("".join("%s=%s\n" % kv for kv in attrs).encode() + b"\n")
        buf = b""
        while not buf.endswith(b"\n\n"):
            d = s.recv(4096)
            if not d:
                break
            buf += d
    finally:
        s.close()
    for line in buf.decode(errors="replace").splitlines():
        if line.startswith("action="):
            return line[len("action="):].split(" ")[0] or "error"
    return "error"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("sock")
    p.add_argument("--login", required=True)
    p.add_argument("--clients", required=True)
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--interval", type=float, default=0.5)
    p.add_argument("--timeout", type=float, default=2)
    p.add_argument("--deadline", type=float, default=60)
    a = p.parse_args()
    clients = addr_range(a.clients)
    end = time.monotonic() + a.deadline
    n = {"accepted": 0, "refused": 0, "error": 0}
    for i in range(a.count):
        if time.monotonic() >= end:
            break
        attrs = [("request", "smtpd_access_policy"),
                 ("protocol_state", "RCPT"), ("protocol_name", "ESMTP"),
                 ("client_address", clients[i % len(clients)]),
                 ("sasl_method", "PLAIN"), ("sasl_username", a.login),
                 ("sender", a.login),
                 ("recipient", "r%d@example.net" % i),
                 ("queue_id", "Q%05d" % i), ("instance", "i%d" % i)]
        try:
            act = ask(a.sock, attrs, a.timeout)
        except OSError:
            act = "error"
        n["error" if act == "error" else
          "accepted" if act in ("DUNNO", "OK", "PERMIT") else "refused"] += 1
        print(act, a.login, clients[i % len(clients)], flush=True)
        time.sleep(a.interval)
    print("summary %s accepted=%d refused=%d error=%d" %
          (a.login, n["accepted"], n["refused"], n["error"]), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
