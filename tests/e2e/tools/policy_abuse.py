#!/usr/bin/env python3
"""policy_abuse.py SOCKET: hostile clients of a Postfix policy service.

Each case prints one line "ok NAME ..." or "FAIL NAME ...", and exits 1 if
any failed.  Every wait is bounded.  Cases: a good request is answered
DUNNO; an over-long line, a NUL byte, too many attributes, a login outside
the rules and a request cut off by the peer each close their own
connection; a thousand idle connections do not keep a new one from being
answered within 1 s; a client that never reads its replies is closed while
other requests are answered within 1 s; a request that never ends is
closed within 15 s.
"""
import resource
import socket
import sys
import time

PATH = sys.argv[1]
FAILED = []

GOOD = ("request=smtpd_access_policy\nprotocol_state=RCPT\n"
        "client_address=198.51.100.7\nsasl_username=alice@example.org\n"
        "sender=alice@example.org\nrecipient=x@example.com\n"
        "instance=1.1\n\n").encode()


def conn():
    """A connection; a full listen queue (EAGAIN) is retried for 5 s."""
    end = time.monotonic() + 5
    while True:
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(5)
        try:
            s.connect(PATH)
            return s
        except BlockingIOError:
            s.close()
            if time.monotonic() > end:
                raise
            time.sleep(0.01)


def answer(s, timeout=1.0):
    """The reply to one request within timeout, or None."""
    s.settimeout(timeout)
    data = b""
    end = time.monotonic() + timeout
    while not data.endswith(b"\n\n") and time.monotonic() < end:
        try:
            chunk = s.recv(4096)
        except socket.timeout:
            break
        if not chunk:
            return None
        data += chunk
    return data.decode(errors="replace") if data.endswith(b"\n\n") else None


def closed(s, timeout):
    """Whether the service closed s within timeout (EOF or reset)."""
    s.settimeout(timeout)
    end = time.monotonic() + timeout
    try:
        while time.monotonic() < end:
            if not s.recv(65536):
                return True
    except socket.timeout:
        return False
    except OSError:
        return True
    return False


def check(name, ok, detail=""):
    print(("ok   " if ok else "FAIL ") + name + (" " + detail if detail else ""))
    if not ok:
        FAILED.append(name)


def good_answered(name):
    s = conn()
    t0 = time.monotonic()
    s.sendall(GOOD)
    a = answer(s, 1.0)
    ms = (time.monotonic() - t0) * 1000
    check(name, a == "action=DUNNO\n\n", "%r in %.1f ms" % (a, ms))
    s.close()


def malformed(name, payload):
    s = conn()
    s.sendall(payload)
    check(name, closed(s, 3), "closed")
    s.close()


good_answered("good request")
malformed("over-long line", b"sender=" + b"a" * 3000 + b"\n\n")
malformed("NUL byte", b"sender=a\0b\n\n")
malformed("too many attributes", b"x=1\n" * 65 + b"\n")
malformed("login outside the rules",
          GOOD.replace(b"sasl_username=alice@example.org",
                       b"sasl_username=al ice"))
malformed("line without =", b"protocol_state RCPT\n\n")

# A thousand idle connections: a new client is still answered.
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 2048), max(hard, 2048)))
idle = []
for _ in range(1000):
    try:
        idle.append(conn())
    except OSError as e:
        check("1000 idle connections opened", False, str(e))
        break
good_answered("answered beside 1000 idle connections")
for s in idle:
    s.close()

# A client that never reads: closed, and others answered meanwhile.
hog = conn()
hog.setblocking(False)
sent, t_end, hog_closed = 0, time.monotonic() + 10, False
while time.monotonic() < t_end and not hog_closed:
    try:
        sent += hog.send(GOOD * 64)
    except BlockingIOError:
        time.sleep(0.01)
    except OSError:
        hog_closed = True
check("a client that never reads is closed", hog_closed,
      "after %d bytes of requests" % sent)
good_answered("answered beside the reader that never reads")
hog.close()

# Cut off by the peer mid-request, and a request that never ends.
s = conn()
s.sendall(b"protocol_state=RCPT\nsasl_user")
s.close()
s = conn()
s.sendall(b"protocol_state=RCPT\n")
t0 = time.monotonic()
check("a request without its empty line is closed", closed(s, 15),
      "after %.1f s" % (time.monotonic() - t0))
s.close()
good_answered("still answered at the end")
sys.exit(1 if FAILED else 0)
