/*
 * nft_list.c: the nftables backend's list verb: reads the blocked*,
 * throttled* (and with block_clients, clients*) sets back as JSON and turns their elements into backend
 * entries (nft_test also reads the IPv6 interval sets this way).  It only
 * reads the kernel; it must never write a set, and never trust the JSON:
 * an element of a shape the daemon never adds is skipped.
 */
#define _GNU_SOURCE	/* reallocarray */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <jansson.h>

#include "nflogmon.h"
#include "nft.h"

/*
 * Parses one element of a JSON set listing into e: a bare value (no
 * timeout) or {"elem": {"val": V, "expires": S}}.  Returns false for what
 * the daemon never adds (ranges, other types).
 */
static bool
nft_json_elem(json_t *it, enum key_kind kind, struct backend_entry *e)
{
	json_t		*val = it, *w, *pfx;
	const char	*s;
	int		 plen;

	memset(e, 0, sizeof(*e));
	e->expires_in_us = DURATION_PERMANENT;
	if ((w = json_object_get(it, "elem")) != NULL) {
		val = json_object_get(w, "val");
		if (json_is_integer(json_object_get(w, "expires")))
			e->expires_in_us = (int64_t)json_integer_value(
			    json_object_get(w, "expires")) * US_PER_S;
	}
	e->key.kind = (uint8_t)kind;
	switch (kind) {
	case KEY_V4:
		e->key.plen = 32;
		return (s = json_string_value(val)) != NULL &&
		    inet_pton(AF_INET, s, e->key.addr) == 1;
	case KEY_V6:
		plen = 128;
		if ((pfx = json_object_get(val, "prefix")) != NULL) {
			val = json_object_get(pfx, "addr");
			if (!json_is_integer(json_object_get(pfx, "len")))
				return false;
			plen = (int)json_integer_value(json_object_get(pfx, "len"));
		}
		if (plen < 0 || plen > 128)
			return false;
		e->key.plen = (uint8_t)plen;
		return (s = json_string_value(val)) != NULL &&
		    inet_pton(AF_INET6, s, e->key.addr) == 1;
	case KEY_UID:
		if (!json_is_integer(val) || json_integer_value(val) < 0 ||
		    json_integer_value(val) > UINT32_MAX)
			return false;
		e->key.uid = (uint32_t)json_integer_value(val);
		return true;
	default:
		return false;
	}
}

/* Appends the elements of one set to *v (count *n, capacity *cap). */
int
nft_list_set(struct nft_priv *p, const char *set, enum key_kind kind,
    bool throttle, struct backend_entry **v, size_t *n, size_t *cap,
    char *err, size_t errlen)
{
	char		 cmd[256], nerr[512];
	const char	*out;
	json_t		*root, *items, *it, *s, *elems, *el;
	json_error_t	 jerr;
	struct backend_entry *nv;
	size_t		 i, j;

	snprintf(cmd, sizeof(cmd), "list set %s %s %s", p->family, p->table,
	    set);
	if (nft_exec(p, cmd, true, &out, nerr, sizeof(nerr)) != 0) {
		snprintf(err, errlen, "nft table %s %s set %s: %s", p->family,
		    p->table, set, nerr);
		return -1;
	}
	if ((root = json_loads(out, 0, &jerr)) == NULL) {
		snprintf(err, errlen, "nft table %s %s set %s: unreadable "
		    "JSON: %s", p->family, p->table, set, jerr.text);
		return -1;
	}
	items = json_object_get(root, "nftables");
	json_array_foreach(items, i, it) {
		if ((s = json_object_get(it, "set")) == NULL)
			continue;
		elems = json_object_get(s, "elem");
		json_array_foreach(elems, j, el) {
			if (*n == *cap) {
				*cap = *cap ? *cap * 2 : 64;
				nv = reallocarray(*v, *cap, sizeof(**v));
				if (nv == NULL) {
					snprintf(err, errlen, "nft: %s",
					    strerror(errno));
					json_decref(root);
					return -1;
				}
				*v = nv;
			}
			if (nft_json_elem(el, kind, &(*v)[*n])) {
				(*v)[*n].throttle = throttle;
				(*n)++;
			}
		}
	}
	json_decref(root);
	return 0;
}

int
nft_list(struct backend *b, struct backend_entry **entries, size_t *n,
    char *err, size_t errlen)
{
	static const char *const bases[] = { "blocked", "throttled" };
	struct nft_priv	*p = b->priv;
	struct backend_entry *v = NULL;
	size_t		 cnt = 0, cap = 0, i, from;
	char		 set[128];
	int		 kind;

	*entries = NULL;
	*n = 0;
	if (p == NULL) {
		snprintf(err, errlen, "nft: backend not initialised");
		return -1;
	}
	for (kind = KEY_V4; kind <= KEY_UID; kind++) {
		if (!nft_kind_held(p, kind))
			continue;
		for (i = 0; i < 2; i++) {
			snprintf(set, sizeof(set), "%s%s", bases[i],
			    nft_kind_suffix[kind]);
			if (nft_list_set(p, set, kind, i == 1, &v, &cnt, &cap,
			    err, errlen) != 0) {
				free(v);
				return -1;
			}
		}
		if (!p->clients || kind == KEY_UID)
			continue;
		/* block_clients: keys marked client */
		snprintf(set, sizeof(set), "clients%s", nft_kind_suffix[kind]);
		from = cnt;
		if (nft_list_set(p, set, kind, false, &v, &cnt, &cap, err,
		    errlen) != 0) {
			free(v);
			return -1;
		}
		for (i = from; i < cnt; i++)
			v[i].key.client = 1;
	}
	*entries = v;
	*n = cnt;
	return 0;
}
