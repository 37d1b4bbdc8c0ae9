/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The name of an allocation site: the frame of its stack a reader knows it by. */
#ifndef MEMSPY_SITE_NAME_H
#define MEMSPY_SITE_NAME_H

#include <stdbool.h>
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
/* True for a frame name the allocator list matches, by the name without its
 * arguments, " (inlined)", version, offset or GCC clone suffix. */
bool site_name_is_alloc(const char *frame_name);
/* True for a Python frame's name as python_names makes it:
 * "function (file.py:LINE)". */
bool site_name_is_python(const char *frame_name);

#endif
