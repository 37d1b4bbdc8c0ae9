/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Read /proc/<pid>/pagemap: for each page of a process's address space, whether a
 * page frame is mapped there now, swapped out, and which frame (root only). */
#ifndef MEMSPY_PAGEMAP_H
#define MEMSPY_PAGEMAP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct pagemap;

/* Open pid's pagemap. It reads the address space the process has now: after an
 * exec, reads of it return nothing and it must be opened again. NULL with errno
 * set when the process is gone or memspy may not read it. */
struct pagemap *pagemap__open(pid_t pid);
/* Accepts NULL. */
void pagemap__close(struct pagemap *pm);
/* The entries (64 bits a page, as Documentation/admin-guide/mm/pagemap.rst
 * lays them out; the frame number reads 0 without CAP_SYS_ADMIN) of the n pages from vaddr
 * (page-aligned) on into out: the number read, fewer at the top of the address space or once the
 * address space is gone (0 then), or -errno. */
long pagemap__read(struct pagemap *pm, uint64_t vaddr, size_t n, uint64_t *out);

#endif
