#!/usr/bin/env python3
"""model.py: a reference model of DESIGN.md "Rules, precisely", written
apart from the C engine and deliberately simple: it keeps every event's
timestamp and counts windows exactly (no buckets, no slots, no ring), so
that `nflogmon replay --json` can be checked against it on captures the
tests did not come from (tests/replay/differential.sh).

  model.py [-c CONF] [--check-ambiguity] [--breaker engine|design] FILE...

It reads classic pcap files itself (raw IP, IPv4, IPv6, Ethernet and NFLOG
link types; microsecond or nanosecond timestamps, either byte order), merges
them as replay does (the earliest pending record first, ties to the file
named first; the clock never goes back), reads a subset of the config
(capture ports, ipv6_prefix, output_group; detect; block timeout, escalate,
strike_memory, max_new_blocks, dry_run, response; allow; classes) and
prints the JSON object of `nflogmon replay --json` (without "top").

The one place where it follows the engine rather than the letter of
DESIGN.md is the breaker's "once per source while the breaker is full":
by default (--breaker engine) an episode is a run of refusals less than
max_new_blocks' W apart (daemon/policy.c); --breaker design makes an
episode a maximal interval during which the breaker is full, whether or
not anyone offended in it.

--check-ambiguity: instead of the JSON, prints one line per event whose
outcome depends on a span within one bucket of a window (W/16 before W),
where DESIGN.md lets a bucketed engine differ: "AMBIG INDEX KEY" (INDEX
counts records from 0 in merged order).  gen-random.py drops those.
"""
import argparse
import bisect
import ipaddress
import json
import struct
import sys

US = 1000000
PERM = None		# a permanent duration
UNITS = {"s": US, "m": 60 * US, "h": 3600 * US, "d": 86400 * US}

LINK_RAW = (101, 12, 14)
LINK_IPV4 = 228
LINK_IPV6 = 229
LINK_NFLOG = 239
LINK_ETHERNET = 1


# ------------------------------------------------------------ config

def duration(s):
    s = s.strip()
    if s == "permanent":
        return PERM
    if len(s) < 2 or not s[:-1].isdigit() or s[-1] not in UNITS:
        sys.exit("model: bad duration %r" % s)
    return int(s[:-1]) * UNITS[s[-1]]


def rate(s):
    """(N, W_us), or None for off."""
    s = s.strip()
    if s == "off":
        return None
    n, _, w = s.partition("/")
    return (int(n), duration(w))


def words(s):
    return [w.strip() for w in s.split(",") if w.strip()]


class Conf:
    def __init__(self, path):
        self.ports = {25}
        self.ipv6_prefix = 64
        self.output_group = 2
        self.burst = rate("20/1m")
        self.sustained = rate("120/1h")
        self.fanout = rate("15/10m")
        self.timeout = duration("1h")
        self.escalate = [duration(x) for x in words("1h, 1d, 7d")]
        self.strike_memory = duration("30d")
        self.max_new_blocks = rate("20/1m")
        self.dry_run = False
        self.response = "block"
        self.allow_src = []		# networks
        self.allow_uids = set()
        self.allow_dst = []
        self.classes = []		# dicts, in file order
        if path:
            self.load(path)

    def load(self, path):
        sec, cls = None, None
        for raw in open(path):
            line = raw.strip()
            for c in (" ;", "\t;", " #", "\t#"):
                if c in line:
                    line = line[:line.index(c)].strip()
            if not line or line[0] in ";#":
                continue
            if line.startswith("["):
                sec = line[1:line.index("]")].strip()
                cls = None
                if sec.startswith("class "):
                    cls = {"name": sec[6:].strip(), "networks": []}
                    self.classes.append(cls)
                continue
            k, _, v = line.partition("=")
            k, v = k.strip(), v.strip()
            if cls is not None:
                if k == "networks":
                    cls["networks"] = [ipaddress.ip_network(x)
                                       for x in words(v)]
                elif k in ("burst", "sustained", "fanout"):
                    cls[k] = rate(v)
                elif k == "response":
                    cls[k] = v
                continue
            key = (sec, k)
            if key == ("capture", "ports"):
                self.ports = {int(x) for x in words(v)}
            elif key == ("capture", "ipv6_prefix"):
                self.ipv6_prefix = int(v)
            elif key == ("capture", "output_group"):
                self.output_group = None if v == "off" else int(v)
            elif sec == "detect" and k in ("burst", "sustained", "fanout"):
                setattr(self, k, rate(v))
            elif key == ("block", "timeout"):
                self.timeout = duration(v)
            elif key == ("block", "escalate"):
                self.escalate = [duration(x) for x in words(v)]
            elif key == ("block", "strike_memory"):
                self.strike_memory = duration(v)
            elif key == ("block", "max_new_blocks"):
                self.max_new_blocks = rate(v)
            elif key == ("block", "dry_run"):
                self.dry_run = v == "yes"
            elif key == ("block", "response"):
                self.response = v
            elif sec == "allow" and k in ("addresses", "networks"):
                self.allow_src += [ipaddress.ip_network(x) for x in words(v)]
            elif key == ("allow", "uids"):
                self.allow_uids |= {int(x) for x in words(v)}
            elif key == ("allow", "destinations"):
                self.allow_dst += [ipaddress.ip_network(x) for x in words(v)]

    def class_of(self, addr):
        """The class whose most specific network holds addr, or None."""
        best, plen = None, -1
        for c in self.classes:
            for n in c["networks"]:
                if n.version == addr.version and addr in n and \
                        n.prefixlen > plen:
                    best, plen = c, n.prefixlen
        return best

    def rules(self, cls):
        """burst, sustained, fanout, response and the figure's window."""
        c = cls or {}
        r = {k: c.get(k, getattr(self, k))
             for k in ("burst", "sustained", "fanout", "response")}
        if r["fanout"] is not None:
            r["fig_w"] = r["fanout"][1]
        elif self.fanout is not None:
            r["fig_w"] = self.fanout[1]
        else:
            r["fig_w"] = 600 * US
        return r

    def strike_timeout(self, n):
        if not self.escalate:
            return self.timeout
        return self.escalate[min(n, len(self.escalate)) - 1]


def in_any(nets, addr):
    return any(n.version == addr.version and addr in n for n in nets)


# ------------------------------------------------------------ decoding

def decode_tcp(b, out):
    if len(b) < 20:
        return "malformed"
    doff = (b[12] >> 4) * 4
    if doff < 20 or doff > len(b):
        return "malformed"
    out["dport"] = struct.unpack(">H", b[2:4])[0]
    out["flags"] = b[13]
    return "ok"


def decode_ip(b, out):
    """'ok' (out filled), 'ignored' or 'malformed'."""
    if len(b) < 1:
        return "malformed"
    v = b[0] >> 4
    if v == 4:
        if len(b) < 20:
            return "malformed"
        ihl = (b[0] & 15) * 4
        if ihl < 20 or ihl > len(b):
            return "malformed"
        total = struct.unpack(">H", b[2:4])[0]
        if total < ihl:
            return "malformed"
        b = b[:min(total, len(b))]
        out["src"] = ipaddress.IPv4Address(b[12:16])
        out["dst"] = ipaddress.IPv4Address(b[16:20])
        if struct.unpack(">H", b[6:8])[0] & 0x1fff:
            return "ignored"
        if b[9] != 6:
            return "ignored"
        return decode_tcp(b[ihl:], out)
    if v == 6:
        if len(b) < 40:
            return "malformed"
        plen = struct.unpack(">H", b[4:6])[0]
        if plen and 40 + plen < len(b):
            b = b[:40 + plen]
        out["src"] = ipaddress.IPv6Address(b[8:24])
        out["dst"] = ipaddress.IPv6Address(b[24:40])
        nh, off = b[6], 40
        for _ in range(9):
            if nh == 6:
                return decode_tcp(b[off:], out)
            if nh in (0, 43, 60):
                if len(b) - off < 2:
                    return "malformed"
                hlen = (b[off + 1] + 1) * 8
            elif nh == 44:
                if len(b) - off < 8:
                    return "malformed"
                if struct.unpack(">H", b[off + 2:off + 4])[0] >> 3:
                    return "ignored"
                hlen = 8
            elif nh == 51:
                if len(b) - off < 2:
                    return "malformed"
                hlen = (b[off + 1] + 2) * 4
            else:
                return "ignored"
            if hlen > len(b) - off:
                return "malformed"
            nh, off = b[off], off + hlen
        return "malformed"
    return "malformed"


def decode_ethertype(et, b, out):
    for _ in range(4):
        if et not in (0x8100, 0x88a8):
            break
        if len(b) < 4:
            return "malformed"
        et, b = struct.unpack(">H", b[2:4])[0], b[4:]
    if et == 0x0800:
        r = decode_ip(b, out) if b[:1] and b[0] >> 4 == 4 else "malformed"
    elif et == 0x86dd:
        r = decode_ip(b, out) if b[:1] and b[0] >> 4 == 6 else "malformed"
    else:
        r = "ignored"
    return r


def decode_nflog(b, out, tlv_fmt):
    if len(b) < 4:
        return "malformed"
    family = b[0]
    out["group"] = struct.unpack(">H", b[2:4])[0]
    payload, off = None, 4
    while off < len(b):
        if len(b) - off < 4:
            return "malformed"
        tlen, ttype = struct.unpack(tlv_fmt, b[off:off + 4])
        ttype &= 0x7fff
        if tlen < 4 or tlen > len(b) - off:
            return "malformed"
        val = b[off + 4:off + tlen]
        if ttype == 9 and payload is None:
            payload = val
        elif ttype == 11 and "uid" not in out:
            if len(val) < 4:
                return "malformed"
            out["uid"] = struct.unpack(">I", val[:4])[0]
        off += (tlen + 3) & ~3
    if payload is None:
        return "malformed"
    if family not in (2, 10):
        return "ignored"
    r = decode_ip(payload, out)
    if r == "ok" and out["src"].version != (4 if family == 2 else 6):
        return "malformed"
    return r


def read_pcap(path):
    """[(t_us, result, fields)] in file order."""
    data = open(path, "rb").read()
    if len(data) < 24:
        sys.exit("model: %s: not a pcap file" % path)
    magic = data[:4]
    for e in "<>":
        m = struct.unpack(e + "I", magic)[0]
        if m in (0xa1b2c3d4, 0xa1b23c4d):
            break
    else:
        sys.exit("model: %s: not a classic pcap file" % path)
    nano = m == 0xa1b23c4d
    link = struct.unpack(e + "I", data[20:24])[0] & 0x0fffffff
    tlv_fmt = e + "HH"	# the capturing host's order: the file's
    recs, off = [], 24
    while off + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack(e + "IIII", data[off:off + 16])
        b = data[off + 16:off + 16 + incl]
        off += 16 + incl
        t = sec * US + (frac // 1000 if nano else frac)
        out = {}
        if link in LINK_RAW or link in (LINK_IPV4, LINK_IPV6):
            r = decode_ip(b, out)
        elif link == LINK_ETHERNET:
            r = decode_ethertype(struct.unpack(">H", b[12:14])[0], b[14:],
                                 out) if len(b) >= 14 else "malformed"
        elif link == LINK_NFLOG:
            r = decode_nflog(b, out, tlv_fmt)
        else:
            sys.exit("model: %s: link type %d not modelled" % (path, link))
        recs.append((t, r, out))
    return recs


def merge(files):
    """Records of every file, as replay feeds them: earliest head first,
    ties to the earliest file; the clock never goes back."""
    heads = [0] * len(files)
    now, out = None, []
    while True:
        best = None
        for i, f in enumerate(files):
            if heads[i] < len(f) and (best is None or
                                      f[heads[i]][0] < files[best][heads[best]][0]):
                best = i
        if best is None:
            return out
        t, r, p = files[best][heads[best]]
        heads[best] += 1
        now = t if now is None or t > now else now
        out.append((now, r, p))


# ------------------------------------------------------------ the rules

def fmt_key(k):
    kind, v = k
    if kind == "uid":
        return "uid:%d" % v
    if kind == "v4":
        return str(v)
    return "%s/%d" % (v.network_address, v.prefixlen)


class Source:
    def __init__(self, cls):
        self.cls = cls
        self.afresh()

    def afresh(self):
        self.times = []			# counted event times since afresh
        self.last = {}			# destination -> its latest time
        self.dst_times = []		# (t, dst) since afresh
        self.connections = 0
        self.first = None
        self.until = None		# judged until (PERM: forever)
        self.judged = False
        self.episode = None		# breaker episode reported in


class Model:
    def __init__(self, conf, breaker="engine"):
        self.c = conf
        self.breaker_mode = breaker
        self.src = {}
        self.strikes = {}		# key -> [times]
        self.notes = []			# times of strikes (breaker budget)
        self.refused, self.last_refusal, self.epoch = False, None, 0
        self.st = dict(packets=0, events=0, ignored=0, malformed=0,
                       sources=0, evicted=0)
        self.verdicts = []
        self.ambiguous = []

    def key_of(self, p):
        c = self.c
        if c.output_group is not None and p.get("group") == c.output_group \
                and "uid" in p:
            return ("uid", p["uid"]), p["uid"] in c.allow_uids
        a = p["src"]
        if in_any(c.allow_src, a):
            plen = 32 if a.version == 4 else 128
            return (("v4", a) if a.version == 4 else
                    ("v6", ipaddress.ip_network(a))), True
        if a.version == 4:
            return ("v4", a), False
        return ("v6", ipaddress.ip_network("%s/%d" % (a, c.ipv6_prefix),
                                           strict=False)), False

    def class_of(self, k):
        kind, v = k
        if kind == "uid":
            return None
        return self.c.class_of(v if kind == "v4" else v.network_address)

    # Counts over the windows, exact: events with t - ti < w.
    @staticmethod
    def count(s, t, w):
        return len(s.times) - bisect.bisect_right(s.times, t - w)

    @staticmethod
    def distinct(s, t, w):
        return sum(1 for x in s.last.values() if t - x < w)

    def rule_of(self, s, t, shrink):
        """The rule broken at t, windows shortened by W/16 if shrink."""
        r = self.c.rules(s.cls)
        for name, fn in (("burst", self.count), ("sustained", self.count),
                         ("fanout", self.distinct)):
            if r[name] is None:
                continue
            n, w = r[name]
            if fn(s, t, w - w // 16 - 1 if shrink else w) > n:
                return name
        return None

    def figure(self, s, t, shrink):
        w = self.c.rules(s.cls)["fig_w"]
        return self.distinct(s, t, w - w // 16 - 1 if shrink else w)

    def breaker_room(self, t):
        mnb = self.c.max_new_blocks
        if mnb is None:
            return True
        n, w = mnb
        if sum(1 for x in self.notes if t - x < w) < n:
            return True
        if not self.refused or t - self.last_refusal >= w:
            self.epoch += 1
        self.refused, self.last_refusal = True, t
        return False

    def design_episode(self, t):
        """The start of the interval, up to t, during which the breaker
        has been full: the latest strike that filled it."""
        n, w = self.c.max_new_blocks
        start = None
        for i, tk in enumerate(self.notes):
            if tk > t:
                break
            before = sum(1 for x in self.notes[:i] if tk - x < w and x < tk)
            upto = sum(1 for x in self.notes if x <= tk and tk - x < w)
            if before < n <= upto:
                start = tk
        return start

    def feed(self, i, t, r, p):
        c = self.c
        self.st["packets"] += 1
        if r == "malformed":
            self.st["malformed"] += 1
            return
        if r != "ok" or (p["flags"] & 0x12) != 0x02 or \
                p["dport"] not in c.ports or in_any(c.allow_dst, p["dst"]):
            self.st["ignored"] += 1
            return
        self.st["events"] += 1
        k, allowed = self.key_of(p)
        s = self.src.get(k)
        if s is None:
            s = self.src[k] = Source(self.class_of(k))
            self.st["sources"] += 1
        if s.judged:
            if s.until is PERM or t < s.until:
                return			# an attempt
            s.afresh()
        # count it
        if s.first is None:
            s.first = t
        s.times.append(t)
        s.last[p["dst"]] = t
        s.connections += 1
        rule = self.rule_of(s, t, False)
        if rule != self.rule_of(s, t, True):
            self.ambiguous.append((i, k))
        if rule is None:
            return
        if self.figure(s, t, False) != self.figure(s, t, True):
            self.ambiguous.append((i, k))
        self.decide(s, k, rule, allowed, t)

    def decide(self, s, k, rule, allowed, t):
        c = self.c
        v = {"source": fmt_key(k), "rule": rule,
             "connections": s.connections,
             "destinations": self.figure(s, t, False),
             "first_seen": s.first / US, "at": t / US,
             "timeout": None, "strike": None}
        if allowed:
            v["action"] = "allowed"
            s.judged = True
            s.until = PERM if c.timeout is PERM else t + c.timeout
        elif not self.breaker_room(t):
            ep = self.epoch if self.breaker_mode == "engine" else \
                self.design_episode(t)
            if s.episode == ep:
                return
            s.episode = ep
            v["action"] = "breaker"
        else:
            mem = c.strike_memory
            n = 1 + sum(1 for x in self.strikes.get(k, [])
                        if x <= t and (mem is PERM or x > t - mem))
            tmo = c.strike_timeout(n)
            self.strikes.setdefault(k, []).append(t)
            if c.max_new_blocks is not None:
                self.notes.append(t)
            if c.dry_run:
                v["action"] = "dry_run"
            elif c.rules(s.cls)["response"] == "throttle":
                v["action"] = "throttle"
            else:
                v["action"] = "block"
            v["strike"] = n
            v["timeout"] = None if tmo is PERM else tmo // US
            s.judged = True
            s.until = PERM if tmo is PERM else t + tmo
        self.verdicts.append(v)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-c", dest="conf")
    ap.add_argument("--check-ambiguity", action="store_true")
    ap.add_argument("--breaker", choices=("engine", "design"),
                    default="engine")
    ap.add_argument("--json", action="store_true", help="(the default)")
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    m = Model(Conf(a.conf), a.breaker)
    for i, (t, r, p) in enumerate(merge([read_pcap(f) for f in a.files])):
        m.feed(i, t, r, p)
    if a.check_ambiguity:
        for i, k in m.ambiguous:
            print("AMBIG", i, fmt_key(k))
        return
    out = dict(m.st)
    out["verdicts"] = m.verdicts
    print(json.dumps(out))


if __name__ == "__main__":
    main()
