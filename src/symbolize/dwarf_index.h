/* SPDX-License-Identifier: GPL-2.0-or-later */
/* An index of the DWARF scopes (subprograms, inlined subroutines, lexical blocks)
 * of each compile unit, built once per CU on its first lookup, so that naming an
 * address costs a few binary searches instead of libdw walking the CU's DIE tree
 * (dwarf_getscopes) for every address. Used by the symbolizer only. */
#ifndef MEMSPY_DWARF_INDEX_H
#define MEMSPY_DWARF_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include <elfutils/libdw.h>

/* Memory the CU indexes of one dwarf_index may hold (bytes): past it the least
 * recently used ones are freed (and rebuilt if needed again). An index costs
 * about 80 bytes per DIE with an address range: libc's 2,063 CUs (libc6-dbg)
 * take 1.9 MB in all, the biggest 95 KiB, and about 25 ms to build. */
#define MS_DWARF_INDEX_MAX_BYTES (64u << 20)
/* Address ranges one CU may have indexed: a CU with more (about 40 MiB of index,
 * or a malformed one) is not indexed and dwarf_index__scopes answers -E2BIG.
 * With it, a dwarf_index holds at most MS_DWARF_INDEX_MAX_BYTES plus one CU's
 * index and the scratch space of one build. */
#define MS_DWARF_INDEX_MAX_RANGES (1u << 19)

struct dwarf_index;

/* An empty index that keeps at most max_bytes of CU indexes. NULL and errno
 * ENOMEM. */
struct dwarf_index *dwarf_index__new(size_t max_bytes);
/* Frees every CU index; accepts NULL. The Dwarf_Die values returned earlier stay
 * usable: they belong to libdw. */
void dwarf_index__free(struct dwarf_index *x);

/* The scopes holding pc (a DWARF address: the module address minus the bias) in
 * the CU of cudie, as dwarf_getscopes and dwarf_getscopes_die on its innermost
 * result give them: chain[0] the innermost DIE whose ranges hold pc (the first in
 * DIE order at each level), then its parents up to, not including, the CU (or
 * the partial unit it was imported from). Writes at most max DIEs (the innermost
 * ones) and returns how many; 0 when no scope in the CU holds pc, or when the
 * innermost inlined subroutine has no usable DW_AT_abstract_origin (where
 * dwarf_getscopes fails too). -E2BIG for a CU too big to index
 * (MS_DWARF_INDEX_MAX_RANGES), -ENOMEM, -EINVAL for a NULL cudie: the caller may
 * fall back to dwarf_getscopes. */
int dwarf_index__scopes(struct dwarf_index *x, Dwarf_Die *cudie, uint64_t pc, Dwarf_Die *chain,
			size_t max);

/* Bytes held by CU indexes now, and how many CUs have been indexed so far
 * (rebuilds after eviction included): for tests and the benchmark. */
size_t dwarf_index__bytes(const struct dwarf_index *x);
size_t dwarf_index__builds(const struct dwarf_index *x);

#endif
