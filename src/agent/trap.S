/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The trap functions memspy uprobes, and the agent's one way into the kernel.
 * A trap opens with a one-byte nop: the kernel emulates a uprobe there, whereas
 * one on a 5-byte nop becomes a call into a per-process trampoline that forked
 * children do not inherit (DESIGN.md). Without a probe they are a nop and a ret. */
	.text

	.globl	ms_trap_alloc
	.protected ms_trap_alloc
	.type	ms_trap_alloc, @function
	.p2align 4
ms_trap_alloc:
	nop
	ret
	.size	ms_trap_alloc, .-ms_trap_alloc

	.globl	ms_trap_free
	.protected ms_trap_free
	.type	ms_trap_free, @function
	.p2align 4
ms_trap_free:
	nop
	ret
	.size	ms_trap_free, .-ms_trap_free

/* long agent_syscall3(long nr, long a1, long a2, long a3): -errno on failure */
	.globl	agent_syscall3
	.hidden	agent_syscall3
	.type	agent_syscall3, @function
	.p2align 4
agent_syscall3:
	mov	%rdi, %rax
	mov	%rsi, %rdi
	mov	%rdx, %rsi
	mov	%rcx, %rdx
	syscall
	ret
	.size	agent_syscall3, .-agent_syscall3

	.section .note.GNU-stack,"",@progbits
