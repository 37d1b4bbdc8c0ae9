/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Merge Python frames into a native stack: each native evaluator frame is replaced
 * by the Python frames of that evaluator call. */
#ifndef MEMSPY_PYTHON_MERGE_H
#define MEMSPY_PYTHON_MERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MS_MERGE_NONE UINT32_MAX

/* One frame of a merged stack: a native frame (index into the native stack) or a
 * Python frame (index into the Python stack); the other index is MS_MERGE_NONE. */
struct py_merge_item {
	uint32_t native;
	uint32_t py;
};

/* Merge n native frames (innermost first; is_eval[i] when frame i runs the
 * evaluator) with nr_py Python frames (innermost first; bit i of entry set when
 * Python frame i is the first of an evaluator call, so the frames up to and
 * including it belong to one evaluator frame). Evaluator frames and Python groups
 * pair up from the outermost end when the native stack is complete (its root is
 * the real root), from the innermost end otherwise (the outer part is missing).
 * An evaluator frame without a group stays native; groups without an evaluator
 * frame are dropped. Writes at most max items, root first; returns how many. */
size_t python_merge(const bool *is_eval, size_t n, uint64_t entry, size_t nr_py, bool complete,
		    struct py_merge_item *out, size_t max);

#endif
