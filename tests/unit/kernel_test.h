/*
 * kernel_test.h: helpers of the unit tests that run a backend against the
 * real kernel in a private network namespace (test_ipset.c, test_nft.c):
 * a shell runner to read the kernel's state back with the tools (a second
 * opinion, not the backend itself) and key builders.
 */
#ifndef KERNEL_TEST_H
#define KERNEL_TEST_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "nflogmon.h"

/* A verb's result, with the backend's error text (`err`) on a mismatch. */
#define assert_verb(call, want) do {					\
	int rv_ = (call);						\
	if (rv_ != (want))						\
		print_error("%s -> %d (want %d): %s\n", #call, rv_,	\
		    (want), err);					\
	assert_int_equal(rv_, (want));					\
} while (0)

static const char *sh(const char *, ...) __attribute__((format(printf, 1, 2)));

/* Runs a shell command, returns its output (static buffer). */
static const char *
sh(const char *fmt, ...)
{
	static char	out[16384];
	char		cmd[2048];
	va_list		ap;
	FILE		*f;
	size_t		n;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	out[0] = '\0';
	if ((f = popen(cmd, "r")) == NULL)
		return out;
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	pclose(f);
	return out;
}

static inline void
key_v4(struct key *k, const char *s)
{
	memset(k, 0, sizeof(*k));
	k->kind = KEY_V4;
	k->plen = 32;
	assert_int_equal(inet_pton(AF_INET, s, k->addr), 1);
}

static inline void
key_v6(struct key *k, const char *s, int plen)
{
	memset(k, 0, sizeof(*k));
	k->kind = KEY_V6;
	k->plen = (uint8_t)plen;
	assert_int_equal(inet_pton(AF_INET6, s, k->addr), 1);
}

static inline void
key_uid(struct key *k, uint32_t uid)
{
	memset(k, 0, sizeof(*k));
	k->kind = KEY_UID;
	k->uid = uid;
}

#endif /* KERNEL_TEST_H */
