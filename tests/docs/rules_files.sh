#!/usr/bin/env bash
# The shipped rule files are what `nflogmon rules` prints for the example
# config (rules.nft; ipset/nflogmon.iptables and .ip6tables with --iptables
# and --ip6tables), so they can never drift from the config; `rules` needs
# no privilege (it never touches the kernel); bad input fails with
# "file:line: message" in both `rules` and `check-config`.
set -u
cd "$(dirname "$0")/../.." || exit 1
NFLOGMON=${NFLOGMON:-$PWD/build/nflogmon}
T=$(mktemp -d /tmp/nflogmon-rules.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail=0
no() { echo "FAIL: $*"; fail=1; }

for pair in ":rules.nft" "--iptables:ipset/nflogmon.iptables" \
    "--ip6tables:ipset/nflogmon.ip6tables"; do
	opt=${pair%%:*} file=${pair#*:}
	# shellcheck disable=SC2086
	"$NFLOGMON" rules -c examples/nflogmon.conf $opt >"$T/out" 2>"$T/err" ||
	    no "nflogmon rules $opt failed: $(cat "$T/err")"
	diff -u "$file" "$T/out" >"$T/diff" ||
	    { no "$file differs from nflogmon rules $opt -c examples/nflogmon.conf (regenerate it):"; head -20 "$T/diff"; }
done

# No privilege needed: the same bytes as user nobody, without capabilities.
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	cp examples/nflogmon.conf "$T/ex.conf" && chmod 0755 "$T" && chmod 0644 "$T/ex.conf"
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
	    "$NFLOGMON" rules -c "$T/ex.conf" >"$T/nobody" 2>/dev/null ||
	    no "nflogmon rules fails without privileges"
	"$NFLOGMON" rules -c "$T/ex.conf" 2>/dev/null | cmp -s - "$T/nobody" ||
	    no "nflogmon rules prints something else without privileges"
fi

"$NFLOGMON" rules --iptables --ip6tables >/dev/null 2>&1
[ $? -eq 2 ] || no "rules --iptables --ip6tables: want usage error 2"
"$NFLOGMON" rules --bogus >/dev/null 2>&1
[ $? -eq 2 ] || no "rules --bogus: want usage error 2"
"$NFLOGMON" rules --help | grep -qE 'nflogmon rules +\[-c FILE\] \[--iptables | --ip6tables\]' ||
    no "rules --help"

# Bad input: CONFIG LINES | the messages expected, one per line.
while IFS='|' read -r conf want; do
	printf '%b\n' "$conf" >"$T/bad.conf"
	for cmd in "rules" "rules --iptables" "check-config"; do
		# shellcheck disable=SC2086
		"$NFLOGMON" $cmd -c "$T/bad.conf" >"$T/out" 2>"$T/err"
		rc=$?
		[ $rc -eq 1 ] || no "$cmd of '$conf': rc=$rc, want 1"
		[ ! -s "$T/out" ] || no "$cmd of '$conf' printed on stdout"
		grep -qF -- "$T/bad.conf:$want" "$T/err" ||
		    no "$cmd of '$conf': want '$want', got: $(cat "$T/err")"
	done
done <<'EOF2'
[capture]\nlan_interfaces = eth0, bad/name|2: lan_interfaces: bad interface name 'bad/name'
[capture]\nlan_interfaces = eth+|2: lan_interfaces: bad interface name 'eth+'
[capture]\nlan_interfaces = 0123456789abcdef|2: lan_interfaces: bad interface name '0123456789abcdef'
[capture]\nlan_interfaces = ..|2: lan_interfaces: bad interface name '..'
[capture]\nlan_interfaces = lan0, lan0|2: lan_interfaces: lan0 listed twice
[capture]\nlog_allowed = maybe|2: log_allowed: bad value 'maybe'
[capture]\nports = 25, 65536|2: ports: bad port '65536' (1..65535)
[capture]\nports = 0|2: ports: bad port '0' (1..65535)
[allow]\naddresses = 192.0.2.25\nnetworks = 192.0.2.0/24|3: addresses: 192.0.2.25 lies inside 192.0.2.0/24 (networks): nft's interval sets refuse overlapping entries
[allow]\nnetworks = 2001:db8::/32, 2001:db8:1::/48|2: networks: 2001:db8:1::/48 lies inside 2001:db8::/32 (networks)
[allow]\naddresses = ::ffff:192.0.2.7|2: addresses: ::ffff:192.0.2.7 is an IPv4-mapped IPv6 address
[allow]\ndestinations = 198.51.100.0/24, 198.51.100.7|2: destinations: 198.51.100.7 lies inside 198.51.100.0/24
EOF2

# An empty lan_interfaces with forward_group on: a warning, not an error.
printf '[capture]\nforward_group = 1\n' >"$T/warn.conf"
"$NFLOGMON" check-config -c "$T/warn.conf" >/dev/null 2>"$T/err" || no "check-config of warn.conf failed"
grep -q "warning: lan_interfaces is empty while forward_group is 1" "$T/err" ||
    no "no warning for an empty lan_interfaces: $(cat "$T/err")"
printf '[capture]\nforward_group = off\n' >"$T/nowarn.conf"
"$NFLOGMON" check-config -c "$T/nowarn.conf" >/dev/null 2>"$T/err"
[ ! -s "$T/err" ] || no "warning with forward_group = off: $(cat "$T/err")"

[ $fail -eq 0 ] && echo "PASS: rule files equal nflogmon rules; bad input refused"
exit $fail
