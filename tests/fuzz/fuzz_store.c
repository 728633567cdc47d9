/*
 * fuzz_store.c: the state store's rows as they are read back at start
 * (store_load.c), on arbitrary values.  The input is a list of rows: a
 * byte picks the table, then each column is a byte picking its SQLite
 * type (NULL, integer, real, text, blob) and its value.  Rows go into an
 * in-memory database of the store's schema (a row a constraint refuses is
 * skipped), store_load_rows reads them back, and what it accepts must be
 * what the state file format accepts too: written as text, it parses
 * again to as many records.  The loader's messages go to /dev/null.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "daemon.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const struct {
	const char	*sql;
	int		 ncols;
} tables[] = {
	{ "INSERT OR REPLACE INTO meta VALUES (?,?)", 2 },
	{ "INSERT OR REPLACE INTO blocks VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
	    13 },
	{ "INSERT INTO strikes VALUES (?,?)", 2 },
	{ "INSERT OR REPLACE INTO counters VALUES (?,?,?,?,?,?,?,?,?,?)", 10 },
	{ "INSERT OR REPLACE INTO fleet_ids VALUES (?,?)", 2 },
	{ "INSERT OR REPLACE INTO fleet_jobs VALUES (?,?,?,?,?,?,?)", 7 },
};
#define NTABLES	(sizeof(tables) / sizeof(tables[0]))

struct in {
	const uint8_t	*p;
	size_t		 left;
};

static uint8_t
in_u8(struct in *in)
{
	if (in->left == 0)
		return 0;
	in->left--;
	return *in->p++;
}

static int64_t
in_i64(struct in *in)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | in_u8(in);
	return (int64_t)v;
}

/* One column's value: type in the low bits of a byte. */
static void
bind_one(sqlite3_stmt *st, int col, struct in *in)
{
	uint8_t t = in_u8(in);
	size_t n;
	int64_t v;
	double d;

	switch (t % 6) {
	case 0:
		sqlite3_bind_null(st, col);
		break;
	case 1:	/* a small integer: the usual case of most columns */
		sqlite3_bind_int64(st, col, (int8_t)in_u8(in));
		break;
	case 2:
		sqlite3_bind_int64(st, col, in_i64(in));
		break;
	case 3:
		v = in_i64(in);
		memcpy(&d, &v, sizeof(d));
		sqlite3_bind_double(st, col, d);
		break;
	case 4:
	case 5:
		n = in_u8(in);
		if (n > in->left)
			n = in->left;
		if (t % 6 == 4)
			sqlite3_bind_text(st, col, (const char *)in->p, (int)n,
			    SQLITE_TRANSIENT);
		else
			sqlite3_bind_blob(st, col, in->p, (int)n,
			    SQLITE_TRANSIENT);
		in->p += n;
		in->left -= n;
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static int quiet = -1;
	sqlite3_stmt *ins[NTABLES];
	struct in in = { data, len };
	struct state st, back;
	char err[256], *buf = NULL;
	size_t blen = 0, t;
	sqlite3 *db;
	FILE *f;
	int i, saved, rc;

	if (quiet == -1 && getenv("FUZZ_STORE_VERBOSE") == NULL &&
	    (quiet = open("/dev/null", O_WRONLY)) == -1)
		abort();
	if (sqlite3_open(":memory:", &db) != SQLITE_OK ||
	    sqlite3_exec(db, store_schema, NULL, NULL, NULL) != SQLITE_OK)
		abort();
	for (t = 0; t < NTABLES; t++)
		if (sqlite3_prepare_v2(db, tables[t].sql, -1, &ins[t], NULL) !=
		    SQLITE_OK)
			abort();
	while (in.left > 0) {
		t = in_u8(&in) % NTABLES;
		for (i = 1; i <= tables[t].ncols; i++)
			bind_one(ins[t], i, &in);
		(void)sqlite3_step(ins[t]);
		sqlite3_reset(ins[t]);
		sqlite3_clear_bindings(ins[t]);
	}
	for (t = 0; t < NTABLES; t++)
		sqlite3_finalize(ins[t]);

	saved = -1;
	if (quiet != -1) {
		fflush(stderr);
		saved = dup(2);
		dup2(quiet, 2);
	}
	err[0] = '\0';
	rc = store_load_rows(db, "fuzz.db", 64, &st, err, sizeof(err));
	if (saved != -1) {
		fflush(stderr);
		dup2(saved, 2);
		close(saved);
	}
	sqlite3_close(db);
	if (rc == -1) {
		if (err[0] == '\0')
			abort();
		return 0;
	}
	if ((f = open_memstream(&buf, &blen)) == NULL)
		abort();
	state_write(f, &st);
	fclose(f);
	if (state_parse(buf, blen, 64, &back, err, sizeof(err)) == -1) {
		fprintf(stderr, "fuzz_store: %s\n%s", err, buf);
		abort();
	}
	if (back.nblocks != st.nblocks || back.nstrikes != st.nstrikes ||
	    back.ncounts != st.ncounts || back.nslots != st.nslots ||
	    back.has_hashkey != st.has_hashkey)
		abort();
	free(buf);
	state_free(&st);
	state_free(&back);
	return 0;
}
