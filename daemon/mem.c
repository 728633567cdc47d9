/*
 * mem.c: the daemon's big arrays (the source table, the blocks and their
 * index, the rows a start loads) are first touched page by page: a
 * million blocks restored are some 200,000 faults of 4 KiB, seconds of a
 * start on a virtual machine.  mem_hugepages asks for transparent huge
 * pages over such an array (512 times fewer faults).  A hint: ignored
 * where THP is off or the array is small.  The whole mapping of a large
 * malloc chunk is advised, so its VMA is never split and a later realloc
 * can still grow it in place (mremap).
 */
#include <sys/mman.h>

#include <stdint.h>
#include <unistd.h>

#include "nflogmon.h"

#define MEM_HUGE	((size_t)2 << 20)

void
mem_hugepages(void *p, size_t len)
{
	uintptr_t a, e, pg = (uintptr_t)sysconf(_SC_PAGESIZE);

	if (p == NULL || len < MEM_HUGE || pg == 0 || (pg & (pg - 1)) != 0)
		return;
	a = (uintptr_t)p & ~(pg - 1);
	e = ((uintptr_t)p + len + pg - 1) & ~(pg - 1);
	(void)madvise((void *)a, e - a, MADV_HUGEPAGE);
}
