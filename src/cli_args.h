/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Parse the values command-line options take: sizes and process ids. */
#ifndef MEMSPY_CLI_ARGS_H
#define MEMSPY_CLI_ARGS_H

#include <stdint.h>
#include <sys/types.h>

/* "512K", "1M", "4096", "2GiB" -> bytes. Returns 0 or -EINVAL. */
int cli_parse_size(const char *s, uint64_t *out);
/* A positive process id. Returns 0 or -EINVAL. */
int cli_parse_pid(const char *s, pid_t *out);

#endif
