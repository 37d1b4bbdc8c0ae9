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

struct target_dwfl;

/* Report the modules (file mappings and the vDSO) mapped in pid now. NULL and errno
 * on error: ENOENT or ESRCH (no such process), EACCES, ENOEXEC (no module's ELF
 * could be opened to choose the unwinder), ENOMEM. */
struct target_dwfl *target_dwfl__open(pid_t pid);
void target_dwfl__free(struct target_dwfl *t);
/* Re-read the process's mappings (libraries loaded since). 0 or -errno; a process
 * that has exited keeps the modules it had. Modules unmapped since stay known, so
 * stacks captured before a dlclose still get names. */
int target_dwfl__refresh(struct target_dwfl *t);
/* True when addr falls in a module known to the session. */
bool target_dwfl__has_module(struct target_dwfl *t, uint64_t addr);

/* Unwind one captured user stack. regs are the DWARF registers (events.h order);
 * stack holds len bytes of user memory starting at regs[MS_REG_SP] (NULL with len
 * 0 unwinds what registers alone allow). Fills pcs with at most max addresses,
 * innermost first, each already suitable for symbol lookup (return addresses minus
 * one; the first frame minus one too when first_is_return_address, as at a
 * uretprobe). Unwinding stops at the first pc outside every known module; such a
 * pc makes the session refresh once and retry, when the pc lies in no mapping the
 * last read of the maps knew and no such refresh ran in the last 20 ms. Sets
 * *complete only when unwinding reached the outermost frame (the CFI leaves the
 * return address undefined: _start, clone3) with every read inside the copy; a
 * cap at max, a read past the copy, an unknown pc or an error leave it false.
 * Returns the number of frames (0 when not even the first pc is in a module).
 * Allocates nothing itself; libdwfl allocates per frame. */
size_t target_dwfl__unwind(struct target_dwfl *t, pid_t tid, const uint64_t *regs,
			   const void *stack, size_t len, bool first_is_return_address,
			   uint64_t *pcs, size_t max, bool *complete);

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

/* Names for one address, outermost first: the function that holds the code, then
 * the calls inlined into it, the innermost last; inlined frames get the suffix
 * "_[i]". Function names come from .symtab/.dynsym (separate debug info found by
 * build-id or debuglink included) without symbol versions, or from DWARF;
 * C++ names are demangled when libstdc++'s __cxa_demangle can be loaded at run
 * time (memspy does not link it). An address without a symbol prints as
 * "[module+0xoffset]" (module basename, offset as in the file: the address minus
 * the load bias), or "[unknown]" outside any module. Strings stay valid until
 * target_dwfl__free (results are cached per distinct address). Writes the first
 * (outermost) max names; returns how many (at least 1 when max >= 1). */
size_t target_dwfl__symbolize(struct target_dwfl *t, uint64_t pc, const char **names,
			      size_t max);

#endif
