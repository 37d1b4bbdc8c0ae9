/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Inside a target_dwfl session: its state and the helpers its files share
 * (target_dwfl.c: modules and the session; target_dwfl_unwind.c: unwinding;
 * target_dwfl_names.c: naming and locating an address in a module;
 * target_dwfl_symbolize.c: the pc table and the symcache in front of them).
 * Only those files include it. */
#ifndef MEMSPY_TARGET_DWFL_IMPL_H
#define MEMSPY_TARGET_DWFL_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <elfutils/libdwfl.h>

#include "base/hashtab.h"
#include "target/elfload.h"
#include "target/procmaps.h"
#include "symbolize/symcache.h"
#include "symbolize/target_dwfl.h"

/* Longest inline chain kept for one address; deeper chains keep the outermost. */
#define MS_MAX_INLINE_NAMES   32
#define MS_PC_MIN_ENTRIES     512

/* The session's front of its symcache: a pc seen again costs one probe here, no
 * module lookup. */
struct pc_entry {
	uint64_t pc;
	struct symcache_entry *e;
};

/* A module's key in the symcache, looked up once per module. */
struct module_id {
	Dwfl_Module *mod;
	uint32_t id;   /* symcache__module id */
	uint64_t bias; /* pc - bias: the address in the file, the same in every process */
};

/* The sample being unwound; libdwfl reaches it through the callbacks' argument. */
struct cur_sample {
	const uint64_t *regs;
	const unsigned char *stack;
	uint64_t sp;
	size_t len;
	bool read_failed; /* libdwfl takes an unreadable return address for the end */
	bool stack_only;  /* reads outside the copy fail: a frame-pointer step */
	const uint64_t *fix_slots; /* stack slots whose word a pending uretprobe replaced */
	const uint64_t *fix_addrs; /* ... and the real return addresses */
	size_t nr_fix;
};

/* The PT_LOAD headers of a mapped file, read once per session: a module's bias
 * comes from them on every report. */
struct file_loads {
	uint64_t inode;
	unsigned dev_major, dev_minor;
	int err; /* 0, or why loads is empty (the file could not be read) */
	struct elf_loads loads;
};

/* A module's function symbols sorted by address: libdwfl's dwfl_module_addrinfo
 * scans every symbol per lookup (10,000 in libc's .symtab). */
struct modsyms {
	Dwfl_Module *mod;
	struct msym {
		uint64_t addr, end; /* end: addr + size, or the next symbol's addr for size 0 */
		const char *name;   /* libelf's string: valid while the module lives */
		int rank;	    /* GLOBAL over WEAK over LOCAL among aliases */
	} *syms;
	size_t n;
};

/* A module without DWARF whose debug file is fetched by build-id: while it
 * waits, its addresses get what the module itself names; once the file is
 * there, they are named from a session of their own over it. */
struct fetch_mod {
	Dwfl_Module *mod;
	int state;	   /* enum dbgfetch_state; MS_FETCH_NONE: nothing to fetch */
	Dwfl *side;	   /* over the fetched file; NULL until it is there */
	Dwfl_Module *smod; /* the module in side */
	uint64_t bias, sbias; /* load biases: pc in mod is pc - bias + sbias in smod */
};

struct target_dwfl {
	pid_t pid;		/* 0 in an offline session (target_dwfl__open_offline) */
	bool foreign_root;	/* the target's root directory is not ours (chroot, container) */
	Dwfl *dwfl;
	struct jitmap *jit;	/* /tmp/perf-<pid>.map inside the target's root */
	int mem_fd; /* /proc/<pid>/mem, read only; -1 when unavailable */
	struct procmaps maps;	  /* the last good read of /proc/<pid>/maps */
	struct file_loads *files; /* of every file mapped so far */
	size_t nfiles;
	uint64_t last_refresh_ns; /* CLOCK_MONOTONIC of the last automatic refresh */
	struct cur_sample cur;
	bool stopped_in_jit; /* the last unwind: see target_dwfl__stopped_in_jit */
	struct modsyms *modsyms; /* one per module symbolized so far */
	size_t nmodsyms;
	struct dwarf_index *dwx;    /* DWARF scopes per CU, made on the first lookup */
	bool scan_scopes;	    /* dwarf_getscopes per address instead (tests) */
	struct symcache *cache;	    /* own_cache, or one shared with other sessions */
	struct symcache *own_cache; /* made on the first lookup when none is shared */
	struct module_id *modids;   /* of the modules symbolized so far through cache */
	size_t nmodids;
	struct pc_entry *pcs; /* in the order first symbolized */
	size_t npcs, pcs_cap;
	struct hashtab pcs_by_pc;
	struct dbgfetch *fetch;	  /* fetches missing debug files; NULL: none */
	struct fetch_mod *fmods;  /* modules looked up since fetching is on */
	size_t nfmods;
};

/* The module holding addr, checked against the module's own range; NULL when none. */
Dwfl_Module *target_dwfl_module_at(struct target_dwfl *t, uint64_t addr);

/* Whether addr is code no module holds: an anonymous executable mapping (JIT
 * code, named from the JIT map when there is one) in the last read of the maps. */
bool target_dwfl_in_jit(const struct target_dwfl *t, uint64_t addr);

/* Hand the session's Dwfl the callbacks that unwind a captured sample (one
 * pseudo-thread, memory from the copy). False when no module's ELF can be
 * opened to pick the unwinder. */
bool target_dwfl_attach_unwinder(struct target_dwfl *t);

/* The module and address to name pc of mod from: the session over its fetched
 * debug file when there is one, else mod and pc as given. On a module's first
 * lookup, asks t->fetch for its debug file when it has no DWARF. */
void target_dwfl_naming_module(struct target_dwfl *t, Dwfl_Module **mod, uint64_t *pc);
/* Name anew the addresses of mod in the session's symcache (its debug file has
 * arrived), listing the changes there (symcache__renames). */
void target_dwfl_rename_module(struct target_dwfl *t, Dwfl_Module *mod);
/* End the sessions over fetched debug files. */
void target_dwfl_fetch_release(struct target_dwfl *t);

/* Names being assembled for one address, before they go into the cache. */
struct name_list {
	char *names[MS_MAX_INLINE_NAMES];
	size_t n;
};

void name_list_release(struct name_list *l);
/* Append the names of pc in mod to l, outermost first: the function holding the
 * code ("[module+0xoffset]" without a symbol), then its inlined calls with the
 * suffix "_[i]". False on ENOMEM. */
bool target_dwfl_name_pc(struct target_dwfl *t, Dwfl_Module *mod, uint64_t pc,
			 struct name_list *l);
/* Source locations of the n levels of pc, outermost first as the names are: the
 * innermost level's from the line table, each outer level's from the call site
 * of the inlined call below it. File strings belong to libdw (valid while the
 * session lives). */
void target_dwfl_locate_pc(struct target_dwfl *t, Dwfl_Module *mod, uint64_t pc,
			   struct frame_loc *locs, size_t n);
/* The module's load bias: pc - bias is the address as the module's file has it
 * (what addr2line -e takes). Its start when it has no ELF file. */
uint64_t target_dwfl_module_bias(Dwfl_Module *mod);
/* The module's name in "[module+0xoffset]": the file's basename. */
const char *target_dwfl_module_name(Dwfl_Module *mod);

#endif
