/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Find defined symbols in an ELF file: functions (and their file offsets), data
 * objects. */
#ifndef MEMSPY_ELFSYMS_H
#define MEMSPY_ELFSYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct elfsyms;

/* Open an ELF file for symbol lookups (.symtab and .dynsym). NULL and errno on error. */
struct elfsyms *elfsyms__open(const char *path);
/* The same on an open file (procroot_open's, for a target's file), which s owns
 * from then on: closed by elfsyms__free, or here on error. */
struct elfsyms *elfsyms__open_fd(int fd);
void elfsyms__free(struct elfsyms *s);
/* Look up a defined function by name (versioned names match their base name, the
 * default version preferred). On success sets *vaddr (st_value) and *file_offset
 * (where uprobes want it) and returns 0; -ENOENT when not defined here. */
int elfsyms__find(struct elfsyms *s, const char *name, uint64_t *vaddr, uint64_t *file_offset);
/* Look up a defined data object (STT_OBJECT, local ones included: a static
 * variable is in .symtab when the file is not stripped). On success sets *vaddr
 * and *size and returns 0; -ENOENT when not defined here. */
int elfsyms__find_object(struct elfsyms *s, const char *name, uint64_t *vaddr, uint64_t *size);
/* The addresses (st_value) of up to max defined functions with a size, from
 * .symtab, else .dynsym, in table order (aliases repeat an address). Returns how
 * many were written. */
size_t elfsyms__functions(struct elfsyms *s, uint64_t *vaddrs, size_t max);
/* Name of the section holding vaddr ("" when none). Valid while s lives. */
const char *elfsyms__section_of(struct elfsyms *s, uint64_t vaddr);
/* True when the name is defined in .dynsym, i.e. exported for interposition. */
bool elfsyms__exports(struct elfsyms *s, const char *name);
/* True when some function defined in .dynsym has a name starting with prefix. */
bool elfsyms__exports_prefix(struct elfsyms *s, const char *prefix);
/* True when the file has a section of that name (".go.buildinfo"). */
bool elfsyms__has_section(struct elfsyms *s, const char *name);

#endif
