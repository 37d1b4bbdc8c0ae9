/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the Python modules: location tables, path shortening, the merge of
 * Python frames into native stacks, and the .cold part finder. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_suites.h"
#include "python/python_detect.h"
#include "python/python_domains.h"
#include "python/python_layout.h"
#include "python/python_merge.h"
#include "python/python_names.h"
#include "profile/site_name.h"

/* Check the location tables of one golden file against the lines CPython gave. */
static void check_linetables(const char *path, int min_tables, int min_checked)
{
	FILE *f = fopen(path, "r");
	char line[65536];
	int tables = 0, checked = 0;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		uint8_t tab[8192];
		size_t len = 0;
		char *p = line, *tok;
		int first;

		if (line[0] == '#')
			continue;
		tok = strtok(p, " \n");
		for (size_t i = 0; tok[i] && tok[i + 1]; i += 2) {
			unsigned b;
			sscanf(tok + i, "%2x", &b);
			tab[len++] = (uint8_t)b;
		}
		first = atoi(strtok(NULL, " \n"));
		while ((tok = strtok(NULL, " \n"))) {
			int off, want;
			ck_assert_int_eq(sscanf(tok, "%d:%d", &off, &want), 2);
			ck_assert_msg(python_linetable_line(tab, len, first, off) == want,
				      "table %d offset %d: got %d want %d", tables, off,
				      python_linetable_line(tab, len, first, off), want);
			checked++;
		}
		tables++;
	}
	fclose(f);
	ck_assert_int_ge(tables, min_tables);
	ck_assert_int_ge(checked, min_checked);
}

START_TEST(test_linetable_golden)
{
	check_linetables(MS_TEST_DATA "/python/linetable.txt", 2, 20);
	/* 3.13 keeps 3.11's location table format */
	check_linetables(MS_TEST_DATA "/python/linetable_3.13.txt", 2, 20);
	/* and 3.14 and 3.15 too: the same entry kinds, checked on sid's builds */
	check_linetables(MS_TEST_DATA "/python/linetable_3.14.txt", 10, 200);
	check_linetables(MS_TEST_DATA "/python/linetable_3.15.txt", 10, 200);
}
END_TEST

START_TEST(test_linetable_edges)
{
	/* one entry, code 13 (no column), delta +2, two code units */
	const uint8_t t[] = {0x80 | 13 << 3 | 1, 4};

	ck_assert_int_eq(python_linetable_line(t, sizeof(t), 10, -2), 10);
	ck_assert_int_eq(python_linetable_line(t, sizeof(t), 10, 0), 12);
	ck_assert_int_eq(python_linetable_line(t, sizeof(t), 10, 2), 12);
	ck_assert_int_eq(python_linetable_line(t, sizeof(t), 10, 4), -1);
	ck_assert_int_eq(python_linetable_line(t, 0, 10, 0), -1);
}
END_TEST

START_TEST(test_short_path)
{
	ck_assert_str_eq(python_short_path("/usr/lib/python3/dist-packages/flask/app.py"),
			 "flask/app.py");
	ck_assert_str_eq(python_short_path("/usr/lib/python3.11/json/encoder.py"),
			 "json/encoder.py");
	ck_assert_str_eq(python_short_path("/tmp/x/script.py"), "script.py");
	ck_assert_str_eq(python_short_path("<string>"), "<string>");
}
END_TEST

/* Render a merge as "n3 p1 p0 n1 ..." root first. */
static void render(const struct py_merge_item *it, size_t k, char *buf, size_t size)
{
	size_t at = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < k && at < size; i++)
		at += (size_t)snprintf(buf + at, size - at, "%s%c%u", i ? " " : "",
				       it[i].py == MS_MERGE_NONE ? 'n' : 'p',
				       it[i].py == MS_MERGE_NONE ? it[i].native : it[i].py);
}

START_TEST(test_merge)
{
	struct py_merge_item it[32];
	char buf[256];
	/* innermost first: malloc, helper, EVAL, PyObject_Call, EVAL, main, _start */
	const bool ev[] = {false, false, true, false, true, false, false};
	size_t k;

	/* Python frames innermost first: inner, middle (entry of the inner evaluator
	 * call), outer, <module> (entry of the outer one) */
	k = python_merge(ev, 7, (1 << 1) | (1 << 3), 4, true, it, 32);
	render(it, k, buf, sizeof(buf));
	ck_assert_str_eq(buf, "n6 n5 p3 p2 n3 p1 p0 n1 n0");
	/* truncated native stack: pair from the innermost end */
	k = python_merge(ev, 4, (1 << 1) | (1 << 3), 4, false, it, 32);
	render(it, k, buf, sizeof(buf));
	ck_assert_str_eq(buf, "n3 p1 p0 n1 n0");
	/* complete stack but one group missing (frames read as a call began):
	 * the outermost pair up, the inner evaluator stays native */
	k = python_merge(ev, 7, 1 << 1, 2, true, it, 32);
	render(it, k, buf, sizeof(buf));
	ck_assert_str_eq(buf, "n6 n5 p1 p0 n3 n2 n1 n0");
	/* no Python frames at all */
	k = python_merge(ev, 7, 0, 0, true, it, 32);
	render(it, k, buf, sizeof(buf));
	ck_assert_str_eq(buf, "n6 n5 n4 n3 n2 n1 n0");
	/* max bounds the output */
	ck_assert_uint_eq(python_merge(ev, 7, (1 << 1) | (1 << 3), 4, true, it, 3), 3);
}
END_TEST

/* The __init__ shim code object between a caller and its __init__ goes; the
 * group marks stay on the frames that end each evaluator call. */
START_TEST(test_drop_frames)
{
	uint32_t raw[64] = {10, 11, 12, 13, 14};
	uint64_t entry = 1 << 1 | 1 << 4;

	/* __init__, shim, make | main, <module>: the shim (1) ended its group */
	ck_assert_uint_eq(python_merge_drop_frames(1 << 1, 5, raw, &entry), 4);
	ck_assert_uint_eq(raw[0], 10);
	ck_assert_uint_eq(raw[1], 12);
	ck_assert_uint_eq(raw[2], 13);
	ck_assert_uint_eq(raw[3], 14);
	ck_assert_uint_eq(entry, 1 << 0 | 1 << 3);
	/* a frame inside a group: the marks move down with the frames after it */
	uint32_t raw2[64] = {0, 1, 2, 3};
	entry = 1 << 2 | 1 << 3;
	ck_assert_uint_eq(python_merge_drop_frames(1 << 1, 4, raw2, &entry), 3);
	ck_assert_uint_eq(raw2[1], 2);
	ck_assert_uint_eq(entry, 1 << 1 | 1 << 2);
	/* the only frame of its group stays: without it the groups would pair with
	 * the wrong evaluator frames */
	uint32_t raw3[64] = {0, 1, 2};
	entry = 1 << 0 | 1 << 1 | 1 << 2;
	ck_assert_uint_eq(python_merge_drop_frames(1 << 1, 3, raw3, &entry), 3);
	ck_assert_uint_eq(entry, 1 << 0 | 1 << 1 | 1 << 2);
	entry = 0;
	ck_assert_uint_eq(python_merge_drop_frames(0, 0, raw3, &entry), 0);
	ck_assert_uint_eq(entry, 0);
}
END_TEST

START_TEST(test_drop_shims)
{
	uint32_t raw[64];
	uint64_t entry;

	/* read from a 3.13 thread: inner, middle, shim, outer, <module>, shim */
	ck_assert_uint_eq(python_merge_drop_shims(1 << 2 | 1 << 5, 6, raw, &entry), 4);
	ck_assert_uint_eq(raw[0], 0);
	ck_assert_uint_eq(raw[1], 1);
	ck_assert_uint_eq(raw[2], 3);
	ck_assert_uint_eq(raw[3], 4);
	ck_assert_uint_eq(entry, 1 << 1 | 1 << 3);
	/* a shim on top (an evaluator call returning) or two in a row mark nothing
	 * more: that call has no Python frame left */
	ck_assert_uint_eq(python_merge_drop_shims(1 << 0 | 1 << 2 | 1 << 3, 5, raw, &entry), 2);
	ck_assert_uint_eq(raw[0], 1);
	ck_assert_uint_eq(raw[1], 4);
	ck_assert_uint_eq(entry, 1 << 0);
	ck_assert_uint_eq(python_merge_drop_shims(0, 0, raw, &entry), 0);
	ck_assert_uint_eq(entry, 0);
}
END_TEST

START_TEST(test_find_cold)
{
	/* a function at 0x2000 of 64 bytes jumping 10 times into 0x1100 (in the FDE
	 * starting at 0x1000) and once into 0x3000 */
	uint8_t code[64] = {0};
	const uint64_t starts[] = {0x1000, 0x1800, 0x2000, 0x3000};
	uint64_t s = 0, e = 0;

	for (int i = 0; i < 10; i++) {
		uint8_t *p = code + i * 6;
		int32_t rel = (int32_t)(0x1100 - (0x2000 + i * 6 + 6));
		p[0] = 0x0f;
		p[1] = 0x85;
		memcpy(p + 2, &rel, 4);
	}
	ck_assert_int_eq(python_find_cold(code, 60, 0x2000, starts, 4, 0x4000, &s, &e), 0);
	ck_assert_uint_eq(s, 0x1000);
	ck_assert_uint_eq(e, 0x1800);
	memset(code, 0, sizeof(code));
	ck_assert_int_ne(python_find_cold(code, 60, 0x2000, starts, 4, 0x4000, &s, &e), 0);
}
END_TEST

START_TEST(test_layout)
{
	struct ms_python_offsets off;
	struct python_code_layout code;
	char v[32];

	ck_assert_int_eq(python_layout_for(0x030b02f0, NULL, 0, 0, &off, &code), 0);
	ck_assert_uint_eq(off.tstate_native_tid, 160);
	ck_assert_uint_eq(off.layout, MS_PY_LAYOUT_CFRAME);
	ck_assert_uint_eq(python_layout_debug_size(0x030b02f0), 0);
	ck_assert_int_eq(python_layout_for(0x030c01f0, NULL, 0, 0, &off, &code), -ENOTSUP);
	ck_assert_int_eq(python_layout_for(0x030a0df0, NULL, 0, 0, &off, &code), -ENOTSUP);
	ck_assert_int_eq(python_layout_for(0x031000f0, NULL, 0, 0, &off, &code), -ENOTSUP);
	ck_assert_uint_eq(python_layout_debug_size(0x031000f0), 0);
	/* 3.13 to 3.15 without their debug offsets cannot be read */
	ck_assert_int_eq(python_layout_for(0x030d05f0, NULL, 0, 0, &off, &code), -EINVAL);
	ck_assert_int_eq(python_layout_for(0x030e0af0, NULL, 0, 0, &off, &code), -EINVAL);
	ck_assert_int_eq(python_layout_for(0x030f02f0, NULL, 0, 0, &off, &code), -EINVAL);
	python_version_str(0x030b02f0, v, sizeof(v));
	ck_assert_str_eq(v, "3.11.2");
}
END_TEST

/* The _Py_DebugOffsets of a Debian python3.X, as read from a process. */
static size_t debug_offsets_of(const char *name, uint8_t *buf, size_t size)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/python/%s", MS_TEST_DATA, name);
	f = fopen(path, "r");
	char line[256];
	size_t len = 0;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#')
			continue;
		for (size_t i = 0; line[i] && line[i + 1] && line[i] != '\n' && len < size; i += 2) {
			unsigned b;
			ck_assert_int_eq(sscanf(line + i, "%2x", &b), 1);
			buf[len++] = (uint8_t)b;
		}
	}
	fclose(f);
	return len;
}

START_TEST(test_layout_313)
{
	/* offsetof() of each field, compiled against trixie's libpython3.13-dev with
	 * Py_BUILD_CORE; sizeof(_PyRuntimeState) is the _PyRuntime symbol's size */
	const uint64_t runtime_size = 283376;
	const uint32_t v = 0x030d05f0;
	struct ms_python_offsets off;
	struct python_code_layout code;
	uint8_t d[1024], bad[1024];
	size_t len = debug_offsets_of("debug_offsets_3.13.5.txt", d, sizeof(d));
	uint64_t x;

	ck_assert_uint_eq(python_layout_debug_size(v), 584);
	ck_assert_uint_eq(len, 584);
	ck_assert_int_eq(python_layout_for(v, d, len, runtime_size, &off, &code), 0);
	ck_assert_uint_eq(off.layout, MS_PY_LAYOUT_SHIM);
	ck_assert_uint_eq(off.runtime_interp_head, 632);
	ck_assert_uint_eq(off.interp_next, 7264);
	ck_assert_uint_eq(off.interp_threads_head, 7344);
	ck_assert_uint_eq(off.tstate_next, 8);
	ck_assert_uint_eq(off.tstate_native_tid, 160);
	ck_assert_uint_eq(off.tstate_frame, 72);
	ck_assert_uint_eq(off.frame_code, 0);
	ck_assert_uint_eq(off.frame_previous, 8);
	ck_assert_uint_eq(off.frame_instr, 56);
	ck_assert_uint_eq(off.frame_entry, 70);
	ck_assert_uint_eq(off.shim_owner, 3);
	ck_assert_uint_eq(code.name, 120);
	ck_assert_uint_eq(code.filename, 112);
	ck_assert_uint_eq(code.firstlineno, 68);
	ck_assert_uint_eq(code.linetable, 136);
	ck_assert_uint_eq(code.code, 200);
	ck_assert_uint_eq(code.bytes_size, 16);
	ck_assert_uint_eq(code.bytes_data, 32);
	ck_assert_uint_eq(code.str_state, 32);
	ck_assert_uint_eq(code.str_length, 16);
	ck_assert_uint_eq(code.str_ascii_data, 40);
	ck_assert_uint_eq(code.str_compact_data, 56);
	ck_assert_uint_eq(code.tuple_items, 24);
	ck_assert_uint_eq(code.interp_modules, 7656);
	/* an unknown symbol size is not checked */
	ck_assert_int_eq(python_layout_for(v, d, len, 0, &off, &code), 0);

	/* anything that says the layout is not the one memspy knows */
	ck_assert_int_eq(python_layout_for(v, d, len, runtime_size + 8, &off, &code), -EINVAL);
	ck_assert_int_eq(python_layout_for(v, d, len - 1, runtime_size, &off, &code), -EINVAL);
	ck_assert_int_eq(python_layout_for(0x030d01f0, d, len, runtime_size, &off, &code), 0); /* another 3.13.x */
	memcpy(bad, d, len);
	bad[0] = 'y';
	ck_assert_int_eq(python_layout_for(v, bad, len, runtime_size, &off, &code), -EINVAL);
	memcpy(bad, d, len);
	x = 0x030c00f0; /* the cookie's version disagrees */
	memcpy(bad + 8, &x, 8);
	ck_assert_int_eq(python_layout_for(v, bad, len, runtime_size, &off, &code), -EINVAL);
	memcpy(bad, d, len);
	x = 80; /* the frame's owner at its very end */
	memcpy(bad + 264, &x, 8);
	ck_assert_int_eq(python_layout_for(v, bad, len, runtime_size, &off, &code), -EINVAL);
	memcpy(bad, d, len);
	x = 1; /* free-threaded */
	memcpy(bad + 16, &x, 8);
	ck_assert_int_eq(python_layout_for(v, bad, len, runtime_size, &off, &code), -ENOTSUP);
}
END_TEST

/* What 3.14 and 3.15 must give: offsetof() of each field, compiled against sid's
 * libpython3.14-dev and libpython3.15-dev with Py_BUILD_CORE (3.15 moved the frame
 * and code fields down its _Py_DebugOffsets, not in the structures). */
static void check_layout_sid(const char *file, uint32_t v, size_t end, uint64_t runtime_size,
			     uint32_t native_tid_at, uint32_t modules_at)
{
	struct ms_python_offsets off;
	struct python_code_layout code;
	uint8_t d[1024], bad[1024];
	size_t len = debug_offsets_of(file, d, sizeof(d));

	ck_assert_uint_eq(python_layout_debug_size(v), end);
	ck_assert_uint_eq(len, end);
	ck_assert_int_eq(python_layout_for(v, d, len, runtime_size, &off, &code), 0);
	ck_assert_uint_eq(off.layout, MS_PY_LAYOUT_SHIM | MS_PY_LAYOUT_STACKREF);
	ck_assert_uint_eq(off.tstate_next, 8);
	ck_assert_uint_eq(off.tstate_native_tid, native_tid_at);
	ck_assert_uint_eq(off.tstate_frame, 72);
	ck_assert_uint_eq(off.frame_code, 0);
	ck_assert_uint_eq(off.frame_previous, 8);
	ck_assert_uint_eq(off.frame_instr, 56);
	ck_assert_uint_eq(off.frame_entry, 74);
	ck_assert_uint_eq(off.shim_owner, 3); /* FRAME_OWNED_BY_INTERPRETER */
	ck_assert_uint_eq(code.linetable, 136);
	ck_assert_uint_eq(code.code, 208);
	ck_assert_uint_eq(code.str_ascii_data, 40);
	ck_assert_uint_eq(code.str_compact_data, 56);
	ck_assert_uint_eq(code.tuple_items, 32); /* 3.14 caches a tuple's hash */
	ck_assert_uint_eq(code.interp_modules, modules_at);
	ck_assert_int_eq(python_layout_for(v, d, len, runtime_size + 8, &off, &code), -EINVAL);
	ck_assert_int_eq(python_layout_for(v, d, len - 1, runtime_size, &off, &code), -EINVAL);
	memcpy(bad, d, len);
	bad[0] = 'y';
	ck_assert_int_eq(python_layout_for(v, bad, len, runtime_size, &off, &code), -EINVAL);
}

START_TEST(test_layout_sid)
{
	struct ms_python_offsets off;
	struct python_code_layout code;
	uint8_t d[1024];
	size_t len;

	/* sizeof(_PyRuntimeState): the _PyRuntime symbols' sizes */
	check_layout_sid("debug_offsets_3.14.10.txt", 0x030e0af0, 760, 316616, 160, 7688);
	check_layout_sid("debug_offsets_3.15.2.txt", 0x030f02f0, 888, 346568, 184, 7592);
	/* one minor version's debug offsets read as another's: refused */
	len = debug_offsets_of("debug_offsets_3.14.10.txt", d, sizeof(d));
	ck_assert_int_eq(python_layout_for(0x030f02f0, d, len, 0, &off, &code), -EINVAL);
	len = debug_offsets_of("debug_offsets_3.15.2.txt", d, sizeof(d));
	ck_assert_int_eq(python_layout_for(0x030e0af0, d, len, 0, &off, &code), -EINVAL);
}
END_TEST

START_TEST(test_allocator_offsets)
{
	struct python_allocator_layout a;

	ck_assert_int_eq(python_allocator_offsets(0x030e0af0, &a), 0);
	ck_assert_uint_eq(a.raw, 880);
	ck_assert_uint_eq(a.mem, 920);
	ck_assert_uint_eq(a.obj, 960);
	ck_assert_int_eq(python_allocator_offsets(0x030f02f0, &a), 0);
	ck_assert_uint_eq(a.raw, 1008);
	ck_assert_uint_eq(a.mem, 1048);
	ck_assert_uint_eq(a.obj, 1088);
	/* each domain one PyMemAllocatorEx (ctx and four functions) after the other */
	ck_assert_uint_eq(a.mem - a.raw, 40);
	ck_assert_uint_eq(a.obj - a.mem, 40);
	ck_assert_int_eq(python_allocator_offsets(0x030d05f0, &a), 0);
	ck_assert_uint_eq(a.raw, 704);
	ck_assert_uint_eq(a.mem, 744);
	ck_assert_uint_eq(a.obj, 784);
	ck_assert_int_eq(python_allocator_offsets(0x030b02f0, &a), -ENOTSUP);
	ck_assert_int_eq(python_allocator_offsets(0x031000f0, &a), -ENOTSUP);
}
END_TEST

/* Debian's python3.11 (3.11.2) PyMem_GetAllocator at 0x628cb0, as objdump shows
 * it: raw and obj copied in the body, mem in the part at 0x421cb0 its `je` reaches. */
static const uint8_t getalloc_311[] = {
	0x48, 0x89, 0xf0,			      /* mov %rsi,%rax */
	0x85, 0xff,				      /* test %edi,%edi */
	0x75, 0x10,				      /* jne +16 */
	0xbe, 0x60, 0xa0, 0x95, 0x00,		      /* mov $0x95a060,%esi */
	0xb9, 0x0a, 0x00, 0x00, 0x00,		      /* mov $0xa,%ecx */
	0x48, 0x89, 0xc7,			      /* mov %rax,%rdi */
	0xf3, 0xa5,				      /* rep movsl */
	0xc3,					      /* ret */
	0x83, 0xff, 0x01,			      /* cmp $1,%edi */
	0x0f, 0x84, 0xe0, 0x8f, 0xdf, 0xff,	      /* je 0x421cb0 */
	0x83, 0xff, 0x02,			      /* cmp $2,%edi */
	0x75, 0x10,				      /* jne +16 */
	0xbe, 0x40, 0x9f, 0x95, 0x00,		      /* mov $0x959f40,%esi */
	0xb9, 0x0a, 0x00, 0x00, 0x00,		      /* mov $0xa,%ecx */
	0x48, 0x89, 0xc7,			      /* mov %rax,%rdi */
	0xf3, 0xa5,				      /* rep movsl */
	0xc3,					      /* ret */
	0xe9, 0xd6, 0x8f, 0xdf, 0xff,		      /* jmp (unknown domain) */
	0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00,	      /* nopw: the end */
	0x48, 0x89, 0xfe,			      /* PyMem_SetAllocator's part */
	0xb9, 0x0a, 0x00, 0x00, 0x00, 0xbf, 0x80, 0x9f, 0x95, 0x00, 0xf3, 0xa5, 0xc3,
};
static const uint8_t getalloc_311_cold[] = {
	0xbe, 0x80, 0x9f, 0x95, 0x00, 0xb9, 0x0a, 0x00, 0x00, 0x00,
	0x48, 0x89, 0xc7, 0xf3, 0xa5, 0xc3, 0x66, 0x0f, 0xef, 0xc0,
};

/* trixie's python3.13 (3.13.5): the unlocked part of PyMem_GetAllocator at
 * 0x6844c0 and the .cold part at 0x4236c5 its je reaches; _PyRuntime at 0xa3f400. */
static const uint8_t getalloc_313[] = {
	0x48, 0x89, 0xf0, 0x85, 0xff, 0x75, 0x10, 0xbe, 0xc0, 0xf6, 0xa3, 0x00, 0xb9, 0x0a,
	0x00, 0x00, 0x00, 0x48, 0x89, 0xc7, 0xf3, 0xa5, 0xc3, 0x83, 0xff, 0x01, 0x0f, 0x84,
	0xe5, 0xf1, 0xd9, 0xff, 0x83, 0xff, 0x02, 0x75, 0x10, 0xbe, 0x10, 0xf7, 0xa3, 0x00,
	0xb9, 0x0a, 0x00, 0x00, 0x00, 0x48, 0x89, 0xc7, 0xf3, 0xa5, 0xc3, 0xe9, 0xdb, 0xf1,
	0xd9, 0xff,
};
static const uint8_t getalloc_313_cold[] = {
	0xbe, 0xe8, 0xf6, 0xa3, 0x00, 0xb9, 0x0a, 0x00, 0x00, 0x00, 0x48, 0x89, 0xc7, 0xf3, 0xa5, 0xc3,
};

/* The offsets python_allocator_offsets gives 3.13 are the ones its code copies. */
START_TEST(test_getalloc_313)
{
	struct python_getalloc d = {0};
	struct python_allocator_layout a;
	const uint64_t runtime = 0xa3f400;

	ck_assert_int_eq(python_getalloc_decode(getalloc_313, sizeof(getalloc_313), 0x6844c0, -1,
						&d), 0);
	ck_assert_uint_eq(d.far[PY_DOMAIN_MEM], 0x4236c5);
	ck_assert_int_eq(python_getalloc_decode(getalloc_313_cold, sizeof(getalloc_313_cold),
						0x4236c5, PY_DOMAIN_MEM, &d), 0);
	ck_assert_int_eq(python_allocator_offsets(0x030d05f0, &a), 0);
	ck_assert_uint_eq(d.dom[PY_DOMAIN_RAW], runtime + a.raw);
	ck_assert_uint_eq(d.dom[PY_DOMAIN_MEM], runtime + a.mem);
	ck_assert_uint_eq(d.dom[PY_DOMAIN_OBJ], runtime + a.obj);
}
END_TEST

START_TEST(test_getalloc_decode)
{
	struct python_getalloc d = {0};
	uint8_t pie[sizeof(getalloc_311)];

	ck_assert_int_eq(python_getalloc_decode(getalloc_311, sizeof(getalloc_311), 0x628cb0,
						-1, &d), 0);
	ck_assert_uint_eq(d.dom[PY_DOMAIN_RAW], 0x95a060);
	ck_assert_uint_eq(d.dom[PY_DOMAIN_OBJ], 0x959f40);
	ck_assert_uint_eq(d.dom[PY_DOMAIN_MEM], 0);
	ck_assert_uint_eq(d.far[PY_DOMAIN_MEM], 0x421cb0);
	ck_assert_int_eq(python_getalloc_decode(getalloc_311_cold, sizeof(getalloc_311_cold),
						0x421cb0, PY_DOMAIN_MEM, &d), 0);
	ck_assert_uint_eq(d.dom[PY_DOMAIN_MEM], 0x959f80);
	/* a part that copies another struct for a domain already known: refused */
	ck_assert_int_eq(python_getalloc_decode(getalloc_311_cold, sizeof(getalloc_311_cold),
						0x421cb0, PY_DOMAIN_OBJ, &d), -EPROTO);
	/* a PIE build's lea disp(%rip),%rsi in place of the first mov */
	memcpy(pie, getalloc_311, sizeof(pie));
	memmove(pie + 7 + 7, pie + 7 + 5, sizeof(pie) - 7 - 7);
	memcpy(pie + 7, "\x48\x8d\x35\x00\x10\x00\x00", 7);
	memset(&d, 0, sizeof(d));
	ck_assert_int_eq(python_getalloc_decode(pie, sizeof(pie), 0x1000, -1, &d), 0);
	ck_assert_uint_eq(d.dom[PY_DOMAIN_RAW], 0x1000 + 14 + 0x1000);
	/* any other shape finds nothing */
	memset(&d, 0, sizeof(d));
	ck_assert_int_eq(python_getalloc_decode((const uint8_t *)"\x55\x48\x89\xe5", 4, 0x1000,
						-1, &d), 0);
	ck_assert_uint_eq(d.dom[PY_DOMAIN_RAW] | d.dom[PY_DOMAIN_MEM] | d.dom[PY_DOMAIN_OBJ], 0);
}
END_TEST

/* Debian's libpython3.11.so.1.0 (3.11.2, the shared library embedders link) at
 * 0x1cc500, as objdump shows it: the `je`s reach three parts in the function
 * itself, each an SSE copy of one struct (mem 0x63bde0, raw 0x63bec0, obj 0x63bda0);
 * the fall-through zeroes *out for an unknown domain. */
static const uint8_t getalloc_311_shared[] = {
	0x83, 0xff, 0x01,			/* cmp $1,%edi */
	0x74, 0x23,				/* je +0x28 (mem) */
	0x83, 0xff, 0x02,			/* cmp $2,%edi */
	0x74, 0x6e,				/* je +0x78 (obj) */
	0x85, 0xff,				/* test %edi,%edi */
	0x74, 0x42,				/* je +0x50 (raw) */
	0x66, 0x0f, 0xef, 0xc0,			/* pxor %xmm0,%xmm0: the end */
	0x48, 0xc7, 0x06, 0x00, 0x00, 0x00, 0x00, 0x0f, 0x11, 0x46, 0x08, 0x0f, 0x11, 0x46,
	0x18, 0xc3, 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00,
	/* +0x28 */
	0x66, 0x0f, 0x6f, 0x1d, 0xb0, 0xf8, 0x46, 0x00, /* movdqa 0x63bde0(%rip),%xmm3 */
	0x0f, 0x11, 0x1e,			/* movups %xmm3,(%rsi) */
	0x66, 0x0f, 0x6f, 0x25, 0xb5, 0xf8, 0x46, 0x00, /* movdqa 0x63bdf0(%rip),%xmm4 */
	0x0f, 0x11, 0x66, 0x10,			/* movups %xmm4,0x10(%rsi) */
	0x48, 0x8b, 0x05, 0xba, 0xf8, 0x46, 0x00, /* mov 0x63be00(%rip),%rax */
	0x48, 0x89, 0x46, 0x20,			/* mov %rax,0x20(%rsi) */
	0xc3, 0x0f, 0x1f, 0x44, 0x00, 0x00,	/* ret; nopl */
	/* +0x50 */
	0x66, 0x0f, 0x6f, 0x0d, 0x68, 0xf9, 0x46, 0x00, 0x0f, 0x11, 0x0e, 0x66, 0x0f, 0x6f, 0x15,
	0x6d, 0xf9, 0x46, 0x00, 0x0f, 0x11, 0x56, 0x10, 0x48, 0x8b, 0x05, 0x72, 0xf9, 0x46, 0x00,
	0x48, 0x89, 0x46, 0x20, 0xc3, 0x0f, 0x1f, 0x44, 0x00, 0x00,
	/* +0x78 */
	0x66, 0x0f, 0x6f, 0x2d, 0x20, 0xf8, 0x46, 0x00, 0x0f, 0x11, 0x2e, 0x66, 0x0f, 0x6f, 0x35,
	0x25, 0xf8, 0x46, 0x00, 0x0f, 0x11, 0x76, 0x10, 0x48, 0x8b, 0x05, 0x2a, 0xf8, 0x46, 0x00,
	0x48, 0x89, 0x46, 0x20, 0xc3, 0x0f, 0x1f, 0x44, 0x00, 0x00,
};

/* Decode getalloc_311_shared loaded at base as memspy does: the function, then
 * each part its je reaches. */
static int decode_shared(const uint8_t *code, uint64_t base, struct python_getalloc *d)
{
	int err = python_getalloc_decode(code, sizeof(getalloc_311_shared), base, -1, d);

	for (int k = 0; k < PY_DOMAINS && !err; k++) {
		ck_assert_uint_ne(d->far[k], 0);
		ck_assert_uint_lt(d->far[k] - base, sizeof(getalloc_311_shared));
		err = python_getalloc_decode(code + (d->far[k] - base),
					     sizeof(getalloc_311_shared) - (d->far[k] - base),
					     d->far[k], k, d);
	}
	return err;
}

START_TEST(test_getalloc_shared)
{
	struct python_getalloc d = {0};
	uint8_t code[sizeof(getalloc_311_shared)];

	/* the function alone finds the parts, no struct */
	ck_assert_int_eq(python_getalloc_decode(getalloc_311_shared, 18, 0x1cc500, -1, &d), 0);
	ck_assert_uint_eq(d.dom[PY_DOMAIN_RAW] | d.dom[PY_DOMAIN_MEM] | d.dom[PY_DOMAIN_OBJ], 0);
	ck_assert_uint_eq(d.far[PY_DOMAIN_MEM], 0x1cc528);
	ck_assert_uint_eq(d.far[PY_DOMAIN_OBJ], 0x1cc578);
	ck_assert_uint_eq(d.far[PY_DOMAIN_RAW], 0x1cc550);
	memset(&d, 0, sizeof(d));
	ck_assert_int_eq(decode_shared(getalloc_311_shared, 0x1cc500, &d), 0);
	ck_assert_uint_eq(d.dom[PY_DOMAIN_RAW], 0x63bec0);
	ck_assert_uint_eq(d.dom[PY_DOMAIN_MEM], 0x63bde0);
	ck_assert_uint_eq(d.dom[PY_DOMAIN_OBJ], 0x63bda0);
	/* loaded elsewhere, as a shared library is: the structs move with it */
	memset(&d, 0, sizeof(d));
	ck_assert_int_eq(decode_shared(getalloc_311_shared, 0x7f0000000000 + 0x1cc500, &d), 0);
	ck_assert_uint_eq(d.dom[PY_DOMAIN_OBJ], 0x7f0000000000 + 0x63bda0);

	/* the mem part's last store missing: an incomplete copy finds nothing */
	memcpy(code, getalloc_311_shared, sizeof(code));
	memcpy(code + 0x28 + 30, "\x0f\x1f\x40\x00", 4); /* nopl 0(%rax) */
	memset(&d, 0, sizeof(d));
	ck_assert_int_eq(decode_shared(code, 0x1cc500, &d), 0);
	ck_assert_uint_eq(d.dom[PY_DOMAIN_MEM], 0);
	ck_assert_uint_eq(d.dom[PY_DOMAIN_OBJ], 0x63bda0);
	/* its second half from another struct: refused */
	memcpy(code, getalloc_311_shared, sizeof(code));
	code[0x28 + 11 + 4] ^= 0x40; /* movdqa's displacement, 64 bytes off */
	memset(&d, 0, sizeof(d));
	ck_assert_int_eq(decode_shared(code, 0x1cc500, &d), -EPROTO);
	/* a store of a register nothing loaded (the zeroing path's %xmm0) stops */
	memset(&d, 0, sizeof(d));
	ck_assert_int_eq(python_getalloc_decode((const uint8_t *)"\x0f\x11\x06\xc3", 4, 0x1000,
						PY_DOMAIN_MEM, &d), 0);
	ck_assert_uint_eq(d.dom[PY_DOMAIN_MEM], 0);
}
END_TEST

/* An unstripped build's domains, by the names its .symtab gives the structs: the
 * addresses the loaded library itself reports. */
START_TEST(test_domains_from_symbols)
{
	const char *lib = MS_TEST_BUILD "/tests/targets/libpydomains.so";
	const char *debian = "/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0";
	void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	uint64_t want[PY_DOMAINS], dom[PY_DOMAINS] = {0};
	void (*addrs)(uint64_t *);
	void *ga;

	ck_assert_msg(h, "%s", dlerror());
	addrs = (void (*)(uint64_t *))dlsym(h, "pydomains_addrs");
	ga = dlsym(h, "PyMem_GetAllocator");
	ck_assert(addrs && ga);
	addrs(want);
	ck_assert_int_eq(python_domains_from_symbols(open(lib, O_RDONLY | O_CLOEXEC),
						     (uintptr_t)ga, dom), 0);
	for (int k = 0; k < PY_DOMAINS; k++)
		ck_assert_uint_eq(dom[k], want[k]);
	dlclose(h);
	/* a stripped libpython (Debian's) names none of them */
	if (!access(debian, R_OK))
		ck_assert_int_eq(python_domains_from_symbols(open(debian, O_RDONLY | O_CLOEXEC),
							     0x1000, dom), -ENOENT);
	/* nor does a file that is no CPython */
	ck_assert_int_eq(python_domains_from_symbols(open("/proc/self/exe", O_RDONLY | O_CLOEXEC),
						     0x1000, dom), -ENOENT);
}
END_TEST

/* A compact ASCII str object of CPython 3.11 at buf (128 bytes). */
static void fake_str(uint8_t *buf, const struct python_code_layout *l, const char *s)
{
	uint64_t len = strlen(s);
	uint32_t state = 1 << 2 | 1 << 5 | 1 << 6; /* kind 1, compact, ascii */

	memset(buf, 0, 128);
	memcpy(buf + l->str_length, &len, 8);
	memcpy(buf + l->str_state, &state, 4);
	memcpy(buf + l->str_ascii_data, s, len);
}

/* A CPython 3.11 code object at code: "handler" in /srv/app/views.py, first line
 * 10, one location entry (code 13, line delta +2, two code units); its name, file
 * and location table in the buffers given. */
static void fake_code(uint8_t *code, uint8_t *name, uint8_t *file, uint8_t *tab,
		      struct python_code_layout *l)
{
	const uint8_t t[] = {0x80 | 13 << 3 | 1, 4};
	struct ms_python_offsets off;
	uint64_t len = sizeof(t), p;
	int32_t first = 10;

	ck_assert_int_eq(python_layout_for(0x030b02f0, NULL, 0, 0, &off, l), 0);
	fake_str(name, l, "handler");
	fake_str(file, l, "/srv/app/views.py");
	memcpy(tab + l->bytes_size, &len, 8);
	memcpy(tab + l->bytes_data, t, sizeof(t));
	p = (uint64_t)(uintptr_t)name;
	memcpy(code + l->name, &p, 8);
	p = (uint64_t)(uintptr_t)file;
	memcpy(code + l->filename, &p, 8);
	p = (uint64_t)(uintptr_t)tab;
	memcpy(code + l->linetable, &p, 8);
	memcpy(code + l->firstlineno, &first, 4);
}

START_TEST(test_names)
{
	static uint8_t name[128], file[128], tab[64], code[256];
	struct python_code_layout l;
	struct python_names *n;
	uint64_t c = (uint64_t)(uintptr_t)code;

	fake_code(code, name, file, tab, &l);

	n = python_names__new(getpid(), &l);
	ck_assert_ptr_nonnull(n);
	ck_assert_str_eq(python_names__frame(n, c, c + l.code), "handler (views.py:12)");
	ck_assert_str_eq(python_names__frame(n, c, c + l.code - 2), "handler (views.py:10)");
	ck_assert_str_eq(python_names__frame(n, c, c + l.code + 4), "handler (views.py)");
	ck_assert(site_name_is_python(python_names__frame(n, c, c + l.code)));
	/* read once: later frames of the code object come from the cache */
	fake_str(name, &l, "other");
	ck_assert_str_eq(python_names__frame(n, c, c + l.code + 2), "handler (views.py:12)");
	ck_assert_str_eq(python_names__frame(n, 0, 0), "[python]");
	ck_assert_str_eq(python_names__frame(n, 8, 8 + l.code), "[python]");
	python_names__free(n);
}
END_TEST

/* The names cache is bounded: once it holds MS_PY_NAMES_MAX names it is emptied,
 * and a code object is read from the target again (here renamed meanwhile). */
START_TEST(test_names_bounded)
{
	static uint8_t name[128], file[128], tab[64], code[256];
	struct python_code_layout l;
	struct python_names *n;
	uint64_t c = (uint64_t)(uintptr_t)code;

	fake_code(code, name, file, tab, &l);

	n = python_names__new(getpid(), &l);
	ck_assert_ptr_nonnull(n);
	ck_assert_str_eq(python_names__frame(n, c, c + l.code), "handler (views.py:12)");
	fake_str(name, &l, "other");
	/* past the location table's two code units: no line */
	for (uint64_t i = 2; i <= MS_PY_NAMES_MAX; i++)
		ck_assert_str_eq(python_names__frame(n, c, c + l.code + 2 * i), "handler (views.py)");
	ck_assert_str_eq(python_names__frame(n, c, c + l.code), "handler (views.py:12)");
	/* the next new name finds the cache full: emptied, the code object read again */
	ck_assert_str_eq(python_names__frame(n, c, c + l.code + 2 * (MS_PY_NAMES_MAX + 1)),
			 "other (views.py)");
	ck_assert_str_eq(python_names__frame(n, c, c + l.code), "other (views.py:12)");
	python_names__free(n);
}
END_TEST

Suite *suite_python(void)
{
	Suite *s = suite_create("python");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_linetable_golden);
	tcase_add_test(tc, test_names_bounded);
	tcase_add_test(tc, test_linetable_edges);
	tcase_add_test(tc, test_short_path);
	tcase_add_test(tc, test_merge);
	tcase_add_test(tc, test_drop_shims);
	tcase_add_test(tc, test_drop_frames);
	tcase_add_test(tc, test_find_cold);
	tcase_add_test(tc, test_layout);
	tcase_add_test(tc, test_layout_313);
	tcase_add_test(tc, test_layout_sid);
	tcase_add_test(tc, test_allocator_offsets);
	tcase_add_test(tc, test_getalloc_decode);
	tcase_add_test(tc, test_getalloc_313);
	tcase_add_test(tc, test_getalloc_shared);
	tcase_add_test(tc, test_domains_from_symbols);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);
	return s;
}
