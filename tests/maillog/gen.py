#!/usr/bin/env python3
"""gen.py: writes the mail-log fixtures (deterministic; the committed files
must not change).  postfix.log: syslog format as Debian's rsyslog writes
Postfix's lines (the real Postfix of the policy tests was not available on
this branch when they were made); exim.log: Exim's own mainlog format as
its specification describes it.  Both hold a hijacked account (one login
from 12 client addresses within 6 minutes), a busy legitimate account
(300 messages from one address), a foreign sender, deferred and retried
messages, an allowlisted account and the other lines a real log holds."""
import sys

def pf(out, t, prog, pid, msg):
    h, m, s = t // 3600, t // 60 % 60, t % 60
    out.append("Dec  4 %02d:%02d:%02d mx1 postfix/%s[%d]: %s" % (h, m, s, prog, pid, msg))

def postfix():
    out = []
    qn = [0x3A1B2C0]
    def qid():
        qn[0] += 1
        return "%X" % qn[0]
    t = 9 * 3600
    pf(out, t, "master", 900, "daemon started -- version 3.7.11, configuration /etc/postfix")
    # the busy legitimate account: 300 messages of 1 recipient, one address
    for i in range(300):
        q = qid()
        t0 = t + i * 10
        pf(out, t0, "smtpd", 1000 + i, "connect from office.example.com[198.51.100.7]")
        pf(out, t0, "smtpd", 1000 + i, "Anonymous TLS connection established from office.example.com[198.51.100.7]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)")
        pf(out, t0, "smtpd", 1000 + i, "%s: client=office.example.com[198.51.100.7], sasl_method=PLAIN, sasl_username=busy@example.com" % q)
        pf(out, t0, "cleanup", 2000, "%s: message-id=<%d@example.com>" % (q, i))
        pf(out, t0, "qmgr", 800, "%s: from=<busy@example.com>, size=%d, nrcpt=1 (queue active)" % (q, 1000 + i))
        pf(out, t0 + 1, "smtp", 3000, "%s: to=<r%d@example.net>, relay=mx.example.net[203.0.113.25]:25, delay=0.5, delays=0.1/0/0.2/0.2, dsn=2.0.0, status=sent (250 2.0.0 Ok)" % (q, i))
        pf(out, t0 + 1, "qmgr", 800, "%s: removed" % q)
        pf(out, t0 + 1, "smtpd", 1000 + i, "disconnect from office.example.com[198.51.100.7] ehlo=2 starttls=1 auth=1 mail=1 rcpt=1 data=1 quit=1 commands=8")
    # the hijacked account: 12 addresses within 6 minutes, 3 recipients each
    for i in range(12):
        q = qid()
        t0 = t + 600 + i * 30
        a = "203.0.113.%d" % (10 + i)
        pf(out, t0, "smtpd", 5000 + i, "connect from unknown[%s]" % a)
        pf(out, t0, "smtpd", 5000 + i, "%s: client=unknown[%s], sasl_method=LOGIN, sasl_username=Victim@Example.COM" % (q, a))
        pf(out, t0, "qmgr", 800, "%s: from=<victim@example.com>, size=4000, nrcpt=3 (queue active)" % q)
        pf(out, t0 + 1, "smtp", 3000, "%s: to=<x%d@example.org>, relay=none, delay=1, delays=0/0/1/0, dsn=4.4.1, status=deferred (connect to example.org[192.0.2.80]:25: Connection refused)" % (q, i))
        # deferred: the queue manager logs it again on every retry
        pf(out, t0 + 20, "qmgr", 800, "%s: from=<victim@example.com>, size=4000, nrcpt=3 (queue active)" % q)
    # a foreign sender from a sales account: 25 messages as another domain
    for i in range(25):
        q = qid()
        t0 = t + 1200 + i * 60
        pf(out, t0, "smtpd", 6000 + i, "%s: client=laptop.example.com[2001:db8:5::%x], sasl_method=PLAIN, sasl_username=sales@example.com" % (q, i + 1))
        pf(out, t0, "qmgr", 800, "%s: from=<ceo@bank.example>, size=900, nrcpt=1 (queue active)" % q)
    # an allowlisted account over every limit
    for i in range(8):
        q = qid()
        t0 = t + 1300 + i * 5
        pf(out, t0, "smtpd", 7000 + i, "%s: client=unknown[192.0.2.%d], sasl_method=PLAIN, sasl_username=newsletter@example.com" % (q, 100 + i))
        pf(out, t0, "qmgr", 800, "%s: from=<newsletter@example.com>, size=900, nrcpt=2 (queue active)" % q)
    # bounces, unauthenticated inbound mail, rejects, other daemons
    q = qid()
    pf(out, t + 1400, "smtpd", 8000, "%s: client=mx.example.net[203.0.113.25]" % q)
    pf(out, t + 1400, "qmgr", 800, "%s: from=<>, size=2000, nrcpt=1 (queue active)" % q)
    pf(out, t + 1400, "local", 8100, "%s: to=<busy@example.com>, relay=local, delay=0.1, status=sent (delivered to mailbox)" % q)
    pf(out, t + 1401, "smtpd", 8001, "NOQUEUE: reject: RCPT from unknown[198.18.0.9]: 554 5.7.1 <spam@example.org>: Relay access denied; from=<a@b.example> to=<spam@example.org> proto=ESMTP helo=<x>")
    pf(out, t + 1402, "smtpd", 8002, "warning: unknown[198.18.0.10]: SASL LOGIN authentication failed: authentication failure")
    pf(out, t + 1403, "anvil", 8003, "statistics: max connection rate 1/60s for (smtp:198.18.0.10) at Dec  4 09:23:22")
    pf(out, t + 1404, "postscreen", 8004, "CONNECT from [198.18.0.11]:4242 to [192.0.2.1]:25")
    pf(out, t + 1405, "pickup", 8005, "%s: uid=0 from=<root>" % qid())
    # malformed: a bad client address, a login with a space
    pf(out, t + 1406, "smtpd", 8006, "%s: client=unknown[not-an-address], sasl_method=PLAIN, sasl_username=bad@example.com" % qid())
    pf(out, t + 1407, "smtpd", 8007, "%s: client=unknown[192.0.2.9], sasl_method=PLAIN, sasl_username=two words" % qid())
    out.append("Dec  4 09:23:30 mx1 kernel: [12345.678] eth0: link up")
    out.append("Dec  4 09:23:31 mx1 systemd[1]: Started Postfix Mail Transport Agent.")
    out.append("garbage that is no log line at all")
    return out

def ex(out, t, msg):
    h, m, s = t // 3600, t // 60 % 60, t % 60
    out.append("2026-12-04 %02d:%02d:%02d %s" % (h, m, s, msg))

def exim():
    out = []
    n = [0]
    def mid():
        n[0] += 1
        return "1tA%03d-000%03d-AB" % (n[0], n[0])
    t = 9 * 3600
    ex(out, t, "exim 4.96 daemon started: pid=900, -q30m, listening for SMTP on [0.0.0.0]:25 [0.0.0.0]:587")
    for i in range(300):	# busy, recipients from => lines
        m = mid(); t0 = t + i * 10
        ex(out, t0, "%s <= busy@example.com H=office.example.com (office) [198.51.100.7]:50123 I=[192.0.2.1]:587 P=esmtpsa X=TLS1.3:ECDHE_X25519__RSA_PSS_RSAE_SHA256__AES_256_GCM:256 CV=no A=plain:busy@example.com S=%d id=%d@example.com T=\"weekly report for you\"" % (m, 900 + i, i))
        ex(out, t0 + 1, "%s => r%d@example.net R=dnslookup T=remote_smtp H=mx.example.net [203.0.113.25] X=TLS1.3:ECDHE_X25519__RSA_PSS_RSAE_SHA256__AES_256_GCM:256 CV=yes C=\"250 2.0.0 Ok\"" % (m, i))
        ex(out, t0 + 1, "%s Completed" % m)
    for i in range(12):	# hijacked, +received_recipients, deferred
        m = mid(); t0 = t + 600 + i * 30
        a = "203.0.113.%d" % (10 + i)
        ex(out, t0, "%s <= victim@example.com H=(win-pc) [%s]:4%03d P=esmtpa A=login:Victim@Example.COM S=4000 for x%d@example.org y%d@example.org z%d@example.org" % (m, a, i, i, i, i))
        ex(out, t0 + 1, "%s == x%d@example.org R=dnslookup T=remote_smtp defer (111): Connection refused" % (m, i))
        ex(out, t0 + 1, "%s => y%d@example.org R=dnslookup T=remote_smtp H=mx.example.org [192.0.2.80]" % (m, i))
        ex(out, t0 + 1, "%s -> z%d@example.org R=dnslookup T=remote_smtp H=mx.example.org [192.0.2.80]" % (m, i))
        ex(out, t0 + 60, "%s => x%d@example.org R=dnslookup T=remote_smtp H=mx.example.org [192.0.2.80]" % (m, i))
        ex(out, t0 + 60, "%s Completed" % m)
    for i in range(25):	# foreign sender
        m = mid(); t0 = t + 1200 + i * 60
        ex(out, t0, "%s <= ceo@bank.example H=laptop.example.com [2001:db8:5::%x]:587 P=esmtpsa A=plain:sales@example.com S=900" % (m, i + 1))
        ex(out, t0 + 1, "%s => boss%d@example.org R=dnslookup T=remote_smtp H=mx.example.org [192.0.2.80]" % (m, i))
        ex(out, t0 + 1, "%s Completed" % m)
    for i in range(8):	# allowlisted
        m = mid(); t0 = t + 1300 + i * 5
        ex(out, t0, "%s <= newsletter@example.com H=[192.0.2.%d] P=esmtpa A=plain:newsletter@example.com S=900 for a%d@example.org b%d@example.org" % (m, 100 + i, i, i))
    m = mid()
    ex(out, t + 1400, "%s <= <> R=1tA001-000001-AB U=Debian-exim P=local S=1500" % m)
    ex(out, t + 1400, "%s => busy <busy@example.com> R=local_user T=mail_spool" % m)
    m = mid()
    ex(out, t + 1401, "%s <= friend@example.org H=mx.example.org [192.0.2.80]:25 P=esmtps S=2000" % m)
    ex(out, t + 1401, "%s => busy@example.com R=local_user T=mail_spool" % m)
    ex(out, t + 1402, "H=(x) [198.18.0.9] F=<a@b.example> rejected RCPT <spam@example.org>: relay not permitted")
    ex(out, t + 1403, "login authenticator failed for (x) [198.18.0.10]: 535 Incorrect authentication data (set_id=victim@example.com)")
    ex(out, t + 1404, "SMTP connection from [198.18.0.11]:4242 (TCP/IP connection count = 1)")
    ex(out, t + 1405, "Start queue run: pid=1234")
    ex(out, t + 1406, "%s <= bad@example.com H=(x) [not-an-address] P=esmtpa A=plain:bad@example.com S=10 for a@example.org" % mid())
    ex(out, t + 1407, "%s <= bad@example.com H=(x) [192.0.2.9] P=esmtpa A=plain S=10 for a@example.org" % mid())
    out.append("garbage that is no log line at all")
    return out

def bytime(lines, n):
    """A log is in time order: a stable sort on the header's n bytes
    (lines without one stay after the line before them)."""
    keyed, last = [], ""
    for i, l in enumerate(lines):
        if l[:1].isdigit() or l[:3] == "Dec":
            last = l[:n]
        keyed.append((last, i, l))
    return [l for _, _, l in sorted(keyed)]

for name, lines in (("postfix.log", bytime(postfix(), 15)),
                    ("exim.log", bytime(exim(), 19))):
    with open(name, "w") as f:
        f.write("\n".join(lines) + "\n")
