# lib_postfix.sh: a private, real Postfix for the e2e tests of the policy
# service.  Source it (it sources lib.sh for the helpers), call
# pf_net_up, pf_start, then send mail with pf_send.
#
#   client namespace                          MTA namespace
#   eth0 198.51.100.1 ----------------------- eth0 192.0.2.1 (+2001:db8:1::1)
#   clients: any of 198.51.100.0/24 and      Postfix smtpd on port 25,
#   2001:db8:5::/64 (AnyIP)                   [nflogmon run -f] (the test's)
#
# The instance is Debian's postfix binaries run by the test itself: its own
# config directory, queue and data directories and maillog_file, all in
# $NFL_WORK (never the system instance, never /etc/postfix; the system
# postfix is never started).  Its master runs in the foreground (-d) as a
# process the test owns and stops by PID in the EXIT trap.  Nothing is
# chrooted, so the policy socket is an absolute path under the queue:
# $PF_POLICY_SOCK (= queue/private/nflogmon, where a chrooted smtpd would
# find unix:private/nflogmon).
#
# SMTP AUTH is real: Cyrus SASL with a sasldb made by saslpasswd2 -f, PLAIN
# and LOGIN over a plain connection (test only).  Mail for the world is
# accepted and handed to Postfix's discard(8) transport: nothing leaves
# the namespace, no second MTA or DNS is needed, and the maillog still
# shows the whole path (smtpd, cleanup, qmgr, delivery status=sent).
# Relaying needs authentication (smtpd_relay_restrictions); an
# unauthenticated client is refused "Relay access denied".
#
# Postfix, swaks and saslpasswd2 come from scripts/install-deps.sh, which
# installs nothing where another MTA is installed: then the tests skip
# (77) saying so.

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PF_MTA4=192.0.2.1
PF_MTA6=2001:db8:1::1
PF_CLI_NET4=198.51.100		# clients 198.51.100.2 .. .254
PF_CLI_NET6=2001:db8:5:		# clients 2001:db8:5::N
NS_MTA=$NFL_ID-mta
NS_CLI=$NFL_ID-cli
PF_DIR=""			# $NFL_WORK/postfix
PF_MASTER_PID=""
PF_POLICY_SOCK=""
PF_PASSWORD=secret-pw-1

# Another MTA package installed (not postfix): its name(s), else "".
pf_other_mta() {
	dpkg-query -W -f '${Package}\t${Provides}\t${Status}\n' 2>/dev/null |
	    awk -F '\t' '$3 ~ /ok installed/ && $1 != "postfix" &&
		$2 ~ /(^|[ ,])mail-transport-agent([ ,]|$)/ { print $1 }' |
	    tr '\n' ' '
}

pf_require() {
	local other t
	nfl_require
	if [ ! -x /usr/lib/postfix/sbin/master ]; then
		other=$(pf_other_mta)
		[ -z "$other" ] ||
		    nfl_skip "another MTA is installed ($other): install-deps" \
		    "does not replace it with postfix"
		nfl_fail "postfix is not installed (scripts/install-deps.sh)"
	fi
	for t in swaks saslpasswd2 postconf; do
		command -v "$t" >/dev/null ||
		    nfl_fail "missing tool: $t (scripts/install-deps.sh)"
	done
	getent passwd postfix >/dev/null && getent group postdrop >/dev/null ||
	    nfl_fail "no postfix user or postdrop group (reinstall postfix)"
}

pf_cleanup() {
	local rc=$?
	set +e
	pf_stop
	if [ $rc -ne 0 ] && [ $rc -ne 77 ] && [ -n "$PF_DIR" ] &&
	    [ -f "$PF_DIR/maillog" ]; then
		echo "--- postfix maillog (last 30 lines):" >&2
		tail -n 30 "$PF_DIR/maillog" >&2
		echo "--- swaks (last 15 lines):" >&2
		tail -n 15 "$NFL_WORK/swaks.log" >&2
	fi
	(exit $rc)	# nfl_cleanup takes the status from $?
	nfl_cleanup
}

# The two namespaces and their link; client addresses are AnyIP.
pf_net_up() {
	pf_require
	trap pf_cleanup EXIT
	trap 'exit 1' INT TERM
	NFL_WORK=$(mktemp -d /tmp/nflogmon-e2e.XXXXXX)
	chmod 755 "$NFL_WORK"		# the postfix user reads below it
	PF_DIR=$NFL_WORK/postfix
	PF_POLICY_SOCK=$PF_DIR/queue/private/nflogmon
	nfl_ns_add "$NS_MTA"
	nfl_ns_add "$NS_CLI"
	ip -n "$NS_MTA" link add eth0 type veth peer name eth0 netns "$NS_CLI" ||
	    nfl_fail "veth"
	ip -n "$NS_MTA" addr add $PF_MTA4/24 dev eth0
	ip -n "$NS_MTA" addr add $PF_MTA6/64 dev eth0 nodad
	ip -n "$NS_MTA" link set eth0 up
	ip -n "$NS_MTA" route add $PF_CLI_NET4.0/24 via 192.0.2.2
	ip -n "$NS_MTA" -6 route add ${PF_CLI_NET6}:/64 via 2001:db8:1::2
	ip -n "$NS_CLI" addr add 192.0.2.2/24 dev eth0
	ip -n "$NS_CLI" addr add 2001:db8:1::2/64 dev eth0 nodad
	ip -n "$NS_CLI" link set eth0 up
	ip -n "$NS_CLI" route add local $PF_CLI_NET4.0/24 dev lo
	ip -n "$NS_CLI" -6 route add local ${PF_CLI_NET6}:/64 dev lo
	# swaks binds its client address; IPv6 AnyIP needs nonlocal bind
	nfl_in "$NS_CLI" sysctl -qw net.ipv6.ip_nonlocal_bind=1 ||
	    nfl_fail "sysctl ip_nonlocal_bind"
}

# Adds accounts (LOGIN@DOMAIN) to the sasldb, all with $PF_PASSWORD.
pf_accounts() {
	local a
	for a in "$@"; do
		echo "$PF_PASSWORD" | saslpasswd2 -f "$PF_DIR/sasldb2" -p \
		    -c -u "${a#*@}" "${a%@*}" ||
		    nfl_fail "saslpasswd2 $a"
	done
	chown postfix "$PF_DIR/sasldb2"
	chmod 600 "$PF_DIR/sasldb2"
}

# Writes the instance's config, queue and sasldb.  Arguments: the
# smtpd_recipient_restrictions (default: permit_sasl_authenticated,
# reject_unauth_destination); pf_policy_restrictions gives the policy one.
pf_setup() {
	local rcpt=${1:-permit_sasl_authenticated, reject_unauth_destination}
	local d
	mkdir -p "$PF_DIR/etc/sasl" "$PF_DIR/data"
	for d in active bounce corrupt defer deferred flush hold incoming \
	    private saved trace; do
		mkdir -p "$PF_DIR/queue/$d"
		chown postfix "$PF_DIR/queue/$d"
		chmod 700 "$PF_DIR/queue/$d"
	done
	mkdir -p "$PF_DIR/queue/maildrop" "$PF_DIR/queue/public" \
	    "$PF_DIR/queue/pid"
	chown postfix:postdrop "$PF_DIR/queue/maildrop" "$PF_DIR/queue/public"
	chmod 1730 "$PF_DIR/queue/maildrop"
	chmod 2710 "$PF_DIR/queue/public"
	chown postfix "$PF_DIR/data"
	chmod 700 "$PF_DIR/data"

	cat > "$PF_DIR/etc/sasl/smtpd.conf" <<-EOF
	pwcheck_method: auxprop
	auxprop_plugin: sasldb
	mech_list: PLAIN LOGIN
	sasldb_path: $PF_DIR/sasldb2
	EOF
	cat > "$PF_DIR/etc/main.cf" <<-EOF
	compatibility_level = 3.6
	queue_directory = $PF_DIR/queue
	data_directory = $PF_DIR/data
	maillog_file = $PF_DIR/maillog
	maillog_file_prefixes = $PF_DIR
	mail_owner = postfix
	setgid_group = postdrop
	myhostname = mx.example.test
	mydomain = example.test
	myorigin = \$myhostname
	mydestination =
	mynetworks = 127.0.0.0/8
	relay_domains =
	inet_interfaces = $PF_MTA4, $PF_MTA6
	inet_protocols = ipv4, ipv6
	alias_maps =
	alias_database =
	local_recipient_maps =
	default_transport = discard:
	relay_transport = discard:
	local_transport = discard:
	smtp_dns_support_level = disabled
	smtpd_peername_lookup = no
	biff = no
	smtpd_tls_security_level = none
	smtpd_sasl_auth_enable = yes
	smtpd_sasl_type = cyrus
	smtpd_sasl_path = smtpd
	cyrus_sasl_config_path = $PF_DIR/etc/sasl
	smtpd_sasl_security_options = noanonymous
	smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination
	smtpd_recipient_restrictions = $rcpt
	smtpd_client_connection_count_limit = 0
	smtpd_client_connection_rate_limit = 0
	anvil_rate_time_unit = 60s
	smtpd_error_sleep_time = 0
	smtpd_soft_error_limit = 1000
	smtpd_hard_error_limit = 1000
	default_process_limit = 20
	EOF
	# Nothing chrooted (the third-last column n): the instance reads its
	# files where they are.
	cat > "$PF_DIR/etc/master.cf" <<-'EOF'
	smtp      inet  n       -       n       -       -       smtpd
	pickup    unix  n       -       n       60      1       pickup
	cleanup   unix  n       -       n       -       0       cleanup
	qmgr      unix  n       -       n       300     1       qmgr
	rewrite   unix  -       -       n       -       -       trivial-rewrite
	bounce    unix  -       -       n       -       0       bounce
	defer     unix  -       -       n       -       0       bounce
	trace     unix  -       -       n       -       0       bounce
	verify    unix  -       -       n       -       1       verify
	flush     unix  n       -       n       1000?   0       flush
	proxymap  unix  -       -       n       -       -       proxymap
	showq     unix  n       -       n       -       -       showq
	error     unix  -       -       n       -       -       error
	retry     unix  -       -       n       -       -       error
	discard   unix  -       -       n       -       -       discard
	anvil     unix  -       -       n       -       1       anvil
	scache    unix  -       -       n       -       1       scache
	postlog   unix-dgram n  -       n       -       1       postlogd
	EOF
}

# The recipient restrictions with nflogmon's policy service first, as the
# README tells operators (fail open: default_action=DUNNO).
pf_policy_restrictions() {
	echo "check_policy_service { unix:$PF_POLICY_SOCK, timeout=2s," \
	    "default_action=DUNNO, try_limit=1 }, permit_sasl_authenticated," \
	    "reject_unauth_destination"
}

pf_smtp_up() {
	nfl_in "$NS_CLI" python3 -c '
import socket, sys
s = socket.create_connection((sys.argv[1], 25), timeout=1)
sys.exit(0 if s.recv(512).startswith(b"220") else 1)' $PF_MTA4
}

# Starts the instance's master in the foreground and waits until smtpd
# answers with its 220 banner (bounded).
pf_start() {
	postconf -c "$PF_DIR/etc" -n >/dev/null 2>"$PF_DIR/postconf.err" ||
	    nfl_fail "postconf: $(cat "$PF_DIR/postconf.err")"
	ip netns exec "$NS_MTA" /usr/lib/postfix/sbin/master -d \
	    -c "$PF_DIR/etc" > "$PF_DIR/master.log" 2>&1 &
	PF_MASTER_PID=$!
	NFL_PIDS+=($PF_MASTER_PID)
	nfl_wait_until 20 pf_smtp_up || {
		cat "$PF_DIR/master.log" "$PF_DIR/maillog" >&2
		nfl_fail "postfix did not answer on $PF_MTA4:25 within 20 s"
	}
	nfl_log "postfix ready (master pid $PF_MASTER_PID)"
}

# Stops master by PID (it stops its children) and waits for it.
pf_stop() {
	[ -n "$PF_MASTER_PID" ] || return 0
	nfl_kill "$PF_MASTER_PID"
	PF_MASTER_PID=""
}

# pf_send CLIENT_ADDR LOGIN|- FROM TO [swaks args...]: one message; prints
# swaks' transcript to $NFL_WORK/swaks.log, returns swaks' exit status
# (0 accepted, 24 refused at RCPT, 28 auth failed...).  LOGIN - : no AUTH.
pf_send() {
	local cli=$1 login=$2 from=$3 to=$4 rc
	shift 4
	local auth=() server=$PF_MTA4
	case $cli in *:*) server=$PF_MTA6 ;; esac
	[ "$login" = - ] || auth=(--auth PLAIN --auth-user "$login"
	    --auth-password "$PF_PASSWORD")
	echo "=== $cli $login $from -> $to" >> "$NFL_WORK/swaks.log"
	nfl_in "$NS_CLI" timeout 30 swaks --server "$server" --port 25 \
	    --local-interface "$cli" --helo client.example \
	    --from "$from" --to "$to" "${auth[@]}" \
	    --timeout 15 "$@" >> "$NFL_WORK/swaks.log" 2>&1
	rc=$?
	echo "=== exit $rc" >> "$NFL_WORK/swaks.log"
	return "$rc"
}

# Lines of the maillog matching an extended regex (0 when none).
pf_log_count() {
	grep -cE -- "$1" "$PF_DIR/maillog" 2>/dev/null || true
}

# Waits (bounded) until the maillog has at least N lines matching RE.
pf_wait_log() {
	local n=$1 re=$2 end=$((SECONDS + ${3:-20}))
	while [ "$(pf_log_count "$re")" -lt "$n" ]; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.2
	done
}

# Writes the daemon's config for the policy tests: no capture, backend
# none, the policy service at $PF_POLICY_SOCK; "section.key=value"
# arguments replace or add (sections [accounts] and [mta] too).
pf_nflogmon_conf() {
	local a
	local -a base=() extra=()
	for a in "$@"; do
		case $a in
		accounts.*|mta.*) extra+=("$a") ;;
		*) base+=("$a") ;;
		esac
	done
	nfl_conf capture.forward_group=off capture.output_group=off \
	    block.backend=none "${base[@]}"
	{
		echo "[accounts]"
		for a in "${extra[@]}"; do
			case $a in accounts.*) a=${a#accounts.}
				echo "${a%%=*} = ${a#*=}" ;; esac
		done
		echo "[mta]"
		echo "policy_listen = unix:$PF_POLICY_SOCK"
		echo "policy_group = postfix"
		for a in "${extra[@]}"; do
			case $a in mta.*) a=${a#mta.}
				echo "${a%%=*} = ${a#*=}" ;; esac
		done
	} >> "$NFL_CONF"
}

# Starts nflogmon in the MTA namespace with that config and waits until
# the policy socket answers (bounded).
pf_nflogmon_start() {
	[ -n "${NFL_CONF:-}" ] || pf_nflogmon_conf
	ip netns exec "$NS_MTA" "$NFLOGMON" run -f -c "$NFL_CONF" \
	    >> "$NFL_WORK/daemon.log" 2>&1 &
	NFL_DAEMON_PID=$!
	NFL_PIDS+=($NFL_DAEMON_PID)
	nfl_wait_until 15 pf_policy_up ||
	    nfl_fail "nflogmon's policy service not up within 15 s: $(tail -n 5 "$NFL_WORK/daemon.log")"
	nfl_log "nflogmon ready (pid $NFL_DAEMON_PID)"
}

pf_policy_up() {
	kill -0 "$NFL_DAEMON_PID" 2>/dev/null || return 1
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])' "$PF_POLICY_SOCK"
}

# The daemon's status --json (run in the MTA namespace).
pf_status_json() {
	nfl_in "$NS_MTA" "$NFLOGMON" status -c "$NFL_CONF" --json 2>/dev/null
}
