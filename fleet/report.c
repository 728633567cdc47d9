/*
 * report.c: what the fleet shows: the `fleet` object of `status --json`
 * (DESIGN.md "Fleet": ok, last_push, last_pull, queued, applied, refused,
 * error, and the pending publications) and the Prometheus lines of the
 * metrics file.  Pure: it formats a struct fleet_status and the queue;
 * it never shows a secret (there is none in either).
 */
#include <jansson.h>
#include <stdio.h>

#include "fleet.h"

static json_t *
report_wall(int64_t us)
{
	return us == 0 ? json_null() : json_real((double)us / 1e6);
}

static uint64_t
report_refused(const struct fleet_status *st)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < FLEET_REF_MAX; i++)
		n += st->stream.refused[i];
	return n;
}

json_t *
fleet_status_json(const struct fleet_status *st, const struct fleet_queue *q)
{
	json_t *o, *why, *pending;
	char k[KEY_STRLEN];
	size_t i;
	int r;

	why = json_object();
	for (r = 0; r < FLEET_REF_MAX; r++)
		json_object_set_new(why, fleet_refusal_name(r),
		    json_integer((json_int_t)st->stream.refused[r]));
	pending = json_array();
	for (i = 0; q != NULL && i < fleet_queue_count(q); i++) {
		const struct fleet_job *j = fleet_queue_at(q, i);

		json_array_append_new(pending, json_pack("{s:s, s:s, s:I, "
		    "s:s?}", "op", j->op == FLEET_PUBLISH ? "publish" :
		    "unpublish", "source", key_format(&j->pub.key, k,
		    sizeof(k)), "attempts", (json_int_t)j->attempts, "error",
		    j->error[0] != '\0' ? j->error : NULL));
	}
	o = json_pack("{s:b, s:o, s:o, s:I, s:I, s:I, s:I, s:o, s:I, s:I, "
	    "s:o, s:I, s:s?}",
	    "ok", st->ok, "last_push", report_wall(st->last_push_us),
	    "last_pull", report_wall(st->last_pull_us),
	    "queued", (json_int_t)st->queued,
	    "published", (json_int_t)st->published,
	    "applied", (json_int_t)st->applied,
	    "refused", (json_int_t)report_refused(st), "refused_by", why,
	    "dropped", (json_int_t)st->dropped,
	    "unpublished", (json_int_t)st->unpublished,
	    "pending", pending,
	    "own", (json_int_t)st->stream.own,
	    "error", st->error[0] != '\0' ? st->error : NULL);
	return o;
}

void
fleet_metrics(FILE *f, const struct fleet_status *st)
{
	int r;

	fprintf(f, "# HELP nflogmon_fleet_ok Whether the last LAPI request "
	    "succeeded.\n# TYPE nflogmon_fleet_ok gauge\n"
	    "nflogmon_fleet_ok %d\n", st->ok ? 1 : 0);
	fprintf(f, "# HELP nflogmon_fleet_queued Publications waiting for the "
	    "LAPI.\n# TYPE nflogmon_fleet_queued gauge\n"
	    "nflogmon_fleet_queued %zu\n", st->queued);
	fprintf(f, "# HELP nflogmon_fleet_published_total Decisions published."
	    "\n# TYPE nflogmon_fleet_published_total counter\n"
	    "nflogmon_fleet_published_total %llu\n",
	    (unsigned long long)st->published);
	fprintf(f, "# HELP nflogmon_fleet_applied_total Decisions of the "
	    "stream applied.\n# TYPE nflogmon_fleet_applied_total counter\n"
	    "nflogmon_fleet_applied_total %llu\n",
	    (unsigned long long)st->applied);
	fprintf(f, "# HELP nflogmon_fleet_dropped_total Publications refused "
	    "by a full queue.\n# TYPE nflogmon_fleet_dropped_total counter\n"
	    "nflogmon_fleet_dropped_total %llu\n",
	    (unsigned long long)st->dropped);
	fprintf(f, "# HELP nflogmon_fleet_refused_total Decisions of the "
	    "stream refused, by reason.\n"
	    "# TYPE nflogmon_fleet_refused_total counter\n");
	for (r = 0; r < FLEET_REF_MAX; r++)
		fprintf(f, "nflogmon_fleet_refused_total{reason=\"%s\"} %llu\n",
		    fleet_refusal_name(r),
		    (unsigned long long)st->stream.refused[r]);
}
