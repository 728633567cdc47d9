/*
 * stream.c: the decision stream of the LAPI (GET /v1/decisions/stream),
 * read as untrusted input, and the fleet breaker.  Pure: no clock, no I/O,
 * nothing kept between calls; the fuzz target calls fleet_stream_parse.
 *
 * What another gateway publishes becomes a block here, so every value is
 * validated and anything that could lock this network out is refused and
 * counted, never applied (DESIGN.md "Fleet"): loopback, link-local,
 * multicast and other non-unicast, this host's and the LAPI's addresses,
 * anything overlapping [allow], IPv4 ranges (the IPv4 sets hold hosts),
 * IPv6 ranges shorter than /48, unknown scopes or types, absurd durations,
 * over-size responses.  The 1.4 stream sends "new": null and "deleted":
 * null for empty lists, repeats deleted entries, lists expired decisions
 * as deleted on startup=true, and an Ip value may be a CIDR.
 */
#include <sys/socket.h>
#include <arpa/inet.h>

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "fleet.h"

static const char *const refusal_names[FLEET_REF_MAX] = {
	[FLEET_REF_MALFORMED] = "malformed",
	[FLEET_REF_SCOPE] = "scope",
	[FLEET_REF_TYPE] = "type",
	[FLEET_REF_LOOPBACK] = "loopback",
	[FLEET_REF_LINKLOCAL] = "link_local",
	[FLEET_REF_MULTICAST] = "not_unicast",
	[FLEET_REF_LOCAL] = "local",
	[FLEET_REF_ALLOW] = "allowlisted",
	[FLEET_REF_V4RANGE] = "ipv4_range",
	[FLEET_REF_V6SHORT] = "ipv6_range_short",
	[FLEET_REF_DURATION] = "duration",
	[FLEET_REF_OVERSIZE] = "oversize",
	[FLEET_REF_BREAKER] = "breaker",
};

const char *
fleet_refusal_name(enum fleet_refusal r)
{
	if ((unsigned)r >= FLEET_REF_MAX)
		return "unknown";
	return refusal_names[r];
}

/* ---------------------------------------------------------- durations */

/* Units of a Go time.Duration string, longest match first. */
static const struct {
	const char	*u;
	int64_t		 ns;
} go_units[] = {
	{ "ns", 1 }, { "us", 1000 }, { "\xc2\xb5s", 1000 },
	{ "\xce\xbcs", 1000 }, { "ms", 1000000 }, { "s", 1000000000LL },
	{ "m", 60000000000LL }, { "h", 3600000000000LL },
};

/* Bounded below int64 overflow: 100 years. */
#define GO_MAX_NS	(100LL * 366 * 86400 * 1000000000LL)

int
fleet_go_duration(const char *s, int64_t *us)
{
	int64_t total = 0, whole, frac, scale, unit;
	bool neg = false;
	size_t i, best, l;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (strcmp(s, "0") == 0) {
		*us = 0;
		return 0;
	}
	if (*s == '\0')
		return -1;
	while (*s != '\0') {
		whole = 0, frac = 0, scale = 1;
		if ((*s < '0' || *s > '9') && *s != '.')
			return -1;
		for (; *s >= '0' && *s <= '9'; s++) {
			if (whole > GO_MAX_NS / 10)
				return -1;
			whole = whole * 10 + (*s - '0');
		}
		if (*s == '.') {
			s++;
			if (*s < '0' || *s > '9')
				return -1;
			for (; *s >= '0' && *s <= '9'; s++)
				if (scale < 1000000000000000000LL / 10) {
					frac = frac * 10 + (*s - '0');
					scale *= 10;
				}
		}
		best = 0, l = 0;
		for (i = 0; i < sizeof(go_units) / sizeof(go_units[0]); i++) {
			size_t n = strlen(go_units[i].u);

			if (n > l && strncmp(s, go_units[i].u, n) == 0) {
				best = i;
				l = n;
			}
		}
		if (l == 0)
			return -1;
		unit = go_units[best].ns;
		s += l;
		if (whole > GO_MAX_NS / unit)
			return -1;
		total += whole * unit + (int64_t)((double)frac / (double)scale *
		    (double)unit);
		if (total > GO_MAX_NS)
			return -1;
	}
	*us = (neg ? -total : total) / 1000;
	return 0;
}

/* --------------------------------------------------------------- keys */

struct overlap {
	const struct key *k;
	bool		 hit;
};

static bool
prefix_contains(const uint8_t *net, int plen, const uint8_t *a)
{
	int full = plen / 8, rest = plen % 8;

	if (memcmp(net, a, (size_t)full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((net[full] ^ a[full]) & (0xff << (8 - rest)) & 0xff) == 0;
}

static void
overlap_one(const struct addr *a, int plen, int value, void *arg)
{
	struct overlap *o = arg;
	const struct key *k = o->k;

	(void)value;
	if (o->hit || (a->family == AF_INET) != (k->kind == KEY_V4))
		return;
	if (plen <= k->plen)
		o->hit = prefix_contains(a->b, plen, k->addr);
	else
		o->hit = prefix_contains(k->addr, k->plen, a->b);
}

/* Whether any prefix of ns overlaps the key's. */
static bool
key_overlaps(const struct netset *ns, const struct key *k)
{
	struct overlap o = { k, false };
	struct addr a;

	if (ns == NULL)
		return false;
	memset(&a, 0, sizeof(a));
	a.family = k->kind == KEY_V4 ? AF_INET : AF_INET6;
	memcpy(a.b, k->addr, sizeof(a.b));
	if (netset_lookup(ns, &a) != -1)
		return true;
	if (k->plen == (k->kind == KEY_V4 ? 32 : 128))
		return false;
	netset_foreach(ns, overlap_one, &o);
	return o.hit;
}

static enum fleet_refusal
key_class_v4(const uint8_t *b)
{
	if (b[0] == 127)
		return FLEET_REF_LOOPBACK;
	if (b[0] == 169 && b[1] == 254)
		return FLEET_REF_LINKLOCAL;
	if (b[0] == 0 || b[0] >= 224)	/* this network, multicast, 240/4 */
		return FLEET_REF_MULTICAST;
	return FLEET_REF_MAX;
}

static enum fleet_refusal
key_class_v6(const struct key *k)
{
	static const uint8_t loop[16] = { [15] = 1 };
	static const uint8_t zero[16];
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (memcmp(k->addr, loop, 16) == 0)
		return FLEET_REF_LOOPBACK;
	if (k->addr[0] == 0xfe && (k->addr[1] & 0xc0) == 0x80)
		return FLEET_REF_LINKLOCAL;
	if (k->addr[0] == 0xff || memcmp(k->addr, zero, 16) == 0)
		return FLEET_REF_MULTICAST;
	if (memcmp(k->addr, mapped, 12) == 0)	/* IPv4 in IPv6 clothes */
		return FLEET_REF_MALFORMED;
	return FLEET_REF_MAX;
}

enum fleet_refusal
fleet_key_check(const struct key *k, const struct fleet_filter *f)
{
	enum fleet_refusal r;

	if (k->kind == KEY_V4) {
		if (k->plen != 32)
			return FLEET_REF_V4RANGE;
		r = key_class_v4(k->addr);
	} else if (k->kind == KEY_V6) {
		if (k->plen < 48)
			return FLEET_REF_V6SHORT;
		r = key_class_v6(k);
	} else
		return FLEET_REF_MALFORMED;
	if (r != FLEET_REF_MAX)
		return r;
	if (key_overlaps(f->local, k))
		return FLEET_REF_LOCAL;
	if (key_overlaps(f->allow, k))
		return FLEET_REF_ALLOW;
	return FLEET_REF_MAX;
}

/* The key of a value of scope Ip or Range. */
static enum fleet_refusal
stream_key(const char *scope, const char *value, int ipv6_prefix,
    struct key *k)
{
	struct addr a;
	int plen;
	bool range;

	if (strcmp(scope, "Ip") == 0)
		range = false;
	else if (strcmp(scope, "Range") == 0)
		range = true;
	else
		return FLEET_REF_SCOPE;
	if (parse_prefix(value, &a, &plen) == -1)
		return FLEET_REF_MALFORMED;
	if (range && strchr(value, '/') == NULL)
		return FLEET_REF_MALFORMED;
	if (a.family == AF_INET && plen != 32)
		return FLEET_REF_V4RANGE;
	/* a bare IPv6 address stands for its prefix, as on the command line;
	 * what it is (loopback...) is told by the address itself */
	if (a.family == AF_INET6 && strchr(value, '/') == NULL) {
		enum fleet_refusal r;

		key_from_addr(k, &a, 128);
		if ((r = key_class_v6(k)) != FLEET_REF_MAX)
			return r;
		plen = ipv6_prefix;
	}
	key_from_addr(k, &a, plen);
	return FLEET_REF_MAX;
}

/* ------------------------------------------------------------- stream */

static void
stream_text(const json_t *v, char *dst, size_t len)
{
	const char *s = json_is_string(v) ? json_string_value(v) : "";
	size_t i;

	snprintf(dst, len, "%s", s);
	for (i = 0; dst[i] != '\0'; i++)	/* it goes to logs and JSON */
		if ((unsigned char)dst[i] < 0x20 || dst[i] == 0x7f)
			dst[i] = '?';
}

/* One decision object: FLEET_REF_MAX and d filled when accepted. */
static enum fleet_refusal
stream_decision(const json_t *o, bool deleted, const struct fleet_filter *f,
    struct fleet_decision *d)
{
	const json_t *scope, *value, *type, *dur, *id;
	enum fleet_refusal r;

	memset(d, 0, sizeof(*d));
	d->deleted = deleted;
	if (!json_is_object(o))
		return FLEET_REF_MALFORMED;
	id = json_object_get(o, "id");
	scope = json_object_get(o, "scope");
	value = json_object_get(o, "value");
	type = json_object_get(o, "type");
	dur = json_object_get(o, "duration");
	if (!json_is_integer(id) || json_integer_value(id) <= 0 ||
	    !json_is_string(scope) || !json_is_string(value) ||
	    !json_is_string(type))
		return FLEET_REF_MALFORMED;
	d->id = json_integer_value(id);
	stream_text(json_object_get(o, "scenario"), d->scenario,
	    sizeof(d->scenario));
	stream_text(json_object_get(o, "origin"), d->origin,
	    sizeof(d->origin));
	if ((r = stream_key(json_string_value(scope), json_string_value(value),
	    f->ipv6_prefix, &d->key)) != FLEET_REF_MAX)
		return r;
	if (strcmp(json_string_value(type), "ban") != 0)
		return FLEET_REF_TYPE;
	if (!deleted) {
		if (!json_is_string(dur) || fleet_go_duration(
		    json_string_value(dur), &d->remaining_us) == -1 ||
		    d->remaining_us <= 0 ||
		    d->remaining_us > FLEET_MAX_DURATION_US)
			return FLEET_REF_DURATION;
	}
	return fleet_key_check(&d->key, f);
}

/* Returns the number of decisions read from the list (for the bound). */
static size_t
stream_list(const json_t *list, bool deleted, size_t seen,
    const struct fleet_filter *f,
    void (*fn)(const struct fleet_decision *, void *), void *arg,
    struct fleet_stream_stats *st)
{
	struct fleet_decision d;
	enum fleet_refusal r;
	size_t i, n;

	if (json_is_null(list) || list == NULL)
		return 0;
	if (!json_is_array(list)) {
		st->refused[FLEET_REF_MALFORMED]++;
		return 0;
	}
	n = json_array_size(list);
	for (i = 0; i < n; i++) {
		if (seen + i >= FLEET_MAX_DECISIONS) {
			if (!deleted)
				st->refused[FLEET_REF_OVERSIZE] += n - i;
			break;
		}
		r = stream_decision(json_array_get(list, i), deleted, f, &d);
		if (r == FLEET_REF_MAX && f->own != NULL &&
		    f->own(d.id, f->arg)) {
			if (!deleted)
				st->own++;
			continue;
		}
		if (r != FLEET_REF_MAX) {
			/* a refused value was never applied: nothing to lift */
			if (!deleted)
				st->refused[r]++;
			continue;
		}
		if (deleted)
			st->deleted_ok++;
		else
			st->new_ok++;
		fn(&d, arg);
	}
	return n;
}

int
fleet_stream_parse(const char *body, size_t len, const struct fleet_filter *f,
    void (*fn)(const struct fleet_decision *, void *), void *arg,
    struct fleet_stream_stats *st)
{
	json_error_t e;
	json_t *o;
	size_t seen;

	if (len > FLEET_MAX_RESPONSE) {
		st->bad_responses++;
		st->refused[FLEET_REF_OVERSIZE]++;
		return -1;
	}
	o = json_loadb(body, len, JSON_REJECT_DUPLICATES, &e);
	if (o == NULL || !json_is_object(o)) {
		json_decref(o);
		st->bad_responses++;
		return -1;
	}
	seen = stream_list(json_object_get(o, "deleted"), true, 0, f, fn,
	    arg, st);
	stream_list(json_object_get(o, "new"), false, seen, f, fn, arg, st);
	json_decref(o);
	return 0;
}

/* ------------------------------------------------------------ breaker */

void
fleet_breaker_init(struct fleet_breaker *b, const struct rate *r)
{
	memset(b, 0, sizeof(*b));
	b->rate = *r;
}

bool
fleet_breaker_take(struct fleet_breaker *b, int64_t now_us)
{
	if (b->rate.off)
		return true;
	if (b->n == 0 || now_us - b->win_start_us >= b->rate.w_us ||
	    now_us < b->win_start_us) {
		b->win_start_us = now_us;
		b->n = 0;
	}
	if (b->n >= b->rate.n) {
		b->trips++;
		return false;
	}
	b->n++;
	return true;
}
