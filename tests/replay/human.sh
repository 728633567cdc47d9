#!/usr/bin/env bash
# The human output: the counts line, the verdict table with the bot's row,
# the top talkers with peaks next to thresholds, all within 100 columns.
. "$(dirname "$0")/lib.sh"

out=$("$NFLOGMON" replay -c $C/office.conf $P/office.pcap)
rc=$?
[ $rc -eq 0 ] || fail "replay exited $rc"
printf '%s\n' "$out"
grep -Eq '^packets 1908 +events 396 +ignored 1512 +malformed 0 +sources 14 +evicted 0$' <<<"$out" ||
    fail "no counts line"
grep -Eq '^time \(UTC\) +source +rule +action +conns +dsts +strike +timeout$' <<<"$out" ||
    fail "no verdict table header"
grep -Eq '^2023-11-14 22:28:30\.000 +192\.0\.2\.66 +burst +block +21 +12 +1 +1h$' <<<"$out" ||
    fail "no verdict row for the bot"
grep -Eq '^2023-11-14 22:16:20\.000 +192\.0\.2\.25 +fanout +allowed +16 +16 +- +-$' <<<"$out" ||
    fail "no verdict row for the MTA"
grep -q '^top talkers' <<<"$out" || fail "no top talkers"
# The bot, counted up to its block (21 SYNs, 12 servers), against the
# thresholds 20/1m, 120/1h, 15/10m.
grep -Eq '^192\.0\.2\.66 +- +21/20 +21/120 +12/15 +21$' <<<"$out" ||
    fail "no top talker row for the bot"
grep -Eq '^thresholds: burst 20/1m, sustained 120/1h, fanout 15/10m$' <<<"$out" ||
    fail "no thresholds legend"
n=$(grep -c '' <<<"$out")
[ "$n" -le 40 ] || fail "output of $n lines"
awk 'length > 100 { print "line longer than 100 columns: " $0; bad = 1 }
    END { exit bad }' <<<"$out" || fail "wide lines"

out=$("$NFLOGMON" replay -c $C/natgw.conf $P/natgw.pcap)
grep -Eq '^198\.51\.100\.1 +natgw ' <<<"$out" || fail "natgw: no class in talker row"
grep -Eq '^class natgw: burst 100/1m, sustained 2000/1h, fanout 200/10m$' <<<"$out" ||
    fail "natgw: no class thresholds legend"
grep -q '^verdicts: none$' <<<"$out" || fail "natgw: verdicts not 'none'"
finish
