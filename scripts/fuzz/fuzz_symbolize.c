/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target of the symbolizer's input handling: each input is written as an
 * ELF file, reported as a module of an offline session and symbolized at addresses
 * across it (names, inline chains, file:line). Built and run by run.sh. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "symbolize/jitmap.h"
#include "symbolize/target_dwfl.h"

#define BASE 0x10000000ull

static char elf_path[64];
static char map_path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_path(elf_path, sizeof(elf_path), "elf");
	fuzz_path(map_path, sizeof(map_path), "map");
	fuzz_quiet();
	/* No host debug files: an input naming libc's build-id would load them. */
	target_dwfl__set_debuginfo_path("/nonexistent-memspy-fuzz");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *names[16];
	struct frame_loc loc[16];

	if (fuzz_write_file(elf_path, data, size))
		return 0;
	struct target_dwfl *t = target_dwfl__open_offline();
	if (!t)
		return 0;
	target_dwfl__report_elf(t, elf_path, BASE);
	/* Addresses across the file's range (an executable ignores BASE: try its
	 * usual addresses too), and a few the input chooses. */
	for (uint64_t off = 0; off < 2 * size + 4096; off += 97) {
		target_dwfl__symbolize(t, BASE + off, names, 16);
		target_dwfl__symbolize_loc(t, BASE + off, loc, 16);
		target_dwfl__symbolize_loc(t, 0x400000 + off, loc, 16);
	}
	for (size_t i = 0; i + 8 <= size && i < 256; i += 8) {
		uint64_t a;
		memcpy(&a, data + i, 8);
		target_dwfl__symbolize_loc(t, a, loc, 16);
	}
	target_dwfl__free(t);

	/* The same bytes as a JIT map. */
	fuzz_write_file(map_path, data, size);
	struct jitmap *m = jitmap__new_path(map_path);
	for (size_t i = 0; i + 8 <= size && i < 256; i += 8) {
		uint64_t a;
		memcpy(&a, data + i, 8);
		jitmap__lookup(m, a);
	}
	jitmap__free(m);
	return 0;
}
