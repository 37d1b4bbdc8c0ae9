/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Entry stubs of the throwing operator new hooks: agent_new (hooks.c) decides and
 * counts; with no block from it the stub leaves no frame behind and jumps to the
 * original, so a bad_alloc it throws unwinds straight into the caller. */
	.text

/* NEW_HOOK name, which: which is agent_new's index (bit 1: aligned) */
	.macro	NEW_HOOK name, which
	.globl	\name
	.protected \name
	.type	\name, @function
	.p2align 4
\name:
	push	%rbp
	mov	%rsp, %rbp
	push	%rdi			/* size */
	push	%rsi			/* alignment, for the aligned forms */
	mov	$\which, %edx
	mov	%rbp, %rcx		/* frame: caller's rbp, then the return address */
	call	agent_new		/* -> rax: block served, rdx: the original */
	pop	%rsi
	pop	%rdi
	pop	%rbp
	test	%rax, %rax
	jz	1f
	ret
1:	jmp	*%rdx
	.size	\name, .-\name
	.endm

	NEW_HOOK ms_hook_new, 0
	NEW_HOOK ms_hook_new_array, 1
	NEW_HOOK ms_hook_new_aligned, 2
	NEW_HOOK ms_hook_new_array_aligned, 3

	.section .note.GNU-stack,"",@progbits
