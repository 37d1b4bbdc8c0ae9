/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What every memspy program records of the current task: the event header, the
 * registers and the top of the user stack. Shared by the heap, CPU and RSS
 * programs. */
#ifndef MEMSPY_USER_STACK_BPF_H
#define MEMSPY_USER_STACK_BPF_H

#define MS_PAGE 4096

static __always_inline void fill_header(struct ms_event_header *h, __u32 kind, __u32 fn)
{
	__u64 id = bpf_get_current_pid_tgid();

	h->ts_ns = bpf_ktime_get_ns();
	h->kind = kind;
	h->tgid = id >> 32;
	h->tid = (__u32)id;
	h->fn = fn;
}

struct vma_end_ctx {
	__u64 end;
};

static long vma_end_cb(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	struct vma_end_ctx *c = data;

	c->end = BPF_CORE_READ(vma, vm_end);
	return 0;
}

/* Read size bytes of task's user memory at addr, or of the current task's when
 * task is NULL: the constant folds away in the programs that run in the target's
 * context, and only a sleepable program (the dump iterator) reads another task's. */
static __always_inline long read_task_user(struct task_struct *task, void *dst, __u32 size,
					   __u64 addr)
{
	if (task)
		return bpf_copy_from_user_task(dst, size, (void *)addr, task, 0);
	return bpf_probe_read_user(dst, size, (void *)addr);
}

/* Copy up to want bytes of task's (NULL: the current task's) user memory from sp
 * into dst (MS_MAX_STACK_BYTES long), clamped to the end of the stack's mapping,
 * and return how many were copied. bpf_probe_read_user fails whole if any byte is
 * unmapped, and bpf_find_vma gives up when another thread holds the mmap lock (a
 * new thread's arena being mapped), so the copy goes page by page and keeps what
 * it got. */
static __always_inline __u32 copy_task_stack(struct task_struct *task, __u8 *dst, __u64 sp,
					     __u64 want, __u32 *flags)
{
	struct vma_end_ctx vc = {};
	__u32 done = 0;

	*flags = 0;
	if (bpf_find_vma(task ? task : bpf_get_current_task_btf(), sp, vma_end_cb, &vc, 0) == 0 &&
	    vc.end > sp) {
		if (vc.end - sp < want)
			want = vc.end - sp;
		else
			*flags |= MS_STACK_CLAMPED;
	}
	if (want > MS_MAX_STACK_BYTES)
		want = MS_MAX_STACK_BYTES;
	for (int i = 0; i < MS_MAX_STACK_BYTES / MS_PAGE + 1; i++) {
		__u64 addr = sp + done;
		__u64 chunk = MS_PAGE - (addr & (MS_PAGE - 1));

		if (done >= want || done > MS_MAX_STACK_BYTES - MS_PAGE)
			break;
		if (chunk > want - done)
			chunk = want - done;
		if (read_task_user(task, dst + (done & (MS_MAX_STACK_BYTES - 1)),
				   chunk & (2 * MS_PAGE - 1), addr))
			break;
		done += chunk;
	}
	return done & ~7U;
}

static __always_inline __u32 copy_user_stack(__u8 *dst, __u64 sp, __u64 want, __u32 *flags)
{
	return copy_task_stack(NULL, dst, sp, want, flags);
}

/* The 17 DWARF registers (events.h order) from saved user registers: a uprobe's
 * context or bpf_task_pt_regs(). Plain loads work on both (a context is read
 * directly, a BTF pointer through the verifier's checked loads). */
static __always_inline void copy_user_regs(struct pt_regs *regs, __u64 *out)
{
	out[0] = regs->ax;
	out[1] = regs->dx;
	out[2] = regs->cx;
	out[3] = regs->bx;
	out[4] = regs->si;
	out[5] = regs->di;
	out[6] = regs->bp;
	out[7] = regs->sp;
	out[8] = regs->r8;
	out[9] = regs->r9;
	out[10] = regs->r10;
	out[11] = regs->r11;
	out[12] = regs->r12;
	out[13] = regs->r13;
	out[14] = regs->r14;
	out[15] = regs->r15;
	out[16] = regs->ip;
}

/* Undo what uprobes do to a thread's user state, so memspy's own probes do not
 * break the stacks it samples: a thread single-stepping a probed instruction out
 * of line runs in the [uprobes] page (its real pc is the probed address), one in the
 * uretprobe trampoline has just returned from a probed function (its real pc and
 * sp are in the newest return instance), and every pending uretprobe has replaced
 * a return address on the stack with the trampoline (recorded for user space). */
static __always_inline void undo_uprobes(struct task_struct *task, struct ms_cpu_event *ev)
{
	struct uprobe_task *ut = BPF_CORE_READ(task, utask);
	struct return_instance *ri;
	__u64 ip = ev->regs[MS_REG_IP], xol, area;

	ev->nr_ret_fixups = 0;
	ev->in_uprobe = 0;
	ev->stack_start = 0;
	if (!ut)
		return;
	xol = BPF_CORE_READ(ut, xol_vaddr);
	area = BPF_CORE_READ(task, mm, uprobes_state.xol_area, vaddr);
	ri = BPF_CORE_READ(ut, return_instances);
	if (xol && ip >= xol && ip < xol + 128) {
		/* pc may be past the copied instruction already (a push): map it to the
		 * same offset past the probed address, where the CFI agrees with sp. */
		ev->regs[MS_REG_IP] = BPF_CORE_READ(ut, vaddr) + (ip - xol);
		ev->in_uprobe = 1;
	} else if (area && ip >= area && ip < area + 128 && ri) {
		/* x86's trampoline sits in the first slot of the area */
		ev->regs[MS_REG_IP] = BPF_CORE_READ(ri, orig_ret_vaddr);
		ev->in_uprobe = 1;
		ev->regs[MS_REG_SP] = BPF_CORE_READ(ri, stack) + 8;
		ri = BPF_CORE_READ(ri, next);
	}
	for (int i = 0; i < MS_MAX_RET_FIXUPS; i++) {
		if (!ri)
			break;
		ev->ret_slots[i] = BPF_CORE_READ(ri, stack);
		ev->ret_addrs[i] = BPF_CORE_READ(ri, orig_ret_vaddr);
		ev->nr_ret_fixups = i + 1;
		ri = BPF_CORE_READ(ri, next);
	}
}

/* Fill ev with task's (NULL: the current task's) user state: the registers saved
 * on entry to the kernel (a sample may have interrupted a syscall or a fault), with
 * what memspy's own uprobes changed undone, and the stack from below sp, because an
 * epilogue's CFI may still name saved registers in the red zone it has popped them
 * from. */
static __always_inline void capture_task_state(struct task_struct *task, struct ms_cpu_event *ev,
					       __u32 stack_bytes)
{
	struct task_struct *t = task ? task : bpf_get_current_task_btf();
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(t);

	ev->nr_ret_fixups = 0;
	ev->in_uprobe = 0;
	ev->user_regs_valid = 0;
	ev->stack_start = 0;
	ev->stack_len = 0;
	ev->flags = 0;
	if (!regs)
		return;
	copy_user_regs(regs, ev->regs);
	undo_uprobes(t, ev);
	ev->user_regs_valid = ev->regs[MS_REG_IP] != 0;
	ev->stack_start = ev->regs[MS_REG_SP] - MS_RED_ZONE;
	ev->stack_len = copy_task_stack(task, ev->stack, ev->stack_start,
					stack_bytes + MS_RED_ZONE, &ev->flags);
	if (!ev->stack_len) {
		ev->stack_start = ev->regs[MS_REG_SP];
		ev->stack_len = copy_task_stack(task, ev->stack, ev->stack_start, stack_bytes,
						&ev->flags);
	}
}

static __always_inline void capture_user_state(struct ms_cpu_event *ev, __u32 stack_bytes)
{
	capture_task_state(NULL, ev, stack_bytes);
}

/* Queue a sample of the size its stack needs, waking the reader only once much is
 * queued. Returns 0, or non-zero when the ring was full. */
static __always_inline long output_sample(void *ring, struct ms_cpu_event *ev, __u64 wakeup_bytes)
{
	__u64 len = ev->stack_len;

	if (len > MS_MAX_STACK_BYTES)
		len = MS_MAX_STACK_BYTES;
	return bpf_ringbuf_output(ring, ev, MS_CPU_EVENT_HDR_SIZE + len,
				  bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA) >= wakeup_bytes
					  ? BPF_RB_FORCE_WAKEUP
					  : BPF_RB_NO_WAKEUP);
}

#endif
