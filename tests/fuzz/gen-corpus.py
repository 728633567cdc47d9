#!/usr/bin/env python3
# gen-corpus.py: writes the seed corpora of fuzz_pkt and fuzz_nflog (small
# valid frames of every link type and NFLOG edge cases).  Deterministic;
# the files are committed, rerun only to change them.  NFLOG TLV headers
# are in host byte order, as libpcap hands them to the decoder.
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
SRC4, DST4 = bytes([192, 0, 2, 7]), bytes([198, 51, 100, 25])
SRC6 = bytes.fromhex("20010db8000100020000000000000007")
DST6 = bytes.fromhex("20010db8ffff00000000000000000025")
LINKS = {"ether": 0, "raw": 1, "sll": 2, "ipv4": 3, "ipv6": 4, "nflog": 5,
         "sll2": 6}


def tcp(optlen=0, flags=0x02):
    return struct.pack(">HHIIBBHHH", 40025, 25, 1, 0, (20 + optlen) // 4 << 4,
                       flags, 64240, 0, 0) + b"\x01" * optlen


def ipv4(l4, proto=6, opts=b"", frag=0):
    ihl = (20 + len(opts)) // 4
    return struct.pack(">BBHHHBBH", 0x40 | ihl, 0, 20 + len(opts) + len(l4),
                       0x1234, frag, 64, proto, 0) + SRC4 + DST4 + opts + l4


def ext(t, nh, frag=0):
    if t == 44:
        return struct.pack(">BBHI", nh, 0, frag << 3 | 1, 0xabcd)
    if t == 51:
        return bytes([nh, 1]) + bytes(10)
    return bytes([nh, 0, 1, 4]) + bytes(4)


def ipv6(l4, proto=6, exts=(), frag=0):
    chain = list(exts) + [proto]
    body = b"".join(ext(t, chain[i + 1], frag) for i, t in enumerate(exts))
    body += l4
    return struct.pack(">IHBB", 0x60000000, len(body), chain[0], 64) + \
        SRC6 + DST6 + body


def ether(ip, et, vlans=0):
    return bytes(range(2, 14)) + vlan_frame(et, vlans) + ip


def vlan_frame(et, vlans):
    # ethertype field, then each tag: TCI, next ethertype
    out = struct.pack(">H", 0x88a8 if vlans else et)
    for i in range(vlans):
        nxt = 0x8100 if i + 1 < vlans else et
        out += struct.pack(">HH", 100 + i, nxt)
    return out


def sll(ip, et):
    return struct.pack(">HHH", 4, 1, 6) + bytes(range(2, 10)) + \
        struct.pack(">H", et) + ip


def sll2(ip, et):
    return struct.pack(">HHIHBB", et, 0, 3, 1, 4, 6) + bytes(range(2, 10)) + ip


def tlv(t, v, length=None):
    n = 4 + len(v) if length is None else length
    b = struct.pack("=HH", n, t) + v
    return b + bytes(-len(b) % 4)


def nflog(ip, family=2, group=1, uid=None, extra=b""):
    b = struct.pack(">BBH", family, 0, group) + tlv(10, b"smtp\0")
    if uid is not None:
        b += tlv(11, struct.pack(">I", uid))
    return b + extra + tlv(9, ip)


SYN4, SYN6 = ipv4(tcp()), ipv6(tcp())
pkt = {
    "ether-v4-syn": ("ether", ether(SYN4, 0x0800)),
    "ether-vlan2-v6-syn": ("ether", ether(SYN6, 0x86dd, vlans=2)),
    "ether-arp": ("ether", ether(bytes(28), 0x0806)),
    "raw-v4-options": ("raw", ipv4(tcp(20), opts=b"\x01" * 11 + b"\x00")),
    "raw-v6-exts": ("raw", ipv6(tcp(), exts=(0, 43, 60, 51, 44))),
    "raw-v6-esp": ("raw", ipv6(bytes(16), proto=50)),
    "ipv4-udp": ("ipv4", ipv4(bytes(8), proto=17)),
    "ipv4-fragment": ("ipv4", ipv4(bytes(8), frag=185)),
    "ipv6-fragment": ("ipv6", ipv6(bytes(8), exts=(44,), frag=3)),
    "sll-v4-syn": ("sll", sll(SYN4, 0x0800)),
    "sll2-v6-syn": ("sll2", sll2(SYN6, 0x86dd)),
    "nflog-v4-uid": ("nflog", nflog(SYN4, group=2, uid=1001)),
    "nflog-v6": ("nflog", nflog(SYN6, family=10)),
}
nfl = {
    "v4-syn": nflog(SYN4),
    "v6-syn-uid": nflog(SYN6, family=10, group=2, uid=1001),
    "v4-tcp-options": nflog(ipv4(tcp(20, flags=0x12))),
    "v6-exts": nflog(ipv6(tcp(), exts=(0, 44)), family=10),
    "udp": nflog(ipv4(bytes(8), proto=17)),
    "nested-type": struct.pack(">BBH", 2, 0, 1) + tlv(9 | 0x8000, SYN4),
    "no-payload": struct.pack(">BBH", 2, 0, 1) + tlv(11, b"\0\0\3\xe9"),
    "tlv-len-0": nflog(SYN4, extra=struct.pack("=HH", 0, 10) + bytes(4)),
    "tlv-len-3": nflog(SYN4, extra=struct.pack("=HH", 3, 10) + bytes(4)),
    "tlv-overlong": struct.pack(">BBH", 2, 0, 1) + tlv(9, SYN4, 200)[:48],
    "header-only": struct.pack(">BBH", 2, 0, 1),
}
for name, (link, frame) in pkt.items():
    with open(os.path.join(HERE, "corpus/pkt", name), "wb") as f:
        f.write(bytes([LINKS[link]]) + frame)
for name, rec in nfl.items():
    with open(os.path.join(HERE, "corpus/nflog", name), "wb") as f:
        f.write(rec)
