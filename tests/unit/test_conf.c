/*
 * test_conf.c: the configuration file.  Tables of config text and the exact
 * "file:line: message" output expected for it; every key set at once; the
 * syntax decisions (comments, continuation lines, indented keys, long
 * lines); conf_print read back; the example config; check-config's exit
 * statuses.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <arpa/inet.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "nflogmon.h"

#define S	US_PER_S

/* Loads text as file "t.conf"; the error output goes to *errs (malloc'd). */
static struct conf *
load_text(const char *text, char **errs)
{
	struct conf *c;
	size_t errlen;
	FILE *in, *e;

	assert_non_null(e = open_memstream(errs, &errlen));
	if (*text == '\0')	/* fmemopen refuses a zero size */
		in = fopen("/dev/null", "r");
	else
		in = fmemopen((void *)(uintptr_t)text, strlen(text), "r");
	assert_non_null(in);
	c = conf_load_stream(in, "t.conf", e);
	fclose(in);
	fclose(e);
	return c;
}

struct err_case {
	const char	*text;
	const char	*errs;		/* exact output */
};

static const struct err_case err_cases[] = {
	{ "[foo]\nx = 1\n", "t.conf:1: unknown section [foo]\n" },
	{ "[daemon]\nfoo = 1\n", "t.conf:2: unknown key 'foo' in [daemon]\n" },
	{ "[Daemon]\n", "t.conf:1: unknown section [Daemon]\n" },
	{ "[detect]\nburst = 1/1m\n\nburst = 2/1m\n",
	    "t.conf:4: 'burst' given twice in [detect] (first at line 2)\n" },
	{ "[detect]\nburst = 1/1m\n[detect]\nburst = 2/1m\n",
	    "t.conf:4: 'burst' given twice in [detect] (first at line 2)\n" },
	{ "[detect]\nburst = 20\n", "t.conf:2: burst: bad rate '20' "
	    "(COUNT/DURATION, e.g. 20/1m, or off)\n" },
	{ "[block]\nthrottle_rate = off\n", "t.conf:2: throttle_rate: bad "
	    "rate 'off' (COUNT/DURATION, e.g. 20/1m)\n" },
	{ "[block]\nmax_new_blocks = 0/1m\n", "t.conf:2: max_new_blocks: bad "
	    "rate '0/1m' (COUNT/DURATION, e.g. 20/1m)\n" },
	{ "[block]\ntimeout = 10\n", "t.conf:2: timeout: bad duration '10' "
	    "(e.g. 30s, 10m, 1h, 7d or permanent)\n" },
	{ "[block]\nhook_timeout = permanent\n", "t.conf:2: hook_timeout: "
	    "bad duration 'permanent' (e.g. 30s, 10m, 1h, 7d)\n" },
	{ "[block]\nstrike_memory = -1d\n", "t.conf:2: strike_memory: bad "
	    "duration '-1d' (e.g. 30s, 10m, 1h, 7d or permanent)\n" },
	{ "[block]\ndry_run = maybe\n",
	    "t.conf:2: dry_run: bad value 'maybe' (yes or no)\n" },
	{ "[block]\nbackend = iptables\n", "t.conf:2: backend: bad backend "
	    "'iptables' (ipset, nft or none)\n" },
	{ "[block]\nresponse = drop\n", "t.conf:2: response: bad response "
	    "'drop' (block or throttle)\n" },
	{ "[block]\nresponse = throttle\n", "t.conf:2: response = throttle "
	    "needs backend nft or none (backend is ipset)\n" },
	{ "[block]\nresponse = throttle\nbackend = ipset\n", "t.conf:3: "
	    "response = throttle needs backend nft or none (backend is "
	    "ipset)\n" },
	{ "[block]\nipset_name = abcdefghijabcdefghijabcdefghij1\n",
	    "t.conf:2: ipset_name: bad set name "
	    "'abcdefghijabcdefghijabcdefghij1' (1..30 letters, digits, '_', "
	    "'-', '.', starting with a letter; the IPv6 set adds '6')\n" },
	{ "[block]\nipset_name = bad name\n", "t.conf:2: ipset_name: bad set "
	    "name 'bad name' (1..30 letters, digits, '_', '-', '.', starting "
	    "with a letter; the IPv6 set adds '6')\n" },
	{ "[block]\nnft_table = nflogmon\n", "t.conf:2: nft_table: bad table "
	    "'nflogmon' (expected 'inet NAME', NAME of letters, digits, '_', "
	    "'-', '.')\n" },
	{ "[block]\nnft_table = ip nflogmon\n", "t.conf:2: nft_table: bad "
	    "table 'ip nflogmon' (expected 'inet NAME', NAME of letters, "
	    "digits, '_', '-', '.')\n" },
	{ "[block]\nnft_table = inet a b\n", "t.conf:2: nft_table: bad table "
	    "'inet a b' (expected 'inet NAME', NAME of letters, digits, '_', "
	    "'-', '.')\n" },
	{ "[block]\nhook = hook.sh\n",
	    "t.conf:2: hook: 'hook.sh' is not an absolute path\n" },
	{ "[block]\nescalate = 1h, 2x\n", "t.conf:2: escalate: bad duration "
	    "'2x' (e.g. 30s, 10m, 1h, 7d or permanent)\n" },
	{ "[block]\nescalate = 1h,1h,1h,1h,1h,1h,1h,1h,1h,1h,1h,1h,1h,1h,1h,"
	    "1h,1h\n", "t.conf:2: escalate: more than 16 timeouts\n" },
	{ "[block]\nipset_maxelem = 0\n",
	    "t.conf:2: ipset_maxelem: bad number '0' (1..4294967295)\n" },
	{ "[daemon]\ncontrol_socket =\n",
	    "t.conf:2: control_socket: a path is required\n" },
	{ "[daemon]\ncontrol_socket = /run/"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
	    "t.conf:2: control_socket: path longer than 107 characters\n" },
	{ "[daemon]\nstate_file = var/state\n",
	    "t.conf:2: state_file: 'var/state' is not an absolute path\n" },
	{ "[daemon]\nuser = no-such-user-nflogmon\n",
	    "t.conf:2: user: unknown user 'no-such-user-nflogmon'\n" },
	{ "[daemon]\nsocket_group = no-such-group-nflogmon\n", "t.conf:2: "
	    "socket_group: unknown group 'no-such-group-nflogmon'\n" },
	{ "[daemon]\nadmin_group = a b\n",
	    "t.conf:2: admin_group: unknown group 'a b'\n" },
	{ "[capture]\nports = 25, 0, 65536, 25\n",
	    "t.conf:2: ports: bad port '0' (1..65535)\n"
	    "t.conf:2: ports: bad port '65536' (1..65535)\n"
	    "t.conf:2: ports: port 25 listed twice\n" },
	{ "[capture]\nports =\n",
	    "t.conf:2: ports: at least one port is needed\n" },
	{ "[capture]\nports = 25,,587\n",
	    "t.conf:2: ports: empty list item\n" },
	{ "[capture]\nipv6_prefix = 0\n",
	    "t.conf:2: ipv6_prefix: bad number '0' (1..128)\n" },
	{ "[capture]\nipv6_prefix = 129\n",
	    "t.conf:2: ipv6_prefix: bad number '129' (1..128)\n" },
	{ "[capture]\nmax_sources = 0\n",
	    "t.conf:2: max_sources: bad number '0' (1..4294967295)\n" },
	{ "[capture]\nmax_sources = -5\n",
	    "t.conf:2: max_sources: bad number '-5' (1..4294967295)\n" },
	{ "[capture]\nforward_group = 65536\n", "t.conf:2: forward_group: bad "
	    "NFLOG group '65536' (0..65535 or off)\n" },
	{ "[capture]\noutput_group = 1\n",
	    "t.conf:2: forward_group and output_group are both 1\n" },
	{ "[allow]\naddresses = 192.0.2.0/24\n", "t.conf:2: addresses: "
	    "'192.0.2.0/24' is a network; list it under networks\n" },
	{ "[allow]\nnetworks = 192.0.2.1/24\n", "t.conf:2: networks: host bits "
	    "set in '192.0.2.1/24' (did you mean 192.0.2.0/24?)\n" },
	{ "[allow]\naddresses = 192.0.2.25\nnetworks = 192.0.2.25/32\n",
	    "t.conf:3: networks: 192.0.2.25/32 listed twice\n" },
	{ "[allow]\ndestinations = smtp.example.org\n", "t.conf:2: "
	    "destinations: bad address 'smtp.example.org'\n" },
	{ "[allow]\nuids = 0, root\n", "t.conf:2: uids: uid 0 listed twice\n" },
	{ "[allow]\nuids = no-such-user-nflogmon\n",
	    "t.conf:2: uids: unknown user 'no-such-user-nflogmon'\n" },
	{ "[class web]\nburst = 1/1s\n", "t.conf:1: [class web] has no "
	    "networks\n" },
	{ "[class web]\nnetworks = 198.51.100.0/24\n[class web]\n",
	    "t.conf:3: [class web] given twice (first at line 1)\n" },
	{ "[class a]\nnetworks = 198.51.100.0/24\n[class b]\n"
	    "networks = 203.0.113.0/24, 198.51.100.0/24\n",
	    "t.conf:4: networks: 198.51.100.0/24 is already in [class a] "
	    "(line 1)\n" },
	{ "[class a]\nnetworks = 198.51.100.0/24, 198.51.100.0/24\n",
	    "t.conf:2: networks: 198.51.100.0/24 listed twice\n" },
	{ "[class]\n", "t.conf:1: bad class name '' (1..63 letters, digits, "
	    "'_', '-', '.', starting with a letter)\n" },
	{ "[class a/b]\n", "t.conf:1: bad class name 'a/b' (1..63 letters, "
	    "digits, '_', '-', '.', starting with a letter)\n" },
	{ "[classic]\n", "t.conf:1: unknown section [classic]\n" },
	{ "[class web]\nnetworks = 198.51.100.0/24\nresponse = throttle\n",
	    "t.conf:3: response = throttle needs backend nft or none "
	    "(backend is ipset)\n" },
	{ "[class v6]\nnetworks = 2001:db8::/48, 2001:db8:1:2::/80\n",
	    "t.conf:2: [class v6] networks: an IPv6 network of /80 is longer "
	    "than ipv6_prefix (64): IPv6 sources are counted per /64\n" },
	{ "[block]\nmax_new_blocks = 1000001/1m\n",
	    "t.conf:2: max_new_blocks: at most 1000000 blocks per window\n" },
	{ "[class web]\nnetworks = 198.51.100.0/24\ntimeout = 1h\n",
	    "t.conf:3: unknown key 'timeout' in [class web]\n" },
	{ "ports = 25\n", "t.conf:1: 'ports' outside any section\n" },
	{ "[daemon]\njunk\n", "t.conf:2: expected KEY = VALUE\n" },
	{ "[daemon\n", "t.conf:1: expected ']' at the end of the section "
	    "header\n" },
	{ "[daemon]\n = x\n", "t.conf:2: bad key name ''\n" },
	{ "[daemon]\nst@te = x\n", "t.conf:2: bad key name 'st@te'\n" },
	{ "[detect]\nburst = 1/1m\n    2/1m\n", "t.conf:3: burst takes one "
	    "value; only lists continue on indented lines\n" },
	{ "[daemon]\nuser = \nstate_file = /x\0y\n",
	    "t.conf:3: NUL byte in line\n" },
	/* several errors in one run, in line order */
	{ "[capture]\nports = 0\nipv6_prefix = 200\n[detect]\nburst = x\n"
	    "[nope]\nfoo = bar\n[block]\nresponse = throttle\ntimeout = 0s\n"
	    "timeout = 1h\n[class c]\n",
	    "t.conf:2: ports: bad port '0' (1..65535)\n"
	    "t.conf:2: ports: at least one port is needed\n"
	    "t.conf:3: ipv6_prefix: bad number '200' (1..128)\n"
	    "t.conf:5: burst: bad rate 'x' (COUNT/DURATION, e.g. 20/1m, or "
	    "off)\n"
	    "t.conf:6: unknown section [nope]\n"
	    "t.conf:9: response = throttle needs backend nft or none "
	    "(backend is ipset)\n"
	    "t.conf:10: timeout: bad duration '0s' (e.g. 30s, 10m, 1h, 7d or "
	    "permanent)\n"
	    "t.conf:11: 'timeout' given twice in [block] (first at line 10)\n"
	    "t.conf:12: [class c] has no networks\n" },
};

/* The limits the error rows above test from the other side. */
static void
test_limits_accepted(void **state)
{
	static const char *const ok[] = {
		("[capture]\nipv6_prefix = 96\n[class v6]\nnetworks = "
		    "2001:db8:1:2::/80\n"),
		"[class v6]\nnetworks = 2001:db8:1:2::/64\n",
		"[block]\nmax_new_blocks = 1000000/1m\n",
	};
	struct conf *c;
	size_t i;
	FILE *in;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_non_null(in = fmemopen((void *)(uintptr_t)ok[i],
		    strlen(ok[i]), "r"));
		c = conf_load_stream(in, "t.conf", stderr);
		fclose(in);
		if (c == NULL)
			fail_msg("case %zu refused:\n%s", i, ok[i]);
		conf_free(c);
	}
}

static void
test_errors(void **state)
{
	struct conf *c;
	size_t i;
	char *errs;

	(void)state;
	for (i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++) {
		const char *text = err_cases[i].text;
		FILE *in, *e;
		size_t errlen;

		/* sizeof-based length: the NUL case embeds a NUL */
		assert_non_null(e = open_memstream(&errs, &errlen));
		assert_non_null(in = fmemopen((void *)(uintptr_t)text,
		    strlen(text) + (strstr(text, "/x") ? 3 : 0), "r"));
		c = conf_load_stream(in, "t.conf", e);
		fclose(in);
		fclose(e);
		if (c != NULL)
			fail_msg("case %zu loaded:\n%s", i, text);
		if (strcmp(errs, err_cases[i].errs) != 0)
			fail_msg("case %zu:\n%s\ngot:\n%swant:\n%s", i, text,
			    errs, err_cases[i].errs);
		free(errs);
	}
}

/*
 * block_clients = yes loads without a warning; with a clients N whose N + 1
 * is more than the engine keeps of an account, a warning says so; an
 * ipset_name too long for the clients sets is refused.
 */
static void
test_block_clients_warns(void **state)
{
	struct conf *c;
	char *errs = NULL, *out = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_non_null(c = load_text("[capture]\nforward_group = off\n"
	    "[accounts]\nblock_clients = yes\n", &errs));
	assert_string_equal(errs, "");
	assert_true(c->block_clients);
	assert_int_equal(conf_warnings(c, stderr), 0);
	free(errs);
	conf_free(c);
	errs = NULL;
	assert_non_null(c = load_text("[capture]\nforward_group = off\n"
	    "[accounts]\nblock_clients = yes\nclients = 40/10m\n", &errs));
	assert_non_null(f = open_memstream(&out, &len));
	assert_int_equal(conf_warnings(c, f), 1);
	fclose(f);
	assert_non_null(strstr(out, "t.conf: warning: block_clients = yes "
	    "with clients = 40/...: only the last 32 client addresses"));
	free(out);
	free(errs);
	conf_free(c);
	errs = NULL;
	assert_null(c = load_text("[block]\nipset_name = abcdefghijklmnopqrstuvw"
	    "\n[capture]\nforward_group = off\n[accounts]\n"
	    "block_clients = yes\n", &errs));
	assert_non_null(strstr(errs, "t.conf:6: ipset_name: at most 22 "
	    "characters with block_clients = yes"));
	free(errs);
}

static void
test_defaults(void **state)
{
	struct conf *c;
	char *errs;

	(void)state;
	assert_non_null(c = load_text("", &errs));
	assert_string_equal(errs, "");
	free(errs);
	assert_false(c->defaults);
	assert_string_equal(c->path, "t.conf");
	assert_string_equal(c->control_socket, "/run/nflogmon/nflogmon.sock");
	assert_string_equal(c->socket_group, "");
	assert_string_equal(c->admin_group, "");
	assert_string_equal(c->state_file, "/var/lib/nflogmon/state");
	assert_string_equal(c->user, "");
	assert_string_equal(c->metrics_file, "");
	assert_int_equal(c->forward_group, 1);
	assert_int_equal(c->output_group, 2);
	assert_int_equal(c->nports, 1);
	assert_int_equal(c->ports[0], 25);
	assert_int_equal(c->ipv6_prefix, 64);
	assert_int_equal(c->max_sources, 1000000);
	assert_int_equal(c->rate[RULE_BURST].n, 20);
	assert_int_equal(c->rate[RULE_BURST].w_us, 60 * S);
	assert_false(c->rate[RULE_BURST].off);
	assert_int_equal(c->rate[RULE_SUSTAINED].n, 120);
	assert_int_equal(c->rate[RULE_SUSTAINED].w_us, 3600 * S);
	assert_int_equal(c->rate[RULE_FANOUT].n, 15);
	assert_int_equal(c->rate[RULE_FANOUT].w_us, 600 * S);
	assert_int_equal(c->backend, BACKEND_IPSET);
	assert_true(c->create_sets);
	assert_string_equal(c->ipset_name, "nflogmon");
	assert_int_equal(c->ipset_maxelem, 1048576);
	assert_string_equal(c->nft_family, "inet");
	assert_string_equal(c->nft_table, "nflogmon");
	assert_int_equal(c->timeout_us, 3600 * S);
	assert_int_equal(c->nescalate, 3);
	assert_int_equal(c->escalate_us[0], 3600 * S);
	assert_int_equal(c->escalate_us[1], 86400 * S);
	assert_int_equal(c->escalate_us[2], 7 * 86400 * S);
	assert_int_equal(c->strike_memory_us, 30 * 86400 * S);
	assert_int_equal(c->max_new_blocks.n, 20);
	assert_int_equal(c->max_new_blocks.w_us, 60 * S);
	assert_false(c->dry_run);
	assert_int_equal(c->response, RESP_BLOCK);
	assert_int_equal(c->throttle_rate.n, 5);
	assert_int_equal(c->throttle_rate.w_us, 60 * S);
	assert_string_equal(c->hook, "");
	assert_int_equal(c->hook_timeout_us, 10 * S);
	assert_int_equal(netset_count(c->allow_src), 0);
	assert_int_equal(netset_count(c->allow_dst), 0);
	assert_int_equal(netset_count(c->class_nets), 0);
	assert_int_equal(c->nallow_uids, 0);
	assert_int_equal(c->nclasses, 0);
	assert_true(conf_port_watched(c, 25));
	assert_false(conf_port_watched(c, 587));
	assert_false(conf_port_watched(c, 0));
	assert_false(conf_uid_allowed(c, 0));
	conf_free(c);
}

static const char every_key[] =
    "; every key, none at its default\n"
    "[daemon]\n"
    "control_socket = /tmp/nflogmon-test.sock\n"
    "socket_group   = 0\n"
    "admin_group    = root\n"
    "state_file     = /tmp/nflogmon-state\n"
    "user           = root\n"
    "metrics_file   = /tmp/nflogmon.prom\n"
    "[capture]\n"
    "forward_group  = off\n"
    "output_group   = 0\n"
    "ports          = 25, 465, 587\n"
    "ipv6_prefix    = 56\n"
    "max_sources    = 5000\n"
    "[detect]\n"
    "burst          = 10/30s\n"
    "sustained      = off\n"
    "fanout         = 5/1h\n"
    "[block]\n"
    "backend        = nft\n"
    "create_sets    = no\n"
    "ipset_name     = spam_4\n"
    "ipset_maxelem  = 65536\n"
    "nft_table      = inet  filter_x\n"
    "timeout        = 2h\n"
    "escalate       = 10m, 1d, permanent\n"
    "strike_memory  = permanent\n"
    "max_new_blocks = 3/1h\n"
    "dry_run        = yes\n"
    "response       = throttle\n"
    "throttle_rate  = 2/5m\n"
    "hook           = /usr/local/bin/nflogmon-hook\n"
    "hook_timeout   = 1m\n"
    "[allow]\n"
    "addresses      = 192.0.2.25, 2001:db8::25\n"
    "networks       = 198.51.100.0/24, 2001:db8:5::/48\n"
    "uids           = root, 4242\n"
    "destinations   = 203.0.113.10, 203.0.113.128/25\n"
    "[class web]\n"
    "networks       = 198.18.0.0/16, 2001:db8:77::/48\n"
    "burst          = 100/1m\n"
    "sustained      = 2000/1h\n"
    "fanout         = off\n"
    "response       = block\n"
    "throttle_rate  = 50/1h\n"
    "[class lab]\n"
    "networks       = 198.18.7.0/24\n"
    "fanout         = 3/1m\n";

static struct addr
A(const char *s)
{
	struct addr a;
	int plen;

	if (parse_prefix(s, &a, &plen) == -1)
		fail_msg("bad address %s", s);
	return a;
}

static void
test_every_key(void **state)
{
	struct conf *c;
	struct addr a;
	char *errs;

	(void)state;
	c = load_text(every_key, &errs);
	if (c == NULL)
		fail_msg("%s", errs);
	free(errs);
	assert_string_equal(c->control_socket, "/tmp/nflogmon-test.sock");
	assert_string_equal(c->socket_group, "0");
	assert_string_equal(c->admin_group, "root");
	assert_string_equal(c->state_file, "/tmp/nflogmon-state");
	assert_string_equal(c->user, "root");
	assert_string_equal(c->metrics_file, "/tmp/nflogmon.prom");
	assert_int_equal(c->forward_group, CONF_GROUP_OFF);
	assert_int_equal(c->output_group, 0);
	assert_int_equal(c->nports, 3);
	assert_int_equal(c->ports[2], 587);
	assert_true(conf_port_watched(c, 465));
	assert_false(conf_port_watched(c, 26));
	assert_int_equal(c->ipv6_prefix, 56);
	assert_int_equal(c->max_sources, 5000);
	assert_int_equal(c->rate[RULE_BURST].n, 10);
	assert_int_equal(c->rate[RULE_BURST].w_us, 30 * S);
	assert_true(c->rate[RULE_SUSTAINED].off);
	assert_int_equal(c->rate[RULE_FANOUT].w_us, 3600 * S);
	assert_int_equal(c->backend, BACKEND_NFT);
	assert_false(c->create_sets);
	assert_string_equal(c->ipset_name, "spam_4");
	assert_int_equal(c->ipset_maxelem, 65536);
	assert_string_equal(c->nft_family, "inet");
	assert_string_equal(c->nft_table, "filter_x");
	assert_int_equal(c->timeout_us, 7200 * S);
	assert_int_equal(c->nescalate, 3);
	assert_int_equal(c->escalate_us[0], 600 * S);
	assert_int_equal(c->escalate_us[2], DURATION_PERMANENT);
	assert_int_equal(c->strike_memory_us, DURATION_PERMANENT);
	assert_int_equal(c->max_new_blocks.n, 3);
	assert_true(c->dry_run);
	assert_int_equal(c->response, RESP_THROTTLE);
	assert_int_equal(c->throttle_rate.n, 2);
	assert_int_equal(c->throttle_rate.w_us, 300 * S);
	assert_string_equal(c->hook, "/usr/local/bin/nflogmon-hook");
	assert_int_equal(c->hook_timeout_us, 60 * S);
	assert_int_equal(netset_count(c->allow_src), 4);
	a = A("192.0.2.25");
	assert_true(netset_lookup(c->allow_src, &a) >= 0);
	a = A("192.0.2.26");
	assert_int_equal(netset_lookup(c->allow_src, &a), -1);
	a = A("2001:db8:5:1::9");
	assert_true(netset_lookup(c->allow_src, &a) >= 0);
	a = A("203.0.113.200");
	assert_true(netset_lookup(c->allow_dst, &a) >= 0);
	a = A("203.0.113.11");
	assert_int_equal(netset_lookup(c->allow_dst, &a), -1);
	assert_int_equal(c->nallow_uids, 2);
	assert_true(conf_uid_allowed(c, 0));
	assert_true(conf_uid_allowed(c, 4242));
	assert_false(conf_uid_allowed(c, 1000));
	assert_int_equal(c->nclasses, 2);
	assert_string_equal(c->classes[0].name, "web");
	assert_true(c->classes[0].has_rate[RULE_BURST] && c->classes[0].has_rate[RULE_SUSTAINED] &&
	    c->classes[0].has_rate[RULE_FANOUT] && c->classes[0].has_response &&
	    c->classes[0].has_throttle_rate);
	assert_int_equal(c->classes[0].rate[RULE_BURST].n, 100);
	assert_int_equal(c->classes[0].rate[RULE_SUSTAINED].n, 2000);
	assert_true(c->classes[0].rate[RULE_FANOUT].off);
	assert_int_equal(c->classes[0].response, RESP_BLOCK);
	assert_int_equal(c->classes[0].throttle_rate.n, 50);
	assert_string_equal(c->classes[1].name, "lab");
	assert_false(c->classes[1].has_rate[RULE_BURST]);
	assert_false(c->classes[1].has_response);
	assert_true(c->classes[1].has_rate[RULE_FANOUT]);
	/* most specific network wins */
	a = A("198.18.7.1");
	assert_int_equal(netset_lookup(c->class_nets, &a), 1);
	a = A("198.18.8.1");
	assert_int_equal(netset_lookup(c->class_nets, &a), 0);
	a = A("2001:db8:77:1::1");
	assert_int_equal(netset_lookup(c->class_nets, &a), 0);
	a = A("198.19.0.1");
	assert_int_equal(netset_lookup(c->class_nets, &a), -1);
	conf_free(c);
}

/* Syntax that must load, and what it must mean. */
static void
test_syntax(void **state)
{
	struct conf *c;
	struct addr a;
	char *errs;

	(void)state;
	/* inline comments (';' and '#' after whitespace), empty values with
	 * a comment, CRLF, a BOM, indented keys, comment lines */
	c = load_text("\xef\xbb\xbf; top\r\n"
	    "# also a comment\r\n"
	    "[daemon]   ; comment after a header\r\n"
	    "  socket_group   =                   ; empty\r\n"
	    "  state_file = /var/lib/x;y   ; ';' inside a value stays\r\n"
	    "[detect]\r\n"
	    "\tburst = 7/1m # hash comment\r\n"
	    "    sustained=8/1h\r\n"
	    "[block]\n"
	    "hook = /usr/bin/a#b\n"
	    "escalate =\n", &errs);
	if (c == NULL)
		fail_msg("%s", errs);
	free(errs);
	assert_string_equal(c->socket_group, "");
	assert_string_equal(c->state_file, "/var/lib/x;y");
	assert_int_equal(c->rate[RULE_BURST].n, 7);
	assert_int_equal(c->rate[RULE_SUSTAINED].n, 8);
	assert_string_equal(c->hook, "/usr/bin/a#b");
	assert_int_equal(c->nescalate, 0);
	conf_free(c);

	/* continuation lines extend lists; comments and blank lines between
	 * them are skipped; a trailing comma is allowed */
	c = load_text("[capture]\n"
	    "ports = 25,\n"
	    "        465  ; submissions\n"
	    "\n"
	    "  ; a comment line\n"
	    "        587\n"
	    "[allow]\n"
	    "networks = 192.0.2.0/24\n"
	    "   198.51.100.0/24, 2001:db8::/32,\n", &errs);
	if (c == NULL)
		fail_msg("%s", errs);
	free(errs);
	assert_int_equal(c->nports, 3);
	assert_int_equal(c->ports[1], 465);
	assert_int_equal(c->ports[2], 587);
	assert_int_equal(netset_count(c->allow_src), 3);
	a = A("198.51.100.3");
	assert_true(netset_lookup(c->allow_src, &a) >= 0);
	conf_free(c);

	/* an error on a continuation line names that line */
	c = load_text("[capture]\nports = 25,\n  26,\n  x\n", &errs);
	assert_null(c);
	assert_string_equal(errs, "t.conf:4: ports: bad port 'x' (1..65535)\n");
	free(errs);
}

/* A 10,000+ character networks line, and errors on lines after it. */
static void
test_long_line(void **state)
{
	enum { N = 1000 };
	char *text, *p, *errs;
	struct conf *c;
	struct addr a;
	size_t len;
	int i;

	(void)state;
	assert_non_null(text = malloc(N * 20 + 200));
	p = text + sprintf(text, "[allow]\nnetworks = ");
	for (i = 0; i < N; i++)
		p += sprintf(p, "%s198.18.%d.%d", i ? ", " : "", i / 256,
		    i % 256);
	len = (size_t)(p - text) - strlen("[allow]\nnetworks = ");
	assert_true(len > 10000);
	sprintf(p, "\n[detect]\nburst = bad\n");
	c = load_text(text, &errs);
	assert_null(c);
	assert_string_equal(errs, "t.conf:4: burst: bad rate 'bad' "
	    "(COUNT/DURATION, e.g. 20/1m, or off)\n");
	free(errs);

	sprintf(p, "\n[detect]\nburst = 1/1s\n");
	c = load_text(text, &errs);
	if (c == NULL)
		fail_msg("%s", errs);
	free(errs);
	assert_int_equal(netset_count(c->allow_src), N);
	a = A("198.18.3.231");		/* the last one: 999 = 3 * 256 + 231 */
	assert_true(netset_lookup(c->allow_src, &a) >= 0);
	a = A("198.18.3.232");
	assert_int_equal(netset_lookup(c->allow_src, &a), -1);
	conf_free(c);

	/* an error at the end of a long line is reported with that line */
	strcpy(p, ", 198.18.0.0/15junk\n");
	c = load_text(text, &errs);
	assert_null(c);
	assert_string_equal(errs, "t.conf:2: networks: bad prefix length in "
	    "'198.18.0.0/15junk' (0..32)\n");
	free(errs);
	free(text);
}

/* conf_print's output loads back into the same settings. */
static void
roundtrip(const char *text)
{
	char *out1, *out2, *errs;
	struct conf *c, *c2;
	size_t len;
	FILE *f;

	c = load_text(text, &errs);
	if (c == NULL)
		fail_msg("%s", errs);
	free(errs);
	assert_non_null(f = open_memstream(&out1, &len));
	conf_print(c, f);
	fclose(f);
	c2 = load_text(out1, &errs);
	if (c2 == NULL)
		fail_msg("%s\nfrom:\n%s", errs, out1);
	free(errs);
	assert_non_null(f = open_memstream(&out2, &len));
	conf_print(c2, f);
	fclose(f);
	assert_string_equal(out1, out2);
	assert_int_equal(netset_count(c->allow_src),
	    netset_count(c2->allow_src));
	assert_int_equal(netset_count(c->class_nets),
	    netset_count(c2->class_nets));
	assert_int_equal(c->nclasses, c2->nclasses);
	assert_int_equal(c->nports, c2->nports);
	assert_memory_equal(c->ports, c2->ports, sizeof(c->ports));
	free(out1);
	free(out2);
	conf_free(c);
	conf_free(c2);
}

static void
test_roundtrip(void **state)
{
	char *out, *errs;
	struct conf *c;
	size_t len;
	FILE *f;

	(void)state;
	roundtrip("");
	roundtrip(every_key);
	/* every key is printed, in sections */
	c = load_text(every_key, &errs);
	free(errs);
	assert_non_null(f = open_memstream(&out, &len));
	conf_print(c, f);
	fclose(f);
	assert_non_null(strstr(out, "\n[allow]\naddresses      = 192.0.2.25, "
	    "2001:db8::25\nnetworks       = 198.51.100.0/24, 2001:db8:5::/48\n"
	    "uids           = 0, 4242\n"));
	assert_non_null(strstr(out, "\n[class lab]\nnetworks       = "
	    "198.18.7.0/24\nfanout         = 3/1m\n"));
	assert_non_null(strstr(out, "escalate       = 10m, 1d, permanent\n"));
	assert_non_null(strstr(out, "nft_table      = inet filter_x\n"));
	assert_non_null(strstr(out, "forward_group  = off\n"));
	assert_non_null(strstr(out, "sustained      = off\n"));
	assert_non_null(strstr(out, "hook_timeout   = 1m\n"));
	free(out);
	conf_free(c);
}

static char tmpdir[] = "/tmp/nflogmon-test-conf.XXXXXX";

static void
write_file(const char *path, const char *text)
{
	FILE *f;

	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static char *
capture(FILE *f)
{
	long n;
	char *s;

	fflush(f);
	n = ftell(f);
	assert_true(n >= 0);
	assert_non_null(s = calloc(1, (size_t)n + 1));
	rewind(f);
	if (n > 0)
		assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
	return s;
}

/* conf_load on files: missing, present, the default path. */
static void
test_files(void **state)
{
	char path[256], want[1024], *out;
	struct conf *c;
	FILE *e;

	(void)state;
	assert_non_null(mkdtemp(tmpdir));
	snprintf(path, sizeof(path), "%s/missing.conf", tmpdir);
	assert_non_null(e = tmpfile());
	assert_null(conf_load(path, e));
	out = capture(e);
	snprintf(want, sizeof(want), "%s: No such file or directory\n", path);
	assert_string_equal(out, want);
	free(out);
	fclose(e);

	snprintf(path, sizeof(path), "%s/bad.conf", tmpdir);
	write_file(path, "[detect]\nburst = 1\nfanout = 2\n");
	assert_non_null(e = tmpfile());
	assert_null(conf_load(path, e));
	out = capture(e);
	snprintf(want, sizeof(want),
	    "%s:2: burst: bad rate '1' (COUNT/DURATION, e.g. 20/1m, or off)\n"
	    "%s:3: fanout: bad rate '2' (COUNT/DURATION, e.g. 20/1m, or off)\n",
	    path, path);
	assert_string_equal(out, want);
	free(out);
	fclose(e);
	unlink(path);

	snprintf(path, sizeof(path), "%s/good.conf", tmpdir);
	write_file(path, every_key);
	assert_non_null(c = conf_load(path, stderr));
	assert_string_equal(c->path, path);
	assert_false(c->defaults);
	conf_free(c);
	unlink(path);

	/* the default path: only checkable where it does not exist */
	if (access(NFLOGMON_CONF, F_OK) == -1 && errno == ENOENT) {
		assert_non_null(c = conf_load(NULL, stderr));
		assert_true(c->defaults);
		assert_string_equal(c->path, NFLOGMON_CONF);
		assert_true(conf_port_watched(c, 25));
		conf_free(c);
	}
	rmdir(tmpdir);
}

/* The shipped example is complete and loads (tests run from the top). */
static void
test_example(void **state)
{
	char *out, line[512];
	struct conf *c;
	FILE *f, *e;
	size_t i;

	(void)state;
	assert_non_null(e = tmpfile());
	c = conf_load("examples/nflogmon.conf", e);
	out = capture(e);
	if (c == NULL)
		fail_msg("%s", out);
	free(out);
	fclose(e);
	assert_true(c->nclasses >= 1);
	conf_free(c);
	/* every key of the printed defaults appears in the example */
	assert_non_null(c = conf_defaults());
	assert_non_null(f = tmpfile());
	conf_print(c, f);
	conf_free(c);
	out = capture(f);
	fclose(f);
	for (i = 0; out[i] != '\0';) {
		size_t n = strcspn(out + i, "\n");
		char key[64];

		snprintf(line, sizeof(line), "%.*s", (int)n, out + i);
		i += n + (out[i + n] == '\n');
		if (sscanf(line, "%63[a-z_6] =", key) == 1) {
			char cmd[256];

			snprintf(cmd, sizeof(cmd), "grep -q '^%s *=' "
			    "examples/nflogmon.conf", key);
			if (system(cmd) != 0)
				fail_msg("key %s missing from the example", key);
		}
	}
	free(out);
}

static void
test_check_config(void **state)
{
	char path[256], *argv[4];
	char arg0[] = "check-config", argc_[] = "-c", bad[] = "-x";

	(void)state;
	snprintf(path, sizeof(path), "/tmp/nflogmon-test-cc.%d.conf",
	    (int)getpid());
	write_file(path, "[detect]\nburst = 5/1m\n");
	argv[0] = arg0;
	argv[1] = argc_;
	argv[2] = path;
	argv[3] = NULL;
	assert_int_equal(cmd_check_config(3, argv), EXIT_OK);
	write_file(path, "[detect]\nburst = 5\n");
	assert_int_equal(cmd_check_config(3, argv), EXIT_ERR);
	unlink(path);
	assert_int_equal(cmd_check_config(3, argv), EXIT_ERR);
	argv[1] = bad;
	assert_int_equal(cmd_check_config(2, argv), EXIT_USAGE);
	argv[1] = argc_;
	assert_int_equal(cmd_check_config(2, argv), EXIT_USAGE); /* no FILE */
	argv[1] = path;
	assert_int_equal(cmd_check_config(2, argv), EXIT_USAGE); /* operand */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_limits_accepted),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_block_clients_warns),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_check_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
