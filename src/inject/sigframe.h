/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The x86-64 rt_sigframe the injector writes on a borrowed thread's stack: laid
 * out as the kernel lays out a signal frame, so that libc's __restore_rt (an
 * rt_sigreturn) restores the thread from it, registers, signal mask, sigaltstack
 * and extended FPU state. Plain computation, no process access. */
#ifndef MEMSPY_INJECT_SIGFRAME_H
#define MEMSPY_INJECT_SIGFRAME_H

#include <stddef.h>
#include <stdint.h>
#include <sys/user.h>

/* The kernel's struct sigcontext (uapi asm/sigcontext.h, 64-bit). */
struct sigframe_context {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip;
	uint64_t eflags;
	uint16_t cs, gs, fs, ss; /* ss used with UC_SIGCONTEXT_SS */
	uint64_t err, trapno, oldmask, cr2;
	uint64_t fpstate; /* address of the XSAVE image; 0 would reset the FPU */
	uint64_t reserved1[8];
};

/* stack_t as the kernel reads it (uc_stack) */
struct sigframe_stack {
	uint64_t ss_sp;
	int32_t ss_flags;
	int32_t pad;
	uint64_t ss_size;
};

struct sigframe_ucontext {
	uint64_t uc_flags;
	uint64_t uc_link;
	struct sigframe_stack uc_stack; /* the first injected call fills it */
	struct sigframe_context uc_mcontext;
	uint64_t uc_sigmask; /* the kernel's 64-bit sigset */
};

/* The frame at the thread's sp while rt_sigreturn runs (sp points after
 * pretcode, which __restore_rt's caller "returned" through). */
struct sigframe {
	uint64_t pretcode; /* __restore_rt: where the injected code returns to */
	struct sigframe_ucontext uc;
	uint8_t info[128]; /* siginfo, unused */
};

_Static_assert(sizeof(struct sigframe_context) == 256, "struct sigcontext is 256 bytes");
_Static_assert(sizeof(struct sigframe_ucontext) == 304, "struct ucontext is 304 bytes");
_Static_assert(sizeof(struct sigframe) == 440, "struct rt_sigframe is 440 bytes");

/* Where each part goes, from the thread's stack pointer down. */
struct sigframe_layout {
	uint64_t top;	  /* sp - 128: nothing at or above is written (red zone) */
	uint64_t fpstate; /* the XSAVE image, 64-byte aligned */
	uint64_t scratch; /* INJECT_SCRATCH bytes for arguments */
	uint64_t frame;	  /* struct sigframe; frame % 16 == 8, as at a function's entry */
	size_t fpsize;	  /* bytes of the XSAVE image including the trailing magic */
};

/* The state saved from the thread at its stop. */
struct sigframe_state {
	struct user_regs_struct regs; /* as PTRACE_GETREGS gave them */
	uint64_t sigmask;	      /* PTRACE_GETSIGMASK */
	const uint8_t *xstate;	      /* PTRACE_GETREGSET NT_X86_XSTATE (or NT_PRFPREG) */
	size_t xstate_len;	      /* bytes the kernel returned */
};

/* The XSAVE image's software bytes as a signal frame must carry them: which
 * components it holds and its size, as the kernel would write them for this
 * thread: XCR0's user components (ptrace stores XCR0 in the image's software
 * area) without AMX tile data unless the thread has it in use, sized from
 * CPUID. 0, or -EINVAL when the image is too short. An image of 512 bytes
 * (FXSAVE only) gives size 512 and no features: restored as legacy state. */
int sigframe_xstate_size(const uint8_t *xstate, size_t len, size_t *size, uint64_t *features);

/* Lay out a frame below sp for an XSAVE image of xstate_size bytes. */
void sigframe_layout(uint64_t sp, size_t xstate_size, struct sigframe_layout *out);

/* How a thread stopped in a system call must be restarted from the frame. */
enum sigframe_restart {
	SIGFRAME_NONE,	  /* not in a system call, or it completed */
	SIGFRAME_RESTART, /* -ERESTARTSYS/NOINTR/NOHAND: run the call again */
	SIGFRAME_TIMED,	  /* -ERESTART_RESTARTBLOCK: rt_sigreturn loses the kernel's
			     restart block, so the call runs again with its timeout
			     from the start */
	SIGFRAME_UNSAFE,  /* in restart_syscall itself: no frame can resume it */
};
enum sigframe_restart sigframe_restart_of(const struct user_regs_struct *regs);

/* Build the bytes from layout->frame to layout->top (allocated, *len set):
 * pretcode = restore_rt, the registers as the kernel restarts them, the mask,
 * the XSAVE image with its software bytes and trailing magic. The scratch area
 * and uc_stack are left zero. 0, -EINVAL (unsafe state, image too short) or
 * -ENOMEM. */
int sigframe_build(const struct sigframe_state *st, const struct sigframe_layout *layout,
		   uint64_t restore_rt, uint8_t **bytes, size_t *len);

#endif
