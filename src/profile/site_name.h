/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The name of an allocation site: the frame of its stack a reader knows it by. */
#ifndef MEMSPY_SITE_NAME_H
#define MEMSPY_SITE_NAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile/stacktab.h"

/* The frame that names a site. A Python program's site is its innermost Python
 * line; otherwise, from the leaf, the first frame that is not an allocator entry
 * point, internal or known wrapper (malloc, zmalloc, PyMem_*, operator new, ...:
 * base/alloc_names.h). Returns a frame id, the leaf when every frame is an
 * allocator, or UINT32_MAX for a stack without frames. */
uint32_t site_name_frame(const struct stacktab *t, uint32_t stack_id);
/* The name of that frame, "[no frames]" for a stack without any. */
const char *site_name(const struct stacktab *t, uint32_t stack_id);
/* Longest title site_titles writes, with its terminating NUL. */
#define MS_SITE_TITLE_MAX 512

/* Titles of sites listed together, titles[i] for stack_ids[i]: the site's name
 * where it is unique in the list; where two sites share it, the name and the
 * first frame where their stacks differ, looking outward first:
 * "name (via caller)", else "name (calling callee)" for a frame between the name
 * and the leaf. Stacks alike up to where one was truncated, and the same stack
 * twice, keep the plain name (a list may merge them). */
void site_titles(const struct stacktab *t, const uint32_t *stack_ids, size_t n,
		 char (*titles)[MS_SITE_TITLE_MAX]);
/* Whether two stacks that share a name are alike up to truncation: one's frames
 * are the other's, except callers a truncated stack lacks. */
bool site_same_stack(const struct stacktab *t, uint32_t a, uint32_t b);
/* True for a frame name the allocator list matches, by the name without its
 * arguments, " (inlined)", version, offset or GCC clone suffix. */
bool site_name_is_alloc(const char *frame_name);
/* True for a Python frame's name as python_names makes it:
 * "function (file.py:LINE)". */
bool site_name_is_python(const char *frame_name);

#endif
