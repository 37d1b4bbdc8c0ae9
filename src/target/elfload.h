/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Where a mapping of an ELF file puts the file's addresses: the load bias, from
 * the mapping's file offset and the file's PT_LOAD program headers. A module's
 * mappings can have gaps between them (a text segment aligned to 2 MiB, node's
 * split text), so the bias cannot come from the start of the first mapping seen. */
#ifndef MEMSPY_ELFLOAD_H
#define MEMSPY_ELFLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One PT_LOAD program header, the fields the bias needs. */
struct elf_segment {
	uint64_t offset; /* p_offset */
	uint64_t vaddr;	 /* p_vaddr */
	uint64_t filesz; /* p_filesz: bytes mapped from the file */
	uint64_t align;	 /* p_align */
};

/* The PT_LOAD segments of one file, in program header order. */
struct elf_loads {
	struct elf_segment *segs;
	size_t n;
};

/* Read the PT_LOAD headers of the ELF file open at fd (the fd stays open and
 * its position is not used). 0, -ENOEXEC (not ELF, or no PT_LOAD) or -ENOMEM. */
int elf_loads_read(int fd, struct elf_loads *out);
void elf_loads_release(struct elf_loads *l);

/* The load bias (runtime address minus the file's address) of a mapping of
 * file offset offset at start: from the segment that begins in the mapping's
 * first page, else from one that covers it (a mapping split by mprotect, as for
 * RELRO). 0, or -ENOENT when no segment maps that offset. */
int elf_loads_bias(const struct elf_loads *l, uint64_t start, uint64_t offset, uint64_t *bias);
/* Whether some segment puts file offset offset at start under bias: the mapping
 * belongs to the same load of the file. */
bool elf_loads_agree(const struct elf_loads *l, uint64_t bias, uint64_t start, uint64_t offset);
/* The file's lowest address as libdwfl takes it (the first PT_LOAD's p_vaddr
 * rounded down to its p_align): libdwfl derives a module's bias as the module's
 * start minus this, so bias plus this is where the module must be reported. */
uint64_t elf_loads_base(const struct elf_loads *l);

#endif
