/*
 * resync.c: the kernel sets checked under the running daemon.  An operator
 * (or a script, or a firewall reload) may flush or destroy an ipset, or
 * delete the nft table, while the daemon runs: its records would go on
 * claiming blocks the kernel no longer holds, and with nft the capture
 * rules that lived in the table would be gone too, silently.
 *
 * Every RESYNC_TICK_US the backend says which of its sets are missing
 * and, where that is cheap (ipset's header), how many entries each holds.
 * A set gone, or holding fewer entries than the blocks enforced in it, is
 * warned about; act_resync makes the sets again and puts every live block
 * back; the resync is counted (status backend.resyncs) and the capture
 * ruleset is checked again, as at start, so rules lost with a table are
 * reported.  The check asks the kernel for headers only: it costs the same
 * at 100,000 blocks as at none, plus one pass over the records.
 */
#include <inttypes.h>
#include <string.h>

#include "daemon.h"

/* A block this close to its end may already be gone from the kernel (its
 * own timeout) before the expiry tick ends its record: not counted. */
#define RESYNC_MARGIN_US	(2 * US_PER_S)

int
resync_short(const struct backend_count *sets, size_t n,
    const size_t *expected)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (sets[i].missing ||
		    (sets[i].counted && sets[i].entries < expected[i]))
			return (int)i;
	return -1;
}

/*
 * The enforced blocks each counted set should hold.  When every counted
 * set holds at least as many entries as there are records of its keys at
 * all, none can be short: the pass over the records is skipped (the
 * usual case, O(1) at any number of blocks).
 */
static void
resync_expected(struct daemon *d, const struct backend_count *sets,
    size_t n, size_t *expected)
{
	const struct block *b;
	int64_t now = clock_wall_us();
	size_t i, j, nb = blocks_count(d->blocks);
	bool maybe_short = false;

	memset(expected, 0, n * sizeof(*expected));
	for (j = 0; j < n; j++)
		if (sets[j].counted && sets[j].entries <
		    blocks_count_kind(d->blocks, sets[j].kind, sets[j].client))
			maybe_short = true;
	for (i = 0; maybe_short && i < nb; i++) {
		b = blocks_at(d->blocks, i);
		if (!b->enforced || b->action == ACT_DRY_RUN ||
		    (b->expires_us != DURATION_PERMANENT &&
		    b->expires_us - now < RESYNC_MARGIN_US))
			continue;
		for (j = 0; j < n; j++)
			if (sets[j].counted && sets[j].kind == b->key.kind &&
			    sets[j].client == b->key.client) {
				expected[j]++;
				break;
			}
	}
}

/* Sets up a backend that a failed resync left down; logs a failure once
 * until its reason changes. */
static void
resync_down(struct daemon *d)
{
	static char last[256];
	char err[256];
	size_t restored, failed;

	if (act_resync(d, &restored, &failed, err, sizeof(err)) == -1) {
		if (strcmp(err, last) != 0)
			log_warnx("resync: the backend is still down: %s",
			    err);
		snprintf(last, sizeof(last), "%s", err);
		return;
	}
	last[0] = '\0';
	d->backend_resyncs++;
	log_warnx("resync: the %s backend is up again, %zu blocks put back"
	    "%s", d->backend.ops->name, restored, failed > 0 ?
	    ", some failed" : "");
	ruleset_check_daemon(d);
}

void
resync_tick(struct daemon *d, int64_t now_mono_us)
{
	static char last_err[256];
	struct backend_count sets[BACKEND_COUNT_MAX];
	size_t expected[BACKEND_COUNT_MAX], n, i, restored, failed;
	char err[256];
	int64_t t0 = clock_mono_us(), tk, t1;

	(void)now_mono_us;
	if (d->backend.ops == NULL) {
		if (d->backend_conf != NULL &&
		    d->backend_conf->backend != BACKEND_NONE)
			resync_down(d);
		return;
	}
	if (act_count(d, sets, &n, err, sizeof(err)) == -1) {
		/* once until it changes: status shows it meanwhile */
		if (strcmp(err, last_err) != 0)
			log_warnx("resync: cannot check the %s backend's sets: "
			    "%s", d->backend.ops->name, err);
		snprintf(last_err, sizeof(last_err), "%s", err);
		return;
	}
	last_err[0] = '\0';
	if (n == 0)
		return;
	tk = clock_mono_us();
	resync_expected(d, sets, n, expected);
	t1 = clock_mono_us();
	log_debug("resync: %zu sets checked in %" PRId64 " us (the kernel's "
	    "answer %" PRId64 " us, the records %" PRId64 " us)", n, t1 - t0,
	    tk - t0, t1 - tk);
	if (resync_short(sets, n, expected) == -1)
		return;

	for (i = 0; i < n; i++) {
		if (sets[i].missing)
			log_warnx("resync: set %s is gone", sets[i].name);
		else if (sets[i].counted && sets[i].entries < expected[i])
			log_warnx("resync: set %s holds %zu entries, the daemon "
			    "enforces %zu blocks in it", sets[i].name,
			    sets[i].entries, expected[i]);
	}
	d->backend_resyncs++;
	if (act_resync(d, &restored, &failed, err, sizeof(err)) == -1) {
		log_warnx("resync: cannot set the backend up again, it is "
		    "down until it can be: %s", err);
		return;
	}
	log_warnx("resync: the %s backend's sets are made again, %zu blocks "
	    "put back%s (%.1f ms)", d->backend.ops->name, restored,
	    failed > 0 ? ", some failed (see above)" : "",
	    (double)(clock_mono_us() - t1) / 1000.0);
	/* rules that lived in a deleted table went with it */
	ruleset_check_daemon(d);
}
