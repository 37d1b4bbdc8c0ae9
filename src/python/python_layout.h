/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The structure offsets memspy reads CPython with, per version: fixed ones for 3.11,
 * the interpreter's own _Py_DebugOffsets (the head of _PyRuntime) for 3.13 to 3.15. */
#ifndef MEMSPY_PYTHON_LAYOUT_H
#define MEMSPY_PYTHON_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "memspy/events.h"

/* Where a code object keeps what names a frame (user space reads it). */
struct python_code_layout {
	uint32_t name;	     /* PyCodeObject.co_name (str) */
	uint32_t filename;   /* PyCodeObject.co_filename (str) */
	uint32_t firstlineno; /* PyCodeObject.co_firstlineno (int) */
	uint32_t linetable;  /* PyCodeObject.co_linetable (bytes) */
	uint32_t code;	     /* PyCodeObject.co_code_adaptive: first code unit */
	uint32_t bytes_size; /* PyVarObject.ob_size */
	uint32_t bytes_data; /* PyBytesObject.ob_sval */
	uint32_t str_state;  /* PyASCIIObject.state */
	uint32_t str_length; /* PyASCIIObject.length */
	uint32_t str_ascii_data;   /* sizeof(PyASCIIObject) */
	uint32_t str_compact_data; /* sizeof(PyCompactUnicodeObject) */
	uint32_t tuple_items;	   /* PyTupleObject.ob_item (python_globals) */
	uint32_t interp_modules;   /* PyInterpreterState's sys.modules (python_globals) */
};

/* Where _PyRuntime keeps the three allocator domains (PyMemAllocatorEx, 40 bytes:
 * ctx, malloc, calloc, realloc, free), for an in-process sampler that wraps them:
 * byte offsets from the start of _PyRuntime. */
struct python_allocator_layout {
	uint32_t raw; /* PYMEM_DOMAIN_RAW */
	uint32_t mem; /* PYMEM_DOMAIN_MEM */
	uint32_t obj; /* PYMEM_DOMAIN_OBJ */
};

/* The versions memspy reads frames of, for messages. */
#define MS_PY_SUPPORTED "3.11, 3.13, 3.14, 3.15"

/* How many bytes from the start of _PyRuntime python_layout_for needs for version
 * (its _Py_DebugOffsets); 0 when that version's layout is fixed or unsupported. */
size_t python_layout_debug_size(uint32_t version);

/* Offsets for a PY_VERSION_HEX. debug holds the first debug_len bytes of the
 * target's _PyRuntime, as python_layout_debug_size asks (NULL, 0 otherwise);
 * runtime_size is the size of the _PyRuntime symbol (0 when unknown), which the
 * debug offsets must agree with. Fills off (but off->runtime) and code. Returns 0;
 * -ENOTSUP for a version memspy cannot read (a free-threaded build included);
 * -EINVAL when the debug offsets are not the layout memspy knows for the version. */
int python_layout_for(uint32_t version, const void *debug, size_t debug_len,
		      uint64_t runtime_size, struct ms_python_offsets *off,
		      struct python_code_layout *code);

/* The allocator domains' offsets in _PyRuntime for a PY_VERSION_HEX (3.13 to 3.15:
 * _PyRuntime.allocators.standard). Returns 0, or -ENOTSUP for another version
 * (3.11's domains are static variables, not in _PyRuntime). */
int python_allocator_offsets(uint32_t version, struct python_allocator_layout *out);

#endif
