/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of target_dwfl: unwinds and names a copy of this process's own stack. */
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check_suites.h"
#include "memspy/events.h"
#include "self_capture.h"
#include "symbolize/target_dwfl.h"

/* Each chain function must keep its own frame (MS_KEEP_FRAME), and work after
 * each call so it is not a tail call. */
#define COPY_MAX   (64 * 1024)
#define MAX_FRAMES 128

struct capture {
	uint64_t regs[MS_NR_REGS];
	unsigned char *stack; /* heap, so copying it never writes into the copied range */
	size_t len;
};

static void copy_stack(struct capture *c)
{
	c->len = self_copy_stack(c->regs, c->stack, COPY_MAX);
}

MS_KEEP_FRAME static int chain_c(struct capture *c)
{
	self_capture_regs(c->regs);
	copy_stack(c);
	return (int)(c->len & 1) + 1;
}

MS_KEEP_FRAME static int chain_b(struct capture *c)
{
	return chain_c(c) + 2;
}

MS_KEEP_FRAME static int chain_a(struct capture *c)
{
	return chain_b(c) + 3;
}

/* Two levels of inlining around the capture point. */
static inline __attribute__((always_inline)) int inl_inner(struct capture *c)
{
	self_capture_regs(c->regs);
	copy_stack(c);
	return (int)(c->len & 1) + 1;
}

static inline __attribute__((always_inline)) int inl_outer(struct capture *c)
{
	return inl_inner(c) * 3;
}

MS_KEEP_FRAME static int inl_host(struct capture *c)
{
	return inl_outer(c) + 2;
}

static void capture_self(struct capture *c)
{
	c->stack = malloc(COPY_MAX);
	ck_assert_ptr_nonnull(c->stack);
	ck_assert_int_ge(chain_a(c), 6);
	ck_assert_uint_gt(c->len, 1024);
}

/* Flattens the symbolized stack innermost first (an inline chain reversed), so
 * callee-before-caller order can be checked with indexes. */
static size_t symbolize_stack(struct target_dwfl *t, const uint64_t *pcs, size_t n,
			      const char **flat, size_t max)
{
	size_t out = 0;

	for (size_t i = 0; i < n; i++) {
		const char *names[16];
		size_t k = target_dwfl__symbolize(t, pcs[i], names, 16);
		ck_assert_uint_ge(k, 1);
		while (k-- > 0 && out < max)
			flat[out++] = names[k];
	}
	return out;
}

static long find_name(const char **flat, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(flat[i], name))
			return (long)i;
	return -1;
}

static void dump_stack(const char **flat, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "  #%zu %s\n", i, flat[i]);
}

START_TEST(test_self_unwind)
{
	struct capture c;
	uint64_t pcs[MAX_FRAMES];
	const char *flat[MAX_FRAMES * 4];
	bool complete = false;

	capture_self(&c);
	struct target_dwfl *t = target_dwfl__open(getpid());
	ck_assert_ptr_nonnull(t);
	size_t n = target_dwfl__unwind(t, getpid(), c.regs, c.stack, c.len, true, pcs, MAX_FRAMES,
				       &complete);
	size_t nf = symbolize_stack(t, pcs, n, flat, MAX_FRAMES * 4);
	if (!complete || nf < 5)
		dump_stack(flat, nf);

	long ic = find_name(flat, nf, "chain_c");
	long ib = find_name(flat, nf, "chain_b");
	long ia = find_name(flat, nf, "chain_a");
	long it = find_name(flat, nf, "test_self_unwind_fn");
	ck_assert_int_eq(ic, 0);
	ck_assert_int_eq(ib, ic + 1);
	ck_assert_int_eq(ia, ib + 1);
	ck_assert_int_gt(it, ia);
	ck_assert_int_gt(find_name(flat, nf, "main"), it);
	ck_assert_str_eq(flat[nf - 1], "_start");
	/* Symbol versions from .symtab are dropped. */
	ck_assert_int_gt(find_name(flat, nf, "__libc_start_main"), it);
	ck_assert(complete);
	/* Frame 0 is looked up inside the call instruction, not after it. */
	ck_assert_uint_eq(pcs[0], c.regs[MS_REG_IP] - 1);

	/* Cached: the same strings come back. */
	const char *again[4];
	ck_assert_uint_eq(target_dwfl__symbolize(t, pcs[0], again, 4), 1);
	ck_assert_ptr_eq(again[0], flat[0]);
	target_dwfl__free(t);
	free(c.stack);
}
END_TEST

START_TEST(test_inlined_frames)
{
	struct capture c;
	uint64_t pcs[MAX_FRAMES];
	const char *names[8];
	bool complete = false;

	c.stack = malloc(COPY_MAX);
	ck_assert_ptr_nonnull(c.stack);
	ck_assert_int_ge(inl_host(&c), 5);
	struct target_dwfl *t = target_dwfl__open(getpid());
	ck_assert_ptr_nonnull(t);
	size_t n = target_dwfl__unwind(t, getpid(), c.regs, c.stack, c.len, true, pcs, MAX_FRAMES,
				       &complete);
	ck_assert_uint_ge(n, 3);
	ck_assert(complete);
	/* Outermost first: the real function, then the inlined calls inward. */
	size_t k = target_dwfl__symbolize(t, pcs[0], names, 8);
	ck_assert_uint_eq(k, 3);
	ck_assert_str_eq(names[0], "inl_host");
	ck_assert_str_eq(names[1], "inl_outer_[i]");
	ck_assert_str_eq(names[2], "inl_inner_[i]");
	/* A short names array keeps the outermost. */
	ck_assert_uint_eq(target_dwfl__symbolize(t, pcs[0], names, 2), 2);
	ck_assert_str_eq(names[0], "inl_host");
	ck_assert_str_eq(names[1], "inl_outer_[i]");
	ck_assert_uint_eq(target_dwfl__symbolize(t, pcs[1], names, 8), 1);
	ck_assert_str_eq(names[0], "test_inlined_frames_fn");
	target_dwfl__free(t);
	free(c.stack);
}
END_TEST

START_TEST(test_truncated_copy)
{
	struct capture c;
	uint64_t pcs[MAX_FRAMES];
	bool complete = true;

	capture_self(&c);
	struct target_dwfl *t = target_dwfl__open(getpid());
	ck_assert_ptr_nonnull(t);
	size_t n = target_dwfl__unwind(t, getpid(), c.regs, c.stack, 256, true, pcs, MAX_FRAMES,
				       &complete);
	ck_assert_uint_ge(n, 1);
	ck_assert(!complete);

	/* No stack at all still names the first frame. */
	complete = true;
	n = target_dwfl__unwind(t, getpid(), c.regs, NULL, 0, true, pcs, MAX_FRAMES, &complete);
	ck_assert_uint_ge(n, 1);
	ck_assert(!complete);

	/* A cap at max frames is not a complete stack either. */
	complete = true;
	n = target_dwfl__unwind(t, getpid(), c.regs, c.stack, c.len, true, pcs, 3, &complete);
	ck_assert_uint_eq(n, 3);
	ck_assert(!complete);
	target_dwfl__free(t);
	free(c.stack);
}
END_TEST

START_TEST(test_garbage_registers)
{
	uint64_t regs[MS_NR_REGS] = {0};
	uint64_t stack[64];
	uint64_t pcs[MAX_FRAMES];
	bool complete = true;

	/* A pc in no module and a stack of junk: nothing, and no crash. */
	for (size_t i = 0; i < 64; i++)
		stack[i] = 0x4141414141414141ull * (i + 1);
	regs[MS_REG_IP] = 0x10;
	regs[MS_REG_SP] = 0x7000;
	struct target_dwfl *t = target_dwfl__open(getpid());
	ck_assert_ptr_nonnull(t);
	size_t n = target_dwfl__unwind(t, getpid(), regs, stack, sizeof(stack), false, pcs,
				       MAX_FRAMES, &complete);
	ck_assert_uint_eq(n, 0);
	ck_assert(!complete);

	/* A real pc with a junk stack: at least that frame, never complete. */
	regs[MS_REG_IP] = (uint64_t)(uintptr_t)dlsym(RTLD_DEFAULT, "qsort");
	regs[MS_REG_SP] = (uint64_t)(uintptr_t)stack;
	n = target_dwfl__unwind(t, getpid(), regs, stack, sizeof(stack), false, pcs, MAX_FRAMES,
				&complete);
	ck_assert_uint_ge(n, 1);
	ck_assert_uint_eq(pcs[0], regs[MS_REG_IP]);
	ck_assert(!complete);
	target_dwfl__free(t);
}
END_TEST

/* Generated code as a JIT makes it, in an anonymous executable mapping with no
 * CFI but a frame pointer: push %rbp; mov %rsp,%rbp; call *%rsi; pop %rbp; ret.
 * Called as stub(c, fn): it calls fn(c). */
static const unsigned char jit_stub_code[] = {0x55, 0x48, 0x89, 0xe5, 0xff, 0xd6, 0x5d, 0xc3};
#define JIT_STUB_RETURN 6 /* offset of the return address of its call */

MS_KEEP_FRAME static int jit_callee(struct capture *c)
{
	self_capture_regs(c->regs);
	copy_stack(c);
	return (int)(c->len & 1) + 1;
}

MS_KEEP_FRAME static int jit_host(struct capture *c, void *code)
{
	int (*stub)(struct capture *, int (*)(struct capture *)) =
	    (int (*)(struct capture *, int (*)(struct capture *)))code;

	return stub(c, jit_callee) + 2;
}

/* Unwinding crosses the generated code by its frame pointer and goes on with
 * the CFI of its caller to _start; a copy that ends inside its frame stops
 * there, truncated. */
START_TEST(test_unwind_through_jit)
{
	struct capture c = {.stack = malloc(COPY_MAX)};
	uint64_t pcs[MAX_FRAMES];
	const char *flat[MAX_FRAMES * 4];
	bool complete = false;
	unsigned char *code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ck_assert_ptr_ne(code, MAP_FAILED);
	memcpy(code, jit_stub_code, sizeof(jit_stub_code));
	ck_assert_int_ge(jit_host(&c, code), 3);
	struct target_dwfl *t = target_dwfl__open(getpid());
	ck_assert_ptr_nonnull(t);
	size_t n = target_dwfl__unwind(t, getpid(), c.regs, c.stack, c.len, true, pcs, MAX_FRAMES,
				       &complete);
	size_t nf = symbolize_stack(t, pcs, n, flat, MAX_FRAMES * 4);
	if (!complete || nf < 5)
		dump_stack(flat, nf);
	ck_assert_uint_ge(nf, 4);
	ck_assert_int_eq(find_name(flat, nf, "jit_callee"), 0);
	ck_assert_str_eq(flat[1], "[unknown]_[j]");
	ck_assert_uint_eq(pcs[1], (uint64_t)(uintptr_t)code + JIT_STUB_RETURN - 1);
	ck_assert_int_eq(find_name(flat, nf, "jit_host"), 2);
	ck_assert_int_gt(find_name(flat, nf, "test_unwind_through_jit_fn"), 2);
	ck_assert_str_eq(flat[nf - 1], "_start");
	ck_assert(complete);
	ck_assert(!target_dwfl__stopped_in_jit(t));

	/* The copy cut just above the stub's return address slot: its saved rbp
	 * is past the end, and the step is not taken from anywhere else. */
	uint64_t ret = (uint64_t)(uintptr_t)code + JIT_STUB_RETURN;
	size_t slot = 0;
	while (slot + 8 <= c.len && memcmp(c.stack + slot, &ret, 8))
		slot += 8;
	ck_assert_uint_lt(slot + 8, c.len);
	complete = true;
	n = target_dwfl__unwind(t, getpid(), c.regs, c.stack, slot + 8, true, pcs, MAX_FRAMES,
				&complete);
	ck_assert_uint_eq(n, 2);
	ck_assert(!complete);
	ck_assert(target_dwfl__stopped_in_jit(t));
	target_dwfl__free(t);
	munmap(code, 4096);
	free(c.stack);
}
END_TEST

START_TEST(test_symbolize_unknown_and_libc)
{
	const char *names[8];
	struct target_dwfl *t = target_dwfl__open(getpid());
	ck_assert_ptr_nonnull(t);

	void *anon = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(anon, MAP_FAILED);
	ck_assert(!target_dwfl__has_module(t, (uint64_t)(uintptr_t)anon));
	ck_assert_uint_eq(target_dwfl__symbolize(t, (uint64_t)(uintptr_t)anon + 16, names, 8), 1);
	ck_assert_str_eq(names[0], "[unknown]");
	ck_assert_uint_eq(target_dwfl__symbolize(t, 0x10, names, 8), 1);
	ck_assert_str_eq(names[0], "[unknown]");
	munmap(anon, 4096);

	void *q = dlsym(RTLD_DEFAULT, "qsort");
	ck_assert_ptr_nonnull(q);
	ck_assert(target_dwfl__has_module(t, (uint64_t)(uintptr_t)q));
	size_t n = target_dwfl__symbolize(t, (uint64_t)(uintptr_t)q, names, 8);
	ck_assert_uint_ge(n, 1);
	ck_assert_str_eq(names[0], "qsort");

	/* The vDSO is a module too, read from memory. */
	uint64_t vdso = getauxval(AT_SYSINFO_EHDR);
	if (vdso) {
		ck_assert(target_dwfl__has_module(t, vdso));
		ck_assert_uint_eq(target_dwfl__symbolize(t, vdso + 4, names, 8), 1);
		ck_assert_str_eq(names[0], "[vdso+0x4]");
	}

	/* libc's ELF header has no symbol: module and file address. */
	Dl_info info;
	ck_assert(dladdr(q, &info));
	n = target_dwfl__symbolize(t, (uint64_t)(uintptr_t)info.dli_fbase + 4, names, 8);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(names[0], "[libc.so.6+0x4]");
	target_dwfl__free(t);
}
END_TEST

/* glibc's write: GCC split it and inlined the cancellable part back into it, so
 * its DWARF shows __libc_write "inlined" into itself; that is no call and must
 * not print as "__write;__GI___libc_write_[i]". Needs libc's debug info
 * (libc6-dbg, which the test dependencies install). */
START_TEST(test_libc_self_inline)
{
	struct target_dwfl *t = target_dwfl__open(getpid());
	void *w = dlsym(RTLD_DEFAULT, "write");
	const ElfW(Sym) *sym = NULL;
	Dl_info info;
	bool has_dwarf = false;

	ck_assert_ptr_nonnull(t);
	ck_assert(w && dladdr1(w, &info, (void **)&sym, RTLD_DL_SYMENT) && sym);
	for (uint64_t pc = (uintptr_t)w; pc < (uintptr_t)w + sym->st_size; pc++) {
		struct frame_loc locs[8];
		size_t n = target_dwfl__symbolize_loc(t, pc, locs, 8);
		has_dwarf |= locs[n - 1].file != NULL;
		ck_assert_msg(n == 1, "pc %#lx: %s then %s", (unsigned long)pc, locs[0].name,
			      locs[n - 1].name);
		ck_assert_msg(strstr(locs[0].name, "write"), "pc %#lx: %s", (unsigned long)pc,
			      locs[0].name);
	}
	ck_assert_msg(has_dwarf, "no DWARF for libc's write: install libc6-dbg");
	target_dwfl__free(t);
}
END_TEST

/* qsort's comparator runs inside libc: its caller frames come from libc's CFI. */
static struct target_dwfl *cmp_t;
static size_t cmp_frames;
static bool cmp_complete;
static char cmp_names[8][64];
static struct capture cmp_c;

MS_KEEP_FRAME static int cmp_capture(const void *a, const void *b)
{
	if (!cmp_frames) {
		uint64_t pcs[MAX_FRAMES];
		self_capture_regs(cmp_c.regs);
		copy_stack(&cmp_c);
		cmp_frames = target_dwfl__unwind(cmp_t, getpid(), cmp_c.regs, cmp_c.stack,
						 cmp_c.len, true, pcs, MAX_FRAMES, &cmp_complete);
		for (size_t i = 0; i < cmp_frames && i < 8; i++) {
			const char *names[8];
			size_t k = target_dwfl__symbolize(cmp_t, pcs[i], names, 8);
			snprintf(cmp_names[i], sizeof(cmp_names[i]), "%s", names[k - 1]);
		}
	}
	return *(const int *)a - *(const int *)b;
}

START_TEST(test_unwind_through_libc)
{
	int v[] = {3, 1, 2};

	cmp_c.stack = malloc(COPY_MAX);
	cmp_t = target_dwfl__open(getpid());
	ck_assert_ptr_nonnull(cmp_t);
	qsort(v, 3, sizeof(v[0]), cmp_capture);
	ck_assert_int_eq(v[0], 1);
	ck_assert_uint_ge(cmp_frames, 4);
	ck_assert(cmp_complete);
	ck_assert_str_eq(cmp_names[0], "cmp_capture");
	/* The next frames are glibc's sort internals (msort_with_tmp, ...). */
	bool saw_libc = false;
	for (size_t i = 1; i < cmp_frames && i < 8; i++)
		saw_libc |= !strncmp(cmp_names[i], "msort", 5) || !strcmp(cmp_names[i], "qsort") ||
			    !strncmp(cmp_names[i], "__qsort", 7);
	ck_assert(saw_libc);
	target_dwfl__free(cmp_t);
	free(cmp_c.stack);
}
END_TEST

START_TEST(test_refresh_and_demangle)
{
	const char *names[8];
	struct target_dwfl *t = target_dwfl__open(getpid());
	struct target_dwfl *t2 = target_dwfl__open(getpid());
	ck_assert_ptr_nonnull(t);
	ck_assert_ptr_nonnull(t2);

	/* Loaded after open: unknown until refreshed. libstdc++ also gives a C++ name. */
	void *h = dlopen("libstdc++.so.6", RTLD_NOW | RTLD_LOCAL);
	ck_assert_msg(h, "cannot load libstdc++.so.6: %s", dlerror());
	void *fn = dlsym(h, "_ZSt9terminatev");
	ck_assert_ptr_nonnull(fn);
	uint64_t a = (uint64_t)(uintptr_t)fn;
	ck_assert(!target_dwfl__has_module(t, a));

	/* An unwind that meets the new library refreshes by itself. */
	uint64_t regs[MS_NR_REGS] = {0}, junk[4] = {0}, pcs[4];
	bool complete;
	regs[MS_REG_IP] = a;
	regs[MS_REG_SP] = (uint64_t)(uintptr_t)junk;
	ck_assert(!target_dwfl__has_module(t2, a));
	ck_assert_uint_ge(
	    target_dwfl__unwind(t2, getpid(), regs, junk, sizeof(junk), false, pcs, 4, &complete),
	    1);
	ck_assert_uint_eq(pcs[0], a);
	ck_assert(target_dwfl__has_module(t2, a));
	target_dwfl__free(t2);
	ck_assert_int_eq(target_dwfl__refresh(t), 0);
	ck_assert(target_dwfl__has_module(t, a));
	ck_assert_uint_eq(target_dwfl__symbolize(t, a, names, 8), 1);
	ck_assert_str_eq(names[0], "std::terminate()");
	/* Modules already known stay known. */
	ck_assert(target_dwfl__has_module(t, (uint64_t)(uintptr_t)dlsym(RTLD_DEFAULT, "qsort")));
	target_dwfl__free(t);
}
END_TEST

START_TEST(test_open_errors)
{
	errno = 0;
	ck_assert_ptr_null(target_dwfl__open(-1));
	ck_assert_msg(errno == ENOENT || errno == ESRCH, "errno %d", errno);
	target_dwfl__free(NULL);
}
END_TEST

Suite *suite_target_dwfl(void)
{
	Suite *s = suite_create("target_dwfl");
	TCase *tc = tcase_create("core");

	/* Loading libc's separate debug info takes a moment the first time. */
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_self_unwind);
	tcase_add_test(tc, test_inlined_frames);
	tcase_add_test(tc, test_truncated_copy);
	tcase_add_test(tc, test_garbage_registers);
	tcase_add_test(tc, test_symbolize_unknown_and_libc);
	tcase_add_test(tc, test_unwind_through_libc);
	tcase_add_test(tc, test_libc_self_inline);
	tcase_add_test(tc, test_unwind_through_jit);
	tcase_add_test(tc, test_refresh_and_demangle);
	tcase_add_test(tc, test_open_errors);
	suite_add_tcase(s, tc);
	return s;
}
