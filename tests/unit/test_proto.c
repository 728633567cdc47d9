/*
 * test_proto.c: the control socket's wire format (framing, requests,
 * block objects), the client's human output, and the server's handling of
 * hostile clients (garbage, oversized, too many) on a real socket.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon.h"

static const struct {
	uint8_t		hdr[6];
	size_t		have;
	int		rv;
	size_t		msglen;
} frames[] = {
	{ { 0, 0, 0 }, 3, 0, 0 },			/* short header */
	{ { 0, 0, 0, 0 }, 4, -1, 0 },			/* empty payload */
	{ { 0, 0, 0, 2, '{', '}' }, 6, 1, 6 },
	{ { 0, 0, 0, 3, '{', '}' }, 6, 0, 0 },		/* partial */
	{ { 0, 1, 0, 0 }, 4, 0, 0 },			/* exactly 64 KiB */
	{ { 0, 1, 0, 1 }, 4, -1, 0 },			/* 64 KiB + 1 */
	{ { 0xff, 0xff, 0xff, 0xff }, 4, -1, 0 },
};

static void
test_frame(void **state)
{
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(frames) / sizeof(frames[0]); i++) {
		len = 0;
		assert_int_equal(proto_frame(frames[i].hdr, frames[i].have,
		    PROTO_MAX_MSG, &len), frames[i].rv);
		if (frames[i].rv == 1)
			assert_int_equal(len, frames[i].msglen);
	}
}

static void
test_pack_unpack(void **state)
{
	json_t *o, *back;
	uint8_t *m;
	size_t len, msglen;
	char err[128];
	char *big;

	(void)state;
	o = json_pack("{s:s,s:i}", "cmd", "status", "n", 42);
	assert_int_equal(proto_pack(o, PROTO_MAX_MSG, &m, &len), 0);
	assert_int_equal(proto_frame(m, len, PROTO_MAX_MSG, &msglen), 1);
	assert_int_equal(msglen, len);
	back = proto_unpack(m + 4, len - 4, PROTO_MAX_MSG, err, sizeof(err));
	assert_non_null(back);
	assert_true(json_equal(o, back));
	free(m);
	json_decref(back);
	json_decref(o);

	/* A request over 64 KiB cannot be packed. */
	big = malloc(PROTO_MAX_MSG + 1);
	assert_non_null(big);
	memset(big, 'a', PROTO_MAX_MSG);
	big[PROTO_MAX_MSG] = '\0';
	o = json_pack("{s:s}", "reason", big);
	assert_int_equal(proto_pack(o, PROTO_MAX_MSG, &m, &len), -1);
	json_decref(o);
	free(big);
}

static const struct {
	const char	*text;
	bool		 ok;
} unpacks[] = {
	{ "{}", true },
	{ "[]", false },
	{ "\"cmd\"", false },
	{ "{\"cmd\":", false },
	{ "{\"a\":1,\"a\":2}", false },		/* duplicate key */
	{ "{\"a\":\"x\\u0000y\"}", false },	/* NUL in a string */
	{ "{} {}", false },
	{ "\x80\x81", false },
};

static void
test_unpack_table(void **state)
{
	char err[128];
	json_t *o;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(unpacks) / sizeof(unpacks[0]); i++) {
		o = proto_unpack((const uint8_t *)unpacks[i].text,
		    strlen(unpacks[i].text), PROTO_MAX_MSG, err, sizeof(err));
		if (unpacks[i].ok)
			assert_non_null(o);
		else
			assert_null(o);
		json_decref(o);
	}
}

static const struct {
	const char	*json;
	int		 rv;
	enum proto_cmd	 cmd;
	const char	*source;
	bool		 has_timeout;
	int64_t		 timeout_us;
	const char	*reason;
	const char	*err;
} requests[] = {
	{ "{\"cmd\":\"status\"}", 0, PROTO_STATUS, "", false, 0, "", NULL },
	{ "{\"cmd\":\"list\",\"extra\":1}", 0, PROTO_LIST, "", false, 0, "",
	    NULL },
	{ "{\"cmd\":\"block\",\"source\":\"192.0.2.7\"}", 0, PROTO_BLOCK,
	    "192.0.2.7", false, 0, "", NULL },
	{ "{\"cmd\":\"block\",\"source\":\"192.0.2.7\",\"timeout\":90,"
	    "\"reason\":\"spam run\"}", 0, PROTO_BLOCK, "192.0.2.7", true,
	    90 * US_PER_S, "spam run", NULL },
	{ "{\"cmd\":\"block\",\"source\":\"uid:1001\",\"timeout\":null}", 0,
	    PROTO_BLOCK, "uid:1001", true, DURATION_PERMANENT, "", NULL },
	{ "{\"cmd\":\"unblock\",\"source\":\"2001:db8::/64\"}", 0,
	    PROTO_UNBLOCK, "2001:db8::/64", false, 0, "", NULL },
	{ "{\"cmd\":\"reboot\"}", -1, 0, NULL, false, 0, NULL, "unknown" },
	{ "{\"cmd\":7}", -1, 0, NULL, false, 0, NULL, "not a string" },
	{ "{}", -1, 0, NULL, false, 0, NULL, "missing \"cmd\"" },
	{ "{\"cmd\":\"block\"}", -1, 0, NULL, false, 0, NULL,
	    "missing \"source\"" },
	{ "{\"cmd\":\"block\",\"source\":\"192.0.2.7\",\"timeout\":\"1h\"}",
	    -1, 0, NULL, false, 0, NULL, "not a number" },
	{ "{\"cmd\":\"block\",\"source\":\"192.0.2.7\",\"timeout\":0}",
	    -1, 0, NULL, false, 0, NULL, "out of range" },
	{ "{\"cmd\":\"block\",\"source\":\"192.0.2.7\",\"timeout\":-5}",
	    -1, 0, NULL, false, 0, NULL, "out of range" },
	{ "{\"cmd\":\"block\",\"source\":\"192.0.2.7\",\"timeout\":1e300}",
	    -1, 0, NULL, false, 0, NULL, "out of range" },
	{ "{\"cmd\":\"block\",\"source\":\"192.0.2.7\",\"reason\":\"a\\nb\"}",
	    -1, 0, NULL, false, 0, NULL, "control character" },
	/* a SOURCE of KEY_STRLEN (272) bytes or more */
	{ "{\"cmd\":\"block\",\"source\":\"account:xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}", -1, 0,
	    NULL, false, 0, NULL, "longer than" },
};

static void
test_request_table(void **state)
{
	struct proto_request r, r2;
	char err[256];
	json_t *o, *o2;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(requests) / sizeof(requests[0]); i++) {
		o = json_loads(requests[i].json, 0, NULL);
		assert_non_null(o);
		err[0] = '\0';
		assert_int_equal(proto_request_parse(o, &r, err, sizeof(err)),
		    requests[i].rv);
		json_decref(o);
		if (requests[i].rv == -1) {
			assert_non_null(strstr(err, requests[i].err));
			continue;
		}
		assert_int_equal(r.cmd, requests[i].cmd);
		assert_string_equal(r.source, requests[i].source);
		assert_int_equal(r.has_timeout, requests[i].has_timeout);
		assert_int_equal(r.timeout_us, requests[i].timeout_us);
		assert_string_equal(r.reason, requests[i].reason);
		/* What the client sends parses back to the same request. */
		o2 = proto_request_json(&r);
		assert_non_null(o2);
		assert_int_equal(proto_request_parse(o2, &r2, err, sizeof(err)),
		    0);
		assert_memory_equal(&r, &r2, sizeof(r));
		json_decref(o2);
	}
}

static void
test_error_one_line(void **state)
{
	json_t *o;

	(void)state;
	o = proto_error("bad %s\nsecond line", "thing");
	assert_false(json_is_true(json_object_get(o, "ok")));
	assert_string_equal(json_string_value(json_object_get(o, "error")),
	    "bad thing second line");
	json_decref(o);
}

static struct block
sample_block(const char *src, enum rule rule, enum action act,
    int64_t since_us, int64_t expires_us, const char *reason)
{
	struct block b;
	char err[64];

	memset(&b, 0, sizeof(b));
	assert_int_equal(key_parse(src, 64, &b.key, err, sizeof(err)), 0);
	b.rule = rule;
	b.action = act;
	b.connections = 21;
	b.since_us = since_us;
	b.expires_us = expires_us;
	b.strikes = 2;
	b.enforced = true;
	snprintf(b.reason, sizeof(b.reason), "%s", reason);
	if (act == ACT_THROTTLE) {
		b.throttle_rate.n = 5;
		b.throttle_rate.w_us = 60 * US_PER_S;
	}
	return b;
}

static void
test_block_json(void **state)
{
	struct block b;
	json_t *o;

	(void)state;
	b = sample_block("192.0.2.7", RULE_BURST, ACT_BLOCK,
	    1700000003450000LL, 1700003603450000LL, "");
	o = proto_block_json(&b, 57);
	assert_string_equal(json_string_value(json_object_get(o, "source")),
	    "192.0.2.7");
	assert_string_equal(json_string_value(json_object_get(o, "rule")),
	    "burst");
	assert_string_equal(json_string_value(json_object_get(o, "response")),
	    "block");
	assert_int_equal(json_integer_value(json_object_get(o, "connections")),
	    21);
	assert_true(json_number_value(json_object_get(o, "since")) ==
	    1700000003.45);
	assert_true(json_number_value(json_object_get(o, "expires")) ==
	    1700003603.45);
	assert_int_equal(json_integer_value(json_object_get(o, "strikes")), 2);
	assert_int_equal(json_integer_value(json_object_get(o, "attempts")),
	    57);
	assert_true(json_is_true(json_object_get(o, "enforced")));
	assert_true(json_is_null(json_object_get(o, "reason")));
	json_decref(o);

	b = sample_block("uid:1001", RULE_MANUAL, ACT_THROTTLE,
	    1700000000000000LL, DURATION_PERMANENT, "ticket 12");
	o = proto_block_json(&b, 0);
	assert_string_equal(json_string_value(json_object_get(o, "source")),
	    "uid:1001");
	assert_string_equal(json_string_value(json_object_get(o, "response")),
	    "throttle");
	assert_true(json_is_null(json_object_get(o, "expires")));
	assert_string_equal(json_string_value(json_object_get(o, "reason")),
	    "ticket 12");
	json_decref(o);
}

/* Renders the status of DESIGN.md's example and checks its facts. */
static void
test_client_status(void **state)
{
	static const char *reply =
	    "{\"version\": \"1.0.0\", \"uptime\": 3600.5, \"dry_run\": false,"
	    " \"backend\": {\"name\": \"ipset\", \"ok\": true, \"error\": null},"
	    " \"capture\": {\"groups\": [{\"group\": 1, \"kind\": \"forward\","
	    " \"packets\": 52000, \"dropped\": 3, \"seq_gaps\": 1, \"enobufs\": 0}],"
	    " \"malformed\": 0},"
	    " \"sources\": {\"tracked\": 812, \"max\": 1000000, \"evicted\": 0},"
	    " \"top\": [{\"source\": \"192.0.2.9\", \"burst\": 4, \"burst_limit\":"
	    " 20, \"sustained\": 30, \"sustained_limit\": 120, \"fanout\": 3,"
	    " \"fanout_limit\": 15},"
	    " {\"source\": \"uid:0\", \"burst\": 1, \"sustained\": 1,"
	    " \"fanout\": 1}, {\"source\": \"uid:4242\", \"burst\": 1,"
	    " \"sustained\": 1, \"fanout\": 1}],"
	    " \"blocks\": [{\"source\": \"192.0.2.7\", \"rule\": \"burst\","
	    " \"response\": \"block\", \"connections\": 21, \"since\": 1000.0,"
	    " \"expires\": 3520.0, \"strikes\": 1, \"attempts\": 57,"
	    " \"enforced\": true, \"reason\": null},"
	    " {\"source\": \"2001:db8:1:2::/64\", \"rule\": \"manual\","
	    " \"response\": \"throttle\", \"connections\": 0, \"since\": 1100.0,"
	    " \"expires\": null, \"strikes\": 0, \"attempts\": 0,"
	    " \"enforced\": true, \"reason\": \"ticket 12\"}]}";
	json_t *o = json_loads(reply, 0, NULL);
	char *buf = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_non_null(o);
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	client_print_status(f, o, 1180.0);
	fclose(f);
	assert_non_null(strstr(buf, "up 1h 0m"));
	assert_non_null(strstr(buf, "backend  ipset: ok"));
	assert_non_null(strstr(buf, "group 1 (forward): packets 52000, "
	    "dropped 3, gaps 1, enobufs 0"));
	assert_non_null(strstr(buf, "tracked 812 of 1000000, evicted 0"));
	assert_non_null(strstr(buf, "4/20"));
	assert_non_null(strstr(buf, "30/120"));
	assert_non_null(strstr(buf, "3m ago"));		/* 180 s */
	assert_non_null(strstr(buf, "in 39m"));		/* 2340 s */
	assert_non_null(strstr(buf, "permanent"));
	assert_non_null(strstr(buf, "ticket 12"));
	/* A uid with an account shows its name; one without stays bare. */
	assert_non_null(strstr(buf, "uid:0 (root)"));
	assert_non_null(strstr(buf, "uid:4242 "));
	assert_null(strstr(buf, "uid:4242 ("));
	/* Health first, then talkers, then blocks, throttled apart. */
	assert_true(strstr(buf, "backend") < strstr(buf, "TOP TALKERS"));
	assert_true(strstr(buf, "TOP TALKERS") < strstr(buf, "BLOCKED"));
	assert_true(strstr(buf, "BLOCKED") < strstr(buf, "THROTTLED"));
	assert_true(strstr(buf, "192.0.2.7") < strstr(buf, "THROTTLED"));
	assert_true(strstr(buf, "2001:db8:1:2::/64") > strstr(buf,
	    "THROTTLED"));
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		assert_true(strlen(line) <= 100);
		/* No trailing padding (the first block has no state). */
		if (line[strlen(line) - 1] == ' ')
			fail_msg("trailing space: '%s'", line);
	}
	free(buf);
	json_decref(o);
}

/* ------------------------------------------------- the server, for real */

static struct daemon tdaemon;
static char tdir[64];

static int
ctl_setup(void **state)
{
	struct ctl *c;
	char err[256];

	snprintf(tdir, sizeof(tdir), "/tmp/test_proto.XXXXXX");
	assert_non_null(mkdtemp(tdir));
	memset(&tdaemon, 0, sizeof(tdaemon));
	tdaemon.conf = conf_defaults();
	assert_non_null(tdaemon.conf);
	snprintf(tdaemon.conf->control_socket,
	    sizeof(tdaemon.conf->control_socket), "%s/sub/ctl.sock", tdir);
	c = ctl_open(&tdaemon, err, sizeof(err));
	assert_non_null(c);
	*state = c;
	return 0;
}

static int
ctl_teardown(void **state)
{
	char path[128];

	ctl_close(*state);
	conf_free(tdaemon.conf);
	snprintf(path, sizeof(path), "%s/sub", tdir);
	rmdir(path);
	rmdir(tdir);
	return 0;
}

static int
tconnect(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s",
	    tdaemon.conf->control_socket);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

/* Lets the server run until fd has something to read (or EOF). */
static void
pump(struct ctl *c, int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int i;

	for (i = 0; i < 1000; i++) {
		ctl_dispatch(c);
		if (poll(&p, 1, 1) == 1)
			return;
	}
	fail_msg("server never answered");
}

/* 1: a reply object in *o, 0: the server closed the connection. */
static int
read_reply(struct ctl *c, int fd, json_t **o)
{
	uint8_t buf[4096];
	size_t have = 0, msglen;
	ssize_t n;
	char err[128];

	for (;;) {
		pump(c, fd);
		n = recv(fd, buf + have, sizeof(buf) - have, 0);
		if (n == 0 || (n == -1 && errno == ECONNRESET))
			return 0;
		assert_true(n > 0);
		have += (size_t)n;
		if (proto_frame(buf, have, PROTO_MAX_REPLY, &msglen) == 1)
			break;
	}
	*o = proto_unpack(buf + 4, msglen - 4, PROTO_MAX_REPLY, err,
	    sizeof(err));
	assert_non_null(*o);
	return 1;
}

static void
send_raw(int fd, const void *p, size_t len)
{
	assert_int_equal(send(fd, p, len, MSG_NOSIGNAL), (ssize_t)len);
}

static void
send_json(int fd, const char *text)
{
	json_t *o = json_loads(text, 0, NULL);
	uint8_t *m;
	size_t len;

	assert_non_null(o);
	assert_int_equal(proto_pack(o, PROTO_MAX_MSG, &m, &len), 0);
	send_raw(fd, m, len);
	free(m);
	json_decref(o);
}

static void
test_ctl_requests(void **state)
{
	struct ctl *c = *state;
	json_t *o;
	int fd = tconnect();

	/* A valid but wrong request gets an error and the link stays. */
	send_json(fd, "{\"cmd\":\"format-disk\"}");
	assert_int_equal(read_reply(c, fd, &o), 1);
	assert_true(json_is_false(json_object_get(o, "ok")));
	assert_non_null(strstr(json_string_value(json_object_get(o, "error")),
	    "unknown command"));
	json_decref(o);
	send_json(fd, "{\"cmd\":\"block\",\"source\":\"not-an-address\"}");
	assert_int_equal(read_reply(c, fd, &o), 1);
	assert_true(json_is_false(json_object_get(o, "ok")));
	json_decref(o);
	close(fd);
}

static void
test_ctl_hostile(void **state)
{
	static const uint8_t oversized[] = { 0, 1, 0, 1, '{' };
	static const uint8_t garbage[] = { 0, 0, 0, 5, 'h', 'e', 'l', 'l', 'o' };
	struct ctl *c = *state;
	json_t *o;
	int fd, good, many[80], i, closed = 0;

	fd = tconnect();
	send_raw(fd, oversized, sizeof(oversized));
	assert_int_equal(read_reply(c, fd, &o), 0);
	close(fd);

	fd = tconnect();
	send_raw(fd, garbage, sizeof(garbage));
	assert_int_equal(read_reply(c, fd, &o), 0);
	close(fd);

	/* A partial message from one client does not block another. */
	fd = tconnect();
	send_raw(fd, garbage, 6);
	good = tconnect();
	send_json(good, "{\"cmd\":\"nothing\"}");
	assert_int_equal(read_reply(c, good, &o), 1);
	json_decref(o);
	close(good);
	close(fd);

	/* Beyond the fixed number of clients, connections are closed. */
	for (i = 0; i < 80; i++) {
		many[i] = tconnect();
		ctl_dispatch(c);
	}
	for (i = 0; i < 80; i++) {
		struct pollfd p = { .fd = many[i], .events = POLLIN };
		char b;
		ctl_dispatch(c);
		if (poll(&p, 1, 0) == 1 && recv(many[i], &b, 1, 0) == 0)
			closed++;
	}
	assert_true(closed >= 80 - 64);
	for (i = 0; i < 80; i++)
		close(many[i]);
	for (i = 0; i < 200; i++)
		ctl_dispatch(c);	/* notices the hang-ups */
	good = tconnect();
	send_json(good, "{\"cmd\":\"nothing\"}");
	assert_int_equal(read_reply(c, good, &o), 1);
	json_decref(o);
	close(good);
}

static void
test_ctl_refuses_second(void **state)
{
	struct ctl *c2;
	char err[256];

	(void)state;
	c2 = ctl_open(&tdaemon, err, sizeof(err));
	assert_null(c2);
	assert_non_null(strstr(err, "another nflogmon is running"));
}

/* A listening socket at path with the given backlog; nobody accepts. */
static int
listener(const char *path, int backlog)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(fd, backlog), 0);
	return fd;
}

/*
 * A daemon that is stopped: its listen queue full (connect would wait for
 * ever), or a connection queued but never answered.  The client gives up
 * within its bound and says no daemon answers (-3, exit status 3).
 */
static void
test_call_no_answer(void **state)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char dir[] = "/tmp/test_proto.XXXXXX", path[64], err[256];
	json_t *req, *reply = (json_t *)1;
	int lfd, fill[16], nfill = 0, i, fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/full.sock", dir);
	req = json_pack("{s:s}", "cmd", "status");
	assert_non_null(req);

	/* The queue filled by connections nobody accepts. */
	lfd = listener(path, 0);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	for (i = 0; i < 16; i++) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
		assert_true(fd >= 0);
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
			assert_int_equal(errno, EAGAIN);
			close(fd);
			break;
		}
		fill[nfill++] = fd;
	}
	assert_true(i < 16);		/* the queue is full */
	assert_int_equal(proto_call_timeout(path, req, &reply, 200, err,
	    sizeof(err)), -3);
	assert_null(reply);
	if (strstr(err, "not accepted within 200 ms") == NULL)
		fail_msg("full queue: %s", err);
	for (i = 0; i < nfill; i++)
		close(fill[i]);
	close(lfd);
	unlink(path);

	/* Room in the queue: connected, but no reply ever comes. */
	lfd = listener(path, 8);
	reply = (json_t *)1;
	assert_int_equal(proto_call_timeout(path, req, &reply, 200, err,
	    sizeof(err)), -3);
	assert_null(reply);
	assert_non_null(strstr(err, "no daemon answers"));
	close(lfd);
	unlink(path);

	/* No socket at all. */
	assert_int_equal(proto_call_timeout(path, req, &reply, 200, err,
	    sizeof(err)), -3);
	json_decref(req);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame),
		cmocka_unit_test(test_pack_unpack),
		cmocka_unit_test(test_unpack_table),
		cmocka_unit_test(test_request_table),
		cmocka_unit_test(test_error_one_line),
		cmocka_unit_test(test_block_json),
		cmocka_unit_test(test_client_status),
		cmocka_unit_test(test_call_no_answer),
		cmocka_unit_test_setup_teardown(test_ctl_requests, ctl_setup,
		    ctl_teardown),
		cmocka_unit_test_setup_teardown(test_ctl_hostile, ctl_setup,
		    ctl_teardown),
		cmocka_unit_test_setup_teardown(test_ctl_refuses_second,
		    ctl_setup, ctl_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
