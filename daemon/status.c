/*
 * status.c: the daemon's answers to `status` and `list`, as the JSON
 * objects of DESIGN.md ("nflogmon status --json").  Fields may be added,
 * never renamed.  Reads the daemon's context, never changes it.
 */
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

#define STATUS_TOP	10	/* top talkers shown */

static json_t *
nullable_string(const char *s)
{
	return s != NULL && s[0] != '\0' ? json_string(s) : json_null();
}

/* The limit of a rule, null when the rule is off. */
static json_t *
limit_json(const struct rate *r)
{
	return r->off ? json_null() : json_integer(r->n);
}

static json_t *
talker_json(const struct conf *conf, const struct engine_talker *t)
{
	const struct conf_class *cls = NULL;
	char src[KEY_STRLEN];
	json_t *o;

	if (t->cls >= 0 && t->cls < conf->nclasses)
		cls = &conf->classes[t->cls];
	o = json_pack("{s:s,s:I,s:I,s:I,s:I}",
	    "source", key_format(&t->key, src, sizeof(src)),
	    "burst", (json_int_t)t->burst,
	    "sustained", (json_int_t)t->sustained,
	    "fanout", (json_int_t)t->fanout,
	    "connections", (json_int_t)t->connections);
	if (o == NULL)
		return NULL;
	/* Additions: the thresholds the counts are measured against. */
	json_object_set_new(o, "burst_limit", limit_json(cls != NULL &&
	    cls->has_burst ? &cls->burst : &conf->burst));
	json_object_set_new(o, "sustained_limit", limit_json(cls != NULL &&
	    cls->has_sustained ? &cls->sustained : &conf->sustained));
	json_object_set_new(o, "fanout_limit", limit_json(cls != NULL &&
	    cls->has_fanout ? &cls->fanout : &conf->fanout));
	json_object_set_new(o, "class", cls ? json_string(cls->name) :
	    json_null());
	return o;
}

static json_t *
blocks_json(struct daemon *d)
{
	json_t *a, *b;
	struct block *bl;
	size_t i, n = blocks_count(d->blocks);

	if ((a = json_array()) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if ((bl = blocks_at(d->blocks, i)) == NULL)
			continue;
		b = proto_block_json(bl, engine_attempts(d->engine, &bl->key));
		if (b == NULL || json_array_append_new(a, b) == -1) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

json_t *
ctl_list_json(struct daemon *d)
{
	json_t *a;

	if ((a = blocks_json(d)) == NULL)
		return NULL;
	return json_pack("{s:o}", "blocks", a);
}

static json_t *
capture_json(const struct daemon *d, const struct engine_stats *es)
{
	const struct capture_stats *cs;
	json_t *groups, *g;
	int i;

	if ((groups = json_array()) == NULL)
		return NULL;
	for (i = 0; i < d->ncapture && i < 2; i++) {
		cs = &d->capture[i];
		g = json_pack("{s:i,s:s,s:I,s:I,s:I,s:I}",
		    "group", cs->group,
		    "kind", cs->kind == CAPTURE_FORWARD ? "forward" : "output",
		    "packets", (json_int_t)cs->packets,
		    "dropped", (json_int_t)cs->dropped,
		    "seq_gaps", (json_int_t)cs->seq_gaps,
		    "enobufs", (json_int_t)cs->enobufs);
		if (g == NULL || json_array_append_new(groups, g) == -1) {
			json_decref(groups);
			return NULL;
		}
	}
	return json_pack("{s:o,s:I,s:I,s:I,s:I}", "groups", groups,
	    "malformed", (json_int_t)es->malformed,
	    "packets", (json_int_t)es->packets,
	    "events", (json_int_t)es->events,
	    "ignored", (json_int_t)es->ignored);
}

json_t *
ctl_status_json(struct daemon *d)
{
	struct engine_talker top[STATUS_TOP];
	struct engine_stats es;
	const struct conf *conf = d->conf;
	const char *bname;
	int64_t now = clock_mono_us();
	json_t *o, *t, *jtop;
	size_t i, ntop;

	engine_stats(d->engine, &es);
	ntop = engine_top(d->engine, top, STATUS_TOP, false, now);
	if ((jtop = json_array()) == NULL)
		return NULL;
	for (i = 0; i < ntop; i++)
		if ((t = talker_json(conf, &top[i])) == NULL ||
		    json_array_append_new(jtop, t) == -1) {
			json_decref(jtop);
			return NULL;
		}
	bname = d->backend.ops != NULL ? d->backend.ops->name :
	    conf->backend == BACKEND_IPSET ? "ipset" :
	    conf->backend == BACKEND_NFT ? "nft" : "none";
	o = json_pack("{s:s,s:f,s:b,s:{s:s,s:b,s:o,s:I,s:I,s:I},s:o,"
	    "s:{s:I,s:I,s:I},s:o,s:o,s:{s:I,s:I},s:I}",
	    "version", NFLOGMON_VERSION,
	    "uptime", (double)(now - d->start_mono_us) / US_PER_S,
	    "dry_run", conf->dry_run,
	    "backend",
		"name", bname,
		"ok", d->backend_ok,
		"error", nullable_string(d->backend_error),
		"errors", (json_int_t)d->backend_errors,
		"queued", (json_int_t)act_queued(),
		"state_errors", (json_int_t)store_errors(d->store),
	    "capture", capture_json(d, &es),
	    "sources",
		"tracked", (json_int_t)es.tracked,
		"max", (json_int_t)conf->max_sources,
		"evicted", (json_int_t)es.evicted,
	    "top", jtop,
	    "blocks", blocks_json(d),
	    "hook",
		"runs", (json_int_t)d->hook_runs,
		"failures", (json_int_t)d->hook_failures,
	    "breaker_trips", (json_int_t)d->breaker_trips);
	return o;
}
