#!/usr/bin/env python3
"""SYN flood for the e2e tests: sends COUNT bare TCP SYNs through a raw
socket, source addresses walking through a benchmarking prefix
(198.18.0.0/15 by default), to DST:PORT.  Bounded by --count and
--seconds.  Prints "sent N" at the end.  Only ever run inside a test's own
network namespace."""
import argparse
import ipaddress
import socket
import struct
import time


def csum_fold(s):
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--src-net", default="198.18.0.0/15")
    ap.add_argument("--dst", required=True)
    ap.add_argument("--port", type=int, default=25)
    ap.add_argument("--count", type=int, default=200000)
    ap.add_argument("--seconds", type=float, default=10.0)
    args = ap.parse_args()

    net = ipaddress.ip_network(args.src_net)
    if not (net.subnet_of(ipaddress.ip_network("198.18.0.0/15"))):
        raise SystemExit("synflood: sources must be in 198.18.0.0/15")
    if args.count > 1000000:
        raise SystemExit("synflood: --count above 1000000")
    base = int(net.network_address)
    nsrc = net.num_addresses - 2
    dst = socket.inet_aton(args.dst)

    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)

    # TCP header without checksum; the pseudo-header sum without the
    # source is constant, so each packet's checksum is one fold away.
    sport, seq = 40000, 1
    tcp0 = struct.pack("!HHIIBBHHH", sport, args.port, seq, 0, 5 << 4,
                       0x02, 65535, 0, 0)
    const = 0
    for (w,) in struct.iter_unpack("!H", tcp0 + dst):
        const += w
    const += socket.IPPROTO_TCP + len(tcp0)
    sent = tries = 0
    end = time.monotonic() + args.seconds
    while sent < args.count:
        tries += 1
        if (tries & 1023) == 0 and time.monotonic() >= end:
            break
        src = base + 1 + (sent % nsrc)
        c = ~csum_fold(const + (src >> 16) + (src & 0xffff)) & 0xffff
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, 0, 0, 64,
                         socket.IPPROTO_TCP, 0, struct.pack("!I", src), dst)
        tcp = tcp0[:16] + struct.pack("!H", c) + tcp0[18:]
        try:
            s.sendto(ip + tcp, (args.dst, 0))
        except OSError:
            time.sleep(0.0005)
            tries |= 1023    # look at the clock next time round
            continue
        sent += 1
    print("sent %d" % sent)


if __name__ == "__main__":
    main()
