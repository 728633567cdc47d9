/*
 * ruleset.c: the capture ruleset of a configuration, and `nflogmon rules`
 * that prints it (DESIGN.md "Capture rules from the config").  One file
 * holds the facts the kernel and the daemon must agree on: the NFLOG
 * groups, the SMTP ports, the LAN interfaces, the allowlists and the sets
 * the backends fill.
 *
 * Three outputs: the nft ruleset (capture and the nft backend's
 * enforcement, in table [block] nft_table), and iptables-restore and
 * ip6tables-restore input (capture with NFLOG targets and the ipset
 * backend's enforcement).  Pure: it formats a loaded struct conf and must
 * never touch the kernel, a socket or a file other than its output.
 *
 * Reloading the nft output keeps what the daemon made in its table: the
 * table, chains and sets are declared (a no-op when they exist), only the
 * operator's sets and the four capture chains are flushed and refilled,
 * and the daemon's throttle chains and sets are never named.
 * ruleset_check.c reads these names back: they are part of its contract.
 */
#include <sys/socket.h>
#include <arpa/inet.h>

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nflogmon.h"

/* Copy range of every log rule: IPv6 extension headers and TCP fit. */
#define RULESET_SNAPLEN		256

struct elems {
	FILE		*f;
	int		 family;	/* AF_INET or AF_INET6 */
	int		 n;
	const char	*prefix;	/* iptables: "-A CHAIN", NULL for nft */
	const char	*suffix;
};

static void
elem_fmt(const struct addr *a, int plen, char *buf, size_t len)
{
	char s[INET6_ADDRSTRLEN];

	inet_ntop(a->family, a->b, s, sizeof(s));
	if (plen == (a->family == AF_INET ? 32 : 128))
		snprintf(buf, len, "%s", s);
	else
		snprintf(buf, len, "%s/%d", s, plen);
}

/* nft: "a, b, c"; iptables: one "-A CHAIN -s a -j RETURN" line each. */
static void
elems_one(const struct addr *a, int plen, int value, void *arg)
{
	struct elems *e = arg;
	char buf[INET6_ADDRSTRLEN + 8];

	(void)value;
	if (a->family != e->family)
		return;
	if (e->prefix != NULL) {
		/* iptables wants the length even for a host. */
		inet_ntop(a->family, a->b, buf, sizeof(buf));
		fprintf(e->f, "%s -s %s/%d%s\n", e->prefix, buf, plen,
		    e->suffix);
	} else {
		elem_fmt(a, plen, buf, sizeof(buf));
		fprintf(e->f, "%s%s", e->n ? ", " : "", buf);
	}
	e->n++;
}

static void
elems_count_one(const struct addr *a, int plen, int value, void *arg)
{
	struct elems *e = arg;

	(void)plen;
	(void)value;
	if (a->family == e->family)
		e->n++;
}

static int
elems_count(const struct netset *ns, int family)
{
	struct elems e = { NULL, family, 0, NULL, NULL };

	netset_foreach(ns, elems_count_one, &e);
	return e.n;
}

/* The config's name for a comment line: never a line break in it. */
static const char *
conf_name(const struct conf *c)
{
	const char *p;

	if (c->defaults)
		return "the built-in defaults";
	for (p = c->path; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return "a config file";
	return c->path;
}

/* ------------------------------------------------------------ nft */

static void
nft_header(const struct conf *c, FILE *f)
{
	fprintf(f,
"#!/usr/sbin/nft -f\n"
"#\n"
"# The capture ruleset of nflogmon %s for %s,\n"
"# as `nflogmon rules` prints it.  Do not edit: edit nflogmon.conf and run\n"
"#\n"
"#\tnflogmon check-config && nflogmon rules | nft -f -\n"
"#\n"
"# It works in its own table \"%s %s\" (the rest of your firewall is not\n"
"# touched):\n"
"#\n"
"#  1. Capture.  New outbound TCP connections (SYN without ACK) to the SMTP\n"
"#     ports (smtp_ports) are copied to NFLOG, %d bytes of each: forward_group\n"
"#     for traffic that comes in from a LAN interface (lan_ifaces) and leaves\n"
"#     by another one, output_group for traffic this machine originates and\n"
"#     sends out of a non-LAN interface (the message carries the socket's\n"
"#     UID).  Inbound mail to a hosted MTA is never counted.  Allowlisted\n"
"#     sources are logged, so the daemon reports them as allowed, unless\n"
"#     [capture] log_allowed = no.\n"
"#\n"
"#  2. Enforcement, for the nft backend: members of blocked4, blocked6\n"
"#     (IPv6 prefixes) and blocked_uids get a TCP reset on the SMTP ports\n"
"#     and nothing else; they are logged first, so attempts while blocked\n"
"#     are counted.  The ipset backend is enforced by `nflogmon rules\n"
"#     --iptables` (and --ip6tables), which also capture: load those or\n"
"#     this, never both, or every connection counts twice.\n"
"#\n"
"#  3. Throttling (nft backend) is the daemon's: it adds the sets\n"
"#     throttle_<N>_<W>s{4,6,_uids}, their meters and the chains throttle,\n"
"#     throttle_forward and throttle_output (priority filter + 10) to this\n"
"#     table itself.\n"
"#\n"
"# Loading it again is safe: the table, chains and sets are declared (a\n"
"# no-op when they exist), the operator sets and the capture chains are\n"
"# flushed and refilled, and the elements and chains the daemon made are\n"
"# kept.  The NFLOG queue threshold is not set here: the daemon adapts it.\n"
"\n", NFLOGMON_VERSION, conf_name(c), c->nft_family, c->nft_table,
	    RULESET_SNAPLEN);
}

static void
nft_sets(const struct conf *c, FILE *f)
{
	fprintf(f,
"table %s %s {\n"
"\t# From nflogmon.conf: replaced on every load.\n"
"\tset lan_ifaces {\n\t\ttype ifname\n\t}\n"
"\tset smtp_ports {\n\t\ttype inet_service\n\t}\n"
"\tset allow4 {\n\t\ttype ipv4_addr\n\t\tflags interval\n\t}\n"
"\tset allow6 {\n\t\ttype ipv6_addr\n\t\tflags interval\n\t}\n"
"\tset allow_uids {\n\t\ttype uid\n\t}\n"
"\n"
"\t# Filled by the daemon (nft backend): kept on every load.\n"
"\tset blocked4 {\n\t\ttype ipv4_addr\n\t\tflags timeout\n\t}\n"
"\tset blocked6 {\n\t\ttype ipv6_addr\n\t\tflags interval, timeout\n\t}\n"
"\tset blocked_uids {\n\t\ttype uid\n\t\tflags timeout\n\t}\n"
"\tset throttled4 {\n\t\ttype ipv4_addr\n\t\tflags timeout\n\t}\n"
"\tset throttled6 {\n\t\ttype ipv6_addr\n\t\tflags interval, timeout\n\t}\n"
"\tset throttled_uids {\n\t\ttype uid\n\t\tflags timeout\n\t}\n"
"\n"
"\t# Before the usual filter chains (priority filter), so a drop elsewhere\n"
"\t# never hides an attempt from the log.\n"
"\tchain forward {\n"
"\t\ttype filter hook forward priority filter - 10; policy accept;\n\t}\n"
"\tchain output {\n"
"\t\ttype filter hook output priority filter - 10; policy accept;\n\t}\n"
"\tchain smtp_forward {\n\t}\n"
"\tchain smtp_output {\n\t}\n"
"}\n\n", c->nft_family, c->nft_table);
}

/*
 * block_clients: the client addresses of blocked accounts (nft backend:
 * clients4, clients6) get a TCP reset on the submission ports, in the
 * input hook (this host's MTA) and the forward hook for traffic that does
 * not come from a LAN interface (an MTA behind this gateway), so a LAN
 * host's own outbound mail is untouched.  Only printed with block_clients
 * = yes.
 */
static void
nft_clients_sets(const struct conf *c, FILE *f)
{
	if (!c->block_clients)
		return;
	fprintf(f,
"table %s %s {\n"
"\t# block_clients: client addresses of blocked accounts (nft backend),\n"
"\t# refused on the submission ports only.\n"
"\tset submission_ports {\n\t\ttype inet_service\n\t}\n"
"\tset clients4 {\n\t\ttype ipv4_addr\n\t\tflags timeout\n\t}\n"
"\tset clients6 {\n\t\ttype ipv6_addr\n\t\tflags interval, timeout\n\t}\n"
"\tchain clients_input {\n"
"\t\ttype filter hook input priority filter - 10; policy accept;\n\t}\n"
"\tchain clients_forward {\n"
"\t\ttype filter hook forward priority filter - 10; policy accept;\n\t}\n"
"\tchain clients {\n\t}\n"
"}\n\n", c->nft_family, c->nft_table);
}

static void
nft_clients_rules(const struct conf *c, FILE *f)
{
	static const char *const chains[] = { "clients_input",
	    "clients_forward", "clients" };
	size_t i;
	int j;

	if (!c->block_clients)
		return;
	fprintf(f, "\n");
	for (i = 0; i < sizeof(chains) / sizeof(chains[0]); i++)
		fprintf(f, "flush chain %s %s %s\n", c->nft_family,
		    c->nft_table, chains[i]);
	fprintf(f, "flush set %s %s submission_ports\n", c->nft_family,
	    c->nft_table);
	fprintf(f, "add element %s %s submission_ports { ", c->nft_family,
	    c->nft_table);
	for (j = 0; j < c->nsubmission_ports; j++)
		fprintf(f, "%s%u", j ? ", " : "", c->submission_ports[j]);
	fprintf(f, " }\n\ntable %s %s {\n", c->nft_family, c->nft_table);
	fprintf(f, "\t# block_clients: an offending account's clients may not "
	    "submit mail;\n\t# everything else of theirs passes.\n");
	fprintf(f, "\tchain clients_input {\n\t\ttcp dport @submission_ports "
	    "jump clients\n\t}\n");
	fprintf(f, "\tchain clients_forward {\n\t\t%stcp dport "
	    "@submission_ports jump clients\n\t}\n", c->nlan_interfaces > 0 ?
	    "iifname != @lan_ifaces " : "");
	fprintf(f, "\tchain clients {\n\t\tip saddr @clients4 reject with tcp "
	    "reset\n\t\tip6 saddr @clients6 reject with tcp reset\n\t}\n}\n");
}

static void
nft_elements(const struct conf *c, FILE *f)
{
	static const char *const sets[] = { "lan_ifaces", "smtp_ports",
	    "allow4", "allow6", "allow_uids" };
	const char *t = c->nft_table, *fam = c->nft_family;
	struct elems e = { f, AF_INET, 0, NULL, NULL };
	size_t i;
	int j;

	for (i = 0; i < sizeof(sets) / sizeof(sets[0]); i++)
		fprintf(f, "flush set %s %s %s\n", fam, t, sets[i]);
	fputc('\n', f);
	if (c->nlan_interfaces > 0) {
		fprintf(f, "add element %s %s lan_ifaces { ", fam, t);
		for (j = 0; j < c->nlan_interfaces; j++)
			fprintf(f, "%s\"%s\"", j ? ", " : "", c->lan_interfaces[j]);
		fprintf(f, " }\n");
	} else
		fprintf(f, "# lan_interfaces is empty: no forward rule.\n");
	fprintf(f, "add element %s %s smtp_ports { ", fam, t);
	for (j = 0; j < c->nports; j++)
		fprintf(f, "%s%u", j ? ", " : "", c->ports[j]);
	fprintf(f, " }\n");
	for (i = 0; i < 2; i++) {
		e.family = i == 0 ? AF_INET : AF_INET6;
		e.n = 0;
		if (elems_count(c->allow_src, e.family) <= 0)
			continue;
		fprintf(f, "add element %s %s allow%c { ", fam, t,
		    i == 0 ? '4' : '6');
		netset_foreach(c->allow_src, elems_one, &e);
		fprintf(f, " }\n");
	}
	if (c->nallow_uids > 0) {
		fprintf(f, "add element %s %s allow_uids { ", fam, t);
		for (j = 0; j < c->nallow_uids; j++)
			fprintf(f, "%s%u", j ? ", " : "", c->allow_uids[j]);
		fprintf(f, " }\n");
	}
	fputc('\n', f);
}

/* One capture chain: allowlist, log, enforcement. */
static void
nft_smtp_chain(const struct conf *c, FILE *f, const char *name, int group,
    bool output)
{
	fprintf(f, "\tchain %s {\n", name);
	if (!c->log_allowed) {
		if (output)
			fprintf(f, "\t\tmeta skuid @allow_uids return\n");
		fprintf(f, "\t\tip saddr @allow4 return\n"
		    "\t\tip6 saddr @allow6 return\n");
	}
	fprintf(f, "\t\ttcp flags & (syn | ack) == syn log group %d "
	    "snaplen %d\n", group, RULESET_SNAPLEN);
	if (output)
		fprintf(f, "\t\tmeta skuid @blocked_uids reject with tcp "
		    "reset\n");
	fprintf(f, "\t\tip saddr @blocked4 reject with tcp reset\n"
	    "\t\tip6 saddr @blocked6 reject with tcp reset\n\t}\n");
}

static void
nft_rules(const struct conf *c, FILE *f)
{
	static const char *const chains[] = { "forward", "output",
	    "smtp_forward", "smtp_output" };
	bool fwd = c->forward_group != CONF_GROUP_OFF &&
	    c->nlan_interfaces > 0;
	bool out = c->output_group != CONF_GROUP_OFF;
	size_t i;

	for (i = 0; i < sizeof(chains) / sizeof(chains[0]); i++)
		fprintf(f, "flush chain %s %s %s\n", c->nft_family,
		    c->nft_table, chains[i]);
	fprintf(f, "\ntable %s %s {\n", c->nft_family, c->nft_table);
	if (fwd)
		fprintf(f, "\tchain forward {\n\t\tiifname @lan_ifaces "
		    "oifname != @lan_ifaces tcp dport @smtp_ports jump "
		    "smtp_forward\n\t}\n");
	else
		fprintf(f, "\t# forward_group is off or lan_interfaces is "
		    "empty: no forward rule.\n");
	if (out)
		fprintf(f, "\tchain output {\n\t\toifname != \"lo\" oifname "
		    "!= @lan_ifaces tcp dport @smtp_ports jump smtp_output\n"
		    "\t}\n");
	else
		fprintf(f, "\t# output_group is off: no output rule.\n");
	if (fwd) {
		fprintf(f, "\n\t# Outbound SMTP from the LAN: new connections "
		    "are logged; every\n\t# segment of a blocked source is "
		    "rejected.\n");
		nft_smtp_chain(c, f, "smtp_forward", c->forward_group, false);
	}
	if (out) {
		fprintf(f, "\n\t# Outbound SMTP from this machine, "
		    "likewise.\n");
		nft_smtp_chain(c, f, "smtp_output", c->output_group, true);
	}
	fprintf(f, "}\n");
}

int
ruleset_print_nft(const struct conf *c, FILE *f)
{
	nft_header(c, f);
	nft_sets(c, f);
	nft_clients_sets(c, f);
	nft_elements(c, f);
	nft_rules(c, f);
	nft_clients_rules(c, f);
	return ferror(f) ? -1 : 0;
}

/* -------------------------------------------------------- iptables */

static void
ipt_header(const struct conf *c, FILE *f, bool v6, const char *set)
{
	const char *cmd = v6 ? "ip6tables" : "iptables";

	fprintf(f,
"# The %s capture and enforcement of nflogmon %s for\n"
"# %s, as `nflogmon rules --%s` prints it.\n"
"# Do not edit: edit nflogmon.conf and run nflogmon rules again.\n"
"#\n"
"# New outbound TCP connections to the SMTP ports are copied to NFLOG\n"
"# (%d bytes): forward_group for LAN hosts behind this gateway (in from a\n"
"# LAN interface, out by another one), output_group for this machine's own\n"
"# (out by a non-LAN interface).  Then members of the ipset \"%s\"\n"
"# (filled by the daemon, ipset backend) get a TCP reset on those ports\n"
"# and nothing else.  This is the whole ruleset of the ipset backend: do\n"
"# not load `nflogmon rules` into nft as well, or every connection counts\n"
"# twice.  uid:N blocks cannot be enforced with ipset (nft backend).\n"
"#\n"
"# The set must exist before loading: start nflogmon once (create_sets =\n"
"# yes, the default) or create it as nflogmon(8) shows.  Then add this to\n"
"# your own rules (never replacing them):\n"
"#\t nflogmon rules --%s | %s-restore --noflush\n"
"# Loading again refills the NFLOGMON chains but inserts the jumps again;\n"
"# to reload the chains alone:\n"
"#\t nflogmon rules --%s | grep -v '^-I ' | %s-restore --noflush\n",
	    cmd, NFLOGMON_VERSION, conf_name(c), cmd, RULESET_SNAPLEN, set, cmd,
	    cmd, cmd, cmd);
}

/* One capture chain: skip LAN-bound (and lo), allowlist, log, reject. */
static void
ipt_chain(const struct conf *c, FILE *f, int family, const char *chain,
    int group, bool output, const char *set)
{
	char prefix[64];
	struct elems e = { f, family, 0, NULL, " -j RETURN" };
	int i;

	snprintf(prefix, sizeof(prefix), "-A %s", chain);
	if (output)
		fprintf(f, "%s -o lo -j RETURN\n", prefix);
	for (i = 0; i < c->nlan_interfaces; i++)
		fprintf(f, "%s -o %s -j RETURN\n", prefix, c->lan_interfaces[i]);
	if (!c->log_allowed) {
		if (output)
			for (i = 0; i < c->nallow_uids; i++)
				fprintf(f, "%s -m owner --uid-owner %u -j "
				    "RETURN\n", prefix, c->allow_uids[i]);
		e.prefix = prefix;
		netset_foreach(c->allow_src, elems_one, &e);
	}
	fprintf(f, "%s -p tcp --tcp-flags SYN,ACK SYN -j NFLOG --nflog-group "
	    "%d --nflog-size %d\n", prefix, group, RULESET_SNAPLEN);
	fprintf(f, "%s -p tcp -m set --match-set %s src -j REJECT "
	    "--reject-with tcp-reset\n", prefix, set);
}

/*
 * block_clients (ipset backend): members of <ipset_name>-clients (-clients6)
 * get a TCP reset on the submission ports, in INPUT and in FORWARD unless
 * they come in from a LAN interface (see nft_clients_sets).
 */
static void
ipt_clients(const struct conf *c, FILE *f, bool v6)
{
	int i;

	fprintf(f, "# block_clients: the client addresses of blocked accounts "
	    "may not submit\n# mail (submission_ports); everything else of "
	    "theirs passes.\n");
	fprintf(f, "-A NFLOGMON_CLIENTS -p tcp -m set --match-set %s-clients%s "
	    "src -j REJECT --reject-with tcp-reset\n", c->ipset_name,
	    v6 ? "6" : "");
	for (i = 0; i < c->nlan_interfaces; i++)
		fprintf(f, "-A NFLOGMON_CLI_FWD -i %s -j RETURN\n",
		    c->lan_interfaces[i]);
	fprintf(f, "-A NFLOGMON_CLI_FWD -j NFLOGMON_CLIENTS\n");
	for (i = 0; i < c->nsubmission_ports; i++)
		fprintf(f, "-I INPUT -p tcp --dport %u -j NFLOGMON_CLIENTS\n"
		    "-I FORWARD -p tcp --dport %u -j NFLOGMON_CLI_FWD\n",
		    c->submission_ports[i], c->submission_ports[i]);
}

int
ruleset_print_iptables(const struct conf *c, int family, FILE *f)
{
	bool v6 = family == AF_INET6;
	bool fwd = c->forward_group != CONF_GROUP_OFF &&
	    c->nlan_interfaces > 0;
	bool out = c->output_group != CONF_GROUP_OFF;
	char set[sizeof(c->ipset_name) + 2];
	int i, j;

	snprintf(set, sizeof(set), "%s%s", c->ipset_name, v6 ? "6" : "");
	ipt_header(c, f, v6, set);
	fprintf(f, "*filter\n");
	if (fwd)
		fprintf(f, ":NFLOGMON_FWD - [0:0]\n");
	if (out)
		fprintf(f, ":NFLOGMON_OUT - [0:0]\n");
	if (c->block_clients)
		fprintf(f, ":NFLOGMON_CLIENTS - [0:0]\n"
		    ":NFLOGMON_CLI_FWD - [0:0]\n");
	if (fwd)
		ipt_chain(c, f, family, "NFLOGMON_FWD", c->forward_group, false,
		    set);
	if (out)
		ipt_chain(c, f, family, "NFLOGMON_OUT", c->output_group, true,
		    set);
	if (!fwd)
		fprintf(f, "# forward_group is off or lan_interfaces is empty: "
		    "no forward rule.\n");
	for (i = 0; fwd && i < c->nlan_interfaces; i++)
		for (j = 0; j < c->nports; j++)
			fprintf(f, "-I FORWARD -i %s -p tcp --dport %u -j "
			    "NFLOGMON_FWD\n", c->lan_interfaces[i], c->ports[j]);
	for (j = 0; out && j < c->nports; j++)
		fprintf(f, "-I OUTPUT -p tcp --dport %u -j NFLOGMON_OUT\n",
		    c->ports[j]);
	if (c->block_clients)
		ipt_clients(c, f, v6);
	fprintf(f, "COMMIT\n");
	return ferror(f) ? -1 : 0;
}

/* ------------------------------------------------------------ rules */

static int
rules_usage(FILE *f, int rv)
{
	fprintf(f, "usage: nflogmon rules [-c FILE] [--iptables | "
	    "--ip6tables]\n");
	return rv;
}

int
cmd_rules(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "iptables",	no_argument,	NULL, '4' },
		{ "ip6tables",	no_argument,	NULL, '6' },
		{ "help",	no_argument,	NULL, 'h' },
		{ NULL,		0,		NULL, 0 },
	};
	const char *path = NULL;
	struct conf *c;
	int ch, family = 0, rv;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:c:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case '4':
		case '6':
			if (family != 0)
				return rules_usage(stderr, EXIT_USAGE);
			family = ch == '4' ? AF_INET : AF_INET6;
			break;
		case 'h':
			return rules_usage(stdout, EXIT_OK);
		default:
			fprintf(stderr, "nflogmon rules: bad option '%s'\n",
			    argv[optind - 1]);
			return rules_usage(stderr, EXIT_USAGE);
		}
	}
	if (optind != argc)
		return rules_usage(stderr, EXIT_USAGE);
	if ((c = conf_load(path, stderr)) == NULL)
		return EXIT_ERR;
	conf_warnings(c, stderr);
	if (family == 0)
		rv = ruleset_print_nft(c, stdout);
	else
		rv = ruleset_print_iptables(c, family, stdout);
	conf_free(c);
	if (rv != 0 || fflush(stdout) == EOF || ferror(stdout))
		return EXIT_ERR;
	return EXIT_OK;
}
