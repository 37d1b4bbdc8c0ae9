/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The two pieces of the target's own code an injection runs through: a
 * `syscall; ret` and libc's __restore_rt (an rt_sigreturn), found by their
 * bytes in the target's executable file mappings, libc first. */
#ifndef MEMSPY_INJECT_GADGETS_H
#define MEMSPY_INJECT_GADGETS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct inject_gadgets {
	uint64_t syscall_ret; /* 0f 05 c3: syscall; ret */
	uint64_t restore_rt;  /* 48 c7 c0 0f 00 00 00 0f 05: mov $15,%rax; syscall */
};

/* Search the bytes of one text mapping (as read from the target, so a uprobe's
 * int3 on them is seen) starting at address start. Fills what it finds; already
 * found fields stay. */
void gadgets_scan(const uint8_t *text, size_t len, uint64_t start, struct inject_gadgets *g);

/* Find both in process pid. 0, -ENOENT (not found: why says which) or -errno
 * reading the process. */
int gadgets_find(pid_t pid, struct inject_gadgets *g, char *why, size_t len);

#endif
