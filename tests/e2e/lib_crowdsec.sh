# lib_crowdsec.sh: a CrowdSec Local API of the test's own, for the fleet
# tests.  Source it after lib.sh.
#
#   lapi namespace ($NFL_ID-lapi)
#   eth0 198.51.100.5:8080  [crowdsec -no-cs -no-capi]   --- cs_link NS ADDR
#
# Debian's crowdsec runs alone (no agent, no central API) with its own
# config, SQLite database and credentials in $NFL_WORK/crowdsec; the host's
# /etc/crowdsec is read for nothing but the package's files, and the
# system service is never touched.  The LAPI process is started here and
# stopped by PID in nfl_cleanup (it is in NFL_PIDS).  Each peer namespace
# gets a veth to the LAPI namespace with cs_link.
#
#   cs_up                  start the LAPI (CS_URL, CS_CONF, CS_DIR set)
#   cs_link NS ADDR        connect namespace NS with ADDR/24 to the LAPI
#   cs_machine NAME FILE   `cscli machines add NAME --password P -f FILE`
#   cs_bouncer NAME FILE   `cscli bouncers add NAME`, the key alone in FILE
#   cs_cscli ARGS...       cscli with the test's config, in the namespace
#   cs_stop / cs_restart   stop or restart the LAPI (same database)

NS_LAPI=$NFL_ID-lapi
CS_ADDR=198.51.100.5
CS_PORT=8080
CS_URL=http://$CS_ADDR:$CS_PORT
CS_DIR=""
CS_CONF=""
CS_PID=""
CS_LINKS=0

cs_require() {
	local t
	for t in crowdsec cscli curl; do
		command -v "$t" >/dev/null ||
		    nfl_fail "missing tool: $t (scripts/install-deps.sh)"
	done
}

cs_cscli() { nfl_in "$NS_LAPI" cscli -c "$CS_CONF" "$@"; }

cs_write_conf() {
	mkdir -p "$CS_DIR/data" "$CS_DIR/hub" "$CS_DIR/log" \
	    "$CS_DIR/notifications"
	cat > "$CS_CONF" <<EOF
common:
  daemonize: false
  log_media: file
  log_level: info
  log_dir: $CS_DIR/log/
  working_dir: .
config_paths:
  config_dir: $CS_DIR/
  data_dir: $CS_DIR/data/
  simulation_path: $CS_DIR/simulation.yaml
  hub_dir: $CS_DIR/hub/
  index_path: $CS_DIR/hub/.index.json
  notification_dir: $CS_DIR/notifications/
  plugin_dir: /usr/lib/crowdsec/plugins/
crowdsec_service:
  acquisition_path: $CS_DIR/acquis.yaml
cscli:
  output: human
db_config:
  log_level: info
  type: sqlite
  db_path: $CS_DIR/data/crowdsec.db
  use_wal: true
  flush:
    max_items: 5000
    max_age: 7d
api:
  client:
    insecure_skip_verify: false
    credentials_path: $CS_DIR/local_api_credentials.yaml
  server:
    log_level: info
    listen_uri: $CS_ADDR:$CS_PORT
    profiles_path: $CS_DIR/profiles.yaml
    trusted_ips:
      - 127.0.0.1
prometheus:
  enabled: false
EOF
	echo "simulation: off" > "$CS_DIR/simulation.yaml"
	echo '{}' > "$CS_DIR/hub/.index.json"
	cat > "$CS_DIR/profiles.yaml" <<EOF
name: default_ip_remediation
filters:
 - Alert.Remediation == true && Alert.GetScope() == "Ip"
decisions:
 - type: ban
   duration: 4h
on_success: break
EOF
	: > "$CS_DIR/acquis.yaml"
}

cs_start_lapi() {
	# a simple command, so that $! is crowdsec itself (ip netns exec
	# execs it), the PID nfl_kill stops
	ip netns exec "$NS_LAPI" crowdsec -c "$CS_CONF" -no-cs -no-capi \
	    > "$CS_DIR/log/stdout.log" 2>&1 &
	CS_PID=$!
	NFL_PIDS+=("$CS_PID")
	nfl_wait_until 30 nfl_in "$NS_LAPI" curl -s -o /dev/null \
	    "$CS_URL/v1/decisions/stream" || {
		tail -n 20 "$CS_DIR/log/crowdsec_api.log" "$CS_DIR/log/stdout.log" \
		    >&2 2>/dev/null
		nfl_fail "the LAPI did not start"
	}
}

cs_up() {
	cs_require
	[ -n "$NFL_WORK" ] || NFL_WORK=$(mktemp -d /tmp/nfl-e2e.XXXXXX)
	CS_DIR=$NFL_WORK/crowdsec
	CS_CONF=$CS_DIR/config.yaml
	mkdir -p "$CS_DIR"
	chmod 0700 "$CS_DIR"
	cs_write_conf
	nfl_ns_add "$NS_LAPI"
	nfl_in "$NS_LAPI" ip link add br0 type bridge
	nfl_in "$NS_LAPI" ip addr add "$CS_ADDR/24" dev br0
	nfl_in "$NS_LAPI" ip link set br0 up
	# cscli's own machine, for `cscli alerts list`
	cs_cscli machines add cscli-test --password "cli-$RANDOM$RANDOM" \
	    -f "$CS_DIR/local_api_credentials.yaml" >/dev/null 2>&1 ||
	    nfl_fail "cscli machines add failed"
	sed -i "s|^url:.*|url: $CS_URL|" "$CS_DIR/local_api_credentials.yaml"
	cs_start_lapi
}

# A veth from namespace NS (address ADDR/24) to the LAPI's bridge.
cs_link() {
	local ns=$1 addr=$2 n=$CS_LINKS
	CS_LINKS=$((CS_LINKS + 1))
	ip link add "cs$n-$$" netns "$NS_LAPI" type veth peer name lapi0 \
	    netns "$ns" || nfl_fail "cannot link $ns to the LAPI"
	nfl_in "$NS_LAPI" ip link set "cs$n-$$" master br0 up
	nfl_in "$ns" ip addr add "$addr/24" dev lapi0
	nfl_in "$ns" ip link set lapi0 up
}

# Machine credentials as cscli writes them (YAML with url, login,
# password), mode 0600.
cs_machine() {
	local name=$1 file=$2
	cs_cscli machines add "$name" --password "pw-$RANDOM$RANDOM$RANDOM" \
	    -f "$file" >/dev/null 2>&1 || nfl_fail "machines add $name failed"
	chmod 0600 "$file"
}

cs_bouncer() {
	local name=$1 file=$2
	cs_cscli bouncers add "$name" -o raw > "$file" 2>/dev/null ||
	    nfl_fail "bouncers add $name failed"
	chmod 0600 "$file"
	[ -s "$file" ] || nfl_fail "bouncers add $name wrote no key"
}

cs_stop() {
	nfl_kill "$CS_PID"
	CS_PID=""
}

cs_restart() {
	cs_stop
	cs_start_lapi
}
