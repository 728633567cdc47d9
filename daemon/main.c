/*
 * main.c: the command line's first word.  Dispatches to the subcommand's
 * own file and knows nothing else; each subcommand parses its own options.
 */
#include <stdio.h>
#include <string.h>

#include "nflogmon.h"

struct command {
	const char	*name;
	int		(*fn)(int, char **);
};

static const struct command commands[] = {
	{ "run",		cmd_run },
	{ "status",		cmd_status },
	{ "list",		cmd_list },
	{ "block",		cmd_block },
	{ "unblock",		cmd_unblock },
	{ "replay",		cmd_replay },
	{ "rules",		cmd_rules },
	{ "check-config",	cmd_check_config },
};

void
usage_print(FILE *f)
{
	fputs(
"usage: nflogmon run [-c FILE] [-f] [-d]       run the daemon (-f: foreground, log to stderr;\n"
"                                              -d: also log every decision)\n"
"       nflogmon status [-s SOCK | -c FILE] [--json]\n"
"       nflogmon list   [-s SOCK | -c FILE] [--json]\n"
"       nflogmon block  [-s SOCK | -c FILE] SOURCE [--timeout DURATION] [--reason TEXT]\n"
"       nflogmon unblock [-s SOCK | -c FILE] SOURCE\n"
"       nflogmon replay [-c FILE] [--json] [--maillog] FILE...\n"
"       nflogmon rules  [-c FILE] [--iptables | --ip6tables]\n"
"       nflogmon check-config [-c FILE]\n"
"       nflogmon --help | --version\n"
"\n"
"Without -c the config is " NFLOGMON_CONF " (built-in defaults when it\n"
"does not exist); without -s the socket is the config's control_socket.\n"
"SOURCE is an address, an IPv6 prefix or uid:N.  Exit status: 0 success,\n"
"1 error, 2 usage, 3 no daemon answers.  See nflogmon(8), nflogmon.conf(5).\n",
	    f);
}

int
main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage_print(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage_print(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("nflogmon %s\n", NFLOGMON_VERSION);
		return EXIT_OK;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name) != 0)
			continue;
		/* "nflogmon CMD --help" asks, like "nflogmon --help". */
		if (argc == 3 && (strcmp(argv[2], "--help") == 0 ||
		    strcmp(argv[2], "-h") == 0)) {
			usage_print(stdout);
			return EXIT_OK;
		}
		return commands[i].fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "nflogmon: unknown command '%s'\n", argv[1]);
	usage_print(stderr);
	return EXIT_USAGE;
}
