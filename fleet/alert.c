/*
 * alert.c: what nflogmon says to the LAPI and reads back from it when
 * publishing: the alert of one block, the login, and the ids in the
 * answers.  Pure (no clock, no I/O): the times are the block's own.
 *
 * The alert follows the swagger of CrowdSec 1.4 (Debian 12): every field
 * it requires is present (scenario_hash, capacity, leakspeed, events...),
 * one decision per alert, the scope exactly "Ip" or "Range" (a lower-case
 * scope is stored but never streamed), the duration with its unit, and
 * stop_at the block's start: the LAPI's expiry is stop_at + duration, so a
 * publication that waited through an outage keeps the block's own expiry.
 * Answers are read as untrusted JSON.
 */
#include <sys/socket.h>
#include <arpa/inet.h>

#include <inttypes.h>
#include <limits.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fleet.h"

/* RFC 3339 in UTC, to the second, as the LAPI parses it. */
static void
alert_time(int64_t wall_us, char *buf, size_t len)
{
	time_t t = (time_t)(wall_us / 1000000);
	struct tm tm;

	if (wall_us < 0 || gmtime_r(&t, &tm) == NULL)
		t = 0, gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

struct fleet_pub
fleet_pub_make(const struct key *k, const char *rule, int64_t since_us,
    int64_t duration_us)
{
	struct fleet_pub p;

	memset(&p, 0, sizeof(p));
	p.key = *k;
	snprintf(p.rule, sizeof(p.rule), "%s", rule);
	p.since_us = since_us;
	p.duration_us = duration_us;
	return p;
}

int64_t
fleet_alert_duration(const struct fleet_pub *p, int64_t max_us)
{
	int64_t d = p->duration_us;

	if (d == DURATION_PERMANENT || d > max_us)
		d = max_us;
	if (d < 1000000)
		d = 1000000;
	return d;
}

/* The value and scope of a key: "192.0.2.7" Ip, "2001:db8::/64" Range. */
static int
alert_value(const struct key *k, char *buf, size_t len, const char **scope)
{
	char a[INET6_ADDRSTRLEN];

	if (k->kind == KEY_V4) {
		if (inet_ntop(AF_INET, k->addr, buf, (socklen_t)len) == NULL)
			return -1;
		*scope = "Ip";
		return 0;
	}
	if (k->kind != KEY_V6 || inet_ntop(AF_INET6, k->addr, a,
	    sizeof(a)) == NULL)
		return -1;
	if (k->plen == 128) {
		snprintf(buf, len, "%s", a);
		*scope = "Ip";
	} else {
		snprintf(buf, len, "%s/%u", a, k->plen);
		*scope = "Range";
	}
	return 0;
}

char *
fleet_alert_json(const struct fleet_pub *p, int64_t max_duration_us)
{
	char value[INET6_ADDRSTRLEN + 8], when[32], dur[32], scen[64];
	char msg[160];
	const char *scope;
	json_t *alert, *arr;
	char *s;

	if (alert_value(&p->key, value, sizeof(value), &scope) == -1 ||
	    p->rule[0] == '\0')
		return NULL;
	alert_time(p->since_us, when, sizeof(when));
	snprintf(dur, sizeof(dur), "%" PRId64 "s",
	    fleet_alert_duration(p, max_duration_us) / 1000000);
	snprintf(scen, sizeof(scen), FLEET_SCENARIO_PREFIX "%s", p->rule);
	snprintf(msg, sizeof(msg), "nflogmon: %s blocked by rule %s", value,
	    p->rule);
	alert = json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:i, s:s, "
	    "s:b, s:b, s:[{s:s, s:[{s:s, s:s}]}], "
	    "s:{s:s, s:s, s:s}, s:[{s:s, s:s, s:s, s:s, s:s, s:s}]}",
	    "scenario", scen, "scenario_hash", "", "scenario_version",
	    NFLOGMON_VERSION, "message", msg, "events_count", 1,
	    "start_at", when, "stop_at", when, "capacity", 0,
	    "leakspeed", "0s", "simulated", 0, "remediation", 1,
	    "events", "timestamp", when, "meta", "key", "rule", "value",
	    p->rule,
	    "source", "scope", scope, "value", value,
	    strcmp(scope, "Ip") == 0 ? "ip" : "range", value,
	    "decisions", "origin", FLEET_ORIGIN, "type", "ban", "scope", scope,
	    "value", value, "duration", dur, "scenario", scen);
	if (alert == NULL)
		return NULL;
	if ((arr = json_array()) == NULL || json_array_append_new(arr,
	    alert) == -1) {
		json_decref(arr);
		json_decref(alert);
		return NULL;
	}
	s = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	return s;
}

char *
fleet_login_json(const char *machine_id, const char *password)
{
	json_t *o;
	char *s;

	o = json_pack("{s:s, s:s, s:[s]}", "machine_id", machine_id,
	    "password", password, "scenarios", FLEET_SCENARIO_PREFIX "*");
	if (o == NULL)
		return NULL;
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

int
fleet_login_token(const char *body, size_t len, char *tok, size_t toklen)
{
	json_t *o, *t;
	const char *s;
	int rc = -1;

	if ((o = json_loadb(body, len, 0, NULL)) == NULL)
		return -1;
	t = json_object_get(o, "token");
	if (json_is_string(t) && (s = json_string_value(t)) != NULL &&
	    *s != '\0' && strlen(s) < toklen && strpbrk(s, "\r\n") == NULL) {
		memcpy(tok, s, strlen(s) + 1);
		rc = 0;
	}
	json_decref(o);
	return rc;
}

/* A positive id as a JSON integer or a decimal string. */
static int
alert_id_value(const json_t *v, int64_t *id)
{
	const char *s;
	char *end;
	long long n;

	if (json_is_integer(v)) {
		n = json_integer_value(v);
	} else if (json_is_string(v)) {
		s = json_string_value(v);
		if (*s < '0' || *s > '9')
			return -1;
		n = strtoll(s, &end, 10);
		if (*end != '\0')
			return -1;
	} else
		return -1;
	if (n <= 0 || n == LLONG_MAX)
		return -1;
	*id = n;
	return 0;
}

int
fleet_alert_id(const char *body, size_t len, int64_t *id)
{
	json_t *o;
	int rc = -1;

	if ((o = json_loadb(body, len, 0, NULL)) == NULL)
		return -1;
	if (json_is_array(o) && json_array_size(o) == 1)
		rc = alert_id_value(json_array_get(o, 0), id);
	json_decref(o);
	return rc;
}

int
fleet_alert_decision_id(const char *body, size_t len, int64_t *id)
{
	json_t *o, *ds, *d;
	int rc = -1;

	if ((o = json_loadb(body, len, 0, NULL)) == NULL)
		return -1;
	ds = json_object_get(o, "decisions");
	if (json_is_array(ds) && json_array_size(ds) >= 1) {
		d = json_array_get(ds, 0);
		rc = alert_id_value(json_object_get(d, "id"), id);
	}
	json_decref(o);
	return rc;
}
