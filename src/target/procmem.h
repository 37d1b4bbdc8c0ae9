/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reading and writing a process's memory by address (process_vm_readv/writev):
 * the whole range or nothing. */
#ifndef MEMSPY_PROCMEM_H
#define MEMSPY_PROCMEM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* 0, -errno, or -EIO when only part of the range was there. */
int procmem_read(pid_t pid, uint64_t addr, void *buf, size_t len);
int procmem_write(pid_t pid, uint64_t addr, const void *buf, size_t len);

#endif
