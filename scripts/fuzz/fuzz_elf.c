/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target of memspy's own ELF readers, which see every file a target
 * maps: symbol tables (elfsyms: allocator entry points, exports, sections) and
 * program headers (elfload: where a mapping puts the file). Built and run by
 * run.sh. */
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "target/elfload.h"
#include "target/elfsyms.h"

static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_path(path, sizeof(path), "elf");
	fuzz_quiet();
	return 0;
}

static void symbols(const uint8_t *data, size_t size)
{
	static const char *const names[] = {"malloc", "free", "realloc", "je_malloc", "_start",
					    "main", "PyMem_GetAllocator", "_PyRuntime"};
	struct elfsyms *s = elfsyms__open(path);
	uint64_t vaddr, off;

	if (!s)
		return;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!elfsyms__find(s, names[i], &vaddr, &off))
			elfsyms__section_of(s, vaddr);
		elfsyms__exports(s, names[i]);
	}
	elfsyms__exports_prefix(s, "je_");
	elfsyms__has_section(s, ".go.buildinfo");
	for (size_t i = 0; i + 8 <= size && i < 256; i += 8) {
		memcpy(&vaddr, data + i, 8);
		elfsyms__section_of(s, vaddr);
	}
	elfsyms__free(s);
}

static void loads(const uint8_t *data, size_t size)
{
	struct elf_loads l = {0};
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint64_t bias;

	if (fd < 0)
		return;
	if (!elf_loads_read(fd, &l)) {
		elf_loads_base(&l);
		for (size_t i = 0; i < l.n; i++) {
			const struct elf_segment *g = &l.segs[i];
			uint64_t start = 0x7f0000000000ull + (g->vaddr & ~0xfffull);
			if (!elf_loads_bias(&l, start, g->offset & ~0xfffull, &bias))
				elf_loads_agree(&l, bias, start + 0x1000, (g->offset & ~0xfffull) + 0x1000);
		}
		for (size_t i = 0; i + 16 <= size && i < 256; i += 16) {
			uint64_t a, o;
			memcpy(&a, data + i, 8);
			memcpy(&o, data + i + 8, 8);
			if (!elf_loads_bias(&l, a, o, &bias))
				elf_loads_agree(&l, bias, a, o);
		}
	}
	elf_loads_release(&l);
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (fuzz_write_file(path, data, size))
		return 0;
	symbols(data, size);
	loads(data, size);
	return 0;
}
