#!/usr/bin/env bash
# The capture example of nflogmon(8) (EXAMPLES) runs as printed on a
# gateway that loaded `nflogmon rules` of a config naming its LAN
# interface: the nft command is accepted and puts a group 3 log rule in the
# chain of group 1, after it.
. "$(dirname "$0")/lib.sh"
nfl_require
trap nfl_cleanup EXIT
NFL_WORK=$(mktemp -d /tmp/nflogmon-e2e.XXXXXX)
nfl_ns_add "$NS_GW"
nfl_conf
nfl_rules_load nft

# The example's nft command, with the man page's line continuation joined.
LC_ALL=C.UTF-8 MANWIDTH=200 man -l "$NFL_TOP/man/nflogmon.8" 2>/dev/null |
    sed -n '/^EXAMPLES/,/^SEE ALSO/p' |
    awk '/^ *nft add rule/ { cmd = $0; while (cmd ~ /\\$/) { sub(/\\$/, "", cmd);
        getline l; sub(/^ */, "", l); cmd = cmd l } print cmd }' \
    > "$NFL_WORK/cmd"
[ "$(wc -l < "$NFL_WORK/cmd")" = 1 ] ||
    nfl_fail "no single 'nft add rule' in nflogmon(8) EXAMPLES: $(cat "$NFL_WORK/cmd")"
sed -i 's/^ *//' "$NFL_WORK/cmd"
nfl_log "example: $(cat "$NFL_WORK/cmd")"
ip netns exec "$NS_GW" sh -e "$NFL_WORK/cmd" || nfl_fail "the example was refused"

nfl_in "$NS_GW" nft list chain inet nflogmon smtp_forward > "$NFL_WORK/chain"
g1=$(grep -n 'log group 1 ' "$NFL_WORK/chain" | cut -d: -f1)
g3=$(grep -n 'log group 3 snaplen 256' "$NFL_WORK/chain" | cut -d: -f1)
[ -n "$g1" ] && [ -n "$g3" ] && [ "$g3" -gt "$g1" ] ||
    nfl_fail "group 3 rule not after group 1: $(cat "$NFL_WORK/chain")"
echo PASS
