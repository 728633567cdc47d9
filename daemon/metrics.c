/*
 * metrics.c: the Prometheus textfile (node_exporter's textfile collector
 * format) at metrics_file, rewritten atomically every few seconds so a
 * scraper never reads half a file.  Reads counters, never changes them.
 */
#define _GNU_SOURCE
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "fleet.h"

static void
metric_head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP nflogmon_%s %s\n# TYPE nflogmon_%s %s\n", name,
	    help, name, type);
}

static void
metric(FILE *f, const char *name, const char *type, const char *help,
    uint64_t v)
{
	metric_head(f, name, type, help);
	fprintf(f, "nflogmon_%s %llu\n", name, (unsigned long long)v);
}

/* One line per NFLOG group of a per-group counter. */
static void
metric_groups(FILE *f, const struct daemon *d, const char *name,
    const char *help, size_t off)
{
	struct input_stats st;
	int i;

	metric_head(f, name, "counter", help);
	for (i = 0; i < d->ninputs; i++) {
		inputs_stats(d, i, &st);
		if (st.group >= 0)
			fprintf(f, "nflogmon_%s{group=\"%d\"} %llu\n", name,
			    st.group, (unsigned long long)
			    *(const uint64_t *)((const char *)&st + off));
	}
}

int
metrics_format(FILE *f, struct daemon *d)
{
	struct engine_stats es;
	struct input_stats is;
	int r;

	engine_stats(d->engine, &es);
	inputs_total(d, &is);
	metric(f, "packets_total", "counter",
	    "Records read from NFLOG (events, ignored and malformed).",
	    is.records);
	metric(f, "malformed_total", "counter",
	    "Records that did not decode.", is.malformed);
	metric_groups(f, d, "kernel_dropped_total",
	    "Messages known lost, from NFLOG sequence numbers.",
	    offsetof(struct input_stats, dropped));
	metric_groups(f, d, "seq_gaps_total",
	    "Gaps in NFLOG sequence numbers.",
	    offsetof(struct input_stats, seq_gaps));
	metric_groups(f, d, "enobufs_total",
	    "NFLOG socket overflows reported (ENOBUFS).",
	    offsetof(struct input_stats, enobufs));
	metric(f, "sources_tracked", "gauge",
	    "Sources in the counting table.", es.tracked);
	metric(f, "sources_evicted_total", "counter",
	    "Sources evicted from a full table.", es.evicted);
	metric_head(f, "blocks_total", "counter",
	    "Blocks started, by rule.");
	for (r = RULE_BURST; r < RULE_MAX; r++)
		fprintf(f, "nflogmon_blocks_total{rule=\"%s\"} %llu\n",
		    rule_name((enum rule)r),
		    (unsigned long long)d->blocks_by_rule[r]);
	metric(f, "blocks_active", "gauge", "Blocks held now.",
	    blocks_count(d->blocks));
	metric(f, "breaker_trips_total", "counter",
	    "Verdicts held back by the circuit breaker.", d->breaker_trips);
	metric(f, "hook_failures_total", "counter",
	    "Hook runs that failed or timed out.", d->hook_failures);
	metric(f, "backend_errors_total", "counter",
	    "Kernel set operations that failed.", d->backend_errors);
	metric(f, "backend_resyncs_total", "counter",
	    "Times the backend's sets were found gone or short and refilled.",
	    d->backend_resyncs);
	if (d->fleet != NULL) {
		struct fleet_status fs;

		fleet_status(d->fleet, &fs);
		fleet_metrics(f, &fs);
	}
	return ferror(f) ? -1 : 0;
}

int
metrics_write(struct daemon *d)
{
	const char *path = d->conf->metrics_file;
	char tmp[PATH_MAX];
	FILE *f;
	int fd, rv;

	if (path[0] == '\0')
		return 0;
	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return -1;
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		log_warn("metrics: %s", tmp);
		return -1;
	}
	if (fchmod(fd, 0644) == -1 || (f = fdopen(fd, "w")) == NULL) {
		log_warn("metrics: %s", tmp);
		close(fd);
		unlink(tmp);
		return -1;
	}
	rv = metrics_format(f, d);
	if (fclose(f) == EOF || rv == -1 || rename(tmp, path) == -1) {
		log_warn("metrics: %s", path);
		unlink(tmp);
		return -1;
	}
	return 0;
}
