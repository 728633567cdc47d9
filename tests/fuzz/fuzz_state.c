/*
 * fuzz_state.c: the state file parser on arbitrary bytes.  Whatever it
 * accepts must write back and parse again to the same records (window
 * counters and their slots included).
 */
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct state st, back;
	char err[256], *buf = NULL;
	size_t blen = 0, i;
	FILE *f;

	if (state_parse((const char *)data, len, 64, &st, err,
	    sizeof(err)) == -1)
		return 0;
	if ((f = open_memstream(&buf, &blen)) == NULL)
		abort();
	state_write(f, &st);
	fclose(f);
	if (state_parse(buf, blen, 64, &back, err, sizeof(err)) == -1 ||
	    back.nblocks != st.nblocks || back.nstrikes != st.nstrikes ||
	    back.ncounts != st.ncounts || back.nslots != st.nslots ||
	    back.has_hashkey != st.has_hashkey ||
	    memcmp(back.hashkey, st.hashkey, sizeof(st.hashkey)) != 0)
		abort();
	for (i = 0; i < st.ncounts; i++) {
		const struct engine_counters *a = &st.counts[i];
		const struct engine_counters *b = &back.counts[i];
		if (memcmp(&a->key, &b->key, sizeof(a->key)) != 0 ||
		    a->connections != b->connections ||
		    a->first_us != b->first_us || a->last_us != b->last_us ||
		    memcmp(a->buckets, b->buckets, sizeof(a->buckets)) != 0 ||
		    memcmp(a->bucket_us, b->bucket_us,
		    sizeof(a->bucket_us)) != 0 || a->nslots != b->nslots ||
		    (a->nslots > 0 && memcmp(a->slots, b->slots,
		    a->nslots * sizeof(*a->slots)) != 0))
			abort();
	}
	for (i = 0; i < st.nblocks; i++)
		if (memcmp(&st.blocks[i].b.key, &back.blocks[i].b.key,
		    sizeof(struct key)) != 0 ||
		    st.blocks[i].b.expires_us != back.blocks[i].b.expires_us ||
		    strcmp(st.blocks[i].b.reason, back.blocks[i].b.reason) != 0)
			abort();
	free(buf);
	state_free(&st);
	state_free(&back);
	return 0;
}
