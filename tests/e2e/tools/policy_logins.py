#!/usr/bin/env python3
"""Many distinct mail logins, one policy request each (protocol_state
RCPT), over one connection to nflogmon's policy service, as a busy smtpd
reusing its connection would send them.  Logins are
PREFIX0@DOMAIN .. PREFIX(COUNT-1)@DOMAIN; bounded by --count (at most
1,000,000) and --deadline.  Prints "sent N replies M"."""
import argparse
import socket
import sys
import time


def main():
    p = argparse.ArgumentParser()
    p.add_argument("sock")
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--prefix", default="u")
    p.add_argument("--domain", default="flood.example")
    p.add_argument("--deadline", type=float, default=60)
    a = p.parse_args()
    if a.count > 1000000:
        raise SystemExit("policy_logins: --count above 1000000")
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    s.connect(a.sock)
    f = s.makefile("rb")
    end = time.monotonic() + a.deadline
    sent = replies = 0
    for i in range(a.count):
        if time.monotonic() >= end:
            break
        login = "%s%d@%s" % (a.prefix, i, a.domain)
        req = ("request=smtpd_access_policy\nprotocol_state=RCPT\n"
               "protocol_name=ESMTP\nclient_address=198.51.100.%d\n"
               "sasl_method=PLAIN\nsasl_username=%s\nsender=%s\n"
               "recipient=r%d@example.net\nqueue_id=F%d\n\n"
               % (1 + i % 250, login, login, i, i))
        s.sendall(req.encode())
        sent += 1
        while True:		# the reply: lines up to an empty one
            line = f.readline()
            if not line:
                print("sent %d replies %d" % (sent, replies))
                return 1
            if line == b"\n":
                replies += 1
                break
    print("sent %d replies %d" % (sent, replies))
    return 0


if __name__ == "__main__":
    sys.exit(main())
