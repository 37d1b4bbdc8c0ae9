/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Differential flame graphs: profile B's shape, coloured by how each frame changed since A. */
#ifndef MEMSPY_DIFF_H
#define MEMSPY_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "output/flamegraph.h"

/* Read folded profile A into every node's base and B into its value, so that
 * flame_tree__write_svg draws the differential graph. exact keeps every frame
 * (what diff_write_folded needs); otherwise the tree's memory is bounded as
 * flame_tree__set_limit says. Reports a failure once on stderr, naming the file
 * and line. Returns NULL with errno set on failure. */
struct flame_tree *diff_read_files(const char *path_a, const char *path_b, bool exact);
/* Write the change of every stack as folded lines, value - base with a sign
 * ("a;b 512", "a;c -128"), stacks in frame-name order; unchanged stacks are left
 * out. Returns 0 or -EIO. */
int diff_write_folded(const struct flame_tree *t, FILE *out);
/* The fill of a frame that went from base to value: red when it grew, blue when it
 * shrank, white when unchanged; the colour is deeper the closer |value - base| is to
 * max_change (the largest change of any frame drawn). */
void diff_color(uint64_t value, uint64_t base, double max_change, char *buf, size_t size);

#endif
