/*
 * backend.c: picks the backend for [block] backend, puts many blocks
 * through whichever verb it has, and the `none` backend.
 *
 * `none` keeps no kernel state at all: every verb succeeds and nothing is
 * enforced, so the daemon detects and reports (and runs the hook) without
 * touching a firewall.  It must never fail, never allocate a list.
 */
#include <stddef.h>
#include <stdio.h>

#include "nflogmon.h"

static int
none_init(struct backend *b, const struct conf *conf, bool *created,
    char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	b->conf = conf;
	b->priv = NULL;
	*created = false;
	return 0;
}

static int
none_block(struct backend *b, const struct key *k, int64_t timeout_us,
    enum response resp, const struct rate *throttle_rate, char *err,
    size_t errlen)
{
	(void)b; (void)k; (void)timeout_us; (void)resp; (void)throttle_rate;
	(void)err; (void)errlen;
	return 0;
}

static int
none_unblock(struct backend *b, const struct key *k, char *err,
    size_t errlen)
{
	(void)b; (void)k; (void)err; (void)errlen;
	return 0;
}

static int
none_test(struct backend *b, const struct key *k, char *err, size_t errlen)
{
	(void)b; (void)k; (void)err; (void)errlen;
	return 0;
}

static int
none_list(struct backend *b, struct backend_entry **entries, size_t *n,
    char *err, size_t errlen)
{
	(void)b; (void)err; (void)errlen;
	*entries = NULL;
	*n = 0;
	return 0;
}

static void
none_fini(struct backend *b)
{
	(void)b;
}

static bool
none_enforces(const struct backend *b, const struct key *k)
{
	(void)b; (void)k;
	return false;
}

const struct backend_ops backend_none_ops = {
	.name = "none",
	.init = none_init,
	.block = none_block,
	.unblock = none_unblock,
	.test = none_test,
	.list = none_list,
	.fini = none_fini,
	.enforces = none_enforces,
};

const struct backend_ops *
backend_ops_for(enum backend_kind kind)
{
	switch (kind) {
	case BACKEND_IPSET:
		return &backend_ipset_ops;
	case BACKEND_NFT:
		return &backend_nft_ops;
	case BACKEND_NONE:
		return &backend_none_ops;
	}
	return NULL;
}

/* bp[0..n) through the backend's block_many, or block by block where it
 * has none: rc[i] 0 or -1, -1 when any failed, the first error in err. */
int
backend_block_many(struct backend *b, const struct backend_put *bp,
    size_t n, int *rc, char *err, size_t errlen)
{
	char e1[512];
	size_t i;
	int failed = 0;

	if (b->ops->block_many != NULL)
		return b->ops->block_many(b, bp, n, rc, err, errlen);
	err[0] = '\0';
	for (i = 0; i < n; i++)
		if ((rc[i] = b->ops->block(b, bp[i].key, bp[i].timeout_us,
		    bp[i].resp, bp[i].throttle_rate, e1, sizeof(e1))) != 0 &&
		    failed++ == 0)
			snprintf(err, errlen, "%s", e1);
	return failed > 0 ? -1 : 0;
}
