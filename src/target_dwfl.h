/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One libdwfl session per target process: its modules, their CFI and symbols.
 * The unwinder and the symbolizer both work through it. */
#ifndef MEMSPY_TARGET_DWFL_H
#define MEMSPY_TARGET_DWFL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct target_dwfl;

/* Report the modules mapped in pid now. NULL and errno on error. */
struct target_dwfl *target_dwfl__open(pid_t pid);
void target_dwfl__free(struct target_dwfl *t);
/* Re-read the process's mappings (libraries loaded since). 0 or -errno; a process
 * that has exited keeps the modules it had. */
int target_dwfl__refresh(struct target_dwfl *t);
/* True when addr falls in a module known to the session. */
bool target_dwfl__has_module(struct target_dwfl *t, uint64_t addr);

/* Unwind one captured user stack. regs are the DWARF registers (events.h order);
 * stack holds len bytes of user memory starting at regs[MS_REG_SP]. Fills pcs with
 * at most max addresses, innermost first, each already suitable for symbol lookup
 * (return addresses minus one; the first frame minus one too when
 * first_is_return_address). Sets *complete when unwinding reached the outermost
 * frame (the CFI leaves the return address undefined: _start, clone3). Returns the
 * number of frames (0 when not even the first pc is known). */
size_t target_dwfl__unwind(struct target_dwfl *t, pid_t tid, const uint64_t *regs,
			   const void *stack, size_t len, bool first_is_return_address,
			   uint64_t *pcs, size_t max, bool *complete);

/* Names for one address, outermost first: inlined callers expand into several
 * frames, the innermost last. Inlined frames get the suffix "_[i]". An address
 * without a symbol prints as "[module+0xoffset]", or "[unknown]" outside any
 * module. Strings stay valid until target_dwfl__free (results are cached per
 * address). Returns the number of names written (at least 1 when max >= 1). */
size_t target_dwfl__symbolize(struct target_dwfl *t, uint64_t pc, const char **names,
			      size_t max);

#endif
