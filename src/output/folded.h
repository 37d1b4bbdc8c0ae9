/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Folded stacks, the text format flamegraph.pl and inferno read: "a;b;c 123". */
#ifndef MEMSPY_FOLDED_H
#define MEMSPY_FOLDED_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "profile/stacktab.h"

/* Write one line per stack with a value > 0; stacks whose lines would be equal are
 * merged (values summed). prefix, when not NULL, becomes the root frame of every line
 * (--threads, --children). A truncated stack gets a "[truncated]" frame at its root
 * (after the prefix), so flame graphs never show it as whole; a frame whose name is
 * empty after escaping, and a stack with no frames, show as "[unknown]". Frame names
 * are made safe: ';' becomes ':', control characters and spaces at the ends are
 * dropped. Lines are sorted by stack text (byte order) so output is stable.
 * Returns 0 or -errno (-ENOMEM, or the write error). */
int folded_write(FILE *f, const struct stacktab *t, const uint32_t *stack_ids,
		 const uint64_t *values, size_t n, const char *prefix);
/* Write one frame name made safe as above into buf: NUL-terminated, cut to fit
 * size without splitting a UTF-8 character. */
void folded_escape_frame(const char *name, char *buf, size_t size);

#endif
