/*
 * wip_stubs.c: TEMPORARY.  Weak placeholders so the binary links while the
 * subcommands are written in parallel; each real definition overrides its
 * placeholder.  This file is deleted before the first submission.
 */
#include <stdio.h>

#include "nflogmon.h"

#define WIP(fn) \
	__attribute__((weak)) int fn(int argc, char **argv) \
	{ (void)argc; (void)argv; fprintf(stderr, #fn ": not built yet\n"); \
	  return EXIT_ERR; }

WIP(cmd_run)
WIP(cmd_status)
WIP(cmd_list)
WIP(cmd_block)
WIP(cmd_unblock)
WIP(cmd_replay)
WIP(cmd_check_config)
