/*
 * test_proto.c: the control socket's wire format (framing, requests,
 * block objects, row frames), the client's human output, and the server on
 * a real socket: hostile clients (garbage, oversized, too many), streamed
 * listings while blocks come and go, clients that never read.
 */
#define _GNU_SOURCE
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
	uint32_t	 recent;
} requests[] = {
	{ "{\"cmd\":\"status\",\"recent\":20}", 0, PROTO_STATUS, "", false,
	    0, "", NULL, 20 },
	{ "{\"cmd\":\"list\",\"recent\":1000}", 0, PROTO_LIST, "", false,
	    0, "", NULL, 1000 },
	{ "{\"cmd\":\"status\"}", 0, PROTO_STATUS, "", false, 0, "", NULL, 0 },
	{ "{\"cmd\":\"list\",\"extra\":1}", 0, PROTO_LIST, "", false, 0, "",
	    NULL, 0 },
	{ "{\"cmd\":\"block\",\"source\":\"192.0.2.7\"}", 0, PROTO_BLOCK,
	    "192.0.2.7", false, 0, "", NULL, 0 },
	{ "{\"cmd\":\"block\",\"source\":\"192.0.2.7\",\"timeout\":90,"
	    "\"reason\":\"spam run\"}", 0, PROTO_BLOCK, "192.0.2.7", true,
	    90 * US_PER_S, "spam run", NULL, 0 },
	{ "{\"cmd\":\"block\",\"source\":\"uid:1001\",\"timeout\":null}", 0,
	    PROTO_BLOCK, "uid:1001", true, DURATION_PERMANENT, "", NULL, 0 },
	{ "{\"cmd\":\"unblock\",\"source\":\"2001:db8::/64\"}", 0,
	    PROTO_UNBLOCK, "2001:db8::/64", false, 0, "", NULL, 0 },
	{ "{\"cmd\":\"reboot\"}", -1, 0, NULL, false, 0, NULL, "unknown", 0 },
	{ "{\"cmd\":\"status\",\"recent\":0}", -1, 0, NULL, false, 0, NULL,
	    "\"recent\" is not", 0 },
	{ "{\"cmd\":\"list\",\"recent\":1001}", -1, 0, NULL, false, 0, NULL,
	    "\"recent\" is not", 0 },
	{ "{\"cmd\":\"status\",\"recent\":\"20\"}", -1, 0, NULL, false, 0,
	    NULL, "\"recent\" is not", 0 },
	{ "{\"cmd\":\"status\",\"recent\":2.5}", -1, 0, NULL, false, 0,
	    NULL, "\"recent\" is not", 0 },
	{ "{\"cmd\":7}", -1, 0, NULL, false, 0, NULL, "not a string", 0 },
	{ "{}", -1, 0, NULL, false, 0, NULL, "missing \"cmd\"", 0 },
	{ "{\"cmd\":\"block\"}", -1, 0, NULL, false, 0, NULL,
	    "missing \"source\"", 0 },
	{ "{\"cmd\":\"block\",\"source\":\"192.0.2.7\",\"timeout\":\"1h\"}",
	    -1, 0, NULL, false, 0, NULL, "not a number", 0 },
	{ "{\"cmd\":\"block\",\"source\":\"192.0.2.7\",\"timeout\":0}",
	    -1, 0, NULL, false, 0, NULL, "out of range", 0 },
	{ "{\"cmd\":\"block\",\"source\":\"192.0.2.7\",\"timeout\":-5}",
	    -1, 0, NULL, false, 0, NULL, "out of range", 0 },
	{ "{\"cmd\":\"block\",\"source\":\"192.0.2.7\",\"timeout\":1e300}",
	    -1, 0, NULL, false, 0, NULL, "out of range", 0 },
	{ "{\"cmd\":\"block\",\"source\":\"192.0.2.7\",\"reason\":\"a\\nb\"}",
	    -1, 0, NULL, false, 0, NULL, "control character", 0 },
	/* a SOURCE of KEY_STRLEN (272) bytes or more */
	{ "{\"cmd\":\"block\",\"source\":\"account:xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}", -1, 0,
	    NULL, false, 0, NULL, "longer than", 0 },
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
		assert_int_equal(r.recent, requests[i].recent);
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

/* A block through the wire: put as a row, got back (checked). */
static struct proto_row
wire_row(const struct block *b, uint32_t attempts)
{
	uint8_t buf[PROTO_ROW_MAX];
	struct proto_row r;
	size_t n;

	n = proto_row_put(buf, sizeof(buf), b, attempts);
	assert_true(n > 0);
	assert_int_equal(proto_row_get(buf, n, &r), n);
	return r;
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
	    " \"inputs\": [{\"kind\": \"forward\", \"input\": \"nflog\","
	    " \"packets\": 52000, \"events\": 51990, \"ignored\": 0,"
	    " \"malformed\": 10}, {\"kind\": \"policy\", \"input\":"
	    " \"policy\", \"requests\": 77, \"events\": 70, \"ignored\": 7,"
	    " \"malformed\": 2}],"
	    " \"sources\": {\"tracked\": 812, \"max\": 1000000, \"evicted\": 0},"
	    " \"accounts\": {\"tracked\": 31, \"max\": 100000, \"evicted\": 4},"
	    " \"top\": [{\"source\": \"192.0.2.9\", \"burst\": 4, \"burst_limit\":"
	    " 20, \"sustained\": 30, \"sustained_limit\": 120, \"fanout\": 3,"
	    " \"fanout_limit\": 15},"
	    " {\"source\": \"uid:0\", \"burst\": 1, \"sustained\": 1,"
	    " \"fanout\": 1}, {\"source\": \"uid:4242\", \"burst\": 1,"
	    " \"sustained\": 1, \"fanout\": 1}]}";
	json_t *o = json_loads(reply, 0, NULL);
	struct client_list l;
	struct proto_row r;
	struct block b;
	char *buf = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_non_null(o);
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	client_print_status(f, o);
	assert_int_equal(client_list_begin(&l, f, 1180.0), 0);
	/* Throttled first on the wire: the tables still come blocked first. */
	b = sample_block("2001:db8:1:2::/64", RULE_MANUAL, ACT_THROTTLE,
	    1100 * US_PER_S, DURATION_PERMANENT, "ticket 12");
	b.connections = 0;
	b.strikes = 0;
	r = wire_row(&b, 0);
	client_list_row(&l, &r);
	b = sample_block("192.0.2.7", RULE_BURST, ACT_BLOCK, 1000 * US_PER_S,
	    3520 * US_PER_S, "");
	b.strikes = 1;
	r = wire_row(&b, 57);
	client_list_row(&l, &r);
	client_list_end(&l, 0);
	fclose(f);
	assert_non_null(strstr(buf, "up 1h 0m"));
	assert_non_null(strstr(buf, "backend  ipset: ok"));
	assert_non_null(strstr(buf, "group 1 (forward): packets 52000, "
	    "dropped 3, gaps 1, enobufs 0"));
	assert_non_null(strstr(buf, "tracked 812 of 1000000, evicted 0"));
	assert_non_null(strstr(buf, "\ninputs   forward (nflog): packets "
	    "52000, events 51990, malformed 10\n"));
	assert_non_null(strstr(buf, "\n         policy: requests 77, "
	    "events 70, malformed 2\n"));
	assert_non_null(strstr(buf, "\naccounts tracked 31 of 100000, "
	    "evicted 4\n"));
	assert_non_null(strstr(buf, "4/20"));
	assert_non_null(strstr(buf, "30/120"));
	assert_non_null(strstr(buf, "3m ago"));		/* 180 s */
	assert_non_null(strstr(buf, "in 39m"));		/* 2340 s */
	assert_non_null(strstr(buf, "permanent"));
	assert_non_null(strstr(buf, "ticket 12"));
	assert_non_null(strstr(buf, "    57 "));	/* attempts */
	assert_null(strstr(buf, "more: nflogmon list"));
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

/* Lines of s that contain sub. */
static int
count_lines(const char *s, const char *sub)
{
	const char *nl;
	int n = 0;

	for (; *s != '\0'; s = *nl == '\0' ? nl : nl + 1) {
		if ((nl = strchr(s, '\n')) == NULL)
			nl = s + strlen(s);
		if (memmem(s, (size_t)(nl - s), sub, strlen(sub)) != NULL)
			n++;
	}
	return n;
}

/*
 * The human tables at any count: every row printed once, the buffered
 * ones and those that stream past CLIENT_LIST_BUFFER; "no blocks"; the
 * status's "N more" line.
 */
static void
test_client_list(void **state)
{
	static const size_t counts[] = { 0, 1, CLIENT_LIST_BUFFER,
	    CLIENT_LIST_BUFFER + 1, 3 * CLIENT_LIST_BUFFER + 7 };
	struct client_list l;
	struct proto_row r;
	struct block b;
	char src[32], *buf;
	size_t len, i, k, nthr;
	FILE *f;

	(void)state;
	for (k = 0; k < sizeof(counts) / sizeof(counts[0]); k++) {
		buf = NULL;
		f = open_memstream(&buf, &len);
		assert_non_null(f);
		assert_int_equal(client_list_begin(&l, f, 2000.0), 0);
		/* As the daemon sends them: blocked, then throttled. */
		nthr = counts[k] / 3;
		for (i = 0; i < counts[k]; i++) {
			snprintf(src, sizeof(src), "198.18.%zu.%zu", i / 256,
			    i % 256);
			b = sample_block(src, RULE_BURST, i < counts[k] - nthr ?
			    ACT_BLOCK : ACT_THROTTLE, 1000 * US_PER_S,
			    3000 * US_PER_S, "");
			r = wire_row(&b, 0);
			client_list_row(&l, &r);
		}
		client_list_end(&l, k == 1 ? 41 : 0);
		fclose(f);
		assert_int_equal(count_lines(buf, "198.18."), counts[k]);
		assert_int_equal(count_lines(buf, "BLOCKED"),
		    counts[k] - nthr > 0);
		assert_int_equal(count_lines(buf, "THROTTLED"), nthr > 0);
		assert_int_equal(count_lines(buf, "no blocks"), counts[k] == 0);
		assert_int_equal(count_lines(buf, "41 more: nflogmon list"),
		    k == 1);
		free(buf);
	}
}

static const struct {
	const char	*src;
	enum rule	 rule;
	enum action	 act;
	int64_t		 since_us, expires_us;
	bool		 enforced;
	const char	*reason;
	uint32_t	 attempts;
} row_cases[] = {
	{ "192.0.2.7", RULE_BURST, ACT_BLOCK, 1700000003450000LL,
	    1700003603450000LL, true, "", 57 },
	{ "2001:db8:1:2::/64", RULE_MANUAL, ACT_THROTTLE, 1700000000000000LL,
	    DURATION_PERMANENT, true, "ticket 12", 0 },
	{ "2001:db8::25/128", RULE_FANOUT, ACT_DRY_RUN, 1700000000000001LL,
	    1700000000999999LL, false, "", UINT32_MAX },
	{ "uid:4294967295", RULE_SUSTAINED, ACT_BLOCK, 1, 2, false,
	    "quote \" backslash \\ slash / caf\xc3\xa9 \xe2\x82\xac", 3 },
	{ "198.51.100.1", RULE_MANUAL, ACT_BLOCK, 1764000000123456LL,
	    1764003600000000LL, true, "\xf0\x9f\x98\x80 ok", 0 },
};

/*
 * A block through a row frame and the client's JSON writer: the same
 * facts, and the same JSON (members and numbers) as proto_block_json.
 */
static void
test_row_roundtrip(void **state)
{
	uint8_t buf[PROTO_ROW_MAX];
	char text[PROTO_ROW_JSON_MAX];
	struct proto_row r;
	struct block b;
	json_t *want, *got;
	size_t i, n, room;

	(void)state;
	for (i = 0; i < sizeof(row_cases) / sizeof(row_cases[0]); i++) {
		b = sample_block(row_cases[i].src, row_cases[i].rule, row_cases[i].act,
		    row_cases[i].since_us, row_cases[i].expires_us, row_cases[i].reason);
		b.enforced = row_cases[i].enforced;
		n = proto_row_put(buf, sizeof(buf), &b, row_cases[i].attempts);
		assert_true(n > 0 && n <= PROTO_ROW_MAX);
		/* Never more than room. */
		for (room = 0; room < n; room++)
			assert_int_equal(proto_row_put(buf, room, &b,
			    row_cases[i].attempts), 0);
		assert_int_equal(proto_row_get(buf, n, &r), n);
		assert_string_equal(r.source, row_cases[i].src);
		assert_string_equal(r.rule, rule_name(row_cases[i].rule));
		assert_string_equal(r.action, action_name(row_cases[i].act));
		assert_string_equal(r.reason, row_cases[i].reason);
		assert_int_equal(r.since_us, row_cases[i].since_us);
		assert_int_equal(r.expires_us, row_cases[i].expires_us);
		assert_int_equal(r.attempts, row_cases[i].attempts);
		assert_int_equal(r.enforced, row_cases[i].enforced);
		assert_int_equal(r.strikes, 2);
		assert_int_equal(r.connections, 21);
		n = proto_row_json(&r, text);
		assert_int_equal(n, strlen(text));
		got = json_loadb(text, n, JSON_REJECT_DUPLICATES, NULL);
		if (got == NULL)
			fail_msg("not JSON: %s", text);
		want = proto_block_json(&b, row_cases[i].attempts);
		if (!json_equal(want, got))
			fail_msg("row %zu: %s", i, text);
		json_decref(want);
		json_decref(got);
	}
}

/* Every cut and every bad field of a row is refused, never read past. */
static void
test_row_malformed(void **state)
{
	uint8_t buf[PROTO_ROW_MAX], bad[PROTO_ROW_MAX];
	struct proto_row r;
	struct block b;
	size_t n, cut, i;

	(void)state;
	b = sample_block("192.0.2.7", RULE_BURST, ACT_THROTTLE, 1, 2, "why");
	n = proto_row_put(buf, sizeof(buf), &b, 1);
	for (cut = 0; cut < n; cut++)
		assert_int_equal(proto_row_get(buf, cut, &r), 0);
	/* The source's length past the end. */
	memcpy(bad, buf, n);
	bad[0] = 0;
	bad[1] = 200;
	assert_int_equal(proto_row_get(bad, n, &r), 0);
	/* A source longer than any key (lengths are 2 bytes, big-endian). */
	memset(bad, 'a', sizeof(bad));
	bad[0] = KEY_STRLEN >> 8;
	bad[1] = KEY_STRLEN & 0xff;
	assert_int_equal(proto_row_get(bad, sizeof(bad), &r), 0);
	/* A quote in the source, a control character anywhere, empty. */
	for (i = 1; i <= 9; i++) {
		memcpy(bad, buf, n);
		bad[i + 1] = i == 1 ? '"' : i == 2 ? '\\' : i == 3 ? 0x7f :
		    i == 4 ? 0x80 : '\n';
		assert_int_equal(proto_row_get(bad, n, &r), 0);
	}
	memcpy(bad, buf, n);
	bad[0] = bad[1] = 0;
	assert_int_equal(proto_row_get(bad, n, &r), 0);
	/* enforced neither 0 nor 1: after 3 strings and 3 u32. */
	memcpy(bad, buf, n);
	i = 2 + (size_t)(buf[0] << 8 | buf[1]);
	i += 2 + (size_t)(buf[i] << 8 | buf[i + 1]);
	i += 2 + (size_t)(buf[i] << 8 | buf[i + 1]);
	i += 12;
	assert_int_equal(bad[i], 1);
	bad[i] = 2;
	assert_int_equal(proto_row_get(bad, n, &r), 0);
	/* A newline in the reason ("why", after the two times). */
	memcpy(bad, buf, n);
	assert_int_equal(bad[i + 17] << 8 | bad[i + 18], 3);
	bad[i + 19] = '\n';
	assert_int_equal(proto_row_get(bad, n, &r), 0);
}

/* A reason that is not UTF-8 (a hand-edited state file) is still JSON. */
static void
test_row_json_bytes(void **state)
{
	struct proto_row r;
	char text[PROTO_ROW_JSON_MAX];
	json_t *o;

	(void)state;
	memset(&r, 0, sizeof(r));
	snprintf(r.source, sizeof(r.source), "192.0.2.7");
	snprintf(r.rule, sizeof(r.rule), "manual");
	snprintf(r.action, sizeof(r.action), "block");
	snprintf(r.reason, sizeof(r.reason), "a\xff" "b\xc3" "\xed\xa0\x80"
	    "\xc0\xaf" "c\xf0\x9f\x98");
	r.expires_us = DURATION_PERMANENT;
	r.since_us = -1500000;
	proto_row_json(&r, text);
	o = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	if (o == NULL)
		fail_msg("not JSON: %s", text);
	assert_string_equal(json_string_value(json_object_get(o, "reason")),
	    "a\xef\xbf\xbd" "b\xef\xbf\xbd" "\xef\xbf\xbd\xef\xbf\xbd"
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" "c\xef\xbf\xbd"
	    "\xef\xbf\xbd\xef\xbf\xbd");
	assert_true(json_number_value(json_object_get(o, "since")) == -1.5);
	assert_true(json_is_null(json_object_get(o, "expires")));
	json_decref(o);
}

/* ------------------------------------------------- the server, for real */

static struct daemon tdaemon;
static char tdir[64];

static int
ctl_setup(void **state)
{
	static const uint8_t hashkey[16];
	struct ctl *c;
	char err[256];

	snprintf(tdir, sizeof(tdir), "/tmp/test_proto.XXXXXX");
	assert_non_null(mkdtemp(tdir));
	memset(&tdaemon, 0, sizeof(tdaemon));
	tdaemon.conf = conf_defaults();
	assert_non_null(tdaemon.conf);
	tdaemon.engine = engine_new(tdaemon.conf, hashkey);
	tdaemon.blocks = blocks_new();
	assert_non_null(tdaemon.engine);
	assert_non_null(tdaemon.blocks);
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
	engine_free(tdaemon.engine);
	blocks_free(tdaemon.blocks);
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

/* ------------------------------------------------------- streamed replies */

/* Blocks 198.18.0.0 and on (n < 65536), every third one throttled. */
static void
add_blocks(size_t from, size_t n)
{
	struct block b;
	char src[32];
	size_t i;

	for (i = from; i < from + n; i++) {
		snprintf(src, sizeof(src), "198.18.%zu.%zu", i / 256, i % 256);
		b = sample_block(src, RULE_BURST, i % 3 == 2 ? ACT_THROTTLE :
		    ACT_BLOCK, (int64_t)(1000 + i) * US_PER_S,
		    DURATION_PERMANENT, "");
		assert_int_equal(blocks_put(tdaemon.blocks, &b), 0);
	}
}

static size_t
addr_index(const char *src)
{
	unsigned a, b;

	assert_int_equal(sscanf(src, "198.18.%u.%u", &a, &b), 2);
	return a * 256 + b;
}

/* The reading end of a stream: a buffer of one message at most. */
struct rdr {
	uint8_t		 buf[PROTO_HDR_LEN + PROTO_MAX_REPLY];
	size_t		 have, msglen;
};

/* The next whole message at the head of r->buf (pumping the server), or
 * 0 when the server closed the connection. */
static int
next_message(struct ctl *c, int fd, struct rdr *r)
{
	ssize_t n;

	if (r->msglen > 0) {
		memmove(r->buf, r->buf + r->msglen, r->have - r->msglen);
		r->have -= r->msglen;
		r->msglen = 0;
	}
	for (;;) {
		if (proto_frame(r->buf, r->have, PROTO_MAX_REPLY, &r->msglen)
		    == 1)
			return 1;
		r->msglen = 0;
		pump(c, fd);
		n = recv(fd, r->buf + r->have, sizeof(r->buf) - r->have, 0);
		if (n == 0 || (n == -1 && errno == ECONNRESET))
			return 0;
		assert_true(n > 0);
		r->have += (size_t)n;
	}
}

/* The header of a stream, its JSON checked; the count of blocks held. */
static json_int_t
read_header(struct ctl *c, int fd, struct rdr *r)
{
	char err[128];
	json_int_t count;
	json_t *o;

	assert_int_equal(next_message(c, fd, r), 1);
	o = proto_unpack(r->buf + PROTO_HDR_LEN, r->msglen - PROTO_HDR_LEN,
	    PROTO_MAX_REPLY, err, sizeof(err));
	assert_non_null(o);
	assert_true(json_is_true(json_object_get(o, "ok")));
	assert_true(json_is_true(json_object_get(o, "stream")));
	count = json_integer_value(json_object_get(o, "count"));
	json_decref(o);
	return count;
}

/*
 * The rows of the next frame into seen[] (times each address came) and
 * *throttled (a throttled row came; NULL: any order); 1 frame, 0 the end
 * (its count checked against *rows).
 */
static int
read_rows(struct ctl *c, int fd, struct rdr *r, uint8_t *seen, size_t *rows,
    bool *throttled)
{
	struct proto_row row;
	const uint8_t *p;
	size_t left, used;
	json_t *o;

	assert_int_equal(next_message(c, fd, r), 1);
	p = r->buf + PROTO_HDR_LEN;
	left = r->msglen - PROTO_HDR_LEN;
	if (p[0] != PROTO_ROW_FRAME) {
		o = proto_unpack(p, left, PROTO_MAX_REPLY, NULL, 0);
		assert_non_null(o);
		assert_true(json_is_true(json_object_get(o, "end")));
		assert_int_equal(json_integer_value(json_object_get(o,
		    "rows")), *rows);
		json_decref(o);
		return 0;
	}
	assert_true(left <= PROTO_MAX_FRAME);
	for (p++, left--; left > 0; p += used, left -= used) {
		used = proto_row_get(p, left, &row);
		assert_true(used > 0);
		/* Blocked first, then throttled: the client's two tables. */
		if (throttled == NULL)
			;
		else if (strcmp(row.action, "throttle") == 0)
			*throttled = true;
		else
			assert_false(*throttled);
		seen[addr_index(row.source)]++;
		(*rows)++;
	}
	return 1;
}

/*
 * Blocks end and start while a listing streams (blocks.c moves its last
 * record into a hole): every block held during the whole listing comes
 * exactly once, one that ended well before its turn never, none twice.
 * "Well before": rows the daemon wrote but the test has not read yet (in
 * the socket, in the daemon's buffer) are fewer than IN_FLIGHT.
 */
static void
test_ctl_stream_changes(void **state)
{
	enum { N = 30000, NEW = 300, IN_FLIGHT = 10000 };
	static uint8_t seen[N + NEW];
	static size_t pos[N];
	struct ctl *c = *state;
	struct rdr *r = malloc(sizeof(*r));
	struct block b;
	size_t rows = 0, i, nframes = 0, removed = 0, n, ngone = 0;
	bool throttled = false, changed = false;
	uint8_t gone[N + NEW] = { 0 };
	int fd, pass;

	assert_non_null(r);
	r->have = r->msglen = 0;
	memset(seen, 0, sizeof(seen));
	add_blocks(0, N);
	/* The order of the rows: as blocks_at, blocked, then throttled. */
	for (pass = 0, n = 0; pass < 2; pass++)
		for (i = 0; i < N; i++) {
			b = *blocks_at(tdaemon.blocks, i);
			if ((b.action == ACT_THROTTLE) == (pass == 1))
				pos[b.key.addr[2] * 256 + b.key.addr[3]] = n++;
		}
	fd = tconnect();
	send_json(fd, "{\"cmd\":\"list\"}");
	assert_int_equal(read_header(c, fd, r), N);
	while (read_rows(c, fd, r, seen, &rows, &throttled) == 1) {
		if (++nframes != 3)
			continue;
		/* Mid-stream: end 1 in 7 blocks, sent or not; start new ones;
		 * end one and start it again. */
		assert_true(rows < N / 3);
		changed = true;
		for (i = 0; i < N; i += 7) {
			b = sample_block("192.0.2.1", RULE_BURST, ACT_BLOCK, 0,
			    0, "");
			b.key.addr[0] = 198;
			b.key.addr[1] = 18;
			b.key.addr[2] = (uint8_t)(i / 256);
			b.key.addr[3] = (uint8_t)(i % 256);
			if (pos[i] >= rows + IN_FLIGHT) {
				gone[i] = 1;
				ngone++;
			}
			assert_int_equal(blocks_remove(tdaemon.blocks, &b.key),
			    0);
			removed++;
		}
		add_blocks(N, NEW);
		b = *blocks_at(tdaemon.blocks, 1);
		assert_int_equal(blocks_remove(tdaemon.blocks, &b.key), 0);
		assert_int_equal(blocks_put(tdaemon.blocks, &b), 0);
	}
	assert_true(changed);
	assert_true(throttled);
	assert_true(ngone > 1000);
	for (i = 0; i < N + NEW; i++) {
		if (seen[i] > 1)
			fail_msg("198.18.%zu.%zu listed %u times", i / 256,
			    i % 256, seen[i]);
		if (i < N && i % 7 != 0 && seen[i] != 1)
			fail_msg("198.18.%zu.%zu held throughout, not listed",
			    i / 256, i % 256);
		if (gone[i] && seen[i] != 0)
			fail_msg("198.18.%zu.%zu listed after it ended",
			    i / 256, i % 256);
	}
	assert_true(rows < N && rows >= N - removed);
	/* The connection stays for the next request. */
	send_json(fd, "{\"cmd\":\"list\",\"recent\":3}");
	assert_int_equal(read_header(c, fd, r), N - removed + NEW);
	close(fd);
	free(r);
}

/* No blocks: a header, no rows, the end; the next request is served. */
static void
test_ctl_stream_empty(void **state)
{
	static uint8_t seen[1];
	struct ctl *c = *state;
	struct rdr *r = malloc(sizeof(*r));
	size_t rows = 0;
	bool throttled = false;
	int fd = tconnect(), i;

	assert_non_null(r);
	for (i = 0; i < 2; i++) {
		r->have = r->msglen = 0;
		send_json(fd, i == 0 ? "{\"cmd\":\"list\"}" :
		    "{\"cmd\":\"status\",\"recent\":20}");
		assert_int_equal(read_header(c, fd, r), 0);
		assert_int_equal(read_rows(c, fd, r, seen, &rows, &throttled),
		    0);
		assert_int_equal(rows, 0);
	}
	close(fd);
	free(r);
}

/* Bytes queued for reading on fd. */
static int
queued(int fd)
{
	uint8_t b[65536];
	int total = 0;
	ssize_t n;

	n = recv(fd, b, sizeof(b), MSG_PEEK | MSG_DONTWAIT);
	if (n > 0)
		total = (int)n;
	return total;
}

/*
 * Clients that ask for a full listing and never read: the others are
 * still answered (status, recent blocks); at most CTL_MAX_LISTINGS run at
 * once and a further one waits, sending nothing, until a place frees.
 */
static void
test_ctl_stream_slow(void **state)
{
	enum { N = 50000, STUCK = 5 };
	static uint8_t seen[N];
	struct ctl *c = *state;
	struct rdr *r = malloc(sizeof(*r));
	struct pollfd p;
	size_t rows = 0;
	bool throttled = false;
	int stuck[STUCK], fd, i;

	assert_non_null(r);
	r->have = r->msglen = 0;
	add_blocks(0, N);
	for (i = 0; i < STUCK; i++) {
		stuck[i] = tconnect();
		send_json(stuck[i], "{\"cmd\":\"list\"}");
	}
	for (i = 0; i < 2000; i++)
		ctl_dispatch(c);
	/* Four hold what the socket holds, no more; the fifth waits. */
	for (i = 0; i < STUCK - 1; i++)
		assert_true(queued(stuck[i]) > 0);
	p.fd = stuck[STUCK - 1];
	p.events = POLLIN;
	assert_int_equal(poll(&p, 1, 0), 0);

	/* A status is answered meanwhile: 20 recent rows, newest first. */
	fd = tconnect();
	send_json(fd, "{\"cmd\":\"status\",\"recent\":20}");
	assert_int_equal(read_header(c, fd, r), N);
	memset(seen, 0, sizeof(seen));
	while (read_rows(c, fd, r, seen, &rows, NULL) == 1)
		;
	assert_int_equal(rows, 20);
	for (i = N - 20; i < N; i++)
		assert_int_equal(seen[i], 1);
	close(fd);

	/* The four go away: the fifth gets all of its listing. */
	for (i = 0; i < STUCK - 1; i++)
		close(stuck[i]);
	r->have = r->msglen = 0;
	rows = 0;
	throttled = false;
	memset(seen, 0, sizeof(seen));
	assert_int_equal(read_header(c, stuck[STUCK - 1], r), N);
	while (read_rows(c, stuck[STUCK - 1], r, seen, &rows, &throttled)
	    == 1)
		;
	assert_int_equal(rows, N);
	for (i = 0; i < N; i++)
		assert_int_equal(seen[i], 1);
	close(stuck[STUCK - 1]);
	free(r);
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
		cmocka_unit_test(test_client_list),
		cmocka_unit_test(test_row_roundtrip),
		cmocka_unit_test(test_row_malformed),
		cmocka_unit_test(test_row_json_bytes),
		cmocka_unit_test(test_call_no_answer),
		cmocka_unit_test_setup_teardown(test_ctl_requests, ctl_setup,
		    ctl_teardown),
		cmocka_unit_test_setup_teardown(test_ctl_hostile, ctl_setup,
		    ctl_teardown),
		cmocka_unit_test_setup_teardown(test_ctl_stream_empty,
		    ctl_setup, ctl_teardown),
		cmocka_unit_test_setup_teardown(test_ctl_stream_changes,
		    ctl_setup, ctl_teardown),
		cmocka_unit_test_setup_teardown(test_ctl_stream_slow,
		    ctl_setup, ctl_teardown),
		cmocka_unit_test_setup_teardown(test_ctl_refuses_second,
		    ctl_setup, ctl_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
