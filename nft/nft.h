/*
 * nft.h: the nftables backend's pure helpers, shown to its unit test.
 * Everything else of nft/nft.c is reached through backend_nft_ops.
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

#endif /* NFLOGMON_NFT_H */
