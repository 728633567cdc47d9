/*
 * local.c: the addresses a pulled decision must never block because they
 * are this host's own or the LAPI's (DESIGN.md "Fleet": refused and
 * counted).  Built at start and on SIGHUP, off the capture path: the LAPI's
 * host name is resolved here (blocking, once), never per decision.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <arpa/inet.h>

#include <errno.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include "fleet.h"

static void
local_add(struct netset *ns, const struct sockaddr *sa)
{
	struct addr a;

	memset(&a, 0, sizeof(a));
	if (sa->sa_family == AF_INET) {
		a.family = AF_INET;
		memcpy(a.b, &((const struct sockaddr_in *)(const void *)sa)->
		    sin_addr, 4);
		netset_add(ns, &a, 32, 0);	/* EEXIST is fine */
	} else if (sa->sa_family == AF_INET6) {
		a.family = AF_INET6;
		memcpy(a.b, &((const struct sockaddr_in6 *)(const void *)sa)->
		    sin6_addr, 16);
		netset_add(ns, &a, 128, 0);
	}
}

int
fleet_local_addrs(struct netset *ns, char *err, size_t errlen)
{
	struct ifaddrs *ifa, *i;

	if (getifaddrs(&ifa) == -1) {
		snprintf(err, errlen, "getifaddrs: %s", strerror(errno));
		return -1;
	}
	for (i = ifa; i != NULL; i = i->ifa_next)
		if (i->ifa_addr != NULL)
			local_add(ns, i->ifa_addr);
	freeifaddrs(ifa);
	return 0;
}

/* The host of an http(s) URL: "[v6]" unbracketed, the port cut. */
static int
local_url_host(const char *url, char *host, size_t len)
{
	const char *h, *end;
	size_t n;

	if ((h = strstr(url, "://")) == NULL)
		return -1;
	h += 3;
	if (*h == '[') {
		if ((end = strchr(++h, ']')) == NULL)
			return -1;
	} else
		end = h + strcspn(h, ":/");
	n = (size_t)(end - h);
	if (n == 0 || n >= len)
		return -1;
	memcpy(host, h, n);
	host[n] = '\0';
	return 0;
}

int
fleet_lapi_addrs(const char *url, struct netset *ns, char *err,
    size_t errlen)
{
	struct addrinfo hints, *res, *r;
	char host[256];
	int e;

	if (local_url_host(url, host, sizeof(host)) == -1) {
		snprintf(err, errlen, "%s: no host in the URL", url);
		return -1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((e = getaddrinfo(host, NULL, &hints, &res)) != 0) {
		snprintf(err, errlen, "%s: %s", host, gai_strerror(e));
		return -1;
	}
	for (r = res; r != NULL; r = r->ai_next)
		local_add(ns, r->ai_addr);
	freeaddrinfo(res);
	return 0;
}
