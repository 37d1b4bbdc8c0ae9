/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Kernel symbols from /proc/kallsyms, for the kernel part of CPU stacks (--kernel). */
#ifndef MEMSPY_KSYMS_H
#define MEMSPY_KSYMS_H

#include <stdint.h>
#include <stdio.h>

struct ksyms;

/* Read kallsyms text (NULL: /proc/kallsyms). NULL and errno on error. */
struct ksyms *ksyms__load(FILE *f);
void ksyms__free(struct ksyms *k);
/* The function containing addr, or NULL. */
const char *ksyms__lookup(const struct ksyms *k, uint64_t addr);

#endif
