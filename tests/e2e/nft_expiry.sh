#!/usr/bin/env bash
# nft backend, expiry: a block of 3 s leaves blocked4 (and the bot's SMTP
# works again) once it ends, and a second offence is a second strike with
# the next timeout of escalate.
. "$(dirname "$0")/lib.sh"
nfl_net_up
nfl_conf block.backend=nft detect.burst=5/1m block.timeout=3s \
    block.escalate="3s, 1h"
nfl_daemon_start

nft_has() { nfl_in "$NS_GW" nft list set inet nflogmon "$1" | grep -q -- "$2"; }
nft_hasnt() { ! nft_has "$@"; }

nfl_client --src $BOT4 --dst ${SRV4}+10 --port 25 --count 10 --interval 0.05 >/dev/null
nfl_wait_until 5 nft_has blocked4 "$BOT4" || nfl_fail "bot not blocked"
nfl_connect_refused $BOT4 ${SRV4%.*}.170 25 || nfl_fail "blocked bot's SMTP not reset"
# The block ends after 3 s (bounded wait: 10 s).
nfl_wait_until 10 nft_hasnt blocked4 "$BOT4" || nfl_fail "block did not expire"
nfl_wait_until 5 nfl_connect_ok $BOT4 ${SRV4%.*}.171 25 ||
    nfl_fail "bot's SMTP still reset after the block ended"

# Second offence: the second timeout of escalate.
nfl_client --src $BOT4 --dst ${SRV4}+10 --port 25 --count 10 --interval 0.05 >/dev/null
nfl_wait_until 5 nft_has blocked4 "$BOT4 timeout 1h" ||
    nfl_fail "second strike not 1h: $(nfl_in "$NS_GW" nft list set inet nflogmon blocked4)"
nfl_daemon_alive || nfl_fail "daemon died"
echo "PASS"
