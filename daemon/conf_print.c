/*
 * conf_print.c: the effective configuration printed back in the syntax
 * conf_load reads, and the `nflogmon check-config` command around it.
 * It only reads a loaded struct conf: it must never modify one, and never
 * print anything conf_load would not read back to the same settings.
 */
#include <sys/socket.h>
#include <arpa/inet.h>

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_internal.h"

/* ------------------------------------------------------------- print */

struct print_nets {
	FILE		*f;
	int		 tag;	/* value to print, -1: every value */
	bool		 first;
};

static void
conf_print_net(const struct addr *a, int plen, int value, void *arg)
{
	struct print_nets *pn = arg;
	char buf[INET6_ADDRSTRLEN];

	if (pn->tag != -1 && value != pn->tag)
		return;
	inet_ntop(a->family, a->b, buf, sizeof(buf));
	fprintf(pn->f, "%s%s", pn->first ? " " : ", ", buf);
	if (plen != (a->family == AF_INET ? 32 : 128))
		fprintf(pn->f, "/%d", plen);
	pn->first = false;
}

static void
conf_print_netset(FILE *f, const struct netset *ns, int tag)
{
	struct print_nets pn = { f, tag, true };

	netset_foreach(ns, conf_print_net, &pn);
}

/* Prints one key of the row kd from base (a conf or a conf_class). */
static void
conf_print_key(FILE *f, const struct conf *c, const struct keydef *kd,
    const void *base, int cls)
{
	const char *field = (const char *)base + kd->off;
	char buf[64];
	int i;

	/* aligned, and a space before '=' after a long name */
	fprintf(f, "%-15s%s=", kd->name, strlen(kd->name) >= 15 ? " " : "");
	switch (kd->type) {
	case K_PATH:
	case K_PATH_OPT:
	case K_GROUP:
	case K_USER:
	case K_IPSET_NAME:
	case K_POLICY_LISTEN:
	case K_POLICY_REPLY:
	case K_POLICY_GROUP:
		if (*field != '\0')
			fprintf(f, " %s", field);
		break;
	case K_NFGROUP:
		if (*(const int *)field == CONF_GROUP_OFF)
			fprintf(f, " off");
		else
			fprintf(f, " %d", *(const int *)field);
		break;
	case K_PORTS:
		if (kd->tag == 1)
			for (i = 0; i < c->nsubmission_ports; i++)
				fprintf(f, "%s%u", i ? ", " : " ",
				    c->submission_ports[i]);
		else
			for (i = 0; i < c->nports; i++)
				fprintf(f, "%s%u", i ? ", " : " ",
				    c->ports[i]);
		break;
	case K_DOMAINS:
	case K_ACCOUNTS:
		for (i = 0; i < ((const struct strlist *)field)->n; i++)
			fprintf(f, "%s%s", i ? ", " : " ",
			    ((const struct strlist *)field)->v[i]);
		break;
	case K_INT:
		fprintf(f, " %d", *(const int *)field);
		break;
	case K_U32:
		fprintf(f, " %u", *(const uint32_t *)field);
		break;
	case K_RATE:
	case K_RATE_OFF:
		fprintf(f, " %s", fmt_rate((const struct rate *)field, buf,
		    sizeof(buf)));
		break;
	case K_DURATION:
	case K_DURATION_FIN:
		fprintf(f, " %s", fmt_duration(*(const int64_t *)field, buf,
		    sizeof(buf)));
		break;
	case K_DURLIST:
		for (i = 0; i < c->nescalate; i++)
			fprintf(f, "%s%s", i ? ", " : " ",
			    fmt_duration(c->escalate_us[i], buf, sizeof(buf)));
		break;
	case K_BOOL:
		fprintf(f, " %s", *(const bool *)field ? "yes" : "no");
		break;
	case K_BACKEND:
		fprintf(f, " %s", conf_word_name(backend_words,
		    (int)*(const enum backend_kind *)field));
		break;
	case K_RESPONSE:
		fprintf(f, " %s", conf_word_name(response_words,
		    (int)*(const enum response *)field));
		break;
	case K_NFT_TABLE:
		fprintf(f, " %s %s", c->nft_family, c->nft_table);
		break;
	case K_ADDRS:
	case K_NETS:
		conf_print_netset(f, *(struct netset *const *)field,
		    kd->tag);
		break;
	case K_UIDS:
		for (i = 0; i < c->nallow_uids; i++)
			fprintf(f, "%s%u", i ? ", " : " ", c->allow_uids[i]);
		break;
	case K_CLASS_NETS:
		conf_print_netset(f, c->class_nets, cls);
		break;
	}
	fputc('\n', f);
}

/*
 * Prints the effective settings, every key, in the INI syntax conf_load
 * reads back.  A class prints only the keys it sets: the others fall back
 * to [detect] and [block].
 */
void
conf_print(const struct conf *c, FILE *f)
{
	const struct conf_class *cl;
	enum section sec = SEC_NONE;
	size_t i;
	int k;

	fprintf(f, "; nflogmon %s: effective configuration from %s\n",
	    NFLOGMON_VERSION, c->defaults ? "built-in defaults" : c->path);
	for (i = 0; i < NKEYDEFS && keydefs[i].sec != SEC_CLASS; i++) {
		if (keydefs[i].sec != sec) {
			sec = keydefs[i].sec;
			fprintf(f, "%s[%s]\n", sec == SEC_DAEMON ? "" : "\n",
			    section_names[sec]);
		}
		conf_print_key(f, c, &keydefs[i], c, -1);
	}
	for (k = 0; k < c->nclasses; k++) {
		cl = &c->classes[k];
		fprintf(f, "\n[class %s]\n", cl->name);
		for (i = 0; i < NKEYDEFS; i++) {
			if (keydefs[i].sec != SEC_CLASS)
				continue;
			if (keydefs[i].has != 0 &&
			    !*((const bool *)cl + keydefs[i].has - 1))
				continue;
			conf_print_key(f, c, &keydefs[i], cl, k);
		}
	}
}

/* ------------------------------------------------------ check-config */

static void
check_config_usage(void)
{
	fprintf(stderr, "usage: nflogmon check-config [-c FILE]\n");
}

int
cmd_check_config(int argc, char **argv)
{
	const char *path = NULL;
	struct conf *c;
	int ch;

	optind = 0;
	opterr = 0;
	while ((ch = getopt(argc, argv, "+:c:h")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'h':
			check_config_usage();
			return EXIT_OK;
		case ':':
			fprintf(stderr, "nflogmon check-config: -%c needs an "
			    "argument\n", optopt);
			check_config_usage();
			return EXIT_USAGE;
		default:
			fprintf(stderr, "nflogmon check-config: unknown option "
			    "-%c\n", optopt);
			check_config_usage();
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		check_config_usage();
		return EXIT_USAGE;
	}
	if ((c = conf_load(path, stderr)) == NULL)
		return EXIT_ERR;
	if (c->defaults)
		fprintf(stderr, "nflogmon: %s does not exist; built-in "
		    "defaults apply\n", NFLOGMON_CONF);
	conf_print(c, stdout);
	conf_free(c);
	if (fflush(stdout) == EOF || ferror(stdout))
		return EXIT_ERR;
	return EXIT_OK;
}
