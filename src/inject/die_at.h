/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test-only: MEMSPY_TEST_DIE_AT=<step>[:<n>] makes memspy kill itself (SIGKILL,
 * through base/testpoint.h's ms_testpoint, so after its short hold) right after
 * the n-th time (default first) an injection passes that step, to check that
 * the target survives memspy dying there. The steps, in order (the names use
 * dashes: frame-written): */
#ifndef MEMSPY_INJECT_DIE_AT_H
#define MEMSPY_INJECT_DIE_AT_H

#include <stdbool.h>

#define INJECT_DIE_STEPS                                                                           \
	X(seized)	 /* PTRACE_SEIZE done, thread not yet interrupted */                       \
	X(interrupted)	 /* thread in its interrupt stop, nothing changed */                       \
	X(frame_written) /* signal frame on its stack, registers untouched */                      \
	X(regs_set)	 /* registers point into the injected chain, mask not yet blocked */       \
	X(mask_blocked)	 /* all signals blocked: the chain is armed */                             \
	X(syscall_entry) /* at the entry stop of an injected system call */                        \
	X(syscall_exit)	 /* at its exit stop, result read */                                       \
	X(call_entry)	 /* registers set for an injected function call */                         \
	X(called)	 /* the function returned (thread at rt_sigreturn's entry) */              \
	X(mapped)	 /* an image mapped and its descriptor closed */                           \
	X(restoring)	 /* end: a harmless syscall set up, interrupt not yet requested */         \
	X(restore_stop)	 /* end: at the interrupt stop, signal mask put back, registers not */     \
	X(restored)	 /* end: registers put back, not yet detached */

enum inject_die_step {
#define X(s) INJECT_DIE_##s,
	INJECT_DIE_STEPS
#undef X
	INJECT_DIE_NSTEPS
};

/* Dies here if MEMSPY_TEST_DIE_AT names this step (and its count is reached). */
void inject_die_at(enum inject_die_step step);
/* The step's name as MEMSPY_TEST_DIE_AT spells it ("frame-written"). */
const char *inject_die_step_name(enum inject_die_step step);

#endif
