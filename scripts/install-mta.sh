#!/bin/sh
# Installs what the real-MTA tests need (postfix, swaks, sasl2-bin,
# libsasl2-modules, and swaks' IPv6 module) without starting or enabling any service and without
# configuring Postfix: the tests run a private instance with its own
# config and queue in a temp dir, never the system one, never /etc/postfix.
# It never replaces another MTA: where a package other than postfix
# provides mail-transport-agent (exim4-daemon-*, sendmail, opensmtpd...),
# it installs nothing and the tests skip, saying why.  Idempotent, and
# quick when everything is present.
set -eu

PKGS="postfix swaks sasl2-bin libsasl2-modules libio-socket-inet6-perl"

# Installed packages other than postfix that provide an MTA (one per line).
other_mta() {
	dpkg-query -W -f '${Package}\t${Provides}\t${Status}\n' 2>/dev/null |
	    awk -F '\t' '$3 ~ /ok installed/ && $1 != "postfix" &&
		$2 ~ /(^|[ ,])mail-transport-agent([ ,]|$)/ { print $1 }'
}

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
		missing="$missing $p"
	fi
done
if [ -z "$missing" ]; then
	echo "install-mta: all packages present"
	exit 0
fi

other=$(other_mta | tr '\n' ' ')
if [ -n "$other" ]; then
	echo "install-mta: another MTA is installed ($other), not replacing" \
	    "it: the Postfix tests will skip" >&2
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "install-mta: missing packages:$missing; run as root to install them" >&2
	exit 1
fi

# No service may start while the packages install: invoke-rc.d asks
# policy-rc.d, and 101 means "forbidden".  One already in place (a
# container's) is put aside and put back afterwards.
rcd=/usr/sbin/policy-rc.d
saved=""
restore() {
	rm -f "$rcd"
	if [ -n "$saved" ]; then
		mv -f "$saved" "$rcd"
	fi
}
if [ -e "$rcd" ]; then
	saved=$(mktemp "$rcd.nflogmon.XXXXXX")
	cp -p "$rcd" "$saved"
fi
trap restore EXIT
trap 'exit 1' INT TERM HUP
printf '#!/bin/sh\nexit 101\n' > "$rcd.tmp"
chmod 755 "$rcd.tmp"
mv -f "$rcd.tmp" "$rcd"

echo "install-mta: installing$missing (no service started)"
export DEBIAN_FRONTEND=noninteractive
echo "postfix postfix/main_mailer_type select No configuration" |
    debconf-set-selections
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
# The package enables its unit on install (deb-systemd-helper does not ask
# policy-rc.d): the system Postfix stays off, as it was.
case "$missing" in
*" postfix"*)
	if command -v systemctl >/dev/null 2>&1; then
		systemctl disable --quiet postfix.service 2>/dev/null || true
	fi
	;;
esac
