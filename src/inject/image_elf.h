/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reading an injectable image file: its check against the image convention
 * (image.h), its segments, build-id and symbols. No process access. */
#ifndef MEMSPY_INJECT_IMAGE_ELF_H
#define MEMSPY_INJECT_IMAGE_ELF_H

#include <stddef.h>
#include <stdint.h>

struct image_elf {
	uint8_t *bytes; /* the whole file */
	size_t size;
	uint64_t text_size; /* the R+X segment, whole pages, from address 0 */
	uint64_t rw_start;  /* the RW segment, whole pages; rw_size 0 when none */
	uint64_t rw_size;
	uint64_t span;	     /* whole pages from 0 to the end of the last segment */
	uint64_t align;	     /* the alignment the load address needs */
	uint64_t note_vaddr; /* where the build-id note is (0 when none) */
	size_t note_size;    /* the whole note, header included */
	const uint8_t *build_id;
	size_t build_id_len;
};

/* Check bytes (owned by elf afterwards) against the convention. 0, or -ENOEXEC
 * with the reason in why. */
int image_elf_parse(uint8_t *bytes, size_t size, struct image_elf *elf, char *why, size_t len);
/* Read path and parse it. 0, -errno or -ENOEXEC (reason in why). */
int image_elf_load(const char *path, struct image_elf *elf, char *why, size_t len);
/* A defined symbol's value (address from 0), 0 when not defined. */
uint64_t image_elf_symbol(const struct image_elf *elf, const char *name);
void image_elf_release(struct image_elf *elf);

#endif
