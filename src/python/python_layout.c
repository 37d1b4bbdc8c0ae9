/* SPDX-License-Identifier: GPL-2.0-or-later */
/* CPython structure offsets per version: 3.11's fixed, 3.13's to 3.15's from
 * _Py_DebugOffsets, and where 3.14 and 3.15 keep their allocator domains. */
#include <errno.h>
#include <string.h>

#include "python/python_layout.h"

/* Offsets checked against the installed headers with Py_BUILD_CORE (offsetof on
 * Debian's python3.11-dev): the 3.11 structures kept their layout in every 3.11.x. */
static void layout_311(uint32_t version, struct ms_python_offsets *off,
		       struct python_code_layout *code)
{
	*off = (struct ms_python_offsets){
		.version = version,
		.layout = MS_PY_LAYOUT_CFRAME,
		.runtime_interp_head = 40,
		.interp_next = 0,
		.interp_threads_head = 16,
		.tstate_next = 8,
		.tstate_native_tid = 160,
		.tstate_frame = 56,
		.cframe_current = 8,
		.frame_code = 32,
		.frame_previous = 48,
		.frame_instr = 56,
		.frame_entry = 68,
	};
	*code = (struct python_code_layout){
		.name = 120,
		.filename = 112,
		.firstlineno = 72,
		.linetable = 136,
		.code = 184,
		.bytes_size = 16,
		.bytes_data = 32,
		.str_state = 32,
		.str_length = 16,
		.str_ascii_data = 48,
		.str_compact_data = 72,
		.tuple_items = 24,
		.interp_modules = 888,
	};
}

/* Where, in one minor version's _Py_DebugOffsets, the fields memspy uses lie: a
 * cookie, then uint64_t fields only, each group of offsets starting with the size
 * of the structure it describes. The struct is only promised to be stable within a
 * minor version, and grows in each (3.15 adds fields to the thread state's group),
 * so each version has its own table, checked with offsetof against Debian's
 * libpython3.X-dev (trixie's 3.13.5, sid's 3.14.10 and 3.15.2). */
struct debug_table {
	uint32_t minor;		/* PY_VERSION_HEX >> 16 */
	uint32_t end;		/* sizeof(_Py_DebugOffsets) */
	uint32_t layout;	/* MS_PY_LAYOUT_* of frames */
	uint32_t shim_owner;	/* owner of the frame each evaluator call pushes */
	uint16_t runtime_size, runtime_interp_head;
	uint16_t interp_size, interp_next, interp_threads_head, interp_modules;
	uint16_t tstate_size, tstate_next, tstate_frame, tstate_native_tid;
	uint16_t frame_size, frame_previous, frame_executable, frame_instr, frame_owner;
	uint16_t code_size, code_filename, code_name, code_linetable, code_firstlineno,
		code_adaptive;
	uint16_t tuple_size, tuple_items;
	uint16_t bytes_size, bytes_ob_size, bytes_sval;
	uint16_t str_size, str_state, str_length, str_ascii_size;
};

/* The owner of the entry frame: FRAME_OWNED_BY_CSTACK in 3.13's pycore_frame.h,
 * FRAME_OWNED_BY_INTERPRETER in 3.14's and 3.15's pycore_interpframe_structs.h
 * (renumbered, and 3 again; checked in the evaluators' code too). 3.14 and 3.15
 * reference the code object through a _PyStackRef whose low bits are tags. */
static const struct debug_table debug_tables[] = {
	{.minor = 0x030d, .end = 584, .layout = MS_PY_LAYOUT_SHIM, .shim_owner = 3,
	 .runtime_size = 24, .runtime_interp_head = 40,
	 .interp_size = 48, .interp_next = 64, .interp_threads_head = 72, .interp_modules = 88,
	 .tstate_size = 152, .tstate_next = 168, .tstate_frame = 184, .tstate_native_tid = 200,
	 .frame_size = 224, .frame_previous = 232, .frame_executable = 240, .frame_instr = 248,
	 .frame_owner = 264,
	 .code_size = 272, .code_filename = 280, .code_name = 288, .code_linetable = 304,
	 .code_firstlineno = 312, .code_adaptive = 344,
	 .tuple_size = 400, .tuple_items = 408,
	 .bytes_size = 512, .bytes_ob_size = 520, .bytes_sval = 528,
	 .str_size = 536, .str_state = 544, .str_length = 552, .str_ascii_size = 560},
	{.minor = 0x030e, .end = 760, .layout = MS_PY_LAYOUT_SHIM | MS_PY_LAYOUT_STACKREF,
	 .shim_owner = 3,
	 .runtime_size = 24, .runtime_interp_head = 40,
	 .interp_size = 48, .interp_next = 64, .interp_threads_head = 72, .interp_modules = 96,
	 .tstate_size = 176, .tstate_next = 192, .tstate_frame = 208, .tstate_native_tid = 224,
	 .frame_size = 248, .frame_previous = 256, .frame_executable = 264, .frame_instr = 272,
	 .frame_owner = 288,
	 .code_size = 312, .code_filename = 320, .code_name = 328, .code_linetable = 344,
	 .code_firstlineno = 352, .code_adaptive = 384,
	 .tuple_size = 448, .tuple_items = 456,
	 .bytes_size = 592, .bytes_ob_size = 600, .bytes_sval = 608,
	 .str_size = 616, .str_state = 624, .str_length = 632, .str_ascii_size = 640},
	{.minor = 0x030f, .end = 888, .layout = MS_PY_LAYOUT_SHIM | MS_PY_LAYOUT_STACKREF,
	 .shim_owner = 3,
	 .runtime_size = 24, .runtime_interp_head = 40,
	 .interp_size = 48, .interp_next = 64, .interp_threads_head = 72, .interp_modules = 96,
	 .tstate_size = 176, .tstate_next = 192, .tstate_frame = 208, .tstate_native_tid = 248,
	 .frame_size = 312, .frame_previous = 320, .frame_executable = 328, .frame_instr = 336,
	 .frame_owner = 352,
	 .code_size = 376, .code_filename = 384, .code_name = 392, .code_linetable = 408,
	 .code_firstlineno = 416, .code_adaptive = 448,
	 .tuple_size = 544, .tuple_items = 552,
	 .bytes_size = 688, .bytes_ob_size = 696, .bytes_sval = 704,
	 .str_size = 712, .str_state = 720, .str_length = 728, .str_ascii_size = 736},
};

/* Byte offsets every version shares: the head of the struct. */
enum {
	DBG_COOKIE = 0,		/* char[8] "xdebugpy" */
	DBG_VERSION = 8,	/* PY_VERSION_HEX */
	DBG_FREE_THREADED = 16, /* built with Py_GIL_DISABLED */
};

/* Largest structure size believed: _PyRuntimeState is about 340 KiB in 3.15. */
#define MAX_STRUCT_SIZE (16u << 20)

static const struct debug_table *debug_table_of(uint32_t version)
{
	for (size_t i = 0; i < sizeof(debug_tables) / sizeof(debug_tables[0]); i++)
		if (debug_tables[i].minor == version >> 16)
			return &debug_tables[i];
	return NULL;
}

static uint64_t dbg_u64(const uint8_t *d, uint32_t at)
{
	uint64_t v;

	memcpy(&v, d + at, sizeof(v));
	return v;
}

/* The offset at field, if the width bytes it names lie inside the structure whose
 * size is at size_field; UINT32_MAX otherwise. */
static uint32_t dbg_field(const uint8_t *d, uint32_t size_field, uint32_t field, uint32_t width)
{
	uint64_t size = dbg_u64(d, size_field), at = dbg_u64(d, field);

	if (!size || size > MAX_STRUCT_SIZE || at > size || width > size - at)
		return UINT32_MAX;
	return (uint32_t)at;
}

/* Fill off from the debug offsets d, as table t places them. */
static void debug_frames(const struct debug_table *t, const uint8_t *d, uint32_t version,
			 struct ms_python_offsets *off)
{
	*off = (struct ms_python_offsets){
		.version = version,
		.layout = t->layout,
		.runtime_interp_head = dbg_field(d, t->runtime_size, t->runtime_interp_head, 8),
		.interp_next = dbg_field(d, t->interp_size, t->interp_next, 8),
		.interp_threads_head = dbg_field(d, t->interp_size, t->interp_threads_head, 8),
		.tstate_next = dbg_field(d, t->tstate_size, t->tstate_next, 8),
		.tstate_native_tid = dbg_field(d, t->tstate_size, t->tstate_native_tid, 8),
		.tstate_frame = dbg_field(d, t->tstate_size, t->tstate_frame, 8),
		.frame_code = dbg_field(d, t->frame_size, t->frame_executable, 8),
		.frame_previous = dbg_field(d, t->frame_size, t->frame_previous, 8),
		.frame_instr = dbg_field(d, t->frame_size, t->frame_instr, 8),
		.frame_entry = dbg_field(d, t->frame_size, t->frame_owner, 1),
		.shim_owner = t->shim_owner,
	};
}

/* Fill code from the debug offsets d, as table t places them. */
static void debug_code(const struct debug_table *t, const uint8_t *d,
		       struct python_code_layout *code)
{
	/* sizeof(PyASCIIObject): where an ASCII string's characters start */
	uint64_t str_size = dbg_u64(d, t->str_size), ascii_size = dbg_u64(d, t->str_ascii_size);
	uint32_t ascii = ascii_size >= 24 && ascii_size <= str_size && str_size <= MAX_STRUCT_SIZE
				 ? (uint32_t)ascii_size
				 : UINT32_MAX;

	/* co_code_adaptive, ob_sval and ob_item are flexible arrays at their
	 * structures' ends, so only their start must lie inside (width 0) */
	*code = (struct python_code_layout){
		.name = dbg_field(d, t->code_size, t->code_name, 8),
		.filename = dbg_field(d, t->code_size, t->code_filename, 8),
		.firstlineno = dbg_field(d, t->code_size, t->code_firstlineno, 4),
		.linetable = dbg_field(d, t->code_size, t->code_linetable, 8),
		.code = dbg_field(d, t->code_size, t->code_adaptive, 0),
		.bytes_size = dbg_field(d, t->bytes_size, t->bytes_ob_size, 8),
		.bytes_data = dbg_field(d, t->bytes_size, t->bytes_sval, 0),
		.str_state = dbg_field(d, t->str_size, t->str_state, 4),
		.str_length = dbg_field(d, t->str_size, t->str_length, 8),
		.str_ascii_data = ascii,
		/* PyCompactUnicodeObject adds utf8_length and utf8 to PyASCIIObject
		 * since 3.12 (no wstr any more): two 8-byte fields */
		.str_compact_data = ascii == UINT32_MAX ? UINT32_MAX : ascii + 16,
		.tuple_items = dbg_field(d, t->tuple_size, t->tuple_items, 0),
		.interp_modules = dbg_field(d, t->interp_size, t->interp_modules, 8),
	};
}

static int layout_debug(uint32_t version, const uint8_t *d, size_t len, uint64_t runtime_size,
			struct ms_python_offsets *off, struct python_code_layout *code)
{
	const struct debug_table *t = debug_table_of(version);

	if (!t || !d || len < t->end || memcmp(d + DBG_COOKIE, "xdebugpy", 8) ||
	    dbg_u64(d, DBG_VERSION) >> 16 != version >> 16)
		return -EINVAL;
	/* free-threaded objects have a longer header and other locking: not read */
	if (dbg_u64(d, DBG_FREE_THREADED))
		return -ENOTSUP;
	/* the symbol's size is sizeof(_PyRuntimeState): a layout read with the wrong
	 * field positions would not give it back */
	if (runtime_size && dbg_u64(d, t->runtime_size) != runtime_size)
		return -EINVAL;
	debug_frames(t, d, version, off);
	debug_code(t, d, code);
	const uint32_t *all[] = {
		&off->runtime_interp_head, &off->interp_next, &off->interp_threads_head,
		&off->tstate_next, &off->tstate_native_tid, &off->tstate_frame, &off->frame_code,
		&off->frame_previous, &off->frame_instr, &off->frame_entry, &code->name,
		&code->filename, &code->firstlineno, &code->linetable, &code->code,
		&code->bytes_size, &code->bytes_data, &code->str_state, &code->str_length,
		&code->str_ascii_data, &code->str_compact_data, &code->tuple_items,
		&code->interp_modules,
	};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (*all[i] == UINT32_MAX)
			return -EINVAL;
	return 0;
}

size_t python_layout_debug_size(uint32_t version)
{
	const struct debug_table *t = debug_table_of(version);

	return t ? t->end : 0;
}

int python_layout_for(uint32_t version, const void *debug, size_t debug_len,
		      uint64_t runtime_size, struct ms_python_offsets *off,
		      struct python_code_layout *code)
{
	switch (version >> 16) {
	case 0x030b:
		layout_311(version, off, code);
		return 0;
	case 0x030d:
	case 0x030e:
	case 0x030f:
		return layout_debug(version, debug, debug_len, runtime_size, off, code);
	default:
		/* 3.12 has no debug offsets, and no Debian binary to check fixed
		 * ones against; a later version's debug offsets may move, and its
		 * frames with them */
		return -ENOTSUP;
	}
}

/* offsetof(_PyRuntimeState, allocators.standard.raw/mem/obj) with Py_BUILD_CORE
 * against sid's libpython3.14-dev and libpython3.15-dev: _Py_DebugOffsets does not
 * publish them. Checked in the binaries too: 3.14's PyMem_GetAllocator returns
 * _PyRuntime+880, +920 and +960 for the three domains, and 3.15's takes the
 * allocators' mutex at _PyRuntime+1000, just before them. 3.13 (trixie's
 * python3.13): PyMem_GetAllocator takes the mutex at _PyRuntime+696 and its
 * unlocked part copies from _PyRuntime+704 (raw), +784 (obj) and, in its .cold
 * part, +744 (mem). */
int python_allocator_offsets(uint32_t version, struct python_allocator_layout *out)
{
	switch (version >> 16) {
	case 0x030d:
		*out = (struct python_allocator_layout){.raw = 704, .mem = 744, .obj = 784};
		return 0;
	case 0x030e:
		*out = (struct python_allocator_layout){.raw = 880, .mem = 920, .obj = 960};
		return 0;
	case 0x030f:
		*out = (struct python_allocator_layout){.raw = 1008, .mem = 1048, .obj = 1088};
		return 0;
	default:
		return -ENOTSUP;
	}
}
