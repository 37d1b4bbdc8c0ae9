// SPDX-License-Identifier: GPL-2.0-or-later
/* Builds the rt_sigframe a borrowed thread is restored from (sigframe.h). */
#include "inject/sigframe.h"

#include <cpuid.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define FP_XSTATE_MAGIC1	 0x46505853u
#define FP_XSTATE_MAGIC2	 0x46505845u
#define FXSAVE_SIZE		 512
#define XSAVE_HEADER_END	 576 /* legacy area + the 64-byte XSAVE header */
#define SW_BYTES_OFFSET		 464 /* struct _fpx_sw_bytes inside the legacy area */
#define XSTATE_BV_OFFSET	 512
#define XFEATURE_MASK_XTILE_DATA (1ull << 18)
#define RED_ZONE		 128
#define UC_FP_XSTATE		 0x1
#define UC_SIGCONTEXT_SS	 0x2
#define UC_STRICT_RESTORE_SS	 0x4
#define ERESTARTSYS		 512
#define ERESTARTNOINTR		 513
#define ERESTARTNOHAND		 514
#define ERESTART_RESTARTBLOCK	 516
#define NR_RESTART_SYSCALL	 219
#define SCRATCH_SIZE		 512 /* INJECT_SCRATCH (inject.h) */

/* struct _fpx_sw_bytes (uapi asm/sigcontext.h) */
struct sw_bytes {
	uint32_t magic1;
	uint32_t extended_size; /* xstate_size + the 4 bytes of MAGIC2 */
	uint64_t xfeatures;
	uint32_t xstate_size;
	uint32_t padding[7];
};
_Static_assert(sizeof(struct sw_bytes) == 48, "struct _fpx_sw_bytes is 48 bytes");

int sigframe_xstate_size(const uint8_t *xstate, size_t len, size_t *size, uint64_t *features)
{
	uint64_t xcr0, bv;

	if (len == FXSAVE_SIZE) {
		*size = FXSAVE_SIZE;
		*features = 0;
		return 0;
	}
	if (len < XSAVE_HEADER_END)
		return -EINVAL;
	/* ptrace puts XCR0 where a signal frame has its software bytes (checked
	 * on 6.18: 0xe7 there, no FP_XSTATE_MAGIC1), so both are rebuilt here:
	 * every user component but AMX tile data, which needs a permission the
	 * thread has only if its image shows tile data in use */
	memcpy(&xcr0, xstate + SW_BYTES_OFFSET, sizeof(xcr0));
	memcpy(&bv, xstate + XSTATE_BV_OFFSET, sizeof(bv));
	*features = (xcr0 & ~XFEATURE_MASK_XTILE_DATA) | (bv & xcr0 & XFEATURE_MASK_XTILE_DATA);
	*size = XSAVE_HEADER_END;
	/* the standard (non-compacted) format signal frames use: each component
	 * at its CPUID offset, as the kernel sizes a frame for them */
	for (unsigned i = 2; i < 64; i++) {
		unsigned eax, ebx, ecx, edx;

		if (!(*features & (1ull << i)))
			continue;
		__cpuid_count(0xd, i, eax, ebx, ecx, edx);
		if (eax == 0)
			return -EINVAL;
		if ((size_t)ebx + eax > *size)
			*size = (size_t)ebx + eax;
	}
	return *size <= len ? 0 : -EINVAL;
}

void sigframe_layout(uint64_t sp, size_t xstate_size, struct sigframe_layout *out)
{
	out->top = sp - RED_ZONE;
	out->fpsize = xstate_size + (xstate_size > FXSAVE_SIZE ? sizeof(uint32_t) : 0);
	out->fpstate = (out->top - out->fpsize) & ~(uint64_t)63;
	out->scratch = (out->fpstate - SCRATCH_SIZE) & ~(uint64_t)15;
	/* as the kernel aligns a signal frame: the word after pretcode 16-aligned,
	 * so pretcode sits where a called function finds its return address */
	out->frame = ((out->scratch - sizeof(struct sigframe)) & ~(uint64_t)15) - 8;
}

enum sigframe_restart sigframe_restart_of(const struct user_regs_struct *regs)
{
	if ((long)regs->orig_rax < 0)
		return SIGFRAME_NONE;
	switch ((long)regs->rax) {
	case -ERESTARTSYS:
	case -ERESTARTNOINTR:
	case -ERESTARTNOHAND:
		return SIGFRAME_RESTART;
	case -ERESTART_RESTARTBLOCK:
		return regs->orig_rax == NR_RESTART_SYSCALL ? SIGFRAME_UNSAFE : SIGFRAME_TIMED;
	default:
		return SIGFRAME_NONE;
	}
}

static void fill_context(struct sigframe_context *sc, const struct user_regs_struct *r,
			 enum sigframe_restart restart)
{
	*sc = (struct sigframe_context){
	    .r8 = r->r8,
	    .r9 = r->r9,
	    .r10 = r->r10,
	    .r11 = r->r11,
	    .r12 = r->r12,
	    .r13 = r->r13,
	    .r14 = r->r14,
	    .r15 = r->r15,
	    .rdi = r->rdi,
	    .rsi = r->rsi,
	    .rbp = r->rbp,
	    .rbx = r->rbx,
	    .rdx = r->rdx,
	    .rax = r->rax,
	    .rcx = r->rcx,
	    .rsp = r->rsp,
	    .rip = r->rip,
	    .eflags = r->eflags,
	    .cs = r->cs,
	    .gs = r->gs,
	    .fs = r->fs,
	    .ss = r->ss,
	};
	/* What the kernel does when no handler runs: back onto the syscall
	 * instruction with the call's number. For a timed call, rt_sigreturn has
	 * reset the restart block, so restart_syscall would return EINTR: the call
	 * itself runs again instead (its timeout starts over, never cut short). */
	if (restart == SIGFRAME_RESTART || restart == SIGFRAME_TIMED) {
		sc->rax = r->orig_rax;
		sc->rip -= 2;
	}
}

int sigframe_build(const struct sigframe_state *st, const struct sigframe_layout *l,
		   uint64_t restore_rt, uint8_t **bytes, size_t *len)
{
	enum sigframe_restart restart = sigframe_restart_of(&st->regs);
	struct sigframe *f;
	uint64_t features;
	size_t xsize;
	uint8_t *buf;

	if (restart == SIGFRAME_UNSAFE ||
	    sigframe_xstate_size(st->xstate, st->xstate_len, &xsize, &features))
		return -EINVAL;
	*len = l->top - l->frame;
	buf = calloc(1, *len);
	if (!buf)
		return -ENOMEM;
	f = (struct sigframe *)buf;
	f->pretcode = restore_rt;
	f->uc.uc_flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS | (features ? UC_FP_XSTATE : 0);
	f->uc.uc_sigmask = st->sigmask;
	fill_context(&f->uc.uc_mcontext, &st->regs, restart);
	f->uc.uc_mcontext.fpstate = l->fpstate;

	uint8_t *fp = buf + (l->fpstate - l->frame);
	memcpy(fp, st->xstate, xsize);
	if (features) {
		struct sw_bytes sw = {
		    .magic1 = FP_XSTATE_MAGIC1,
		    .extended_size = xsize + sizeof(uint32_t),
		    .xfeatures = features,
		    .xstate_size = xsize,
		};
		uint32_t magic2 = FP_XSTATE_MAGIC2;

		memcpy(fp + SW_BYTES_OFFSET, &sw, sizeof(sw));
		memcpy(fp + xsize, &magic2, sizeof(magic2));
	} else {
		memset(fp + SW_BYTES_OFFSET, 0, sizeof(struct sw_bytes));
	}
	*bytes = buf;
	return 0;
}
