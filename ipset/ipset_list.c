/*
 * ipset_list.c: a set's entries read straight from the kernel's netlink
 * dump (libmnl), for the reconciliation at start.  libipset would print
 * each entry as a line of text for ipset.c to parse back: at 1,000,000
 * entries that was seconds of a start, now the attributes are read as
 * they come.  The kernel's replies are read as untrusted as ever: every
 * attribute's type and length is checked, an entry without a usable
 * address is skipped.  On any error ipset.c falls back to libipset's
 * listing (and its messages).  The resync check reads a set's header
 * only (the kernel's element count, IPSET_FLAG_LIST_HEADER): one small
 * answer however many entries the set holds.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/ipset/ip_set.h>

#include "nflogmon.h"
#include "ipset_list.h"

#define DUMP_BUFLEN	(1 << 16)

struct dump {
	int			 family;
	struct backend_entry	**ents;
	size_t			*n, *cap;
	bool			 nomem;
};

/* IPSET_ATTR_IP: the nested address of the set's family. */
static int
dump_addr(struct nlattr *nest, int family, struct key *k)
{
	struct nlattr *a;
	uint16_t want = family == AF_INET ? IPSET_ATTR_IPADDR_IPV4 :
	    IPSET_ATTR_IPADDR_IPV6;
	size_t len = family == AF_INET ? 4 : 16;

	mnl_attr_for_each_nested(a, nest) {
		if (mnl_attr_get_type(a) == want &&
		    mnl_attr_get_payload_len(a) == len) {
			memcpy(k->addr, mnl_attr_get_payload(a), len);
			return 0;
		}
	}
	return -1;
}

/* One IPSET_ATTR_DATA of the ADT list -> an entry (skipped if unusable). */
static void
dump_entry(struct dump *d, struct nlattr *data)
{
	struct nlattr *a;
	struct backend_entry e, *ne;
	uint32_t timeout_s = 0;
	unsigned cidr = d->family == AF_INET ? 32 : 128;
	bool have_ip = false;
	size_t ncap;

	memset(&e, 0, sizeof(e));
	mnl_attr_for_each_nested(a, data) {
		switch (mnl_attr_get_type(a)) {
		case IPSET_ATTR_IP:
			have_ip = dump_addr(a, d->family, &e.key) == 0;
			break;
		case IPSET_ATTR_CIDR:
			if (mnl_attr_validate(a, MNL_TYPE_U8) == 0)
				cidr = mnl_attr_get_u8(a);
			break;
		case IPSET_ATTR_TIMEOUT:
			if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				timeout_s = ntohl(mnl_attr_get_u32(a));
			break;
		default:
			break;
		}
	}
	if (!have_ip || cidr == 0 || (d->family == AF_INET && cidr != 32) ||
	    cidr > 128)
		return;
	e.key.kind = d->family == AF_INET ? KEY_V4 : KEY_V6;
	e.key.plen = (uint8_t)cidr;
	e.expires_in_us = timeout_s == 0 ? DURATION_PERMANENT :
	    (int64_t)timeout_s * US_PER_S;
	if (*d->n == *d->cap) {
		ncap = *d->cap ? *d->cap * 2 : 1024;
		if ((ne = reallocarray(*d->ents, ncap, sizeof(*ne))) == NULL) {
			d->nomem = true;
			return;
		}
		mem_hugepages(ne, ncap * sizeof(*ne));
		*d->ents = ne;
		*d->cap = ncap;
	}
	(*d->ents)[(*d->n)++] = e;
}

static int
dump_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct dump *d = arg;
	struct nlattr *a, *data;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) != IPSET_ATTR_ADT)
			continue;
		mnl_attr_for_each_nested(data, a)
			if (mnl_attr_get_type(data) == IPSET_ATTR_DATA)
				dump_entry(d, data);
	}
	return d->nomem ? MNL_CB_ERROR : MNL_CB_OK;
}

/*
 * Sends one LIST request for setname (flags: IPSET_FLAG_* at command
 * level) and runs cb over the answer.  0; -1 with err (errno kept: ENOENT
 * when the set does not exist).
 */
static int
ips_nl_list(const char *setname, int family, uint32_t flags, mnl_cb_t cb,
    void *arg, bool *nomem, char *err, size_t errlen)
{
	struct mnl_socket *nl;
	char *buf;
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;
	uint32_t seq = (uint32_t)time(NULL), portid;
	ssize_t len;
	int rc = MNL_CB_OK, saved;

	if (strlen(setname) >= IPSET_MAXNAMELEN) {
		snprintf(err, errlen, "set name too long");
		errno = EINVAL;
		return -1;
	}
	/* the kernel fills dump messages up to the reader's buffer */
	if ((buf = malloc(DUMP_BUFLEN)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if ((nl = mnl_socket_open(NETLINK_NETFILTER)) == NULL ||
	    mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) == -1) {
		saved = errno;
		snprintf(err, errlen, "netlink: %s", strerror(errno));
		if (nl != NULL)
			mnl_socket_close(nl);
		free(buf);
		errno = saved;
		return -1;
	}
	portid = mnl_socket_get_portid(nl);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_IPSET << 8) | IPSET_CMD_LIST;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = (uint8_t)family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	mnl_attr_put_u8(nlh, IPSET_ATTR_PROTOCOL, IPSET_PROTOCOL);
	mnl_attr_put_strz(nlh, IPSET_ATTR_SETNAME, setname);
	if (flags != 0)
		mnl_attr_put_u32(nlh, IPSET_ATTR_FLAGS, htonl(flags));
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		saved = errno;
		snprintf(err, errlen, "netlink send: %s", strerror(errno));
		mnl_socket_close(nl);
		free(buf);
		errno = saved;
		return -1;
	}
	while ((len = mnl_socket_recvfrom(nl, buf, DUMP_BUFLEN)) > 0) {
		rc = mnl_cb_run(buf, (size_t)len, seq, portid, cb, arg);
		if (rc <= MNL_CB_STOP)
			break;
	}
	if (len < 0 || rc == MNL_CB_ERROR) {
		saved = *nomem ? ENOMEM : errno;
		snprintf(err, errlen, "%s", *nomem ? "out of memory" :
		    strerror(errno));
		mnl_socket_close(nl);
		free(buf);
		errno = saved;
		return -1;
	}
	mnl_socket_close(nl);
	free(buf);
	return 0;
}

/*
 * Appends the entries of set setname (of family AF_INET or AF_INET6) to
 * *ents (n used, cap allocated).  0; -1 with err.
 */
int
ips_dump(const char *setname, int family, struct backend_entry **ents,
    size_t *n, size_t *cap, char *err, size_t errlen)
{
	struct dump d = { family, ents, n, cap, false };

	return ips_nl_list(setname, family, 0, dump_cb, &d, &d.nomem, err,
	    errlen);
}

struct header {
	bool	 found;
	uint32_t elements;
};

/* The header's IPSET_ATTR_DATA: IPSET_ATTR_ELEMENTS. */
static int
header_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct header *h = arg;
	struct nlattr *a, *b;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) != IPSET_ATTR_DATA)
			continue;
		mnl_attr_for_each_nested(b, a)
			if (mnl_attr_get_type(b) == IPSET_ATTR_ELEMENTS &&
			    mnl_attr_validate(b, MNL_TYPE_U32) == 0) {
				h->elements = ntohl(mnl_attr_get_u32(b));
				h->found = true;
			}
	}
	return MNL_CB_OK;
}

int
ips_header_count(const char *setname, int family, size_t *n, bool *missing,
    char *err, size_t errlen)
{
	struct header h = { false, 0 };
	bool nomem = false;

	*n = 0;
	*missing = false;
	if (ips_nl_list(setname, family, IPSET_FLAG_LIST_HEADER, header_cb,
	    &h, &nomem, err, errlen) == -1) {
		if (errno != ENOENT)
			return -1;
		*missing = true;
		return 0;
	}
	if (!h.found) {
		snprintf(err, errlen, "the kernel's header has no element "
		    "count");
		return -1;
	}
	*n = h.elements;
	return 0;
}
