/*
 * key.c: what a source is counted, blocked and reported as (DESIGN.md
 * "Keys"): an IPv4 address, an IPv6 prefix, or a local uid.  Keys are
 * compared and hashed as raw bytes, so every function here that builds a
 * key zeroes it first and leaves every unused byte (pad, host bits of a
 * prefix, uid of an address, address of a uid) zero.
 *
 * Text forms: "192.0.2.7", "2001:db8:1:2::/64", "2001:db8::25" (a /128 is
 * printed as the bare address) and "uid:1001".  key_parse takes those and
 * "2001:db8::25/128" and "account:NAME" (a login, lower-cased; its key is
 * a hash, the name lives in names.c) and "client:ADDR" (a client address
 * of an account under block_clients: its own sets); host bits set under a
 * prefix are masked off, not refused, so "2001:db8:1:2::9/64" is 2001:db8:1:2::/64.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include "nflogmon.h"

/* Zeroes the bits of a[16] beyond plen. */
static void
mask_v6(uint8_t a[16], int plen)
{
	int i;

	for (i = 0; i < 16; i++) {
		if (plen >= 8)
			plen -= 8;
		else if (plen > 0) {
			a[i] &= (uint8_t)(0xff << (8 - plen));
			plen = 0;
		} else
			a[i] = 0;
	}
}

void
key_from_addr(struct key *k, const struct addr *a, int ipv6_prefix)
{
	memset(k, 0, sizeof(*k));
	switch (a->family) {
	case AF_INET:
		k->kind = KEY_V4;
		k->plen = 32;
		memcpy(k->addr, a->b, 4);
		break;
	case AF_INET6:
		if (ipv6_prefix < 0)
			ipv6_prefix = 0;
		if (ipv6_prefix > 128)
			ipv6_prefix = 128;
		k->kind = KEY_V6;
		k->plen = (uint8_t)ipv6_prefix;
		memcpy(k->addr, a->b, 16);
		mask_v6(k->addr, ipv6_prefix);
		break;
	default:
		break;		/* KEY_NONE, all zero */
	}
}

void
key_client(struct key *k, const struct addr *a, int ipv6_prefix)
{
	key_from_addr(k, a, ipv6_prefix);
	if (k->kind == KEY_V4 || k->kind == KEY_V6)
		k->client = 1;
}

void
addr_aggregate(struct addr *a, int ipv6_prefix)
{
	if (a->family == AF_INET6)
		mask_v6(a->b, ipv6_prefix < 0 ? 0 : ipv6_prefix > 128 ? 128 :
		    ipv6_prefix);
}

/* Lower-cases login into buf (ACCOUNT_MAX + 1 bytes); -1 when it is not
 * 1-255 bytes of 0x21-0x7e. */
static int
account_name(const char *login, size_t len, char *buf)
{
	size_t i;

	if (len == 0 || len > ACCOUNT_MAX)
		return -1;
	/* "#" and 32 hex digits is how key_format prints a hash */
	if (len == 33 && login[0] == '#') {
		for (i = 1; i < len && parse_hexdigit(login[i]) >= 0; i++)
			;
		if (i == len)
			return -1;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)login[i];

		if (c < 0x21 || c > 0x7e)
			return -1;
		buf[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	buf[len] = '\0';
	return 0;
}

static int
key_account(struct key *k, const char *login, size_t len, bool pin)
{
	char name[ACCOUNT_MAX + 1];

	memset(k, 0, sizeof(*k));
	if (account_name(login, len, name) == -1)
		return -1;
	k->kind = KEY_ACCOUNT;
	names_hash(name, len, k->addr);
	names_put(k->addr, name, len, pin);
	return 0;
}

int
key_from_account(struct key *k, const char *login, size_t len)
{
	return key_account(k, login, len, false);
}

void
key_from_uid(struct key *k, uint32_t uid)
{
	memset(k, 0, sizeof(*k));
	k->kind = KEY_UID;
	k->uid = uid;
}

char *
key_format(const struct key *k, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN], hex[33];
	const char *name;
	const char *cl = k->client ? "client:" : "";

	if (len == 0)
		return buf;
	switch (k->kind) {
	case KEY_V4:
		if (inet_ntop(AF_INET, k->addr, a, sizeof(a)) == NULL)
			break;
		snprintf(buf, len, "%s%s", cl, a);
		return buf;
	case KEY_V6:
		if (inet_ntop(AF_INET6, k->addr, a, sizeof(a)) == NULL)
			break;
		/*
		 * Always with its length, /128 too: a bare IPv6 address reads
		 * back (key_parse, the command line) as its ipv6_prefix, so
		 * "2001:db8::25" would come back as a /64.
		 */
		snprintf(buf, len, "%s%s/%u", cl, a, (unsigned)k->plen);
		return buf;
	case KEY_UID:
		snprintf(buf, len, "uid:%lu", (unsigned long)k->uid);
		return buf;
	case KEY_ACCOUNT:
		if ((name = names_get(k)) != NULL)
			snprintf(buf, len, "account:%s", name);
		else	/* the name is unknown: the whole hash, which
			 * key_parse reads back to this very key */
			snprintf(buf, len, "account:#%s", fmt_hex(k->addr, 16,
			    hex, sizeof(hex)));
		return buf;
	default:
		break;
	}
	snprintf(buf, len, "none");
	return buf;
}

/* A decimal number of digits only (no sign, no space), at most max. */
static int
parse_decimal(const char *s, unsigned long max, unsigned long *v)
{
	unsigned long n = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		n = n * 10 + (unsigned long)(*s - '0');
		if (n > max)
			return -1;
	}
	*v = n;
	return 0;
}

int
key_parse(const char *s, int ipv6_prefix, struct key *k, char *err,
    size_t errlen)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash;
	struct addr a;
	unsigned long n;
	int plen = -1;

	memset(k, 0, sizeof(*k));
	memset(&a, 0, sizeof(a));

	if (strncmp(s, "uid:", 4) == 0) {
		if (parse_decimal(s + 4, UINT32_MAX, &n) == -1) {
			snprintf(err, errlen, "%s: bad uid (a decimal number "
			    "0..4294967295)", s);
			return -1;
		}
		key_from_uid(k, (uint32_t)n);
		return 0;
	}
	if (strncmp(s, "client:", 7) == 0) {
		/* an account's client (block_clients): an address only */
		if (strncmp(s + 7, "uid:", 4) == 0 ||
		    strncmp(s + 7, "account:", 8) == 0 ||
		    strncmp(s + 7, "client:", 7) == 0) {
			snprintf(err, errlen, "%.80s: bad client (client:"
			    "ADDRESS)", s);
			return -1;
		}
		if (key_parse(s + 7, ipv6_prefix, k, err, errlen) == -1)
			return -1;
		k->client = 1;
		return 0;
	}
	if (strncmp(s, "account:#", 9) == 0 && strlen(s + 9) == 32) {
		/* an account whose name was not known (key_format): its
		 * hash; no login has this form (account_name) */
		memset(k, 0, sizeof(*k));
		k->kind = KEY_ACCOUNT;
		if (parse_hex(s + 9, k->addr, 16) == 0)
			return 0;
	}
	if (strncmp(s, "account:", 8) == 0) {
		if (key_account(k, s + 8, strlen(s + 8), true) == -1) {
			snprintf(err, errlen, "%.80s: bad account (1-255 "
			    "printable characters, no space)", s);
			return -1;
		}
		return 0;
	}

	if (strlen(s) >= sizeof(buf)) {
		snprintf(err, errlen, "%.64s...: not an address, prefix, "
		    "uid:N or account:NAME", s);
		return -1;
	}
	strcpy(buf, s);
	if ((slash = strchr(buf, '/')) != NULL) {
		*slash = '\0';
		if (parse_decimal(slash + 1, 128, &n) == -1 || n == 0) {
			snprintf(err, errlen, "%s: bad prefix length "
			    "(1..128)", s);
			return -1;
		}
		plen = (int)n;
	}

	if (inet_pton(AF_INET, buf, a.b) == 1) {
		if (plen != -1 && plen != 32) {
			snprintf(err, errlen, "%s: an IPv4 source is a single "
			    "address", s);
			return -1;
		}
		a.family = AF_INET;
		key_from_addr(k, &a, 32);
		return 0;
	}
	if (inet_pton(AF_INET6, buf, a.b) == 1) {
		a.family = AF_INET6;
		key_from_addr(k, &a, plen == -1 ? ipv6_prefix : plen);
		return 0;
	}
	snprintf(err, errlen, "%.80s: not an address, prefix, uid:N or account:NAME", s);
	return -1;
}
