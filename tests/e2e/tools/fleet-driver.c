/*
 * fleet-driver: the fleet client (fleet/) on the daemon's event loop,
 * alone, against a real LAPI: what the e2e tests and the bench can check
 * before the daemon's act path and state store call it.
 *
 *   fleet-driver [-u URL] [-m MACHINE] [-p PWFILE] [-k KEYFILE]
 *       [-A NET,...] [-L ADDR,...] [-H] [-i PULL_MS] [-t TIMEOUT_S] CMD ARGS
 *   (-A allowlist, -L local addresses, -H: this host's and the LAPI's)
 *   publish KEY RULE SECONDS [SINCE_S_AGO]   prints "published KEY ID"
 *   unpublish KEY ID                         prints "unpublished KEY"
 *   pull                                     one startup pull: a line per
 *       decision ("new ID KEY SECONDS SCENARIO ORIGIN", "deleted ID KEY")
 *       then "stats new N deleted N own N refused NAME N ..."
 *   publish-pull KEY RULE SECONDS            publishes, then pulls: its
 *       own decision must be ignored (stats own 1)
 *   watch KEY                                pulls every PULL_MS until KEY
 *       is new in the stream; prints "seen KEY MS"
 *   relogin KEY1 KEY2 RULE FLAGFILE          publishes KEY1, waits for
 *       FLAGFILE (the test restarts the LAPI: its tokens are void), then
 *       publishes KEY2 through a new login; prints "logins N"
 *   latency N                                the bench: one client
 *       publishes N bots (198.18.0.x, one every 20-80 ms), a second one
 *       (the bouncer key) pulls every PULL_MS; prints "latency N SEEN
 *       MEDIAN_MS P99_MS" from each publish call to its decision pulled
 *   series N [GAP_US]                        publishes N bots (198.18.100.x
 *       on) as latency does, or GAP_US apart, without pulling; prints
 *       "sent KEY MONO_US" for each (the bench times a second gateway's
 *       nflogmon against these)
 *   queue-down KEY RULE SECONDS              publishes to a LAPI that is
 *       down: prints "queued N error E" after 3 s, waits for the LAPI
 *       (up to TIMEOUT), prints "published KEY ID"
 *
 * Exit 0 done, 1 failure or timeout, 2 usage.
 */
#include <sys/socket.h>
#include <arpa/inet.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "fleet.h"

static struct fleet *fl;
static const char *cmd;
static struct key want;
static int64_t t0_us, deadline_us;
static int rc = 1;
static bool published_seen, seen;
static int phase;
static uint64_t pulls_at;
static struct fleet_pub second;
static struct fleet *puller;		/* latency: the second gateway */
#define LAT_MAX	1000
static int lat_n, lat_sent, lat_seen;
static int64_t lat_pub_us[LAT_MAX], lat_ms[LAT_MAX], lat_next_us;
static long lat_gap_us;			/* series: fixed gap, 0 random */

static void	lat_report(void);
static const char *flagfile;

static enum fleet_apply
on_decision(const struct fleet_decision *d, void *arg)
{
	char k[KEY_STRLEN];

	(void)arg;
	key_format(&d->key, k, sizeof(k));
	if (strcmp(cmd, "latency") == 0) {
		int i = d->key.addr[2] * 256 + d->key.addr[3] - 1;

		if (d->deleted || d->key.kind != KEY_V4 || d->key.addr[0] !=
		    198 || d->key.addr[1] != 18 || i < 0 || i >= lat_sent ||
		    lat_ms[i] != -1)
			return FLEET_IGNORED;
		lat_ms[i] = (clock_mono_us() - lat_pub_us[i]) / 1000;
		lat_seen++;
		return FLEET_APPLIED;
	}
	if (strcmp(cmd, "watch") == 0) {
		if (!d->deleted && key_equal(&d->key, &want) && !seen) {
			seen = true;
			printf("seen %s %" PRId64 "\n", k,
			    (clock_mono_us() - t0_us) / 1000);
		}
		return FLEET_APPLIED;
	}
	if (d->deleted)
		printf("deleted %" PRId64 " %s\n", d->id, k);
	else
		printf("new %" PRId64 " %s %" PRId64 " %s %s\n", d->id, k,
		    d->remaining_us / 1000000, d->scenario, d->origin);
	return FLEET_APPLIED;
}

static void
on_published(const struct key *k, int64_t id, void *arg)
{
	char s[KEY_STRLEN];

	(void)arg;
	printf("published %s %" PRId64 "\n", key_format(k, s, sizeof(s)), id);
	published_seen = true;
}

static void
print_stats(void)
{
	struct fleet_status st;
	int i;

	fleet_status(fl, &st);
	printf("stats new %" PRIu64 " deleted %" PRIu64 " own %" PRIu64,
	    st.stream.new_ok, st.stream.deleted_ok, st.stream.own);
	for (i = 0; i < FLEET_REF_MAX; i++)
		if (st.stream.refused[i] != 0)
			printf(" refused %s %" PRIu64, fleet_refusal_name(i),
			    st.stream.refused[i]);
	printf("\n");
}

/* latency and series: bot lat_sent + 1 (latency: 198.18.0.x; series:
 * 198.18.100.x, so both run against one LAPI) is published when its time
 * has come, one every 20-80 ms; series prints when (monotonic). */
static void
lat_publish_next(int64_t now, bool print)
{
	struct fleet_pub p;
	struct key k;
	char s[KEY_STRLEN];

	if (lat_sent >= lat_n || now < lat_next_us)
		return;
	memset(&k, 0, sizeof(k));
	k.kind = KEY_V4;
	k.plen = 32;
	k.addr[0] = 198;
	k.addr[1] = 18;
	k.addr[2] = (uint8_t)((print ? 100 : 0) + (lat_sent + 1) / 256);
	/* LAT_MAX 1000: series reaches 198.18.103.232 */
	k.addr[3] = (uint8_t)((lat_sent + 1) % 256);
	p = fleet_pub_make(&k, "burst", clock_wall_us(), 600LL * 1000000);
	lat_pub_us[lat_sent] = clock_mono_us();
	lat_ms[lat_sent] = -1;
	if (print)
		printf("sent %s %" PRId64 "\n", key_format(&p.key, s,
		    sizeof(s)), lat_pub_us[lat_sent]);
	fleet_publish(fl, &p);
	lat_sent++;
	lat_next_us = now + (lat_gap_us > 0 ? lat_gap_us :
	    20000 + random() % 60000);
}

static void
tick(struct daemon *d, int64_t now)
{
	struct fleet_status st;

	(void)d;
	fleet_tick(fl);
	fleet_status(fl, &st);
	if (now > deadline_us) {
		fprintf(stderr, "fleet-driver: timeout (%s)\n", st.error);
		if (strcmp(cmd, "latency") == 0)
			lat_report();
		loop_stop();
		return;
	}
	if (strcmp(cmd, "publish") == 0 || strcmp(cmd, "unpublish") == 0) {
		if (fleet_idle(fl)) {
			if (strcmp(cmd, "unpublish") == 0 && st.unpublished) {
				char s[KEY_STRLEN];

				printf("unpublished %s\n",
				    key_format(&want, s, sizeof(s)));
			}
			rc = (st.published + st.unpublished) ? 0 : 1;
			loop_stop();
		}
	} else if (strcmp(cmd, "pull") == 0) {
		if (st.pulls > 0) {
			print_stats();
			rc = st.last_pull_us != 0 ? 0 : 1;
			loop_stop();
		}
	} else if (strcmp(cmd, "publish-pull") == 0) {
		if (phase == 0 && published_seen) {
			phase = 1;
			pulls_at = st.pulls;
			fleet_pull_now(fl);
		} else if (phase == 1 && st.pulls > pulls_at &&
		    fleet_idle(fl)) {
			print_stats();
			rc = 0;
			loop_stop();
		}
	} else if (strcmp(cmd, "watch") == 0) {
		if (seen) {
			rc = 0;
			loop_stop();
		}
	} else if (strcmp(cmd, "latency") == 0) {
		fleet_tick(puller);
		lat_publish_next(now, false);
		if (lat_sent == lat_n && lat_seen == lat_n) {
			lat_report();
			rc = 0;
			loop_stop();
		}
	} else if (strcmp(cmd, "series") == 0) {
		lat_publish_next(now, true);
		if (lat_sent == lat_n && fleet_idle(fl)) {
			rc = 0;
			loop_stop();
		}
	} else if (strcmp(cmd, "relogin") == 0) {
		if (phase == 0 && published_seen && fleet_idle(fl)) {
			printf("first done\n");
			fflush(stdout);
			phase = 1;
		} else if (phase == 1 && access(flagfile, F_OK) == 0) {
			phase = 2;
			fleet_publish(fl, &second);
		} else if (phase == 2 && st.published == 2 && fleet_idle(fl)) {
			printf("logins %" PRIu64 "\n", st.logins);
			rc = 0;
			loop_stop();
		}
	} else if (strcmp(cmd, "queue-down") == 0) {
		if (phase == 0 && now - t0_us > 3000000) {
			printf("queued %zu error %s\n", st.queued, st.error);
			fflush(stdout);
			phase = 1;
		} else if (phase == 1 && published_seen && fleet_idle(fl)) {
			rc = 0;
			loop_stop();
		}
	}
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static void
lat_report(void)
{
	int64_t v[LAT_MAX];
	int i, n = 0;

	for (i = 0; i < lat_sent; i++)
		if (lat_ms[i] >= 0)
			v[n++] = lat_ms[i];
	if (n == 0) {
		printf("latency %d 0 - -\n", lat_n);
		return;
	}
	qsort(v, (size_t)n, sizeof(v[0]), cmp_i64);
	printf("latency %d %d %" PRId64 " %" PRId64 "\n", lat_n, n, v[n / 2],
	    v[(n * 99 + 99) / 100 - 1]);
}

static int
read_netset(struct netset *ns, char *list)
{
	char *item, *save = NULL;
	struct addr a;
	int plen;

	for (item = strtok_r(list, ",", &save); item != NULL;
	    item = strtok_r(NULL, ",", &save)) {
		if (parse_prefix(item, &a, &plen) == -1 ||
		    netset_add(ns, &a, plen, 0) == -1)
			return -1;
	}
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: fleet-driver [-u URL] [-m MACHINE] "
	    "[-p PWFILE] [-k KEYFILE] [-A NETS] [-L ADDRS] [-H] [-i PULL_MS] "
	    "[-t TIMEOUT_S] publish|unpublish|pull|publish-pull|watch|"
	    "relogin|latency|series|queue-down ARGS\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct fleet_conf c;
	struct fleet_env env;
	struct fleet_pub p;
	char err[256], login[128] = "";
	struct netset *allow = netset_new(), *local = netset_new();
	int ch, timeout_s = 20;
	bool own_addrs = false;

	memset(&c, 0, sizeof(c));
	memset(&env, 0, sizeof(env));
	c.pull_interval_us = 1000000;
	c.max_duration_us = 7LL * 86400 * 1000000;
	while ((ch = getopt(argc, argv, "u:m:p:k:A:L:Hi:t:")) != -1) {
		switch (ch) {
		case 'u':
			snprintf(c.lapi_url, sizeof(c.lapi_url), "%s", optarg);
			break;
		case 'm':
			snprintf(c.machine_id, sizeof(c.machine_id), "%s",
			    optarg);
			break;
		case 'p':
			if (fleet_secret_read(optarg, c.password,
			    sizeof(c.password), login, sizeof(login), err,
			    sizeof(err)) == -1) {
				fprintf(stderr, "fleet-driver: %s\n", err);
				return 1;
			}
			if (c.machine_id[0] == '\0')
				snprintf(c.machine_id, sizeof(c.machine_id),
				    "%s", login);
			break;
		case 'k':
			if (fleet_secret_read(optarg, c.bouncer_key,
			    sizeof(c.bouncer_key), NULL, 0, err,
			    sizeof(err)) == -1) {
				fprintf(stderr, "fleet-driver: %s\n", err);
				return 1;
			}
			break;
		case 'A':
			if (read_netset(allow, optarg) == -1)
				usage();
			break;
		case 'L':
			if (read_netset(local, optarg) == -1)
				usage();
			break;
		case 'H':
			own_addrs = true;
			break;
		case 'i':
			c.pull_interval_us = atoll(optarg) * 1000;
			break;
		case 't':
			timeout_s = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	cmd = argv[0];
	if (own_addrs && (fleet_local_addrs(local, err, sizeof(err)) == -1 ||
	    fleet_lapi_addrs(c.lapi_url, local, err, sizeof(err)) == -1)) {
		fprintf(stderr, "fleet-driver: %s\n", err);
		return 1;
	}
	log_init("fleet-driver", true, getenv("FLEET_DEBUG") != NULL);
	env.fd_add = loop_add;
	env.fd_del = loop_del;
	env.fd_events = loop_set_events;
	env.mono_us = clock_mono_us;
	env.wall_us = clock_wall_us;
	env.decision = on_decision;
	env.published = on_published;
	env.filter.allow = allow;
	env.filter.local = local;
	env.filter.ipv6_prefix = 64;
	if (strcmp(cmd, "pull") == 0 || strcmp(cmd, "watch") == 0)
		c.password[0] = '\0';
	if (strcmp(cmd, "publish") == 0 || strcmp(cmd, "unpublish") == 0 ||
	    strcmp(cmd, "queue-down") == 0 || strcmp(cmd, "relogin") == 0 ||
	    strcmp(cmd, "series") == 0)
		c.bouncer_key[0] = '\0';
	if (strcmp(cmd, "latency") == 0) {
		/* this one publishes; the puller (below) pulls */
		char keep[sizeof(c.bouncer_key)];

		memcpy(keep, c.bouncer_key, sizeof(keep));
		c.bouncer_key[0] = '\0';
		if ((fl = fleet_open(&c, &env, err, sizeof(err))) == NULL) {
			fprintf(stderr, "fleet-driver: %s\n", err);
			return 1;
		}
		memcpy(c.bouncer_key, keep, sizeof(keep));
	}
	if (fl == NULL && (fl = fleet_open(&c, &env, err, sizeof(err))) ==
	    NULL) {
		fprintf(stderr, "fleet-driver: %s\n", err);
		return 1;
	}
	if (strcmp(cmd, "latency") == 0) {
		struct fleet_conf c2 = c;

		c2.password[0] = '\0';
		if ((puller = fleet_open(&c2, &env, err, sizeof(err))) == NULL) {
			fprintf(stderr, "fleet-driver: %s\n", err);
			return 1;
		}
		lat_n = argc > 1 ? atoi(argv[1]) : 100;
		if (lat_n < 1 || lat_n > LAT_MAX)
			usage();
	}
	if (strcmp(cmd, "series") == 0) {
		lat_n = argc > 1 ? atoi(argv[1]) : 100;
		lat_gap_us = argc > 2 ? atol(argv[2]) : 0;
		if (lat_n < 1 || lat_n > LAT_MAX || lat_gap_us < 0)
			usage();
	}
	t0_us = clock_mono_us();
	deadline_us = t0_us + (int64_t)timeout_s * 1000000;
	if (argc >= 2 && strcmp(cmd, "latency") != 0 &&
	    strcmp(cmd, "series") != 0 &&
	    key_parse(argv[1], 64, &want, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "fleet-driver: %s\n", err);
		return 2;
	}
	if (strcmp(cmd, "publish") == 0 || strcmp(cmd, "publish-pull") == 0 ||
	    strcmp(cmd, "queue-down") == 0) {
		if (argc < 4)
			usage();
		p = fleet_pub_make(&want, argv[2], clock_wall_us() -
		    (argc > 4 ? atoll(argv[4]) * 1000000 : 0),
		    atoll(argv[3]) * 1000000);
		fleet_publish(fl, &p);
	} else if (strcmp(cmd, "relogin") == 0) {
		if (argc < 5)
			usage();
		p = fleet_pub_make(&want, argv[3], clock_wall_us(),
		    3600LL * 1000000);
		second = p;
		if (key_parse(argv[2], 64, &second.key, err, sizeof(err)) == -1)
			usage();
		flagfile = argv[4];
		fleet_publish(fl, &p);
	} else if (strcmp(cmd, "unpublish") == 0) {
		if (argc < 3)
			usage();
		fleet_ids_put(fleet_queue(fl), &want, atoll(argv[2]));
		fleet_unpublish(fl, &want);
	} else if (strcmp(cmd, "pull") != 0 && strcmp(cmd, "watch") != 0 &&
	    strcmp(cmd, "latency") != 0 && strcmp(cmd, "series") != 0)
		usage();
	if (loop_every(20000, tick) == -1)
		return 1;
	loop_run(NULL);
	fleet_close(fl);
	fleet_close(puller);
	netset_free(allow);
	netset_free(local);
	return rc;
}
