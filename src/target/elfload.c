/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The load bias of a mapping of an ELF file, from its PT_LOAD program headers. */
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>

#include "target/elfload.h"

/* Mappings start at page boundaries of the file; x86_64's pages are 4 KiB. */
#define MS_ELF_PAGE 4096ull

int elf_loads_read(int fd, struct elf_loads *out)
{
	size_t phnum = 0;
	int err = -ENOEXEC;

	*out = (struct elf_loads){0};
	elf_version(EV_CURRENT);
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || elf_getphdrnum(elf, &phnum))
		goto out;
	if (phnum && !(out->segs = calloc(phnum, sizeof(*out->segs)))) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		out->segs[out->n++] = (struct elf_segment){.offset = ph.p_offset,
							   .vaddr = ph.p_vaddr,
							   .filesz = ph.p_filesz,
							   .align = ph.p_align};
	}
	err = out->n ? 0 : -ENOEXEC;
out:
	if (elf)
		elf_end(elf);
	if (err)
		elf_loads_release(out);
	return err;
}

void elf_loads_release(struct elf_loads *l)
{
	free(l->segs);
	*l = (struct elf_loads){0};
}

/* Whether s maps the file page at offset (its first page may start before it). */
static bool covers(const struct elf_segment *s, uint64_t offset)
{
	return s->filesz && (s->offset & ~(MS_ELF_PAGE - 1)) <= offset &&
	       offset < s->offset + s->filesz;
}

/* The bias under which s maps file offset offset at start. */
static uint64_t bias_of(const struct elf_segment *s, uint64_t start, uint64_t offset)
{
	return start - (s->vaddr - s->offset + offset);
}

int elf_loads_bias(const struct elf_loads *l, uint64_t start, uint64_t offset, uint64_t *bias)
{
	const struct elf_segment *cover = NULL;

	/* A page can hold the end of one segment and the start of the next (the
	 * data segment usually shares one with the segment before): a mapping that
	 * starts there was made for the segment that starts there. */
	for (size_t i = 0; i < l->n; i++) {
		const struct elf_segment *s = &l->segs[i];
		if (!covers(s, offset))
			continue;
		if ((s->offset & ~(MS_ELF_PAGE - 1)) == offset) {
			*bias = bias_of(s, start, offset);
			return 0;
		}
		if (!cover)
			cover = s;
	}
	if (!cover)
		return -ENOENT;
	*bias = bias_of(cover, start, offset);
	return 0;
}

bool elf_loads_agree(const struct elf_loads *l, uint64_t bias, uint64_t start, uint64_t offset)
{
	for (size_t i = 0; i < l->n; i++)
		if (covers(&l->segs[i], offset) && bias_of(&l->segs[i], start, offset) == bias)
			return true;
	return false;
}

uint64_t elf_loads_base(const struct elf_loads *l)
{
	/* As libdwfl computes it, p_align 0 included (that gives 0). */
	return l->segs[0].vaddr & -l->segs[0].align;
}
