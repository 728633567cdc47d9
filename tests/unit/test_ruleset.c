/*
 * test_ruleset.c: `nflogmon rules` and the ruleset check, by tables.
 * - The generator: config text in, lines that must (and must not) be in
 *   the nft ruleset and the iptables-restore input out.
 * - Config errors of the [capture] keys and allowlists the ruleset cannot
 *   express: the exact "file:line: message" output.
 * - The check: config text and a ruleset as libnftables lists it (JSON)
 *   in, the warnings out; every case names what it must say and what it
 *   must not.
 */
#include <sys/socket.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nflogmon.h"

static struct conf *
load_text(const char *text, char **errs)
{
	struct conf *c;
	size_t errlen;
	FILE *in, *e;

	assert_non_null(e = open_memstream(errs, &errlen));
	in = fmemopen((void *)(uintptr_t)text, strlen(text), "r");
	assert_non_null(in);
	c = conf_load_stream(in, "t.conf", e);
	fclose(in);
	fclose(e);
	return c;
}

/* family 0: nft; AF_INET / AF_INET6: iptables-restore input. */
static char *
print_rules(const struct conf *c, int family)
{
	char *out = NULL;
	size_t len;
	FILE *f;

	assert_non_null(f = open_memstream(&out, &len));
	if (family == 0)
		assert_int_equal(ruleset_print_nft(c, f), 0);
	else
		assert_int_equal(ruleset_print_iptables(c, family, f), 0);
	fclose(f);
	return out;
}

/* ----------------------------------------------------------- generator */

#define MAXL	8

struct gen_case {
	const char	*conf;
	int		 family;		/* 0 nft, AF_INET, AF_INET6 */
	const char	*has[MAXL];		/* substrings that must be there */
	const char	*lacks[MAXL];		/* and must not */
};

static const struct gen_case gen_cases[] = {
	/* Defaults: no LAN interface, so no forward rule; output logged. */
	{ "\n", 0,
	  { "table inet nflogmon {", "add element inet nflogmon smtp_ports { 25 }",
	    "# lan_interfaces is empty: no forward rule.",
	    "oifname != \"lo\" oifname != @lan_ifaces tcp dport @smtp_ports jump smtp_output",
	    "log group 2 snaplen 256", "meta skuid @blocked_uids reject with tcp reset",
	    "flush chain inet nflogmon smtp_output" },
	  { "log group 1", "jump smtp_forward", "add element inet nflogmon lan_ifaces",
	    "chain throttle", "set throttle_", "flush table", "delete" } },
	{ "[capture]\nlan_interfaces = lan0, eth1.100\nports = 25, 587\n"
	  "forward_group = 5\noutput_group = off\n", 0,
	  { "add element inet nflogmon lan_ifaces { \"lan0\", \"eth1.100\" }",
	    "add element inet nflogmon smtp_ports { 25, 587 }",
	    "iifname @lan_ifaces oifname != @lan_ifaces tcp dport @smtp_ports jump smtp_forward",
	    "log group 5 snaplen 256", "# output_group is off: no output rule." },
	  { "log group 2", "jump smtp_output", "log group 1 " } },
	/* Allowlists: always in their sets; skipped only with log_allowed = no. */
	{ "[capture]\nlan_interfaces = lan0\n[allow]\naddresses = 192.0.2.25, "
	  "2001:db8:1::25\nnetworks = 198.51.100.0/24\nuids = 0\n", 0,
	  { "add element inet nflogmon allow4 { 192.0.2.25, 198.51.100.0/24 }",
	    "add element inet nflogmon allow6 { 2001:db8:1::25 }",
	    "add element inet nflogmon allow_uids { 0 }" },
	  { "saddr @allow4 return", "skuid @allow_uids return" } },
	{ "[capture]\nlan_interfaces = lan0\nlog_allowed = no\n[allow]\n"
	  "addresses = 192.0.2.25\nuids = 0\n", 0,
	  { "\t\tip saddr @allow4 return\n\t\tip6 saddr @allow6 return\n"
	    "\t\ttcp flags & (syn | ack) == syn log group 1 snaplen 256",
	    "\t\tmeta skuid @allow_uids return\n\t\tip saddr @allow4 return" },
	  { NULL } },
	{ "[block]\nnft_table = inet office\n", 0,
	  { "table inet office {", "flush set inet office lan_ifaces",
	    "flush chain inet office smtp_output" },
	  { "inet nflogmon" } },
	/* iptables: NFLOG targets, the ipset reject, allowlists as RETURNs. */
	{ "[capture]\nlan_interfaces = lan0, lan1\nports = 25, 465\nlog_allowed = no\n"
	  "[block]\nipset_name = office\n[allow]\naddresses = 192.0.2.25, "
	  "2001:db8:1::25\nuids = 110\n", AF_INET,
	  { "*filter\n:NFLOGMON_FWD - [0:0]\n:NFLOGMON_OUT - [0:0]\n",
	    "-A NFLOGMON_FWD -o lan1 -j RETURN",
	    "-A NFLOGMON_FWD -s 192.0.2.25/32 -j RETURN",
	    "-A NFLOGMON_FWD -p tcp --tcp-flags SYN,ACK SYN -j NFLOG --nflog-group 1 --nflog-size 256",
	    "-A NFLOGMON_OUT -m owner --uid-owner 110 -j RETURN",
	    "-A NFLOGMON_OUT -p tcp -m set --match-set office src -j REJECT --reject-with tcp-reset",
	    "-I FORWARD -i lan1 -p tcp --dport 465 -j NFLOGMON_FWD",
	    "-I OUTPUT -p tcp --dport 465 -j NFLOGMON_OUT\nCOMMIT\n" },
	  { "2001:db8", "office6", "--nflog-threshold" } },
	{ "[capture]\nlan_interfaces = lan0\nlog_allowed = no\n[block]\n"
	  "ipset_name = office\n[allow]\naddresses = 192.0.2.25, 2001:db8:1::25\n",
	  AF_INET6,
	  { "-A NFLOGMON_FWD -s 2001:db8:1::25/128 -j RETURN",
	    "--match-set office6 src", "--nflog-group 2 --nflog-size 256" },
	  { "192.0.2.25", "set office src" } },
	/* No LAN interface: no forward chain or jump at all. */
	{ "[capture]\nforward_group = 1\n", AF_INET,
	  { ":NFLOGMON_OUT", "-A NFLOGMON_OUT -o lo -j RETURN" },
	  { "NFLOGMON_FWD", "FORWARD" } },
	/* block_clients: the clients sets refused on the submission ports,
	 * in input and in forward unless from a LAN interface. */
	{ "[capture]\nlan_interfaces = lan0\n[accounts]\nblock_clients = yes\n"
	  "submission_ports = 587, 465\n", 0,
	  { "set clients4 {\n\t\ttype ipv4_addr\n\t\tflags timeout\n",
	    "add element inet nflogmon submission_ports { 587, 465 }",
	    "type filter hook input priority filter - 10",
	    "chain clients_input {\n\t\ttcp dport @submission_ports jump clients",
	    "iifname != @lan_ifaces tcp dport @submission_ports jump clients",
	    "ip saddr @clients4 reject with tcp reset",
	    "ip6 saddr @clients6 reject with tcp reset",
	    "flush chain inet nflogmon clients" },
	  { "@smtp_ports jump clients" } },
	{ "\n", 0, { "table inet nflogmon {" },
	  { "clients", "submission_ports" } },
	{ "[capture]\nlan_interfaces = lan0\n[block]\nipset_name = office\n"
	  "[accounts]\nblock_clients = yes\nsubmission_ports = 587\n", AF_INET6,
	  { ":NFLOGMON_CLIENTS - [0:0]\n:NFLOGMON_CLI_FWD - [0:0]\n",
	    "-A NFLOGMON_CLIENTS -p tcp -m set --match-set office-clients6 src "
	    "-j REJECT --reject-with tcp-reset",
	    "-A NFLOGMON_CLI_FWD -i lan0 -j RETURN\n"
	    "-A NFLOGMON_CLI_FWD -j NFLOGMON_CLIENTS\n",
	    "-I INPUT -p tcp --dport 587 -j NFLOGMON_CLIENTS",
	    "-I FORWARD -p tcp --dport 587 -j NFLOGMON_CLI_FWD" },
	  { "--dport 25 -j NFLOGMON_CLIENTS" } },
	{ "[block]\nipset_name = office\n", AF_INET, { "*filter" },
	  { "CLIENTS", "INPUT" } },
};

static void
test_generator(void **state)
{
	const struct gen_case *gc;
	struct conf *c;
	char *errs, *out;
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(gen_cases) / sizeof(gen_cases[0]); i++) {
		gc = &gen_cases[i];
		errs = NULL;
		c = load_text(gc->conf, &errs);
		if (c == NULL)
			fail_msg("case %zu: %s", i, errs);
		free(errs);
		out = print_rules(c, gc->family);
		for (j = 0; j < MAXL && gc->has[j] != NULL; j++)
			if (strstr(out, gc->has[j]) == NULL)
				fail_msg("case %zu: lacks '%s' in:\n%s", i,
				    gc->has[j], out);
		for (j = 0; j < MAXL && gc->lacks[j] != NULL; j++)
			if (strstr(out, gc->lacks[j]) != NULL)
				fail_msg("case %zu: has '%s' in:\n%s", i,
				    gc->lacks[j], out);
		free(out);
		conf_free(c);
	}
}

/* The output is a function of the config: the same bytes twice. */
static void
test_deterministic(void **state)
{
	struct conf *c;
	char *errs = NULL, *a, *b;

	(void)state;
	c = load_text("[capture]\nlan_interfaces = lan0\n[allow]\nnetworks = "
	    "2001:db8::/48, 192.0.2.0/28, 198.51.100.0/24\n", &errs);
	assert_non_null(c);
	free(errs);
	a = print_rules(c, 0);
	b = print_rules(c, 0);
	assert_string_equal(a, b);
	/* Insertion order, as written. */
	assert_non_null(strstr(a, "allow4 { 192.0.2.0/28, 198.51.100.0/24 }"));
	free(a);
	free(b);
	conf_free(c);
}

/* A file name is printed in a comment: a line break in it must not start
 * a command. */
static void
test_path_comment(void **state)
{
	static const char text[] = "[capture]\nlan_interfaces = lan0\n";
	struct conf *c;
	char *out;
	FILE *in;
	int fam;

	(void)state;
	in = fmemopen((void *)(uintptr_t)text, sizeof(text) - 1, "r");
	assert_non_null(in);
	c = conf_load_stream(in, "x\nflush ruleset\n", NULL);
	fclose(in);
	assert_non_null(c);
	for (fam = 0; fam <= AF_INET6; fam += fam == 0 ? AF_INET :
	    AF_INET6 - AF_INET) {
		out = print_rules(c, fam);
		assert_null(strstr(out, "\nflush ruleset"));
		assert_non_null(strstr(out, "a config file"));
		free(out);
	}
	conf_free(c);
}

/* ------------------------------------------------------- config errors */

struct err_case {
	const char	*text;
	const char	*errs;		/* exact output; NULL: loads */
};

static const struct err_case err_cases[] = {
	{ "[capture]\nlan_interfaces = lan0, eth1.100, br-x, wg_0\n", NULL },
	{ "[capture]\nlan_interfaces =\n", NULL },
	{ "[capture]\nlan_interfaces = 012345678901234\n", NULL },
	{ "[capture]\nlan_interfaces = 0123456789012345\n",
	  "t.conf:2: lan_interfaces: bad interface name '0123456789012345' "
	  "(1..15 letters, digits, '_', '-', '.'; no wildcards)\n" },
	{ "[capture]\nlan_interfaces = eth*\n",
	  "t.conf:2: lan_interfaces: bad interface name 'eth*' (1..15 letters, "
	  "digits, '_', '-', '.'; no wildcards)\n" },
	{ "[capture]\nlan_interfaces = \"lan0\"\n",
	  "t.conf:2: lan_interfaces: bad interface name '\"lan0\"' (1..15 "
	  "letters, digits, '_', '-', '.'; no wildcards)\n" },
	{ "[capture]\nlan_interfaces = .\n",
	  "t.conf:2: lan_interfaces: bad interface name '.' (1..15 letters, "
	  "digits, '_', '-', '.'; no wildcards)\n" },
	{ "[capture]\nlan_interfaces = a b\n",
	  "t.conf:2: lan_interfaces: bad interface name 'a b' (1..15 letters, "
	  "digits, '_', '-', '.'; no wildcards)\n" },
	{ "[capture]\nlan_interfaces = lan0,\n  lan0\n",
	  "t.conf:3: lan_interfaces: lan0 listed twice\n" },
	{ "[capture]\nlog_allowed = no\nlog_allowed = yes\n",
	  "t.conf:3: 'log_allowed' given twice in [capture] (first at line 2)\n" },
	{ "[capture]\nports = 25, 99999\n",
	  "t.conf:2: ports: bad port '99999' (1..65535)\n" },
	{ "[capture]\nports = -1\n", "t.conf:2: ports: bad port '-1' (1..65535)\n"
	  "t.conf:2: ports: at least one port is needed\n" },
	{ "[allow]\nnetworks = 192.0.2.0/24\naddresses = 192.0.2.9\n",
	  "t.conf:3: addresses: 192.0.2.9 lies inside 192.0.2.0/24 (networks): "
	  "nft's interval sets refuse overlapping entries; keep one of them\n" },
	{ "[allow]\nnetworks = 192.0.2.0/25, 192.0.2.128/25, 198.51.100.0/24\n",
	  NULL },
	{ "[allow]\nnetworks = 2001:db8::/32, 2001:db8:ff::/48\n",
	  "t.conf:2: networks: 2001:db8:ff::/48 lies inside 2001:db8::/32 "
	  "(networks): nft's interval sets refuse overlapping entries; keep "
	  "one of them\n" },
	{ "[allow]\naddresses = ::ffff:192.0.2.1\n",
	  "t.conf:2: addresses: ::ffff:192.0.2.1 is an IPv4-mapped IPv6 "
	  "address, which never matches: list the IPv4 address\n" },
	{ "[allow]\ndestinations = 203.0.113.0/24,\n  203.0.113.5\n",
	  "t.conf:2: destinations: 203.0.113.5 lies inside 203.0.113.0/24 "
	  "(destinations): nft's interval sets refuse overlapping entries; "
	  "keep one of them\n" },
	/* Different lists may hold the same address. */
	{ "[allow]\naddresses = 203.0.113.5\ndestinations = 203.0.113.0/24\n",
	  NULL },
};

static void
test_errors(void **state)
{
	const struct err_case *ec;
	struct conf *c;
	char *errs;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++) {
		ec = &err_cases[i];
		errs = NULL;
		c = load_text(ec->text, &errs);
		if (ec->errs == NULL) {
			if (c == NULL)
				fail_msg("case %zu: refused: %s", i, errs);
		} else {
			if (c != NULL)
				fail_msg("case %zu: loaded, want %s", i, ec->errs);
			if (strcmp(errs, ec->errs) != 0)
				fail_msg("case %zu:\n got: %s want: %s", i, errs,
				    ec->errs);
		}
		free(errs);
		conf_free(c);
	}
}

static void
test_warnings(void **state)
{
	static const struct { const char *text; int n; } cases[] = {
		{ "\n", 1 },
		{ "[capture]\nforward_group = off\n", 0 },
		{ "[capture]\nlan_interfaces = lan0\n", 0 },
	};
	struct conf *c;
	char *errs, *w = NULL;
	size_t i, len;
	FILE *f;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		errs = NULL;
		assert_non_null(c = load_text(cases[i].text, &errs));
		free(errs);
		assert_non_null(f = open_memstream(&w, &len));
		assert_int_equal(conf_warnings(c, f), cases[i].n);
		fclose(f);
		if (cases[i].n > 0)
			assert_non_null(strstr(w, "t.conf: warning: "
			    "lan_interfaces is empty while forward_group is 1"));
		free(w);
		w = NULL;
		conf_free(c);
	}
}

/* ------------------------------------------------------------- check */

/* Every interface exists but those called gone*. */
static bool
exists_lan0(const char *name)
{
	return strncmp(name, "gone", 4) != 0;
}

/* JSON fragments of `nft -j list ruleset`. */
#define SET(t, n, el)	"{\"set\": {\"family\": \"inet\", \"table\": \"" t \
	"\", \"name\": \"" n "\", \"type\": \"x\", \"elem\": " el "}}"
#define RULE(f, t, c, ex)	"{\"rule\": {\"family\": \"" f "\", \"table\": \"" \
	t "\", \"chain\": \"" c "\", \"expr\": [" ex "]}}"
#define M(op, left, right)	"{\"match\": {\"op\": \"" op "\", \"left\": " \
	left ", \"right\": " right "}}"
#define META(k)		"{\"meta\": {\"key\": \"" k "\"}}"
#define DPORT		"{\"payload\": {\"protocol\": \"tcp\", \"field\": \"dport\"}}"
#define SADDR4		"{\"payload\": {\"protocol\": \"ip\", \"field\": \"saddr\"}}"
#define LOG(g)		"{\"log\": {\"group\": " #g ", \"snaplen\": 256}}"
#define JUMP(c)		"{\"jump\": {\"target\": \"" c "\"}}"
#define RET		"{\"return\": null}"

/* What `nflogmon rules` makes of IFN, port 25, MTA skipped. */
#define NFT_FOR(ifn) \
	SET("nflogmon", "lan_ifaces", "[\"" ifn "\"]") ", " \
	SET("nflogmon", "smtp_ports", "[25]") ", " \
	SET("nflogmon", "allow4", "[\"192.0.2.25\"]") ", " \
	RULE("inet", "nflogmon", "forward", M("==", META("iifname"), \
	    "\"@lan_ifaces\"") ", " M("!=", META("oifname"), "\"@lan_ifaces\"") \
	    ", " M("==", DPORT, "\"@smtp_ports\"") ", " JUMP("smtp_forward")) ", " \
	RULE("inet", "nflogmon", "output", M("!=", META("oifname"), "\"lo\"") \
	    ", " M("==", DPORT, "\"@smtp_ports\"") ", " JUMP("smtp_output")) ", " \
	RULE("inet", "nflogmon", "smtp_forward", M("==", SADDR4, \
	    "\"@allow4\"") ", " RET) ", " \
	RULE("inet", "nflogmon", "smtp_forward", LOG(1)) ", " \
	RULE("inet", "nflogmon", "smtp_output", M("==", SADDR4, \
	    "\"@allow4\"") ", " RET) ", " \
	RULE("inet", "nflogmon", "smtp_output", LOG(2))
#define GOOD_NFT	NFT_FOR("lan0")

#define CONF_GOOD	"[capture]\nlan_interfaces = lan0\nlog_allowed = no\n" \
	"[allow]\naddresses = 192.0.2.25\n"

struct check_case {
	const char	*conf;
	const char	*json;
	size_t		 nwarnings;
	int		 reason[2];		/* group of the first, -1 none */
	const char	*has[MAXL];
};

static const struct check_case check_cases[] = {
	{ CONF_GOOD, "{\"nftables\": [" GOOD_NFT "]}", 0, { -1, -1 }, { NULL } },
	/* Nothing loaded: both groups said so, with the command. */
	{ CONF_GOOD, "{\"nftables\": [{\"metainfo\": {}}]}", 2, { 0, 1 },
	  { "no rule in the loaded ruleset logs to NFLOG group 1 (forward)",
	    "`nflogmon rules --iptables | iptables-restore --noflush` (and "
	    "--ip6tables | ip6tables-restore --noflush)", "lan_interfaces",
	    "no rule in the loaded ruleset logs to NFLOG group 2 (output)" } },
	/* The nft backend is told the nft command. */
	{ CONF_GOOD "[block]\nbackend = nft\n", "{\"nftables\": []}", 2, { 0, 1 },
	  { "group 2 (output), so nothing is captured for it: load the rules "
	    "for this config with `nflogmon rules | nft -f -`" } },
	/* The example rules (no forward rule) with a config naming lan0. */
	{ "[capture]\nlan_interfaces = lan0\n", "{\"nftables\": ["
	  SET("nflogmon", "lan_ifaces", "[]") ", "
	  RULE("inet", "nflogmon", "output", M("!=", META("oifname"), "\"lo\"")
	      ", " JUMP("smtp_output")) ", "
	  RULE("inet", "nflogmon", "smtp_output", LOG(2)) "]}", 1, { 0, -1 },
	  { "no rule in the loaded ruleset logs to NFLOG group 1" } },
	/* A LAN interface that does not exist, named once however often. */
	{ CONF_GOOD, "{\"nftables\": [" NFT_FOR("gone0") "]}", 2, { 0, -1 },
	  { "the ruleset names LAN interface gone0 (table inet nflogmon, chain "
	    "smtp_forward, group 1), which does not exist here",
	    "differ from [capture] lan_interfaces: ruleset only: gone0; config "
	    "only: lan0" } },
	/* Ports. */
	{ "[capture]\nlan_interfaces = lan0\nports = 25, 587\nlog_allowed = no\n"
	  "[allow]\naddresses = 192.0.2.25\n", "{\"nftables\": [" GOOD_NFT "]}",
	  2, { 0, 1 },
	  { "SMTP ports for group 1 (table inet nflogmon, chain smtp_forward) "
	    "differ from [capture] ports: ruleset only: none; config only: 587",
	    "SMTP ports for group 2" } },
	/* Allowlists: another MTA in the config; log_allowed = yes. */
	{ "[capture]\nlan_interfaces = lan0\nlog_allowed = no\n[allow]\n"
	  "addresses = 192.0.2.26\n", "{\"nftables\": [" GOOD_NFT "]}", 2,
	  { 0, 1 },
	  { "allowlist for group 1 (table inet nflogmon, chain smtp_forward) "
	    "differs from the config ([allow] with log_allowed = no): not logged "
	    "by the ruleset only: 192.0.2.25; config only: 192.0.2.26" } },
	{ "[capture]\nlan_interfaces = lan0\n[allow]\naddresses = 192.0.2.25\n",
	  "{\"nftables\": [" GOOD_NFT "]}", 2, { 0, 1 },
	  { "(log_allowed = yes: every source is logged): not logged by the "
	    "ruleset only: 192.0.2.25; config only: none" } },
	/* iptables-nft rules (ip filter), prefixes, and the nft table too:
	 * counted twice. */
	{ CONF_GOOD, "{\"nftables\": [" GOOD_NFT ", "
	  RULE("ip", "filter", "FORWARD", M("==", META("iifname"), "\"lan0\"")
	      ", " M("==", DPORT, "25") ", " JUMP("NFLOGMON_FWD")) ", "
	  RULE("ip", "filter", "NFLOGMON_FWD", M("==", META("oifname"),
	      "\"lan0\"") ", " RET) ", "
	  RULE("ip", "filter", "NFLOGMON_FWD", M("==", SADDR4,
	      "{\"prefix\": {\"addr\": \"192.0.2.25\", \"len\": 32}}") ", " RET)
	      ", "
	  RULE("ip", "filter", "NFLOGMON_FWD", LOG(1)) "]}", 1, { 0, -1 },
	  { "NFLOG group 1 (forward) is logged both by an nft table and by "
	    "iptables rules, so every connection counts twice" } },
	/* Only iptables: fine.  Ports as an anonymous set. */
	{ "[capture]\nlan_interfaces = lan0\noutput_group = off\nlog_allowed = no\n"
	  "[allow]\naddresses = 192.0.2.25, 2001:db8::25\n", "{\"nftables\": ["
	  RULE("ip", "filter", "FORWARD", M("==", META("iifname"), "\"lan0\"")
	      ", " M("==", DPORT, "{\"set\": [25]}") ", " JUMP("NFLOGMON_FWD"))
	      ", "
	  RULE("ip", "filter", "NFLOGMON_FWD", M("==", SADDR4, "\"192.0.2.25\"")
	      ", " RET) ", "
	  RULE("ip", "filter", "NFLOGMON_FWD", LOG(1)) "]}", 0, { -1, -1 },
	  { NULL } },
	/* block_clients: a rule must refuse the clients sets. */
	{ CONF_GOOD "[block]\nbackend = nft\n[accounts]\nblock_clients = yes\n",
	  "{\"nftables\": [" GOOD_NFT "]}", 1, { -1, -1 },
	  { "block_clients = yes, but no rule of the loaded ruleset refuses "
	    "the clients sets", "`nflogmon rules | nft -f -`" } },
	{ CONF_GOOD "[block]\nbackend = nft\n[accounts]\nblock_clients = yes\n",
	  "{\"nftables\": [" GOOD_NFT ", "
	  RULE("inet", "nflogmon", "clients", M("==", SADDR4, "\"@clients4\"")
	      ", {\"reject\": {\"type\": \"tcp reset\"}}") "]}", 0, { -1, -1 },
	  { NULL } },
	{ CONF_GOOD "[accounts]\nblock_clients = yes\n",
	  "{\"nftables\": [" GOOD_NFT ", "
	  RULE("ip", "filter", "NFLOGMON_CLIENTS", "{\"xt\": {\"type\": "
	      "\"target\", \"name\": \"REJECT\"}}") "]}", 0, { -1, -1 },
	  { NULL } },
	{ CONF_GOOD "[accounts]\nblock_clients = yes\n",
	  "{\"nftables\": [" GOOD_NFT "]}", 1, { -1, -1 },
	  { "iptables-restore --noflush` (and --ip6tables)" } },
	/* Garbage from the kernel is refused, never trusted. */
	{ CONF_GOOD, "[1, 2", 1, { -1, -1 }, { "cannot read the ruleset" } },
	{ CONF_GOOD, "{\"nftables\": [{\"rule\": 7}, {\"rule\": {\"expr\": "
	  "[{\"log\": {\"group\": \"x\"}}, {\"match\": null}]}}, {\"set\": []}]}",
	  2, { 0, 1 }, { "no rule in the loaded ruleset logs to NFLOG group 1" } },
};

static void
test_check(void **state)
{
	const struct check_case *cc;
	struct ruleset_report r;
	struct conf *c;
	char *errs, all[8192];
	size_t i, j, o;

	(void)state;
	for (i = 0; i < sizeof(check_cases) / sizeof(check_cases[0]); i++) {
		cc = &check_cases[i];
		errs = NULL;
		if ((c = load_text(cc->conf, &errs)) == NULL)
			fail_msg("case %zu: %s", i, errs);
		free(errs);
		ruleset_check_json(c, cc->json, exists_lan0, &r);
		for (j = 0, o = 0, all[0] = '\0'; j < r.nwarnings; j++)
			o += (size_t)snprintf(all + o, o < sizeof(all) ?
			    sizeof(all) - o : 0, "[%zu] %s\n", j, r.warnings[j]);
		if (r.nwarnings != cc->nwarnings)
			fail_msg("case %zu: %zu warnings, want %zu:\n%s", i,
			    r.nwarnings, cc->nwarnings, all);
		assert_int_equal(r.failed, cc->nwarnings > 0);
		for (j = 0; j < 2; j++)
			if ((r.reason[j] >= 0) != (cc->reason[j] >= 0))
				fail_msg("case %zu: reason[%zu] %d:\n%s", i, j,
				    r.reason[j], all);
		for (j = 0; j < MAXL && cc->has[j] != NULL; j++)
			if (strstr(all, cc->has[j]) == NULL)
				fail_msg("case %zu: lacks '%s' in:\n%s", i,
				    cc->has[j], all);
		ruleset_report_free(&r);
		conf_free(c);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generator),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_path_comment),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_warnings),
		cmocka_unit_test(test_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
