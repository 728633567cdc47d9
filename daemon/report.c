/*
 * report.c: how verdicts, top talkers and counters look, for people and
 * for machines.  Shared by replay and status: everything here takes plain
 * structs and a FILE or returns a jansson object, and knows nothing of
 * where the numbers came from.  Never called in the packet path.
 *
 * Human tables fit in 100 columns for the usual sources (IPv4, an IPv6
 * /64, uid:N); a longer source widens its row rather than being cut.
 * JSON follows DESIGN.md "Machine-readable output": fields may be added
 * here, never renamed or removed.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "nflogmon.h"

char *
report_time(int64_t wall_us, char *buf, size_t len)
{
	struct tm tm;
	time_t t;
	int64_t s = wall_us / US_PER_S, us = wall_us % US_PER_S;

	if (us < 0) {		/* floor, for times before 1970 */
		us += US_PER_S;
		s--;
	}
	t = (time_t)s;
	if (gmtime_r(&t, &tm) == NULL) {
		snprintf(buf, len, "%" PRId64 ".%03d", s, (int)(us / 1000));
		return buf;
	}
	snprintf(buf, len, "%04d-%02d-%02d %02d:%02d:%02d.%03d",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(us / 1000));
	return buf;
}

json_t *
report_time_json(int64_t wall_us)
{
	return json_real((double)wall_us / (double)US_PER_S);
}

/* Sets key to val in obj, consuming val; -1 when val is NULL or the set
 * fails, so a chain of them can be checked once. */
static int
obj_set(json_t *obj, const char *key, json_t *val)
{
	if (val == NULL)
		return -1;
	return json_object_set_new(obj, key, val);
}

static json_t *
addr_json(const struct addr *a)
{
	char buf[INET6_ADDRSTRLEN];

	if (inet_ntop(a->family == AF_INET6 ? AF_INET6 : AF_INET, a->b, buf,
	    sizeof(buf)) == NULL)
		return json_null();
	return json_string(buf);
}

json_t *
report_verdict_json(const struct verdict *v, int64_t wall_offset_us)
{
	char src[KEY_STRLEN], rate[32];
	json_t *o, *dsts;
	bool nostrike = v->action == ACT_ALLOWED || v->action == ACT_BREAKER;
	int i, rc = 0;

	if ((o = json_object()) == NULL)
		return NULL;
	key_format(&v->key, src, sizeof(src));
	rc |= obj_set(o, "source", json_string(src));
	rc |= obj_set(o, "rule", json_string(rule_name(v->rule)));
	rc |= obj_set(o, "connections", json_integer(v->connections));
	rc |= obj_set(o, "destinations", json_integer(v->destinations));
	rc |= obj_set(o, "first_seen",
	    report_time_json(v->first_seen_us + wall_offset_us));
	rc |= obj_set(o, "at", report_time_json(v->at_us + wall_offset_us));
	rc |= obj_set(o, "action", json_string(action_name(v->action)));
	if (nostrike || v->timeout_us == DURATION_PERMANENT)
		rc |= obj_set(o, "timeout", json_null());
	else
		rc |= obj_set(o, "timeout",
		    json_integer(v->timeout_us / US_PER_S));
	rc |= obj_set(o, "strike", nostrike ? json_null() :
	    json_integer(v->strike));
	/* Additions to DESIGN.md's object. */
	if (v->action == ACT_THROTTLE)
		rc |= obj_set(o, "throttle_rate", json_string(
		    fmt_rate(&v->throttle_rate, rate, sizeof(rate))));
	if ((dsts = json_array()) == NULL)
		rc = -1;
	for (i = 0; dsts != NULL && i < v->ndsts && i < VERDICT_MAX_DSTS; i++)
		if (json_array_append_new(dsts, addr_json(&v->dsts[i])) != 0)
			rc = -1;
	rc |= obj_set(o, "recent_destinations", dsts);
	if (rc != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static const char *
class_name(const struct conf *conf, int cls)
{
	if (conf == NULL || cls < 0 || cls >= conf->nclasses)
		return NULL;
	return conf->classes[cls].name;
}

json_t *
report_talker_json(const struct engine_talker *t, const struct conf *conf)
{
	char src[KEY_STRLEN];
	const char *cname = class_name(conf, t->cls);
	json_t *o;
	int rc = 0;

	if ((o = json_object()) == NULL)
		return NULL;
	key_format(&t->key, src, sizeof(src));
	rc |= obj_set(o, "source", json_string(src));
	for (int r = 1; r <= RULE_LAST_COUNTED; r++) {
		if (rule_defs[r].table != rule_table_of(&t->key))
			continue;
		const struct rate *lim = rule_rate(conf, t->cls, (enum rule)r);
		char name[64];

		rc |= obj_set(o, rule_name((enum rule)r),
		    json_integer(t->count[r]));
		/* the threshold the count is measured against (null: off) */
		snprintf(name, sizeof(name), "%s_limit", rule_name((enum rule)r));
		rc |= obj_set(o, name, lim->off ? json_null() :
		    json_integer(lim->n));
	}
	rc |= obj_set(o, "connections", json_integer(t->connections));
	rc |= obj_set(o, "class", cname ? json_string(cname) : json_null());
	if (rc != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int
report_stats_json(json_t *o, const struct input_stats *in,
    const struct engine_stats *st)
{
	int rc = 0;

	/* "packets" of captures (DESIGN.md), "lines" of mail logs; a line
	 * makes one event per recipient, so events may exceed it */
	rc |= obj_set(o, in->unit != NULL ? in->unit : "packets",
	    json_integer((json_int_t)in->records));
	rc |= obj_set(o, "events", json_integer((json_int_t)st->events));
	rc |= obj_set(o, "ignored", json_integer((json_int_t)in->ignored));
	rc |= obj_set(o, "malformed", json_integer((json_int_t)in->malformed));
	rc |= obj_set(o, "sources", json_integer((json_int_t)st->sources));
	rc |= obj_set(o, "evicted", json_integer((json_int_t)st->evicted));
	return rc != 0 ? -1 : 0;
}

int
report_json_print(json_t *o, FILE *f)
{
	if (json_dumpf(o, f, REPORT_JSON_FLAGS) != 0 || fputc('\n', f) == EOF)
		return -1;
	return 0;
}

void
report_stats_print(const struct input_stats *in,
    const struct engine_stats *st, FILE *f)
{
	fprintf(f, "%s %" PRIu64 "  events %" PRIu64 "  ignored %" PRIu64
	    "  malformed %" PRIu64 "  sources %" PRIu64 "  evicted %" PRIu64
	    "\n", in->unit != NULL ? in->unit : "packets", in->records,
	    st->events, in->ignored, in->malformed, st->sources, st->evicted);
}

/*
 * One row per verdict, in the order given:
 * time (23) source (19) rule (9) action (8) conns (5) dsts (4) strike (6)
 * timeout: 94 columns.
 */
void
report_verdicts_print(const struct verdict *v, size_t n,
    int64_t wall_offset_us, FILE *f)
{
	char when[32], src[KEY_STRLEN], strike[16], tmo[32];
	size_t i;

	if (n == 0) {
		fprintf(f, "verdicts: none\n");
		return;
	}
	fprintf(f, "%-23s  %-19s %-9s %-8s %5s  %4s  %6s  %s\n", "time (UTC)",
	    "source", "rule", "action", "conns", "dsts", "strike", "timeout");
	for (i = 0; i < n; i++) {
		bool nostrike = v[i].action == ACT_ALLOWED ||
		    v[i].action == ACT_BREAKER;

		if (nostrike) {
			snprintf(strike, sizeof(strike), "-");
			snprintf(tmo, sizeof(tmo), "-");
		} else {
			snprintf(strike, sizeof(strike), "%d", v[i].strike);
			fmt_duration(v[i].timeout_us, tmo, sizeof(tmo));
		}
		fprintf(f, "%-23s  %-19s %-9s %-8s %5" PRIu32 "  %4" PRIu32
		    "  %6s  %s\n",
		    report_time(v[i].at_us + wall_offset_us, when,
		    sizeof(when)),
		    key_format(&v[i].key, src, sizeof(src)),
		    rule_name(v[i].rule), action_name(v[i].action),
		    v[i].connections, v[i].destinations, strike, tmo);
	}
}

/* "peak/limit" of one rule, "12/off" for a disabled rule. */
static char *
talker_cell(uint32_t count, const struct rate *r, char *buf, size_t len)
{
	if (r->off)
		snprintf(buf, len, "%" PRIu32 "/off", count);
	else
		snprintf(buf, len, "%" PRIu32 "/%" PRIu32, count, r->n);
	return buf;
}

/* "burst 20/1m, sustained 120/1h, fanout 15/10m": the rules of table
 * tab for class cls. */
static void
limits_print(const struct conf *conf, enum rule_table tab, int cls, FILE *f)
{
	char buf[32];
	int r, n = 0;

	for (r = 1; r <= RULE_LAST_COUNTED; r++)
		if (rule_defs[r].table == tab)
			fprintf(f, "%s%s %s", n++ ? ", " : "",
			    rule_name((enum rule)r), fmt_rate(rule_rate(conf,
			    cls, (enum rule)r), buf, sizeof(buf)));
}

/*
 * The talkers of one table with their counts next to their thresholds,
 * then one legend line per set of thresholds used (defaults, each class
 * that appears), so an operator can pick thresholds from a normal day's
 * capture or mail log.
 */
static void
talkers_print_table(const struct engine_talker *t, size_t n,
    const struct conf *conf, enum rule_table tab, FILE *f)
{
	char src[KEY_STRLEN], cell[24];
	bool dflt = false, any = false;
	size_t i, j;
	int r;

	for (i = 0; i < n && !any; i++)
		any = rule_table_of(&t[i].key) == tab;
	if (!any)
		return;
	fprintf(f, "top %s (peak count in a window / threshold):\n",
	    tab == TABLE_ACCOUNTS ? "accounts" : "talkers");
	fprintf(f, "%-19s %-14s", tab == TABLE_ACCOUNTS ? "account" :
	    "source", "class");
	for (r = 1; r <= RULE_LAST_COUNTED; r++)
		if (rule_defs[r].table == tab)
			fprintf(f, " %12s", rule_name((enum rule)r));
	fprintf(f, " %8s\n", tab == TABLE_ACCOUNTS ? "rcpts" : "conns");
	for (i = 0; i < n; i++) {
		const char *cname = class_name(conf, t[i].cls);

		if (rule_table_of(&t[i].key) != tab)
			continue;
		fprintf(f, "%-19s %-14s", key_format(&t[i].key, src,
		    sizeof(src)), cname ? cname : "-");
		for (r = 1; r <= RULE_LAST_COUNTED; r++)
			if (rule_defs[r].table == tab)
				fprintf(f, " %12s", talker_cell(t[i].count[r],
				    rule_rate(conf, t[i].cls, (enum rule)r),
				    cell, sizeof(cell)));
		fprintf(f, " %8" PRIu32 "\n", t[i].connections);
		if (cname == NULL)
			dflt = true;
	}
	if (dflt) {
		fprintf(f, "thresholds: ");
		limits_print(conf, tab, -1, f);
		fputc('\n', f);
	}
	/* Each class once, in the order of first appearance. */
	for (i = 0; i < n; i++) {
		const char *cname = class_name(conf, t[i].cls);

		if (cname == NULL || rule_table_of(&t[i].key) != tab)
			continue;
		for (j = 0; j < i; j++)
			if (t[j].cls == t[i].cls)
				break;
		if (j < i)
			continue;
		fprintf(f, "class %s: ", cname);
		limits_print(conf, tab, t[i].cls, f);
		fputc('\n', f);
	}
}

void
report_talkers_print(const struct engine_talker *t, size_t n,
    const struct conf *conf, FILE *f)
{
	if (n == 0) {
		fprintf(f, "top talkers: none\n");
		return;
	}
	talkers_print_table(t, n, conf, TABLE_SOURCES, f);
	talkers_print_table(t, n, conf, TABLE_ACCOUNTS, f);
}
