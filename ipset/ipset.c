/*
 * ipset.c: the ipset backend, through libipset.
 *
 * Two kernel sets hold the blocks: <ipset_name> (hash:ip, family inet) for
 * IPv4 addresses and <ipset_name>6 (hash:net, family inet6) for IPv6
 * prefixes; with [accounts] block_clients two more of the same types hold
 * the client addresses of blocked accounts (keys marked client):
 * <ipset_name>-clients and <ipset_name>-clients6.  Both are created with "timeout 0" so every element can carry
 * its own timeout, and with hashsize/maxelem given up front so the kernel
 * never stalls resizing a hash under a flood of blocks.  The iptables rules
 * in nflogmon.iptables / nflogmon.ip6tables enforce the sets.
 *
 * Every verb is one netlink round trip: the set's type is looked up once in
 * init and put into the session data directly (the same effect as libipset's
 * type cache, ipset_cache_add), so an add never asks the kernel for the
 * set's header first.  Every kernel answer is read back; an error is
 * returned as text naming the set and the address.
 *
 * Names are ips_* because libipset owns the ipset_* namespace.
 *
 * This file must never touch a set other than the configured ones, and
 * never print: libipset's output goes to our own callback.
 */
#include <sys/socket.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <libipset/ipset.h>
#include <libipset/nf_inet_addr.h>

#include "nflogmon.h"
#include "ipset_list.h"

/* The largest timeout the kernel accepts: longer ones get none at all and
 * the daemon removes the element when the block ends (DESIGN.md). */
#define IPSET_TIMEOUT_MAX_S	2147483U

#define SET_V4		0
#define SET_V6		1
#define SET_C4		2	/* block_clients */
#define SET_C6		3
#define SETS_MAX	4

/*
 * One configured set.  Invariant after a successful init: name is the
 * kernel set's name, it exists with type typename and family, it has
 * timeout support, and type is libipset's description of it.
 */
struct ips_set {
	char			 name[IPSET_MAXNAMELEN];
	const char		*typename;	/* "hash:ip", "hash:net" */
	uint8_t			 family;	/* AF_INET, AF_INET6 */
	bool			 client;	/* a clients set */
	const struct ipset_type	*type;
};

/* What the header of a plain listing tells about an existing set. */
struct ips_header {
	bool	 found;
	char	 typename[32];
	char	 family[16];
	bool	 timeout;
};

/*
 * State of one listing: libipset hands its output in chunks that need not
 * end at a line; partial holds the unfinished line.  Parsed entries are
 * appended to entries (list) or the header is filled (init).
 */
struct ips_out {
	char			 partial[512];
	size_t			 partial_len;
	bool			 overflow;	/* a line longer than partial */
	bool			 nomem;
	struct ips_header	*header;
	const struct ips_set	*set;		/* list: the set listed */
	struct backend_entry	*entries;
	size_t			 nentries, cap;
};

struct ips_priv {
	struct ipset_session	*session;
	struct ips_set	 sets[SETS_MAX];
	int		 nsets;		/* 2, or 4 with block_clients */
	struct ips_out	*out;		/* the listing under way */
};

static void	ips_line(struct ips_out *, char *);

/* Strips libipset's trailing newline. */
static void
ips_chomp(char *s)
{
	size_t	n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = '\0';
}

/* Copies libipset's last report into err after a prefix; resets it. */
static int __attribute__((format(printf, 4, 5)))
ips_fail(struct ips_priv *p, char *err, size_t errlen,
    const char *fmt, ...)
{
	const char	*msg;
	char		 prefix[256];
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	msg = p->session ? ipset_session_report_msg(p->session) : NULL;
	if (msg == NULL || *msg == '\0')
		msg = "unknown error";
	snprintf(err, errlen, "%s: %s", prefix, msg);
	ips_chomp(err);
	if (p->session)
		ipset_session_report_reset(p->session);
	return -1;
}

/*
 * libipset's output callback: feeds complete lines to the listing under
 * way.  Output outside a listing is dropped (there should be none).
 */
static int __attribute__((format(printf, 3, 4)))
ips_outfn(struct ipset_session *session, void *arg, const char *fmt, ...)
{
	struct ips_priv	*p = arg;
	struct ips_out	*o = p->out;
	char			 chunk[IPSET_OUTBUFLEN + 1], *s, *nl;
	va_list			 ap;
	size_t			 len;
	int			 n;

	(void)session;
	va_start(ap, fmt);
	n = vsnprintf(chunk, sizeof(chunk), fmt, ap);
	va_end(ap);
	if (n < 0 || o == NULL)
		return 0;
	for (s = chunk; *s != '\0'; s = nl + 1) {
		nl = strchr(s, '\n');
		len = nl ? (size_t)(nl - s) : strlen(s);
		if (o->partial_len + len >= sizeof(o->partial)) {
			o->overflow = true;
			o->partial_len = 0;
		} else {
			memcpy(o->partial + o->partial_len, s, len);
			o->partial_len += len;
		}
		if (nl == NULL)
			break;
		o->partial[o->partial_len] = '\0';
		ips_line(o, o->partial);
		o->partial_len = 0;
	}
	return 0;
}

/* "add NAME ADDR[/PLEN] [timeout N]" of a save listing -> entry. */
static void
ips_line_add(struct ips_out *o, char *addr, char *rest)
{
	struct backend_entry	*e, *ne;
	char			*slash, *tok, *save = NULL;
	unsigned long		 plen, timeout_s = 0;
	size_t			 ncap;

	if (o->set == NULL || o->nomem)
		return;
	if (o->nentries == o->cap) {
		ncap = o->cap ? o->cap * 2 : 64;
		ne = reallocarray(o->entries, ncap, sizeof(*ne));
		if (ne == NULL) {
			o->nomem = true;
			return;
		}
		o->entries = ne;
		o->cap = ncap;
	}
	e = &o->entries[o->nentries];
	memset(e, 0, sizeof(*e));
	e->key.client = o->set->client;
	if ((slash = strchr(addr, '/')) != NULL)
		*slash++ = '\0';
	if (o->set->family == AF_INET) {
		if (inet_pton(AF_INET, addr, e->key.addr) != 1)
			return;
		e->key.kind = KEY_V4;
		e->key.plen = 32;
	} else {
		if (inet_pton(AF_INET6, addr, e->key.addr) != 1)
			return;
		plen = 128;
		if (slash != NULL) {
			plen = strtoul(slash, NULL, 10);
			if (plen == 0 || plen > 128)
				return;
		}
		e->key.kind = KEY_V6;
		e->key.plen = (uint8_t)plen;
	}
	for (tok = strtok_r(rest, " ", &save); tok != NULL;
	    tok = strtok_r(NULL, " ", &save)) {
		if (strcmp(tok, "timeout") == 0 &&
		    (tok = strtok_r(NULL, " ", &save)) != NULL)
			timeout_s = strtoul(tok, NULL, 10);
	}
	e->expires_in_us = timeout_s == 0 ? DURATION_PERMANENT :
	    (int64_t)timeout_s * US_PER_S;
	o->nentries++;
}

/* "family F ... timeout N ..." of a header -> header. */
static void
ips_header_opts(struct ips_out *o, char *rest)
{
	char	*tok, *save = NULL;

	for (tok = strtok_r(rest, " ", &save); tok != NULL;
	    tok = strtok_r(NULL, " ", &save)) {
		if (strcmp(tok, "timeout") == 0)
			o->header->timeout = true;
		else if (strcmp(tok, "family") == 0 &&
		    (tok = strtok_r(NULL, " ", &save)) != NULL)
			snprintf(o->header->family, sizeof(o->header->family),
			    "%s", tok);
	}
}

/* The header of a plain listing, "Type: T" then "Header: family F ...". */
static void
ips_line_header(struct ips_out *o, char *line)
{
	if (strncmp(line, "Type: ", 6) == 0) {
		o->header->found = true;
		snprintf(o->header->typename, sizeof(o->header->typename),
		    "%s", line + 6);
	} else if (strncmp(line, "Header: ", 8) == 0)
		ips_header_opts(o, line + 8);
}

static void
ips_line(struct ips_out *o, char *line)
{
	char	*verb, *name, *arg, *save = NULL;

	if (o->header != NULL) {
		ips_line_header(o, line);
		return;
	}
	if ((verb = strtok_r(line, " ", &save)) == NULL ||
	    (name = strtok_r(NULL, " ", &save)) == NULL ||
	    (arg = strtok_r(NULL, " ", &save)) == NULL)
		return;
	if (save == NULL)
		save = arg + strlen(arg);
	if (strcmp(verb, "add") == 0)
		ips_line_add(o, arg, save);
}

/*
 * Runs a listing of one set in a session of its own: every entry in the
 * save format, or the header only in the plain one (libipset's save format
 * dumps every entry even when asked for the header: a second at 1,000,000
 * entries, at each start).  After a failed listing, libipset 7 fails the next
 * type lookup of the same session without a message.  Returns 0, or -1
 * with libipset's message in msg.
 */
static int
ips_list_set(struct ips_priv *p, const char *name, bool header_only,
    struct ips_out *o, char *msg, size_t msglen)
{
	struct ipset_session	*s;
	const char		*m;
	int			 rv = -1;

	if ((s = ipset_session_init(ips_outfn, p)) == NULL) {
		snprintf(msg, msglen, "cannot start a libipset session");
		return -1;
	}
	if (header_only)
		ipset_envopt_set(s, IPSET_ENV_LIST_HEADER);
	p->out = o;
	if (ipset_session_output(s, header_only ? IPSET_LIST_PLAIN :
	    IPSET_LIST_SAVE) == 0 &&
	    ipset_session_data_set(s, IPSET_SETNAME, name) == 0)
		rv = ipset_cmd(s, IPSET_CMD_LIST, 0);
	p->out = NULL;
	if (rv < 0) {
		m = ipset_session_report_msg(s);
		snprintf(msg, msglen, "%s", m && *m ? m : "unknown error");
		ips_chomp(msg);
	}
	ipset_session_fini(s);
	return rv < 0 ? -1 : 0;
}

/* Power of two hash size for maxelem: buckets of about 4 elements when
 * full, so the set is never resized. */
static uint32_t
ips_hashsize(uint32_t maxelem)
{
	uint32_t	h = 1024;

	while (h < maxelem / 4 && h < (1U << 30))
		h <<= 1;
	return h;
}

static int
ips_create(struct ips_priv *p, const struct ips_set *set,
    const struct conf *conf, char *err, size_t errlen)
{
	struct ipset_session	*s = p->session;
	uint32_t		 zero = 0, maxelem = conf->ipset_maxelem;
	uint32_t		 hashsize = ips_hashsize(conf->ipset_maxelem);
	uint8_t			 family = set->family;

	if (ipset_session_data_set(s, IPSET_SETNAME, set->name) < 0 ||
	    ipset_session_data_set(s, IPSET_OPT_TYPENAME, set->typename) < 0 ||
	    ipset_session_data_set(s, IPSET_OPT_FAMILY, &family) < 0 ||
	    ipset_type_get(s, IPSET_CMD_CREATE) == NULL ||
	    ipset_session_data_set(s, IPSET_OPT_TIMEOUT, &zero) < 0 ||
	    ipset_session_data_set(s, IPSET_OPT_HASHSIZE, &hashsize) < 0 ||
	    ipset_session_data_set(s, IPSET_OPT_MAXELEM, &maxelem) < 0 ||
	    ipset_cmd(s, IPSET_CMD_CREATE, 0) < 0) {
		ipset_data_reset(ipset_session_data(s));
		return ips_fail(p, err, errlen, "ipset %s: cannot create "
		    "(%s family %s timeout 0)", set->name, set->typename,
		    family == AF_INET ? "inet" : "inet6");
	}
	return 0;
}

/*
 * Checks one set, creating it when missing and allowed.  Then looks its
 * type up once, for every later add, del and test.
 */
static int
ips_check(struct ips_priv *p, struct ips_set *set,
    const struct conf *conf, bool *created, char *err, size_t errlen)
{
	struct ipset_session	*s = p->session;
	struct ips_header	 h;
	struct ips_out	 o;
	const char		*family = set->family == AF_INET ? "inet" :
				    "inet6";
	char			 msg[IPSET_ERRORBUFLEN];

	memset(&h, 0, sizeof(h));
	memset(&o, 0, sizeof(o));
	o.header = &h;
	if (ips_list_set(p, set->name, true, &o, msg, sizeof(msg)) < 0) {
		if (strstr(msg, "does not exist") == NULL) {
			snprintf(err, errlen, "ipset %s: %s", set->name, msg);
			return -1;
		}
		if (!conf->create_sets) {
			snprintf(err, errlen, "set %s does not exist; create "
			    "it or set create_sets = yes", set->name);
			return -1;
		}
		if (ips_create(p, set, conf, err, errlen) < 0)
			return -1;
		*created = true;
	} else if (!h.found) {
		snprintf(err, errlen, "ipset %s: the kernel listed no header",
		    set->name);
		return -1;
	} else if (strcmp(h.typename, set->typename) != 0 ||
	    strcmp(h.family, family) != 0 || !h.timeout) {
		snprintf(err, errlen, "ipset %s: set is %s family %s%s, "
		    "expected %s family %s with timeout support (ipset create "
		    "%s %s family %s timeout 0)", set->name, h.typename,
		    h.family, h.timeout ? " with timeout" : " without timeout",
		    set->typename, family, set->name, set->typename, family);
		return -1;
	}

	if (ipset_session_data_set(s, IPSET_SETNAME, set->name) < 0 ||
	    (set->type = ipset_type_get(s, IPSET_CMD_ADD)) == NULL) {
		ipset_data_reset(ipset_session_data(s));
		return ips_fail(p, err, errlen, "ipset %s: type lookup",
		    set->name);
	}
	ipset_data_reset(ipset_session_data(s));
	/* Also tell libipset's own cache (-EEXIST on a second init is fine). */
	(void)ipset_cache_add(set->name, set->type, set->family);
	return 0;
}

static void
ips_fini(struct backend *b)
{
	struct ips_priv	*p = b->priv;
	int			 i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nsets; i++)
		if (p->sets[i].type != NULL)
			(void)ipset_cache_del(p->sets[i].name);
	if (p->session != NULL)
		ipset_session_fini(p->session);
	free(p);
	b->priv = NULL;
}

static int
ips_init(struct backend *b, const struct conf *conf, bool *created,
    char *err, size_t errlen)
{
	struct ips_priv	*p;
	size_t			 len = strlen(conf->ipset_name);
	int			 i;

	*created = false;
	b->conf = conf;
	if (len == 0 || len + 1 >= IPSET_MAXNAMELEN) {
		snprintf(err, errlen, "ipset_name \"%s\": must be 1 to %d "
		    "characters (the IPv6 set appends \"6\")", conf->ipset_name,
		    IPSET_MAXNAMELEN - 2);
		return -1;
	}
	if (conf->block_clients && len > IPSET_CLIENTS_NAME_MAX) {
		snprintf(err, errlen, "ipset_name \"%s\": must be 1 to %d "
		    "characters with block_clients (the clients sets append "
		    "\"-clients6\")", conf->ipset_name, IPSET_CLIENTS_NAME_MAX);
		return -1;
	}
	if (b->priv != NULL)
		ips_fini(b);
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		snprintf(err, errlen, "ipset: %s", strerror(errno));
		return -1;
	}
	b->priv = p;
	snprintf(p->sets[SET_V4].name, IPSET_MAXNAMELEN, "%s", conf->ipset_name);
	p->sets[SET_V4].typename = "hash:ip";
	p->sets[SET_V4].family = AF_INET;
	snprintf(p->sets[SET_V6].name, IPSET_MAXNAMELEN, "%s6",
	    conf->ipset_name);
	p->sets[SET_V6].typename = "hash:net";
	p->sets[SET_V6].family = AF_INET6;
	p->nsets = 2;
	if (conf->block_clients) {
		for (i = SET_C4; i <= SET_C6; i++) {
			snprintf(p->sets[i].name, IPSET_MAXNAMELEN,
			    "%s-clients%s", conf->ipset_name,
			    i == SET_C6 ? "6" : "");
			p->sets[i].typename = p->sets[i - 2].typename;
			p->sets[i].family = p->sets[i - 2].family;
			p->sets[i].client = true;
		}
		p->nsets = SETS_MAX;
	}

	ipset_load_types();
	if ((p->session = ipset_session_init(ips_outfn, p)) == NULL) {
		snprintf(err, errlen, "ipset: cannot start a libipset session");
		ips_fini(b);
		return -1;
	}
	/* -exist: adding a present element refreshes its timeout, deleting
	 * an absent one succeeds. */
	ipset_envopt_set(p->session, IPSET_ENV_EXIST);
	for (i = 0; i < p->nsets; i++) {
		if (ips_check(p, &p->sets[i], conf, created, err,
		    errlen) < 0) {
			ips_fini(b);
			return -1;
		}
	}
	return 0;
}

/*
 * Fills the session data for an add, del or test of key, with a timeout
 * when timeout_s is not NULL.  Returns the set, or NULL with err filled.
 */
static const struct ips_set *
ips_prepare(struct ips_priv *p, const struct key *k,
    const uint32_t *timeout_s, char *err, size_t errlen)
{
	struct ipset_session	*s = p->session;
	const struct ips_set	*set;
	union nf_inet_addr	 ip;
	uint8_t			 family, cidr = k->plen;
	char			 ks[KEY_STRLEN];

	if (k->kind != KEY_V4 && k->kind != KEY_V6) {
		snprintf(err, errlen, "ipset: cannot hold source %s",
		    key_format(k, ks, sizeof(ks)));
		return NULL;
	}
	if (k->kind == KEY_V6 && (k->plen == 0 || k->plen > 128)) {
		snprintf(err, errlen, "ipset: bad prefix length %u", k->plen);
		return NULL;
	}
	if (k->client && p->nsets < SETS_MAX) {
		snprintf(err, errlen, "ipset: no clients sets for %s "
		    "(block_clients = no)", key_format(k, ks, sizeof(ks)));
		return NULL;
	}
	set = &p->sets[(k->kind == KEY_V4 ? SET_V4 : SET_V6) +
	    (k->client ? SET_C4 : 0)];
	family = set->family;
	memset(&ip, 0, sizeof(ip));
	memcpy(&ip, k->addr, family == AF_INET ? 4 : 16);
	if (ipset_session_data_set(s, IPSET_SETNAME, set->name) < 0 ||
	    ipset_session_data_set(s, IPSET_OPT_TYPE, set->type) < 0 ||
	    ipset_session_data_set(s, IPSET_OPT_FAMILY, &family) < 0 ||
	    ipset_session_data_set(s, IPSET_OPT_IP, &ip) < 0 ||
	    (family == AF_INET6 &&
	    ipset_session_data_set(s, IPSET_OPT_CIDR, &cidr) < 0) ||
	    (timeout_s != NULL &&
	    ipset_session_data_set(s, IPSET_OPT_TIMEOUT, timeout_s) < 0)) {
		ipset_data_reset(ipset_session_data(s));
		ips_fail(p, err, errlen, "ipset %s: %s", set->name,
		    key_format(k, ks, sizeof(ks)));
		return NULL;
	}
	return set;
}

/* Seconds for the kernel: rounded up, at least 1; 0 (no timeout) when
 * permanent or beyond the kernel's limit. */
static uint32_t
ips_timeout_s(int64_t timeout_us)
{
	int64_t	s;

	if (timeout_us == DURATION_PERMANENT ||
	    timeout_us > (int64_t)IPSET_TIMEOUT_MAX_S * US_PER_S)
		return 0;
	s = (timeout_us + US_PER_S - 1) / US_PER_S;
	return s < 1 ? 1 : (uint32_t)s;
}

static int
ips_block(struct backend *b, const struct key *k, int64_t timeout_us,
    enum response resp, const struct rate *throttle_rate, char *err,
    size_t errlen)
{
	struct ips_priv	*p = b->priv;
	const struct ips_set	*set;
	uint32_t		 timeout_s = ips_timeout_s(timeout_us);
	char			 ks[KEY_STRLEN];

	(void)throttle_rate;
	if (k->kind == KEY_UID)
		return 0;		/* not enforceable; see enforces */
	if (resp == RESP_THROTTLE) {
		snprintf(err, errlen, "ipset: cannot throttle %s (throttling "
		    "needs backend nft)", key_format(k, ks, sizeof(ks)));
		return -1;
	}
	if ((set = ips_prepare(p, k, &timeout_s, err, errlen)) == NULL)
		return -1;
	if (ipset_cmd(p->session, IPSET_CMD_ADD, 0) < 0)
		return ips_fail(p, err, errlen, "ipset %s: add %s", set->name,
		    key_format(k, ks, sizeof(ks)));
	ipset_session_report_reset(p->session);
	return 0;
}

static int
ips_unblock(struct backend *b, const struct key *k, char *err,
    size_t errlen)
{
	struct ips_priv	*p = b->priv;
	const struct ips_set	*set;
	char			 ks[KEY_STRLEN];

	if (k->kind == KEY_UID)
		return 0;
	if ((set = ips_prepare(p, k, NULL, err, errlen)) == NULL)
		return -1;
	if (ipset_cmd(p->session, IPSET_CMD_DEL, 0) < 0)
		return ips_fail(p, err, errlen, "ipset %s: del %s", set->name,
		    key_format(k, ks, sizeof(ks)));
	ipset_session_report_reset(p->session);
	return 0;
}

/*
 * libipset answers a test with success (present), or with a notice
 * "... is NOT in set ..." (absent); anything else is an error.
 */
static int
ips_test(struct backend *b, const struct key *k, char *err, size_t errlen)
{
	struct ips_priv	*p = b->priv;
	const struct ips_set	*set;
	char			 ks[KEY_STRLEN];

	if (k->kind == KEY_UID)
		return 0;
	if ((set = ips_prepare(p, k, NULL, err, errlen)) == NULL)
		return -1;
	if (ipset_cmd(p->session, IPSET_CMD_TEST, 0) == 0) {
		ipset_session_report_reset(p->session);
		return 1;
	}
	if (ipset_session_report_type(p->session) == IPSET_NOTICE) {
		ipset_session_report_reset(p->session);
		return 0;
	}
	return ips_fail(p, err, errlen, "ipset %s: test %s", set->name,
	    key_format(k, ks, sizeof(ks)));
}

static int
ips_list(struct backend *b, struct backend_entry **entries, size_t *n,
    char *err, size_t errlen)
{
	struct ips_priv	*p = b->priv;
	struct ips_out	 o;
	char			 msg[IPSET_ERRORBUFLEN];
	int			 i;

	*entries = NULL;
	*n = 0;
	memset(&o, 0, sizeof(o));
	/* Straight from the kernel; libipset's text if that fails. */
	for (i = 0; i < p->nsets; i++) {
		size_t j, from = o.nentries;

		if (ips_dump(p->sets[i].name, p->sets[i].family, &o.entries,
		    &o.nentries, &o.cap, msg, sizeof(msg)) == -1)
			break;
		for (j = from; j < o.nentries; j++)
			o.entries[j].key.client = p->sets[i].client;
	}
	if (i == p->nsets) {
		*entries = o.entries;
		*n = o.nentries;
		return 0;
	}
	log_debug("ipset: netlink listing failed (%s); listing through "
	    "libipset", msg);
	free(o.entries);
	memset(&o, 0, sizeof(o));
	for (i = 0; i < p->nsets; i++) {
		o.set = &p->sets[i];
		o.partial_len = 0;
		if (ips_list_set(p, p->sets[i].name, false, &o, msg,
		    sizeof(msg)) < 0) {
			free(o.entries);
			snprintf(err, errlen, "ipset %s: list: %s",
			    p->sets[i].name, msg);
			return -1;
		}
	}
	if (o.nomem) {
		free(o.entries);
		snprintf(err, errlen, "ipset: list: out of memory");
		return -1;
	}
	*entries = o.entries;
	*n = o.nentries;
	return 0;
}

/* Each set's header: whether it exists and its entries (resync.c). */
static int
ips_count(struct backend *b, struct backend_count *sets, size_t *n,
    char *err, size_t errlen)
{
	struct ips_priv	*p = b->priv;
	const struct ips_set	*set;
	char			 msg[256];
	int			 i;

	*n = 0;
	for (i = 0; i < p->nsets && i < BACKEND_COUNT_MAX; i++) {
		set = &p->sets[i];
		memset(&sets[i], 0, sizeof(sets[i]));
		snprintf(sets[i].name, sizeof(sets[i].name), "%s", set->name);
		sets[i].kind = set->family == AF_INET ? KEY_V4 : KEY_V6;
		sets[i].client = set->client;
		if (ips_header_count(set->name, set->family, &sets[i].entries,
		    &sets[i].missing, msg, sizeof(msg)) == -1) {
			snprintf(err, errlen, "ipset %s: header: %s",
			    set->name, msg);
			return -1;
		}
		sets[i].counted = !sets[i].missing;
		(*n)++;
	}
	return 0;
}

static bool
ips_enforces(const struct backend *b, const struct key *k)
{
	(void)b;
	return k->kind == KEY_V4 || k->kind == KEY_V6;
}

const struct backend_ops backend_ipset_ops = {
	.name = "ipset",
	.init = ips_init,
	.block = ips_block,
	.unblock = ips_unblock,
	.test = ips_test,
	.list = ips_list,
	.fini = ips_fini,
	.enforces = ips_enforces,
	.count = ips_count,
};
