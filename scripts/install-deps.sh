#!/bin/sh
# Installs every Debian package nflogmon needs to build, test, fuzz and
# demo. Idempotent: packages already present are left alone, and apt is only
# asked when something is missing. Must run as root on Debian 12.
set -eu

PKGS="build-essential make gcc clang pkg-config cppcheck
libnetfilter-log-dev libnfnetlink-dev libmnl-dev libipset-dev libpcap-dev
libnftables-dev libnftnl-dev libinih-dev libjansson-dev zlib1g-dev libcap-ng-dev libcmocka-dev
libsystemd-dev libclang-rt-14-dev libcurl4-openssl-dev
libsqlite3-dev sqlite3
valgrind tcpdump man-db groff-base iproute2 nftables ipset iptables
util-linux procps python3 jq bc systemd"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
		missing="$missing $p"
	fi
done

# CrowdSec's LAPI and firewall bouncer, for the fleet tests: installed
# offline and never started. The package would register with CrowdSec's
# central API on install unless this file exists (its README.Debian); the
# temporary policy-rc.d (exit 101) keeps the services from starting, and
# they are never enabled by this script.
CSPKGS="crowdsec crowdsec-firewall-bouncer"
csmissing=""
for p in $CSPKGS; do
	if ! dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
		csmissing="$csmissing $p"
	fi
done

if [ -z "$missing" ] && [ -z "$csmissing" ]; then
	echo "install-deps: all packages present"
else
	if [ "$(id -u)" -ne 0 ]; then
		echo "install-deps: missing packages:$missing$csmissing; run as root to install them" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
fi

if [ -n "$missing" ]; then
	echo "install-deps: installing$missing"
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing
fi

if [ -n "$csmissing" ]; then
	echo "install-deps: installing$csmissing (offline, not started)"
	mkdir -p /etc/crowdsec
	if [ ! -e /etc/crowdsec/online_api_credentials.yaml ]; then
		echo "# no central API: installed offline by nflogmon's install-deps" \
		    > /etc/crowdsec/online_api_credentials.yaml
	fi
	rcd=/usr/sbin/policy-rc.d
	saved=""
	if [ -e "$rcd" ]; then
		saved="$rcd.nflogmon-saved"
		mv "$rcd" "$saved"
	fi
	printf '#!/bin/sh\nexit 101\n' > "$rcd"
	chmod 0755 "$rcd"
	rc=0
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $csmissing || rc=$?
	rm -f "$rcd"
	if [ -n "$saved" ]; then
		mv "$saved" "$rcd"
	fi
	[ "$rc" -eq 0 ] || exit "$rc"
	# The packages enable their units; the tests run their own LAPI.
	systemctl disable crowdsec crowdsec-firewall-bouncer >/dev/null 2>&1 || true
fi

# The real-MTA tests (tests/e2e/policy_*.sh): Postfix with Cyrus sasldb and
# swaks, installed without starting any service and never over another MTA.
"$(dirname "$0")/install-mta.sh"
