/*
 * fuzz_rows.c: the client's decoder of the daemon's row frames
 * (proto_row_get) on arbitrary bytes, and its JSON writer on whatever the
 * decoder accepts: every accepted row must come out as one JSON object
 * that jansson reads back, within PROTO_ROW_JSON_MAX bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char text[PROTO_ROW_JSON_MAX];
	struct proto_row row;
	size_t used, n;
	json_t *o;

	while (len > 0 && (used = proto_row_get(data, len, &row)) > 0) {
		if (used > len || used > PROTO_ROW_MAX)
			abort();
		n = proto_row_json(&row, text);
		if (n >= sizeof(text) || strlen(text) != n)
			abort();
		o = json_loadb(text, n, JSON_REJECT_DUPLICATES, NULL);
		if (o == NULL || !json_is_object(o) ||
		    strcmp(json_string_value(json_object_get(o, "source")),
		    row.source) != 0)
			abort();
		json_decref(o);
		data += used;
		len -= used;
	}
	return 0;
}
