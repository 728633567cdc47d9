#!/bin/sh
# Installs every Debian package nflogmon needs to build, test, fuzz and
# demo. Idempotent: packages already present are left alone, and apt is only
# asked when something is missing. Must run as root on Debian 12.
set -eu

PKGS="build-essential make gcc clang pkg-config cppcheck
libnetfilter-log-dev libnfnetlink-dev libmnl-dev libipset-dev libpcap-dev
libnftables-dev libinih-dev libjansson-dev zlib1g-dev libcap-ng-dev libcmocka-dev
libsystemd-dev libclang-rt-14-dev
valgrind tcpdump man-db groff-base iproute2 nftables ipset iptables
util-linux procps python3 jq bc systemd"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
else
	if [ "$(id -u)" -ne 0 ]; then
		echo "install-deps: missing packages:$missing; run as root to install them" >&2
		exit 1
	fi
	echo "install-deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing
fi

# The real-MTA tests (tests/e2e/policy_*.sh): Postfix with Cyrus sasldb and
# swaks, installed without starting any service and never over another MTA.
"$(dirname "$0")/install-mta.sh"
