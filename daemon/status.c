/*
 * status.c: the daemon's answer to `status`, the JSON object of DESIGN.md
 * ("nflogmon status --json") but for its "blocks", which stream after it
 * (listing.c).  Fields may be added, never renamed.  Reads the daemon's
 * context, never changes it.
 */
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "fleet.h"

#define STATUS_TOP	10	/* top talkers shown */

static json_t *
nullable_string(const char *s)
{
	return s != NULL && s[0] != '\0' ? json_string(s) : json_null();
}

/* Blocks held now by rule name, every rule (zero or not): the rules are
 * rules.c's rows. */
static json_t *
blocks_by_rule_json(struct daemon *d)
{
	uint64_t n[RULE_MAX] = { 0 };
	size_t i, nb = blocks_count(d->blocks);
	const struct block *b;
	json_t *o;
	int r;

	for (i = 0; i < nb; i++) {
		b = blocks_at(d->blocks, i);
		if ((unsigned)b->rule < RULE_MAX)
			n[b->rule]++;
	}
	if ((o = json_object()) == NULL)
		return NULL;
	for (r = 1; r < RULE_MAX; r++)
		if (json_object_set_new(o, rule_name((enum rule)r),
		    json_integer((json_int_t)n[r])) == -1) {
			json_decref(o);
			return NULL;
		}
	return o;
}

/* DESIGN.md "capture": the NFLOG groups, as in the first release. */
static json_t *
capture_json(const struct daemon *d, const struct input_stats *sum)
{
	struct input_stats st;
	json_t *groups, *g;
	int i;

	if ((groups = json_array()) == NULL)
		return NULL;
	for (i = 0; i < d->ninputs; i++) {
		inputs_stats(d, i, &st);
		if (st.group < 0)
			continue;
		g = json_pack("{s:i,s:s,s:I,s:I,s:I,s:I}",
		    "group", st.group,
		    "kind", input_kind_name(st.kind),
		    "packets", (json_int_t)st.records,
		    "dropped", (json_int_t)st.dropped,
		    "seq_gaps", (json_int_t)st.seq_gaps,
		    "enobufs", (json_int_t)st.enobufs);
		if (g == NULL || json_array_append_new(groups, g) == -1) {
			json_decref(groups);
			return NULL;
		}
	}
	return json_pack("{s:o,s:I,s:I,s:I,s:I,s:o*}", "groups", groups,
	    "malformed", (json_int_t)sum->malformed,
	    "packets", (json_int_t)sum->records,
	    "events", (json_int_t)sum->events,
	    "ignored", (json_int_t)sum->ignored,
	    "warnings", ruleset_warnings_json(d));
}

/* DESIGN.md "Inputs and events": one object per input. */
static json_t *
inputs_json(const struct daemon *d)
{
	struct input_stats st;
	json_t *arr, *o;
	int i;

	if ((arr = json_array()) == NULL)
		return NULL;
	for (i = 0; i < d->ninputs; i++) {
		inputs_stats(d, i, &st);
		o = json_pack("{s:s,s:s,s:I,s:I,s:I,s:I}",
		    "kind", input_kind_name(st.kind),
		    "input", d->inputs[i]->ops->name,
		    st.unit, (json_int_t)st.records,
		    "events", (json_int_t)st.events,
		    "ignored", (json_int_t)st.ignored,
		    "malformed", (json_int_t)st.malformed);
		if (o != NULL && st.group >= 0 &&
		    json_object_update_new(o, json_pack("{s:i,s:I,s:I,s:I}",
		    "group", st.group, "dropped", (json_int_t)st.dropped,
		    "seq_gaps", (json_int_t)st.seq_gaps,
		    "enobufs", (json_int_t)st.enobufs)) == -1) {
			json_decref(o);
			o = NULL;
		}
		/* the policy service: connections it closed (over the
		 * limit, idle, replies unread) */
		if (o != NULL && st.kind == INPUT_POLICY &&
		    json_object_set_new(o, "dropped",
		    json_integer((json_int_t)st.dropped)) == -1) {
			json_decref(o);
			o = NULL;
		}
		if (o == NULL || json_array_append_new(arr, o) == -1) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

json_t *
ctl_status_json(struct daemon *d)
{
	struct engine_talker top[STATUS_TOP];
	struct engine_stats es;
	struct input_stats is;
	const struct conf *conf = d->conf;
	const char *bname;
	int64_t now = clock_mono_us();
	json_t *o, *t, *jtop;
	size_t i, ntop;

	engine_stats(d->engine, &es);
	inputs_total(d, &is);
	ntop = engine_top(d->engine, top, STATUS_TOP, false, now);
	if ((jtop = json_array()) == NULL)
		return NULL;
	for (i = 0; i < ntop; i++)
		if ((t = report_talker_json(&top[i], conf)) == NULL ||
		    json_array_append_new(jtop, t) == -1) {
			json_decref(jtop);
			return NULL;
		}
	bname = d->backend.ops != NULL ? d->backend.ops->name :
	    conf->backend == BACKEND_IPSET ? "ipset" :
	    conf->backend == BACKEND_NFT ? "nft" : "none";
	o = json_pack("{s:s,s:f,s:b,s:{s:s,s:b,s:o,s:I,s:I,s:I,s:I},s:o,s:o,"
	    "s:{s:I,s:I,s:I},s:{s:I,s:I,s:I},s:o,s:o,s:{s:I,s:I},s:I}",
	    "version", NFLOGMON_VERSION,
	    "uptime", (double)(now - d->start_mono_us) / US_PER_S,
	    "dry_run", conf->dry_run,
	    "backend",
		"name", bname,
		"ok", d->backend_ok,
		"error", nullable_string(d->backend_error),
		"errors", (json_int_t)d->backend_errors,
		"resyncs", (json_int_t)d->backend_resyncs,
		"state_errors", (json_int_t)store_errors(d->store),
		"state_unsaved", (json_int_t)act_behind_count(d),
	    "capture", capture_json(d, &is),
	    "inputs", inputs_json(d),
	    "sources",
		"tracked", (json_int_t)es.tracked,
		"max", (json_int_t)conf->max_sources,
		"evicted", (json_int_t)es.evicted,
	    "accounts",
		"tracked", (json_int_t)es.accounts_tracked,
		"max", (json_int_t)conf->max_accounts,
		"evicted", (json_int_t)es.accounts_evicted,
	    "top", jtop,
	    "blocks_by_rule", blocks_by_rule_json(d),
	    "hook",
		"runs", (json_int_t)d->hook_runs,
		"failures", (json_int_t)d->hook_failures,
	    "breaker_trips", (json_int_t)d->breaker_trips);
	if (o != NULL && d->fleet != NULL) {
		struct fleet_status fs;

		fleet_status(d->fleet, &fs);
		json_object_set_new(o, "fleet", fleet_status_json(&fs,
		    fleet_queue(d->fleet)));
	}
	return o;
}
