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

#include "symbolize/jitmap.h"
#include "symbolize/target_dwfl.h"

#define BASE 0x10000000ull

static char elf_path[64];
static char map_path[64];

static int write_file(const char *path, const uint8_t *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0)
		return -1;
	while (size) {
		ssize_t w = write(fd, data, size);
		if (w <= 0)
			break;
		data += w;
		size -= (size_t)w;
	}
	close(fd);
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	snprintf(elf_path, sizeof(elf_path), "/tmp/memspy-fuzz-%d.elf", (int)getpid());
	snprintf(map_path, sizeof(map_path), "/tmp/memspy-fuzz-%d.map", (int)getpid());
	/* No host debug files: an input naming libc's build-id would load them. */
	target_dwfl__set_debuginfo_path("/nonexistent-memspy-fuzz");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *names[16];
	struct frame_loc loc[16];

	if (write_file(elf_path, data, size))
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
	write_file(map_path, data, size);
	struct jitmap *m = jitmap__new_path(map_path);
	for (size_t i = 0; i + 8 <= size && i < 256; i += 8) {
		uint64_t a;
		memcpy(&a, data + i, 8);
		jitmap__lookup(m, a);
	}
	jitmap__free(m);
	return 0;
}
