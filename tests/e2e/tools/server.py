#!/usr/bin/env python3
"""TCP sink for the e2e tests: listens on the given ports (default 25 and
80) on every address of its network namespace, IPv4 and IPv6, accepts each
connection and closes it at once.  Runs until killed (by PID).  Prints
"ready" once every socket listens, so a test can wait for it."""
import argparse
import selectors
import socket
import sys


def listener(family, port):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind(("::", port))
    else:
        s.bind(("0.0.0.0", port))
    s.listen(4096)
    s.setblocking(False)
    return s


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("ports", nargs="*", type=int, default=[25, 80])
    args = ap.parse_args()
    sel = selectors.DefaultSelector()
    for port in args.ports:
        for fam in (socket.AF_INET, socket.AF_INET6):
            sel.register(listener(fam, port), selectors.EVENT_READ)
    print("ready", flush=True)
    while True:
        for key, _ in sel.select():
            while True:
                try:
                    conn, _ = key.fileobj.accept()
                except (BlockingIOError, InterruptedError):
                    break
                except OSError:
                    break
                conn.close()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
