/*
 * fuzz_fleet_stream.c: the LAPI's decision stream parser on arbitrary
 * bytes (the stream is untrusted: another gateway, or whoever holds the
 * LAPI, writes it).  Whatever it hands on must be a key the fleet may
 * block (fleet_key_check agrees) with a sane duration; Go durations are
 * fuzzed through the same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "fleet.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct netset *allow, *local;

static bool
own_odd(int64_t id, void *arg)
{
	(void)arg;
	return id % 1000 == 1;
}

static void
check(const struct fleet_decision *d, void *arg)
{
	const struct fleet_filter *f = arg;

	if (fleet_key_check(&d->key, f) != FLEET_REF_MAX || d->id <= 0)
		abort();
	if (!d->deleted && (d->remaining_us <= 0 ||
	    d->remaining_us > FLEET_MAX_DURATION_US))
		abort();
	if (strlen(d->scenario) >= sizeof(d->scenario) ||
	    strlen(d->origin) >= sizeof(d->origin))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct fleet_stream_stats st;
	struct fleet_filter f;
	char buf[64];
	int64_t us;

	if (allow == NULL) {
		struct addr a;
		int plen;

		allow = netset_new();
		local = netset_new();
		if (parse_prefix("192.0.2.25", &a, &plen) == 0)
			netset_add(allow, &a, plen, 0);
		if (parse_prefix("2001:db8:1::/64", &a, &plen) == 0)
			netset_add(allow, &a, plen, 0);
		if (parse_prefix("198.51.100.5", &a, &plen) == 0)
			netset_add(local, &a, plen, 0);
	}
	memset(&f, 0, sizeof(f));
	f.allow = allow;
	f.local = local;
	f.ipv6_prefix = 64;
	f.own = own_odd;
	memset(&st, 0, sizeof(st));
	fleet_stream_parse((const char *)data, len, &f, check, &f, &st);
	if (len < sizeof(buf)) {
		memcpy(buf, data, len);
		buf[len] = '\0';
		fleet_go_duration(buf, &us);
	}
	return 0;
}
