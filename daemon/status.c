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
	return json_pack("{s:o,s:I,s:I,s:I,s:I}", "groups", groups,
	    "malformed", (json_int_t)sum->malformed,
	    "packets", (json_int_t)sum->records,
	    "events", (json_int_t)sum->events,
	    "ignored", (json_int_t)sum->ignored);
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
	o = json_pack("{s:s,s:f,s:b,s:{s:s,s:b,s:o,s:I},s:o,s:o,"
	    "s:{s:I,s:I,s:I},s:o,s:o,s:{s:I,s:I},s:I}",
	    "version", NFLOGMON_VERSION,
	    "uptime", (double)(now - d->start_mono_us) / US_PER_S,
	    "dry_run", conf->dry_run,
	    "backend",
		"name", bname,
		"ok", d->backend_ok,
		"error", nullable_string(d->backend_error),
		"errors", (json_int_t)d->backend_errors,
	    "capture", capture_json(d, &is),
	    "inputs", inputs_json(d),
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
