/*
 * nft.h: the nftables backend's pure helpers, shown to its unit test, and
 * below them what the backend's files share.  The rest of the program
 * reaches the backend only through backend_nft_ops.
 */
#ifndef NFLOGMON_NFT_H
#define NFLOGMON_NFT_H

#include <stddef.h>
#include <stdint.h>

#include "nflogmon.h"

/*
 * Converts the rate N/W into nft's "R/UNIT" (UNIT second, minute, hour,
 * day or week) so that the token bucket's cost of one packet, UNIT/R, is
 * W/N: the smallest unit where N*UNIT/W is a whole number.  When none is,
 * R is rounded up per week, which adds less than W/week of a connection
 * per span W, so a span W still lets at least N and at most N+1 through
 * for any W up to a week.  Returns 0, or -1 when N/W cannot be expressed
 * (off, N or W zero, R too large, or inexact with W over a week).
 */
int	nft_rate_units(const struct rate *, uint64_t *per, const char **unit);

/* The name tag of a rate's sets: "5_60s" for 5/1m, "3_1500ms" for
 * 3/1.5s.  Returns buf. */
char   *nft_rate_tag(const struct rate *, char *buf, size_t len);

/* A key as an nft set element: "192.0.2.7", "2001:db8:1:2::/64",
 * "2001:db8::25" (/128), "4242" (uid).  NULL for KEY_NONE. */
char   *nft_elem_format(const struct key *, char *buf, size_t len);

/*
 * The rest is shared by the files of the backend only (nft.c,
 * nft_throttle.c, nft_list.c, nft_nl.c); nothing outside nft/ may use it.
 */

struct nft_ctx;
struct mnl_socket;

/*
 * One throttle rate known to the table.  has_rate: from the config (its
 * rules are in chain throttle); otherwise only found in the table at init,
 * kept so unblock still empties its sets.
 */
struct nft_rateset {
	char		 tag[48];
	bool		 has_rate;
	struct rate	 rate;
};

/*
 * Invariants: ctx buffers output and error; family and table are checked
 * names (letters, digits, '_', '-', '.'), safe to paste into commands;
 * rates[0..nrates) have distinct tags.
 */
struct nft_priv {
	struct nft_ctx		*ctx;
	struct mnl_socket	*nl;		/* the block path (nft_nl.c) */
	uint32_t		 portid, seq;
	size_t			 maxacks;	/* the answers nl can queue */
	uint16_t		 nfproto;	/* family as NFPROTO_* */
	char			 family[16];
	char			 table[64];
	bool			 v4, v6;	/* families the table holds */
	int			 ipv6_prefix;
	uint16_t		 ports[CONF_MAX_PORTS];
	int			 nports;
	bool			 clients;	/* block_clients: clients4/6 */
	struct nft_rateset	*rates;
	size_t			 nrates;
};

/* A growing command buffer; oom sticks. */
struct cmdbuf {
	char	*s;
	size_t	 len, cap;
	bool	 oom;
};

/* One element message of a batch: what an error is reported against. */
struct nft_batch_msg {
	uint32_t	 seq;
	bool		 add;
	char		 set[128];
};

/* Element messages in netlink form, sent as one transaction; oom sticks. */
struct nft_batch {
	char			*buf;
	size_t			 len, cap;
	struct nft_batch_msg	*msgs;
	size_t			 nmsgs, msgcap;
	bool			 oom;
};

extern const char *const nft_kind_suffix[];	/* set name suffix per key kind */
extern const char *const nft_kind_type[];	/* nft set type per key kind */

/* nft.c */
void	 cb_printf(struct cmdbuf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
int	 nft_exec(struct nft_priv *, const char *cmd, bool json,
	    const char **out, char *nerr, size_t nerrlen);
int	 nft_exec_buf(struct nft_priv *, struct cmdbuf *, char *nerr,
	    size_t nerrlen);
void	 cb_set_decl(struct cmdbuf *, const struct nft_priv *,
	    const char *name, enum key_kind);
bool	 nft_kind_held(const struct nft_priv *, enum key_kind);

/* nft_throttle.c */
struct nft_rateset *nft_rate_find(struct nft_priv *, const char *tag);
struct nft_rateset *nft_rate_add(struct nft_priv *, const char *tag);
int	 cb_rate(struct cmdbuf *, const struct nft_priv *, const struct rate *,
	    const char *tag, char *nerr, size_t nerrlen);
void	 cb_chains(struct cmdbuf *, const struct nft_priv *);
int	 nft_conf_rates(struct nft_priv *, const struct conf *);
int	 nft_rate_ensure(struct nft_priv *, const struct rate *, char *tag,
	    size_t taglen, char *err, size_t errlen);

/* nft_nl.c */
int	 nft_nl_open(struct nft_priv *, char *err, size_t errlen);
void	 nft_nl_close(struct nft_priv *);
void	 nft_batch_remove(struct nft_batch *, struct nft_priv *,
	    const char *set, const struct key *);
void	 nft_batch_put(struct nft_batch *, struct nft_priv *, const char *set,
	    const struct key *, int64_t timeout_us);
int	 nft_batch_run(struct nft_priv *, struct nft_batch *, char *nerr,
	    size_t nerrlen);
void	 nft_batch_free(struct nft_batch *);
int	 nft_nl_sets(struct nft_priv *, void (*fn)(const char *name, void *),
	    void *arg, char *nerr, size_t nerrlen);

/* nft_list.c */
int	 nft_list_set(struct nft_priv *, const char *set, enum key_kind,
	    bool throttle, struct backend_entry **, size_t *n, size_t *cap,
	    char *err, size_t errlen);
int	 nft_list(struct backend *, struct backend_entry **, size_t *n,
	    char *err, size_t errlen);

#endif /* NFLOGMON_NFT_H */
