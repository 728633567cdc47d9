/*
 * lapi.c: HTTP to CrowdSec's Local API with libcurl's multi interface,
 * driven by the daemon's one event loop: curl's sockets go into the loop
 * through env->fd_add/fd_del, its timeouts into one timerfd.  No threads,
 * and nothing here ever waits: a request that is slow only delays the
 * next publication, never a block.
 *
 * Two lanes, each with at most one request in flight: the push lane (the
 * machine: login, POST /v1/alerts and the GET of that alert for its
 * decision id, DELETE /v1/decisions/{id}), one alert per request because
 * a failed batch may be partly stored, and the pull lane (the bouncer:
 * GET /v1/decisions/stream, startup=true until one pull succeeded).  Any
 * 401 on the push lane drops the token and logs in again (a LAPI restart
 * voids every token).  What must never happen: a decision deleted by
 * address (DELETE /v1/decisions?ip= deletes every machine's), a secret
 * in a log line, an unbounded response in memory.
 */
#include <sys/timerfd.h>

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fleet.h"

#define LAPI_LOGIN_BACKOFF_MAX_US	(60LL * 1000000)
#define LAPI_RESP_MAX_SMALL		(1024 * 1024)	/* push answers */

enum lapi_kind {
	REQ_LOGIN = 0,
	REQ_ALERT_POST,
	REQ_ALERT_GET,
	REQ_DELETE,
	REQ_STREAM,
};

struct lapi_req {
	CURL		*easy;
	enum lapi_kind	 kind;
	struct curl_slist *hdrs;
	char		*body;		/* request body, NULL none */
	char		*resp;		/* response, NUL-terminated */
	size_t		 len, max;
	bool		 too_big;
	struct fleet_job job;		/* the push job (a copy) */
	char		 errbuf[CURL_ERROR_SIZE];
};

struct fleet {
	struct fleet_conf conf;
	struct fleet_env env;
	CURLM		*multi;
	int		 tfd;		/* curl's timeout */
	struct fleet_queue *q;
	char		 token[FLEET_TOKEN_MAX];
	int64_t		 login_next_us;	/* mono: not before */
	int64_t		 login_backoff_us;
	int64_t		 last_login_us;	/* mono */
	struct lapi_req	*push, *pull;
	bool		 started;	/* a startup=true pull succeeded */
	int64_t		 pull_next_us;
	struct fleet_status st;
};

static void	lapi_check(struct fleet *);
static void	lapi_push_next(struct fleet *);

/* ---------------------------------------------------------- the loop */

static void
lapi_timer_arm(struct fleet *f, long ms)
{
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	if (ms >= 0) {
		its.it_value.tv_sec = ms / 1000;
		its.it_value.tv_nsec = (ms % 1000) * 1000000L;
		if (ms == 0)
			its.it_value.tv_nsec = 1;	/* 0 would disarm */
	}
	timerfd_settime(f->tfd, 0, &its, NULL);
}

static int
lapi_timer_cb(CURLM *m, long timeout_ms, void *arg)
{
	(void)m;
	lapi_timer_arm(arg, timeout_ms);
	return 0;
}

static void
lapi_timer_ready(int fd, short revents, void *arg)
{
	struct fleet *f = arg;
	uint64_t n;
	int running;

	(void)revents;
	if (read(fd, &n, sizeof(n)) == -1 && errno != EAGAIN)
		return;
	curl_multi_socket_action(f->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	lapi_check(f);
}

static void
lapi_sock_ready(int fd, short revents, void *arg)
{
	struct fleet *f = arg;
	int running, flags = 0;

	if (revents & POLLIN)
		flags |= CURL_CSELECT_IN;
	if (revents & POLLOUT)
		flags |= CURL_CSELECT_OUT;
	if (revents & (POLLERR | POLLHUP | POLLNVAL))
		flags |= CURL_CSELECT_ERR;
	curl_multi_socket_action(f->multi, fd, flags, &running);
	lapi_check(f);
}

static int
lapi_sock_cb(CURL *e, curl_socket_t s, int what, void *arg, void *sockp)
{
	struct fleet *f = arg;
	short ev = 0;

	(void)e;
	if (what == CURL_POLL_REMOVE) {
		if (sockp != NULL)
			f->env.fd_del(s);
		curl_multi_assign(f->multi, s, NULL);
		return 0;
	}
	if (what & CURL_POLL_IN)
		ev |= POLLIN;
	if (what & CURL_POLL_OUT)
		ev |= POLLOUT;
	if (sockp == NULL) {
		if (f->env.fd_add(s, ev, lapi_sock_ready, f) == -1)
			return -1;	/* curl fails the transfer */
		curl_multi_assign(f->multi, s, f);
	} else
		f->env.fd_events(s, ev);
	return 0;
}

/* ---------------------------------------------------------- requests */

static size_t
lapi_write(char *data, size_t size, size_t n, void *arg)
{
	struct lapi_req *r = arg;
	size_t len = size * n;
	char *p;

	if (len > r->max - r->len) {
		r->too_big = true;
		return 0;	/* aborts the transfer */
	}
	if ((p = realloc(r->resp, r->len + len + 1)) == NULL)
		return 0;
	r->resp = p;
	memcpy(r->resp + r->len, data, len);
	r->len += len;
	r->resp[r->len] = '\0';
	return len;
}

static void
lapi_req_free(struct fleet *f, struct lapi_req *r)
{
	if (r == NULL)
		return;
	if (r->easy != NULL) {
		curl_multi_remove_handle(f->multi, r->easy);
		curl_easy_cleanup(r->easy);
	}
	curl_slist_free_all(r->hdrs);
	free(r->body);
	free(r->resp);
	free(r);
}

/* Starts a request; NULL with the error recorded. */
static struct lapi_req *
lapi_start(struct fleet *f, enum lapi_kind kind, const char *method,
    const char *path, char *body, const char *auth)
{
	struct lapi_req *r;
	char url[1024];
	CURL *e;

	if ((r = calloc(1, sizeof(*r))) == NULL || (e = curl_easy_init()) ==
	    NULL) {
		free(r);
		free(body);
		snprintf(f->st.error, sizeof(f->st.error), "out of memory");
		return NULL;
	}
	r->easy = e;
	r->kind = kind;
	r->body = body;
	r->max = kind == REQ_STREAM ? FLEET_MAX_RESPONSE : LAPI_RESP_MAX_SMALL;
	snprintf(url, sizeof(url), "%s%s", f->conf.lapi_url, path);
	r->hdrs = curl_slist_append(NULL, "Accept: application/json");
	if (body != NULL)
		r->hdrs = curl_slist_append(r->hdrs,
		    "Content-Type: application/json");
	if (auth != NULL)
		r->hdrs = curl_slist_append(r->hdrs, auth);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, FLEET_USER_AGENT);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->hdrs);
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
	    (long)(f->conf.timeout_us / 1000));
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, lapi_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_PRIVATE, r);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
	if (f->conf.ca_file[0] != '\0')
		curl_easy_setopt(e, CURLOPT_CAINFO, f->conf.ca_file);
	if (body != NULL)
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
	if (curl_multi_add_handle(f->multi, e) != CURLM_OK) {
		lapi_req_free(f, r);
		snprintf(f->st.error, sizeof(f->st.error), "curl: cannot add "
		    "a request");
		return NULL;
	}
	return r;
}

static void
lapi_error(struct fleet *f, const char *what, const struct lapi_req *r,
    CURLcode cc, long code)
{
	if (cc != CURLE_OK)
		snprintf(f->st.error, sizeof(f->st.error), "%s: %.200s", what,
		    r->too_big ? "response too large" : r->errbuf[0] != '\0' ?
		    r->errbuf : curl_easy_strerror(cc));
	else
		snprintf(f->st.error, sizeof(f->st.error), "%s: HTTP %ld",
		    what, code);
	f->st.ok = false;
	log_warnx("fleet: %s", f->st.error);
}

/* ------------------------------------------------------------- push */

static void
lapi_login(struct fleet *f)
{
	char *body;

	if ((body = fleet_login_json(f->conf.machine_id,
	    f->conf.password)) == NULL)
		return;
	f->push = lapi_start(f, REQ_LOGIN, "POST", "/v1/watchers/login",
	    body, NULL);
}

static void
lapi_push_job(struct fleet *f, const struct fleet_job *j)
{
	char auth[FLEET_TOKEN_MAX + 32], path[64], *body = NULL;

	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", f->token);
	if (j->op == FLEET_PUBLISH) {
		if ((body = fleet_alert_json(&j->pub,
		    f->conf.max_duration_us)) == NULL) {
			/* not publishable (a bad key): never will be */
			fleet_queue_done(f->q, j, 0, f->env.mono_us());
			return;
		}
		f->push = lapi_start(f, REQ_ALERT_POST, "POST", "/v1/alerts",
		    body, auth);
	} else {
		snprintf(path, sizeof(path), "/v1/decisions/%" PRId64,
		    j->decision_id);
		f->push = lapi_start(f, REQ_DELETE, "DELETE", path, NULL, auth);
	}
	if (f->push != NULL)
		f->push->job = *j;
}

/* Starts the next push request if the lane is free and work is due. */
static void
lapi_push_next(struct fleet *f)
{
	struct fleet_job *j;
	int64_t now = f->env.mono_us();

	if (f->push != NULL || f->conf.password[0] == '\0')
		return;
	if ((j = fleet_queue_next(f->q, now)) == NULL)
		return;
	if (f->token[0] == '\0') {
		if (now >= f->login_next_us)
			lapi_login(f);
		return;
	}
	lapi_push_job(f, j);
}

static void
lapi_login_done(struct fleet *f, struct lapi_req *r, CURLcode cc, long code)
{
	int64_t now = f->env.mono_us();

	if (cc == CURLE_OK && code == 200 && fleet_login_token(r->resp,
	    r->len, f->token, sizeof(f->token)) == 0) {
		f->st.logins++;
		f->login_backoff_us = 0;
		f->last_login_us = now;
		return;
	}
	lapi_error(f, "login", r, cc, code);
	f->login_backoff_us = f->login_backoff_us == 0 ? 1000000 :
	    f->login_backoff_us * 2;
	if (f->login_backoff_us > LAPI_LOGIN_BACKOFF_MAX_US)
		f->login_backoff_us = LAPI_LOGIN_BACKOFF_MAX_US;
	f->login_next_us = now + f->login_backoff_us;
}

static void
lapi_push_done(struct fleet *f, struct lapi_req *r, CURLcode cc, long code)
{
	int64_t now = f->env.mono_us(), id;
	char auth[FLEET_TOKEN_MAX + 32], path[64];
	struct fleet_job job = r->job;

	if (r->kind == REQ_LOGIN) {
		lapi_login_done(f, r, cc, code);
		return;
	}
	if (cc == CURLE_OK && code == 401) {
		/* log in again, then retry; at most one login a second */
		f->token[0] = '\0';
		f->login_next_us = f->last_login_us + 1000000;
		return;
	}
	switch (r->kind) {
	case REQ_ALERT_POST:
		if (cc != CURLE_OK || code != 201 ||
		    fleet_alert_id(r->resp, r->len, &id) == -1)
			break;
		/* stored: the decision id is read back through the alert */
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s",
		    f->token);
		snprintf(path, sizeof(path), "/v1/alerts/%" PRId64, id);
		f->push = lapi_start(f, REQ_ALERT_GET, "GET", path, NULL,
		    auth);
		if (f->push != NULL)
			f->push->job = job;
		f->st.last_push_us = f->env.wall_us();
		f->st.ok = true;
		return;
	case REQ_ALERT_GET:
		if (cc != CURLE_OK || code != 200 ||
		    fleet_alert_decision_id(r->resp, r->len, &id) == -1)
			break;
		fleet_queue_done(f->q, &job, id, now);
		f->st.published++;
		f->st.ok = true;
		if (f->env.published != NULL)
			f->env.published(&job.pub.key, id, f->env.arg);
		return;
	case REQ_DELETE:
		/* 404: already gone (expired, or deleted by an operator) */
		if (cc != CURLE_OK || (code != 200 && code != 404))
			break;
		fleet_queue_done(f->q, &job, 0, now);
		f->st.unpublished++;
		f->st.ok = true;
		f->st.last_push_us = f->env.wall_us();
		return;
	default:
		return;
	}
	lapi_error(f, r->kind == REQ_DELETE ? "delete" : "publish", r, cc,
	    code);
	/* A POST that was stored but whose alert could not be read would be
	 * posted again: a duplicate alert is harmless, a lost one is not. */
	fleet_queue_failed(f->q, &job, f->st.error, now);
}

/* ------------------------------------------------------------- pull */

static bool
lapi_own(int64_t id, void *arg)
{
	struct fleet *f = arg;

	return fleet_ids_own(f->q, id);
}

static void
lapi_decision(const struct fleet_decision *d, void *arg)
{
	struct fleet *f = arg;

	switch (f->env.decision(d, f->env.arg)) {
	case FLEET_APPLIED:
		f->st.applied++;
		break;
	case FLEET_REFUSED_BREAKER:
		f->st.stream.refused[FLEET_REF_BREAKER]++;
		break;
	case FLEET_IGNORED:
		break;
	}
}

static void
lapi_pull_done(struct fleet *f, struct lapi_req *r, CURLcode cc, long code)
{
	struct fleet_filter flt = f->env.filter;

	f->st.pulls++;
	if (r->too_big) {
		f->st.stream.bad_responses++;
		f->st.stream.refused[FLEET_REF_OVERSIZE]++;
	}
	if (cc != CURLE_OK || code != 200) {
		lapi_error(f, "pull", r, cc, code);
		return;
	}
	flt.own = lapi_own;
	flt.arg = f;
	if (fleet_stream_parse(r->resp != NULL ? r->resp : "", r->len, &flt,
	    lapi_decision, f, &f->st.stream) == -1) {
		snprintf(f->st.error, sizeof(f->st.error), "pull: malformed "
		    "decision stream");
		f->st.ok = false;
		log_warnx("fleet: %s", f->st.error);
		return;
	}
	f->started = true;
	f->st.last_pull_us = f->env.wall_us();
	f->st.ok = true;
}

static void
lapi_pull_start(struct fleet *f)
{
	char auth[FLEET_SECRET_MAX + 16], path[256];

	snprintf(auth, sizeof(auth), "X-Api-Key: %s", f->conf.bouncer_key);
	snprintf(path, sizeof(path), "/v1/decisions/stream?startup=%s"
	    "&scopes=ip,range&scenarios_containing=" FLEET_SCENARIO_PREFIX
	    "&type=ban", f->started ? "false" : "true");
	f->pull = lapi_start(f, REQ_STREAM, "GET", path, NULL, auth);
}

/* ----------------------------------------------------------- results */

/* Reads back the finished transfers, then starts what is due. */
static void
lapi_check(struct fleet *f)
{
	struct lapi_req *r;
	CURLMsg *m;
	long code;
	int left;
	char *p;

	while ((m = curl_multi_info_read(f->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		p = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &p);
		r = (struct lapi_req *)(void *)p;
		code = 0;
		curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE,
		    &code);
		if (r == f->pull) {
			f->pull = NULL;
			lapi_pull_done(f, r, m->data.result, code);
		} else if (r == f->push) {
			f->push = NULL;
			lapi_push_done(f, r, m->data.result, code);
		}
		lapi_req_free(f, r);
	}
	lapi_push_next(f);
}

/* -------------------------------------------------------------- API */

static void
lapi_conf(struct fleet *f, const struct fleet_conf *c)
{
	size_t n;

	f->conf = *c;
	n = strlen(f->conf.lapi_url);
	while (n > 0 && f->conf.lapi_url[n - 1] == '/')
		f->conf.lapi_url[--n] = '\0';
	if (f->conf.timeout_us <= 0)
		f->conf.timeout_us = 10 * 1000000LL;
	if (f->conf.pull_interval_us <= 0)
		f->conf.pull_interval_us = 1000000;
}

struct fleet *
fleet_open(const struct fleet_conf *c, const struct fleet_env *env,
    char *err, size_t errlen)
{
	static bool curl_ready;
	struct fleet *f;

	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			snprintf(err, errlen, "fleet: libcurl failed to start");
			return NULL;
		}
		curl_ready = true;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		snprintf(err, errlen, "fleet: out of memory");
		return NULL;
	}
	lapi_conf(f, c);
	f->env = *env;
	f->tfd = -1;
	if ((f->q = fleet_queue_new(4096, 1000000)) == NULL ||
	    (f->multi = curl_multi_init()) == NULL) {
		snprintf(err, errlen, "fleet: out of memory");
		fleet_close(f);
		return NULL;
	}
	if ((f->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK |
	    TFD_CLOEXEC)) == -1 || env->fd_add(f->tfd, POLLIN,
	    lapi_timer_ready, f) == -1) {
		snprintf(err, errlen, "fleet: timer: %s", strerror(errno));
		fleet_close(f);
		return NULL;
	}
	curl_multi_setopt(f->multi, CURLMOPT_SOCKETFUNCTION, lapi_sock_cb);
	curl_multi_setopt(f->multi, CURLMOPT_SOCKETDATA, f);
	curl_multi_setopt(f->multi, CURLMOPT_TIMERFUNCTION, lapi_timer_cb);
	curl_multi_setopt(f->multi, CURLMOPT_TIMERDATA, f);
	f->pull_next_us = env->mono_us();
	f->st.ok = true;
	return f;
}

void
fleet_close(struct fleet *f)
{
	if (f == NULL)
		return;
	lapi_req_free(f, f->push);
	lapi_req_free(f, f->pull);
	if (f->multi != NULL)
		curl_multi_cleanup(f->multi);
	if (f->tfd != -1) {
		f->env.fd_del(f->tfd);
		close(f->tfd);
	}
	fleet_queue_free(f->q);
	explicit_bzero(&f->conf, sizeof(f->conf));
	explicit_bzero(f->token, sizeof(f->token));
	free(f);
}

void
fleet_reconf(struct fleet *f, const struct fleet_conf *c)
{
	lapi_conf(f, c);
	explicit_bzero(f->token, sizeof(f->token));
	f->login_next_us = 0;
	f->login_backoff_us = 0;
}

void
fleet_filter_set(struct fleet *f, const struct fleet_filter *flt)
{
	f->env.filter = *flt;
}

int
fleet_publish(struct fleet *f, const struct fleet_pub *p)
{
	if (fleet_queue_publish(f->q, p, f->env.mono_us()) == -1)
		return -1;
	lapi_push_next(f);
	return 0;
}

int
fleet_unpublish(struct fleet *f, const struct key *k)
{
	if (fleet_queue_unpublish(f->q, k, f->env.mono_us()) == -1)
		return -1;
	lapi_push_next(f);
	return 0;
}

void
fleet_pull_now(struct fleet *f)
{
	f->pull_next_us = f->env.mono_us();
	fleet_tick(f);
}

void
fleet_tick(struct fleet *f)
{
	int64_t now = f->env.mono_us();

	if (f->pull == NULL && f->conf.bouncer_key[0] != '\0' &&
	    now >= f->pull_next_us) {
		f->pull_next_us = now + f->conf.pull_interval_us;
		lapi_pull_start(f);
	}
	lapi_push_next(f);
}

void
fleet_status(const struct fleet *f, struct fleet_status *st)
{
	*st = f->st;
	st->queued = fleet_queue_count(f->q);
	st->dropped = fleet_queue_dropped(f->q);
}

struct fleet_queue *
fleet_queue(struct fleet *f)
{
	return f->q;
}

bool
fleet_idle(const struct fleet *f)
{
	return f->push == NULL && f->pull == NULL &&
	    fleet_queue_count(f->q) == 0;
}
