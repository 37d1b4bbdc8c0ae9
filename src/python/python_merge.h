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

/* Python frames as read from a 3.13 thread (innermost first, bit i of shims set
 * when frame i is a shim an evaluator call pushed first) as python_merge takes
 * them: the shims, which run no Python code, dropped; raw[j] is the index read of
 * the j-th frame kept, and bit j of *entry is set when that frame is the first of
 * its evaluator call (the one read just before a shim). Returns how many frames
 * were kept; nr is at most 64. */
size_t python_merge_drop_shims(uint64_t shims, size_t nr, uint32_t *raw, uint64_t *entry);

/* Leave out the frames raw[i] (i < nr, at most 64) whose bit i of drop is set,
 * compacting raw and *entry (bits as python_merge takes them): a dropped frame
 * that ended its evaluator call passes the mark to the frame kept just inside
 * it, and is kept when there is none, since a group lost would pair the others
 * with the wrong evaluator frames. Returns how many frames are left. */
size_t python_merge_drop_frames(uint64_t drop, size_t nr, uint32_t *raw, uint64_t *entry);

#endif
