// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of the injector's pure parts: the signal frame, the restart rules,
 * thread states, the gadget scan and the image convention check. */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "check_suites.h"
#include "inject/gadgets.h"
#include "inject/image_elf.h"
#include "inject/pick.h"
#include "inject/sigframe.h"

#define PAYLOAD MS_TEST_BUILD "/tests/targets/payload.so"

START_TEST(layout_as_the_kernel_aligns)
{
	struct sigframe_layout l;

	sigframe_layout(0x7ffff000123bull, 2696, &l);
	ck_assert_uint_eq(l.top, 0x7ffff000123bull - 128);
	ck_assert_uint_eq(l.fpstate % 64, 0);
	ck_assert_uint_le(l.fpstate + l.fpsize, l.top);
	ck_assert_uint_eq(l.fpsize, 2696 + 4);
	ck_assert_uint_le(l.scratch + 512, l.fpstate);
	ck_assert_uint_le(l.frame + sizeof(struct sigframe), l.scratch);
	ck_assert_uint_eq(l.frame % 16, 8); /* as a function finds its return address */
}
END_TEST

static struct user_regs_struct in_call(long nr, long ret)
{
	struct user_regs_struct r = {0};

	r.orig_rax = (unsigned long long)nr;
	r.rax = (unsigned long long)ret;
	r.rip = 0x401002;
	return r;
}

START_TEST(restart_rules)
{
	struct user_regs_struct user = in_call(-1, -512), done = in_call(SYS_read, 5);
	struct user_regs_struct sys = in_call(SYS_read, -512), nohand = in_call(SYS_ppoll, -514);
	struct user_regs_struct timed = in_call(SYS_clock_nanosleep, -516);
	struct user_regs_struct again = in_call(SYS_restart_syscall, -516);

	ck_assert_int_eq(sigframe_restart_of(&user), SIGFRAME_NONE);
	ck_assert_int_eq(sigframe_restart_of(&done), SIGFRAME_NONE);
	ck_assert_int_eq(sigframe_restart_of(&sys), SIGFRAME_RESTART);
	ck_assert_int_eq(sigframe_restart_of(&nohand), SIGFRAME_RESTART);
	ck_assert_int_eq(sigframe_restart_of(&timed), SIGFRAME_TIMED);
	ck_assert_int_eq(sigframe_restart_of(&again), SIGFRAME_UNSAFE);
}
END_TEST

/* an XSAVE image as ptrace gives it: XCR0 at 464, XSTATE_BV at 512 */
static uint8_t *xsave_image(uint64_t xcr0, uint64_t bv, size_t len)
{
	uint8_t *x = calloc(1, len);

	memcpy(x + 464, &xcr0, 8);
	memcpy(x + 512, &bv, 8);
	memset(x + 160, 0xab, 256); /* xmm registers */
	return x;
}

START_TEST(xstate_sizes)
{
	uint8_t *x = xsave_image(0x3, 0x3, 4096);
	size_t size;
	uint64_t features;

	ck_assert_int_eq(sigframe_xstate_size(x, 4096, &size, &features), 0);
	ck_assert_uint_eq(features, 0x3);
	ck_assert_uint_eq(size, 576); /* legacy area + header */
	ck_assert_int_eq(sigframe_xstate_size(x, 512, &size, &features), 0);
	ck_assert_uint_eq(features, 0);
	ck_assert_int_eq(sigframe_xstate_size(x, 300, &size, &features), -EINVAL);
	free(x);
	/* AMX tile data only when in use */
	x = xsave_image(0x60003, 0x3, 4096);
	if (!sigframe_xstate_size(x, 4096, &size, &features))
		ck_assert_uint_eq(features, 0x20003);
	free(x);
}
END_TEST

START_TEST(frame_holds_the_restarted_call)
{
	struct sigframe_state st = {.regs = in_call(SYS_clock_nanosleep, -516), .sigmask = 0x4002};
	struct sigframe_layout l;
	struct sigframe *f;
	uint8_t *bytes, *x = xsave_image(0x3, 0x3, 1024);
	size_t len;
	uint32_t magic2;

	st.regs.rsp = 0x7ffd00001000;
	st.regs.cs = 0x33;
	st.regs.ss = 0x2b;
	st.xstate = x;
	st.xstate_len = 1024;
	sigframe_layout(st.regs.rsp, 576, &l);
	ck_assert_int_eq(sigframe_build(&st, &l, 0x7f0000001234, &bytes, &len), 0);
	ck_assert_uint_eq(len, l.top - l.frame);
	f = (struct sigframe *)bytes;
	ck_assert_uint_eq(f->pretcode, 0x7f0000001234);
	ck_assert_uint_eq(f->uc.uc_sigmask, 0x4002);
	ck_assert_uint_eq(f->uc.uc_flags, 0x7); /* FP_XSTATE, SIGCONTEXT_SS, STRICT_RESTORE_SS */
	/* the call itself again, not restart_syscall: rt_sigreturn drops the restart block */
	ck_assert_uint_eq(f->uc.uc_mcontext.rax, SYS_clock_nanosleep);
	ck_assert_uint_eq(f->uc.uc_mcontext.rip, 0x401000);
	ck_assert_uint_eq(f->uc.uc_mcontext.rsp, 0x7ffd00001000);
	ck_assert_uint_eq(f->uc.uc_mcontext.ss, 0x2b);
	ck_assert_uint_eq(f->uc.uc_mcontext.fpstate, l.fpstate);
	uint8_t *fp = bytes + (l.fpstate - l.frame);
	ck_assert_int_eq(memcmp(fp + 160, x + 160, 256), 0);
	ck_assert_uint_eq(*(uint32_t *)(fp + 464), 0x46505853); /* FP_XSTATE_MAGIC1 */
	ck_assert_uint_eq(*(uint32_t *)(fp + 468), 576 + 4);
	memcpy(&magic2, fp + 576, 4);
	ck_assert_uint_eq(magic2, 0x46505845);
	free(bytes);
	st.regs = in_call(SYS_restart_syscall, -516);
	ck_assert_int_eq(sigframe_build(&st, &l, 1, &bytes, &len), -EINVAL);
	free(x);
}
END_TEST

START_TEST(thread_states)
{
	long nr;

	ck_assert_int_eq(pick_parse_syscall("running\n", &nr), 0);
	ck_assert_int_eq(nr, PICK_RUNNING);
	ck_assert_int_eq(pick_parse_syscall("-1 0x7ffc3a3f0 0x401000\n", &nr), 0);
	ck_assert_int_eq(nr, PICK_USER);
	ck_assert_int_eq(pick_parse_syscall("202 0x7f 0x80 0x0 0x0 0x0 0x0 0x7ffc 0x7f12\n", &nr),
			 0);
	ck_assert_int_eq(nr, 202);
	ck_assert_int_eq(pick_parse_syscall("x\n", &nr), -EINVAL);
	ck_assert_str_eq(pick_restartable(SYS_futex), "futex");
	ck_assert_ptr_null(pick_restartable(SYS_epoll_wait));
	ck_assert_ptr_null(pick_restartable(SYS_epoll_pwait));
	ck_assert_ptr_null(pick_restartable(SYS_pause));
	ck_assert_ptr_null(pick_restartable(SYS_restart_syscall));
}
END_TEST

/* Which epoll waits memspy restarts itself, read as /proc shows them: nginx's
 * idle worker, as seen here, waits with an int -1 in a 64-bit register. */
START_TEST(epoll_waits_memspy_restarts)
{
	unsigned long long a[6];

	ck_assert_int_eq(pick_parse_args("232 0x7 0x55b293b4beb0 0x200 0xffffffff 0x15a3359 "
					 "0x0 0x7ffe34486428 0x7efcb9926ef3\n", a), 0);
	ck_assert_int_eq(pick_epoll_endless(SYS_epoll_wait, a), 1);
	a[3] = 5000;
	ck_assert_int_eq(pick_epoll_restartable(SYS_epoll_wait, a), 1);
	ck_assert_int_eq(pick_epoll_endless(SYS_epoll_wait, a), 0);
	/* epoll_pwait with a signal mask: never (the mask would need putting back) */
	a[3] = 0xffffffffffffffffULL;
	a[4] = 0x7ffe0000;
	ck_assert_int_eq(pick_epoll_endless(SYS_epoll_pwait, a), 0);
	a[4] = 0;
	ck_assert_int_eq(pick_epoll_endless(SYS_epoll_pwait, a), 1);
	/* epoll_pwait2: a timespec pointer, NULL for no timeout */
	a[3] = 0;
	ck_assert_int_eq(pick_epoll_endless(441, a), 1);
	a[3] = 0x7ffe1000;
	ck_assert_int_eq(pick_epoll_endless(441, a), 0);
	ck_assert_int_eq(pick_epoll_restartable(SYS_read, a), 0);
	ck_assert_int_eq(pick_parse_args("running\n", a), -EINVAL);
}
END_TEST

START_TEST(gadgets_by_bytes)
{
	const uint8_t text[] = {0x90, 0x48, 0xc7, 0xc0, 0x0f, 0, 0,    0,    0x0f, 0x05,
				0x90, 0xb8, 0x27, 0,	0,    0, 0x0f, 0x05, 0xc3};
	struct inject_gadgets g = {0};

	gadgets_scan(text, sizeof(text), 0x1000, &g);
	ck_assert_uint_eq(g.restore_rt, 0x1001);
	ck_assert_uint_eq(g.syscall_ret, 0x1010);
}
END_TEST

static uint8_t *payload_bytes(size_t *size)
{
	FILE *f = fopen(PAYLOAD, "rb");
	uint8_t *b = malloc(65536);

	ck_assert_ptr_nonnull(f);
	*size = fread(b, 1, 65536, f);
	fclose(f);
	return b;
}

START_TEST(image_convention)
{
	struct image_elf e;
	char why[128];
	size_t size;
	uint8_t *b = payload_bytes(&size);
	Elf64_Ehdr *h = (Elf64_Ehdr *)b;
	Elf64_Phdr *ph = (Elf64_Phdr *)(b + h->e_phoff);
	uint8_t *copy = malloc(size);

	memcpy(copy, b, size);
	ck_assert_int_eq(image_elf_parse(copy, size, &e, why, sizeof(why)), 0);
	ck_assert_uint_eq(e.text_size, 4096);
	ck_assert_uint_eq(e.rw_start, 4096);
	ck_assert_uint_eq(e.span, 8192);
	ck_assert_uint_ne(e.build_id_len, 0);
	ck_assert_uint_ne(image_elf_symbol(&e, "payload_store"), 0);
	ck_assert_uint_ge(image_elf_symbol(&e, "payload_word"), 4096);
	ck_assert_uint_eq(image_elf_symbol(&e, "payload_stor"), 0);
	image_elf_release(&e);
	for (unsigned i = 0; i < h->e_phnum; i++) /* a RW segment from the file */
		if (ph[i].p_type == PT_LOAD && ph[i].p_flags == (PF_R | PF_W))
			ph[i].p_filesz = 8;
	ck_assert_int_eq(image_elf_parse(b, size, &e, why, sizeof(why)), -ENOEXEC);
	ck_assert_str_eq(why, "second PT_LOAD is not RW with nothing from the file");
	free(b);
}
END_TEST

Suite *suite_inject(void)
{
	Suite *s = suite_create("inject");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, layout_as_the_kernel_aligns);
	tcase_add_test(tc, restart_rules);
	tcase_add_test(tc, xstate_sizes);
	tcase_add_test(tc, frame_holds_the_restarted_call);
	tcase_add_test(tc, thread_states);
	tcase_add_test(tc, epoll_waits_memspy_restarts);
	tcase_add_test(tc, gadgets_by_bytes);
	tcase_add_test(tc, image_convention);
	suite_add_tcase(s, tc);
	return s;
}
