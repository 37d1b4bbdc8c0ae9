/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Mapping a freestanding image (the in-process agent) into a running process
 * through an injection session, and finding one mapped earlier.
 *
 * The image convention (checked when the file is read): an ELF64 x86-64 shared
 * object with exactly one file-backed PT_LOAD, R+X from file offset 0 at address
 * 0, and at most one more PT_LOAD with nothing from the file (RW, zero-filled);
 * no relocation, no NEEDED, no initializers, no TLS; entry points and data found
 * by name in .symtab or .dynsym.
 *
 * In the target: a memfd named "memspy-agent" (close-on-exec) holds the file,
 * filled by memspy through /proc/<pid>/fd/<n> (nothing on disk, any mount
 * namespace) and sealed; the span is reserved PROT_NONE, the R+X segment mapped
 * over it privately from the memfd (uprobes need a file-backed, never writable
 * mapping), the RW segment anonymous over its part, and the descriptor closed. */
#ifndef MEMSPY_INJECT_IMAGE_H
#define MEMSPY_INJECT_IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct inject;
struct image_elf;

#define INJECT_MEMFD_NAME "memspy-agent"

struct inject_image {
	uint64_t base;	       /* the file's address 0 in the target */
	uint64_t span;	       /* bytes from base the image occupies */
	uint64_t rw;	       /* the RW segment's first address, 0 when none */
	uint64_t rw_size;      /* its size (whole pages) */
	uint8_t build_id[64];  /* NT_GNU_BUILD_ID of the file */
	size_t build_id_len;   /* 0 when the file has none */
	struct image_elf *elf; /* private: the file's symbols */
};

/* Read and check an image file without mapping it (base stays 0): for
 * symbol values relative to 0. 0, or -ENOEXEC (not the convention: the reason
 * is logged with ms_err), -errno reading it. */
int inject_image_open(const char *path, struct inject_image *out);

/* Map the image file at path into the session's process, as described above.
 * Fills out (release it with inject_image_release). 0 or -errno, each failure
 * logged once; a failed mapping leaves at most an unused descriptor or
 * reservation behind. */
int inject_map_image(struct inject *in, const char *path, struct inject_image *out);

/* An image already mapped in pid whose build-id matches the file at path
 * (from an earlier attach): fills out as inject_map_image did. 0, -ENOENT when
 * there is none, -errno. Needs no injection session. */
int inject_find_image(pid_t pid, const char *path, struct inject_image *out);

/* The target address of symbol name (a function or object of the image), 0
 * when the image does not define it. */
uint64_t inject_image_symbol(const struct inject_image *img, const char *name);

void inject_image_release(struct inject_image *img);

#endif
