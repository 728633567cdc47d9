/*
 * status.c: the daemon's answer to `status`, the JSON object of DESIGN.md
 * ("nflogmon status --json") but for its "blocks", which stream after it
 * (listing.c).  Fields may be added, never renamed.  Reads the daemon's
 * context, never changes it.
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

/*
 * Blocks held now by rule name, every rule with a name (zero or not): the
 * rules are the engine's rows, named by rule_name(), so none is named
 * here.  Ids past STATUS_MAX_RULES would be missed: the engine's rules
 * are a handful.
 */
#define STATUS_MAX_RULES	64

static json_t *
blocks_by_rule_json(struct daemon *d)
{
	uint64_t n[STATUS_MAX_RULES] = { 0 };
	size_t i, nb = blocks_count(d->blocks);
	const struct block *b;
	const char *name;
	json_t *o;
	int r;

	for (i = 0; i < nb; i++) {
		b = blocks_at(d->blocks, i);
		if ((unsigned)b->rule < STATUS_MAX_RULES)
			n[b->rule]++;
	}
	if ((o = json_object()) == NULL)
		return NULL;
	for (r = 1; r < STATUS_MAX_RULES; r++) {
		name = rule_name((enum rule)r);
		if (name == NULL || (strcmp(name, "unknown") == 0 && n[r] == 0))
			continue;
		if (json_object_set_new(o, name, json_integer((json_int_t)n[r]))
		    == -1) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
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
	o = json_pack("{s:s,s:f,s:b,s:{s:s,s:b,s:o,s:I},s:o,"
	    "s:{s:I,s:I,s:I},s:o,s:o,s:{s:I,s:I},s:I}",
	    "version", NFLOGMON_VERSION,
	    "uptime", (double)(now - d->start_mono_us) / US_PER_S,
	    "dry_run", conf->dry_run,
	    "backend",
		"name", bname,
		"ok", d->backend_ok,
		"error", nullable_string(d->backend_error),
		"errors", (json_int_t)d->backend_errors,
	    "capture", capture_json(d, &es),
	    "sources",
		"tracked", (json_int_t)es.tracked,
		"max", (json_int_t)conf->max_sources,
		"evicted", (json_int_t)es.evicted,
	    "top", jtop,
	    "blocks_by_rule", blocks_by_rule_json(d),
	    "hook",
		"runs", (json_int_t)d->hook_runs,
		"failures", (json_int_t)d->hook_failures,
	    "breaker_trips", (json_int_t)d->breaker_trips);
	return o;
}
