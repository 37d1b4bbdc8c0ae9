/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Comparing two profiles: A and B read into one tree, each stack's change as folded lines. */
#ifndef MEMSPY_DIFF_H
#define MEMSPY_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "output/flame_tree.h"
#include "output/pprof_read.h"

/* Read profile A (folded stacks or pprof, flame_tree__read_input) into every
 * node's base and B into its value, so that flame_tree__write_svg (flamegraph.h)
 * draws the differential graph; in (NULL: the defaults) picks the sample type of
 * pprof input and says what B was. exact keeps
 * every frame (what diff_write_folded needs); otherwise the tree's memory is
 * bounded as flame_tree__set_limit says. Reports a failure once through ms_err,
 * naming the file and line. Returns NULL with errno set on failure. */
struct flame_tree *diff_read_files(const char *path_a, const char *path_b, bool exact,
				   struct flame_input *in);
/* Write the change of every stack as folded lines, value - base with a sign
 * ("a;b 512", "a;c -128"), stacks in frame-name order; unchanged stacks are left
 * out. Returns 0 or -EIO. */
int diff_write_folded(const struct flame_tree *t, FILE *out);

#endif
