/*
 * input_pkt.c: what a packet is to the rules, for every packet input
 * (NFLOG live, pcap replay): DESIGN.md "What counts" and "Keys".  A SYN
 * without ACK to a watched port, not to an allowlisted destination, is an
 * event of the forward or output kind (by its NFLOG group), keyed by its
 * UID (output group with a UID) or its source address, IPv6 aggregated to
 * ipv6_prefix unless the address itself is allowlisted.  Pure: it never
 * reads a clock or allocates, so live capture and replay classify alike.
 */
#include <sys/socket.h>

#include <string.h>

#include "nflogmon.h"

static bool
pkt_counts(const struct conf *c, const struct pkt *p)
{
	if ((p->tcp_flags & (TCP_SYN | TCP_ACK)) != TCP_SYN)
		return false;
	if (p->src.family != AF_INET && p->src.family != AF_INET6)
		return false;
	if (!conf_port_watched(c, p->dport))
		return false;
	if (c->allow_dst != NULL && netset_lookup(c->allow_dst, &p->dst) >= 0)
		return false;
	return true;
}

enum pkt_result
pkt_event(const struct conf *c, const struct pkt *p, enum pkt_result r,
    int64_t t_us, struct event *ev)
{
	bool output;

	if (r != PKT_OK)
		return r;
	if (!pkt_counts(c, p))
		return PKT_IGNORED;
	memset(ev, 0, sizeof(*ev));
	ev->t_us = t_us;
	ev->count = 1;
	ev->value = p->dst;
	output = c->output_group != CONF_GROUP_OFF &&
	    p->group == c->output_group;
	ev->kind = output ? INPUT_OUTPUT : INPUT_FORWARD;
	if (output && p->has_uid) {
		key_from_uid(&ev->key, p->uid);
		if (conf_uid_allowed(c, p->uid))
			ev->flags |= EVENT_ALLOWED;
	} else if (c->allow_src != NULL &&
	    netset_lookup(c->allow_src, &p->src) >= 0) {
		/* its own address: never adds to its prefix's counts */
		key_from_addr(&ev->key, &p->src, 128);
		ev->flags |= EVENT_ALLOWED;
	} else
		key_from_addr(&ev->key, &p->src, c->ipv6_prefix);
	return PKT_OK;
}

const char *
input_kind_name(enum input_kind k)
{
	static const char *const names[INPUT_NKINDS] = {
		[INPUT_FORWARD] = "forward", [INPUT_OUTPUT] = "output",
		[INPUT_POLICY] = "policy", [INPUT_MAILLOG] = "maillog",
	};

	return (unsigned)k < INPUT_NKINDS ? names[k] : "unknown";
}
