/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One libdwfl session per target process: its modules, their CFI and symbols.
 * The unwinder and the symbolizer both work through it. The target is never
 * stopped, ptraced or written: unwinding reads only the captured copy (and, for
 * read-only file mappings, /proc/<pid>/mem). A session is not thread-safe: use it
 * from one thread. */
#ifndef MEMSPY_TARGET_DWFL_H
#define MEMSPY_TARGET_DWFL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "symbolize/symcache.h" /* struct frame_loc */

struct target_dwfl;

/* Report the modules (file mappings and the vDSO) mapped in pid now. NULL and errno
 * on error: ENOENT or ESRCH (no such process), EACCES, ENOEXEC (no module's ELF
 * could be opened to choose the unwinder), ENOMEM. */
struct target_dwfl *target_dwfl__open(pid_t pid);
void target_dwfl__free(struct target_dwfl *t);
/* The version of the elfutils libdw memspy runs with ("0.188"), for --version. */
const char *target_dwfl__libdw_version(void);
/* Re-read the process's mappings (libraries loaded since). 0 or -errno; a process
 * that has exited keeps the modules it had. Modules unmapped since stay known, so
 * stacks captured before a dlclose still get names. */
int target_dwfl__refresh(struct target_dwfl *t);
/* True when addr falls in a module known to the session. */
bool target_dwfl__has_module(struct target_dwfl *t, uint64_t addr);
/* The base name of the module addr falls in ("libc.so.6", "vdso"), or NULL when
 * none. Valid until target_dwfl__free. */
const char *target_dwfl__module_name(struct target_dwfl *t, uint64_t addr);

/* Unwind one captured user stack. regs are the DWARF registers (events.h order);
 * stack holds len bytes of user memory starting at regs[MS_REG_SP] (NULL with len
 * 0 unwinds what registers alone allow). Fills pcs with at most max addresses,
 * innermost first, each already suitable for symbol lookup (return addresses minus
 * one; the first frame minus one too when first_is_return_address, as at a
 * uretprobe). Each frame's CFI gives the step to its caller; a frame without
 * (JIT code in anonymous executable memory, or a range of the JIT map) is left by
 * its frame pointer: return address at rbp+8, caller's rbp at rbp, reading only
 * the copy, and the caller must lie higher on the stack and in code. Unwinding
 * stops at the first pc outside every known module and JIT code; such a pc makes
 * the session refresh once and retry, when the pc lies in no mapping the last
 * read of the maps knew and no such refresh ran in the last 20 ms. Sets
 * *complete only when unwinding reached the outermost frame (the CFI leaves the
 * return address undefined: _start, clone3) with every read inside the copy; a
 * cap at max, a read past the copy, an unknown pc or an error leave it false.
 * Returns the number of frames (0 when not even the first pc is in a module).
 * Allocates nothing itself; libdwfl allocates per frame. */
size_t target_dwfl__unwind(struct target_dwfl *t, pid_t tid, const uint64_t *regs,
			   const void *stack, size_t len, bool first_is_return_address,
			   uint64_t *pcs, size_t max, bool *complete);

/* Whether the last unwind of t was truncated in JIT code: its outermost frame
 * is JIT code whose frame-pointer step failed or led nowhere (code that keeps no
 * frame pointer, or a copy too short). */
bool target_dwfl__stopped_in_jit(const struct target_dwfl *t);

/* What a sample may carry beyond registers and stack. */
struct unwind_extras {
	uint64_t stack_start;	   /* address of stack[0] when it is not regs[SP]: a copy
				    * that starts below sp takes in the red zone, which leaf
				    * functions' epilogues still name in their CFI */
	const uint64_t *fix_slots; /* stack words a pending uretprobe replaced with its */
	const uint64_t *fix_addrs; /* trampoline, and the real return addresses */
	size_t nr_fix;
};

/* target_dwfl__unwind with extras (NULL: none). */
size_t target_dwfl__unwind_ex(struct target_dwfl *t, pid_t tid, const uint64_t *regs,
			      const void *stack, size_t len, const struct unwind_extras *x,
			      bool first_is_return_address, uint64_t *pcs, size_t max,
			      bool *complete);

/* An offline session over ELF files named by the caller, no process (tests, the
 * fuzz target, the benchmark): symbolization only, unwinding returns 0 frames and
 * refresh does nothing. NULL and errno ENOMEM. */
struct target_dwfl *target_dwfl__open_offline(void);
/* Add the ELF file at path to an offline session, loaded with bias base (0: at
 * the addresses the file gives; an executable ignores it). Its debug info is
 * looked up at once. 0, or -errno (the file cannot be opened), or -ENOEXEC (not
 * an ELF file libdwfl accepts, or overlapping a module already there). */
int target_dwfl__report_elf(struct target_dwfl *t, const char *path, uint64_t base);

/* Where separate debug files are looked up, for sessions opened after the call:
 * libdwfl's debuginfo_path syntax (":.debug:/usr/lib/debug", the default, used
 * again with NULL): absolute directories are searched for .build-id/xx/yyyy.debug
 * and for the .gnu_debuglink file under the binary's directory. Process-wide and
 * not thread-safe: call it before any session is used. 0 or -ENOMEM. */
int target_dwfl__set_debuginfo_path(const char *path);

/* Names for one address, outermost first: the function that holds the code, then
 * the calls inlined into it, the innermost last; inlined frames get the suffix
 * "_[i]". Function names come from .symtab/.dynsym (separate debug info found by
 * build-id or debuglink included) without symbol versions, or from DWARF;
 * C++ names are demangled when libstdc++'s __cxa_demangle can be loaded at run
 * time (memspy does not link it). An address without a symbol prints as
 * "[module+0xoffset]" (module basename, offset as in the file: the address minus
 * the load bias). Outside every module, the JIT map /tmp/perf-<pid>.map (read in
 * the target's root, re-read when it grows) names the address, with the suffix
 * "_[j]"; JIT code it does not name (an anonymous executable mapping) prints as
 * "[unknown]_[j]", anything else as "[unknown]"; such names are not cached.
 * Debug info is looked up in this order: a separate file by build-id, by
 * .gnu_debuglink (on the host when its build-id or CRC matches, else inside the
 * target's root), then the module's .gnu_debugdata (MiniDebugInfo), .symtab,
 * .dynsym. Module files are read as the target mapped
 * them (/proc/<pid>/map_files, else /proc/<pid>/root/<path> when it is the same
 * inode) and opened at open/refresh, so they stay readable after the target exits
 * or the file is deleted. Results are cached per module (by build-id) and offset
 * in the session's symcache (see target_dwfl__share_symcache). Strings stay valid
 * until target_dwfl__free; those of module addresses, with a shared symcache,
 * until symcache__free. Writes the first (outermost) max names; returns how many
 * (at least 1 when max >= 1). */
size_t target_dwfl__symbolize(struct target_dwfl *t, uint64_t pc, const char **names,
			      size_t max);

/* Names and source locations for one address, in the order and number of
 * target_dwfl__symbolize: out[0] is the function that holds the code, each next
 * level a call inlined into the previous one, the innermost last. The innermost
 * level's location is the line of pc itself (from the line table); every outer
 * level's is the call site of the inlined call one level in (DW_AT_call_file and
 * DW_AT_call_line), that is the line of that function that was executing. Levels
 * without DWARF have file NULL and line 0; JIT and unknown frames give one level.
 * Results are cached with the names, and their strings stay valid as long.
 * Writes the first max levels; returns how many (at least 1 when max >= 1). */
size_t target_dwfl__symbolize_loc(struct target_dwfl *t, uint64_t pc, struct frame_loc *out,
				  size_t max);

/* Name addresses through c, shared with other sessions (the processes of one
 * run), instead of the session's own cache: an address of a module another
 * session named already (same build-id, same offset) costs no symbolization.
 * Lifetime: the caller owns c and frees it after every session using it, since
 * the strings handed out live in c. Call it before the first symbolization:
 * addresses named before are named again through c (their strings stay valid).
 * Sessions that do not share (tests comparing two sessions, offline tools) each
 * keep their own cache, so none sees another's results unasked. */
void target_dwfl__share_symcache(struct target_dwfl *t, struct symcache *c);

struct dbgfetch;

/* Fetch the separate debug files of t's modules that have none locally through
 * f (src/symbolize/debuginfod_fetch.h; NULL: never), which must outlive t: a
 * module is asked for on its first address looked up, when it has a build-id
 * and no DWARF was found for it (the vDSO never). Until its file arrives, its
 * addresses are named as without one. */
void target_dwfl__fetch_debuginfo(struct target_dwfl *t, struct dbgfetch *f);
/* Take the debug files fetched since the last call for the modules waiting for
 * one: from then on their addresses are named from the file (functions, inline
 * chains, file:line), and the addresses named before are named anew in the
 * session's symcache, which lists each change (symcache__renames) for whoever
 * interned the old names. Returns how many modules took a file. */
size_t target_dwfl__adopt_fetched(struct target_dwfl *t);
/* What target_dwfl__adopt_fetched does for one module, with a debug file the
 * caller has: path must hold DWARF for the module with this build-id. 0,
 * -ENOENT (no module has it), -ENOEXEC (no DWARF, or another build-id), -ENOMEM. */
int target_dwfl__adopt_debuginfo(struct target_dwfl *t, const unsigned char *id, size_t len,
				 const char *path);

/* Inline chains come from a per-CU index of DWARF scopes, built on the first
 * address in each CU (src/dwarf_index.h; at most MS_DWARF_INDEX_MAX_BYTES per
 * session). With on, for addresses not symbolized yet, from libdw's
 * dwarf_getscopes per address instead: the slow reference the index is tested
 * against. Both name the same. */
void target_dwfl__scan_scopes(struct target_dwfl *t, bool on);

#endif
