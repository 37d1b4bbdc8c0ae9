/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Decide which allocator a process really uses and list its entry points. */
#ifndef MEMSPY_ALLOCATOR_H
#define MEMSPY_ALLOCATOR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "target/procmaps.h"
#include "target/runtime_heap.h"

struct alloc_entry {
	const char *symbol; /* a probed name of alloc_names (base/alloc_names.h) */
	unsigned fn;	    /* enum ms_alloc_fn */
	uint64_t vaddr;	    /* symbol value in the module */
	uint64_t file_offset; /* where the entry probe goes: the function's first
			       * instruction, or just past a leading compare the
			       * kernel would have to single-step */
};

struct allocator {
	char *module;	   /* path as mapped, e.g. /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 */
	char *open_path;   /* path to open and probe it through: /proc/<pid>/map_files/<range> */
	const char *why;   /* static text: "exported by the executable", "LD_PRELOAD", ... */
	struct alloc_entry *entries; /* one per distinct address: aliases dropped */
	size_t n;
	const struct runtime_heap *runtime; /* a heap the probes cannot see; NULL: none */
};

/* Choose among mapped modules: the executable if it defines malloc, then LD_PRELOAD
 * libraries (from preload, a colon/space separated list, may be NULL), then any other
 * library that exports malloc (jemalloc, tcmalloc, mimalloc), then libc.
 * map_files is the directory to open mapped files through ("/proc/<pid>/map_files"),
 * or NULL to open the paths as given. exe is the path of the main executable as
 * mapped. Sets out->runtime when a language runtime keeps a heap of its own there
 * (runtime_heap_find), even on -ENOENT. Returns 0 or -errno (-ENOENT: no
 * allocator found). */
int allocator_resolve(const struct procmaps *maps, const char *exe, const char *preload,
		      const char *map_files, struct allocator *out);
/* Same, reading everything from /proc/<pid>. */
int allocator_resolve_pid(pid_t pid, struct allocator *out);
void allocator_release(struct allocator *a);

#endif
