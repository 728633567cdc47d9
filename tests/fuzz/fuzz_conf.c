/*
 * fuzz_conf.c: libFuzzer target for the configuration parser.  The input
 * is a whole config file read through conf_load_stream (fmemopen); errors
 * go to /dev/null.  A loaded config is also printed and read back, which
 * must succeed: conf_print's output is always valid input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "nflogmon.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	struct conf *c, *c2;
	char *out = NULL;
	size_t outlen;
	FILE *in, *f;

	if (devnull == NULL && (devnull = fopen("/dev/null", "w")) == NULL)
		abort();
	if (size == 0 || size > 1 << 20)
		return 0;
	if ((in = fmemopen((void *)(uintptr_t)data, size, "r")) == NULL)
		return 0;
	c = conf_load_stream(in, "fuzz.conf", devnull);
	fclose(in);
	if (c == NULL)
		return 0;
	if ((f = open_memstream(&out, &outlen)) == NULL)
		abort();
	conf_print(c, f);
	fclose(f);
	if ((in = fmemopen(out, outlen, "r")) == NULL)
		abort();
	if ((c2 = conf_load_stream(in, "printed.conf", stderr)) == NULL)
		abort();	/* conf_print wrote something we reject */
	fclose(in);
	conf_free(c2);
	conf_free(c);
	free(out);
	return 0;
}
