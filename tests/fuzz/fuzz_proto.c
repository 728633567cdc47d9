/*
 * fuzz_proto.c: the control protocol on arbitrary bytes, from both ends.
 * As the daemon reads them (ctl.c): the bytes are a stream of request
 * frames; each whole frame is unpacked and parsed, and a request that
 * parses must say so again after proto_request_json and proto_pack (the
 * same request back).  As the client reads them (proto.c, client.c): the
 * bytes are a reply stream; a row frame's rows are decoded, each must give
 * JSON text within PROTO_ROW_JSON_MAX that jansson reads as an object, and
 * goes through the human table; a JSON message goes through the human
 * status.  Output goes to /dev/null.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static FILE *devnull;

static void
same_request(const struct proto_request *a, const struct proto_request *b)
{
	if (a->cmd != b->cmd || a->recent != b->recent ||
	    strcmp(a->source, b->source) != 0 ||
	    a->has_timeout != b->has_timeout ||
	    strcmp(a->reason, b->reason) != 0)
		abort();
	/* A timeout goes through seconds as a double: within a microsecond. */
	if (a->has_timeout && (a->timeout_us == DURATION_PERMANENT) !=
	    (b->timeout_us == DURATION_PERMANENT))
		abort();
	if (a->has_timeout && a->timeout_us != DURATION_PERMANENT &&
	    (a->timeout_us - b->timeout_us > 1 ||
	    b->timeout_us - a->timeout_us > 1))
		abort();
}

/* One request frame's payload, as ctl.c takes it. */
static void
request(const uint8_t *p, size_t n)
{
	struct proto_request r, again;
	char err[256];
	json_t *o, *back;
	uint8_t *m;
	size_t mlen, flen;

	if ((o = proto_unpack(p, n, PROTO_MAX_MSG, err, sizeof(err))) == NULL) {
		if (err[0] == '\0')
			abort();
		return;
	}
	err[0] = '\0';
	if (proto_request_parse(o, &r, err, sizeof(err)) == -1) {
		if (err[0] == '\0')
			abort();
		json_decref(o);
		return;
	}
	json_decref(o);
	if ((back = proto_request_json(&r)) == NULL)
		abort();
	if (proto_pack(back, PROTO_MAX_MSG, &m, &mlen) == -1)
		abort();
	json_decref(back);
	if (proto_frame(m, mlen, PROTO_MAX_MSG, &flen) != 1 || flen != mlen)
		abort();
	o = proto_unpack(m + PROTO_HDR_LEN, mlen - PROTO_HDR_LEN,
	    PROTO_MAX_MSG, err, sizeof(err));
	free(m);
	if (o == NULL || proto_request_parse(o, &again, err, sizeof(err)) ==
	    -1)
		abort();
	json_decref(o);
	same_request(&r, &again);
}

/* One row frame's rows (type byte skipped), as the client takes them. */
static void
rows(const uint8_t *p, size_t n, struct client_list *l)
{
	static char buf[PROTO_ROW_JSON_MAX + 64];
	struct proto_row row;
	json_error_t jerr;
	json_t *o;
	size_t used, len;

	for (; n > 0; p += used, n -= used) {
		if ((used = proto_row_get(p, n, &row)) == 0)
			return;
		if (used > n)
			abort();
		memset(buf + PROTO_ROW_JSON_MAX, 0x5a, 64);
		len = proto_row_json(&row, buf);
		if (len >= PROTO_ROW_JSON_MAX || strlen(buf) != len ||
		    buf[PROTO_ROW_JSON_MAX] != 0x5a)
			abort();
		if ((o = json_loadb(buf, len, 0, &jerr)) == NULL ||
		    !json_is_object(o))
			abort();
		json_decref(o);
		client_list_row(l, &row);
	}
}

/* The bytes as a reply stream: messages until a bad header or the end. */
static void
reply(const uint8_t *data, size_t len)
{
	struct client_list l;
	char err[256];
	json_t *o;
	size_t off, msglen;

	if (client_list_begin(&l, devnull, 1.7e9) == -1)
		return;
	for (off = 0; proto_frame(data + off, len - off, PROTO_MAX_REPLY,
	    &msglen) == 1; off += msglen) {
		const uint8_t *p = data + off + PROTO_HDR_LEN;
		size_t n = msglen - PROTO_HDR_LEN;

		if (p[0] == PROTO_ROW_FRAME) {
			rows(p + 1, n - 1, &l);
			continue;
		}
		if ((o = proto_unpack(p, n, PROTO_MAX_REPLY, err,
		    sizeof(err))) == NULL)
			continue;
		client_print_status(devnull, o);
		json_decref(o);
	}
	client_list_end(&l, len & 1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	size_t off, msglen;
	int f;

	if (devnull == NULL && (devnull = fopen("/dev/null", "w")) == NULL)
		abort();
	for (off = 0; (f = proto_frame(data + off, len - off, PROTO_MAX_MSG,
	    &msglen)) == 1; off += msglen) {
		if (msglen <= PROTO_HDR_LEN || msglen > len - off)
			abort();
		request(data + off + PROTO_HDR_LEN, msglen - PROTO_HDR_LEN);
	}
	reply(data, len);
	return 0;
}
