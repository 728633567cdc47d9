/*
 * fuzz_ruleset.c: libFuzzer target for the ruleset check's reader.  The
 * input is a ruleset as `nft -j list ruleset` prints it (what libnftables
 * hands the daemon at start and on SIGHUP), checked against a fixed config
 * that names a LAN interface, three ports, allowlists and log_allowed = no,
 * so every comparison runs.  It must never crash, leak or trust a field.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nflogmon.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char conf_text[] =
    "[capture]\nlan_interfaces = lan0, eth1\nports = 25, 465, 587\n"
    "log_allowed = no\n[allow]\naddresses = 192.0.2.25, 2001:db8:1::25\n"
    "networks = 198.51.100.0/24\nuids = 0\n";

static bool
ifexists(const char *name)
{
	return strcmp(name, "lan0") == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct conf *c;
	struct ruleset_report r;
	char *json;
	FILE *in;

	if (c == NULL) {
		if ((in = fmemopen((void *)(uintptr_t)conf_text,
		    sizeof(conf_text) - 1, "r")) == NULL)
			abort();
		if ((c = conf_load_stream(in, "fuzz.conf", stderr)) == NULL)
			abort();
		fclose(in);
	}
	if (size > 1 << 20 || (json = malloc(size + 1)) == NULL)
		return 0;
	memcpy(json, data, size);
	json[size] = '\0';
	ruleset_check_json(c, json, ifexists, &r);
	if (r.failed != (r.nwarnings > 0))
		abort();
	ruleset_report_free(&r);
	free(json);
	return 0;
}
