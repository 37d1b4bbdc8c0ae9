/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Capturing this process's own user stack as memspy's probes capture a target's:
 * the registers a uretprobe sees and a copy of the stack above sp. Shared by the
 * target_dwfl unit tests and scripts/bench/unwind_speed.c; include it in one file
 * of a program only (it defines a global assembly function). x86_64 only. */
#ifndef MEMSPY_SELF_CAPTURE_H
#define MEMSPY_SELF_CAPTURE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "memspy/events.h"
#include "target/procmaps.h"

/* A function that keeps its own frame: no inlining, no clones with other names. */
#if defined(__clang__)
#define MS_KEEP_FRAME __attribute__((noinline, optnone))
#else
#define MS_KEEP_FRAME __attribute__((noipa))
#endif

/* Stores the caller's registers as they are once this call has returned (what a
 * uretprobe sees): callee-saved ones unchanged, rsp past the return address, rip
 * the return address. Registers in events.h order, 8 bytes each. */
void self_capture_regs(uint64_t *regs);
__asm__(".text\n"
	".globl self_capture_regs\n"
	".hidden self_capture_regs\n"
	".type self_capture_regs, @function\n"
	"self_capture_regs:\n"
	"	movq %rax, 0(%rdi)\n"
	"	movq %rdx, 8(%rdi)\n"
	"	movq %rcx, 16(%rdi)\n"
	"	movq %rbx, 24(%rdi)\n"
	"	movq %rsi, 32(%rdi)\n"
	"	movq %rdi, 40(%rdi)\n"
	"	movq %rbp, 48(%rdi)\n"
	"	leaq 8(%rsp), %rax\n"
	"	movq %rax, 56(%rdi)\n"
	"	movq %r8, 64(%rdi)\n"
	"	movq %r9, 72(%rdi)\n"
	"	movq %r10, 80(%rdi)\n"
	"	movq %r11, 88(%rdi)\n"
	"	movq %r12, 96(%rdi)\n"
	"	movq %r13, 104(%rdi)\n"
	"	movq %r14, 112(%rdi)\n"
	"	movq %r15, 120(%rdi)\n"
	"	movq (%rsp), %rax\n"
	"	movq %rax, 128(%rdi)\n"
	"	ret\n"
	".size self_capture_regs, .-self_capture_regs\n");

/* Copies the stack from regs[MS_REG_SP] up to the end of its mapping, at most max
 * bytes, to out (which must not lie in that range); returns the bytes copied, 0
 * when the mapping is not found. Call it right after self_capture_regs, while the
 * capturing frame and its callers are intact: its own frame lies below the
 * captured sp, outside the copy. */
MS_KEEP_FRAME static size_t self_copy_stack(const uint64_t *regs, void *out, size_t max)
{
	uint64_t sp = regs[MS_REG_SP];
	struct procmaps maps;
	size_t len = 0;

	if (procmaps_read(getpid(), &maps))
		return 0;
	const struct map_entry *e = procmaps_find(&maps, sp);
	if (e)
		len = e->end - sp < max ? (size_t)(e->end - sp) : max;
	procmaps_release(&maps);
	memcpy(out, (const void *)(uintptr_t)sp, len);
	return len;
}

#endif
