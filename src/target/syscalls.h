/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Names of system calls by number. */
#ifndef MEMSPY_SYSCALLS_H
#define MEMSPY_SYSCALLS_H

#include <stddef.h>

/* "epoll_wait" for 232 on x86_64; a number without a name is written into buf
 * ("syscall_999") and buf returned. */
const char *syscall_name(long nr, char *buf, size_t size);

#endif
