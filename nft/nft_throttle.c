/*
 * nft_throttle.c: the throttle response of the nftables backend.  For each
 * distinct throttle_rate it keeps a member set, a meter set of per-source
 * token buckets and the rules in chain throttle that let members through
 * at that rate (the table is drawn in nft.c).  It only writes commands
 * into a cmdbuf or runs them through nft_exec_buf; it must never touch a
 * set or chain outside its own table, and never be called per packet.
 */
#define _GNU_SOURCE	/* reallocarray */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "nflogmon.h"
#include "nft.h"

/* Dynamic meter size per family and rate: throttled sources active within
 * one span W.  A full meter fails closed: its rule no longer matches and
 * the next rule rejects (NOTES.md: a full dynamic set stops limiting). */
#define NFT_METER_SIZE		65536
#define NFT_THROTTLE_PRIO	"filter + 10"

int
nft_rate_units(const struct rate *r, uint64_t *per, const char **unit)
{
	static const struct { int64_t s; const char *name; } units[] = {
		{ 1, "second" }, { 60, "minute" }, { 3600, "hour" },
		{ 86400, "day" }, { 604800, "week" },
	};
	unsigned __int128 num, w;
	size_t i;

	if (r->off || r->n == 0 || r->w_us <= 0)
		return -1;
	w = (unsigned __int128)r->w_us;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		num = (unsigned __int128)r->n * (uint64_t)units[i].s * US_PER_S;
		if (num % w == 0 && num / w >= 1 && num / w <= UINT32_MAX) {
			*per = (uint64_t)(num / w);
			*unit = units[i].name;
			return 0;
		}
	}
	/* Inexact: round up per week; exact enough only for W <= a week. */
	if (r->w_us > 604800 * US_PER_S)
		return -1;
	num = (unsigned __int128)r->n * 604800 * US_PER_S;
	num = (num + w - 1) / w;
	if (num > UINT32_MAX)
		return -1;
	*per = (uint64_t)num;
	*unit = "week";
	return 0;
}

char *
nft_rate_tag(const struct rate *r, char *buf, size_t len)
{
	if (r->w_us % US_PER_S == 0)
		snprintf(buf, len, "%lu_%llds", (unsigned long)r->n,
		    (long long)(r->w_us / US_PER_S));
	else
		snprintf(buf, len, "%lu_%lldms", (unsigned long)r->n,
		    (long long)((r->w_us + 999) / 1000));
	return buf;
}

struct nft_rateset *
nft_rate_find(struct nft_priv *p, const char *tag)
{
	size_t i;

	for (i = 0; i < p->nrates; i++)
		if (strcmp(p->rates[i].tag, tag) == 0)
			return &p->rates[i];
	return NULL;
}

struct nft_rateset *
nft_rate_add(struct nft_priv *p, const char *tag)
{
	struct nft_rateset *r;

	if ((r = nft_rate_find(p, tag)) != NULL)
		return r;
	r = reallocarray(p->rates, p->nrates + 1, sizeof(*r));
	if (r == NULL)
		return NULL;
	p->rates = r;
	r = &p->rates[p->nrates++];
	memset(r, 0, sizeof(*r));
	snprintf(r->tag, sizeof(r->tag), "%s", tag);
	return r;
}

/*
 * Commands for one rate: its member and meter sets and its rules in chain
 * throttle.  A member passes while its own bucket (burst one packet) has
 * a token, else the next rule resets the connection; a meter that is full
 * cannot add the source, so its rule does not match: fail closed.
 */
int
cb_rate(struct cmdbuf *cb, const struct nft_priv *p, const struct rate *r,
    const char *tag, char *nerr, size_t nerrlen)
{
	static const char *const match[] = {
		[KEY_V4] = "ip saddr", [KEY_V6] = "ip6 saddr",
		[KEY_UID] = "meta skuid",
	};
	char		 mkey[96], mask[INET6_ADDRSTRLEN], name[128];
	uint8_t		 m[16];
	const char	*unit;
	uint64_t	 per;
	int64_t		 meter_s;
	int		 kind, i;

	if (nft_rate_units(r, &per, &unit) != 0) {
		snprintf(nerr, nerrlen, "throttle_rate %lu per %lld s cannot "
		    "be expressed as an nftables limit (at least 1/week, "
		    "W at most a week when inexact)", (unsigned long)r->n,
		    (long long)(r->w_us / US_PER_S));
		return -1;
	}
	/* A bucket idle for W is full again, so forgetting it then is exact. */
	meter_s = (r->w_us + US_PER_S - 1) / US_PER_S;
	memset(m, 0, sizeof(m));
	for (i = 0; i < p->ipv6_prefix && i < 128; i++)
		m[i / 8] |= (uint8_t)(0x80 >> (i % 8));
	inet_ntop(AF_INET6, m, mask, sizeof(mask));
	for (kind = KEY_V4; kind <= KEY_UID; kind++) {
		if (!nft_kind_held(p, kind))
			continue;
		if (kind == KEY_V6)
			snprintf(mkey, sizeof(mkey), "ip6 saddr & %s", mask);
		else
			snprintf(mkey, sizeof(mkey), "%s", match[kind]);
		snprintf(name, sizeof(name), "throttle_%s%s", tag,
		    nft_kind_suffix[kind]);
		cb_set_decl(cb, p, name, kind);
		cb_printf(cb, "add set %s %s throttle_%s_meter%s { type %s; "
		    "size %d; flags dynamic, timeout; timeout %llds; }\n",
		    p->family, p->table, tag, nft_kind_suffix[kind],
		    nft_kind_type[kind], NFT_METER_SIZE, (long long)meter_s);
		cb_printf(cb, "add rule %s %s throttle %s @throttle_%s%s "
		    "update @throttle_%s_meter%s { %s limit rate %llu/%s "
		    "burst 1 packets } return\n",
		    p->family, p->table, match[kind], tag, nft_kind_suffix[kind],
		    tag, nft_kind_suffix[kind], mkey, (unsigned long long)per,
		    unit);
		cb_printf(cb, "add rule %s %s throttle %s @throttle_%s%s "
		    "reject with tcp reset\n", p->family, p->table,
		    match[kind], tag, nft_kind_suffix[kind]);
	}
	return 0;
}

/* Chains throttle_forward and throttle_output send new SMTP connections
 * to chain throttle, which is emptied for the rates' rules. */
void
cb_chains(struct cmdbuf *cb, const struct nft_priv *p)
{
	static const char *const hooks[] = { "forward", "output" };
	size_t	i;
	int	j;

	cb_printf(cb, "add chain %s %s throttle\nflush chain %s %s throttle\n",
	    p->family, p->table, p->family, p->table);
	for (i = 0; i < 2; i++) {
		cb_printf(cb, "add chain %s %s throttle_%s { type filter hook "
		    "%s priority %s; policy accept; }\n"
		    "flush chain %s %s throttle_%s\n"
		    "add rule %s %s throttle_%s tcp flags & (syn | ack) == syn "
		    "tcp dport { ", p->family, p->table, hooks[i], hooks[i],
		    NFT_THROTTLE_PRIO, p->family, p->table, hooks[i],
		    p->family, p->table, hooks[i]);
		for (j = 0; j < p->nports; j++)
			cb_printf(cb, "%s%u", j ? ", " : "", p->ports[j]);
		cb_printf(cb, " } jump throttle\n");
	}
}

/* The distinct throttle rates of the config, into p->rates. */
int
nft_conf_rates(struct nft_priv *p, const struct conf *conf)
{
	struct nft_rateset	*r;
	const struct rate	*rate;
	char			 tag[48];
	int			 i;

	for (i = -1; i < conf->nclasses; i++) {
		if (i >= 0 && !conf->classes[i].has_throttle_rate)
			continue;
		rate = i < 0 ? &conf->throttle_rate :
		    &conf->classes[i].throttle_rate;
		if (rate->off || rate->n == 0)
			continue;
		nft_rate_tag(rate, tag, sizeof(tag));
		if ((r = nft_rate_add(p, tag)) == NULL)
			return -1;
		r->has_rate = true;
		r->rate = *rate;
	}
	return 0;
}

/* Makes sure a rate named by a verdict has its sets and rules (a class
 * rate added by a reload without a new init). */
int
nft_rate_ensure(struct nft_priv *p, const struct rate *r, char *tag,
    size_t taglen, char *err, size_t errlen)
{
	struct nft_rateset	*rs;
	struct cmdbuf		 cb = { 0 };
	char			 name[128], nerr[512];
	int			 kind, rv;

	nft_rate_tag(r, tag, taglen);
	if ((rs = nft_rate_find(p, tag)) != NULL && rs->has_rate)
		return 0;
	for (kind = KEY_V4; kind <= KEY_UID; kind++) {
		if (!nft_kind_held(p, kind))
			continue;
		snprintf(name, sizeof(name), "throttle_%s%s", tag,
		    nft_kind_suffix[kind]);
		cb_set_decl(&cb, p, name, kind);
	}
	if (cb_rate(&cb, p, r, tag, err, errlen) != 0) {
		free(cb.s);
		return -1;
	}
	rv = nft_exec_buf(p, &cb, nerr, sizeof(nerr));
	free(cb.s);
	if (rv != 0) {
		snprintf(err, errlen, "nft table %s %s: throttle rate %s: %s",
		    p->family, p->table, tag, nerr);
		return -1;
	}
	if ((rs = nft_rate_add(p, tag)) == NULL) {
		snprintf(err, errlen, "nft: out of memory");
		return -1;
	}
	rs->has_rate = true;
	rs->rate = *r;
	return 0;
}
