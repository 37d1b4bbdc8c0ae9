/* SPDX-License-Identifier: GPL-2.0-or-later */
/* CPython structure offsets per version: 3.11's fixed, 3.13's from _Py_DebugOffsets. */
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
	};
}

/* Byte offsets of the fields memspy uses in 3.13's _Py_DebugOffsets, a cookie and
 * then uint64_t fields only; each group of offsets starts with the size of the
 * structure it describes. Checked against Debian trixie's libpython3.13-dev
 * (3.13.5), where the whole struct is 584 bytes. The struct is only promised to be
 * stable within a minor version, hence the checks in layout_313. */
enum debug_313 {
	DBG_COOKIE = 0,		 /* char[8] "xdebugpy" */
	DBG_VERSION = 8,	 /* PY_VERSION_HEX */
	DBG_FREE_THREADED = 16,	 /* built with Py_GIL_DISABLED */
	DBG_RUNTIME_SIZE = 24,	 /* sizeof(_PyRuntimeState) */
	DBG_RUNTIME_INTERP_HEAD = 40,
	DBG_INTERP_SIZE = 48,
	DBG_INTERP_NEXT = 64,
	DBG_INTERP_THREADS_HEAD = 72,
	DBG_TSTATE_SIZE = 152,
	DBG_TSTATE_NEXT = 168,
	DBG_TSTATE_CURRENT_FRAME = 184,
	DBG_TSTATE_NATIVE_TID = 200,
	DBG_FRAME_SIZE = 224,
	DBG_FRAME_PREVIOUS = 232,
	DBG_FRAME_EXECUTABLE = 240,
	DBG_FRAME_INSTR_PTR = 248,
	DBG_FRAME_OWNER = 264,
	DBG_CODE_SIZE = 272,
	DBG_CODE_FILENAME = 280,
	DBG_CODE_NAME = 288,
	DBG_CODE_LINETABLE = 304,
	DBG_CODE_FIRSTLINENO = 312,
	DBG_CODE_ADAPTIVE = 344,
	DBG_BYTES_SIZE = 512,
	DBG_BYTES_OB_SIZE = 520,
	DBG_BYTES_SVAL = 528,
	DBG_STR_SIZE = 536,
	DBG_STR_STATE = 544,
	DBG_STR_LENGTH = 552,
	DBG_STR_ASCII_SIZE = 560,
	DBG_END_313 = 584,
};

/* _PyInterpreterFrame.owner of the frame _PyEval_EvalFrameDefault pushes on entry
 * (FRAME_OWNED_BY_CSTACK in 3.12 and 3.13's pycore_frame.h). */
#define OWNER_CSTACK_313 3

/* Largest structure size believed: _PyRuntimeState is about 280 KiB in 3.13. */
#define MAX_STRUCT_SIZE (16u << 20)

static uint64_t dbg_u64(const uint8_t *d, enum debug_313 at)
{
	uint64_t v;

	memcpy(&v, d + at, sizeof(v));
	return v;
}

/* The offset at field, if the width bytes it names lie inside the structure whose
 * size is at size_field; UINT32_MAX otherwise. */
static uint32_t dbg_field(const uint8_t *d, enum debug_313 size_field, enum debug_313 field,
			  uint32_t width)
{
	uint64_t size = dbg_u64(d, size_field), at = dbg_u64(d, field);

	if (!size || size > MAX_STRUCT_SIZE || at > size || width > size - at)
		return UINT32_MAX;
	return (uint32_t)at;
}

static int layout_313(uint32_t version, const uint8_t *d, size_t len, uint64_t runtime_size,
		      struct ms_python_offsets *off, struct python_code_layout *code)
{
	uint32_t ascii;

	if (!d || len < DBG_END_313 || memcmp(d + DBG_COOKIE, "xdebugpy", 8) ||
	    dbg_u64(d, DBG_VERSION) >> 16 != version >> 16)
		return -EINVAL;
	/* free-threaded objects have a longer header and other locking: not read */
	if (dbg_u64(d, DBG_FREE_THREADED))
		return -ENOTSUP;
	/* the symbol's size is sizeof(_PyRuntimeState): a layout read with the wrong
	 * field positions would not give it back */
	if (runtime_size && dbg_u64(d, DBG_RUNTIME_SIZE) != runtime_size)
		return -EINVAL;
	*off = (struct ms_python_offsets){
		.version = version,
		.layout = MS_PY_LAYOUT_SHIM,
		.runtime_interp_head = dbg_field(d, DBG_RUNTIME_SIZE, DBG_RUNTIME_INTERP_HEAD, 8),
		.interp_next = dbg_field(d, DBG_INTERP_SIZE, DBG_INTERP_NEXT, 8),
		.interp_threads_head = dbg_field(d, DBG_INTERP_SIZE, DBG_INTERP_THREADS_HEAD, 8),
		.tstate_next = dbg_field(d, DBG_TSTATE_SIZE, DBG_TSTATE_NEXT, 8),
		.tstate_native_tid = dbg_field(d, DBG_TSTATE_SIZE, DBG_TSTATE_NATIVE_TID, 8),
		.tstate_frame = dbg_field(d, DBG_TSTATE_SIZE, DBG_TSTATE_CURRENT_FRAME, 8),
		.frame_code = dbg_field(d, DBG_FRAME_SIZE, DBG_FRAME_EXECUTABLE, 8),
		.frame_previous = dbg_field(d, DBG_FRAME_SIZE, DBG_FRAME_PREVIOUS, 8),
		.frame_instr = dbg_field(d, DBG_FRAME_SIZE, DBG_FRAME_INSTR_PTR, 8),
		.frame_entry = dbg_field(d, DBG_FRAME_SIZE, DBG_FRAME_OWNER, 1),
		.shim_owner = OWNER_CSTACK_313,
	};
	/* sizeof(PyASCIIObject): where an ASCII string's characters start */
	uint64_t str_size = dbg_u64(d, DBG_STR_SIZE), ascii_size = dbg_u64(d, DBG_STR_ASCII_SIZE);
	ascii = ascii_size >= 24 && ascii_size <= str_size && str_size <= MAX_STRUCT_SIZE
			? (uint32_t)ascii_size
			: UINT32_MAX;
	/* co_code_adaptive and ob_sval are flexible arrays at their structures' ends,
	 * so only their start must lie inside (width 0) */
	*code = (struct python_code_layout){
		.name = dbg_field(d, DBG_CODE_SIZE, DBG_CODE_NAME, 8),
		.filename = dbg_field(d, DBG_CODE_SIZE, DBG_CODE_FILENAME, 8),
		.firstlineno = dbg_field(d, DBG_CODE_SIZE, DBG_CODE_FIRSTLINENO, 4),
		.linetable = dbg_field(d, DBG_CODE_SIZE, DBG_CODE_LINETABLE, 8),
		.code = dbg_field(d, DBG_CODE_SIZE, DBG_CODE_ADAPTIVE, 0),
		.bytes_size = dbg_field(d, DBG_BYTES_SIZE, DBG_BYTES_OB_SIZE, 8),
		.bytes_data = dbg_field(d, DBG_BYTES_SIZE, DBG_BYTES_SVAL, 0),
		.str_state = dbg_field(d, DBG_STR_SIZE, DBG_STR_STATE, 4),
		.str_length = dbg_field(d, DBG_STR_SIZE, DBG_STR_LENGTH, 8),
		.str_ascii_data = ascii,
		/* PyCompactUnicodeObject adds utf8_length and utf8 to PyASCIIObject
		 * since 3.12 (no wstr any more): two 8-byte fields */
		.str_compact_data = ascii == UINT32_MAX ? UINT32_MAX : ascii + 16,
	};
	const uint32_t *all[] = {
		&off->runtime_interp_head, &off->interp_next, &off->interp_threads_head,
		&off->tstate_next, &off->tstate_native_tid, &off->tstate_frame, &off->frame_code,
		&off->frame_previous, &off->frame_instr, &off->frame_entry, &code->name,
		&code->filename, &code->firstlineno, &code->linetable, &code->code,
		&code->bytes_size, &code->bytes_data, &code->str_state, &code->str_length,
		&code->str_ascii_data, &code->str_compact_data,
	};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (*all[i] == UINT32_MAX)
			return -EINVAL;
	return 0;
}

size_t python_layout_debug_size(uint32_t version)
{
	return (version >> 16) == 0x030d ? DBG_END_313 : 0;
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
		return layout_313(version, debug, debug_len, runtime_size, off, code);
	default:
		/* 3.12 has no debug offsets, and no Debian binary to check fixed
		 * ones against; 3.14 turns f_executable into a tagged stack
		 * reference and renumbers the frame owners */
		return -ENOTSUP;
	}
}
