/*
 * nft_nl.c: the nftables backend's block path in netlink (libnftnl over
 * libmnl).  libnftables parses text (~61 us a command, ~0.3 ms a block of
 * several commands); the element adds and deletes of block and unblock are
 * built here as binary messages instead, one batch per verb, i.e. one
 * kernel transaction, all or nothing, as before.  Table setup, listing and
 * `test` stay in libnftables: rare, and simplest in text.
 *
 * What libnftables did with an element is repeated exactly (nft
 * --debug=netlink, nft 1.0.6): a hash set's element is one key; an
 * interval set's (IPv6 prefixes) is its start and the end key one past
 * its last address, flagged interval-end, without a timeout (the kernel
 * keeps none on an end), and an add also carries the end element at 0.
 * A prefix that reaches the top of the address space has no end; its
 * start carries nft's "open interval" flag in the element's user data,
 * so that nft lists it as the prefix it is.
 *
 * Every message asks for an ack, so the kernel answers each one, with
 * success or its error, and a failed transaction is reported with the
 * first error and the set it hit, never lost.  A receive timeout bounds
 * the wait if the kernel never answers.
 *
 * The resync check asks here which sets the table still has: one dump of
 * the sets' headers, never their elements.
 */
#define _GNU_SOURCE	/* reallocarray */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "nflogmon.h"
#include "nft.h"

#define NFT_NL_MSG_MAX		1024	/* room for one element message */
#define NFT_NL_RCV_TIMEOUT_S	5	/* a transaction takes microseconds */
/* The socket's receive buffer: every message of a transaction is
 * answered by an ack of its own, each charged about a kilobyte. */
#define NFT_NL_RCVBUF		(4 * 1024 * 1024)
#define NFT_NL_ACK_COST		1024

static const struct {
	const char	*name;
	uint16_t	 proto;
} nft_families[] = {
	{ "ip", NFPROTO_IPV4 }, { "ip6", NFPROTO_IPV6 },
	{ "inet", NFPROTO_INET }, { "arp", NFPROTO_ARP },
	{ "bridge", NFPROTO_BRIDGE }, { "netdev", NFPROTO_NETDEV },
};

int
nft_nl_open(struct nft_priv *p, char *err, size_t errlen)
{
	struct timeval	tv = { .tv_sec = NFT_NL_RCV_TIMEOUT_S };
	size_t		i;
	socklen_t	len = sizeof(int);
	int		one = 1, rcvbuf = NFT_NL_RCVBUF;

	for (i = 0; i < sizeof(nft_families) / sizeof(nft_families[0]); i++)
		if (strcmp(p->family, nft_families[i].name) == 0)
			break;
	if (i == sizeof(nft_families) / sizeof(nft_families[0])) {
		snprintf(err, errlen, "nft: unknown family \"%s\"", p->family);
		return -1;
	}
	p->nfproto = nft_families[i].proto;
	if ((p->nl = mnl_socket_open(NETLINK_NETFILTER)) == NULL ||
	    mnl_socket_bind(p->nl, 0, MNL_SOCKET_AUTOPID) != 0 ||
	    setsockopt(mnl_socket_get_fd(p->nl), SOL_SOCKET, SO_RCVTIMEO,
	    &tv, sizeof(tv)) != 0) {
		snprintf(err, errlen, "nft: netlink socket: %s",
		    strerror(errno));
		nft_nl_close(p);
		return -1;
	}
	/* Acks without a copy of the request: smaller answers. */
	(void)mnl_socket_setsockopt(p->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	/* Room for the acks of a transaction of many blocks (block_many
	 * sizes its transactions by maxacks): beyond the buffer the kernel
	 * drops answers, and the wait for them times out. */
	if (setsockopt(mnl_socket_get_fd(p->nl), SOL_SOCKET, SO_RCVBUFFORCE,
	    &rcvbuf, sizeof(rcvbuf)) != 0)
		(void)setsockopt(mnl_socket_get_fd(p->nl), SOL_SOCKET,
		    SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (getsockopt(mnl_socket_get_fd(p->nl), SOL_SOCKET, SO_RCVBUF,
	    &rcvbuf, &len) != 0 || rcvbuf < 0)
		rcvbuf = 0;
	/* half of it: what the kernel reports is twice what it counts */
	p->maxacks = (size_t)rcvbuf / 2 / NFT_NL_ACK_COST;
	p->portid = mnl_socket_get_portid(p->nl);
	p->seq = (uint32_t)time(NULL);
	return 0;
}

void
nft_nl_close(struct nft_priv *p)
{
	if (p->nl != NULL)
		mnl_socket_close(p->nl);
	p->nl = NULL;
}

/* Room for one more message and its record; false (oom set) if none. */
static bool
nft_batch_room(struct nft_batch *nb)
{
	char			*nbuf;
	struct nft_batch_msg	*nmsgs;
	size_t			 ncap;

	if (nb->oom)
		return false;
	if (nb->cap - nb->len < NFT_NL_MSG_MAX) {
		ncap = nb->cap ? nb->cap * 2 : 8 * NFT_NL_MSG_MAX;
		if ((nbuf = realloc(nb->buf, ncap)) == NULL) {
			nb->oom = true;
			return false;
		}
		nb->buf = nbuf;
		nb->cap = ncap;
	}
	if (nb->nmsgs == nb->msgcap) {
		ncap = nb->msgcap ? nb->msgcap * 2 : 16;
		if ((nmsgs = reallocarray(nb->msgs, ncap,
		    sizeof(*nmsgs))) == NULL) {
			nb->oom = true;
			return false;
		}
		nb->msgs = nmsgs;
		nb->msgcap = ncap;
	}
	return true;
}

/*
 * The key of k as set element data: start and, for an interval set, the
 * end one past the prefix (hasend false when the prefix reaches the top
 * of the address space: nothing follows it).
 */
static size_t
nft_key_data(const struct key *k, uint8_t start[16], uint8_t end[16],
    bool *hasend)
{
	uint32_t	uid;
	int		i, bits;
	unsigned	carry;

	*hasend = false;
	switch (k->kind) {
	case KEY_V4:
		memcpy(start, k->addr, 4);
		return 4;
	case KEY_UID:
		uid = k->uid;		/* meta skuid: host order */
		memcpy(start, &uid, sizeof(uid));
		return sizeof(uid);
	default:
		break;
	}
	/* KEY_V6: the prefix's first address, then one past its last. */
	for (i = 0; i < 16; i++) {
		bits = (int)k->plen - i * 8;
		start[i] = bits >= 8 ? k->addr[i] : bits <= 0 ? 0 :
		    k->addr[i] & (uint8_t)(0xff << (8 - bits));
	}
	memcpy(end, start, 16);
	if (k->plen == 0)
		return 16;
	i = (k->plen - 1) / 8;
	carry = 1u << (7 - (k->plen - 1) % 8);
	for (; i >= 0 && carry != 0; i--) {
		carry += end[i];
		end[i] = (uint8_t)carry;
		carry >>= 8;
	}
	*hasend = carry == 0;
	return 16;
}

/* nft's user data of an open interval: NFTNL_UDATA_SET_ELEM_FLAGS (1),
 * 4 bytes, NFTNL_SET_ELEM_F_INTERVAL_OPEN (1) in host order. */
static const uint8_t *
nft_udata_open(void)
{
	static uint8_t	 ud[6] = { 1, 4 };
	uint32_t	 open = 1;

	memcpy(ud + 2, &open, sizeof(open));
	return ud;
}

static int
nft_elem_add(struct nftnl_set *s, const void *data, size_t len,
    bool isend, bool open, int64_t timeout_us)
{
	struct nftnl_set_elem *e;

	if ((e = nftnl_set_elem_alloc()) == NULL)
		return -1;
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, data, (uint32_t)len);
	if (open)
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_USERDATA,
		    nft_udata_open(), 6);
	if (isend)
		nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_FLAGS,
		    NFT_SET_ELEM_INTERVAL_END);
	else if (timeout_us > 0)
		nftnl_set_elem_set_u64(e, NFTNL_SET_ELEM_TIMEOUT,
		    (uint64_t)((timeout_us + 999) / 1000));
	nftnl_set_elem_add(s, e);
	return 0;
}

/*
 * Appends one message: add (NFT_MSG_NEWSETELEM, create, an existing
 * element is no error) or delete k in set; timeout_us 0 is none.
 */
static void
nft_batch_elem(struct nft_batch *nb, struct nft_priv *p, const char *set,
    const struct key *k, bool add, int64_t timeout_us)
{
	static const uint8_t	 zero[16];
	struct nftnl_set	*s;
	struct nlmsghdr		*nlh;
	uint8_t			 start[16], end[16];
	size_t			 len;
	bool			 hasend, ok;

	if (!nft_batch_room(nb))
		return;
	if ((s = nftnl_set_alloc()) == NULL) {
		nb->oom = true;
		return;
	}
	nftnl_set_set_str(s, NFTNL_SET_TABLE, p->table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, set);
	len = nft_key_data(k, start, end, &hasend);
	ok = true;
	if (k->kind == KEY_V6) {
		if (add)
			ok = nft_elem_add(s, zero, len, true, false, 0) == 0;
		ok = ok && nft_elem_add(s, start, len, false, !hasend,
		    timeout_us) == 0;
		if (hasend)
			ok = ok && nft_elem_add(s, end, len, true, false,
			    0) == 0;
	} else
		ok = nft_elem_add(s, start, len, false, false,
		    timeout_us) == 0;
	if (!ok) {
		nftnl_set_free(s);
		nb->oom = true;
		return;
	}
	nlh = nftnl_nlmsg_build_hdr(nb->buf + nb->len,
	    add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM, p->nfproto,
	    (add ? NLM_F_CREATE : 0) | NLM_F_ACK, p->seq);
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	nb->len += NLMSG_ALIGN(nlh->nlmsg_len);
	nb->msgs[nb->nmsgs].seq = p->seq++;
	nb->msgs[nb->nmsgs].add = add;
	snprintf(nb->msgs[nb->nmsgs].set, sizeof(nb->msgs[0].set), "%s", set);
	nb->nmsgs++;
}

/* "add; delete": afterwards k is absent from set, whether it was there or
 * not (a delete alone fails the transaction on an absent element). */
void
nft_batch_remove(struct nft_batch *nb, struct nft_priv *p, const char *set,
    const struct key *k)
{
	nft_batch_elem(nb, p, set, k, true, 0);
	nft_batch_elem(nb, p, set, k, false, 0);
}

/* "add; delete; add": afterwards k is in set with exactly timeout (older
 * kernels keep the old timeout on a plain add of an existing element). */
void
nft_batch_put(struct nft_batch *nb, struct nft_priv *p, const char *set,
    const struct key *k, int64_t timeout_us)
{
	nft_batch_remove(nb, p, set, k);
	nft_batch_elem(nb, p, set, k, true,
	    timeout_us == DURATION_PERMANENT ? 0 : timeout_us);
}

void
nft_batch_free(struct nft_batch *nb)
{
	free(nb->buf);
	free(nb->msgs);
	memset(nb, 0, sizeof(*nb));
}

/* The message of the batch with seq, or NULL. */
static const struct nft_batch_msg *
nft_batch_msg(const struct nft_batch *nb, uint32_t seq)
{
	uint32_t off;

	if (nb->nmsgs == 0)
		return NULL;
	off = seq - nb->msgs[0].seq;
	return off < nb->nmsgs ? &nb->msgs[off] : NULL;
}

/*
 * Sends the batch as one transaction and reads an answer to every
 * message.  0, or -1 with the first error in nerr ("add element to set
 * blocked4: No such file or directory").
 */
int
nft_batch_run(struct nft_priv *p, struct nft_batch *nb, char *nerr,
    size_t nerrlen)
{
	char				 rbuf[MNL_SOCKET_BUFFER_SIZE];
	const struct nft_batch_msg	*m;
	struct nlmsghdr			*nlh, *beg;
	struct nlmsgerr			*e;
	char				*buf;
	uint32_t			 bseq;
	size_t				 answered = 0, blen;
	ssize_t				 n;
	int				 rem, first = 0, fatal = 0;

	nerr[0] = '\0';
	if (nb->oom) {
		snprintf(nerr, nerrlen, "out of memory building a batch");
		return -1;
	}
	if (nb->nmsgs == 0)
		return 0;
	/* begin, the messages, end: the messages sit at buf + room. */
	blen = nb->len + 2 * NLMSG_ALIGN(sizeof(struct nlmsghdr) +
	    sizeof(struct nfgenmsg));
	if ((buf = malloc(blen)) == NULL) {
		snprintf(nerr, nerrlen, "out of memory sending a batch");
		return -1;
	}
	bseq = p->seq++;
	beg = nftnl_batch_begin(buf, bseq);
	memcpy(buf + beg->nlmsg_len, nb->buf, nb->len);
	blen = beg->nlmsg_len + nb->len;
	nlh = nftnl_batch_end(buf + blen, p->seq++);
	blen += nlh->nlmsg_len;
	while ((n = mnl_socket_sendto(p->nl, buf, blen)) < 0 && errno == EINTR)
		;
	free(buf);
	if (n < 0) {
		snprintf(nerr, nerrlen, "netlink send: %s", strerror(errno));
		return -1;
	}
	while (answered < nb->nmsgs && fatal == 0) {
		/* With SO_RCVTIMEO a signal interrupts even under SA_RESTART
		 * (signal(7)): the daemon's signals must not lose an answer. */
		while ((n = mnl_socket_recvfrom(p->nl, rbuf, sizeof(rbuf))) < 0 &&
		    errno == EINTR)
			;
		if (n < 0) {
			snprintf(nerr, nerrlen, "netlink receive: %s",
			    errno == EAGAIN ? "no answer from the kernel" :
			    strerror(errno));
			return -1;
		}
		rem = (int)n;
		for (nlh = (struct nlmsghdr *)rbuf; mnl_nlmsg_ok(nlh, rem);
		    nlh = mnl_nlmsg_next(nlh, &rem)) {
			if (nlh->nlmsg_type != NLMSG_ERROR ||
			    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
				continue;
			e = mnl_nlmsg_get_payload(nlh);
			m = nft_batch_msg(nb, nlh->nlmsg_seq);
			if (m == NULL) {
				/* the batch itself refused (EPERM, ENOMEM) */
				if (nlh->nlmsg_seq == bseq && e->error != 0)
					fatal = -e->error;
				continue;	/* or an old exchange's */
			}
			answered++;
			if (e->error != 0 && first == 0) {
				first = -e->error;
				snprintf(nerr, nerrlen, "%s element %s set %s: "
				    "%s", m->add ? "add" : "delete",
				    m->add ? "to" : "from", m->set,
				    strerror(first));
			}
		}
	}
	if (fatal != 0) {
		snprintf(nerr, nerrlen, "netlink batch: %s", strerror(fatal));
		return -1;
	}
	return first != 0 ? -1 : 0;
}

struct nft_sets_seen {
	void	(*fn)(const char *name, void *arg);
	void	 *arg;
	bool	  nomem;
};

static int
nft_sets_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nft_sets_seen *seen = arg;
	struct nftnl_set *s;
	const char *name;

	if ((s = nftnl_set_alloc()) == NULL) {
		seen->nomem = true;
		return MNL_CB_ERROR;
	}
	if (nftnl_set_nlmsg_parse(nlh, s) == 0 &&
	    (name = nftnl_set_get_str(s, NFTNL_SET_NAME)) != NULL)
		seen->fn(name, seen->arg);
	nftnl_set_free(s);
	return MNL_CB_OK;
}

/*
 * Calls fn with the name of every set of the table: one dump of the sets'
 * headers (never their elements), on a socket of its own so no answer of
 * the block path's socket is mixed in.  A missing table has no sets.  0,
 * or -1 with nerr.
 */
int
nft_nl_sets(struct nft_priv *p, void (*fn)(const char *name, void *arg),
    void *arg, char *nerr, size_t nerrlen)
{
	struct timeval		 tv = { .tv_sec = NFT_NL_RCV_TIMEOUT_S };
	struct nft_sets_seen	 seen = { fn, arg, false };
	char			*buf;
	struct mnl_socket	*nl;
	struct nlmsghdr		*nlh;
	struct nftnl_set	*s;
	uint32_t		 seq = p->seq++, portid;
	ssize_t			 n;
	int			 rc = MNL_CB_OK;

	if ((buf = malloc(MNL_SOCKET_BUFFER_SIZE)) == NULL ||
	    (s = nftnl_set_alloc()) == NULL) {
		free(buf);
		snprintf(nerr, nerrlen, "out of memory");
		return -1;
	}
	if ((nl = mnl_socket_open(NETLINK_NETFILTER)) == NULL ||
	    mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) != 0 ||
	    setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO,
	    &tv, sizeof(tv)) != 0) {
		snprintf(nerr, nerrlen, "netlink socket: %s", strerror(errno));
		if (nl != NULL)
			mnl_socket_close(nl);
		nftnl_set_free(s);
		free(buf);
		return -1;
	}
	portid = mnl_socket_get_portid(nl);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSET, p->nfproto,
	    NLM_F_DUMP, seq);
	nftnl_set_set_str(s, NFTNL_SET_TABLE, p->table);
	nftnl_set_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		snprintf(nerr, nerrlen, "netlink send: %s", strerror(errno));
		mnl_socket_close(nl);
		free(buf);
		return -1;
	}
	for (;;) {
		while ((n = mnl_socket_recvfrom(nl, buf,
		    MNL_SOCKET_BUFFER_SIZE)) < 0 && errno == EINTR)
			;
		if (n <= 0)
			break;
		rc = mnl_cb_run(buf, (size_t)n, seq, portid, nft_sets_cb,
		    &seen);
		if (rc <= MNL_CB_STOP)
			break;
	}
	/* the kernel answers ENOENT for a table that does not exist */
	if ((n < 0 || rc == MNL_CB_ERROR) && (seen.nomem || errno != ENOENT)) {
		snprintf(nerr, nerrlen, "list sets: %s", seen.nomem ?
		    "out of memory" : errno == EAGAIN ?
		    "no answer from the kernel" : strerror(errno));
		mnl_socket_close(nl);
		free(buf);
		return -1;
	}
	mnl_socket_close(nl);
	free(buf);
	return 0;
}
